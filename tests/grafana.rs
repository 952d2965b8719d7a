//! Grafana dashboards: schema, PromQL, references, identity and layout.
//!
//! The JSON Schema is the Grafana foundation SDK's classic dashboard schema
//! (vendored in `tests/schemas/grafana/`), which is stricter than Grafana.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

mod support;

use lookout::emit::Artifact;
use promql_parser::parser::{self, Expr};
use serde_json::Value;
use support::generate_for;

fn all_projects() -> Vec<Artifact> {
    let mut all = generate_for("lookout.yaml", "slos");
    all.extend(generate_for(
        "tests/fixtures/valid/edge/lookout.yaml",
        "tests/fixtures/valid/edge/slos",
    ));
    all
}

fn dashboards(all: &[Artifact]) -> Vec<(String, Value)> {
    all.iter()
        .filter(|a| {
            a.path.starts_with("dashboards/grafana")
                && a.path.extension().is_some_and(|e| e == "json")
        })
        .map(|a| {
            (
                a.path.display().to_string(),
                serde_json::from_str(&a.contents).unwrap(),
            )
        })
        .collect()
}

/// The parsed artifact whose path ends with `suffix`.
fn parsed(all: &[Artifact], suffix: &str) -> Value {
    let artifact = all
        .iter()
        .find(|a| a.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"));
    serde_json::from_str(&artifact.contents).unwrap()
}

/// Every panel, rows' nested panels included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        out.push(panel);
        if let Some(nested) = panel["panels"].as_array() {
            out.extend(nested);
        }
    }
    out
}

fn exprs(dashboard: &Value) -> Vec<String> {
    panels(dashboard)
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .collect()
}

/// The foundation SDK's schema, with the two places where its generator
/// narrowed CUE's "anything" to "an object" opened again: Grafana's
/// `kinds/dashboard/dashboard_kind.cue` declares `DynamicConfigValue.value?:
/// _` and `MatcherConfig.options?: _`, and Grafana's own `byName` matcher
/// takes a string and the `unit` override a string value.
fn dashboard_schema() -> Value {
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/schemas/grafana/dashboard.jsonschema.json").unwrap(),
    )
    .unwrap();
    let definitions = &mut schema["definitions"];
    for (definition, property) in [
        ("DynamicConfigValue", "value"),
        ("MatcherConfig", "options"),
    ] {
        let slot = &mut definitions[definition]["properties"][property];
        assert!(slot.is_object(), "{definition}.{property} is in the schema");
        *slot = serde_json::json!({});
    }
    schema
}

#[test]
fn every_dashboard_validates_against_the_grafana_schema() {
    let schema = dashboard_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let all = all_projects();
    let dashboards = dashboards(&all);
    assert!(dashboards.len() >= 8, "{}", dashboards.len());
    for (path, dashboard) in dashboards {
        let errors: Vec<String> = validator
            .iter_errors(&dashboard)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}:\n{}", errors.join("\n"));
    }
}

#[test]
fn every_panel_query_parses_after_grafana_variables_are_replaced() {
    for (path, dashboard) in dashboards(&all_projects()) {
        for expr in exprs(&dashboard) {
            let query = lookout::check::promql::substitute_grafana_variables(&expr);
            parser::parse(&query).unwrap_or_else(|e| panic!("{path}: `{expr}`: {e}"));
        }
    }
}

fn series_names(expr: &Expr, out: &mut BTreeSet<String>) {
    use promql_parser::util::{walk_expr, ExprVisitor};
    struct Names<'a>(&'a mut BTreeSet<String>);
    impl ExprVisitor for Names<'_> {
        type Error = ();
        fn pre_visit(&mut self, plan: &Expr) -> Result<bool, ()> {
            match plan {
                Expr::VectorSelector(v) => self.0.extend(v.name.clone()),
                Expr::MatrixSelector(m) => self.0.extend(m.vs.name.clone()),
                _ => {}
            }
            Ok(true)
        }
    }
    walk_expr(&mut Names(out), expr).unwrap();
}

