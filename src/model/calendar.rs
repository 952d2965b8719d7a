//! Calendar SLO periods: a week (from Monday), a month or a quarter, which
//! start at 00:00 at a fixed UTC offset and reset the budget when they do.
//!
//! Alerts stay on rolling windows sized by the period's nominal length
//! ([`CalendarUnit::nominal`]); what follows the calendar is the budget,
//! the SLI over the period and everything that shows them. The offset is
//! fixed: Prometheus has no time-zone database, so daylight saving time is
//! not followed.

use super::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    Week,
    Month,
    Quarter,
}

impl CalendarUnit {
    /// The spec's spelling, `window: month`.
    pub fn parse(text: &str) -> Option<CalendarUnit> {
        match text {
            "week" => Some(CalendarUnit::Week),
            "month" => Some(CalendarUnit::Month),
            "quarter" => Some(CalendarUnit::Quarter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CalendarUnit::Week => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Quarter => "quarter",
        }
    }

    /// The length alert thresholds assume: a burn rate of 1 spends a
    /// period's budget in this long, whatever this period's real length.
    pub fn nominal(self) -> Duration {
        match self {
            CalendarUnit::Week => Duration::days(7),
            CalendarUnit::Month => Duration::days(30),
            CalendarUnit::Quarter => Duration::days(91),
        }
    }

    /// The most days a period can have, so a query reaching back this far
    /// from any moment sees the whole current period.
    pub fn max_days(self) -> u64 {
        match self {
            CalendarUnit::Week => 7,
            CalendarUnit::Month => 31,
            CalendarUnit::Quarter => 92,
        }
    }

    /// A Grafana panel's relative time from the period's start to now:
    /// "This week so far" and so on. A quarter is Grafana's fiscal
    /// quarter, which with the default fiscal year (January) is the
    /// calendar one: Grafana's `describeTextRange` has no `now/Q`.
    pub fn grafana_time_from(self) -> &'static str {
        match self {
            CalendarUnit::Week => "now/w",
            CalendarUnit::Month => "now/M",
            CalendarUnit::Quarter => "now/fQ",
        }
    }
}

/// A calendar period and the UTC offset its days start at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Calendar {
    pub unit: CalendarUnit,
    /// Minutes east of UTC: `+02:00` is 120.
    pub utc_offset_minutes: i32,
    /// Minutes after local midnight a period starts: 0 unless an imported
    /// OpenSLO calendar starts at another hour (`startTime: … 12:00:00`).
    pub start_minutes: i32,
}

/// The largest offset written anywhere (Kiribati, +14:00).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 14 * 60;

impl Calendar {
    /// What the rules add to UTC to get the clock on which periods start
    /// at 00:00: the offset, less the start time of day.
    pub fn offset_seconds(self) -> i64 {
        i64::from(self.utc_offset_minutes - self.start_minutes) * 60
    }

    /// `+02:00`, `-05:30`, `+00:00`.
    pub fn offset_text(self) -> String {
        fmt_utc_offset(self.utc_offset_minutes)
    }

    /// `calendar month (UTC+02:00)`, for titles and tables.
    pub fn describe(self) -> String {
        format!("calendar {} ({})", self.unit.as_str(), self.start_text())
    }

    fn zone_text(self) -> String {
        if self.utc_offset_minutes == 0 {
            "UTC".to_string()
        } else {
            format!("UTC{}", self.offset_text())
        }
    }

    /// When periods start in the day: `UTC`, `UTC+02:00`, or
    /// `12:00 UTC-05:00` for another start time.
    pub fn start_text(self) -> String {
        if self.start_minutes == 0 {
            self.zone_text()
        } else {
            self.reset_time()
        }
    }

    /// The time periods start, in words: `00:00 UTC+02:00`.
    pub fn reset_time(self) -> String {
        format!(
            "{:02}:{:02} {}",
            self.start_minutes / 60,
            self.start_minutes % 60,
            self.zone_text()
        )
    }

