//! CLI transcripts on snapbox: every command's help, success and failure
//! paths, run on the real binary, each compared whole (exit code, stdout
//! and stderr) with the snapshot beside it, inline or, for the long ones,
//! under `tests/transcripts/`. A changed message, exit code or stream is a
//! reviewed snapshot change: `SNAPSHOTS=overwrite cargo test --test
//! transcripts` rewrites them, and the diff is the review. Live systems
//! are the in-process fakes of `tests/support/fakes.rs`.

mod support;

use std::path::Path;

use snapbox::{str, Data, IntoData};
use support::{lookout, lookout_with};

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

/// `--help` is the long help, with examples; `-h` the short one.
#[test]
fn help_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--help"], "lookout".into()),
        (vec!["-h"], "lookout.short".into()),
        (vec!["--version"], "version".into()),
    ];
    for command in COMMANDS.iter().chain(&["help"]) {
        cases.push((vec![command, "--help"], command.to_string()));
        cases.push((vec![command, "-h"], format!("{command}.short")));
    }
    for (args, name) in cases {
        lookout(dir.path())
            .args(&args)
            .assert()
            .success()
            .stdout_eq(Data::read_from(
                &Path::new("tests/transcripts/help").join(format!("{name}.txt")),
                None,
            ))
            .stderr_eq(str![""]);
    }
}

