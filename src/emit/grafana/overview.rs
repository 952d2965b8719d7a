//! The SLO overview: one table row per SLO, every query aggregated
//! `by (service, slo, team)` so Grafana's merge joins them into that row.

use super::*;

/// Columns of the overview table, in order: query `refId`, the column's
/// name after the organize step, and its expression. Every query is
/// aggregated `by (service, slo, team)`, so all of them carry the same
/// labels and no `__name__`, and Grafana's merge joins them into exactly one
/// row per SLO.
pub(super) struct OverviewColumn {
    title: &'static str,
    /// The label holding the column's text, for alert states; else the
    /// query's value (`Value #<refId>`).
    label: Option<&'static str>,
    expr: String,
}

/// Labels every overview query keeps; `team` is empty where none is set.
pub(super) const OVERVIEW_BY: &str = "service, slo, team";

/// The overview's columns, every query kept `by (service, slo, team)` and
/// the `group_by` labels of every grouped SLO (`groups`): a grouped SLO
/// has a row per group, others one row, where those labels are empty.
pub(super) fn overview_columns(groups: &[String]) -> Vec<OverviewColumn> {
    let filter = "{slo!=\"\",service=~\"$service\",team=~\"$team\"}";
    let keep: String = std::iter::once(OVERVIEW_BY.to_string())
        .chain(groups.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    let by = |expr: String| format!("max by ({keep}) ({expr})");
    let by_and = |label: &str, expr: String| format!("max by ({keep}, {label}) ({expr})");
    let series = |name: &str| format!("{name}{filter}");
    // One sample of 1 per row: per group of a grouped SLO, else per SLO.
    let rows = format!("group by ({keep}) ({})", series(names::CURRENT_BURN_RATE));
    // A period's length is one series per SLO, whatever its groups.
    let days = format!(
        "on (service, slo) group_left () {}",
        series(names::TIME_PERIOD_DAYS)
    );
    // Of the page pair over the current burn window: `current burn ÷
    // (days × this)` reaches 1 exactly at that SLO's page rate.
    let page_factor_per_day = fmt_num(current_window_page_factor_per_day());
    // Firing, else pending, else OK when the tier is on, else off: per
    // row; an SLO with no rows yet (no data) from its objective alone.
    let state = |tier: Severity, label: &'static str| {
        let alerts = |state: &str| {
            format!(
                "label_replace(ALERTS{{alertstate=\"{state}\",{}=\"{}\",slo!=\"\",service=~\"$service\",team=~\"$team\"}}, \"{label}\", \"{state}\", \"\", \"\")",
                names::TIER_LABEL,
                tier.as_str()
            )
        };
        let objective = |op: &str, selector: &str| {
            format!(
                "{}{{{}{op}\"{selector}\",slo!=\"\",service=~\"$service\",team=~\"$team\"}}",
                names::OBJECTIVE,
                names::ALERTING_LABEL,
            )
        };
        let on_rows = |op: &str, text: &str| {
            format!(
                "label_replace({rows} * on (service, slo) group_left () group by (service, slo) ({}), \"{label}\", \"{text}\", \"\", \"\")",
                objective(op, &format!(".*{}.*", tier.as_str()))
            )
        };
        let info = |op: &str, text: &str| {
            format!(
                "label_replace({}, \"{label}\", \"{text}\", \"\", \"\")",
                objective(op, &format!(".*{}.*", tier.as_str()))
            )
        };
        let per_row = format!("or on ({keep})");
        let per_slo = "or on (service, slo)";
        by_and(
            label,
            format!(
                "{} {per_row} {} {per_row} {} {per_row} {} {per_slo} {} {per_slo} {}",
                alerts("firing"),
                alerts("pending"),
                on_rows("=~", "OK"),
                on_rows("!~", ALERTING_OFF),
                info("=~", "OK"),
                info("!~", ALERTING_OFF),
            ),
        )
    };
    vec![
        OverviewColumn {
            title: "Objective",
            label: None,
            expr: format!(
                "{} or on (service, slo) {}",
                by(format!(
                    "{rows} * on (service, slo) group_left () {}",
                    series(names::OBJECTIVE)
                )),
                by(series(names::OBJECTIVE))
            ),
        },
        OverviewColumn {
            title: "SLI over window",
            label: None,
            // A calendar SLO's ratio since its period started; else burn ×
            // budget, a rolling window's error ratio whatever its length.
            // The objective carries info labels, hence `on`.
            expr: format!(
                "1 - ({} or {})",
                by(series(names::ERROR_RATIO_TO_DATE)),
                by(format!(
                    "{} * on ({OVERVIEW_BY}) group_left () (1 - {})",
                    series(names::PERIOD_BURN_RATE),
                    series(names::OBJECTIVE)
                ))
            ),
        },
        OverviewColumn {
            title: "Budget remaining",
            label: None,
            expr: by(format!("1 - {}", series(names::PERIOD_BURN_RATE))),
        },
        OverviewColumn {
            title: "Exhausted in",
            label: None,
            expr: by(format!(
                "clamp_min(1 - {}, 0) * {days} * 86400 / ({} > 0)",
                series(names::PERIOD_BURN_RATE),
                series(names::CURRENT_BURN_RATE)
            )),
        },
        OverviewColumn {
            title: "Burn rate (1h)",
            label: None,
            expr: by(series(names::CURRENT_BURN_RATE)),
        },
        OverviewColumn {
            title: "Of page rate (1h)",
            label: None,
            expr: by(format!(
                "{} / {days} / {page_factor_per_day}",
                series(names::CURRENT_BURN_RATE),
            )),
        },
        OverviewColumn {
            title: "Page alert",
            label: Some("page"),
            expr: state(Severity::Page, "page"),
        },
        OverviewColumn {
            title: "Ticket alert",
            label: Some("ticket"),
            expr: state(Severity::Ticket, "ticket"),
        },
    ]
}

