//! A service's dashboard: its golden signals, then a row per SLO (SLI,
//! budget, burn rates against the alert thresholds, alert states).

use super::*;
use crate::model::{Calendar, CalendarUnit};

pub(super) fn service_dashboard(service: &Service, datasource: Option<&str>) -> Json {
    let mut layout = Layout::new();
    golden_signals(service, &mut layout);
    let zone = calendar_timezone(service);
    for slo in &service.slos {
        slo_row(slo, &mut layout, zone.as_deref());
    }
    let mut tags = vec![
        TAG.to_string(),
        crate::emit::project_marker(&service.project),
        format!("service:{}", service.name),
    ];
    if let Some(team) = &service.team {
        tags.push(format!("team:{team}"));
    }
    let description = format!(
        "{GENERATED_MARKER} Source: {}. SLOs and golden signals of {}.",
        service.source.display(),
        service.name
    );
    let mut variables = vec![datasource_variable(datasource)];
    if !service.slos.is_empty() {
        let names: Vec<&str> = service.slos.iter().map(|slo| slo.name.as_str()).collect();
        variables.push(multi_variable(
            "custom",
            SLO_VARIABLE,
            "SLO",
            &names.join(","),
        ));
    }
    // A variable per `group_by` label: each group of a grouped SLO is
    // chosen as an SLO is.
    for label in crate::model::group_labels(service.slos.iter()) {
        variables.push(multi_variable(
            "query",
            &label,
            &label,
            &format!(
                "label_values({}{{service={}}}, {label})",
                names::CURRENT_BURN_RATE,
                names::promql_string(&service.name)
            ),
        ));
    }
    let mut dashboard = dashboard(
        &dashboard_uid(&service.name),
        &format!("SLOs / {}", service.name),
        &description,
        tags,
        vec![link(
            "SLO overview",
            &format!("/d/{}", super::overview_uid(&service.project)),
            "Every SLO of every service",
        )],
        variables,
        layout,
    );
    // A calendar burndown's `now/M` starts at midnight in the dashboard's
    // zone: the periods' own, when they share one Grafana can name.
    if let Some(zone) = calendar_timezone(service) {
        dashboard.set("timezone", zone);
    }
    let weeks = service.slos.iter().filter_map(|slo| slo.calendar);
    if weeks.into_iter().any(|c| c.unit == CalendarUnit::Week) {
        dashboard.set("weekStart", "monday");
    }
    dashboard
}

/// The zone of the service's calendar SLOs, when they have one offset
/// and Grafana has a zone for it.
fn calendar_timezone(service: &Service) -> Option<String> {
    let mut offsets = service
        .slos
        .iter()
        .filter_map(|slo| slo.calendar.map(|c| c.utc_offset_minutes));
    let first = offsets.next()?;
    if offsets.any(|other| other != first) {
        return None;
    }
    service
        .slos
        .iter()
        .find_map(|slo| slo.calendar)?
        .grafana_timezone()
}

/// What a calendar burndown's start is, when the dashboard's zone is not
/// the period's.
fn burndown_start_note(service_zone: Option<&str>, calendar: Calendar) -> String {
    match (service_zone, calendar.grafana_timezone()) {
        (Some(zone), Some(own)) if zone == own => String::new(),
        _ => format!(
            " The chart starts at midnight in the dashboard's time zone, not at the period's start ({}).",
            calendar.reset_time()
        ),
    }
}

/// The first SLO with event counts, whose recorded rates stand in for
/// undeclared traffic and error signals.
pub(super) fn first_event_slo(service: &Service) -> Option<&Slo> {
    service
        .slos
        .iter()
        .find(|s| s.sli.event_queries().is_some())
}