/// `lookout man DIR` writes `lookout.1` and a page per command, each a
/// roff page; the pages it writes are the commands above, so a new
/// command cannot go without its help transcripts.
#[test]
fn man_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    lookout(dir.path())
        .args(["man", "pages"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
wrote 17 man pages in pages

"#]])
        .stderr_eq(str![""]);
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("lookout-{c}.1"))
        .chain(["lookout.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    let build = std::fs::read_to_string(dir.path().join("pages/lookout-build.1")).unwrap();
    assert!(build.starts_with(".ie \\n(.g .ds Aq"), "{build}");
    assert!(
        build.contains(".SH NAME") && build.contains("lookout\\-build"),
        "{build}"
    );
}

/// Every command, as `lookout --help` lists them (but `help`).
const COMMANDS: [&str; 16] = [
    "build",
    "check",
    "plan",
    "apply",
    "status",
    "import",
    "export",
    "schema",
    "init",
    "test",
    "explain",
    "gate",
    "backtest",
    "report",
    "completions",
    "man",
];

#[test]
fn build_check_export_import_and_init_succeed() {
    let project = project();
    let root = project.path();
    lookout(root)
        .arg("build")
        .assert()
        .success()
        .stdout_eq(str![[r#"
 created alertmanager/inhibit_rules.yaml
 created dashboards/grafana/provisioning.yaml
 created dashboards/grafana/slo-overview.json
 created dashboards/grafana/web.json
 created kubernetes/grafana-dashboards/slo-overview.yaml
 created kubernetes/grafana-dashboards/web.yaml
 created kubernetes/kustomization.yaml
 created kubernetes/prometheus-rules/web.yaml
 created rules/tests/web.long.test.yaml
 created rules/tests/web.test.yaml
 created rules/web.yaml
 created runbooks/web/availability.md
built 1 SLO from 1 service: 12 written, 0 unchanged

"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .arg("build")
        .assert()
        .success()
        .stdout_eq(str![[r#"
built 1 SLO from 1 service: 0 written, 12 unchanged

"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .arg("check")
        .assert()
        .success()
        .stdout_eq(str![[r#"
ok: 1 SLO valid, output up to date

"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .args(["check", "--format", "json"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
{
  "ok": true,
  "errors": 0,
  "diagnostics": [],
  "drift": []
}

"#]])
        .stderr_eq(str![""]);
    // OpenSLO out and back in: the second export changes nothing.
    lookout(root)
        .args(["export", "openslo"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
  created openslo/web.yaml (1 SLO)

"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .args(["export", "openslo"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
unchanged openslo/web.yaml (1 SLO)

"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .args(["import", "openslo", "openslo", "--out", "imported"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
  created imported/web.yaml (1 SLO)

"#]])
        .stderr_eq(str![""]);
    let fresh = tempfile::tempdir().unwrap();
    lookout(fresh.path())
        .args(["init", "."])
        .assert()
        .success()
        .stdout_eq(str![[r#"
 created lookout.yaml
 created slos/example.yaml
 created .github/workflows/lookout.yml
 created ci/lookout.gitlab-ci.yml
CI installs lookout [VERSION] from the crates registry (--install-from for a git URL or a path)
next: edit slos/example.yaml and lookout.yaml, then run `lookout build`

"#]])
        .stderr_eq(str![""]);
    lookout(fresh.path())
        .args(["init", "."])
        .assert()
        .success()
        .stdout_eq(str![[r#"
    kept lookout.yaml (exists)
    kept slos/example.yaml (exists)
    kept .github/workflows/lookout.yml (exists)
    kept ci/lookout.gitlab-ci.yml (exists)
CI installs lookout [VERSION] from the crates registry (--install-from for a git URL or a path)
next: edit slos/example.yaml and lookout.yaml, then run `lookout build`

"#]])
        .stderr_eq(str![""]);
    // The schemas and completions are long: their opening is the transcript.
    lookout(root)
        .arg("schema")
        .assert()
        .success()
        .stdout_eq(str![[r##"
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "lookout service spec (lookout/v1)",
  "description": "One service: its owner, labels and SLOs. A file holds one or more of these\nas separate YAML documents.",
  "type": "object",
  "properties": {
    "version": {
      "description": "Spec version. Optional; the only version today is `lookout/v1`.",
      "type": [
        "string",
        "null"
      ]
...
"##]])
        .stderr_eq(str![""]);
    lookout(root)
        .args(["schema", "config"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "lookout project config (lookout.yaml)",
  "type": "object",
  "properties": {
    "project": {
      "description": "This project's name, on every object lookout writes to a live\nsystem, so that projects sharing a Prometheus, a Grafana or an\nElasticsearch never touch each other's objects. Lowercase letters,\ndigits and `-`. Default `default`, shared by every project that sets\nnone; `lookout init` writes the folder's name.",
      "type": [
        "string",
        "null"
      ]
    },
...
"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
_lookout() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

...
"#]])
        .stderr_eq(str![""]);
}

/// `explain` on the workbook's defaults, in text and JSON; then an SLO
/// with `min_errors`, whose times at its traffic need the traffic:
/// given, or (Prometheus being unreachable here) a note saying so.
/// What OpenSLO has no form for is left out of the export with a warning
/// at its line, and the rest is exported.
#[test]
fn export_names_what_openslo_cannot_carry() {
    let dir = project();
    let root = dir.path();
    write(
        root,
        "lookout.yaml",
        "runbooks: {base_url: https://runbooks.example.com}\nloki: {url: 'http://127.0.0.1:1'}\n",
    );
    write(
        root,
        "slos/web.yaml",
        &format!(
            "{SPEC}  - name: edge\n    objective: 99\n    sli:\n      logs: {{source: access, errors: '| status >= 500'}}\nlogs:\n  - name: access\n    source: {{files: [/var/log/nginx/access.log]}}\n    format: nginx\n    destinations: [loki]\n"
        ),
    );
    lookout(root)
        .args(["export", "openslo"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
  created openslo/web.yaml (1 SLO)

"#]])
        .stderr_eq(str![[r#"
lookout::export::not-expressible

  ⚠ service `web`: `logs` has no OpenSLO form and is not exported
    ╭─[slos/web.yaml:15:3]
 13 │       logs: {source: access, errors: '| status >= 500'}
 14 │ logs:
 15 │   - name: access
    ·   ─
 16 │     source: {files: [/var/log/nginx/access.log]}
 17 │     format: nginx
    ╰────

lookout::export::not-expressible

  ⚠ SLO `edge` of service `web` reads logs (LogQL), which OpenSLO cannot express; not exported
    ╭─[slos/web.yaml:10:11]
  8 │         errors: sum(rate(http_requests_total{job="web",code=~"5.."}[{{window}}]))
  9 │         total: sum(rate(http_requests_total{job="web"}[{{window}}]))
 10 │   - name: edge
    ·           ────
 11 │     objective: 99
 12 │     sli:
    ╰────


"#]]);
}

#[test]
fn explain_says_when_each_pair_fires_and_resolves() {
    let project = project();
    let root = project.path();
    let transcript =
        |name: &str| Data::read_from(&Path::new("tests/transcripts/explain").join(name), None);
    lookout(root)
        .args(["explain", "web/availability"])
        .assert()
        .success()
        .stdout_eq(transcript("text.txt"))
        .stderr_eq(str![""]);
    lookout(root)
        .args(["explain", "web/availability", "--format", "json"])
        .assert()
        .success()
        .stdout_eq(transcript("json.txt"))
        .stderr_eq(str![""]);
    write(
        root,
        "slos/web.yaml",
        &format!("{SPEC}    alerting:\n      min_errors: 5\n"),
    );
    lookout(root)
        .args(["explain", "web/availability", "--traffic", "0.0166667"])
        .assert()
        .success()
        .stdout_eq(transcript("min-errors.txt"))
        .stderr_eq(str![""]);
    lookout(root)
        .args(["explain", "web/availability", "--retries", "0"])
        .assert()
        .success()
        .stdout_eq(transcript("min-errors-no-traffic.txt"))
        .stderr_eq(str![""]);
    lookout(root)
        .args(["explain", "web"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: `web` names no SLO: write SERVICE/SLO, e.g. `checkout/availability`

"#]]);
    lookout(root)
        .args(["explain", "web/availabilty"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: no SLO `web/availabilty`: did you mean `web/availability`? the project's SLOs: web/availability

"#]]);
    lookout(root)
        .args(["explain", "web/availability", "--traffic", "0"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: --traffic must be a positive number of events per second, got 0

"#]]);
}

#[test]
fn every_kind_of_failure_exits_non_zero_with_its_message() {
    let project = project();
    let root = project.path();
    // Usage errors exit 2, as clap's do.
    lookout(root)
        .args(["build", "--bogus"])
        .assert()
        .code(2)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: unexpected argument '--bogus' found

Usage: lookout build [OPTIONS]

For more information, try '--help'.

"#]]);
    lookout(root)
        .args(["plan", "--only", "prom"])
        .assert()
        .code(2)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: invalid value 'prom' for '--only <TARGETS>'
  [possible values: prometheus, mimir, loki, grafana, elasticsearch, kibana, alertmanager]

  tip: a similar value exists: 'prometheus'

For more information, try '--help'.

"#]]);
    lookout(root)
        .args(["schema", "bogus"])
        .assert()
        .code(2)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: invalid value 'bogus' for '[WHICH]'
  [possible values: spec, config]

For more information, try '--help'.

"#]]);
    lookout(root)
        .args(["completions", "nosh"])
        .assert()
        .code(2)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: invalid value 'nosh' for '<SHELL>'
  [possible values: bash, elvish, fish, powershell, zsh]

  tip: a similar value exists: 'zsh'

For more information, try '--help'.

"#]]);
    // `init` into a file, not a folder.
    lookout(root)
        .args(["init", "lookout.yaml"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: lookout.yaml is a file; `lookout init` takes a folder

"#]]);
    // No lookout.yaml anywhere above the directory.
    let empty = tempfile::tempdir().unwrap();
    lookout(empty.path())
        .arg("build")
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
lookout::spec::no-slos-dir

  × slos: SLO directory not found
  help: create it and add one `<service>.yaml` per service, or pass --slos DIR

build failed: 1 error; nothing was written

"#]]);
    // Drift: an output edited by hand.
    lookout(root).arg("build").assert().success();
    let rules = root.join("rules/web.yaml");
    let edited = std::fs::read_to_string(&rules)
        .unwrap()
        .replacen("objective", "objectiv", 1);
    std::fs::write(&rules, edited).unwrap();
    lookout(root)
        .arg("check")
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
"#]])
        .stderr_eq(str![[r#"
drift: rules/web.yaml differs from what the specs compile to
    --- rules/web.yaml
    +++ generated
    @@ -126,5 +126,5 @@
           slo: availability
           team: platform
    -  - record: slo:objectiv:ratio
    +  - record: slo:objective:ratio
         expr: vector(0.999)
         labels:
check failed: 1 file out of date (run `lookout build`)

"#]]);
    lookout(root)
        .args(["check", "--format", "github"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
::error file=rules/web.yaml,title=lookout%3A%3Adrift::rules/web.yaml is out of date with slos/: run `lookout build` and commit the result

"#]])
        .stderr_eq(str![""]);
    // A file lookout did not write is in the export's way.
    write(root, "openslo/web.yaml", "# mine\n");
    lookout(root)
        .args(["export", "openslo"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
"#]])
        .stderr_eq(str![[r#"
lookout::export::exists

  × openslo/web.yaml: this file exists and was not written by lookout
  help: move it away, or export into another folder with --out

export failed: 1 error; nothing was written

"#]]);
    // Not OpenSLO, and OpenSLO lookout cannot express.
    write(
        root,
        "foreign/sloth.yaml",
        "version: prometheus/v1\nservice: web\nslos: []\n",
    );
    write(
        root,
        "foreign/datadog.yaml",
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: web}\nspec:\n  service: web\n  budgetingMethod: Occurrences\n  indicator:\n    metadata: {name: web}\n    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Datadog, spec: {query: 'sum:ok{*}'}}}\n        total: {metricSource: {type: Datadog, spec: {query: 'sum:all{*}'}}}\n  timeWindow: [{duration: 2M, isRolling: false, calendar: {startTime: '2022-01-01 00:00:00', timeZone: UTC}}]\n  objectives: [{target: 0.999}]\n",
    );
    lookout(root)
        .args(["import", "openslo", "foreign", "--out", "imported"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
"#]])
        .stderr_eq(str![[r#"
lookout::import::not-openslo

  × not an OpenSLO document: found `version: prometheus/v1`
   ╭─[foreign/sloth.yaml:1:1]
 1 │ version: prometheus/v1
   · ─
 2 │ service: web
 3 │ slos: []
   ╰────
  help: this is a Sloth spec: use `lookout import sloth`

lookout::import::calendar-window

  × SLO `web`'s calendar window `2M` is not a week, a month or a quarter
    ╭─[foreign/datadog.yaml:14:27]
 12 │         good: {metricSource: {type: Datadog, spec: {query: 'sum:ok{*}'}}}
 13 │         total: {metricSource: {type: Datadog, spec: {query: 'sum:all{*}'}}}
 14 │   timeWindow: [{duration: 2M, isRolling: false, calendar: {startTime: '2022-01-01 00:00:00', timeZone: UTC}}]
    ·                           ──
 15 │   objectives: [{target: 0.999}]
    ╰────
  help: lookout's calendar periods are `1w` (from Monday), `1M` and `1Q`; for another length use a
        rolling window, `isRolling: true`

lookout::import::data-source

  × this metric comes from `Datadog`, which lookout cannot query
    ╭─[foreign/datadog.yaml:12:15]
 10 │       ratioMetric:
 11 │         counter: true
 12 │         good: {metricSource: {type: Datadog, spec: {query: 'sum:ok{*}'}}}
    ·               ─
 13 │         total: {metricSource: {type: Datadog, spec: {query: 'sum:all{*}'}}}
 14 │   timeWindow: [{duration: 2M, isRolling: false, calendar: {startTime: '2022-01-01 00:00:00', timeZone: UTC}}]
    ╰────
  help: lookout writes Prometheus rules: only Prometheus-compatible sources (Prometheus, Thanos,
        Cortex, Mimir, VictoriaMetrics) import; give the query in PromQL with `type: Prometheus`

lookout::import::data-source

  × this metric comes from `Datadog`, which lookout cannot query
    ╭─[foreign/datadog.yaml:13:16]
 11 │         counter: true
 12 │         good: {metricSource: {type: Datadog, spec: {query: 'sum:ok{*}'}}}
 13 │         total: {metricSource: {type: Datadog, spec: {query: 'sum:all{*}'}}}
    ·                ─
 14 │   timeWindow: [{duration: 2M, isRolling: false, calendar: {startTime: '2022-01-01 00:00:00', timeZone: UTC}}]
 15 │   objectives: [{target: 0.999}]
    ╰────
  help: lookout writes Prometheus rules: only Prometheus-compatible sources (Prometheus, Thanos,
        Cortex, Mimir, VictoriaMetrics) import; give the query in PromQL with `type: Prometheus`

import failed: 4 errors; nothing was written (--keep-going writes what converts)

"#]]);
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
    lookout(root)
        .arg("build")
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
lookout::spec::unknown-field

  × unknown field `owner`
   ╭─[slos/api.yaml:3:1]
 1 │ service: api
 2 │ team: platform
 3 │ owner: me
   · ──┬──
   ·   ╰── not a known field here
 4 │ slos:
 5 │   - name: availability
   ╰────
  help: expected one of: version, service, team, labels, depends_on, runbook, slos, signals, logs,
        canary

lookout::spec::objective-range

  × objective must be a percentage between 0 and 100 (exclusive), got 100
   ╭─[slos/web.yaml:5:16]
 3 │ slos:
 4 │   - name: availability
 5 │     objective: 100
   ·                ─┬─
   ·                 ╰── out of range
 6 │     sli:
 7 │       events:
   ╰────
  help: e.g. `objective: 99.9` for 99.9%

build failed: 2 errors; nothing was written

"#]]);
    std::fs::remove_file(root.join("slos/api.yaml")).unwrap();
    // Targets that cannot be reached.
    write(root, "slos/web.yaml", SPEC);
    lookout(root)
        .arg("plan")
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
prometheus
  x prometheus: cannot read the rules Prometheus runs: GET http://127.0.0.1:1/api/v1/rules: connection failed (Connection refused (os error 111)) (after 5 attempts)

Plan incomplete: prometheus failed (see above); the totals below may miss its changes.
Plan: 0 to create, 0 to update, 0 to delete, 0 conflicts, 0 unchanged. (objects no spec declares are kept; --prune deletes them)

"#]])
        .stderr_eq(str![[r#"
prometheus: reading live state
prometheus: failed: cannot read the rules Prometheus runs: GET http://127.0.0.1:1/api/v1/rules: connection failed (Connection refused (os error 111)) (after 5 attempts)
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]]);
    lookout(root)
        .arg("apply")
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
prometheus
  x prometheus: cannot read the rules Prometheus runs: GET http://127.0.0.1:1/api/v1/rules: connection failed (Connection refused (os error 111)) (after 5 attempts)

TARGET         CREATED UPDATED DELETED  UNCHANGED  CONFLICT  FAILED
prometheus           0       0       0          0         0       1

apply failed: 1 failure (see above)

"#]])
        .stderr_eq(str![[r#"
prometheus: reading live state
prometheus: failed: cannot read the rules Prometheus runs: GET http://127.0.0.1:1/api/v1/rules: connection failed (Connection refused (os error 111)) (after 5 attempts)
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]]);
    assert!(
        !root.join("live-rules").exists(),
        "apply wrote rules without reading the live state"
    );
    lookout(root)
        .arg("status")
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
"#]])
        .stderr_eq(str![[r#"
error: GET http://127.0.0.1:1/api/v1/query?query=slo%3Asli_error%3Aratio_rate30d: connection failed (Connection refused (os error 111)) (after 5 attempts)

"#]]);
    // The deploy gate cannot tell without Prometheus: an error (1), not
    // inconclusive (5), so a CI that accepts 5 still stops.
    lookout(root)
        .arg("gate")
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: GET http://127.0.0.1:1/api/v1/query?query=slo%3Asli_error%3Aratio_rate30d: connection failed (Connection refused (os error 111)) (after 5 attempts)

"#]]);
}

/// Sloth's spec folder in one import: what converts is written, what
/// cannot is located at its line with what to do; a second run writes
/// nothing over the first.
#[test]
fn import_sloth_converts_specs_and_locates_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "sloth/api.yml",
        r#"version: "prometheus/v1"
service: "api"
labels:
  owner: "platform"
slos:
  - name: "requests-availability"
    objective: 99.5
    description: "Requests answered without a server error."
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="api",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="api"}[{{.window}}]))
    alerting:
      name: "ApiHighErrorRate"
      labels:
        category: "availability"
      annotations:
        runbook: "https://runbooks.example.com/api"
      page_alert:
        labels:
          severity: "pageteam"
      ticket_alert:
        disable: true
"#,
    );
    lookout(root)
        .args(["import", "sloth", "sloth", "--out", "slos"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
  created slos/api.yaml (1 SLO)
next: lookout.yaml's `severities:` lacks pageteam, which the specs use (--add-severities adds them); then run `lookout build`

"#]])
        .stderr_eq(str![[r#"
"#]]);
    snapbox::assert_data_eq!(
        std::fs::read_to_string(root.join("slos/api.yaml")).unwrap(),
        str![[r##"
# Imported by `lookout import sloth` from sloth/api.yml.
# What changed meaning for every SLO:
# - every window is a ratio of sums, the period too (Sloth averages the
#   period's 5m ratios, which weighs a quiet hour like a busy one);
# - series and alerts carry `service` and `slo` labels (Sloth: `sloth_service`,
#   `sloth_slo`, `sloth_id`), and alerts `slo_severity: page|ticket` (Sloth:
#   `sloth_severity`): update Alertmanager routes and dashboards that match them;
# - alerts carry lookout's summary, description and runbook link.
service: api
labels:
  owner: platform
slos:
- name: requests-availability
  description: Requests answered without a server error.
  objective: 99.5
  sli:
    events:
      errors: 'sum(rate(http_request_duration_seconds_count{job="api",code=~"(5..|429)"}[{{window}}]))'
      total: 'sum(rate(http_request_duration_seconds_count{job="api"}[{{window}}]))'
  alerting:
    name: ApiHighErrorRate
    labels:
      category: availability
    runbook: https://runbooks.example.com/api
    page:
      severity: pageteam
    ticket:
      enabled: false

"##]]
    );
    // The same again: the spec is there, and import never overwrites.
    lookout(root)
        .args(["import", "sloth", "sloth", "--out", "slos"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
unchanged slos/api.yaml (1 SLO)
next: lookout.yaml's `severities:` lacks pageteam, which the specs use (--add-severities adds them); then run `lookout build`

"#]])
        .stderr_eq(str![[r#"
"#]]);
    // A Go template lookout does not read, and a plugin it cannot run.
    write(
        root,
        "broken/api.yml",
        r#"version: "prometheus/v1"
service: "api"
slos:
  - name: "latency"
    objective: 99
    sli:
      raw:
        error_ratio_query: 1 - {{.window | printf "%s"}}
  - name: "plugin"
    objective: 99
    sli:
      plugin:
        id: "sloth-common/kubernetes/apiserver/availability"
"#,
    );
    lookout(root)
        .args(["import", "sloth", "broken", "--out", "more"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
lookout::import::template

  × this query uses Go template syntax lookout does not read: `{{.window | printf "%s"}}`
    ╭─[broken/api.yml:8:28]
  6 │     sli:
  7 │       raw:
  8 │         error_ratio_query: 1 - {{.window | printf "%s"}}
    ·                            ─────────────────────────────
  9 │   - name: "plugin"
 10 │     objective: 99
    ╰────
  help: queries may use `{{.window}}` only; write the rest out

lookout::import::sli-plugin

  × SLO `plugin` takes its SLI from Sloth's Go plugin `sloth-common/kubernetes/apiserver/
  │ availability`, which lookout cannot run
    ╭─[broken/api.yml:13:9]
 11 │     sli:
 12 │       plugin:
 13 │         id: "sloth-common/kubernetes/apiserver/availability"
    ·         ─
    ╰────
  help: write the queries the plugin builds as `sli.events` (`error_query` and `total_query` over
        `[{{.window}}]`) or `sli.raw`, then import again

import failed: 2 errors; nothing was written (--keep-going writes what converts)

"#]]);
    assert!(!root.join("more").exists(), "a failed import wrote files");
}

/// `plan`, `apply`, `plan` again and `status` against live systems: a
/// Grafana and a Loki ruler (the in-process fakes), and a Prometheus whose
/// query API answers as a loaded project's would.
#[test]
fn plan_apply_and_status_against_live_systems() {
    use support::fake::{FakeServer, Reply};
    let grafana = support::fakes::grafana(None);
    let loki = support::fakes::loki("platform");
    // Every query of `status` answered for web/availability: a 0.05%
    // error ratio over every window, 75% of the budget left, series
    // that began long ago, and the spec's objective.
    let prometheus = FakeServer::start(|request| {
        let query = request.query("query").unwrap_or_default();
        if query.starts_with("ALERTS{") {
            // No page pending or firing, for `gate`.
            return Reply::json(
                200,
                &serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": []}}),
            );
        }
        let value = if query.contains("timestamp(") {
            "0"
        } else if query == "slo:objective:ratio" {
            "0.999"
        } else if query.starts_with("1 - ") {
            "0.75"
        } else {
            "0.0005"
        };
        Reply::json(
            200,
            &serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"service": "web", "slo": "availability"}, "value": [0, value]}
            ]}}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "lookout.yaml",
        &format!(
            "runbooks: {{base_url: https://runbooks.example.com}}\npush: [grafana, loki]\ngrafana: {{url: '{}'}}\nloki: {{url: '{}', tenant: platform}}\nprometheus: {{url: '{}'}}\n",
            grafana.url(),
            loki.url(),
            prometheus.url()
        ),
    );
    write(root, "slos/web.yaml", SPEC);
    write(
        root,
        "slos/edge.yaml",
        r#"service: edge
logs:
  - name: access
    source: {files: [/var/log/nginx/access.log]}
    format: nginx
    destinations: [loki]
slos:
  - name: errors
    objective: 99
    sli:
      logs:
        source: access
        errors: '| status >= 500'
"#,
    );
    let urls = || {
        vec![
            ("[GRAFANA]", grafana.url()),
            ("[LOKI]", loki.url()),
            ("[PROMETHEUS]", prometheus.url()),
        ]
    };
    // A plan with changes exits 3, as `terraform plan -detailed-exitcode`.
    // Targets run at once, so their progress lines interleave: stderr is
    // compared line for line, in any order.
    lookout_with(root, &urls())
        .arg("plan")
        .assert()
        .code(3)
        .stdout_eq(str![[r#"
loki
  + rule group default:edge/lookout:edge:errors:logs
grafana
  + folder lookout-slos
      SLOs
  + dashboard lookout-edge
  + dashboard lookout-overview-default
  + dashboard lookout-web

Plan: 5 to create, 0 to update, 0 to delete, 0 conflicts, 0 unchanged. (objects no spec declares are kept; --prune deletes them)

"#]])
        .stderr_eq(str![[r#"
loki: reading live state
grafana: reading live state
loki: 1 to create
grafana: 4 to create
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]].unordered());
    lookout_with(root, &urls())
        .arg("apply")
        .assert()
        .success()
        .stdout_eq(str![[r#"
loki
  + rule group default:edge/lookout:edge:errors:logs
grafana
  + folder lookout-slos
  + dashboard lookout-edge
  + dashboard lookout-overview-default
  + dashboard lookout-web

TARGET         CREATED UPDATED DELETED  UNCHANGED  CONFLICT  FAILED
loki                 1       0       0          0         0       0
grafana              4       0       0          0         0       0

applied: 5 writes

"#]])
        .stderr_eq(
            str![[r#"
loki: reading live state
grafana: reading live state
grafana: create folder lookout-slos
grafana: create dashboard lookout-web
loki: 1 created
grafana: create dashboard lookout-edge
grafana: 4 created
loki: create rule group default:edge/lookout:edge:errors:logs
grafana: create dashboard lookout-overview-default
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]]
            .unordered(),
        );
    lookout_with(root, &urls())
        .arg("plan")
        .assert()
        .success()
        .stdout_eq(str![[r#"
loki
  = 1 unchanged
grafana
  = 4 unchanged

Plan: 0 to create, 0 to update, 0 to delete, 0 conflicts, 5 unchanged. (objects no spec declares are kept; --prune deletes them)

"#]])
        .stderr_eq(str![[r#"
loki: reading live state
grafana: reading live state
loki: 1 unchanged
grafana: 4 unchanged
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]].unordered());
    lookout_with(root, &urls())
        .args(["plan", "--format", "json", "--only", "loki"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
{
  "ok": true,
  "applied": false,
  "changes": false,
  "errors": 0,
  "setup_errors": [],
  "targets": [
    {
      "target": "loki",
      "changes": [
        {
          "kind": "rule group",
          "id": "default:edge/lookout:edge:errors:logs",
          "action": "unchanged"
        }
      ],
      "failures": [],
      "applied": 0
    }
  ]
}

"#]])
        .stderr_eq(str![[r#"
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]]);
    lookout_with(root, &urls())
        .arg("status")
        .assert()
        .success()
        .stdout_eq(str![[r#"
SERVICE              SLO                    OBJECTIVE WINDOW        SLI BUDGET LEFT  BURN 5m       1h       6h       3d
edge                 errors                       99%    30d          -           -        -        -        -        -  (see below)
    edge/errors: no data: the Loki ruler records this log SLO's 5m counts (rules/loki/edge.yaml) and remote-writes them here, and none has arrived: is the group loaded (lookout plan --only loki), and does the ruler's remote_write reach this Prometheus?
web                  availability               99.9%    30d    99.950%     75.000%    0.50x    0.50x    0.50x    0.50x

"#]])
        .stderr_eq(str![""]);
    // The deploy gate on the same answers: 75% left passes the default
    // floor, not one of 80%; an unknown service is an error.
    lookout_with(root, &urls())
        .args(["gate", "web"])
        .assert()
        .code(0)
        .stdout_eq(str![[r#"
SERVICE              SLO                            BUDGET LEFT     PAGE  VERDICT
web                  availability                       75.000%        -  pass: 75% of its budget is left, and no page
gate: pass (1 SLO judged, budget floor 0%)

"#]])
        .stderr_eq(str![""]);
    lookout_with(root, &urls())
        .args(["gate", "web/availability", "--min-budget", "80"])
        .assert()
        .code(4)
        .stdout_eq(str![[r#"
SERVICE              SLO                            BUDGET LEFT     PAGE  VERDICT
web                  availability                       75.000%        -  blocked: 75% of its budget is left, not above the floor of 80%
gate: blocked (1 SLO judged, budget floor 80%)

"#]])
        .stderr_eq(str![""]);
    lookout_with(root, &urls())
        .args(["gate", "web", "--format", "json"])
        .assert()
        .code(0)
        .stdout_eq(str![[r#"
{
  "verdict": "pass",
  "slos": [
    {
      "service": "web",
      "slo": "availability",
      "budget_remaining": 0.75,
      "page": null,
      "verdict": "pass",
      "why": "75% of its budget is left, and no page"
    }
  ]
}

"#]])
        .stderr_eq(str![""]);
    lookout_with(root, &urls())
        .args(["gate", "nope"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: no SLO or service named `nope`; the project has: edge/errors, web/availability

"#]]);
}

/// What goes wrong against live systems: a dashboard someone else owns at
/// lookout's uid is a conflict, in the plan and in the apply, and a ruler
/// that keeps failing is reported per rule group; apply exits 1, and the
/// other objects are still written.
#[test]
fn apply_reports_conflicts_and_failures_per_object() {
    use support::fake::Reply;
    let grafana = support::fakes::grafana(None);
    let loki = support::fakes::loki("platform");
    grafana.state.lock().unwrap().dashboards.insert(
        "lookout-web".into(),
        (
            serde_json::json!({"uid": "lookout-web", "title": "Someone's web", "tags": ["team"], "id": 7, "version": 1}),
            String::new(),
        ),
    );
    loki.faults.add(
        "POST /loki/api/v1/rules",
        100,
        Reply::json(500, &serde_json::json!({"message": "ruler unavailable"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "lookout.yaml",
        &format!(
            "runbooks: {{base_url: https://runbooks.example.com}}\npush: [grafana, loki]\ngrafana: {{url: '{}'}}\nloki: {{url: '{}', tenant: platform}}\n",
            grafana.url(),
            loki.url(),
        ),
    );
    write(root, "slos/web.yaml", SPEC);
    write(
        root,
        "slos/edge.yaml",
        "service: edge\nlogs:\n  - name: access\n    source: {files: [/var/log/nginx/access.log]}\n    format: nginx\n    destinations: [loki]\nslos:\n  - name: errors\n    objective: 99\n    sli:\n      logs:\n        source: access\n        errors: '| status >= 500'\n",
    );
    let urls = vec![("[GRAFANA]", grafana.url()), ("[LOKI]", loki.url())];
    lookout_with(root, &urls)
        .arg("plan")
        .assert()
        .code(3)
        .stdout_eq(str![[r#"
loki
  + rule group default:edge/lookout:edge:errors:logs
grafana
  + folder lookout-slos
      SLOs
  + dashboard lookout-edge
  + dashboard lookout-overview-default
  ! dashboard lookout-web
      a dashboard with this uid exists without the `lookout` tag: --adopt to take it over

Plan: 4 to create, 0 to update, 0 to delete, 1 conflict, 0 unchanged. (objects no spec declares are kept; --prune deletes them)

"#]])
        .stderr_eq(
            str![[r#"
loki: reading live state
grafana: reading live state
loki: 1 to create
grafana: 3 to create, 1 conflicts
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]]
            .unordered(),
        );
    lookout_with(root, &urls)
        .args(["apply", "--retries", "0"])
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
loki
  + rule group default:edge/lookout:edge:errors:logs
  x rule group default:edge/lookout:edge:errors:logs: POST [LOKI]/loki/api/v1/rules/default%3Aedge: HTTP 500: {"message":"ruler unavailable"}
grafana
  + folder lookout-slos
  + dashboard lookout-edge
  + dashboard lookout-overview-default
  ! dashboard lookout-web
      a dashboard with this uid exists without the `lookout` tag: --adopt to take it over
  x dashboard lookout-web: conflict: a dashboard with this uid exists without the `lookout` tag: --adopt to take it over

TARGET         CREATED UPDATED DELETED  UNCHANGED  CONFLICT  FAILED
loki                 0       0       0          0         0       1
grafana              3       0       0          0         1       1

apply failed: 2 failures (see above)

"#]])
        .stderr_eq(
            str![[r#"
loki: reading live state
grafana: reading live state
grafana: create folder lookout-slos
grafana: create dashboard lookout-edge
grafana: 3 created, 1 conflicts, 1 failed
loki: 1 failed
grafana: create dashboard lookout-overview-default
loki: create rule group default:edge/lookout:edge:errors:logs: failed: POST [LOKI]/loki/api/v1/rules/default%3Aedge: HTTP 500: {"message":"ruler unavailable"}
note: lookout.yaml sets no `project`, so this project's objects are marked `default`, as every unnamed project's are; name it before another project shares these systems

"#]]
            .unordered(),
        );
    // The dashboard that was not lookout's is as it was.
    let dashboards = &grafana.state.lock().unwrap().dashboards;
    assert_eq!(dashboards["lookout-web"].0["title"], "Someone's web");
    assert!(dashboards.contains_key("lookout-overview-default"));
}

/// `gate`'s other two answers, against a Prometheus that answers as one
/// would: inconclusive (5) while nothing is recorded and no rules are
/// loaded, blocked (4) while the page fires.
#[test]
fn gate_cannot_tell_before_the_rules_and_blocks_on_a_page() {
    use support::fake::{FakeServer, Reply};
    fn vector(result: serde_json::Value) -> Reply {
        Reply::json(
            200,
            &serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": result}}),
        )
    }
    let empty = FakeServer::start(move |request| {
        if request.route().starts_with("/api/v1/rules") {
            return Reply::json(
                200,
                &serde_json::json!({"status": "success", "data": {"groups": []}}),
            );
        }
        vector(serde_json::json!([]))
    });
    let paging = FakeServer::start(move |request| {
        let query = request.query("query").unwrap_or_default();
        let labels = serde_json::json!({"service": "web", "slo": "availability"});
        if query.starts_with("ALERTS{") && query.contains("firing") {
            return vector(serde_json::json!([{"metric": labels, "value": [0, "1"]}]));
        }
        if query.starts_with("ALERTS{") {
            return vector(serde_json::json!([]));
        }
        let value = if query.contains("timestamp(") {
            "0"
        } else if query.starts_with("1 - ") {
            "0.4"
        } else if query == "slo:objective:ratio" {
            "0.999"
        } else {
            "0.02"
        };
        vector(serde_json::json!([{"metric": labels, "value": [0, value]}]))
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "slos/web.yaml", SPEC);
    let configure = |server: &FakeServer| {
        write(
            root,
            "lookout.yaml",
            &format!(
                "project: shop\nrunbooks: {{base_url: https://runbooks.example.com}}\nprometheus: {{url: '{}'}}\n",
                server.url()
            ),
        );
    };
    configure(&empty);
    lookout(root)
        .arg("gate")
        .assert()
        .code(5)
        .stdout_eq(str![[r#"
SERVICE              SLO                            BUDGET LEFT     PAGE  VERDICT
web                  availability                             -        -  inconclusive: no data: the recorded series are empty; are the rules loaded (lookout plan), and do the SLI's selectors match (lookout check --live)?
gate: inconclusive (1 SLO judged, budget floor 0%)

"#]])
        .stderr_eq(str![""]);
    configure(&paging);
    lookout(root)
        .args(["gate", "--format", "json"])
        .assert()
        .code(4)
        .stdout_eq(str![[r#"
{
  "verdict": "blocked",
  "slos": [
    {
      "service": "web",
      "slo": "availability",
      "budget_remaining": 0.4,
      "page": "firing",
      "verdict": "blocked",
      "why": "its page alert is firing"
    }
  ]
}

"#]])
        .stderr_eq(str![""]);
    lookout(root)
        .arg("gate")
        .assert()
        .code(4)
        .stdout_eq(str![[r#"
SERVICE              SLO                            BUDGET LEFT     PAGE  VERDICT
web                  availability                       40.000%   firing  blocked: its page alert is firing
gate: blocked (1 SLO judged, budget floor 0%)

"#]])
        .stderr_eq(str![""]);
}

/// `backtest` and `report` on their error paths: a Prometheus that
/// refuses connections is an error (1), as are a month that is not one, a
/// span that ends before it starts and `--out` where `--output` is meant;
/// a zero `--since` is a usage error (2).
#[test]
fn backtest_and_report_fail_with_their_reasons() {
    let dir = project();
    let root = dir.path();
    lookout(root)
        .args(["backtest", "--retries", "0"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: GET http://127.0.0.1:1/api/v1/query_range?query=%28sum%28rate%28http_requests_total%7Bjob%3D%22web%22%2Ccode%3D~%225..%22%7D%5B5m%5D%29%29%29%20or%20%280%20%2A%20%28sum%28rate%28http_requests_total%7Bjob%3D%22web%22%7D%5B5m%5D%29%29%29%29&start=[..]&end=[..]&step=60: connection failed (Connection refused (os error 111))

"#]]);
    lookout(root)
        .args(["backtest", "--since", "0m"])
        .assert()
        .code(2)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: invalid value '0m' for '--since <DURATION>': `0m` is not a positive Prometheus duration such as `30d`

For more information, try '--help'.

"#]]);
    lookout(root)
        .args(["backtest", "nope"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: no SLO or service named `nope`; the project has: web/availability

"#]]);
    lookout(root)
        .args(["report", "--period", "2026-13"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: `--period 2026-13` is not a month such as 2026-11

"#]]);
    lookout(root)
        .args([
            "report",
            "--from",
            "2026-11-02T00:00:00Z",
            "--to",
            "2026-11-01T00:00:00Z",
        ])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: --to must be after --from

"#]]);
    lookout(root)
        .args(["report", "--out", "report.html"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: report writes its file with --output FILE; --out is the project's output folder

"#]]);
    lookout(root)
        .args(["report", "--period", "2026-11", "--retries", "0"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: GET http://127.0.0.1:1/api/v1/query?query=ALERTS%7Bservice%3D%22web%22%2Cslo%3D%22availability%22%2Calertstate%3D%22firing%22%2Cslo_severity%3D~%22.%2B%22%7D%5B2592000s%5D&time=1796083200: connection failed (Connection refused (os error 111))

"#]]);
}

/// `backtest` where the SLI's series exist nowhere: a note on its row and
/// a warning naming each selector that matched nothing over the span.
#[test]
fn backtest_names_the_selectors_that_match_nothing() {
    use support::fake::{FakeServer, Reply};
    let prometheus = FakeServer::start(|request| {
        if request.route().starts_with("/api/v1/status/config") {
            return Reply::json(
                200,
                &serde_json::json!({"status": "success", "data": {"yaml": "global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n"}}),
            );
        }
        let kind = if request.route().starts_with("/api/v1/query_range") {
            "matrix"
        } else {
            "vector"
        };
        Reply::json(
            200,
            &serde_json::json!({"status": "success", "data": {"resultType": kind, "result": []}}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "slos/web.yaml", SPEC);
    write(
        root,
        "lookout.yaml",
        &format!(
            "project: shop\nrunbooks: {{base_url: https://runbooks.example.com}}\nprometheus: {{url: '{}'}}\n",
            prometheus.url()
        ),
    );
    lookout(root)
        .args(["backtest", "--since", "1d"])
        .assert()
        .code(0)
        .stdout_eq(str![[r#"
backtest from [..] to [..], replayed every 1m (long windows every 5m)
web/availability: SLI -, budget spent -, 0 page, 0 ticket
  note: no data: `sum(rate(http_requests_total{job="web"}[5m]))` returns nothing over the span; do its selectors match (lookout check --live)?

"#]])
        .stderr_eq(str![[r#"
warning: web/availability: `http_requests_total{code=~"5..",job="web"}` matches no series from [..] to [..]
warning: web/availability: `http_requests_total{job="web"}` matches no series from [..] to [..]

"#]]);
}

/// `lookout help` answers for a command and for a diagnostic code, as
/// printed under an error or bare, and names the nearest on a typo.
#[test]
fn help_explains_a_command_or_a_diagnostic_code() {
    let dir = tempfile::tempdir().unwrap();
    lookout(dir.path())
        .args(["help", "lookout::spec::unknown-field"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
lookout::spec::unknown-field

error. A spec or `lookout.yaml` has a key lookout does not know at that place, e.g. `objectve: 99.9` or `grafna:`. The rest of the document is still checked.

Fix: Correct the spelling (the help suggests the closest field), or remove the key.

"#]])
        .stderr_eq(str![""]);
    lookout(dir.path())
        .args(["help", "live::retention-unknown"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
lookout::live::retention-unknown

note. `check --live`: lookout cannot tell how long Prometheus keeps data: `/api/v1/status/runtimeinfo` reports no retention (Mimir, Thanos), a size-only retention, or one lookout cannot read.

Fix: Make sure the backend keeps at least the longest SLO window, and twice it for the burndown; the help gives the numbers.

"#]])
        .stderr_eq(str![""]);
    lookout(dir.path())
        .args(["help", "spec::unknown-feild"])
        .assert()
        .code(1)
        .stdout_eq(str![""])
        .stderr_eq(str![[r#"
error: `spec::unknown-feild` is neither a command nor a diagnostic code; did you mean `spec::unknown-field`? (the codes are listed in the book's reference, docs/src/reference/errors.md)

"#]]);
    let long = lookout(dir.path())
        .args(["help", "gate"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let expected = std::fs::read_to_string("tests/transcripts/help/gate.txt").unwrap();
    assert_eq!(String::from_utf8(long).unwrap(), expected);
}
