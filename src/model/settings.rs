//! lookout.yaml lowered once, by `check::settings`: defaults applied, URLs
//! and names validated, paths resolved. Each backend takes the parts it
//! needs; `push` adds credentials to [`TargetSettings`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Duration;
use crate::diag::FileId;

#[derive(Debug, Clone)]
pub struct Settings {
    pub project: ProjectSettings,
    pub layout: Layout,
    pub prometheus: PrometheusSettings,
    pub grafana: GrafanaSettings,
    pub links: Links,
    pub runbooks: RunbookSettings,
    pub logs: LogSettings,
    /// The `severity` values alerts may carry.
    pub severities: Vec<String>,
    pub targets: TargetSettings,
    /// `alertmanager.namespace`: the `namespace` label of every alert, and
    /// where the `AlertmanagerConfig` objects go.
    pub alert_namespace: Option<String>,
    /// lookout.yaml's `calendar.utc_offset`, in minutes east of UTC: where
    /// calendar SLOs' periods start unless the SLO says.
    pub utc_offset_minutes: i32,
}

/// The `severity` values alerts may carry unless lookout.yaml says others.
pub const DEFAULT_SEVERITIES: [&str; 3] = ["critical", "warning", "info"];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            project: ProjectSettings::default(),
            layout: Layout::default(),
            prometheus: PrometheusSettings::default(),
            grafana: GrafanaSettings::default(),
            links: Links::default(),
            runbooks: RunbookSettings::default(),
            logs: LogSettings::default(),
            severities: DEFAULT_SEVERITIES.map(String::from).to_vec(),
            targets: TargetSettings::default(),
            alert_namespace: None,
            utc_offset_minutes: 0,
        }
    }
}

/// Where the project is and what it puts on every rule.
#[derive(Debug, Clone)]
pub struct ProjectSettings {
    /// What marks the objects this project owns in live systems.
    pub name: ProjectName,
    /// lookout.yaml's folder (`.` without one): relative paths in it
    /// resolve here, and outputs go here unless `--out` says otherwise.
    pub root: PathBuf,
    /// lookout.yaml as read, when there is one: its path, and its id among
    /// the diagnostics' sources.
    pub config: Option<(PathBuf, FileId)>,
    /// The spec folder: `--slos`, else lookout.yaml's `slos`, else `slos`.
    pub slos_dir: PathBuf,
    /// lookout.yaml's `labels`, validated: on every rule of every service.
    pub labels: BTreeMap<String, String>,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            name: ProjectName::default(),
            root: ".".into(),
            config: None,
            slos_dir: "slos".into(),
            labels: BTreeMap::new(),
        }
    }
}

/// A project's identity: lookout.yaml's `project`, or [`DEFAULT_PROJECT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName {
    pub name: String,
    /// Set in lookout.yaml. Projects that leave it out share the default,
    /// so they would own each other's objects: `plan` says so.
    pub pinned: bool,
}

impl Default for ProjectName {
    fn default() -> Self {
        ProjectName {
            name: DEFAULT_PROJECT.into(),
            pinned: false,
        }
    }
}

/// Where lookout's manifests go unless lookout.yaml says otherwise:
/// kube-prometheus-stack's namespace.
pub const DEFAULT_NAMESPACE: &str = "monitoring";

/// The project name when lookout.yaml sets none.
pub const DEFAULT_PROJECT: &str = "default";

/// A Kubernetes label value's length, so the name fits anywhere.
pub const MAX_PROJECT_NAME: usize = 63;

/// Lowercase ASCII letters and digits, `-` inside: a Grafana tag, a ruler
/// namespace prefix (before `:`), an Elasticsearch `_meta` value and a
/// label value alike.
pub fn is_project_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PROJECT_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// `text` (a folder's name, for `init`) made a project name: lowercased,
/// other characters as `-`.
pub fn project_name_from(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name: String = name
        .trim_matches('-')
        .chars()
        .take(MAX_PROJECT_NAME)
        .collect();
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        DEFAULT_PROJECT.into()
    } else {
        name.into()
    }
}

