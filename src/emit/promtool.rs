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
//! the test leaves empty return nothing, so they do not interfere, unless
//! one answers without data (`… or on() vector(0)`, as Sloth's examples
//! write): its record would then write a second sample of a series the test
//! feeds, which promtool refuses ("duplicate sample for timestamp"). Such a
//! service's tests load `rules/tests/<service>.rules.yaml` instead: its
//! rule groups less the records the tests feed.

use std::collections::BTreeMap;

use super::prometheus::{alert_annotations, alert_labels, Intervals};
use super::yaml::{self, Node};
use super::{generated_header, Artifact};
use crate::model::settings::{Layout, Links, PrometheusSettings};
use crate::model::{
    fmt_num, fmt_short, names, AlertTier, Duration, MetricSli, Service, Severity, Sli, Slo,
};

/// Samples are one minute apart.
const STEP: Duration = Duration::minutes(1);
/// Requests per second in every scenario.
const EVENT_RATE: f64 = 10.0;
/// When the outage scenario's outage starts.
const OUTAGE_START: Duration = Duration::hours(1);
/// Slack for the 5m rate window and rule-evaluation steps.
const MARGIN: Duration = Duration::minutes(5);

pub fn emit(
    services: &[Service],
    layout: &Layout,
    prometheus: &PrometheusSettings,
    links: &Links,
) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for service in services
        .iter()
        .filter(|s| s.slos.iter().any(|slo| !slo.alerting.tiers.is_empty()))
    {
        let dir = layout.rules_tests_dir();
        let rules = if service.slos.iter().any(fed_record_answers_without_data) {
            let name = format!("{}.rules.yaml", service.name);
            let groups =
                super::prometheus::groups_fed_by_tests(service, Intervals::of(prometheus), links);
            artifacts.push(Artifact::file(
                dir.join(&name),
                yaml::rule_file(service, groups),
            ));
            name
        } else {
            format!("../{}.yaml", service.name)
        };
        artifacts.push(Artifact::file(
            dir.join(format!("{}.test.yaml", service.name)),
            test_file(service, links, &rules),
        ));
    }
    artifacts
}

/// Whether a record the tests feed (the 5m error and event rates, or a raw
/// SLI's 5m ratio) could answer with no input series: then the tests must
/// not load it.
fn fed_record_answers_without_data(slo: &Slo) -> bool {
    let base = names::BASE_WINDOW;
    let queries = match &slo.sli {
        Sli::Metric(MetricSli::Events { errors, total }) => vec![errors.at(base), total.at(base)],
        Sli::Metric(MetricSli::Raw { error_ratio }) => vec![error_ratio.at(base)],
        // Lookout writes a latency SLI's queries; a log SLI's are Loki's.
        _ => Vec::new(),
    };
    queries.iter().any(|query| {
        // Unparsable cannot reach here (lowering checks); unsure is yes.
        promql_parser::parser::parse(query).map_or(true, |expr| answers_without_data(&expr))
    })
}

/// Whether `expr` can return a sample when no selector matches a series:
/// a literal, `vector()`, `absent()`, `scalar()` or `time()` that reaches
/// the result through `or`, an arithmetic with another such operand, or a
/// function or aggregation over one.
fn answers_without_data(expr: &promql_parser::parser::Expr) -> bool {
    use promql_parser::parser::Expr;
    match expr {
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => true,
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => false,
        Expr::Paren(paren) => answers_without_data(&paren.expr),
        Expr::Unary(unary) => answers_without_data(&unary.expr),
        Expr::Subquery(subquery) => answers_without_data(&subquery.expr),
        Expr::Aggregate(aggregate) => answers_without_data(&aggregate.expr),
        Expr::Binary(binary) => {
            let (lhs, rhs) = (
                answers_without_data(&binary.lhs),
                answers_without_data(&binary.rhs),
            );
            match binary.op.to_string().as_str() {
                "or" => lhs || rhs,
                "unless" => lhs,
                // `and` and every arithmetic or comparison need both sides.
                _ => lhs && rhs,
            }
        }
        Expr::Call(call) => match call.func.name {
            "vector" | "absent" | "absent_over_time" | "scalar" | "time" | "pi" => true,
            _ => {
                let vectors: Vec<_> = call
                    .args
                    .args
                    .iter()
                    .filter(|arg| {
                        !matches!(***arg, Expr::NumberLiteral(_) | Expr::StringLiteral(_))
                    })
                    .collect();
                // No argument: a function of the evaluation time (`hour()`).
                vectors.is_empty() || vectors.iter().all(|arg| answers_without_data(arg))
            }
        },
        Expr::Extension(_) => true,
    }
}

