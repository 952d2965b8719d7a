//! `report`: how each SLO did over a past period, from the live
//! Prometheus: the SLI and the budget spent, read from the raw series as
//! backtest reads them, and the alerts that actually fired, from the
//! `ALERTS` series the rule engine wrote.

use std::collections::BTreeMap;

use super::backtest::{history_of, History};
use super::{prometheus_endpoint, Generated, Request};
use crate::model::replay::Grid;
use crate::model::Slo;
use crate::push::http::Endpoint;

/// One alert that fired: its `slo_severity`, and when (unix seconds).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FiredSpan {
    pub severity: String,
    pub start: i64,
    /// The first evaluation it was no longer firing; `None`: still firing
    /// at the period's end.
    pub end: Option<i64>,
}

/// One SLO's (one group's) period.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reported {
    pub service: String,
    pub slo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// In percent, as the spec writes it.
    pub objective: f64,
    pub sli: Option<f64>,
    /// Whether the SLI met the objective over the period.
    pub met: Option<bool>,
    /// The errors over the errors the period's traffic allowed.
    pub budget_spent: Option<f64>,
    /// The UTC day (its start) with the highest error ratio, and that
    /// ratio; `None` when no day had an error.
    pub worst_day: Option<(i64, f64)>,
    /// The budget left, hour by hour: `(time, 1 − errors so far ÷ the
    /// period's allowance)`.
    pub burndown: Vec<(i64, f64)>,
    pub alerts: Vec<FiredSpan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub struct ReportReport {
    pub generated: Generated,
    pub error: Option<String>,
    pub from: i64,
    pub to: i64,
    pub slos: Vec<Reported>,
}

/// The period a report covers.
#[derive(Debug, Clone, Copy)]
pub enum Period {
    /// A calendar month, `--period 2026-11`: from its first midnight to
    /// the next month's, at lookout.yaml's `calendar.utc_offset`, as the
    /// calendar SLOs count it.
    Month { year: i64, month: i64 },
    /// `[from, to)`, unix seconds.
    Range { from: i64, to: i64 },
}

impl Period {
    /// Unix seconds of its start and end, at `offset_minutes` east of UTC.
    pub fn bounds(self, offset_minutes: i32) -> (i64, i64) {
        match self {
            Period::Range { from, to } => (from, to),
            Period::Month { year, month } => {
                let midnight = |y: i64, m: i64| {
                    crate::model::calendar::days_from_civil(y, m, 1) * DAY
                        - i64::from(offset_minutes) * 60
                };
                let (next_year, next_month) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                (midnight(year, month), midnight(next_year, next_month))
            }
        }
    }
}

/// Every SLO over the period.
pub fn report(
    request: &Request,
    http: &crate::push::http::HttpOptions,
    period: Period,
    progress: &dyn Fn(&str),
) -> ReportReport {
    let generated = Generated::model_only(request);
    let (from, to) = period.bounds(generated.settings.utc_offset_minutes);
    let mut report = ReportReport {
        generated,
        error: None,
        from,
        to,
        slos: Vec::new(),
    };
    let Some(model) = &report.generated.model else {
        return report;
    };
    let settings = &report.generated.settings;
    let result = prometheus_endpoint(settings, http, "report").and_then(|endpoint| {
        let evaluation = super::backtest::evaluation(&endpoint, settings);
        let mut out = Vec::new();
        for slo in model.slos() {
            progress(&format!("{}/{}", slo.service, slo.name));
            out.extend(report_slo(slo, &endpoint, evaluation, from, to)?);
        }
        Ok(out)
    });
    match result {
        Ok(slos) => report.slos = slos,
        Err(error) => report.error = Some(error),
    }
    report
}

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

