//! Every generated LogQL expression parses with Grafana's LogQL grammar
//! (`@grafana/lezer-logql`, run by Node from `tests/logql/`). Loki itself
//! cannot run here; this is the parser Grafana's editor uses. The test
//! fails, not skips, when Node or the package is missing: `scripts/test.sh`
//! installs them.

mod support;

use std::path::PathBuf;

use lookout::check::Inputs;
use lookout::ops::{generate, Request};
use serde_json::Value;

fn loki_exprs(config: &str, slos: &str) -> Vec<(String, String)> {
    let generated = generate(&Request {
        deny_warnings: false,
        inputs: Inputs {
            config: Some(PathBuf::from(config)),
            slos: Some(PathBuf::from(slos)),
        },
        out: None,
    });
    let mut exprs = Vec::new();
    for artifact in generated.artifacts.expect("artifacts") {
        if !artifact.path.starts_with("rules/loki") {
            continue;
        }
        let doc: Value = serde_saphyr::from_str(&artifact.contents).unwrap();
        for group in doc["groups"].as_array().unwrap() {
            for rule in group["rules"].as_array().unwrap() {
                exprs.push((
                    format!("{} {}", artifact.path.display(), rule["record"]),
                    rule["expr"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    exprs
}

/// Offsets of parse errors per expression.
fn parse_errors(exprs: &[String]) -> Vec<Vec<usize>> {
    let input = serde_json::to_string(exprs).unwrap();
    let output = support::node(
        "tests/logql",
        "@grafana/lezer-logql",
        "check.mjs",
        input.as_bytes(),
    );
    serde_json::from_slice(&output).unwrap()
}

#[test]
fn generated_loki_rules_parse_as_logql() {
    let mut exprs = loki_exprs("lookout.yaml", "slos");
    // Two recording rules per log SLO of the examples.
    assert_eq!(exprs.len(), 4, "{exprs:?}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\nloki: {url: http://loki:3100}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("slos")).unwrap();
    std::fs::write(
        dir.path().join("slos/api.yaml"),
        r#"service: api
slos:
  - name: errors
    objective: 99
    sli:
      logs:
        source: requests
        errors: '|= "ERROR" | status >= 500 or status == 429 | path !~ "/health.*"'
        events: '!= "healthz"'
  - name: slow
    objective: 95
    window: 7d
    sli:
      logs:
        source: requests
        errors: '| duration > 0.5'
logs:
  - name: requests
    source: {files: [/var/log/api/*.log]}
    format: logfmt
    fields: {status: st, method: m, path: p, duration: took, client: "remote.addr", user_agent: ua}
    destinations: [loki]
"#,
    )
    .unwrap();
    exprs.extend(loki_exprs(
        &dir.path().join("lookout.yaml").display().to_string(),
        &dir.path().join("slos").display().to_string(),
    ));
    let texts: Vec<String> = exprs.iter().map(|(_, e)| e.clone()).collect();
    let errors = parse_errors(&texts);
    for ((name, expr), errors) in exprs.iter().zip(&errors) {
        assert!(
            errors.is_empty(),
            "{name}: LogQL parse errors at {errors:?} in\n{expr}"
        );
    }
}

#[test]
fn the_grammar_check_catches_broken_logql() {
    let errors = parse_errors(&[
        "sum(count_over_time({a=\"b\"} | status >= [5m]))".into(),
        "sum(count_over_time({a=\"b\"} | json status=\"s\" [5m]))".into(),
    ]);
    assert!(
        !errors[0].is_empty(),
        "a comparison without a value must not parse"
    );
    assert!(errors[1].is_empty());
}

/// `sum(rate(<log query> [5m]))` → the log query.
fn rate_of(expr: &str) -> &str {
    expr.strip_prefix("sum(rate(")
        .and_then(|e| e.strip_suffix(" [5m]))"))
        .unwrap_or_else(|| panic!("not a 5m line rate: {expr}"))
}

#[test]
fn every_log_sli_counts_its_errors_among_its_events() {
    // The stages as the spec writes them, read from the YAML itself.
    let text = std::fs::read_to_string("slos/payments.yaml").unwrap();
    let spec: Value = serde_saphyr::from_str(text.split("\n---\n").next().unwrap()).unwrap();
    let sli = &spec["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "refund-errors")
        .unwrap()["sli"]["logs"];
    let (events_stages, errors_stages) = (
        sli["events"].as_str().unwrap(),
        sli["errors"].as_str().unwrap(),
    );
    let rules = loki_exprs("lookout.yaml", "slos");
    let rule = |record: &str| {
        rules
            .iter()
            .find(|(name, _)| name.contains("payments-api") && name.contains(record))
            .unwrap()
            .1
            .clone()
    };
    let events = rule("slo:sli_events:rate5m");
    let events_query = rate_of(&events);
    let errors = rule("slo:sli_errors:rate5m");
    // `(errors) or (0 * events)`: no error lines read 0, not "no data".
    let (errors_part, zero) = errors
        .strip_prefix('(')
        .and_then(|e| e.split_once(") or (0 * "))
        .unwrap();
    assert_eq!(zero.strip_suffix(')').unwrap(), events);
    let errors_query = rate_of(errors_part);
    // The same lines as the events, filtered further: the events query
    // with the error stages inserted before the final error filter.
    let tail = " | __error__=\"\"";
    let events_pipeline = events_query.strip_suffix(tail).unwrap();
    assert!(events_pipeline.ends_with(events_stages), "{events_query}");
    assert_eq!(
        errors_query,
        format!("{events_pipeline} {errors_stages}{tail}")
    );
}
