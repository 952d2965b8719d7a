//! Multi-window, multi-burn-rate alert tiers (Google SRE workbook, ch. 5).
//!
//! The tiers are data: each names how much of the error budget it may spend
//! over its long window before it fires. The burn-rate factor follows from
//! the SLO period: `factor = budget_fraction × period ÷ long_window`, which
//! gives the workbook's 14.4 / 6 / 3 / 1 for 30 days and 13.44 / 5.6 / 2.8 /
//! 0.933 for 28 days.

use super::Duration;

/// Which alert a window pair belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Wake someone up: budget is burning fast.
    Page,
    /// Look at it during working hours: budget is burning slowly.
    Ticket,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }

    pub fn default_label(self) -> &'static str {
        match self {
            Severity::Page => "critical",
            Severity::Ticket => "warning",
        }
    }
}

/// One window pair of an alert: fires when the error ratio over both the
/// long and the short window exceeds `factor × error budget`. The short
/// window makes the alert reset soon after the burn stops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowPair {
    pub severity: Severity,
    pub long: Duration,
    pub short: Duration,
    /// Share of the whole error budget this pair lets burn over `long`.
    pub budget_fraction: f64,
}

impl WindowPair {
    /// Burn-rate factor for an SLO period.
    pub fn factor(&self, period: Duration) -> f64 {
        round_sig(
            self.budget_fraction * period.seconds() as f64 / self.long.seconds() as f64,
            12,
        )
    }
}

/// A window pair resolved for one SLO, once, at lowering (as Sloth's
/// multi-window alert group is): every emitter, `status` and custom
/// dashboards read its factor, threshold and what follows from them here
/// rather than working them out again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertWindow {
    pub severity: Severity,
    pub long: Duration,
    pub short: Duration,
    /// Burn rate both windows must exceed, for the SLO's period.
    pub factor: f64,
    /// The error ratio both windows must exceed: `factor × error budget`.
    pub threshold: f64,
    /// Share of the whole budget spent over `long` by the time the pair
    /// fires: `factor × long ÷ period`.
    pub budget_spent: f64,
    /// Seconds the whole budget lasts at this pair's burn rate:
    /// `period ÷ factor`.
    pub exhaustion_seconds: f64,
}

impl AlertWindow {
    pub fn resolve(pair: &WindowPair, period: Duration, error_budget: f64) -> AlertWindow {
        let factor = pair.factor(period);
        AlertWindow::custom(
            pair.severity,
            (pair.long, pair.short),
            factor,
            period,
            error_budget,
        )
    }

    /// A pair whose factor is given (a custom tier) rather than following
    /// from a share of the budget.
    pub fn custom(
        severity: Severity,
        (long, short): (Duration, Duration),
        factor: f64,
        period: Duration,
        error_budget: f64,
    ) -> AlertWindow {
        let period = period.seconds() as f64;
        AlertWindow {
            severity,
            long,
            short,
            factor,
            threshold: round_sig(factor * error_budget, 12),
            budget_spent: round_sig(factor * long.seconds() as f64 / period, 12),
            exhaustion_seconds: period / factor,
        }
    }

    /// Seconds from the start of an incident at error ratio `ratio`, after
    /// a long window of good traffic, until both windows exceed the
    /// threshold (the long one fills last); `None` if they never do.
    /// Rule-evaluation steps and `for` come on top.
    pub fn time_to_fire(&self, ratio: f64) -> Option<f64> {
        (ratio > self.threshold).then(|| self.threshold * self.long.seconds() as f64 / ratio)
    }
}

/// The window pairs of one tier, resolved for an SLO's period and budget.
pub fn resolve_pairs(severity: Severity, period: Duration, error_budget: f64) -> Vec<AlertWindow> {
    DEFAULT_PAIRS
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| AlertWindow::resolve(p, period, error_budget))
        .collect()
}

/// The page factor of the pair over [`super::names::CURRENT_BURN_WINDOW`],
/// for a one-day period: times an SLO's period in days, the burn rate over
/// that window at which it pages, whatever its period.
pub fn current_window_page_factor_per_day() -> f64 {
    DEFAULT_PAIRS
        .iter()
        .find(|p| p.severity == Severity::Page && p.long == super::names::CURRENT_BURN_WINDOW)
        .map_or(0.0, |p| p.factor(Duration::days(1)))
}

/// The default pairs, as data: for custom dashboards that describe them.
pub fn default_pairs() -> &'static [WindowPair] {
    &DEFAULT_PAIRS
}

/// The windows `status` shows a burn rate over: the page pairs' short and
/// long windows, and the slowest ticket pair's long window.
pub const STATUS_WINDOWS: [Duration; 4] = [
    Duration::minutes(5),
    Duration::hours(1),
    Duration::hours(6),
    Duration::days(3),
];

/// The share of events an SLO may fail: `1 - objective`, for an objective
/// in percent, without float noise.
pub fn error_budget(objective_percent: f64) -> f64 {
    round_sig((100.0 - objective_percent) / 100.0, 12)
}

