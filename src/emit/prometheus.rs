//! Prometheus rule files: `rules/<service>.yaml`.
//!
//! Per SLO, three groups:
//! - `…:sli` records the error and event rates over 5m from the user's
//!   queries, then derives every error ratio from those two series. Long
//!   windows are `sum_over_time(errors) / sum_over_time(events)`: a true
//!   ratio of sums (each event weighs the same, unlike Sloth's average of 5m
//!   ratios) that reads two pre-aggregated series instead of re-scanning raw
//!   series over 30 days. Raw SLIs have no event counts: their 5m ratio is
//!   averaged over time, which is exact for time-based SLIs (share of
//!   minutes bad) and the reason request ratios belong in `events`.
//! - `…:meta` records objective, budget, burn rates and budget remaining.
//! - `…:alerts` holds one multi-window multi-burn-rate alert per tier.

use std::collections::BTreeMap;

use super::yaml::{self, Node};
use super::{Artifact, EmitOptions};
use crate::model::{fmt_num, fmt_short, humanize, names, AlertTier, Service, Sli, Slo};

pub fn emit(services: &[Service], options: &EmitOptions) -> Vec<Artifact> {
    services
        .iter()
        .filter(|service| !service.slos.is_empty())
        .map(|service| Artifact {
            path: options.rules_dir.join(format!("{}.yaml", service.name)),
            contents: rule_file(service, options),
        })
        .collect()
}

fn rule_file(service: &Service, options: &EmitOptions) -> String {
    let groups: Vec<Node> = service
        .slos
        .iter()
        .flat_map(|slo| {
            let mut groups = vec![sli_group(slo), meta_group(slo)];
            if !slo.alerting.tiers.is_empty() {
                groups.push(alert_group(slo, options));
            }
            groups
        })
        .collect();
    yaml::rule_file(&service.source, groups)
}

fn record(name: &str, expr: String, labels: &Node) -> Node {
    Node::map()
        .str("record", name)
        .str("expr", expr)
        .non_empty("labels", labels.clone())
        .build()
}

/// A rule's labels, built once per SLO and shared by its rules.
fn shared_labels(labels: &BTreeMap<String, String>) -> Node {
    Node::shared(Node::labels(labels))
}

fn group(name: String, rules: Vec<Node>) -> Node {
    Node::map()
        .str("name", name)
        .entry("rules", Node::Seq(rules))
        .build()
}

fn sli_group(slo: &Slo) -> Node {
    let labels = shared_labels(&slo.identity_labels());
    let selector = names::selector(slo);
    let base = names::BASE_WINDOW;
    let mut rules = Vec::new();
    if let Some((errors, total)) = slo.sli.event_queries() {
        let errors_expr = match slo.sli {
            // Client libraries create an error series only once the first
            // error happens; without this a healthy service has no SLI.
            Sli::Events { .. } => {
                format!("({}) or (0 * ({}))", errors.at(base), total.at(base))
            }
            _ => errors.at(base),
        };
        rules.push(record(names::ERRORS_RATE, errors_expr, &labels));
        rules.push(record(names::EVENTS_RATE, total.at(base), &labels));
    }
    // A log SLI's two 5m rates come from the Loki ruler (`loki.rs`).
    for window in slo.windows() {
        let expr = match &slo.sli {
            Sli::Raw { error_ratio } if window == base => error_ratio.at(base),
            Sli::Raw { .. } => format!(
                "avg_over_time({}{selector}[{window}])",
                names::error_ratio(base)
            ),
            _ if window == base => format!(
                "{}{selector} / {}{selector}",
                names::ERRORS_RATE,
                names::EVENTS_RATE
            ),
            _ => format!(
                "sum_over_time({}{selector}[{window}]) / sum_over_time({}{selector}[{window}])",
                names::ERRORS_RATE,
                names::EVENTS_RATE
            ),
        };
        rules.push(record(&names::error_ratio(window), expr, &labels));
    }
    group(names::group(slo, "sli"), rules)
}

fn meta_group(slo: &Slo) -> Node {
    let identity = slo.identity_labels();
    let labels = shared_labels(&identity);
    let selector = names::selector(slo);
    let budget = fmt_num(slo.error_budget());
    let mut info_labels = identity;
    info_labels.insert("objective".into(), fmt_num(slo.objective));
    info_labels.insert("window".into(), slo.period.to_string());
    info_labels.insert("sli".into(), slo.sli.kind().into());
    info_labels.insert(names::ALERTING_LABEL.into(), alerting_value(slo));
    let rules = vec![
        record(
            names::OBJECTIVE,
            format!("vector({})", fmt_num(slo.objective_ratio())),
            &labels,
        ),
        record(names::ERROR_BUDGET, format!("vector({budget})"), &labels),
        record(
            names::TIME_PERIOD_DAYS,
            format!("vector({})", slo.period.seconds() / 86_400),
            &labels,
        ),
        record(
            names::CURRENT_BURN_RATE,
            format!(
                "{}{selector} / {budget}",
                names::error_ratio(names::CURRENT_BURN_WINDOW)
            ),
            &labels,
        ),
        record(
            names::PERIOD_BURN_RATE,
            format!("{}{selector} / {budget}", names::error_ratio(slo.period)),
            &labels,
        ),
        record(
            names::PERIOD_BUDGET_REMAINING,
            format!("1 - {}{selector}", names::PERIOD_BURN_RATE),
            &labels,
        ),
        record(names::INFO, "vector(1)".into(), &Node::labels(&info_labels)),
    ];
    group(names::group(slo, "meta"), rules)
}

