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

use super::yaml::{self, Node};
use super::{generated_header, Artifact};
use crate::model::detection::Evaluation;
use crate::model::settings::{Layout, Links, PrometheusSettings};
use crate::model::{names, Duration, MetricSli, Service, Sli, Slo};

mod checks;
mod scenarios;
mod series;

use scenarios::{Part, Tests};

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
                super::prometheus::groups_fed_by_tests(service, prometheus.evaluation(), links);
            artifacts.push(Artifact::file(
                dir.join(&name),
                yaml::rule_file(service, groups),
            ));
            name
        } else {
            format!("../{}.yaml", service.name)
        };
        let intervals = prometheus.evaluation();
        artifacts.push(Artifact::file(
            dir.join(format!("{}.test.yaml", service.name)),
            test_file(service, intervals, links, &rules),
        ));
        if let Some(text) = long_test_file(service, intervals, links, &rules) {
            artifacts.push(Artifact::file(
                dir.join(format!("{}.long.test.yaml", service.name)),
                text,
            ));
        }
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

fn test_file(service: &Service, intervals: Evaluation, links: &Links, rules: &str) -> String {
    let step = intervals.interval;
    let mut tests = Vec::new();
    let mut notes = Vec::new();
    for slo in service.slos.iter().filter(|s| !s.alerting.tiers.is_empty()) {
        let t = Tests {
            slo,
            links,
            intervals,
            eval_step: step,
        };
        tests.push(t.healthy());
        tests.push(t.outage());
        if let Some(no_data) = &slo.alerting.no_data {
            tests.push(t.data_stops(no_data));
        }
        match t.slow_burn() {
            Some(test) => tests.push(test),
            None => notes.push(format!(
                "{}/{}: no slow-burn test; it needs an enabled ticket tier whose threshold is reachable below the page threshold",
                slo.service, slo.name
            )),
        }
        tests.extend(t.explained());
        if slo.alerting.min_errors > 0 {
            tests.extend(t.low_traffic());
        }
    }
    let mut lines = vec![format!(
        "Every group runs at {step} here (promtool's one interval): see lookout's book, \"Investigating an SLO: explain\", for how the tests allow for the long group's."
    )];
    lines.extend(notes);
    test_document(service, lines, rules, step, intervals, tests)
}

/// A test file: its header (the `notes` after the generated lines), the
/// rules it loads, its one evaluation interval, and the scenarios merged
/// (their series a sample every global interval).
fn test_document(
    service: &Service,
    notes: Vec<String>,
    rules: &str,
    evaluation_interval: Duration,
    intervals: Evaluation,
    parts: Vec<Part>,
) -> String {
    let mut header = generated_header(&service.source);
    header.push("Run: promtool test rules <this file>".into());
    header.extend(notes);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let doc = Node::map()
        .entry("rule_files", Node::Seq(vec![Node::str(rules)]))
        .str("evaluation_interval", evaluation_interval.to_string())
        .entry("tests", Node::Seq(merge(parts, intervals.interval)))
        .build();
    yaml::document(&header, &doc)
}

/// The scenarios, parts with one key merged where the first stood. A
/// merged scenario's name lists its SLOs before the first `: `, which is
/// where `lookout test` reads which SLOs failed.
fn merge(parts: Vec<Part>, step: Duration) -> Vec<Node> {
    let mut order: Vec<Vec<Part>> = Vec::new();
    for part in parts {
        match order
            .iter_mut()
            .find(|group| part.key.is_some() && group[0].key == part.key)
        {
            Some(group) => group.push(part),
            None => order.push(vec![part]),
        }
    }
    order
        .into_iter()
        .map(|group| {
            let slos: Vec<&str> = group.iter().map(|p| p.slo.as_str()).collect();
            let what: Vec<String> = if group.len() == 1 {
                vec![group[0].what.clone()]
            } else {
                group
                    .iter()
                    .map(|p| format!("{} {}", p.slo, p.what))
                    .collect()
            };
            let name = format!("{}: {}", slos.join(", "), what.join("; "));
            let mut series = Vec::new();
            let (mut alerts, mut exprs) = (Vec::new(), Vec::new());
            for part in group {
                series.extend(part.series);
                alerts.extend(part.alerts);
                exprs.extend(part.exprs);
            }
            Node::map()
                .str("name", name)
                .str("interval", step.to_string())
                .entry("input_series", Node::Seq(series))
                .non_empty("alert_rule_test", Node::Seq(alerts))
                .non_empty("promql_expr_test", Node::Seq(exprs))
                .build()
        })
        .collect()
}

/// The explain scenarios of the tiers the `long` group evaluates, in a
/// file of their own evaluated at `long_interval`, as production does:
/// they need days of history, and at one step a minute promtool would
/// take minutes over them.
fn long_test_file(
    service: &Service,
    intervals: Evaluation,
    links: &Links,
    rules: &str,
) -> Option<String> {
    if intervals.long_interval == intervals.interval {
        return None;
    }
    let tests: Vec<Part> = service
        .slos
        .iter()
        .filter(|s| !s.alerting.tiers.is_empty())
        .flat_map(|slo| {
            Tests {
                slo,
                links,
                intervals,
                eval_step: intervals.long_interval,
            }
            .explained()
        })
        .collect();
    if tests.is_empty() {
        return None;
    }
    let note = format!(
        "The tiers the long group evaluates, at its {} (the 5m rates still every {}): see lookout's book, \"Investigating an SLO: explain\".",
        intervals.long_interval, intervals.interval
    );
    Some(test_document(
        service,
        vec![note],
        rules,
        intervals.long_interval,
        intervals,
        tests,
    ))
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