fn test_file(service: &Service, links: &Links, rules: &str) -> String {
    let mut tests = Vec::new();
    let mut notes = Vec::new();
    for slo in service.slos.iter().filter(|s| !s.alerting.tiers.is_empty()) {
        tests.push(healthy(slo, links));
        tests.push(outage(slo, links));
        if let Some(no_data) = &slo.alerting.no_data {
            tests.push(data_stops(slo, no_data, links));
        }
        match slow_burn(slo, links) {
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
        .entry("rule_files", Node::Seq(vec![Node::str(rules)]))
        .str("evaluation_interval", STEP.to_string())
        .entry("tests", Node::Seq(tests))
        .build();
    yaml::document(&header, &doc)
}

/// A piecewise-constant error ratio: `(minutes, ratio)` segments.
type Profile = Vec<(u64, f64)>;

/// Fires nothing: the error ratio is half the lowest threshold, for a day.
fn healthy(slo: &Slo, links: &Links) -> Node {
    let lowest = all_thresholds(slo).fold(f64::INFINITY, f64::min);
    let ratio = lowest / 2.0;
    let evals = [Duration::minutes(30), Duration::hours(6), Duration::days(1)];
    let checks = evals
        .iter()
        .map(|t| alert_check(slo, *t, &[], links))
        .collect();
    let minutes = Duration::days(1).seconds() / 60 + MARGIN.seconds() / 60;
    scenario(
        format!(
            "{}/{}: healthy, error ratio {} fires nothing",
            slo.service,
            slo.name,
            fmt_short(ratio)
        ),
        slo,
        &vec![(minutes, ratio)],
        checks,
    )
}

/// Healthy for an hour, then every request fails. Nothing fires before the
/// outage; every tier that can fire at all is firing by the time its
/// slowest window pair must have noticed.
fn outage(slo: &Slo, links: &Links) -> Node {
    let firing: Vec<&AlertTier> = slo
        .alerting
        .tiers
        .iter()
        .filter(|t| reachable(t, 1.0))
        .collect();
    let detect = firing
        .iter()
        .map(|t| detection_time(t).0 + t.for_.map_or(0, |d| d.0))
        .max()
        .unwrap_or(0);
    let after = Duration(round_up_to_minute(detect) + MARGIN.0);
    let at = Duration(OUTAGE_START.0 + after.0);
    let before = Duration(OUTAGE_START.0 - STEP.0);
    let start_minutes = OUTAGE_START.seconds() / 60;
    let outage_minutes = after.seconds() / 60 + MARGIN.seconds() / 60;
    let severities: Vec<&str> = firing.iter().map(|t| t.severity.as_str()).collect();
    scenario(
        format!(
            "{}/{}: total outage from {OUTAGE_START}: nothing before it, {} firing {after} into it",
            slo.service,
            slo.name,
            if severities.is_empty() {
                "no tier (none can fire)".to_string()
            } else {
                severities.join(" and ")
            },
        ),
        slo,
        &vec![(start_minutes, 0.0), (outage_minutes, 1.0)],
        vec![
            alert_check(slo, before, &[], links),
            alert_check(slo, at, &firing, links),
        ],
    )
}

/// An hour of healthy traffic with no error at all, then no series: the
/// no-data alert is silent while data flows, and fires `for` after the
/// series go. They go 5m after their last sample (Prometheus's lookback;
/// one minute less where a 5m `rate()` of raw counters needs two samples),
/// so with `for` 10m it is still pending at 72m and firing at 77m. A log
/// SLI's is watched over an hour: an hour later.
fn data_stops(slo: &Slo, no_data: &crate::model::NoData, links: &Links) -> Node {
    let last = OUTAGE_START.0 - STEP.0;
    let watched = match slo.sli {
        Sli::Logs(_) => Duration::hours(1).0,
        _ => MARGIN.0,
    };
    let firing_from = last + watched + no_data.for_.0;
    let check = |at: u64, firing: bool| {
        let alerts = if firing {
            vec![Node::map()
                .entry(
                    "exp_labels",
                    Node::labels(&super::prometheus::no_data_labels(slo, no_data)),
                )
                .entry(
                    "exp_annotations",
                    Node::labels(&super::prometheus::no_data_annotations(slo, no_data, links)),
                )
                .build()]
        } else {
            Vec::new()
        };
        Node::map()
            .str("eval_time", Duration(at).to_string())
            .str(
                "alertname",
                format!(
                    "{}{}",
                    slo.alerting.name,
                    super::prometheus::NO_DATA_ALERT_SUFFIX
                ),
            )
            .entry("exp_alerts", Node::Seq(alerts))
            .build()
    };
    scenario(
        format!(
            "{}/{}: no error for an hour, then no series: the no-data alert waits {} and fires",
            slo.service, slo.name, no_data.for_
        ),
        slo,
        &vec![(OUTAGE_START.seconds() / 60, 0.0)],
        vec![
            check(last, false),
            check(firing_from - 3 * STEP.0, false),
            check(firing_from + 2 * STEP.0, true),
        ],
    )
}

/// How long 100% errors take to push a tier's fastest pair over its
/// threshold, taking the long window as full of good traffic before.
fn detection_time(tier: &AlertTier) -> Duration {
    let seconds = tier.time_to_fire(1.0).unwrap_or(f64::INFINITY);
    Duration(seconds.ceil() as u64)
}

fn round_up_to_minute(seconds: u64) -> u64 {
    seconds.div_ceil(60) * 60
}

/// Between the highest ticket and the lowest page threshold, from the start.
fn slow_burn(slo: &Slo, links: &Links) -> Option<Node> {
    let ticket = tier(slo, Severity::Ticket)?;
    let ticket_top = thresholds(ticket).fold(0.0, f64::max);
    let ratio = match tier(slo, Severity::Page) {
        Some(page) => {
            let page_floor = thresholds(page).fold(f64::INFINITY, f64::min);
            (ticket_top + page_floor.min(1.0)) / 2.0
        }
        None => (ticket_top + 1.0) / 2.0,
    };
    if ratio >= 1.0 || !reachable(ticket, ratio) {
        return None;
    }
    let at = Duration(Duration::hours(1).0 + ticket.for_.unwrap_or(Duration(0)).0);
    let minutes = at.seconds() / 60 + MARGIN.seconds() / 60;
    Some(scenario(
        format!(
            "{}/{}: slow burn at error ratio {} opens a ticket and does not page",
            slo.service,
            slo.name,
            fmt_short(ratio)
        ),
        slo,
        &vec![(minutes, ratio)],
        vec![alert_check(slo, at, &[ticket], links)],
    ))
}

fn tier(slo: &Slo, severity: Severity) -> Option<&AlertTier> {
    slo.alerting.tiers.iter().find(|t| t.severity == severity)
}

fn thresholds(tier: &AlertTier) -> impl Iterator<Item = f64> + '_ {
    tier.pairs.iter().map(|p| p.threshold)
}

fn all_thresholds(slo: &Slo) -> impl Iterator<Item = f64> + '_ {
    slo.alerting.tiers.iter().flat_map(thresholds)
}

