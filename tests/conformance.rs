//! Conformance with Sloth: for every example of Sloth's repository that
//! has golden rules (`../shared/conformance/sloth/examples/_gen`, Sloth
//! v0.16.0) and that lookout can import, a real promtool loads Sloth's
//! golden rules and lookout's rules for the imported spec side by side, on
//! the same input series, and proves their alerts agree at every minute.
//! Sloth's two OpenSLO examples are imported with `lookout import
//! openslo`; their goldens record the SLIs only, so Sloth's alert rules
//! for getting-started.yml are pointed at them (`openslo_alerts`).
//!
//! What "agree" means, and why it is not "at the same minute": Sloth
//! computes each window straight from the user's query (`rate(x[1h])`);
//! lookout records the 5m rates once and sums them over each window (and
//! the long windows over 5m tiles), which is what makes its rules cheap
//! (`docs/src/explanation/evaluation-cost.md`). A window of 5m rates is the same window
//! seen through a 5m box, so on a step change it trails Sloth's by about
//! half of that box, and a tile adds another. So, for every SLO and tier,
//! at every minute of a 28-hour run:
//! - lookout fires only if Sloth fired within the last `LAG` minutes;
//! - if Sloth fired `LAG` minutes ago, lookout fired since;
//! - over the run, both fired the same SLOs' same tiers, and not nothing.
//!
//! The run: 12h of clean traffic, 8h of a slow burn, 2h clean, a 30-minute
//! total outage, 6h clean. `long_windows_differ_where_traffic_is_spiky`
//! is the one case where the two differ in value, with which is right.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

mod support;

const EXAMPLES: &str = "../shared/conformance/sloth/examples";

/// Minutes lookout's firing may trail Sloth's: about 2.5 for a window of
/// 5m rates and 2.5 more for a 5m tile. 5 is the least that passes (4
/// fails where a 6h window crosses its threshold in a slow burn), with
/// every group evaluated in its file's order (`group_eval_order`); lookout
/// may also lead by one evaluation, a margin for group order.
const LAG: u32 = 5;

const CLEAN: u32 = 12 * 60;
const SLOW: u32 = 8 * 60;
const GAP: u32 = 2 * 60;
const OUTAGE: u32 = 30;
const AFTER: u32 = 6 * 60;
const RUN: u32 = CLEAN + SLOW + GAP + OUTAGE + AFTER;

/// The share of bad events at minute `m`, with `slow` during the slow burn.
fn error_share(m: u32, slow: f64) -> f64 {
    if m < CLEAN {
        0.0
    } else if m < CLEAN + SLOW {
        slow
    } else if m < CLEAN + SLOW + GAP {
        0.0
    } else if m < CLEAN + SLOW + GAP + OUTAGE {
        1.0
    } else {
        0.0
    }
}

/// A counter that grows by `per_minute(m)` each minute, as promtool values.
fn counter(per_minute: impl Fn(u32) -> f64) -> String {
    counter_over(RUN, per_minute)
}

/// A counter that grows by `per_step(s)` at each of `steps` steps.
fn counter_over(steps: u32, per_step: impl Fn(u32) -> f64) -> String {
    let mut total = 0.0;
    let mut values = Vec::with_capacity(steps as usize + 1);
    for step in 0..=steps {
        values.push(format!("{total}"));
        total += per_step(step);
    }
    values.join(" ")
}

fn gauge(value: impl Fn(u32) -> f64) -> String {
    gauge_over(RUN, value)
}

