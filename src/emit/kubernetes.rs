//! Kubernetes manifests: one ConfigMap per Grafana dashboard under
//! `kubernetes/grafana-dashboards/`, labelled `grafana_dashboard: "1"` so
//! the Grafana sidecar (kube-prometheus-stack, grafana chart) loads it.
//!
//! This backend packages another backend's files rather than the model, so
//! the ConfigMaps can never disagree with `dashboards/grafana/`.

use super::yaml::{self, Node};
use super::{Artifact, EmitOptions, GENERATED_MARKER};

/// ConfigMaps for the dashboard artifacts among `artifacts`.
pub fn emit(artifacts: &[Artifact], options: &EmitOptions) -> Vec<Artifact> {
    artifacts
        .iter()
        .filter(|a| a.path.extension().is_some_and(|e| e == "json"))
        .filter_map(|dashboard| {
            let file = dashboard.path.file_name()?.to_string_lossy().into_owned();
            let stem = file.trim_end_matches(".json");
            Some(Artifact {
                path: options
                    .kubernetes_dir
                    .join("grafana-dashboards")
                    .join(format!("{stem}.yaml")),
                contents: config_map(stem, &file, &dashboard.contents, options),
            })
        })
        .collect()
}

fn config_map(stem: &str, file: &str, json: &str, options: &EmitOptions) -> String {
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
            Node::Map(vec![(file.to_string().into(), Node::str(json))]),
        )
        .build();
    yaml::document(
        &[
            GENERATED_MARKER,
            "Grafana sidecar ConfigMap; apply with `kubectl apply -f`.",
        ],
        &doc,
    )
}
