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
    /// Access logs to ship to Loki and/or Elasticsearch; log SLIs read them.
    #[schemars(with = "Option<Vec<LogSpec>>")]
    pub logs: Option<Spanned<Vec<LogSpec>>>,
}

/// One log stream of the service, e.g. the ingress access log.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    /// Name, unique within the service, `[a-z][a-z0-9_-]*`. Becomes the Loki `stream` label.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Where the lines come from: exactly one of `kubernetes` or `files`.
    #[schemars(with = "LogSourceSpec")]
    pub source: Spanned<LogSourceSpec>,
    /// `nginx` (log_format combined plus ` $request_time`), `json` or `logfmt`.
    #[schemars(with = "LogFormat")]
    pub format: Spanned<LogFormat>,
    /// For `json` and `logfmt`: which keys hold the request fields.
    #[schemars(with = "Option<FieldsSpec>")]
    pub fields: Option<Spanned<FieldsSpec>>,
    /// Where the lines go: `loki`, `elasticsearch`, or both. Each must be configured in lookout.yaml.
    #[schemars(with = "Vec<Destination>")]
    pub destinations: Spanned<Vec<Spanned<Destination>>>,
    /// How long Elasticsearch keeps the lines, e.g. `14d` (default `30d`).
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+[hdw]$"))]
    pub retention: Option<Spanned<String>>,
    /// Route templates that fold ids out of paths, tried in order, e.g.
    /// `/v1/refunds/:id`: a `:name` segment matches any one segment. The
    /// result is `http.route`, which the endpoint panels group by.
    #[schemars(with = "Option<Vec<String>>")]
    pub routes: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSourceSpec {
    /// Container logs of the pods matching a label selector in one namespace.
    pub kubernetes: Option<KubernetesSourceSpec>,
    /// Log files on the node, as globs, e.g. `/var/log/nginx/access*.log`.
    #[schemars(with = "Option<Vec<String>>")]
    pub files: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSourceSpec {
    #[schemars(with = "String")]
    pub namespace: Spanned<String>,
    /// Pod labels that must all match, e.g. `{app.kubernetes.io/name: ingress-nginx}`.
    #[schemars(with = "BTreeMap<String, String>")]
    pub selector: Spanned<BTreeMap<String, String>>,
    /// Only this container of the pod (default: every container).
    #[schemars(with = "Option<String>")]
    pub container: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Nginx,
    Json,
    Logfmt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Destination {
    Loki,
    Elasticsearch,
}

/// Keys of a structured log line; nested JSON keys use dots, e.g. `request.path`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldsSpec {
    /// HTTP status code.
    #[schemars(with = "String")]
    pub status: Spanned<String>,
    /// HTTP method.
    #[schemars(with = "String")]
    pub method: Spanned<String>,
    /// Request path.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Request duration, in `duration_unit`.
    #[schemars(with = "String")]
    pub duration: Spanned<String>,
    /// Unit of `duration`: `s` (default), `ms`, `us` or `ns`.
    #[schemars(with = "Option<DurationUnit>")]
    pub duration_unit: Option<Spanned<DurationUnit>>,
    /// Client IP address (optional; without it there is no top-clients panel).
    #[schemars(with = "Option<String>")]
    pub client: Option<Spanned<String>>,
    /// User agent (optional).
    #[schemars(with = "Option<String>")]
    pub user_agent: Option<Spanned<String>>,
    /// The route the application matched, e.g. `/v1/refunds/{id}`
    /// (optional; else the path, folded by `routes`).
    #[schemars(with = "Option<String>")]
    pub route: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum DurationUnit {
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Milliseconds,
    #[serde(rename = "us")]
    Microseconds,
    #[serde(rename = "ns")]
    Nanoseconds,
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
    /// How the SLI is measured: exactly one of `events`, `latency`, `raw`, `logs`.
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
    /// Error and total lines of a declared log source, evaluated by the Loki ruler.
    pub logs: Option<LogsSliSpec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsSliSpec {
    /// A log declared under the service's `logs:` with `loki` among its destinations.
    #[schemars(with = "String")]
    pub source: Spanned<String>,
    /// LogQL pipeline stages that keep the lines that count, after lookout's parser,
    /// e.g. `| path =~ "/v1/refunds.*"` (default: every line with a status). Parsed
    /// fields: status, method, path, duration, client, user_agent.
    #[schemars(with = "Option<String>")]
    pub events: Option<Spanned<String>>,
    /// LogQL stages applied after `events` that keep the bad ones, e.g.
    /// `| status >= 500`: the errors are a subset of the events.
    #[schemars(with = "String")]
    pub errors: Spanned<String>,
    /// No longer accepted: a `total` counted independently of `errors` let
    /// errors outside the total page. Replaced by `events`.
    #[serde(default)]
    #[schemars(skip)]
    pub total: Option<Spanned<String>>,
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
