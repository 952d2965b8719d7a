//! When a window pair fires and resolves: the rules' arithmetic, played
//! out sample by sample, for `lookout explain`, the runbooks and the
//! promtool tests that hold the two to each other.
//!
//! **The evaluation model.** The 5m rates are recorded every `interval`
//! (the global evaluation interval). An incident starts at an evaluation,
//! after a long window of good traffic at a constant rate, and the 5m
//! rates rise as a counter's `rate(…[5m])` does: linearly over the first
//! five minutes. A window's ratio is the sum of the error-rate samples in
//! `[t - window, t]` over the sum of the event rates (both ends included,
//! as Prometheus 2 selects a range). A pair's condition holds when both
//! ratios exceed its threshold, and, with `min_errors`, when the
//! error-rate samples over the long window times the interval reach it.
//! A tier's alert is evaluated every `interval`, or every `long_interval`
//! for a tier whose windows are all long (it runs in the `long` group);
//! it fires at the first evaluation at which the condition has held for
//! `for`.
//!
//! What this leaves out: a fast tier reads windows of 2h and more as the
//! `long` group last recorded them, so a pair reading one fires up to one
//! `long_interval` later than computed here.

use super::{AlertWindow, Duration};

/// How the rules are evaluated.
#[derive(Clone, Copy, Debug)]
pub struct Evaluation {
    pub interval: Duration,
    pub long_interval: Duration,
}

impl Evaluation {
    /// Seconds `pair` may fire later than modelled: a fast tier reads
    /// windows of 2h and more as the `long` group last recorded them (in
    /// Prometheus, and in promtool, which records their tiles every step,
    /// each over the last `long_interval`); a tier the long group
    /// evaluates sums its tiles as the model does.
    pub fn lag(&self, pair: &AlertWindow, long_tier: bool) -> u64 {
        if pair.reads_long_windows() && !long_tier {
            self.long_interval.seconds()
        } else {
            0
        }
    }

    /// How often a tier's alert is evaluated.
    pub fn step(&self, long_tier: bool) -> u64 {
        if long_tier {
            self.long_interval.seconds().max(1)
        } else {
            self.interval.seconds().max(1)
        }
    }
}

/// An incident: a constant error ratio at a constant traffic.
#[derive(Clone, Copy, Debug)]
pub struct Incident {
    /// Share of events that fail, `0 < ratio <= 1`.
    pub ratio: f64,
    /// Events per second.
    pub traffic: f64,
}

/// A pair's guards and hold, as its alert rule has them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Guards {
    pub min_errors: u64,
    pub for_: Duration,
}

/// Seconds a counter's 5m rate takes to reach its new level.
const RAMP: f64 = 300.0;

/// The 5m error-rate samples of a scenario, one per `interval` from
/// `start` (seconds, negative before the incident), as shares of the
/// traffic; every sample before `start` is `before` (a long history).
struct Samples {
    interval: u64,
    start: i64,
    before: f64,
    /// `prefix[j]`: the sum of the first `j` samples.
    prefix: Vec<f64>,
}

impl Samples {
    fn new(interval: u64, start: i64, end: i64, before: f64, share: impl Fn(f64) -> f64) -> Self {
        let n = ((end - start) / interval as i64).max(0) as usize + 1;
        let mut prefix = vec![0.0; n + 1];
        for j in 0..n {
            let t = start + (j as u64 * interval) as i64;
            prefix[j + 1] = prefix[j] + share(t as f64);
        }
        Samples {
            interval,
            start,
            before,
            prefix,
        }
    }

    /// The indexes of the first and last samples at times in `[from, to]`.
    fn range(&self, from: i64, to: i64) -> (i64, i64) {
        let i = self.interval as i64;
        let lo = (from - self.start + i - 1).div_euclid(i);
        let hi = (to - self.start)
            .div_euclid(i)
            .min(self.prefix.len() as i64 - 2);
        (lo, hi)
    }

    /// The number of samples at times in `[from, to]`: the events, at a
    /// constant traffic.
    fn count(&self, from: i64, to: i64) -> f64 {
        let (lo, hi) = self.range(from, to);
        (hi - lo + 1).max(0) as f64
    }

