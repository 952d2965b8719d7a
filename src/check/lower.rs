//! Lowering: one pass over the spec trees that validates each value and
//! builds the model from it. This file holds the pass and what a service
//! and an SLO are made of; each larger spec section has its own file, as in
//! `spec::v1`: `sli.rs`, `alerting.rs`, `signals.rs` and `logs.rs`, all
//! methods of the one [`Lowering`].

mod alerting;
mod canary;
mod dependencies;
mod logs;
mod period;
mod signals;
mod sli;

use sli::{check_promql, PendingQuery};

use std::collections::{BTreeMap, HashMap};

use serde_saphyr::Spanned;

use super::template::Templates;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::model::settings::Settings;
use crate::model::{Duration, Model, Service, Signals, SliLocations, Slo, DEFAULT_WINDOW};
use crate::spec::v1::{ServiceSpec, SliSpec, SloSpec};
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

pub(super) fn lower(
    files: &[SpecFile],
    settings: &Settings,
    trusted: &std::collections::HashSet<std::path::PathBuf>,
    diags: &mut Diagnostics,
) -> Model {
    let templates = Templates::default();
    let canonical_root = std::fs::canonicalize(&settings.project.root).ok();
    let reported_before = diags.items.len();
    let mut cx = Lowering::new(diags, &templates, settings, canonical_root.clone());
    let project_labels = settings.project.labels.clone();
    let base_url = settings.runbooks.base_url.clone();
    // Which services to lower: a service defined twice is reported at its
    // second definition, in file order. The second is still lowered, for
    // its own errors, and then dropped.
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut unique: Vec<(FileId, &ServiceSpec, Duplicate)> = Vec::new();
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
                unique.push((spec_file.file, spec, Duplicate(true)));
                continue;
            }
            if let Some(span) = name_span {
                seen.insert(spec.service.value.clone(), span);
            }
            unique.push((spec_file.file, spec, Duplicate(false)));
        }
    }
    let declared: Vec<(FileId, &ServiceSpec)> = unique
        .iter()
        .filter(|(_, _, duplicate)| !duplicate.0)
        .map(|(file, spec, _)| (*file, *spec))
        .collect();
    dependencies::check(&declared, cx.diags);
    // Services lower independently, so on every core: in one pass this was
    // a cold build's longest stretch on one core. Each chunk reports into
    // its own list; diagnostics are sorted by position later.
    let sources = &diags.sources;
    let chunks = crate::parallel::map_chunks(&unique, 64, |chunk| {
        let mut local = Diagnostics {
            sources: sources.clone(),
            items: Vec::new(),
        };
        let templates = Templates::default();
        let mut cx = Lowering::new(&mut local, &templates, settings, canonical_root.clone());
        let mut services = Vec::new();
        for (file, spec, duplicate) in chunk {
            cx.file = *file;
            if duplicate.0 {
                // Its logs share the first definition's shipper ids; a
                // clash with those would only repeat the duplicate error.
                let ids = std::mem::take(&mut cx.component_ids);
                let _ = cx.service(spec, &project_labels, base_url.as_deref());
                cx.component_ids = ids;
            } else if let Some(service) = cx.service(spec, &project_labels, base_url.as_deref()) {
                services.push(service);
            }
        }
        let pending = std::mem::take(&mut cx.pending_promql);
        let component_ids = std::mem::take(&mut cx.component_ids);
        (services, local.items, pending, component_ids)
    });
    // Sized once: grown chunk by chunk, these copied (into fresh memory)
    // what they held at every doubling, on one core.
    let mut services = Vec::with_capacity(chunks.iter().map(|c| c.0.len()).sum());
    let mut pending = Vec::with_capacity(chunks.iter().map(|c| c.2.len()).sum());
    let mut component_ids: HashMap<String, ComponentId> = HashMap::new();
    for (chunk_services, items, chunk_pending, chunk_ids) in chunks {
        services.extend(chunk_services);
        diags.items.extend(items);
        pending.extend(chunk_pending);
        // A chunk checked its own logs' shipper ids; one an earlier chunk
        // took clashes as well.
        let mut chunk_ids: Vec<(String, ComponentId)> = chunk_ids.into_iter().collect();
        chunk_ids.sort_by_key(|(_, used)| (used.span.file, used.span.offset));
        for (id, used) in chunk_ids {
            match component_ids.get(&id) {
                Some(first) => {
                    let clash =
                        component_id_clash(&diags.sources, &id, &used.log, Some(used.span), first);
                    diags.push(clash);
                }
                None => {
                    component_ids.insert(id, used);
                }
            }
        }
    }
    if !trusted.is_empty() {
        let sources = &diags.sources;
        pending.retain(|query| {
            query
                .span
                .is_none_or(|span| !trusted.contains(sources.path(span.file)))
        });
    }
    check_promql(&pending, diags);
    forget_repairs(files, reported_before, diags);
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Model { services }
}