/// A constant error ratio fires a tier when it exceeds any pair's threshold.
fn reachable(tier: &AlertTier, ratio: f64) -> bool {
    thresholds(tier).any(|t| ratio > t)
}

fn scenario(name: String, slo: &Slo, profile: &Profile, checks: Vec<Node>) -> Node {
    Node::map()
        .str("name", name)
        .str("interval", STEP.to_string())
        .entry("input_series", Node::Seq(input_series(slo, profile)))
        .entry("alert_rule_test", Node::Seq(checks))
        .build()
}

fn alert_check(slo: &Slo, at: Duration, firing: &[&AlertTier], links: &Links) -> Node {
    let alerts = firing
        .iter()
        .map(|tier| {
            Node::map()
                .entry("exp_labels", Node::labels(&alert_labels(slo, tier)))
                .entry(
                    "exp_annotations",
                    Node::labels(&alert_annotations(slo, tier, Intervals { interval: STEP, long: crate::model::settings::DEFAULT_LONG_INTERVAL }, links)),
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

fn input_series(slo: &Slo, profile: &Profile) -> Vec<Node> {
    let labels = slo.identity_labels();
    let series = |name: &str, labels: &BTreeMap<String, String>, values: String| {
        Node::map()
            .str("series", format!("{name}{}", label_set(labels)))
            .str("values", values)
            .build()
    };
    let all_events: Profile = profile.iter().map(|(minutes, _)| (*minutes, 1.0)).collect();
    let errors: Profile = profile.clone();
    match &slo.sli {
        Sli::Metric(MetricSli::Latency {
            histogram,
            selector_labels,
            threshold,
            ..
        }) => {
            if let Some(selector) = selector_labels {
                // Real counters: the bucket under the threshold grows by the good share.
                let good: Profile = profile.iter().map(|(m, r)| (*m, 1.0 - r)).collect();
                let mut bucket = selector.clone();
                bucket.insert("le".into(), format!("{threshold}"));
                let per_minute = EVENT_RATE * 60.0;
                return vec![
                    series(
                        &format!("{histogram}_count"),
                        selector,
                        counter(&all_events, per_minute),
                    ),
                    series(
                        &format!("{histogram}_bucket"),
                        &bucket,
                        counter(&good, per_minute),
                    ),
                ];
            }
            vec![
                series(names::ERRORS_RATE, &labels, gauge(&errors, EVENT_RATE)),
                series(names::EVENTS_RATE, &labels, gauge(&all_events, EVENT_RATE)),
            ]
        }
        // A log SLO's 5m rates come from the Loki ruler, so here, as for
        // events, the test feeds them directly.
        Sli::Metric(MetricSli::Events { .. }) | Sli::Logs(_) => vec![
            series(names::ERRORS_RATE, &labels, gauge(&errors, EVENT_RATE)),
            series(names::EVENTS_RATE, &labels, gauge(&all_events, EVENT_RATE)),
        ],
        Sli::Metric(MetricSli::Raw { .. }) => vec![series(
            &names::error_ratio(names::BASE_WINDOW),
            &labels,
            gauge(&errors, 1.0),
        )],
    }
}

/// promtool series notation for a value held per segment: `a+0xN b+0xM`.
/// `a+bxN` expands to N+1 samples, so a segment of N minutes is `a+0x(N-1)`.
fn gauge(profile: &Profile, scale: f64) -> String {
    profile
        .iter()
        .map(|(minutes, ratio)| {
            format!("{}+0x{}", fmt_num(ratio * scale), minutes.saturating_sub(1))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A counter growing by `ratio × per_minute` each minute of a segment.
fn counter(profile: &Profile, per_minute: f64) -> String {
    let mut value = 0.0;
    let mut parts = Vec::new();
    for (i, (minutes, ratio)) in profile.iter().enumerate() {
        let step = ratio * per_minute;
        // The first segment starts at 0; later ones continue one step on.
        let (start, count) = if i == 0 {
            (value, *minutes)
        } else {
            (value + step, minutes.saturating_sub(1))
        };
        parts.push(format!("{}+{}x{count}", fmt_num(start), fmt_num(step)));
        value = start + step * count as f64;
    }
    parts.join(" ")
}

fn label_set(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", names::promql_string(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_answers_without_data_is_told_from_what_does_not() {
        let answers =
            |q: &str| super::answers_without_data(&promql_parser::parser::parse(q).unwrap());
        for q in [
            "sum(rate(e[5m])) OR on() vector(0)",
            "sum(rate(e[5m])) or vector(0)",
            "absent(up)",
            "scalar(sum(up)) * 2",
            "vector(1) + 1",
            "sum_over_time((count(x < 0.75))[5m:]) OR on() vector(0)",
            "label_replace(vector(0), \"a\", \"b\", \"\", \"\")",
        ] {
            assert!(answers(q), "{q}");
        }
        for q in [
            "sum(rate(e[5m]))",
            "(sum(rate(e[5m]))) or (0 * (sum(rate(t[5m]))))",
            "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
            "sum(rate(e[5m])) / sum(rate(t[5m]))",
            "vector(1) and on() up",
            "sum(rate(e[5m])) unless on() vector(1)",
            "1 - sum(rate(e[5m]))",
        ] {
            assert!(!answers(q), "{q}");
        }
    }
}
