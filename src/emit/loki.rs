//! Loki ruler rule files for log SLOs: `rules/loki/<service>.yaml`.
//!
//! One group per log SLO, holding the same multi-window multi-burn-rate
//! alerts (tiers, labels, annotations, runbook link) as a Prometheus SLO.
//! Alert expressions must be LogQL and the Loki ruler cannot read series
//! recorded elsewhere, so every window's error ratio is computed from the
//! lines themselves: `count_over_time` of the error lines over that of the
//! total lines. The longest window an alert reads is 3d, inside Loki's
//! default `max_query_length` (721h). The file name is the ruler namespace.

use super::prometheus::{alert_annotations, alert_labels};
use super::yaml::{self, Node};
use super::{Artifact, EmitOptions};
use crate::model::{fmt_num, names, AlertTier, Duration, LogSource, Service, Sli, Slo};

pub fn emit(services: &[Service], options: &EmitOptions) -> Vec<Artifact> {
    services
        .iter()
        .filter(|service| {
            service
                .log_slos
                .iter()
                .any(|slo| !slo.alerting.tiers.is_empty())
        })
        .map(|service| Artifact {
            path: options
                .loki_rules_dir()
                .join(format!("{}.yaml", service.name)),
            contents: rule_file(service, options),
        })
        .collect()
}

fn rule_file(service: &Service, options: &EmitOptions) -> String {
    let groups: Vec<Node> = service
        .log_slos
        .iter()
        .filter(|slo| !slo.alerting.tiers.is_empty())
        .filter_map(|slo| {
            let (source, errors, total) = log_sli(service, slo)?;
            let rules = slo
                .alerting
                .tiers
                .iter()
                .map(|tier| {
                    let mut annotations = alert_annotations(slo, tier, options);
                    if !super::grafana::has_dashboard(service) {
                        annotations.remove("dashboard_url");
                    }
                    Node::map()
                        .str("alert", slo.alerting.name.as_str())
                        .str("expr", alert_expr(slo, tier, source, errors, total))
                        .opt_str("for", tier.for_.map(|d| d.to_string()))
                        .entry("labels", Node::labels(&alert_labels(slo, tier)))
                        .entry("annotations", Node::labels(&annotations))
                        .build()
                })
                .collect();
            Some(
                Node::map()
                    .str("name", names::group(slo, "logs"))
                    .entry("rules", Node::Seq(rules))
                    .build(),
            )
        })
        .collect();
    yaml::rule_file(&service.source, groups)
}

/// The log source and stages of a log SLO. The model guarantees the source
/// exists; `None` only guards against a hand-built model.
pub fn log_sli<'a>(
    service: &'a Service,
    slo: &'a Slo,
) -> Option<(&'a LogSource, &'a str, &'a str)> {
    match &slo.sli {
        Sli::Logs {
            source,
            errors,
            total,
        } => Some((service.log(source)?, errors, total)),
        _ => None,
    }
}

/// The error ratio of a log SLI over `window`, as a LogQL metric query.
pub fn error_ratio(source: &LogSource, errors: &str, total: &str, window: Duration) -> String {
    format!(
        "{}\n/\n{}",
        line_count(source, errors, window),
        line_count(source, total, window)
    )
}

/// The lines of `source` that pass `stages` over `window`.
pub fn line_count(source: &LogSource, stages: &str, window: Duration) -> String {
    format!("sum(count_over_time({} [{window}]))", source.logql(stages))
}

/// `(long > t and short > t) or (…)`, as in the Prometheus alerts.
fn alert_expr(
    slo: &Slo,
    tier: &AlertTier,
    source: &LogSource,
    errors: &str,
    total: &str,
) -> String {
    let budget = fmt_num(slo.error_budget());
    tier.pairs
        .iter()
        .map(|pair| {
            let factor = fmt_num(pair.factor(slo.period));
            let over = |window| {
                format!(
                    "(\n{}\n) > ({factor} * {budget})",
                    error_ratio(source, errors, total, window)
                )
            };
            format!("(\n{}\nand\n{}\n)", over(pair.long), over(pair.short))
        })
        .collect::<Vec<_>>()
        .join("\nor\n")
}
