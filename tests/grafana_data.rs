//! The generated dashboards judged by Grafana's own code.
//!
//! A real Prometheus (Debian's package, on a loopback port) scrapes
//! synthetic request counters and evaluates the generated rules. Every
//! query of every table and stat panel is asked of it, and its answers go
//! through `@grafana/data` 13.2 under Node (`tests/grafana-data/`): frames
//! built as Grafana's Prometheus data source builds them, the panel's own
//! transformations run by `transformDataFrame`, each cell shown by
//! `getDisplayProcessor`. The expected values are worked out by hand below
//! from the counters' rates; none is read from the implementation. The test
//! fails, never skips, when Prometheus, Node or the package is missing.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::fake::{FakeServer, Reply};
use support::servers::{free_port, get, start_prometheus, wait_for};

const SHOP: &str = r#"service: shop
team: web
slos:
  # 100% errors at 99.9% over 28d: pages at once (on seconds of data:
  # `thin_data: fire`).
  - name: payments
    objective: 99.9
    window: 28d
    sli:
      events:
        errors: sum(rate(http_requests_total{svc="payments",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{svc="payments"}[{{window}}]))
    alerting:
      thin_data: fire
  # 5% errors at 99% over 7d: a 1h burn of 5x, above the 7d page rate of
  # 3.36x but below the 30d one of 14.4x. The page waits an hour (pending).
  - name: search
    objective: 99
    window: 7d
    sli:
      events:
        errors: sum(rate(http_requests_total{svc="search",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{svc="search"}[{{window}}]))
    alerting:
      thin_data: fire
      page:
        for: 1h
  # No errors at all, and no error series.
  - name: checkout
    objective: 99.9
    sli:
      events:
        errors: sum(rate(http_requests_total{svc="checkout",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{svc="checkout"}[{{window}}]))
"#;

const LEDGER: &str = r#"service: ledger
slos:
  # 0.2% errors at 99.5% over 30d: a burn of 0.4, alerting off.
  - name: postings
    objective: 99.5
    sli:
      events:
        errors: sum(rate(http_requests_total{svc="ledger",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{svc="ledger"}[{{window}}]))
    alerting:
      page:
        enabled: false
      ticket:
        enabled: false
"#;

/// Requests per second by service and code. Every counter is `rate × t`
/// of one clock reading, so each SLI's error ratio is exact.
const RATES: &[(&str, &str, f64)] = &[
    ("payments", "500", 10.0),
    ("search", "200", 95.0),
    ("search", "500", 5.0),
    ("checkout", "200", 50.0),
    ("ledger", "200", 99.8),
    ("ledger", "500", 0.2),
];

fn metrics_server() -> FakeServer {
    let started = Instant::now();
    FakeServer::start(move |_| {
        let t = started.elapsed().as_secs_f64();
        let mut body = String::from("# TYPE http_requests_total counter\n");
        for (svc, code, rate) in RATES {
            body.push_str(&format!(
                "http_requests_total{{svc=\"{svc}\",code=\"{code}\"}} {}\n",
                rate * t
            ));
        }
        Reply::new(200, body).header("content-type", "text/plain; version=0.0.4")
    })
}

/// Instant query at `time`; the answer's result vector.
fn query(prometheus: &str, expr: &str, time: f64) -> Vec<Value> {
    let url = format!(
        "{prometheus}/api/v1/query?query={}&time={time}",
        lookout::push::http::segment(expr)
    );
    let (status, body) = get(&url).expect("Prometheus answers");
    assert_eq!(status, 200, "{expr}: {body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    answer["data"]["result"].as_array().unwrap().clone()
}

/// Grafana's variables as "All" selects them (`allValue: .*`).
fn interpolate(expr: &str) -> String {
    expr.replace("$service", ".*")
        .replace("$team", ".*")
        .replace("$slo", ".*")
}

/// Generates the project at `root` (its `lookout.yaml` and `slos/`),
/// loads its rule files into a real Prometheus that scrapes `metrics`
/// every second and evaluates every second, and returns the generated
/// Grafana dashboards, the running server and its URL.
fn serve(
    root: &std::path::Path,
    metrics: &FakeServer,
) -> (Vec<Value>, support::servers::Server, String) {
    let artifacts = support::generate_for(
        &root.join("lookout.yaml").to_string_lossy(),
        &root.join("slos").to_string_lossy(),
    );
    std::fs::create_dir_all(root.join("rules.d")).unwrap();
    let mut dashboards = Vec::new();
    for artifact in &artifacts {
        let path = artifact.path.to_string_lossy();
        if path.starts_with("rules/") && !path.contains("/tests/") && path.ends_with(".yaml") {
            let name = artifact.path.file_name().unwrap();
            std::fs::write(
                root.join("rules.d").join(name),
                artifact.contents.as_bytes(),
            )
            .unwrap();
        }
        if path.starts_with("dashboards/grafana/") && path.ends_with(".json") {
            dashboards.push(serde_json::from_str::<Value>(&artifact.contents).unwrap());
        }
    }
    let port = free_port();
    std::fs::write(
        root.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: ['{}/rules.d/*.yaml']\nscrape_configs:\n- job_name: app\n  static_configs: [{{targets: ['{}']}}]\n",
            root.display(),
            metrics.url().trim_start_matches("http://")
        ),
    )
    .unwrap();
    let server = start_prometheus(root, port, &[]);
    (dashboards, server, format!("http://127.0.0.1:{port}"))
}

/// Runs panels through `tests/grafana-data/check.cjs`.
fn grafana_data(panels: &[Value]) -> Vec<Value> {
    let input = json!({ "panels": panels }).to_string();
    let output = support::node(
        "tests/grafana-data",
        "@grafana/data",
        "check.cjs",
        input.as_bytes(),
    );
    serde_json::from_slice::<Vec<Value>>(&output).unwrap()
}

/// A panel with every query answered by Prometheus at `time`.
fn answered(panel: &Value, prometheus: &str, time: f64, format: &str) -> Value {
    let mut results = serde_json::Map::new();
    let mut targets = Vec::new();
    for target in panel["targets"].as_array().unwrap() {
        let ref_id = target["refId"].as_str().unwrap();
        let expr = interpolate(target["expr"].as_str().unwrap());
        results.insert(ref_id.into(), Value::Array(query(prometheus, &expr, time)));
        targets.push(json!({"refId": ref_id, "format": format}));
    }
    json!({
        "title": panel["title"],
        "targets": targets,
        "results": results,
        "transformations": panel["transformations"],
        "fieldConfig": panel["fieldConfig"],
    })
}

/// The table Grafana's code produced, as `column → cells`, one entry per row.
fn rows(table: &Value) -> Vec<serde_json::Map<String, Value>> {
    let columns = table["columns"].as_array().unwrap();
    (0..table["length"].as_u64().unwrap() as usize)
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap().to_string(),
                        c["cells"][row].clone(),
                    )
                })
                .collect()
        })
        .collect()
}

