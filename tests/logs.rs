//! The log backends on the bundled examples: Kibana saved objects,
//! Elasticsearch objects, shipper configs and Loki rules hang together, and
//! the ingest pipelines turn real log lines into the ECS fields the Kibana
//! visualisations query.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lookout::emit::{elasticsearch, kibana, Artifact};
use serde_json::{json, Value};
use support::generate_for;
use support::ingest::{get, Ingest};

fn examples() -> Vec<Artifact> {
    generate_for("lookout.yaml", "slos")
}

/// The artifacts under `dir`; a test that loops over them checks
/// something, so an empty folder fails here rather than passing vacuously.
fn under<'a>(artifacts: &'a [Artifact], dir: &str) -> Vec<&'a Artifact> {
    let found: Vec<&Artifact> = artifacts
        .iter()
        .filter(|a| a.path.starts_with(dir))
        .collect();
    assert!(!found.is_empty(), "no artifact under {dir}");
    found
}

fn kibana_objects(artifact: &Artifact) -> Vec<Value> {
    assert!(artifact.contents.ends_with('\n'));
    artifact
        .contents
        .lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", artifact.path.display(), i + 1))
        })
        .collect()
}

/// Every attribute Kibana stores as a JSON-encoded string.
const JSON_STRING_ATTRIBUTES: &[&str] = &[
    "panelsJSON",
    "optionsJSON",
    "kibanaSavedObjectMeta.searchSourceJSON",
    "fields",
    "fieldFormatMap",
    "runtimeFieldMap",
    "sourceFilters",
    "typeMeta",
];

fn es_bodies(artifacts: &[Artifact], kind: &str) -> HashMap<String, Value> {
    under(artifacts, &format!("dashboards/elasticsearch/{kind}"))
        .into_iter()
        .map(|a| {
            let id = a.path.file_stem().unwrap().to_string_lossy().into_owned();
            (id, serde_json::from_str(&a.contents).unwrap())
        })
        .collect()
}

fn ingest(artifacts: &[Artifact]) -> Ingest {
    Ingest {
        pipelines: es_bodies(artifacts, "_ingest/pipeline"),
        duration_script: elasticsearch::DURATION_SCRIPT.to_string(),
    }
}

#[test]
fn examples_cover_both_destinations_and_a_json_log() {
    let artifacts = examples();
    let paths: BTreeSet<String> = artifacts
        .iter()
        .map(|a| a.path.display().to_string())
        .filter(|p| !p.starts_with("rules/") || p.starts_with("rules/loki"))
        .filter(|p| !p.starts_with("runbooks") && !p.contains("grafana"))
        .filter(|p| !p.contains("prometheus-rules") && !p.contains("kustomization"))
        .filter(|p| !p.starts_with("alertmanager/") && !p.starts_with("kubernetes/alertmanager/"))
        .filter(|p| !p.starts_with("kubernetes/rollouts/") && !p.starts_with("kubernetes/flagger/"))
        .collect();
    let expected = [
        "dashboards/elasticsearch/_ilm/policy/lookout-logs-ingress-nginx.json",
        "dashboards/elasticsearch/_ilm/policy/lookout-logs-payments-api.json",
        "dashboards/elasticsearch/_index_template/lookout-logs-ingress-nginx.json",
        "dashboards/elasticsearch/_index_template/lookout-logs-payments-api.json",
        "dashboards/elasticsearch/_ingest/pipeline/lookout-logs-ingress-nginx.access.json",
        "dashboards/elasticsearch/_ingest/pipeline/lookout-logs-ingress-nginx.json",
        "dashboards/elasticsearch/_ingest/pipeline/lookout-logs-payments-api.app.json",
        "dashboards/elasticsearch/_ingest/pipeline/lookout-logs-payments-api.json",
        "dashboards/kibana/ingress-nginx.ndjson",
        "dashboards/kibana/payments-api.ndjson",
        "kubernetes/loki-rules/ingress-nginx.yaml",
        "kubernetes/loki-rules/payments-api.yaml",
        "kubernetes/shipping/alloy.yaml",
        "kubernetes/shipping/vector.yaml",
        "rules/loki/ingress-nginx.yaml",
        "rules/loki/payments-api.yaml",
        "shipping/alloy/config.alloy",
        "shipping/vector/vector.yaml",
    ];
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(paths, expected);
}

/// GitOps delivers the Loki ruler's rules as ConfigMaps for the Loki
/// chart's rules sidecar: each holds its rule file, byte for byte, in the
/// tenant's folder (the local ruler store reads `<dir>/<tenant>/<file>`).
#[test]
fn loki_rule_configmaps_carry_the_rule_files_in_the_tenants_folder() {
    let artifacts = examples();
    for service in ["ingress-nginx", "payments-api"] {
        let text = |path: String| {
            let artifact = artifacts
                .iter()
                .find(|a| a.path == std::path::Path::new(&path))
                .unwrap_or_else(|| panic!("{path}"));
            artifact.contents.to_string()
        };
        let map: serde_json::Value =
            serde_saphyr::from_str(&text(format!("kubernetes/loki-rules/{service}.yaml"))).unwrap();
        assert_eq!(map["kind"], "ConfigMap");
        assert_eq!(map["metadata"]["labels"]["loki_rule"], "1");
        // lookout.yaml's loki.tenant.
        assert_eq!(
            map["metadata"]["annotations"]["k8s-sidecar-target-directory"],
            "platform"
        );
        assert_eq!(
            map["data"][format!("{service}.yaml")].as_str().unwrap(),
            text(format!("rules/loki/{service}.yaml"))
        );
    }
}

