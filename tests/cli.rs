//! End-to-end tests of the `lookout` binary: exit codes, what is written,
//! and what is printed.

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
    std::fs::create_dir(dir.path().join("slos")).unwrap();
    for entry in std::fs::read_dir("slos").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path().join("slos").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
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
    lookout(project.path()).arg("build").assert().success();
    let rules = project.path().join("rules/payments-api.yaml");
    let edited = std::fs::read_to_string(&rules)
        .unwrap()
        .replace("vector(0.9995)", "vector(0.999)");
    std::fs::write(&rules, edited).unwrap();
    std::fs::remove_file(project.path().join("runbooks/public-api/latency.md")).unwrap();

    let out = lookout(project.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("drift: rules/payments-api.yaml differs"),
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

    let json = lookout(project.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let drift: Vec<(&str, &str)> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), d["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        drift,
        [
            ("rules/payments-api.yaml", "changed"),
            ("runbooks/public-api/latency.md", "missing")
        ]
    );
}

#[test]
fn invalid_spec_exits_1_names_file_line_col_and_writes_nothing() {
    let project = example_project();
    let spec = project.path().join("slos/public-api.yaml");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("objective: 99.9", "objective: 100");
    std::fs::write(&spec, text).unwrap();

    let out = lookout(project.path()).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("─[slos/public-api.yaml:9:16]"), "{err}");
    assert!(err.contains("objective must be a percentage"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        !project.path().join("rules").exists(),
        "rules/ must not be created"
    );
    assert!(!project.path().join("runbooks").exists());

    let json = lookout(project.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "spec::objective-range");
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
    lookout(project.path()).arg("build").assert().success();
    let before = std::fs::read_to_string(project.path().join("rules/ingress-nginx.yaml")).unwrap();
    let ingress = project.path().join("slos/ingress-nginx.yaml");
    let text = std::fs::read_to_string(&ingress)
        .unwrap()
        .replace("objective: 99.95", "objective: 99.5");
    std::fs::write(&ingress, text).unwrap();
    std::fs::write(
        project.path().join("slos/broken.yaml"),
        "service: broken\nslos: [\n",
    )
    .unwrap();

    let out = lookout(project.path()).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("slos/broken.yaml:"),
        "{}",
        stderr(&out)
    );
    let after = std::fs::read_to_string(project.path().join("rules/ingress-nginx.yaml")).unwrap();
    assert_eq!(
        before, after,
        "a valid file's output must not change when another is invalid"
    );
}

#[test]
fn build_removes_its_stale_files_and_never_touches_foreign_ones() {
    let project = example_project();
    lookout(project.path()).arg("build").assert().success();
    let notes = project.path().join("rules/README.md");
    std::fs::write(&notes, "hand-written notes\n").unwrap();
    std::fs::remove_file(project.path().join("slos/settlement-worker.yaml")).unwrap();

    let check = lookout(project.path()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("rules/settlement-worker.yaml is stale"),
        "{}",
        stderr(&check)
    );

    let out = lookout(project.path()).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("removed rules/settlement-worker.yaml"));
    assert!(!project.path().join("rules/settlement-worker.yaml").exists());
    assert!(!project.path().join("runbooks/settlement-worker").exists());
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "hand-written notes\n"
    );

    // A hand-written file where lookout would write is refused, not clobbered.
    let target = project.path().join("rules/public-api.yaml");
    std::fs::write(&target, "groups: []\n").unwrap();
    let out = lookout(project.path()).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refusing to overwrite"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "groups: []\n");
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

    let out = lookout(project.path())
        .args(["build", "--config", "nope.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nope.yaml: config file not found"),
        "{}",
        stderr(&out)
    );

    let empty = tempfile::tempdir().unwrap();
    let out = lookout(empty.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("SLO directory not found"),
        "{}",
        stderr(&out)
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
    std::fs::write(
        project.path().join("runbook.md.hbs"),
        "# {{service}}/{{slo}}\nObjective {{objective}}% over {{window}}. Query: `{{ratio_1h}}`\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(project.path().join("lookout.yaml")).unwrap();
    std::fs::write(
        project.path().join("lookout.yaml"),
        config.replace("runbooks:\n", "runbooks:\n  template: runbook.md.hbs\n"),
    )
    .unwrap();
    lookout(project.path()).arg("build").assert().success();
    let page = std::fs::read_to_string(project.path().join("runbooks/public-api/availability.md"))
        .unwrap();
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
        project.path().join("runbook.md.hbs"),
        "line one\n{{#if team}}\nunclosed\n",
    )
    .unwrap();
    let out = lookout(project.path()).arg("build").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("runbook.md.hbs"), "{}", stderr(&out));
}