/// One test at a time: the overview test reads exact ratios from a
/// Prometheus evaluating every second, which a concurrent Node process
/// (the other tests) on two cores can starve into skipped evaluations.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn close(actual: &Value, expected: f64) -> bool {
    actual
        .as_f64()
        .is_some_and(|a| (a - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

#[test]
fn grafana_renders_one_overview_row_per_slo_with_the_right_values() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("slos")).unwrap();
    std::fs::write(root.join("slos/shop.yaml"), SHOP).unwrap();
    std::fs::write(root.join("slos/ledger.yaml"), LEDGER).unwrap();
    std::fs::write(
        root.join("lookout.yaml"),
        // Time runs fast here (1s evaluations); the long-window group keeps
        // its own, slower interval, as at the default 5m against 1m.
        "runbooks: {base_url: https://runbooks.example.com}\nprometheus: {long_interval: 3s}\n",
    )
    .unwrap();
    let metrics = metrics_server();
    let (dashboards, _prometheus, prometheus) = serve(root, &metrics);

    // Ready when every alert below is in its final state (payments pages
    // and tickets, search tickets and its page waits), and every SLO has a
    // one-hour burn rate.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let time = wait_for("the rules to evaluate", Duration::from_secs(90), || {
        // A second back, so every series written for it is in.
        let t = now() - 1.0;
        let mut alerts: Vec<String> = query(&prometheus, "ALERTS", t)
            .iter()
            .map(|a| {
                let m = &a["metric"];
                format!("{} {} {}", m["slo"], m["slo_severity"], m["alertstate"])
            })
            .collect();
        alerts.sort();
        let expected = [
            r#""payments" "page" "firing""#,
            r#""payments" "ticket" "firing""#,
            r#""search" "page" "pending""#,
            r#""search" "ticket" "firing""#,
        ];
        let burns = query(&prometheus, "slo:current_burn_rate:ratio", t).len();
        (alerts == expected && burns == 4).then_some(t)
    });

    let overview = dashboards
        .iter()
        .find(|d| {
            d["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&serde_json::json!("slo-overview")))
        })
        .unwrap();
    let table = &overview["panels"][0];
    let report = grafana_data(&[answered(table, &prometheus, time, "table")]);
    let tables = report[0]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1, "merge gives one table: {report:#?}");
    assert_eq!(
        report[0]["unmatched_overrides"],
        json!([]),
        "every override names a column"
    );
    let columns: Vec<&str> = tables[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        [
            "service",
            "slo",
            "team",
            "Objective",
            "SLI over window",
            "Budget remaining",
            "Exhausted in",
            "Burn rate (1h)",
            "Of page rate (1h)",
            "Page alert",
            "Ticket alert",
        ]
    );
    let sort_by = table["options"]["sortBy"][0]["displayName"]
        .as_str()
        .unwrap();
    assert!(columns.contains(&sort_by), "sortBy names {sort_by}");

    let rows = rows(&tables[0]);
    assert_eq!(rows.len(), 4, "one row per SLO: {rows:#?}");
    let row = |slo: &str| {
        let found: Vec<_> = rows.iter().filter(|r| r["slo"]["value"] == slo).collect();
        assert_eq!(found.len(), 1, "{slo}: {rows:#?}");
        found[0].clone()
    };
    // `color` only for the columns whose cells are coloured.
    let check = |slo: &str, column: &str, value: f64, color: Option<&str>| {
        let cell = &row(slo)[column];
        assert!(
            close(&cell["value"], value),
            "{slo} {column}: {cell} ≠ {value}"
        );
        if let Some(color) = color {
            assert_eq!(cell["color"], color, "{slo} {column}: {cell}");
        }
    };
    let state = |slo: &str, column: &str, text: &str, color: &str| {
        let cell = &row(slo)[column];
        assert_eq!(cell["text"], text, "{slo} {column}");
        assert_eq!(cell["color"], color, "{slo} {column}");
    };

    // payments: error ratio 1, budget 0.001, 28 days.
    assert_eq!(row("payments")["service"]["value"], "shop");
    assert_eq!(row("payments")["team"]["value"], "web");
    check("payments", "Objective", 0.999, None);
    check("payments", "SLI over window", 0.0, None);
    check(
        "payments",
        "Budget remaining",
        1.0 - 1.0 / 0.001,
        Some("red"),
    );
    check("payments", "Exhausted in", 0.0, Some("red"));
    check("payments", "Burn rate (1h)", 1000.0, Some("orange"));
    // The 1h page rate over 28d: 2% of the budget in an hour = 0.02 × 672.
    check(
        "payments",
        "Of page rate (1h)",
        1000.0 / (0.02 * 28.0 * 24.0),
        Some("red"),
    );
    state("payments", "Page alert", "firing", "red");
    state("payments", "Ticket alert", "firing", "red");

    // search: error ratio 0.05, budget 0.01, 7 days; burn 5 against a page
    // rate of 0.02 × 168 = 3.36: red, though it is under 30d's 14.4.
    check("search", "SLI over window", 0.95, None);
    check("search", "Budget remaining", 1.0 - 5.0, Some("red"));
    check("search", "Burn rate (1h)", 5.0, Some("orange"));
    check("search", "Of page rate (1h)", 5.0 / 3.36, Some("red"));
    state("search", "Page alert", "pending", "orange");
    state("search", "Ticket alert", "firing", "red");

    // checkout: nothing fails; no burn, so no exhaustion time.
    check("checkout", "SLI over window", 1.0, None);
    check("checkout", "Budget remaining", 1.0, Some("green"));
    check("checkout", "Burn rate (1h)", 0.0, Some("green"));
    assert_eq!(row("checkout")["Exhausted in"]["value"], Value::Null);
    state("checkout", "Page alert", "OK", "green");
    state("checkout", "Ticket alert", "OK", "green");

    // ledger: error ratio 0.002, budget 0.005: burn 0.4; 60% of the budget
    // left lasts 0.6 × 30 days ÷ 0.4 = 45 days. No team; alerting off.
    assert_eq!(row("postings")["team"]["value"], "");
    check("postings", "Objective", 0.995, None);
    check("postings", "Budget remaining", 0.6, Some("green"));
    check("postings", "Exhausted in", 45.0 * 86400.0, Some("green"));
    check("postings", "Burn rate (1h)", 0.4, Some("green"));
    check(
        "postings",
        "Of page rate (1h)",
        0.4 / (0.02 * 30.0 * 24.0),
        Some("green"),
    );
    state("postings", "Page alert", "alerting off", "none");
    state("postings", "Ticket alert", "alerting off", "none");

    // The table as Grafana's code produced it, sorted as `sortBy` sorts it.
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| {
        let key = |r: &serde_json::Map<String, Value>| r[sort_by]["value"].as_f64().unwrap();
        key(a).total_cmp(&key(b))
    });
    let shown: Vec<Vec<String>> = sorted
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r[*c]["text"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .collect();
    insta::assert_yaml_snapshot!("overview_as_grafana_shows_it", (&columns, shown));

    // Every stat panel of the service dashboards, answered the same way.
    let mut stats = Vec::new();
    for dashboard in &dashboards {
        for panel in dashboard["panels"].as_array().unwrap() {
            if panel["type"] == "stat" {
                let mut answered = answered(panel, &prometheus, time, "table");
                answered["title"] = json!(format!(
                    "{} / {}",
                    dashboard["uid"].as_str().unwrap(),
                    panel["title"].as_str().unwrap()
                ));
                stats.push(answered);
            }
        }
    }
    let shown: Vec<(String, Vec<String>)> = grafana_data(&stats)
        .iter()
        .map(|panel| {
            let texts = panel["tables"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|t| t["columns"].as_array().unwrap().clone())
                .filter(|c| c["type"] == "number")
                .flat_map(|c| {
                    let cells = c["cells"].as_array().unwrap().clone();
                    if cells.is_empty() {
                        vec![c["when_empty"].clone()]
                    } else {
                        cells
                    }
                })
                .map(|cell| format!("{} ({})", cell["text"].as_str().unwrap(), cell["color"]))
                .collect();
            (panel["title"].as_str().unwrap().to_string(), texts)
        })
        .collect();
    let stat = |dashboard: &str, title: &str, nth: usize| -> String {
        let found: Vec<_> = shown
            .iter()
            .filter(|(t, _)| t == &format!("lookout-{dashboard} / {title}"))
            .collect();
        assert_eq!(found[nth].1.len(), 1, "one value: {found:?}");
        found[nth].1[0].clone()
    };
    // shop's SLO rows in spec order: payments, search, checkout.
    assert_eq!(stat("shop", "Page alert", 0), "firing (\"red\")");
    assert_eq!(stat("shop", "Page alert", 1), "pending (\"orange\")");
    assert_eq!(stat("shop", "Page alert", 2), "OK (\"green\")");
    assert_eq!(stat("ledger", "Page alert", 0), "alerting off (\"text\")");
    assert_eq!(stat("ledger", "Ticket alert", 0), "alerting off (\"text\")");
    assert_eq!(
        stat("ledger", "Budget exhausted in", 0),
        "6.4 weeks (\"green\")"
    );
    assert_eq!(
        stat("shop", "Budget exhausted in", 2),
        "not burning (\"green\")"
    );
    insta::assert_yaml_snapshot!("stat_panels_as_grafana_shows_them", shown);
}

