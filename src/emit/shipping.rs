//! Log shipper configs, one file per shipper for the whole project:
//!
//! - `shipping/alloy/config.alloy`: Grafana Alloy, for the logs bound for
//!   Loki (Promtail reached end of life on 2026-03-02);
//! - `shipping/vector/vector.yaml`: Vector, for both Loki and Elasticsearch.
//!
//! Both run as a DaemonSet and read only their node's pods (Alloy through a
//! `spec.nodeName` field selector, Vector by default), so no line is shipped
//! twice. Both set the same low-cardinality Loki labels (`service`, `stream` and,
//! for pods, `namespace`; see `LogSource::loki_labels`) that the Loki rules
//! select on. Vector writes each service's lines to its data stream with
//! `create`, the only bulk action data streams accept, and sets
//! `event.dataset`, which the ingest pipeline routes on. Credentials are
//! read from environment variables named in lookout.yaml, never inlined.

use std::borrow::Cow;
use std::fmt::Write;

use super::yaml::{self, Node};
use super::{Artifact, EmitOptions, GENERATED_MARKER};
use crate::model::logs::data_stream;
use crate::model::{LogInput, LogSource, Model};

/// Kubernetes labels a pod may carry by the thousand; they would blow up
/// the Elasticsearch mapping.
const VECTOR_DROPPED_FIELDS: &[&str] = &[
    "kubernetes.pod_labels",
    "kubernetes.pod_annotations",
    "kubernetes.namespace_labels",
    "kubernetes.node_labels",
    "source_type",
];

pub fn emit(model: &Model, options: &EmitOptions) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    let loki_logs: Vec<&LogSource> = model.logs().filter(|l| l.to_loki).collect();
    if let (Some(loki), false) = (&options.loki, loki_logs.is_empty()) {
        artifacts.push(Artifact {
            path: options.shipping_dir.join("alloy").join("config.alloy"),
            contents: alloy(&loki_logs, loki),
        });
    }
    if model.logs().next().is_some() {
        artifacts.push(Artifact {
            path: options.shipping_dir.join("vector").join("vector.yaml"),
            contents: vector(model, options),
        });
    }
    artifacts
}

/// A double-quoted string literal with JSON escapes, which both Alloy and
/// Vector's VRL read as the same string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialise")
}

fn alloy(logs: &[&LogSource], loki: &super::LokiTarget) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "// {GENERATED_MARKER}");
    out.push_str("// Grafana Alloy: ships the logs declared in the service specs to Loki.\n");
    out.push_str("// Edit the specs and run `lookout build`.\n\n");
    out.push_str("loki.write \"lookout\" {\n  endpoint {\n");
    let _ = writeln!(
        out,
        "    url = {}",
        quoted(&format!("{}/loki/api/v1/push", loki.url))
    );
    if let Some(tenant) = &loki.tenant {
        let _ = writeln!(out, "    tenant_id = {}", quoted(tenant));
    }
    if let Some(env) = &loki.token_env {
        let _ = writeln!(out, "    bearer_token = sys.env({})", quoted(env));
    }
    out.push_str("  }\n}\n");
    for log in logs {
        let id = log.component_id();
        let _ = writeln!(
            out,
            "\n// {} / {} ({})",
            log.service,
            log.name,
            log.format.as_str()
        );
        match &log.input {
            LogInput::Kubernetes {
                namespace,
                container,
                ..
            } => {
                let selector = log.input.label_selector().unwrap_or_default();
                let _ = write!(
                    out,
                    "discovery.kubernetes {id:?} {{\n  role = \"pod\"\n  namespaces {{\n    names = [{}]\n  }}\n  selectors {{\n    role  = \"pod\"\n    label = {}\n    field = \"spec.nodeName=\" + coalesce(sys.env(\"HOSTNAME\"), constants.hostname)\n  }}\n}}\n\n",
                    quoted(namespace),
                    quoted(&selector),
                );
                let _ = writeln!(out, "discovery.relabel {id:?} {{");
                let _ = writeln!(out, "  targets = discovery.kubernetes.{id}.targets");
                if let Some(container) = container {
                    let _ = write!(
                        out,
                        "  rule {{\n    source_labels = [\"__meta_kubernetes_pod_container_name\"]\n    regex         = {}\n    action        = \"keep\"\n  }}\n",
                        quoted(container)
                    );
                }
                for (label, value) in log.loki_labels() {
                    if label == "namespace" {
                        out.push_str("  rule {\n    source_labels = [\"__meta_kubernetes_namespace\"]\n    target_label  = \"namespace\"\n  }\n");
                    } else {
                        let _ = write!(
                            out,
                            "  rule {{\n    target_label = {}\n    replacement  = {}\n  }}\n",
                            quoted(label),
                            quoted(&value)
                        );
                    }
                }
                out.push_str("}\n\n");
                let _ = write!(
                    out,
                    "loki.source.kubernetes {id:?} {{\n  targets    = discovery.relabel.{id}.output\n  forward_to = [loki.write.lookout.receiver]\n}}\n"
                );
            }
            LogInput::Files { paths } => {
                let _ = writeln!(out, "local.file_match {id:?} {{\n  path_targets = [");
                for path in paths {
                    let mut target = vec![format!("\"__path__\" = {}", quoted(path))];
                    for (label, value) in log.loki_labels() {
                        target.push(format!("{} = {}", quoted(label), quoted(&value)));
                    }
                    let _ = writeln!(out, "    {{{}}},", target.join(", "));
                }
                out.push_str("  ]\n}\n\n");
                let _ = write!(
                    out,
                    "loki.source.file {id:?} {{\n  targets    = local.file_match.{id}.targets\n  forward_to = [loki.relabel.{id}.receiver]\n}}\n\n"
                );
                // loki.source.file adds a `filename` label: one stream per
                // rotated file. Drop it to keep the labels as declared.
                let _ = write!(
                    out,
                    "loki.relabel {id:?} {{\n  forward_to = [loki.write.lookout.receiver]\n  rule {{\n    action = \"labeldrop\"\n    regex  = \"filename\"\n  }}\n}}\n"
                );
            }
        }
    }
    out
}

