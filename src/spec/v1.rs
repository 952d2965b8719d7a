//! The `lookout/v1` service spec: serde types that mirror the YAML exactly.
//!
//! These types only describe shape. Every value a later pass may complain about
//! is wrapped in [`Spanned`] so its diagnostic can point at the YAML. Meaning
//! (defaults, ranges, PromQL) is checked by `check`, which lowers a spec into
//! `model`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// One service: its owner, labels and SLOs. A file holds one or more of these
/// as separate YAML documents.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lookout service spec (lookout/v1)")]
pub struct ServiceSpec {
    /// Spec version. Optional; the only version today is `lookout/v1`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Spanned<String>>,
    /// Service name, `[a-z0-9-]+`. Becomes the `service` label.
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"))]
    pub service: Spanned<String>,
    /// Owning team. Becomes the `team` label and the escalation in runbooks.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Spanned<String>>,
    /// Labels added to every rule and alert of this service.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// Services this one depends on (`[mysql]`): while one of them pages,
    /// Alertmanager mutes this service's alerts (generated inhibit rules).
    #[schemars(with = "Option<Vec<String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Spanned<Vec<Spanned<String>>>>,
    /// Runbook URL template for this service's alerts; may use `{{service}}` and `{{slo}}`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<Spanned<String>>,
    /// The service's SLOs.
    #[schemars(with = "Vec<SloSpec>")]
    pub slos: Spanned<Vec<SloSpec>>,
    /// Golden signals and extra panels for the service dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signals: Option<SignalsSpec>,
    /// Access logs to ship to Loki and/or Elasticsearch; log SLIs read them.
    #[schemars(with = "Option<Vec<LogSpec>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<Spanned<Vec<LogSpec>>>,
    /// How a canary's series are told apart: lookout then writes analysis
    /// templates for Argo Rollouts (`kubernetes/rollouts/`) and Flagger
    /// (`kubernetes/flagger/`) that judge the canary on the SLOs' SLIs.
    #[schemars(with = "Option<CanarySpec>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<Spanned<CanarySpec>>,
}

/// A service's canary analysis. At least one of `matcher` and
/// `flagger_matcher`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CanarySpec {
    /// Argo Rollouts: label matchers that select the canary's series, added
    /// to every selector of each SLI query, e.g.
    /// `rollouts_pod_template_hash="{{args.canary-hash}}"`. May use
    /// `{{args.NAME}}`; each becomes an arg of the AnalysisTemplate.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<Spanned<String>>,
    /// Flagger: the same for its MetricTemplates, e.g.
    /// `pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`. May use Flagger's
    /// `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ service }}`,
    /// `{{ ingress }}`, `{{ route }}`, `{{ interval }}` and
    /// `{{ variables.NAME }}`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagger_matcher: Option<Spanned<String>>,
    /// Fewer requests than this in `interval` give no verdict: inconclusive
    /// in Argo Rollouts, no data (a failed check) in Flagger. Default 100.
    #[schemars(with = "Option<u64>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_requests: Option<Spanned<u64>>,
    /// The window each measurement reads, and Argo's measurement interval,
    /// e.g. `5m` (the default).
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Spanned<String>>,
    /// The background budget check fails at or below this much budget
    /// left, in percent (default 0: fails once the budget is spent).
    #[schemars(with = "Option<f64>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_budget: Option<Spanned<f64>>,
    /// Namespace of the Rollout or Canary, where the templates go. Default:
    /// a ClusterAnalysisTemplate, and MetricTemplates in `prometheus.namespace`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Spanned<String>>,
}

/// One log stream of the service, e.g. the ingress access log.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Spanned<FieldsSpec>>,
    /// Where the lines go: `loki`, `elasticsearch`, or both. Each must be configured in lookout.yaml.
    #[schemars(with = "Vec<Destination>")]
    pub destinations: Spanned<Vec<Spanned<Destination>>>,
    /// How long Elasticsearch keeps the lines, e.g. `14d` (default `30d`).
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]+[hdw]$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<Spanned<String>>,
    /// Route templates that fold ids out of paths, tried in order, e.g.
    /// `/v1/refunds/:id`: a `:name` segment matches any one segment. The
    /// result is `http.route`, which the endpoint panels group by.
    #[schemars(with = "Option<Vec<String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSourceSpec {
    /// Container logs of the pods matching a label selector in one namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesSourceSpec>,
    /// Log files on the node, as globs, e.g. `/var/log/nginx/access*.log`.
    #[schemars(with = "Option<Vec<String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSourceSpec {
    #[schemars(with = "String")]
    pub namespace: Spanned<String>,
    /// Pod labels that must all match, e.g. `{app.kubernetes.io/name: ingress-nginx}`.
    #[schemars(with = "BTreeMap<String, String>")]
    pub selector: Spanned<BTreeMap<String, String>>,
    /// Only this container of the pod (default: every container).
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Nginx,
    Json,
    Logfmt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Destination {
    Loki,
    Elasticsearch,
}

