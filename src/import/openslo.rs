//! `lookout import openslo`: OpenSLO objects (read by `spec::openslo`)
//! become lookout specs, one file per service.
//!
//! Mapping (README, "Migrating from Sloth or OpenSLO"):
//! - an SLO's `spec.service` is the lookout service; a `Service` object of
//!   that name gives the service its labels;
//! - an SLO with one objective is one lookout SLO named as the SLO; with
//!   several, one per objective, `<name>-<index>` as Sloth names them;
//! - `target` (0..1) or `targetPercent` is the `objective` (percent);
//! - one rolling `timeWindow` of days or weeks is the `window`;
//! - the indicator (inline, `indicatorRef`, or per objective) becomes the
//!   SLI: under `Occurrences`, `ratioMetric` good/bad and total become
//!   `events` (errors = total − good), `raw` becomes `raw`, and
//!   `thresholdMetric` the share of minutes its value is on the wrong side
//!   of the objective's `value`; under `Timeslices` and `RatioTimeslices`
//!   the SLI becomes the share of bad slices, or the mean of the slices'
//!   ratios, as a `raw` SLI;
//! - queries are PromQL with Sloth's `{{.window}}`; a counter read without
//!   a window (`sum(x{…})`) becomes its rate;
//! - the `lookout.dev/…` annotations that `lookout export openslo` writes
//!   carry back what OpenSLO has no field for (alerting, a latency SLI's
//!   histogram, the SLO's name within its service, a service's team and
//!   runbook).

use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use super::{span, Converter, ImportedFile};
use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::emit::yaml::Node;
use crate::model::{fmt_num, shift_decimal, Duration};
use crate::spec::openslo::{self as os, Object};

/// Annotations `lookout export openslo` writes; the import reads them back.
pub const ANNOTATION_ALERTING: &str = "lookout.dev/alerting";
pub const ANNOTATION_LATENCY: &str = "lookout.dev/latency";
pub const ANNOTATION_TEAM: &str = "lookout.dev/team";
pub const ANNOTATION_RUNBOOK: &str = "lookout.dev/runbook";
pub const ANNOTATION_SLO: &str = "lookout.dev/slo";

/// Metric source types whose query language is PromQL.
const PROMQL_SOURCES: &[&str] = &[
    "prometheus",
    "thanos",
    "cortex",
    "mimir",
    "victoriametrics",
    "amazonprometheus",
];

/// lookout records every SLI every 5m: a time slice must tile that.
const BASE_SECONDS: u64 = 300;

/// An object with the file it came from.
#[derive(Clone, Copy)]
struct Located<'a> {
    object: &'a Object,
    file: FileId,
}

#[derive(Default)]
struct ServiceAcc {
    sources: Vec<String>,
    labels: BTreeMap<String, String>,
    team: Option<String>,
    runbook: Option<String>,
    description: Option<String>,
    slos: Vec<Node>,
    notes: Vec<String>,
    severities: BTreeSet<String>,
}