    /// The IANA zone a Grafana dashboard can take for this offset, so that
    /// `now/M` starts where the period does: `utc`, or `Etc/GMT-2` for
    /// +02:00 (POSIX signs, inverted). `None` for an offset that is not
    /// whole hours, which no fixed-offset zone has.
    pub fn grafana_timezone(self) -> Option<String> {
        let minutes = self.utc_offset_minutes;
        if self.start_minutes != 0 {
            return None;
        }
        if minutes == 0 {
            return Some("utc".into());
        }
        if minutes % 60 != 0 {
            return None;
        }
        let hours = minutes / 60;
        Some(if hours > 0 {
            format!("Etc/GMT-{hours}")
        } else {
            format!("Etc/GMT+{}", -hours)
        })
    }

    /// The period holding `at` (Unix seconds): its start and end, in Unix
    /// seconds. The same arithmetic as the recorded
    /// `slo:period_start:timestamp`, kept here for `status` and the tests.
    pub fn period_at(self, at: i64) -> (i64, i64) {
        let offset = self.offset_seconds();
        let local = at + offset;
        let day = local.div_euclid(86_400);
        let (y, m, _) = civil_from_days(day);
        let (start_day, end_day) = match self.unit {
            CalendarUnit::Week => {
                // 1970-01-01 was a Thursday: three days after a Monday.
                let monday = day - (day + 3).rem_euclid(7);
                (monday, monday + 7)
            }
            CalendarUnit::Month => {
                let start = days_from_civil(y, m, 1);
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (start, days_from_civil(ny, nm, 1))
            }
            CalendarUnit::Quarter => {
                let first = (m - 1) / 3 * 3 + 1;
                let start = days_from_civil(y, first, 1);
                let (ny, nm) = if first == 10 {
                    (y + 1, 1)
                } else {
                    (y, first + 3)
                };
                (start, days_from_civil(ny, nm, 1))
            }
        };
        (start_day * 86_400 - offset, end_day * 86_400 - offset)
    }
}

/// `+HH:MM` from minutes east of UTC.
pub fn fmt_utc_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// `+02:00`, `-05:30`, `Z` or `+00:00` into minutes east of UTC; `None`
/// unless it is one of those shapes within ±14:00.
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    if text == "Z" || text == "UTC" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if m >= 60 {
        return None;
    }
    let minutes = sign * (h * 60 + m);
    (minutes.abs() <= MAX_UTC_OFFSET_MINUTES).then_some(minutes)
}

/// A time zone's standard offset, in minutes east of UTC, and whether it
/// has daylight saving time: from the tz database compiled into lookout
/// (no file is read, so the answer is the same everywhere), as the lower
/// of its offsets in January and July 2026. `None` for an unknown name.
pub fn zone_standard_offset(name: &str) -> Option<(i32, bool)> {
    let zone = jiff::tz::db().get(name).ok()?;
    let offset_at = |month: i64| -> Option<i32> {
        let at = jiff::Timestamp::from_second(days_from_civil(2026, month, 15) * 86_400).ok()?;
        Some(zone.to_offset(at).seconds() / 60)
    };
    let (winter, summer) = (offset_at(1)?, offset_at(7)?);
    Some((winter.min(summer), winter != summer))
}

