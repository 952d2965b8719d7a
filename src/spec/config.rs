//! `lookout.yaml`, the project config: paths and defaults shared by all specs.
//!
//! The file is optional and every key has a default, so a repository with only
//! `slos/` works. Later layers (push targets) add their own sections here.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diag::{Diagnostics, FileId};

pub use crate::model::settings::PUSH_TARGETS;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lookout project config (lookout.yaml)")]
pub struct ProjectConfig {
    /// This project's name, on every object lookout writes to a live
    /// system, so that projects sharing a Prometheus, a Grafana or an
    /// Elasticsearch never touch each other's objects. Lowercase letters,
    /// digits and `-`. Default `default`, shared by every project that sets
    /// none; `lookout init` writes the folder's name.
    #[schemars(with = "Option<String>")]
    pub project: Option<Spanned<String>>,
    /// Directory of SLO specs, relative to this file. Default `slos`.
    pub slos: Option<String>,
    /// Where generated files go, relative to `--out` (default: this file's directory).
    #[serde(default)]
    pub output: OutputConfig,
    /// Runbook pages: where alerts link to (`base_url`), and your own page
    /// template if the built-in one does not fit.
    #[serde(default)]
    pub runbooks: RunbooksConfig,
    /// Grafana: links in alerts, provisioning and sidecar ConfigMaps.
    #[serde(default)]
    pub grafana: GrafanaConfig,
    /// Loki: where shippers push logs; log SLO rules go to its ruler.
    #[schemars(with = "Option<LokiConfig>")]
    pub loki: Option<Spanned<LokiConfig>>,
    /// Elasticsearch: where shippers write access-log data streams.
    #[schemars(with = "Option<ElasticsearchConfig>")]
    pub elasticsearch: Option<Spanned<ElasticsearchConfig>>,
    /// Kibana: where the access-log dashboards are imported.
    pub kibana: Option<KibanaConfig>,
    /// Prometheus: `apply` writes rule files into `rules_dir`, then reloads.
    pub prometheus: Option<PrometheusConfig>,
    /// Alertmanager: `plan` and `status` check that it is up.
    pub alertmanager: Option<AlertmanagerConfig>,
    /// The systems `plan` and `apply` push to, e.g. `[prometheus, grafana]`.
    /// Without it, every configured one: settings such as `grafana.url`
    /// that `build` needs would otherwise make a system a push target.
    #[schemars(with = "Option<Vec<String>>")]
    pub push: Option<Spanned<Vec<Spanned<String>>>>,
    /// The `severity` values alerts may carry; default `critical`,
    /// `warning` and `info`. Anything else is an error, since an
    /// Alertmanager route on the intended value would never match it.
    pub severities: Option<Vec<String>>,
    /// Which shipper serves Loki, and the shipper DaemonSets.
    #[serde(default)]
    pub shipping: ShippingConfig,
    /// Mimir (or Cortex) ruler, instead of or beside Prometheus.
    pub mimir: Option<MimirConfig>,
    /// Calendar SLOs (`window: month`, `week`, `quarter`): the UTC offset
    /// their periods start at, unless an SLO sets its own.
    pub calendar: Option<CalendarConfig>,
    /// Labels added to every rule and alert of every service.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub labels: Option<Spanned<std::collections::BTreeMap<String, String>>>,
}

/// Where calendar periods start.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// A fixed offset from UTC, `+02:00` or `-05:30`: periods start at
    /// 00:00 there. Default `+00:00`. Daylight saving time is not followed:
    /// Prometheus has no time-zone database.
    #[schemars(with = "Option<String>", regex(pattern = r"^[+-][0-9]{2}:[0-9]{2}$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<Spanned<String>>,
    /// On an SLO only: the time of day, `HH:MM` at that offset, its
    /// periods start (default `00:00`), as an OpenSLO calendar's
    /// `startTime` may say.
    #[schemars(with = "Option<String>", regex(pattern = r"^[0-9]{2}:[0-9]{2}$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Prometheus rule files. Default `rules` (tests go to `<rules>/tests`).
    pub rules: Option<String>,
    /// Runbook pages. Default `runbooks`.
    pub runbooks: Option<String>,
    /// Dashboards. Default `dashboards` (Grafana JSON goes to `<dashboards>/grafana`).
    pub dashboards: Option<String>,
    /// Kubernetes manifests. Default `kubernetes`.
    pub kubernetes: Option<String>,
    /// Log shipper configs (Alloy, Vector). Default `shipping`.
    pub shipping: Option<String>,
    /// Alertmanager configuration to merge (inhibit rules). Default `alertmanager`.
    pub alertmanager: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LokiConfig {
    /// Base URL, e.g. `http://loki-gateway.monitoring`; shippers push to `<url>/loki/api/v1/push`.
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// Tenant (`X-Scope-OrgID`) for multi-tenant Loki.
    pub tenant: Option<String>,
    /// Namespace of the Loki chart's ruler sidecar, where the rule
    /// ConfigMaps of `kubernetes/loki-rules/` go. Default `monitoring`.
    pub namespace: Option<String>,
    /// Environment variable holding a bearer token, when Loki needs one.
    #[schemars(with = "Option<String>")]
    pub token_env: Option<Spanned<String>>,
    /// How the shippers verify Loki's certificate.
    pub tls: Option<ShipperTls>,
    /// Whether the shippers attach each line's endpoint as the structured
    /// metadata `http_route` (default true). Structured metadata needs
    /// Loki 3.0 or later with `allow_structured_metadata`, its default;
    /// a Loki that disallows it rejects every push that carries it, so
    /// set `false` for such a Loki.
    pub structured_metadata: Option<bool>,
}

