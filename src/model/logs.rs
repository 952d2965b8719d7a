//! Declared log streams and the names every log backend agrees on.
//!
//! One log stream feeds up to three systems, and they only line up if each
//! backend derives its names here: the Loki labels the shippers set are the
//! ones the Loki rules select on, and the Elasticsearch data stream, ingest
//! pipeline and `event.dataset` the shippers write are the ones the index
//! template, the pipeline router and the Kibana data view expect.

use std::collections::BTreeMap;

use super::Duration;

#[derive(Debug, Clone)]
pub struct LogSource {
    pub service: String,
    /// Unique within the service; the Loki `stream` label.
    pub name: String,
    pub input: LogInput,
    pub format: LogFormat,
    /// Where the request fields are; fixed for `nginx`.
    pub fields: LogFields,
    pub to_loki: bool,
    pub to_elasticsearch: bool,
    /// How long Elasticsearch keeps the lines.
    pub retention: Duration,
    /// Route templates folding ids out of paths, in the spec's order.
    pub routes: Vec<Route>,
}

/// The Loki structured-metadata key the shippers put each line's endpoint
/// in: the application's route, else the path without its query, folded by
/// the log's `routes`, as the ingest pipeline computes `http.route` for
/// Elasticsearch. Structured metadata, not a label: one stream per route
/// would multiply Loki's streams.
pub const LOKI_ROUTE_KEY: &str = "http_route";

/// An nginx `combined` line up to its request path, in the regex syntax
/// that RE2 (Alloy) and Rust (VRL) share. The method excludes `"`, so a
/// malformed request line (`"-"`) has no path rather than the status.
pub const NGINX_PATH_REGEX: &str = r#"^[^ ]* - [^ ]* \[[^\]]*\] "[^ "]* (?P<lookout_path>[^ "]+)"#;

/// A route template such as `/v1/refunds/:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub template: String,
}

impl Route {
    /// An anchored regex for the paths the template covers: each `:name`
    /// segment matches one segment. Literal segments are limited to
    /// `[A-Za-z0-9._~-]` by lowering, so only `.` needs escaping, and the
    /// regex reads the same in Java (Elasticsearch), RE2 and Rust.
    pub fn regex(&self) -> String {
        let segments: Vec<String> = self
            .template
            .split('/')
            .map(|segment| {
                if segment.starts_with(':') {
                    "[^/]+".to_string()
                } else {
                    segment.replace('.', "\\.")
                }
            })
            .collect();
        format!("^{}$", segments.join("/"))
    }
}

#[derive(Debug, Clone)]
pub enum LogInput {
    Kubernetes {
        namespace: String,
        selector: BTreeMap<String, String>,
        container: Option<String>,
    },
    Files {
        paths: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `log_format combined` plus ` $request_time`.
    Nginx,
    Json,
    Logfmt,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Nginx => "nginx",
            LogFormat::Json => "json",
            LogFormat::Logfmt => "logfmt",
        }
    }
}

/// Source keys of the request fields in a structured line.
#[derive(Debug, Clone)]
pub struct LogFields {
    pub status: String,
    pub method: String,
    pub path: String,
    pub duration: String,
    pub duration_unit: DurationUnit,
    pub client: Option<String>,
    pub user_agent: Option<String>,
    /// The key of the application's own route, when the line has one.
    pub route: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl DurationUnit {
    /// Factor to nanoseconds, ECS's unit for `event.duration`.
    pub fn nanos(self) -> u64 {
        match self {
            DurationUnit::Seconds => 1_000_000_000,
            DurationUnit::Milliseconds => 1_000_000,
            DurationUnit::Microseconds => 1_000,
            DurationUnit::Nanoseconds => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DurationUnit::Seconds => "s",
            DurationUnit::Milliseconds => "ms",
            DurationUnit::Microseconds => "us",
            DurationUnit::Nanoseconds => "ns",
        }
    }
}

impl LogInput {
    /// A Kubernetes label selector, `k=v,k2=v2`, for pod sources.
    pub fn label_selector(&self) -> Option<String> {
        match self {
            LogInput::Kubernetes { selector, .. } => Some(
                selector
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            LogInput::Files { .. } => None,
        }
    }
}

/// The nginx line lookout parses: `log_format combined` with
/// ` $request_time` appended. Documented in the book (`docs/src/guide/logs.md`).
pub const NGINX_LOG_FORMAT: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time";

impl LogSource {
    /// Fields every format yields under the same names in LogQL, so a log
    /// SLI reads the same whatever the format.
    /// Stages of the default `events`: every line that has a status.
    pub const DEFAULT_EVENTS: &'static str = "| status != \"\"";

