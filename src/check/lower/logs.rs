//! Lowering of `logs:` and of log SLIs.

use std::collections::HashMap;

use serde_saphyr::Spanned;

use super::{Lowering, MAX_SERVICE_NAME};
use crate::check::logql;
use crate::diag::Span;
use crate::model::{Duration, LogFields, LogFormat, LogInput, LogSli, LogSource, Route, Sli};
use crate::spec::v1::{self, Destination, FieldsSpec, LogSpec, LogsSliSpec};

/// Log names end up in Alloy and Vector component ids and ES pipeline ids.
const MAX_LOG_NAME: usize = MAX_SERVICE_NAME;

use crate::model::DEFAULT_RETENTION;

impl Lowering<'_> {
    pub(super) fn logs(&mut self, spec: &Spanned<Vec<LogSpec>>, service: &str) -> Vec<LogSource> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut logs = Vec::new();
        for log in &spec.value {
            let span = self.span(&log.name);
            if let Some(first) = seen.get(log.name.value.as_str()) {
                let where_ = self.describe(*first);
                self.error(
                    "spec::duplicate-log",
                    format!(
                        "log `{}` is declared twice in service `{service}`",
                        log.name.value
                    ),
                    span,
                )
                .help = Some(format!("first declared at {where_}"));
                continue;
            }
            if let Some(span) = span {
                seen.insert(&log.name.value, span);
            }
            if let Some(source) = self.log(log, service) {
                self.unique_component_id(&source, span);
                logs.push(source);
            }
        }
        let retentions: Vec<(Duration, Option<Span>)> = spec
            .value
            .iter()
            .filter_map(|log| {
                let source = logs.iter().find(|l| l.name == log.name.value)?;
                source.to_elasticsearch.then(|| {
                    (
                        source.retention,
                        log.retention.as_ref().and_then(|r| self.span(r)),
                    )
                })
            })
            .collect();
        if let Some(longest) = retentions.iter().map(|r| r.0).max() {
            if let Some((shorter, span)) = retentions.iter().find(|r| r.0 < longest) {
                self.diags.push(
                    crate::diag::Diagnostic::warning(
                        "spec::retention-differs",
                        format!(
                            "the logs of `{service}` share one data stream, so they are kept {longest}, not {shorter}"
                        ),
                    )
                    .at_opt(*span)
                    .help("give them the same retention, or move the log to its own service"),
                );
            }
        }
        logs
    }

    /// Alloy and Vector ids flatten `-` to `_`; two logs that flatten to the
    /// same id would silently merge in the shipper configs.
    fn unique_component_id(&mut self, source: &LogSource, span: Option<Span>) {
        let id = source.component_id();
        let log = format!("{}/{}", source.service, source.name);
        if let Some(first) = self.component_ids.get(&id) {
            let mut clash = super::component_id_clash(&self.diags.sources, &id, &log, span, first);
            if span.is_none() {
                clash = clash.in_path(self.diags.sources.path(self.file));
            }
            self.diags.push(clash);
        } else if let Some(span) = span {
            self.component_ids
                .insert(id, super::ComponentId { span, log });
        }
    }

    fn log(&mut self, spec: &LogSpec, service: &str) -> Option<LogSource> {
        let errors_before = self.diags.error_count();
        let name = spec.name.value.clone();
        if !is_log_name(&name) || name.len() > MAX_LOG_NAME {
            let span = self.span(&spec.name);
            self.error("spec::invalid-name", format!("invalid log name `{name}`"), span)
                .help = Some(format!(
                "use lowercase letters, digits, `-` and `_`, starting with a letter, at most {MAX_LOG_NAME} characters"
            ));
        }
        let input = self.log_input(&spec.source);
        let format = match spec.format.value {
            v1::LogFormat::Nginx => LogFormat::Nginx,
            v1::LogFormat::Json => LogFormat::Json,
            v1::LogFormat::Logfmt => LogFormat::Logfmt,
        };
        let fields = match (format, &spec.fields) {
            (LogFormat::Nginx, None) => Some(nginx_fields()),
            (LogFormat::Nginx, Some(fields)) => {
                let span = self.span(fields);
                self.error(
                    "spec::fields-not-allowed",
                    "`fields` is only for `json` and `logfmt` logs",
                    span,
                )
                .help = Some(format!(
                    "nginx lines have a fixed layout: `log_format combined` plus ` $request_time`, i.e. `{}`",
                    crate::model::logs::NGINX_LOG_FORMAT
                ));
                None
            }
            (_, None) => {
                let span = self.span(&spec.format);
                self.error(
                    "spec::missing-fields",
                    format!("a `{}` log needs a `fields` mapping", format.as_str()),
                    span,
                )
                .help = Some(
                    "name the keys that hold each request field, e.g.\n  fields: {status: status, method: method, path: path, duration: duration_ms, duration_unit: ms}".into(),
                );
                None
            }
            (_, Some(fields)) => self.fields(&fields.value),
        };
        let routes = spec
            .routes
            .as_ref()
            .map(|routes| self.routes(routes))
            .unwrap_or_default();
        let (to_loki, to_elasticsearch) = self.destinations(&spec.destinations);
        let retention = match &spec.retention {
            None => DEFAULT_RETENTION,
            Some(retention) => self.retention(retention).unwrap_or(DEFAULT_RETENTION),
        };
        if self.diags.error_count() > errors_before {
            return None;
        }
        Some(LogSource {
            service: service.to_string(),
            name,
            input: input?,
            format,
            fields: fields?,
            to_loki,
            to_elasticsearch,
            retention,
            routes,
        })
    }

    /// Route templates: `/`-separated segments, each literal
    /// `[A-Za-z0-9._~-]+` or a `:name` placeholder.
    fn routes(&mut self, spec: &Spanned<Vec<Spanned<String>>>) -> Vec<Route> {
        let mut routes = Vec::new();
        for route in &spec.value {
            let template = route.value.trim();
            let valid_segment = |segment: &str| match segment.strip_prefix(':') {
                Some(name) => {
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                }
                None => {
                    !segment.is_empty()
                        && segment
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b))
                }
            };
            let valid = template
                .strip_prefix('/')
                .is_some_and(|rest| rest.split('/').all(valid_segment));
            if valid {
                routes.push(Route {
                    template: template.to_string(),
                });
            } else {
                let span = self.span(route);
                self.error(
                    "spec::invalid-route",
                    format!("`{}` is not a route template", route.value),
                    span,
                )
                .help = Some(
                    "write the path with a `:name` segment for each id, e.g. `/v1/refunds/:id`; literal segments use letters, digits and `._~-`".into(),
                );
            }
        }
        routes
    }

    fn log_input(&mut self, source: &Spanned<v1::LogSourceSpec>) -> Option<LogInput> {
        let span = self.span(source);
        match (&source.value.kubernetes, &source.value.files) {
            (Some(k8s), None) => {
                let namespace = k8s.namespace.value.clone();
                if !is_dns_label(&namespace) {
                    let span = self.span(&k8s.namespace);
                    self.error(
                        "spec::invalid-namespace",
                        format!("invalid Kubernetes namespace `{namespace}`"),
                        span,
                    )
                    .help = Some("namespaces are DNS labels: lowercase letters, digits and `-`, at most 63 characters".into());
                }
                let selector_span = self.span(&k8s.selector);
                if k8s.selector.value.is_empty() {
                    self.error(
                        "spec::empty-selector",
                        "the pod selector is empty",
                        selector_span,
                    )
                    .help = Some("name the pod labels to match, e.g. `{app.kubernetes.io/name: ingress-nginx}`".into());
                }
                for (key, value) in &k8s.selector.value {
                    if !is_k8s_label_key(key) || !is_k8s_label_value(value) {
                        let span = self.key_span(selector_span, key).or(selector_span);
                        self.error(
                            "spec::invalid-selector",
                            format!("`{key}: {value}` is not a valid Kubernetes label"),
                            span,
                        )
                        .help = Some("keys are `[prefix/]name` and values at most 63 characters of letters, digits, `-`, `_` and `.`".into());
                    }
                }
                let container = k8s.container.as_ref().map(|c| c.value.clone());
                if let Some(c) = &k8s.container {
                    if !is_dns_label(&c.value) {
                        let span = self.span(c);
                        self.error(
                            "spec::invalid-container",
                            format!("invalid container name `{}`", c.value),
                            span,
                        );
                    }
                }
                Some(LogInput::Kubernetes {
                    namespace,
                    selector: k8s.selector.value.clone(),
                    container,
                })
            }
            (None, Some(files)) => {
                let files_span = self.span(files);
                if files.value.is_empty() {
                    self.error("spec::empty-files", "`files` lists no paths", files_span);
                }
                for path in &files.value {
                    if !path.starts_with('/') || path.contains(['"', '\n']) {
                        self.error(
                            "spec::invalid-path",
                            format!("`{path}` is not an absolute path"),
                            files_span,
                        )
                        .help = Some("shippers run on the node: give absolute paths or globs, e.g. `/var/log/nginx/access*.log`".into());
                    }
                }
                Some(LogInput::Files {
                    paths: files.value.clone(),
                })
            }
            (k8s, _) => {
                self.error(
                    "spec::log-source",
                    if k8s.is_some() {
                        "the log source has both `kubernetes` and `files`"
                    } else {
                        "the log source is empty"
                    },
                    span,
                )
                .help = Some(
                    "set exactly one of `kubernetes: {namespace, selector}` or `files: [glob, …]`"
                        .into(),
                );
                None
            }
        }
    }

    fn fields(&mut self, spec: &FieldsSpec) -> Option<LogFields> {
        let mut ok = true;
        let mut key = |cx: &mut Self, field: &Spanned<String>, what: &str| -> String {
            let value = field.value.trim();
            if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
                let span = cx.span(field);
                cx.error(
                    "spec::invalid-field",
                    format!("`{}` is not a usable key for `{what}`", field.value),
                    span,
                )
                .help = Some("give the key as it appears in the line; nested JSON keys use dots, e.g. `request.path`".into());
                ok = false;
            }
            value.to_string()
        };
        let status = key(self, &spec.status, "status");
        let method = key(self, &spec.method, "method");
        let path = key(self, &spec.path, "path");
        let duration = key(self, &spec.duration, "duration");
        let client = spec.client.as_ref().map(|c| key(self, c, "client"));
        let user_agent = spec.user_agent.as_ref().map(|c| key(self, c, "user_agent"));
        let route = spec.route.as_ref().map(|c| key(self, c, "route"));
        let duration_unit = match spec.duration_unit.as_ref().map(|u| u.value) {
            None | Some(v1::DurationUnit::Seconds) => crate::model::DurationUnit::Seconds,
            Some(v1::DurationUnit::Milliseconds) => crate::model::DurationUnit::Milliseconds,
            Some(v1::DurationUnit::Microseconds) => crate::model::DurationUnit::Microseconds,
            Some(v1::DurationUnit::Nanoseconds) => crate::model::DurationUnit::Nanoseconds,
        };
        ok.then_some(LogFields {
            status,
            method,
            path,
            duration,
            duration_unit,
            client,
            user_agent,
            route,
        })
    }

    /// `(loki, elasticsearch)`; each must be configured in lookout.yaml,
    /// or the shipper configs would have nowhere to send the lines.
    fn destinations(&mut self, spec: &Spanned<Vec<Spanned<Destination>>>) -> (bool, bool) {
        if spec.value.is_empty() {
            let span = self.span(spec);
            self.error("spec::no-destinations", "the log has no destinations", span)
                .help = Some("list `loki`, `elasticsearch`, or both".into());
        }
        let mut seen = (false, false);
        for destination in &spec.value {
            let span = self.span(destination);
            let (configured, slot, key) = match destination.value {
                Destination::Loki => (self.settings.logs.loki.is_some(), &mut seen.0, "loki"),
                Destination::Elasticsearch => (
                    self.settings.logs.elasticsearch.is_some(),
                    &mut seen.1,
                    "elasticsearch",
                ),
            };
            if *slot {
                self.error(
                    "spec::duplicate-destination",
                    format!("`{key}` is listed twice"),
                    span,
                );
                continue;
            }
            *slot = true;
            if !configured {
                let config = match &self.settings.project.config {
                    Some((path, _)) => path.display().to_string(),
                    None => "lookout.yaml".to_string(),
                };
                self.error(
                    "spec::destination-not-configured",
                    format!("destination `{key}` is not configured in {config}"),
                    span,
                )
                .help = Some(format!(
                    "add it to {config}, e.g.\n  {key}:\n    url: {}",
                    if key == "loki" {
                        "http://loki-gateway.monitoring"
                    } else {
                        "https://elasticsearch.logging:9200"
                    }
                ));
            }
        }
        seen
    }

    fn retention(&mut self, spec: &Spanned<String>) -> Option<Duration> {
        let text = spec.value.trim();
        let parsed = Duration::parse_count(text, "hdw").filter(|d| d.seconds() > 0);
        if parsed.is_none() {
            let span = self.span(spec);
            self.error(
                "spec::invalid-retention",
                format!("invalid retention `{text}`"),
                span,
            )
            .help = Some("use hours, days or weeks, e.g. `12h`, `14d` or `4w`".into());
        }
        parsed
    }

    /// A log SLI over one of the service's declared logs.
    pub(super) fn log_sli(&mut self, spec: &LogsSliSpec) -> Option<Sli> {
        let name = spec.source.value.as_str();
        let span = self.span(&spec.source);
        let declared: Vec<&str> = self.service_logs.iter().map(|l| l.name.as_str()).collect();
        let mut ok = true;
        match self.service_logs.iter().find(|l| l.name == name) {
            // Declared but invalid: its own errors say what is wrong.
            None if self.declared_logs.iter().any(|l| l == name) => ok = false,
            None => {
                let help = if declared.is_empty() {
                    "declare it under the service's `logs:` first".to_string()
                } else {
                    crate::spec::suggest(name, &declared, "declared logs")
                };
                self.error(
                    "spec::unknown-log",
                    format!("log SLI refers to `{name}`, which this service does not declare"),
                    span,
                )
                .help = Some(help);
                ok = false;
            }
            Some(log) if !log.to_loki => {
                self.error(
                    "spec::log-not-in-loki",
                    format!(
                        "log `{name}` is not shipped to Loki, so the Loki ruler cannot count it"
                    ),
                    span,
                )
                .help = Some("add `loki` to its `destinations`".into());
                ok = false;
            }
            Some(_) => {}
        }
        if let Some(total) = &spec.total {
            let span = self.span(total);
            self.error(
                "spec::log-sli-total",
                "`total` is counted apart from `errors`, so an error outside it could page",
                span,
            )
            .help = Some(format!(
                "state the events once and the errors as a further filter of them:\n  events: '{}'\n  errors: '{}'",
                total.value.trim(),
                spec.errors.value.trim()
            ));
            ok = false;
        }
        let errors = self.stages(&spec.errors);
        let events = match &spec.events {
            Some(events) => self.stages(events),
            None => Some(LogSource::DEFAULT_EVENTS.to_string()),
        };
        let log = self.service_logs.iter().find(|l| l.name == name).cloned();
        if !ok {
            return None;
        }
        Some(Sli::Logs(Box::new(LogSli {
            log: log?,
            events: events?,
            errors: errors?,
        })))
    }

    fn stages(&mut self, spec: &Spanned<String>) -> Option<String> {
        match logql::check_stages(&spec.value) {
            Ok(stages) => Some(stages),
            Err(err) => {
                let span = self.span(spec);
                self.error(
                    "spec::invalid-logql",
                    format!("invalid LogQL stages: {} (at character {})", err.message, err.offset + 1),
                    span,
                )
                .help = Some(format!(
                    "write the stages that follow lookout's selector and parser, e.g. `| status >= 500`; parsed fields: {}",
                    LogSource::LOGQL_FIELDS.join(", ")
                ));
                None
            }
        }
    }
}