impl ProjectSettings {
    /// `relative` under the project root, as lookout.yaml's paths are read.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        resolve_path(&self.root, relative)
    }
}

/// Where each kind of output goes, relative to the output root.
#[derive(Debug, Clone)]
pub struct Layout {
    pub rules: PathBuf,
    pub runbooks: PathBuf,
    pub dashboards: PathBuf,
    pub kubernetes: PathBuf,
    pub shipping: PathBuf,
    /// Alertmanager configuration to merge: the inhibit rules.
    pub alertmanager: PathBuf,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            rules: "rules".into(),
            runbooks: "runbooks".into(),
            dashboards: "dashboards".into(),
            kubernetes: "kubernetes".into(),
            shipping: "shipping".into(),
            alertmanager: "alertmanager".into(),
        }
    }
}

impl Layout {
    pub fn grafana_dir(&self) -> PathBuf {
        self.dashboards.join("grafana")
    }

    pub fn kibana_dir(&self) -> PathBuf {
        self.dashboards.join("kibana")
    }

    pub fn elasticsearch_dir(&self) -> PathBuf {
        self.dashboards.join("elasticsearch")
    }

    /// The Grafana sidecar's dashboard ConfigMaps.
    pub fn dashboard_configmaps_dir(&self) -> PathBuf {
        self.kubernetes.join("grafana-dashboards")
    }

    /// The PrometheusRule objects.
    pub fn prometheus_rule_objects_dir(&self) -> PathBuf {
        self.kubernetes.join("prometheus-rules")
    }

    /// The Loki chart's rules sidecar ConfigMaps.
    pub fn loki_rule_configmaps_dir(&self) -> PathBuf {
        self.kubernetes.join("loki-rules")
    }

    /// The Prometheus Operator's AlertmanagerConfig objects.
    pub fn alertmanager_configs_dir(&self) -> PathBuf {
        self.kubernetes.join("alertmanager")
    }

    /// The generated promtool tests.
    pub fn rules_tests_dir(&self) -> PathBuf {
        self.rules.join("tests")
    }

    pub fn loki_rules_dir(&self) -> PathBuf {
        self.rules.join("loki")
    }

    /// The directories whose lookout-owned files `build` manages; an owned
    /// file there that is no longer generated is stale.
    pub fn owned_dirs(&self) -> Vec<PathBuf> {
        vec![
            self.rules.clone(),
            self.runbooks.clone(),
            self.grafana_dir(),
            self.kibana_dir(),
            self.elasticsearch_dir(),
            self.kubernetes.clone(),
            self.shipping.clone(),
            self.alertmanager.clone(),
        ]
    }
}

/// How the Prometheus rules are grouped and deployed.
#[derive(Debug, Clone)]
pub struct PrometheusSettings {
    /// Evaluation interval of the rule groups for long windows.
    pub long_interval: Duration,
    /// The Prometheus's global evaluation interval: the `sli` groups'.
    pub interval: Duration,
    /// Namespace of the PrometheusRule objects.
    pub rule_namespace: String,
    /// Labels of the PrometheusRule objects (the operator's ruleSelector).
    pub rule_labels: BTreeMap<String, String>,
    /// Prometheus as seen from inside the cluster, when configured.
    pub cluster_url: Option<String>,
}

/// The `long` group's default evaluation interval (`prometheus.long_interval`
/// in lookout.yaml), and so the most a ticket alert (whose windows are all
/// long) fires later than at a 1m interval. A tile spans one such interval,
/// so tiles neither overlap nor gap.
pub const DEFAULT_LONG_INTERVAL: Duration = Duration::minutes(5);

/// Prometheus's own default `evaluation_interval` (`prometheus.interval`).
pub const DEFAULT_INTERVAL: Duration = Duration::minutes(1);

impl PrometheusSettings {
    /// Prometheus as Argo Rollouts and Flagger reach it: the configured
    /// URL, else the Prometheus Operator's governing Service in the rules'
    /// namespace.
    pub fn cluster_url(&self) -> String {
        match &self.cluster_url {
            Some(url) => url.clone(),
            None => format!("http://prometheus-operated.{}:9090", self.rule_namespace),
        }
    }

