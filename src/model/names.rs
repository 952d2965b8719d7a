//! Every recording-rule and label name lookout generates, in one place.
//!
//! Emitters and dashboards must take names from here, never spell them, so a
//! dashboard can never refer to a series the rules do not record. The series
//! names follow Sloth's, but Sloth's dashboards also select on `sloth_*`
//! labels, which lookout does not write, so they do not work unchanged.

use super::{Duration, Slo};

/// Windows of the rate queries everything else is derived from.
pub const BASE_WINDOW: Duration = Duration::minutes(5);

/// Rate of bad events over [`BASE_WINDOW`].
pub const ERRORS_RATE: &str = "slo:sli_errors:rate5m";
/// Rate of all events over [`BASE_WINDOW`].
pub const EVENTS_RATE: &str = "slo:sli_events:rate5m";

/// Sums of [`ERRORS_RATE`] and [`EVENTS_RATE`] over one tile (the long
/// group's interval), told apart by [`TILE_PART_LABEL`] (`errors`,
/// `events`): one rule for both.
pub const RATES_TILE: &str = "slo:sli_rates:rate5m_tile_sum";
/// Averages of a raw SLI's 5m error ratio over one tile.
pub const RAW_TILE: &str = "slo:sli_error:ratio_rate5m_tile_avg";
/// Label of [`RATES_TILE`] and [`RATES_TO_DATE`] telling their `errors`
/// and `events` parts apart.
pub const TILE_PART_LABEL: &str = "sli_part";

/// The objective, e.g. `0.999`. Also the SLO's info series: it carries
/// [`WINDOW_LABEL`], [`SLI_LABEL`] and [`ALERTING_LABEL`]. The error budget
/// is `1 - objective`, so it is not recorded.
pub const OBJECTIVE: &str = "slo:objective:ratio";
/// The period's length in days: a rolling window's, or a calendar
/// period's nominal length (30 for a month), which burn rates and the
/// alert thresholds are relative to.
pub const TIME_PERIOD_DAYS: &str = "slo:time_period:days";
/// The burn rate over [`CURRENT_BURN_WINDOW`]: the error ratio over the
/// error budget, 1 when the budget would last exactly the period.
pub const CURRENT_BURN_RATE: &str = "slo:current_burn_rate:ratio";
/// Budget spent over the period; what remains is `1 - this`, not recorded.
/// A calendar SLO's is its errors against the budget projected for the
/// whole period from its traffic so far (`ratio to date / budget × elapsed
/// share of the period`), so a period starts at 0 and one early error does
/// not read as the budget spent ten times over.
pub const PERIOD_BURN_RATE: &str = "slo:period_burn_rate:ratio";
/// A calendar SLO's errors and events summed since its period started,
/// told apart by [`TILE_PART_LABEL`]; a raw SLI's `errors` part is the sum
/// of its tile averages and its `events` part their count.
pub const RATES_TO_DATE: &str = "slo:sli_rates:period_to_date";
/// A calendar SLO's error ratio since its period started.
pub const ERROR_RATIO_TO_DATE: &str = "slo:sli_error:ratio_period_to_date";
/// When a calendar SLO's current period started, in Unix seconds.
pub const PERIOD_START: &str = "slo:period_start:timestamp";
/// When it ends and the next starts, in Unix seconds.
pub const PERIOD_END: &str = "slo:period_end:timestamp";
/// Objective-series label: the SLO period, e.g. `30d` or `month`.
pub const WINDOW_LABEL: &str = "window";
/// Objective-series label: the SLI kind, e.g. `events`.
pub const SLI_LABEL: &str = "sli";

/// Alert label telling the two tiers apart, `page` or `ticket`, whatever
/// their user-set `severity` label says; dashboards select on it.
pub const TIER_LABEL: &str = "slo_severity";
/// Objective-series label naming the enabled alert tiers: `page,ticket`,
/// `page`, `ticket` or `off`, so a dashboard can tell "alerting off" from
/// "not firing".
pub const ALERTING_LABEL: &str = "alerting";

/// Window the current burn rate is measured over: long enough not to flap,
/// short enough to show an incident.
pub const CURRENT_BURN_WINDOW: Duration = Duration::hours(1);

/// Error ratio over `window`, e.g. `slo:sli_error:ratio_rate30d`.
pub fn error_ratio(window: Duration) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}

/// The error ratio over the SLO's period: the rolling window's, or a
/// calendar SLO's ratio since its period started.
pub fn period_error_ratio(slo: &Slo) -> String {
    match slo.calendar {
        Some(_) => ERROR_RATIO_TO_DATE.to_string(),
        None => error_ratio(slo.period),
    }
}

/// `{service="…",slo="…"}`: selects one SLO's recorded series.
pub fn selector(slo: &Slo) -> String {
    format!(
        "{{service={},slo={}}}",
        promql_string(&slo.service),
        promql_string(&slo.name)
    )
}

/// A PromQL double-quoted string literal. Not a name: `pub(crate)` keeps
/// it off the book's series page, which lists `pub` items.
pub(crate) fn promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The prefix of every rule group lookout writes.
pub const GROUP_PREFIX: &str = "lookout:";

/// Rule group names; colons keep `service` and `slo` apart unambiguously,
/// since neither may contain one.
pub fn group(slo: &Slo, part: &str) -> String {
    format!("{GROUP_PREFIX}{}:{}:{part}", slo.service, slo.name)
}

/// `checkout` + `availability` → `CheckoutAvailabilityErrorBudgetBurn`.
pub fn default_alert_name(service: &str, slo: &str) -> String {
    let mut out = String::new();
    for word in service
        .split(['-', '_'])
        .chain(slo.split(['-', '_']))
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str("ErrorBudgetBurn");
    out
}