fn key(name: impl Into<String>) -> Cow<'static, str> {
    Cow::Owned(name.into())
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Node {
    Node::Seq(items.into_iter().map(Node::str).collect())
}

fn vector(model: &Model, options: &EmitOptions) -> String {
    let mut sources = Vec::new();
    let mut transforms = Vec::new();
    let mut sinks = Vec::new();
    for service in &model.services {
        let mut es_inputs = Vec::new();
        for log in &service.logs {
            let id = log.component_id();
            sources.push((key(&id), vector_source(log)));
            if let (true, Some(loki)) = (log.to_loki, &options.loki) {
                let labels = Node::Map(
                    log.loki_labels()
                        .into_iter()
                        .map(|(k, v)| (Cow::Borrowed(k), Node::str(v)))
                        .collect(),
                );
                let mut sink = Node::map()
                    .str("type", "loki")
                    .entry("inputs", strings([id.as_str()]))
                    .str("endpoint", loki.url.as_str())
                    .entry("encoding", Node::map().str("codec", "text").build())
                    .entry("labels", labels)
                    .opt_str("tenant_id", loki.tenant.as_deref());
                if let Some(env) = &loki.token_env {
                    sink = sink.entry(
                        "auth",
                        Node::map()
                            .str("strategy", "bearer")
                            .str("token", format!("${{{env}}}"))
                            .build(),
                    );
                }
                sinks.push((key(format!("loki__{id}")), sink.build()));
            }
            if log.to_elasticsearch {
                let ecs = format!("{id}__ecs");
                let source = format!(
                    ".event.dataset = {}\n.service.name = {}\n.\"@timestamp\" = del(.timestamp)",
                    quoted(&log.dataset()),
                    quoted(&log.service)
                );
                transforms.push((
                    key(&ecs),
                    Node::map()
                        .str("type", "remap")
                        .entry("inputs", strings([id.as_str()]))
                        .str("source", source)
                        .build(),
                ));
                es_inputs.push(ecs);
            }
        }
        if let (false, Some(es)) = (es_inputs.is_empty(), &options.elasticsearch) {
            let mut sink = Node::map()
                .str("type", "elasticsearch")
                .entry("inputs", strings(es_inputs.iter().map(String::as_str)))
                .entry("endpoints", strings([es.url.as_str()]))
                .str("api_version", "auto")
                .str("mode", "bulk")
                .entry(
                    "bulk",
                    Node::map()
                        .str("action", "create")
                        .str("index", data_stream(&service.name))
                        .build(),
                )
                .entry(
                    "encoding",
                    Node::map()
                        .entry(
                            "except_fields",
                            strings(VECTOR_DROPPED_FIELDS.iter().copied()),
                        )
                        .build(),
                );
            if let Some(env) = &es.api_key_env {
                sink = sink.entry(
                    "request",
                    Node::map()
                        .entry(
                            "headers",
                            Node::map()
                                .str("Authorization", format!("ApiKey ${{{env}}}"))
                                .build(),
                        )
                        .build(),
                );
            }
            let id = service.name.replace('-', "_");
            sinks.push((key(format!("elasticsearch__{id}")), sink.build()));
        }
    }
    let mut root = Node::map().entry("sources", Node::Map(sources));
    if !transforms.is_empty() {
        root = root.entry("transforms", Node::Map(transforms));
    }
    root = root.entry("sinks", Node::Map(sinks));
    let header = [
        GENERATED_MARKER,
        "Vector: ships the logs declared in the service specs to Loki and Elasticsearch.",
        "Edit the specs and run `lookout build`.",
    ];
    yaml::document(&header, &root.build())
}

fn vector_source(log: &LogSource) -> Node {
    match &log.input {
        LogInput::Kubernetes {
            namespace,
            container,
            ..
        } => {
            let selector = log.input.label_selector().unwrap_or_default();
            let mut source = Node::map()
                .str("type", "kubernetes_logs")
                .str("extra_label_selector", selector)
                .str(
                    "extra_field_selector",
                    format!("metadata.namespace={namespace}"),
                );
            if let Some(container) = container {
                // Pod logs live at /var/log/pods/<ns>_<pod>_<uid>/<container>/N.log.
                source = source.entry(
                    "include_paths_glob_patterns",
                    strings([format!("**/{container}/*.log").as_str()]),
                );
            }
            source.build()
        }
        LogInput::Files { paths } => Node::map()
            .str("type", "file")
            .entry("include", strings(paths.iter().map(String::as_str)))
            .build(),
    }
}