/// Drops what lowering found where parsing set a mistake aside (a dropped
/// field, a placeholder value): it is about the repair, and the mistake is
/// reported already.
fn forget_repairs(files: &[SpecFile], reported_before: usize, diags: &mut Diagnostics) {
    let repaired: Vec<(FileId, usize, usize)> = files
        .iter()
        .flat_map(|f| f.repaired.iter().map(|(start, end)| (f.file, *start, *end)))
        .collect();
    if repaired.is_empty() {
        return;
    }
    let lowered = diags.items.split_off(reported_before);
    diags.items.extend(lowered.into_iter().filter(|d| {
        d.span.is_none_or(|span| {
            !repaired.iter().any(|(file, start, end)| {
                span.file == *file && (*start..*end).contains(&span.offset)
            })
        })
    }));
}

/// A service defined a second time: lowered for its errors, never kept.
#[derive(Clone, Copy)]
struct Duplicate(bool);

/// Where a log's shipper component id is first used, and by which log.
struct ComponentId {
    span: Span,
    /// `<service>/<log>`.
    log: String,
}

/// Two logs whose shipper ids are equal would silently merge in the
/// shipper configs.
fn component_id_clash(
    sources: &crate::diag::SourceMap,
    id: &str,
    log: &str,
    span: Option<Span>,
    first: &ComponentId,
) -> Diagnostic {
    Diagnostic::error(
        "spec::log-id-clash",
        format!(
            "log `{log}` has the same shipper id `{id}` as the log at {}",
            describe(sources, first.span)
        ),
    )
    .at_opt(span)
    .help("rename one of them: shipper ids replace `-` with `_`")
}

fn describe(sources: &crate::diag::SourceMap, span: Span) -> String {
    let (line, col) = sources.line_col(span.file, span.offset);
    format!("{}:{line}:{col}", sources.path(span.file).display())
}

struct Lowering<'a> {
    pending_promql: Vec<PendingQuery>,
    /// The project root, resolved once, for spec paths in generated headers.
    canonical_root: Option<std::path::PathBuf>,
    diags: &'a mut Diagnostics,
    templates: &'a Templates,
    settings: &'a Settings,
    /// The file whose spans are being resolved.
    file: FileId,
    /// The logs of the service being lowered, for log SLIs.
    service_logs: Vec<crate::model::LogSource>,
    /// Every log name the service declares, valid or not: a log SLI on an
    /// invalid one is not also "undeclared".
    declared_logs: Vec<String>,
    /// Shipper component ids of every log so far: they share one namespace.
    component_ids: HashMap<String, ComponentId>,
    /// The `group_by` of the SLO being lowered, sorted, which its queries
    /// must keep.
    group_by: Vec<String>,
}

