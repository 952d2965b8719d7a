//! Kubernetes manifests, for `kubectl apply -k kubernetes/` or an Argo CD
//! Application:
//! - one ConfigMap per Grafana dashboard under
//!   `kubernetes/grafana-dashboards/`, labelled `grafana_dashboard: "1"` so
//!   the Grafana sidecar (kube-prometheus-stack, grafana chart) loads it;
//! - one `PrometheusRule` per service under `kubernetes/prometheus-rules/`,
//!   labelled for the Prometheus Operator's `ruleSelector`;
//! - one ConfigMap per service with log SLOs under `kubernetes/loki-rules/`,
//!   its Loki ruler rule file, for the Loki chart's rules sidecar;
//! - `kubernetes/kustomization.yaml`, listing every manifest.
//!
//! This backend packages the other backends' output rather than the model,
//! so a ConfigMap can never disagree with `dashboards/grafana/`, nor a
//! PrometheusRule with `rules/`. Dashboard JSON is stored compact: the
//! sidecar only parses it, and a single line keeps these large files cheap
//! to write.

use std::path::Path;

use super::grafana::Dashboard;
use super::yaml::{self, Node};
use super::{Artifact, GENERATED_MARKER};
use crate::model::settings::{GrafanaSettings, Layout, LokiTarget, PrometheusSettings};
use crate::model::Service;

/// One ConfigMap per dashboard. Takes each dashboard's compact text, which
/// nothing else needs, to spare copying a large string.
pub fn emit(
    dashboards: &mut [Dashboard],
    layout: &Layout,
    grafana: &GrafanaSettings,
) -> Vec<Artifact> {
    dashboards
        .iter_mut()
        .map(|dashboard| {
            let stem = dashboard.file.trim_end_matches(".json");
            Artifact::file(
                layout
                    .dashboard_configmaps_dir()
                    .join(format!("{stem}.yaml")),
                config_map(
                    stem,
                    &dashboard.file,
                    std::mem::take(&mut dashboard.compact),
                    grafana,
                ),
            )
        })
        .collect()
}

fn config_map(stem: &str, file: &str, json: String, grafana: &GrafanaSettings) -> String {
    let doc = sidecar_config_map(
        &format!("lookout-dashboard-{stem}"),
        &grafana.namespace,
        ("grafana_dashboard", "grafana_folder", &grafana.folder),
        file,
        json,
    );
    yaml::document(
        &[
            GENERATED_MARKER,
            "Grafana sidecar ConfigMap; apply with `kubectl apply --server-side -f` (a",
            "dashboard can outgrow the 256 KiB client-side apply records).",
        ],
        &doc,
    )
}

/// A ConfigMap of one file for a k8s-sidecar (Grafana's dashboards, the
/// Loki chart's rules): `(label, annotation, value)` are the label the
/// sidecar selects on (set to `1`) and the annotation that places the file.
fn sidecar_config_map(
    name: &str,
    namespace: &str,
    (label, annotation, value): (&'static str, &'static str, &str),
    file: &str,
    contents: String,
) -> Node {
    Node::map()
        .str("apiVersion", "v1")
        .str("kind", "ConfigMap")
        .entry(
            "metadata",
            Node::map()
                .str("name", name)
                .str("namespace", namespace)
                .entry(
                    "labels",
                    Node::map()
                        .str(label, "1")
                        .str("app.kubernetes.io/managed-by", "lookout")
                        .build(),
                )
                .entry("annotations", Node::map().str(annotation, value).build())
                .build(),
        )
        .entry(
            "data",
            Node::Map(vec![(file.to_string().into(), Node::Str(contents))]),
        )
        .build()
}

/// A service's rule groups as a `monitoring.coreos.com/v1` PrometheusRule.
pub fn prometheus_rule(
    service: &Service,
    groups: Node,
    layout: &Layout,
    prometheus: &PrometheusSettings,
) -> Artifact {
    let mut labels = prometheus.rule_labels.clone();
    labels.insert("app.kubernetes.io/managed-by".into(), "lookout".into());
    let doc = Node::map()
        .str("apiVersion", "monitoring.coreos.com/v1")
        .str("kind", "PrometheusRule")
        .entry(
            "metadata",
            Node::map()
                .str("name", format!("lookout-{}", service.name))
                .str("namespace", prometheus.rule_namespace.as_str())
                .entry("labels", Node::labels(&labels))
                .build(),
        )
        .entry("spec", Node::map().entry("groups", groups).build())
        .build();
    let header = super::generated_header(&service.source);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Artifact::file(
        layout
            .prometheus_rule_objects_dir()
            .join(format!("{}.yaml", service.name)),
        yaml::document(&header, &doc),
    )
}