    /// The sum of the samples at times in `[from, to]`.
    fn sum(&self, from: i64, to: i64) -> f64 {
        let (lo, hi) = self.range(from, to);
        if hi < lo {
            return 0.0;
        }
        let before = (hi.min(-1) - lo + 1).max(0);
        let inside = if hi >= 0 {
            self.prefix[hi as usize + 1] - self.prefix[lo.max(0) as usize]
        } else {
            0.0
        };
        inside + before as f64 * self.before
    }
}

/// The long group's tiles, one per evaluation `step`: each the sum of the
/// samples over the last `step` (both ends in), as the group records
/// them first; summed over a window by prefix sums.
struct Tiles {
    step: i64,
    /// The index (time ÷ step) of the first tile.
    first: i64,
    /// `prefix[m]`: errors and samples of the first `m` tiles.
    prefix: Vec<(f64, f64)>,
}

impl Tiles {
    fn new(samples: &Samples, step: u64, from: i64, to: i64) -> Tiles {
        let step = step as i64;
        let (first, last) = (from.div_euclid(step), to.div_euclid(step));
        let mut prefix = vec![(0.0, 0.0)];
        for m in first..=last {
            let at = m * step;
            let (errors, count) = *prefix.last().expect("starts with one");
            prefix.push((
                errors + samples.sum(at - step, at),
                count + samples.count(at - step, at),
            ));
        }
        Tiles {
            step,
            first,
            prefix,
        }
    }

    /// Errors over events of the tiles at times in `[from, to]`.
    fn ratio(&self, from: i64, to: i64) -> f64 {
        let index =
            |t: i64| (t.div_euclid(self.step) - self.first).clamp(0, self.prefix.len() as i64 - 1);
        let lo = index(from + self.step - 1) as usize;
        let hi = (index(to) + 1) as usize;
        let (errors, count) = (
            self.prefix[hi].0 - self.prefix[lo].0,
            self.prefix[hi].1 - self.prefix[lo].1,
        );
        if count > 0.0 {
            errors / count
        } else {
            0.0
        }
    }
}

/// How a tier's rules read a window: the samples themselves, or, for a
/// tier the long group evaluates (every `long_interval`), windows of 2h
/// and more as the sum of that group's tiles.
struct Reader<'a> {
    samples: &'a Samples,
    tiles: Option<Tiles>,
}

impl Reader<'_> {
    /// `samples` read by a tier evaluated every `step` from `from` to
    /// `to`, over windows up to `longest`.
    fn new(
        samples: &Samples,
        eval: Evaluation,
        long_tier: bool,
        (from, to): (i64, i64),
        longest: Duration,
    ) -> Reader<'_> {
        let tiles = long_tier.then(|| {
            let step = eval.step(true);
            Tiles::new(
                samples,
                step,
                from - longest.seconds() as i64 - step as i64,
                to,
            )
        });
        Reader { samples, tiles }
    }

    /// The error share over `window` at `t`.
    fn ratio(&self, window: Duration, t: i64) -> f64 {
        // The 5m window is the 5m rates' own ratio, never a sum.
        if window == super::names::BASE_WINDOW {
            return self.samples.sum(t, t) / self.samples.count(t, t).max(1.0);
        }
        let from = t - window.seconds() as i64;
        match &self.tiles {
            Some(tiles) if window >= super::LONG_WINDOW_FROM => tiles.ratio(from, t),
            _ => self.samples.sum(from, t) / self.samples.count(from, t).max(1.0),
        }
    }
}

/// Whether `pair`'s condition holds at `t`: both windows over the
/// threshold and, with `min_errors`, that many errors counted over the
/// long window (the rule sums the 5m error-rate samples, never tiles).
/// How far from its threshold a ratio may be and still count as on it.
/// The model and Prometheus sum in different orders, so a ratio exactly
/// on a threshold (twice a threshold over an odd number of tiles, whose
/// first holds half a tile of errors, is one) falls either side by about
/// 1e-15; one evaluation moves a ratio by far more than this.
const TIE: f64 = 1e-9;

/// Whether `pair`'s condition holds at `t`, a tie on a threshold leaning
/// by `lean` (below 1: a tie holds; above: it does not), so that the
/// tests, which check one evaluation either side of a time, never check
/// at a tie that rounding decides.
fn holds(
    pair: &AlertWindow,
    budget: f64,
    reader: &Reader,
    t: i64,
    min_errors: Option<(u64, f64)>,
    lean: f64,
) -> bool {
    reader.ratio(pair.long, t) / budget > pair.factor * lean
        && reader.ratio(pair.short, t) > pair.factor * budget * lean
        && min_errors.is_none_or(|(min, traffic)| {
            let samples = reader.samples;
            samples.sum(t - pair.long.seconds() as i64, t) * traffic * samples.interval as f64
                >= min as f64 * lean
        })
}