    /// How the rules are evaluated, for `explain`'s times.
    pub fn evaluation(&self) -> super::detection::Evaluation {
        super::detection::Evaluation {
            interval: self.interval,
            long_interval: self.long_interval,
        }
    }
}

impl Default for PrometheusSettings {
    fn default() -> Self {
        PrometheusSettings {
            long_interval: DEFAULT_LONG_INTERVAL,
            interval: DEFAULT_INTERVAL,
            rule_namespace: DEFAULT_NAMESPACE.into(),
            rule_labels: [("release".to_string(), "kube-prometheus-stack".to_string())].into(),
            cluster_url: None,
        }
    }
}

/// How the Grafana dashboards are deployed.
#[derive(Debug, Clone)]
pub struct GrafanaSettings {
    /// The folder they are provisioned into, and pushed into.
    pub folder: String,
    /// Uid of the Prometheus data source the dashboards' `datasource`
    /// variable selects; Grafana's default data source when unset.
    pub datasource: Option<String>,
    pub provisioning_path: String,
    /// Namespace of the sidecar ConfigMaps.
    pub namespace: String,
}

/// The Grafana folder lookout's dashboards go in unless `grafana.folder`
/// says otherwise, for provisioning and the push alike.
pub const DEFAULT_GRAFANA_FOLDER: &str = "SLOs";

impl Default for GrafanaSettings {
    fn default() -> Self {
        GrafanaSettings {
            folder: DEFAULT_GRAFANA_FOLDER.into(),
            datasource: None,
            provisioning_path: "/var/lib/grafana/dashboards/lookout".into(),
            namespace: DEFAULT_NAMESPACE.into(),
        }
    }
}

/// Where alerts, runbooks and dashboards link to. Base URLs have no
/// trailing slash.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// Grafana, for `dashboard_url` annotations and dashboard links.
    pub grafana_url: Option<String>,
    /// Uid of Grafana's Loki data source, for Explore links in runbooks.
    pub loki_datasource: Option<String>,
    /// Kibana, for Discover links in runbooks.
    pub kibana_url: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RunbookSettings {
    /// `runbooks.base_url`: alerts link to `<base_url>/<service>/<slo>.md`.
    pub base_url: Option<String>,
    /// A project's runbook template, replacing the built-in one.
    pub template: Option<RunbookTemplate>,
}

#[derive(Debug, Clone)]
pub struct RunbookTemplate {
    pub text: String,
    /// Its source, for diagnostics that point into it.
    pub file: FileId,
}

/// The log backends the shipper configs write to, and how the shippers run.
#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    pub loki: Option<LokiTarget>,
    pub elasticsearch: Option<ElasticsearchTarget>,
    pub shipping: ShippingSettings,
}

#[derive(Debug, Clone)]
pub struct LokiTarget {
    /// Base URL without a trailing slash.
    pub url: String,
    pub tenant: Option<String>,
    /// Where the ruler sidecar's ConfigMaps go.
    pub namespace: String,
    /// Environment variable the shippers read a bearer token from.
    pub token_env: Option<String>,
    pub tls: ShipperTls,
    /// Whether the shippers attach `http_route` as structured metadata.
    pub structured_metadata: bool,
}

#[derive(Debug, Clone)]
pub struct ElasticsearchTarget {
    /// Base URL without a trailing slash.
    pub url: String,
    /// Environment variable the shippers read an API key from.
    pub api_key_env: Option<String>,
    pub tls: ShipperTls,
}

/// TLS for a shipper's connection, as the shipper's pod sees it.
#[derive(Debug, Clone, Default)]
pub struct ShipperTls {
    pub ca_file: Option<String>,
    pub insecure_skip_verify: bool,
}

/// Which shipper serves Loki (Vector always serves Elasticsearch), and
/// how the shipper DaemonSets run.
#[derive(Debug, Clone)]
pub struct ShippingSettings {
    pub loki_via_vector: bool,
    pub namespace: String,
    pub alloy_image: String,
    pub vector_image: String,
}