/// A declared rate signal, or else the SLI's recorded rate `series`:
/// `(query, unit, where it came from)`.
pub(super) fn rate_signal(
    declared: Option<&crate::model::Signal>,
    recorded: Option<&Slo>,
    series: &str,
    what: &str,
) -> Option<(String, String, String)> {
    match (declared, recorded) {
        (Some(signal), _) => Some((
            signal.query.clone(),
            signal.unit.clone().unwrap_or_else(|| "reqps".into()),
            "declared".into(),
        )),
        (None, Some(slo)) => Some((
            format!("{series}{}", names::selector(slo)),
            "reqps".into(),
            format!("{what} of the {} SLI", slo.name),
        )),
        (None, None) => None,
    }
}

pub(super) fn golden_signals(service: &Service, layout: &mut Layout) {
    let signals = &service.signals;
    let mut panels: Vec<Json> = Vec::new();
    let recorded = first_event_slo(service);
    let traffic = rate_signal(
        signals.traffic.as_ref(),
        recorded,
        names::EVENTS_RATE,
        "events",
    );
    if let Some((query, unit, origin)) = traffic {
        panels.push(timeseries(
            "Traffic",
            &format!("Requests per second ({origin})."),
            vec![target("A", &query, "traffic", false)],
            j!({"unit": unit, "min": 0}),
        ));
    }
    let errors = rate_signal(
        signals.errors.as_ref(),
        recorded,
        names::ERRORS_RATE,
        "errors",
    );
    if let Some((query, unit, origin)) = errors {
        panels.push(timeseries(
            "Errors",
            &format!("Failed requests per second ({origin})."),
            vec![target("A", &query, "errors", false)],
            j!({"unit": unit, "min": 0, "color": {"mode": "fixed", "fixedColor": "red"}}),
        ));
    }
    let latency = signals
        .latency
        .as_ref()
        .map(|h| (h.histogram.clone(), h.matchers.clone()))
        .or_else(|| {
            service.slos.iter().find_map(|slo| match &slo.sli {
                Sli::Metric(MetricSli::Latency {
                    histogram,
                    matchers,
                    ..
                }) => Some((histogram.clone(), matchers.clone())),
                _ => None,
            })
        });
    if let Some((histogram, matchers)) = latency {
        let mut selector = matchers.clone();
        if !selector.is_empty() {
            selector.push(',');
        }
        let targets = [0.5, 0.9, 0.99]
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let expr = format!(
                    "histogram_quantile({q}, sum by (le) (rate({histogram}_bucket{{{}}}[$__rate_interval])))",
                    selector.trim_end_matches(',')
                );
                target(&ref_id(i), &expr, &format!("p{}", fmt_num(q * 100.0)), false)
            })
            .collect();
        panels.push(timeseries(
            "Latency",
            &format!("p50, p90 and p99 from `{histogram}`."),
            targets,
            j!({"unit": "s", "min": 0}),
        ));
    }
    if let Some(saturation) = &signals.saturation {
        panels.push(timeseries(
            "Saturation",
            "How full the service is (declared).",
            vec![target("A", &saturation.query, "saturation", false)],
            j!({"unit": saturation.unit.clone().unwrap_or_else(|| "percentunit".into()), "min": 0}),
        ));
    }
    if panels.is_empty() && signals.panels.is_empty() {
        return;
    }
    layout.row("Golden signals");
    let width = 24 / panels.len().max(1) as u32;
    for panel in panels {
        layout.add(width, 8, panel);
    }
    layout.new_line();
    for extra in &signals.panels {
        let mut defaults = j!({"unit": extra.unit.clone().unwrap_or_else(|| "short".into())});
        if let Some(threshold) = extra.threshold {
            // Grafana colours a value by the last step at or below it.
            let steps = match extra.threshold_direction {
                crate::model::ThresholdDirection::Above => {
                    [(None, "green"), (Some(threshold), "red")]
                }
                crate::model::ThresholdDirection::Below => {
                    [(None, "red"), (Some(threshold), "green")]
                }
            };
            defaults.set("thresholds", thresholds(&steps));
            defaults.set("custom", j!({"thresholdsStyle": {"mode": "line"}}));
        }
        layout.add(
            8,
            8,
            timeseries(
                &extra.title,
                "Declared in the service spec's `signals.panels`.",
                vec![target(
                    "A",
                    &extra.query,
                    extra.legend.as_deref().unwrap_or(""),
                    false,
                )],
                defaults,
            ),
        );
    }
}