/// Seconds from the start of `incident` until `pair` fires, evaluated
/// as its tier is (`long_tier`: in the `long` group), or `None` if it
/// never does.
pub fn detection(
    pair: &AlertWindow,
    budget: f64,
    guards: Guards,
    incident: Incident,
    eval: Evaluation,
    long_tier: bool,
) -> Option<u64> {
    let interval = eval.interval.seconds().max(1);
    let step = eval.step(long_tier);
    // Once both windows are wholly inside the incident nothing changes.
    let steady = pair.long.seconds() + RAMP as u64 + guards.for_.seconds() + 2 * step;
    let samples = Samples::new(interval, 0, steady as i64, 0.0, |t| {
        incident.ratio * (t / RAMP).clamp(0.0, 1.0)
    });
    let reader = Reader::new(&samples, eval, long_tier, (0, steady as i64), pair.long);
    let min_errors = (guards.min_errors > 0).then_some((guards.min_errors, incident.traffic));
    let mut pending_since = None;
    for k in 0..=steady / step {
        let t = k * step;
        // Fires at a tie: the test's "not yet" lands one evaluation before.
        let holds = holds(pair, budget, &reader, t as i64, min_errors, 1.0 - TIE);
        match (holds, pending_since) {
            (false, _) => pending_since = None,
            (true, None) => pending_since = Some(t),
            (true, Some(_)) => {}
        }
        if let Some(since) = pending_since {
            if t - since >= guards.for_.seconds() {
                return Some(t);
            }
        }
    }
    None
}

/// Seconds from the end of a total outage that filled both windows until
/// `pair`'s condition no longer holds: the short window clearing.
pub fn resolution(
    pair: &AlertWindow,
    budget: f64,
    eval: Evaluation,
    long_tier: bool,
) -> Option<u64> {
    resolution_after(pair, budget, eval, long_tier, None)
}

/// As [`resolution`], after a total outage of `outage` seconds (`None`:
/// long enough to fill both windows) that followed good traffic.
pub fn resolution_after(
    pair: &AlertWindow,
    budget: f64,
    eval: Evaluation,
    long_tier: bool,
    outage: Option<u64>,
) -> Option<u64> {
    let interval = eval.interval.seconds().max(1);
    let step = eval.step(long_tier);
    let limit = pair.short.seconds() + RAMP as u64 + 2 * step;
    let up = |t: f64| (t / RAMP).clamp(0.0, 1.0);
    // The 5m rate rises over five minutes when the outage starts, and
    // falls over five when it ends, at 0.
    let samples = match outage {
        None => Samples::new(interval, 0, limit as i64, 1.0, |t| 1.0 - up(t)),
        Some(outage) => {
            let start = -((outage + pair.long.seconds() + 2 * step) as i64);
            let start = start - start.rem_euclid(interval as i64);
            Samples::new(interval, start, limit as i64, 0.0, |t| {
                up(t + outage as f64) - up(t)
            })
        }
    };
    let reader = Reader::new(&samples, eval, long_tier, (0, limit as i64), pair.long);
    (0..=limit / step)
        .map(|k| k * step)
        // Still firing at a tie: "resolved" is checked one evaluation on.
        .find(|t| !holds(pair, budget, &reader, *t as i64, None, 1.0 + TIE))
}

/// The error ratios `explain` shows a pair at: a total outage, and ten and
/// two times the pair's threshold (where below 100%).
pub fn explained_ratios(pair: &AlertWindow) -> Vec<f64> {
    let mut ratios = vec![1.0];
    for times in [10.0, 2.0] {
        let ratio = super::round_sig(pair.threshold * times, 12);
        if ratio < 1.0 {
            ratios.push(ratio);
        }
    }
    ratios
}

