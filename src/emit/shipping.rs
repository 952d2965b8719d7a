//! Log shipper configs, one file per shipper for the whole project, and
//! the Kubernetes manifests that run them:
//!
//! - `shipping/alloy/config.alloy`: Grafana Alloy (1.4 or later, for
//!   `sys.env`), for the logs bound for Loki (Promtail reached end of life
//!   on 2026-03-02);
//! - `shipping/vector/vector.yaml`: Vector (0.43 or later), for the logs
//!   bound for Elasticsearch, and for Loki too with `shipping.loki: vector`;
//! - `kubernetes/shipping/<shipper>.yaml`: ServiceAccount, RBAC, the config
//!   as a ConfigMap, and the DaemonSet.
//!
//! Each destination gets exactly one shipper, so a line is never stored
//! twice (Alloy adds `job` and `instance` labels that Vector does not, so
//! two shippers would write two streams of the same lines). Both run as a
//! DaemonSet and read only their node's pods, the node name coming from the
//! Downward API (`NODE_NAME` for Alloy's field selector,
//! `VECTOR_SELF_NODE_NAME` for Vector). Both set the low-cardinality Loki
//! labels (`service`, `stream` and, for pods, `namespace`; see
//! `LogSource::loki_labels`) that the Loki rules select on, and attach the
//! line's endpoint as the structured metadata `http_route`, computed as the
//! ingest pipeline computes `http.route` (see `LOKI_ROUTE_KEY`). Vector writes
//! each service's lines to its data stream with `create`, the only bulk
//! action data streams accept, and sets `event.dataset`, which the ingest
//! pipeline routes on. Credentials are read from environment variables
//! named in lookout.yaml, never inlined; TLS settings come from lookout.yaml.

use std::borrow::Cow;
use std::fmt::Write;

use super::yaml::{self, Node};
use super::{Artifact, GENERATED_MARKER};
use crate::model::logs::{data_stream, LogFormat, LOKI_ROUTE_KEY, NGINX_PATH_REGEX};
use crate::model::settings::{Layout, LogSettings, LokiTarget, ShipperTls};
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

pub fn emit(model: &Model, layout: &Layout, options: &LogSettings) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    let alloy_logs: Vec<&LogSource> = model
        .logs()
        .filter(|l| l.to_loki && !options.shipping.loki_via_vector)
        .collect();
    if let (Some(loki), false) = (&options.loki, alloy_logs.is_empty()) {
        let config = alloy(&alloy_logs, loki);
        artifacts.push(Artifact::file(
            layout.shipping.join("alloy").join("config.alloy"),
            config.clone(),
        ));
        artifacts.push(manifest(Shipper::Alloy, config, layout, options));
    }
    if model.logs().any(|log| vector_ships(log, options)) {
        let config = vector(model, options);
        artifacts.push(Artifact::file(
            layout.shipping.join("vector").join("vector.yaml"),
            config.clone(),
        ));
        artifacts.push(manifest(Shipper::Vector, config, layout, options));
    }
    artifacts
}

/// Whether Vector ships `log` anywhere: to Elasticsearch always, to Loki
/// only when lookout.yaml picks it for Loki.
fn vector_ships(log: &LogSource, options: &LogSettings) -> bool {
    (log.to_elasticsearch && options.elasticsearch.is_some())
        || (log.to_loki && options.shipping.loki_via_vector && options.loki.is_some())
}

/// A double-quoted string literal with JSON escapes, which both Alloy and
/// Vector's VRL read as the same string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialise")
}

/// A dotted key as a path of quoted segments, `"http"."path"`: nested, as
/// in LogQL's `json` and the ingest pipeline, in JMESPath (Alloy) and VRL
/// alike, and any segment is an identifier.
fn quoted_path(key: &str) -> String {
    key.split('.').map(quoted).collect::<Vec<_>>().join(".")
}

