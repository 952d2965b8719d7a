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
//! - Prometheus's retention (`GET /api/v1/status/runtimeinfo`,
//!   `storageRetention`) must cover the longest SLO window, or the budget
//!   silently covers only what is kept, and twice it, or the budget
//!   burndown's left edge is empty (warnings, naming the numbers). A
//!   size-only retention, or a backend without `runtimeinfo` (Mimir,
//!   Thanos), gets a note: lookout cannot tell.
//!
//! - a log SLI's 5m counts are recorded by the Loki ruler and
//!   remote-written to Prometheus: when Prometheus has none, the finding
//!   says which half is missing, the ruler rules (`loki` is not pushed: an
//!   error, as the SLO could never fire) or the remote-written series (a
//!   warning: the ruler may not have evaluated yet).
//!
//! The log queries themselves are Loki's, and are not checked here.

use promql_parser::parser::{self, Expr};

use super::http::{segment, Endpoint};
use crate::diag::{Diagnostic, Span};
use crate::model::query::{self, substitute_grafana_variables};
use crate::model::{names, Duration, MetricSli, Model, Slo};

/// Runs every check; the diagnostics found, or an error when Prometheus
/// cannot be asked at all. `log_rules` says how log SLOs' Loki rules reach
/// the ruler.
pub fn preflight(
    model: &Model,
    endpoint: &Endpoint,
    log_rules: LogRules,
) -> Result<Vec<Diagnostic>, String> {
    let prometheus = Live { endpoint };
    let mut findings = prometheus.retention(model)?;
    for service in &model.services {
        for slo in &service.slos {
            prometheus.check_sli(slo, &mut findings)?;
        }
        if let Some(canary) = &service.canary {
            prometheus.check_canary(service, canary, &mut findings)?;
        }
        for (slo, _) in service.log_slos() {
            let recorded = format!("{}{}", names::EVENTS_RATE, names::selector(slo));
            if !prometheus.query(&format!("count({recorded})"))?.is_empty() {
                continue;
            }
            findings.push(log_half_missing(slo, &service.name, log_rules, &recorded));
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

/// How a project's Loki ruler rules (`rules/loki/`) reach the ruler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRules {
    /// `apply` pushes them: `loki` is a push target.
    Pushed,
    /// Nothing lookout runs pushes them; GitOps may deliver the ConfigMaps.
    NotPushed,
}

/// A log SLO whose recorded 5m counts Prometheus lacks: which half is
/// missing, the Loki ruler's rules or the series it remote-writes.
fn log_half_missing(slo: &Slo, service: &str, log_rules: LogRules, recorded: &str) -> Diagnostic {
    let file = format!("rules/loki/{service}.yaml");
    match log_rules {
        LogRules::NotPushed => Diagnostic::error(
            "live::log-rules-not-pushed",
            format!(
                "Prometheus has no `{recorded}`: this log SLO's 5m counts are recorded by the Loki ruler, and `loki` is not in lookout.yaml's `push:`, so `apply` never sends {file}"
            ),
        )
        .at_opt(slo.locations.sli)
        .help(format!(
            "add `loki` to `push:` (with `loki.url`), or deliver kubernetes/loki-rules/{service}.yaml to the Loki chart's ruler sidecar; until then {}/{} can never fire",
            slo.service, slo.name
        )),
        LogRules::Pushed => Diagnostic::warning(
            "live::log-series-missing",
            format!(
                "Prometheus has no `{recorded}`: the Loki ruler records this log SLO's 5m counts ({file}) and remote-writes them, and none has arrived"
            ),
        )
        .at_opt(slo.locations.sli)
        .help(
            "right after `apply`, wait one ruler evaluation; otherwise check that the ruler loaded the rules (`lookout plan --only loki`) and that its remote_write reaches this Prometheus (which needs --web.enable-remote-write-receiver)",
        ),
    }
}

struct Live<'a> {
    endpoint: &'a Endpoint,
}

/// What Prometheus's `storageRetention` says it keeps: `15d`, `50GiB`, or
/// `15d or 50GiB` (web/api/v1: time, size, or both).
#[derive(Debug, PartialEq)]
enum Retention {
    Time(Duration),
    SizeOnly(String),
    Unreadable(String),
}

fn retention_of(text: &str) -> Retention {
    let mut size = None;
    for part in text.split(" or ").map(str::trim) {
        if part.ends_with('B') {
            size = Some(part.to_string());
        } else if let Some(duration) = retention_duration(part) {
            return Retention::Time(duration);
        } else {
            return Retention::Unreadable(text.to_string());
        }
    }
    size.map_or_else(
        || Retention::Unreadable(text.to_string()),
        Retention::SizeOnly,
    )
}

/// A Prometheus duration as `model.Duration` prints it, years (365d) too.
fn retention_duration(text: &str) -> Option<Duration> {
    let (years, rest) = match text.split_once('y') {
        Some((years, rest)) => (years.parse::<u64>().ok()?, rest),
        None => (0, text),
    };
    let rest = if rest.is_empty() {
        Duration(0)
    } else {
        Duration::parse_prometheus(rest)?
    };
    Some(Duration(years * 365 * 86_400 + rest.0))
}

impl Live<'_> {
    /// Retention against the windows: one finding per window it cuts short.
    fn retention(&self, model: &Model) -> Result<Vec<Diagnostic>, String> {
        let slos: Vec<&Slo> = model.services.iter().flat_map(|s| &s.slos).collect();
        let Some(longest) = slos.iter().map(|slo| slo.period).max() else {
            return Ok(Vec::new());
        };
        let response = self
            .endpoint
            .get("/api/v1/status/runtimeinfo")
            .map_err(|e| e.to_string())?;
        let reported = response
            .is_success()
            .then(|| response.json().ok())
            .flatten()
            .and_then(|body| body["data"]["storageRetention"].as_str().map(String::from));
        let unknown = |why: String| {
            Diagnostic::note("live::retention-unknown", why).help(format!(
                "make sure the backend keeps at least {longest} (the longest SLO window), and {} for the burndown's left edge",
                Duration(longest.0 * 2)
            ))
        };
        let kept = match reported.as_deref().map(retention_of) {
            None => {
                return Ok(vec![unknown(format!(
                    "Prometheus reports no retention (GET /api/v1/status/runtimeinfo: HTTP {}); Mimir, Thanos and other backends do not",
                    response.status
                ))])
            }
            Some(Retention::SizeOnly(size)) => {
                return Ok(vec![unknown(format!(
                    "Prometheus keeps data by size only ({size}): how many days that holds is not known here"
                ))])
            }
            Some(Retention::Unreadable(text)) => {
                return Ok(vec![unknown(format!(
                    "Prometheus reports a retention lookout cannot read: `{text}`"
                ))])
            }
            Some(Retention::Time(kept)) => kept,
        };
        // One finding per window, at the first SLO that has it.
        let mut findings = Vec::new();
        let mut windows: Vec<Duration> = slos.iter().map(|slo| slo.period).collect();
        windows.sort_unstable();
        windows.dedup();
        for window in windows.into_iter().rev() {
            let with: Vec<&&Slo> = slos.iter().filter(|slo| slo.period == window).collect();
            let first = with[0];
            let others = match with.len() - 1 {
                0 => String::new(),
                n => format!(
                    " (and {n} more SLO{} with a {window} window)",
                    if n == 1 { "" } else { "s" }
                ),
            };
            let at = first.locations.window.or(first.locations.sli);
            let window_is = if first.locations.window.is_some() {
                format!("{window} window")
            } else {
                format!("{window} window (the default)")
            };
            if kept < window {
                findings.push(
                    Diagnostic::warning(
                        "live::retention-short",
                        format!(
                            "Prometheus keeps {kept} of data, less than this SLO's {window_is}{others}: its error budget covers only the last {kept}"
                        ),
                    )
                    .at_opt(at)
                    .help(format!(
                        "raise Prometheus's retention (--storage.tsdb.retention.time, kube-prometheus-stack's prometheus.prometheusSpec.retention) to at least {window}, {} for the budget burndown, or shorten the window",
                        Duration(window.0 * 2)
                    )),
                );
            } else if kept.0 < window.0 * 2 {
                findings.push(
                    Diagnostic::warning(
                        "live::retention-short",
                        format!(
                            "Prometheus keeps {kept} of data, less than twice this SLO's {window_is}{others}: the budget burndown, which looks back {}, starts empty",
                            Duration(window.0 * 2)
                        ),
                    )
                    .at_opt(at)
                    .help(format!(
                        "raise Prometheus's retention (--storage.tsdb.retention.time) to {}",
                        Duration(window.0 * 2)
                    )),
                );
            }
        }
        Ok(findings)
    }

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
        self.check_groups(slo, metric, findings)?;
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

    /// A grouped SLO's groups are the user's series to pay for: each has
    /// its own rules' series and alerts. Over [`MANY_GROUPS`], say how many.
    fn check_groups(
        &self,
        slo: &Slo,
        metric: &MetricSli,
        findings: &mut Vec<Diagnostic>,
    ) -> Result<(), String> {
        if slo.group_by.is_empty() {
            return Ok(());
        }
        let (query, location) = match metric {
            MetricSli::Events { total, .. } | MetricSli::Latency { total, .. } => (
                total.at(names::BASE_WINDOW),
                slo.locations.total.or(slo.locations.histogram),
            ),
            MetricSli::Raw { error_ratio } => (
                error_ratio.at(names::BASE_WINDOW),
                slo.locations.error_ratio,
            ),
        };
        let groups = self
            .query(&format!("count({query})"))?
            .first()
            .and_then(|sample| sample["value"][1].as_str()?.parse::<f64>().ok())
            .unwrap_or(0.0) as u64;
        if groups > MANY_GROUPS {
            findings.push(
                Diagnostic::warning(
                    "live::many-groups",
                    format!(
                        "{}/{} has {groups} groups by ({}) right now: each records its own series (about 16 per group) and pages on its own",
                        slo.service,
                        slo.name,
                        slo.group_by.join(", ")
                    ),
                )
                .at_opt(location)
                .help("group by a label with fewer values (a route, not a URL; a tenant tier, not a user), or aggregate the rare ones away in the query"),
            );
        }
        Ok(())
    }

    /// A canary matcher selects by labels the scrape must put on the SLI's
    /// series (the pod-template hash only arrives through the
    /// ServiceMonitor's `podTargetLabels`): a label on none of a selector's
    /// series means every canary measurement reads nothing.
    fn check_canary(
        &self,
        service: &crate::model::Service,
        canary: &crate::model::canary::Canary,
        findings: &mut Vec<Diagnostic>,
    ) -> Result<(), String> {
        let matchers = canary.argo.iter().chain(&canary.flagger);
        let gated = canary
            .gates
            .iter()
            .filter_map(|gate| service.slos.iter().find(|slo| slo.name == gate.slo));
        let mut scoped: Vec<String> = Vec::new();
        for slo in gated {
            if let Some((errors, total)) = slo.sli.event_queries() {
                scoped.extend(selectors(&errors.at(names::BASE_WINDOW)));
                scoped.extend(selectors(&total.at(names::BASE_WINDOW)));
            }
        }
        scoped.sort();
        scoped.dedup();
        for matcher in matchers {
            for label in &matcher.labels {
                for selector in &scoped {
                    if self.query(&format!("count({selector})"))?.is_empty() {
                        continue; // reported as live::no-series
                    }
                    let with_label = query::parse_matchers(&format!("{label}!=\"\""))
                        .and_then(|m| query::add_matchers(selector, &m))?;
                    if !self.query(&format!("count({with_label})"))?.is_empty() {
                        continue;
                    }
                    findings.push(
                        Diagnostic::warning(
                            "live::canary-label-missing",
                            format!("no series of `{selector}` has the label `{label}`, so the canary analysis of {} reads nothing", service.name),
                        )
                        .at_opt(matcher.location)
                        .help("the scrape must put it on the target: for Argo Rollouts, `podTargetLabels: [rollouts-pod-template-hash]` in the ServiceMonitor (see lookout's book, Canary analysis)"),
                    );
                }
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

/// More groups than this in one grouped SLO is warned about.
pub const MANY_GROUPS: u64 = 100;

/// The vector selectors of a query, as PromQL text.
pub(crate) fn selectors(query: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_read_as_prometheus_prints_it() {
        let days = |n| Retention::Time(Duration::days(n));
        assert_eq!(retention_of("15d"), days(15));
        assert_eq!(retention_of("1y"), days(365));
        assert_eq!(retention_of("1y30d"), days(395));
        assert_eq!(retention_of("4w2d"), days(30));
        assert_eq!(retention_of("10d or 50GiB"), days(10));
        assert_eq!(retention_of("50GiB"), Retention::SizeOnly("50GiB".into()));
        assert!(matches!(retention_of("forever"), Retention::Unreadable(_)));
    }
}
