//! `lookout export openslo`: every SLO OpenSLO can express, as OpenSLO v1,
//! one file per service: a `Service` object, then one `SLO` per SLO with
//! its indicator inline. Pure: `ops::export_openslo` compiles the project
//! first (nothing is exported from specs that do not build) and writes.
//!
//! What OpenSLO has no field for rides in `lookout.dev/…` annotations,
//! which other tools ignore and `lookout import openslo` reads back, so
//! export then import builds the same rules: a latency SLI's histogram
//! (its queries are also written out as a bad/total ratio, for other
//! tools), the alerting settings, a service's team and runbook template,
//! and the SLO's own name (OpenSLO's is `<service>-<slo>`, as OpenSLO names
//! are unique per kind and lookout's per service).
//! Queries use Sloth's `{{.window}}`, the spelling OpenSLO tools that
//! generate Prometheus rules read.
//!
//! Log SLIs (LogQL on Loki) and a service's `signals` and `logs` have no
//! OpenSLO form: they are reported and left out.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::yaml::{self, Node};
use crate::import::openslo::{
    ANNOTATION_ALERTING, ANNOTATION_CALENDAR, ANNOTATION_LATENCY, ANNOTATION_RUNBOOK,
    ANNOTATION_SLO, ANNOTATION_TEAM,
};
use crate::model::{shift_decimal, MetricSli, Model, Sli};
use crate::spec::v1::{AlertingSpec, ServiceSpec, SloSpec, TierSpec};
use crate::spec::{span_of, SpecFile};

/// How OpenSLO tools spell the window in a query.
const WINDOW: &str = "{{.window}}";

/// One service's OpenSLO file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub service: String,
    pub text: String,
    pub slos: usize,
}

/// Exports every service of `specs` that `model` compiled.
pub fn openslo(specs: &[SpecFile], model: &Model, diags: &mut Diagnostics) -> Vec<ExportedFile> {
    let mut out = Vec::new();
    for file in specs {
        let path = diags.sources.path(file.file).to_path_buf();
        for service in &file.services {
            let name = service.service.value.as_str();
            let Some(lowered) = model.services.iter().find(|s| s.name == name) else {
                continue;
            };
            let dropped: Vec<&str> = [
                ("signals", service.signals.is_some()),
                ("logs", service.logs.is_some()),
            ]
            .into_iter()
            .filter_map(|(key, set)| set.then_some(key))
            .collect();
            if !dropped.is_empty() {
                // At the logs when they are dropped; `signals` carries no
                // span of its own, so otherwise at the service's name.
                let at = match &service.logs {
                    Some(logs) => span_of(diags, file.file, &logs.referenced),
                    None => span_of(diags, file.file, &service.service.referenced),
                };
                diags.push(
                    Diagnostic::warning(
                        "export::not-expressible",
                        format!(
                            "service `{name}`: `{}` {} no OpenSLO form and {} not exported",
                            dropped.join("` and `"),
                            if dropped.len() == 1 { "has" } else { "have" },
                            if dropped.len() == 1 { "is" } else { "are" },
                        ),
                    )
                    .in_path(&path)
                    .at_opt(at),
                );
            }
            let mut documents = vec![service_object(service)];
            for slo in &service.slos.value {
                let Some(lowered_slo) = lowered.slos.iter().find(|s| s.name == slo.name.value)
                else {
                    continue;
                };
                match slo_object(name, slo, lowered_slo) {
                    Some(document) => documents.push(document),
                    None => diags.push(
                        Diagnostic::warning(
                            "export::not-expressible",
                            format!(
                                "SLO `{}` of service `{name}` reads logs (LogQL), which OpenSLO cannot express; not exported",
                                slo.name.value
                            ),
                        )
                        .in_path(&path)
                        .at_opt(span_of(diags, file.file, &slo.name.referenced)),
                    ),
                }
            }
            let slos = documents.len() - 1;
            if slos == 0 {
                continue;
            }
            let header = [
                crate::emit::GENERATED_MARKER.to_string(),
                format!(
                    "Source: {}. Edit the spec and run `lookout export openslo`.",
                    path.display()
                ),
            ];
            let mut text = String::new();
            for (i, document) in documents.iter().enumerate() {
                if i > 0 {
                    text.push_str("---\n");
                }
                let lines: Vec<&str> = if i == 0 {
                    header.iter().map(String::as_str).collect()
                } else {
                    Vec::new()
                };
                text.push_str(&yaml::document(&lines, &Node::from_json(document)));
            }
            out.push(ExportedFile {
                service: name.to_string(),
                text,
                slos,
            });
        }
    }
    out.sort_by(|a, b| a.service.cmp(&b.service));
    out
}

