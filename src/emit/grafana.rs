//! Grafana dashboards: `dashboards/grafana/<service>.json`, the
//! `slo-overview.json` table of every SLO, and a file-provider
//! `provisioning.yaml`.
//!
//! Classic dashboard JSON, which the HTTP API, file provisioning and the
//! sidecar all accept on Grafana 10.4 to 13; Grafana 13's v2 resource format
//! fails in file provisioning. Every panel queries the `datasource` variable
//! by uid. Every series name comes from `model::names`, so a panel cannot
//! refer to a rule that is not recorded. Links use the full `DashboardLink`
//! shape, which the JSON Schema demands even where Grafana reads only
//! `title` and `url`; data links carry the time range in the URL
//! (`${__url_time_range}`), since `keepTime` is not a data-link field.

use super::json::Json;
use crate::j;

use super::yaml::{self, Node};
use super::{Artifact, Kind, GENERATED_MARKER};
use crate::model::settings::{self, GrafanaSettings};
use crate::model::{
    current_window_page_factor_per_day, fmt_num, names, Duration, MetricSli, Service, Severity,
    Sli, Slo,
};

/// The newest schema every supported Grafana knows: 10.4's frontend
/// migrates up to 39, and the backend migrator of 12.x
/// (`apps/dashboard/pkg/migration/migrate.go`) fails a dashboard *newer*
/// than its `LATEST_VERSION` ("schema version not migrated to target
/// version") while it migrates an older one forward. See ARCHITECTURE.md.
pub const SCHEMA_VERSION: u32 = 39;
pub const OVERVIEW_UID: &str = "lookout-slo-overview";

/// The tag on every dashboard lookout writes; push owns only tagged ones.
pub const TAG: &str = "lookout";

/// Prefix of every dashboard uid lookout writes.
pub const UID_PREFIX: &str = "lookout-";

/// The folder uid for a folder title, shared by file provisioning
/// (`folderUid`) and push, so both put dashboards in the same folder.
/// Folder uids are at most 40 characters of `[a-zA-Z0-9_-]`.
pub fn folder_uid(title: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let uid = format!("{UID_PREFIX}{}", slug.trim_matches('-'));
    uid.chars().take(40).collect()
}

/// Stable dashboard uid of a service: at most 40 characters, since
/// service names are at most 32.
pub fn dashboard_uid(service: &str) -> String {
    format!("{UID_PREFIX}{service}")
}

/// Grafana URL path of a service dashboard.
pub fn dashboard_path(service: &str) -> String {
    format!("/d/{}", dashboard_uid(service))
}

/// A dashboard before it becomes a file: `file` is its name in
/// `dashboards/grafana/`. The kubernetes backend packages the same value.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub file: String,
    pub uid: String,
    /// Pretty JSON, for the file.
    pub pretty: String,
    /// One-line JSON, for the ConfigMap.
    pub compact: String,
}

impl Dashboard {
    fn new(file: String, uid: String, json: &Json) -> Self {
        let (pretty, compact) = json.pretty_and_compact();
        Dashboard {
            file,
            uid,
            pretty,
            compact,
        }
    }
}

pub fn emit(
    services: &[Service],
    layout: &settings::Layout,
    grafana: &GrafanaSettings,
) -> Vec<Artifact> {
    artifacts(dashboards(services, grafana), layout)
}

/// One dashboard per service.
pub fn dashboards(services: &[Service], grafana: &GrafanaSettings) -> Vec<Dashboard> {
    let datasource = grafana.datasource.as_deref();
    services
        .iter()
        .filter(|service| has_dashboard(service))
        .map(|service| {
            Dashboard::new(
                service_file(&service.name),
                dashboard_uid(&service.name),
                &service_dashboard(service, datasource),
            )
        })
        .collect()
}

fn service_file(service: &str) -> String {
    format!("{service}.json")
}

