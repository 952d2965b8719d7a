//! Every generated Kubernetes object, validated by the validators that
//! kubernetes-models generates from upstream OpenAPI schemas: the
//! Prometheus Operator's PrometheusRule CRD and Kubernetes' core and RBAC
//! types (`tests/k8s-models/`, pinned by its lockfile). The rules inside
//! each PrometheusRule must be the rule file's groups, and pass promtool;
//! the Kustomization must list every manifest. The test fails, never
//! skips, when Node, the packages or promtool are missing.

mod support;

use std::path::Path;
use std::process::Command;

use lookout::emit::Artifact;
use serde_json::{json, Value};

fn examples() -> Vec<Artifact> {
    support::generate_for("lookout.yaml", "slos")
}

/// Every YAML document of every artifact under `kubernetes/` but the
/// Kustomization, which is kustomize's input, not an API object.
fn objects(artifacts: &[Artifact]) -> Vec<(String, Value)> {
    let mut objects = Vec::new();
    let manifests = artifacts.iter().filter(|a| {
        a.path.starts_with("kubernetes") && a.path != Path::new("kubernetes/kustomization.yaml")
    });
    for artifact in manifests {
        let docs: Vec<Value> = serde_saphyr::from_multiple(&artifact.contents)
            .unwrap_or_else(|e| panic!("{}: {e}", artifact.path.display()));
        for doc in docs {
            objects.push((artifact.path.display().to_string(), doc));
        }
    }
    objects
}

/// Runs the upstream validators; one verdict line per object.
fn validate(objects: &[(String, Value)]) -> Vec<String> {
    assert!(
        Path::new("tests/k8s-models/node_modules/kubernetes-models").is_dir(),
        "run `npm ci --prefix tests/k8s-models` (scripts/test.sh does)"
    );
    let input: Vec<Value> = objects
        .iter()
        .map(|(path, object)| json!({"path": path, "object": object}))
        .collect();
    let output = support::node(
        "tests/k8s-models",
        "@kubernetes-models/prometheus-operator",
        "check.mjs",
        serde_json::to_string(&input).unwrap().as_bytes(),
    );
    String::from_utf8(output)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_object_is_valid_against_its_upstream_schema() {
    let artifacts = examples();
    let objects = objects(&artifacts);
    let kinds: Vec<&str> = objects
        .iter()
        .map(|(_, o)| o["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "PrometheusRule",
        "AlertmanagerConfig",
        "ConfigMap",
        "DaemonSet",
        "ClusterRole",
    ] {
        assert!(kinds.contains(&kind), "no {kind} among {kinds:?}");
    }
    let verdicts = validate(&objects);
    assert_eq!(verdicts.len(), objects.len(), "{verdicts:#?}");
    let invalid: Vec<&String> = verdicts.iter().filter(|v| !v.starts_with("ok ")).collect();
    assert!(invalid.is_empty(), "{invalid:#?}");

    // The judge bites: a malformed interval, a number as a label value.
    let (path, rule) = objects
        .iter()
        .find(|(_, o)| o["kind"] == "PrometheusRule")
        .unwrap();
    let mut bad_interval = rule.clone();
    bad_interval["spec"]["groups"][1]["interval"] = json!("5 minutes");
    let mut bad_label = rule.clone();
    bad_label["spec"]["groups"][0]["rules"][0]["labels"]["slo"] = json!(1);
    let verdicts = validate(&[(path.clone(), bad_interval), (path.clone(), bad_label)]);
    assert!(
        verdicts[0].contains("interval must match pattern"),
        "{verdicts:#?}"
    );
    assert!(verdicts[1].contains("must be string"), "{verdicts:#?}");
}

#[test]
fn prometheus_rules_hold_the_rule_files_groups_and_pass_promtool() {
    let artifacts = examples();
    let rule_files: Vec<&Artifact> = artifacts
        .iter()
        .filter(|a| {
            a.path.parent() == Some(Path::new("rules"))
                && a.path.extension().is_some_and(|e| e == "yaml")
        })
        .collect();
    assert!(!rule_files.is_empty());
    let dir = tempfile::tempdir().unwrap();
    for file in &rule_files {
        let name = file.path.file_name().unwrap();
        let crd = artifacts
            .iter()
            .find(|a| a.path == Path::new("kubernetes/prometheus-rules").join(name))
            .unwrap_or_else(|| panic!("no PrometheusRule for {}", file.path.display()));
        let object: Value = serde_saphyr::from_str(&crd.contents).unwrap();
        let rules: Value = serde_saphyr::from_str(&file.contents).unwrap();
        assert_eq!(
            object["spec"]["groups"],
            rules["groups"],
            "{}",
            crd.path.display()
        );
        assert_eq!(
            object["metadata"]["labels"]["release"],
            "kube-prometheus-stack"
        );
        assert_eq!(object["metadata"]["namespace"], "monitoring");
        // What the operator hands Prometheus: the groups as a rule file.
        let extracted = dir.path().join(name);
        std::fs::write(
            &extracted,
            serde_json::to_string(&json!({"groups": object["spec"]["groups"]})).unwrap(),
        )
        .unwrap();
        let output = Command::new(support::tool("promtool"))
            .args(["check", "rules"])
            .arg(&extracted)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: {}{}",
            crd.path.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_kustomization_lists_every_manifest_and_nothing_else() {
    let artifacts = examples();
    let kustomization = artifacts
        .iter()
        .find(|a| a.path == Path::new("kubernetes/kustomization.yaml"))
        .expect("kubernetes/kustomization.yaml");
    assert!(kustomization
        .contents
        .starts_with("# Generated by lookout."));
    let doc: Value = serde_saphyr::from_str(&kustomization.contents).unwrap();
    assert_eq!(doc["kind"], "Kustomization");
    let listed: Vec<&str> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut manifests: Vec<String> = artifacts
        .iter()
        .filter_map(|a| a.path.strip_prefix("kubernetes").ok())
        .filter(|p| *p != Path::new("kustomization.yaml"))
        .map(|p| p.display().to_string())
        .collect();
    manifests.sort();
    assert_eq!(listed, manifests);
    for dir in ["grafana-dashboards/", "prometheus-rules/", "shipping/"] {
        assert!(
            listed.iter().any(|p| p.starts_with(dir)),
            "nothing from {dir}"
        );
    }
}
