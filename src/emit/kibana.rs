//! Kibana saved objects for access logs: `dashboards/kibana/<service>.ndjson`,
//! in the format of `POST /api/saved_objects/_import`.
//!
//! Per service with logs in Elasticsearch: a data view on its data stream,
//! Lens visualisations (requests per status class over time, latency
//! p50/p95/p99 over time, top endpoints by requests with their 5xx count
//! and error rate, p95 latency by endpoint, a latency histogram over
//! explicit ranges, top clients) and a dashboard laying them out. Every
//! table ranks its terms by a plain count, which Lens can sort on.
//!
//! Ids are derived from the service name, so a re-import overwrites instead
//! of duplicating; every reference resolves inside the file; objects are
//! marked `managed: true`. The migration versions are those of Kibana
//! [`MIN_KIBANA`]: an export imports into the same or a newer Kibana, which
//! migrates it forward, and fails on an older one.

use serde_json::{json, Value};

use super::{Artifact, Kind, GENERATED_MARKER};
use crate::model::logs::data_stream;
use crate::model::settings::Layout;
use crate::model::{LogSource, Service};

/// The oldest Kibana these objects import into.
pub const MIN_KIBANA: &str = "8.11.0";
/// What the id of every saved object of lookout's starts with; with the
/// marker in its description, how Kibana's push knows lookout's objects.
pub const ID_PREFIX: &str = "lookout-";

/// Kibana 8.8 moved every type to model versions; `coreMigrationVersion`
/// has been 8.8.0 since.
pub const CORE_MIGRATION_VERSION: &str = "8.8.0";
const INDEX_PATTERN_VERSION: &str = "8.0.0";
const LENS_VERSION: &str = "8.9.0";
const DASHBOARD_VERSION: &str = "8.9.0";

/// The endpoint the panels group by: the route, so paths that differ only
/// by an id make one row (see `elasticsearch::ROUTE_FIELD`).
const ENDPOINT_FIELD: &str = super::elasticsearch::ROUTE_FIELD;

/// Lens layer id; each visualisation has one layer.
const LAYER: &str = "layer1";

pub fn emit(services: &[Service], layout: &Layout) -> Vec<Artifact> {
    services
        .iter()
        .filter_map(|service| {
            let logs: Vec<&LogSource> =
                service.logs.iter().filter(|l| l.to_elasticsearch).collect();
            if logs.is_empty() {
                return None;
            }
            let objects = saved_objects(service, &logs);
            Some(Artifact {
                path: layout.kibana_dir().join(format!("{}.ndjson", service.name)),
                contents: ndjson(&objects).into(),
                kind: Kind::KibanaObjects {
                    service: service.name.clone(),
                    objects: objects.into(),
                },
            })
        })
        .collect()
}

fn ndjson(objects: &[Value]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str(&serde_json::to_string(object).expect("JSON values always serialise"));
        out.push('\n');
    }
    out
}

fn dashboard_id(service: &str) -> String {
    format!("{ID_PREFIX}{service}-access-logs")
}

/// Dashboard first: its description carries lookout's marker, which `build`
/// looks for in a file's first lines.
fn saved_objects(service: &Service, logs: &[&LogSource]) -> Vec<Value> {
    let data_view = data_stream(&service.name);
    let mut visualisations = vec![
        requests_by_status(service, &data_view),
        latency_percentiles(service, &data_view),
        top_endpoints(service, &data_view),
        endpoint_latency(service, &data_view),
        latency_histogram(service, &data_view),
    ];
    if logs.iter().any(|l| l.fields.client.is_some()) {
        visualisations.push(top_clients(service, &data_view));
    }
    let mut objects = vec![dashboard(service, &visualisations)];
    objects.push(data_view_object(service, &data_view));
    objects.extend(visualisations.into_iter().map(|v| v.object));
    objects
}

fn saved_object(
    kind: &str,
    id: &str,
    version: &str,
    attributes: Value,
    references: Value,
) -> Value {
    json!({
        "type": kind,
        "id": id,
        "attributes": attributes,
        "references": references,
        "managed": true,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "typeMigrationVersion": version,
    })
}

