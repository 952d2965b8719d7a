//! Kubernetes manifests: one ConfigMap per Grafana dashboard under
//! `kubernetes/grafana-dashboards/`, labelled `grafana_dashboard: "1"` so
//! the Grafana sidecar (kube-prometheus-stack, grafana chart) loads it.
//!
//! This backend packages the Grafana backend's dashboards rather than the
//! model, so a ConfigMap can never disagree with `dashboards/grafana/`. The
//! JSON is stored compact: the sidecar only parses it, and a single line
//! keeps these large files cheap to write.

use super::grafana::Dashboard;
use super::yaml::{self, Node};
use super::{Artifact, EmitOptions, GENERATED_MARKER};

/// One ConfigMap per dashboard. Takes each dashboard's compact text, which
/// nothing else needs, to spare copying a large string.
pub fn emit(dashboards: &mut [Dashboard], options: &EmitOptions) -> Vec<Artifact> {
    dashboards
        .iter_mut()
        .map(|dashboard| {
            let stem = dashboard.file.trim_end_matches(".json");
            Artifact {
                path: options
                    .kubernetes_dir
                    .join("grafana-dashboards")
                    .join(format!("{stem}.yaml")),
                contents: config_map(
                    stem,
                    &dashboard.file,
                    std::mem::take(&mut dashboard.compact),
                    options,
                ),
            }
        })
        .collect()
}

fn config_map(stem: &str, file: &str, json: String, options: &EmitOptions) -> String {
    let doc = Node::map()
        .str("apiVersion", "v1")
        .str("kind", "ConfigMap")
        .entry(
            "metadata",
            Node::map()
                .str("name", format!("lookout-dashboard-{stem}"))
                .str("namespace", options.grafana.namespace.as_str())
                .entry(
                    "labels",
                    Node::map()
                        .str("grafana_dashboard", "1")
                        .str("app.kubernetes.io/managed-by", "lookout")
                        .build(),
                )
                .entry(
                    "annotations",
                    Node::map()
                        .str("grafana_folder", options.grafana.folder.as_str())
                        .build(),
                )
                .build(),
        )
        .entry(
            "data",
            Node::Map(vec![(file.to_string().into(), Node::Str(json))]),
        )
        .build();
    yaml::document(
        &[
            GENERATED_MARKER,
            "Grafana sidecar ConfigMap; apply with `kubectl apply --server-side -f` (a",
            "dashboard can outgrow the 256 KiB client-side apply records).",
        ],
        &doc,
    )
}
