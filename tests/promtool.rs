//! Real promtool (and vmalert) on everything lookout generates.
//!
//! These tests fail, never skip, when the tools are missing: the README's
//! test command installs them. Alert behaviour is also checked on raw
//! counters, through the user's own queries, in hand-written scenarios.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use lookout::check::Inputs;
use lookout::model::Model;
use lookout::ops::{build, Request};
use serde_json::{json, Value};
use support::tool;

fn run(program: &Path, args: &[&str], cwd: &Path) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{text}",
        program.display()
    );
    text
}

/// Builds a project into a fresh temporary directory.
fn build_into(config: &str, slos: &Path) -> (tempfile::TempDir, Model) {
    let out = tempfile::tempdir().unwrap();
    let report = build(&Request {
        deny_warnings: false,
        inputs: Inputs {
            config: Some(PathBuf::from(config)),
            slos: Some(slos.to_path_buf()),
        },
        out: Some(out.path().to_path_buf()),
    })
    .unwrap();
    let diags = &report.generated.diagnostics;
    assert!(!diags.has_errors(), "{}", diags.render(false));
    let model = report.generated.model.clone().unwrap();
    (out, model)
}

fn files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

fn promtool_check_and_test(out: &Path) {
    let promtool = tool("promtool");
    let rules = out.join("rules");
    let rule_files = files(&rules);
    assert!(!rule_files.is_empty());
    let mut args = vec!["check", "rules"];
    args.extend(rule_files.iter().map(String::as_str));
    run(&promtool, &args, &rules);
    let tests = rules.join("tests");
    let test_files: Vec<String> = files(&tests)
        .into_iter()
        .filter(|f| f.ends_with(".test.yaml"))
        .collect();
    assert!(!test_files.is_empty());
    let mut args = vec!["test", "rules"];
    args.extend(test_files.iter().map(String::as_str));
    let output = run(&promtool, &args, &tests);
    assert!(!output.contains("FAILED"), "{output}");
}

#[test]
fn examples_pass_promtool_check_and_generated_tests() {
    let (out, _) = build_into("lookout.yaml", Path::new("slos"));
    promtool_check_and_test(out.path());
}

#[test]
fn edge_fixture_passes_promtool_check_and_generated_tests() {
    let (out, _) = build_into(
        "tests/fixtures/valid/edge/lookout.yaml",
        Path::new("tests/fixtures/valid/edge/slos"),
    );
    promtool_check_and_test(out.path());
}

/// The committed example output is what promtool sees in the repository too.
#[test]
fn committed_example_rules_pass_promtool() {
    promtool_check_and_test(Path::new("."));
}

#[test]
fn examples_pass_vmalert_dry_run() {
    let vmalert = tool("vmalert");
    let (out, _) = build_into("lookout.yaml", Path::new("slos"));
    let pattern = out.path().join("rules").join("*.yaml");
    run(
        &vmalert,
        &["-dryRun", &format!("-rule={}", pattern.display())],
        out.path(),
    );
}

const WEB_SPEC: &str = r#"
service: web
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        errors: sum(rate(http_requests_total{job="web",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{job="web"}[{{window}}]))
"#;

/// Writes `tests` as a promtool test file next to the web service's rules and runs it.
fn run_scenario(tests: Value) {
    run_spec_scenario(WEB_SPEC, tests);
}

/// Writes `tests` as a promtool test file next to `spec`'s rules (a
/// service `web`) and runs it, evaluating every minute.
fn run_spec_scenario(spec: &str, tests: Value) {
    run_scenario_every(spec, "1m", tests);
}

/// Writes `tests` next to the rules of `spec` (a service `web`) with an
/// evaluation interval of `interval`, and runs promtool on them.
fn run_scenario_every(spec: &str, interval: &str, tests: Value) {
    run_scenario_with("tests/fixtures/lookout.yaml", spec, interval, tests);
}

/// As [`run_scenario_every`], built with the lookout.yaml at `config`.
fn run_scenario_with(config: &str, spec: &str, interval: &str, tests: Value) {
    let dir = tempfile::tempdir().unwrap();
    let slos = dir.path().join("slos");
    std::fs::create_dir_all(&slos).unwrap();
    std::fs::write(slos.join("web.yaml"), spec).unwrap();
    let (out, _) = build_into(config, &slos);
    let rules = out.path().join("rules");
    // promtool evaluates one interval's groups in no set order unless told:
    // every scenario here is computed with the `sli` group first, as the
    // hand-worked tile sums assume.
    let order: Vec<String> = std::fs::read_to_string(rules.join("web.yaml"))
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("- name: "))
        .map(|name| name.trim_matches('\'').to_string())
        .collect();
    let file = json!({
        "rule_files": ["web.yaml"],
        "evaluation_interval": interval,
        "group_eval_order": order,
        "tests": tests,
    });
    std::fs::write(rules.join("scenario.test.json"), file.to_string()).unwrap();
    run(
        &tool("promtool"),
        &["test", "rules", "scenario.test.json"],
        &rules,
    );
}