/// `{service="…",slo="…",slo=~"$slo"}`: one SLO's series, empty when the
/// dashboard's SLO variable leaves this SLO out.
/// `{service="…",slo="…",slo=~"$slo"}`: the SLO's own series, which a
/// group does not split.
fn slo_selector(slo: &Slo) -> String {
    let selector = names::selector(slo);
    format!(
        "{},slo=~\"${SLO_VARIABLE}\"}}",
        selector.trim_end_matches('}')
    )
}

/// `,route=~"$route"`: a grouped SLO's series of the groups the
/// dashboard's variables choose.
fn group_matchers(slo: &Slo) -> String {
    slo.group_by
        .iter()
        .map(|label| format!(",{label}=~\"${label}\""))
        .collect()
}

pub(super) fn focused_selector(slo: &Slo) -> String {
    let selector = names::selector(slo);
    let groups = group_matchers(slo);
    format!(
        "{},slo=~\"${SLO_VARIABLE}\"{groups}}}",
        selector.trim_end_matches('}')
    )
}

pub(super) fn slo_row(slo: &Slo, layout: &mut Layout, zone: Option<&str>) {
    let selector = focused_selector(slo);
    let budget = fmt_num(slo.error_budget());
    let runbook = slo
        .alerting
        .runbook_url
        .as_ref()
        .map(|url| link("Runbook", url, "What to do when this SLO burns"));
    let links: Vec<Json> = runbook.iter().cloned().collect();
    let over = if slo.calendar.is_some() {
        "per"
    } else {
        "over"
    };
    layout.row(&format!(
        "{}: {}% {over} {}",
        slo.name,
        fmt_num(slo.objective),
        slo.period_description()
    ));

    let description = slo.description.clone().unwrap_or_default();
    let mut sli = timeseries(
        "SLI against objective",
        &description,
        vec![
            target(
                "A",
                &format!("1 - {}{selector}", names::error_ratio(Duration::minutes(5))),
                &legend(slo, "SLI (5m)"),
                false,
            ),
            target(
                "B",
                &format!("1 - {}{selector}", names::error_ratio(Duration::hours(1))),
                &legend(slo, "SLI (1h)"),
                false,
            ),
            target(
                "C",
                // One series per SLO, whatever group is chosen.
                &format!("{}{}", names::OBJECTIVE, slo_selector(slo)),
                "objective",
                false,
            ),
        ],
        j!({"unit": "percentunit", "max": 1, "decimals": 3}),
    );
    sli.set("links", links.clone());
    layout.add(8, 8, sli);

    let remaining = format!("1 - {}{selector}", names::PERIOD_BURN_RATE);
    let (burndown_text, budget_text, time_from) = match slo.calendar {
        None => (
            format!(
                "Share of the error budget left over the last {}, the SLO window (below 0: overspent).",
                slo.period
            ),
            format!(
                "Share of the {} error budget left (below 0: overspent).",
                slo.period
            ),
            slo.period.to_string(),
        ),
        Some(calendar) => {
            let unit = calendar.unit.as_str();
            let left = format!(
                "Share of this {unit}'s error budget left: the errors so far against the budget projected for the whole {unit} from its traffic so far (below 0: overspent). It resets to 100% at the {unit}'s start, {}.",
                calendar.reset_time()
            );
            (
                format!("{left}{}", burndown_start_note(zone, calendar)),
                left,
                calendar.unit.grafana_time_from().to_string(),
            )
        }
    };
    let mut burndown = timeseries(
        "Error budget burndown",
        &burndown_text,
        vec![target(
            "A",
            &remaining,
            &legend(slo, "budget remaining"),
            false,
        )],
        j!({
            "unit": "percentunit",
            "decimals": 1,
            "thresholds": budget_thresholds(),
            "custom": {"thresholdsStyle": {"mode": "dashed"}},
        }),
    );
    burndown.set("timeFrom", j!(time_from));
    layout.add(8, 8, burndown);

    layout.add(
        4,
        8,
        stat(
            "Error budget remaining",
            &budget_text,
            vec![target("A", &remaining, "", false)],
            j!({
                "unit": "percentunit",
                "decimals": 1,
                "thresholds": budget_thresholds(),
            }),
        ),
    );

    let mut exhaustion = stat(
        "Budget exhausted in",
        &format!(
            "At the last {}'s burn rate, when {} error budget runs out.",
            names::CURRENT_BURN_WINDOW,
            match slo.calendar {
                Some(calendar) => format!("this {}'s", calendar.unit.as_str()),
                None => format!("the {}", slo.period),
            }
        ),
        vec![target(
            "A",
            &format!(
                "clamp_min({remaining}, 0) * {} / ({}{selector} > 0)",
                slo.period.seconds(),
                names::CURRENT_BURN_RATE
            ),
            "",
            false,
        )],
        j!({
            "unit": "s",
            "decimals": 1,
            // Not `noValue`: an empty stat takes the thresholds' base colour, red.
            "mappings": [{"type": "special", "options": {
                "match": "null",
                "result": {"text": "not burning", "color": "green", "index": 0},
            }}],
            "thresholds": exhaustion_thresholds(),
        }),
    );
    exhaustion.set("links", j!(links.clone()));
    layout.add(4, 8, exhaustion);

    layout.add(16, 8, burn_rate_panel(slo, &selector, &budget));
    for severity in [Severity::Page, Severity::Ticket] {
        let mut state = alert_state_stat(slo, severity);
        state.set("links", j!(links.clone()));
        layout.add(4, 8, state);
    }
}