    pub const LOGQL_FIELDS: &'static [&'static str] = &[
        "status",
        "method",
        "path",
        "duration",
        "client",
        "user_agent",
    ];

    /// `service.log`: the ECS `event.dataset` and the Elasticsearch sub-pipeline suffix.
    pub fn dataset(&self) -> String {
        format!("{}.{}", self.service, self.name)
    }

    /// Identifier of this log's components in Alloy and Vector configs:
    /// `<service>__<log>` with `-` as `_`, since Alloy labels are identifiers.
    /// Lowering rejects two logs whose ids collide.
    pub fn component_id(&self) -> String {
        format!("{}__{}", self.service, self.name).replace('-', "_")
    }

    /// The Loki stream selector. Shippers set exactly these labels.
    pub fn loki_selector(&self) -> String {
        format!("{{service=\"{}\", stream=\"{}\"}}", self.service, self.name)
    }

    /// The Loki labels a shipper sets: service, stream and, for pods, namespace.
    pub fn loki_labels(&self) -> BTreeMap<&'static str, String> {
        let mut labels = BTreeMap::new();
        labels.insert("service", self.service.clone());
        labels.insert("stream", self.name.clone());
        if let LogInput::Kubernetes { namespace, .. } = &self.input {
            labels.insert("namespace", namespace.clone());
        }
        labels
    }

    /// The LogQL parser stage that names the fields as in [`Self::LOGQL_FIELDS`].
    pub fn logql_parser(&self) -> String {
        match self.format {
            LogFormat::Nginx => format!(
                "| pattern `{}`",
                "<client> - <_> [<_>] \"<method> <path> <_>\" <status> <_> \"<_>\" \"<user_agent>\" <duration>"
            ),
            LogFormat::Json | LogFormat::Logfmt => {
                let f = &self.fields;
                let mut params = vec![
                    ("status", f.status.as_str()),
                    ("method", f.method.as_str()),
                    ("path", f.path.as_str()),
                    ("duration", f.duration.as_str()),
                ];
                if let Some(client) = &f.client {
                    params.push(("client", client));
                }
                if let Some(agent) = &f.user_agent {
                    params.push(("user_agent", agent));
                }
                let params: Vec<String> = params
                    .iter()
                    .map(|(label, key)| format!("{label}=\"{}\"", logql_escape(key)))
                    .collect();
                format!("| {} {}", self.format.as_str(), params.join(", "))
            }
        }
    }

    /// The log query a log SLI counts over: selector, parser, `stages`,
    /// then a filter that drops lines with parse or comparison errors. In a
    /// metric query an unfiltered `__error__` fails the whole rule, and a
    /// line that errors in one query would still count in the other.
    pub fn logql(&self, stages: &str) -> String {
        format!(
            "{} {} {} | __error__=\"\"",
            self.loki_selector(),
            self.logql_parser(),
            stages
        )
    }
}

/// What every data stream of lookout's starts with; Kibana's push knows a
/// data view of lookout's by it.
pub const DATA_STREAM_PREFIX: &str = "lookout-logs-";

/// The data stream (and index template, ILM policy and pipeline) of a service.
pub fn data_stream(service: &str) -> String {
    format!("{DATA_STREAM_PREFIX}{service}")
}

/// The ingest pipeline that parses one log of a service.
pub fn log_pipeline(source: &LogSource) -> String {
    format!("{}.{}", data_stream(&source.service), source.name)
}

fn logql_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn route_templates_become_anchored_segment_regexes() {
        let route = |t: &str| Route { template: t.into() }.regex();
        assert_eq!(route("/v1/refunds/:id"), "^/v1/refunds/[^/]+$");
        assert_eq!(route("/v1/a.b/:x/items"), "^/v1/a\\.b/[^/]+/items$");
    }
}