fn alloy(logs: &[&LogSource], loki: &LokiTarget) -> String {
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
    if loki.tls.ca_file.is_some() || loki.tls.insecure_skip_verify {
        out.push_str("    tls_config {\n");
        if let Some(ca) = &loki.tls.ca_file {
            let _ = writeln!(out, "      ca_file = {}", quoted(ca));
        }
        if loki.tls.insecure_skip_verify {
            out.push_str("      insecure_skip_verify = true\n");
        }
        out.push_str("    }\n");
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
        let forward_to = if loki.structured_metadata {
            format!("loki.process.{id}.receiver")
        } else {
            "loki.write.lookout.receiver".to_string()
        };
        match &log.input {
            LogInput::Kubernetes {
                namespace,
                container,
                ..
            } => {
                let selector = log.input.label_selector().unwrap_or_default();
                let _ = write!(
                    out,
                    "discovery.kubernetes {id:?} {{\n  role = \"pod\"\n  namespaces {{\n    names = [{}]\n  }}\n  selectors {{\n    role  = \"pod\"\n    label = {}\n    field = \"spec.nodeName=\" + sys.env(\"{NODE_NAME_ENV}\")\n  }}\n}}\n\n",
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
                    "loki.source.kubernetes {id:?} {{\n  targets    = discovery.relabel.{id}.output\n  forward_to = [{forward_to}]\n}}\n"
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
                    "loki.relabel {id:?} {{\n  forward_to = [{forward_to}]\n  rule {{\n    action = \"labeldrop\"\n    regex  = \"filename\"\n  }}\n}}\n"
                );
            }
        }
        if loki.structured_metadata {
            out.push_str(&alloy_route_process(log));
        }
    }
    out
}

/// `loki.process`: the line's endpoint as the structured metadata
/// `http_route`, computed as the ingest pipeline computes `http.route`.
/// Stage semantics as in Alloy's `internal/component/loki/process/stages`:
/// a `json` expression that finds nothing extracts nil and a `logfmt`
/// mapping nothing at all, and a `regex` or `replace` stage whose source
/// is missing or nil does nothing (`getString` fails on nil), so a line
/// without a route keeps its path and one without a path gets no key.
fn alloy_route_process(log: &LogSource) -> String {
    let id = log.component_id();
    let fields = &log.fields;
    let mut out =
        format!("\nloki.process {id:?} {{\n  forward_to = [loki.write.lookout.receiver]\n");
    let extract = |stage: &str, argument: &str, key: fn(&str) -> String| {
        let mut keys = vec![format!("lookout_path = {}", quoted(&key(&fields.path)))];
        if let Some(route) = &fields.route {
            keys.push(format!("lookout_route = {}", quoted(&key(route))));
        }
        format!(
            "  stage.{stage} {{\n    {argument} = {{ {} }}\n  }}\n",
            keys.join(", ")
        )
    };
    out.push_str(&match log.format {
        LogFormat::Json => extract("json", "expressions", quoted_path),
        LogFormat::Logfmt => extract("logfmt", "mapping", str::to_string),
        LogFormat::Nginx => format!(
            "  stage.regex {{\n    expression = {}\n  }}\n",
            quoted(NGINX_PATH_REGEX)
        ),
    });
    let _ = write!(
        out,
        "  stage.regex {{\n    source     = \"lookout_path\"\n    expression = \"^(?P<{LOKI_ROUTE_KEY}>[^?]+)\"\n  }}\n"
    );
    if fields.route.is_some() {
        let _ = write!(
            out,
            "  stage.regex {{\n    source     = \"lookout_route\"\n    expression = \"^(?P<{LOKI_ROUTE_KEY}>.+)$\"\n  }}\n"
        );
    }
    for route in &log.routes {
        // One capture group spanning the anchored match: the whole value
        // becomes the template.
        let _ = write!(
            out,
            "  stage.replace {{\n    source     = \"{LOKI_ROUTE_KEY}\"\n    expression = {}\n    replace    = {}\n  }}\n",
            quoted(&format!("^({})$", route.regex().trim_start_matches('^').trim_end_matches('$'))),
            quoted(&route.template)
        );
    }
    let _ = write!(
        out,
        "  stage.structured_metadata {{\n    values = {{ {LOKI_ROUTE_KEY} = \"\" }}\n  }}\n}}\n"
    );
    out
}