fn nginx_fields() -> LogFields {
    LogFields {
        status: "status".into(),
        method: "method".into(),
        path: "path".into(),
        duration: "request_time".into(),
        duration_unit: crate::model::DurationUnit::Seconds,
        client: Some("remote_addr".into()),
        user_agent: Some("http_user_agent".into()),
        route: None,
    }
}

fn is_log_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A DNS label: a service name's alphabet, at most 63 characters.
fn is_dns_label(name: &str) -> bool {
    name.len() <= 63 && super::is_service_name(name)
}

fn is_k8s_label_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    prefix.is_none_or(|p| !p.is_empty() && p.len() <= 253 && p.split('.').all(is_dns_label))
        && !name.is_empty()
        && is_k8s_label_value(name)
}

fn is_k8s_label_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && value
            .bytes()
            .next()
            .is_none_or(|b| b.is_ascii_alphanumeric())
        && value
            .bytes()
            .last()
            .is_none_or(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_labels() {
        assert!(is_k8s_label_key("app.kubernetes.io/name"));
        assert!(is_k8s_label_key("app"));
        assert!(!is_k8s_label_key("/app"));
        assert!(!is_k8s_label_key("app/"));
        assert!(is_k8s_label_value(""));
        assert!(is_k8s_label_value("ingress-nginx"));
        assert!(!is_k8s_label_value("-x"));
        assert!(!is_k8s_label_value("a b"));
    }
}
