//! promtool unit tests for the generated rules: `rules/tests/<service>.test.yaml`.
//!
//! Per SLO, three scenarios that `promtool test rules` must pass:
//! - healthy: errors well under every alert threshold, no alert at any time;
//! - outage: every request fails, the page alert fires within minutes;
//! - slow burn: errors between the ticket and page thresholds, a ticket
//!   fires and a page does not.
//!
//! The input is the lowest series lookout's own rules read: the recorded 5m
//! error and event rates (or, for raw SLIs, the recorded 5m ratio). A latency
//! SLI with plain `=` matchers gets real histogram counters instead, so the
//! test also proves the `le` bucket match. The user's queries over metrics
//! the test leaves empty return nothing, so they do not interfere.

use std::collections::BTreeMap;

use super::prometheus::{alert_annotations, alert_labels};
use super::yaml::{self, Node};
use super::{generated_header, Artifact, EmitOptions};
use crate::model::{fmt_num, names, AlertTier, Duration, Model, Service, Severity, Sli, Slo};

/// Samples are one minute apart; the series run a little past the last eval.
const STEP: Duration = Duration::minutes(1);
const SPAN: Duration = Duration(Duration::days(1).0 + Duration::hours(1).0);
/// Requests per second in every scenario.
const EVENT_RATE: f64 = 10.0;

pub fn emit(model: &Model, options: &EmitOptions) -> Vec<Artifact> {
    model
        .services
        .iter()
        .filter(|s| s.slos.iter().any(|slo| !slo.alerting.tiers.is_empty()))
        .map(|service| Artifact {
            path: options
                .rules_dir
                .join("tests")
                .join(format!("{}.test.yaml", service.name)),
            contents: test_file(service, options),
        })
        .collect()
}

fn test_file(service: &Service, options: &EmitOptions) -> String {
    let mut tests = Vec::new();
    let mut notes = Vec::new();
    for slo in service.slos.iter().filter(|s| !s.alerting.tiers.is_empty()) {
        tests.push(healthy(slo, options));
        tests.push(outage(slo, options));
        match slow_burn(slo, options) {
            Some(test) => tests.push(test),
            None => notes.push(format!(
                "{}/{}: no slow-burn test; it needs an enabled ticket tier whose threshold is reachable below the page threshold",
                slo.service, slo.name
            )),
        }
    }
    let mut header = generated_header(&service.source);
    header.push("Run: promtool test rules <this file>".into());
    header.extend(notes);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let doc = Node::map()
        .entry(
            "rule_files",
            Node::Seq(vec![Node::str(format!("../{}.yaml", service.name))]),
        )
        .str("evaluation_interval", STEP.to_string())
        .entry("tests", Node::Seq(tests))
        .build();
    yaml::document(&header, &doc)
}

/// Fires nothing: the error ratio is half the lowest threshold.
fn healthy(slo: &Slo, options: &EmitOptions) -> Node {
    let lowest = all_thresholds(slo).fold(f64::INFINITY, f64::min);
    let ratio = lowest / 2.0;
    let evals = [Duration::minutes(30), Duration::hours(6), Duration::days(1)];
    let checks = evals
        .iter()
        .map(|t| alert_check(slo, *t, &[], options))
        .collect();
    scenario(
        format!(
            "{}/{}: healthy, error ratio {} fires nothing",
            slo.service,
            slo.name,
            fmt_num(ratio)
        ),
        slo,
        ratio,
        checks,
    )
}

/// Every request fails: each tier that can fire at all fires once its `for` has passed.
fn outage(slo: &Slo, options: &EmitOptions) -> Node {
    let page_for = tier(slo, Severity::Page)
        .and_then(|t| t.for_)
        .unwrap_or(Duration(0));
    let at = Duration(Duration::minutes(5).0 + page_for.0);
    let firing: Vec<&AlertTier> = slo
        .alerting
        .tiers
        .iter()
        .filter(|t| reachable(slo, t, 1.0) && t.for_.unwrap_or(Duration(0)) <= at)
        .collect();
    scenario(
        format!(
            "{}/{}: total outage pages within {at}",
            slo.service, slo.name
        ),
        slo,
        1.0,
        vec![alert_check(slo, at, &firing, options)],
    )
}

/// Between the highest ticket and the lowest page threshold.
fn slow_burn(slo: &Slo, options: &EmitOptions) -> Option<Node> {
    let ticket = tier(slo, Severity::Ticket)?;
    let ticket_top = thresholds(slo, ticket).fold(0.0, f64::max);
    let ratio = match tier(slo, Severity::Page) {
        Some(page) => {
            let page_floor = thresholds(slo, page).fold(f64::INFINITY, f64::min);
            (ticket_top + page_floor.min(1.0)) / 2.0
        }
        None => (ticket_top + 1.0) / 2.0,
    };
    if ratio >= 1.0 || !reachable(slo, ticket, ratio) {
        return None;
    }
    let at = Duration(Duration::hours(1).0 + ticket.for_.unwrap_or(Duration(0)).0);
    Some(scenario(
        format!(
            "{}/{}: slow burn at error ratio {} opens a ticket and does not page",
            slo.service,
            slo.name,
            fmt_num(ratio)
        ),
        slo,
        ratio,
        vec![alert_check(slo, at, &[ticket], options)],
    ))
}