/// The workbook's four pairs.
const DEFAULT_PAIRS: [WindowPair; 4] = [
    WindowPair {
        severity: Severity::Page,
        long: Duration::hours(1),
        short: Duration::minutes(5),
        budget_fraction: 0.02,
    },
    WindowPair {
        severity: Severity::Page,
        long: Duration::hours(6),
        short: Duration::minutes(30),
        budget_fraction: 0.05,
    },
    WindowPair {
        severity: Severity::Ticket,
        long: Duration::days(1),
        short: Duration::hours(2),
        budget_fraction: 0.10,
    },
    WindowPair {
        severity: Severity::Ticket,
        long: Duration::days(3),
        short: Duration::hours(6),
        budget_fraction: 0.10,
    },
];

/// Rounds to `digits` significant digits, to keep float noise such as
/// `0.0010000000000000009` out of generated rules.
pub fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits - 1 - magnitude);
    (x * scale).round() / scale
}

/// Shortest decimal form of a float after rounding away float noise.
///
/// Remembered per thread: a build formats the same few thresholds and
/// objectives for every SLO (61,000 calls for 1,000 SLOs), and the
/// logarithm, rounding and shortest-digits search cost some 800
/// instructions a call where a lookup costs a tenth of that.
pub fn fmt_num(x: f64) -> String {
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<u64, String>> =
            std::cell::RefCell::default();
    }
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if let Some(text) = known.get(&x.to_bits()) {
            return text.clone();
        }
        let text = fmt_num_uncached(x);
        // Bounded: a project of many distinct numbers just starts over.
        if known.len() >= 4096 {
            known.clear();
        }
        known.insert(x.to_bits(), text.clone());
        text
    })
}

fn fmt_num_uncached(x: f64) -> String {
    let rounded = round_sig(x, 12);
    let text = format!("{rounded}");
    if text == "-0" {
        "0".into()
    } else {
        text
    }
}

/// `x` times 10^`places`, as the decimal it was written as: `0.999` moved
/// two places is `99.9`, where `0.999 * 100.0` is 99.89999…, and `99.9`
/// moved back is `0.999`, not 0.9990000000000001. Exact for any number
/// written with at most 12 significant digits, as specs' numbers are.
pub fn shift_decimal(x: f64, places: i32) -> f64 {
    round_sig(x * 10f64.powi(places), 12)
}

/// A share as a percentage for prose, four significant digits: `0.02`
/// is `2%`, `0.0028` is `0.28%`.
pub fn fmt_percent(share: f64) -> String {
    format!("{}%", fmt_short(share * 100.0))
}

/// Four significant digits, for prose: `0.9333` rather than `0.933333333333`.
pub fn fmt_short(x: f64) -> String {
    fmt_num(round_sig(x, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_numbers_read_as_computed_ones() {
        let values = [
            0.0,
            -0.0,
            1.0,
            0.999,
            99.9,
            14.4,
            0.0144,
            1e-7,
            3.0 / 7.0,
            -2.5e9,
        ];
        for x in values.iter().chain(values.iter()) {
            assert_eq!(fmt_num(*x), fmt_num_uncached(*x), "{x}");
        }
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
    }

    fn factors(period: Duration) -> Vec<String> {
        DEFAULT_PAIRS
            .iter()
            .map(|p| fmt_num(p.factor(period)))
            .collect()
    }

    #[test]
    fn workbook_factors_for_30d() {
        assert_eq!(factors(Duration::days(30)), ["14.4", "6", "3", "1"]);
    }

    #[test]
    fn sloth_factors_for_28d() {
        assert_eq!(
            factors(Duration::days(28)),
            ["13.44", "5.6", "2.8", "0.933333333333"]
        );
    }

    #[test]
    fn scaled_factors_for_7d() {
        assert_eq!(
            factors(Duration::days(7)),
            ["3.36", "1.4", "0.7", "0.233333333333"]
        );
    }

    #[test]
    fn shift_decimal_moves_the_point_exactly() {
        // Written by hand: the decimal point moves, the digits stay.
        assert_eq!(shift_decimal(0.999, 2), 99.9);
        assert_eq!(shift_decimal(0.99, 2), 99.0);
        assert_eq!(shift_decimal(0.9995, 2), 99.95);
        assert_eq!(shift_decimal(0.5, 2), 50.0);
        assert_eq!(shift_decimal(99.9, -2).to_string(), "0.999");
        assert_eq!(shift_decimal(99.95, -2).to_string(), "0.9995");
        assert_eq!(shift_decimal(5.0, -2).to_string(), "0.05");
        assert_eq!(shift_decimal(99.999, -2).to_string(), "0.99999");
    }

    #[test]
    fn fmt_num_hides_float_noise() {
        assert_eq!(fmt_num(1.0 - 0.999), "0.001");
        assert_eq!(fmt_num((100.0 - 99.9) / 100.0), "0.001");
        assert_eq!(fmt_num(14.4 * 0.001), "0.0144");
        assert_eq!(fmt_num(30.0), "30");
    }
}