/// The enabled tiers, for the info series: `page,ticket`, …, or `off`.
pub fn alerting_value(slo: &Slo) -> String {
    let tiers: Vec<&str> = slo
        .alerting
        .tiers
        .iter()
        .map(|tier| tier.severity.as_str())
        .collect();
    if tiers.is_empty() {
        "off".into()
    } else {
        tiers.join(",")
    }
}

fn alert_group(slo: &Slo, options: &EmitOptions) -> Node {
    let rules = slo
        .alerting
        .tiers
        .iter()
        .map(|tier| {
            Node::map()
                .str("alert", slo.alerting.name.as_str())
                .str("expr", alert_expr(slo, tier))
                .opt_str("for", tier.for_.map(|d| d.to_string()))
                .entry("labels", Node::labels(&alert_labels(slo, tier)))
                .entry(
                    "annotations",
                    Node::labels(&alert_annotations(slo, tier, options)),
                )
                .build()
        })
        .collect();
    group(names::group(slo, "alerts"), rules)
}

/// `(long > t and short > t) or (…)`, one clause per window pair.
pub fn alert_expr(slo: &Slo, tier: &AlertTier) -> String {
    let selector = names::selector(slo);
    let budget = fmt_num(slo.error_budget());
    tier.pairs
        .iter()
        .map(|pair| {
            let factor = fmt_num(pair.factor(slo.period));
            let over = |window| {
                format!(
                    "{}{selector} > ({factor} * {budget})",
                    names::error_ratio(window)
                )
            };
            format!("(\n  {}\n  and\n  {}\n)", over(pair.long), over(pair.short))
        })
        .collect::<Vec<_>>()
        .join("\nor\n")
}

/// Every label the alert carries: the SLO's series labels, then alerting,
/// tier and severity labels.
pub fn alert_labels(slo: &Slo, tier: &AlertTier) -> BTreeMap<String, String> {
    let mut labels = slo.identity_labels();
    labels.extend(slo.alerting.labels.clone());
    labels.extend(tier.labels.clone());
    labels.insert("severity".into(), tier.severity_label.clone());
    labels.insert(names::TIER_LABEL.into(), tier.severity.as_str().into());
    labels
}

/// Static text, so promtool tests can assert it exactly.
pub fn alert_annotations(
    slo: &Slo,
    tier: &AlertTier,
    options: &EmitOptions,
) -> BTreeMap<String, String> {
    let budget = slo.error_budget();
    let pairs: Vec<String> = tier
        .pairs
        .iter()
        .map(|p| {
            format!(
                "{}x over {} and {}",
                fmt_num(p.factor(slo.period)),
                p.long,
                p.short
            )
        })
        .collect();
    let fastest = tier
        .pairs
        .iter()
        .map(|p| p.factor(slo.period))
        .fold(0.0_f64, f64::max);
    let exhaust = slo.period.seconds() as f64 / fastest;
    let speed = match tier.severity {
        crate::model::Severity::Page => "fast",
        crate::model::Severity::Ticket => "steadily",
    };
    let mut description = format!(
        "The {} SLO of {} ({}% over {}, error budget {}) is burning its error budget at {}. At {}x the whole budget is spent in {}.",
        slo.name,
        slo.service,
        fmt_num(slo.objective),
        slo.period,
        fmt_num(budget),
        pairs.join(", or "),
        fmt_short(fastest),
        humanize(exhaust),
    );
    if let Some(text) = &slo.description {
        description.push_str(&format!(" SLO: {}", text.trim()));
    }
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "summary".to_string(),
        format!(
            "{}/{} is burning its error budget {speed} ({})",
            slo.service,
            slo.name,
            tier.severity.as_str()
        ),
    );
    annotations.insert("description".to_string(), description);
    if let Some(url) = &slo.alerting.runbook_url {
        annotations.insert("runbook_url".to_string(), url.clone());
    }
    if let Some(grafana) = &options.grafana.url {
        annotations.insert(
            "dashboard_url".to_string(),
            format!("{grafana}{}", super::grafana::dashboard_path(&slo.service)),
        );
    }
    annotations
}