fn data_view_object(service: &Service, title: &str) -> Value {
    // Show ECS's nanosecond durations as milliseconds.
    let formats = json!({"event.duration": {"id": "duration", "params": {
        "inputFormat": "nanoseconds",
        "outputFormat": "asMilliseconds",
        "outputPrecision": 1,
        "showSuffix": true,
    }}});
    saved_object(
        "index-pattern",
        title,
        INDEX_PATTERN_VERSION,
        json!({
            "title": title,
            "name": format!("{} access logs", service.name),
            "timeFieldName": "@timestamp",
            "allowNoIndex": true,
            "fields": "[]",
            "fieldFormatMap": formats.to_string(),
            "runtimeFieldMap": "{}",
            "sourceFilters": "[]",
            "typeMeta": "{}",
        }),
        json!([]),
    )
}

/// A Lens visualisation and where it goes on the dashboard.
struct Visualisation {
    id: String,
    object: Value,
    width: u32,
}

/// What differs between the Lens visualisations.
struct Lens<'a> {
    slug: &'a str,
    title: &'a str,
    kind: &'a str,
    columns: Value,
    column_order: &'a [&'a str],
    visualization: Value,
    width: u32,
}

impl Lens<'_> {
    fn build(self, service: &Service, data_view: &str) -> Visualisation {
        let id = format!("{ID_PREFIX}{}-{}", service.name, self.slug);
        let attributes = json!({
            "title": format!("{}: {}", service.name, self.title),
            // The marker, so lookout knows its own objects even where
            // Kibana does not keep `managed`.
            "description": format!(
                "{GENERATED_MARKER} {}",
                super::project_marker(&service.project)
            ),
            "visualizationType": self.kind,
            "state": {
                "datasourceStates": {"formBased": {"layers": {LAYER: {
                    "columns": self.columns,
                    "columnOrder": self.column_order,
                    "incompleteColumns": {},
                }}}},
                "visualization": self.visualization,
                "query": {"query": "", "language": "kuery"},
                "filters": [],
                "internalReferences": [],
                "adHocDataViews": {},
            },
        });
        let references = json!([{
            "type": "index-pattern",
            "id": data_view,
            "name": format!("indexpattern-datasource-layer-{LAYER}"),
        }]);
        Visualisation {
            object: saved_object("lens", &id, LENS_VERSION, attributes, references),
            id,
            width: self.width,
        }
    }
}

fn count_column(label: &str) -> Value {
    json!({
        "label": label,
        "customLabel": true,
        "dataType": "number",
        "operationType": "count",
        "isBucketed": false,
        "scale": "ratio",
        "sourceField": "___records___",
        "params": {"emptyAsNull": false},
    })
}

fn terms_column(label: &str, field: &str, data_type: &str, size: u32, order_by: &str) -> Value {
    json!({
        "label": label,
        "customLabel": true,
        "dataType": data_type,
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": true,
        "scale": "ordinal",
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": order_by},
            "orderDirection": "desc",
            "otherBucket": false,
            "missingBucket": false,
            "parentFormat": {"id": "terms"},
        },
    })
}

fn xy(series: &str, x: &str, accessors: &[&str], split: Option<&str>) -> Value {
    let mut layer = json!({
        "layerId": LAYER,
        "layerType": "data",
        "seriesType": series,
        "xAccessor": x,
        "accessors": accessors,
    });
    if let Some(split) = split {
        layer["splitAccessor"] = json!(split);
    }
    json!({
        "legend": {"isVisible": true, "position": "right"},
        "valueLabels": "hide",
        "preferredSeriesType": series,
        "layers": [layer],
    })
}

fn table(columns: &[&str]) -> Value {
    let columns: Vec<Value> = columns.iter().map(|c| json!({"columnId": c})).collect();
    json!({"layerId": LAYER, "layerType": "data", "columns": columns})
}

fn requests_by_status(service: &Service, data_view: &str) -> Visualisation {
    let classes: Vec<Value> = (1..=5)
        .map(|class| {
            json!({
                "label": format!("{class}xx"),
                "input": {
                    "query": format!(
                        "http.response.status_code >= {} and http.response.status_code < {}",
                        class * 100,
                        class * 100 + 100
                    ),
                    "language": "kuery",
                },
            })
        })
        .collect();
    let columns = json!({
        "time": date_histogram(),
        "status_class": {
            "label": "Status class",
            "customLabel": true,
            "dataType": "string",
            "operationType": "filters",
            "isBucketed": true,
            "scale": "ordinal",
            "params": {"filters": classes},
        },
        "requests": count_column("Requests"),
    });
    Lens {
        slug: "requests-by-status",
        title: "requests per status class",
        kind: "lnsXY",
        columns,
        column_order: &["status_class", "time", "requests"],
        visualization: xy("bar_stacked", "time", &["requests"], Some("status_class")),
        width: 48,
    }
    .build(service, data_view)
}

