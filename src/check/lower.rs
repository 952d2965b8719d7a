//! Lowering: one pass over the spec trees that validates each value and
//! builds the model from it.

mod logs;

use std::collections::{BTreeMap, HashMap};

use serde_saphyr::Spanned;

use super::promql;
use super::template::Templates;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::model::{
    names, AlertTier, AlertWindow, Alerting, Duration, ExtraPanel, HistogramRef, Model,
    QueryTemplate, Service, Severity, Signal, Signals, Sli, SliLocations, Slo, DEFAULT_PAIRS,
};
use crate::spec::config::LoadedConfig;
use crate::spec::v1::{
    AlertingSpec, ServiceSpec, SignalSpec, SignalsSpec, SliSpec, SloSpec, TierSpec,
};
use crate::spec::{span_of, SpecFile, SUPPORTED_VERSIONS};

/// The longest alert window; a shorter SLO period would make the slow ticket
/// pair look back further than the budget itself.
const MIN_PERIOD: Duration = Duration::days(3);

/// Grafana uids are at most 40 characters and lookout's are `lookout-<service>`.
const MAX_SERVICE_NAME: usize = 32;

/// Labels lookout sets itself; a user label of the same name would clash.
const RESERVED_LABELS: &[&str] = &[
    "service",
    "slo",
    "severity",
    crate::model::names::TIER_LABEL,
    crate::model::names::ALERTING_LABEL,
    crate::model::names::WINDOW_LABEL,
    crate::model::names::SLI_LABEL,
    crate::model::names::TILE_PART_LABEL,
    "alertname",
    "le",
];

pub(super) fn lower(files: &[SpecFile], config: &LoadedConfig, diags: &mut Diagnostics) -> Model {
    let templates = Templates::default();
    let mut cx = Lowering {
        pending_promql: Vec::new(),
        canonical_root: std::fs::canonicalize(&config.root).ok(),
        diags,
        templates: &templates,
        config,
        file: FileId(0),
        service_logs: Vec::new(),
        declared_logs: Vec::new(),
        component_ids: HashMap::new(),
    };
    let project_labels = cx.project_labels();
    let base_url = cx.base_url();
    cx.log_targets();
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut services = Vec::new();
    for spec_file in files {
        cx.file = spec_file.file;
        for spec in &spec_file.services {
            let name_span = cx.span(&spec.service);
            if let Some(first) = seen.get(&spec.service.value) {
                let where_ = cx.describe(*first);
                cx.diags.push(
                    Diagnostic::error(
                        "spec::duplicate-service",
                        format!("service `{}` is defined twice", spec.service.value),
                    )
                    .at_opt(name_span)
                    .label("second definition")
                    .help(format!(
                        "first defined at {where_}; each service belongs in one file"
                    )),
                );
                continue;
            }
            if let Some(span) = name_span {
                seen.insert(spec.service.value.clone(), span);
            }
            if let Some(service) = cx.service(spec, &project_labels, base_url.as_deref()) {
                services.push(service);
            }
        }
    }
    let pending = std::mem::take(&mut cx.pending_promql);
    check_promql(&pending, cx.diags);
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Model { services }
}

/// A query whose PromQL is checked after lowering, on all cores: parsing
/// PromQL is most of the cost of checking a large project.
struct PendingQuery {
    query: String,
    span: Option<Span>,
    field: String,
    /// What was substituted before parsing, for the caret's label.
    substituted: &'static str,
}

