//! Elasticsearch objects for access logs, one set per service with logs
//! bound for Elasticsearch, under `dashboards/elasticsearch/`:
//!
//! - `_ilm/policy/<name>.json`: rollover, then deletion after the retention;
//! - `_ingest/pipeline/<name>.<log>.json`: parses one log into ECS fields;
//! - `_ingest/pipeline/<name>.json`: routes each document to its log's
//!   pipeline by `event.dataset`, which the shippers set;
//! - `_index_template/<name>.json`: the data stream `lookout-logs-<service>`.
//!
//! Each file is the body of `PUT <path without .json>`, in the order above
//! (a template names the policy and pipeline, so they must exist first).
//! The index pattern starts with `lookout-logs-`, so it never overlaps the
//! built-in `logs-*-*` template (priority 100), whose logsdb defaults and
//! `logs@custom` hooks would otherwise compete; the priority is set above it
//! anyway. Every object carries `_meta.managed_by: lookout` and its
//! project's name in `_meta.project`.

use serde_json::{json, Map, Value};

use super::{Artifact, Kind, GENERATED_MARKER};
use crate::model::logs::{data_stream, log_pipeline};
use crate::model::settings::Layout;
use crate::model::{Duration, LogFormat, LogSource, Service};

/// Above the built-in `logs-*-*` (100) and `logs@…` templates.
pub const TEMPLATE_PRIORITY: u32 = 200;

/// Converts the raw duration into ECS's nanoseconds. Painless, because no
/// ingest processor multiplies. `params.scale` is nanoseconds per unit.
pub const DURATION_SCRIPT: &str = "def v = ctx.lookout?.duration; if (v != null) { if (ctx.event == null) { ctx.event = [:]; } ctx.event.duration = Math.round(Double.parseDouble(v.toString()) * params.scale); }";

/// The nginx line: `log_format combined` plus ` $request_time`, and
/// nothing after it: ingress-nginx's default format goes on with
/// `$request_length $request_time …`, whose length would otherwise be read
/// as the duration. Named captures are ECS fields; `lookout.*` are scratch
/// fields removed at the end.
pub const NGINX_GROK: &str = "^%{IP:client.ip} - (?:-|%{NOTSPACE:user.name}) \\[%{HTTPDATE:lookout.time}\\] \"(?:%{WORD:http.request.method} %{NOTSPACE:url.original} HTTP/%{NUMBER:http.version}|%{DATA})\" %{INT:http.response.status_code:int} (?:-|%{INT:http.response.body.bytes:long}) \"(?:-|%{DATA:http.request.referrer})\" \"(?:-|%{DATA:user_agent.original})\" %{NUMBER:lookout.duration}$";

/// nginx's `$time_local`, in Java time syntax.
pub const NGINX_TIME_FORMAT: &str = "dd/MMM/yyyy:HH:mm:ss Z";

/// ECS fields the pipelines write, with their mapping types. Kibana
/// visualisations may only query these.
pub const ECS_FIELDS: &[(&str, &str)] = &[
    ("@timestamp", "date"),
    ("message", "match_only_text"),
    ("event.dataset", "keyword"),
    ("event.duration", "long"),
    ("event.kind", "keyword"),
    ("service.name", "keyword"),
    ("http.request.method", "keyword"),
    ("http.request.referrer", "keyword"),
    ("http.response.status_code", "long"),
    ("http.response.body.bytes", "long"),
    ("http.version", "keyword"),
    ("url.original", "keyword"),
    ("url.path", "keyword"),
    ("url.query", "keyword"),
    ("http.route", "keyword"),
    ("client.ip", "ip"),
    ("user.name", "keyword"),
    ("user_agent.original", "keyword"),
    // What the `user_agent` processor writes, with its default properties.
    ("user_agent.name", "keyword"),
    ("user_agent.version", "keyword"),
    ("user_agent.os.name", "keyword"),
    ("user_agent.os.version", "keyword"),
    ("user_agent.os.full", "keyword"),
    ("user_agent.device.name", "keyword"),
    ("error.message", "match_only_text"),
];

/// Keyword values longer than this are kept in `_source` but not indexed,
/// instead of rejecting the whole document (ECS's default). URLs, referrers
/// and user agents get up to 8191 characters: at 4 bytes each, still under
/// Lucene's 32766-byte term limit.
fn ignore_above(field: &str) -> u32 {
    match field {
        "url.original"
        | "url.path"
        | "url.query"
        | "http.request.referrer"
        | "user_agent.original" => 8191,
        _ => 1024,
    }
}

/// The scratch object the pipelines parse into; never indexed.
const SCRATCH: &str = "lookout";

/// `_meta.managed_by` of every object lookout writes: how the push tells
/// lookout's objects from the cluster's others.
pub const MANAGED_BY: &str = "lookout";

