//! `lookout import sloth`: Sloth specs (read by `spec::sloth`) become
//! lookout specs, one file per service, each opening with comments that
//! name its sources and everything whose meaning changed. What lookout
//! cannot express is a diagnostic at the Sloth file's line, with what to
//! do instead; a key lookout has no use for is a warning and a comment,
//! never a silent drop. Pure: `ops::import` reads and writes.
//!
//! Mapping (`docs/src/guide/migrating.md`):
//! - `service`, `labels`, and per SLO `name`, `objective`, `description`
//!   and `labels` carry over as they are;
//! - `sli.events.error_query`/`total_query` become `sli.events.errors`/
//!   `total`, `sli.raw.error_ratio_query` becomes `sli.raw.error_ratio`,
//!   with Sloth's Go template `{{.window}}` written `{{window}}`;
//! - `alerting.name` and `labels` carry over; the `severity` label of
//!   `page_alert`/`ticket_alert` becomes the tier's `severity`, their other
//!   labels the tier's `labels`, `disable: true` becomes `enabled: false`;
//!   a `runbook`/`runbook_url` annotation becomes `alerting.runbook`;
//! - Sloth's SLO period, a command-line flag there, becomes `window:`.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::emit::yaml::{self, Node};
use crate::model::Duration;
use crate::spec::sloth;
use crate::spec::v1::{
    built, AlertingSpec, EventsSpec, RawSpec, ServiceSpec, SliSpec, SloSpec, TierSpec,
};

pub mod openslo;
pub use openslo::openslo;

/// What `import sloth` is asked to do beyond the files.
#[derive(Debug, Clone)]
pub struct SlothOptions {
    /// Sloth's `--default-slo-period`: 30d unless given.
    pub period: Duration,
}

impl Default for SlothOptions {
    fn default() -> Self {
        SlothOptions {
            period: crate::model::DEFAULT_WINDOW,
        }
    }
}

/// One lookout spec file made by an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    pub service: String,
    /// The spec's text, comments first.
    pub text: String,
    pub slos: usize,
    /// The alert severities its tiers name, which lookout.yaml must list.
    pub severities: std::collections::BTreeSet<String>,
}

impl ImportedFile {
    /// The spec, written under a header of what the import changed for
    /// every SLO (`preamble`) and for some (`notes`). It is a `spec::v1`
    /// value, so it can hold no key the spec schema lacks.
    fn new(
        spec: &ServiceSpec,
        mut preamble: Vec<String>,
        notes: &[String],
        severities: std::collections::BTreeSet<String>,
    ) -> Self {
        if !notes.is_empty() {
            preamble.push("For these SLOs:".to_string());
            preamble.extend(notes.iter().map(|n| format!("- {n}")));
        }
        let header: Vec<&str> = preamble.iter().map(String::as_str).collect();
        // The spec types serialise in their declared key order.
        let value = serde_json::to_value(spec).expect("a spec serialises");
        ImportedFile {
            text: yaml::document(&header, &Node::from_json(&value)),
            service: spec.service.value.clone(),
            slos: spec.slos.value.len(),
            severities,
        }
    }
}

/// A service with SLOs, as an importer builds it.
fn service_spec(
    name: String,
    team: Option<String>,
    labels: BTreeMap<String, String>,
    runbook: Option<String>,
    slos: Vec<SloSpec>,
) -> ServiceSpec {
    ServiceSpec {
        version: None,
        service: built(name),
        team: team.map(built),
        labels: non_empty(labels),
        runbook: runbook.map(built),
        slos: built(slos),
        signals: None,
        logs: None,
        depends_on: None,
        canary: None,
    }
}

/// Labels, or nothing when there are none.
fn non_empty(labels: BTreeMap<String, String>) -> Option<Spanned<BTreeMap<String, String>>> {
    (!labels.is_empty()).then(|| built(labels))
}

/// Annotations whose meaning lookout keeps: the runbook link.
const RUNBOOK_ANNOTATIONS: &[&str] = &["runbook", "runbook_url"];

/// SLO plugins that change no rule: the default chain, debugging and
/// validation. Anything else rewrites the rules and cannot be carried.
const HARMLESS_PLUGINS: &[(&str, &str)] = &[
    ("sloth.dev/core/sli_rules/v1", "Sloth's default SLI rules"),
    (
        "sloth.dev/core/metadata_rules/v1",
        "Sloth's default metadata rules",
    ),
    (
        "sloth.dev/core/alert_rules/v1",
        "Sloth's default alert rules",
    ),
    ("sloth.dev/core/debug/v1", "a debug logger"),
    (
        "sloth.dev/contrib/validate_victoria_metrics/v1",
        "a VictoriaMetrics query validator",
    ),
];