/// What `lookout explain` says of one SLO's alerts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    pub service: String,
    pub slo: String,
    /// In percent.
    pub objective: f64,
    /// `30d`, or a calendar period's `calendar month (UTC)`.
    pub window: String,
    /// For a calendar SLO: the rolling length its alert thresholds assume,
    /// e.g. `30d` for a month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nominal_window: Option<String>,
    pub error_budget: f64,
    pub evaluation: EvaluationModel,
    pub min_errors: u64,
    pub thin_data: super::ThinData,
    /// The events per second the `at_traffic` times assume, when given.
    pub traffic: Option<f64>,
    pub tiers: Vec<TierExplanation>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EvaluationModel {
    /// Seconds between evaluations of the `sli` groups.
    pub interval_seconds: u64,
    /// Seconds between evaluations of the `long` groups.
    pub long_interval_seconds: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TierExplanation {
    /// `page` or `ticket`.
    pub severity: &'static str,
    /// The alert's `severity` label.
    pub severity_label: String,
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// Seconds between the alert's evaluations.
    pub evaluated_every_seconds: u64,
    pub pairs: Vec<PairExplanation>,
    /// Which pair fires first at each error ratio explain shows.
    pub first: Vec<FirstPair>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PairExplanation {
    pub long_window: String,
    pub short_window: String,
    pub factor: f64,
    /// The error ratio both windows must exceed.
    pub threshold: f64,
    /// Share of the whole budget spent over the long window when it fires.
    pub budget_spent: f64,
    /// Seconds from the start of an incident to firing, `for` included;
    /// `null` where it never fires.
    pub detection: Vec<Detection>,
    /// Seconds after a total outage that filled both windows ends until
    /// the pair stops holding.
    pub resolve_seconds: Option<u64>,
    /// Seconds this pair may fire later than `detection` says: a fast
    /// tier reads windows of 2h and more as the `long` group last
    /// recorded them.
    pub may_lag_seconds: u64,
    /// With `min_errors`, the same at `traffic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_traffic: Option<Vec<Detection>>,
}

impl PairExplanation {
    /// The `i`th detection time for a table: `3m`, or `9m (14.4%)` below
    /// 100% errors, marked `*` where the pair may fire later; `-` where
    /// explain shows no such ratio.
    pub fn time_cell(&self, i: usize) -> String {
        let mark = if self.may_lag_seconds > 0 { "*" } else { "" };
        match self.detection.get(i) {
            None => "-".to_string(),
            Some(d) if d.error_ratio >= 1.0 => format!("{}{mark}", compact(d.seconds)),
            Some(d) => format!(
                "{}{mark} ({})",
                compact(d.seconds),
                super::fmt_percent(d.error_ratio)
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Detection {
    pub error_ratio: f64,
    pub seconds: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FirstPair {
    pub error_ratio: f64,
    /// `long/short`, e.g. `1h/5m`; `null` when no pair fires.
    pub pair: Option<String>,
    pub seconds: Option<u64>,
}

/// `2h27m`, `1d12h5m`: every unit, largest first, for tables; `never`
/// for `None`.
pub fn compact(seconds: Option<u64>) -> String {
    let Some(mut rest) = seconds else {
        return "never".into();
    };
    if rest == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
        if rest >= unit {
            out.push_str(&format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    out
}

/// Explains `slo`'s tiers under `eval`; `traffic` (events per second)
/// adds the times at that traffic for an SLO with `min_errors`.
pub fn explain(slo: &super::Slo, eval: Evaluation, traffic: Option<f64>) -> Explanation {
    let budget = slo.error_budget();
    let min_errors = slo.alerting.min_errors;
    let traffic = traffic.filter(|_| min_errors > 0);
    let tiers = slo
        .alerting
        .tiers
        .iter()
        .map(|tier| explain_tier(tier, budget, eval, traffic, min_errors))
        .collect();
    Explanation {
        service: slo.service.clone(),
        slo: slo.name.clone(),
        objective: slo.objective,
        window: slo.period_description(),
        nominal_window: slo.calendar.map(|_| slo.period.to_string()),
        error_budget: budget,
        evaluation: EvaluationModel {
            interval_seconds: eval.interval.seconds(),
            long_interval_seconds: eval.long_interval.seconds(),
        },
        min_errors,
        thin_data: slo.alerting.thin_data,
        traffic,
        tiers,
    }
}

/// One tier's times. Remembered per thread: a build explains every
/// alerting SLO for its runbook, and most share an objective, a window
/// and the default tiers, while the simulations behind one tier cost
/// tens of thousands of steps.
fn explain_tier(
    tier: &super::AlertTier,
    budget: f64,
    eval: Evaluation,
    traffic: Option<f64>,
    min_errors: u64,
) -> TierExplanation {
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<String, TierExplanation>> =
            std::cell::RefCell::default();
    }
    let mut key = format!(
        "{}|{}|{}|{}|{:?}|{:?}|{}|{:?}",
        budget.to_bits(),
        eval.interval.seconds(),
        eval.long_interval.seconds(),
        tier.severity.as_str(),
        tier.severity_label,
        tier.for_,
        min_errors,
        traffic.map(f64::to_bits),
    );
    for pair in &tier.pairs {
        key.push_str(&format!(
            "|{}/{}/{}",
            pair.long.seconds(),
            pair.short.seconds(),
            pair.factor.to_bits()
        ));
    }
    if let Some(known) = KNOWN.with(|known| known.borrow().get(&key).cloned()) {
        return known;
    }
    let explained = explain_tier_uncached(tier, budget, eval, traffic, min_errors);
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        // Bounded: a project of many distinct tiers just starts over.
        if known.len() >= 1024 {
            known.clear();
        }
        known.insert(key, explained.clone());
    });
    explained
}

fn explain_tier_uncached(
    tier: &super::AlertTier,
    budget: f64,
    eval: Evaluation,
    traffic: Option<f64>,
    min_errors: u64,
) -> TierExplanation {
    let long_tier = tier.is_long();
    let for_ = tier.for_.unwrap_or_default();
    let at = |pair: &AlertWindow, ratio: f64, traffic: f64, min_errors: u64| Detection {
        error_ratio: ratio,
        seconds: detection(
            pair,
            budget,
            Guards { min_errors, for_ },
            Incident { ratio, traffic },
            eval,
            long_tier,
        ),
    };
    // Every pair at every ratio shown for the tier, each worked out once:
    // a pair's own rows and which pair fires first both read them.
    let mut ratios: Vec<f64> = tier.pairs.iter().flat_map(explained_ratios).collect();
    ratios.sort_by(|a, b| b.total_cmp(a));
    ratios.dedup();
    // Enough traffic that any count is reached at once.
    let times: Vec<Vec<Detection>> = tier
        .pairs
        .iter()
        .map(|pair| ratios.iter().map(|r| at(pair, *r, 1e9, 0)).collect())
        .collect();
    let time_at = |i: usize, ratio: f64| {
        let at = ratios
            .iter()
            .position(|r| *r == ratio)
            .expect("a shown ratio");
        times[i][at]
    };
    let pairs: Vec<PairExplanation> = tier
        .pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            let own = explained_ratios(pair);
            PairExplanation {
                long_window: pair.long.to_string(),
                short_window: pair.short.to_string(),
                factor: pair.factor,
                threshold: pair.threshold,
                budget_spent: pair.budget_spent,
                detection: own.iter().map(|r| time_at(i, *r)).collect(),
                resolve_seconds: resolution(pair, budget, eval, long_tier),
                may_lag_seconds: eval.lag(pair, long_tier),
                at_traffic: traffic.map(|traffic| {
                    own.iter()
                        .map(|r| at(pair, *r, traffic, min_errors))
                        .collect()
                }),
            }
        })
        .collect();
    let first = ratios
        .iter()
        .map(|ratio| {
            let fastest = tier
                .pairs
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some((p, time_at(i, *ratio).seconds?)))
                .min_by_key(|(_, s)| *s);
            FirstPair {
                error_ratio: *ratio,
                pair: fastest.map(|(p, _)| format!("{}/{}", p.long, p.short)),
                seconds: fastest.map(|(_, s)| s),
            }
        })
        .collect();
    TierExplanation {
        severity: tier.severity.as_str(),
        severity_label: tier.severity_label.clone(),
        for_: tier.for_.map(|d| d.to_string()),
        evaluated_every_seconds: eval.step(long_tier),
        pairs,
        first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Severity, WindowPair};

    fn eval() -> Evaluation {
        Evaluation {
            interval: Duration::minutes(1),
            long_interval: Duration::minutes(5),
        }
    }

    fn page_1h() -> AlertWindow {
        let pair = WindowPair {
            severity: Severity::Page,
            long: Duration::hours(1),
            short: Duration::minutes(5),
            budget_fraction: 0.02,
        };
        AlertWindow::resolve(&pair, Duration::days(30), 0.001)
    }

    fn full(traffic: f64) -> Incident {
        Incident {
            ratio: 1.0,
            traffic,
        }
    }

    #[test]
    fn a_total_outage_fires_the_1h_pair_in_minutes() {
        // By hand, at 1m: the 1h window holds 61 samples; after k minutes
        // of outage the error samples are 0.2, 0.4, … 1 then 1s, so their
        // sum is 0.2 + 0.4 + 0.6 + 0.8 + (k - 4) for k >= 5. The ratio
        // sum / 61 exceeds 0.0144 once the sum exceeds 0.8784: k = 4
        // gives 2.0 (0.2+0.4+0.6+0.8), k = 3 gives 1.2, k = 2 gives 0.6.
        // The 5m ratio at k = 3 is 0.6 > 0.0144. So it fires at 3 minutes.
        let seconds = detection(
            &page_1h(),
            0.001,
            Guards::default(),
            full(10.0),
            eval(),
            false,
        );
        assert_eq!(seconds, Some(180));
        // In the long group, the first evaluation after: 5 minutes.
        let seconds = detection(
            &page_1h(),
            0.001,
            Guards::default(),
            full(10.0),
            eval(),
            true,
        );
        assert_eq!(seconds, Some(300));
    }

    #[test]
    fn for_holds_the_alert_back_by_whole_evaluations() {
        let guards = Guards {
            min_errors: 0,
            for_: Duration::minutes(2),
        };
        let seconds = detection(&page_1h(), 0.001, guards, full(10.0), eval(), false);
        assert_eq!(seconds, Some(300));
    }

    #[test]
    fn min_errors_waits_for_the_count_at_low_traffic() {
        // One request a minute, all failing: the error-rate samples are
        // 1/60 × (0.2, 0.4, 0.6, 0.8, 1, 1, …) per second; times 60 s, the
        // count after k minutes is 0.2+0.4+0.6+0.8 = 2 at k = 4 and
        // 2 + (k - 4) after. Five errors: k = 7.
        let guards = Guards {
            min_errors: 5,
            for_: Duration(0),
        };
        let seconds = detection(&page_1h(), 0.001, guards, full(1.0 / 60.0), eval(), false);
        assert_eq!(seconds, Some(420));
        let unguarded = detection(
            &page_1h(),
            0.001,
            Guards::default(),
            full(1.0 / 60.0),
            eval(),
            false,
        );
        assert_eq!(unguarded, Some(180));
    }

    #[test]
    fn a_ratio_under_the_threshold_never_fires() {
        let incident = Incident {
            ratio: 0.01,
            traffic: 10.0,
        };
        assert_eq!(
            detection(
                &page_1h(),
                0.001,
                Guards::default(),
                incident,
                eval(),
                false
            ),
            None
        );
    }

    #[test]
    fn the_long_group_sums_tiles_of_five_minutes() {
        // By hand: the ticket's 1d/2h pair (3x, an error ratio over
        // 0.003), evaluated every 5m from tiles that each sum the 1m
        // samples of the last 5m, both ends in (6 samples). At 5m the
        // newest tile holds 0 + 0.2 + 0.4 + 0.6 + 0.8 + 1 = 3, the one at
        // 0 holds 0: 3 over 289 tiles × 6 samples = 0.0017. At 10m the
        // newest holds 6: 9 / 1734 = 0.0052, and the 2h window's
        // 9 / (25 × 6) = 0.06. So it fires at 10m.
        let pair = AlertWindow::resolve(
            &WindowPair {
                severity: Severity::Ticket,
                long: Duration::days(1),
                short: Duration::hours(2),
                budget_fraction: 0.1,
            },
            Duration::days(30),
            0.001,
        );
        let seconds = detection(&pair, 0.001, Guards::default(), full(10.0), eval(), true);
        assert_eq!(seconds, Some(600));
    }

    #[test]
    fn the_short_window_clears_after_the_outage() {
        // The 5m ratio is the 5m rate itself: 1 - t/300 falls to 0.0144
        // or below at t = 295.68 s, the first evaluation after is 300 s.
        assert_eq!(resolution(&page_1h(), 0.001, eval(), false), Some(300));
    }
}