fn service_object(service: &ServiceSpec) -> Value {
    let mut annotations = Map::new();
    if let Some(team) = &service.team {
        annotations.insert(ANNOTATION_TEAM.into(), json!(team.value));
    }
    if let Some(runbook) = &service.runbook {
        annotations.insert(ANNOTATION_RUNBOOK.into(), json!(runbook.value));
    }
    let labels = service.labels.as_ref().map(|l| &l.value);
    json!({
        "apiVersion": "openslo/v1",
        "kind": "Service",
        "metadata": metadata(&service.service.value, labels, annotations),
        "spec": {},
    })
}

fn metadata(
    name: &str,
    labels: Option<&BTreeMap<String, String>>,
    annotations: Map<String, Value>,
) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(labels) = labels.filter(|l| !l.is_empty()) {
        metadata.insert("labels".into(), json!(labels));
    }
    if !annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Object(annotations));
    }
    Value::Object(metadata)
}

/// An SLO as OpenSLO; `None` for a log SLI, which it cannot express.
fn slo_object(service: &str, slo: &SloSpec, lowered: &crate::model::Slo) -> Option<Value> {
    let sli = &lowered.sli;
    // OpenSLO names are unique per kind, lookout's per service: the
    // OpenSLO name is qualified, and the lookout name kept beside it.
    let name = format!("{service}-{}", slo.name.value);
    let mut annotations = Map::new();
    annotations.insert(ANNOTATION_SLO.into(), json!(slo.name.value));
    if let Some(alerting) = &slo.alerting {
        annotations.insert(
            ANNOTATION_ALERTING.into(),
            json!(alerting_json(alerting).to_string()),
        );
    }
    // The offset and start exactly: the time zone written beside them
    // cannot always say them (+01:30 has none).
    if let Some(calendar) = lowered.calendar {
        let exact = json!({
            "utc_offset": calendar.offset_text(),
            "start": format!("{:02}:{:02}", calendar.start_minutes / 60, calendar.start_minutes % 60),
        });
        annotations.insert(ANNOTATION_CALENDAR.into(), json!(exact.to_string()));
    }
    let prometheus =
        |query: String| json!({"metricSource": {"type": "Prometheus", "spec": {"query": query}}});
    let ratio = match sli {
        Sli::Metric(MetricSli::Events { errors, total }) => json!({
            "counter": true,
            "bad": prometheus(errors.with_slot(WINDOW)),
            "total": prometheus(total.with_slot(WINDOW)),
        }),
        Sli::Metric(MetricSli::Latency {
            histogram,
            errors,
            total,
            threshold,
            ..
        }) => {
            let selector = slo
                .sli
                .value
                .latency
                .as_ref()
                .and_then(|l| l.selector.as_ref())
                .map(|s| s.value.clone());
            let mut latency = json!({"histogram": histogram, "threshold": threshold});
            if let Some(selector) = selector {
                latency["selector"] = json!(selector);
            }
            annotations.insert(ANNOTATION_LATENCY.into(), json!(latency.to_string()));
            json!({
                "counter": true,
                "bad": prometheus(errors.with_slot(WINDOW)),
                "total": prometheus(total.with_slot(WINDOW)),
            })
        }
        Sli::Metric(MetricSli::Raw { error_ratio }) => json!({
            "counter": false,
            "rawType": "failure",
            "raw": prometheus(error_ratio.with_slot(WINDOW)),
        }),
        Sli::Logs(_) => return None,
    };
    let window = slo
        .window
        .as_ref()
        .map_or_else(|| "30d".to_string(), |w| w.value.clone());
    let mut spec = Map::new();
    if let Some(description) = &slo.description {
        spec.insert("description".into(), json!(description));
    }
    spec.insert("service".into(), json!(service));
    spec.insert(
        "indicator".into(),
        json!({"metadata": {"name": name}, "spec": {"ratioMetric": ratio}}),
    );
    spec.insert("budgetingMethod".into(), json!("Occurrences"));
    let time_window = match lowered.calendar {
        Some(calendar) => calendar_window(calendar),
        None => json!({"duration": window, "isRolling": true}),
    };
    spec.insert("timeWindow".into(), json!([time_window]));
    spec.insert(
        "objectives".into(),
        json!([{"target": Value::Number(ratio_of(slo.objective.value))}]),
    );
    Some(json!({
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": metadata(&name, slo.labels.as_ref().map(|l| &l.value), annotations),
        "spec": spec,
    }))
}