pub fn emit(services: &[Service], layout: &Layout) -> Vec<Artifact> {
    let dir = layout.elasticsearch_dir();
    let mut artifacts = Vec::new();
    for service in services {
        let logs: Vec<&LogSource> = service.logs.iter().filter(|l| l.to_elasticsearch).collect();
        if logs.is_empty() {
            continue;
        }
        let name = data_stream(&service.name);
        let meta = meta(service);
        let mut put = |kind: &str, id: &str, body: Value| {
            artifacts.push(Artifact {
                path: dir.join(kind).join(format!("{id}.json")),
                contents: pretty(&body).into(),
                kind: Kind::Elasticsearch {
                    api_path: format!("{kind}/{id}"),
                    body: body.into(),
                },
            });
        };
        put("_ilm/policy", &name, ilm_policy(&logs, &meta));
        for log in &logs {
            put(
                "_ingest/pipeline",
                &log_pipeline(log),
                log_pipeline_body(log, &meta),
            );
        }
        put(
            "_ingest/pipeline",
            &name,
            router_pipeline(service, &logs, &meta),
        );
        put("_index_template", &name, index_template(service, &meta));
    }
    artifacts
}

fn pretty(body: &Value) -> String {
    let mut text = serde_json::to_string_pretty(body).expect("JSON values always serialise");
    text.push('\n');
    text
}

/// `_meta` of every object: the marker first, so `build` recognises the file
/// as its own within its first lines.
fn meta(service: &Service) -> Value {
    json!({
        "generated": GENERATED_MARKER,
        "managed_by": MANAGED_BY,
        "project": service.project,
        "service": service.name,
        "source": service.source.display().to_string(),
    })
}

/// One data stream per service, so one policy: the longest retention of
/// its logs wins (lowering warns when they differ).
fn ilm_policy(logs: &[&LogSource], meta: &Value) -> Value {
    let retention = logs
        .iter()
        .map(|l| l.retention)
        .max()
        .unwrap_or(crate::model::DEFAULT_RETENTION);
    let max_age = retention.min(Duration::days(1));
    json!({
        "policy": {
            "_meta": meta,
            "phases": {
                "hot": {
                    "min_age": "0ms",
                    "actions": {
                        "rollover": {
                            "max_primary_shard_size": "50gb",
                            "max_age": max_age.to_string(),
                        }
                    }
                },
                "delete": {
                    "min_age": retention.to_string(),
                    "actions": {"delete": {}}
                }
            }
        }
    })
}

fn router_pipeline(service: &Service, logs: &[&LogSource], meta: &Value) -> Value {
    let processors: Vec<Value> = logs
        .iter()
        .map(|log| {
            json!({"pipeline": {
                "name": log_pipeline(log),
                "if": format!("ctx.event?.dataset == '{}'", log.dataset()),
            }})
        })
        .collect();
    json!({
        "description": format!("Routes {} access logs to the pipeline of their log (event.dataset).", service.name),
        "_meta": meta,
        "processors": processors,
        "on_failure": on_failure(),
    })
}

/// Keeps a document that fails to parse, marked, rather than losing it,
/// and without the scratch object: its fields would go to dynamic mapping.
fn on_failure() -> Value {
    json!([
        {"set": {"field": "event.kind", "value": "pipeline_error"}},
        {"set": {"field": "error.message", "value": "{{ _ingest.on_failure_message }}"}},
        {"remove": {"field": SCRATCH, "ignore_missing": true}}
    ])
}

