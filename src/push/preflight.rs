//! `lookout check --live`: the specs against a live Prometheus, before any
//! rule depends on them.
//!
//! An SLI can be valid PromQL and still never fire: a selector that
//! matches no series, or a latency threshold that is not one of the
//! histogram's `le` boundaries (the bucket query then matches nothing and
//! the error series stays empty). Each check is an instant query
//! (`GET /api/v1/query`), and each finding a diagnostic at the spec line:
//! - every selector of a total, raw ratio or latency query must match
//!   series (an error); one of an errors query may not yet (a warning:
//!   nothing may have failed);
//! - a latency threshold must be a bucket boundary; the diagnostic lists
//!   the buckets the histogram has;
//! - every `signals:` query must return data (a warning: only a panel
//!   depends on it).
//!
//! Log SLIs are counted by the Loki ruler and are not checked here.

use promql_parser::parser::{self, Expr};

use super::http::{segment, Endpoint};
use crate::diag::{Diagnostic, Span};
use crate::model::query::substitute_grafana_variables;
use crate::model::{names, MetricSli, Model, Slo};

/// Runs every check; the diagnostics found, or an error when Prometheus
/// cannot be asked at all.
pub fn preflight(model: &Model, endpoint: &Endpoint) -> Result<Vec<Diagnostic>, String> {
    let prometheus = Live { endpoint };
    let mut findings = Vec::new();
    for service in &model.services {
        for slo in &service.slos {
            prometheus.check_sli(slo, &mut findings)?;
        }
        let signals = &service.signals;
        let declared = [&signals.traffic, &signals.errors, &signals.saturation]
            .into_iter()
            .flatten()
            .map(|s| (&s.query, s.location))
            .chain(signals.panels.iter().map(|p| (&p.query, p.location)));
        for (query, location) in declared {
            let evaluated = substitute_grafana_variables(query);
            if prometheus.query(&evaluated)?.is_empty() {
                findings.push(
                    Diagnostic::warning(
                        "live::no-data",
                        format!("`{query}` returns no data from Prometheus"),
                    )
                    .at_opt(location)
                    .help("its panel will be empty: check the metric name and labels"),
                );
            }
        }
    }
    Ok(findings)
}

struct Live<'a> {
    endpoint: &'a Endpoint,
}

impl Live<'_> {
    /// The result vector of an instant query.
    fn query(&self, expr: &str) -> Result<Vec<serde_json::Value>, String> {
        let path = format!("/api/v1/query?query={}", segment(expr));
        let response = self.endpoint.get(&path).map_err(|e| e.to_string())?;
        if response.status == 400 {
            // Prometheus rejects the query itself: report it, not the target.
            return Ok(Vec::new());
        }
        response
            .success()
            .map_err(|e| format!("GET /api/v1/query: {e}"))?;
        let body = response.json()?;
        Ok(body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    fn check_sli(&self, slo: &Slo, findings: &mut Vec<Diagnostic>) -> Result<(), String> {
        let window = names::BASE_WINDOW;
        let locations = &slo.locations;
        // A log SLI's series are Loki's recordings, not the service's own.
        let Some(metric) = slo.sli.metric() else {
            return Ok(());
        };
        let queries: Vec<(String, Option<Span>, bool)> = match metric {
            MetricSli::Events { errors, total } => vec![
                (errors.at(window), locations.errors, true),
                (total.at(window), locations.total, false),
            ],
            MetricSli::Raw { error_ratio } => {
                vec![(error_ratio.at(window), locations.error_ratio, false)]
            }
            MetricSli::Latency {
                histogram,
                matchers,
                threshold,
                ..
            } => {
                return self.check_buckets(slo, histogram, matchers, *threshold, findings);
            }
        };
        for (query, location, may_be_empty) in queries {
            for selector in selectors(&query) {
                if !self.query(&format!("count({selector})"))?.is_empty() {
                    continue;
                }
                let finding = if may_be_empty {
                    Diagnostic::warning(
                        "live::no-series",
                        format!("`{selector}` matches no series yet"),
                    )
                    .help(
                        "fine while nothing has failed; otherwise check the metric name and labels",
                    )
                } else {
                    Diagnostic::error(
                        "live::no-series",
                        format!("`{selector}` matches no series in Prometheus"),
                    )
                    .help(format!(
                        "{}/{} would have no SLI and its alerts could never fire: check the metric name and labels",
                        slo.service, slo.name
                    ))
                };
                findings.push(finding.at_opt(location));
            }
        }
        Ok(())
    }

    fn check_buckets(
        &self,
        slo: &Slo,
        histogram: &str,
        matchers: &str,
        threshold: f64,
        findings: &mut Vec<Diagnostic>,
    ) -> Result<(), String> {
        let buckets = self.query(&format!("count by (le) ({histogram}_bucket{{{matchers}}})"))?;
        let mut bounds: Vec<f64> = buckets
            .iter()
            .filter_map(|b| b["metric"]["le"].as_str())
            .filter_map(|le| le.parse::<f64>().ok())
            .collect();
        bounds.sort_by(f64::total_cmp);
        if bounds.is_empty() {
            findings.push(
                Diagnostic::error(
                    "live::no-series",
                    format!("`{histogram}_bucket{{{matchers}}}` matches no series in Prometheus"),
                )
                .at_opt(slo.locations.histogram)
                .help("check the histogram's base name and the selector"),
            );
            return Ok(());
        }
        // `le` is printed from a float64; compare as numbers, with room
        // for the last digit.
        let is_bound = bounds
            .iter()
            .any(|b| (b - threshold).abs() <= 1e-9 * threshold.abs().max(1.0));
        if !is_bound {
            let shown: Vec<String> = bounds
                .iter()
                .filter(|b| b.is_finite())
                .map(|b| crate::model::fmt_num(*b))
                .collect();
            let nearest = bounds
                .iter()
                .filter(|b| b.is_finite())
                .min_by(|a, b| (*a - threshold).abs().total_cmp(&(*b - threshold).abs()))
                .map(|b| crate::model::fmt_num(*b))
                .unwrap_or_default();
            findings.push(
                Diagnostic::error(
                    "live::threshold-not-a-bucket",
                    format!(
                        "latency threshold {} is not a bucket boundary of `{histogram}`",
                        crate::model::fmt_num(threshold)
                    ),
                )
                .at_opt(slo.locations.threshold)
                .label("no `le` bucket has this bound")
                .help(format!(
                    "the bucket query would match nothing, so {}/{} could never fire; its buckets are {}; the nearest is {nearest}",
                    slo.service,
                    slo.name,
                    shown.join(", ")
                )),
            );
        }
        Ok(())
    }
}

/// The vector selectors of a query, as PromQL text.
fn selectors(query: &str) -> Vec<String> {
    use promql_parser::util::{walk_expr, ExprVisitor};
    struct Collect(Vec<String>);
    impl ExprVisitor for Collect {
        type Error = ();
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
            match expr {
                Expr::VectorSelector(v) => self.0.push(v.to_string()),
                Expr::MatrixSelector(m) => self.0.push(m.vs.to_string()),
                _ => {}
            }
            Ok(true)
        }
    }
    let mut collect = Collect(Vec::new());
    if let Ok(expr) = parser::parse(query) {
        let _ = walk_expr(&mut collect, &expr);
    }
    collect.0.sort();
    collect.0.dedup();
    collect.0
}