/// The table's value field per query, `Value #<refId>` for refIds A, B, ….
pub(super) const VALUE_FIELDS: [&str; 8] = [
    "Value #A", "Value #B", "Value #C", "Value #D", "Value #E", "Value #F", "Value #G", "Value #H",
];

/// The overview's text for an SLO whose tier is disabled.
pub(super) const ALERTING_OFF: &str = "alerting off";

pub(super) fn overview_dashboard(
    services: &[Service],
    datasource: Option<&str>,
    project: &str,
) -> Json {
    let slo_count: usize = services.iter().map(|s| s.slos.len()).sum();
    let groups = crate::model::group_labels(services.iter().flat_map(|s| &s.slos));
    let columns = overview_columns(&groups);
    assert!(columns.len() <= VALUE_FIELDS.len());
    let targets: Vec<Json> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| target(&ref_id(i), &column.expr, "", true))
        .collect();
    // Grafana's Prometheus data source names a table query's value field
    // `Value #<refId>` when a panel has several queries
    // (packages/grafana-prometheus/src/result_transformer.ts).
    let mut exclude = vec![("Time", Json::from(true))];
    let mut rename = Vec::new();
    let mut index = vec![
        ("service", Json::from(0)),
        ("slo", Json::from(1)),
        ("team", Json::from(2)),
    ];
    for (i, label) in groups.iter().enumerate() {
        // Json's keys are static; a handful of label names per build.
        let label: &'static str = Box::leak(label.clone().into_boxed_str());
        index.push((label, Json::from(3 + i)));
    }
    let first = 3 + groups.len();
    for (i, column) in columns.iter().enumerate() {
        let value_field = VALUE_FIELDS[i];
        let shown = match column.label {
            Some(label) => {
                exclude.push((value_field, Json::from(true)));
                label
            }
            None => value_field,
        };
        rename.push((shown, Json::from(column.title)));
        index.push((shown, Json::from(i + first)));
    }
    let by_name = |name: &str, properties: Json| j!({"matcher": {"id": "byName", "options": name}, "properties": properties});
    // A grouped SLO's row opens its service dashboard on its group.
    let group_vars: String = groups
        .iter()
        .map(|label| format!("&var-{label}=${{__data.fields.{label}}}"))
        .collect();
    let service_link = link(
        "Service dashboard",
        &format!(
            "/d/{}?${{__url_time_range}}&var-{SLO_VARIABLE}=${{__data.fields.slo}}{group_vars}",
            dashboard_uid("${__data.fields.service}")
        ),
        "This SLO on its service dashboard, over the same time range",
    );
    let alert_colors = j!({"type": "value", "options": {
        "firing": {"color": "red", "index": 0},
        "pending": {"color": "orange", "index": 1},
        "OK": {"color": "green", "index": 2},
    }});
    let mut overrides = vec![
        by_name(
            "Budget remaining",
            j!([
                {"id": "thresholds", "value": budget_thresholds()},
                {"id": "custom.cellOptions", "value": {"type": "color-background"}},
            ]),
        ),
        by_name(
            "Exhausted in",
            j!([
                {"id": "unit", "value": "s"},
                {"id": "decimals", "value": 1},
                {"id": "thresholds", "value": exhaustion_thresholds()},
                {"id": "custom.cellOptions", "value": {"type": "color-text"}},
            ]),
        ),
        by_name(
            "Burn rate (1h)",
            j!([
                {"id": "unit", "value": "suffix:x"},
                {"id": "thresholds", "value": thresholds(&[(None, "green"), (Some(1.0), "orange")])},
                {"id": "custom.cellOptions", "value": {"type": "color-text"}},
            ]),
        ),
        by_name(
            "Of page rate (1h)",
            j!([
                {"id": "thresholds", "value": thresholds(&[(None, "green"), (Some(0.5), "orange"), (Some(1.0), "red")])},
                {"id": "custom.cellOptions", "value": {"type": "color-background"}},
            ]),
        ),
    ];
    for title in ["Page alert", "Ticket alert"] {
        overrides.push(by_name(
            title,
            j!([
                {"id": "mappings", "value": [alert_colors.clone()]},
                {"id": "custom.cellOptions", "value": {"type": "color-text"}},
            ]),
        ));
    }
    let table = j!({
        "type": "table",
        "title": "Every SLO",
        "description": "One row per SLO, and per group of a grouped SLO (`group_by`). SLI over window: a calendar SLO's since its period began. Burn rate: error ratio over the last hour in multiples of the error budget (above 1x the budget runs out before the window ends). Of page rate: the same burn as a share of that SLO's own one-hour page threshold (100% pages once the 5m window agrees). Exhausted in: when the budget runs out at that burn. Click a row for the SLO on its service dashboard.",
        "targets": targets,
        "transformations": [
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {
                "excludeByName": Json::Obj(exclude),
                "indexByName": Json::Obj(index),
                "renameByName": Json::Obj(rename),
            }},
        ],
        "fieldConfig": {
            "defaults": {
                "unit": "percentunit",
                "decimals": 2,
                "links": [service_link],
                "custom": {"align": "auto", "cellOptions": {"type": "auto"}},
            },
            "overrides": overrides,
        },
        "options": {"showHeader": true, "sortBy": [{"displayName": "Budget remaining", "desc": false}]},
    });
    let mut layout = Layout::new();
    layout.add(24, (slo_count as u32 + 3).clamp(8, 40), table);
    let links = vec![j!({
        "title": "Service dashboards",
        "type": "dashboards",
        "icon": "external link",
        "tooltip": "",
        "tags": [TAG],
        "asDropdown": true,
        "targetBlank": false,
        "includeVars": false,
        "keepTime": true,
    })];
    let team_values = format!("label_values({}, team)", names::OBJECTIVE);
    let service_values = format!(
        "label_values({}{{team=~\"$team\"}}, service)",
        names::OBJECTIVE
    );
    dashboard(
        &overview_uid(project),
        &format!("SLO overview ({project})"),
        &format!("{GENERATED_MARKER} Every SLO of every service, worst budget first."),
        vec![
            TAG.into(),
            crate::emit::project_marker(project),
            "slo-overview".into(),
        ],
        links,
        vec![
            datasource_variable(datasource),
            multi_variable("query", "team", "Team", &team_values),
            multi_variable("query", "service", "Service", &service_values),
        ],
        layout,
    )
}
