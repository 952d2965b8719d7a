//! `gate`: a deploy gate for any CI. Every selected SLO must have budget
//! left above a floor and no page firing or pending, read from the live
//! Prometheus as `status` reads it.

use super::{prometheus_endpoint, Generated, Request};
use crate::model::fmt_percent;
use crate::push::status::SloStatus;

/// What the gate decided for one SLO (one group of a grouped SLO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Blocked,
    /// No data, or the rules not loaded or not yet evaluated.
    Inconclusive,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Judged {
    pub service: String,
    pub slo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// 1 = untouched, below 0 = overspent.
    pub budget_remaining: Option<f64>,
    /// `firing` or `pending`, when the page alert is.
    pub page: Option<String>,
    pub verdict: Verdict,
    pub why: String,
}

pub struct GateReport {
    pub generated: Generated,
    pub error: Option<String>,
    pub judged: Vec<Judged>,
}

impl GateReport {
    /// Blocked over inconclusive over pass.
    pub fn verdict(&self) -> Verdict {
        let any = |v: Verdict| self.judged.iter().any(|j| j.verdict == v);
        if any(Verdict::Blocked) {
            Verdict::Blocked
        } else if any(Verdict::Inconclusive) {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        }
    }
}

/// Judges the SLOs `selection` names (`SERVICE` or `SERVICE/SLO`; none:
/// every SLO) against a budget floor, `min_budget` as a ratio.
pub fn gate(
    request: &Request,
    http: &crate::push::http::HttpOptions,
    selection: &[String],
    min_budget: f64,
) -> GateReport {
    let generated = Generated::model_only(request);
    let mut report = GateReport {
        generated,
        error: None,
        judged: Vec::new(),
    };
    let Some(model) = &report.generated.model else {
        return report;
    };
    if let Err(error) = check_selection(model, selection) {
        report.error = Some(error);
        return report;
    }
    let result =
        prometheus_endpoint(&report.generated.settings, http, "gate").and_then(|endpoint| {
            let slos = crate::push::status::status(
                model,
                &endpoint,
                super::check::log_rules(&report.generated.settings),
            )?;
            let pages = crate::push::status::page_alerts(model, &endpoint)?;
            Ok((slos, pages))
        });
    let (slos, pages) = match result {
        Ok(found) => found,
        Err(error) => {
            report.error = Some(error);
            return report;
        }
    };
    for status in slos
        .into_iter()
        .filter(|s| selects(selection, &s.service, &s.slo))
    {
        let key = (
            status.service.clone(),
            status.slo.clone(),
            status.group.clone().unwrap_or_default(),
        );
        report
            .judged
            .push(judge(status, pages.get(&key).cloned(), min_budget));
    }
    report
}

fn judge(status: SloStatus, page: Option<String>, min_budget: f64) -> Judged {
    // A spent budget blocks even while the SLI is missing; a budget left
    // does not pass one whose SLI has stopped: its alerts cannot fire.
    let (verdict, why) = match (&page, status.budget_remaining, &status.missing) {
        (Some(state), _, _) => (Verdict::Blocked, format!("its page alert is {state}")),
        (None, Some(left), _) if left <= min_budget => (
            Verdict::Blocked,
            format!(
                "{} of its budget is left, not above the floor of {}",
                fmt_percent(left),
                fmt_percent(min_budget)
            ),
        ),
        (None, _, Some(missing)) => (Verdict::Inconclusive, missing.clone()),
        (None, None, None) => (Verdict::Inconclusive, "no budget recorded yet".to_string()),
        (None, Some(left), None) => (
            Verdict::Pass,
            format!("{} of its budget is left, and no page", fmt_percent(left)),
        ),
    };
    Judged {
        service: status.service,
        slo: status.slo,
        group: status.group,
        budget_remaining: status.budget_remaining,
        page,
        verdict,
        why,
    }
}

/// Whether `selection` (`SERVICE` or `SERVICE/SLO` names; none: every
/// SLO) takes `service/slo`.
pub(super) fn selects(selection: &[String], service: &str, slo: &str) -> bool {
    selection.is_empty()
        || selection
            .iter()
            .any(|s| s == service || *s == format!("{service}/{slo}"))
}

/// Every name the selection gives is a service, or a service's SLO.
pub(super) fn check_selection(
    model: &crate::model::Model,
    selection: &[String],
) -> Result<(), String> {
    let unknown: Vec<&String> = selection
        .iter()
        .filter(|name| {
            !model.slos().any(|slo| {
                **name == slo.service || **name == format!("{}/{}", slo.service, slo.name)
            })
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = model
        .slos()
        .map(|slo| format!("{}/{}", slo.service, slo.name))
        .collect();
    Err(format!(
        "no SLO or service named {}; the project has: {}",
        unknown
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        known.join(", ")
    ))
}
