//! Loki ruler rule files for log SLOs: `rules/loki/<service>.yaml`.
//!
//! One group per log SLO that records only its 5m error and event rates,
//! under the same names and labels as a metric SLO's
//! (`slo:sli_errors:rate5m`, `slo:sli_events:rate5m`). The Loki ruler
//! remote-writes them to Prometheus (or Mimir), and from there a log SLO
//! takes the metric SLOs' path: windows as ratios of sums, burn rates,
//! alerts, promtool tests, dashboards and `status` (`prometheus.rs` skips
//! only the two rules recorded here).
//!
//! So Loki evaluates two 5m range queries per log SLO per interval, never
//! a multi-day scan: the ruler's local querier does not split, shard or
//! cache, and a rule over `[3d]` of ingress lines would not finish. The
//! file name is the ruler namespace.

use super::yaml::{self, Node};
use super::{Artifact, Kind, RuleGroups};
use crate::model::settings::{Layout, LokiTarget};
use crate::model::{names, Duration, LogSli, Service};

/// Each service's rule file, and (with Loki configured, as log SLOs
/// require) its ConfigMap for the Loki chart's ruler sidecar.
pub fn emit(
    services: &[Service],
    layout: &Layout,
    loki: Option<&LokiTarget>,
    interval: Duration,
) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for service in services.iter().filter(|s| s.log_slos().next().is_some()) {
        let groups = Node::Seq(groups(service, interval));
        let text = yaml::rule_file(service, groups.clone());
        if let Some(loki) = loki {
            artifacts.push(super::kubernetes::loki_rules(service, &text, layout, loki));
        }
        artifacts.push(Artifact {
            path: layout
                .loki_rules_dir()
                .join(format!("{}.yaml", service.name)),
            contents: text.into(),
            kind: Kind::LokiRules {
                service: service.name.clone(),
                groups: RuleGroups::new(groups),
            },
        });
    }
    artifacts
}

/// `interval`: the global evaluation interval, which a log SLO with
/// `min_errors` runs its group at, as a metric SLO's `sli` group does.
fn groups(service: &Service, interval: Duration) -> Vec<Node> {
    service
        .log_slos()
        .map(|(slo, sli)| {
            let labels = Node::shared(Node::labels(&slo.identity_labels()));
            let record = |name: &str, expr: String| {
                Node::map()
                    .str("record", name)
                    .str("expr", expr)
                    .entry("labels", labels.clone())
                    .build()
            };
            Node::map()
                .str("name", names::group(slo, "logs"))
                .opt_str(
                    "interval",
                    super::prometheus::counting_interval(slo, interval).map(|d| d.to_string()),
                )
                .entry(
                    "rules",
                    Node::Seq(vec![
                        record(names::ERRORS_RATE, errors_rate(sli)),
                        record(names::EVENTS_RATE, events_rate(sli)),
                    ]),
                )
                .build()
        })
        .collect()
}

/// Event lines per second over [`names::BASE_WINDOW`].
pub fn events_rate(sli: &LogSli) -> String {
    line_rate(&sli.events_query())
}

/// Error lines per second over [`names::BASE_WINDOW`], or 0 while there are
/// events but no error line: with no error series at all, a healthy
/// service would have no SLI, as `prometheus.rs` does for metric errors.
pub fn errors_rate(sli: &LogSli) -> String {
    format!(
        "({}) or (0 * {})",
        line_rate(&sli.errors_query()),
        events_rate(sli)
    )
}

fn line_rate(query: &str) -> String {
    format!("sum(rate({query} [{}]))", names::BASE_WINDOW)
}
