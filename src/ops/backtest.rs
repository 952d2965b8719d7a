//! `backtest`: what an SLO's alerts would have done over the live
//! Prometheus's history, from the raw series, whether or not its rules
//! were ever loaded. The specs are compiled in memory; each SLO's two 5m
//! rates are read as the `sli` group would have recorded them (the same
//! expressions, as range queries at the group's interval) and its rules
//! replayed over them (`model::replay`).

use std::collections::BTreeMap;

use super::{prometheus_endpoint, Generated, Request};
use crate::model::detection::Evaluation;
use crate::model::replay::{self, Fired, Grid};
use crate::model::{Duration, Sli, Slo};
use crate::push::history;

/// One SLO's (one group's) replay.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Backtested {
    pub service: String,
    pub slo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The SLI over the span; `None` without traffic or when left out.
    pub sli: Option<f64>,
    /// Share of a whole period's budget the span spent.
    pub budget_spent: Option<f64>,
    pub alerts: Vec<Fired>,
    /// Why it is left out, or what of its history is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The SLI's selectors that matched no series over the span.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

pub struct BacktestReport {
    pub generated: Generated,
    pub error: Option<String>,
    /// The span replayed, unix seconds.
    pub from: i64,
    pub to: i64,
    /// The `sli` groups' interval replayed at, and the `long` groups'.
    pub evaluation: Option<Evaluation>,
    pub slos: Vec<Backtested>,
    /// With `--compare REV`: the revision, and its specs' replay over the
    /// same history.
    pub before: Option<(String, Vec<Backtested>)>,
}

/// Replays the SLOs `selection` names (none: every SLO) over the `since`
/// before `now`.
#[allow(clippy::too_many_arguments)]
pub fn backtest(
    request: &Request,
    http: &crate::push::http::HttpOptions,
    selection: &[String],
    since: Duration,
    now: i64,
    compare: Option<&str>,
    concurrency: usize,
    progress: &(dyn Fn(&str) + Sync),
) -> BacktestReport {
    let from = now - since.seconds() as i64;
    let mut report = BacktestReport {
        generated: Generated::model_only(request),
        error: None,
        from,
        to: now,
        evaluation: None,
        slos: Vec::new(),
        before: None,
    };
    let Some(model) = &report.generated.model else {
        return report;
    };
    let settings = &report.generated.settings;
    let result = super::gate::check_selection(model, selection)
        .and_then(|()| prometheus_endpoint(settings, http, "backtest"))
        .and_then(|endpoint| {
            let evaluation = evaluation(&endpoint, settings);
            let replay = |model: &crate::model::Model| {
                replay_all(
                    model,
                    &endpoint,
                    evaluation,
                    settings.prometheus.interval,
                    (selection, concurrency),
                    from,
                    now,
                    progress,
                )
            };
            let slos = replay(model)?;
            let before = match compare {
                Some(rev) => Some((rev.to_string(), replay(&model_at(rev, settings)?)?)),
                None => None,
            };
            Ok((evaluation, slos, before))
        });
    match result {
        Ok((evaluation, slos, before)) => {
            report.evaluation = Some(evaluation);
            report.slos = slos;
            report.before = before;
        }
        Err(error) => report.error = Some(error),
    }
    report
}

/// The project's specs compiled as they were at `rev`, for the same
/// Prometheus.
fn model_at(
    rev: &str,
    settings: &crate::model::settings::Settings,
) -> Result<crate::model::Model, String> {
    let config = settings
        .project
        .config
        .as_ref()
        .map(|(path, _)| path.as_path());
    let revision = crate::out::revision::at(rev, config, &settings.project.slos_dir)?;
    let request = Request {
        inputs: crate::check::Inputs {
            config: revision.config.clone(),
            slos: Some(revision.slos.clone()),
        },
        ..Default::default()
    };
    let generated = Generated::model_only(&request);
    generated.model.ok_or_else(|| {
        format!(
            "the specs at {rev} do not compile:\n{}",
            generated.diagnostics.render(false)
        )
    })
}

/// The rules run at Prometheus's own interval where it says; lookout.yaml's
/// `prometheus.interval` is what they were written for otherwise.
pub(super) fn evaluation(
    endpoint: &crate::push::http::Endpoint,
    settings: &crate::model::settings::Settings,
) -> Evaluation {
    Evaluation {
        interval: history::evaluation_interval(endpoint)
            .map(Duration)
            .unwrap_or(settings.prometheus.interval),
        long_interval: settings.prometheus.long_interval,
    }
}

