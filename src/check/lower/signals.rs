//! Lowering of a service's `signals:`: the golden-signal queries and extra
//! panels of its dashboard.

use serde_saphyr::Spanned;

use super::{is_metric_name, Lowering, PendingQuery};
use crate::check::promql;
use crate::model::{ExtraPanel, HistogramRef, Signal, Signals};
use crate::spec::v1::{SignalSpec, SignalsSpec};

impl Lowering<'_> {
    pub(super) fn signals(&mut self, spec: &SignalsSpec, service: &str) -> Signals {
        let signal = |cx: &mut Self, s: &Option<SignalSpec>, field: &str| {
            let s = s.as_ref()?;
            let query = cx.dashboard_query(&s.query, service, field)?;
            Some(Signal {
                query,
                unit: s.unit.clone(),
                location: cx.span(&s.query),
            })
        };
        let traffic = signal(self, &spec.traffic, "signals.traffic");
        let errors = signal(self, &spec.errors, "signals.errors");
        let saturation = signal(self, &spec.saturation, "signals.saturation");
        let latency = spec.latency.as_ref().and_then(|latency| {
            let histogram = latency.histogram.value.trim().to_string();
            if !is_metric_name(&histogram) {
                let span = self.span(&latency.histogram);
                self.error(
                    "spec::invalid-metric",
                    format!("invalid histogram name `{histogram}`"),
                    span,
                );
                return None;
            }
            let matchers = match &latency.selector {
                None => String::new(),
                Some(selector) => self.selector(selector, &histogram)?.0,
            };
            Some(HistogramRef {
                histogram,
                matchers,
            })
        });
        let panels = spec
            .panels
            .iter()
            .filter_map(|panel| {
                let title = panel.title.value.trim().to_string();
                if title.is_empty() {
                    let span = self.span(&panel.title);
                    self.error("spec::empty-value", "panel `title` is empty", span);
                    return None;
                }
                let query = self.dashboard_query(
                    &panel.query,
                    service,
                    &format!("signals.panels[{title}]"),
                )?;
                Some(ExtraPanel {
                    title,
                    query,
                    unit: panel.unit.clone(),
                    legend: panel.legend.clone(),
                    threshold: panel.threshold,
                    threshold_direction: panel.threshold_direction.unwrap_or_default(),
                    location: self.span(&panel.query),
                })
            })
            .collect();
        Signals {
            traffic,
            errors,
            latency,
            saturation,
            panels,
        }
    }

    /// Renders `{{service}}` in a dashboard query and queues its PromQL check
    /// with Grafana's variables replaced.
    pub(super) fn dashboard_query(
        &mut self,
        query: &Spanned<String>,
        service: &str,
        field: &str,
    ) -> Option<String> {
        let span = self.span(query);
        let rendered = match self
            .templates
            .render(&query.value, &serde_json::json!({"service": service}))
        {
            Ok(text) => text,
            Err(message) => {
                self.error("spec::template", message, span).label = Some("in this query".into());
                return None;
            }
        };
        self.pending_promql.push(PendingQuery {
            query: promql::substitute_grafana_variables(&rendered),
            span,
            field: field.to_string(),
            substituted: "with Grafana's $__ variables replaced",
            group_by: None,
        });
        Some(rendered)
    }
}
