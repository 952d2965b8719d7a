//! Prometheus rule files: `rules/<service>.yaml`.
//!
//! Per SLO, rules are laid out by how often their value can change, because
//! a Prometheus pays a fixed cost per rule evaluation that dominates what
//! these rules read (see the book, `docs/src/explanation/evaluation-cost.md`):
//! - `…:sli`, at the global interval: the error and event rates over 5m
//!   from the user's queries, the error ratios over windows shorter than
//!   [`LONG_WINDOW_FROM`](crate::model::LONG_WINDOW_FROM), and the alert tiers that read such a window.
//!   Long windows are `sum_over_time(errors) / sum_over_time(events)`: a
//!   true ratio of sums (each event weighs the same, unlike Sloth's average
//!   of 5m ratios) that reads two pre-aggregated series instead of
//!   re-scanning raw series. Raw SLIs have no event counts: their 5m ratio
//!   is averaged over time, which is exact for time-based SLIs (share of
//!   minutes bad) and the reason request ratios belong in `events`.
//! - `…:long`, every [`DEFAULT_LONG_INTERVAL`](crate::model::settings::DEFAULT_LONG_INTERVAL) (configurable): the longer
//!   windows (a 2h window moves by at most 4% in 5m), burn rates, the
//!   objective (which carries the SLO's metadata as labels, so no info
//!   series costs a rule of its own), the period, and the alert tiers whose
//!   windows are all long. Every long window is summed from tiles: the sums
//!   of the 5m rates over each interval, recorded first in the group (a 3d
//!   window reads 864 tiles instead of 4,320 rates, 30d 8,640 instead of
//!   43,200). Tiles partition the rate samples (the two groups evaluate at
//!   different offsets), so the sums are the same; and a ratio of tile sums
//!   does not depend on how often tiles are recorded, so it holds under
//!   promtool, which evaluates every group at one interval.
//!
//! A fast alert reads long windows through `last_over_time(…[2 × the long
//! interval])`, so a late `long` evaluation never blanks a condition
//! (which would reset `for:` or resolve a firing alert).

mod calendar;

use crate::model::detection::Evaluation;
use std::collections::BTreeMap;

use super::yaml::{self, Node};
use super::{Artifact, Kind, RuleGroups};
use crate::model::settings::{Layout, Links, PrometheusSettings};
use crate::model::{
    fmt_num, fmt_short, humanize, names, AlertTier, AlertWindow, Duration, MetricSli, Service, Sli,
    Slo, ThinData, LONG_WINDOW_FROM,
};

/// Each service's rule file, and the same groups as a PrometheusRule object
/// for the Prometheus Operator (`kubernetes.rs`), so the two never differ.
pub fn emit(
    services: &[Service],
    layout: &Layout,
    prometheus: &PrometheusSettings,
    links: &Links,
) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for service in services.iter().filter(|service| !service.slos.is_empty()) {
        let groups: Vec<Node> = service
            .slos
            .iter()
            .flat_map(|slo| slo_groups(slo, prometheus.evaluation(), links, true))
            .collect();
        // Shared: written once for the rule file, then shifted into the
        // PrometheusRule's `spec` rather than written again.
        let groups = Node::shared(Node::Seq(groups));
        let contents = yaml::rule_file(service, groups.clone());
        artifacts.push(super::kubernetes::prometheus_rule(
            service,
            groups.clone(),
            layout,
            prometheus,
        ));
        // The kind keeps the groups; not their text, which the file holds.
        groups.forget_rendered();
        let rule_file = Artifact {
            path: layout.rules.join(format!("{}.yaml", service.name)),
            contents: contents.into(),
            kind: Kind::PrometheusRules {
                service: service.name.clone(),
                groups: RuleGroups::new(groups),
            },
        };
        artifacts.push(rule_file);
    }
    artifacts
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

fn group(name: String, interval: Option<Duration>, rules: Vec<Node>) -> Node {
    Node::map()
        .str("name", name)
        .opt_str("interval", interval.map(|d| d.to_string()))
        .entry("rules", Node::Seq(rules))
        .build()
}

