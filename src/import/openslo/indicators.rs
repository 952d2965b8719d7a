//! Indicators: an OpenSLO SLI's metrics become lookout's PromQL, shaped
//! by the budgeting method and the objective into a lookout `sli:`.

use super::*;

impl<'a> Openslo<'a, '_> {
    pub(super) fn ratio(&mut self, ratio: &Spanned<os::RatioMetric>) -> Option<Indicator> {
        let r = &ratio.value;
        let counter = r.counter.or(r.incremental).unwrap_or(true);
        let events = |cx: &mut Self, metric: &Spanned<os::MetricSpec>| {
            let query = cx.metric(metric)?;
            cx.rate(metric, query, counter)
        };
        match (&r.good, &r.bad, &r.total, &r.raw) {
            (Some(good), None, Some(total), None) => {
                let good = events(self, good);
                let total = events(self, total)?;
                let good = good?;
                // A good series that does not exist yet is no good events,
                // not no SLI: the `or` keeps a total outage visible.
                Some(Indicator::Ratio {
                    errors: format!("({total}) - (({good}) or ({total}) * 0)"),
                    total,
                })
            }
            (None, Some(bad), Some(total), None) => {
                let errors = events(self, bad);
                let total = events(self, total)?;
                Some(Indicator::Ratio {
                    errors: errors?,
                    total,
                })
            }
            (None, None, None, Some(raw)) => {
                let query = self.metric(raw)?;
                let windowed = if query.contains("{{window}}") {
                    query
                } else {
                    format!("avg_over_time(({query})[{{{{window}}}}:1m])")
                };
                let failure = match r.raw_type.as_ref().map(|t| t.value.as_str()) {
                    Some("failure") => true,
                    Some("success") => false,
                    other => {
                        let at = r
                            .raw_type
                            .as_ref()
                            .map_or_else(|| self.base.span(ratio), |t| self.base.span(t));
                        self.base.diags.push(
                            Diagnostic::error(
                                "import::raw-type",
                                match other {
                                    Some(other) => format!("unknown rawType `{other}`"),
                                    None => "a raw ratioMetric needs a `rawType`".into(),
                                },
                            )
                            .at_opt(at)
                            .help("`rawType: success` if the query returns the good ratio, `failure` if the bad one"),
                        );
                        return None;
                    }
                };
                Some(Indicator::Raw(if failure {
                    windowed
                } else {
                    format!("1 - ({windowed})")
                }))
            }
            _ => {
                self.error(
                    ratio,
                    "import::openslo-field",
                    "a ratioMetric needs `total` with one of `good` and `bad`, or `raw` with `rawType`".into(),
                    "",
                );
                None
            }
        }
    }

    /// A query as a rate over `{{window}}`.
    pub(super) fn rate(
        &mut self,
        metric: &Spanned<os::MetricSpec>,
        query: String,
        counter: bool,
    ) -> Option<String> {
        if query.contains("{{window}}") {
            return Some(query);
        }
        if counter {
            if let Some(rate) = crate::check::promql::counter_as_rate(&query, "{{window}}") {
                self.base.notes.push(format!(
                    "{}: the counter query `{query}` is read as `{rate}`",
                    self.slo
                ));
                return Some(rate);
            }
        }
        self.error(
            metric,
            "import::no-window",
            format!("this query has no `{{{{.window}}}}`: `{query}`"),
            "lookout needs events as a rate over a window: write it as e.g. `sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))`",
        );
        None
    }

    /// A metric's PromQL, with `{{.window}}` written `{{window}}`.
    pub(super) fn metric(&mut self, metric: &Spanned<os::MetricSpec>) -> Option<String> {
        let m = &metric.value;
        let (source_type, query): (Option<String>, Option<Spanned<String>>) = match &m.metric_source
        {
            Some(source) => {
                let mut source_type = source.type_.as_ref().map(|t| t.value.clone());
                if source_type.is_none() {
                    if let Some(reference) = &source.metric_source_ref {
                        match self.index.get(&("DataSource", reference.value.as_str())) {
                            Some(ds) => {
                                self.sources.insert(ds.file);
                                source_type = ds
                                    .object
                                    .spec
                                    .as_ref()
                                    .and_then(|s| s.value.type_.as_ref())
                                    .map(|t| t.value.clone());
                            }
                            None => {
                                self.error(
                                    reference,
                                    "import::missing-ref",
                                    format!("DataSource `{}` referenced at `metricSourceRef` does not exist", reference.value),
                                    "import the file that declares it too, or give the source's `type` here",
                                );
                                return None;
                            }
                        }
                    }
                }
                let query = source.spec.as_ref().and_then(|spec| {
                    spec.value.get("query").and_then(|q| {
                        q.value.as_str().map(|text| Spanned {
                            value: text.to_string(),
                            referenced: q.referenced,
                            defined: q.defined,
                        })
                    })
                });
                (source_type, query)
            }
            None => {
                // v1alpha: `source` names a data source or its type.
                let source = m.source.as_ref().map(|s| s.value.clone());
                let resolved = source.as_ref().and_then(|name| {
                    self.index
                        .get(&("DataSource", name.as_str()))
                        .and_then(|ds| {
                            ds.object
                                .spec
                                .as_ref()
                                .and_then(|s| s.value.type_.as_ref())
                                .map(|t| t.value.clone())
                        })
                });
                (resolved.or(source), m.query.clone())
            }
        };
        let promql = source_type
            .as_deref()
            .is_some_and(|t| PROMQL_SOURCES.contains(&t.to_ascii_lowercase().as_str()));
        if !promql {
            self.error(
                metric,
                "import::data-source",
                match &source_type {
                    Some(t) => format!("this metric comes from `{t}`, which lookout cannot query"),
                    None => "this metric names no source type".into(),
                },
                "lookout writes Prometheus rules: only Prometheus-compatible sources (Prometheus, Thanos, Cortex, Mimir, VictoriaMetrics) import; give the query in PromQL with `type: Prometheus`",
            );
            return None;
        }
        let Some(query) = query else {
            self.error(
                metric,
                "import::openslo-field",
                "this metric has no `query`".into(),
                "a Prometheus metric source has `spec: {query: …}`",
            );
            return None;
        };
        self.base.query(&query)
    }

    /// The lookout `sli:` for an indicator under the objective's budgeting.
    pub(super) fn sli(
        &mut self,
        indicator: Indicator,
        latency: Option<String>,
        budgeting: Budgeting,
        objective: &Spanned<os::Objective>,
        slo: &str,
    ) -> Option<SliSpec> {
        let o = &objective.value;
        let threshold_op = |cx: &mut Self| -> Option<(String, String)> {
            let (Some(op), Some(value)) = (&o.op, &o.value) else {
                cx.error(
                    objective,
                    "import::threshold",
                    format!("SLO `{slo}` has a thresholdMetric, but its objective has no `op` and `value`"),
                    "add e.g. `op: lte` and `value: 200`: a data point is good when `query op value` holds",
                );
                return None;
            };
            let op_text = match op.value.as_str() {
                "lt" => "<",
                "lte" => "<=",
                "gt" => ">",
                "gte" => ">=",
                other => {
                    cx.error(
                        op,
                        "import::threshold",
                        format!("unknown op `{other}`"),
                        "OpenSLO's operators are lt, lte, gt and gte",
                    );
                    return None;
                }
            };
            Some((op_text.to_string(), fmt_num(value.value)))
        };
        // The slice, which must tile lookout's 5m, and for Timeslices the
        // share of a slice that must be good.
        let slice = |cx: &mut Self, needs_target: bool| -> Option<(String, f64)> {
            // v1alpha has no field for the slice: Nobl9, where v1alpha
            // came from, slices by the minute.
            let default = cx.v1alpha.then(|| Spanned {
                value: "1m".to_string(),
                referenced: objective.referenced,
                defined: objective.defined,
            });
            let Some(window) = o.time_slice_window.as_ref().or(default.as_ref()) else {
                cx.error(
                    objective,
                    "import::timeslices",
                    format!("SLO `{slo}` counts time slices, but its objective has no `timeSliceWindow`"),
                    "add e.g. `timeSliceWindow: 1m`",
                );
                return None;
            };
            if o.time_slice_window.is_none() {
                cx.base.notes.push(format!(
                    "{slo}: openslo/v1alpha gives no slice length; slices are 1m"
                ));
            }
            let target = match &o.time_slice_target {
                Some(target) => target.value,
                None if needs_target => {
                    cx.error(
                        objective,
                        "import::timeslices",
                        format!("SLO `{slo}` budgets by Timeslices, but its objective has no `timeSliceTarget`"),
                        "add e.g. `timeSliceTarget: 0.95`: a slice is good when at least that share of it is",
                    );
                    return None;
                }
                None => 0.0,
            };
            let seconds = Duration::parse_prometheus(&window.value).map(|d| d.seconds());
            match seconds {
                Some(s) if s > 0 && BASE_SECONDS.is_multiple_of(s) => {
                    Some((window.value.clone(), target))
                }
                _ => {
                    cx.error(
                        window,
                        "import::timeslices",
                        format!(
                            "a time slice of `{}` does not tile lookout's 5m",
                            window.value
                        ),
                        "use a slice of 1m, 5m, or another divisor of 5 minutes",
                    );
                    None
                }
            }
        };
        let raw = raw_sli;
        match (budgeting, indicator) {
            (Budgeting::Occurrences, Indicator::Ratio { errors, total }) => {
                if let Some(latency) = latency {
                    if let Some(node) = self.latency(&latency, &errors, &total, slo) {
                        return Some(node);
                    }
                }
                Some(crate::import::events_sli(errors, total))
            }
            (Budgeting::Occurrences, Indicator::Raw(ratio)) => Some(raw(ratio)),
            (Budgeting::Occurrences, Indicator::Threshold(query)) => {
                let (op, value) = threshold_op(self)?;
                self.base.notes.push(format!(
                    "{slo}: a data point is one minute: the SLI is the share of minutes `{query}` {op} {value} did not hold"
                ));
                Some(raw(format!(
                    "1 - avg(avg_over_time(({query} {op} bool {value})[{{{{window}}}}:1m]))"
                )))
            }
            (Budgeting::Timeslices, Indicator::Ratio { errors, total }) => {
                let (slice, target) = slice(self, true)?;
                let at = |q: &str| q.replace("{{window}}", &slice);
                self.base.notes.push(format!(
                    "{slo}: a {slice} slice is bad when its error ratio exceeds {}; the SLI is the share of bad slices (a slice without events is good)",
                    fmt_num(1.0 - target)
                ));
                Some(raw(format!(
                    "avg_over_time(((({}) / ({})) > bool {})[{{{{window}}}}:{slice}])",
                    at(&errors),
                    at(&total),
                    fmt_num(1.0 - target)
                )))
            }
            (Budgeting::Timeslices, Indicator::Threshold(query)) => {
                let (op, value) = threshold_op(self)?;
                let (slice, target) = slice(self, true)?;
                self.base.notes.push(format!(
                    "{slo}: a {slice} slice is bad when `{query}` {op} {value} held for less than {} of its minutes; the SLI is the share of bad slices",
                    fmt_num(target)
                ));
                Some(raw(format!(
                    "avg_over_time((avg(avg_over_time(({query} {op} bool {value})[{slice}:1m])) < bool {})[{{{{window}}}}:{slice}])",
                    fmt_num(target)
                )))
            }
            (Budgeting::RatioTimeslices, Indicator::Ratio { errors, total }) => {
                let (slice, _) = slice(self, false)?;
                let at = |q: &str| q.replace("{{window}}", &slice);
                self.base.notes.push(format!(
                    "{slo}: the SLI is the mean of the {slice} slices' error ratios"
                ));
                Some(raw(format!(
                    "avg_over_time((({}) / ({}))[{{{{window}}}}:{slice}])",
                    at(&errors),
                    at(&total)
                )))
            }
            (Budgeting::Timeslices | Budgeting::RatioTimeslices, Indicator::Raw(_))
            | (Budgeting::RatioTimeslices, Indicator::Threshold(_)) => {
                self.error(
                    objective,
                    "import::timeslices",
                    format!("SLO `{slo}` counts time slices of an SLI that has no events to slice"),
                    "time slices need a ratioMetric with good or bad and total (or a thresholdMetric, for Timeslices); or budget by Occurrences",
                );
                None
            }
        }
    }

    /// A latency SLI written back from `lookout.dev/latency`, when the
    /// queries are still the histogram's.
    pub(super) fn latency(
        &mut self,
        annotation: &str,
        errors: &str,
        total: &str,
        slo: &str,
    ) -> Option<SliSpec> {
        let value: serde_json::Value = serde_json::from_str(annotation).ok()?;
        let histogram = value.get("histogram")?.as_str()?;
        let threshold = value.get("threshold")?.as_f64()?;
        let selector = value.get("selector").and_then(|s| s.as_str());
        let count = format!("{histogram}_count");
        if !errors.contains(&format!("{histogram}_bucket")) || !total.contains(&count) {
            self.base.notes.push(format!(
                "{slo}: its `{ANNOTATION_LATENCY}` annotation no longer matches its queries, which are kept as events"
            ));
            return None;
        }
        Some(SliSpec {
            events: None,
            latency: Some(LatencySpec {
                histogram: built(histogram.to_string()),
                selector: selector.map(|s| built(s.to_string())),
                threshold: built(threshold),
            }),
            raw: None,
            logs: None,
        })
    }
}

pub(super) fn latency_annotation(metadata: &os::Metadata) -> Option<String> {
    metadata
        .annotations
        .as_ref()
        .and_then(|a| a.value.get(ANNOTATION_LATENCY).cloned())
}