/// Requests with a 5xx status, as KQL.
const ERRORS_KQL: &str = "http.response.status_code >= 500";

fn date_histogram() -> Value {
    json!({
        "label": "@timestamp",
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": "@timestamp",
        "isBucketed": true,
        "scale": "interval",
        "params": {"interval": "auto", "includeEmptyRows": true, "dropPartials": false},
    })
}

/// A percentile of the request duration; shown in the data view's format.
fn duration_percentile(percentile: u32) -> Value {
    json!({
        "label": format!("p{percentile}"),
        "customLabel": true,
        "dataType": "number",
        "operationType": "percentile",
        "sourceField": "event.duration",
        "isBucketed": false,
        "scale": "ratio",
        "params": {"percentile": percentile},
    })
}

fn latency_percentiles(service: &Service, data_view: &str) -> Visualisation {
    let columns = json!({
        "time": date_histogram(),
        "p50": duration_percentile(50),
        "p95": duration_percentile(95),
        "p99": duration_percentile(99),
    });
    Lens {
        slug: "latency-percentiles",
        title: "latency p50, p95, p99",
        kind: "lnsXY",
        columns,
        column_order: &["time", "p50", "p95", "p99"],
        visualization: xy("line", "time", &["p50", "p95", "p99"], None),
        width: 24,
    }
    .build(service, data_view)
}

/// Top endpoints ranked by requests, a plain count that Elasticsearch can
/// order terms by, with their 5xx count and error rate beside. Lens cannot
/// rank terms by a formula (kibana#123695): the order it sends for one is
/// rejected, so the rate is only a column.
fn top_endpoints(service: &Service, data_view: &str) -> Visualisation {
    let formula = format!("count(kql='{ERRORS_KQL}') / count()");
    let mut errors = count_column("5xx");
    errors["filter"] = json!({"query": ERRORS_KQL, "language": "kuery"});
    let mut formula_errors = count_column("Part of Error rate");
    formula_errors["filter"] = json!({"query": ERRORS_KQL, "language": "kuery"});
    // A Lens formula is stored with the helper columns Lens derives from
    // it: two counts and the math column dividing them.
    let columns = json!({
        "path": terms_column("Endpoint", ENDPOINT_FIELD, "string", 20, "requests"),
        "requests": count_column("Requests"),
        "errors": errors,
        "error_rate": {
            "label": "Error rate (5xx)",
            "customLabel": true,
            "dataType": "number",
            "operationType": "formula",
            "isBucketed": false,
            "scale": "ratio",
            "params": {
                "formula": formula,
                "isFormulaBroken": false,
                "format": {"id": "percent", "params": {"decimals": 2}},
            },
            "references": ["error_rateX2"],
        },
        "error_rateX0": formula_errors,
        "error_rateX1": count_column("Part of Error rate"),
        "error_rateX2": {
            "label": "Part of Error rate",
            "customLabel": true,
            "dataType": "number",
            "operationType": "math",
            "isBucketed": false,
            "scale": "ratio",
            "params": {"tinymathAst": {
                "type": "function",
                "name": "divide",
                "args": ["error_rateX0", "error_rateX1"],
                "location": {"min": 0, "max": formula.len()},
                "text": formula,
            }},
            "references": ["error_rateX0", "error_rateX1"],
        },
    });
    Lens {
        slug: "top-endpoints",
        title: "top endpoints",
        kind: "lnsDatatable",
        columns,
        column_order: &[
            "path",
            "requests",
            "errors",
            "error_rate",
            "error_rateX0",
            "error_rateX1",
            "error_rateX2",
        ],
        visualization: table(&["path", "requests", "errors", "error_rate"]),
        width: 24,
    }
    .build(service, data_view)
}