/// Keys of a structured log line; nested JSON keys use dots, e.g. `request.path`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_unit: Option<Spanned<DurationUnit>>,
    /// Client IP address (optional; without it there is no top-clients panel).
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<Spanned<String>>,
    /// User agent (optional).
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Spanned<String>>,
    /// The route the application matched, e.g. `/v1/refunds/{id}`
    /// (optional; else the path, folded by `routes`).
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalsSpec {
    /// Requests (or messages, queries) per second. Default: the first SLI's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<SignalSpec>,
    /// Failed requests per second. Default: the first SLI's errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<SignalSpec>,
    /// p50, p90 and p99 from a classic histogram. Default: the first latency SLI's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySignalSpec>,
    /// How full the service is, e.g. connections in use over the maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saturation: Option<SignalSpec>,
    /// Extra panels, e.g. replication lag or slow queries for a database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub panels: Vec<PanelSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalSpec {
    #[schemars(with = "String")]
    pub query: Spanned<String>,
    /// Grafana unit id, e.g. `reqps`, `percentunit`, `s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySignalSpec {
    /// Histogram base name; lookout reads `<histogram>_bucket`.
    #[schemars(with = "String")]
    pub histogram: Spanned<String>,
    /// Label selector, e.g. `{job="checkout"}`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelSpec {
    #[schemars(with = "String")]
    pub title: Spanned<String>,
    #[schemars(with = "String")]
    pub query: Spanned<String>,
    /// Grafana unit id, e.g. `s`, `short`, `percentunit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Legend format, e.g. `{{instance}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legend: Option<String>,
    /// Draw a threshold line at this value: red above it, or below it with
    /// `threshold_direction: below`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Which side of `threshold` is bad: `above` (the default: latency,
    /// lag) or `below` (a cluster size, free connections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold_direction: Option<crate::model::ThresholdDirection>,
}

/// One service level objective.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// Name, unique within the service, `[a-z0-9][a-z0-9_-]*`. Becomes the `slo` label.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// What the SLO promises, in words; shown in alerts and runbooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Target, in percent: above 1 and below 100, e.g. `99.9` (`0.999` is an error).
    #[schemars(with = "f64", range(min = 0, max = 100))]
    pub objective: Spanned<f64>,
    /// Compliance window: rolling, `Nd` or `Nw` (default `30d`), or a
    /// calendar period, `week` (from Monday), `month` or `quarter`, whose
    /// budget resets at each period's start.
    #[schemars(
        with = "Option<String>",
        regex(pattern = r"^([0-9]+[dw]|week|month|quarter)$")
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Spanned<String>>,
    /// One SLO per value of these labels (a route, a tenant), from one
    /// spec: every SLI query must aggregate by exactly these labels at its
    /// outermost aggregation, e.g. `sum by (route) (…)`. Alerts fire, and
    /// dashboards and `status` show a row, per group. Not for log SLIs.
    #[schemars(with = "Option<Vec<String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Spanned<Vec<Spanned<String>>>>,
    /// For a calendar window: where its periods start, overriding
    /// lookout.yaml's `calendar`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<crate::spec::config::CalendarConfig>,
    /// Labels added to every rule and alert of this SLO.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// How the SLI is measured: exactly one of `events`, `latency`, `raw`, `logs`.
    #[schemars(with = "SliSpec")]
    pub sli: Spanned<SliSpec>,
    /// Alerting settings. Page and ticket alerts are both on by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerting: Option<AlertingSpec>,
}

