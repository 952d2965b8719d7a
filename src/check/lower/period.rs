//! Lowering of an SLO's period and groups: its `window` (rolling, or a
//! calendar period with its `calendar` offset and start) and `group_by`.

use serde_saphyr::Spanned;

use super::{is_label_name, Lowering, MIN_PERIOD};
use crate::model::{CalendarUnit, Duration};
use crate::spec::v1::SloSpec;

impl Lowering<'_> {
    /// A rolling window's length, or a calendar period's nominal length
    /// and its unit.
    pub(super) fn window(
        &mut self,
        window: &Spanned<String>,
    ) -> Option<(Duration, Option<CalendarUnit>)> {
        let span = self.span(window);
        let text = window.value.trim();
        if let Some(unit) = CalendarUnit::parse(text) {
            return Some((unit.nominal(), Some(unit)));
        }
        match Duration::parse_count(text, "dw") {
            None => {
                let d = self.error(
                    "spec::invalid-window",
                    format!("invalid window `{text}`"),
                    span,
                );
                d.label = Some("not a number of days or weeks, nor a calendar period".into());
                let lower = text.to_ascii_lowercase();
                let calendar = [
                    ("m", "month"),
                    ("mo", "month"),
                    ("month", "month"),
                    ("months", "month"),
                    ("monthly", "month"),
                    ("q", "quarter"),
                    ("quarterly", "quarter"),
                    ("weekly", "week"),
                ]
                .iter()
                .find(|(suffix, _)| {
                    lower.trim_start_matches(|c: char| c.is_ascii_digit()) == *suffix
                })
                .map(|(_, unit)| *unit);
                d.help = Some(match calendar {
                    Some(unit) => format!("a calendar {unit}, whose budget resets at its start, is `window: {unit}`; a rolling window is written in days or weeks, e.g. `30d`"),
                    None => "write a rolling window in days or weeks, e.g. `30d`, `28d`, `7d` or `4w`, or a calendar period: `week`, `month` or `quarter`".into(),
                });
                None
            }
            Some(period) if period < MIN_PERIOD => {
                let d = self.error(
                    "spec::window-too-short",
                    format!("window `{text}` is shorter than 3d"),
                    span,
                );
                d.help = Some(
                    "the slowest alert looks back 3d, so the SLO window must be at least `3d`"
                        .into(),
                );
                None
            }
            Some(period) => Some((period, None)),
        }
    }

    pub(super) fn window_is_valid(&self, window: &Spanned<String>) -> bool {
        Duration::parse_count(window.value.trim(), "dw").is_some_and(|p| p >= MIN_PERIOD)
    }

    /// The SLO's `group_by`, sorted: label names, none that lookout
    /// writes itself, none twice, and not on a log SLI.
    pub(super) fn group_by(&mut self, spec: &SloSpec) -> Vec<String> {
        let Some(group_by) = &spec.group_by else {
            return Vec::new();
        };
        if spec.sli.value.logs.is_some() {
            let span = self.span(group_by);
            self.error(
                "spec::group-by-logs",
                "`group_by` is not supported on a log SLI",
                span,
            )
            .help = Some("a log SLI's counts come from lookout's own LogQL, which aggregates the stream into one series; split it into one SLO per value with a `filter`, or use a metric SLI".into());
            return Vec::new();
        }
        let mut labels: Vec<String> = Vec::new();
        for label in &group_by.value {
            let name = label.value.trim();
            let span = self.span(label);
            let reserved = [
                "service",
                "slo",
                "severity",
                crate::model::names::TIER_LABEL,
                crate::model::names::TILE_PART_LABEL,
                "alertname",
                "alertstate",
                "le",
            ];
            if !is_label_name(name) || reserved.contains(&name) {
                self.error(
                    "spec::group-by-label",
                    format!("`{name}` cannot group an SLO"),
                    span,
                )
                .help = Some(if reserved.contains(&name) {
                    format!("lookout writes `{name}` itself; group by a label of your series, such as `route`")
                } else {
                    "a label name: letters, digits and `_`, not starting with a digit".into()
                });
            } else if labels.iter().any(|l| l == name) {
                self.error(
                    "spec::group-by-label",
                    format!("`{name}` is listed twice"),
                    span,
                );
            } else {
                labels.push(name.to_string());
            }
        }
        labels.sort();
        labels
    }

    /// The SLO's `calendar.start`, `HH:MM`, reported at its line if bad.
    pub(super) fn slo_start(&mut self, spec: &SloSpec) -> Option<i32> {
        let start = spec.calendar.as_ref()?.start.as_ref()?;
        let minutes = start.value.split_once(':').and_then(|(h, m)| {
            let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
            (h.to_string().len() <= 2
                && m.to_string().len() <= 2
                && (0..24).contains(&h)
                && (0..60).contains(&m))
            .then_some(h * 60 + m)
        });
        if minutes.is_none() {
            let span = self.span(start);
            self.error(
                "spec::calendar-start",
                format!(
                    "`calendar.start` must be a time of day, `HH:MM`, got `{}`",
                    start.value
                ),
                span,
            )
            .help = Some(
                "e.g. `start: \"12:00\"` for periods that start at noon; the default is `00:00`"
                    .into(),
            );
        }
        minutes
    }

    /// The SLO's own `calendar.utc_offset`, reported at its line if bad.
    pub(super) fn slo_utc_offset(&mut self, spec: &SloSpec) -> Option<i32> {
        let offset = spec.calendar.as_ref()?.utc_offset.as_ref()?;
        let minutes = crate::model::calendar::parse_utc_offset(&offset.value);
        if minutes.is_none() {
            let span = self.span(offset);
            self.error(
                "spec::utc-offset",
                format!(
                    "`calendar.utc_offset` must be `+HH:MM` or `-HH:MM` within ±14:00, got `{}`",
                    offset.value
                ),
                span,
            )
            .help = Some(crate::check::settings::utc_offset_help(&offset.value));
        }
        minutes
    }
}
