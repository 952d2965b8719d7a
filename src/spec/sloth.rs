//! Sloth's specs, as `lookout import sloth` reads them: `version:
//! prometheus/v1` files and Kubernetes `sloth.slok.dev/v1`
//! `PrometheusServiceLevel` objects, several documents per file. The types
//! follow Sloth's own (`pkg/prometheus/api/v1` and the CRD in
//! `pkg/kubernetes/gen/crd/sloth.slok.dev_prometheusservicelevels.yaml`):
//! snake_case keys in the former, camelCase in the latter, accepted as
//! aliases so one set of types reads both. A key Sloth does not know is a
//! warning here, never a silent drop; `import` decides what each known key
//! becomes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

/// One Sloth service: the body of a `prometheus/v1` file or of a
/// `PrometheusServiceLevel`'s `spec`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub version: Option<Spanned<String>>,
    pub service: Spanned<String>,
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(alias = "sloPlugins")]
    pub slo_plugins: Option<Spanned<PluginChain>>,
    pub slos: Vec<Slo>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    pub name: Spanned<String>,
    pub objective: Spanned<f64>,
    pub description: Option<String>,
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    pub sli: Spanned<Sli>,
    pub alerting: Option<Alerting>,
    pub plugins: Option<Spanned<PluginChain>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sli {
    pub events: Option<Events>,
    pub raw: Option<Raw>,
    pub plugin: Option<Spanned<SliPlugin>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    #[serde(alias = "errorQuery")]
    pub error_query: Spanned<String>,
    #[serde(alias = "totalQuery")]
    pub total_query: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    #[serde(alias = "errorRatioQuery")]
    pub error_ratio_query: Spanned<String>,
}

/// An SLI computed by a Go plugin Sloth loads at run time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliPlugin {
    pub id: String,
    pub options: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerting {
    pub name: Option<Spanned<String>>,
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    pub annotations: Option<Spanned<BTreeMap<String, String>>>,
    #[serde(alias = "pageAlert")]
    pub page_alert: Option<Alert>,
    #[serde(alias = "ticketAlert")]
    pub ticket_alert: Option<Alert>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub disable: Option<bool>,
    pub labels: Option<Spanned<BTreeMap<String, String>>>,
    pub annotations: Option<Spanned<BTreeMap<String, String>>>,
}

/// Sloth's SLO plugin chain (v0.12 on): Go code that rewrites the rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginChain {
    #[serde(alias = "overridePrevious")]
    pub override_previous: Option<bool>,
    #[serde(default)]
    pub chain: Vec<Spanned<PluginRef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginRef {
    pub id: String,
    pub priority: Option<i64>,
    pub config: Option<serde_json::Value>,
}

/// A `PrometheusServiceLevel` object. `apiVersion` and `kind` were read
/// from the header, and `metadata` has nothing lookout needs: they are
/// accepted, not kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KubernetesObject {
    #[serde(rename = "apiVersion")]
    _api_version: IgnoredAny,
    #[serde(rename = "kind")]
    _kind: IgnoredAny,
    #[serde(rename = "metadata", default)]
    _metadata: Option<IgnoredAny>,
    spec: Service,
}

/// The Sloth services in one file, each with the file it came from.
pub struct SlothFile {
    pub file: FileId,
    pub services: Vec<Service>,
}

pub(crate) const PROMETHEUS_V1: &str = "prometheus/v1";
const KUBERNETES_V1: &str = "sloth.slok.dev/v1";
const KUBERNETES_KIND: &str = "PrometheusServiceLevel";