/// Converts Sloth services into lookout specs, one per service name, in
/// name order. A service split over several files becomes one spec.
pub fn sloth(
    files: &[sloth::SlothFile],
    options: &SlothOptions,
    diags: &mut Diagnostics,
) -> Vec<ImportedFile> {
    struct Accumulated {
        sources: Vec<String>,
        labels: BTreeMap<String, String>,
        slos: Vec<SloSpec>,
        notes: Vec<String>,
        severities: std::collections::BTreeSet<String>,
    }
    let mut services: BTreeMap<String, Accumulated> = BTreeMap::new();
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for file in files {
        // As given on the command line: stable, and what the user typed.
        let shown = diags.sources.path(file.file).display().to_string();
        for service in &file.services {
            let mut cx = Converter {
                diags: &mut *diags,
                file: file.file,
                notes: Vec::new(),
                severities: Default::default(),
            };
            let name = service.service.value.clone();
            cx.check_name(&service.service, "service", MAX_SERVICE_NAME);
            cx.plugins(service.slo_plugins.as_ref(), &format!("service `{name}`"));
            let labels = service
                .labels
                .as_ref()
                .map(|l| l.value.clone())
                .unwrap_or_default();
            let mut slos = Vec::new();
            for slo in &service.slos {
                // Sloth refuses the same service and SLO twice too.
                let key = (name.clone(), slo.name.value.clone());
                if let Some(first) = seen.get(&key) {
                    let span = span(cx.diags, file.file, &slo.name);
                    cx.diags.push(
                        Diagnostic::error(
                            "import::duplicate-slo",
                            format!("SLO `{}` of service `{name}` is declared twice", key.1),
                        )
                        .at_opt(span)
                        .help(format!("first declared in {first}; import one of them")),
                    );
                    continue;
                }
                seen.insert(key, shown.clone());
                slos.extend(cx.slo(slo, options));
            }
            let (notes, severities) = (cx.notes, cx.severities);
            let entry = services.entry(name.clone()).or_insert_with(|| Accumulated {
                sources: Vec::new(),
                labels: labels.clone(),
                slos: Vec::new(),
                notes: Vec::new(),
                severities: Default::default(),
            });
            if entry.labels != labels {
                let span = service
                    .labels
                    .as_ref()
                    .and_then(|l| span(diags, file.file, l));
                diags.push(
                    Diagnostic::warning(
                        "import::labels-differ",
                        format!("service `{name}` is declared again with other labels; the first declaration's labels are kept"),
                    )
                    .at_opt(span)
                    .help("lookout has one set of labels per service: move the difference into each SLO's `labels:`"),
                );
            }
            if !entry.sources.contains(&shown) {
                entry.sources.push(shown.clone());
            }
            entry.slos.extend(slos);
            entry.notes.extend(notes);
            entry.severities.extend(severities);
        }
    }
    services
        .into_iter()
        .map(|(service, acc)| {
            let header = vec![
                format!(
                    "Imported by `lookout import sloth` from {}.",
                    acc.sources.join(", ")
                ),
                "What changed meaning for every SLO:".to_string(),
                "- every window is a ratio of sums, the period too (Sloth averages the".to_string(),
                "  period's 5m ratios, which weighs a quiet hour like a busy one);".to_string(),
                "- series and alerts carry `service` and `slo` labels (Sloth: `sloth_service`,"
                    .to_string(),
                "  `sloth_slo`, `sloth_id`), and alerts `slo_severity: page|ticket` (Sloth:"
                    .to_string(),
                "  `sloth_severity`): update Alertmanager routes and dashboards that match them;"
                    .to_string(),
                "- alerts carry lookout's summary, description and runbook link.".to_string(),
            ];
            let spec = service_spec(service, None, acc.labels, None, acc.slos);
            ImportedFile::new(&spec, header, &acc.notes, acc.severities)
        })
        .collect()
}

/// Service names become Grafana uids (`lookout-<service>`, at most 40).
const MAX_SERVICE_NAME: usize = 32;

struct Converter<'a> {
    diags: &'a mut Diagnostics,
    file: FileId,
    /// Per-SLO changes of meaning, for the file's header.
    notes: Vec<String>,
    severities: std::collections::BTreeSet<String>,
}