/// Converts OpenSLO objects into lookout specs, one per service, in name
/// order.
pub fn openslo(files: &[os::OpensloFile], diags: &mut Diagnostics) -> Vec<ImportedFile> {
    let mut index: BTreeMap<(&str, &str), Located> = BTreeMap::new();
    let mut slos = Vec::new();
    for file in files {
        for object in &file.objects {
            let located = Located {
                object,
                file: file.file,
            };
            if !known(located, diags) {
                continue;
            }
            let kind = object.kind.value.as_str();
            let name = object.metadata.name.value.as_str();
            if let Some(first) = index.get(&(kind, name)) {
                let at = span(diags, file.file, &object.metadata.name);
                let shown = diags.sources.path(first.file).display().to_string();
                // Only a Service is never referred to by name alone: a
                // second one is harmless, anything else is ambiguous.
                let diagnostic = if kind == "Service" {
                    Diagnostic::warning(
                        "import::duplicate-object",
                        format!("Service `{name}` is declared twice; the first is kept"),
                    )
                } else {
                    Diagnostic::error(
                        "import::duplicate-object",
                        format!("{kind} `{name}` is declared twice"),
                    )
                };
                diags.push(diagnostic.at_opt(at).help(format!(
                    "first declared in {shown}; OpenSLO names are unique per kind"
                )));
                continue;
            }
            index.insert((kind, name), located);
            if kind == "SLO" {
                slos.push(located);
            }
        }
    }
    let slo_count = slos.len();
    let mut services: BTreeMap<String, ServiceAcc> = BTreeMap::new();
    let mut used_slis = BTreeSet::new();
    let mut seen_slos: BTreeMap<(String, String), String> = BTreeMap::new();
    for slo in slos {
        let shown = diags.sources.path(slo.file).display().to_string();
        let mut cx = Openslo {
            base: Converter {
                diags: &mut *diags,
                file: slo.file,
                notes: Vec::new(),
                severities: Default::default(),
            },
            index: &index,
            used_slis: &mut used_slis,
            slo: slo.object.metadata.name.value.clone(),
            v1alpha: slo.object.api_version.value == os::V1ALPHA,
            sources: BTreeSet::new(),
        };
        let Some((service, converted)) = cx.slo(slo) else {
            continue;
        };
        let Openslo { base, sources, .. } = cx;
        let (notes, severities) = (base.notes, base.severities);
        let acc = services.entry(service.clone()).or_default();
        let mut files = vec![shown.clone()];
        files.extend(
            sources
                .iter()
                .map(|f| diags.sources.path(*f).display().to_string()),
        );
        for file in files {
            if !acc.sources.contains(&file) {
                acc.sources.push(file);
            }
        }
        for (name, node) in converted {
            let key = (service.clone(), name.clone());
            if let Some(first) = seen_slos.get(&key) {
                let at = span(diags, slo.file, &slo.object.metadata.name);
                diags.push(
                    Diagnostic::error(
                        "import::duplicate-slo",
                        format!("SLO `{name}` of service `{service}` is declared twice"),
                    )
                    .at_opt(at)
                    .help(format!("first declared in {first}; rename one of them")),
                );
                continue;
            }
            seen_slos.insert(key, shown.clone());
            acc.slos.push(node);
        }
        acc.notes.extend(notes);
        acc.severities.extend(severities);
    }
    // Service objects: labels and lookout's own annotations.
    for ((kind, name), located) in &index {
        match *kind {
            "Service" => match services.get_mut(*name) {
                Some(acc) => service_object(*located, acc, diags),
                None => unused(*located, "no SLO names this service", diags),
            },
            "SLI" if !used_slis.contains(*name) => {
                unused(*located, "no SLO refers to this SLI", diags)
            }
            "DataSource" | "AlertPolicy" | "AlertCondition" | "AlertNotificationTarget" => {}
            _ => {}
        }
    }
    if slo_count == 0 && !diags.has_errors() {
        let paths: Vec<String> = files
            .iter()
            .map(|f| diags.sources.path(f.file).display().to_string())
            .collect();
        diags.push(
            Diagnostic::error("import::no-slo", "no OpenSLO SLO to import")
                .help(format!(
                    "{} hold no `kind: SLO`; give the files with the SLOs too (SLIs, data sources and alert policies are read through them)",
                    paths.join(", ")
                )),
        );
    }
    services
        .into_iter()
        .filter(|(_, acc)| !acc.slos.is_empty())
        .map(|(service, acc)| {
            let mut header = vec![
                format!(
                    "Imported by `lookout import openslo` from {}.",
                    acc.sources.join(", ")
                ),
                "What changed meaning for every SLO:".to_string(),
                "- lookout alerts on the SRE workbook's multiwindow burn rates (page: 14.4x"
                    .to_string(),
                "  over 1h and 5m, 6x over 6h and 30m; ticket: 3x over 1d and 2h, 1x over 3d"
                    .to_string(),
                "  and 6h, for a 30d window), whatever alert policies the SLO had;".to_string(),
                "- series and alerts carry `service` and `slo` labels.".to_string(),
            ];
            if let Some(description) = &acc.description {
                header.push(format!("Service: {}", one_line(description)));
            }
            let slos = acc.slos.len();
            let root = Node::map()
                .str("service", service.as_str())
                .opt_str("team", acc.team.as_deref())
                .non_empty("labels", Node::labels(&acc.labels))
                .opt_str("runbook", acc.runbook.as_deref())
                .entry("slos", Node::Seq(acc.slos))
                .build();
            ImportedFile::new(service, header, &acc.notes, root, slos, acc.severities)
        })
        .collect()
}

/// Checks the version and kind, and warns of keys another kind owns.
fn known(located: Located, diags: &mut Diagnostics) -> bool {
    let object = located.object;
    let version = object.api_version.value.as_str();
    if version != os::V1 && version != os::V1ALPHA {
        let at = span(diags, located.file, &object.api_version);
        diags.push(
            Diagnostic::error(
                "import::openslo-version",
                format!("unsupported OpenSLO version `{version}`"),
            )
            .at_opt(at)
            .help(format!(
                "lookout reads `{}` and `{}`; v2alpha is a draft that may still change",
                os::V1,
                os::V1ALPHA
            )),
        );
        return false;
    }
    let kind = object.kind.value.as_str();
    if !os::KINDS.iter().any(|(k, _)| *k == kind) {
        let at = span(diags, located.file, &object.kind);
        let kinds: Vec<&str> = os::KINDS.iter().map(|(k, _)| *k).collect();
        diags.push(
            Diagnostic::error(
                "import::openslo-kind",
                format!("unknown OpenSLO kind `{kind}`"),
            )
            .at_opt(at)
            .help(crate::spec::suggest(kind, &kinds, "kind")),
        );
        return false;
    }
    if let Some(spec) = &object.spec {
        for key in os::misplaced_keys(kind, &spec.value) {
            let at = span(diags, located.file, spec);
            diags.push(
                Diagnostic::warning(
                    "import::unknown-key",
                    format!("`spec.{key}` is not a field of an OpenSLO {kind}: not imported"),
                )
                .at_opt(at),
            );
        }
    }
    true
}

fn unused(located: Located, why: &str, diags: &mut Diagnostics) {
    let object = located.object;
    let at = span(diags, located.file, &object.metadata.name);
    diags.push(
        Diagnostic::warning(
            "import::unused",
            format!(
                "{} `{}` is not imported: {why}",
                object.kind.value, object.metadata.name.value
            ),
        )
        .at_opt(at),
    );
}

fn service_object(located: Located, acc: &mut ServiceAcc, diags: &mut Diagnostics) {
    let object = located.object;
    let mut cx = Converter {
        diags: &mut *diags,
        file: located.file,
        notes: Vec::new(),
        severities: Default::default(),
    };
    let shown = cx.diags.sources.path(located.file).display().to_string();
    if !acc.sources.contains(&shown) {
        acc.sources.push(shown);
    }
    acc.labels = labels(&mut cx, &object.metadata);
    acc.description = object
        .spec
        .as_ref()
        .and_then(|s| s.value.description.clone())
        .filter(|d| !d.trim().is_empty());
    if let Some(annotations) = &object.metadata.annotations {
        for (key, value) in &annotations.value {
            match key.as_str() {
                ANNOTATION_TEAM => acc.team = Some(value.clone()),
                ANNOTATION_RUNBOOK => acc.runbook = Some(value.clone()),
                _ => annotation_ignored(&mut cx, annotations, key, &object.metadata.name.value),
            }
        }
    }
    acc.notes.extend(cx.notes);
}