/// A series' legend, and for a grouped SLO its group: `SLI (5m) {{route}}`.
fn legend(slo: &Slo, text: &str) -> String {
    let groups: String = slo
        .group_by
        .iter()
        .map(|label| format!(" {{{{{label}}}}}"))
        .collect();
    format!("{text}{groups}")
}

/// Each enabled window pair as one line: the lower of its long and short
/// window's error ratio, divided by the pair's threshold. The pair's alert
/// condition holds exactly where its line is above 1, so one threshold
/// line serves every tier and disabled tiers draw nothing.
pub(super) fn burn_rate_panel(slo: &Slo, selector: &str, budget: &str) -> Json {
    let mut targets = Vec::new();
    for tier in &slo.alerting.tiers {
        for pair in &tier.pairs {
            let threshold = fmt_num(pair.threshold);
            let long = format!("{}{selector}", names::error_ratio(pair.long));
            let short = format!("{}{selector}", names::error_ratio(pair.short));
            targets.push(target(
                &ref_id(targets.len()),
                &format!("(({long} <= {short}) or ({short} < {long})) / {threshold}"),
                &legend(
                    slo,
                    &format!(
                        "{}: {} and {} (fires at {}x)",
                        tier.severity.as_str(),
                        pair.long,
                        pair.short,
                        fmt_num(pair.factor)
                    ),
                ),
                false,
            ));
        }
    }
    if targets.is_empty() {
        // Alerting off: the plain burn rate, 1 spending the budget exactly.
        let period = (
            names::period_error_ratio(slo),
            match slo.calendar {
                Some(calendar) => format!("this {}", calendar.unit.as_str()),
                None => slo.period.to_string(),
            },
        );
        let current = (
            names::error_ratio(names::CURRENT_BURN_WINDOW),
            names::CURRENT_BURN_WINDOW.to_string(),
        );
        for (i, (series, window)) in [current, period].iter().enumerate() {
            targets.push(target(
                &ref_id(i),
                &format!("{series}{selector} / {budget}"),
                &format!("burn rate {window}"),
                false,
            ));
        }
        return timeseries(
            "Burn rate",
            "Error ratio in multiples of the error budget: above 1 the budget runs out before the window ends. Alerting is off for this SLO.",
            targets,
            j!({
                "unit": "none",
                "decimals": 2,
                "min": 0,
                "thresholds": thresholds(&[(None, "green"), (Some(1.0), "orange")]),
                "custom": {"thresholdsStyle": {"mode": "line"}},
            }),
        );
    }
    timeseries(
        "Burn rate against alert thresholds",
        "One line per alert window pair: the lower of its long and short window's burn, as a share of the pair's threshold. The alert fires while a line is above 1.",
        targets,
        j!({
            "unit": "none",
            "decimals": 2,
            "min": 0,
            "thresholds": thresholds(&[(None, "green"), (Some(1.0), "red")]),
            "custom": {"thresholdsStyle": {"mode": "line"}},
        }),
    )
}