/// TLS settings the shipper configs carry, as seen from the shipper's pod:
/// the DaemonSets mount the Secret `lookout-shipping-tls`, when it exists,
/// at `/etc/lookout/tls`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipperTls {
    /// A CA bundle in the shipper's pod, e.g. `/etc/lookout/tls/ca.crt`.
    pub ca_file: Option<String>,
    /// The server's certificate is from a public CA, which the shipper
    /// image's system trust store holds: no `ca_file` is needed (and
    /// `check` does not warn that one is missing).
    pub system_trust: Option<bool>,
    /// Skip certificate verification. For tests only.
    pub insecure_skip_verify: Option<bool>,
}

/// Which shipper sends logs to Loki, and how the shippers run. Each
/// destination gets exactly one shipper, so no line is stored twice.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingConfig {
    /// `alloy` (default) or `vector`. Elasticsearch is always Vector's.
    #[schemars(with = "Option<String>")]
    pub loki: Option<Spanned<String>>,
    /// Namespace of the shipper DaemonSets (default `monitoring`).
    pub namespace: Option<String>,
    /// Alloy's image; 1.4 or later (`sys.env`).
    pub alloy_image: Option<String>,
    /// Vector's image; 0.43 or later.
    pub vector_image: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// Base URL, e.g. `https://elasticsearch.logging:9200`.
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// Environment variable holding an API key (the base64 `encoded` form).
    #[schemars(with = "Option<String>")]
    pub api_key_env: Option<Spanned<String>>,
    /// File holding the API key, for `apply` (shippers use `api_key_env`).
    pub api_key_file: Option<String>,
    /// How the shippers verify Elasticsearch's certificate (ECK's is
    /// self-signed by default).
    pub tls: Option<ShipperTls>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KibanaConfig {
    /// Base URL, e.g. `https://kibana.logging:5601`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Environment variable holding an API key.
    pub api_key_env: Option<String>,
    /// File holding the API key, instead of `api_key_env`.
    pub api_key_file: Option<String>,
    /// Kibana space. Default `default`.
    pub space: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// Base URL, e.g. `http://127.0.0.1:9090`; needs `--web.enable-lifecycle` for reloads.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Directory Prometheus loads rule files from (`rule_files: [<dir>/*.yaml]`).
    pub rules_dir: Option<String>,
    /// Evaluation interval of each SLO's rule group for windows of 2h and
    /// more (ticket alerts, budgets). Default `5m`: a ticket fires at most
    /// this much later than at a 1m interval, for a fraction of the cost.
    #[schemars(with = "Option<String>")]
    pub long_interval: Option<Spanned<String>>,
    /// Your Prometheus's global `evaluation_interval`. Default `1m`,
    /// Prometheus's own default. An SLO with `alerting.min_errors` counts
    /// its errors as samples of the 5m rate times this interval, so its
    /// `sli` group (and its Loki group) run at it explicitly; `explain`
    /// and the promtool tests evaluate at it.
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// Namespace of the PrometheusRule objects in `kubernetes/prometheus-rules/`.
    /// Default `monitoring`.
    pub namespace: Option<String>,
    /// Prometheus as Argo Rollouts and Flagger reach it from inside the
    /// cluster. Default `http://prometheus-operated.<namespace>:9090`, the
    /// Prometheus Operator's Service.
    pub cluster_url: Option<String>,
    /// Labels of the PrometheusRule objects, which the Prometheus Operator's
    /// `ruleSelector` must match. Default `{release: kube-prometheus-stack}`,
    /// what kube-prometheus-stack selects when installed as that release.
    pub rule_labels: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// Base URL, e.g. `http://alertmanager-operated.monitoring:9093`;
    /// `plan` and `status` check its `/-/ready`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// The namespace of the `AlertmanagerConfig` objects lookout writes to
    /// `kubernetes/alertmanager/` (the inhibit rules, per service). The
    /// operator applies such an object only to alerts whose `namespace`
    /// label is its namespace, so every alert gets that label. Without
    /// it, no `AlertmanagerConfig` is written: merge
    /// `alertmanager/inhibit_rules.yaml` into the global configuration.
    pub namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MimirConfig {
    /// Base URL, e.g. `http://mimir-ruler:8080`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Tenant (`X-Scope-OrgID`).
    pub tenant: Option<String>,
    /// Environment variable holding a bearer token.
    pub token_env: Option<String>,
    /// `/prometheus/config/v1/rules` (Mimir, default) or `/api/v1/rules` (Cortex).
    pub rules_path: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrafanaConfig {
    /// Grafana's base URL; alerts then get a `dashboard_url` annotation.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Folder the dashboards go in. Default `SLOs`.
    pub folder: Option<String>,
    /// Where the file provider reads dashboards from. Default `/var/lib/grafana/dashboards/lookout`.
    pub provisioning_path: Option<String>,
    /// Namespace of the sidecar ConfigMaps. Default `monitoring`.
    pub namespace: Option<String>,
    /// Environment variable holding a service-account token, for `apply`.
    pub token_env: Option<String>,
    /// File holding the token, instead of `token_env`.
    pub token_file: Option<String>,
    /// Uid of the Prometheus datasource the dashboards select by default.
    pub datasource: Option<String>,
    /// Uid of Grafana's Loki data source: runbooks of services with logs in
    /// Loki then link to Explore.
    pub loki_datasource: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbooksConfig {
    /// Alerts link to `<base_url>/<service>/<slo>.md` unless the spec gives a runbook URL.
    #[schemars(with = "Option<String>")]
    pub base_url: Option<Spanned<String>>,
    /// A handlebars template replacing the built-in runbook page, relative to this file.
    #[schemars(with = "Option<String>")]
    pub template: Option<Spanned<String>>,
}

/// The config as loaded, with where it came from.
#[derive(Debug, Default)]
pub struct LoadedConfig {
    pub config: ProjectConfig,
    /// The config's source, when a file was read.
    pub file: Option<FileId>,
    /// Directory that relative paths in the config resolve against.
    pub root: PathBuf,
}

impl LoadedConfig {
    pub fn resolve(&self, relative: &str) -> PathBuf {
        crate::model::settings::resolve_path(&self.root, relative)
    }
}

fn config_field_names(_: &str) -> &'static [&'static str] {
    &[
        "project",
        "slos",
        "output",
        "runbooks",
        "labels",
        "rules",
        "base_url",
        "template",
        "grafana",
        "url",
        "folder",
        "provisioning_path",
        "namespace",
        "loki",
        "tenant",
        "token_env",
        "elasticsearch",
        "api_key_env",
        "kibana",
        "space",
        "shipping",
        "prometheus",
        "rules_dir",
        "alertmanager",
        "mimir",
        "token_file",
        "datasource",
        "api_key_file",
        "rules_path",
        "tls",
        "ca_file",
        "insecure_skip_verify",
        "system_trust",
        "alloy_image",
        "vector_image",
        "push",
        "severities",
        "loki_datasource",
        "structured_metadata",
    ]
}

/// Loads `path` if given (it must exist), else `./lookout.yaml` if present.
/// The project config for specs in `slos`: the nearest `lookout.yaml` in
/// `slos` or a directory above it, as cargo finds `Cargo.toml`; without
/// `--slos`, the nearest in the current directory or above it.
pub fn discover(slos: Option<&Path>) -> Option<PathBuf> {
    if let Some(slos) = slos {
        return slos
            .ancestors()
            .map(|dir| dir.join("lookout.yaml"))
            .find(|path| path.is_file());
    }
    // From any folder of the project (`cd slos && lookout build`), as git
    // and cargo find theirs; named relative to here (`../lookout.yaml`).
    let here = std::env::current_dir().ok()?;
    here.ancestors().enumerate().find_map(|(up, dir)| {
        dir.join("lookout.yaml").is_file().then(|| {
            let mut path: PathBuf = std::iter::repeat_n("..", up).collect();
            path.push("lookout.yaml");
            path
        })
    })
}

pub fn load(explicit: Option<&Path>, diags: &mut Diagnostics) -> Option<LoadedConfig> {
    let (path, required) = match explicit {
        Some(path) => (path.to_path_buf(), true),
        None => (PathBuf::from("lookout.yaml"), false),
    };
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    if !path.exists() {
        if required {
            diags.push(
                crate::diag::Diagnostic::error("config::not-found", "config file not found")
                    .in_path(&path),
            );
            return None;
        }
        return Some(LoadedConfig {
            config: ProjectConfig::default(),
            file: None,
            root,
        });
    }
    let text = super::read_text(&path, diags)?;
    parse(&path, text, diags)
}

/// Parses config text read from `path`.
pub fn parse(path: &Path, text: String, diags: &mut Diagnostics) -> Option<LoadedConfig> {
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let file = diags.sources.add(path, text);
    if diags.sources.text(file).trim().is_empty() {
        return Some(LoadedConfig {
            config: ProjectConfig::default(),
            file: Some(file),
            root,
        });
    }
    let config = super::parse_document::<ProjectConfig>(diags, file, config_field_names)?;
    Some(LoadedConfig {
        config,
        file: Some(file),
        root,
    })
}