fn annotation_ignored(
    cx: &mut Converter,
    annotations: &Spanned<BTreeMap<String, String>>,
    key: &str,
    owner: &str,
) {
    let at = cx.span(annotations);
    cx.notes
        .push(format!("{owner}: the annotation `{key}` is not carried"));
    cx.diags.push(
        Diagnostic::warning(
            "import::annotation",
            format!("annotation `{key}` of `{owner}` is not imported"),
        )
        .at_opt(at)
        .label("lookout has no field for it"),
    );
}

/// OpenSLO labels hold lists; a lookout label holds one value.
fn labels(cx: &mut Converter, metadata: &os::Metadata) -> BTreeMap<String, String> {
    let Some(labels) = &metadata.labels else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for (key, value) in &labels.value {
        // OpenSLO allows `team.example.com/owner`; Prometheus does not.
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !key.starts_with("__");
        if !valid {
            let at = cx.span(value);
            cx.notes.push(format!(
                "{}: the label `{key}` is not carried (not a Prometheus label name)",
                metadata.name.value
            ));
            cx.diags.push(
                Diagnostic::warning(
                    "import::label-name",
                    format!("label `{key}` is not a Prometheus label name: not imported"),
                )
                .at_opt(at)
                .help("Prometheus label names are letters, digits and `_`; rename it in the source and import again"),
            );
            continue;
        }
        let value = match &value.value {
            os::Label::One(one) => one.clone(),
            os::Label::Many(many) if many.len() == 1 => many[0].clone(),
            os::Label::Many(many) => {
                let at = cx.span(value);
                let joined = many.join(",");
                cx.notes.push(format!(
                    "{}: the label `{key}` had {} values, joined as `{joined}`",
                    metadata.name.value,
                    many.len()
                ));
                cx.diags.push(
                    Diagnostic::warning(
                        "import::label-values",
                        format!(
                            "label `{key}` has {} values; a Prometheus label has one",
                            many.len()
                        ),
                    )
                    .at_opt(at)
                    .label(format!("imported as `{key}: {joined}`")),
                );
                joined
            }
        };
        out.insert(key.clone(), value);
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How an SLO counts its budget.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Budgeting {
    Occurrences,
    Timeslices,
    RatioTimeslices,
}

/// An SLI before the objective shapes it.
#[derive(Clone)]
enum Indicator {
    /// Bad and all events, as rates over `{{window}}`.
    Ratio { errors: String, total: String },
    /// The error ratio over `{{window}}`.
    Raw(String),
    /// An instant query whose value is compared with the objective's `value`.
    Threshold(String),
}

struct Openslo<'a, 'd> {
    base: Converter<'d>,
    index: &'a BTreeMap<(&'a str, &'a str), Located<'a>>,
    used_slis: &'a mut BTreeSet<String>,
    /// The SLO being converted, for notes.
    slo: String,
    /// Whether it is `openslo/v1alpha`, whose fields differ.
    v1alpha: bool,
    /// Files the SLO's referenced objects came from.
    sources: BTreeSet<FileId>,
}

impl<'a> Openslo<'a, '_> {
    fn error<T>(&mut self, spanned: &Spanned<T>, code: &'static str, message: String, help: &str) {
        let at = self.base.span(spanned);
        self.base
            .diags
            .push(Diagnostic::error(code, message).at_opt(at).help(help));
    }

    /// One SLO object: its service, and one lookout SLO per objective.
    fn slo(&mut self, slo: Located<'a>) -> Option<(String, Vec<(String, Node)>)> {
        let object = slo.object;
        let errors = self.base.diags.error_count();
        let annotations = self.annotations(&object.metadata);
        let name = annotations
            .name
            .clone()
            .unwrap_or_else(|| object.metadata.name.value.clone());
        let Some(spec) = &object.spec else {
            self.error(
                &object.kind,
                "import::openslo-field",
                format!("SLO `{name}` has no `spec`"),
                "an SLO needs `spec.service`, an indicator and `objectives`",
            );
            return None;
        };
        let Some(service) = &spec.value.service else {
            self.error(
                spec,
                "import::openslo-field",
                format!("SLO `{name}` names no `service`"),
                "add `service:`; it becomes the lookout service and its `service` label",
            );
            return None;
        };
        self.base
            .check_name(service, "service", super::MAX_SERVICE_NAME);
        let window = self.window(&spec.value, &name);
        let budgeting = self.budgeting(&spec.value, &name);
        let has_shared = spec.value.indicator.is_some() || spec.value.indicator_ref.is_some();
        let shared = self.indicator_of(
            spec.value.indicator.as_ref(),
            spec.value.indicator_ref.as_ref(),
        );
        self.alert_policies(spec.value.alert_policies.as_ref(), &name);
        let labels = labels(&mut self.base, &object.metadata);
        let description = spec
            .value
            .description
            .as_deref()
            .or(object.metadata.display_name.as_deref())
            .map(one_line)
            .filter(|d| !d.is_empty());
        let Some(objectives) = spec
            .value
            .objectives
            .as_ref()
            .filter(|o| !o.value.is_empty())
        else {
            self.error(
                spec,
                "import::openslo-field",
                format!("SLO `{name}` has no `objectives`"),
                "add one objective with a `target`, e.g. `objectives: [{target: 0.999}]`",
            );
            return None;
        };
        let several = objectives.value.len() > 1;
        if several {
            self.base.notes.push(format!(
                "{name}: its {} objectives are the SLOs {name}-0 to {name}-{}",
                objectives.value.len(),
                objectives.value.len() - 1
            ));
        }
        let mut out = Vec::new();
        for (i, objective) in objectives.value.iter().enumerate() {
            let slo_name = if several {
                format!("{name}-{i}")
            } else {
                name.clone()
            };
            let shown = Spanned {
                value: slo_name.clone(),
                referenced: object.metadata.name.referenced,
                defined: object.metadata.name.defined,
            };
            self.base.check_name(&shown, "SLO", usize::MAX);
            let Some(percent) = self.objective(objective, &slo_name) else {
                continue;
            };
            if let Some(weight) = &objective.value.composite_weight {
                self.error(
                    weight,
                    "import::composite",
                    format!("SLO `{name}` is a composite SLO (`compositeWeight`)"),
                    "lookout has no composite SLOs: import each part as an SLO of its own, and read the composite off the overview dashboard",
                );
                continue;
            }
            let own = objective
                .value
                .ratio_metrics
                .as_ref()
                .map(|ratio| self.ratio(ratio));
            let indicator = match own {
                Some(own) => own.map(|indicator| (indicator, None)),
                None if objective.value.indicator.is_some()
                    || objective.value.indicator_ref.is_some() =>
                {
                    self.indicator_of(
                        objective.value.indicator.as_ref(),
                        objective.value.indicator_ref.as_ref(),
                    )
                }
                None => match &shared {
                    Some(shared) => Some(shared.clone()),
                    // Given, but wrong: already reported.
                    None if has_shared => None,
                    None => {
                        self.error(
                            spec,
                            "import::openslo-field",
                            format!("SLO `{name}` has no indicator"),
                            "give it `indicator:` (an inline SLI) or `indicatorRef:` (an SLI's name)",
                        );
                        None
                    }
                },
            };
            let Some((indicator, latency)) = indicator else {
                continue;
            };
            // `export` puts it on the SLO; an SLI object may carry its own.
            let latency = latency_annotation(&object.metadata).or(latency);
            let sli = self.sli(indicator, latency, budgeting, objective, &slo_name);
            let Some(sli) = sli else { continue };
            let node = Node::map()
                .str("name", slo_name.as_str())
                .opt_str("description", description.clone())
                .entry("objective", Node::Raw(fmt_num(percent)))
                .opt_str("window", window.clone())
                .non_empty("labels", Node::labels(&labels))
                .entry("sli", sli)
                .non_empty(
                    "alerting",
                    annotations
                        .alerting
                        .as_ref()
                        .map_or(Node::Map(Vec::new()), Node::from_json),
                )
                .build();
            out.push((slo_name, node));
        }
        if self.base.diags.error_count() > errors {
            return None;
        }
        self.alerting_defaults(&annotations);
        Some((service.value.clone(), out))
    }

    /// The window, if it is not lookout's default of 30 days.
    fn window(&mut self, spec: &os::Spec, slo: &str) -> Option<String> {
        let windows = spec.time_window.as_ref().or(spec.time_windows.as_ref());
        let Some(windows) = windows else {
            self.base.notes.push(format!(
                "{slo}: no time window was given; lookout's default, 30d, is used"
            ));
            return None;
        };
        let [window] = windows.value.as_slice() else {
            self.error(
                windows,
                "import::window",
                format!("SLO `{slo}` has {} time windows", windows.value.len()),
                "lookout has one window per SLO: keep one, and import the SLO again under another name for the other",
            );
            return None;
        };
        if let Some(calendar) = &window.value.calendar {
            self.error(
                calendar,
                "import::calendar-window",
                format!("SLO `{slo}` has a calendar-aligned window"),
                "lookout's windows are rolling: remove `calendar` and set `isRolling: true` (a rolling window of the same length spends the budget the same way, without a reset at the period's start)",
            );
            return None;
        }
        if window.value.is_rolling == Some(false) {
            self.base.notes.push(format!(
                "{slo}: `isRolling: false` without a calendar is read as rolling, as Sloth does"
            ));
        }
        let (text, days) = match (
            &window.value.duration,
            window.value.count,
            &window.value.unit,
        ) {
            (Some(duration), _, _) => {
                let days = shorthand_days(&duration.value);
                // Written as lookout writes windows: kept as written.
                if days.is_some_and(|d| d > 0 && Duration::days(d) != Duration::days(30)) {
                    return Some(duration.value.clone());
                }
                (duration.value.clone(), days)
            }
            (None, Some(count), Some(unit)) => {
                let days = match unit.as_str() {
                    "Day" => Some(u64::from(count)),
                    "Week" => Some(u64::from(count) * 7),
                    _ => None,
                };
                (format!("{count} {unit}"), days)
            }
            _ => (String::new(), None),
        };
        let Some(days) = days.filter(|d| *d > 0) else {
            self.error(
                window,
                "import::window",
                format!("SLO `{slo}`'s time window `{text}` is not a whole number of days or weeks"),
                "lookout's windows are `Nd` or `Nw`: write e.g. `duration: 28d` (a month or a quarter has no fixed length)",
            );
            return None;
        };
        let duration = Duration::days(days);
        (duration != Duration::days(30)).then(|| duration.to_string())
    }

    fn budgeting(&mut self, spec: &os::Spec, slo: &str) -> Budgeting {
        let Some(method) = &spec.budgeting_method else {
            self.base.notes.push(format!(
                "{slo}: no budgetingMethod was given; it is read as Occurrences"
            ));
            return Budgeting::Occurrences;
        };
        match method.value.as_str() {
            "Occurrences" => Budgeting::Occurrences,
            "Timeslices" => Budgeting::Timeslices,
            "RatioTimeslices" => Budgeting::RatioTimeslices,
            other => {
                self.error(
                    method,
                    "import::budgeting",
                    format!("unknown budgetingMethod `{other}`"),
                    "OpenSLO's methods are Occurrences, Timeslices and RatioTimeslices",
                );
                Budgeting::Occurrences
            }
        }
    }

    /// The objective in percent.
    fn objective(&mut self, objective: &Spanned<os::Objective>, slo: &str) -> Option<f64> {
        let o = &objective.value;
        let (percent, at) = match (&o.target, &o.target_percent) {
            (Some(target), None) => (shift_decimal(target.value, 2), target),
            (None, Some(percent)) => (percent.value, percent),
            (Some(target), Some(_)) => {
                self.error(
                    target,
                    "import::objective",
                    format!("SLO `{slo}` has both `target` and `targetPercent`"),
                    "keep one",
                );
                return None;
            }
            (None, None) => {
                self.error(
                    objective,
                    "import::objective",
                    format!("SLO `{slo}` has an objective without a `target`"),
                    "add `target:` (a ratio, e.g. 0.999) or `targetPercent:` (e.g. 99.9)",
                );
                return None;
            }
        };
        if !(percent > 0.0 && percent < 100.0) {
            self.error(
                at,
                "import::objective",
                format!(
                    "SLO `{slo}`'s target is {}%, outside 0–100% exclusive",
                    fmt_num(percent)
                ),
                "`target` is a ratio (0.999), `targetPercent` a percentage (99.9)",
            );
            return None;
        }
        Some(percent)
    }

    /// An indicator given inline or by reference, with the latency
    /// annotation its SLI object may carry.
    fn indicator_of(
        &mut self,
        inline: Option<&Spanned<os::Indicator>>,
        reference: Option<&Spanned<String>>,
    ) -> Option<(Indicator, Option<String>)> {
        if let Some(reference) = reference {
            let Some(sli) = self.index.get(&("SLI", reference.value.as_str())).copied() else {
                self.error(
                    reference,
                    "import::missing-ref",
                    format!(
                        "SLI `{}` referenced at `spec.indicatorRef` does not exist",
                        reference.value
                    ),
                    "import the file that declares it too, or inline the SLI under `indicator:`",
                );
                return None;
            };
            self.used_slis.insert(reference.value.clone());
            self.sources.insert(sli.file);
            let latency = latency_annotation(&sli.object.metadata);
            let spec = sli.object.spec.as_ref()?;
            // The SLI's spans are in its own file.
            let file = std::mem::replace(&mut self.base.file, sli.file);
            let indicator = self.sli_spec(&spec.value, spec);
            self.base.file = file;
            return indicator.map(|i| (i, latency));
        }
        let inline = inline?;
        if let Some(threshold) = &inline.value.threshold_metric {
            return self
                .metric(threshold)
                .map(|query| (Indicator::Threshold(query), None));
        }
        let latency = inline.value.metadata.as_ref().and_then(latency_annotation);
        match &inline.value.spec {
            Some(spec) => self.sli_spec(&spec.value, spec).map(|i| (i, latency)),
            None => {
                self.error(
                    inline,
                    "import::openslo-field",
                    "this indicator has no `spec`".into(),
                    "an inline SLI has `metadata` and a `spec` with `ratioMetric` or `thresholdMetric`",
                );
                None
            }
        }
    }

    fn sli_spec<T>(&mut self, spec: &os::Spec, at: &Spanned<T>) -> Option<Indicator> {
        match (&spec.ratio_metric, &spec.threshold_metric) {
            (Some(ratio), None) => self.ratio(ratio),
            (None, Some(threshold)) => self.metric(threshold).map(Indicator::Threshold),
            _ => {
                self.error(
                    at,
                    "import::openslo-field",
                    "an SLI needs exactly one of `ratioMetric` and `thresholdMetric`".into(),
                    "",
                );
                None
            }
        }
    }

    fn ratio(&mut self, ratio: &Spanned<os::RatioMetric>) -> Option<Indicator> {
        let r = &ratio.value;
        let counter = r.counter.or(r.incremental).unwrap_or(true);
        let events = |cx: &mut Self, metric: &Spanned<os::MetricSpec>| {
            let query = cx.metric(metric)?;
            cx.rate(metric, query, counter)
        };
        match (&r.good, &r.bad, &r.total, &r.raw) {
            (Some(good), None, Some(total), None) => {
                let good = events(self, good);
                let total = events(self, total)?;
                let good = good?;
                // A good series that does not exist yet is no good events,
                // not no SLI: the `or` keeps a total outage visible.
                Some(Indicator::Ratio {
                    errors: format!("({total}) - (({good}) or ({total}) * 0)"),
                    total,
                })
            }
            (None, Some(bad), Some(total), None) => {
                let errors = events(self, bad);
                let total = events(self, total)?;
                Some(Indicator::Ratio {
                    errors: errors?,
                    total,
                })
            }
            (None, None, None, Some(raw)) => {
                let query = self.metric(raw)?;
                let windowed = if query.contains("{{window}}") {
                    query
                } else {
                    format!("avg_over_time(({query})[{{{{window}}}}:1m])")
                };
                let failure = match r.raw_type.as_ref().map(|t| t.value.as_str()) {
                    Some("failure") => true,
                    Some("success") => false,
                    other => {
                        let at = r
                            .raw_type
                            .as_ref()
                            .map_or_else(|| self.base.span(ratio), |t| self.base.span(t));
                        self.base.diags.push(
                            Diagnostic::error(
                                "import::raw-type",
                                match other {
                                    Some(other) => format!("unknown rawType `{other}`"),
                                    None => "a raw ratioMetric needs a `rawType`".into(),
                                },
                            )
                            .at_opt(at)
                            .help("`rawType: success` if the query returns the good ratio, `failure` if the bad one"),
                        );
                        return None;
                    }
                };
                Some(Indicator::Raw(if failure {
                    windowed
                } else {
                    format!("1 - ({windowed})")
                }))
            }
            _ => {
                self.error(
                    ratio,
                    "import::openslo-field",
                    "a ratioMetric needs `total` with one of `good` and `bad`, or `raw` with `rawType`".into(),
                    "",
                );
                None
            }
        }
    }

    /// A query as a rate over `{{window}}`.
    fn rate(
        &mut self,
        metric: &Spanned<os::MetricSpec>,
        query: String,
        counter: bool,
    ) -> Option<String> {
        if query.contains("{{window}}") {
            return Some(query);
        }
        if counter {
            if let Some(rate) = crate::check::promql::counter_as_rate(&query, "{{window}}") {
                self.base.notes.push(format!(
                    "{}: the counter query `{query}` is read as `{rate}`",
                    self.slo
                ));
                return Some(rate);
            }
        }
        self.error(
            metric,
            "import::no-window",
            format!("this query has no `{{{{.window}}}}`: `{query}`"),
            "lookout needs events as a rate over a window: write it as e.g. `sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))`",
        );
        None
    }

    /// A metric's PromQL, with `{{.window}}` written `{{window}}`.
    fn metric(&mut self, metric: &Spanned<os::MetricSpec>) -> Option<String> {
        let m = &metric.value;
        let (source_type, query): (Option<String>, Option<Spanned<String>>) = match &m.metric_source
        {
            Some(source) => {
                let mut source_type = source.type_.as_ref().map(|t| t.value.clone());
                if source_type.is_none() {
                    if let Some(reference) = &source.metric_source_ref {
                        match self.index.get(&("DataSource", reference.value.as_str())) {
                            Some(ds) => {
                                self.sources.insert(ds.file);
                                source_type = ds
                                    .object
                                    .spec
                                    .as_ref()
                                    .and_then(|s| s.value.type_.as_ref())
                                    .map(|t| t.value.clone());
                            }
                            None => {
                                self.error(
                                    reference,
                                    "import::missing-ref",
                                    format!("DataSource `{}` referenced at `metricSourceRef` does not exist", reference.value),
                                    "import the file that declares it too, or give the source's `type` here",
                                );
                                return None;
                            }
                        }
                    }
                }
                let query = source.spec.as_ref().and_then(|spec| {
                    spec.value.get("query").and_then(|q| {
                        q.value.as_str().map(|text| Spanned {
                            value: text.to_string(),
                            referenced: q.referenced,
                            defined: q.defined,
                        })
                    })
                });
                (source_type, query)
            }
            None => {
                // v1alpha: `source` names a data source or its type.
                let source = m.source.as_ref().map(|s| s.value.clone());
                let resolved = source.as_ref().and_then(|name| {
                    self.index
                        .get(&("DataSource", name.as_str()))
                        .and_then(|ds| {
                            ds.object
                                .spec
                                .as_ref()
                                .and_then(|s| s.value.type_.as_ref())
                                .map(|t| t.value.clone())
                        })
                });
                (resolved.or(source), m.query.clone())
            }
        };
        let promql = source_type
            .as_deref()
            .is_some_and(|t| PROMQL_SOURCES.contains(&t.to_ascii_lowercase().as_str()));
        if !promql {
            self.error(
                metric,
                "import::data-source",
                match &source_type {
                    Some(t) => format!("this metric comes from `{t}`, which lookout cannot query"),
                    None => "this metric names no source type".into(),
                },
                "lookout writes Prometheus rules: only Prometheus-compatible sources (Prometheus, Thanos, Cortex, Mimir, VictoriaMetrics) import; give the query in PromQL with `type: Prometheus`",
            );
            return None;
        }
        let Some(query) = query else {
            self.error(
                metric,
                "import::openslo-field",
                "this metric has no `query`".into(),
                "a Prometheus metric source has `spec: {query: …}`",
            );
            return None;
        };
        self.base.query(&query)
    }

    /// The lookout `sli:` for an indicator under the objective's budgeting.
    fn sli(
        &mut self,
        indicator: Indicator,
        latency: Option<String>,
        budgeting: Budgeting,
        objective: &Spanned<os::Objective>,
        slo: &str,
    ) -> Option<Node> {
        let o = &objective.value;
        let threshold_op = |cx: &mut Self| -> Option<(String, String)> {
            let (Some(op), Some(value)) = (&o.op, &o.value) else {
                cx.error(
                    objective,
                    "import::threshold",
                    format!("SLO `{slo}` has a thresholdMetric, but its objective has no `op` and `value`"),
                    "add e.g. `op: lte` and `value: 200`: a data point is good when `query op value` holds",
                );
                return None;
            };
            let op_text = match op.value.as_str() {
                "lt" => "<",
                "lte" => "<=",
                "gt" => ">",
                "gte" => ">=",
                other => {
                    cx.error(
                        op,
                        "import::threshold",
                        format!("unknown op `{other}`"),
                        "OpenSLO's operators are lt, lte, gt and gte",
                    );
                    return None;
                }
            };
            Some((op_text.to_string(), fmt_num(value.value)))
        };
        // The slice, which must tile lookout's 5m, and for Timeslices the
        // share of a slice that must be good.
        let slice = |cx: &mut Self, needs_target: bool| -> Option<(String, f64)> {
            // v1alpha has no field for the slice: Nobl9, where v1alpha
            // came from, slices by the minute.
            let default = cx.v1alpha.then(|| Spanned {
                value: "1m".to_string(),
                referenced: objective.referenced,
                defined: objective.defined,
            });
            let Some(window) = o.time_slice_window.as_ref().or(default.as_ref()) else {
                cx.error(
                    objective,
                    "import::timeslices",
                    format!("SLO `{slo}` counts time slices, but its objective has no `timeSliceWindow`"),
                    "add e.g. `timeSliceWindow: 1m`",
                );
                return None;
            };
            if o.time_slice_window.is_none() {
                cx.base.notes.push(format!(
                    "{slo}: openslo/v1alpha gives no slice length; slices are 1m"
                ));
            }
            let target = match &o.time_slice_target {
                Some(target) => target.value,
                None if needs_target => {
                    cx.error(
                        objective,
                        "import::timeslices",
                        format!("SLO `{slo}` budgets by Timeslices, but its objective has no `timeSliceTarget`"),
                        "add e.g. `timeSliceTarget: 0.95`: a slice is good when at least that share of it is",
                    );
                    return None;
                }
                None => 0.0,
            };
            let seconds = Duration::parse_prometheus(&window.value).map(|d| d.seconds());
            match seconds {
                Some(s) if s > 0 && BASE_SECONDS.is_multiple_of(s) => {
                    Some((window.value.clone(), target))
                }
                _ => {
                    cx.error(
                        window,
                        "import::timeslices",
                        format!(
                            "a time slice of `{}` does not tile lookout's 5m",
                            window.value
                        ),
                        "use a slice of 1m, 5m, or another divisor of 5 minutes",
                    );
                    None
                }
            }
        };
        let raw = |ratio: String| {
            Node::map()
                .entry("raw", Node::map().str("error_ratio", ratio).build())
                .build()
        };
        match (budgeting, indicator) {
            (Budgeting::Occurrences, Indicator::Ratio { errors, total }) => {
                if let Some(latency) = latency {
                    if let Some(node) = self.latency(&latency, &errors, &total, slo) {
                        return Some(node);
                    }
                }
                Some(super::events_sli(errors, total))
            }
            (Budgeting::Occurrences, Indicator::Raw(ratio)) => Some(raw(ratio)),
            (Budgeting::Occurrences, Indicator::Threshold(query)) => {
                let (op, value) = threshold_op(self)?;
                self.base.notes.push(format!(
                    "{slo}: a data point is one minute: the SLI is the share of minutes `{query}` {op} {value} did not hold"
                ));
                Some(raw(format!(
                    "1 - avg(avg_over_time(({query} {op} bool {value})[{{{{window}}}}:1m]))"
                )))
            }
            (Budgeting::Timeslices, Indicator::Ratio { errors, total }) => {
                let (slice, target) = slice(self, true)?;
                let at = |q: &str| q.replace("{{window}}", &slice);
                self.base.notes.push(format!(
                    "{slo}: a {slice} slice is bad when its error ratio exceeds {}; the SLI is the share of bad slices (a slice without events is good)",
                    fmt_num(1.0 - target)
                ));
                Some(raw(format!(
                    "avg_over_time(((({}) / ({})) > bool {})[{{{{window}}}}:{slice}])",
                    at(&errors),
                    at(&total),
                    fmt_num(1.0 - target)
                )))
            }
            (Budgeting::Timeslices, Indicator::Threshold(query)) => {
                let (op, value) = threshold_op(self)?;
                let (slice, target) = slice(self, true)?;
                self.base.notes.push(format!(
                    "{slo}: a {slice} slice is bad when `{query}` {op} {value} held for less than {} of its minutes; the SLI is the share of bad slices",
                    fmt_num(target)
                ));
                Some(raw(format!(
                    "avg_over_time((avg(avg_over_time(({query} {op} bool {value})[{slice}:1m])) < bool {})[{{{{window}}}}:{slice}])",
                    fmt_num(target)
                )))
            }
            (Budgeting::RatioTimeslices, Indicator::Ratio { errors, total }) => {
                let (slice, _) = slice(self, false)?;
                let at = |q: &str| q.replace("{{window}}", &slice);
                self.base.notes.push(format!(
                    "{slo}: the SLI is the mean of the {slice} slices' error ratios"
                ));
                Some(raw(format!(
                    "avg_over_time((({}) / ({}))[{{{{window}}}}:{slice}])",
                    at(&errors),
                    at(&total)
                )))
            }
            (Budgeting::Timeslices | Budgeting::RatioTimeslices, Indicator::Raw(_))
            | (Budgeting::RatioTimeslices, Indicator::Threshold(_)) => {
                self.error(
                    objective,
                    "import::timeslices",
                    format!("SLO `{slo}` counts time slices of an SLI that has no events to slice"),
                    "time slices need a ratioMetric with good or bad and total (or a thresholdMetric, for Timeslices); or budget by Occurrences",
                );
                None
            }
        }
    }

    /// A latency SLI written back from `lookout.dev/latency`, when the
    /// queries are still the histogram's.
    fn latency(&mut self, annotation: &str, errors: &str, total: &str, slo: &str) -> Option<Node> {
        let value: serde_json::Value = serde_json::from_str(annotation).ok()?;
        let histogram = value.get("histogram")?.as_str()?;
        let threshold = value.get("threshold")?.as_f64()?;
        let selector = value.get("selector").and_then(|s| s.as_str());
        let count = format!("{histogram}_count");
        if !errors.contains(&format!("{histogram}_bucket")) || !total.contains(&count) {
            self.base.notes.push(format!(
                "{slo}: its `{ANNOTATION_LATENCY}` annotation no longer matches its queries, which are kept as events"
            ));
            return None;
        }
        Some(
            Node::map()
                .entry(
                    "latency",
                    Node::map()
                        .str("histogram", histogram)
                        .opt_str("selector", selector)
                        .entry("threshold", Node::Raw(fmt_num(threshold)))
                        .build(),
                )
                .build(),
        )
    }

    /// lookout's alerting settings from `lookout.dev/alerting`, and
    /// warnings for the SLO's other annotations.
    fn annotations(&mut self, metadata: &os::Metadata) -> Annotations {
        let mut out = Annotations::default();
        let Some(annotations) = &metadata.annotations else {
            return out;
        };
        for (key, value) in &annotations.value {
            match key.as_str() {
                ANNOTATION_ALERTING => match serde_json::from_str::<serde_json::Value>(value) {
                    Ok(json) => out.alerting = Some(json),
                    Err(err) => {
                        let at = self.base.span(annotations);
                        self.base.diags.push(
                            Diagnostic::error(
                                "import::annotation",
                                format!("annotation `{key}` is not JSON: {err}"),
                            )
                            .at_opt(at),
                        );
                    }
                },
                ANNOTATION_LATENCY => {}
                ANNOTATION_SLO => out.name = Some(value.clone()),
                _ => annotation_ignored(&mut self.base, annotations, key, &metadata.name.value),
            }
        }
        out
    }

    /// The severities this SLO's tiers name, for lookout.yaml.
    fn alerting_defaults(&mut self, annotations: &Annotations) {
        for tier in ["page", "ticket"] {
            let severity = annotations
                .alerting
                .as_ref()
                .and_then(|a| a.get(tier)?.get("severity")?.as_str().map(str::to_string));
            self.base
                .severities
                .insert(severity.unwrap_or_else(|| super::default_severity(tier).to_string()));
        }
    }

    /// Alert policies and their conditions are resolved, so a dangling
    /// reference is an error as in OpenSLO's own tools, and each is
    /// reported: lookout's tiers replace them.
    fn alert_policies(
        &mut self,
        policies: Option<&Spanned<Vec<Spanned<os::Embedded>>>>,
        slo: &str,
    ) {
        let Some(policies) = policies else { return };
        for policy in &policies.value {
            let spec_and_name = match &policy.value.alert_policy_ref {
                Some(reference) => match self.index.get(&("AlertPolicy", reference.value.as_str()))
                {
                    Some(found) => Some((found.object.spec.as_ref(), reference.value.clone())),
                    None => {
                        self.error(
                            reference,
                            "import::missing-ref",
                            format!("AlertPolicy `{}` referenced at `spec.alertPolicies[].alertPolicyRef` does not exist", reference.value),
                            "import the file that declares it too",
                        );
                        None
                    }
                },
                None => Some((
                    policy.value.spec.as_ref(),
                    policy
                        .value
                        .metadata
                        .as_ref()
                        .map_or_else(String::new, |m| m.name.value.clone()),
                )),
            };
            let Some((spec, name)) = spec_and_name else {
                continue;
            };
            let mut conditions = Vec::new();
            for condition in spec
                .and_then(|s| s.value.conditions.as_ref())
                .into_iter()
                .flatten()
            {
                if let Some(reference) = &condition.value.condition_ref {
                    if !self
                        .index
                        .contains_key(&("AlertCondition", reference.value.as_str()))
                    {
                        self.error(
                            reference,
                            "import::missing-ref",
                            format!("AlertCondition `{}` referenced at `spec.conditions[].conditionRef` does not exist", reference.value),
                            "import the file that declares it too",
                        );
                        continue;
                    }
                    conditions.push(reference.value.clone());
                } else if let Some(m) = &condition.value.metadata {
                    conditions.push(m.name.value.clone());
                }
            }
            for target in spec
                .and_then(|s| s.value.notification_targets.as_ref())
                .into_iter()
                .flatten()
            {
                if let Some(reference) = &target.value.target_ref {
                    if !self
                        .index
                        .contains_key(&("AlertNotificationTarget", reference.value.as_str()))
                    {
                        self.error(
                            reference,
                            "import::missing-ref",
                            format!("AlertNotificationTarget `{}` referenced at `notificationTargets[].targetRef` does not exist", reference.value),
                            "import the file that declares it too",
                        );
                    }
                }
            }
            let at = self.base.span(policy);
            self.base.notes.push(format!(
                "{slo}: the alert policy `{name}` is replaced by lookout's page and ticket tiers"
            ));
            self.base.diags.push(
                Diagnostic::warning(
                    "import::alert-policy",
                    format!(
                        "alert policy `{name}` of SLO `{slo}` is not imported{}",
                        if conditions.is_empty() {
                            String::new()
                        } else {
                            format!(" (conditions: {})", conditions.join(", "))
                        }
                    ),
                )
                .at_opt(at)
                .label("lookout alerts on multiwindow burn rates instead")
                .help("set each tier's severity, labels and `for` under the SLO's `alerting:`; route notifications in Alertmanager"),
            );
        }
    }
}

#[derive(Default)]
struct Annotations {
    alerting: Option<serde_json::Value>,
    /// The lookout SLO name, where the OpenSLO one is qualified.
    name: Option<String>,
}

fn latency_annotation(metadata: &os::Metadata) -> Option<String> {
    metadata
        .annotations
        .as_ref()
        .and_then(|a| a.value.get(ANNOTATION_LATENCY).cloned())
}

/// `duration: 28d` in days: OpenSLO's shorthand, days and weeks only.
fn shorthand_days(text: &str) -> Option<u64> {
    let (count, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let count: u64 = count.parse().ok()?;
    match unit {
        "d" => Some(count),
        "w" => Some(count * 7),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_days_or_weeks() {
        assert_eq!(shorthand_days("28d"), Some(28));
        assert_eq!(shorthand_days("2w"), Some(14));
        assert_eq!(shorthand_days("1M"), None);
        assert_eq!(shorthand_days("1m"), None);
        assert_eq!(shorthand_days("d"), None);
    }
}