/// Reads every Sloth service in `text`. Documents of another format
/// (OpenSLO, an unrelated Kubernetes object) are errors that say so.
pub fn parse(path: &Path, text: String, diags: &mut Diagnostics) -> SlothFile {
    let file = diags.sources.add(path, text);
    let mut services = Vec::new();
    let documents = super::nonempty_documents(diags.sources.text(file));
    if documents.is_empty() {
        diags.push(Diagnostic::error("import::empty", "no YAML document to import").in_path(path));
    }
    for range in documents {
        let header: Option<super::DocumentHeader> =
            super::parse_foreign_document(diags, file, range, |_| &[], "import::unknown-key");
        let Some(header) = header else { continue };
        let at = Some(Span {
            file,
            offset: range.0,
            len: 1,
        });
        match (
            header.version(),
            header.api_version(),
            header.kind(),
        ) {
            (Some(PROMETHEUS_V1), None, _) => {
                if let Some(service) = super::parse_foreign_document::<Service>(
                    diags,
                    file,
                    range,
                    field_names,
                    "import::unknown-key",
                ) {
                    services.push(service);
                }
            }
            (None, Some(KUBERNETES_V1), Some(KUBERNETES_KIND)) => {
                if let Some(object) = super::parse_foreign_document::<KubernetesObject>(
                    diags,
                    file,
                    range,
                    field_names,
                    "import::unknown-key",
                ) {
                    services.push(object.spec);
                }
            }
            (Some(version), _, _) | (None, Some(version), _) if version.starts_with("openslo/") => diags.push(
                Diagnostic::error(
                    "import::not-sloth",
                    format!("this is an OpenSLO document (`{version}`), not a Sloth spec"),
                )
                .at_opt(at)
                .help("import it with `lookout import openslo`"),
            ),
            (version, api_version, kind) => diags.push(
                Diagnostic::error(
                    "import::not-sloth",
                    format!(
                        "not a Sloth spec: expected `version: {PROMETHEUS_V1}` or `apiVersion: {KUBERNETES_V1}` with `kind: {KUBERNETES_KIND}`, found {}",
                        match (version, api_version, kind) {
                            (Some(v), _, _) => format!("`version: {v}`"),
                            (None, Some(a), k) => format!("`apiVersion: {a}`, `kind: {}`", k.unwrap_or("(none)")),
                            (None, None, _) => "neither".into(),
                        }
                    ),
                )
                .at_opt(at),
            ),
        }
    }
    SlothFile { file, services }
}

/// What a file found in a folder is, when it is not a Sloth spec but one
/// of the other files a Sloth repository holds: `import` skips it with a
/// note. `None`: a spec (or something to report as not one).
pub fn skip_reason(text: &str) -> Option<&'static str> {
    #[derive(serde::Deserialize)]
    struct Header {
        version: Option<String>,
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
        kind: Option<String>,
        groups: Option<serde::de::IgnoredAny>,
    }
    let headers: Vec<Header> = serde_saphyr::from_multiple(text).ok()?;
    let spec = |h: &Header| {
        h.version.as_deref() == Some(PROMETHEUS_V1)
            || (h.api_version.as_deref() == Some(KUBERNETES_V1)
                && h.kind.as_deref() == Some(KUBERNETES_KIND))
    };
    let first = headers.first()?;
    if headers.iter().any(spec) {
        return None;
    }
    let openslo = |v: &Option<String>| v.as_deref().is_some_and(|v| v.starts_with("openslo/"));
    Some(match (first, first.kind.as_deref()) {
        (h, _) if h.groups.is_some() => {
            "Prometheus rule files, such as Sloth's generated output (`_gen/`)"
        }
        (h, Some("AlertWindows")) if h.api_version.as_deref() == Some(KUBERNETES_V1) => {
            "Sloth AlertWindows (custom alert windows): lookout's windows are fixed until custom alert tiers land"
        }
        (_, Some("PrometheusRule")) => "PrometheusRule objects (generated rules)",
        (h, _) if openslo(&h.version) || openslo(&h.api_version) => {
            "OpenSLO documents: import them with `lookout import openslo`"
        }
        _ => return None,
    })
}

/// Every key Sloth's specs know, for "did you mean" on an unknown one.
fn field_names(_: &str) -> &'static [&'static str] {
    &[
        "version",
        "service",
        "labels",
        "slo_plugins",
        "sloPlugins",
        "slos",
        "name",
        "objective",
        "description",
        "sli",
        "alerting",
        "plugins",
        "events",
        "raw",
        "plugin",
        "error_query",
        "errorQuery",
        "total_query",
        "totalQuery",
        "error_ratio_query",
        "errorRatioQuery",
        "id",
        "options",
        "annotations",
        "page_alert",
        "pageAlert",
        "ticket_alert",
        "ticketAlert",
        "disable",
        "override_previous",
        "overridePrevious",
        "chain",
        "priority",
        "config",
        "apiVersion",
        "kind",
        "metadata",
        "spec",
    ]
}