fn log_pipeline_body(log: &LogSource, meta: &Value) -> Value {
    let mut processors = Vec::new();
    match log.format {
        LogFormat::Nginx => {
            processors.push(json!({"grok": {
                "field": "message",
                "patterns": [NGINX_GROK],
            }}));
            processors.push(split_url());
            processors.push(json!({"date": {
                "field": "lookout.time",
                "formats": [NGINX_TIME_FORMAT],
                "target_field": "@timestamp",
            }}));
        }
        LogFormat::Json | LogFormat::Logfmt => {
            // The parsed line goes to the scratch object, removed at the end.
            let scratch = format!("{SCRATCH}.parsed");
            processors.push(if log.format == LogFormat::Json {
                json!({"json": {"field": "message", "target_field": &scratch}})
            } else {
                // logfmt: pairs split on spaces that precede `key=`, so quoted
                // values may contain spaces.
                json!({"kv": {
                    "field": "message",
                    "field_split": " (?=[^\\s=\"]+=)",
                    "value_split": "=",
                    "target_field": &scratch,
                    "trim_value": "\"",
                }})
            });
            let f = &log.fields;
            let mut moves = vec![
                (f.status.as_str(), "http.response.status_code"),
                (f.method.as_str(), "http.request.method"),
                (f.path.as_str(), "url.original"),
                (f.duration.as_str(), "lookout.duration"),
            ];
            if let Some(client) = &f.client {
                moves.push((client, "client.ip"));
            }
            if let Some(agent) = &f.user_agent {
                moves.push((agent, "user_agent.original"));
            }
            if let Some(route) = &f.route {
                moves.push((route, ROUTE_FIELD));
            }
            for (from, to) in moves {
                processors.push(json!({"rename": {
                    "field": format!("{scratch}.{from}"),
                    "target_field": to,
                    "ignore_missing": true,
                }}));
            }
            // A status that is not a number would fail the `long` mapping
            // and reject the document: drop it and say why.
            processors.push(json!({"convert": {
                "field": "http.response.status_code",
                "type": "long",
                "ignore_missing": true,
                "on_failure": [
                    {"remove": {"field": "http.response.status_code"}},
                    {"set": {"field": "error.message", "value": "{{ _ingest.on_failure_message }}"}},
                ],
            }}));
            if f.client.is_some() {
                // A value that is not an IP would fail the `ip` mapping and
                // reject the whole document.
                processors.push(json!({"convert": {
                    "field": "client.ip",
                    "type": "ip",
                    "ignore_missing": true,
                    "on_failure": [{"remove": {"field": "client.ip"}}],
                }}));
            }
            processors.push(split_url());
        }
    }
    processors.extend(route_processors(log));
    processors.push(json!({"script": {
        "lang": "painless",
        "source": DURATION_SCRIPT,
        "params": {"scale": log.fields.duration_unit.nanos()},
    }}));
    processors.push(json!({"user_agent": {
        "field": "user_agent.original",
        "ignore_missing": true,
    }}));
    processors.push(json!({"set": {"field": "service.name", "value": log.service}}));
    processors.push(json!({"remove": {"field": SCRATCH, "ignore_missing": true}}));
    json!({
        "description": format!(
            "Parses the {} log of {} ({}) into ECS fields.",
            log.name,
            log.service,
            log.format.as_str()
        ),
        "_meta": meta,
        "processors": processors,
        "on_failure": on_failure(),
    })
}

/// The endpoint the Kibana panels group by: the application's route when
/// the line has one, else the path with the spec's `routes` folding ids
/// into `:name` (`/v1/refunds/8f3a` → `/v1/refunds/:id`), tried in order.
/// Not in ECS; named as OpenTelemetry names it.
pub const ROUTE_FIELD: &str = "http.route";

fn route_processors(log: &LogSource) -> Vec<Value> {
    let mut processors = vec![json!({"set": {
        "field": ROUTE_FIELD,
        "copy_from": "url.path",
        "override": false,
        // A line without a path (a malformed request) has no route.
        "ignore_failure": true,
    }})];
    for route in &log.routes {
        processors.push(json!({"gsub": {
            "field": ROUTE_FIELD,
            "pattern": route.regex(),
            "replacement": route.template,
            "ignore_missing": true,
        }}));
    }
    processors
}

/// `url.original` → `url.path` and `url.query`.
fn split_url() -> Value {
    json!({"grok": {
        "field": "url.original",
        "patterns": ["^%{LOOKOUT_PATH:url.path}(?:\\?%{GREEDYDATA:url.query})?$"],
        "pattern_definitions": {"LOOKOUT_PATH": "[^?]*"},
        "ignore_missing": true,
    }})
}

fn index_template(service: &Service, meta: &Value) -> Value {
    let name = data_stream(&service.name);
    json!({
        "_meta": meta,
        "index_patterns": [name],
        "data_stream": {},
        "priority": TEMPLATE_PRIORITY,
        "template": {
            // Nested, as Elasticsearch returns settings, so a plan compares like with like.
            "settings": {"index": {
                "lifecycle": {"name": name},
                "default_pipeline": name,
            }},
            "mappings": {
                // Fields a shipper adds beyond these (Kubernetes metadata,
                // say) map as capped keywords, not text plus keyword.
                "dynamic_templates": [{"strings_as_keywords": {
                    "match_mapping_type": "string",
                    "mapping": {"type": "keyword", "ignore_above": 1024},
                }}],
                "properties": mapping_properties(),
            },
        },
    })
}

/// [`ECS_FIELDS`] as nested `properties`, the form Elasticsearch returns.
fn mapping_properties() -> Value {
    let mut root = Map::new();
    for (path, kind) in ECS_FIELDS {
        let mut node = &mut root;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                let mapping = if *kind == "keyword" {
                    json!({"type": kind, "ignore_above": ignore_above(path)})
                } else {
                    json!({"type": kind})
                };
                node.insert(part.to_string(), mapping);
            } else {
                let entry = node
                    .entry(part.to_string())
                    .or_insert_with(|| json!({"properties": {}}));
                node = entry["properties"]
                    .as_object_mut()
                    .expect("inner mapping nodes are objects");
            }
        }
    }
    Value::Object(root)
}