/// A panel's `threshold_direction: below` (the Galera cluster size: fewer
/// than 3 nodes is bad), coloured by Grafana's own display processor.
#[test]
fn a_threshold_below_colours_low_values_red() {
    let _serial = one_at_a_time();
    let artifacts = support::generate_for("lookout.yaml", "slos");
    let dashboard: Value = serde_json::from_str(
        &artifacts
            .iter()
            .find(|a| a.path.ends_with("dashboards/grafana/mariadb-galera.json"))
            .unwrap()
            .contents,
    )
    .unwrap();
    let panel = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Galera cluster size")
        .unwrap();
    let input = json!({
        "title": panel["title"],
        "targets": [{"refId": "A", "format": "table"}],
        "results": {"A": [
            {"metric": {"node": "degraded"}, "value": [0, "2"]},
            {"metric": {"node": "whole"}, "value": [0, "3"]},
        ]},
        "transformations": [],
        "fieldConfig": panel["fieldConfig"],
        "options": panel["options"],
    });
    let report = grafana_data(&[input]);
    let columns = report[0]["tables"][0]["columns"].as_array().unwrap();
    let value = columns.iter().find(|c| c["name"] == "Value").unwrap();
    let colours: Vec<&str> = value["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["color"].as_str().unwrap())
        .collect();
    assert_eq!(colours, ["red", "green"], "{report:#?}");
}

/// The example custom dashboard (dashboards/error-budgets.jsonnet): one
/// row per team with its SLOs under it, and a budget overspent a
/// thousandfold (a total outage on a 99.9% SLO) shown whole, in red, by
/// Grafana's display processor: nothing clips it.
#[test]
fn error_budgets_are_grouped_by_team_and_an_overspent_budget_shows_whole() {
    let _serial = one_at_a_time();
    let artifacts = support::generate_for("lookout.yaml", "slos");
    let dashboard: Value = serde_json::from_str(
        &artifacts
            .iter()
            .find(|a| a.path.ends_with("dashboards/grafana/error-budgets.json"))
            .unwrap()
            .contents,
    )
    .unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "Team data-platform",
            "Team payments",
            "Team platform",
            "Team platform-api"
        ]
    );
    // Every SLO sits below its team's row and above the next one.
    let mut team_y = -1;
    for panel in panels {
        let y = panel["gridPos"]["y"].as_i64().unwrap();
        if panel["type"] == "row" {
            assert!(y > team_y, "{panel}");
            team_y = y;
        } else {
            assert!(y > team_y, "{}", panel["title"]);
            assert!(panel["fieldConfig"]["defaults"].get("min").is_none());
        }
    }
    let stat = panels.iter().find(|p| p["type"] == "stat").unwrap();
    let input = json!({
        "title": stat["title"],
        "targets": [{"refId": "A", "format": "table"}],
        "results": {"A": [{"metric": {}, "value": [0, "-999"]}, {"metric": {}, "value": [0, "0.75"]}]},
        "transformations": [],
        "fieldConfig": stat["fieldConfig"],
        "options": stat["options"],
    });
    let report = grafana_data(&[input]);
    let columns = report[0]["tables"][0]["columns"].as_array().unwrap();
    let cells = columns.iter().find(|c| c["name"] == "Value").unwrap()["cells"].clone();
    assert_eq!(cells[0]["text"], "-99900.0%", "{report:#?}");
    assert_eq!(cells[0]["color"], "red");
    assert_eq!(cells[1]["text"], "75.0%");
    assert_eq!(cells[1]["color"], "green");
}

