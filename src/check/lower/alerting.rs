//! Lowering of an SLO's `alerting:`: alert name, tiers with their windows
//! resolved for the SLO, labels and runbook URL; and the warning for a
//! tier that can never fire.

use std::collections::BTreeMap;

use super::{is_metric_name, Lowering};
use crate::diag::{Diagnostic, Span};
use crate::model::settings::is_http_url;
use crate::model::{
    names, AlertTier, AlertWindow, Alerting, Duration, NoData, Severity, Slo, DEFAULT_NO_DATA_FOR,
};
use crate::spec::v1::{AlertingSpec, NoDataSpec, ServiceSpec, SloSpec, TierSpec};
use serde_saphyr::Spanned;

impl Lowering<'_> {
    pub(super) fn alerting(
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
            no_data: None,
            runbook: None,
            labels: None,
            min_errors: None,
            thin_data: None,
        };
        let spec = slo.alerting.as_ref().unwrap_or(&default);
        // Every part is checked before giving up, so that all of its
        // mistakes show in one run.
        let name = match &spec.name {
            Some(name) if !is_metric_name(&name.value) || name.value.contains(':') => {
                let span = self.span(name);
                self.error(
                    "spec::invalid-name",
                    format!("invalid alert name `{}`", name.value),
                    span,
                )
                .help = Some("alert names match [a-zA-Z_][a-zA-Z0-9_]*".into());
                None
            }
            Some(name) => Some(name.value.clone()),
            None => Some(names::default_alert_name(
                &service.service.value,
                &slo.name.value,
            )),
        };
        let mut labels = match &spec.labels {
            Some(labels) => self.labels(labels, team_set),
            None => BTreeMap::new(),
        };
        // An AlertmanagerConfig's inhibit rules match only alerts of its
        // namespace (the Prometheus Operator adds that matcher).
        if let Some(namespace) = &self.settings.alert_namespace {
            labels.insert("namespace".into(), namespace.clone());
        }
        let mut tiers = Vec::new();
        let mut tiers_ok = true;
        for (severity, tier) in [
            (Severity::Page, &spec.page),
            (Severity::Ticket, &spec.ticket),
        ] {
            let default_tier = TierSpec::default();
            let tier = tier.as_ref().unwrap_or(&default_tier);
            if tier.enabled == Some(false) {
                continue;
            }
            match self.tier(severity, tier, team_set, budget) {
                Some(tier) => tiers.push(tier),
                None => tiers_ok = false,
            }
        }
        let runbook_url = if tiers.is_empty() && tiers_ok {
            None
        } else {
            Some(self.runbook_url(service, slo, spec, base_url, name_span)?)
        };
        let no_data = self.no_data(spec.no_data.as_ref(), &tiers);
        let min_errors = match &spec.min_errors {
            Some(min) if min.value > 0 && slo.sli.value.raw.is_some() => {
                let span = self.span(min);
                self.error(
                    "spec::min-errors-raw",
                    "`min_errors` needs event counts, and a `raw` SLI has none",
                    span,
                )
                .help = Some(
                    "write the SLI as `events` (errors and total), or drop `min_errors`".into(),
                );
                None
            }
            Some(min) => Some(min.value),
            None => Some(0),
        };
        Some(Alerting {
            name: name?,
            no_data: no_data?,
            tiers: tiers_ok.then_some(tiers)?,
            runbook_url,
            labels,
            min_errors: min_errors?,
            thin_data: spec.thin_data.as_ref().map(|t| t.value).unwrap_or_default(),
        })
    }

    /// A `severity:` as written, checked against lookout.yaml's list, or
    /// `default`.
    fn severity_label(&mut self, label: Option<&Spanned<String>>, default: &str) -> Option<String> {
        match label {
            Some(label) if label.value.trim().is_empty() => {
                let span = self.span(label);
                self.error("spec::empty-value", "`severity` is empty", span);
                None
            }
            Some(label) => {
                let known = self.settings.severities.clone();
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
                Some(label.value.clone())
            }
            None => Some(default.to_string()),
        }
    }

    /// A `for:` as written: a Prometheus duration.
    fn duration(&mut self, text: &Spanned<String>) -> Option<Duration> {
        let parsed = Duration::parse_prometheus(text.value.trim());
        if parsed.is_none() {
            let span = self.span(text);
            let d = self.error(
                "spec::invalid-duration",
                format!("invalid duration `{}`", text.value),
                span,
            );
            d.help = Some("use a Prometheus duration such as `2m` or `1h30m`".into());
        }
        parsed
    }

    /// The no-data alert: on wherever a tier is, unless turned off; its
    /// severity defaults to the ticket's.
    fn no_data(
        &mut self,
        spec: Option<&NoDataSpec>,
        tiers: &[AlertTier],
    ) -> Option<Option<NoData>> {
        let default = NoDataSpec::default();
        let spec = spec.unwrap_or(&default);
        let for_ = match &spec.for_ {
            Some(text) => self.duration(text),
            None => Some(DEFAULT_NO_DATA_FOR),
        };
        let ticket = tiers
            .iter()
            .find(|t| t.severity == Severity::Ticket)
            .map_or(Severity::Ticket.default_label().to_string(), |t| {
                t.severity_label.clone()
            });
        let severity_label = self.severity_label(spec.severity.as_ref(), &ticket);
        let (for_, severity_label) = (for_?, severity_label?);
        let on = spec.enabled != Some(false) && !tiers.is_empty();
        Some(on.then_some(NoData {
            for_,
            severity_label,
        }))
    }

    /// One alert tier; `budget` is the SLO's period and error budget, which
    /// fix each window's factor and threshold.
    pub(super) fn tier(
        &mut self,
        severity: Severity,
        spec: &TierSpec,
        team_set: bool,
        (period, error_budget): (Duration, f64),
    ) -> Option<AlertTier> {
        let severity_label =
            self.severity_label(spec.severity.as_ref(), severity.default_label())?;
        let for_ = match &spec.for_ {
            None => None,
            Some(text) => Some(self.duration(text)?),
        };
        let labels = match &spec.labels {
            Some(labels) => self.labels(labels, team_set),
            None => BTreeMap::new(),
        };
        let pairs = match &spec.windows {
            Some(windows) => self.custom_pairs(severity, windows, (period, error_budget))?,
            None => crate::model::resolve_pairs(severity, period, error_budget),
        };
        Some(AlertTier {
            severity,
            severity_label,
            for_,
            labels,
            pairs,
        })
    }

    /// A tier's own window pairs (`windows:`), each checked: windows that
    /// parse, at least the 5m the rates are recorded over, short below
    /// long, long within the SLO's window, and a threshold below 100%
    /// errors. Every mistake is reported, at its line.
    fn custom_pairs(
        &mut self,
        severity: Severity,
        windows: &Spanned<Vec<crate::spec::v1::WindowSpec>>,
        (period, error_budget): (Duration, f64),
    ) -> Option<Vec<AlertWindow>> {
        if windows.value.is_empty() {
            let span = self.span(windows);
            self.error(
                "spec::no-windows",
                format!("the {} tier's `windows` is empty", severity.as_str()),
                span,
            )
            .help = Some("list at least one pair, or remove `windows` for the defaults".into());
            return None;
        }
        let mut pairs = Vec::new();
        let mut ok = true;
        for window in &windows.value {
            let long = self.duration(&window.long);
            let short = self.duration(&window.short);
            let factor = window.factor.value;
            let mut pair_ok = long.is_some() && short.is_some();
            if let Some(short) = short.filter(|s| *s < names::BASE_WINDOW) {
                let span = self.span(&window.short);
                self.error(
                    "spec::window-too-short",
                    format!(
                        "short window {short} is shorter than the {} rates every window is summed from",
                        names::BASE_WINDOW
                    ),
                    span,
                );
                pair_ok = false;
            }
            if let (Some(long), Some(short)) = (long, short) {
                if short >= long {
                    let span = self.span(&window.short);
                    self.error(
                        "spec::window-order",
                        format!("short window {short} is not shorter than long window {long}"),
                        span,
                    )
                    .help = Some("the short window confirms the long one is still burning: e.g. long 1h, short 5m".into());
                    pair_ok = false;
                }
            }
            if let Some(long) = long.filter(|l| *l > period) {
                let span = self.span(&window.long);
                self.error(
                    "spec::window-beyond-slo",
                    format!("long window {long} is longer than the SLO's {period} window"),
                    span,
                );
                pair_ok = false;
            }
            let threshold = factor * error_budget;
            if !(factor.is_finite() && factor > 0.0) || threshold >= 1.0 {
                let span = self.span(&window.factor);
                let d = self.error(
                    "spec::factor-range",
                    if factor > 0.0 {
                        format!(
                            "factor {} times the error budget {} is {}: above 100% errors, so the pair could never fire",
                            crate::model::fmt_num(factor),
                            crate::model::fmt_num(error_budget),
                            crate::model::fmt_num(threshold),
                        )
                    } else {
                        format!("factor must be a positive burn rate, got {factor}")
                    },
                    span,
                );
                d.help = Some(format!(
                    "with this objective a factor must be below {}",
                    crate::model::fmt_short(1.0 / error_budget)
                ));
                pair_ok = false;
            }
            match (long, short) {
                (Some(long), Some(short)) if pair_ok => pairs.push(AlertWindow::custom(
                    severity,
                    (long, short),
                    factor,
                    period,
                    error_budget,
                )),
                _ => ok = false,
            }
        }
        ok.then_some(pairs)
    }

    /// The SLO's runbook URL: the SLO's own, else the service template, else
    /// `<runbooks.base_url>/<service>/<slo>.md`.
    pub(super) fn runbook_url(
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
    pub(super) fn warn_unreachable_tiers(&mut self, slo: &Slo, span: Option<Span>) {
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