/// The generated dashboards' files in the Grafana folder, which a custom
/// jsonnet dashboard may not take.
pub fn generated_files(services: &[Service]) -> std::collections::HashSet<String> {
    services
        .iter()
        .filter(|service| has_dashboard(service))
        .map(|service| service_file(&service.name))
        .chain([OVERVIEW_FILE.to_string()])
        .collect()
}

/// A service that only ships logs, or only has log SLOs, has nothing to
/// chart from Prometheus, so it gets no dashboard.
pub fn has_dashboard(service: &Service) -> bool {
    !service.slos.is_empty() || has_signals(&service.signals)
}

fn has_signals(signals: &crate::model::Signals) -> bool {
    signals.traffic.is_some()
        || signals.errors.is_some()
        || signals.latency.is_some()
        || signals.saturation.is_some()
        || !signals.panels.is_empty()
}

const OVERVIEW_FILE: &str = "slo-overview.json";

/// The overview of every SLO; emitted once, not per chunk of services.
pub fn overview(services: &[Service], grafana: &GrafanaSettings) -> Dashboard {
    Dashboard::new(
        OVERVIEW_FILE.into(),
        OVERVIEW_UID.into(),
        &overview_dashboard(services, grafana.datasource.as_deref()),
    )
}

/// Dashboards as pretty-printed files, as Grafana exports them.
pub fn artifacts(dashboards: Vec<Dashboard>, layout: &settings::Layout) -> Vec<Artifact> {
    let dir = layout.grafana_dir();
    dashboards
        .into_iter()
        .map(|d| Artifact {
            path: dir.join(&d.file),
            contents: d.pretty.into(),
            kind: Kind::GrafanaDashboard { uid: d.uid },
        })
        .collect()
}

/// The file provider's config.
pub fn provisioning_artifact(layout: &settings::Layout, grafana: &GrafanaSettings) -> Artifact {
    Artifact::file(
        layout.grafana_dir().join("provisioning.yaml"),
        provisioning(grafana),
    )
}

fn datasource() -> Json {
    j!({"type": "prometheus", "uid": "${datasource}"})
}

/// A link in the full shape the schema requires (Grafana reads title and url).
fn link(title: &str, url: &str, tooltip: &str) -> Json {
    j!({
        "title": title,
        "type": "link",
        "url": url,
        "icon": "external link",
        "tooltip": tooltip,
        "tags": [],
        "asDropdown": false,
        "targetBlank": false,
        "includeVars": false,
        "keepTime": true,
    })
}

/// A Prometheus query. Targets inherit the panel's `${datasource}`, and
/// range queries are Grafana's default, so neither is repeated here: on
/// 10,000 SLOs that is a tenth of the dashboard bytes.
fn target(ref_id: &str, expr: &str, legend: &str, instant: bool) -> Json {
    let mut target = j!({"refId": ref_id, "expr": expr});
    if !legend.is_empty() {
        target.set("legendFormat", j!(legend));
    }
    if instant {
        target.set("instant", j!(true));
        target.set("range", j!(false));
        target.set("format", j!("table"));
    }
    target
}

fn ref_id(i: usize) -> String {
    char::from(b'A' + (i % 26) as u8).to_string()
}

fn thresholds(steps: &[(Option<f64>, &str)]) -> Json {
    let steps: Vec<Json> = steps
        .iter()
        .map(|(value, color)| j!({"value": value, "color": color}))
        .collect();
    j!({"mode": "absolute", "steps": steps})
}