/// The shipper images when `shipping` names none: Alloy 1.4 added
/// `sys.env`, and Vector 0.43 has every option lookout uses
/// (`emit::compat`).
pub const DEFAULT_ALLOY_IMAGE: &str = "grafana/alloy:v1.5.1";
pub const DEFAULT_VECTOR_IMAGE: &str = "timberio/vector:0.43.1-distroless-libc";

impl Default for ShippingSettings {
    fn default() -> Self {
        ShippingSettings {
            loki_via_vector: false,
            namespace: DEFAULT_NAMESPACE.into(),
            alloy_image: DEFAULT_ALLOY_IMAGE.into(),
            vector_image: DEFAULT_VECTOR_IMAGE.into(),
        }
    }
}

/// The push targets as lookout.yaml describes them: URLs, names and where
/// credentials live, never the credentials. `push::targets` applies the
/// `LOOKOUT_<TARGET>_<KEY>` overrides and reads the credentials.
#[derive(Debug, Clone, Default)]
pub struct TargetSettings {
    /// lookout.yaml's `push:` list; `None` means every configured target.
    pub push: Option<Vec<String>>,
    pub prometheus: PrometheusTarget,
    pub alertmanager_url: Option<String>,
    pub grafana: GrafanaTarget,
    pub kibana: KibanaTarget,
    pub elasticsearch: CredentialedTarget,
    pub loki: RulerTarget,
    pub mimir: RulerTarget,
}

impl TargetSettings {
    /// Whether `apply` pushes log SLOs' rules to the Loki ruler: `loki` is
    /// in `push:`, or, without that list, `loki.url` is set. (The
    /// environment may name a URL too; lookout.yaml is what CI reviews.)
    pub fn pushes_loki(&self) -> bool {
        match &self.push {
            Some(targets) => targets.iter().any(|t| t == "loki"),
            None => self.loki.url.is_some(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PrometheusTarget {
    pub url: Option<String>,
    pub rules_dir: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct GrafanaTarget {
    pub url: Option<String>,
    pub token_env: Option<String>,
    pub token_file: Option<String>,
    pub folder: String,
}

#[derive(Debug, Clone, Default)]
pub struct KibanaTarget {
    pub url: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<String>,
    /// The Kibana space; `default` unless lookout.yaml names one.
    pub space: String,
}

#[derive(Debug, Clone, Default)]
pub struct CredentialedTarget {
    pub url: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RulerTarget {
    pub url: Option<String>,
    pub tenant: Option<String>,
    pub token_env: Option<String>,
    /// Path of the rules API under `url`.
    pub rules_path: String,
}

/// `relative` under `root`, as the user would type it: `slos/x.yaml`, not
/// `./slos/x.yaml`.
pub fn resolve_path(root: &std::path::Path, relative: &str) -> PathBuf {
    if root == std::path::Path::new(".") {
        PathBuf::from(relative)
    } else {
        root.join(relative)
    }
}

/// An absolute http(s) URL with a host; a one-label host (`http://grafana`,
/// a Kubernetes service) is as good as any.
/// (`https:///x` is refused here though WHATWG parsing would read host `x`.)
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| !rest.starts_with('/'))
        && !url.contains(char::is_whitespace)
        && url::Url::parse(url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// The systems lookout.yaml can name as push targets, in the order they
/// are shown.
pub const PUSH_TARGETS: &[&str] = &[
    "prometheus",
    "mimir",
    "loki",
    "grafana",
    "elasticsearch",
    "kibana",
    "alertmanager",
];

/// The Loki ruler's rules API under its base URL.
pub const LOKI_RULES_PATH: &str = "/loki/api/v1/rules";
/// Mimir's ruler API under its base URL (Cortex: `/api/v1/rules`, set with
/// `mimir.rules_path`).
pub const MIMIR_RULES_PATH: &str = "/prometheus/config/v1/rules";
/// The Kibana space saved objects go to unless lookout.yaml names one.
pub const DEFAULT_KIBANA_SPACE: &str = "default";
/// Loki lines carry `http_route` as structured metadata (Loki 3.0+) unless
/// `loki.structured_metadata: false`.
pub const DEFAULT_STRUCTURED_METADATA: bool = true;