impl Converter<'_> {
    fn span<T>(&self, spanned: &Spanned<T>) -> Option<Span> {
        span(self.diags, self.file, spanned)
    }

    fn slo(&mut self, slo: &sloth::Slo, options: &SlothOptions) -> Option<SloSpec> {
        let name = slo.name.value.as_str();
        let errors = self.diags.error_count();
        self.check_name(&slo.name, "SLO", usize::MAX);
        self.plugins(slo.plugins.as_ref(), &format!("SLO `{name}`"));
        let sli = self.sli(&slo.sli, name);
        let alerting = self.alerting(slo.alerting.as_ref(), name);
        if self.diags.error_count() > errors {
            return None;
        }
        let window =
            (options.period != crate::model::DEFAULT_WINDOW).then(|| options.period.to_string());
        let group_by = sli.as_ref().and_then(grouped_by);
        if let Some(labels) = &group_by {
            self.notes.push(format!(
                "{name}: its queries keep `by ({})`, so it is one SLO per value (`group_by`), each with its own alerts and budget, as Sloth's alerts fire per series",
                labels.join(", ")
            ));
        }
        Some(SloSpec {
            name: built(name.to_string()),
            description: slo
                .description
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            objective: built(slo.objective.value),
            window: window.map(built),
            calendar: None,
            group_by: group_by.map(|labels| built(labels.into_iter().map(built).collect())),
            labels: non_empty(
                slo.labels
                    .as_ref()
                    .map(|l| l.value.clone())
                    .unwrap_or_default(),
            ),
            sli: built(sli?),
            alerting,
        })
    }

    /// Names follow lookout's rules (`check::lower`), which Sloth's do not.
    fn check_name(&mut self, name: &Spanned<String>, what: &str, max: usize) {
        let value = &name.value;
        let valid = value.len() <= max
            && if what == "service" {
                crate::check::is_service_name(value)
            } else {
                crate::check::is_slo_name(value)
            };
        if !valid {
            let suggestion: String = value
                .to_ascii_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || (c == '_' && what != "service") {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let span = self.span(name);
            self.diags.push(
                Diagnostic::error(
                    "import::invalid-name",
                    format!("the {what} name `{value}` is not a lookout name"),
                )
                .at_opt(span)
                .label(if what == "service" {
                    "lowercase letters, digits and inner `-` only, at most 32"
                } else {
                    "lowercase letters, digits, `-` and `_` only"
                })
                .help(format!(
                    "rename it in the Sloth spec first, e.g. `{}`; it becomes a label on every series and alert, so dashboards and routes that match it change too",
                    suggestion.trim_matches('-')
                )),
            );
        }
    }

    fn plugins(&mut self, chain: Option<&Spanned<sloth::PluginChain>>, owner: &str) {
        let Some(chain) = chain else { return };
        for plugin in &chain.value.chain {
            let id = plugin.value.id.as_str();
            let span = self.span(plugin);
            if let Some((_, what)) = HARMLESS_PLUGINS.iter().find(|(known, _)| *known == id) {
                self.diags.push(
                    Diagnostic::warning(
                        "import::plugin-ignored",
                        format!("SLO plugin `{id}` of {owner} is not imported: it is {what} and changes no rule lookout writes"),
                    )
                    .at_opt(span),
                );
                continue;
            }
            // Plugins whose effect lookout has its own setting for are
            // warned about; the rest change what the rules compute.
            let (error, help) = match id {
                "sloth.dev/contrib/rule_intervals/v1" => (false, "lookout evaluates the long windows every `prometheus.long_interval` of lookout.yaml (default 5m); set that instead"),
                "sloth.dev/contrib/info_labels/v1" => (false, "put the labels under the SLO's `labels:` (lookout puts them on every series of the SLO)"),
                "sloth.dev/contrib/denominator_corrected_rules/v1" => (true, "lookout has no corrected denominator; remove the plugin, and if low traffic makes the SLI noisy, add `for:` to the tiers after import"),
                _ => (true, "lookout cannot run Sloth's Go plugins; remove it from the chain, and express what it does in the spec"),
            };
            let diagnostic = if error {
                Diagnostic::error(
                    "import::plugin",
                    format!("SLO plugin `{id}` of {owner} rewrites Sloth's rules; lookout cannot carry it"),
                )
            } else {
                Diagnostic::warning(
                    "import::plugin-ignored",
                    format!("SLO plugin `{id}` of {owner} is not imported"),
                )
            };
            self.diags.push(diagnostic.at_opt(span).help(help));
        }
    }

    fn sli(&mut self, sli: &Spanned<sloth::Sli>, slo: &str) -> Option<SliSpec> {
        let span = self.span(sli);
        let value = &sli.value;
        match (&value.events, &value.raw, &value.plugin) {
            (Some(events), None, None) => {
                let errors = self.query(&events.error_query)?;
                let total = self.query(&events.total_query)?;
                Some(events_sli(errors, total))
            }
            (None, Some(raw), None) => {
                let ratio = self.query(&raw.error_ratio_query)?;
                Some(raw_sli(ratio))
            }
            (None, None, Some(plugin)) => {
                let span = self.span(plugin);
                self.diags.push(
                    Diagnostic::error(
                        "import::sli-plugin",
                        format!(
                            "SLO `{slo}` takes its SLI from Sloth's Go plugin `{}`, which lookout cannot run",
                            plugin.value.id
                        ),
                    )
                    .at_opt(span)
                    .help("write the queries the plugin builds as `sli.events` (`error_query` and `total_query` over `[{{.window}}]`) or `sli.raw`, then import again"),
                );
                None
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "import::sli",
                        format!("SLO `{slo}` needs exactly one of `events`, `raw` or `plugin` under `sli`"),
                    )
                    .at_opt(span),
                );
                None
            }
        }
    }

    /// Sloth's queries are Go templates with `{{.window}}` only.
    fn query(&mut self, query: &Spanned<String>) -> Option<String> {
        let mut out = String::with_capacity(query.value.len());
        let mut rest = query.value.trim_end();
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let inner = after.find("}}").map(|close| &after[..close]);
            match inner.map(|i| {
                i.trim()
                    .trim_start_matches('-')
                    .trim_end_matches('-')
                    .trim()
            }) {
                Some(".window") => {
                    out.push_str("{{window}}");
                    rest = &after[inner.unwrap_or_default().len() + 2..];
                }
                _ => {
                    let span = self.span(query);
                    self.diags.push(
                        Diagnostic::error(
                            "import::template",
                            format!(
                                "this query uses Go template syntax lookout does not read: `{{{{{}}}}}`",
                                inner.unwrap_or(after).trim()
                            ),
                        )
                        .at_opt(span)
                        .help("queries may use `{{.window}}` only; write the rest out"),
                    );
                    return None;
                }
            }
        }
        out.push_str(rest);
        // lookout's rules run on Prometheus: a query it would reject at
        // build time is reported here, at the Sloth file's line.
        let probe = out.replace("{{window}}", "5m");
        if let Err(rejection) = crate::check::promql::validate(&probe) {
            let span = self.span(query);
            self.diags.push(
                Diagnostic::error(
                    "import::invalid-promql",
                    format!("this query is not valid PromQL: {}", rejection.message),
                )
                .at_opt(span)
                .help("lookout writes Prometheus rules; write the query in PromQL (VictoriaMetrics's MetricsQL functions such as `histogram_share` have no PromQL spelling)"),
            );
            return None;
        }
        Some(out)
    }

    /// Without an `alerting:` block both tiers are on, as in Sloth, and
    /// get lookout's default severities, which are noted like any other.
    fn alerting(&mut self, alerting: Option<&sloth::Alerting>, slo: &str) -> Option<AlertingSpec> {
        let none = sloth::Alerting::default();
        let alerting = alerting.unwrap_or(&none);
        let mut runbook = None;
        self.annotations(alerting.annotations.as_ref(), slo, "alerting", &mut runbook);
        let page = self.tier(alerting.page_alert.as_ref(), slo, "page", &mut runbook);
        let ticket = self.tier(alerting.ticket_alert.as_ref(), slo, "ticket", &mut runbook);
        let spec = AlertingSpec {
            name: alerting.name.as_ref().map(|n| built(n.value.clone())),
            labels: non_empty(
                alerting
                    .labels
                    .as_ref()
                    .map(|l| l.value.clone())
                    .unwrap_or_default(),
            ),
            runbook: runbook.map(built),
            page,
            ticket,
            no_data: None,
            min_errors: None,
            thin_data: None,
        };
        let empty = spec.name.is_none()
            && spec.labels.is_none()
            && spec.runbook.is_none()
            && spec.page.is_none()
            && spec.ticket.is_none();
        (!empty).then_some(spec)
    }

    fn tier(
        &mut self,
        alert: Option<&sloth::Alert>,
        slo: &str,
        tier: &str,
        runbook: &mut Option<String>,
    ) -> Option<TierSpec> {
        if alert.is_some_and(|alert| alert.disable == Some(true)) {
            return Some(TierSpec {
                enabled: Some(false),
                ..TierSpec::default()
            });
        }
        let mut labels = BTreeMap::new();
        if let Some(alert) = alert {
            self.annotations(
                alert.annotations.as_ref(),
                slo,
                &format!("{tier}_alert"),
                runbook,
            );
            labels = alert
                .labels
                .as_ref()
                .map(|l| l.value.clone())
                .unwrap_or_default();
        }
        let severity = labels.remove("severity");
        if severity.is_none() {
            self.notes.push(format!(
                "{slo}: the {tier} alert carries `severity: {}`, lookout's default (Sloth set no severity)",
                default_severity(tier)
            ));
        }
        self.severities.insert(
            severity
                .clone()
                .unwrap_or_else(|| default_severity(tier).to_string()),
        );
        let labels = non_empty(labels);
        (severity.is_some() || labels.is_some()).then(|| TierSpec {
            severity: severity.map(built),
            labels,
            ..TierSpec::default()
        })
    }

    fn annotations(
        &mut self,
        annotations: Option<&Spanned<BTreeMap<String, String>>>,
        slo: &str,
        owner: &str,
        runbook: &mut Option<String>,
    ) {
        let Some(annotations) = annotations else {
            return;
        };
        let span = self.span(annotations);
        for (key, value) in &annotations.value {
            if RUNBOOK_ANNOTATIONS.contains(&key.as_str()) && runbook.is_none() {
                *runbook = Some(value.clone());
                continue;
            }
            self.notes.push(format!(
                "{slo}: the `{key}` annotation of `{owner}` is not carried (lookout writes its own summary and description)"
            ));
            self.diags.push(
                Diagnostic::warning(
                    "import::annotation",
                    format!("annotation `{key}` of SLO `{slo}` is not imported"),
                )
                .at_opt(span)
                .label("lookout writes its own annotations")
                .help("lookout's alerts carry a summary, a description with the burn rates, the runbook link and the dashboard link; put what this one says in the runbook (`runbooks.template` in lookout.yaml)"),
            );
        }
    }
}