/// A zone of the tz database whose offset is always `minutes`: the first
/// by name, so the answer is the same everywhere.
pub fn fixed_offset_zone(minutes: i32) -> Option<String> {
    let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
    names.sort();
    names
        .into_iter()
        .find(|name| zone_standard_offset(name) == Some((minutes, false)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// RFC 3339 in UTC, to the second: `2026-11-01T00:00:00Z`.
pub fn fmt_rfc3339(at: i64) -> String {
    let (y, m, d) = civil_from_days(at.div_euclid(86_400));
    let s = at.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn calendar(unit: CalendarUnit, offset: i32) -> Calendar {
        Calendar {
            unit,
            utc_offset_minutes: offset,
            start_minutes: 0,
        }
    }

    #[test]
    fn months_weeks_and_quarters_start_where_the_calendar_says() {
        // 1970-01-01 was a Thursday; February starts on day 31.
        let month = calendar(CalendarUnit::Month, 0);
        assert_eq!(month.period_at(31 * DAY - 1), (0, 31 * DAY));
        assert_eq!(month.period_at(31 * DAY), (31 * DAY, 59 * DAY));
        // The first Monday is 1970-01-05.
        let week = calendar(CalendarUnit::Week, 0);
        assert_eq!(week.period_at(4 * DAY), (4 * DAY, 11 * DAY));
        assert_eq!(week.period_at(4 * DAY - 1), (-3 * DAY, 4 * DAY));
        let quarter = calendar(CalendarUnit::Quarter, 0);
        assert_eq!(quarter.period_at(100 * DAY), (90 * DAY, 181 * DAY));
        // 2024 is a leap year: Q1 has 91 days.
        let q1 = days_from_civil(2024, 1, 1) * DAY;
        assert_eq!(quarter.period_at(q1 + 5), (q1, q1 + 91 * DAY));
    }

    #[test]
    fn an_offset_moves_the_start_to_local_midnight() {
        let month = calendar(CalendarUnit::Month, 120);
        // +02:00: February starts at 22:00 UTC on 31 January.
        assert_eq!(month.period_at(31 * DAY - 2 * 3600).0, 31 * DAY - 2 * 3600);
        assert_eq!(month.period_at(31 * DAY - 2 * 3600 - 1).0, -2 * 3600);
        let west = calendar(CalendarUnit::Month, -300);
        assert_eq!(west.period_at(31 * DAY + 4 * 3600).0, 5 * 3600);
    }

    #[test]
    fn a_start_time_moves_the_period_within_its_day() {
        // OpenSLO's example: months from 12:00 in New York (UTC-05:00 in
        // January), so February starts at 17:00 UTC on 1 February.
        let noon = Calendar {
            start_minutes: 12 * 60,
            ..calendar(CalendarUnit::Month, -300)
        };
        let february = 31 * DAY + 17 * 3600;
        assert_eq!(noon.period_at(february).0, february);
        assert_eq!(noon.period_at(february - 1).1, february);
        assert_eq!(noon.describe(), "calendar month (12:00 UTC-05:00)");
    }

    #[test]
    fn offsets_parse_and_print_alike() {
        for (text, minutes) in [("+02:00", 120), ("-05:30", -330), ("+00:00", 0), ("Z", 0)] {
            assert_eq!(parse_utc_offset(text), Some(minutes), "{text}");
        }
        for bad in ["2:00", "+2", "+15:00", "+02:60", "CET", ""] {
            assert_eq!(parse_utc_offset(bad), None, "{bad}");
        }
        assert_eq!(fmt_utc_offset(-330), "-05:30");
        assert_eq!(fmt_rfc3339(31 * DAY + 3661), "1970-02-01T01:01:01Z");
    }

    #[test]
    fn a_zone_maps_to_its_standard_offset() {
        assert_eq!(zone_standard_offset("America/New_York"), Some((-300, true)));
        assert_eq!(zone_standard_offset("Australia/Sydney"), Some((600, true)));
        assert_eq!(zone_standard_offset("Asia/Kolkata"), Some((330, false)));
        assert_eq!(zone_standard_offset("UTC"), Some((0, false)));
        assert_eq!(zone_standard_offset("Mars/Olympus"), None);
    }

    #[test]
    fn grafanas_zone_has_the_offset() {
        for minutes in [-720, -300, 120, 840] {
            let zone = calendar(CalendarUnit::Month, minutes)
                .grafana_timezone()
                .unwrap();
            assert_eq!(
                zone_standard_offset(&zone),
                Some((minutes, false)),
                "{zone}"
            );
        }
        assert_eq!(calendar(CalendarUnit::Month, 330).grafana_timezone(), None);
        assert_eq!(fixed_offset_zone(330).as_deref(), Some("Asia/Calcutta"));
    }

    #[test]
    fn civil_dates_round_trip() {
        for day in (-1000..40_000).step_by(37) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }
}
