//! The resolved, typed IR every emitter reads.
//!
//! **Invariant:** a [`Model`] only comes out of `check::compile`, so holding
//! one means every spec passed validation: names are well formed and unique,
//! objectives are in range, queries parse and every alert has a runbook URL.
//! The model knows nothing about YAML, files or any backend's format.

mod burn_rate;
pub mod calendar;
pub mod canary;
pub mod detection;
mod duration;
pub mod logs;
pub mod names;
pub mod query;
pub mod replay;
pub mod settings;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diag::Span;

pub use burn_rate::{
    current_window_page_factor_per_day, default_pairs, error_budget, fmt_num, fmt_percent,
    fmt_short, resolve_pairs, round_sig, shift_decimal, AlertWindow, Severity, WindowPair,
    STATUS_WINDOWS,
};
pub use calendar::{Calendar, CalendarUnit};
pub use duration::{humanize, Duration};

/// An SLO's window (`window:`) unless its spec gives one; Sloth's default
/// period too, so importers write no `window:` for it.
pub const DEFAULT_WINDOW: Duration = Duration::days(30);

/// How long Elasticsearch keeps a log's lines unless `retention:` says.
pub const DEFAULT_RETENTION: Duration = Duration::days(30);
pub use logs::{DurationUnit, LogFields, LogFormat, LogInput, LogSource, Route};

/// Every service, sorted by name.
#[derive(Debug, Clone)]
pub struct Model {
    pub services: Vec<Service>,
}

impl Model {
    /// Every SLO of every service.
    pub fn slos(&self) -> impl Iterator<Item = &Slo> {
        self.services.iter().flat_map(|s| s.slos.iter())
    }

    pub fn logs(&self) -> impl Iterator<Item = &LogSource> {
        self.services.iter().flat_map(|s| s.logs.iter())
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// The project's name (`ProjectSettings::name`): the ownership marker
    /// on what its backends write.
    pub project: String,
    pub team: Option<String>,
    /// The spec file, relative to the project root, for headers and messages.
    pub source: PathBuf,
    /// Every SLO. Prometheus evaluates them all; a log SLO's 5m counts are
    /// recorded by the Loki ruler and remote-written to Prometheus.
    pub slos: Vec<Slo>,
    /// What the dashboard's golden-signals row shows, as declared.
    pub signals: Signals,
    /// Declared log streams, in spec order.
    pub logs: Vec<LogSource>,
    /// The services this one depends on, each declared in the project.
    pub depends_on: Vec<String>,
    /// How its canaries are judged, when declared.
    pub canary: Option<canary::Canary>,
}

impl Service {
    pub fn log(&self, name: &str) -> Option<&LogSource> {
        self.logs.iter().find(|l| l.name == name)
    }

    /// The SLOs over logs, whose 5m counts the Loki ruler records.
    pub fn log_slos(&self) -> impl Iterator<Item = (&Slo, &LogSli)> {
        self.slos.iter().filter_map(|slo| match &slo.sli {
            Sli::Logs(log) => Some((slo, log.as_ref())),
            _ => None,
        })
    }
}

/// Declared golden signals; undeclared ones are derived from the SLIs by
/// the dashboard backend. Queries keep Grafana's `$__rate_interval`.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    pub traffic: Option<Signal>,
    pub errors: Option<Signal>,
    pub latency: Option<HistogramRef>,
    pub saturation: Option<Signal>,
    pub panels: Vec<ExtraPanel>,
}

#[derive(Debug, Clone)]
pub struct Signal {
    pub query: String,
    pub unit: Option<String>,
    /// Where the query is written, for the live preflight's findings.
    pub location: Option<Span>,
}

/// A classic histogram: base name and matchers (without braces).
#[derive(Debug, Clone)]
pub struct HistogramRef {
    pub histogram: String,
    pub matchers: String,
}

/// Which side of a panel's threshold is bad; spelt so in specs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdDirection {
    /// Latency, lag: high is bad.
    #[default]
    Above,
    /// A cluster size, free connections: low is bad.
    Below,
}