/// The service's rule groups without the SLIs' 5m error and event
/// records, which promtool tests feed as input: for a query that answers
/// without data (`… or vector(0)`), loading those records as well would
/// write a second sample of the same series ("duplicate sample").
pub(super) fn groups_fed_by_tests(service: &Service, intervals: Evaluation, links: &Links) -> Node {
    Node::Seq(
        service
            .slos
            .iter()
            .flat_map(|slo| slo_groups(slo, intervals, links, false))
            .collect(),
    )
}

/// The expressions of an SLI's two recorded 5m rates, errors and events,
/// for SLIs with event counts over metrics: what every window is summed
/// from (and what `backtest` replays).
pub fn base_rates(slo: &Slo) -> Option<(String, String)> {
    let (errors, total) = slo.sli.event_queries()?;
    let base = names::BASE_WINDOW;
    let errors_expr = match slo.sli {
        // Client libraries create an error series only once the first
        // error happens; without this a healthy service has no SLI.
        Sli::Metric(MetricSli::Events { .. }) => {
            format!("({}) or (0 * ({}))", errors.at(base), total.at(base))
        }
        _ => errors.at(base),
    };
    Some((errors_expr, total.at(base)))
}

fn slo_groups(slo: &Slo, intervals: Evaluation, links: &Links, base_records: bool) -> Vec<Node> {
    let Evaluation {
        interval,
        long_interval,
    } = intervals;
    let tile = long_interval;
    let labels = shared_labels(&slo.identity_labels());
    let selector = names::selector(slo);
    let base = names::BASE_WINDOW;
    let budget = fmt_num(slo.error_budget());
    let (mut fast, mut long) = (Vec::new(), Vec::new());
    if let Some((errors_expr, events_expr)) = base_rates(slo) {
        if base_records {
            fast.push(record(names::ERRORS_RATE, errors_expr, &labels));
            fast.push(record(names::EVENTS_RATE, events_expr, &labels));
        }
    }
    // A log SLI's two 5m rates come from the Loki ruler (`loki.rs`).
    let raw = slo.sli.is_raw();
    // The tiles every long window is summed from: recorded first in the
    // long group, so each evaluation reads its own fresh tile.
    let tile_rule = if raw {
        record(
            names::RAW_TILE,
            format!(
                "avg_over_time({}{selector}[{tile}])",
                names::error_ratio(base)
            ),
            &labels,
        )
    } else {
        let part = |series: &str, part: &str| {
            format!(
                "label_replace(sum_over_time({series}{selector}[{tile}]), \"{}\", \"{part}\", \"\", \"\")",
                names::TILE_PART_LABEL
            )
        };
        record(
            names::RATES_TILE,
            format!(
                "{} or {}",
                part(names::ERRORS_RATE, "errors"),
                part(names::EVENTS_RATE, "events")
            ),
            &labels,
        )
    };
    long.push(tile_rule);
    let from_tiles = |window: Duration| {
        if raw {
            return format!("avg_over_time({}{selector}[{window}])", names::RAW_TILE);
        }
        let part = |part: &str| {
            format!(
                "sum_over_time({}{{service={},slo={},{}=\"{part}\"}}[{window}])",
                names::RATES_TILE,
                names::promql_string(&slo.service),
                names::promql_string(&slo.name),
                names::TILE_PART_LABEL,
            )
        };
        format!(
            "{} / ignoring ({}) {}",
            part("errors"),
            names::TILE_PART_LABEL,
            part("events")
        )
    };
    for window in slo.windows() {
        let is_long = window >= LONG_WINDOW_FROM;
        let expr = match &slo.sli {
            Sli::Metric(MetricSli::Raw { error_ratio }) if window == base => error_ratio.at(base),
            _ if is_long => from_tiles(window),
            Sli::Metric(MetricSli::Raw { .. }) => format!(
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
        // A raw SLI's 5m ratio is the tests' input, as the 5m rates are.
        let fed_by_tests = raw && window == base;
        if fed_by_tests && !base_records {
            continue;
        }
        let rule = record(&names::error_ratio(window), expr, &labels);
        if is_long {
            long.push(rule);
        } else {
            fast.push(rule);
        }
    }
    long.push(record(
        names::CURRENT_BURN_RATE,
        format!(
            "{}{selector} / {budget}",
            names::error_ratio(names::CURRENT_BURN_WINDOW)
        ),
        &labels,
    ));
    let objective = record(
        names::OBJECTIVE,
        format!("vector({})", fmt_num(slo.objective_ratio())),
        &Node::labels(&objective_labels(slo)),
    );
    match slo.calendar {
        None => long.extend([
            record(
                names::PERIOD_BURN_RATE,
                format!("{}{selector} / {budget}", names::error_ratio(slo.period)),
                &labels,
            ),
            objective,
        ]),
        Some(calendar) => {
            long.push(objective);
            long.extend(calendar::rules(slo, calendar, &labels));
        }
    }
    long.push(record(
        names::TIME_PERIOD_DAYS,
        format!("vector({})", slo.period.seconds() / 86_400),
        &labels,
    ));
    for tier in &slo.alerting.tiers {
        let rule = alert_rule(slo, tier, intervals, links);
        if tier.is_long() {
            long.push(rule);
        } else {
            fast.push(rule);
        }
    }
    if let Some(no_data) = &slo.alerting.no_data {
        fast.push(no_data_rule(slo, no_data, links));
    }
    vec![
        group(
            names::group(slo, "sli"),
            counting_interval(slo, interval),
            fast,
        ),
        group(names::group(slo, "long"), Some(long_interval), long),
    ]
}

/// The `sli` group's explicit interval, for an SLO that counts its
/// errors (`min_errors`): a count is the sum of the 5m error-rate samples
/// times the interval between them, so that interval must be known.
pub fn counting_interval(slo: &Slo, interval: Duration) -> Option<Duration> {
    (slo.alerting.min_errors > 0).then_some(interval)
}

/// The objective series doubles as the SLO's info series: its labels say
/// what dashboards list and filter on.
fn objective_labels(slo: &Slo) -> BTreeMap<String, String> {
    let mut labels = slo.identity_labels();
    labels.insert(names::WINDOW_LABEL.into(), slo.window_text());
    labels.insert(names::SLI_LABEL.into(), slo.sli.kind().into());
    labels.insert(names::ALERTING_LABEL.into(), alerting_value(slo));
    labels
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

fn alert_rule(slo: &Slo, tier: &AlertTier, intervals: Evaluation, links: &Links) -> Node {
    alert_node(
        slo.alerting.name.clone(),
        alert_expr(slo, tier, intervals),
        tier.for_,
        &alert_labels(slo, tier),
        &alert_annotations(slo, tier, intervals, links),
    )
}

fn alert_node(
    name: String,
    expr: String,
    for_: Option<Duration>,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Node {
    Node::map()
        .str("alert", name)
        .str("expr", expr)
        .opt_str("for", for_.map(|d| d.to_string()))
        .entry("labels", Node::labels(labels))
        .entry("annotations", Node::labels(annotations))
        .build()
}

/// An alert's labels: the SLO's, its alerting labels, the alert's own
/// (`own`), then `severity` and the tier (`page`, `ticket`, `no_data`).
fn labels_of(
    slo: &Slo,
    own: &BTreeMap<String, String>,
    severity: &str,
    tier: &str,
) -> BTreeMap<String, String> {
    let mut labels = slo.identity_labels();
    labels.extend(slo.alerting.labels.clone());
    labels.extend(own.clone());
    labels.insert("severity".into(), severity.to_string());
    labels.insert(names::TIER_LABEL.into(), tier.to_string());
    labels
}

/// The runbook and dashboard links every alert of the SLO carries.
/// A grouped SLO's links carry its group, `url_value` giving each label's
/// value as a URL's query part takes it.
fn link_annotations(
    slo: &Slo,
    links: &Links,
    annotations: &mut BTreeMap<String, String>,
    url_value: &dyn Fn(&str) -> String,
) {
    if let Some(url) = &slo.alerting.runbook_url {
        let group: Vec<String> = slo
            .group_by
            .iter()
            .map(|label| (label, url_value(label)))
            .filter(|(_, value)| !value.is_empty())
            .map(|(label, value)| format!("{label}={value}"))
            .collect();
        let url = if group.is_empty() {
            url.clone()
        } else {
            let join = if url.contains('?') { '&' } else { '?' };
            format!("{url}{join}{}", group.join("&"))
        };
        annotations.insert("runbook_url".to_string(), url);
    }
    if let Some(grafana) = &links.grafana_url {
        // A grouped SLO's alert opens the dashboard on its own group.
        let variables: Vec<String> = slo
            .group_by
            .iter()
            .map(|label| (label, url_value(label)))
            .filter(|(_, value)| !value.is_empty())
            .map(|(label, value)| format!("var-{label}={value}"))
            .collect();
        let query = if variables.is_empty() {
            String::new()
        } else {
            format!("?{}", variables.join("&"))
        };
        annotations.insert(
            "dashboard_url".to_string(),
            format!(
                "{grafana}{}{query}",
                super::grafana::dashboard_path(&slo.service)
            ),
        );
    }
}

/// The tier value of the no-data alert.
pub const NO_DATA_TIER: &str = "no_data";

/// What the no-data alert watches: the 5m series every window is built
/// from. A log SLI's comes from the Loki ruler, which writes nothing for a
/// span without lines, so an idle hour looks like a broken pipeline: it is
/// watched over an hour instead of one evaluation.
pub fn no_data_expr(slo: &Slo) -> String {
    let series = base_series(slo);
    match &slo.sli {
        Sli::Logs(_) => format!("absent_over_time({series}[1h])"),
        _ => format!("absent({series})"),
    }
}

/// The 5m series whose presence means the SLI has data: the event rate,
/// or a raw SLI's ratio.
fn base_series(slo: &Slo) -> String {
    let selector = names::selector(slo);
    match &slo.sli {
        Sli::Metric(MetricSli::Raw { .. }) => {
            format!("{}{selector}", names::error_ratio(names::BASE_WINDOW))
        }
        _ => format!("{}{selector}", names::EVENTS_RATE),
    }
}

/// The alert that the SLI's data stopped: the tiers cannot fire then.
fn no_data_rule(slo: &Slo, no_data: &crate::model::NoData, links: &Links) -> Node {
    alert_node(
        format!("{}{}", slo.alerting.name, NO_DATA_ALERT_SUFFIX),
        no_data_expr(slo),
        Some(no_data.for_),
        &no_data_labels(slo, no_data),
        &no_data_annotations(slo, no_data, links),
    )
}

/// Appended to the SLO's alert name for its no-data alert.
pub const NO_DATA_ALERT_SUFFIX: &str = "NoData";

/// What the no-data alert has seen when it fires, in words.
pub fn no_data_watched(slo: &Slo, no_data: &crate::model::NoData) -> String {
    match &slo.sli {
        Sli::Logs(_) => "no log line was counted for an hour".to_string(),
        _ => format!("its SLI has had no series for {}", no_data.for_),
    }
}

pub fn no_data_labels(slo: &Slo, no_data: &crate::model::NoData) -> BTreeMap<String, String> {
    labels_of(slo, &BTreeMap::new(), &no_data.severity_label, NO_DATA_TIER)
}

pub fn no_data_annotations(
    slo: &Slo,
    no_data: &crate::model::NoData,
    links: &Links,
) -> BTreeMap<String, String> {
    let watched = no_data_watched(slo, no_data);
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "summary".to_string(),
        format!(
            "{}/{} has no SLI data: its burn-rate alerts cannot fire",
            slo.service, slo.name
        ),
    );
    annotations.insert(
        "description".to_string(),
        format!(
            "The {} SLO of {}: {watched} (`{}`). A renamed metric, a stopped exporter or Loki rules that are not loaded look like this; until data returns, this SLO cannot alert.",
            slo.name,
            slo.service,
            no_data_expr(slo)
        ),
    );
    // Absent data has no group: the links name none.
    link_annotations(slo, links, &mut annotations, &|_| String::new());
    annotations
}

/// `(long / budget > factor and short > t and …) or (…)`, one clause per
/// window pair. Its value is the long window's burn rate, which the
/// summary prints.
pub fn alert_expr(slo: &Slo, tier: &AlertTier, intervals: Evaluation) -> String {
    tier.pairs
        .iter()
        .map(|pair| pair_clause(slo, tier.is_long(), pair, intervals))
        .collect::<Vec<_>>()
        .join("\nor\n")
}

/// One window pair's condition, as it stands in its tier's alert:
/// - both windows over the threshold;
/// - unless `thin_data: fire`, data older than the short window (so the
///   long window holds at least one short window of it);
/// - with `min_errors`, that many bad events counted over the long window.
pub fn pair_clause(
    slo: &Slo,
    long_tier: bool,
    pair: &AlertWindow,
    intervals: Evaluation,
) -> String {
    let selector = names::selector(slo);
    let budget = fmt_num(slo.error_budget());
    let factor = fmt_num(pair.factor);
    let ratio = |window: Duration| {
        let ratio = format!("{}{selector}", names::error_ratio(window));
        // A fast tier reads the long group's latest value, however late
        // its last evaluation (see the module doc).
        if !long_tier && window >= LONG_WINDOW_FROM {
            format!(
                "last_over_time({ratio}[{}])",
                Duration(intervals.long_interval.seconds() * 2)
            )
        } else {
            ratio
        }
    };
    let mut conditions = vec![
        format!("{} / {budget} > {factor}", ratio(pair.long)),
        format!("{} > ({factor} * {budget})", ratio(pair.short)),
    ];
    if slo.alerting.thin_data == ThinData::Wait {
        conditions.push(format!(
            "present_over_time({}[{}] offset {})",
            base_series(slo),
            pair.short,
            pair.short
        ));
    }
    if slo.alerting.min_errors > 0 {
        conditions.push(format!(
            "sum_over_time({}{selector}[{}]) * {} >= {}",
            names::ERRORS_RATE,
            pair.long,
            intervals.interval.seconds(),
            slo.alerting.min_errors
        ));
    }
    format!("(\n  {}\n)", conditions.join("\n  and\n  "))
}

/// Every label the alert carries: the SLO's series labels, then alerting,
/// tier and severity labels.
pub fn alert_labels(slo: &Slo, tier: &AlertTier) -> BTreeMap<String, String> {
    labels_of(
        slo,
        &tier.labels,
        &tier.severity_label,
        tier.severity.as_str(),
    )
}

/// A tier's summary and description, for people: the summary says the
/// burn rate (the alert's value) and how long the rest of the budget
/// lasts at it; the description names the window pair that fired. Both
/// are Prometheus templates; [`rendered_annotations`] is what they render
/// to where the budget is spent, which the promtool tests assert.
pub fn alert_annotations(
    slo: &Slo,
    tier: &AlertTier,
    intervals: Evaluation,
    links: &Links,
) -> BTreeMap<String, String> {
    let remaining = format!(
        "clamp_min(1 - {}{}, 0) * {} / %f",
        names::PERIOD_BURN_RATE,
        names::selector(slo),
        slo.period.seconds()
    );
    let outlook = format!(
        "{{{{ with {} | query }}}}{{{{ $left := . | first | value }}}}{{{{ if gt $left 0.0 }}}}: at this rate the rest of {} is gone in {{{{ $left | humanizeDuration }}}}{{{{ else }}}}{}{{{{ end }}}}{{{{ end }}}}",
        group_query(slo, &remaining, " $value"),
        slo.budget_phrase(),
        budget_spent_text(slo),
    );
    // The first pair whose condition holds is the one the alert's value
    // comes from; the last needs no query.
    let long_tier = tier.is_long();
    let mut which = String::new();
    let last = tier.pairs.len().saturating_sub(1);
    for (i, pair) in tier.pairs.iter().enumerate() {
        if i < last {
            which.push_str(&format!(
                "{{{{ {}if query {} }}}}{}",
                if i > 0 { "else " } else { "" },
                group_query(slo, &pair_clause(slo, long_tier, pair, intervals), ""),
                describe_pair(pair)
            ));
        } else {
            if i > 0 {
                which.push_str("{{ else }}");
            }
            which.push_str(&describe_pair(pair));
            if i > 0 {
                which.push_str("{{ end }}");
            }
        }
    }
    annotations(
        slo,
        tier,
        links,
        "{{ $value | humanize }}",
        &outlook,
        &which,
        Group {
            value: &label_template,
            url: &|label| format!("{{{{ $labels.{label} | urlquery }}}}"),
        },
    )
}

/// What [`alert_annotations`] render to when `pair` fired at burn rate
/// `burn` (as Prometheus's `humanize` prints it) and the budget is spent,
/// or, given `left`, when the rest of it lasts that long (as
/// `humanizeDuration` prints it).
pub fn rendered_annotations(
    slo: &Slo,
    tier: &AlertTier,
    links: &Links,
    burn: &str,
    pair: &AlertWindow,
    left: Option<&str>,
    group: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let outlook = match left {
        Some(left) => format!(
            ": at this rate the rest of {} is gone in {left}",
            slo.budget_phrase()
        ),
        None => budget_spent_text(slo),
    };
    let value = |label: &str| group.get(label).cloned().unwrap_or_default();
    annotations(
        slo,
        tier,
        links,
        burn,
        &outlook,
        &describe_pair(pair),
        Group {
            value: &value,
            url: &value,
        },
    )
}

fn budget_spent_text(slo: &Slo) -> String {
    format!(": {} is spent", slo.budget_phrase())
}

fn describe_pair(pair: &AlertWindow) -> String {
    format!(
        "{} and {} ({}x: {} of the budget spent in {})",
        pair.long,
        pair.short,
        fmt_num(pair.factor),
        crate::model::fmt_percent(pair.budget_spent),
        pair.long
    )
}

/// How an alert names its group: ` [route=/pay]`, each value as `value`
/// gives it (a template reading `$labels`, or the value a test expects).
fn group_text(slo: &Slo, value: &dyn Fn(&str) -> String) -> String {
    if slo.group_by.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = slo
        .group_by
        .iter()
        .map(|label| format!("{label}={}", value(label)))
        .collect();
    format!(" [{}]", pairs.join(", "))
}

/// How an alert's text and its links give each group label's value: the
/// template that reads it, or the value a test expects.
#[derive(Clone, Copy)]
struct Group<'a> {
    value: &'a dyn Fn(&str) -> String,
    url: &'a dyn Fn(&str) -> String,
}

/// A template's value of `label`.
fn label_template(label: &str) -> String {
    format!("{{{{ $labels.{label} }}}}")
}

fn annotations(
    slo: &Slo,
    tier: &AlertTier,
    links: &Links,
    burn: &str,
    outlook: &str,
    which: &str,
    group: Group,
) -> BTreeMap<String, String> {
    let Group {
        value: group_value,
        url: url_value,
    } = group;
    let group = group_text(slo, group_value);
    let summary = format!(
        "{}/{}{group} is burning its error budget at {burn}x{outlook} ({})",
        slo.service,
        slo.name,
        tier.severity.as_str()
    );
    let period = match slo.calendar {
        Some(_) => format!(
            "per {}, thresholds of a {} window",
            slo.period_description(),
            slo.period
        ),
        None => format!("over {}", slo.period),
    };
    let mut description = format!(
        "The {} SLO of {} ({}% {period}, error budget {}) burns its budget over {which}. At {}x the whole budget lasts {}.",
        slo.name,
        slo.service,
        fmt_num(slo.objective),
        fmt_num(slo.error_budget()),
        fmt_short(tier.fastest_factor()),
        humanize(tier.fastest_exhaustion_seconds()),
    );
    if let Some(text) = &slo.description {
        description.push_str(&format!(" SLO: {}", text.trim()));
    }
    let mut annotations = BTreeMap::new();
    annotations.insert("summary".to_string(), summary);
    annotations.insert("description".to_string(), description);
    link_annotations(slo, links, &mut annotations, url_value);
    annotations
}

/// `query` for an alert's template, as `printf "…" …`: a grouped SLO's
/// selectors narrowed to the alert's own group (`route=%q` with
/// `$labels.route`: Go's quoting is PromQL's), then `more` arguments (`%f` of ` $value`); else the
/// query as a string literal. Without the narrowing, a query answers for
/// every group, and the template reads whichever comes first.
fn group_query(slo: &Slo, query: &str, more: &str) -> String {
    let selector = names::selector(slo);
    let escaped = query.replace('%', "%%").replace("%%f", "%f");
    if slo.group_by.is_empty() {
        return if more.is_empty() {
            go_string(query)
        } else {
            format!("printf {}{more}", go_string(&escaped))
        };
    }
    let narrowed_selector = format!(
        "{},{}}}",
        selector.trim_end_matches('}'),
        slo.group_by
            .iter()
            .map(|label| format!("{label}=%q"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let uses = escaped.matches(&selector).count();
    let narrowed = escaped.replace(&selector, &narrowed_selector);
    let labels: String = slo
        .group_by
        .iter()
        .map(|label| format!(" $labels.{label}"))
        .collect();
    format!(
        "(printf {}{}{more})",
        go_string(&narrowed),
        labels.repeat(uses)
    )
}

/// `text` as a Go string literal, for a Prometheus template: PromQL's
/// double-quoted strings are Go's.
fn go_string(text: &str) -> String {
    names::promql_string(text)
}