/// The spec's `alerting:` as written, as JSON.
/// A calendar period as OpenSLO writes one: `1w`, `1M` or `1Q`, anchored
/// at a start on which every period of that kind begins (Monday 1
/// January 2024) at the SLO's start time, in a time zone with its fixed
/// offset: `Etc/GMT-2` for +02:00, or a zone of the tz database without
/// daylight saving time for an offset that is not whole hours.
fn calendar_window(calendar: crate::model::Calendar) -> Value {
    use crate::model::CalendarUnit;
    let duration = match calendar.unit {
        CalendarUnit::Week => "1w",
        CalendarUnit::Month => "1M",
        CalendarUnit::Quarter => "1Q",
    };
    let zone = calendar
        .grafana_timezone()
        .map(|zone| {
            if zone == "utc" {
                "UTC".to_string()
            } else {
                zone
            }
        })
        .or_else(|| crate::model::calendar::fixed_offset_zone(calendar.utc_offset_minutes))
        .unwrap_or_else(|| "UTC".to_string());
    json!({
        "duration": duration,
        "isRolling": false,
        "calendar": {
            "startTime": format!(
                "2024-01-01 {:02}:{:02}:00",
                calendar.start_minutes / 60,
                calendar.start_minutes % 60
            ),
            "timeZone": zone,
        },
    })
}

fn alerting_json(alerting: &AlertingSpec) -> Value {
    let mut out = Map::new();
    if let Some(name) = &alerting.name {
        out.insert("name".into(), json!(name.value));
    }
    if let Some(labels) = &alerting.labels {
        out.insert("labels".into(), json!(labels.value));
    }
    if let Some(runbook) = &alerting.runbook {
        out.insert("runbook".into(), json!(runbook.value));
    }
    for (tier, spec) in [("page", &alerting.page), ("ticket", &alerting.ticket)] {
        if let Some(spec) = spec {
            out.insert(tier.into(), tier_json(spec));
        }
    }
    if let Some(no_data) = &alerting.no_data {
        let mut spec = Map::new();
        if let Some(enabled) = no_data.enabled {
            spec.insert("enabled".into(), json!(enabled));
        }
        if let Some(for_) = &no_data.for_ {
            spec.insert("for".into(), json!(for_.value));
        }
        if let Some(severity) = &no_data.severity {
            spec.insert("severity".into(), json!(severity.value));
        }
        out.insert("no_data".into(), Value::Object(spec));
    }
    if let Some(min_errors) = &alerting.min_errors {
        out.insert("min_errors".into(), json!(min_errors.value));
    }
    if let Some(thin_data) = &alerting.thin_data {
        out.insert("thin_data".into(), json!(thin_data.value));
    }
    Value::Object(out)
}

fn tier_json(tier: &TierSpec) -> Value {
    let mut out = Map::new();
    if let Some(enabled) = tier.enabled {
        out.insert("enabled".into(), json!(enabled));
    }
    if let Some(severity) = &tier.severity {
        out.insert("severity".into(), json!(severity.value));
    }
    if let Some(for_) = &tier.for_ {
        out.insert("for".into(), json!(for_.value));
    }
    if let Some(labels) = &tier.labels {
        out.insert("labels".into(), json!(labels.value));
    }
    if let Some(windows) = &tier.windows {
        let windows: Vec<Value> = windows
            .value
            .iter()
            .map(
                |w| json!({"long": w.long.value, "short": w.short.value, "factor": w.factor.value}),
            )
            .collect();
        out.insert("windows".into(), Value::Array(windows));
    }
    Value::Object(out)
}

/// `99.9` as the JSON number `0.999`, where `99.9 / 100.0` is
/// 0.9990000000000001.
fn ratio_of(percent: f64) -> serde_json::Number {
    serde_json::Number::from_f64(shift_decimal(percent, -2)).expect("objectives are finite")
}

#[cfg(test)]
mod tests {
    use super::ratio_of;

    #[test]
    fn percentages_become_ratios_exactly() {
        // Written by hand: the decimal point moves two places left.
        assert_eq!(ratio_of(99.9).to_string(), "0.999");
        assert_eq!(ratio_of(99.0).to_string(), "0.99");
        assert_eq!(ratio_of(99.95).to_string(), "0.9995");
        assert_eq!(ratio_of(50.0).to_string(), "0.5");
        assert_eq!(ratio_of(5.0).to_string(), "0.05");
    }
}