#[allow(clippy::too_many_arguments)]
fn replay_all(
    model: &crate::model::Model,
    endpoint: &crate::push::http::Endpoint,
    evaluation: Evaluation,
    pinned: Duration,
    (selection, concurrency): (&[String], usize),
    from: i64,
    now: i64,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Backtested>, String> {
    let selected: Vec<&Slo> = model
        .slos()
        .filter(|slo| super::gate::selects(selection, &slo.service, &slo.name))
        .collect();
    let replayed = crate::parallel::map_bounded(&selected, concurrency, |slo| {
        progress(&format!("{}/{}", slo.service, slo.name));
        // An SLO with `min_errors` has its `sli` group pinned to
        // lookout.yaml's interval, which its error count is written for.
        let evaluation = match crate::emit::prometheus::counting_interval(slo, pinned) {
            Some(interval) => Evaluation {
                interval,
                ..evaluation
            },
            None => evaluation,
        };
        backtest_slo(slo, endpoint, evaluation, from, now)
    });
    let mut out = Vec::new();
    for slos in replayed {
        out.extend(slos?);
    }
    Ok(out)
}

/// How far before the span an SLO's history is read, so that every
/// window is full at its start: the longest window, its thin-data look
/// back, and one long interval.
fn lookback(slo: &Slo, evaluation: Evaluation) -> i64 {
    let pairs = slo.alerting.tiers.iter().flat_map(|t| &t.pairs);
    let longest = pairs
        .map(|p| p.long.seconds().max(2 * p.short.seconds()))
        .max()
        .unwrap_or(0);
    (longest + evaluation.long_interval.seconds()) as i64
}

/// An SLO's base series over a span, on one grid per group (keyed by
/// `label=value, …` of its `group_by`), or why it has none.
pub(super) enum History {
    LeftOut(String),
    /// Why, and the SLI's selectors that matched no series over the span.
    Empty(String, Vec<String>),
    Grids(BTreeMap<String, Grid>),
}

/// Each group's 5m rates of `slo` (a raw SLI's 5m ratio) from `start` to
/// `end` every `step`, as its `sli` group records them.
pub(super) fn history_of(
    slo: &Slo,
    endpoint: &crate::push::http::Endpoint,
    step: i64,
    start: i64,
    end: i64,
) -> Result<History, String> {
    let (errors_expr, events_expr) = match &slo.sli {
        Sli::Logs(_) => return Ok(History::LeftOut(
            "left out: a log SLI's raw data is its lines in Loki, which lookout does not read here"
                .into(),
        )),
        Sli::Metric(crate::model::MetricSli::Raw { error_ratio }) => {
            (error_ratio.at(crate::model::names::BASE_WINDOW), None)
        }
        Sli::Metric(_) => {
            let (errors, events) = crate::emit::prometheus::base_rates(slo).expect("has events");
            (errors, Some(events))
        }
    };
    let quiet = || {};
    let errors = history::range(endpoint, &errors_expr, start, end, step, &quiet)?;
    let events = match &events_expr {
        Some(expr) => Some(history::range(endpoint, expr, start, end, step, &quiet)?),
        None => None,
    };
    let len = ((end - start) / step + 1) as usize;
    let key = |labels: &BTreeMap<String, String>| -> String {
        slo.group_by
            .iter()
            .map(|label| format!("{label}={}", labels.get(label).map_or("", String::as_str)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut grids: BTreeMap<String, Grid> = BTreeMap::new();
    let mut place = |series: &[history::RangeSeries], events: bool| {
        for (labels, samples) in series {
            let grid = grids.entry(key(labels)).or_insert_with(|| Grid {
                start,
                step,
                errors: vec![None; len],
                events: if events_expr.is_some() {
                    vec![None; len]
                } else {
                    Vec::new()
                },
            });
            let column = if events {
                &mut grid.events
            } else {
                &mut grid.errors
            };
            for (time, value) in samples {
                let k = (time - start) / step;
                if let Some(slot) = column.get_mut(k as usize) {
                    *slot = Some(slot.unwrap_or(0.0) + value);
                }
            }
        }
    };
    place(&errors, false);
    if let Some(events) = &events {
        place(events, true);
    }
    if grids.is_empty() {
        let mut missing = Vec::new();
        let exprs = [Some(&errors_expr), events_expr.as_ref()];
        for selector in exprs
            .into_iter()
            .flatten()
            .flat_map(|e| crate::push::preflight::selectors(e))
        {
            if !missing.contains(&selector)
                && !history::any_series(endpoint, &selector, end - start, end)?
            {
                missing.push(selector);
            }
        }
        return Ok(History::Empty(
            format!(
                "no data: `{}` returns nothing over the span; do its selectors match (lookout check --live)?",
                events_expr.as_deref().unwrap_or(&errors_expr)
            ),
            missing,
        ));
    }
    Ok(History::Grids(grids))
}

fn backtest_slo(
    slo: &Slo,
    endpoint: &crate::push::http::Endpoint,
    evaluation: Evaluation,
    from: i64,
    to: i64,
) -> Result<Vec<Backtested>, String> {
    let entry = |group: Option<String>| Backtested {
        service: slo.service.clone(),
        slo: slo.name.clone(),
        group,
        sli: None,
        budget_spent: None,
        alerts: Vec::new(),
        note: None,
        missing: Vec::new(),
    };
    let step = evaluation.interval.seconds().max(1) as i64;
    let start = (from - lookback(slo, evaluation)).div_euclid(step) * step;
    let end = to.div_euclid(step) * step;
    let grids = match history_of(slo, endpoint, step, start, end)? {
        History::LeftOut(note) => {
            return Ok(vec![Backtested {
                note: Some(note),
                ..entry(None)
            }])
        }
        History::Empty(note, missing) => {
            return Ok(vec![Backtested {
                note: Some(note),
                missing,
                ..entry(None)
            }])
        }
        History::Grids(grids) => grids,
    };
    let mut out = Vec::new();
    for (group, grid) in grids {
        let replayed = replay::replay(slo, evaluation, &grid, from, to);
        let base = if grid.events.is_empty() {
            &grid.errors
        } else {
            &grid.events
        };
        let first = base
            .iter()
            .position(Option::is_some)
            .map(|k| start + k as i64 * step);
        let note = first.filter(|first| *first > from).map(|first| {
            format!(
                "history begins {} into the span: until {} after that, its longest windows hold less than their length, and the budget spent extrapolates",
                crate::model::humanize((first - from) as f64),
                crate::model::humanize(lookback(slo, evaluation) as f64)
            )
        });
        out.push(Backtested {
            sli: replayed.sli(),
            budget_spent: replayed.budget_spent(slo, to - from),
            alerts: replayed.fired,
            note,
            ..entry((!slo.group_by.is_empty()).then_some(group))
        });
    }
    Ok(out)
}