fn gauge_over(steps: u32, value: impl Fn(u32) -> f64) -> String {
    (0..=steps)
        .map(|step| format!("{}", value(step)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes `test` as `name` in `root` and runs `promtool test rules` there:
/// its report when a test fails.
fn promtool_test(promtool: &Path, root: &Path, name: &str, test: &Value) -> Result<(), String> {
    std::fs::write(root.join(name), test.to_string()).unwrap();
    let output = Command::new(promtool)
        .args(["test", "rules", name])
        .current_dir(root)
        .output()
        .unwrap();
    if output.status.success() {
        return Ok(());
    }
    let report = String::from_utf8_lossy(&output.stdout);
    Err(format!(
        "{}{}",
        report.chars().take(6000).collect::<String>(),
        String::from_utf8_lossy(&output.stderr)
    ))
}

const REQUESTS: f64 = 600.0;

/// `http_request_duration_seconds_count{job="myservice",code}`: the
/// getting-started and multifile examples.
fn http_requests(slow: f64) -> Vec<(String, String)> {
    vec![
        (
            r#"http_request_duration_seconds_count{job="myservice",code="200"}"#.into(),
            counter(|m| REQUESTS * (1.0 - error_share(m, slow))),
        ),
        (
            r#"http_request_duration_seconds_count{job="myservice",code="500"}"#.into(),
            counter(|m| REQUESTS * error_share(m, slow)),
        ),
    ]
}

/// The Kubernetes API server's requests, and their latency: a bad request
/// is a 5xx and slower than 0.4s.
fn apiserver(slow: f64) -> Vec<(String, String)> {
    vec![
        (
            r#"apiserver_request_total{code="200",verb="GET"}"#.into(),
            counter(|m| REQUESTS * (1.0 - error_share(m, slow))),
        ),
        (
            r#"apiserver_request_total{code="500",verb="GET"}"#.into(),
            counter(|m| REQUESTS * error_share(m, slow)),
        ),
        (
            r#"apiserver_request_duration_seconds_count{verb="GET"}"#.into(),
            counter(|_| REQUESTS),
        ),
        (
            r#"apiserver_request_duration_seconds_bucket{le="0.4",verb="GET"}"#.into(),
            counter(|m| REQUESTS * (1.0 - error_share(m, slow))),
        ),
    ]
}

/// Two wifi clients' satisfaction: 1 when good, 0.3 (below both SLOs'
/// thresholds, and 0.7 of error in the raw SLI) for the share that is bad.
/// Two, because Sloth's rules for these SLIs are `[3d:]` subqueries, and
/// promtool caps a query at 10,000 samples: ten clients break Sloth's own
/// rules after eight hours.
fn wifi(slow: f64) -> Vec<(String, String)> {
    const CLIENTS: u32 = 2;
    (0..CLIENTS)
        .map(|client| {
            (
                format!(r#"unifipoller_client_satisfaction_ratio{{client="c{client}"}}"#),
                gauge(|m| {
                    let bad = (error_share(m, slow) * f64::from(CLIENTS)).round() as u32;
                    if client < bad {
                        0.3
                    } else {
                        1.0
                    }
                }),
            )
        })
        .collect()
}

struct Case {
    example: &'static str,
    series: fn(f64) -> Vec<(String, String)>,
    /// The slow burn's share of bad events.
    slow: f64,
}

/// The API server's series for Sloth's OpenSLO example, whose second
/// latency objective also reads the `le="5"` bucket (every request is
/// faster than 5s).
fn apiserver_openslo(slow: f64) -> Vec<(String, String)> {
    let mut series = apiserver(slow);
    series.push((
        r#"apiserver_request_duration_seconds_bucket{le="5",verb="GET"}"#.into(),
        counter(|_| REQUESTS),
    ));
    series
}

const CASES: &[Case] = &[
    Case {
        example: "getting-started.yml",
        series: http_requests,
        slow: 0.004,
    },
    Case {
        example: "k8s-getting-started.yml",
        series: http_requests,
        slow: 0.004,
    },
    Case {
        example: "multifile.yml",
        series: http_requests,
        slow: 0.004,
    },
    Case {
        example: "k8s-multifile.yml",
        series: http_requests,
        slow: 0.004,
    },
    Case {
        example: "kubernetes-apiserver.yml",
        series: apiserver,
        slow: 0.004,
    },
    Case {
        example: "home-wifi.yml",
        series: wifi,
        slow: 0.5,
    },
    Case {
        example: "k8s-home-wifi.yml",
        series: wifi,
        slow: 0.5,
    },
    Case {
        example: "raw-home-wifi.yml",
        series: wifi,
        slow: 0.5,
    },
    Case {
        example: "no-alerts.yml",
        series: http_requests,
        slow: 0.004,
    },
    // Sloth's OpenSLO examples: `lookout import openslo`. Their goldens
    // hold Sloth's SLI recordings only (OpenSLO has no Sloth alerting), so
    // Sloth's side alerts through Sloth's own alert rules for
    // getting-started.yml, pointed at each SLO (`openslo_alerts`).
    Case {
        example: "openslo-getting-started.yml",
        series: http_requests,
        slow: 0.004,
    },
    Case {
        example: "openslo-kubernetes-apiserver.yml",
        series: apiserver_openslo,
        slow: 0.004,
    },
];

fn lookout(dir: &Path, args: &[&str]) {
    support::run_ok(env!("CARGO_BIN_EXE_lookout"), args, dir);
}

/// A project with Sloth's `example` imported and built, and Sloth's golden
/// rules for it beside, as `sloth.json`; returns those rules too.
fn side_by_side(example: &str) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let source = std::fs::canonicalize(Path::new(EXAMPLES).join(example)).unwrap();
    std::fs::write(
        root.join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\nseverities: [critical, warning, pageteam, slack, home]\n",
    )
    .unwrap();
    let openslo = example.starts_with("openslo-");
    let format = if openslo { "openslo" } else { "sloth" };
    lookout(root, &["import", format, &source.to_string_lossy()]);
    lookout(root, &["build"]);
    let mut golden = sloth_rules(&Path::new(EXAMPLES).join("_gen").join(example));
    if openslo {
        let alerts = openslo_alerts(&golden);
        golden["groups"].as_array_mut().unwrap().push(alerts);
    }
    std::fs::write(root.join("sloth.json"), golden.to_string()).unwrap();
    (dir, golden)
}

/// Sloth's golden output as one plain rule file: the groups of every
/// document, out of their `PrometheusRule` wrapper where there is one.
fn sloth_rules(golden: &Path) -> Value {
    let text = std::fs::read_to_string(golden).unwrap();
    let mut groups = Vec::new();
    for document in text.split("\n---\n") {
        if !document
            .lines()
            .any(|l| !l.is_empty() && !l.starts_with('#') && l != "---")
        {
            continue;
        }
        let doc = lookout::spec::parse_yaml_value(document).unwrap();
        let found = if doc["kind"] == "PrometheusRule" {
            &doc["spec"]["groups"]
        } else {
            &doc["groups"]
        };
        groups.extend(found.as_array().unwrap().iter().cloned());
    }
    json!({ "groups": groups })
}

/// Sloth's page and ticket alert rules, as Sloth wrote them for
/// getting-started.yml's one SLO (99.9%), once per SLO of an OpenSLO
/// golden: its `sloth_id` selectors and its error budget in place of
/// getting-started's. Each alert is labelled with the SLO's lookout name,
/// which drops Sloth's objective index `-0` where an SLO has one
/// objective (`lookout import openslo` names SLOs so).
fn openslo_alerts(golden: &Value) -> Value {
    let template = sloth_rules(&Path::new(EXAMPLES).join("_gen/getting-started.yml"));
    let template: Vec<&Value> = template["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .filter(|r| r.get("alert").is_some())
        .collect();
    assert_eq!(
        template.len(),
        2,
        "getting-started has a page and a ticket alert"
    );
    const SELECTOR: &str = r#"sloth_id="myservice-requests-availability", sloth_service="myservice", sloth_slo="requests-availability""#;
    const BUDGET: &str = "0.0009999999999999432";
    assert!(template
        .iter()
        .all(|r| r["expr"].as_str().unwrap().contains(SELECTOR)));
    // Each SLO: its labels, and its objective from `slo:objective:ratio`.
    let mut slos: Vec<(String, String, String, String)> = Vec::new();
    for rule in golden["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
    {
        if rule["record"] == "slo:objective:ratio" {
            let labels = &rule["labels"];
            let objective = rule["expr"]
                .as_str()
                .unwrap()
                .trim_start_matches("vector(")
                .trim_end_matches(')');
            slos.push((
                labels["sloth_id"].as_str().unwrap().into(),
                labels["sloth_service"].as_str().unwrap().into(),
                labels["sloth_slo"].as_str().unwrap().into(),
                objective.into(),
            ));
        }
    }
    assert!(!slos.is_empty());
    let objectives_of = |slo: &str| {
        let stem = slo.rsplit_once('-').unwrap().0;
        slos.iter()
            .filter(|(_, _, s, _)| s.rsplit_once('-').unwrap().0 == stem)
            .count()
    };
    let mut rules = Vec::new();
    for (id, service, slo, objective) in &slos {
        let lookout_name = if objectives_of(slo) == 1 {
            slo.strip_suffix("-0").unwrap().to_string()
        } else {
            slo.clone()
        };
        for alert in &template {
            let mut alert = (*alert).clone();
            let expr = alert["expr"]
                .as_str()
                .unwrap()
                .replace(
                    SELECTOR,
                    &format!(r#"sloth_id="{id}", sloth_service="{service}", sloth_slo="{slo}""#),
                )
                .replace(BUDGET, &format!("(1 - {objective})"));
            alert["expr"] = json!(expr);
            alert["labels"]["sloth_service"] = json!(service);
            alert["labels"]["sloth_slo"] = json!(lookout_name);
            rules.push(alert);
        }
    }
    json!({"name": "sloth-alerts-from-getting-started", "rules": rules})
}

fn group_names(rules: &Value) -> Vec<String> {
    rules["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

/// Firing alerts as `{service, slo, tier}`: Sloth's by its `sloth_*`
/// labels, lookout's by its own.
/// `ago` is an offset (`offset 1m`) or empty.
fn sloth_firing(ago: &str) -> String {
    format!(
        r#"max by (service, slo, tier) (label_replace(label_replace(label_replace(ALERTS{{alertstate="firing", sloth_severity!=""}} {ago}, "tier", "$1", "sloth_severity", "(.+)"), "service", "$1", "sloth_service", "(.+)"), "slo", "$1", "sloth_slo", "(.+)"))"#
    )
}

fn lookout_firing(ago: &str) -> String {
    format!(
        r#"max by (service, slo, tier) (label_replace(ALERTS{{alertstate="firing", slo_severity!=""}} {ago}, "tier", "$1", "slo_severity", "(.+)"))"#
    )
}

fn minutes(m: u32) -> String {
    format!("{m}m")
}

#[test]
fn imported_sloth_examples_alert_as_sloth_does() {
    let promtool = support::tool("promtool");
    // promtool is single-threaded: one case per core.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for chunk in CASES.chunks(CASES.len().div_ceil(cores)) {
            let promtool = &promtool;
            scope.spawn(move || {
                for case in chunk {
                    conform(case, promtool);
                }
            });
        }
    });
}

fn conform(case: &Case, promtool: &Path) {
    let only = std::env::var("LOOKOUT_CONFORMANCE_ONLY").ok();
    if only.is_some_and(|only| only != case.example) {
        return;
    }
    let (dir, golden) = side_by_side(case.example);
    let root = dir.path();
    let mut rule_files = vec!["sloth.json".to_string()];
    let mut ours_files: Vec<PathBuf> = std::fs::read_dir(root.join("rules"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    ours_files.sort();
    for path in &ours_files {
        rule_files.push(format!(
            "rules/{}",
            path.file_name().unwrap().to_string_lossy()
        ));
    }
    // promtool evaluates groups in a random order unless told
    // (`orderedGroups` in cmd/promtool/unittest.go sorts by an empty
    // map); each file lists its groups in dependency order, so that
    // order, for both, makes the run repeatable.
    let mut order = group_names(&golden);
    for path in &ours_files {
        let text = std::fs::read_to_string(path).unwrap();
        order.extend(group_names(
            &lookout::spec::parse_yaml_value(&text).unwrap(),
        ));
    }
    let (sloth, ours) = (sloth_firing(""), lookout_firing(""));
    let mut checks = Vec::new();
    let lag: u32 = std::env::var("LOOKOUT_CONFORMANCE_LAG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(LAG);
    for m in 1..=RUN {
        // lookout firing a minute ago: Sloth fired within the lag
        // before it, or within the minute after (evaluation order).
        checks.push(json!({
            "expr": format!("{} unless on (service, slo, tier) max_over_time(({sloth})[{}:1m])", lookout_firing("offset 1m"), minutes(lag + 2)),
            "eval_time": minutes(m),
            "exp_samples": [],
        }));
        // Sloth firing lag+1 minutes ago: lookout fired since.
        if m > lag {
            checks.push(json!({
                "expr": format!("{} unless on (service, slo, tier) max_over_time(({ours})[{}:1m])", sloth_firing(&format!("offset {}", minutes(lag + 1))), minutes(lag + 2)),
                "eval_time": minutes(m),
                "exp_samples": [],
            }));
        }
    }
    // Over the whole run, the same SLOs' same tiers fired in both.
    let whole = |firing: &str| format!("max_over_time(({firing})[{}:1m])", minutes(RUN));
    checks.push(json!({
        "expr": format!("({} unless on (service, slo, tier) {}) or ({} unless on (service, slo, tier) {})", whole(&sloth), whole(&ours), whole(&ours), whole(&sloth)),
        "eval_time": minutes(RUN),
        "exp_samples": [],
    }));
    // Not vacuously: something fired, except where Sloth disabled it.
    let expected = if case.example == "no-alerts.yml" {
        json!([])
    } else {
        json!([{"labels": "{}", "value": 1}])
    };
    checks.push(json!({
        "expr": format!("count({}) > bool 0", whole(&sloth)),
        "eval_time": minutes(RUN),
        "exp_samples": expected,
    }));
    let series: Vec<Value> = (case.series)(case.slow)
        .into_iter()
        .map(|(series, values)| json!({"series": series, "values": values}))
        .collect();
    let test = json!({
        "rule_files": rule_files,
        "evaluation_interval": "1m",
        "group_eval_order": order,
        "tests": [{
            "interval": "1m",
            "input_series": series,
            "promql_expr_test": checks,
        }],
    });
    let result = promtool_test(promtool, root, "conformance.test.json", &test);
    if let Some(keep) = std::env::var_os("LOOKOUT_KEEP_CONFORMANCE") {
        let _ = Command::new("cp")
            .arg("-r")
            .arg(root)
            .arg(Path::new(&keep).join(case.example))
            .status();
    }
    if let Err(report) = result {
        panic!(
            "{}: lookout's alerts do not follow Sloth's:\n{report}",
            case.example
        );
    }
}

/// The one place lookout and Sloth disagree in value, on purpose: the
/// period's SLI. Traffic is 12h of 100 rps at 0.1% errors, then 12h of
/// 1 rps at 50% errors. Worked by hand: 4,320,000 requests with 4,320
/// errors, then 43,200 with 21,600; 25,920 of 4,363,200 requests failed,
/// 0.594%. lookout's 30d SLI is that ratio of sums. Sloth's averages the
/// 5m ratios, half 0.001 and half 0.5, so about 0.25: 42 times the share
/// of requests that failed, because a quiet 5m weighs as much as a busy
/// one. An SLO promises a share of requests (of events), so lookout's is
/// the one that says how much budget is spent; Sloth's is right only when
/// traffic is even, as in `imported_sloth_examples_alert_as_sloth_does`.
#[test]
fn long_windows_differ_where_traffic_is_spiky() {
    let promtool = support::tool("promtool");
    let (dir, _) = side_by_side("getting-started.yml");
    let root = dir.path();
    let in_range =
        |expr: &str, low: f64, high: f64| format!("({expr} > bool {low}) * ({expr} < bool {high})");
    let ours = r#"slo:sli_error:ratio_rate30d{service="myservice",slo="requests-availability"}"#;
    let theirs = r#"slo:sli_error:ratio_rate30d{sloth_service="myservice",sloth_slo="requests-availability"}"#;
    let test = json!({
        "rule_files": ["sloth.json", "rules/myservice.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": r#"http_request_duration_seconds_count{job="myservice",code="200"}"#, "values": "0+5994x720 4315680+30x720"},
                {"series": r#"http_request_duration_seconds_count{job="myservice",code="500"}"#, "values": "0+6x720 4320+30x720"},
            ],
            "promql_expr_test": [
                {"expr": format!("max({})", in_range(ours, 0.0055, 0.0065)), "eval_time": "24h", "exp_samples": [{"labels": "{}", "value": 1}]},
                {"expr": format!("max({})", in_range(theirs, 0.24, 0.26)), "eval_time": "24h", "exp_samples": [{"labels": "{}", "value": 1}]},
            ],
        }],
    });
    if let Err(report) = promtool_test(&promtool, root, "spiky.test.json", &test) {
        panic!("{report}");
    }
}

/// OpenSLO's budgeting methods, as `lookout import openslo` maps them
/// (`tests/fixtures/openslo`), measured by a real promtool against values
/// worked by hand from OpenSLO's definitions. Every 10 minutes, minutes 1
/// to 3 are bad: 10% of 40 requests a second fail (else 1%), and the
/// consumer lag is 6,000 (else 10). Over an hour:
/// - Occurrences (`availability`, `good-requests`): 3·0.10 + 7·0.01 of
///   every 10 minutes' requests, 0.037;
/// - RatioTimeslices, 5m slices (`mean-ratio`): half the slices hold the
///   three bad minutes, (3·0.10 + 2·0.01)/5 = 0.064, half 0.01: 0.037;
/// - Timeslices, 1m slices good at 95% (`uptime`): 3 of 10 slices are bad,
///   0.3; a threshold of 1,000 on the lag (`queue-lag`): 3 of 10 minutes;
/// - Timeslices, 5m slices good when 80% of their minutes have a lag
///   under 5,000 (`lag-minutes`): every other slice, 0.5.
///
/// The hour is 61 one-minute evaluations (Prometheus 2 closes ranges at
/// both ends), one of them counted twice: measured, 0.0366 for 0.037 and
/// 0.295 for 0.3, hence ranges a hundredth wide.
#[test]
fn openslo_budgeting_methods_count_what_openslo_says() {
    let promtool = support::tool("promtool");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\n",
    )
    .unwrap();
    let fixtures = std::fs::canonicalize("tests/fixtures/openslo").unwrap();
    lookout(root, &["import", "openslo", &fixtures.to_string_lossy()]);
    lookout(root, &["build"]);
    // 15s samples for 2h10m; minute m is bad when m % 10 is 1, 2 or 3.
    let steps = 130 * 4;
    let bad = |step: u32| (1..=3).contains(&((step / 4) % 10));
    let per_step = 600.0;
    let ok = counter_over(steps, |s| per_step * if bad(s) { 0.90 } else { 0.99 });
    let failed = counter_over(steps, |s| per_step * if bad(s) { 0.10 } else { 0.01 });
    let lag = gauge_over(steps, |s| if bad(s) { 6000.0 } else { 10.0 });
    let sli = |slo: &str, low: f64, high: f64| {
        let expr = format!(r#"slo:sli_error:ratio_rate1h{{service="checkout",slo="{slo}"}}"#);
        json!({
            "expr": format!("max(({expr} > bool {low}) * ({expr} < bool {high}))"),
            "eval_time": "130m",
            "exp_samples": [{"labels": "{}", "value": 1}],
        })
    };
    let test = json!({
        "rule_files": ["rules/checkout.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "15s",
            "input_series": [
                {"series": r#"http_requests_total{job="checkout",code="200"}"#, "values": ok},
                {"series": r#"http_requests_total{job="checkout",code="500"}"#, "values": failed},
                {"series": r#"kafka_consumergroup_lag{consumergroup="checkout"}"#, "values": lag},
            ],
            "promql_expr_test": [
                sli("availability", 0.036, 0.038),
                sli("good-requests", 0.036, 0.038),
                sli("mean-ratio", 0.036, 0.038),
                sli("uptime", 0.29, 0.31),
                sli("queue-lag", 0.29, 0.31),
                sli("lag-minutes", 0.49, 0.51),
            ],
        }],
    });
    if let Err(report) = promtool_test(&promtool, root, "budgeting.test.json", &test) {
        panic!("{report}");
    }
}
