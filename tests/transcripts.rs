//! CLI transcripts: every command's help, success and error paths, run on
//! the real binary and compared whole (exit code, stdout and stderr) with
//! the snapshots in `tests/snapshots/transcripts__*.snap`. A changed message,
//! exit code or stream is a reviewed snapshot change, never a `contains`
//! that still passes.

use std::path::Path;
use std::process::Command;

/// Runs `lookout args` in `dir` and renders what a terminal would show.
fn transcript(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LOOKOUT_PROMETHEUS_TOKEN")
        .output()
        .expect("lookout runs");
    let root = dir.to_string_lossy();
    let clean = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(&*root, "[ROOT]")
            .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
    };
    format!(
        "$ lookout {}\n[exit {}]\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        clean(&output.stdout),
        clean(&output.stderr)
    )
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const SPEC: &str = r#"service: web
team: platform
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        errors: sum(rate(http_requests_total{job="web",code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total{job="web"}[{{window}}]))
"#;

/// A project whose push target refuses connections at once (port 1), so
/// plan, apply and status show their failure paths without a network.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "lookout.yaml",
        "runbooks: {base_url: https://runbooks.example.com}\npush: [prometheus]\nprometheus: {url: 'http://127.0.0.1:1', rules_dir: live-rules}\n",
    );
    write(dir.path(), "slos/web.yaml", SPEC);
    dir
}

#[test]
fn help_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let commands = [
        "build",
        "check",
        "plan",
        "apply",
        "status",
        "import",
        "export",
        "schema",
        "init",
        "completions",
    ];
    let mut text = transcript(dir.path(), &["--help"]);
    text.push_str(&transcript(dir.path(), &["--version"]));
    for command in commands {
        text.push_str(&transcript(dir.path(), &[command, "--help"]));
    }
    insta::assert_snapshot!("help", text);
}

#[test]
fn build_check_and_init_succeed() {
    let project = project();
    let root = project.path();
    let mut text = transcript(root, &["build"]);
    text.push_str(&transcript(root, &["build"]));
    text.push_str(&transcript(root, &["check"]));
    text.push_str(&transcript(root, &["check", "--format", "json"]));
    // OpenSLO out and back in: the second export changes nothing.
    text.push_str(&transcript(root, &["export", "openslo"]));
    text.push_str(&transcript(root, &["export", "openslo"]));
    text.push_str(&transcript(
        root,
        &["import", "openslo", "openslo", "--out", "imported"],
    ));
    let fresh = tempfile::tempdir().unwrap();
    text.push_str(&transcript(fresh.path(), &["init", "."]));
    text.push_str(&transcript(fresh.path(), &["init", "."]));
    // The schemas and completions are long: their opening is the transcript.
    for args in [
        &["schema"][..],
        &["schema", "config"],
        &["completions", "bash"],
    ] {
        let full = transcript(root, args);
        let lines: Vec<&str> = full.lines().collect();
        text.push_str(&lines[..lines.len().min(12)].join("\n"));
        text.push_str(&format!("\n[… {} lines in all]\n", lines.len()));
    }
    insta::assert_snapshot!("success", text);
}

#[test]
fn every_kind_of_failure_exits_non_zero_with_its_message() {
    let project = project();
    let root = project.path();
    let mut text = String::new();
    // Usage errors exit 2, as clap's do.
    text.push_str(&transcript(root, &["build", "--bogus"]));
    text.push_str(&transcript(root, &["plan", "--only", "prom"]));
    // No lookout.yaml anywhere above the directory.
    let empty = tempfile::tempdir().unwrap();
    text.push_str(&transcript(empty.path(), &["build"]));
    // Drift: an output edited by hand.
    transcript(root, &["build"]);
    let rules = root.join("rules/web.yaml");
    let edited = std::fs::read_to_string(&rules)
        .unwrap()
        .replacen("objective", "objectiv", 1);
    std::fs::write(&rules, edited).unwrap();
    text.push_str(&transcript(root, &["check"]));
    text.push_str(&transcript(root, &["check", "--format", "github"]));
    // A file lookout did not write is in the export's way.
    write(root, "openslo/web.yaml", "# mine\n");
    text.push_str(&transcript(root, &["export", "openslo"]));
    // Not OpenSLO, and OpenSLO lookout cannot express.
    write(
        root,
        "foreign/sloth.yaml",
        "version: prometheus/v1\nservice: web\nslos: []\n",
    );
    write(
        root,
        "foreign/datadog.yaml",
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: web}\nspec:\n  service: web\n  budgetingMethod: Occurrences\n  indicator:\n    metadata: {name: web}\n    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Datadog, spec: {query: 'sum:ok{*}'}}}\n        total: {metricSource: {type: Datadog, spec: {query: 'sum:all{*}'}}}\n  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: '2022-01-01 00:00:00', timeZone: UTC}}]\n  objectives: [{target: 0.999}]\n",
    );
    text.push_str(&transcript(
        root,
        &["import", "openslo", "foreign", "--out", "imported"],
    ));
    // Invalid specs: every problem of every file, located, and nothing
    // written. (An unknown key stops the parse of its file, as serde's
    // deny_unknown_fields does, so its other mistakes show after the fix.)
    write(
        root,
        "slos/web.yaml",
        &SPEC.replace("objective: 99.9", "objective: 100"),
    );
    write(
        root,
        "slos/api.yaml",
        &SPEC
            .replace("service: web", "service: api")
            .replace("team: platform", "team: platform\nowner: me"),
    );
    text.push_str(&transcript(root, &["build"]));
    std::fs::remove_file(root.join("slos/api.yaml")).unwrap();
    // Targets that cannot be reached.
    write(root, "slos/web.yaml", SPEC);
    text.push_str(&transcript(root, &["plan"]));
    text.push_str(&transcript(root, &["apply"]));
    assert!(
        !root.join("live-rules").exists(),
        "apply wrote rules without reading the live state"
    );
    text.push_str(&transcript(root, &["status"]));
    insta::assert_snapshot!("failures", text);
}