fn tier(slo: &Slo, severity: Severity) -> Option<&AlertTier> {
    slo.alerting.tiers.iter().find(|t| t.severity == severity)
}

fn thresholds<'a>(slo: &'a Slo, tier: &'a AlertTier) -> impl Iterator<Item = f64> + 'a {
    tier.pairs.iter().map(move |p| AlertTier::threshold(slo, p))
}

fn all_thresholds(slo: &Slo) -> impl Iterator<Item = f64> + '_ {
    slo.alerting
        .tiers
        .iter()
        .flat_map(move |t| thresholds(slo, t))
}

/// A constant error ratio fires a tier when it exceeds any pair's threshold.
fn reachable(slo: &Slo, tier: &AlertTier, ratio: f64) -> bool {
    thresholds(slo, tier).any(|t| ratio > t)
}

fn scenario(name: String, slo: &Slo, ratio: f64, checks: Vec<Node>) -> Node {
    Node::map()
        .str("name", name)
        .str("interval", STEP.to_string())
        .entry("input_series", Node::Seq(input_series(slo, ratio)))
        .entry("alert_rule_test", Node::Seq(checks))
        .build()
}

fn alert_check(slo: &Slo, at: Duration, firing: &[&AlertTier], options: &EmitOptions) -> Node {
    let alerts = firing
        .iter()
        .map(|tier| {
            Node::map()
                .entry("exp_labels", Node::labels(&alert_labels(slo, tier)))
                .entry(
                    "exp_annotations",
                    Node::labels(&alert_annotations(slo, tier, options)),
                )
                .build()
        })
        .collect();
    Node::map()
        .str("eval_time", at.to_string())
        .str("alertname", slo.alerting.name.as_str())
        .entry("exp_alerts", Node::Seq(alerts))
        .build()
}

fn input_series(slo: &Slo, ratio: f64) -> Vec<Node> {
    let samples = SPAN.seconds() / STEP.seconds();
    let labels = slo.identity_labels();
    let constant = |value: f64| format!("{}+0x{samples}", fmt_num(value));
    let counter = |per_step: f64| format!("0+{}x{samples}", fmt_num(per_step));
    let series = |name: &str, labels: &BTreeMap<String, String>, values: String| {
        Node::map()
            .str("series", format!("{name}{}", label_set(labels)))
            .str("values", values)
            .build()
    };
    match &slo.sli {
        Sli::Latency {
            histogram,
            matchers,
            threshold,
            ..
        } => {
            if let Some(selector) = equality_labels(matchers) {
                let per_step = EVENT_RATE * STEP.seconds() as f64;
                let mut bucket = selector.clone();
                bucket.insert("le".into(), format!("{threshold}"));
                return vec![
                    series(&format!("{histogram}_count"), &selector, counter(per_step)),
                    series(
                        &format!("{histogram}_bucket"),
                        &bucket,
                        counter(per_step * (1.0 - ratio)),
                    ),
                ];
            }
            vec![
                series(names::ERRORS_RATE, &labels, constant(EVENT_RATE * ratio)),
                series(names::EVENTS_RATE, &labels, constant(EVENT_RATE)),
            ]
        }
        Sli::Events { .. } => vec![
            series(names::ERRORS_RATE, &labels, constant(EVENT_RATE * ratio)),
            series(names::EVENTS_RATE, &labels, constant(EVENT_RATE)),
        ],
        Sli::Raw { .. } => vec![series(
            &names::error_ratio(names::BASE_WINDOW),
            &labels,
            constant(ratio),
        )],
    }
}

/// The labels of a selector made only of `name="value"` matchers.
fn equality_labels(matchers: &str) -> Option<BTreeMap<String, String>> {
    let expr = promql_parser::parser::parse(&format!("x{{{matchers}}}")).ok()?;
    let promql_parser::parser::Expr::VectorSelector(selector) = expr else {
        return None;
    };
    if !selector.matchers.or_matchers.is_empty() {
        return None;
    }
    selector
        .matchers
        .matchers
        .iter()
        .map(|m| match m.op {
            promql_parser::label::MatchOp::Equal => Some((m.name.clone(), m.value.clone())),
            _ => None,
        })
        .collect()
}

fn label_set(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", names::promql_string(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}