fn report_slo(
    slo: &Slo,
    endpoint: &Endpoint,
    evaluation: crate::model::detection::Evaluation,
    from: i64,
    to: i64,
) -> Result<Vec<Reported>, String> {
    let step = evaluation.interval.seconds().max(1) as i64;
    let fired = fired(slo, endpoint, evaluation, from, to)?;
    let entry = |group: Option<String>, note: Option<String>| Reported {
        service: slo.service.clone(),
        slo: slo.name.clone(),
        group: group.clone(),
        objective: slo.objective,
        sli: None,
        met: None,
        budget_spent: None,
        worst_day: None,
        burndown: Vec::new(),
        alerts: fired
            .get(&group.unwrap_or_default())
            .cloned()
            .unwrap_or_default(),
        note,
    };
    // The samples of [from, to): the last one falls before `to`.
    let start = from.div_euclid(step) * step;
    let end = (to - 1).div_euclid(step) * step;
    let grids = match history_of(slo, endpoint, step, start, end)? {
        History::LeftOut(note) | History::Empty(note, _) => {
            return Ok(vec![entry(None, Some(note))])
        }
        History::Grids(grids) => grids,
    };
    let budget = slo.error_budget();
    Ok(grids
        .into_iter()
        .map(|(group, grid)| {
            let group = (!slo.group_by.is_empty()).then_some(group);
            let sums = Sums::of(&grid);
            let ratio = sums.ratio(0, sums.len());
            let allowance = sums.allowance(budget);
            let burndown = (0..)
                .map(|h| from + h * HOUR)
                .take_while(|t| *t <= to)
                .map(|t| {
                    let k = sums.index(&grid, t);
                    (t, allowance.map_or(1.0, |a| 1.0 - sums.errors_to(k) / a))
                })
                .collect();
            let worst_day = (0..)
                .map(|d| from.div_euclid(DAY) * DAY + d * DAY)
                .take_while(|day| *day < to)
                .filter_map(|day| {
                    let (a, b) = (
                        sums.index(&grid, day.max(from)),
                        sums.index(&grid, day + DAY),
                    );
                    sums.ratio(a, b).filter(|r| *r > 0.0).map(|r| (day, r))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            Reported {
                sli: ratio.map(|r| 1.0 - r),
                met: ratio.map(|r| r <= budget),
                budget_spent: ratio.map(|r| r / budget),
                worst_day,
                burndown,
                ..entry(group, None)
            }
        })
        .collect())
}

/// Prefix sums of a grid's errors and events (a raw SLI: its ratios and
/// how many there are).
struct Sums {
    errors: Vec<f64>,
    weights: Vec<f64>,
}

impl Sums {
    fn of(grid: &Grid) -> Sums {
        let (mut errors, mut weights) = (vec![0.0], vec![0.0]);
        for (k, error) in grid.errors.iter().enumerate() {
            let weight = if grid.events.is_empty() {
                error.map_or(0.0, |_| 1.0)
            } else {
                grid.events[k].unwrap_or(0.0)
            };
            errors.push(errors.last().unwrap() + error.unwrap_or(0.0));
            weights.push(weights.last().unwrap() + weight);
        }
        Sums { errors, weights }
    }

    fn len(&self) -> usize {
        self.errors.len() - 1
    }

    /// The sample index of time `t`, clamped to the grid.
    fn index(&self, grid: &Grid, t: i64) -> usize {
        (((t - grid.start) as f64 / grid.step as f64).ceil().max(0.0) as usize).min(self.len())
    }

    /// The error ratio of samples `[a, b)`.
    fn ratio(&self, a: usize, b: usize) -> Option<f64> {
        let weight = self.weights[b] - self.weights[a];
        (weight > 0.0).then(|| (self.errors[b] - self.errors[a]) / weight)
    }

    fn errors_to(&self, k: usize) -> f64 {
        self.errors[k]
    }

    /// The errors the period's traffic allowed.
    fn allowance(&self, budget: f64) -> Option<f64> {
        let total = self.weights[self.len()];
        (total > 0.0).then_some(total * budget)
    }
}

/// The firing intervals of the SLO's alerts over the period, per group,
/// from the raw samples of `ALERTS` (one per evaluation while firing).
fn fired(
    slo: &Slo,
    endpoint: &Endpoint,
    evaluation: crate::model::detection::Evaluation,
    from: i64,
    to: i64,
) -> Result<BTreeMap<String, Vec<FiredSpan>>, String> {
    let selector = format!(
        "ALERTS{{service={},slo={},alertstate=\"firing\",{}=~\".+\"}}[{}s]",
        crate::model::names::promql_string(&slo.service),
        crate::model::names::promql_string(&slo.name),
        crate::model::names::TIER_LABEL,
        (to - from).max(1)
    );
    let samples = crate::push::history::raw(endpoint, &selector, to)?;
    let mut out: BTreeMap<String, Vec<FiredSpan>> = BTreeMap::new();
    for (labels, times) in samples {
        let Some(severity) = labels.get(crate::model::names::TIER_LABEL) else {
            continue;
        };
        if severity == "no_data" || times.is_empty() {
            continue;
        }
        let group = slo
            .group_by
            .iter()
            .map(|label| format!("{label}={}", labels.get(label).map_or("", String::as_str)))
            .collect::<Vec<_>>()
            .join(", ");
        // Its tier's group evaluates every `step`: a gap of more than one
        // and a half steps (one evaluation missed, give or take jitter)
        // ends an interval.
        let step = slo
            .alerting
            .tiers
            .iter()
            .find(|tier| tier.severity.as_str() == severity)
            .map_or(evaluation.interval.seconds(), |tier| {
                evaluation.step(tier.is_long())
            })
            .max(1) as i64;
        let spans = out.entry(group).or_default();
        let mut start = times[0];
        for pair in times.windows(2) {
            if 2 * (pair[1] - pair[0]) > 3 * step {
                spans.push(FiredSpan {
                    severity: severity.clone(),
                    start,
                    end: Some(pair[0] + step),
                });
                start = pair[1];
            }
        }
        let last = *times.last().unwrap();
        spans.push(FiredSpan {
            severity: severity.clone(),
            start,
            end: (last + step < to).then_some(last + step),
        });
    }
    for spans in out.values_mut() {
        spans.sort_by_key(|s| s.start);
    }
    Ok(out)
}
