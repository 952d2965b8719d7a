//! The `lookout/v1` service spec: serde types that mirror the YAML exactly.
//!
//! These types only describe shape. Every value a later pass may complain about
//! is wrapped in [`Spanned`] so its diagnostic can point at the YAML. Meaning
//! (defaults, ranges, PromQL) is checked by `check`, which lowers a spec into
//! `model`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One service: its owner, labels and SLOs. A file holds one or more of these
/// as separate YAML documents.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lookout service spec (lookout/v1)")]
pub struct ServiceSpec {
    /// Spec version. Optional; the only version today is `lookout/v1`.
    #[schemars(with = "Option<String>")]
    pub version: Option<Spanned<String>>,
    /// Service name, `[a-z0-9-]+`. Becomes the `service` label.
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"))]
    pub service: Spanned<String>,
    /// Owning team. Becomes the `team` label and the escalation in runbooks.
    #[schemars(with = "Option<String>")]
    pub team: Option<Spanned<String>>,
    /// Labels added to every rule and alert of this service.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// Runbook URL template for this service's alerts; may use `{{service}}` and `{{slo}}`.
    #[schemars(with = "Option<String>")]
    pub runbook: Option<Spanned<String>>,
    /// The service's SLOs.
    #[schemars(with = "Vec<SloSpec>")]
    pub slos: Spanned<Vec<SloSpec>>,
    /// Golden signals and extra panels for the service dashboard.
    pub signals: Option<SignalsSpec>,
}

/// What the service dashboard's golden-signals row shows. Queries are
/// PromQL and may use Grafana's `$__rate_interval`, `$__interval` and
/// `$__range`, and the spec's `{{service}}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalsSpec {
    /// Requests (or messages, queries) per second. Default: the first SLI's events.
    pub traffic: Option<SignalSpec>,
    /// Failed requests per second. Default: the first SLI's errors.
    pub errors: Option<SignalSpec>,
    /// p50, p90 and p99 from a classic histogram. Default: the first latency SLI's.
    pub latency: Option<LatencySignalSpec>,
    /// How full the service is, e.g. connections in use over the maximum.
    pub saturation: Option<SignalSpec>,
    /// Extra panels, e.g. replication lag or slow queries for a database.
    #[serde(default)]
    pub panels: Vec<PanelSpec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalSpec {
    #[schemars(with = "String")]
    pub query: Spanned<String>,
    /// Grafana unit id, e.g. `reqps`, `percentunit`, `s`.
    pub unit: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySignalSpec {
    /// Histogram base name; lookout reads `<histogram>_bucket`.
    #[schemars(with = "String")]
    pub histogram: Spanned<String>,
    /// Label selector, e.g. `{job="checkout"}`.
    #[schemars(with = "Option<String>")]
    pub selector: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelSpec {
    #[schemars(with = "String")]
    pub title: Spanned<String>,
    #[schemars(with = "String")]
    pub query: Spanned<String>,
    /// Grafana unit id, e.g. `s`, `short`, `percentunit`.
    pub unit: Option<String>,
    /// Legend format, e.g. `{{instance}}`.
    pub legend: Option<String>,
    /// Draw a red threshold line at this value.
    pub threshold: Option<f64>,
}

/// One service level objective.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// Name, unique within the service, `[a-z0-9][a-z0-9_-]*`. Becomes the `slo` label.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What the SLO promises, in words; shown in alerts and runbooks.
    pub description: Option<String>,
    /// Target, in percent: `0 < objective < 100`, e.g. `99.9`.
    #[schemars(with = "f64", range(min = 0, max = 100))]
    pub objective: Spanned<f64>,
    /// Compliance window, `Nd` or `Nw` (default `30d`).
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+[dw]$"))]
    pub window: Option<Spanned<String>>,
    /// Labels added to every rule and alert of this SLO.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// How the SLI is measured: exactly one of `events`, `latency`, `raw`.
    #[schemars(with = "SliSpec")]
    pub sli: Spanned<SliSpec>,
    /// Alerting settings. Page and ticket alerts are both on by default.
    pub alerting: Option<AlertingSpec>,
}

/// The SLI. Exactly one field must be set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SliSpec {
    /// Error events over total events, two PromQL queries using `{{window}}`.
    pub events: Option<EventsSpec>,
    /// Share of requests slower than a threshold, from a classic Prometheus histogram.
    pub latency: Option<LatencySpec>,
    /// A PromQL query that returns the error ratio directly, using `{{window}}`.
    pub raw: Option<RawSpec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsSpec {
    /// Rate of bad events over `{{window}}`, e.g. `sum(rate(http_requests_total{code=~"5.."}[{{window}}]))`.
    #[schemars(with = "String")]
    pub errors: Spanned<String>,
    /// Rate of all events over `{{window}}`.
    #[schemars(with = "String")]
    pub total: Spanned<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// Histogram base name; lookout reads `<histogram>_bucket` and `<histogram>_count`.
    #[schemars(with = "String")]
    pub histogram: Spanned<String>,
    /// Label selector, e.g. `{job="checkout"}`.
    #[schemars(with = "Option<String>")]
    pub selector: Option<Spanned<String>>,
    /// Threshold in seconds; must equal a bucket boundary (`le`).
    #[schemars(with = "f64")]
    pub threshold: Spanned<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// PromQL that returns the error ratio (0..1) over `{{window}}`.
    #[schemars(with = "String")]
    pub error_ratio: Spanned<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertingSpec {
    /// Alert name. Default: the service and SLO in PascalCase plus `ErrorBudgetBurn`.
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// The fast tier: 14.4x over 1h and 5m, or 6x over 6h and 30m (for 30d).
    pub page: Option<TierSpec>,
    /// The slow tier: 3x over 1d and 2h, or 1x over 3d and 6h (for 30d).
    pub ticket: Option<TierSpec>,
    /// Runbook URL for this SLO's alerts; overrides the service template.
    #[schemars(with = "Option<String>")]
    pub runbook: Option<Spanned<String>>,
    /// Labels added to this SLO's alerts only.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Default true.
    pub enabled: Option<bool>,
    /// The `severity` label. Default `critical` for page, `warning` for ticket.
    #[schemars(with = "Option<String>")]
    pub severity: Option<Spanned<String>>,
    /// How long the condition must hold before the alert fires, e.g. `2m` (default none).
    #[serde(rename = "for")]
    #[schemars(with = "Option<String>")]
    pub for_: Option<Spanned<String>>,
    /// Labels added to this tier's alert.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
}
