//! A backtest's replay: an SLO's rules played over history, from the two
//! 5m rates its `sli` group records (or a raw SLI's 5m ratio), sampled at
//! every evaluation of that group.
//!
//! It follows the rule file step for step, with the evaluation model of
//! [`super::detection`]: the 5m window is the 5m rates' own ratio; a
//! longer window's ratio is the sum of the error-rate samples in
//! `[t - window, t]` over the sum of the event rates (both ends included,
//! as Prometheus 2 selects a range); windows of 2h and more are
//! recorded by the `long` group, every `long_interval`, and a fast tier
//! reads their latest recording; a pair needs both ratios over its
//! threshold, with `thin_data: wait` data older than its short window, and
//! with `min_errors` that many errors over its long window; a tier fires
//! once its condition has held for `for`, and resolves at the first
//! evaluation where it does not hold.
//!
//! What it leaves out: Prometheus staggers each group's evaluations by a
//! hash of its name, so the `long` group's recordings here, at multiples
//! of `long_interval`, may sit up to one `long_interval` away from a live
//! Prometheus's.

use super::detection::Evaluation;
use super::{AlertTier, AlertWindow, Slo, ThinData, LONG_WINDOW_FROM};

/// An SLO's base series on a grid: `values[k]` at `start + k × step`,
/// `None` where Prometheus had no sample.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub start: i64,
    pub step: i64,
    /// The 5m error rate, or a raw SLI's 5m error ratio.
    pub errors: Vec<Option<f64>>,
    /// The 5m event rate; empty for a raw SLI.
    pub events: Vec<Option<f64>>,
}

/// One alert's firing interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fired {
    /// The `slo_severity`: `page`, `ticket`, or a custom tier's name.
    pub severity: String,
    /// When it turned firing (its condition had held for `for`).
    pub start: i64,
    /// The first evaluation at which it no longer held; `None`: still
    /// firing at the end of the span.
    pub end: Option<i64>,
    /// The highest burn rate of a holding pair's long window meanwhile.
    pub peak_burn: f64,
    /// From the start of the incident (the first of the 5m samples before
    /// `start`, all burning faster than the budget allows) to `start`.
    pub detection_seconds: Option<i64>,
}

/// What an SLO's rules would have done over `[from, to]`.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    pub fired: Vec<Fired>,
    /// The error ratio over the span (events-weighted; a raw SLI's
    /// average), when there was traffic.
    pub error_ratio: Option<f64>,
    /// Seconds of the span that had a sample.
    pub covered_seconds: i64,
}

impl Replay {
    /// The SLI over the span.
    pub fn sli(&self) -> Option<f64> {
        self.error_ratio.map(|r| 1.0 - r)
    }

    /// The share of a whole period's budget the span spent, at the span's
    /// error ratio: `ratio ÷ budget × span ÷ period`.
    pub fn budget_spent(&self, slo: &Slo, span_seconds: i64) -> Option<f64> {
        let period = slo.period.seconds() as f64;
        self.error_ratio
            .map(|r| r / slo.error_budget() * span_seconds as f64 / period)
    }
}

/// Prefix sums of a series, and of how many samples it has, for window
/// sums in constant time.
struct Prefix {
    sum: Vec<f64>,
    count: Vec<u32>,
}

impl Prefix {
    fn new(values: &[Option<f64>]) -> Prefix {
        let mut sum = Vec::with_capacity(values.len() + 1);
        let mut count = Vec::with_capacity(values.len() + 1);
        sum.push(0.0);
        count.push(0);
        for value in values {
            let (s, c) = (*sum.last().unwrap(), *count.last().unwrap());
            match value {
                Some(v) if v.is_finite() => {
                    sum.push(s + v);
                    count.push(c + 1);
                }
                _ => {
                    sum.push(s);
                    count.push(c);
                }
            }
        }
        Prefix { sum, count }
    }

    /// Sum and sample count over indices `[from, to]`, clamped to the grid.
    fn window(&self, from: i64, to: i64) -> (f64, u32) {
        let last = self.sum.len() as i64 - 2;
        let (from, to) = (from.max(0), to.min(last));
        if to < from {
            return (0.0, 0);
        }
        let (a, b) = (from as usize, to as usize + 1);
        (self.sum[b] - self.sum[a], self.count[b] - self.count[a])
    }
}

struct Series<'a> {
    grid: &'a Grid,
    errors: Prefix,
    events: Option<Prefix>,
}

impl Series<'_> {
    /// The index of the last sample at or before `t`.
    fn index(&self, t: i64) -> i64 {
        (t - self.grid.start).div_euclid(self.grid.step)
    }

    /// The index of the first sample at or after `t`.
    fn first_from(&self, t: i64) -> i64 {
        -(self.grid.start - t).div_euclid(self.grid.step)
    }

    /// The error ratio over `[t - window, t]`; `None` without traffic.
    fn ratio(&self, t: i64, window: i64) -> Option<f64> {
        let (from, to) = (self.first_from(t - window), self.index(t));
        let (errors, count) = self.errors.window(from, to);
        match &self.events {
            Some(events) => {
                let (events, _) = events.window(from, to);
                (events > 0.0).then(|| errors / events)
            }
            None => (count > 0).then(|| errors / f64::from(count)),
        }
    }

    /// Whether the base series had a sample in `[from, to]`.
    fn present(&self, from: i64, to: i64) -> bool {
        let base = self.events.as_ref().unwrap_or(&self.errors);
        base.window(self.first_from(from), self.index(to)).1 > 0
    }

    /// The 5m ratio at the sample `k`.
    fn burning(&self, k: i64, budget: f64) -> bool {
        let t = self.grid.start + k * self.grid.step;
        self.ratio(t, 0).is_some_and(|r| r > budget)
    }
}