/// The SLI. Exactly one field must be set.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SliSpec {
    /// Error events over total events, two PromQL queries using `{{window}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<EventsSpec>,
    /// Share of requests slower than a threshold, from a classic Prometheus histogram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpec>,
    /// A PromQL query that returns the error ratio directly, using `{{window}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawSpec>,
    /// Error and total lines of a declared log source, evaluated by the Loki ruler.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<LogsSliSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsSliSpec {
    /// A log declared under the service's `logs:` with `loki` among its destinations.
    #[schemars(with = "String")]
    pub source: Spanned<String>,
    /// LogQL pipeline stages that keep the lines that count, after lookout's parser,
    /// e.g. `| path =~ "/v1/refunds.*"` (default: every line with a status). Parsed
    /// fields: status, method, path, duration, client, user_agent.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Spanned<String>>,
    /// LogQL stages applied after `events` that keep the bad ones, e.g.
    /// `| status >= 500`: the errors are a subset of the events.
    #[schemars(with = "String")]
    pub errors: Spanned<String>,
    /// No longer accepted: a `total` counted independently of `errors` let
    /// errors outside the total page. Replaced by `events`.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub total: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsSpec {
    /// Rate of bad events over `{{window}}`, e.g. `sum(rate(http_requests_total{code=~"5.."}[{{window}}]))`.
    #[schemars(with = "String")]
    pub errors: Spanned<String>,
    /// Rate of all events over `{{window}}`.
    #[schemars(with = "String")]
    pub total: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// Histogram base name; lookout reads `<histogram>_bucket` and `<histogram>_count`.
    #[schemars(with = "String")]
    pub histogram: Spanned<String>,
    /// Label selector, e.g. `{job="checkout"}`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<Spanned<String>>,
    /// Threshold in seconds; must equal a bucket boundary (`le`).
    #[schemars(with = "f64")]
    pub threshold: Spanned<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// PromQL that returns the error ratio (0..1) over `{{window}}`.
    #[schemars(with = "String")]
    pub error_ratio: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertingSpec {
    /// Alert name. Default: the service and SLO in PascalCase plus `ErrorBudgetBurn`.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Spanned<String>>,
    /// Labels added to this SLO's alerts only.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// Runbook URL for this SLO's alerts; overrides the service template.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<Spanned<String>>,
    /// The fast tier: 14.4x over 1h and 5m, or 6x over 6h and 30m (for 30d).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<TierSpec>,
    /// The slow tier: 3x over 1d and 2h, or 1x over 3d and 6h (for 30d).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TierSpec>,
    /// The alert that the SLI's data stopped, so that the tiers cannot
    /// fire. On by default wherever a tier is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_data: Option<NoDataSpec>,
    /// A window pair fires only once its long window counted at least this
    /// many bad events (errors, slow requests, error lines). Default 0.
    /// Not for `raw` SLIs, which have no counts.
    #[schemars(with = "Option<u64>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_errors: Option<Spanned<u64>>,
    /// While a pair's long window holds less data than its short window
    /// (a new SLO, or after a gap): `wait` (the default) holds the pair
    /// back, `fire` lets the short window alone decide.
    #[schemars(with = "Option<crate::model::ThinData>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thin_data: Option<Spanned<crate::model::ThinData>>,
}

/// One window pair of a custom tier: fires when the error ratio over
/// both windows exceeds `factor` times the error budget.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// The long window, e.g. `1h`: how much budget the pair must see spent.
    #[schemars(with = "String")]
    pub long: Spanned<String>,
    /// The short window, e.g. `5m`: shorter than `long`, so the alert
    /// resolves soon after the burn stops.
    #[schemars(with = "String")]
    pub short: Spanned<String>,
    /// The burn rate both windows must exceed, e.g. `14.4`.
    #[schemars(with = "f64")]
    pub factor: Spanned<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoDataSpec {
    /// Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// How long the SLI's series must be absent, e.g. `10m` (the default).
    #[serde(rename = "for")]
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_: Option<Spanned<String>>,
    /// The `severity` label. Default: the ticket's.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The `severity` label. Default `critical` for page, `warning` for ticket.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Spanned<String>>,
    /// How long the condition must hold before the alert fires, e.g. `2m` (default none).
    #[serde(rename = "for")]
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_: Option<Spanned<String>>,
    /// Labels added to this tier's alert.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    /// Window pairs replacing the tier's defaults (as Sloth's
    /// `AlertWindows`), e.g. `[{long: 1h, short: 5m, factor: 14.4}]`.
    #[schemars(with = "Option<Vec<WindowSpec>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<Spanned<Vec<WindowSpec>>>,
}

/// A value built rather than read (by an importer): no location.
pub fn built<T>(value: T) -> Spanned<T> {
    Spanned::new(
        value,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}