fn default_severity(tier: &str) -> &'static str {
    match tier {
        "page" => crate::model::Severity::Page.default_label(),
        _ => crate::model::Severity::Ticket.default_label(),
    }
}

fn span<T>(diags: &Diagnostics, file: FileId, spanned: &Spanned<T>) -> Option<Span> {
    crate::spec::span_of(diags, file, &spanned.referenced)
}

/// A lookout `sli:` of error and total event queries.
fn events_sli(errors: String, total: String) -> SliSpec {
    SliSpec {
        events: Some(EventsSpec {
            errors: built(errors),
            total: built(total),
        }),
        latency: None,
        raw: None,
        logs: None,
    }
}

/// A lookout `sli:` of one error-ratio query.
fn raw_sli(error_ratio: String) -> SliSpec {
    SliSpec {
        events: None,
        latency: None,
        raw: Some(RawSpec {
            error_ratio: built(error_ratio),
        }),
        logs: None,
    }
}

/// The labels every query of an imported SLI keeps at its outermost
/// aggregation, when they agree and are not none: Sloth evaluates such a
/// query as written, so its series, and its alerts, are per value.
pub(crate) fn grouped_by(sli: &SliSpec) -> Option<Vec<String>> {
    let queries: Vec<&str> = match (&sli.events, &sli.raw) {
        (Some(events), _) => vec![&events.errors.value, &events.total.value],
        (None, Some(raw)) => vec![&raw.error_ratio.value],
        _ => return None,
    };
    let mut found = None;
    for query in queries {
        let expr = crate::check::promql::parse(&query.replace("{{window}}", "5m")).ok()?;
        let groupings = crate::check::promql::outer_groupings(&expr);
        let [crate::check::promql::Grouping::By(labels)] = groupings.as_slice() else {
            return None;
        };
        if labels.is_empty() || found.as_ref().is_some_and(|f| f != labels) {
            return None;
        }
        found = Some(labels.clone());
    }
    found
}