/// The SLO's rules over `[from, to]`, evaluated at `evaluation`'s steps.
pub fn replay(slo: &Slo, evaluation: Evaluation, grid: &Grid, from: i64, to: i64) -> Replay {
    let series = Series {
        grid,
        errors: Prefix::new(&grid.errors),
        events: (!grid.events.is_empty()).then(|| Prefix::new(&grid.events)),
    };
    let budget = slo.error_budget();
    let long_step = evaluation.long_interval.seconds().max(1) as i64;
    let interval = evaluation.interval.seconds().max(1) as i64;
    // A window the `long` group records, as a tier at `t` reads it: its
    // latest recording, at the last multiple of the long interval.
    let window_ratio = |t: i64, window: i64| {
        // The 5m window is the 5m rates' own ratio, one sample, as the
        // rule `slo:sli_error:ratio_rate5m` records it.
        if window == super::names::BASE_WINDOW.seconds() as i64 {
            series.ratio(t, 0)
        } else if window >= LONG_WINDOW_FROM.seconds() as i64 {
            let recorded = t.div_euclid(long_step) * long_step;
            series.ratio(recorded, window)
        } else {
            series.ratio(t, window)
        }
    };
    let holds = |pair: &AlertWindow, t: i64| -> Option<f64> {
        let (long, short) = (pair.long.seconds() as i64, pair.short.seconds() as i64);
        let long_ratio = window_ratio(t, long)?;
        let short_ratio = window_ratio(t, short)?;
        let over = long_ratio / budget > pair.factor && short_ratio > pair.factor * budget;
        let thin =
            slo.alerting.thin_data == ThinData::Wait && !series.present(t - 2 * short, t - short);
        let too_few = slo.alerting.min_errors > 0 && {
            let (errors, _) = series
                .errors
                .window(series.first_from(t - long), series.index(t));
            errors * (interval as f64) < slo.alerting.min_errors as f64
        };
        (over && !thin && !too_few).then_some(long_ratio / budget)
    };
    let mut fired = Vec::new();
    for tier in &slo.alerting.tiers {
        fired.extend(replay_tier(
            slo, tier, evaluation, &series, &holds, from, to,
        ));
    }
    fired.sort_by_key(|f| f.start);
    let (k_from, k_to) = (series.index(from), series.index(to));
    let (errors, count) = series.errors.window(k_from, k_to);
    let error_ratio = match &series.events {
        Some(events) => {
            let (events, _) = events.window(k_from, k_to);
            (events > 0.0).then(|| errors / events)
        }
        None => (count > 0).then(|| errors / f64::from(count)),
    };
    let base = series.events.as_ref().unwrap_or(&series.errors);
    let covered_seconds = i64::from(base.window(k_from, k_to).1) * grid.step;
    Replay {
        fired,
        error_ratio,
        covered_seconds,
    }
}

fn replay_tier(
    slo: &Slo,
    tier: &AlertTier,
    evaluation: Evaluation,
    series: &Series<'_>,
    holds: &dyn Fn(&AlertWindow, i64) -> Option<f64>,
    from: i64,
    to: i64,
) -> Vec<Fired> {
    let step = evaluation.step(tier.is_long()) as i64;
    let for_ = tier.for_.map_or(0, |f| f.seconds() as i64);
    let budget = slo.error_budget();
    let mut out = Vec::new();
    let mut active_since: Option<i64> = None;
    let mut firing: Option<Fired> = None;
    let mut t = from.div_euclid(step) * step;
    while t <= to {
        let burn = tier
            .pairs
            .iter()
            .filter_map(|pair| holds(pair, t))
            .reduce(f64::max);
        match burn {
            Some(burn) => {
                let since = *active_since.get_or_insert(t);
                if let Some(alert) = &mut firing {
                    alert.peak_burn = alert.peak_burn.max(burn);
                } else if t - since >= for_ {
                    firing = Some(Fired {
                        severity: tier.severity.as_str().to_string(),
                        start: t,
                        end: None,
                        peak_burn: burn,
                        detection_seconds: incident_start(
                            series,
                            t,
                            budget,
                            slo.period.seconds() as i64,
                        )
                        .map(|s| t - s),
                    });
                }
            }
            None => {
                active_since = None;
                if let Some(mut alert) = firing.take() {
                    alert.end = Some(t);
                    out.push(alert);
                }
            }
        }
        t += step;
    }
    out.extend(firing);
    out
}

/// The first of the run of 5m samples up to `t` that all burn faster than
/// the budget allows, looking back at most as far as the SLO's period (a
/// service that always burns has no start to find).
fn incident_start(series: &Series<'_>, t: i64, budget: f64, limit: i64) -> Option<i64> {
    let mut k = series.index(t);
    if !series.burning(k, budget) {
        return None;
    }
    let earliest = series.index(t - limit).max(0);
    while k > earliest && series.burning(k - 1, budget) {
        k -= 1;
    }
    Some(series.grid.start + k * series.grid.step)
}
