//! `lookout import sloth` on every example of Sloth's own repository
//! (`../shared/conformance/sloth/examples`, Sloth v0.16.0): what each
//! becomes, or why it cannot, as snapshots of the specs written and the
//! diagnostics at the Sloth files' lines. The imported specs must then
//! compile; `tests/conformance.rs` proves their alerts equal Sloth's.

use std::path::{Path, PathBuf};

use lookout::import::SlothOptions;
use lookout::ops::{import_sloth, ImportRequest};

const EXAMPLES: &str = "../shared/conformance/sloth/examples";

fn import(paths: &[PathBuf], options: SlothOptions) -> (String, tempfile::TempDir, bool) {
    let out = tempfile::tempdir().unwrap();
    let report = import_sloth(&ImportRequest {
        paths: paths.to_vec(),
        out: out.path().to_path_buf(),
        options,
    })
    .unwrap();
    let mut text = report.diagnostics.render(false);
    for (path, action, slos) in &report.files {
        let name = path.file_name().unwrap().to_string_lossy();
        text.push_str(&format!("--- {name} ({action:?}, {slos} SLOs)\n"));
        text.push_str(&std::fs::read_to_string(path).unwrap());
    }
    let ok = !report.diagnostics.has_errors();
    (text, out, ok)
}

/// `text` as a Sloth file of its own, in a temporary folder.
fn sloth_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// Every example Sloth ships: the ones lookout can express import, the
/// others (Go SLI plugins, rule-rewriting SLO plugins, OpenSLO) fail with
/// a located diagnostic and write nothing.
#[test]
fn every_sloth_example_imports_or_says_why() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(EXAMPLES)
        .expect("../shared/conformance/sloth is checked out beside this repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    examples.sort();
    assert!(examples.len() >= 18, "examples went missing: {examples:?}");
    let mut imported = 0;
    for example in &examples {
        let (text, out, ok) = import(std::slice::from_ref(example), SlothOptions::default());
        let name = example.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("sloth-{name}"), text);
        let written = std::fs::read_dir(out.path()).unwrap().count();
        if !ok {
            assert_eq!(written, 0, "{name}: failed but wrote files");
            continue;
        }
        imported += 1;
        // What was written compiles, given the severities it names.
        let files: Vec<(PathBuf, String)> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                (path, text)
            })
            .collect();
        let refs: Vec<(&Path, String)> = files
            .iter()
            .map(|(p, t)| (p.as_path(), t.clone()))
            .collect();
        let (model, diags) = lookout::check::compile_texts(
            Some("runbooks: {base_url: https://runbooks.example.com}\nseverities: [critical, warning, info, pageteam, slack, home]\n"),
            &refs,
        );
        assert!(
            model.is_some() && !diags.has_errors(),
            "{name}: the imported specs do not compile:\n{}",
            diags.render(false)
        );
    }
    assert_eq!(imported, 12, "examples imported");
}

/// A key Sloth does not know is a warning that names it, never a silent
/// drop; a misspelt required key is then also the missing-field error.
#[test]
fn unknown_keys_are_warnings_and_mistakes_are_located() {
    let (dir, file) = sloth_file(
        "typo.yml",
        r#"version: "prometheus/v1"
service: "api"
owner: "team-a"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_querry: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
  - name: "Latency"
    objective: 99
    sli:
      raw:
        error_ratio_query: 1 - avg_over_time(up[{{.window}}]) / {{.service}}
"#,
    );
    let (text, _out, ok) = import(std::slice::from_ref(&file), SlothOptions::default());
    assert!(!ok);
    let text = text.replace(&*dir.path().to_string_lossy(), "[DIR]");
    insta::assert_snapshot!("sloth-mistakes", text);
}

/// Sloth takes the period from a flag; lookout writes it into each SLO.
#[test]
fn the_sloth_period_becomes_each_slos_window() {
    let example = Path::new(EXAMPLES).join("getting-started.yml");
    let (text, _out, ok) = import(
        &[example],
        SlothOptions {
            period: lookout::model::Duration::days(28),
        },
    );
    assert!(ok, "{text}");
    assert!(text.contains("\n  window: '28d'\n"), "{text}");
}

/// Sloth allows names lookout does not (they become labels and uids):
/// each is an error at its line, with a name to use instead.
#[test]
fn names_lookout_cannot_take_are_located_with_a_suggestion() {
    let (dir, file) = sloth_file(
        "names.yml",
        r#"version: "prometheus/v1"
service: "Payments_API"
slos:
  - name: "Latency P99"
    objective: 99
    sli:
      raw:
        error_ratio_query: 1 - avg_over_time(up[{{.window}}]) + {{.service}}
"#,
    );
    let (text, out, ok) = import(std::slice::from_ref(&file), SlothOptions::default());
    assert!(!ok);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    let text = text.replace(&*dir.path().to_string_lossy(), "[DIR]");
    insta::assert_snapshot!("sloth-names", text);
}

/// Without `alerting:`, Sloth pages and tickets with no severity label;
/// the imported SLO alerts too, with lookout's default severities, which
/// the header notes and the report lists for lookout.yaml.
#[test]
fn an_slo_without_alerting_gets_both_tiers_and_says_which_severities() {
    let (_dir, file) = sloth_file(
        "bare.yml",
        r#"version: "prometheus/v1"
service: "api"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
"#,
    );
    let out = tempfile::tempdir().unwrap();
    let report = import_sloth(&ImportRequest {
        paths: vec![file],
        out: out.path().to_path_buf(),
        options: SlothOptions::default(),
    })
    .unwrap();
    assert!(!report.diagnostics.has_errors());
    let severities: Vec<&str> = report.severities.iter().map(String::as_str).collect();
    assert_eq!(severities, ["critical", "warning"]);
    let spec = std::fs::read_to_string(out.path().join("api.yaml")).unwrap();
    assert!(spec.contains("# - availability: the page alert carries `severity: critical`, lookout's default (Sloth set no severity)"), "{spec}");
    assert!(spec.contains("# - availability: the ticket alert carries `severity: warning`, lookout's default (Sloth set no severity)"), "{spec}");
    assert!(!spec.contains("alerting:"), "{spec}");
}