#[test]
fn every_recording_rule_a_panel_reads_is_generated() {
    let all = all_projects();
    let mut recorded = HashSet::new();
    for rules in all.iter().filter(|a| {
        a.path.starts_with("rules")
            && !a.path.starts_with("rules/tests")
            && !a.path.starts_with("rules/loki")
    }) {
        let doc: Value = serde_saphyr::from_str(&rules.contents).unwrap();
        for group in doc["groups"].as_array().unwrap() {
            for rule in group["rules"].as_array().unwrap() {
                if let Some(name) = rule["record"].as_str() {
                    recorded.insert(name.to_string());
                }
            }
        }
    }
    let mut checked = 0;
    for (path, dashboard) in dashboards(&all) {
        for expr in exprs(&dashboard) {
            let parsed =
                parser::parse(&lookout::check::promql::substitute_grafana_variables(&expr))
                    .unwrap();
            let mut names = BTreeSet::new();
            series_names(&parsed, &mut names);
            // Recording rules are the names with a colon (Prometheus naming rules).
            for name in names.iter().filter(|n| n.contains(':')) {
                assert!(
                    recorded.contains(name),
                    "{path}: `{name}` is not recorded by any rule (in `{expr}`)"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} references checked");
}

#[test]
fn identity_tags_ids_and_layout() {
    let mut uids = HashSet::new();
    for (path, dashboard) in dashboards(&generate_for("lookout.yaml", "slos")) {
        let uid = dashboard["uid"].as_str().unwrap();
        assert!(uid.len() <= 40, "{path}: uid `{uid}` too long");
        assert!(uids.insert(uid.to_string()), "{path}: uid `{uid}` repeated");
        // Grafana 10.4's newest schema; 12.x migrates it forward (see
        // ARCHITECTURE.md), while a newer one fails its migrator.
        assert_eq!(dashboard["schemaVersion"], 39);
        assert_eq!(dashboard["id"], Value::Null);
        let tags: Vec<&str> = dashboard["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&"lookout"), "{path}: {tags:?}");
        let service = Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // Service dashboards; the overview and the custom jsonnet one have their own uids.
        if !["slo-overview", "error-budgets"].contains(&service.as_str()) {
            assert_eq!(uid, format!("lookout-{service}"));
            assert!(
                tags.contains(&format!("service:{service}").as_str()),
                "{path}: {tags:?}"
            );
        }
        let variables = dashboard["templating"]["list"].as_array().unwrap();
        assert!(variables.iter().any(|v| v["name"] == "datasource"
            && v["type"] == "datasource"
            && v["query"] == "prometheus"));

        let mut ids = HashSet::new();
        for panel in panels(&dashboard) {
            let id = panel["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("{path}: panel without an integer id"));
            assert!(ids.insert(id), "{path}: panel id {id} repeated");
            let grid = &panel["gridPos"];
            let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
            assert!(w <= 24 && x + w <= 24, "{path}: panel {id} at x={x} w={w}");
            if panel["type"] != "row" {
                assert_eq!(
                    panel["datasource"]["uid"], "${datasource}",
                    "{path}: panel {id}"
                );
                for target in panel["targets"].as_array().unwrap() {
                    // Targets inherit the panel's data source unless they name one.
                    if let Some(ds) = target.get("datasource") {
                        assert_eq!(ds["uid"], "${datasource}", "{path}: panel {id}");
                    }
                    assert!(target["refId"].is_string());
                }
            }
        }
    }
}

#[test]
fn each_slo_row_has_sli_budget_burn_alerts_and_runbook() {
    let all = generate_for("lookout.yaml", "slos");
    let dashboard = parsed(&all, "public-api.json");
    let titles: Vec<&str> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    let row = [
        "SLI against objective",
        "Error budget burndown",
        "Error budget remaining",
        "Budget exhausted in",
        "Burn rate against alert thresholds",
        "Page alert",
        "Ticket alert",
    ];
    let mut expected = vec!["Golden signals", "Traffic", "Errors", "Latency"];
    expected.push("availability: 99.9% over 30d");
    expected.extend(row);
    expected.push("latency: 99% over 30d");
    expected.extend(row);
    assert_eq!(titles, expected);

    // availability, 99.9% over 30d: the workbook's pairs, each line divided
    // by its threshold (factor × budget 0.001), so 1 is where it fires.
    let burn = panels(&dashboard)
        .into_iter()
        .find(|p| p["title"] == "Burn rate against alert thresholds")
        .unwrap();
    let lines: Vec<(String, String)> = burn["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let expr = t["expr"].as_str().unwrap();
            let divisor = expr.rsplit(" / ").next().unwrap().to_string();
            (t["legendFormat"].as_str().unwrap().to_string(), divisor)
        })
        .collect();
    let line = |legend: &str, divisor: &str| (legend.to_string(), divisor.to_string());
    assert_eq!(
        lines,
        [
            line("page: 1h and 5m (fires at 14.4x)", "0.0144"),
            line("page: 6h and 30m (fires at 6x)", "0.006"),
            line("ticket: 1d and 2h (fires at 3x)", "0.003"),
            line("ticket: 3d and 6h (fires at 1x)", "0.001"),
        ]
    );
    let first = burn["targets"][0]["expr"].as_str().unwrap();
    assert!(
        first.contains(
            "slo:sli_error:ratio_rate1h{service=\"public-api\",slo=\"availability\",slo=~\"$slo\"}"
        ) && first.contains(
            "slo:sli_error:ratio_rate5m{service=\"public-api\",slo=\"availability\",slo=~\"$slo\"}"
        ),
        "{first}"
    );
    let steps: Vec<(Value, &str)> = burn["fieldConfig"]["defaults"]["thresholds"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["value"].clone(), s["color"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [(Value::Null, "green"), (serde_json::json!(1.0), "red")]
    );
    assert_eq!(
        burn["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"],
        "line"
    );
    let page = panels(&dashboard)
        .into_iter()
        .find(|p| p["title"] == "Page alert")
        .unwrap();
    assert_eq!(
        page["links"][0]["url"],
        "https://github.com/example-fintech/platform/blob/main/runbooks/public-api/availability.md"
    );
    let expr = page["targets"][0]["expr"].as_str().unwrap();
    assert!(
        expr.contains(r#"alertname="PublicApiAvailabilityErrorBudgetBurn""#)
            && expr.contains(r#"slo_severity="page""#),
        "{expr}"
    );
    let burndown = panels(&dashboard)
        .into_iter()
        .find(|p| p["title"] == "Error budget burndown")
        .unwrap();
    assert_eq!(burndown["timeFrom"], "30d");

    // The SLO variable lists the service's SLOs; the overview sets it.
    let slo = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "slo")
        .unwrap();
    assert_eq!(slo["query"], "availability,latency");
}

#[test]
fn declared_signals_show_up_for_the_database_and_the_queue_worker() {
    let all = generate_for("lookout.yaml", "slos");
    let galera = parsed(&all, "mariadb-galera.json");
    let titles: Vec<String> = panels(&galera)
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect();
    for title in [
        "Saturation",
        "Replication lag",
        "Slow queries",
        "Galera flow control paused",
    ] {
        assert!(
            titles.iter().any(|t| t == title),
            "{title} missing: {titles:?}"
        );
    }
    let worker = parsed(&all, "settlement-worker.json");
    let exprs = exprs(&worker).join("\n");
    assert!(exprs.contains("histogram_quantile(0.99, sum by (le) (rate(worker_message_duration_seconds_bucket{queue=\"settlement\"}[$__rate_interval])))"), "{exprs}");
    assert!(
        exprs.contains("rabbitmq_detailed_queue_messages_ready"),
        "{exprs}"
    );
}

#[test]
fn overview_links_every_row_to_its_service_dashboard() {
    let all = generate_for("lookout.yaml", "slos");
    let overview = parsed(&all, "slo-overview.json");
    let table = &overview["panels"][0];
    assert_eq!(table["type"], "table");
    // Time range and SLO carried over: DataLinks have no `keepTime`.
    assert_eq!(
        table["fieldConfig"]["defaults"]["links"][0]["url"],
        "/d/lookout-${__data.fields.service}?${__url_time_range}&var-slo=${__data.fields.slo}"
    );
    let overrides = table["fieldConfig"]["overrides"].as_array().unwrap();
    let budget = overrides
        .iter()
        .find(|o| o["matcher"]["options"] == "Budget remaining")
        .unwrap();
    assert!(budget.to_string().contains("color-background"));
    let variables: Vec<&str> = overview["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(variables, ["datasource", "team", "service"]);
}

#[test]
fn alerts_link_to_their_dashboard_and_sidecar_config_maps_carry_every_dashboard() {
    let all = generate_for("lookout.yaml", "slos");
    let rules = &all
        .iter()
        .find(|a| a.path.ends_with("rules/public-api.yaml"))
        .unwrap()
        .contents;
    assert!(
        rules.contains("dashboard_url: https://grafana.example-fintech.com/d/lookout-public-api"),
        "{rules}"
    );
    let maps: Vec<&Artifact> = all
        .iter()
        .filter(|a| a.path.starts_with("kubernetes/grafana-dashboards"))
        .collect();
    assert_eq!(
        maps.len(),
        8,
        "6 services, the overview and the custom jsonnet dashboard"
    );
    for map in maps {
        let doc: Value = serde_saphyr::from_str(&map.contents).unwrap();
        assert_eq!(doc["kind"], "ConfigMap");
        assert_eq!(doc["metadata"]["labels"]["grafana_dashboard"], "1");
        let data = doc["data"].as_object().unwrap();
        let (file, json) = data.iter().next().unwrap();
        let original = all.iter().find(|a| a.path.ends_with(file)).unwrap();
        let embedded: Value = serde_json::from_str(json.as_str().unwrap()).unwrap();
        let file_json: Value = serde_json::from_str(&original.contents).unwrap();
        assert_eq!(embedded, file_json, "{file}");
    }
    let provisioning = all
        .iter()
        .find(|a| a.path.ends_with("dashboards/grafana/provisioning.yaml"))
        .unwrap();
    let doc: Value = serde_saphyr::from_str(&provisioning.contents).unwrap();
    assert_eq!(doc["apiVersion"], 1);
    assert_eq!(
        doc["providers"][0]["options"]["path"],
        "/var/lib/grafana/dashboards/lookout"
    );
    assert_eq!(doc["providers"][0]["folder"], "SLOs");
}