/// The VRL program that sets `.http_route` for Vector's Loki sinks, with
/// the same result as [`alloy_route_process`].
fn vector_route_program(log: &LogSource) -> String {
    let fields = &log.fields;
    // `parsed."http"."path"` is nested, `parsed."http.path"` one key.
    let (parse, path, route) = match log.format {
        LogFormat::Json => (
            "object(parse_json(.message) ?? {}) ?? {}".to_string(),
            quoted_path(&fields.path),
            fields.route.as_deref().map(quoted_path),
        ),
        LogFormat::Logfmt => (
            "parse_logfmt(.message) ?? {}".to_string(),
            quoted(&fields.path),
            fields.route.as_deref().map(quoted),
        ),
        LogFormat::Nginx => (
            format!("parse_regex(.message, r'{NGINX_PATH_REGEX}') ?? {{}}"),
            "lookout_path".to_string(),
            None,
        ),
    };
    let mut program = format!("parsed = {parse}\npath = string(parsed.{path}) ?? \"\"\n");
    match route {
        Some(route) => {
            let _ = write!(
                program,
                "route = string(parsed.{route}) ?? \"\"\n.{LOKI_ROUTE_KEY} = if route != \"\" {{ route }} else {{ replace(path, r'\\?.*', \"\") }}\n"
            );
        }
        None => {
            let _ = writeln!(program, ".{LOKI_ROUTE_KEY} = replace(path, r'\\?.*', \"\")");
        }
    }
    for route in &log.routes {
        let _ = writeln!(
            program,
            ".{LOKI_ROUTE_KEY} = replace(.{LOKI_ROUTE_KEY}, r'{}', {})",
            route.regex(),
            quoted(&route.template)
        );
    }
    let _ = write!(
        program,
        "if .{LOKI_ROUTE_KEY} == \"\" {{ del(.{LOKI_ROUTE_KEY}) }}"
    );
    program
}

fn key(name: impl Into<String>) -> Cow<'static, str> {
    Cow::Owned(name.into())
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Node {
    Node::Seq(items.into_iter().map(Node::str).collect())
}