/// The web SLO's firing alerts, as `ALERTS` samples: their labels only
/// (the alert text is checked where its values are exact, below).
fn firing(severities: &[&str]) -> Value {
    let alerts: Vec<Value> = severities
        .iter()
        .map(|tier| {
            let severity = if *tier == "page" { "critical" } else { "warning" };
            json!({
                "labels": format!(
                    r#"ALERTS{{alertname="WebAvailabilityErrorBudgetBurn", alertstate="firing", service="web", severity="{severity}", slo="availability", slo_severity="{tier}"}}"#
                ),
                "value": 1,
            })
        })
        .collect();
    Value::Array(alerts)
}

const WEB_ALERTS: &str =
    r#"ALERTS{alertname="WebAvailabilityErrorBudgetBurn",alertstate="firing"}"#;

/// The alert text, written by hand from the SRE workbook's numbers (not
/// read back from the emitter). Every request fails from the start, so
/// every window's ratio is exactly 1: a burn rate of 1 / 0.001 = 1000,
/// which Prometheus's `humanize` prints `1k`, and the 30d budget is
/// spent. At 2h10m the page's 1h/5m pair and the ticket's 1d/2h pair hold
/// (each long window holds its short window of data); the ticket's 3d/6h
/// pair does not yet (6h of data is needed), and the page names its first
/// pair. 14.4x over 1h spends 2% of 720h's budget, 3x over 1d 10%; the
/// whole budget lasts 720h / 14.4 = 50h and 720h / 3 = 10 days.
#[test]
fn alert_text_says_the_burn_rate_and_names_the_window_pair() {
    let alert = |tier: &str, severity: &str, pair: &str, fastest: &str, lasts: &str| {
        json!({
            "exp_labels": {
                "service": "web", "slo": "availability",
                "severity": severity, "slo_severity": tier,
            },
            "exp_annotations": {
                "summary": format!("web/availability is burning its error budget at 1kx: its 30d budget is spent ({tier})"),
                "description": format!(
                    "The availability SLO of web (99.9% over 30d, error budget 0.001) burns its budget over {pair}. At {fastest}x the whole budget lasts {lasts}."
                ),
                "runbook_url": "https://runbooks.example.com/web/availability.md",
            },
        })
    };
    run_scenario(json!([{
        "interval": "1m",
        "input_series": [
            {"series": r#"http_requests_total{job="web",code="500"}"#, "values": "0+600x140"},
        ],
        "alert_rule_test": [
            {"eval_time": "2h10m", "alertname": "WebAvailabilityErrorBudgetBurn", "exp_alerts": [
                alert("page", "critical", "1h and 5m (14.4x: 2% of the budget spent in 1h)", "14.4", "2 days 2 hours"),
                alert("ticket", "warning", "1d and 2h (3x: 10% of the budget spent in 1d)", "3", "10 days"),
            ]},
        ],
    }]));
}

/// The summary's other branch: the budget is not yet spent, so it says
/// how long the rest lasts at the alert's burn rate. By hand, for 99.9%
/// over 3d (the 1h/5m pair: 0.02 × 72h / 1h = 1.44x), three days of good
/// traffic at 10 requests a second, then 1% errors for an hour (the 5m
/// rates are fed directly; no raw series, so the user's queries record
/// nothing). At 3d1h the 1h window's 61 samples are all 1%: a burn rate
/// of 10, which `humanize` prints `10`. The rest of the budget comes from
/// `slo:period_burn_rate:ratio` as the long group last recorded it, a
/// minute earlier (the sli group evaluates first): the 3d window's 4,321
/// tiles each sum six samples of 10 events (259,260); the 60 error
/// samples of 0.1 so far sit in six tiles each, but the last five in
/// 5, 4, 3, 2 and 1: 0.1 × (55 × 6 + 15) = 34.5. So 1 − 34.5 / 259,260
/// / 0.001 = 0.866929 of the budget is left, which at 10x lasts
/// 0.866929 × 259,200 s / 10 = 22,470.8 s: `6h 14m 30s`.
#[test]
fn alert_text_says_how_long_the_rest_of_the_budget_lasts() {
    let spec = "service: web\nslos:\n  - name: availability\n    objective: 99.9\n    window: 3d\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{job=\"web\",code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"web\"}[{{window}}]))\n    alerting:\n      ticket: {enabled: false}\n";
    let labels = r#"{service="web",slo="availability"}"#;
    run_spec_scenario(
        spec,
        json!([{
            "interval": "1m",
            "input_series": [
                {"series": format!("slo:sli_errors:rate5m{labels}"), "values": "0+0x4319 0.1+0x65"},
                {"series": format!("slo:sli_events:rate5m{labels}"), "values": "10+0x4385"},
            ],
            "alert_rule_test": [
                {"eval_time": "4380m", "alertname": "WebAvailabilityErrorBudgetBurn", "exp_alerts": [{
                    "exp_labels": {
                        "service": "web", "slo": "availability",
                        "severity": "critical", "slo_severity": "page",
                    },
                    "exp_annotations": {
                        "summary": "web/availability is burning its error budget at 10x: at this rate the rest of its 3d budget is gone in 6h 14m 30s (page)",
                        "description": "The availability SLO of web (99.9% over 3d, error budget 0.001) burns its budget over 1h and 5m (1.44x: 2% of the budget spent in 1h). At 1.44x the whole budget lasts 2 days 2 hours.",
                        "runbook_url": "https://runbooks.example.com/web/availability.md",
                    },
                }]},
            ],
        }]),
    );
}

/// Two SLOs on the same requests, one with `min_errors: 5`.
const GUARDED_SPEC: &str = r#"
service: web
slos:
  - name: plain
    objective: 99.9
    sli:
      events:
        errors: sum(rate(http_requests_total{job="web",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{job="web"}[{{window}}]))
  - name: guarded
    objective: 99.9
    sli:
      events:
        errors: sum(rate(http_requests_total{job="web",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{job="web"}[{{window}}]))
    alerting:
      min_errors: 5
"#;

fn page_of(slo: &str) -> String {
    format!(r#"ALERTS{{alertstate="firing",slo="{slo}",slo_severity="page"}}"#)
}

fn paging(slo: &str, name: &str) -> Value {
    json!([{
        "labels": format!(
            r#"ALERTS{{alertname="{name}", alertstate="firing", service="web", severity="critical", slo="{slo}", slo_severity="page"}}"#
        ),
        "value": 1,
    }])
}

/// 20 requests an hour (a third of one a minute, as a counter may count),
/// and after six hours one of them fails. By hand, at 1m steps: the 500s'
/// 5m rate is 1/300 /s at 361m…365m (the window holding the increase),
/// the total's 1/180 + 1/300. At 363m the 5m ratio is 0.375 and the 1h
/// ratio 5/300 ÷ (61/180 + 5/300) = 0.047, both over 14.4 × 0.001: the
/// plain SLO pages on one error. The guarded one counts 5 × 1/300 × 60 s
/// = 1 error over the hour, under 5: no page, then or later.
#[test]
fn one_error_at_low_traffic_pages_only_without_min_errors() {
    run_spec_scenario(
        GUARDED_SPEC,
        json!([{
            "interval": "1m",
            "input_series": [
                {"series": r#"http_requests_total{job="web",code="200"}"#, "values": "0+0.333333333333x420"},
                {"series": r#"http_requests_total{job="web",code="500"}"#, "values": "0+0x360 1+0x60"},
            ],
            "promql_expr_test": [
                {"expr": page_of("plain"), "eval_time": "360m", "exp_samples": []},
                {"expr": page_of("plain"), "eval_time": "363m", "exp_samples": paging("plain", "WebPlainErrorBudgetBurn")},
                {"expr": page_of("guarded"), "eval_time": "363m", "exp_samples": []},
                {"expr": page_of("guarded"), "eval_time": "370m", "exp_samples": []},
            ],
        }]),
    );
}

/// One request a minute, and from 360m every one fails. By hand: the
/// 500s' 5m rate k minutes in is k/300 /s up to k = 5, then 1/60. The 1h
/// ratio is the sum of those over 61 samples of about 1/60 each: 0.0098
/// at k = 2, 0.0197 at k = 3, over 0.0144 from then. So the plain SLO
/// pages at 363m. The guarded one counts (1 + 2 + … + k) / 5 errors for
/// k <= 5, then one more a minute: 4 at k = 6, 6 at k = 8 (`lookout
/// explain --traffic 0.0167` says 7m, where the count reaches 5 exactly).
#[test]
fn a_full_outage_at_one_request_a_minute_still_pages_with_min_errors() {
    run_spec_scenario(
        GUARDED_SPEC,
        json!([{
            "interval": "1m",
            "input_series": [
                {"series": r#"http_requests_total{job="web",code="200"}"#, "values": "0+1x360 360+0x30"},
                {"series": r#"http_requests_total{job="web",code="500"}"#, "values": "0+0x360 1+1x30"},
            ],
            "promql_expr_test": [
                {"expr": page_of("plain"), "eval_time": "362m", "exp_samples": []},
                {"expr": page_of("plain"), "eval_time": "363m", "exp_samples": paging("plain", "WebPlainErrorBudgetBurn")},
                {"expr": page_of("guarded"), "eval_time": "366m", "exp_samples": []},
                {"expr": page_of("guarded"), "eval_time": "368m", "exp_samples": paging("guarded", "WebGuardedErrorBudgetBurn")},
            ],
        }]),
    );
}

/// A custom page tier: 20x over 30m and 5m (99.9%: an error ratio over
/// 0.02). 4% of 600 requests a minute fail from 360m. By hand: k minutes
/// in, the 30m window's 31 samples sum to 0.04 × (k - 2) of the rate
/// (the 5m rate ramps over five minutes: 1/5 + 2/5 + … = k - 2 for
/// k >= 5), so the ratio is 0.04 (k - 2) / 31: 0.0194 at k = 17, 0.0206
/// at k = 18. It pages at 378m; the workbook's 1h/5m pair would at
/// 0.04 (k - 2) / 61 > 0.0144, k = 24.
#[test]
fn a_custom_page_tier_fires_on_its_own_windows() {
    let spec = format!(
        "{WEB_SPEC}    alerting:\n      page:\n        windows:\n          - {{long: 30m, short: 5m, factor: 20}}\n"
    );
    run_spec_scenario(
        &spec,
        json!([{
            "interval": "1m",
            "input_series": [
                {"series": r#"http_requests_total{job="web",code="200"}"#, "values": "0+600x360 216576+576x30"},
                {"series": r#"http_requests_total{job="web",code="500"}"#, "values": "0+0x360 24+24x30"},
            ],
            "promql_expr_test": [
                {"expr": page_of("availability"), "eval_time": "377m", "exp_samples": []},
                {"expr": page_of("availability"), "eval_time": "378m", "exp_samples": paging("availability", "WebAvailabilityErrorBudgetBurn")},
            ],
        }]),
    );
}

/// Spiky traffic: 12h of 100 rps at 0.1% errors, then 12h of 1 rps at 50%.
/// The true day ratio is 36/6060 ≈ 0.00594; averaging 5m ratios (Sloth)
/// would give ≈ 0.25. lookout must report the true ratio of sums.
#[test]
fn long_window_sli_is_a_true_ratio_of_sums() {
    let in_range =
        |expr: &str, low: f64, high: f64| format!("({expr} > bool {low}) * ({expr} < bool {high})");
    let day = r#"slo:sli_error:ratio_rate1d{service="web",slo="availability"}"#;
    let month = r#"slo:sli_error:ratio_rate30d{service="web",slo="availability"}"#;
    let labels = r#"{service="web", slo="availability"}"#;
    run_scenario(json!([{
        "interval": "1m",
        "input_series": [
            {"series": r#"http_requests_total{job="web",code="200"}"#, "values": "0+5994x720 4315710+30x730"},
            {"series": r#"http_requests_total{job="web",code="500"}"#, "values": "0+6x720 4350+30x730"},
        ],
        "promql_expr_test": [
            {"expr": in_range(day, 0.0055, 0.0065), "eval_time": "24h", "exp_samples": [{"labels": labels, "value": 1}]},
            {"expr": in_range(month, 0.0055, 0.0065), "eval_time": "24h", "exp_samples": [{"labels": labels, "value": 1}]},
            {"expr": r#"slo:sli_error:ratio_rate1h{service="web"}"#, "eval_time": "23h",
             "exp_samples": [{"labels": r#"slo:sli_error:ratio_rate1h{service="web", slo="availability"}"#, "value": 0.5}]},
        ],
    }]));
}

/// A service that has never returned a 5xx has no error series at all; its
/// SLI must read 0, not "no data". Then a 31-minute total outage pages
/// within 5 minutes, and the page resets soon after recovery while the
/// ticket stays open.
#[test]
fn outage_pages_fast_and_the_page_resets_after_recovery() {
    let ratio_5m = r#"slo:sli_error:ratio_rate5m{service="web",slo="availability"}"#;
    run_scenario(json!([{
        "interval": "1m",
        "input_series": [
            {"series": r#"http_requests_total{job="web",code="200"}"#, "values": "0+600x120 72000+0x30 72600+600x58"},
            {"series": r#"http_requests_total{job="web",code="500"}"#, "values": "_x120 0+600x31 18600+0x58"},
        ],
        "promql_expr_test": [
            {"expr": ratio_5m, "eval_time": "1h",
             "exp_samples": [{"labels": format!("slo:sli_error:ratio_rate5m{{service=\"web\", slo=\"availability\"}}"), "value": 0}]},
            {"expr": WEB_ALERTS, "eval_time": "1h59m", "exp_samples": []},
            {"expr": WEB_ALERTS, "eval_time": "2h5m", "exp_samples": firing(&["page", "ticket"])},
            {"expr": WEB_ALERTS, "eval_time": "3h15m", "exp_samples": firing(&["ticket"])},
        ],
    }]));
}

/// `lookout test` runs the generated tests with the real promtool, and
/// names the SLO whose alert no longer behaves as its tests expect.
#[test]
fn lookout_test_names_the_slo_whose_alert_fails_its_tests() {
    let dir = tempfile::tempdir().unwrap();
    support::copy_example_specs(dir.path());
    std::fs::copy("lookout.yaml", dir.path().join("lookout.yaml")).unwrap();
    let lookout = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lookout"))
            .args(args)
            .current_dir(dir.path())
            .env("LOOKOUT_PROMTOOL", tool("promtool"))
            .output()
            .unwrap()
    };
    assert!(lookout(&["build"]).status.success());
    let passed = lookout(&["test"]);
    let stdout = String::from_utf8_lossy(&passed.stdout);
    assert!(passed.status.success(), "{stdout}");
    assert!(stdout.starts_with("passed: 12 test files"), "{stdout}");

    // The page alert's severity edited by hand (the first alert in the
    // file is availability's): its tests expect `critical`.
    let rules = dir.path().join("rules/public-api.yaml");
    let text = std::fs::read_to_string(&rules).unwrap();
    let broken = text.replacen("severity: critical", "severity: high", 1);
    assert_ne!(text, broken);
    std::fs::write(&rules, broken).unwrap();
    let failed = lookout(&["test"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("test failed: the alerts do not behave as their tests expect in public-api/availability\n")
            && stderr.contains("  - public-api/availability: every request fails from the start"),
        "{stderr}"
    );
}

/// A query that answers without data (`… OR on() vector(0)`, as Sloth's
/// home-wifi example writes it) records a sample on its own; the tests
/// feed that series, so they load the rules without that record, and
/// promtool passes them. The stripped rule file passes `check rules` too.
#[test]
fn a_query_that_answers_without_data_does_not_break_the_generated_tests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("slos")).unwrap();
    std::fs::write(
        dir.path().join("slos/wifi.yaml"),
        "service: wifi\nslos:\n  - name: satisfaction\n    objective: 95\n    sli:\n      events:\n        errors: sum_over_time((count(client_satisfaction_ratio < 0.75))[{{window}}:]) OR on() vector(0)\n        total: sum_over_time((count(client_satisfaction_ratio))[{{window}}:])\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\n",
    )
    .unwrap();
    let (out, _) = build_into(
        &dir.path().join("lookout.yaml").to_string_lossy(),
        &dir.path().join("slos"),
    );
    let tests = out.path().join("rules/tests");
    assert_eq!(
        files(&tests),
        ["wifi.long.test.yaml", "wifi.rules.yaml", "wifi.test.yaml"]
    );
    let test = std::fs::read_to_string(tests.join("wifi.test.yaml")).unwrap();
    assert!(test.contains("rule_files:\n- wifi.rules.yaml"), "{test}");
    let stripped = std::fs::read_to_string(tests.join("wifi.rules.yaml")).unwrap();
    assert!(!stripped.contains("record: slo:sli_errors:rate5m"));
    run(
        &tool("promtool"),
        &["check", "rules", "wifi.rules.yaml"],
        &tests,
    );
    promtool_check_and_test(out.path());
}

/// Sloth's own home-wifi example, imported and built: its errors queries
/// end in `OR on() vector(0)`, and its generated tests pass promtool.
#[test]
fn sloths_home_wifi_example_imports_builds_and_passes_its_tests() {
    let project = tempfile::tempdir().unwrap();
    let report = lookout::ops::import(&lookout::ops::ImportRequest {
        paths: vec![PathBuf::from(
            "../shared/conformance/sloth/examples/home-wifi.yml",
        )],
        out: project.path().join("slos"),
        format: lookout::ops::ImportFormat::Sloth(lookout::import::SlothOptions::default()),
        keep_going: false,
        add_severities: false,
    })
    .unwrap();
    assert!(
        !report.diagnostics.has_errors(),
        "{}",
        report.diagnostics.render(false)
    );
    let severities: Vec<String> = report.severities.iter().cloned().collect();
    std::fs::write(
        project.path().join("lookout.yaml"),
        format!(
            "runbooks: {{base_url: https://runbooks.example.com}}\nseverities: [{}]\n",
            severities.join(", ")
        ),
    )
    .unwrap();
    let spec = std::fs::read_to_string(project.path().join("slos/home-wifi.yaml")).unwrap();
    assert!(spec.contains("OR on() vector(0)"), "{spec}");
    let (out, _) = build_into(
        &project.path().join("lookout.yaml").to_string_lossy(),
        &project.path().join("slos"),
    );
    assert!(out.path().join("rules/tests/home-wifi.rules.yaml").exists());
    promtool_check_and_test(out.path());
}

// ---- Calendar windows -------------------------------------------------
//
// promtool's clock starts at 1970-01-01 00:00 UTC, a Thursday: February
// starts at 31d, and the first Monday at 4d (at 3d22h at UTC+02:00).
// Evaluated every 5m, as a month of 1m steps would exceed promtool's
// 10,000-sample cap on a 30d window.

/// A counter in promtool's notation, from runs of (steps, increase per
/// step): `0+6000x10 60000+3768x2 …`.
fn counter(runs: &[(u64, u64)]) -> String {
    let mut value = 0;
    let mut parts = vec!["0".to_string()];
    for &(steps, step) in runs {
        parts.push(format!("{}+{step}x{}", value + step, steps - 1));
        value += step * steps;
    }
    parts.join(" ")
}

/// Writes `tests` next to the rules of `spec` (service `web`) with a 5m
/// evaluation interval, and runs promtool on them.
fn run_calendar_scenario(spec: &str, tests: Value) {
    run_scenario_every(spec, "5m", tests);
}

fn web_slo(name: &str, window: &str, extra: &str) -> String {
    format!(
        r#"
  - name: {name}
    objective: 99.9
    window: {window}{extra}
    sli:
      events:
        errors: sum(rate(http_requests_total{{job="web",code=~"5.."}}[{{{{window}}}}]))
        total: sum(rate(http_requests_total{{job="web"}}[{{{{window}}}}]))
    alerting:
      runbook: https://runbooks.example.com/web"#
    )
}

/// `1` when `expr` lies strictly between `low` and `high`.
fn within(expr: &str, low: f64, high: f64) -> String {
    format!("({expr} > bool {low}) * ({expr} < bool {high})")
}

/// Expectations computed by hand. 1,200 requests a minute (6,000 per 5m
/// step) all along; on 30 January (29d to 29d1h) 2,232 of each step's
/// 6,000 fail: 26,784 errors, half of January's budget of
/// 0.001 × 31 × 1,440 × 1,200 = 53,568. Just before February the month's
/// budget has 50% left; just after, 100%. A rolling 30d SLO reads the
/// same errors against 30 days of traffic, 51,840,000 requests: 51.7%
/// spent, 48.3% left, on both sides of the boundary. The alerts of both
/// fire alike: their thresholds are the same 30d ones.
#[test]
fn a_monthly_budget_resets_on_the_first_and_a_rolling_one_does_not() {
    let spec = format!(
        "service: web\nslos:{}{}\n",
        web_slo("monthly", "month", ""),
        web_slo("rolling", "30d", "")
    );
    let normal = 29 * 288; // 5m steps up to 29d
    let ok = counter(&[(normal, 6000), (12, 3768), (800, 6000)]);
    let failed = counter(&[(normal, 0), (12, 2232), (800, 0)]);
    let remaining =
        |slo: &str| format!(r#"1 - slo:period_burn_rate:ratio{{service="web",slo="{slo}"}}"#);
    let one =
        |slo: &str| json!([{"labels": format!(r#"{{service="web", slo="{slo}"}}"#), "value": 1}]);
    let at = |expr: String, time: &str, slo: &str| json!({"expr": expr, "eval_time": time, "exp_samples": one(slo)});
    let pages = |time: &str| {
        let page = |slo: &str| {
            json!({
                "labels": format!(r#"ALERTS{{alertname="Web{}ErrorBudgetBurn", alertstate="firing", service="web", severity="critical", slo="{slo}", slo_severity="page"}}"#, if slo == "monthly" { "Monthly" } else { "Rolling" }),
                "value": 1,
            })
        };
        json!({"expr": r#"ALERTS{alertstate="firing",slo_severity="page"}"#, "eval_time": time, "exp_samples": [page("monthly"), page("rolling")]})
    };
    let mut tests = json!([{
        "interval": "5m",
        "input_series": [
            {"series": r#"http_requests_total{job="web",code="200"}"#, "values": ok},
            {"series": r#"http_requests_total{job="web",code="500"}"#, "values": failed},
        ],
        "alert_rule_test": [],
        "promql_expr_test": [
            // January: 31 days from 0; February: 28 days from 31d.
            {"expr": r#"slo:period_start:timestamp{slo="monthly"}"#, "eval_time": "30d23h55m",
             "exp_samples": [{"labels": r#"slo:period_start:timestamp{service="web", slo="monthly"}"#, "value": 0}]},
            {"expr": r#"slo:period_start:timestamp{slo="monthly"}"#, "eval_time": "31d10m",
             "exp_samples": [{"labels": r#"slo:period_start:timestamp{service="web", slo="monthly"}"#, "value": 2678400}]},
            {"expr": r#"slo:period_end:timestamp{slo="monthly"}"#, "eval_time": "31d10m",
             "exp_samples": [{"labels": r#"slo:period_end:timestamp{service="web", slo="monthly"}"#, "value": 59 * 86_400}]},
            {"expr": r#"slo:time_period:days{slo="monthly"}"#, "eval_time": "31d10m",
             "exp_samples": [{"labels": r#"slo:time_period:days{service="web", slo="monthly"}"#, "value": 30}]},
            at(within(&remaining("monthly"), 0.49, 0.51), "30d23h55m", "monthly"),
            at(within(&remaining("monthly"), 0.999, 1.001), "31d10m", "monthly"),
            at(within(&remaining("rolling"), 0.475, 0.49), "30d23h55m", "rolling"),
            at(within(&remaining("rolling"), 0.475, 0.49), "31d10m", "rolling"),
            // The SLI to date: 26,784 errors in 53,568,000 requests.
            at(within(r#"slo:sli_error:ratio_period_to_date{slo="monthly"}"#, 0.000499, 0.000501), "30d23h55m", "monthly"),
            pages("29d30m"),
        ],
    }]);
    // Every 20 minutes from before the incident to a day after it, the two
    // SLOs' alerts, by tier and state, are the same.
    let states =
        |slo: &str| format!(r#"count by (slo_severity, alertstate) (ALERTS{{slo="{slo}"}})"#);
    let differ = format!(
        "({} unless on (slo_severity, alertstate) {}) or ({} unless on (slo_severity, alertstate) {})",
        states("monthly"),
        states("rolling"),
        states("rolling"),
        states("monthly")
    );
    let exprs = tests[0]["promql_expr_test"].as_array_mut().unwrap();
    for i in 0..=90 {
        let at = format!("{}m", 28 * 1440 + 23 * 60 + i * 20);
        exprs.push(json!({"expr": differ, "eval_time": at, "exp_samples": []}));
    }
    run_calendar_scenario(&spec, tests);
}

/// The first week holds 1970-01-01 to 1970-01-04, from Monday 29
/// December. On Friday 2 January (1d to 1d1h) 26,784 requests fail; by
/// Sunday 21:55 UTC (1,127 steps) 6,762,000 were made: a ratio of
/// 0.003961, nearly four times the 0.1% budget, so both weekly SLOs are
/// overspent. At UTC, 597,300 s of the week's 604,800 have passed:
/// 1 - 3.961 × 0.98760 = -2.912; at UTC+02:00 the week began two hours
/// earlier, 604,500 s: -2.959. At 22:10 the week at UTC+02:00 has
/// restarted; at UTC it has 1,130 steps, 6,780,000 requests and 598,200 s
/// behind it: 1 - 3.9504 × 0.98909 = -2.907. (promtool evaluates the groups of one
/// evaluation in no set order, so a tile may miss the rate recorded at
/// its own timestamp: the ratio varies by a sample in 2,253.) At UTC+02:00
/// the week ends at 22:00 UTC on Sunday; at UTC, two hours later.
#[test]
fn a_weekly_budget_resets_on_monday_at_the_offsets_midnight() {
    let spec = format!(
        "service: web\nslos:{}{}\n",
        web_slo("weekly", "week", ""),
        web_slo(
            "weekly-east",
            "week",
            "\n    calendar: {utc_offset: \"+02:00\"}"
        )
    );
    let ok = counter(&[(288, 6000), (12, 3768), (1000, 6000)]);
    let failed = counter(&[(288, 0), (12, 2232), (1000, 0)]);
    let remaining =
        |slo: &str| format!(r#"1 - slo:period_burn_rate:ratio{{service="web",slo="{slo}"}}"#);
    let check = |expr: String, time: &str, slo: &str| {
        json!({
            "expr": expr, "eval_time": time,
            "exp_samples": [{"labels": format!(r#"{{service="web", slo="{slo}"}}"#), "value": 1}],
        })
    };
    let start = |slo: &str, time: &str, value: i64| {
        json!({
            "expr": format!(r#"slo:period_start:timestamp{{slo="{slo}"}}"#), "eval_time": time,
            "exp_samples": [{"labels": format!(r#"slo:period_start:timestamp{{service="web", slo="{slo}"}}"#), "value": value}],
        })
    };
    run_calendar_scenario(
        &spec,
        json!([{
            "interval": "5m",
            "input_series": [
                {"series": r#"http_requests_total{job="web",code="200"}"#, "values": ok},
                {"series": r#"http_requests_total{job="web",code="500"}"#, "values": failed},
            ],
            "promql_expr_test": [
                start("weekly", "3d21h55m", -3 * 86_400),
                start("weekly-east", "3d21h55m", -3 * 86_400 - 7200),
                start("weekly-east", "3d22h10m", 4 * 86_400 - 7200),
                start("weekly", "3d22h10m", -3 * 86_400),
                start("weekly", "4d10m", 4 * 86_400),
                check(within(&remaining("weekly"), -2.92, -2.905), "3d21h55m", "weekly"),
                check(within(&remaining("weekly-east"), -2.965, -2.955), "3d21h55m", "weekly-east"),
                check(within(&remaining("weekly-east"), 0.999, 1.001), "3d22h10m", "weekly-east"),
                check(within(&remaining("weekly"), -2.912, -2.902), "3d22h10m", "weekly"),
                check(within(&remaining("weekly"), 0.999, 1.001), "4d10m", "weekly"),
            ],
        }]),
    );
}

/// A quarter at UTC-05:30 starts at 05:30 UTC: 1970's first quarter
/// (90 days) at 19,800 s, its second (April to June, 91 days) at
/// 90d5h30m, 7,795,800 s, until 1 July, 181d5h30m. Evaluated hourly:
/// only the period is checked.
#[test]
fn a_quarter_starts_at_the_offsets_midnight_and_knows_its_length() {
    let spec = format!(
        "service: web\nslos:{}\n",
        web_slo(
            "quarterly",
            "quarter",
            "\n    calendar: {utc_offset: \"-05:30\"}"
        )
    );
    let sample = |name: &str, time: &str, value: i64| {
        json!({
            "expr": format!(r#"{name}{{slo="quarterly"}}"#), "eval_time": time,
            "exp_samples": [{"labels": format!(r#"{name}{{service="web", slo="quarterly"}}"#), "value": value}],
        })
    };
    run_scenario_every(
        &spec,
        "1h",
        json!([{
            "interval": "1h",
            "input_series": [{"series": r#"http_requests_total{job="web",code="200"}"#, "values": "0+1000x2200"}],
            "promql_expr_test": [
                sample("slo:period_start:timestamp", "90d5h", 19_800),
                sample("slo:period_end:timestamp", "90d5h", 7_795_800),
                sample("slo:period_start:timestamp", "90d7h", 7_795_800),
                sample("slo:period_end:timestamp", "90d7h", 181 * 86_400 + 19_800),
            ],
        }]),
    );
}

// ---- Grouped SLOs ------------------------------------------------------

/// One SLO per route: `/pay` fails every request from the start, `/refund`
/// none (10 requests a second each). By 2h10m both of `/pay`'s tiers fire,
/// as an outage from the start fires one SLO's, and carry `route`;
/// `/refund` fires nothing, and its SLI reads 0 errors, not `/pay`'s.
#[test]
fn a_grouped_slo_alerts_per_group_and_names_it() {
    let spec = r#"service: web
slos:
  - name: availability
    objective: 99.9
    group_by: [route]
    sli:
      events:
        errors: sum by (route) (rate(http_requests_total{job="web",code=~"5.."}[{{window}}]))
        total: sum by (route) (rate(http_requests_total{job="web"}[{{window}}]))
    alerting:
      runbook: https://runbooks.example.com/web
"#;
    let firing = |severity: &str, tier: &str| {
        json!({
            "labels": format!(r#"{{route="/pay", severity="{severity}", slo_severity="{tier}"}}"#),
            "value": 1,
        })
    };
    run_spec_scenario(
        spec,
        json!([{
            "interval": "1m",
            "input_series": [
                {"series": r#"http_requests_total{job="web",route="/pay",code="500"}"#, "values": "0+600x200"},
                {"series": r#"http_requests_total{job="web",route="/refund",code="200"}"#, "values": "0+600x200"},
            ],
            "promql_expr_test": [
                {"expr": r#"count by (route, severity, slo_severity) (ALERTS{alertstate="firing"})"#, "eval_time": "130m",
                 "exp_samples": [firing("critical", "page"), firing("warning", "ticket")]},
                {"expr": r#"slo:sli_error:ratio_rate1h{slo="availability"}"#, "eval_time": "130m",
                 "exp_samples": [
                    {"labels": r#"slo:sli_error:ratio_rate1h{route="/pay", service="web", slo="availability"}"#, "value": 1},
                    {"labels": r#"slo:sli_error:ratio_rate1h{route="/refund", service="web", slo="availability"}"#, "value": 0},
                 ]},
            ],
        }]),
    );
}

/// Months from 20:00 at UTC-10:00 begin at 06:00 UTC on the 2nd: the
/// offset less the start time is -30h, more than a day. January's period
/// runs from 1d6h; evaluated hourly, a raw SLI records one tile an hour,
/// so at 32d5h the period holds the tiles of 1d7h to 32d5h: 743. At 32d7h
/// February's holds one. Tiles span the hour (`tests/fixtures/hourly`):
/// a 5m tile evaluated hourly is empty whenever promtool happens to
/// evaluate the long group before the `sli` group.
#[test]
fn a_period_that_starts_in_the_evening_west_of_utc_counts_every_day() {
    let spec = r#"service: web
slos:
  - name: evening
    objective: 99
    window: month
    calendar: {utc_offset: "-10:00", start: "20:00"}
    sli:
      raw:
        error_ratio: max(avg_over_time(bad{job="web"}[{{window}}]))
    alerting:
      runbook: https://runbooks.example.com/web
"#;
    let sample = |name: &str, part: &str, time: &str, value: i64| {
        json!({
            "expr": format!(r#"{name}{{slo="evening"{part}}}"#), "eval_time": time,
            "exp_samples": [{"labels": format!(r#"{name}{{service="web", slo="evening"{}}}"#, part.replace(",sli_part=", ", sli_part=")), "value": value}],
        })
    };
    run_scenario_with(
        "tests/fixtures/hourly/lookout.yaml",
        spec,
        "1h",
        json!([{
            "interval": "1h",
            "input_series": [{"series": r#"bad{job="web"}"#, "values": "0+0x800"}],
            "promql_expr_test": [
                sample("slo:period_start:timestamp", "", "32d5h", 108_000),
                sample("slo:sli_rates:period_to_date", r#",sli_part="events""#, "32d5h", 743),
                sample("slo:period_start:timestamp", "", "32d7h", 2_786_400),
                sample("slo:sli_rates:period_to_date", r#",sli_part="events""#, "32d7h", 1),
            ],
        }]),
    );
}

/// Every "tested with" version on the compatibility page
/// (`emit::compat`) is the version this suite runs: the programs' own
/// `--version`, the Debian package's, the npm lockfiles', and the one a
/// vendored file says it was copied from.
#[test]
fn the_compatibility_page_names_the_versions_the_tests_run() {
    use lookout::emit::compat::{systems, Known, Source};
    // `2.42.0+ds` and `1.79.5+ds1-2+b5` are Debian's builds of 2.42.0 and 1.79.5.
    let upstream = |version: &str| version.split(['+', '~']).next().unwrap_or("").to_string();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for system in systems() {
        let Known::Tested { with, .. } = system.known else {
            continue;
        };
        for evidence in with {
            let found = match evidence.source {
                Source::Program(program) => {
                    let output = Command::new(tool(program))
                        .arg("--version")
                        .output()
                        .unwrap();
                    let text = String::from_utf8_lossy(&output.stdout).into_owned()
                        + &String::from_utf8_lossy(&output.stderr);
                    let version = text
                        .split_once("version ")
                        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""))
                        .unwrap_or_else(|| panic!("{program} --version: {text}"));
                    upstream(version)
                }
                Source::DebianPackage(package) => {
                    let output = Command::new(tool("dpkg-query"))
                        .args(["-W", "-f=${Version}", package])
                        .output()
                        .unwrap();
                    assert!(output.status.success(), "{package} is not installed");
                    upstream(&String::from_utf8_lossy(&output.stdout))
                }
                Source::Npm(dir, package) => {
                    let lock: Value = serde_json::from_str(
                        &std::fs::read_to_string(Path::new(dir).join("package-lock.json")).unwrap(),
                    )
                    .unwrap();
                    lock["packages"][format!("node_modules/{package}")]["version"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{package} is not in {dir}/package-lock.json"))
                        .to_string()
                }
                Source::Vendored(file) => {
                    let text = std::fs::read_to_string(file).unwrap();
                    if text.contains(evidence.version) {
                        evidence.version.to_string()
                    } else {
                        format!("not {} ({file} does not name it)", evidence.version)
                    }
                }
            };
            checked += 1;
            if found != evidence.version {
                wrong.push(format!(
                    "{}: {} {} is claimed, the tests run {found}",
                    system.name, evidence.what, evidence.version
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 10, "only {checked} versions checked");
}
