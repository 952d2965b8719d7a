//! Grafana dashboards: `dashboards/grafana/<service>.json`, the
//! `slo-overview.json` table of every SLO, and a file-provider
//! `provisioning.yaml`.
//!
//! Classic dashboard JSON (`schemaVersion` 42), which the HTTP API, file
//! provisioning and the sidecar all accept on Grafana 10 to 13; Grafana 13's
//! v2 resource format fails in file provisioning. Every panel queries the
//! `datasource` variable by uid. Every series name comes from
//! `model::names`, so a panel cannot refer to a rule that is not recorded.
//! Links use the full `DashboardLink` shape, which the JSON Schema demands
//! even where Grafana reads only `title` and `url`.

use super::json::Json;
use crate::j;

use super::yaml::{self, Node};
use super::{Artifact, EmitOptions, GENERATED_MARKER};
use crate::model::{fmt_num, names, Duration, Service, Severity, Sli, Slo};

pub const SCHEMA_VERSION: u32 = 42;
pub const OVERVIEW_UID: &str = "lookout-slo-overview";

/// Stable dashboard uid of a service: at most 40 characters, since
/// service names are at most 32.
pub fn dashboard_uid(service: &str) -> String {
    format!("lookout-{service}")
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
    /// Pretty JSON, for the file.
    pub pretty: String,
    /// One-line JSON, for the ConfigMap.
    pub compact: String,
}

impl Dashboard {
    fn new(file: String, json: &Json) -> Self {
        Dashboard {
            file,
            pretty: json.pretty(),
            compact: json.compact(),
        }
    }
}

pub fn emit(services: &[Service], options: &EmitOptions) -> Vec<Artifact> {
    artifacts(dashboards(services), options)
}

/// One dashboard per service.
pub fn dashboards(services: &[Service]) -> Vec<Dashboard> {
    services
        .iter()
        .filter(|service| has_dashboard(service))
        .map(|service| {
            Dashboard::new(
                format!("{}.json", service.name),
                &service_dashboard(service),
            )
        })
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

/// The overview of every SLO; emitted once, not per chunk of services.
pub fn overview(services: &[Service]) -> Dashboard {
    Dashboard::new("slo-overview.json".into(), &overview_dashboard(services))
}

/// Dashboards as pretty-printed files, as Grafana exports them.
pub fn artifacts(dashboards: Vec<Dashboard>, options: &EmitOptions) -> Vec<Artifact> {
    let dir = options.grafana_dir();
    dashboards
        .into_iter()
        .map(|d| Artifact {
            path: dir.join(&d.file),
            contents: d.pretty,
        })
        .collect()
}

/// The file provider's config.
pub fn provisioning_artifact(options: &EmitOptions) -> Artifact {
    Artifact {
        path: options.grafana_dir().join("provisioning.yaml"),
        contents: provisioning(options),
    }
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

fn dashboard(
    uid: &str,
    title: &str,
    description: &str,
    tags: Vec<String>,
    links: Vec<Json>,
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
        "templating": {"list": [{
            "type": "datasource",
            "name": "datasource",
            "label": "Prometheus",
            "query": "prometheus",
            "hide": 0,
            "refresh": 1,
            "regex": "",
            "options": [],
        }]},
        "panels": layout.panels,
    })
}

