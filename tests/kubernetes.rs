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
/// Kustomization, which is kustomize's input, not an API object, and but
/// Flagger's, which [`flagger_schema`] judges.
fn objects(artifacts: &[Artifact]) -> Vec<(String, Value)> {
    let mut objects = all_objects(artifacts);
    objects.retain(|(_, object)| !is_flagger(object));
    objects
}

fn is_flagger(object: &Value) -> bool {
    object["apiVersion"]
        .as_str()
        .is_some_and(|v| v.starts_with("flagger.app/"))
}

fn all_objects(artifacts: &[Artifact]) -> Vec<(String, Value)> {
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
        "AnalysisTemplate",
    ] {
        assert!(kinds.contains(&kind), "no {kind} among {kinds:?}");
    }
    // A canary without a namespace: a ClusterAnalysisTemplate.
    let cluster = support::generate_for(
        "tests/fixtures/lookout.yaml",
        "tests/fixtures/warnings/canary-insensitive/slos",
    );
    let mut objects = objects;
    objects.extend(
        all_objects(&cluster)
            .into_iter()
            .filter(|(_, o)| o["kind"] == "ClusterAnalysisTemplate"),
    );
    assert!(objects
        .iter()
        .any(|(_, o)| o["kind"] == "ClusterAnalysisTemplate"));
    // And what the book tells a team to apply beside them: the Rollout
    // that uses the AnalysisTemplate, the gate's PreSync Job.
    for kind in ["Rollout", "Job"] {
        objects.push((format!("the book ({kind})"), book_object(kind)));
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
    // And on Argo's: a metric needs a name, a query is a string.
    let (path, template) = objects
        .iter()
        .find(|(_, o)| o["kind"] == "AnalysisTemplate")
        .unwrap();
    let mut bad = template.clone();
    bad["spec"]["metrics"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    bad["spec"]["metrics"][1]["provider"]["prometheus"]["query"] = json!(1);
    let verdicts = validate(&[(path.clone(), bad)]);
    assert!(
        verdicts[0].contains("metrics/0 must have required property name")
            && verdicts[0].contains("must be string"),
        "{verdicts:#?}"
    );
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

/// The `openAPIV3Schema` of Flagger's `kind` at v1beta1, from the CRDs of
/// fluxcd/flagger v1.44.0 (`tests/schemas/flagger/`).
fn flagger_schema(kind: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/schemas/flagger/crd.yaml").unwrap();
    let crds: Vec<Value> =
        serde_saphyr::from_multiple(&indent_quoted_continuations(&text)).unwrap();
    let crd = crds
        .iter()
        .find(|crd| crd["spec"]["names"]["kind"] == kind)
        .unwrap_or_else(|| panic!("no CRD of {kind}"));
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1beta1")
        .unwrap();
    jsonschema::validator_for(&version["schema"]["openAPIV3Schema"]).unwrap()
}

/// controller-gen writes a long single-quoted `description` with its
/// continuation lines at the key's own indentation, which go-yaml and
/// libyaml read but serde-saphyr rejects ("invalid indentation in
/// multiline quoted scalar"); two more spaces on each continuation line
/// change no value (a line break in a flow scalar folds to one space).
fn indent_quoted_continuations(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 10);
    let mut open = false;
    for line in text.lines() {
        if open {
            out.push_str("  ");
        }
        out.push_str(line);
        out.push('\n');
        let quotes = line.replace("''", "").matches('\'').count();
        if quotes % 2 == 1 {
            open = !open;
        }
    }
    out
}

fn schema_errors(validator: &jsonschema::Validator, object: &Value) -> Vec<String> {
    validator
        .iter_errors(object)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_metric_template_is_valid_against_flaggers_crd_and_a_canary_can_use_them() {
    let artifacts = examples();
    let templates: Vec<(String, Value)> = all_objects(&artifacts)
        .into_iter()
        .filter(|(_, o)| is_flagger(o))
        .collect();
    assert!(templates.len() >= 3, "{templates:#?}");
    let validator = flagger_schema("MetricTemplate");
    for (path, template) in &templates {
        assert_eq!(template["kind"], "MetricTemplate", "{path}");
        let errors = schema_errors(&validator, template);
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
    // The judge bites: a provider type is required, a query is a string.
    let mut bad = templates[0].1.clone();
    bad["spec"]["provider"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    bad["spec"]["query"] = json!(1);
    assert_eq!(schema_errors(&validator, &bad).len(), 2, "{bad:#}");

    // The Canary the book shows, with these templates' names, thresholds
    // and namespace, against the Canary CRD.
    let canary = book_object("Canary");
    let errors = schema_errors(&flagger_schema("Canary"), &canary);
    assert!(errors.is_empty(), "{errors:#?}");
    for metric in canary["spec"]["analysis"]["metrics"].as_array().unwrap() {
        let reference = &metric["templateRef"];
        assert!(
            templates
                .iter()
                .any(|(_, t)| t["metadata"]["name"] == reference["name"]
                    && t["metadata"]["namespace"] == reference["namespace"]),
            "the book's Canary uses {reference}, which is not generated"
        );
    }
    // Its thresholds are the generated ones: the Argo template's, which the
    // Flagger file's header repeats.
    let rollouts = artifacts
        .iter()
        .find(|a| a.path == Path::new("kubernetes/rollouts/payments-api.yaml"))
        .unwrap();
    let flagger = artifacts
        .iter()
        .find(|a| a.path == Path::new("kubernetes/flagger/payments-api.yaml"))
        .unwrap();
    let argo: Value = serde_saphyr::from_str(&rollouts.contents).unwrap();
    for metric in canary["spec"]["analysis"]["metrics"].as_array().unwrap() {
        let range = &metric["thresholdRange"];
        let (bound, value) = match range.get("max") {
            Some(max) => ("max", max),
            None => ("min", &range["min"]),
        };
        let name = metric["templateRef"]["name"].as_str().unwrap();
        assert!(
            flagger
                .contents
                .contains(&format!("#   {name}: {bound} {value}\n")),
            "{name}: {bound} {value} is not the header's"
        );
        let argo_metric = argo["spec"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == metric["name"])
            .unwrap_or_else(|| panic!("no Argo metric {}", metric["name"]));
        let condition = argo_metric["successCondition"].as_str().unwrap();
        let threshold = condition.rsplit(' ').next().unwrap();
        assert_eq!(threshold, value.to_string(), "{condition}");
    }
}

/// The one YAML block of the README and the book that holds a `kind`.
fn book_object(kind: &str) -> Value {
    let found: Vec<String> = support::book::user_pages()
        .iter()
        .flat_map(|page| support::book::blocks(page))
        .filter(|block| block.lang == "yaml")
        .filter(|block| {
            block
                .text
                .lines()
                .any(|l| l.trim() == format!("kind: {kind}"))
        })
        .map(|block| block.text)
        .collect();
    assert_eq!(found.len(), 1, "blocks of kind {kind}: {found:#?}");
    serde_saphyr::from_str(&found[0]).unwrap()
}