#[derive(Debug, Clone)]
pub struct ExtraPanel {
    pub title: String,
    pub query: String,
    pub unit: Option<String>,
    pub legend: Option<String>,
    pub threshold: Option<f64>,
    /// Which side of the threshold is red.
    pub threshold_direction: ThresholdDirection,
    pub location: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct Slo {
    pub service: String,
    pub name: String,
    pub description: Option<String>,
    pub team: Option<String>,
    /// Target in percent, `0 < objective < 100`.
    pub objective: f64,
    /// The compliance window; a calendar period's nominal length (30d for
    /// a month), which sizes the alert thresholds.
    pub period: Duration,
    /// Set when the window is a calendar period, whose budget resets at
    /// each period's start.
    pub calendar: Option<Calendar>,
    /// `group_by`: the labels that make one SLO per value (sorted), which
    /// every recorded series and alert of the SLO carries.
    pub group_by: Vec<String>,
    pub sli: Sli,
    /// Labels on every rule of this SLO besides `service` and `slo`: team,
    /// project, service and SLO labels, later ones winning.
    pub labels: BTreeMap<String, String>,
    pub alerting: Alerting,
    /// Where the SLI's parts are written in the spec.
    pub locations: SliLocations,
}

/// Where an SLI's parts are written in the spec, so that checks run after
/// lowering (the live preflight against Prometheus) can point at the line.
/// Spans, not YAML: the model still knows nothing of the spec format.
#[derive(Debug, Clone, Default)]
pub struct SliLocations {
    pub sli: Option<Span>,
    pub errors: Option<Span>,
    pub total: Option<Span>,
    pub error_ratio: Option<Span>,
    pub histogram: Option<Span>,
    pub threshold: Option<Span>,
    /// The SLO's `window:`, when written.
    pub window: Option<Span>,
}

impl Slo {
    /// Target as a ratio, e.g. `0.999`.
    pub fn objective_ratio(&self) -> f64 {
        round_sig(self.objective / 100.0, 12)
    }

    /// Allowed error ratio, e.g. `0.001`.
    pub fn error_budget(&self) -> f64 {
        error_budget(self.objective)
    }

    /// Every window an error ratio is recorded over, shortest first: the alert
    /// windows plus a rolling SLO's period (a calendar SLO's period is
    /// summed to date instead).
    pub fn windows(&self) -> Vec<Duration> {
        let rolling_period = self.calendar.is_none().then_some(self.period);
        let mut windows: Vec<Duration> = self
            .alert_windows()
            .into_iter()
            .chain(rolling_period)
            .collect();
        windows.sort();
        windows.dedup();
        windows
    }

    /// The windows of every burn-rate pair: the default pairs', whether or
    /// not their tier is on (dashboards and `status` read them), and a
    /// custom tier's.
    pub fn alert_windows(&self) -> Vec<Duration> {
        let custom = self.alerting.tiers.iter().flat_map(|t| &t.pairs);
        default_pairs()
            .iter()
            .flat_map(|p| [p.long, p.short])
            .chain(custom.flat_map(|p| [p.long, p.short]))
            .collect()
    }

    /// `30d`, or `month` for a calendar SLO: the window as the spec says it.
    pub fn window_text(&self) -> String {
        match self.calendar {
            Some(calendar) => calendar.unit.as_str().to_string(),
            None => self.period.to_string(),
        }
    }

    /// The period in words: `30d`, or `calendar month (UTC+02:00)`.
    pub fn period_description(&self) -> String {
        match self.calendar {
            Some(calendar) => calendar.describe(),
            None => self.period.to_string(),
        }
    }

    /// Whose budget alerts and runbooks speak of: `its 30d budget`, or
    /// `this month's budget`.
    pub fn budget_phrase(&self) -> String {
        match self.calendar {
            Some(calendar) => format!("this {}'s budget", calendar.unit.as_str()),
            None => format!("its {} budget", self.period),
        }
    }

    /// For a calendar SLO, what the budget is and when it resets, in a
    /// sentence for runbooks and `explain`.
    pub fn calendar_note(&self) -> Option<String> {
        let calendar = self.calendar?;
        let unit = calendar.unit.as_str();
        let start = match calendar.unit {
            CalendarUnit::Week => "each Monday",
            CalendarUnit::Month => "the 1st of each month",
            CalendarUnit::Quarter => "the 1st of January, April, July and October",
        };
        Some(format!(
            "The budget is per calendar {unit}: it resets at {} on {start} (a fixed offset: daylight saving time is not followed). What is left is the errors so far against the budget projected for the whole {unit} from its traffic so far, so one early error does not read as the budget spent many times over; the SLI is the ratio since the {unit} began. Alerts stay on rolling windows, with the thresholds of a {} window (the {unit}'s nominal length).",
            calendar.reset_time(),
            self.period
        ))
    }

