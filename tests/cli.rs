//! End-to-end tests of the `lookout` binary: exit codes, what is written,
//! and what is printed.

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn lookout(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lookout").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

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

/// Replaces `from` with `to` in a project file, which must contain it.
fn edit(project: &Path, file: &str, from: &str, to: &str) {
    let path = project.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

/// Runs lookout, expects exit code 1 and `needle` on stderr; returns stderr.
fn fails_with(project: &Path, args: &[&str], needle: &str) -> String {
    let out = lookout(project).args(args).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: no `{needle}` in:\n{err}");
    err
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
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
    let out = lookout(project.path()).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("created rules/public-api.yaml"),
        "{}",
        stdout(&out)
    );
    for path in [
        "rules/public-api.yaml",
        "rules/tests/public-api.test.yaml",
        "runbooks/public-api/availability.md",
        "runbooks/mariadb-galera/replication-lag.md",
    ] {
        assert!(project.path().join(path).is_file(), "{path} missing");
    }
    let again = lookout(project.path()).arg("build").output().unwrap();
    assert!(stdout(&again).contains("0 written"), "{}", stdout(&again));
    let check = lookout(project.path()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
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

    let err = fails_with(root, &["check"], "drift: rules/payments-api.yaml differs");
    assert!(
        err.contains("drift: dashboards/grafana/public-api.json differs"),
        "{err}"
    );
    assert!(
        err.contains("+    expr: vector(0.9995)"),
        "diff shown: {err}"
    );
    assert!(
        err.contains("drift: runbooks/public-api/latency.md is missing"),
        "{err}"
    );

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

    let err = fails_with(root, &["build"], "─[slos/public-api.yaml:9:16]");
    assert!(err.contains("objective must be a percentage"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
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

    fails_with(root, &["build"], "slos/broken.yaml:");
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

    fails_with(root, &["check"], "rules/settlement-worker.yaml is stale");
    let out = lookout(root).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("removed rules/settlement-worker.yaml"));
    assert!(!root.join("rules/settlement-worker.yaml").exists());
    assert!(!root.join("runbooks/settlement-worker").exists());
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "hand-written notes\n"
    );

    // A hand-written file where lookout would write is refused, not clobbered.
    let target = root.join("rules/public-api.yaml");
    std::fs::write(&target, "groups: []\n").unwrap();
    fails_with(root, &["build"], "refusing to overwrite");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "groups: []\n");
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
    let out = lookout(root).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("removed rules/settlement-worker.yaml"));
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
    let err = fails_with(project.path(), &["build"], "file is not valid UTF-8");
    assert!(err.contains("latin1.yaml"), "{err}");
    assert!(err.contains("empty.yaml"), "{err}");
    assert!(err.contains("dangling.yaml: cannot read file"), "{err}");
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
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("lookout"))
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
    let err = fails_with(
        project.path(),
        &["check"],
        "log `a/b__c` has the same shipper id `a__b__c` as the log at slos/0.yaml:4:11",
    );
    assert!(err.contains("service `m-5` is defined twice"), "{err}");
    assert!(
        err.contains("first defined at slos/m-005.yaml:1:10"),
        "{err}"
    );
    assert!(err.contains("check failed: 2 errors"), "{err}");
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
    fails_with(
        project.path(),
        &["build", "--config", "nope.yaml"],
        "nope.yaml: config file not found",
    );
    let empty = tempfile::tempdir().unwrap();
    fails_with(empty.path(), &["check"], "SLO directory not found");
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
    assert!(
        page.starts_with(
            "<!-- Generated by lookout. DO NOT EDIT. -->\n# public-api/availability\n"
        ),
        "{page}"
    );
    assert!(
        page.contains(r#"`slo:sli_error:ratio_rate1h{service="public-api",slo="availability"}`"#),
        "{page}"
    );

    // A template that does not compile is located in the template file.
    std::fs::write(
        root.join("runbook.md.hbs"),
        "line one\n{{#if team}}\nunclosed\n",
    )
    .unwrap();
    fails_with(root, &["build"], "runbook.md.hbs");
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
    let err = fails_with(root, &["build"], "dashboards/budgets.jsonnet:4:3");
    assert!(err.contains("no such field: nope"), "{err}");
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
    let err = fails_with(root, &["build"], "dashboards/budgets.jsonnet:3:3");
    assert!(err.contains("syntax error"), "{err}");
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
    let out = lookout(root).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let size = std::fs::metadata(root.join("kubernetes/grafana-dashboards/big.yaml"))
        .unwrap()
        .len();
    assert!(size > 256 * 1024, "{size}");
    assert!(
        err.contains("kubernetes::large-configmap")
            && err.contains("kubernetes/grafana-dashboards/big.yaml")
            && err.contains(&format!("{} KiB", size.div_ceil(1024)))
            && err.contains("kubectl apply --server-side"),
        "{err}"
    );
    // The overview, far below the limit, is not warned about.
    assert!(!err.contains("slo-overview.yaml"), "{err}");
}

