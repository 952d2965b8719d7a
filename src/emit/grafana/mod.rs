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

mod overview;
mod service;

use overview::*;
use service::*;

/// The newest schema every supported Grafana knows: 10.4's frontend
/// migrates up to 39, and the backend migrator of 12.x
/// (`apps/dashboard/pkg/migration/migrate.go`) fails a dashboard *newer*
/// than its `LATEST_VERSION` ("schema version not migrated to target
/// version") while it migrates an older one forward. See ARCHITECTURE.md.
pub const SCHEMA_VERSION: u32 = 39;

/// The project's SLO overview: one per project, since projects sharing a
/// Grafana each own theirs. At most 40 characters, Grafana's uid limit; two
/// projects whose names agree that far clash, and push says so.
pub fn overview_uid(project: &str) -> String {
    format!("{UID_PREFIX}overview-{project}")
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

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
pub fn overview(services: &[Service], grafana: &GrafanaSettings, project: &str) -> Dashboard {
    Dashboard::new(
        OVERVIEW_FILE.into(),
        overview_uid(project),
        &overview_dashboard(services, grafana.datasource.as_deref(), project),
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