#[test]
fn kibana_lines_parse_and_references_resolve() {
    let artifacts = examples();
    let files = under(&artifacts, "dashboards/kibana");
    assert_eq!(files.len(), 2);
    for file in files {
        let objects = kibana_objects(file);
        let declared: BTreeSet<(String, String)> = objects
            .iter()
            .map(|o| {
                (
                    o["type"].as_str().unwrap().into(),
                    o["id"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            declared.len(),
            objects.len(),
            "duplicate ids in {}",
            file.path.display()
        );
        let types: Vec<&str> = objects
            .iter()
            .map(|o| o["type"].as_str().unwrap())
            .collect();
        assert_eq!(types.iter().filter(|t| **t == "dashboard").count(), 1);
        assert_eq!(types.iter().filter(|t| **t == "index-pattern").count(), 1);
        assert!(types.iter().filter(|t| **t == "lens").count() >= 4);
        for object in &objects {
            let what = format!("{} {}", object["type"], object["id"]);
            assert_eq!(object["managed"], json!(true), "{what}");
            for key in JSON_STRING_ATTRIBUTES {
                if let Some(text) = get(&object["attributes"], key) {
                    let text = text
                        .as_str()
                        .unwrap_or_else(|| panic!("{what}: {key} is not a string"));
                    serde_json::from_str::<Value>(text)
                        .unwrap_or_else(|e| panic!("{what}: {key} is not JSON: {e}"));
                }
            }
            let mut names = BTreeSet::new();
            for reference in object["references"].as_array().unwrap() {
                let target = (
                    reference["type"].as_str().unwrap().to_string(),
                    reference["id"].as_str().unwrap().to_string(),
                );
                assert!(
                    declared.contains(&target),
                    "{what}: dangling reference {reference}"
                );
                assert!(names.insert(reference["name"].as_str().unwrap().to_string()));
            }
            match object["type"].as_str().unwrap() {
                "dashboard" => {
                    let panels: Value =
                        serde_json::from_str(object["attributes"]["panelsJSON"].as_str().unwrap())
                            .unwrap();
                    let panels = panels.as_array().unwrap();
                    assert_eq!(panels.len(), names.len(), "one reference per panel");
                    for panel in panels {
                        let name = panel["panelRefName"].as_str().unwrap();
                        assert!(names.contains(name), "{what}: panel ref {name} unresolved");
                        let grid = &panel["gridData"];
                        let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
                        assert!(x + w <= 48, "{what}: panel wider than the grid");
                        assert_eq!(grid["i"], panel["panelIndex"]);
                    }
                }
                "lens" => {
                    let layers = object["attributes"]["state"]["datasourceStates"]["formBased"]
                        ["layers"]
                        .as_object()
                        .unwrap();
                    for (layer, state) in layers {
                        let name = format!("indexpattern-datasource-layer-{layer}");
                        assert!(
                            names.contains(&name),
                            "{what}: layer {layer} has no data view"
                        );
                        let columns = state["columns"].as_object().unwrap();
                        let order: BTreeSet<&str> = state["columnOrder"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c.as_str().unwrap())
                            .collect();
                        let ids: BTreeSet<&str> = columns.keys().map(String::as_str).collect();
                        assert_eq!(order, ids, "{what}: columnOrder lists every column");
                        for column in columns.values() {
                            for r in column["references"].as_array().into_iter().flatten() {
                                assert!(
                                    ids.contains(r.as_str().unwrap()),
                                    "{what}: column ref {r}"
                                );
                            }
                            if let Some(by) = column["params"]["orderBy"]["columnId"].as_str() {
                                assert!(ids.contains(by), "{what}: orders by a missing column");
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn kibana_panels_are_ones_lens_can_render() {
    let artifacts = examples();
    let ndjson = under(&artifacts, "dashboards/kibana")
        .into_iter()
        .find(|a| a.path.ends_with("payments-api.ndjson"))
        .unwrap();
    let objects = kibana_objects(ndjson);
    let lens = |slug: &str| {
        let id = format!("lookout-payments-api-{slug}");
        objects
            .iter()
            .find(|o| o["id"] == json!(id))
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let columns = |object: &Value| {
        object["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]
            ["columns"]
            .clone()
    };
    // Terms are ranked by a plain metric: Lens cannot sort by a formula
    // (kibana#123695) and sends an order Elasticsearch rejects.
    for object in objects.iter().filter(|o| o["type"] == "lens") {
        let columns = columns(object);
        for column in columns.as_object().unwrap().values() {
            if column["operationType"] == "terms" {
                let by = column["params"]["orderBy"]["columnId"].as_str().unwrap();
                let op = &columns[by]["operationType"];
                assert!(
                    op == "count" || op == "percentile",
                    "{}: terms ordered by a {op} column",
                    object["id"]
                );
            }
        }
    }
    let percentiles = columns(&lens("latency-percentiles"));
    for p in [50, 95, 99] {
        assert_eq!(
            percentiles[format!("p{p}")]["params"]["percentile"],
            json!(p)
        );
        assert_eq!(
            percentiles[format!("p{p}")]["sourceField"],
            "event.duration"
        );
    }
    let top = columns(&lens("top-endpoints"));
    assert_eq!(top["path"]["params"]["orderBy"]["columnId"], "requests");
    assert_eq!(
        top["errors"]["filter"]["query"],
        "http.response.status_code >= 500"
    );
    assert_eq!(top["error_rate"]["operationType"], "formula");
    assert_eq!(
        columns(&lens("endpoint-latency"))["p95"]["params"]["percentile"],
        json!(95)
    );
    // Explicit ranges, contiguous and ending open, in nanoseconds.
    let histogram = columns(&lens("latency-histogram"));
    assert_eq!(histogram["duration"]["params"]["type"], "range");
    let ranges = histogram["duration"]["params"]["ranges"]
        .as_array()
        .unwrap();
    assert_eq!(ranges[0]["from"], json!(0));
    assert_eq!(ranges[1]["from"], json!(5_000_000), "5 ms in ns");
    for pair in ranges.windows(2) {
        assert_eq!(pair[0]["to"], pair[1]["from"]);
    }
    assert_eq!(ranges.last().unwrap()["to"], Value::Null);
    // The duration format names its unit.
    let data_view = objects
        .iter()
        .find(|o| o["type"] == "index-pattern")
        .unwrap();
    let formats: Value =
        serde_json::from_str(data_view["attributes"]["fieldFormatMap"].as_str().unwrap()).unwrap();
    assert_eq!(
        formats["event.duration"]["params"]["showSuffix"],
        json!(true)
    );
}

#[test]
fn kibana_migration_versions_match_the_stated_minimum() {
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap()).collect() };
    let minimum = parse(kibana::MIN_KIBANA);
    assert!(minimum >= vec![8, 8, 0], "8.8+ reads typeMigrationVersion");
    for file in under(&examples(), "dashboards/kibana") {
        for object in kibana_objects(file) {
            assert_eq!(object["coreMigrationVersion"], json!("8.8.0"));
            let version = parse(object["typeMigrationVersion"].as_str().unwrap());
            assert!(
                version <= minimum,
                "{}: {version:?} is newer than the minimum Kibana",
                object["id"]
            );
            assert!(object.get("migrationVersion").is_none(), "pre-8.8 field");
        }
    }
}

/// Field names a KQL query compares, e.g. `http.response.status_code`.
fn kql_fields(query: &str) -> Vec<String> {
    query
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| w.contains('.') && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .collect()
}

/// Every field a Lens visualisation reads: columns' source fields and the
/// fields of KQL filters inside them.
fn lens_fields(object: &Value) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let layers = &object["attributes"]["state"]["datasourceStates"]["formBased"]["layers"];
    for layer in layers.as_object().unwrap().values() {
        for column in layer["columns"].as_object().unwrap().values() {
            if let Some(field) = column["sourceField"].as_str() {
                if field != "___records___" {
                    fields.insert(field.to_string());
                }
            }
            if let Some(q) = column["filter"]["query"].as_str() {
                fields.extend(kql_fields(q));
            }
            for filter in column["params"]["filters"].as_array().into_iter().flatten() {
                fields.extend(kql_fields(filter["input"]["query"].as_str().unwrap()));
            }
            if let Some(formula) = column["params"]["formula"].as_str() {
                fields.extend(kql_fields(formula.replace('\'', " ").as_str()));
            }
        }
    }
    fields
}

/// Fields a pipeline writes: grok captures, rename/set/date/convert targets
/// and the script's `event.duration`.
fn pipeline_outputs(pipeline: &Value, out: &mut BTreeSet<String>) {
    for processor in pipeline["processors"].as_array().unwrap() {
        let (kind, config) = processor.as_object().unwrap().iter().next().unwrap();
        match kind.as_str() {
            "grok" => {
                for pattern in config["patterns"].as_array().unwrap() {
                    let pattern = pattern.as_str().unwrap();
                    for capture in pattern.split("%{").skip(1) {
                        let inner = &capture[..capture.find('}').unwrap()];
                        if let Some(name) = inner.split(':').nth(1) {
                            out.insert(name.to_string());
                        }
                    }
                }
            }
            "rename" | "date" => {
                out.insert(
                    config["target_field"]
                        .as_str()
                        .unwrap_or("@timestamp")
                        .to_string(),
                );
            }
            "set" => {
                out.insert(config["field"].as_str().unwrap().to_string());
            }
            "script" => {
                out.insert("event.duration".to_string());
            }
            _ => {}
        }
    }
}

fn mapped_fields(template: &Value) -> BTreeSet<String> {
    fn walk(prefix: &str, properties: &Value, out: &mut BTreeSet<String>) {
        for (name, node) in properties.as_object().unwrap() {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match node.get("properties") {
                Some(inner) => walk(&path, inner, out),
                None => {
                    out.insert(path);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(
        "",
        &template["template"]["mappings"]["properties"],
        &mut out,
    );
    out
}

#[test]
fn kibana_visualisations_query_fields_the_pipelines_produce() {
    let artifacts = examples();
    let pipelines = es_bodies(&artifacts, "_ingest/pipeline");
    let templates = es_bodies(&artifacts, "_index_template");
    for file in under(&artifacts, "dashboards/kibana") {
        let service = file
            .path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let stream = format!("lookout-logs-{service}");
        let mut produced: BTreeSet<String> = ["@timestamp".to_string()].into();
        for (id, pipeline) in &pipelines {
            if id.starts_with(&format!("{stream}.")) {
                pipeline_outputs(pipeline, &mut produced);
            }
        }
        let mapped = mapped_fields(&templates[&stream]);
        for object in kibana_objects(file) {
            if object["type"] != json!("lens") {
                continue;
            }
            let fields = lens_fields(&object);
            assert!(!fields.is_empty());
            for field in fields {
                assert!(
                    produced.contains(&field),
                    "{}: `{field}` is never produced by {stream}'s pipelines ({produced:?})",
                    object["id"]
                );
                assert!(
                    mapped.contains(&field),
                    "{}: `{field}` is not mapped",
                    object["id"]
                );
            }
        }
        let data_view = kibana_objects(file)
            .into_iter()
            .find(|o| o["type"] == json!("index-pattern"))
            .unwrap();
        assert_eq!(data_view["attributes"]["title"], json!(stream));
        assert_eq!(
            data_view["attributes"]["timeFieldName"],
            json!("@timestamp")
        );
    }
}

#[test]
fn elasticsearch_objects_are_owned_ordered_and_consistent() {
    let artifacts = examples();
    let policies = es_bodies(&artifacts, "_ilm/policy");
    let pipelines = es_bodies(&artifacts, "_ingest/pipeline");
    let templates = es_bodies(&artifacts, "_index_template");
    for (name, template) in &templates {
        assert_eq!(template["_meta"]["managed_by"], json!("lookout"));
        assert!(
            template["priority"].as_u64().unwrap() > 100,
            "above logs-*-*"
        );
        assert_eq!(template["data_stream"], json!({}));
        for pattern in template["index_patterns"].as_array().unwrap() {
            let pattern = pattern.as_str().unwrap();
            // The built-in `logs-*-*` matches names starting `logs-` with two more dashes.
            assert!(!pattern.starts_with("logs-"), "{pattern} overlaps logs-*-*");
        }
        let settings = &template["template"]["settings"];
        let policy = settings["index"]["lifecycle"]["name"].as_str().unwrap();
        let pipeline = settings["index"]["default_pipeline"].as_str().unwrap();
        assert!(
            policies.contains_key(policy),
            "{name}: policy {policy} is not generated"
        );
        assert!(
            pipelines.contains_key(pipeline),
            "{name}: pipeline {pipeline} is not generated"
        );
        for processor in pipelines[pipeline]["processors"].as_array().unwrap() {
            let target = processor["pipeline"]["name"].as_str().unwrap();
            assert!(
                pipelines.contains_key(target),
                "router names missing {target}"
            );
        }
    }
    for policy in policies.values() {
        assert_eq!(policy["policy"]["_meta"]["managed_by"], json!("lookout"));
        let phases = &policy["policy"]["phases"];
        assert!(phases["hot"]["actions"]["rollover"]["max_primary_shard_size"].is_string());
        assert!(phases["delete"]["actions"]["delete"].is_object());
    }
    assert_eq!(
        policies["lookout-logs-ingress-nginx"]["policy"]["phases"]["delete"]["min_age"],
        json!("14d")
    );
    for pipeline in pipelines.values() {
        assert_eq!(pipeline["_meta"]["managed_by"], json!("lookout"));
    }
    // Each file is owned by lookout within its first lines.
    for artifact in under(&artifacts, "dashboards/elasticsearch") {
        assert!(
            lookout::out::is_owned(&artifact.contents),
            "{}",
            artifact.path.display()
        );
    }
    for artifact in under(&artifacts, "dashboards/kibana") {
        assert!(
            lookout::out::is_owned(&artifact.contents),
            "{}",
            artifact.path.display()
        );
    }
}

const NGINX_LINES: &[&str] = &[
    r#"203.0.113.7 - - [22/Nov/2026:04:15:18 +0100] "GET /api/v1/orders?page=2&size=50 HTTP/1.1" 200 5123 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" 0.137"#,
    r#"2001:db8::1 - alice [01/Jan/2026:00:00:00 -0500] "POST /checkout HTTP/2.0" 502 - "-" "curl/8.5.0" 12.004"#,
    r#"198.51.100.23 - - [29/Feb/2028:23:59:59 +0000] "-" 400 0 "-" "-" 0.000"#,
];

fn index(ingest: &Ingest, stream: &str, dataset: &str, message: &str) -> Value {
    // What Vector sends: the raw line, the dataset and a timestamp.
    let mut doc = json!({
        "message": message,
        "event": {"dataset": dataset},
        "@timestamp": "2026-11-22T00:00:00.000Z",
    });
    ingest.run(stream, &mut doc).unwrap();
    doc
}

#[test]
fn nginx_lines_become_ecs_fields() {
    let artifacts = examples();
    let ingest = ingest(&artifacts);
    let stream = "lookout-logs-ingress-nginx";
    let docs: Vec<Value> = NGINX_LINES
        .iter()
        .map(|line| index(&ingest, stream, "ingress-nginx.access", line))
        .collect();
    let ecs = |doc: &Value, field: &str| get(doc, field).cloned().unwrap_or(Value::Null);

    let first = &docs[0];
    assert_eq!(ecs(first, "http.response.status_code"), json!(200));
    assert_eq!(ecs(first, "http.request.method"), json!("GET"));
    assert_eq!(ecs(first, "url.path"), json!("/api/v1/orders"));
    assert_eq!(ecs(first, "url.query"), json!("page=2&size=50"));
    assert_eq!(
        ecs(first, "url.original"),
        json!("/api/v1/orders?page=2&size=50")
    );
    assert_eq!(ecs(first, "event.duration"), json!(137_000_000));
    assert_eq!(ecs(first, "client.ip"), json!("203.0.113.7"));
    assert_eq!(
        ecs(first, "user_agent.original"),
        json!("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
    );
    assert_eq!(ecs(first, "http.response.body.bytes"), json!(5123));
    assert_eq!(
        ecs(first, "http.request.referrer"),
        json!("https://shop.example.com/")
    );
    assert_eq!(
        ecs(first, "@timestamp"),
        json!("2026-11-22T03:15:18.000Z"),
        "local time to UTC"
    );
    assert_eq!(ecs(first, "service.name"), json!("ingress-nginx"));
    assert_eq!(
        ecs(first, "lookout"),
        Value::Null,
        "scratch fields are removed"
    );
    assert_eq!(ecs(first, "error"), Value::Null);

    let second = &docs[1];
    assert_eq!(ecs(second, "client.ip"), json!("2001:db8::1"));
    assert_eq!(ecs(second, "user.name"), json!("alice"));
    assert_eq!(ecs(second, "http.response.status_code"), json!(502));
    assert_eq!(
        ecs(second, "http.response.body.bytes"),
        Value::Null,
        "`-` is no bytes"
    );
    assert_eq!(
        ecs(second, "http.request.referrer"),
        Value::Null,
        "`-` is no referrer"
    );
    assert_eq!(ecs(second, "url.query"), Value::Null);
    assert_eq!(ecs(second, "event.duration"), json!(12_004_000_000_i64));
    assert_eq!(ecs(second, "@timestamp"), json!("2026-01-01T05:00:00.000Z"));

    // A malformed request line still yields status, client and time.
    let third = &docs[2];
    assert_eq!(ecs(third, "http.response.status_code"), json!(400));
    assert_eq!(ecs(third, "http.request.method"), Value::Null);
    assert_eq!(ecs(third, "user_agent.original"), Value::Null);
    assert_eq!(ecs(third, "event.duration"), json!(0));
    assert_eq!(ecs(third, "@timestamp"), json!("2028-02-29T23:59:59.000Z"));

    // A line in another format is kept and marked, not dropped.
    let broken = index(
        &ingest,
        stream,
        "ingress-nginx.access",
        "not an access log line",
    );
    assert_eq!(ecs(&broken, "event.kind"), json!("pipeline_error"));
    assert!(ecs(&broken, "error.message")
        .as_str()
        .unwrap()
        .contains("Grok"));
    assert_eq!(ecs(&broken, "message"), json!("not an access log line"));

    // ingress-nginx's default `log-format-upstream` continues after
    // `$http_user_agent` with `$request_length $request_time …`: without
    // the end anchor, the request length (here 512) was read as the
    // duration. It is another format, marked as such.
    let ingress_default = r#"203.0.113.7 - - [22/Nov/2026:04:15:18 +0100] "GET /api/v1/orders HTTP/1.1" 200 5123 "-" "curl/8.5.0" 512 0.137 [shop-web-80] [] 10.0.3.4:8080 5123 0.136 200 4f3a2b1c0d9e8f7a"#;
    let other = index(&ingest, stream, "ingress-nginx.access", ingress_default);
    assert_eq!(
        ecs(&other, "event.kind"),
        json!("pipeline_error"),
        "{other}"
    );
    assert_eq!(ecs(&other, "event.duration"), Value::Null);
}

#[test]
fn json_lines_become_ecs_fields() {
    let artifacts = examples();
    let ingest = ingest(&artifacts);
    let line = r#"{"ts":"2026-11-22T04:15:18Z","level":"info","client_ip":"192.0.2.10","duration_ms":42.5,"http":{"method":"POST","path":"/v1/refunds/abc?dry_run=1","status":503,"user_agent":"okhttp/4.12"}}"#;
    let doc = index(
        &ingest,
        "lookout-logs-payments-api",
        "payments-api.app",
        line,
    );
    assert_eq!(get(&doc, "http.response.status_code"), Some(&json!(503)));
    assert_eq!(get(&doc, "http.request.method"), Some(&json!("POST")));
    assert_eq!(get(&doc, "url.path"), Some(&json!("/v1/refunds/abc")));
    // The spec's `routes` fold the id out, for the endpoint panels.
    assert_eq!(get(&doc, "http.route"), Some(&json!("/v1/refunds/:id")));
    assert_eq!(get(&doc, "event.duration"), Some(&json!(42_500_000)));
    assert_eq!(get(&doc, "client.ip"), Some(&json!("192.0.2.10")));
    assert_eq!(
        get(&doc, "user_agent.original"),
        Some(&json!("okhttp/4.12"))
    );
    assert_eq!(get(&doc, "lookout"), None);
    // A client field that is not an IP is dropped, not left to fail the mapping.
    let line = r#"{"client_ip":"unknown","duration_ms":1,"http":{"method":"GET","path":"/","status":"200"}}"#;
    let doc = index(
        &ingest,
        "lookout-logs-payments-api",
        "payments-api.app",
        line,
    );
    assert_eq!(get(&doc, "client.ip"), None);
    assert_eq!(get(&doc, "http.response.status_code"), Some(&json!(200)));
    assert_eq!(get(&doc, "error"), None);
    // A path no route covers is its own route; a deeper one is not folded.
    assert_eq!(get(&doc, "http.route"), Some(&json!("/")));
    let doc = index(
        &ingest,
        "lookout-logs-payments-api",
        "payments-api.app",
        r#"{"duration_ms":1,"http":{"method":"GET","path":"/v1/payments/p_1/captures","status":200}}"#,
    );
    assert_eq!(
        get(&doc, "http.route"),
        Some(&json!("/v1/payments/p_1/captures"))
    );
}

/// Every leaf field of a document, as a dotted path.
fn leaf_fields(doc: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match doc.as_object() {
        Some(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaf_fields(value, &path, out);
            }
        }
        None => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn every_field_a_pipeline_writes_is_mapped_even_when_it_fails() {
    let artifacts = examples();
    let ingest = ingest(&artifacts);
    let templates = es_bodies(&artifacts, "_index_template");
    let mut docs = Vec::new();
    for line in NGINX_LINES {
        docs.push((
            "lookout-logs-ingress-nginx",
            index(
                &ingest,
                "lookout-logs-ingress-nginx",
                "ingress-nginx.access",
                line,
            ),
        ));
    }
    for line in [
        r#"{"client_ip":"192.0.2.10","duration_ms":42.5,"http":{"method":"POST","path":"/v1/refunds/abc?x=1","status":503,"user_agent":"okhttp/4.12"}}"#,
        // A status that is not a number fails the pipeline half way.
        r#"{"client_ip":"192.0.2.10","duration_ms":1,"extra":{"deep":"x"},"http":{"method":"GET","path":"/","status":"teapot"}}"#,
    ] {
        docs.push((
            "lookout-logs-payments-api",
            index(
                &ingest,
                "lookout-logs-payments-api",
                "payments-api.app",
                line,
            ),
        ));
    }
    let failed = &docs.last().unwrap().1;
    assert_eq!(
        get(failed, "lookout"),
        None,
        "scratch fields leaked: {failed}"
    );
    assert_eq!(get(failed, "http.response.status_code"), None, "{failed}");
    assert!(get(failed, "error.message").is_some(), "{failed}");
    // A duration that is not a number fails the whole pipeline: kept, marked.
    let broken = index(
        &ingest,
        "lookout-logs-payments-api",
        "payments-api.app",
        r#"{"duration_ms":"slow","http":{"method":"GET","path":"/","status":200}}"#,
    );
    assert_eq!(get(&broken, "event.kind"), Some(&json!("pipeline_error")));
    assert_eq!(
        get(&broken, "lookout"),
        None,
        "scratch fields leaked: {broken}"
    );
    docs.push(("lookout-logs-payments-api", broken));
    for (stream, doc) in &docs {
        let mapped = mapped_fields(&templates[*stream]);
        let mut fields = BTreeSet::new();
        leaf_fields(doc, "", &mut fields);
        let unmapped: Vec<&String> = fields.difference(&mapped).collect();
        assert!(
            unmapped.is_empty(),
            "{stream}: unmapped {unmapped:?} in {doc}"
        );
        // And each value fits its mapping's type.
        for field in &fields {
            let value = get(doc, field).unwrap();
            match field.as_str() {
                "http.response.status_code" | "http.response.body.bytes" | "event.duration" => {
                    assert!(value.is_i64(), "{field}: {value} is not a long")
                }
                _ => {}
            }
        }
    }
    // The user_agent processor's default properties (Elasticsearch's
    // reference: name, version, os, device), which the interpreter here
    // does not produce.
    for stream in ["lookout-logs-ingress-nginx", "lookout-logs-payments-api"] {
        let mapped = mapped_fields(&templates[stream]);
        for field in [
            "user_agent.name",
            "user_agent.version",
            "user_agent.os.name",
            "user_agent.os.version",
            "user_agent.os.full",
            "user_agent.device.name",
        ] {
            assert!(mapped.contains(field), "{stream}: {field} unmapped");
        }
    }
}

#[test]
fn keyword_fields_cap_their_length() {
    let artifacts = examples();
    for (name, template) in es_bodies(&artifacts, "_index_template") {
        let mut keywords = 0;
        fn walk(node: &Value, path: &str, count: &mut usize) {
            for (key, field) in node.as_object().unwrap() {
                let path = format!("{path}.{key}");
                if let Some(inner) = field.get("properties") {
                    walk(inner, &path, count);
                } else if field["type"] == "keyword" {
                    *count += 1;
                    assert!(
                        field["ignore_above"].as_u64().is_some_and(|n| n <= 8191),
                        "{path}: {field}"
                    );
                }
            }
        }
        walk(
            &template["template"]["mappings"]["properties"],
            &name,
            &mut keywords,
        );
        assert!(keywords >= 10, "{name}: {keywords}");
        let dynamic =
            &template["template"]["mappings"]["dynamic_templates"][0]["strings_as_keywords"];
        assert_eq!(dynamic["mapping"]["type"], "keyword", "{name}");
    }
}

#[test]
fn logfmt_lines_become_ecs_fields() {
    let dir = tempfile::tempdir().unwrap();
    let slos = dir.path().join("slos");
    std::fs::create_dir(&slos).unwrap();
    std::fs::write(
        dir.path().join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\nelasticsearch: {url: https://es.example.com:9200}\n",
    )
    .unwrap();
    std::fs::write(
        slos.join("api.yaml"),
        r#"service: api
slos:
  - name: availability
    objective: 99
    sli:
      events:
        errors: sum(rate(e[{{window}}]))
        total: sum(rate(t[{{window}}]))
logs:
  - name: requests
    source: {files: [/var/log/api/*.log]}
    format: logfmt
    fields: {status: status, method: method, path: path, duration: took_us, duration_unit: us, client: remote}
    destinations: [elasticsearch]
"#,
    )
    .unwrap();
    let artifacts = generate_for(
        &dir.path().join("lookout.yaml").display().to_string(),
        &slos.display().to_string(),
    );
    let ingest = ingest(&artifacts);
    let line = r#"time=2026-11-22T04:15:18Z level=info msg="request done" method=GET path=/search?q=x status=404 took_us=1500 remote=10.1.2.3"#;
    let doc = index(&ingest, "lookout-logs-api", "api.requests", line);
    assert_eq!(get(&doc, "http.response.status_code"), Some(&json!(404)));
    assert_eq!(get(&doc, "url.path"), Some(&json!("/search")));
    assert_eq!(get(&doc, "event.duration"), Some(&json!(1_500_000)));
    assert_eq!(get(&doc, "client.ip"), Some(&json!("10.1.2.3")));
    assert_eq!(get(&doc, "user_agent"), None);
    // No user agent mapped and no top-clients dropped: the client is mapped.
    let kibana = artifacts
        .iter()
        .find(|a| a.path.ends_with("api.ndjson"))
        .unwrap();
    assert!(kibana.contents.contains("lookout-api-top-clients"));
}

/// Options of the Vector components lookout writes, from Vector's
/// configuration reference (`website/cue/reference/components/**/base/*.cue`).
fn vector_options(kind: &str, component: &str) -> Option<&'static [&'static str]> {
    Some(match (kind, component) {
        ("sources", "kubernetes_logs") => &[
            "type",
            "extra_label_selector",
            "extra_field_selector",
            "extra_namespace_label_selector",
            "include_paths_glob_patterns",
            "exclude_paths_glob_patterns",
            "read_from",
            "self_node_name",
        ],
        ("sources", "file") => &[
            "type",
            "include",
            "exclude",
            "read_from",
            "ignore_older_secs",
        ],
        ("transforms", "remap") => &[
            "type",
            "inputs",
            "source",
            "file",
            "drop_on_error",
            "drop_on_abort",
        ],
        ("sinks", "loki") => &[
            "type",
            "inputs",
            "endpoint",
            "labels",
            "encoding",
            "encoding.codec",
            "tenant_id",
            "auth",
            "auth.strategy",
            "auth.token",
            "auth.user",
            "auth.password",
            "out_of_order_action",
            "remove_label_fields",
            "path",
            "structured_metadata",
            "tls",
            "tls.ca_file",
            "tls.verify_certificate",
            "tls.verify_hostname",
        ],
        ("sinks", "elasticsearch") => &[
            "type",
            "inputs",
            "endpoints",
            "api_version",
            "mode",
            "bulk",
            "bulk.action",
            "bulk.index",
            "encoding",
            "encoding.except_fields",
            "encoding.only_fields",
            "request",
            "request.headers",
            "auth",
            "pipeline",
            "compression",
            "tls",
            "tls.ca_file",
            "tls.verify_certificate",
            "tls.verify_hostname",
        ],
        _ => return None,
    })
}

#[test]
fn vector_config_uses_only_real_components_and_options() {
    let artifacts = examples();
    let config = checked_vector_config(text(&artifacts, "vector/vector.yaml").unwrap());
    let es = config["sinks"]["elasticsearch__ingress_nginx"].clone();
    assert_eq!(
        es["bulk"]["action"],
        json!("create"),
        "data streams accept only create"
    );
    assert_eq!(es["bulk"]["index"], json!("lookout-logs-ingress-nginx"));
    assert_eq!(
        es["request"]["headers"]["Authorization"],
        json!("ApiKey ${ES_API_KEY:-}")
    );
}

/// A Vector config, checked: only types and options from Vector's
/// reference, every input declared, Loki labels low-cardinality.
fn checked_vector_config(text: &str) -> Value {
    let config: Value = serde_saphyr::from_str(text).expect("vector.yaml parses");
    let mut ids = BTreeSet::new();
    for kind in ["sources", "transforms", "sinks"] {
        for (id, component) in config[kind].as_object().unwrap() {
            assert!(ids.insert(id.clone()), "component id {id} used twice");
            let ty = component["type"].as_str().unwrap();
            let allowed = vector_options(kind, ty)
                .unwrap_or_else(|| panic!("{kind}.{id}: unknown type {ty}"));
            for (key, value) in component.as_object().unwrap() {
                assert!(
                    allowed.contains(&key.as_str()),
                    "{kind}.{id}: {ty} has no option {key}"
                );
                // Nested options are checked one level down, except free-form maps.
                if let (Some(inner), false) = (
                    value.as_object(),
                    ["labels", "headers", "structured_metadata"].contains(&key.as_str()),
                ) {
                    for inner_key in inner.keys() {
                        let path = format!("{key}.{inner_key}");
                        assert!(
                            allowed.contains(&path.as_str())
                                || key == "request" && inner_key == "headers",
                            "{kind}.{id}: {ty} has no option {path}"
                        );
                    }
                }
            }
        }
    }
    for kind in ["transforms", "sinks"] {
        for (id, component) in config[kind].as_object().unwrap() {
            for input in component["inputs"].as_array().unwrap() {
                let input = input.as_str().unwrap();
                assert!(ids.contains(input), "{id} reads undeclared {input}");
            }
        }
    }
    // Loki labels stay low-cardinality: exactly service, stream and namespace.
    for (id, sink) in config["sinks"].as_object().unwrap() {
        if sink["type"] == json!("loki") {
            let labels: BTreeSet<&str> = sink["labels"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert!(
                labels.is_subset(&["namespace", "service", "stream"].into()),
                "{id}: {labels:?}"
            );
            assert_eq!(sink["encoding"]["codec"], json!("text"));
        }
    }
    config
}

/// Components of the Alloy standard library lookout uses, with the
/// arguments and blocks their reference pages document.
fn alloy_component(name: &str) -> Option<(&'static [&'static str], &'static str)> {
    // (arguments and blocks, exported field other components read)
    Some(match name {
        "loki.write" => (
            &[
                "endpoint",
                "url",
                "tenant_id",
                "bearer_token",
                "external_labels",
            ],
            "receiver",
        ),
        "discovery.kubernetes" => (
            &["role", "namespaces", "names", "selectors", "label", "field"],
            "targets",
        ),
        "discovery.relabel" => (
            &[
                "targets",
                "rule",
                "source_labels",
                "target_label",
                "replacement",
                "regex",
                "action",
                "separator",
            ],
            "output",
        ),
        "loki.source.kubernetes" => (&["targets", "forward_to"], ""),
        "local.file_match" => (&["path_targets", "sync_period"], "targets"),
        "loki.source.file" => (&["targets", "forward_to"], ""),
        "loki.relabel" => (
            &[
                "forward_to",
                "rule",
                "action",
                "regex",
                "source_labels",
                "target_label",
                "replacement",
            ],
            "receiver",
        ),
        // Stages and their arguments as in Alloy's loki.process reference;
        // tests/support/alloy.rs runs them.
        "loki.process" => (
            &[
                "forward_to",
                "stage.json",
                "expressions",
                "stage.logfmt",
                "mapping",
                "stage.regex",
                "expression",
                "source",
                "stage.replace",
                "replace",
                "stage.structured_metadata",
                "values",
            ],
            "receiver",
        ),
        _ => return None,
    })
}

#[test]
fn alloy_config_declares_every_component_it_references() {
    let artifacts = examples();
    let alloy = artifacts
        .iter()
        .find(|a| a.path.ends_with("alloy/config.alloy"))
        .unwrap();
    let text = &alloy.contents;
    assert!(lookout::out::is_owned(text));
    // Top-level blocks: `name "label" {`.
    let mut declared: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut depth = 0usize;
    for line in text.lines().map(str::trim) {
        if line.starts_with("//") || line.is_empty() {
            continue;
        }
        if depth == 0 {
            let (name, rest) = line.split_once(' ').expect("a block");
            let label = rest.trim_end_matches('{').trim().trim_matches('"');
            assert!(rest.ends_with('{'), "{line}");
            let key = (name.to_string(), label.to_string());
            assert!(
                !declared.contains_key(&key),
                "{name} {label:?} declared twice"
            );
            assert!(
                label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "label {label}"
            );
            declared.insert(key.clone(), Vec::new());
            current = Some(key);
        } else {
            let word = line.split([' ', '=']).next().unwrap();
            if !word.starts_with('{') && !word.starts_with(']') && !word.starts_with('}') {
                declared
                    .get_mut(current.as_ref().unwrap())
                    .unwrap()
                    .push(word.to_string());
            }
        }
        depth += line.matches('{').count();
        depth -= line.matches('}').count();
    }
    assert_eq!(depth, 0, "braces balance");
    for ((name, label), arguments) in &declared {
        let (allowed, _) =
            alloy_component(name).unwrap_or_else(|| panic!("unknown component {name}"));
        for argument in arguments {
            assert!(
                allowed.contains(&argument.as_str()),
                "{name} {label:?}: no argument {argument}"
            );
        }
    }
    // References: `<component>.<label>.<export>` in expressions.
    let mut references = 0;
    for ((name, _), _) in declared.clone() {
        let (_, export) = alloy_component(&name).unwrap();
        if export.is_empty() {
            continue;
        }
        let prefix = format!("{name}.");
        for (at, _) in text.match_indices(&prefix) {
            let rest = &text[at + prefix.len()..];
            let Some((label, tail)) = rest.split_once('.') else {
                continue;
            };
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let field: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // A declaration line (`name "label"`) is not a reference.
            if text[..at].ends_with('\n') && rest.starts_with('"') {
                continue;
            }
            assert_eq!(field, export, "{name}.{label}.{field}");
            assert!(
                declared.contains_key(&(name.clone(), label.to_string())),
                "{name}.{label} is referenced but not declared"
            );
            references += 1;
        }
    }
    assert!(references >= 5, "{references}");
    // Every source forwards somewhere.
    assert!(text.contains("forward_to = [loki.write.lookout.receiver]"));
}

/// A project of the examples' specs with `extra` appended to lookout.yaml.
fn examples_with(extra: &str) -> Vec<Artifact> {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string("lookout.yaml").unwrap();
    std::fs::write(dir.path().join("lookout.yaml"), format!("{config}{extra}")).unwrap();
    support::copy_example_specs(dir.path());
    support::generate_for(
        &dir.path().join("lookout.yaml").to_string_lossy(),
        &dir.path().join("slos").to_string_lossy(),
    )
}

fn text<'a>(artifacts: &'a [Artifact], suffix: &str) -> Option<&'a str> {
    artifacts
        .iter()
        .find(|a| a.path.ends_with(suffix))
        .map(|a| a.contents.as_str())
}

/// The `(service, stream)` of every Loki rule's selector.
fn loki_streams(artifacts: &[Artifact]) -> BTreeSet<(String, String)> {
    let mut streams = BTreeSet::new();
    for rules in under(artifacts, "rules/loki") {
        let parsed: Value = serde_saphyr::from_str(&rules.contents).unwrap();
        for group in parsed["groups"].as_array().unwrap() {
            for rule in group["rules"].as_array().unwrap() {
                let expr = rule["expr"].as_str().unwrap();
                // Recording rules only: Prometheus alerts on what they record.
                assert!(rule["record"].is_string() && rule["alert"].is_null());
                let start = expr.find("{service=").unwrap();
                let selector = &expr[start..start + expr[start..].find('}').unwrap() + 1];
                let service = selector.split('"').nth(1).unwrap();
                let stream = selector.split('"').nth(3).unwrap();
                streams.insert((service.to_string(), stream.to_string()));
            }
        }
    }
    assert!(!streams.is_empty());
    streams
}

#[test]
fn each_destination_has_exactly_one_shipper_and_the_loki_rules_select_its_labels() {
    // Default: Alloy ships to Loki, Vector to Elasticsearch only.
    let artifacts = examples();
    let alloy = text(&artifacts, "shipping/alloy/config.alloy").unwrap();
    let vector = checked_vector_config(text(&artifacts, "shipping/vector/vector.yaml").unwrap());
    let sinks = vector["sinks"].as_object().unwrap();
    assert!(
        sinks.values().all(|s| s["type"] == "elasticsearch"),
        "{sinks:?}"
    );
    for (service, stream) in loki_streams(&artifacts) {
        // Alloy sets the labels by relabel rules or file targets.
        assert!(
            alloy.contains(&format!("replacement  = \"{service}\""))
                && alloy.contains(&format!("replacement  = \"{stream}\"")),
            "{service}/{stream}"
        );
    }

    // `shipping.loki: vector`: no Alloy at all, Vector's Loki sinks carry
    // the labels the rules select.
    let artifacts = examples_with("shipping: {loki: vector}\n");
    assert!(text(&artifacts, "shipping/alloy/config.alloy").is_none());
    assert!(text(&artifacts, "kubernetes/shipping/alloy.yaml").is_none());
    let vector = checked_vector_config(text(&artifacts, "shipping/vector/vector.yaml").unwrap());
    for (service, stream) in loki_streams(&artifacts) {
        let sink = format!(
            "loki__{}__{}",
            service.replace('-', "_"),
            stream.replace('-', "_")
        );
        let labels = &vector["sinks"][&sink]["labels"];
        assert_eq!(labels["service"], json!(service), "{sink}");
        assert_eq!(labels["stream"], json!(stream), "{sink}");
    }
}

#[test]
fn shipper_daemonsets_take_the_node_from_the_downward_api_and_carry_the_config() {
    let artifacts = examples();
    for (shipper, config_key, node_env) in [
        ("alloy", "config.alloy", "NODE_NAME"),
        ("vector", "vector.yaml", "VECTOR_SELF_NODE_NAME"),
    ] {
        let manifest = text(&artifacts, &format!("kubernetes/shipping/{shipper}.yaml")).unwrap();
        let docs: Vec<Value> = manifest
            .split("\n---\n")
            .map(|d| serde_saphyr::from_str(d).unwrap())
            .collect();
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "ServiceAccount",
                "ClusterRole",
                "ClusterRoleBinding",
                "ConfigMap",
                "DaemonSet"
            ]
        );
        let config = text(&artifacts, &format!("shipping/{shipper}/{config_key}")).unwrap();
        assert_eq!(
            docs[3]["data"][config_key],
            json!(config),
            "{shipper}: ConfigMap"
        );
        let pod = &docs[4]["spec"]["template"]["spec"];
        assert_eq!(
            pod["serviceAccountName"],
            json!(format!("lookout-{shipper}"))
        );
        assert_eq!(docs[2]["subjects"][0]["name"], pod["serviceAccountName"]);
        assert_eq!(
            docs[4]["spec"]["selector"]["matchLabels"],
            docs[4]["spec"]["template"]["metadata"]["labels"]
        );
        let env = pod["containers"][0]["env"].as_array().unwrap();
        let node = env.iter().find(|e| e["name"] == node_env).unwrap();
        assert_eq!(node["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
        // Every volume mounted is declared.
        let volumes: BTreeSet<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        for mount in pod["containers"][0]["volumeMounts"].as_array().unwrap() {
            assert!(volumes.contains(mount["name"].as_str().unwrap()), "{mount}");
        }
    }
    // Alloy selects its node's pods by that variable, not HOSTNAME, which
    // only the Grafana chart sets to the node name.
    let alloy = text(&artifacts, "shipping/alloy/config.alloy").unwrap();
    assert!(alloy.contains("\"spec.nodeName=\" + sys.env(\"NODE_NAME\")"));
    assert!(!alloy.contains("HOSTNAME"));
    // The Elasticsearch API key reaches Vector from the Secret.
    let vector = text(&artifacts, "kubernetes/shipping/vector.yaml").unwrap();
    assert!(vector.contains("name: ES_API_KEY") && vector.contains("name: lookout-shipping\n"));
}

#[test]
fn tls_settings_reach_both_shippers() {
    let config = std::fs::read_to_string("lookout.yaml")
        .unwrap()
        .replace(
            "  tls: {ca_file: /etc/lookout/tls/ca.crt}\n",
            "  tls: {ca_file: /etc/lookout/tls/es-ca.crt}\n",
        )
        .replace(
            "  tenant: platform\n",
            "  tenant: platform\n  tls: {ca_file: /etc/lookout/tls/loki-ca.crt, insecure_skip_verify: true}\n",
        );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lookout.yaml"), config).unwrap();
    support::copy_example_specs(dir.path());
    let artifacts = support::generate_for(
        &dir.path().join("lookout.yaml").to_string_lossy(),
        &dir.path().join("slos").to_string_lossy(),
    );
    let alloy = text(&artifacts, "shipping/alloy/config.alloy").unwrap();
    assert!(
        alloy.contains("    tls_config {\n      ca_file = \"/etc/lookout/tls/loki-ca.crt\"\n      insecure_skip_verify = true\n    }"),
        "{alloy}"
    );
    let vector = checked_vector_config(text(&artifacts, "shipping/vector/vector.yaml").unwrap());
    for (name, sink) in vector["sinks"].as_object().unwrap() {
        assert_eq!(
            sink["tls"]["ca_file"], "/etc/lookout/tls/es-ca.crt",
            "{name}"
        );
        assert!(sink["tls"].get("verify_certificate").is_none(), "{name}");
    }
}

#[test]
fn credentials_are_referenced_never_inlined() {
    let artifacts = examples();
    let mut credential_lines = 0;
    for artifact in under(&artifacts, "shipping") {
        for line in artifact.contents.lines() {
            if line.contains("ApiKey") || line.contains("bearer") || line.contains("token") {
                credential_lines += 1;
                assert!(
                    line.contains("${") || line.contains("sys.env("),
                    "{}: {line}",
                    artifact.path.display()
                );
            }
        }
    }
    // The examples configure an Elasticsearch API key: a loop that matched
    // no line would prove nothing.
    assert!(credential_lines > 0, "no credential line in shipping/");
}

#[test]
fn a_service_may_only_ship_logs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("slos")).unwrap();
    std::fs::write(
        dir.path().join("lookout.yaml"),
        "loki: {url: http://loki:3100}\nrunbooks: {base_url: https://runbooks.example.com}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("slos/web.yaml"),
        "service: web\nslos: []\nlogs:\n  - name: access\n    source: {files: [/var/log/nginx/access.log]}\n    format: nginx\n    destinations: [loki]\n",
    )
    .unwrap();
    let artifacts = generate_for(
        &dir.path().join("lookout.yaml").display().to_string(),
        &dir.path().join("slos").display().to_string(),
    );
    let paths: Vec<String> = artifacts
        .iter()
        .map(|a| a.path.display().to_string())
        .collect();
    // No empty rule file and no empty dashboard: only the shippers (and the
    // project-wide overview, provisioning and inhibit rules).
    assert_eq!(
        paths,
        [
            "alertmanager/inhibit_rules.yaml",
            "dashboards/grafana/provisioning.yaml",
            "dashboards/grafana/slo-overview.json",
            "kubernetes/grafana-dashboards/slo-overview.yaml",
            "kubernetes/kustomization.yaml",
            "kubernetes/shipping/alloy.yaml",
            "shipping/alloy/config.alloy",
        ]
    );
    // Loki's one shipper is Alloy; with no Elasticsearch, no Vector at all.
    let alloy = text(&artifacts, "shipping/alloy/config.alloy").unwrap();
    assert!(alloy.contains("local.file_match") && alloy.contains("/var/log/nginx/access.log"));
}

#[test]
fn runbooks_link_the_services_logs_in_explore_and_discover() {
    let artifacts = examples();
    let runbook = text(&artifacts, "runbooks/payments-api/refund-errors.md").unwrap();
    let links: Vec<&str> = runbook
        .lines()
        .filter(|l| l.starts_with("| Logs | ["))
        .map(|l| l.split("](").nth(1).unwrap().trim_end_matches(") |"))
        .collect();
    assert_eq!(links.len(), 2, "{runbook}");
    // Explore: the panes state decodes to the stream the shippers label.
    let panes = support::fake::decode(links[0].split("panes=").nth(1).unwrap());
    let panes: Value = serde_json::from_str(&panes).unwrap();
    let query = &panes["lookout"]["queries"][0];
    assert_eq!(query["expr"], r#"{service="payments-api", stream="app"}"#);
    assert_eq!(query["datasource"], json!({"type": "loki", "uid": "loki"}));
    assert!(links[0].starts_with("https://grafana.example-fintech.com/explore?"));
    // Discover: the data view the Kibana objects define, filtered to the log.
    let state = support::fake::decode(links[1].split("_a=").nth(1).unwrap());
    assert_eq!(
        state,
        r#"(index:'lookout-logs-payments-api',query:(language:kuery,query:'event.dataset:"payments-api.app"'))"#
    );
    assert!(links[1].starts_with("https://kibana.logging:5601/app/discover#/?"));
}

/// Both shippers attach the endpoint to Loki lines as the structured
/// metadata `http_route`, and it is the `http.route` the ingest pipeline
/// computes for the same line: one endpoint name in Loki and Kibana. The
/// expected routes in tests/fixtures/routes/cases.json are written by hand
/// from the specs beside them.
#[test]
fn loki_lines_carry_the_route_the_ingest_pipeline_computes() {
    let dir = tempfile::tempdir().unwrap();
    let slos = std::fs::canonicalize("tests/fixtures/routes/slos").unwrap();
    let project = |config: &str| {
        std::fs::write(
            dir.path().join("lookout.yaml"),
            format!("runbooks: {{base_url: https://runbooks.example.com}}\nelasticsearch: {{url: https://es:9200}}\n{config}"),
        )
        .unwrap();
        generate_for(
            &dir.path().join("lookout.yaml").display().to_string(),
            &slos.display().to_string(),
        )
    };
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string("tests/fixtures/routes/cases.json").unwrap())
            .unwrap();
    assert_eq!(cases.len(), 10, "tests/fixtures/routes/cases.json");
    assert!(
        cases.iter().any(|c| c["route"].is_string()) && cases.iter().any(|c| c["route"].is_null()),
        "the cases include lines that get a route and lines that get none"
    );

    let artifacts = project("loki: {url: http://loki:3100}\n");
    let alloy = text(&artifacts, "shipping/alloy/config.alloy").unwrap();
    let ingest = ingest(&artifacts);
    for case in &cases {
        let (log, line) = (
            case["log"].as_str().unwrap(),
            case["line"].as_str().unwrap(),
        );
        let expected = case["route"].as_str();
        let stages = support::alloy::process_stages(alloy, &format!("api__{log}"));
        let metadata = support::alloy::run(&stages, line);
        assert_eq!(
            metadata.get("http_route").map(String::as_str),
            expected,
            "Alloy, {log}: {line}"
        );
        let doc = index(&ingest, "lookout-logs-api", &format!("api.{log}"), line);
        assert_eq!(
            get(&doc, "http.route").and_then(Value::as_str),
            expected,
            "ingest pipeline, {log}: {line}"
        );
    }

    // Vector, when it is Loki's shipper, runs the same computation in VRL
    // (compiled and run on these cases by scripts/check-vrl.sh) and sends
    // the result as structured metadata.
    let artifacts = project("loki: {url: http://loki:3100}\nshipping: {loki: vector}\n");
    let vector = checked_vector_config(text(&artifacts, "shipping/vector/vector.yaml").unwrap());
    for log in ["edge", "app", "jobs"] {
        let sink = &vector["sinks"][format!("loki__api__{log}")];
        assert_eq!(sink["inputs"], json!([format!("api__{log}__route")]));
        assert_eq!(
            sink["structured_metadata"],
            json!({"http_route": "{{ http_route }}"})
        );
        let program = &vector["transforms"][format!("api__{log}__route")]["source"];
        assert!(program.as_str().unwrap().contains(".http_route = "));
    }

    // A Loki that disallows structured metadata rejects every push that
    // carries it: `loki.structured_metadata: false` attaches none.
    let artifacts = project("loki: {url: http://loki:3100, structured_metadata: false}\n");
    let alloy = text(&artifacts, "shipping/alloy/config.alloy").unwrap();
    assert!(!alloy.contains("loki.process") && !alloy.contains("http_route"));
    assert!(alloy.contains("forward_to = [loki.write.lookout.receiver]"));
}

/// Vector's environment interpolation, ported from src/config/vars.rs
/// (vectordotdev/vector; the regex and the four flags as written there)
/// in strict mode, Vector's default from 0.43: a variable unset and
/// without a default is an error, which stops Vector from starting. No
/// Vector binary runs here, so the generated config is read with this.
fn vector_interpolate(
    input: &str,
    vars: &std::collections::HashMap<&str, &str>,
) -> Result<String, Vec<String>> {
    let re = regex::Regex::new(
        r"(?x)
        \$\$|
        \$([[:word:].]+)|
        \$\{([[:word:].]+)(?:(:?-|:?\?)([^}]*))?\}",
    )
    .unwrap();
    let mut errors = Vec::new();
    let out = re
        .replace_all(input, |caps: &regex::Captures<'_>| {
            let flags = caps.get(3).map(|m| m.as_str()).unwrap_or_default();
            let def_or_err = caps.get(4).map(|m| m.as_str()).unwrap_or_default();
            let Some(name) = caps.get(1).or_else(|| caps.get(2)).map(|m| m.as_str()) else {
                return "$".to_string();
            };
            let val = vars.get(name).copied();
            match flags {
                ":-" => match val {
                    Some(v) if !v.is_empty() => v.to_string(),
                    _ => def_or_err.to_string(),
                },
                "-" => val.unwrap_or(def_or_err).to_string(),
                ":?" | "?" => match val {
                    Some(v) if flags == "?" || !v.is_empty() => v.to_string(),
                    _ => {
                        errors.push(format!("required env var {name}: {def_or_err}"));
                        String::new()
                    }
                },
                _ => val.map(str::to_string).unwrap_or_else(|| {
                    errors.push(format!("unknown env var in config: {name}"));
                    String::new()
                }),
            }
        })
        .into_owned();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The DaemonSet's `lookout-shipping` Secret is optional: without it,
/// Vector must still start (the credential then interpolates empty, and
/// Elasticsearch's 401 says why), and with it the header carries the key.
#[test]
fn vector_starts_without_its_optional_secret_and_uses_it_when_set() {
    let artifacts = examples();
    let config = text(&artifacts, "shipping/vector/vector.yaml").unwrap();
    let manifest = text(&artifacts, "kubernetes/shipping/vector.yaml").unwrap();
    assert!(
        manifest.contains("optional: true"),
        "the Secret is optional in the DaemonSet"
    );
    let none = std::collections::HashMap::new();
    let unset = vector_interpolate(config, &none).expect("Vector refuses no variable");
    assert!(unset.contains("Authorization: 'ApiKey '"), "{unset}");
    let set = std::collections::HashMap::from([("ES_API_KEY", "c2VjcmV0")]);
    let with_key = vector_interpolate(config, &set).unwrap();
    assert!(with_key.contains("Authorization: 'ApiKey c2VjcmV0'"));
    // The port holds: a bare variable, unset, is the error 0.43 starts with.
    assert!(vector_interpolate("ApiKey ${ES_API_KEY}", &none).is_err());
    assert_eq!(
        vector_interpolate("$$HOME ${X:-d}", &none).unwrap(),
        "$HOME d"
    );
}
