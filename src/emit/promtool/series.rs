//! promtool's series notation, and what Prometheus's templates print.

use std::collections::BTreeMap;

use crate::model::{fmt_num, names, Duration};

/// A stretch of a scenario's input: `steps` samples at one error ratio.
#[derive(Clone, Copy, Debug)]
pub(super) struct Segment {
    pub steps: u64,
    pub ratio: f64,
    /// Whether the 5m rates move to `ratio` as a counter's do, over five
    /// minutes (a new error rate), rather than at once (a single error,
    /// or series that start there).
    pub ramp: bool,
}

impl Segment {
    pub fn hold(steps: u64, ratio: f64) -> Segment {
        Segment {
            steps,
            ratio,
            ramp: false,
        }
    }

    pub fn ramp(steps: u64, ratio: f64) -> Segment {
        Segment {
            steps,
            ratio,
            ramp: true,
        }
    }
}

/// The scenario's input: its segments, at `traffic` events per second.
pub(super) struct Profile {
    pub segments: Vec<Segment>,
    pub traffic: f64,
}

/// promtool series notation for per-step values: `a+0xN` holds a value N+1
/// steps; a ramp lists its values, as a 5m rate rises, step by step.
pub(super) fn gauge(segments: &[Segment], scale: f64, step: Duration) -> String {
    let mut parts = Vec::new();
    let mut previous = 0.0;
    for segment in segments {
        let target = segment.ratio * scale;
        let mut left = segment.steps;
        if segment.ramp {
            let mut k = 0;
            while left > 0 && (k * step.0) < names::BASE_WINDOW.0 {
                let share = (k * step.0) as f64 / names::BASE_WINDOW.0 as f64;
                parts.push(fmt_num(previous + (target - previous) * share));
                k += 1;
                left -= 1;
            }
        }
        if left > 0 {
            parts.push(format!("{}+0x{}", fmt_num(target), left - 1));
        }
        previous = target;
    }
    parts.join(" ")
}

/// A counter growing by `ratio × per_step` each step of a segment.
pub(super) fn counter(segments: &[Segment], per_step: f64) -> String {
    let mut value = 0.0;
    let mut parts = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let step = segment.ratio * per_step;
        // The first segment starts at 0; later ones continue one step on.
        let (start, count) = if i == 0 {
            (value, segment.steps)
        } else {
            (value + step, segment.steps.saturating_sub(1))
        };
        parts.push(format!("{}+{}x{count}", fmt_num(start), fmt_num(step)));
        value = start + step * count as f64;
    }
    parts.join(" ")
}

pub(super) fn label_set(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", names::promql_string(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Prometheus's `humanize` template function (`template/template.go`):
/// SI prefixes, then Go's `%.4g`.
/// Prometheus's `humanizeDuration` template function
/// (`template/template.go`) for the values alerts print: whole seconds
/// truncated, `%.4gs` under a minute.
pub(super) fn go_humanize_duration(v: f64) -> String {
    if v.abs() < 60.0 || !v.is_finite() {
        return format!("{}s", go_g4(v));
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let duration = v.abs() as i64;
    let (seconds, minutes) = (duration % 60, (duration / 60) % 60);
    let (hours, days) = ((duration / 3600) % 24, duration / 86_400);
    if days != 0 {
        format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
    } else if hours != 0 {
        format!("{sign}{hours}h {minutes}m {seconds}s")
    } else {
        format!("{sign}{minutes}m {seconds}s")
    }
}

pub(super) fn go_humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g4(v))
}

/// Go's `%.4g`: four significant digits, trailing zeros dropped, an
/// exponent only below 1e-4 or from 1e4.
fn go_g4(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{v:.3e}");
    let (mantissa, exponent) = sci.split_once('e').expect("`e` formatting");
    let exponent: i32 = exponent.parse().expect("an exponent");
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..4).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_string()), exponent.abs())
    } else {
        let decimals = (3 - exponent).max(0) as usize;
        trim(format!("{v:.decimals$}"))
    }
}