/// Alert states as numbers for the stat panels, mapped to words; pending
/// is the ALERTS series' own 1.
pub(super) const ALERT_OFF: i32 = -1;
pub(super) const ALERT_FIRING: i32 = 2;

/// Page or ticket: firing, pending, OK, or "alerting off" when the tier is
/// disabled, which Prometheus cannot tell from "not firing".
pub(super) fn alert_state_stat(slo: &Slo, severity: Severity) -> Json {
    let tier = slo.alerting.tiers.iter().find(|t| t.severity == severity);
    let query = match tier {
        Some(_) => {
            let alerts = |state: &str| {
                // A grouped SLO's: of the groups the dashboard shows.
                let groups = group_matchers(slo);
                format!(
                    "ALERTS{{alertname={},service={},slo={},{}=\"{}\",alertstate=\"{state}\"{groups}}}",
                    names::promql_string(&slo.alerting.name),
                    names::promql_string(&slo.service),
                    names::promql_string(&slo.name),
                    names::TIER_LABEL,
                    severity.as_str(),
                )
            };
            format!(
                "max({ALERT_FIRING} * {} or {}) or vector(0)",
                alerts("firing"),
                alerts("pending")
            )
        }
        None => format!("vector({ALERT_OFF})"),
    };
    let title = match severity {
        Severity::Page => "Page alert",
        Severity::Ticket => "Ticket alert",
    };
    let description = match tier {
        Some(tier) => format!(
            "`{}` with severity `{}`: firing, pending (within `for`), or OK.",
            slo.alerting.name, tier.severity_label
        ),
        None => format!("The {} tier is disabled in the spec.", severity.as_str()),
    };
    let state =
        |text: &str, color: &str, index: u32| j!({"text": text, "color": color, "index": index});
    // Keys are ALERT_OFF, 0, ALERT_PENDING and ALERT_FIRING.
    let mappings = j!([{"type": "value", "options": {
        "-1": state("alerting off", "text", 0),
        "0": state("OK", "green", 1),
        "1": state("pending", "orange", 2),
        "2": state("firing", "red", 3),
    }}]);
    stat(
        title,
        &description,
        vec![target("A", &query, "", false)],
        j!({"unit": "none", "decimals": 0, "mappings": mappings}),
    )
}

/// Time-to-exhaustion colours: red under a day, orange under a week.
pub(super) fn exhaustion_thresholds() -> Json {
    thresholds(&[
        (None, "red"),
        (Some(86_400.0), "orange"),
        (Some(604_800.0), "green"),
    ])
}

/// Budget-remaining colours, shared by the SLO rows and the overview table.
pub(super) fn budget_thresholds() -> Json {
    thresholds(&[
        (None, "red"),
        (Some(0.0), "orange"),
        (Some(0.25), "yellow"),
        (Some(0.5), "green"),
    ])
}