/// p95 latency of the busiest endpoints, ranked by requests.
fn endpoint_latency(service: &Service, data_view: &str) -> Visualisation {
    let columns = json!({
        "path": terms_column("Endpoint", ENDPOINT_FIELD, "string", 20, "requests"),
        "requests": count_column("Requests"),
        "p95": duration_percentile(95),
    });
    Lens {
        slug: "endpoint-latency",
        title: "p95 latency by endpoint",
        kind: "lnsDatatable",
        columns,
        column_order: &["path", "requests", "p95"],
        visualization: table(&["path", "requests", "p95"]),
        width: 24,
    }
    .build(service, data_view)
}

/// Upper bounds of the latency histogram's ranges, in milliseconds: close
/// together where most requests fall, wide in the tail, so the tail cannot
/// squash everything into the first bar as one linear `auto` interval did.
pub const LATENCY_BOUNDS_MS: &[u64] = &[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

fn latency_histogram(service: &Service, data_view: &str) -> Visualisation {
    const NS_PER_MS: u64 = 1_000_000;
    let label = |ms: u64| {
        if ms >= 1000 {
            format!("{} s", crate::model::fmt_num(ms as f64 / 1000.0))
        } else {
            format!("{ms} ms")
        }
    };
    let mut ranges = Vec::new();
    let mut from = 0;
    for &to in LATENCY_BOUNDS_MS {
        ranges.push(json!({"from": from * NS_PER_MS, "to": to * NS_PER_MS, "label": format!("{} – {}", label(from), label(to))}));
        from = to;
    }
    ranges
        .push(json!({"from": from * NS_PER_MS, "to": null, "label": format!("≥ {}", label(from))}));
    let columns = json!({
        "duration": {
            "label": "Request duration",
            "customLabel": true,
            "dataType": "number",
            "operationType": "range",
            "sourceField": "event.duration",
            "isBucketed": true,
            "scale": "ordinal",
            "params": {
                "type": "range",
                "ranges": ranges,
                "maxBars": "auto",
            },
        },
        "requests": count_column("Requests"),
    });
    Lens {
        slug: "latency-histogram",
        title: "latency histogram",
        kind: "lnsXY",
        columns,
        column_order: &["duration", "requests"],
        visualization: xy("bar", "duration", &["requests"], None),
        width: 24,
    }
    .build(service, data_view)
}

fn top_clients(service: &Service, data_view: &str) -> Visualisation {
    let columns = json!({
        "client": terms_column("Client", "client.ip", "ip", 10, "requests"),
        "requests": count_column("Requests"),
    });
    Lens {
        slug: "top-clients",
        title: "top clients",
        kind: "lnsDatatable",
        columns,
        column_order: &["client", "requests"],
        visualization: table(&["client", "requests"]),
        width: 24,
    }
    .build(service, data_view)
}

/// Panels flow left to right on Kibana's 48-column grid.
fn dashboard(service: &Service, visualisations: &[Visualisation]) -> Value {
    const HEIGHT: u32 = 15;
    let (mut x, mut y) = (0, 0);
    let mut panels = Vec::new();
    let mut references = Vec::new();
    for (i, vis) in visualisations.iter().enumerate() {
        if x + vis.width > 48 {
            x = 0;
            y += HEIGHT;
        }
        let index = (i + 1).to_string();
        let reference = format!("panel_{index}");
        panels.push(json!({
            "type": "lens",
            "panelIndex": index,
            "gridData": {"x": x, "y": y, "w": vis.width, "h": HEIGHT, "i": index},
            "embeddableConfig": {"enhancements": {}},
            "panelRefName": reference,
        }));
        references.push(json!({"type": "lens", "id": vis.id, "name": reference}));
        x += vis.width;
    }
    let options = json!({
        "useMargins": true,
        "syncColors": false,
        "syncCursor": true,
        "syncTooltips": false,
        "hidePanelTitles": false,
    });
    let search = json!({"query": {"query": "", "language": "kuery"}, "filter": []});
    saved_object(
        "dashboard",
        &dashboard_id(&service.name),
        DASHBOARD_VERSION,
        json!({
            "title": format!("{} access logs", service.name),
            "description": format!(
                "{GENERATED_MARKER} {} Access logs of {} from data stream {}. Source: {}.",
                super::project_marker(&service.project),
                service.name,
                data_stream(&service.name),
                service.source.display()
            ),
            "panelsJSON": Value::Array(panels).to_string(),
            "optionsJSON": options.to_string(),
            "timeRestore": false,
            "kibanaSavedObjectMeta": {"searchSourceJSON": search.to_string()},
        }),
        Value::Array(references),
    )
}