/// The tenant folder the Loki ruler's local store reads a rule file from
/// (`<directory>/<tenant>/<file>`, pkg/ruler/rulestore/local/local.go):
/// `fake` when Loki runs without multi-tenancy (`auth.no-auth-tenant`).
const LOKI_NO_AUTH_TENANT: &str = "fake";

/// A service's Loki ruler rule file as a ConfigMap for the Loki chart's
/// rules sidecar (k8s-sidecar): labelled `loki_rule` (the chart's
/// `sidecar.rules.label`), and annotated with the tenant's folder, which
/// the sidecar honours when the chart sets `sidecar.rules.folderAnnotation:
/// k8s-sidecar-target-directory`. The file name becomes the ruler
/// namespace.
pub fn loki_rules(
    service: &Service,
    rule_file: &str,
    layout: &Layout,
    loki: &LokiTarget,
) -> Artifact {
    let tenant = loki.tenant.as_deref().unwrap_or(LOKI_NO_AUTH_TENANT);
    let doc = sidecar_config_map(
        &format!("lookout-loki-rules-{}", service.name),
        &loki.namespace,
        ("loki_rule", LOKI_TENANT_ANNOTATION, tenant),
        &format!("{}.yaml", service.name),
        rule_file.to_string(),
    );
    let header = super::generated_header(&service.source);
    let mut header: Vec<&str> = header.iter().map(String::as_str).collect();
    header.push(
        "Loki ruler rules for the Loki chart's rules sidecar; see lookout's book, \"GitOps\".",
    );
    Artifact::file(
        layout
            .loki_rule_configmaps_dir()
            .join(format!("{}.yaml", service.name)),
        yaml::document(&header, &doc),
    )
}

/// The k8s-sidecar annotation that puts a ConfigMap's files in a folder
/// under its `FOLDER`; its default name when the chart's `folderAnnotation`
/// names no other.
pub const LOKI_TENANT_ANNOTATION: &str = "k8s-sidecar-target-directory";

/// The Kustomization of every manifest under `kubernetes/`, given every
/// output path of the build. Kustomize takes no globs, so it lists each.
pub fn kustomization<'a>(paths: impl Iterator<Item = &'a Path>, layout: &Layout) -> Artifact {
    let dir = &layout.kubernetes;
    let mut resources: Vec<String> = paths
        .filter_map(|path| path.strip_prefix(dir).ok())
        .filter(|path| path != &Path::new(KUSTOMIZATION))
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    resources.sort();
    let doc = Node::map()
        .str("apiVersion", "kustomize.config.k8s.io/v1beta1")
        .str("kind", "Kustomization")
        .entry(
            "resources",
            Node::Seq(resources.into_iter().map(Node::str).collect()),
        )
        .build();
    Artifact::file(
        dir.join(KUSTOMIZATION),
        yaml::document(
            &[
                GENERATED_MARKER,
                "Every manifest lookout writes: `kubectl apply --server-side -k kubernetes/`,",
                "or an Argo CD Application on this folder.",
            ],
            &doc,
        ),
    )
}

pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// Client-side `kubectl apply` keeps the whole object in its
/// last-applied annotation, and annotations are capped at 256 KiB, so a
/// larger ConfigMap only applies server-side: a warning for each.
pub fn large_config_maps<'a>(
    artifacts: impl Iterator<Item = &'a Artifact>,
    layout: &Layout,
) -> Vec<crate::diag::Diagnostic> {
    const ANNOTATION_LIMIT: usize = 256 * 1024;
    let dir = layout.dashboard_configmaps_dir();
    artifacts
        .filter(|artifact| {
            artifact.contents.len() > ANNOTATION_LIMIT && artifact.path.starts_with(&dir)
        })
        .map(|artifact| {
            crate::diag::Diagnostic::warning(
                "kubernetes::large-configmap",
                format!(
                    "this ConfigMap is {} KiB, above the 256 KiB that client-side `kubectl apply` can record",
                    artifact.contents.len().div_ceil(1024)
                ),
            )
            .in_path(artifact.path.clone())
            .help("apply it with `kubectl apply --server-side -f`, as its header says")
        })
        .collect()
}