impl<'a> Lowering<'a> {
    fn new(
        diags: &'a mut Diagnostics,
        templates: &'a Templates,
        settings: &'a Settings,
        canonical_root: Option<std::path::PathBuf>,
    ) -> Self {
        Lowering {
            pending_promql: Vec::new(),
            canonical_root,
            diags,
            templates,
            settings,
            file: FileId(0),
            service_logs: Vec::new(),
            declared_logs: Vec::new(),
            component_ids: HashMap::new(),
            group_by: Vec::new(),
        }
    }

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
        describe(&self.diags.sources, span)
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
                // Still checked, so its own mistakes show in this run; the
                // service is dropped for the duplicate anyway.
                let _ = self.slo(spec, slo_spec, &labels, team.as_deref(), base_url);
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
        let canary = spec
            .canary
            .as_ref()
            .and_then(|canary| self.canary(canary, &slos));
        if self.diags.error_count() > errors_before {
            return None;
        }
        Some(Service {
            name,
            project: self.settings.project.name.name.clone(),
            depends_on: spec
                .depends_on
                .as_ref()
                .map(|d| d.value.iter().map(|s| s.value.clone()).collect())
                .unwrap_or_default(),
            team,
            signals,
            canary,
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

        // A ratio where a percentage belongs: 0.999 is 0.999%, whose budget
        // is 99.001% and whose alerts can never fire. A real SLO of 1% or
        // less is no SLO, so this is an error, not a warning CI passes.
        if objective > 0.0 && objective <= 1.0 {
            let span = self.span(&spec.objective);
            self.error(
                "spec::objective-ratio",
                format!(
                    "objective {objective} means {objective}%, a ratio where a percentage belongs"
                ),
                span,
            )
            .help = Some(format!(
                "objectives are percentages: write `objective: {}`",
                crate::model::fmt_num(objective * 100.0)
            ));
        }

        let (period, calendar) = match &spec.window {
            None => (DEFAULT_WINDOW, None),
            Some(window) => self.window(window).unwrap_or((DEFAULT_WINDOW, None)),
        };
        let calendar = calendar.map(|unit| crate::model::Calendar {
            unit,
            utc_offset_minutes: self
                .slo_utc_offset(spec)
                .unwrap_or(self.settings.utc_offset_minutes),
            start_minutes: self.slo_start(spec).unwrap_or(0),
        });
        if let (None, Some(config)) = (calendar, &spec.calendar) {
            if spec
                .window
                .as_ref()
                .is_some_and(|w| self.window_is_valid(w))
            {
                let span = config.utc_offset.as_ref().and_then(|o| self.span(o));
                self.error(
                    "spec::calendar-on-rolling",
                    "`calendar` is set on a rolling window",
                    span.or_else(|| locations_window(self, spec)),
                )
                .help = Some("`calendar` says where a calendar period (`window: week`, `month` or `quarter`) starts; a rolling window has no start: remove it, or make the window a calendar one".into());
            }
        }

        let mut labels = service_labels.clone();
        if let Some(slo_labels) = &spec.labels {
            labels.extend(self.labels(slo_labels, team.is_some()));
        }

        self.group_by = self.group_by(spec);
        let sli = self.sli(&spec.sli, service_name, &name);
        let mut locations = self.sli_locations(&spec.sli);
        locations.window = spec.window.as_ref().and_then(|w| self.span(w));
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
            calendar,
            group_by: std::mem::take(&mut self.group_by),
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

    /// The span of `key:` inside the mapping at `map`, for errors about one key.
    fn key_span(&self, map: Option<Span>, key: &str) -> Option<Span> {
        key_span(self.diags, map, key)
    }

    fn labels(
        &mut self,
        labels: &Spanned<BTreeMap<String, String>>,
        team_set: bool,
    ) -> BTreeMap<String, String> {
        validate_labels(self.diags, self.file, labels, team_set)
    }
}

/// Where `key` is written inside the map at `map`.
fn key_span(diags: &Diagnostics, map: Option<Span>, key: &str) -> Option<Span> {
    let map = map?;
    let text = diags.sources.text(map.file);
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

/// A `labels:` map of `file` (a spec's, an SLO's or lookout.yaml's), each
/// bad name reported at its key: not a Prometheus label name, or one
/// lookout sets itself (`team` too, when the service's `team:` sets it).
pub(super) fn validate_labels(
    diags: &mut Diagnostics,
    file: FileId,
    labels: &Spanned<BTreeMap<String, String>>,
    team_set: bool,
) -> BTreeMap<String, String> {
    let map_span = span_of(diags, file, &labels.referenced);
    for key in labels.value.keys() {
        let span = key_span(diags, map_span, key).or(map_span);
        let reserved = RESERVED_LABELS.contains(&key.as_str()) || (team_set && key == "team");
        let (code, message, help) = if !is_label_name(key) {
            (
                "spec::invalid-label",
                format!("invalid label name `{key}`"),
                "label names match [a-zA-Z_][a-zA-Z0-9_]* and must not start with `__`".to_string(),
            )
        } else if reserved {
            let help = if key == "team" {
                "the `team:` field already sets this label".into()
            } else {
                format!("lookout sets `{key}` itself; choose another name")
            };
            (
                "spec::reserved-label",
                format!("label `{key}` is set by lookout"),
                help,
            )
        } else {
            continue;
        };
        let mut d = Diagnostic::error(code, message).at_opt(span).help(help);
        if span.is_none() {
            d = d.in_path(diags.sources.path(file).to_path_buf());
        }
        diags.push(d);
    }
    labels.value.clone()
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

pub(crate) fn is_service_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

pub(crate) fn is_slo_name(name: &str) -> bool {
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

fn locations_window(lowering: &Lowering<'_>, spec: &SloSpec) -> Option<Span> {
    spec.window.as_ref().and_then(|w| lowering.span(w))
}

#[cfg(test)]
mod tests {
    use super::*;

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