fn vector(model: &Model, options: &LogSettings) -> String {
    let mut sources = Vec::new();
    let mut transforms = Vec::new();
    let mut sinks = Vec::new();
    for service in &model.services {
        let mut es_inputs = Vec::new();
        for log in service.logs.iter().filter(|l| vector_ships(l, options)) {
            let id = log.component_id();
            sources.push((key(&id), vector_source(log)));
            let loki = options
                .loki
                .as_ref()
                .filter(|_| options.shipping.loki_via_vector);
            if let (true, Some(loki)) = (log.to_loki, loki) {
                let labels = Node::Map(
                    log.loki_labels()
                        .into_iter()
                        .map(|(k, v)| (Cow::Borrowed(k), Node::str(v)))
                        .collect(),
                );
                let mut input = id.clone();
                if loki.structured_metadata {
                    input = format!("{id}__route");
                    transforms.push((
                        key(&input),
                        Node::map()
                            .str("type", "remap")
                            .entry("inputs", strings([id.as_str()]))
                            .str("source", vector_route_program(log))
                            .build(),
                    ));
                }
                let mut sink = Node::map()
                    .str("type", "loki")
                    .entry("inputs", strings([input.as_str()]))
                    .str("endpoint", loki.url.as_str())
                    .entry("encoding", Node::map().str("codec", "text").build())
                    .entry("labels", labels)
                    .opt_str("tenant_id", loki.tenant.as_deref());
                if loki.structured_metadata {
                    // A line without a route fails to render this template,
                    // and the sink sends it without the key: Vector drops
                    // an event only for a "confined" rendering error
                    // (`build_template_pair_map` in src/sinks/loki/sink.rs).
                    // Structured metadata arrived in Vector 0.41 (JSON
                    // encoding fixed in 0.42); the stated minimum is 0.43.
                    sink = sink.entry(
                        "structured_metadata",
                        Node::map()
                            .str(LOKI_ROUTE_KEY, format!("{{{{ {LOKI_ROUTE_KEY} }}}}"))
                            .build(),
                    );
                }
                if let Some(env) = &loki.token_env {
                    sink = sink.entry(
                        "auth",
                        Node::map()
                            .str("strategy", "bearer")
                            .str("token", vector_env(env))
                            .build(),
                    );
                }
                if let Some(tls) = vector_tls(&loki.tls) {
                    sink = sink.entry("tls", tls);
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
                                .str("Authorization", format!("ApiKey {}", vector_env(env)))
                                .build(),
                        )
                        .build(),
                );
            }
            if let Some(tls) = vector_tls(&es.tls) {
                sink = sink.entry("tls", tls);
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

/// An environment variable in a Vector config, empty when unset: the
/// DaemonSet's Secret is optional, and Vector refuses a config naming an
/// unset variable without a default (strict env vars, the default from
/// 0.43; `${VAR:-default}` per src/config/vars.rs). Unset, the request
/// goes out without a credential and the backend's 401 says why.
fn vector_env(name: &str) -> String {
    format!("${{{name}:-}}")
}

/// A Vector sink's `tls` block, when lookout.yaml sets one.
fn vector_tls(tls: &ShipperTls) -> Option<Node> {
    if tls.ca_file.is_none() && !tls.insecure_skip_verify {
        return None;
    }
    let mut block = Node::map().opt_str("ca_file", tls.ca_file.as_deref());
    if tls.insecure_skip_verify {
        block = block
            .entry("verify_certificate", Node::Raw("false".into()))
            .entry("verify_hostname", Node::Raw("false".into()));
    }
    Some(block.build())
}

/// The Downward API variable Alloy's field selector reads its node from.
const NODE_NAME_ENV: &str = "NODE_NAME";
/// Where the DaemonSets mount the Secret `lookout-shipping-tls`.
pub const TLS_MOUNT: &str = "/etc/lookout/tls";
/// Secrets the shippers read their credentials from, one key per
/// environment variable lookout.yaml names.
pub const CREDENTIALS_SECRET: &str = "lookout-shipping";

#[derive(Clone, Copy, PartialEq)]
enum Shipper {
    Alloy,
    Vector,
}

impl Shipper {
    fn name(self) -> &'static str {
        match self {
            Shipper::Alloy => "alloy",
            Shipper::Vector => "vector",
        }
    }
}

/// `kubernetes/shipping/<shipper>.yaml`: ServiceAccount, ClusterRole,
/// ClusterRoleBinding, ConfigMap and DaemonSet, as one multi-document file.
fn manifest(shipper: Shipper, config: String, layout: &Layout, options: &LogSettings) -> Artifact {
    let name = format!("lookout-{}", shipper.name());
    let namespace = options.shipping.namespace.as_str();
    let labels = || {
        Node::map()
            .str("app.kubernetes.io/name", name.as_str())
            .str("app.kubernetes.io/managed-by", "lookout")
            .build()
    };
    let metadata = |cluster_wide: bool| {
        let mut meta = Node::map().str("name", name.as_str());
        if !cluster_wide {
            meta = meta.str("namespace", namespace);
        }
        meta.entry("labels", labels()).build()
    };
    let object = |kind: &str, api: &str, cluster_wide: bool| {
        Node::map()
            .str("apiVersion", api)
            .str("kind", kind)
            .entry("metadata", metadata(cluster_wide))
    };
    let strings = |items: &[&str]| strings(items.iter().copied());
    // loki.source.kubernetes tails through the API (`pods/log`); Vector
    // reads files and asks the API for pod metadata.
    let resources: &[&str] = match shipper {
        Shipper::Alloy => &["pods", "pods/log", "namespaces", "nodes"],
        Shipper::Vector => &["pods", "namespaces", "nodes"],
    };
    let role = object("ClusterRole", "rbac.authorization.k8s.io/v1", true)
        .entry(
            "rules",
            Node::Seq(vec![Node::map()
                .entry("apiGroups", strings(&[""]))
                .entry("resources", strings(resources))
                .entry("verbs", strings(&["get", "list", "watch"]))
                .build()]),
        )
        .build();
    let binding = object("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", true)
        .entry(
            "roleRef",
            Node::map()
                .str("apiGroup", "rbac.authorization.k8s.io")
                .str("kind", "ClusterRole")
                .str("name", name.as_str())
                .build(),
        )
        .entry(
            "subjects",
            Node::Seq(vec![Node::map()
                .str("kind", "ServiceAccount")
                .str("name", name.as_str())
                .str("namespace", namespace)
                .build()]),
        )
        .build();
    let (config_dir, config_file) = match shipper {
        Shipper::Alloy => ("/etc/alloy", "config.alloy"),
        Shipper::Vector => ("/etc/vector", "vector.yaml"),
    };
    let config_map = object("ConfigMap", "v1", false)
        .entry(
            "data",
            Node::Map(vec![(config_file.into(), Node::Str(config))]),
        )
        .build();
    let node_name = match shipper {
        Shipper::Alloy => NODE_NAME_ENV,
        Shipper::Vector => "VECTOR_SELF_NODE_NAME",
    };
    let mut env = vec![Node::map()
        .str("name", node_name)
        .entry(
            "valueFrom",
            Node::map()
                .entry(
                    "fieldRef",
                    Node::map().str("fieldPath", "spec.nodeName").build(),
                )
                .build(),
        )
        .build()];
    let credentials = [
        options.loki.as_ref().and_then(|l| l.token_env.clone()),
        options
            .elasticsearch
            .as_ref()
            .and_then(|e| e.api_key_env.clone())
            .filter(|_| shipper == Shipper::Vector),
    ];
    for variable in credentials.into_iter().flatten() {
        env.push(
            Node::map()
                .str("name", variable.as_str())
                .entry(
                    "valueFrom",
                    Node::map()
                        .entry(
                            "secretKeyRef",
                            Node::map()
                                .str("name", CREDENTIALS_SECRET)
                                .str("key", variable.as_str())
                                .entry("optional", Node::Raw("true".into()))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
    }
    let args: &[&str] = match shipper {
        Shipper::Alloy => &[
            "run",
            "/etc/alloy/config.alloy",
            "--storage.path=/var/lib/alloy/data",
        ],
        Shipper::Vector => &["--config-dir", "/etc/vector/"],
    };
    let host_path = |volume: &str, path: &str| {
        Node::map()
            .str("name", volume)
            .entry("hostPath", Node::map().str("path", path).build())
            .build()
    };
    let mount = |volume: &str, path: &str, read_only: bool| {
        let mut m = Node::map().str("name", volume).str("mountPath", path);
        if read_only {
            m = m.entry("readOnly", Node::Raw("true".into()));
        }
        m.build()
    };
    // Positions and checkpoints survive a restart on the node.
    let data_dir = match shipper {
        Shipper::Alloy => "/var/lib/alloy",
        Shipper::Vector => "/var/lib/vector",
    };
    let volumes = Node::Seq(vec![
        Node::map()
            .str("name", "config")
            .entry("configMap", Node::map().str("name", name.as_str()).build())
            .build(),
        Node::map()
            .str("name", "tls")
            .entry(
                "secret",
                Node::map()
                    .str("secretName", "lookout-shipping-tls")
                    .entry("optional", Node::Raw("true".into()))
                    .build(),
            )
            .build(),
        host_path("varlog", "/var/log"),
        host_path("data", data_dir),
    ]);
    let container = Node::map()
        .str("name", shipper.name())
        .str(
            "image",
            match shipper {
                Shipper::Alloy => options.shipping.alloy_image.as_str(),
                Shipper::Vector => options.shipping.vector_image.as_str(),
            },
        )
        .entry("args", strings(args))
        .entry("env", Node::Seq(env))
        .entry(
            "volumeMounts",
            Node::Seq(vec![
                mount("config", config_dir, true),
                mount("tls", TLS_MOUNT, true),
                mount("varlog", "/var/log", true),
                mount("data", data_dir, false),
            ]),
        )
        .entry(
            "resources",
            Node::map()
                .entry(
                    "requests",
                    Node::map()
                        .str("cpu", "100m")
                        .str("memory", "128Mi")
                        .build(),
                )
                .entry("limits", Node::map().str("memory", "512Mi").build())
                .build(),
        )
        .build();
    let selector = Node::map().entry("matchLabels", labels()).build();
    let daemon_set = object("DaemonSet", "apps/v1", false)
        .entry(
            "spec",
            Node::map()
                .entry("selector", selector)
                .entry(
                    "template",
                    Node::map()
                        .entry("metadata", Node::map().entry("labels", labels()).build())
                        .entry(
                            "spec",
                            Node::map()
                                .str("serviceAccountName", name.as_str())
                                // Nodes with taints (control plane) run pods too.
                                .entry(
                                    "tolerations",
                                    Node::Seq(vec![Node::map().str("operator", "Exists").build()]),
                                )
                                .entry("containers", Node::Seq(vec![container]))
                                .entry("volumes", volumes)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let service_account = object("ServiceAccount", "v1", false).build();
    let documents = [service_account, role, binding, config_map, daemon_set];
    let text = yaml::documents(
        &[
            GENERATED_MARKER,
            "Runs the shipper on every node: kubectl apply --server-side -f <this file>.",
            "Credentials: Secret `lookout-shipping`, one key per variable; TLS: Secret `lookout-shipping-tls`.",
        ],
        &documents,
    );
    Artifact::file(
        layout
            .kubernetes
            .join("shipping")
            .join(format!("{}.yaml", shipper.name())),
        text,
    )
}
