//! Durations in whole seconds, printed the way Prometheus prints them.

use std::fmt;

/// A duration in whole seconds, formatted as Prometheus writes it (`5m`, `1h`, `30d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    pub const fn minutes(n: u64) -> Self {
        Duration(n * 60)
    }
    pub const fn hours(n: u64) -> Self {
        Duration(n * 3600)
    }
    pub const fn days(n: u64) -> Self {
        Duration(n * 86_400)
    }
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// One `<n><unit>` whose unit is one of `units` (from `h`, `d`, `w`),
    /// as spec windows (`30d`, `4w`) and retentions (`12h`) are written.
    pub fn parse_count(text: &str, units: &str) -> Option<Duration> {
        let unit = text.chars().last().filter(|u| units.contains(*u))?;
        let n: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
        match unit {
            'h' => Some(Duration::hours(n)),
            'd' => Some(Duration::days(n)),
            'w' => Some(Duration::days(n * 7)),
            _ => None,
        }
    }

    /// Parses a Prometheus duration made of one or more `<n><unit>` parts
    /// (`90s`, `1h30m`, `2w`). Milliseconds and years are not accepted.
    pub fn parse_prometheus(text: &str) -> Option<Duration> {
        if text.is_empty() {
            return None;
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let n: u64 = digits.parse().ok()?;
            digits.clear();
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return None,
            };
            total = total.checked_add(n.checked_mul(unit)?)?;
        }
        if !digits.is_empty() {
            return None;
        }
        Some(Duration(total))
    }
}

impl fmt::Display for Duration {
    /// The largest unit that divides evenly, so `86400` prints as `1d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let (n, unit) = if s == 0 {
            (0, "s")
        } else if s.is_multiple_of(86_400) {
            (s / 86_400, "d")
        } else if s.is_multiple_of(3600) {
            (s / 3600, "h")
        } else if s.is_multiple_of(60) {
            (s / 60, "m")
        } else {
            (s, "s")
        };
        write!(f, "{n}{unit}")
    }
}

/// Long human form for prose: `2 days 2 hours`, `43 minutes`.
pub fn humanize(seconds: f64) -> String {
    let s = seconds.round() as u64;
    let parts = [
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let mut out = Vec::new();
    let mut rest = s;
    for (unit, name) in parts {
        if rest >= unit && out.len() < 2 {
            let n = rest / unit;
            rest -= n * unit;
            out.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        } else if !out.is_empty() {
            break;
        }
    }
    if out.is_empty() {
        "0 seconds".into()
    } else {
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_largest_even_unit() {
        assert_eq!(Duration::minutes(5).to_string(), "5m");
        assert_eq!(Duration::minutes(90).to_string(), "90m");
        assert_eq!(Duration::hours(24).to_string(), "1d");
        assert_eq!(Duration::days(30).to_string(), "30d");
        assert_eq!(Duration(45).to_string(), "45s");
    }

    #[test]
    fn parses_one_count_in_the_given_units() {
        assert_eq!(Duration::parse_count("30d", "dw"), Some(Duration::days(30)));
        assert_eq!(Duration::parse_count("4w", "dw"), Some(Duration::days(28)));
        assert_eq!(
            Duration::parse_count("12h", "hdw"),
            Some(Duration::hours(12))
        );
        assert_eq!(Duration::parse_count("12h", "dw"), None);
        assert_eq!(Duration::parse_count("d", "dw"), None);
        assert_eq!(Duration::parse_count("30x", "dw"), None);
        assert_eq!(Duration::parse_count("", "dw"), None);
    }

    #[test]
    fn parses_prometheus_durations() {
        assert_eq!(Duration::parse_prometheus("2m"), Some(Duration::minutes(2)));
        assert_eq!(
            Duration::parse_prometheus("1h30m"),
            Some(Duration::minutes(90))
        );
        assert_eq!(Duration::parse_prometheus("2w"), Some(Duration::days(14)));
        assert_eq!(Duration::parse_prometheus("30x"), None);
        assert_eq!(Duration::parse_prometheus("m"), None);
        assert_eq!(Duration::parse_prometheus("5"), None);
    }

    #[test]
    fn humanizes() {
        assert_eq!(humanize(180_000.0), "2 days 2 hours");
        assert_eq!(humanize(2592.0), "43 minutes 12 seconds");
    }
}
