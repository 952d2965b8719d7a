//! Snapshot tests of every backend's output (insta), for the bundled
//! examples in `slos/` and for the edge cases in `tests/fixtures/valid/`.

use std::path::Path;

mod support;

use support::generate_for;

fn snapshot_name(prefix: &str, path: &Path) -> String {
    format!("{prefix}__{}", path.display()).replace(['/', '\\'], "__")
}

#[test]
fn examples() {
    let artifacts = generate_for("lookout.yaml", "slos");
    // The exact set of paths: an artifact that vanishes fails here, even
    // though its old snapshot file would still be on disk.
    let paths: Vec<String> = artifacts
        .iter()
        .map(|a| a.path.display().to_string())
        .collect();
    insta::assert_snapshot!("examples__paths", paths.join("\n"));
    for artifact in artifacts {
        insta::assert_snapshot!(snapshot_name("examples", &artifact.path), artifact.contents);
    }
}

#[test]
fn edge_cases() {
    let artifacts = generate_for(
        "tests/fixtures/valid/edge/lookout.yaml",
        "tests/fixtures/valid/edge/slos",
    );
    let paths: Vec<String> = artifacts
        .iter()
        .map(|a| a.path.display().to_string())
        .collect();
    // A recording-only SLO gets rules but no tests and no runbook.
    assert_eq!(
        paths,
        [
            "alertmanager/inhibit_rules.yaml",
            "dashboards/grafana/provisioning.yaml",
            "dashboards/grafana/search.json",
            "dashboards/grafana/slo-overview.json",
            "kubernetes/grafana-dashboards/search.yaml",
            "kubernetes/grafana-dashboards/slo-overview.yaml",
            "kubernetes/kustomization.yaml",
            "kubernetes/prometheus-rules/search.yaml",
            "rules/search.yaml",
            "rules/tests/search.long.test.yaml",
            "rules/tests/search.test.yaml",
            "runbooks/search/availability.md",
            "runbooks/search/latency.md",
        ]
    );
    for artifact in artifacts {
        insta::assert_snapshot!(snapshot_name("edge", &artifact.path), artifact.contents);
    }
}

/// Output must not depend on anything but the specs: two runs, same bytes.
#[test]
fn output_is_deterministic() {
    let a = generate_for("lookout.yaml", "slos");
    let b = generate_for("lookout.yaml", "slos");
    assert_eq!(a, b);
}

/// Every expression lookout writes must parse, whatever the user wrote.
#[test]
fn every_generated_expression_parses() {
    for artifact in generate_for("lookout.yaml", "slos")
        .into_iter()
        .chain(generate_for(
            "tests/fixtures/valid/edge/lookout.yaml",
            "tests/fixtures/valid/edge/slos",
        ))
        .filter(|a| {
            a.path.starts_with("rules")
                && !a.path.starts_with("rules/tests")
                && !a.path.starts_with("rules/loki")
        })
    {
        let doc: serde_json::Value = serde_saphyr::from_str(&artifact.contents).unwrap();
        for group in doc["groups"].as_array().unwrap() {
            for rule in group["rules"].as_array().unwrap() {
                let expr = rule["expr"].as_str().unwrap();
                promql_parser::parser::parse(expr)
                    .unwrap_or_else(|e| panic!("{}: `{expr}`: {e}", artifact.path.display()));
                let labels = &rule["labels"];
                assert!(
                    labels["service"].is_string() && labels["slo"].is_string(),
                    "{rule}"
                );
                if rule.get("alert").is_some() {
                    for key in ["summary", "description", "runbook_url"] {
                        assert!(
                            rule["annotations"][key].is_string(),
                            "{key} missing: {rule}"
                        );
                    }
                    assert!(labels["severity"].is_string());
                }
            }
        }
    }
}

/// A ruler (Loki, Mimir) is sent each rule file's groups as its emitter
/// built them, not parsed from the file: they must be the file's groups,
/// as a YAML reader reads the file.
#[test]
fn rule_groups_push_sends_are_the_files_groups() {
    let mut checked = 0;
    for artifact in generate_for("lookout.yaml", "slos") {
        let groups = match &artifact.kind {
            lookout::emit::Kind::PrometheusRules { groups, .. }
            | lookout::emit::Kind::LokiRules { groups, .. } => groups,
            _ => continue,
        };
        let file: serde_json::Value = serde_saphyr::from_str(&artifact.contents).unwrap();
        assert_eq!(
            serde_json::Value::Array(groups.to_json()),
            file["groups"],
            "{}",
            artifact.path.display()
        );
        checked += 1;
    }
    // Every file under rules/ and rules/loki/ of the examples.
    assert_eq!(checked, 8, "rule files");
}