/// Places panels left to right in rows of 24 columns, and numbers them.
struct Layout {
    panels: Vec<Json>,
    next_id: u32,
    x: u32,
    y: u32,
    row_height: u32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            panels: Vec::new(),
            next_id: 1,
            x: 0,
            y: 0,
            row_height: 0,
        }
    }

    fn next_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn new_line(&mut self) {
        if self.x > 0 {
            self.y += self.row_height;
            self.x = 0;
            self.row_height = 0;
        }
    }

    fn row(&mut self, title: &str) {
        self.new_line();
        let id = self.next_id();
        self.panels.push(j!({
            "type": "row",
            "id": id,
            "title": title,
            "collapsed": false,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "panels": [],
        }));
        self.y += 1;
    }

    fn add(&mut self, width: u32, height: u32, mut panel: Json) {
        let width = width.min(24);
        if self.x + width > 24 {
            self.new_line();
        }
        panel.set("id", j!(self.next_id()));
        panel.set(
            "gridPos",
            j!({"h": height, "w": width, "x": self.x, "y": self.y}),
        );
        panel.set("datasource", datasource());
        self.panels.push(panel);
        self.x += width;
        self.row_height = self.row_height.max(height);
        if self.x >= 24 {
            self.new_line();
        }
    }
}

fn timeseries(title: &str, description: &str, targets: Vec<Json>, defaults: Json) -> Json {
    let mut panel = j!({
        "type": "timeseries",
        "title": title,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        // Only what differs from Grafana's defaults (the legend is a list at the bottom).
        "options": {"tooltip": {"mode": "multi", "sort": "desc"}},
    });
    describe(&mut panel, description);
    panel
}

fn describe(panel: &mut Json, description: &str) {
    if !description.is_empty() {
        panel.set("description", j!(description));
    }
}

fn stat(title: &str, description: &str, targets: Vec<Json>, defaults: Json) -> Json {
    let mut panel = j!({
        "type": "stat",
        "title": title,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        // Only what differs from the stat panel's defaults (last value, auto layout).
        "options": {"colorMode": "background", "graphMode": "none"},
    });
    describe(&mut panel, description);
    panel
}

/// The `datasource` variable every panel queries through, selecting
/// `grafana.datasource` when lookout.yaml names one.
fn datasource_variable(datasource: Option<&str>) -> Json {
    let mut variable = j!({
        "type": "datasource",
        "name": "datasource",
        "label": "Prometheus",
        "query": "prometheus",
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    });
    if let Some(uid) = datasource {
        variable.set(
            "current",
            j!({"text": uid.to_string(), "value": uid.to_string()}),
        );
    }
    variable
}

fn dashboard(
    uid: &str,
    title: &str,
    description: &str,
    tags: Vec<String>,
    links: Vec<Json>,
    templating: Vec<Json>,
    layout: Layout,
) -> Json {
    j!({
        "description": description,
        "uid": uid,
        "title": title,
        "id": null,
        "tags": tags,
        "editable": false,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "links": links,
        "annotations": {"list": [{
            "builtIn": 1,
            "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": true,
            "hide": true,
            "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts",
            "type": "dashboard",
        }]},
        "templating": {"list": templating},
        "panels": layout.panels,
    })
}

/// Name of the service dashboards' SLO variable; the overview links set it.
const SLO_VARIABLE: &str = "slo";

/// A multi-value variable with "All" matching every value, also a missing
/// label (`.*`), as Grafana formats multi-values as a regex for Prometheus.
fn multi_variable(kind: &str, name: &str, label: &str, query: &str) -> Json {
    let mut variable = j!({
        "type": kind,
        "name": name,
        "label": label,
        "query": query,
        "multi": true,
        "includeAll": true,
        "allValue": ".*",
        "hide": 0,
        "options": [],
    });
    if kind == "query" {
        variable.set("datasource", datasource());
        // On time-range change, so new SLOs appear without a reload.
        variable.set("refresh", j!(2));
        variable.set("sort", j!(1));
    }
    variable
}