const ROUTES: &str = r#"service: shop
slos:
  # One SLO per route: /pay fails every request, /refund none.
  - name: routes
    objective: 99.9
    group_by: [route]
    sli:
      events:
        errors: sum by (route) (rate(http_requests_total{svc="routes",code=~"5.."}[{{window}}]))
        total: sum by (route) (rate(http_requests_total{svc="routes"}[{{window}}]))
    alerting:
      thin_data: fire
  # Per calendar month: 0.2% errors at 99.5%, a burn of 0.4.
  - name: monthly
    objective: 99.5
    window: month
    sli:
      events:
        errors: sum(rate(http_requests_total{svc="monthly",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{svc="monthly"}[{{window}}]))
"#;

/// Requests per second by SLO, route and code, as in [`RATES`].
const ROUTE_RATES: &[(&str, &str, &str, f64)] = &[
    ("routes", "/pay", "500", 10.0),
    ("routes", "/refund", "200", 5.0),
    ("monthly", "", "200", 99.8),
    ("monthly", "", "500", 0.2),
];

/// Unix seconds of 00:00 UTC on the first of the month holding `at`, and
/// of the next month, by `date`: not by lookout's calendar arithmetic.
fn month_by_date(at: f64) -> (f64, f64) {
    let date = |args: &[&str]| -> f64 {
        let out = std::process::Command::new("date")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let first = String::from_utf8(
        std::process::Command::new("date")
            .args(["-u", "-d", &format!("@{}", at as i64), "+%Y-%m-01"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let first = first.trim();
    (
        date(&["-u", "-d", &format!("{first} 00:00:00 UTC"), "+%s"]),
        date(&[
            "-u",
            "-d",
            &format!("{first} 00:00:00 UTC + 1 month"),
            "+%s",
        ]),
    )
}

/// Runs `timeFrom` values through Grafana's own `describeTextRange` and
/// `dateMath` (`tests/grafana-data/time.cjs`).
fn grafana_time_from(time_from: &[&str], now: f64, timezone: &str, week_start: &str) -> Vec<Value> {
    let input = json!({"timeFrom": time_from, "now": now * 1000.0, "timezone": timezone, "weekStart": week_start});
    let output = support::node(
        "tests/grafana-data",
        "@grafana/data",
        "time.cjs",
        input.to_string().as_bytes(),
    );
    serde_json::from_slice(&output).unwrap()
}

/// A grouped SLO has a row per group in the overview, a calendar SLO its
/// budget since the 1st, both as Grafana's code shows them; and the
/// calendar burndown's `timeFrom` starts where Grafana reads the period.
#[test]
fn a_grouped_slo_has_a_row_per_group_and_a_calendar_budget_starts_on_the_first() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("slos")).unwrap();
    std::fs::write(root.join("slos/shop.yaml"), ROUTES).unwrap();
    std::fs::write(
        root.join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\nprometheus: {long_interval: 3s}\n",
    )
    .unwrap();
    let started = Instant::now();
    let metrics = FakeServer::start(move |_| {
        let t = started.elapsed().as_secs_f64();
        let mut body = String::from("# TYPE http_requests_total counter\n");
        for (svc, route, code, rate) in ROUTE_RATES {
            body.push_str(&format!(
                "http_requests_total{{svc=\"{svc}\",route=\"{route}\",code=\"{code}\"}} {}\n",
                rate * t
            ));
        }
        Reply::new(200, body).header("content-type", "text/plain; version=0.0.4")
    });
    let (dashboards, _prometheus, prometheus) = serve(root, &metrics);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let time = wait_for("the rules to evaluate", Duration::from_secs(90), || {
        let t = now() - 1.0;
        let pages: Vec<String> = query(
            &prometheus,
            r#"ALERTS{alertstate="firing",slo_severity="page"}"#,
            t,
        )
        .iter()
        .map(|a| format!("{} {}", a["metric"]["slo"], a["metric"]["route"]))
        .collect();
        let burns = query(&prometheus, "slo:current_burn_rate:ratio", t).len();
        let to_date = query(&prometheus, "slo:period_burn_rate:ratio", t).len();
        (pages == [r#""routes" "/pay""#] && burns == 3 && to_date == 3).then_some(t)
    });

    let overview = dashboards
        .iter()
        .find(|d| {
            d["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("slo-overview")))
        })
        .unwrap();
    let table = &overview["panels"][0];
    let report = grafana_data(&[answered(table, &prometheus, time, "table")]);
    let tables = report[0]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1, "merge gives one table: {report:#?}");
    let columns: Vec<&str> = tables[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // No SLO here has a team: Grafana shows no empty `team` column.
    assert_eq!(&columns[..4], ["service", "slo", "route", "Objective"]);
    let rows = rows(&tables[0]);
    assert_eq!(
        rows.len(),
        3,
        "a row per group, and one for the monthly SLO: {rows:#?}"
    );
    let row = |slo: &str, route: &str| {
        let found: Vec<_> = rows
            .iter()
            .filter(|r| r["slo"]["value"] == slo && r["route"]["value"] == route)
            .collect();
        assert_eq!(found.len(), 1, "{slo} {route}: {rows:#?}");
        found[0].clone()
    };
    let check = |slo: &str, route: &str, column: &str, value: f64| {
        let cell = &row(slo, route)[column];
        assert!(
            close(&cell["value"], value),
            "{slo} {route} {column}: {cell} ≠ {value}"
        );
    };
    // /pay: every request fails, budget 0.001: burn 1000, 1 - 1000 left.
    check("routes", "/pay", "Objective", 0.999);
    check("routes", "/pay", "SLI over window", 0.0);
    check("routes", "/pay", "Budget remaining", 1.0 - 1000.0);
    check("routes", "/pay", "Burn rate (1h)", 1000.0);
    assert_eq!(row("routes", "/pay")["Page alert"]["text"], "firing");
    // /refund: nothing fails; its own row, not /pay's.
    check("routes", "/refund", "Objective", 0.999);
    check("routes", "/refund", "SLI over window", 1.0);
    check("routes", "/refund", "Budget remaining", 1.0);
    assert_eq!(row("routes", "/refund")["Page alert"]["text"], "OK");
    // monthly: 0.2% since the 1st against 0.5%: a burn of 0.4 over the
    // share of the month gone by (the rules' tiles lag the query by up to
    // a long interval, 3s, which moves this by under 1e-6).
    let (start, end) = month_by_date(time);
    let spent = 0.4 * (time - start) / (end - start);
    let cell = &row("monthly", "")["Budget remaining"];
    let shown = cell["value"].as_f64().unwrap();
    assert!(
        (shown - (1.0 - spent)).abs() < 1e-5,
        "monthly: {cell} ≠ {}",
        1.0 - spent
    );
    check("monthly", "", "SLI over window", 0.998);
    assert_eq!(row("monthly", "")["Page alert"]["text"], "OK");

    // The service dashboard: a variable per group label, and the monthly
    // burndown from the start of the month as Grafana reads `timeFrom`.
    let service = dashboards
        .iter()
        .find(|d| d["uid"] == "lookout-shop")
        .unwrap();
    let variables: Vec<&str> = service["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(variables.contains(&"route"), "{variables:?}");
    let burndowns: Vec<&Value> = service["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["title"] == "Error budget burndown")
        .collect();
    let monthly = burndowns
        .iter()
        .find(|p| p["timeFrom"] == "now/M")
        .expect("the monthly burndown reads the month");
    let zone = service["timezone"].as_str().unwrap();
    assert_eq!(zone, "utc");
    let read = grafana_time_from(&[monthly["timeFrom"].as_str().unwrap()], time, zone, "");
    assert_eq!(read[0]["display"], "This month so far");
    assert_eq!(read[0]["invalid"], false);
    assert_eq!(read[0]["from"].as_f64().unwrap(), start * 1000.0);

    // `status` has a row per group, and the month with its start.
    std::fs::write(
        root.join("lookout.yaml"),
        format!("runbooks: {{base_url: https://runbooks.example.com}}\nprometheus: {{long_interval: 3s, url: '{prometheus}'}}\n"),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(["status", "--format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows: Vec<(String, String)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["slo"].as_str().unwrap().into(),
                s["group"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("routes".to_string(), "route=/pay".to_string()),
            ("routes".into(), "route=/refund".into()),
            ("monthly".into(), String::new()),
        ]
    );
    let pay = &status[0];
    assert!(close(&pay["budget_remaining"], 1.0 - 1000.0), "{pay}");
    let refund = &status[1];
    assert!(close(&refund["sli"], 1.0), "{refund}");
    let monthly = &status[2];
    let first = String::from_utf8(
        std::process::Command::new("date")
            .args([
                "-u",
                "-d",
                &format!("@{}", start as i64),
                "+%Y-%m-%dT%H:%M:%SZ",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(monthly["period"]["start"], first.trim(), "{monthly}");
    assert_eq!(monthly["period"]["calendar"], "month");
    assert!(close(&monthly["sli"], 0.998), "{monthly}");
}

/// Every calendar period's `timeFrom` is one Grafana understands, and
/// starts where the period does: a week on Monday (with the dashboard's
/// `weekStart`), a quarter on the 1st of its first month, a month at
/// 00:00 in the dashboard's fixed-offset zone.
#[test]
fn grafana_reads_each_calendar_periods_start() {
    use lookout::model::{Calendar, CalendarUnit};
    // Monday 7 December 2026, 13:26:40 UTC.
    let now = 1_796_650_000.0;
    for (unit, offset, weeks, from) in [
        (CalendarUnit::Week, 0, "monday", 1_796_601_600.0),
        (CalendarUnit::Month, 0, "", 1_796_083_200.0),
        (CalendarUnit::Quarter, 0, "", 1_790_812_800.0),
        (CalendarUnit::Month, 120, "", 1_796_076_000.0),
    ] {
        let calendar = Calendar {
            unit,
            utc_offset_minutes: offset,
            start_minutes: 0,
        };
        let zone = calendar.grafana_timezone().unwrap();
        let read = grafana_time_from(&[unit.grafana_time_from()], now, &zone, weeks);
        assert_eq!(read[0]["invalid"], false, "{unit:?}: {read:?}");
        assert_eq!(
            read[0]["from"].as_f64().unwrap(),
            from * 1000.0,
            "{unit:?} {zone}"
        );
        // lookout's own arithmetic agrees with Grafana's.
        assert_eq!(calendar.period_at(now as i64).0 as f64, from, "{unit:?}");
    }
}
