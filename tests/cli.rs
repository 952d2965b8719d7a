//! End-to-end tests of the `lookout` binary: exit codes, what is written,
//! and what is printed.

mod support;

use std::path::Path;

use serde_json::Value;
use snapbox::{str, IntoData};
use support::lookout;

/// A temporary project holding a copy of the bundled examples.
fn example_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("lookout.yaml", dir.path().join("lookout.yaml")).unwrap();
    support::copy_example_specs(dir.path());
    dir
}

/// An empty project: lookout.yaml with the runbook base URL, and `slos/`.
fn bare_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("slos")).unwrap();
    dir
}

/// Replaces every `from` with `to` in a project file; a `from` that is not
/// there is the test's own mistake.
fn edit(project: &Path, file: &str, from: &str, to: &str) {
    let path = project.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_ne!(text.matches(from).count(), 0, "{file} has no `{from}`");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

/// Runs lookout, which must exit 1 printing nothing on stdout and
/// `expected` on stderr; returns stderr.
fn fails(project: &Path, args: &[&str], expected: impl IntoData) -> String {
    let out = lookout(project)
        .args(args)
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(expected)
        .get_output()
        .clone();
    stderr(&out)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `check --format json`, which must fail: each drifted file and its kind.
fn drift_report(root: &Path) -> Vec<(String, String)> {
    let json = lookout(root)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn build_writes_outputs_then_check_passes_and_rebuild_is_a_no_op() {
    let project = example_project();
    lookout(project.path())
        .arg("build")
        .assert()
        .success()
        .stdout_eq(str![[r#"
 created alertmanager/inhibit_rules.yaml
 created dashboards/elasticsearch/_ilm/policy/lookout-logs-ingress-nginx.json
 created dashboards/elasticsearch/_ilm/policy/lookout-logs-payments-api.json
 created dashboards/elasticsearch/_index_template/lookout-logs-ingress-nginx.json
 created dashboards/elasticsearch/_index_template/lookout-logs-payments-api.json
 created dashboards/elasticsearch/_ingest/pipeline/lookout-logs-ingress-nginx.access.json
 created dashboards/elasticsearch/_ingest/pipeline/lookout-logs-ingress-nginx.json
 created dashboards/elasticsearch/_ingest/pipeline/lookout-logs-payments-api.app.json
 created dashboards/elasticsearch/_ingest/pipeline/lookout-logs-payments-api.json
 created dashboards/grafana/ingress-nginx.json
 created dashboards/grafana/mariadb-galera.json
 created dashboards/grafana/payments-api.json
 created dashboards/grafana/payments-ledger.json
 created dashboards/grafana/provisioning.yaml
 created dashboards/grafana/public-api.json
 created dashboards/grafana/settlement-worker.json
 created dashboards/grafana/slo-overview.json
 created dashboards/kibana/ingress-nginx.ndjson
 created dashboards/kibana/payments-api.ndjson
 created kubernetes/alertmanager/ingress-nginx.yaml
 created kubernetes/alertmanager/mariadb-galera.yaml
 created kubernetes/alertmanager/payments-api.yaml
 created kubernetes/alertmanager/payments-ledger.yaml
 created kubernetes/alertmanager/public-api.yaml
 created kubernetes/alertmanager/settlement-worker.yaml
 created kubernetes/flagger/payments-api.yaml
 created kubernetes/grafana-dashboards/ingress-nginx.yaml
 created kubernetes/grafana-dashboards/mariadb-galera.yaml
 created kubernetes/grafana-dashboards/payments-api.yaml
 created kubernetes/grafana-dashboards/payments-ledger.yaml
 created kubernetes/grafana-dashboards/public-api.yaml
 created kubernetes/grafana-dashboards/settlement-worker.yaml
 created kubernetes/grafana-dashboards/slo-overview.yaml
 created kubernetes/kustomization.yaml
 created kubernetes/loki-rules/ingress-nginx.yaml
 created kubernetes/loki-rules/payments-api.yaml
 created kubernetes/prometheus-rules/ingress-nginx.yaml
 created kubernetes/prometheus-rules/mariadb-galera.yaml
 created kubernetes/prometheus-rules/payments-api.yaml
 created kubernetes/prometheus-rules/payments-ledger.yaml
 created kubernetes/prometheus-rules/public-api.yaml
 created kubernetes/prometheus-rules/settlement-worker.yaml
 created kubernetes/rollouts/payments-api.yaml
 created kubernetes/shipping/alloy.yaml
 created kubernetes/shipping/vector.yaml
 created rules/ingress-nginx.yaml
 created rules/loki/ingress-nginx.yaml
 created rules/loki/payments-api.yaml
 created rules/mariadb-galera.yaml
 created rules/payments-api.yaml
 created rules/payments-ledger.yaml
 created rules/public-api.yaml
 created rules/settlement-worker.yaml
 created rules/tests/ingress-nginx.long.test.yaml
 created rules/tests/ingress-nginx.test.yaml
 created rules/tests/mariadb-galera.long.test.yaml
 created rules/tests/mariadb-galera.test.yaml
 created rules/tests/payments-api.long.test.yaml
 created rules/tests/payments-api.test.yaml
 created rules/tests/payments-ledger.long.test.yaml
 created rules/tests/payments-ledger.test.yaml
 created rules/tests/public-api.long.test.yaml
 created rules/tests/public-api.test.yaml
 created rules/tests/settlement-worker.long.test.yaml
 created rules/tests/settlement-worker.test.yaml
 created runbooks/ingress-nginx/availability.md
 created runbooks/ingress-nginx/edge-availability.md
 created runbooks/ingress-nginx/latency.md
 created runbooks/mariadb-galera/node-ready.md
 created runbooks/mariadb-galera/replication-lag.md
 created runbooks/payments-api/authorisations.md
 created runbooks/payments-api/latency.md
 created runbooks/payments-api/refund-errors.md
 created runbooks/payments-ledger/postings.md
 created runbooks/public-api/availability.md
 created runbooks/public-api/latency.md
 created runbooks/settlement-worker/processing.md
 created shipping/alloy/config.alloy
 created shipping/vector/vector.yaml
built 12 SLOs from 6 services: 79 written, 0 unchanged

"#]])
        .stderr_eq(str![""]);
    for path in [
        "rules/public-api.yaml",
        "rules/tests/public-api.test.yaml",
        "runbooks/public-api/availability.md",
        "runbooks/mariadb-galera/replication-lag.md",
    ] {
        assert!(project.path().join(path).is_file(), "{path} missing");
    }
    lookout(project.path())
        .arg("build")
        .assert()
        .success()
        .stdout_eq(str![[r#"
built 12 SLOs from 6 services: 0 written, 79 unchanged

"#]]);
    lookout(project.path())
        .arg("check")
        .assert()
        .success()
        .stdout_eq(str![[r#"
ok: 12 SLOs valid, output up to date

"#]]);
}

#[test]
fn check_fails_on_drift_and_names_the_file() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    edit(
        root,
        "rules/payments-api.yaml",
        "vector(0.9995)",
        "vector(0.999)",
    );
    std::fs::remove_file(root.join("runbooks/public-api/latency.md")).unwrap();
    edit(
        root,
        "dashboards/grafana/public-api.json",
        "\"title\": \"Burn rate against alert thresholds\"",
        "\"title\": \"Burn\"",
    );

    lookout(root)
        .arg("check")
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
drift: dashboards/grafana/public-api.json differs from what the specs compile to
    --- dashboards/grafana/public-api.json
    +++ generated
    @@ -482,5 +482,5 @@
         {
           "type": "timeseries",
    -      "title": "Burn",
    +      "title": "Burn rate against alert thresholds",
           "targets": [
             {
    @@ -968,5 +968,5 @@
         {
           "type": "timeseries",
    … 4 more diff lines
drift: rules/payments-api.yaml differs from what the specs compile to
    --- rules/payments-api.yaml
    +++ generated
    @@ -163,5 +163,5 @@
           tier: '0'
       - record: slo:objective:ratio
    -    expr: vector(0.999)
    +    expr: vector(0.9995)
         labels:
           alerting: page,ticket
drift: runbooks/public-api/latency.md is missing
(`lookout check --diff` shows every diff whole)
check failed: 3 files out of date (run `lookout build`)

"#]]);

    let report = drift_report(root);
    let drift: Vec<(&str, &str)> = report
        .iter()
        .map(|(p, k)| (p.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        drift,
        [
            ("dashboards/grafana/public-api.json", "update"),
            ("rules/payments-api.yaml", "update"),
            ("runbooks/public-api/latency.md", "create")
        ]
    );
}

#[test]
fn invalid_spec_exits_1_names_file_line_col_and_writes_nothing() {
    let project = example_project();
    let root = project.path();
    edit(
        root,
        "slos/public-api.yaml",
        "objective: 99.9",
        "objective: 100",
    );

    fails(
        root,
        &["build"],
        str![[r#"
lookout::spec::objective-range

  × objective must be a percentage between 0 and 100 (exclusive), got 100
    ╭─[slos/public-api.yaml:9:16]
  7 │   - name: availability
  8 │     description: Public API requests are answered without a server error
  9 │     objective: 100
    ·                ─┬─
    ·                 ╰── out of range
 10 │     window: 30d
 11 │     sli:
    ╰────
  help: e.g. `objective: 99.9` for 99.9%

build failed: 1 error; nothing was written

"#]],
    );
    assert!(!root.join("rules").exists(), "rules/ must not be created");
    assert!(!root.join("runbooks").exists());

    let json = lookout(root)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "lookout::spec::objective-range");
    assert_eq!(d["line"], 9);
    assert_eq!(d["column"], 16);
    assert!(d["file"]
        .as_str()
        .unwrap()
        .ends_with("slos/public-api.yaml"));
}

#[test]
fn one_bad_file_blocks_the_whole_build() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    let before = std::fs::read_to_string(root.join("rules/ingress-nginx.yaml")).unwrap();
    edit(
        root,
        "slos/ingress-nginx.yaml",
        "objective: 99.95",
        "objective: 99.5",
    );
    std::fs::write(root.join("slos/broken.yaml"), "service: broken\nslos: [\n").unwrap();

    fails(
        root,
        &["build"],
        str![[r#"
lookout::spec::yaml

  × unclosed bracket '['
   ╭─[slos/broken.yaml:2:7]
 1 │ service: broken
 2 │ slos: [
   ·       ─
   ╰────

build failed: 1 error; nothing was written

"#]],
    );
    let after = std::fs::read_to_string(root.join("rules/ingress-nginx.yaml")).unwrap();
    assert_eq!(
        before, after,
        "a valid file's output must not change when another is invalid"
    );
}

#[test]
fn build_removes_its_stale_files_and_never_touches_foreign_ones() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    let notes = root.join("rules/README.md");
    std::fs::write(&notes, "hand-written notes\n").unwrap();
    std::fs::remove_file(root.join("slos/settlement-worker.yaml")).unwrap();

    lookout(root)
        .arg("check")
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
drift: dashboards/grafana/settlement-worker.json is stale: no spec generates it any more
drift: dashboards/grafana/slo-overview.json differs from what the specs compile to
    --- dashboards/grafana/slo-overview.json
    +++ generated
    @@ -460,5 +460,5 @@
           "id": 1,
           "gridPos": {
    -        "h": 15,
    +        "h": 14,
             "w": 24,
             "x": 0,
drift: kubernetes/alertmanager/settlement-worker.yaml is stale: no spec generates it any more
drift: kubernetes/grafana-dashboards/settlement-worker.yaml is stale: no spec generates it any more
drift: kubernetes/grafana-dashboards/slo-overview.yaml differs from what the specs compile to (packaged from dashboards/grafana/slo-overview.json, shown here)
drift: kubernetes/kustomization.yaml differs from what the specs compile to
    --- kubernetes/kustomization.yaml
    +++ generated
    @@ -10,5 +10,4 @@
     - alertmanager/payments-ledger.yaml
     - alertmanager/public-api.yaml
    -- alertmanager/settlement-worker.yaml
     - flagger/payments-api.yaml
     - grafana-dashboards/ingress-nginx.yaml
    @@ -17,5 +16,4 @@
     - grafana-dashboards/payments-ledger.yaml
     - grafana-dashboards/public-api.yaml
    -- grafana-dashboards/settlement-worker.yaml
    … 8 more diff lines
drift: kubernetes/prometheus-rules/settlement-worker.yaml is stale: no spec generates it any more
drift: rules/settlement-worker.yaml is stale: no spec generates it any more
drift: rules/tests/settlement-worker.long.test.yaml is stale: no spec generates it any more
drift: rules/tests/settlement-worker.test.yaml is stale: no spec generates it any more
drift: runbooks/settlement-worker/processing.md is stale: no spec generates it any more
(`lookout check --diff` shows every diff whole)
check failed: 11 files out of date (run `lookout build`)

"#]]);
    // --diff shows what the summary only names: the ConfigMap's JSON line
    // and the kustomization's diff.
    let whole = lookout(root).args(["check", "--diff"]).output().unwrap();
    let whole = String::from_utf8_lossy(&whole.stderr).into_owned();
    assert!(
        whole.contains("+++ generated")
            && whole.contains("-- grafana-dashboards/settlement-worker.yaml")
            && whole.contains("rules/tests/settlement-worker.test.yaml"),
        "{whole}"
    );
    // Never a dashboard's ConfigMap beside its JSON's diff: one line of JSON.
    assert!(!whole.contains("slo-overview.json: '{"), "{whole}");
    assert!(
        whole.contains("kubernetes/grafana-dashboards/slo-overview.yaml differs from what the specs compile to (packaged from dashboards/grafana/slo-overview.json, shown here)"),
        "{whole}"
    );
    lookout(root)
        .arg("build")
        .assert()
        .success()
        .stdout_eq(settlement_worker_removed())
        .stderr_eq(str![""]);
    assert!(!root.join("rules/settlement-worker.yaml").exists());
    assert!(!root.join("runbooks/settlement-worker").exists());
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "hand-written notes\n"
    );

    // A hand-written file where lookout would write is refused, not clobbered.
    let target = root.join("rules/public-api.yaml");
    std::fs::write(&target, "groups: []\n").unwrap();
    fails(
        root,
        &["build"],
        str![[r#"
lookout::out::not-owned

  × ./rules/public-api.yaml: refusing to overwrite a file lookout did not generate
  help: move it away, or add `Generated by lookout. DO NOT EDIT.` to its first line to hand it to
        lookout

build failed: 1 error; nothing was written

"#]],
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "groups: []\n");
}

/// What `build` prints once `slos/settlement-worker.yaml` is gone from the
/// examples: the same with a build cache or without one.
fn settlement_worker_removed() -> impl IntoData {
    str![[r#"
 removed dashboards/grafana/settlement-worker.json
 updated dashboards/grafana/slo-overview.json
 removed kubernetes/alertmanager/settlement-worker.yaml
 removed kubernetes/grafana-dashboards/settlement-worker.yaml
 updated kubernetes/grafana-dashboards/slo-overview.yaml
 updated kubernetes/kustomization.yaml
 removed kubernetes/prometheus-rules/settlement-worker.yaml
 removed rules/settlement-worker.yaml
 removed rules/tests/settlement-worker.long.test.yaml
 removed rules/tests/settlement-worker.test.yaml
 removed runbooks/settlement-worker/processing.md
built 11 SLOs from 5 services: 11 written, 68 unchanged

"#]]
}

/// As in a fresh clone, whose outputs are committed but whose build cache
/// is not: the stale candidates come from listing the output folders.
#[test]
fn without_a_cache_build_still_removes_its_stale_files() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    std::fs::remove_file(root.join("slos/settlement-worker.yaml")).unwrap();
    std::fs::remove_dir_all(root.join(".lookout")).unwrap();
    lookout(root)
        .arg("build")
        .assert()
        .success()
        .stdout_eq(settlement_worker_removed())
        .stderr_eq(str![""]);
    assert!(!root.join("runbooks/settlement-worker").exists());
    lookout(root).arg("check").assert().success();
}

/// Spec files are read on every core; what cannot be read is still
/// reported per file, with the rest, in one run.
#[test]
fn unreadable_spec_files_are_each_reported_with_the_other_problems() {
    let project = bare_project();
    let slos = project.path().join("slos");
    std::fs::write(slos.join("latin1.yaml"), b"service: caf\xe9\n").unwrap();
    std::fs::write(slos.join("empty.yaml"), "").unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", slos.join("dangling.yaml")).unwrap();
    fails(
        project.path(),
        &["build"],
        str![[r#"
lookout::spec::unreadable

  × slos/dangling.yaml: cannot read file: No such file or directory (os error 2)

lookout::spec::empty-file

  × slos/empty.yaml: spec file is empty
  help: a spec needs at least `service:` and `slos:`

lookout::spec::not-utf8

  × slos/latin1.yaml: file is not valid UTF-8

build failed: 3 errors; nothing was written

"#]],
    );
    assert!(!project.path().join("rules").exists());
}

/// `lookout build | head`: the list of written files outgrows the pipe,
/// the reader leaves, and the build, already done, still succeeds.
#[test]
fn build_succeeds_when_its_reader_stops_early() {
    let project = bare_project();
    for i in 0..150 {
        std::fs::write(
            project.path().join(format!("slos/svc-{i}.yaml")),
            format!(
                "service: svc-{i}\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{job=\"svc-{i}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc-{i}\"}}[{{{{window}}}}]))\n"
            ),
        )
        .unwrap();
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
        .arg("build")
        .current_dir(project.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(project.path().join("rules/svc-149.yaml").is_file());
}

/// Services lower on every core, in chunks; what is checked across
/// services must still be caught between chunks: here a log shipper id
/// and a service name, each used first in the first file and again in the
/// last of 102.
#[test]
fn cross_service_checks_hold_across_many_services() {
    let project = bare_project();
    let slos = project.path().join("slos");
    let log = |service: &str, name: &str| {
        format!(
            "service: {service}\nslos: []\nlogs:\n  - name: {name}\n    source: {{files: [/var/log/{name}.log]}}\n    format: nginx\n    destinations: [loki]\n"
        )
    };
    std::fs::write(slos.join("0.yaml"), log("a--b", "c")).unwrap();
    for i in 0..100 {
        let spec = format!(
            "service: m-{i}\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{job=\"m-{i}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"m-{i}\"}}[{{{{window}}}}]))\n"
        );
        std::fs::write(slos.join(format!("m-{i:03}.yaml")), spec).unwrap();
    }
    std::fs::write(slos.join("z.yaml"), log("a", "b__c")).unwrap();
    std::fs::write(slos.join("zz.yaml"), log("m-5", "web")).unwrap();
    std::fs::write(
        project.path().join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\nloki: {url: http://loki:3100}\n",
    )
    .unwrap();
    fails(
        project.path(),
        &["check"],
        str![[r#"
lookout::spec::log-id-clash

  × log `a/b__c` has the same shipper id `a__b__c` as the log at slos/0.yaml:4:11
   ╭─[slos/z.yaml:4:11]
 2 │ slos: []
 3 │ logs:
 4 │   - name: b__c
   ·           ────
 5 │     source: {files: [/var/log/b__c.log]}
 6 │     format: nginx
   ╰────
  help: rename one of them: shipper ids replace `-` with `_`

lookout::spec::duplicate-service

  × service `m-5` is defined twice
   ╭─[slos/zz.yaml:1:10]
 1 │ service: m-5
   ·          ─┬─
   ·           ╰── second definition
 2 │ slos: []
 3 │ logs:
   ╰────
  help: first defined at slos/m-005.yaml:1:10; each service belongs in one file

check failed: 2 errors

"#]],
    );
}

#[test]
fn out_and_slos_flags_and_missing_config() {
    let project = example_project();
    let out_dir = tempfile::tempdir().unwrap();
    lookout(project.path())
        .args(["build", "--out"])
        .arg(out_dir.path())
        .assert()
        .success();
    assert!(out_dir.path().join("rules/payments-ledger.yaml").is_file());
    fails(
        project.path(),
        &["build", "--config", "nope.yaml"],
        str![[r#"
lookout::config::not-found

  × nope.yaml: config file not found

build failed: 1 error; nothing was written

"#]],
    );
    let empty = tempfile::tempdir().unwrap();
    fails(
        empty.path(),
        &["check"],
        str![[r#"
lookout::spec::no-slos-dir

  × slos: SLO directory not found
  help: create it and add one `<service>.yaml` per service, or pass --slos DIR

check failed: 1 error

"#]],
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    lookout(dir.path()).arg("frobnicate").assert().code(2);
    lookout(dir.path())
        .args(["check", "--format", "xml"])
        .assert()
        .code(2);
    lookout(dir.path()).arg("--help").assert().code(0);
}

#[test]
fn schema_is_json_schema_for_the_spec_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = lookout(dir.path()).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["service", "slos"]);
    assert!(schema["$defs"]["SloSpec"]["properties"]["objective"].is_object());

    let out = lookout(dir.path())
        .args(["schema", "config"])
        .output()
        .unwrap();
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema["properties"]["runbooks"].is_object());
}

#[test]
fn project_runbook_template_replaces_the_built_in_one() {
    let project = example_project();
    let root = project.path();
    std::fs::write(
        root.join("runbook.md.hbs"),
        "# {{service}}/{{slo}}\nObjective {{objective}}% over {{window}}. Query: `{{ratio_1h}}`\n",
    )
    .unwrap();
    edit(
        root,
        "lookout.yaml",
        "runbooks:\n",
        "runbooks:\n  template: runbook.md.hbs\n",
    );
    lookout(root).arg("build").assert().success();
    let page = std::fs::read_to_string(root.join("runbooks/public-api/availability.md")).unwrap();
    snapbox::assert_data_eq!(
        page,
        str![[r#"
<!-- Generated by lookout. DO NOT EDIT. -->
# public-api/availability
Objective 99.9% over 30d. Query: `slo:sli_error:ratio_rate1h{service="public-api",slo="availability"}`

"#]]
    );

    // A template that does not compile is located in the template file.
    std::fs::write(
        root.join("runbook.md.hbs"),
        "line one\n{{#if team}}\nunclosed\n",
    )
    .unwrap();
    fails(
        root,
        &["build"],
        str![[r#"
lookout::runbook::template

  × template syntax error: invalid handlebars syntax: expected escape, expression,
  │ html_expression, decorator_expression, partial_expression, invert_tag, invert_chain_tag,
  │ helper_block_start, helper_block_end, decorator_block_start, partial_block_start,
  │ raw_block_start, hbs_comment, or hbs_comment_compact
   ╭─[runbook.md.hbs:4:1]
 2 │ {{#if team}}
 3 │ unclosed
   ╰────

build failed: 1 error; nothing was written

"#]],
    );
}

#[test]
fn jsonnet_dashboards_get_the_model_and_their_errors_are_located() {
    let project = example_project();
    let root = project.path();
    std::fs::create_dir(root.join("dashboards")).unwrap();
    std::fs::write(
        root.join("dashboards/budgets.jsonnet"),
        "local m = std.extVar('lookout');\n{\n  uid: 'custom-budgets',\n  title: 'Budgets',\n  rule: m.rules.period_burn_rate,\n  n: std.length(m.services),\n}\n",
    )
    .unwrap();
    lookout(root).arg("build").assert().success();
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("dashboards/grafana/budgets.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["rule"], "slo:period_burn_rate:ratio");
    assert_eq!(json["n"], 6);
    assert!(json["description"]
        .as_str()
        .unwrap()
        .starts_with("Generated by lookout."));
    assert!(root
        .join("kubernetes/grafana-dashboards/budgets.yaml")
        .is_file());

    // A runtime error in a field names the file and the field's line.
    std::fs::write(
        root.join("dashboards/budgets.jsonnet"),
        "local m = std.extVar('lookout');\n{\n  uid: 'custom-budgets',\n  title: m.nope,\n}\n",
    )
    .unwrap();
    let before = std::fs::read_to_string(root.join("rules/public-api.yaml")).unwrap();
    edit(
        root,
        "slos/public-api.yaml",
        "objective: 99.9\n",
        "objective: 99.5\n",
    );
    fails(
        root,
        &["build"],
        str![[r#"
lookout::jsonnet::error

  × jsonnet: no such field: nope
   ╭─[dashboards/budgets.jsonnet:4:3]
 2 │ {
 3 │   uid: 'custom-budgets',
 4 │   title: m.nope,
   ·   ─────
 5 │ }
   ╰────

build failed: 1 error; nothing was written

"#]],
    );
    assert_eq!(
        before,
        std::fs::read_to_string(root.join("rules/public-api.yaml")).unwrap(),
        "nothing written"
    );
    // The outputs staged before the jsonnet step failed are gone too.
    let temps: Vec<_> = support::files_recursively(root)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".lookout-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");

    // A syntax error too.
    std::fs::write(
        root.join("dashboards/budgets.jsonnet"),
        "{\n  uid: 'x'\n  title: 'y',\n}\n",
    )
    .unwrap();
    fails(
        root,
        &["build"],
        str![[r#"
lookout::jsonnet::error

  × jsonnet: syntax error: expected '}', got identifier "title"
   ╭─[dashboards/budgets.jsonnet:3:3]
 1 │ {
 2 │   uid: 'x'
 3 │   title: 'y',
   ·   ─
 4 │ }
   ╰────

build failed: 1 error; nothing was written

"#]],
    );

    // A program that returns no dashboard, and one named after a generated
    // dashboard: both refused, in one run, at the program.
    std::fs::write(
        root.join("dashboards/budgets.jsonnet"),
        "{ title: 'Budgets' }\n",
    )
    .unwrap();
    std::fs::write(
        root.join("dashboards/slo-overview.jsonnet"),
        "{ uid: 'mine', title: 'Mine' }\n",
    )
    .unwrap();
    fails(
        root,
        &["build"],
        str![[r#"
lookout::jsonnet::not-a-dashboard

  × dashboards/budgets.jsonnet: the dashboard needs a `uid` of 1 to 40 characters, got ``

lookout::jsonnet::name-clash

  × dashboards/slo-overview.jsonnet: `dashboards/grafana/slo-overview.json` would overwrite a
  │ generated dashboard
  help: rename the jsonnet file

build failed: 2 errors; nothing was written

"#]],
    );
}

#[test]
fn check_covers_drift_in_every_log_output() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    for (file, from, to) in [
        (
            "dashboards/kibana/ingress-nginx.ndjson",
            "\"managed\":true",
            "\"managed\":false",
        ),
        (
            "dashboards/elasticsearch/_ilm/policy/lookout-logs-ingress-nginx.json",
            "\"14d\"",
            "\"7d\"",
        ),
        (
            "dashboards/elasticsearch/_index_template/lookout-logs-payments-api.json",
            "\"priority\": 200",
            "\"priority\": 100",
        ),
        (
            "rules/loki/payments-api.yaml",
            "status >= 500",
            "status >= 400",
        ),
        (
            "shipping/alloy/config.alloy",
            "tenant_id = \"platform\"",
            "tenant_id = \"other\"",
        ),
        (
            "shipping/vector/vector.yaml",
            "action: create",
            "action: index",
        ),
    ] {
        edit(root, file, from, to);
    }
    std::fs::remove_file(
        root.join("dashboards/elasticsearch/_ingest/pipeline/lookout-logs-payments-api.app.json"),
    )
    .unwrap();
    let report = drift_report(root);
    let drift: Vec<(&str, &str)> = report
        .iter()
        .map(|(p, k)| (p.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        drift,
        [
            (
                "dashboards/elasticsearch/_ilm/policy/lookout-logs-ingress-nginx.json",
                "update"
            ),
            (
                "dashboards/elasticsearch/_index_template/lookout-logs-payments-api.json",
                "update"
            ),
            (
                "dashboards/elasticsearch/_ingest/pipeline/lookout-logs-payments-api.app.json",
                "create"
            ),
            ("dashboards/kibana/ingress-nginx.ndjson", "update"),
            ("rules/loki/payments-api.yaml", "update"),
            ("shipping/alloy/config.alloy", "update"),
            ("shipping/vector/vector.yaml", "update"),
        ]
    );
    // build puts them all back, and a file lookout does not own is left alone.
    std::fs::write(root.join("shipping/vector/extra.yaml"), "sources: {}\n").unwrap();
    lookout(root).arg("build").assert().success();
    lookout(root).arg("check").assert().success();
    assert!(root.join("shipping/vector/extra.yaml").exists());
}

#[test]
fn a_configmap_client_side_apply_cannot_record_is_warned_about() {
    let dir = bare_project();
    let root = dir.path();
    // Enough SLOs for one service dashboard to pass 256 KiB.
    let mut spec = String::from("service: big\nslos:\n");
    for i in 0..60 {
        spec.push_str(&format!(
            "  - name: endpoint-{i}\n    objective: 99.9\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{endpoint=\"e{i}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{endpoint=\"e{i}\"}}[{{{{window}}}}]))\n"
        ));
    }
    std::fs::write(root.join("slos/big.yaml"), spec).unwrap();
    // One warning: the overview, far below the limit, is not warned about.
    lookout(root)
        .arg("build")
        .assert()
        .success()
        .stderr_eq(str![[r#"
lookout::kubernetes::large-configmap

  ⚠ kubernetes/grafana-dashboards/big.yaml: this ConfigMap is 486 KiB, above the 256 KiB that
  │ client-side `kubectl apply` can record
  help: apply it with `kubectl apply --server-side -f`, as its header says


"#]]);
    let size = std::fs::metadata(root.join("kubernetes/grafana-dashboards/big.yaml"))
        .unwrap()
        .len();
    assert!(size > 256 * 1024, "{size}");
}

#[test]
fn the_config_is_found_above_the_specs_as_cargo_finds_its_manifest() {
    let parent = tempfile::tempdir().unwrap();
    let project = parent.path().join("proj");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy("lookout.yaml", project.join("lookout.yaml")).unwrap();
    support::copy_example_specs(&project);
    lookout(parent.path())
        .args(["build", "--slos", "proj/slos"])
        .assert()
        .success()
        .stderr_eq(str![[r#"
using proj/lookout.yaml

"#]]);
    // Outputs go beside the config, as without --slos from inside proj.
    assert!(project.join("rules/payments-api.yaml").is_file());
    assert!(!parent.path().join("rules").exists());
    // ./lookout.yaml goes unnamed.
    lookout(&project)
        .arg("check")
        .assert()
        .success()
        .stderr_eq(str![""]);
}

#[test]
fn init_scaffolds_a_project_that_builds_and_leaves_existing_files_alone() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("Payments Platform");
    std::fs::create_dir(&dir).unwrap();
    let dir = &dir;
    lookout(dir)
        .arg("init")
        .assert()
        .success()
        .stdout_eq(str![[r#"
 created lookout.yaml
 created slos/example.yaml
 created .github/workflows/lookout.yml
 created ci/lookout.gitlab-ci.yml
CI installs lookout [VERSION] from the crates registry (--install-from for a git URL or a path)
next: edit slos/example.yaml and lookout.yaml, then run `lookout build`

"#]]);
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/lookout.yml")).unwrap();
    assert_eq!(
        workflow
            .lines()
            .filter(|l| l.trim_start().starts_with("- run: lookout "))
            .map(str::trim)
            .collect::<Vec<_>>(),
        [
            "- run: lookout check --format github --deny-warnings",
            "- run: lookout test",
            "- run: lookout gate || [ $? -eq 5 ]"
        ],
        "{workflow}"
    );
    // Installed from the registry at the version that wrote it, cached
    // by that version: no placeholder to edit.
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        workflow.contains(&format!(
            "run: cargo install --locked --version ={version} lookout"
        )) && workflow.contains(&format!("key: lookout-${{{{ runner.os }}}}-{version}"))
            && !workflow.contains("OWNER")
            && !workflow.contains("@INSTALL@")
            && !workflow.contains("@CACHE_KEY@"),
        "{workflow}"
    );
    // The deploy job runs on main only, after the checks, gated.
    let jobs: serde_json::Value = serde_saphyr::from_str(&workflow).unwrap();
    let deploy = &jobs["jobs"]["deploy"];
    assert_eq!(deploy["needs"], "check", "{workflow}");
    assert_eq!(deploy["if"], "github.event_name == 'push'", "{workflow}");
    let gitlab = std::fs::read_to_string(dir.join("ci/lookout.gitlab-ci.yml")).unwrap();
    for text in [&workflow, &gitlab] {
        serde_saphyr::from_str::<serde_json::Value>(text).unwrap();
    }
    assert!(
        gitlab.contains(&format!(
            "cargo install --locked --version ={version} lookout"
        )) && gitlab.contains("- lookout test"),
        "{gitlab}"
    );
    // The project is named after its folder, as a valid name.
    let config = std::fs::read_to_string(dir.join("lookout.yaml")).unwrap();
    assert!(
        config.contains("\nproject: payments-platform\n"),
        "{config}"
    );
    let build = lookout(dir).arg("build").output().unwrap();
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
    let check = lookout(dir).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    // Run again: nothing is overwritten.
    std::fs::write(dir.join("lookout.yaml"), "slos: slos\n").unwrap();
    lookout(dir)
        .arg("init")
        .assert()
        .success()
        .stdout_eq(str![[r#"
    kept lookout.yaml (exists)
    kept slos/example.yaml (exists)
    kept .github/workflows/lookout.yml (exists)
    kept ci/lookout.gitlab-ci.yml (exists)
CI installs lookout [VERSION] from the crates registry (--install-from for a git URL or a path)
next: edit slos/example.yaml and lookout.yaml, then run `lookout build`

"#]]);
    assert_eq!(
        std::fs::read_to_string(dir.join("lookout.yaml")).unwrap(),
        "slos: slos\n"
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    // Each script's opening, and a line that completes `--slos`.
    for (shell, expected) in [
        (
            "bash",
            str![[r#"
_lookout() {
    local i cur prev opts cmd
...
            opts="-h --slos --out --config --timeout --retries --ca-file --insecure-skip-tls-verify --only --prune --adopt --claim-legacy --concurrency --format --help"
...
"#]],
        ),
        (
            "zsh",
            str![[r##"
#compdef lookout

...
'--slos=[Directory of SLO specs \[default\: \`slos\` from lookout.yaml, else ./slos\]]:DIR:_files' \
...
"##]],
        ),
        (
            "fish",
            str![[r##"
# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_lookout_global_optspecs
...
complete -c lookout -n "__fish_lookout_using_subcommand build" -l slos -d 'Directory of SLO specs [default: `slos` from lookout.yaml, else ./slos]' -r -F
...
"##]],
        ),
    ] {
        lookout(Path::new("."))
            .args(["completions", shell])
            .assert()
            .success()
            .stdout_eq(expected);
    }
}

#[test]
fn check_speaks_github_workflow_commands() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    edit(
        root,
        "slos/payments.yaml",
        "objective: 99.95",
        "objective: 100",
    );
    std::fs::remove_file(root.join("runbooks/public-api/latency.md")).unwrap();
    // A multi-line message stays one command: newlines are escaped.
    lookout(root)
        .args(["check", "--format", "github"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
::error file=slos/payments.yaml,line=11,col=16,title=lookout%3A%3Aspec%3A%3Aobjective-range::objective must be a percentage between 0 and 100 (exclusive), got 100%0Ahelp: e.g. `objective: 99.9` for 99.9%25

"#]]);
    // Drift, once the specs are valid.
    edit(
        root,
        "slos/payments.yaml",
        "objective: 100",
        "objective: 99.95",
    );
    lookout(root)
        .args(["check", "--format", "github"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
::error file=runbooks/public-api/latency.md,title=lookout%3A%3Adrift::runbooks/public-api/latency.md is out of date with slos/: run `lookout build` and commit the result

"#]]);
}

/// A build compares and stages its outputs a batch of services at a time;
/// a foreign file found in the last batch must still stop it before any
/// file, of any batch, is written, and leave no temporary file behind.
#[test]
fn a_conflict_in_a_late_batch_writes_nothing_at_all() {
    let dir = bare_project();
    let root = dir.path();
    // More services than one batch holds (64), so the build needs several.
    for i in 0..150 {
        std::fs::write(
            root.join(format!("slos/svc-{i:03}.yaml")),
            format!("service: svc-{i:03}\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{job=\"svc-{i:03}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc-{i:03}\"}}[{{{{window}}}}]))\n"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(root.join("rules")).unwrap();
    std::fs::write(root.join("rules/svc-149.yaml"), "groups: []\n").unwrap();
    fails(
        root,
        &["build"],
        str![[r#"
lookout::out::not-owned

  × ./rules/svc-149.yaml: refusing to overwrite a file lookout did not generate
  help: move it away, or add `Generated by lookout. DO NOT EDIT.` to its first line to hand it to
        lookout

build failed: 1 error; nothing was written

"#]],
    );
    let mut left = Vec::new();
    for entry in support::files_recursively(root) {
        let relative = entry.strip_prefix(root).unwrap().to_path_buf();
        if !relative.starts_with("slos") && relative != Path::new("lookout.yaml") {
            left.push(relative);
        }
    }
    assert_eq!(left, [Path::new("rules/svc-149.yaml")], "written: {left:?}");
    // Not even a folder: staging removes the ones it created.
    let mut folders: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| root.join(name).is_dir())
        .collect();
    folders.sort();
    assert_eq!(folders, ["rules", "slos"]);
    assert_eq!(std::fs::read_dir(root.join("rules")).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(root.join("rules/svc-149.yaml")).unwrap(),
        "groups: []\n"
    );
    // Moved away, the same build writes every batch.
    std::fs::remove_file(root.join("rules/svc-149.yaml")).unwrap();
    lookout(root).arg("build").assert().success();
    assert!(root.join("rules/svc-000.yaml").is_file());
    assert!(root.join("rules/svc-149.yaml").is_file());
}

/// A build writes each folder that did not exist as a temporary folder,
/// renamed into place once: a killed build can leave one beside an owned
/// folder (`.rules.lookout-<pid>.tmp`) or inside one (a new service's
/// runbooks). `check` reports them, and the next build removes them and
/// nothing else.
#[test]
fn folders_a_killed_build_staged_are_removed_by_the_next_build() {
    let project = example_project();
    let root = project.path();
    lookout(root).arg("build").assert().success();
    let built = support::files_recursively(root);
    let inside = root.join("runbooks/.new-service.lookout-4000000.tmp");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::write(inside.join("availability.md"), "cut short").unwrap();
    let beside = root.join(".rules.lookout-4000000.tmp");
    std::fs::create_dir_all(beside.join("tests")).unwrap();
    std::fs::write(beside.join("tests/svc.test.yaml"), "cut short").unwrap();
    // Not lookout's: named so, but no owned folder is called `notes`.
    let foreign = root.join(".notes.lookout-4000000.tmp");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("keep.md"), "mine").unwrap();

    // The `notes` one is not lookout's, so it is not stale.
    lookout(root)
        .arg("check")
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
drift: .rules.lookout-4000000.tmp is stale: no spec generates it any more
drift: runbooks/.new-service.lookout-4000000.tmp is stale: no spec generates it any more
check failed: 2 files out of date (run `lookout build`)

"#]]);
    lookout(root)
        .arg("build")
        .assert()
        .success()
        .stdout_eq(str![[r#"
 removed .rules.lookout-4000000.tmp
 removed runbooks/.new-service.lookout-4000000.tmp
built 12 SLOs from 6 services: 2 written, 79 unchanged

"#]])
        .stderr_eq(str![""]);
    let mut expected = built;
    expected.push(foreign.join("keep.md"));
    expected.sort();
    assert_eq!(support::files_recursively(root), expected);
    lookout(root).arg("check").assert().success();
}

/// Into an empty directory, a build writes each missing folder whole and
/// renames it into place: the result is the same files, with no
/// temporary name left, as a build into existing folders gives.
#[test]
fn a_build_into_missing_folders_writes_the_same_files() {
    let project = example_project();
    let root = project.path();
    let into_missing = |out: &str| {
        lookout(root)
            .args(["build", "--out", out])
            .assert()
            .success();
        support::files_recursively(&root.join(out))
            .into_iter()
            .map(|p| p.strip_prefix(root.join(out)).unwrap().to_path_buf())
            .filter(|p| !p.starts_with(".lookout"))
            .collect::<Vec<_>>()
    };
    let cold = into_missing("a/b/cold");
    assert!(cold
        .iter()
        .all(|p| !p.to_string_lossy().contains(".lookout-")));
    // The same outputs written over folders that exist, one file at a
    // time: remove one file from each folder and rebuild without a cache.
    let warm = root.join("a/b/cold");
    std::fs::remove_dir_all(warm.join(".lookout")).unwrap();
    for file in [
        "rules/public-api.yaml",
        "runbooks/public-api/availability.md",
    ] {
        std::fs::remove_file(warm.join(file)).unwrap();
    }
    lookout(root)
        .args(["build", "--out", "a/b/cold"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
 created a/b/cold/rules/public-api.yaml
 created a/b/cold/runbooks/public-api/availability.md
built 12 SLOs from 6 services: 2 written, 77 unchanged

"#]]);
    assert_eq!(into_missing("a/b/cold"), cold);
}

/// A Sloth spec dropped into `slos/` is named as one, in one error, and the
/// command its help gives converts it: run as printed, the build goes on.
#[test]
fn a_sloth_spec_among_the_specs_is_named_and_its_help_converts_it() {
    let project = bare_project();
    std::fs::write(
        project.path().join("slos/sloth.yml"),
        "version: \"prometheus/v1\"\nservice: \"myservice\"\nslos:\n  - name: \"requests-availability\"\n    objective: 99.9\n    sli:\n      events:\n        error_query: sum(rate(http_requests_total{job=\"myservice\",code=~\"5..\"}[{{.window}}]))\n        total_query: sum(rate(http_requests_total{job=\"myservice\"}[{{.window}}]))\n    alerting:\n      name: MyServiceHighErrorRate\n      page_alert:\n        labels:\n          severity: critical\n      ticket_alert:\n        labels:\n          severity: warning\n",
    )
    .unwrap();
    // One error, not one per field.
    let err = fails(
        project.path(),
        &["build"],
        str![[r#"
lookout::spec::foreign-format

  × this is a Sloth spec (`version: prometheus/v1`), not a lookout spec
   ╭─[slos/sloth.yml:1:1]
 1 │ version: "prometheus/v1"
   · ────────────┬───────────
   ·             ╰── another tool's format
 2 │ service: "myservice"
 3 │ slos:
   ╰────
  help: convert it with `lookout import sloth slos/sloth.yml`, which writes lookout specs into
        `slos/`, then remove this file

build failed: 1 error; nothing was written

"#]],
    );
    // The help's command, word for word (miette wraps long help lines).
    let help = err
        .split("help: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let command = help.split('`').nth(1).unwrap();
    assert_eq!(command, "lookout import sloth slos/sloth.yml");
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    lookout(project.path()).args(&args).assert().success();
    std::fs::remove_file(project.path().join("slos/sloth.yml")).unwrap();
    lookout(project.path()).arg("build").assert().success();
    assert!(project.path().join("rules/myservice.yaml").is_file());
}

/// `lookout plan | head -1`: the reader leaves before lookout writes. The
/// output stops quietly, with no panic, and each command keeps its own
/// exit code (3 for a plan with changes).
#[test]
fn a_reader_that_leaves_is_no_failure_and_the_exit_code_stands() {
    let grafana = support::fakes::grafana(None);
    let project = bare_project();
    std::fs::write(
        project.path().join("lookout.yaml"),
        format!(
            "runbooks: {{base_url: https://runbooks.example.com}}\ngrafana: {{url: '{}'}}\npush: [grafana]\n",
            grafana.url()
        ),
    )
    .unwrap();
    std::fs::write(
        project.path().join("slos/web.yaml"),
        "service: web\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{job=\"web\",code=~\"5..\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"web\"}[{{window}}]))\n",
    )
    .unwrap();
    for (args, code) in [
        (&["plan"][..], 3),
        (&["plan", "--format", "json"], 3),
        (&["completions", "bash"], 0),
        (&["schema"], 0),
        (&["check"], 1),
        (&["build"], 0),
        (&["--help"], 0),
    ] {
        // The read end closes before lookout starts: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
            .args(args)
            .current_dir(project.path())
            .env("NO_COLOR", "1")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A warning passes `build` and `check`, as CI once let `objective: 0.9995`
/// through; `--deny-warnings` fails both, and `build` then writes nothing.
#[test]
fn deny_warnings_fails_build_and_check_on_a_warning() {
    let project = bare_project();
    let root = project.path();
    std::fs::copy(
        "tests/fixtures/warnings/unreachable-alert/slos/batch.yaml",
        root.join("slos/batch.yaml"),
    )
    .unwrap();
    fails(
        root,
        &["build", "--deny-warnings"],
        str![[r#"
lookout::check::unreachable-alert

  ⚠ the page alert of `batch/completion` over 1h and 5m can never fire: it needs an error ratio
  │ above 1.44 (14.4x the 0.1 budget)
   ╭─[slos/batch.yaml:6:11]
 4 │ service: batch
 5 │ slos:
 6 │   - name: completion
   ·           ──────────
 7 │     objective: 90
 8 │     sli:
   ╰────
  help: raise the objective, or disable this tier with `enabled: false`

build failed: 1 warning denied (--deny-warnings); nothing was written

"#]],
    );
    assert!(!root.join("rules").exists(), "a denied build wrote files");
    lookout(root).arg("build").assert().success();
    lookout(root).arg("check").assert().success();
    fails(
        root,
        &["check", "--deny-warnings"],
        str![[r#"
lookout::check::unreachable-alert

  ⚠ the page alert of `batch/completion` over 1h and 5m can never fire: it needs an error ratio
  │ above 1.44 (14.4x the 0.1 budget)
   ╭─[slos/batch.yaml:6:11]
 4 │ service: batch
 5 │ slos:
 6 │   - name: completion
   ·           ──────────
 7 │     objective: 90
 8 │     sli:
   ╰────
  help: raise the objective, or disable this tier with `enabled: false`

check failed: 1 warning denied (--deny-warnings)

"#]],
    );
}

/// `cd slos && lookout build` finds the project above, as git and cargo
/// find theirs: the outputs land beside lookout.yaml, not in `slos/`.
#[test]
fn the_project_is_found_from_a_subdirectory() {
    let project = example_project();
    let root = project.path();
    lookout(&root.join("slos"))
        .arg("build")
        .assert()
        .success()
        .stderr_eq(str![[r#"
using ../lookout.yaml

"#]]);
    assert!(root.join("rules/payments-api.yaml").is_file());
    assert!(!root.join("slos/rules").exists());
    lookout(&root.join("rules/tests"))
        .arg("check")
        .assert()
        .success()
        .stdout_eq(str![[r#"
ok: 12 SLOs valid, output up to date

"#]])
        .stderr_eq(str![[r#"
using ../../lookout.yaml

"#]]);
}

/// `init` in a project that has specs: no example service joins them.
#[test]
fn init_leaves_the_example_out_where_specs_exist() {
    let project = bare_project();
    let root = project.path();
    std::fs::remove_file(root.join("lookout.yaml")).unwrap();
    std::fs::write(
        root.join("slos/web.yml"),
        "service: web\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio: 1 - avg_over_time(up{job=\"web\"}[{{window}}])\n",
    )
    .unwrap();
    lookout(root)
        .arg("init")
        .assert()
        .success()
        .stdout_eq(str![[r#"
 created lookout.yaml
 skipped slos/example.yaml (slos/ holds specs already)
 created .github/workflows/lookout.yml
 created ci/lookout.gitlab-ci.yml
CI installs lookout [VERSION] from the crates registry (--install-from for a git URL or a path)
next: edit lookout.yaml, then run `lookout build`

"#]]);
    assert!(!root.join("slos/example.yaml").exists());
    lookout(root).arg("build").assert().success();
    assert!(!root.join("rules/example-api.yaml").exists());
}

#[test]
fn init_writes_the_install_source_it_is_given_into_the_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = |source: &str| {
        let root = dir.path().join(source.replace(['/', ':', '#', '.'], "_"));
        lookout(dir.path())
            .args(["init", root.to_str().unwrap(), "--install-from", source])
            .assert()
            .success();
        (
            std::fs::read_to_string(root.join(".github/workflows/lookout.yml")).unwrap(),
            std::fs::read_to_string(root.join("ci/lookout.gitlab-ci.yml")).unwrap(),
        )
    };
    let (github, gitlab) = workflows("https://git.example.com/platform/lookout.git#v9.1.0");
    for text in [&github, &gitlab] {
        assert!(
            text.contains("cargo install --locked --git https://git.example.com/platform/lookout.git --tag v9.1.0 lookout"),
            "{text}"
        );
    }
    assert!(
        github.contains("key: lookout-${{ runner.os }}-v9.1.0"),
        "{github}"
    );
    assert!(gitlab.contains("key: lookout-v9.1.0"), "{gitlab}");
    // Without a tag, this version's.
    let (github, _) = workflows("git@git.example.com:platform/lookout.git");
    let tag = format!("--tag v{} lookout", env!("CARGO_PKG_VERSION"));
    assert!(github.contains(&tag), "{github}");
    let (github, _) = workflows("tools/lookout");
    assert!(
        github.contains("cargo install --locked --path tools/lookout"),
        "{github}"
    );

    lookout(dir.path())
        .args(["init", "bad", "--install-from", "x; rm -rf /"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error: --install-from `x; rm -rf /`: give a git URL (with `#<tag>`) or a path, without spaces, quotes or shell characters

"#]]);
    assert!(!dir.path().join("bad").exists(), "nothing written");
}
