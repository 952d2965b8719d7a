//! `lookout import openslo`: OpenSLO objects (read by `spec::openslo`)
//! become lookout specs, one file per service.
//!
//! Mapping (`docs/src/guide/migrating.md`):
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

use super::{non_empty, raw_sli, service_spec, span, Converter, ImportedFile};
use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::model::calendar::fmt_utc_offset;
use crate::model::{fmt_num, shift_decimal, CalendarUnit, Duration};
use crate::spec::config::CalendarConfig;
use crate::spec::openslo::{self as os, Object};
use crate::spec::v1::{built, AlertingSpec, LatencySpec, SliSpec, SloSpec};

mod alerting;
mod indicators;
mod references;

use indicators::latency_annotation;
use references::{annotation_ignored, known, labels, service_object, unused};

/// Annotations `lookout export openslo` writes; the import reads them back.
pub const ANNOTATION_ALERTING: &str = "lookout.dev/alerting";
pub const ANNOTATION_LATENCY: &str = "lookout.dev/latency";
pub const ANNOTATION_TEAM: &str = "lookout.dev/team";
pub const ANNOTATION_RUNBOOK: &str = "lookout.dev/runbook";
pub const ANNOTATION_SLO: &str = "lookout.dev/slo";
/// A calendar SLO's exact `calendar:` (offset and start), which a time
/// zone cannot always carry (+01:30 has none, and UTC would read as the
/// project's offset).
pub const ANNOTATION_CALENDAR: &str = "lookout.dev/calendar";

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
    slos: Vec<SloSpec>,
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
            let spec = service_spec(service, acc.team, acc.labels, acc.runbook, acc.slos);
            ImportedFile::new(&spec, header, &acc.notes, acc.severities)
        })
        .collect()
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

    fn warn<T>(&mut self, spanned: &Spanned<T>, code: &'static str, message: String) {
        let at = self.base.span(spanned);
        self.base
            .diags
            .push(Diagnostic::warning(code, message).at_opt(at));
    }

    /// One SLO object: its service, and one lookout SLO per objective.
    fn slo(&mut self, slo: Located<'a>) -> Option<(String, Vec<(String, SloSpec)>)> {
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
        let (window, calendar) = match self.calendar_window(&spec.value, &name) {
            // lookout's own calendar, exactly, when `export` wrote it.
            Some((window, zone_calendar)) => (
                window,
                annotations
                    .calendar
                    .clone()
                    .map(|mut exact| {
                        exact.start = exact.start.filter(|s| s.value != "00:00");
                        exact
                    })
                    .or(zone_calendar),
            ),
            None => (self.window(&spec.value, &name), None),
        };
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
            let alerting = match &annotations.alerting {
                Some(Ok(alerting)) => Some(alerting.clone()),
                _ => None,
            };
            let spec = SloSpec {
                name: built(slo_name.clone()),
                description: description.clone(),
                objective: built(percent),
                window: window.clone().map(built),
                calendar: calendar.clone(),
                group_by: crate::import::grouped_by(&sli)
                    .map(|labels| built(labels.into_iter().map(built).collect())),
                labels: non_empty(labels.clone()),
                sli: built(sli),
                alerting,
            };
            out.push((slo_name, spec));
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
                if days.is_some_and(|d| d > 0 && Duration::days(d) != crate::model::DEFAULT_WINDOW)
                {
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
        (duration != crate::model::DEFAULT_WINDOW).then(|| duration.to_string())
    }

    /// A calendar-aligned window (`isRolling: false` with a `calendar`) as
    /// lookout's `window: week|month|quarter` and the SLO's `calendar`;
    /// `None` when the window is not one. A time zone becomes its standard
    /// offset (lookout follows no daylight saving, and says so), and a
    /// start time other than midnight the SLO's `calendar.start`.
    #[allow(clippy::type_complexity)]
    fn calendar_window(
        &mut self,
        spec: &os::Spec,
        slo: &str,
    ) -> Option<(Option<String>, Option<CalendarConfig>)> {
        let windows = spec.time_window.as_ref().or(spec.time_windows.as_ref())?;
        let [window] = windows.value.as_slice() else {
            return None;
        };
        let calendar = window.value.calendar.as_ref()?;
        // Refused with an error: no window, and no fallback to a rolling one.
        let refuse = |_: &mut Self| Some((None, None));
        let unit = match (
            &window.value.duration,
            window.value.count,
            window.value.unit.as_deref(),
        ) {
            (Some(duration), _, _) => match duration.value.as_str() {
                "1w" | "7d" => Some(CalendarUnit::Week),
                "1M" => Some(CalendarUnit::Month),
                "1Q" | "3M" => Some(CalendarUnit::Quarter),
                other => {
                    let minute = other == "1m";
                    self.error(
                        duration,
                        "import::calendar-window",
                        format!("SLO `{slo}`'s calendar window `{other}` is not a week, a month or a quarter"),
                        if minute {
                            "`1m` is one minute in OpenSLO; a month is `1M`"
                        } else {
                            "lookout's calendar periods are `1w` (from Monday), `1M` and `1Q`; for another length use a rolling window, `isRolling: true`"
                        },
                    );
                    None
                }
            },
            (None, Some(1), Some("Week")) => Some(CalendarUnit::Week),
            (None, Some(1), Some("Month")) => Some(CalendarUnit::Month),
            (None, Some(1), Some("Quarter")) | (None, Some(3), Some("Month")) => {
                Some(CalendarUnit::Quarter)
            }
            _ => {
                self.error(
                    window,
                    "import::calendar-window",
                    format!("SLO `{slo}`'s calendar window is not one week, month or quarter"),
                    "lookout's calendar periods are a week (from Monday), a month and a quarter",
                );
                None
            }
        };
        let Some(unit) = unit else {
            return refuse(self);
        };
        let mut config = CalendarConfig::default();
        if let Some(zone) = &calendar.value.time_zone {
            match crate::model::calendar::zone_standard_offset(&zone.value) {
                Some((minutes, dst)) => {
                    // Even UTC: the SLO's zone, not the project's offset.
                    config.utc_offset = Some(built(fmt_utc_offset(minutes)));
                    if dst {
                        self.base.notes.push(format!(
                            "{slo}: periods start at {}'s standard offset, UTC{}, all year: lookout follows no daylight saving time",
                            zone.value,
                            fmt_utc_offset(minutes)
                        ));
                        self.warn(
                            zone,
                            "import::daylight-saving",
                            format!("{slo}: `{}` has daylight saving time, which lookout does not follow: its periods start at its standard offset, UTC{}, all year", zone.value, fmt_utc_offset(minutes)),
                        );
                    }
                }
                None => {
                    self.error(
                        zone,
                        "import::time-zone",
                        format!("unknown time zone `{}`", zone.value),
                        "write an IANA time zone such as `Europe/Berlin` or `UTC`",
                    );
                    return refuse(self);
                }
            }
        }
        if let Some(start) = &calendar.value.start_time {
            // `2022-01-01 12:00:00`: the date says which day periods
            // start on, the time when in that day.
            let text = start.value.trim();
            let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00:00"));
            let parts: Vec<i64> = date.split('-').filter_map(|p| p.parse().ok()).collect();
            let clock: Vec<i32> = time
                .trim_end_matches('Z')
                .split(':')
                .filter_map(|p| p.parse().ok())
                .collect();
            let (&[y, m, d], &[h, min, ..]) = (parts.as_slice(), clock.as_slice()) else {
                self.error(
                    start,
                    "import::calendar-window",
                    format!("`startTime: {text}` is not a date and time"),
                    "OpenSLO writes it `2022-01-01 00:00:00`",
                );
                return refuse(self);
            };
            if (h, min) != (0, 0) {
                config.start = Some(built(format!("{h:02}:{min:02}")));
            }
            let day = crate::model::calendar::days_from_civil(y, m, d);
            let anchored = match unit {
                // 1970-01-01, day 0, was a Thursday.
                CalendarUnit::Week => (day + 3).rem_euclid(7) == 0,
                CalendarUnit::Month => d == 1,
                CalendarUnit::Quarter => d == 1 && (m - 1) % 3 == 0,
            };
            if !anchored {
                let starts = match unit {
                    CalendarUnit::Week => "on Monday",
                    CalendarUnit::Month => "on the 1st",
                    CalendarUnit::Quarter => "on the 1st of January, April, July and October",
                };
                self.base.notes.push(format!(
                    "{slo}: its {}s start {starts}, as lookout's do, not on {date}",
                    unit.as_str()
                ));
                self.warn(
                    start,
                    "import::calendar-start",
                    format!("{slo}: lookout's {}s start {starts}, not on the day `startTime: {text}` gives", unit.as_str()),
                );
            }
        }
        let calendar = (config.utc_offset.is_some() || config.start.is_some()).then_some(config);
        Some((Some(unit.as_str().to_string()), calendar))
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