/// Parses every pending query and reports the ones that do not parse.
fn check_promql(pending: &[PendingQuery], diags: &mut Diagnostics) {
    let validate = |p: &PendingQuery| promql::validate(&p.query).err().map(|r| r.message);
    let failures: Vec<Option<String>> = crate::parallel::map_chunks(pending, 64, |chunk| {
        chunk.iter().map(validate).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    for (query, failure) in pending.iter().zip(failures) {
        if let Some(message) = failure {
            let (span, label) = match narrow(diags, query) {
                Some(span) => (Some(span), "here".to_string()),
                None => (query.span, format!("in this query ({})", query.substituted)),
            };
            diags.push(
                Diagnostic::error(
                    "spec::invalid-promql",
                    format!("the `{}` query is not valid PromQL: {message}", query.field),
                )
                .at_opt(span)
                .label(label),
            );
        }
    }
}

/// The span of the character where the query goes wrong, when it can be
/// found in the spec: what follows it in the parsed query (after template
/// substitution) must occur in the written text once.
fn narrow(diags: &Diagnostics, query: &PendingQuery) -> Option<Span> {
    let span = query.span?;
    let offset = promql::error_offset(&query.query)?;
    let rest = query.query[offset..].trim_end();
    let written = diags
        .sources
        .text(span.file)
        .get(span.offset..span.offset + span.len)?;
    let found = written.rfind(rest)?;
    if written.matches(rest).count() != 1 {
        return None;
    }
    let len = rest.chars().next()?.len_utf8();
    Some(Span {
        file: span.file,
        offset: span.offset + found,
        len,
    })
}

struct Lowering<'a> {
    pending_promql: Vec<PendingQuery>,
    /// The project root, resolved once, for spec paths in generated headers.
    canonical_root: Option<std::path::PathBuf>,
    diags: &'a mut Diagnostics,
    templates: &'a Templates,
    config: &'a LoadedConfig,
    /// The file whose spans are being resolved.
    file: FileId,
    /// The logs of the service being lowered, for log SLIs.
    service_logs: Vec<crate::model::LogSource>,
    /// Every log name the service declares, valid or not: a log SLI on an
    /// invalid one is not also "undeclared".
    declared_logs: Vec<String>,
    /// Shipper component ids of every log so far: they share one namespace.
    component_ids: HashMap<String, Span>,
}

impl Lowering<'_> {
    fn span<T>(&self, spanned: &Spanned<T>) -> Option<Span> {
        span_of(self.diags, self.file, &spanned.referenced)
    }

    fn error(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        span: Option<Span>,
    ) -> &mut Diagnostic {
        let path = self.diags.sources.path(self.file).to_path_buf();
        let mut d = Diagnostic::error(code, message).at_opt(span);
        if span.is_none() {
            d = d.in_path(path);
        }
        self.diags.push(d);
        self.diags.items.last_mut().expect("just pushed")
    }

    fn describe(&self, span: Span) -> String {
        let (line, col) = self.diags.sources.line_col(span.file, span.offset);
        format!(
            "{}:{line}:{col}",
            self.diags.sources.path(span.file).display()
        )
    }

    fn project_labels(&mut self) -> BTreeMap<String, String> {
        let Some(file) = self.config.file else {
            return BTreeMap::new();
        };
        self.file = file;
        match &self.config.config.labels {
            Some(labels) => self.labels(labels, false),
            None => BTreeMap::new(),
        }
    }

    fn base_url(&mut self) -> Option<String> {
        let url = self.config.config.runbooks.base_url.as_ref()?;
        if let Some(file) = self.config.file {
            self.file = file;
        }
        let span = self.span(url);
        if !is_http_url(&url.value) {
            self.error(
                "config::invalid-url",
                format!(
                    "`runbooks.base_url` must be an http(s) URL, got `{}`",
                    url.value
                ),
                span,
            );
            return None;
        }
        Some(url.value.trim_end_matches('/').to_string())
    }

    fn service(
        &mut self,
        spec: &ServiceSpec,
        project_labels: &BTreeMap<String, String>,
        base_url: Option<&str>,
    ) -> Option<Service> {
        let errors_before = self.diags.error_count();
        if let Some(version) = &spec.version {
            if !SUPPORTED_VERSIONS.contains(&version.value.as_str()) {
                let span = self.span(version);
                let help = if version.value == "prometheus/v1" {
                    "this looks like a Sloth spec; lookout reads `lookout/v1` (or no `version:`)"
                        .to_string()
                } else {
                    format!("supported: {}", SUPPORTED_VERSIONS.join(", "))
                };
                self.error(
                    "spec::unsupported-version",
                    format!("unsupported spec version `{}`", version.value),
                    span,
                )
                .help = Some(help);
            }
        }
        let name = spec.service.value.clone();
        if name.len() > MAX_SERVICE_NAME {
            let span = self.span(&spec.service);
            self.error(
                "spec::name-too-long",
                format!("service name `{name}` is longer than {MAX_SERVICE_NAME} characters"),
                span,
            )
            .help = Some(
                "the Grafana dashboard uid is `lookout-<service>` and Grafana caps uids at 40 characters".into(),
            );
        }
        if !is_service_name(&name) {
            let span = self.span(&spec.service);
            self.error(
                "spec::invalid-name",
                format!("invalid service name `{name}`"),
                span,
            )
            .help = Some("use lowercase letters, digits and `-`, e.g. `checkout-api`".into());
        }
        let team = spec.team.as_ref().map(|t| t.value.clone());
        if let Some(team_spec) = &spec.team {
            if team_spec.value.trim().is_empty() {
                let span = self.span(team_spec);
                self.error("spec::empty-value", "`team` is empty", span);
            }
        }
        // Most specific wins: project labels, then the team, then service labels.
        let mut labels = project_labels.clone();
        if let Some(team) = &team {
            labels.insert("team".to_string(), team.clone());
        }
        if let Some(service_labels) = &spec.labels {
            labels.extend(self.labels(service_labels, team.is_some()));
        }
        // A service may exist only to have its logs shipped.
        let has_logs = spec.logs.as_ref().is_some_and(|l| !l.value.is_empty());
        if spec.slos.value.is_empty() && !has_logs {
            let span = self.span(&spec.slos);
            self.error(
                "spec::no-slos",
                format!("service `{name}` declares no SLOs"),
                span,
            )
            .help = Some("declare at least one SLO, or `logs:` to ship".into());
        }
        self.declared_logs = spec
            .logs
            .iter()
            .flat_map(|logs| &logs.value)
            .map(|log| log.name.value.clone())
            .collect();
        self.service_logs = match &spec.logs {
            Some(logs) => self.logs(logs, &name),
            None => Vec::new(),
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut slos = Vec::new();
        for slo_spec in &spec.slos.value {
            let slo_span = self.span(&slo_spec.name);
            if let Some(first) = seen.get(slo_spec.name.value.as_str()) {
                let where_ = self.describe(*first);
                self.error(
                    "spec::duplicate-slo",
                    format!(
                        "SLO `{}` is defined twice in service `{name}`",
                        slo_spec.name.value
                    ),
                    slo_span,
                )
                .help = Some(format!(
                    "first defined at {where_}; SLO names must be unique within a service"
                ));
                continue;
            }
            if let Some(span) = slo_span {
                seen.insert(&slo_spec.name.value, span);
            }
            if let Some(slo) = self.slo(spec, slo_spec, &labels, team.as_deref(), base_url) {
                slos.push(slo);
            }
        }
        let signals = match &spec.signals {
            Some(signals) => self.signals(signals, &name),
            None => Signals::default(),
        };
        if self.diags.error_count() > errors_before {
            return None;
        }
        Some(Service {
            name,
            team,
            signals,
            logs: std::mem::take(&mut self.service_logs),
            source: project_relative(
                self.diags.sources.path(self.file),
                self.canonical_root.as_deref(),
            ),
            slos,
        })
    }

    fn slo(
        &mut self,
        service: &ServiceSpec,
        spec: &SloSpec,
        service_labels: &BTreeMap<String, String>,
        team: Option<&str>,
        base_url: Option<&str>,
    ) -> Option<Slo> {
        let errors_before = self.diags.error_count();
        let service_name = service.service.value.as_str();
        let name = spec.name.value.clone();
        let name_span = self.span(&spec.name);
        if !is_slo_name(&name) {
            self.error(
                "spec::invalid-name",
                format!("invalid SLO name `{name}`"),
                name_span,
            )
            .help = Some(
                "use lowercase letters, digits, `-` and `_`, starting with a letter or digit"
                    .into(),
            );
        }

        let objective = spec.objective.value;
        if !(objective.is_finite() && objective > 0.0 && objective < 100.0) {
            let span = self.span(&spec.objective);
            let d = self.error(
                "spec::objective-range",
                format!(
                    "objective must be a percentage between 0 and 100 (exclusive), got {objective}"
                ),
                span,
            );
            d.label = Some("out of range".into());
            d.help = Some(if objective > 0.0 && objective < 1.0 {
                format!(
                    "objectives are percentages: did you mean {}?",
                    objective * 100.0
                )
            } else {
                "e.g. `objective: 99.9` for 99.9%".into()
            });
        }

        if objective > 0.0 && objective < 1.0 {
            let span = self.span(&spec.objective);
            self.diags.push(
                Diagnostic::warning(
                    "spec::objective-ratio",
                    format!(
                        "objective {objective} means {objective}%, not {}%",
                        objective * 100.0
                    ),
                )
                .at_opt(span)
                .help(format!(
                    "objectives are percentages: write `objective: {}`",
                    crate::model::fmt_num(objective * 100.0)
                )),
            );
        }

        let period = match &spec.window {
            None => Duration::days(30),
            Some(window) => self.window(window).unwrap_or(Duration::days(30)),
        };

        let mut labels = service_labels.clone();
        if let Some(slo_labels) = &spec.labels {
            labels.extend(self.labels(slo_labels, team.is_some()));
        }

        let sli = self.sli(&spec.sli, service_name, &name);
        let locations = self.sli_locations(&spec.sli);
        let budget = (period, crate::model::error_budget(objective));
        let alerting = self.alerting(service, spec, base_url, name_span, team.is_some(), budget);

        if self.diags.error_count() > errors_before {
            return None;
        }
        let slo = Slo {
            service: service_name.to_string(),
            name,
            description: spec.description.clone(),
            team: team.map(str::to_string),
            objective,
            period,
            sli: sli?,
            labels,
            alerting: alerting?,
            locations,
        };
        self.warn_unreachable_tiers(&slo, name_span);
        Some(slo)
    }

    fn sli_locations(&self, spec: &Spanned<SliSpec>) -> SliLocations {
        let mut locations = SliLocations {
            sli: self.span(spec),
            ..SliLocations::default()
        };
        let sli = &spec.value;
        if let Some(events) = &sli.events {
            locations.errors = self.span(&events.errors);
            locations.total = self.span(&events.total);
        }
        if let Some(raw) = &sli.raw {
            locations.error_ratio = self.span(&raw.error_ratio);
        }
        if let Some(latency) = &sli.latency {
            locations.histogram = self.span(&latency.histogram);
            locations.threshold = self.span(&latency.threshold);
        }
        locations
    }

    fn window(&mut self, window: &Spanned<String>) -> Option<Duration> {
        let span = self.span(window);
        let text = window.value.trim();
        match Duration::parse_count(text, "dw") {
            None => {
                let d = self.error(
                    "spec::invalid-window",
                    format!("invalid window `{text}`"),
                    span,
                );
                d.label = Some("not a number of days or weeks".into());
                d.help = Some(
                    "write the window in days or weeks, e.g. `30d`, `28d`, `7d` or `4w`".into(),
                );
                None
            }
            Some(period) if period < MIN_PERIOD => {
                let d = self.error(
                    "spec::window-too-short",
                    format!("window `{text}` is shorter than 3d"),
                    span,
                );
                d.help = Some(
                    "the slowest alert looks back 3d, so the SLO window must be at least `3d`"
                        .into(),
                );
                None
            }
            Some(period) => Some(period),
        }
    }

    /// The span of `key:` inside the mapping at `map`, for errors about one key.
    fn key_span(&self, map: Option<Span>, key: &str) -> Option<Span> {
        let map = map?;
        let text = self.diags.sources.text(map.file);
        let rest = text.get(map.offset..)?;
        let (at, _) = rest.match_indices(key).find(|(i, _)| {
            rest[i + key.len()..]
                .trim_start_matches(['"', '\''])
                .starts_with(':')
        })?;
        Some(Span {
            file: map.file,
            offset: map.offset + at,
            len: key.len(),
        })
    }

    fn labels(
        &mut self,
        labels: &Spanned<BTreeMap<String, String>>,
        team_set: bool,
    ) -> BTreeMap<String, String> {
        let map_span = self.span(labels);
        for key in labels.value.keys() {
            let span = self.key_span(map_span, key).or(map_span);
            let reserved = RESERVED_LABELS.contains(&key.as_str()) || (team_set && key == "team");
            if !is_label_name(key) {
                let d = self.error(
                    "spec::invalid-label",
                    format!("invalid label name `{key}`"),
                    span,
                );
                d.help = Some(
                    "label names match [a-zA-Z_][a-zA-Z0-9_]* and must not start with `__`".into(),
                );
            } else if reserved {
                let d = self.error(
                    "spec::reserved-label",
                    format!("label `{key}` is set by lookout"),
                    span,
                );
                d.help = Some(if key == "team" {
                    "the `team:` field already sets this label".into()
                } else {
                    format!("lookout sets `{key}` itself; choose another name")
                });
            }
        }
        labels.value.clone()
    }

    fn sli(&mut self, sli: &Spanned<SliSpec>, service: &str, slo: &str) -> Option<Sli> {
        let span = self.span(sli);
        let spec = &sli.value;
        let set = [
            spec.events.is_some(),
            spec.latency.is_some(),
            spec.raw.is_some(),
            spec.logs.is_some(),
        ]
        .iter()
        .filter(|s| **s)
        .count();
        if set != 1 {
            let d = self.error(
                "spec::sli-kind",
                if set == 0 {
                    "the SLI has no kind"
                } else {
                    "the SLI has more than one kind"
                },
                span,
            );
            d.help = Some("set exactly one of `events`, `latency`, `raw` or `logs`".into());
            return None;
        }
        if let Some(logs) = &spec.logs {
            return self.log_sli(logs);
        }
        if let Some(events) = &spec.events {
            let errors = self.query(&events.errors, service, slo, "errors");
            let total = self.query(&events.total, service, slo, "total");
            return Some(Sli::Events {
                errors: errors?,
                total: total?,
            });
        }
        if let Some(raw) = &spec.raw {
            let error_ratio = self.query(&raw.error_ratio, service, slo, "error_ratio")?;
            return Some(Sli::Raw { error_ratio });
        }
        let latency = spec.latency.as_ref()?;
        let histogram = latency.histogram.value.trim().to_string();
        let histogram_span = self.span(&latency.histogram);
        let mut ok = true;
        if !is_metric_name(&histogram) {
            self.error(
                "spec::invalid-metric",
                format!("invalid histogram name `{histogram}`"),
                histogram_span,
            );
            ok = false;
        } else if let Some(base) = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| histogram.strip_suffix(s))
        {
            let d = self.error(
                "spec::histogram-suffix",
                format!("`histogram` takes the base name, not `{histogram}`"),
                histogram_span,
            );
            d.help = Some(format!(
                "write `histogram: {base}`; lookout reads `{base}_bucket` and `{base}_count`"
            ));
            ok = false;
        }
        let threshold = latency.threshold.value;
        if !(threshold.is_finite() && threshold > 0.0) {
            let span = self.span(&latency.threshold);
            let d = self.error(
                "spec::threshold-range",
                format!("latency threshold must be greater than 0 seconds, got {threshold}"),
                span,
            );
            d.help = Some(
                "the threshold is in seconds and must equal a bucket boundary, e.g. `0.3`".into(),
            );
            ok = false;
        }
        let (matchers, selector_labels) = match &latency.selector {
            None => (String::new(), Some(BTreeMap::new())),
            Some(selector) => self.selector(selector, &histogram)?,
        };
        if !ok {
            return None;
        }
        let count = series(&format!("{histogram}_count"), &matchers, None);
        let bucket = series(
            &format!("{histogram}_bucket"),
            &matchers,
            Some(&le_regex(threshold)),
        );
        let slot = QueryTemplate::WINDOW_SLOT;
        Some(Sli::Latency {
            errors: QueryTemplate::new(format!(
                "sum(rate({count}[{slot}])) - sum(rate({bucket}[{slot}]))"
            )),
            total: QueryTemplate::new(format!("sum(rate({count}[{slot}]))")),
            histogram,
            matchers,
            selector_labels,
            threshold,
        })
    }

    /// Validates a `{…}` selector and returns the matchers inside the braces.
    /// Validates a `{…}` selector. Returns the matchers inside the braces,
    /// and the labels themselves when every matcher is a plain `=`.
    fn selector(
        &mut self,
        selector: &Spanned<String>,
        histogram: &str,
    ) -> Option<(String, Option<BTreeMap<String, String>>)> {
        let span = self.span(selector);
        let text = selector.value.trim();
        let inner = text.strip_prefix('{').and_then(|t| t.strip_suffix('}'));
        let Some(inner) = inner else {
            let d = self.error(
                "spec::invalid-selector",
                format!("invalid selector `{text}`"),
                span,
            );
            d.help = Some(r#"write label matchers in braces, e.g. `{job="checkout"}`"#.into());
            return None;
        };
        let inner = inner.trim().trim_end_matches(',').to_string();
        let probe = format!(
            "{}{{{inner}}}",
            if histogram.is_empty() { "x" } else { histogram }
        );
        // The syntax tree is needed (for the selector's labels), so parse as written.
        let expr = match promql::parse(&probe) {
            Ok(expr) => expr,
            Err(rejection) => {
                let d = self.error(
                    "spec::invalid-selector",
                    format!("invalid selector: {}", rejection.message),
                    span,
                );
                d.help = Some(r#"write label matchers in braces, e.g. `{job="checkout"}`"#.into());
                return None;
            }
        };
        if inner.split(',').any(|m| {
            m.trim().starts_with("le") && m.trim()[2..].trim_start().starts_with(['=', '!'])
        }) {
            let d = self.error(
                "spec::invalid-selector",
                "the selector must not match on `le`",
                span,
            );
            d.help = Some("lookout picks the bucket from `threshold`".into());
            return None;
        }
        Some((inner, equality_labels(&expr)))
    }

    /// Renders a query template and checks that it uses `{{window}}` and parses.
    fn query(
        &mut self,
        query: &Spanned<String>,
        service: &str,
        slo: &str,
        field: &str,
    ) -> Option<QueryTemplate> {
        let span = self.span(query);
        let template = match self.templates.query(&query.value, service, slo) {
            Ok(template) => template,
            Err(message) => {
                self.error("spec::template", message, span).label = Some("in this query".into());
                return None;
            }
        };
        if !template.uses_window() {
            let d = self.error(
                "spec::missing-window",
                format!("the `{field}` query does not use `{{{{window}}}}`"),
                span,
            );
            d.label = Some("no `{{window}}` here".into());
            d.help = Some(
                "lookout evaluates the query over several windows; write the range as `[{{window}}]`, e.g. `rate(http_requests_total[{{window}}])`"
                    .into(),
            );
            return None;
        }
        self.pending_promql.push(PendingQuery {
            query: template.at(names::BASE_WINDOW),
            span,
            field: field.to_string(),
            substituted: "with {{window}} = 5m",
        });
        Some(template)
    }

    fn alerting(
        &mut self,
        service: &ServiceSpec,
        slo: &SloSpec,
        base_url: Option<&str>,
        name_span: Option<Span>,
        team_set: bool,
        budget: (Duration, f64),
    ) -> Option<Alerting> {
        let default = AlertingSpec {
            name: None,
            page: None,
            ticket: None,
            runbook: None,
            labels: None,
        };
        let spec = slo.alerting.as_ref().unwrap_or(&default);
        let name = match &spec.name {
            Some(name) if !is_metric_name(&name.value) || name.value.contains(':') => {
                let span = self.span(name);
                self.error(
                    "spec::invalid-name",
                    format!("invalid alert name `{}`", name.value),
                    span,
                )
                .help = Some("alert names match [a-zA-Z_][a-zA-Z0-9_]*".into());
                return None;
            }
            Some(name) => name.value.clone(),
            None => names::default_alert_name(&service.service.value, &slo.name.value),
        };
        let labels = match &spec.labels {
            Some(labels) => self.labels(labels, team_set),
            None => BTreeMap::new(),
        };
        let mut tiers = Vec::new();
        for (severity, tier) in [
            (Severity::Page, &spec.page),
            (Severity::Ticket, &spec.ticket),
        ] {
            let default_tier = TierSpec::default();
            let tier = tier.as_ref().unwrap_or(&default_tier);
            if tier.enabled == Some(false) {
                continue;
            }
            tiers.push(self.tier(severity, tier, team_set, budget)?);
        }
        let runbook_url = if tiers.is_empty() {
            None
        } else {
            Some(self.runbook_url(service, slo, spec, base_url, name_span)?)
        };
        Some(Alerting {
            name,
            tiers,
            runbook_url,
            labels,
        })
    }

    /// One alert tier; `budget` is the SLO's period and error budget, which
    /// fix each window's factor and threshold.
    fn tier(
        &mut self,
        severity: Severity,
        spec: &TierSpec,
        team_set: bool,
        (period, error_budget): (Duration, f64),
    ) -> Option<AlertTier> {
        let severity_label = match &spec.severity {
            Some(label) if label.value.trim().is_empty() => {
                let span = self.span(label);
                self.error("spec::empty-value", "`severity` is empty", span);
                return None;
            }
            Some(label) => {
                let known = self.config.config.severities();
                if !known.contains(&label.value) {
                    let span = self.span(label);
                    let names: Vec<&str> = known.iter().map(String::as_str).collect();
                    let help = format!(
                        "{} (`severities` in lookout.yaml; Alertmanager routes match the exact value)",
                        crate::spec::suggest(&label.value, &names, "known severities")
                    );
                    self.error(
                        "spec::unknown-severity",
                        format!("unknown severity `{}`", label.value),
                        span,
                    )
                    .help = Some(help);
                    return None;
                }
                label.value.clone()
            }
            None => severity.default_label().to_string(),
        };
        let for_ = match &spec.for_ {
            None => None,
            Some(text) => match Duration::parse_prometheus(text.value.trim()) {
                Some(duration) => Some(duration),
                None => {
                    let span = self.span(text);
                    let d = self.error(
                        "spec::invalid-duration",
                        format!("invalid duration `{}`", text.value),
                        span,
                    );
                    d.help = Some("use a Prometheus duration such as `2m` or `1h30m`".into());
                    return None;
                }
            },
        };
        let labels = match &spec.labels {
            Some(labels) => self.labels(labels, team_set),
            None => BTreeMap::new(),
        };
        Some(AlertTier {
            severity,
            severity_label,
            for_,
            labels,
            pairs: DEFAULT_PAIRS
                .iter()
                .filter(|p| p.severity == severity)
                .map(|p| AlertWindow::resolve(p, period, error_budget))
                .collect(),
        })
    }

    fn signals(&mut self, spec: &SignalsSpec, service: &str) -> Signals {
        let signal = |cx: &mut Self, s: &Option<SignalSpec>, field: &str| {
            let s = s.as_ref()?;
            let query = cx.dashboard_query(&s.query, service, field)?;
            Some(Signal {
                query,
                unit: s.unit.clone(),
                location: cx.span(&s.query),
            })
        };
        let traffic = signal(self, &spec.traffic, "signals.traffic");
        let errors = signal(self, &spec.errors, "signals.errors");
        let saturation = signal(self, &spec.saturation, "signals.saturation");
        let latency = spec.latency.as_ref().and_then(|latency| {
            let histogram = latency.histogram.value.trim().to_string();
            if !is_metric_name(&histogram) {
                let span = self.span(&latency.histogram);
                self.error(
                    "spec::invalid-metric",
                    format!("invalid histogram name `{histogram}`"),
                    span,
                );
                return None;
            }
            let matchers = match &latency.selector {
                None => String::new(),
                Some(selector) => self.selector(selector, &histogram)?.0,
            };
            Some(HistogramRef {
                histogram,
                matchers,
            })
        });
        let panels = spec
            .panels
            .iter()
            .filter_map(|panel| {
                let title = panel.title.value.trim().to_string();
                if title.is_empty() {
                    let span = self.span(&panel.title);
                    self.error("spec::empty-value", "panel `title` is empty", span);
                    return None;
                }
                let query = self.dashboard_query(
                    &panel.query,
                    service,
                    &format!("signals.panels[{title}]"),
                )?;
                Some(ExtraPanel {
                    title,
                    query,
                    unit: panel.unit.clone(),
                    legend: panel.legend.clone(),
                    threshold: panel.threshold,
                    location: self.span(&panel.query),
                })
            })
            .collect();
        Signals {
            traffic,
            errors,
            latency,
            saturation,
            panels,
        }
    }

    /// Renders `{{service}}` in a dashboard query and queues its PromQL check
    /// with Grafana's variables replaced.
    fn dashboard_query(
        &mut self,
        query: &Spanned<String>,
        service: &str,
        field: &str,
    ) -> Option<String> {
        let span = self.span(query);
        let rendered = match self
            .templates
            .render(&query.value, &serde_json::json!({"service": service}))
        {
            Ok(text) => text,
            Err(message) => {
                self.error("spec::template", message, span).label = Some("in this query".into());
                return None;
            }
        };
        self.pending_promql.push(PendingQuery {
            query: promql::substitute_grafana_variables(&rendered),
            span,
            field: field.to_string(),
            substituted: "with Grafana's $__ variables replaced",
        });
        Some(rendered)
    }

    /// The SLO's runbook URL: the SLO's own, else the service template, else
    /// `<runbooks.base_url>/<service>/<slo>.md`.
    fn runbook_url(
        &mut self,
        service: &ServiceSpec,
        slo: &SloSpec,
        spec: &AlertingSpec,
        base_url: Option<&str>,
        name_span: Option<Span>,
    ) -> Option<String> {
        let service_name = &service.service.value;
        let slo_name = &slo.name.value;
        let given = spec.runbook.as_ref().or(service.runbook.as_ref());
        if let Some(template) = given {
            let span = self.span(template);
            let url = match self.templates.url(&template.value, service_name, slo_name) {
                Ok(url) => url,
                Err(message) => {
                    self.error("spec::template", message, span);
                    return None;
                }
            };
            if !is_http_url(&url) {
                let d = self.error(
                    "spec::invalid-url",
                    format!("runbook must be an http(s) URL, got `{url}`"),
                    span,
                );
                d.help = Some("e.g. `https://runbooks.example.com/{{service}}/{{slo}}`".into());
                return None;
            }
            return Some(url);
        }
        match base_url {
            Some(base) => Some(format!("{base}/{service_name}/{slo_name}.md")),
            None => {
                let d = self.error(
                    "spec::no-runbook",
                    format!("the alerts of SLO `{slo_name}` would have no runbook URL"),
                    name_span,
                );
                d.help = Some(
                    "set `runbooks.base_url` in lookout.yaml, `runbook:` on the service, or `alerting.runbook` on the SLO; or disable its alerts"
                        .into(),
                );
                None
            }
        }
    }

    /// A pair whose threshold is at or above 100% errors can never fire.
    fn warn_unreachable_tiers(&mut self, slo: &Slo, span: Option<Span>) {
        for tier in &slo.alerting.tiers {
            for pair in &tier.pairs {
                let threshold = pair.threshold;
                if threshold >= 1.0 {
                    self.diags.push(
                        Diagnostic::warning(
                            "check::unreachable-alert",
                            format!(
                                "the {} alert of `{}/{}` over {} and {} can never fire: it needs an error ratio above {} ({}x the {} budget)",
                                tier.severity.as_str(),
                                slo.service,
                                slo.name,
                                pair.long,
                                pair.short,
                                crate::model::fmt_num(threshold),
                                crate::model::fmt_num(pair.factor),
                                crate::model::fmt_num(slo.error_budget()),
                            ),
                        )
                        .at_opt(span)
                        .help("raise the objective, or disable this tier with `enabled: false`"),
                    );
                }
            }
        }
    }
}

/// The spec's path as written in generated headers: relative to the project
/// root, so output does not depend on where the repository is checked out.
fn project_relative(path: &std::path::Path, root: Option<&std::path::Path>) -> std::path::PathBuf {
    if let (Ok(path_abs), Some(root_abs)) = (std::fs::canonicalize(path), root) {
        if let Ok(relative) = path_abs.strip_prefix(root_abs) {
            return relative.to_path_buf();
        }
    }
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// The labels of a selector made only of `name="value"` matchers.
fn equality_labels(expr: &promql_parser::parser::Expr) -> Option<BTreeMap<String, String>> {
    let promql_parser::parser::Expr::VectorSelector(selector) = expr else {
        return None;
    };
    if !selector.matchers.or_matchers.is_empty() {
        return None;
    }
    selector
        .matchers
        .matchers
        .iter()
        .map(|m| match m.op {
            promql_parser::label::MatchOp::Equal => Some((m.name.clone(), m.value.clone())),
            _ => None,
        })
        .collect()
}

/// `name{matchers}` with an optional extra `le=~` matcher.
fn series(name: &str, matchers: &str, le: Option<&str>) -> String {
    let mut all: Vec<String> = Vec::new();
    if !matchers.is_empty() {
        all.push(matchers.to_string());
    }
    if let Some(le) = le {
        all.push(format!("le=~{}", names::promql_string(le)));
    }
    if all.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", all.join(","))
    }
}

/// A regex matching every spelling of the bucket boundary `threshold`:
/// the shortest decimal (`0.3`, `1`), the float form Prometheus 3 normalises
/// whole numbers to (`1.0`), and Go's exponent form client libraries print
/// for large and tiny values (`1e+06`).
pub(crate) fn le_regex(threshold: f64) -> String {
    let mut forms: Vec<String> = Vec::new();
    let plain = format!("{threshold}");
    forms.push(plain.clone());
    if !plain.contains('.') {
        forms.push(format!("{plain}.0"));
    }
    let go = go_float(threshold);
    if !forms.contains(&go) {
        forms.push(go);
    }
    forms
        .iter()
        .map(|f| regex_syntax::escape(f))
        .collect::<Vec<_>>()
        .join("|")
}

/// Go's `strconv.FormatFloat(x, 'g', -1, 64)`, which client_golang uses for
/// `le`: exponent form when the exponent is below -4 or at least 6 (Go uses
/// precision 6 for this decision when printing the shortest form).
fn go_float(x: f64) -> String {
    let exponent = x.abs().log10().floor() as i32;
    if (-4..6).contains(&exponent) {
        return format!("{x}");
    }
    let text = format!("{x:e}"); // e.g. 1e6, 1.5e-7
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

fn is_service_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_slo_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with("__")
}

fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_regex_matches_every_spelling() {
        assert_eq!(le_regex(0.3), r"0\.3");
        assert_eq!(le_regex(1.0), r"1|1\.0");
        assert_eq!(le_regex(2.5), r"2\.5");
        assert_eq!(le_regex(100000.0), r"100000|100000\.0");
        assert_eq!(le_regex(1e6), r"1000000|1000000\.0|1e\+06");
        assert_eq!(le_regex(2.5e7), r"25000000|25000000\.0|2\.5e\+07");
        assert_eq!(le_regex(0.00001), r"0\.00001|1e\-05");
    }

    #[test]
    fn names() {
        assert!(is_service_name("checkout-api"));
        assert!(!is_service_name("Checkout"));
        assert!(!is_service_name("-a"));
        assert!(is_slo_name("p99_latency"));
        assert!(!is_slo_name("_x"));
        assert!(is_label_name("tier"));
        assert!(!is_label_name("__name__"));
        assert!(!is_label_name("1a"));
    }
}