    /// The page tier's fastest burn-rate factor, or the default page
    /// pairs' when the SLO does not page: the burn a canary must not reach.
    pub fn fast_page_factor(&self) -> f64 {
        match self
            .alerting
            .tiers
            .iter()
            .find(|tier| tier.severity == Severity::Page)
        {
            Some(tier) => tier.fastest_factor(),
            None => default_pairs()
                .iter()
                .filter(|pair| pair.severity == Severity::Page)
                .map(|pair| pair.factor(self.period))
                .fold(0.0, f64::max),
        }
    }

    /// `service` and `slo` first, then the other labels.
    pub fn identity_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert("service".into(), self.service.clone());
        labels.insert("slo".into(), self.name.clone());
        labels
    }
}

/// The `group_by` labels of `slos`, sorted, each once: the labels that
/// queries over several SLOs keep so that each group stays a row.
pub fn group_labels<'a>(slos: impl Iterator<Item = &'a Slo>) -> Vec<String> {
    let labels: std::collections::BTreeSet<&String> = slos.flat_map(|slo| &slo.group_by).collect();
    labels.into_iter().cloned().collect()
}

/// How the SLI is measured, with `{{service}}`/`{{slo}}` already rendered.
#[derive(Debug, Clone)]
pub enum Sli {
    /// Queries Prometheus evaluates over the service's own metrics.
    Metric(MetricSli),
    /// Lines of a declared log stream, counted by the Loki ruler, whose
    /// recorded 5m counts Prometheus then treats as any event counts.
    Logs(Box<LogSli>),
}

/// An SLI over metrics, in one of the spec's three shapes.
#[derive(Debug, Clone)]
pub enum MetricSli {
    /// User-written error and total event rates.
    Events {
        errors: QueryTemplate,
        total: QueryTemplate,
    },
    /// Requests slower than `threshold`, from a classic histogram. The error
    /// and total queries are derived from it.
    Latency {
        histogram: String,
        /// Matchers without braces, e.g. `job="checkout"`; may be empty.
        matchers: String,
        /// The selector's labels when every matcher is a plain `=`, so
        /// tests can create matching series.
        selector_labels: Option<BTreeMap<String, String>>,
        threshold: f64,
        errors: QueryTemplate,
        total: QueryTemplate,
    },
    /// A user-written error ratio.
    Raw { error_ratio: QueryTemplate },
}

/// A log SLI: the events are the lines the `events` stages keep, and the
/// errors are those events that the `errors` stages also keep, so the
/// errors are a subset of the events by construction.
#[derive(Debug, Clone)]
pub struct LogSli {
    pub log: LogSource,
    /// LogQL stages after the stream's selector and parser.
    pub events: String,
    /// LogQL stages applied after `events`.
    pub errors: String,
}

impl LogSli {
    /// The event lines, as a LogQL log query.
    pub fn events_query(&self) -> String {
        self.log.logql(&self.events)
    }

    /// The error lines: the events query with the error stages appended.
    pub fn errors_query(&self) -> String {
        self.log.logql(&format!("{} {}", self.events, self.errors))
    }
}

impl Sli {
    pub fn kind(&self) -> &'static str {
        match self {
            Sli::Metric(metric) => metric.kind(),
            Sli::Logs(_) => "logs",
        }
    }

    /// The SLI over metrics, unless it counts log lines.
    pub fn metric(&self) -> Option<&MetricSli> {
        match self {
            Sli::Metric(metric) => Some(metric),
            Sli::Logs(_) => None,
        }
    }

    /// The user's PromQL error and total rate queries, for SLIs that have them.
    pub fn event_queries(&self) -> Option<(&QueryTemplate, &QueryTemplate)> {
        match self.metric()? {
            MetricSli::Events { errors, total } | MetricSli::Latency { errors, total, .. } => {
                Some((errors, total))
            }
            MetricSli::Raw { .. } => None,
        }
    }

    /// Whether the SLI is a ratio the user wrote, with no event counts.
    pub fn is_raw(&self) -> bool {
        matches!(self, Sli::Metric(MetricSli::Raw { .. }))
    }
}

impl MetricSli {
    pub fn kind(&self) -> &'static str {
        match self {
            MetricSli::Events { .. } => "events",
            MetricSli::Latency { .. } => "latency",
            MetricSli::Raw { .. } => "raw",
        }
    }
}