#[test]
fn the_config_is_found_above_the_specs_as_cargo_finds_its_manifest() {
    let parent = tempfile::tempdir().unwrap();
    let project = parent.path().join("proj");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy("lookout.yaml", project.join("lookout.yaml")).unwrap();
    support::copy_example_specs(&project);
    let out = lookout(parent.path())
        .args(["build", "--slos", "proj/slos"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("using proj/lookout.yaml"),
        "{}",
        stderr(&out)
    );
    // Outputs go beside the config, as without --slos from inside proj.
    assert!(project.join("rules/payments-api.yaml").is_file());
    assert!(!parent.path().join("rules").exists());
    let check = lookout(&project).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        !stderr(&check).contains("using"),
        "./lookout.yaml goes unnamed"
    );
}

#[test]
fn init_scaffolds_a_project_that_builds_and_leaves_existing_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = lookout(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        " created lookout.yaml\n created slos/example.yaml\n created .github/workflows/lookout.yml\n created ci/lookout.gitlab-ci.yml\nnext: edit slos/example.yaml and lookout.yaml, then run `lookout build`\n"
    );
    let workflow =
        std::fs::read_to_string(dir.path().join(".github/workflows/lookout.yml")).unwrap();
    assert!(
        workflow.contains("lookout check --format github"),
        "{workflow}"
    );
    let build = lookout(dir.path()).arg("build").output().unwrap();
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
    let check = lookout(dir.path()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    // Run again: nothing is overwritten.
    std::fs::write(dir.path().join("lookout.yaml"), "slos: slos\n").unwrap();
    let again = lookout(dir.path()).arg("init").output().unwrap();
    assert!(
        stdout(&again).contains("    kept lookout.yaml (exists)"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lookout.yaml")).unwrap(),
        "slos: slos\n"
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = lookout(Path::new("."))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(
            script.contains("lookout") && script.contains("--slos"),
            "{shell}: {script}"
        );
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
    let out = lookout(root)
        .args(["check", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout(&out);
    assert!(
        lines.lines().any(|l| l.starts_with("::error file=slos/payments.yaml,line=11,col=16,title=lookout%3A%3Aspec%3A%3Aobjective-range::")),
        "{lines}"
    );
    // A multi-line message stays one command: newlines are escaped.
    assert!(lines.lines().all(|l| l.starts_with("::")), "{lines}");
    // Drift, once the specs are valid.
    edit(
        root,
        "slos/payments.yaml",
        "objective: 100",
        "objective: 99.95",
    );
    let out = lookout(root)
        .args(["check", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("::error file=runbooks/public-api/latency.md,title=lookout%3A%3Adrift::runbooks/public-api/latency.md is out of date"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_unknown_target_is_a_usage_error() {
    let out = lookout(Path::new("."))
        .args(["plan", "--only", "prom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a similar value exists: 'prometheus'"),
        "{}",
        stderr(&out)
    );
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
    fails_with(root, &["build"], "refusing to overwrite");
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

    let err = fails_with(root, &["check"], "is stale");
    assert!(err.contains(".rules.lookout-4000000.tmp"), "{err}");
    assert!(err.contains("new-service.lookout-4000000.tmp"), "{err}");
    assert!(!err.contains("notes"), "{err}");

    let out = lookout(root).arg("build").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&out);
    assert!(
        listed.contains("removed .rules.lookout-4000000.tmp"),
        "{listed}"
    );
    assert!(
        listed.contains("removed runbooks/.new-service.lookout-4000000.tmp"),
        "{listed}"
    );
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
    let out = lookout(root)
        .args(["build", "--out", "a/b/cold"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 written"), "{}", stdout(&out));
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
    let err = fails_with(
        project.path(),
        &["build"],
        "this is a Sloth spec (`version: prometheus/v1`), not a lookout spec",
    );
    assert_eq!(
        err.matches("× ").count(),
        1,
        "one error, not one per field:\n{err}"
    );
    assert!(!err.contains("unknown field"), "{err}");
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