fn service_dashboard(service: &Service, datasource: Option<&str>) -> Json {
    let mut layout = Layout::new();
    golden_signals(service, &mut layout);
    for slo in &service.slos {
        slo_row(slo, &mut layout);
    }
    let mut tags = vec![TAG.to_string(), format!("service:{}", service.name)];
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
    dashboard(
        &dashboard_uid(&service.name),
        &format!("SLOs / {}", service.name),
        &description,
        tags,
        vec![link(
            "SLO overview",
            &format!("/d/{OVERVIEW_UID}"),
            "Every SLO of every service",
        )],
        variables,
        layout,
    )
}

/// The first SLO with event counts, whose recorded rates stand in for
/// undeclared traffic and error signals.
fn first_event_slo(service: &Service) -> Option<&Slo> {
    service
        .slos
        .iter()
        .find(|s| s.sli.event_queries().is_some())
}

/// A declared rate signal, or else the SLI's recorded rate `series`:
/// `(query, unit, where it came from)`.
fn rate_signal(
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

fn golden_signals(service: &Service, layout: &mut Layout) {
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
            defaults.set(
                "thresholds",
                thresholds(&[(None, "green"), (Some(threshold), "red")]),
            );
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
fn focused_selector(slo: &Slo) -> String {
    let selector = names::selector(slo);
    format!(
        "{},slo=~\"${SLO_VARIABLE}\"}}",
        selector.trim_end_matches('}')
    )
}

fn slo_row(slo: &Slo, layout: &mut Layout) {
    let selector = focused_selector(slo);
    let budget = fmt_num(slo.error_budget());
    let runbook = slo
        .alerting
        .runbook_url
        .as_ref()
        .map(|url| link("Runbook", url, "What to do when this SLO burns"));
    let links: Vec<Json> = runbook.iter().cloned().collect();
    layout.row(&format!(
        "{}: {}% over {}",
        slo.name,
        fmt_num(slo.objective),
        slo.period
    ));

    let description = slo.description.clone().unwrap_or_default();
    let mut sli = timeseries(
        "SLI against objective",
        &description,
        vec![
            target(
                "A",
                &format!("1 - {}{selector}", names::error_ratio(Duration::minutes(5))),
                "SLI (5m)",
                false,
            ),
            target(
                "B",
                &format!("1 - {}{selector}", names::error_ratio(Duration::hours(1))),
                "SLI (1h)",
                false,
            ),
            target(
                "C",
                &format!("{}{selector}", names::OBJECTIVE),
                "objective",
                false,
            ),
        ],
        j!({"unit": "percentunit", "max": 1, "decimals": 3}),
    );
    sli.set("links", links.clone());
    layout.add(8, 8, sli);

    let remaining = format!("1 - {}{selector}", names::PERIOD_BURN_RATE);
    let mut burndown = timeseries(
        "Error budget burndown",
        &format!(
            "Share of the error budget left over the last {}, the SLO window (below 0: overspent).",
            slo.period
        ),
        vec![target("A", &remaining, "budget remaining", false)],
        j!({
            "unit": "percentunit",
            "decimals": 1,
            "thresholds": budget_thresholds(),
            "custom": {"thresholdsStyle": {"mode": "dashed"}},
        }),
    );
    burndown.set("timeFrom", j!(slo.period.to_string()));
    layout.add(8, 8, burndown);

    layout.add(
        4,
        8,
        stat(
            "Error budget remaining",
            &format!(
                "Share of the {} error budget left (below 0: overspent).",
                slo.period
            ),
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
            "At the last {}'s burn rate, when the {} error budget runs out.",
            names::CURRENT_BURN_WINDOW,
            slo.period
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

/// Each enabled window pair as one line: the lower of its long and short
/// window's error ratio, divided by the pair's threshold. The pair's alert
/// condition holds exactly where its line is above 1, so one threshold
/// line serves every tier and disabled tiers draw nothing.
fn burn_rate_panel(slo: &Slo, selector: &str, budget: &str) -> Json {
    let mut targets = Vec::new();
    for tier in &slo.alerting.tiers {
        for pair in &tier.pairs {
            let threshold = fmt_num(pair.threshold);
            let long = format!("{}{selector}", names::error_ratio(pair.long));
            let short = format!("{}{selector}", names::error_ratio(pair.short));
            targets.push(target(
                &ref_id(targets.len()),
                &format!("(({long} <= {short}) or ({short} < {long})) / {threshold}"),
                &format!(
                    "{}: {} and {} (fires at {}x)",
                    tier.severity.as_str(),
                    pair.long,
                    pair.short,
                    fmt_num(pair.factor)
                ),
                false,
            ));
        }
    }
    if targets.is_empty() {
        // Alerting off: the plain burn rate, 1 spending the budget exactly.
        for (i, window) in [names::CURRENT_BURN_WINDOW, slo.period].iter().enumerate() {
            targets.push(target(
                &ref_id(i),
                &format!("{}{selector} / {budget}", names::error_ratio(*window)),
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
const ALERT_OFF: i32 = -1;
const ALERT_FIRING: i32 = 2;

/// Page or ticket: firing, pending, OK, or "alerting off" when the tier is
/// disabled, which Prometheus cannot tell from "not firing".
fn alert_state_stat(slo: &Slo, severity: Severity) -> Json {
    let tier = slo.alerting.tiers.iter().find(|t| t.severity == severity);
    let query = match tier {
        Some(_) => {
            let alerts = |state: &str| {
                format!(
                    "ALERTS{{alertname={},service={},slo={},{}=\"{}\",alertstate=\"{state}\"}}",
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
fn exhaustion_thresholds() -> Json {
    thresholds(&[
        (None, "red"),
        (Some(86_400.0), "orange"),
        (Some(604_800.0), "green"),
    ])
}

/// Budget-remaining colours, shared by the SLO rows and the overview table.
fn budget_thresholds() -> Json {
    thresholds(&[
        (None, "red"),
        (Some(0.0), "orange"),
        (Some(0.25), "yellow"),
        (Some(0.5), "green"),
    ])
}

/// Columns of the overview table, in order: query `refId`, the column's
/// name after the organize step, and its expression. Every query is
/// aggregated `by (service, slo, team)`, so all of them carry the same
/// labels and no `__name__`, and Grafana's merge joins them into exactly one
/// row per SLO.
struct OverviewColumn {
    title: &'static str,
    /// The label holding the column's text, for alert states; else the
    /// query's value (`Value #<refId>`).
    label: Option<&'static str>,
    expr: String,
}

/// Labels every overview query keeps; `team` is empty where none is set.
const OVERVIEW_BY: &str = "service, slo, team";

fn overview_columns() -> Vec<OverviewColumn> {
    let filter = "{slo!=\"\",service=~\"$service\",team=~\"$team\"}";
    let by = |expr: String| format!("max by ({OVERVIEW_BY}) ({expr})");
    let by_and = |label: &str, expr: String| format!("max by ({OVERVIEW_BY}, {label}) ({expr})");
    let series = |name: &str| format!("{name}{filter}");
    // Of the page pair over the current burn window: `current burn ÷
    // (days × this)` reaches 1 exactly at that SLO's page rate.
    let page_factor_per_day = fmt_num(current_window_page_factor_per_day());
    // Firing, else pending, else OK when the tier is on, else off.
    let state = |tier: Severity, label: &'static str| {
        let alerts = |state: &str| {
            format!(
                "label_replace(ALERTS{{alertstate=\"{state}\",{}=\"{}\",slo!=\"\",service=~\"$service\",team=~\"$team\"}}, \"{label}\", \"{state}\", \"\", \"\")",
                names::TIER_LABEL,
                tier.as_str()
            )
        };
        let info = |selector: &str, text: &str| {
            format!(
                "label_replace({}{{{}=~\"{selector}\",slo!=\"\",service=~\"$service\",team=~\"$team\"}}, \"{label}\", \"{text}\", \"\", \"\")",
                names::OBJECTIVE,
                names::ALERTING_LABEL,
            )
        };
        let on = "or on (service, slo)";
        by_and(
            label,
            format!(
                "{} {on} {} {on} {} {on} {}",
                alerts("firing"),
                alerts("pending"),
                info(&format!(".*{}.*", tier.as_str()), "OK"),
                info(".*", ALERTING_OFF),
            ),
        )
    };
    vec![
        OverviewColumn {
            title: "Objective",
            label: None,
            expr: by(series(names::OBJECTIVE)),
        },
        OverviewColumn {
            title: "SLI over window",
            label: None,
            // Burn × budget is the period's error ratio, whatever the
            // period. The objective carries info labels, hence `on`.
            expr: format!(
                "1 - {}",
                by(format!(
                    "{} * on ({OVERVIEW_BY}) (1 - {})",
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
                "clamp_min(1 - {}, 0) * {} * 86400 / ({} > 0)",
                series(names::PERIOD_BURN_RATE),
                series(names::TIME_PERIOD_DAYS),
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
                "{} / ({} * {page_factor_per_day})",
                series(names::CURRENT_BURN_RATE),
                series(names::TIME_PERIOD_DAYS)
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
const VALUE_FIELDS: [&str; 8] = [
    "Value #A", "Value #B", "Value #C", "Value #D", "Value #E", "Value #F", "Value #G", "Value #H",
];

/// The overview's text for an SLO whose tier is disabled.
const ALERTING_OFF: &str = "alerting off";

fn overview_dashboard(services: &[Service], datasource: Option<&str>) -> Json {
    let slo_count: usize = services.iter().map(|s| s.slos.len()).sum();
    let columns = overview_columns();
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
        index.push((shown, Json::from(i + 3)));
    }
    let by_name = |name: &str, properties: Json| j!({"matcher": {"id": "byName", "options": name}, "properties": properties});
    let service_link = link(
        "Service dashboard",
        &format!(
            "/d/{}?${{__url_time_range}}&var-{SLO_VARIABLE}=${{__data.fields.slo}}",
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
        "description": "One row per SLO. Burn rate: error ratio over the last hour in multiples of the error budget (above 1x the budget runs out before the window ends). Of page rate: the same burn as a share of that SLO's own one-hour page threshold (100% pages once the 5m window agrees). Exhausted in: when the budget runs out at that burn. Click a row for the SLO on its service dashboard.",
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
        OVERVIEW_UID,
        "SLO overview",
        &format!("{GENERATED_MARKER} Every SLO of every service, worst budget first."),
        vec![TAG.into(), "slo-overview".into()],
        links,
        vec![
            datasource_variable(datasource),
            multi_variable("query", "team", "Team", &team_values),
            multi_variable("query", "service", "Service", &service_values),
        ],
        layout,
    )
}

fn provisioning(grafana: &GrafanaSettings) -> String {
    let provider = Node::map()
        .str("name", "lookout")
        .entry("orgId", Node::Raw("1".into()))
        .str("folder", grafana.folder.as_str())
        .str("folderUid", folder_uid(&grafana.folder))
        .str("type", "file")
        .entry("disableDeletion", Node::Raw("false".into()))
        .entry("allowUiUpdates", Node::Raw("false".into()))
        .entry("updateIntervalSeconds", Node::Raw("30".into()))
        .entry(
            "options",
            Node::map()
                .str("path", grafana.provisioning_path.as_str())
                .entry("foldersFromFilesStructure", Node::Raw("false".into()))
                .build(),
        )
        .build();
    let doc = Node::map()
        .entry("apiVersion", Node::Raw("1".into()))
        .entry("providers", Node::Seq(vec![provider]))
        .build();
    yaml::document(
        &[
            GENERATED_MARKER,
            "Grafana dashboard provider: copy the dashboards/grafana/*.json files to options.path.",
        ],
        &doc,
    )
}