fn service_dashboard(service: &Service) -> Json {
    let mut layout = Layout::new();
    golden_signals(service, &mut layout);
    for slo in &service.slos {
        slo_row(slo, &mut layout);
    }
    let mut tags = vec!["lookout".to_string(), format!("service:{}", service.name)];
    if let Some(team) = &service.team {
        tags.push(format!("team:{team}"));
    }
    let description = format!(
        "{GENERATED_MARKER} Source: {}. SLOs and golden signals of {}.",
        service.source.display(),
        service.name
    );
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
                Sli::Latency {
                    histogram,
                    matchers,
                    ..
                } => Some((histogram.clone(), matchers.clone())),
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

fn slo_row(slo: &Slo, layout: &mut Layout) {
    let selector = names::selector(slo);
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

    layout.add(
        4,
        8,
        stat(
            "Error budget remaining",
            &format!(
                "Share of the {} error budget left (below 0: overspent).",
                slo.period
            ),
            vec![target(
                "A",
                &format!("{}{selector}", names::PERIOD_BUDGET_REMAINING),
                "",
                false,
            )],
            j!({
                "unit": "percentunit",
                "decimals": 1,
                "thresholds": budget_thresholds(),
            }),
        ),
    );

    let mut steps: Vec<(f64, &str)> = Vec::new();
    for tier in &slo.alerting.tiers {
        let color = match tier.severity {
            Severity::Page => "red",
            Severity::Ticket => "orange",
        };
        for pair in &tier.pairs {
            steps.push((pair.factor(slo.period), color));
        }
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    steps.dedup_by(|a, b| a.0 == b.0);
    let mut threshold_steps: Vec<(Option<f64>, &str)> = vec![(None, "green")];
    threshold_steps.extend(
        steps
            .iter()
            .map(|(v, c)| (Some(crate::model::round_sig(*v, 12)), *c)),
    );
    let mut windows: Vec<Duration> = crate::model::DEFAULT_PAIRS.iter().map(|p| p.long).collect();
    windows.dedup();
    let burn_targets = windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            target(
                &ref_id(i),
                &format!("{}{selector} / {budget}", names::error_ratio(*w)),
                &format!("burn rate {w}"),
                false,
            )
        })
        .collect();
    layout.add(
        8,
        8,
        timeseries(
            "Burn rate",
            "Error ratio over each alert's long window, in multiples of the error budget. Lines: ticket (orange) and page (red) thresholds.",
            burn_targets,
            j!({
                "unit": "none",
                "decimals": 2,
                "min": 0,
                "thresholds": thresholds(&threshold_steps),
                "custom": {"thresholdsStyle": {"mode": "line"}},
            }),
        ),
    );

    let firing = format!(
        "sum(ALERTS{{alertname={},service={},slo={},alertstate=\"firing\"}}) or vector(0)",
        names::promql_string(&slo.alerting.name),
        names::promql_string(&slo.service),
        names::promql_string(&slo.name)
    );
    let mut alerts = stat(
        "Alerts firing",
        &format!(
            "`{}` alerts firing now (page and ticket).",
            slo.alerting.name
        ),
        vec![target("A", &firing, "", false)],
        j!({"unit": "none", "decimals": 0, "thresholds": thresholds(&[(None, "green"), (Some(1.0), "red")])}),
    );
    alerts.set("links", j!(links));
    layout.add(4, 8, alerts);
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

fn overview_dashboard(services: &[Service]) -> Json {
    let slo_count: usize = services.iter().map(|s| s.slos.len()).sum();
    let only_lookout = "{slo!=\"\"}";
    let targets = vec![
        target(
            "A",
            &format!("{}{only_lookout}", names::OBJECTIVE),
            "",
            true,
        ),
        target(
            "B",
            &format!(
                "1 - {}{only_lookout} * {}{only_lookout}",
                names::PERIOD_BURN_RATE,
                names::ERROR_BUDGET
            ),
            "",
            true,
        ),
        target(
            "C",
            &format!("{}{only_lookout}", names::PERIOD_BUDGET_REMAINING),
            "",
            true,
        ),
        target(
            "D",
            &format!("{}{only_lookout}", names::CURRENT_BURN_RATE),
            "",
            true,
        ),
    ];
    // The schema types matcher options and override values as objects, so
    // matchers are `byNames` and only object-valued properties are
    // overridden; units and links sit in the defaults.
    let by_names = |name: &str, properties: Json| j!({"matcher": {"id": "byNames", "options": {"mode": "include", "names": [name]}}, "properties": properties});
    let service_link = link(
        "Service dashboard",
        "/d/lookout-${__data.fields.service}",
        "SLOs and golden signals of this service",
    );
    let table = j!({
        "type": "table",
        "title": "Every SLO",
        "description": "One row per SLO: objective, SLI over its window, error budget left, and the burn rate over the last hour (100% spends the budget exactly over the window). Click a row for its service dashboard.",
        "targets": targets,
        "transformations": [
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {
                "excludeByName": {"Time": true, "__name__": true},
                "indexByName": {"service": 0, "slo": 1, "Json #A": 2, "Json #B": 3, "Json #C": 4, "Json #D": 5},
                "renameByName": {
                    "Json #A": "Objective",
                    "Json #B": "SLI over window",
                    "Json #C": "Budget remaining",
                    "Json #D": "Burn rate (1h)",
                },
            }},
        ],
        "fieldConfig": {
            "defaults": {
                "unit": "percentunit",
                "decimals": 2,
                "links": [service_link],
                "custom": {"align": "auto", "cellOptions": {"type": "auto"}},
            },
            "overrides": [
                by_names("Budget remaining", j!([
                    {"id": "thresholds", "value": budget_thresholds()},
                    {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                ])),
                by_names("Burn rate (1h)", j!([
                    {"id": "thresholds", "value": thresholds(&[(None, "green"), (Some(1.0), "orange"), (Some(14.4), "red")])},
                    {"id": "custom.cellOptions", "value": {"type": "color-text"}},
                ])),
            ],
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
        "tags": ["lookout"],
        "asDropdown": true,
        "targetBlank": false,
        "includeVars": false,
        "keepTime": true,
    })];
    dashboard(
        OVERVIEW_UID,
        "SLO overview",
        &format!("{GENERATED_MARKER} Every SLO of every service, worst budget first."),
        vec!["lookout".into(), "slo-overview".into()],
        links,
        layout,
    )
}

fn provisioning(options: &EmitOptions) -> String {
    let provider = Node::map()
        .str("name", "lookout")
        .entry("orgId", Node::Raw("1".into()))
        .str("folder", options.grafana.folder.as_str())
        .str("type", "file")
        .entry("disableDeletion", Node::Raw("false".into()))
        .entry("allowUiUpdates", Node::Raw("false".into()))
        .entry("updateIntervalSeconds", Node::Raw("30".into()))
        .entry(
            "options",
            Node::map()
                .str("path", options.grafana.provisioning_path.as_str())
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
