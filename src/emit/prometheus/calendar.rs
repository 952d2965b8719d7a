//! A calendar SLO's rules: its period, and its budget to date.

use super::record;
use crate::emit::yaml::Node;
use crate::model::{fmt_num, names, Calendar, CalendarUnit, Duration, Slo};

/// A calendar SLO's budget rules, which reset at each period's start:
/// the period's start and end, the errors and events since the start,
/// their ratio, and the budget spent.
///
/// The sums read the tiles one local day at a time: a subquery at a 1d
/// step, whose steps Prometheus aligns to UTC midnights, each reading the
/// tiles of one day through a (negative) offset that lands the day on the
/// period's offset; a step counts when its day starts at or after the
/// period's start, read at the evaluation time (`@ end()`). So no query
/// holds more than a day of tiles, or a period of days (promtool caps a
/// query at 10,000 samples), and tiles split between days exactly as they
/// split between windows. A tile belongs to the day its evaluation falls
/// in, so a period's first tile holds up to a tile's span of the end of the
/// last one. Needs the `@` modifier and negative offsets, stable since
/// Prometheus 2.33.
pub(super) fn rules(slo: &Slo, calendar: Calendar, labels: &Node) -> Vec<Node> {
    let selector = names::selector(slo);
    let offset = calendar.offset_seconds();
    const DAY: i64 = 86_400;
    let shifted = |expr: &str, by: i64| match by {
        0 => expr.to_string(),
        by if by > 0 => format!("{expr} + {by}"),
        by => format!("{expr} - {}", -by),
    };
    let local = format!("vector({})", shifted("time()", offset));
    let day = format!("floor({local} / {DAY})");
    let month_start = format!("({day} - day_of_month({local}) + 1) * {DAY}");
    let start_local = match calendar.unit {
        // 1970-01-01, day 0, was a Thursday: three days after a Monday.
        CalendarUnit::Week => format!("({day} - ({day} + 3) % 7) * {DAY}"),
        CalendarUnit::Month => month_start.clone(),
        CalendarUnit::Quarter => {
            // Back from the month's start by the months before it in the
            // quarter: none, the last one, or the last two.
            let previous = format!("days_in_month({month_start} - {DAY})");
            let before_previous =
                format!("days_in_month({month_start} - ({previous} + 1) * {DAY})");
            let months_in = format!("(month({local}) - 1) % 3");
            format!(
                "{month_start} - (clamp_max({months_in}, 1) * {previous} + clamp_min({months_in} - 1, 0) * {before_previous}) * {DAY}"
            )
        }
    };
    let start = format!("{}{selector}", names::PERIOD_START);
    let start_at_local = shifted(&start, offset);
    let days = match calendar.unit {
        CalendarUnit::Week => "7".to_string(),
        CalendarUnit::Month => format!("days_in_month({start_at_local})"),
        CalendarUnit::Quarter => {
            let first = format!("days_in_month({start_at_local})");
            let second = format!("days_in_month({start_at_local} + {first} * {DAY})");
            let third = format!("days_in_month({start_at_local} + ({first} + {second}) * {DAY})");
            format!("{first} + {second} + {third}")
        }
    };
    // Step s (a UTC midnight) reads the local day starting at s + lead,
    // lead in [0, 1d): then the day holding any moment has a step at or
    // before it. The offset less a start time can pass a day (UTC-10:00
    // from 20:00 is -30h): days start where `-offset` falls in a day.
    let lead = (-offset).rem_euclid(DAY);
    let day_offset = format!("-{}", Duration((lead + DAY) as u64));
    let counted = format!(
        "vector({}) >= scalar({start} @ end())",
        shifted("time()", lead)
    );
    let range = Duration::days(calendar.unit.max_days() + 1);
    // Prometheus 2 ranges hold both ends: a day reads one millisecond short
    // so a tile on midnight is counted once.
    let one_day = "23h59m59s999ms";
    // `function_over_time` of a series' tiles, per day of the period,
    // summed.
    let to_date = |function: &str, series: &str| {
        format!(
            "sum_over_time(({function}_over_time({series}{selector}[{one_day}] offset {day_offset}) and on () ({counted}))[{range}:1d])"
        )
    };
    let to_date = if slo.sli.is_raw() {
        let part = |function: &str, part: &str| {
            format!(
                "label_replace({}, \"{}\", \"{part}\", \"\", \"\")",
                to_date(function, names::RAW_TILE),
                names::TILE_PART_LABEL
            )
        };
        format!("{} or {}", part("sum", "errors"), part("count", "events"))
    } else {
        to_date("sum", names::RATES_TILE)
    };
    let part = |part: &str| {
        format!(
            "{}{{service={},slo={},{}=\"{part}\"}}",
            names::RATES_TO_DATE,
            names::promql_string(&slo.service),
            names::promql_string(&slo.name),
            names::TILE_PART_LABEL,
        )
    };
    // The period is one series; a grouped SLO's ratios, one per group.
    let elapsed = format!(
        "(time() - {start}) / ({}{selector} - {start})",
        names::PERIOD_END
    );
    let elapsed_share = if slo.group_by.is_empty() {
        elapsed
    } else {
        format!(
            "ignoring ({}) group_left () ({elapsed})",
            slo.group_by.join(", ")
        )
    };
    vec![
        record(names::PERIOD_START, shifted(&start_local, -offset), labels),
        record(
            names::PERIOD_END,
            format!("{start} + ({days}) * {DAY}"),
            labels,
        ),
        record(names::RATES_TO_DATE, to_date, labels),
        record(
            names::ERROR_RATIO_TO_DATE,
            format!(
                "{} / ignoring ({}) {}",
                part("errors"),
                names::TILE_PART_LABEL,
                part("events")
            ),
            labels,
        ),
        record(
            names::PERIOD_BURN_RATE,
            format!(
                "{}{selector} / {} * {elapsed_share}",
                names::ERROR_RATIO_TO_DATE,
                fmt_num(slo.error_budget()),
            ),
            labels,
        ),
    ]
}