/// A PromQL query with its range left open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTemplate {
    text: String,
}

impl QueryTemplate {
    /// Stands in for `{{window}}` between rendering and use. It cannot occur
    /// in PromQL, so replacing it cannot touch anything the user wrote.
    pub const WINDOW_SLOT: &'static str = "\u{1}window\u{1}";

    pub fn new(text_with_slot: String) -> Self {
        QueryTemplate {
            text: text_with_slot,
        }
    }

    pub fn uses_window(&self) -> bool {
        self.text.contains(Self::WINDOW_SLOT)
    }

    /// The query with `{{window}}` spelt `slot`, as another tool writes it
    /// (Sloth's and OpenSLO's `{{.window}}`).
    pub fn with_slot(&self, slot: &str) -> String {
        self.text.replace(Self::WINDOW_SLOT, slot)
    }

    /// The query over `window`.
    pub fn at(&self, window: Duration) -> String {
        self.text.replace(Self::WINDOW_SLOT, &window.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct Alerting {
    /// The alert name, shared by both tiers; `severity` tells them apart.
    pub name: String,
    /// Enabled tiers, page first.
    pub tiers: Vec<AlertTier>,
    /// Resolved runbook URL; present whenever `tiers` is not empty.
    pub runbook_url: Option<String>,
    /// Labels on this SLO's alerts only.
    pub labels: BTreeMap<String, String>,
    /// The alert that the SLI's data stopped; `None` when turned off or
    /// when no tier is enabled.
    pub no_data: Option<NoData>,
    /// Bad events a pair's long window must count before it fires; 0 is
    /// no guard. Never set on raw SLIs, which count nothing.
    pub min_errors: u64,
    pub thin_data: ThinData,
}

/// What a window pair does while its long window holds less data than
/// its short window: a new SLO, or one whose series returned after a gap.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ThinData {
    /// Hold the pair back: a 1h window holding 30s is not a 1h window.
    #[default]
    Wait,
    /// Let the short window alone decide, as Sloth and Pyrra do.
    Fire,
}

/// An SLO's no-data alert.
#[derive(Debug, Clone)]
pub struct NoData {
    /// How long the SLI's series must be absent.
    pub for_: Duration,
    /// The `severity` label value.
    pub severity_label: String,
}

/// How long an SLI's series must be absent before the no-data alert fires,
/// unless the spec says otherwise: longer than a scrape or evaluation gap.
pub const DEFAULT_NO_DATA_FOR: Duration = Duration::minutes(10);

#[derive(Debug, Clone)]
pub struct AlertTier {
    pub severity: Severity,
    /// The `severity` label value.
    pub severity_label: String,
    pub for_: Option<Duration>,
    pub labels: BTreeMap<String, String>,
    /// This tier's window pairs, resolved for the SLO.
    pub pairs: Vec<AlertWindow>,
}

/// Windows at least this long are summed from tiles in each SLO's `long`
/// rule group, evaluated every `prometheus.long_interval`.
pub const LONG_WINDOW_FROM: Duration = Duration::hours(2);

impl AlertWindow {
    /// Whether the pair reads a window the `long` group records.
    pub fn reads_long_windows(&self) -> bool {
        self.long >= LONG_WINDOW_FROM || self.short >= LONG_WINDOW_FROM
    }
}

impl AlertTier {
    /// Whether every window the tier reads is long, so that its alert is
    /// evaluated in the `long` group with them.
    pub fn is_long(&self) -> bool {
        self.pairs
            .iter()
            .all(|p| p.long >= LONG_WINDOW_FROM && p.short >= LONG_WINDOW_FROM)
    }

    /// Seconds from the start of an incident at error ratio `ratio` until
    /// the tier's first pair fires, `for` aside; `None` if none ever does.
    pub fn time_to_fire(&self, ratio: f64) -> Option<f64> {
        self.pairs
            .iter()
            .filter_map(|p| p.time_to_fire(ratio))
            .reduce(f64::min)
    }

    /// The tier's fastest burn-rate factor.
    pub fn fastest_factor(&self) -> f64 {
        self.pairs.iter().map(|p| p.factor).fold(0.0_f64, f64::max)
    }

    /// Seconds the whole budget lasts at the tier's fastest burn rate.
    pub fn fastest_exhaustion_seconds(&self) -> f64 {
        self.pairs
            .iter()
            .map(|p| p.exhaustion_seconds)
            .fold(f64::INFINITY, f64::min)
    }
}
