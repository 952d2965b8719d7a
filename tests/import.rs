//! `lookout import sloth` on every example of Sloth's own repository
//! (`../shared/conformance/sloth/examples`, Sloth v0.16.0): what each
//! becomes, or why it cannot, as snapshots of the specs written and the
//! diagnostics at the Sloth files' lines. The imported specs must then
//! compile; `tests/conformance.rs` proves their alerts equal Sloth's.

mod support;

use std::path::{Path, PathBuf};

use lookout::import::SlothOptions;
use lookout::ops::{import as run_import, ImportFormat, ImportRequest};

const EXAMPLES: &str = "../shared/conformance/sloth/examples";

fn import(paths: &[PathBuf], options: SlothOptions) -> (String, tempfile::TempDir, bool) {
    import_as(paths, ImportFormat::Sloth(options))
}

/// The diagnostics, then each file written, as one text; and whether the
/// import succeeded.
fn import_as(paths: &[PathBuf], format: ImportFormat) -> (String, tempfile::TempDir, bool) {
    let out = tempfile::tempdir().unwrap();
    let report = run_import(&ImportRequest {
        paths: paths.to_vec(),
        out: out.path().to_path_buf(),
        format,
        keep_going: false,
        add_severities: false,
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

/// An import that must fail and write nothing; its text, with `dir`
/// shown as `[DIR]` for the snapshot.
fn refused((text, out, ok): (String, tempfile::TempDir, bool), dir: &Path) -> String {
    assert!(!ok, "{text}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    text.replace(&*dir.to_string_lossy(), "[DIR]")
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
        let compiled = lookout::check::compile_texts(
            Some("runbooks: {base_url: https://runbooks.example.com}\nseverities: [critical, warning, info, pageteam, slack, home]\n"),
            &refs,
        );
        if let Err(diags) = compiled {
            panic!(
                "{name}: the imported specs do not compile:\n{}",
                diags.render(false)
            );
        }
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
    let text = refused(
        import(std::slice::from_ref(&file), SlothOptions::default()),
        dir.path(),
    );
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
    let report = run_import(&ImportRequest {
        paths: vec![file],
        out: out.path().to_path_buf(),
        format: ImportFormat::Sloth(SlothOptions::default()),
        keep_going: false,
        add_severities: false,
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

const OPENSLO: &str = "../shared/conformance/openslo";

fn import_openslo(paths: &[PathBuf]) -> (String, tempfile::TempDir, bool) {
    import_as(paths, ImportFormat::Openslo)
}

/// Every `*.yaml`, `*.yml` and `*.json` under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The imported specs compile with lookout's own checks.
fn assert_builds(out: &Path, name: &str) {
    let specs: Vec<(PathBuf, String)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    let files: Vec<(&Path, String)> = specs
        .iter()
        .map(|(p, t)| (p.as_path(), t.clone()))
        .collect();
    let compiled = lookout::check::compile_texts(
        Some("runbooks: {base_url: https://runbooks.example.com}\n"),
        &files,
    );
    if let Err(diagnostics) = compiled {
        panic!(
            "{name}: the imported specs do not compile:\n{}",
            diagnostics.render(false)
        );
    }
}

/// Every OpenSLO object file in the upstream spec repository, the go-sdk
/// (its examples, its decoding and reference-inlining inputs) and the
/// oslo CLI, and Sloth's OpenSLO examples: what each becomes, or why it
/// cannot, at the source line. What imports must compile.
#[test]
fn every_openslo_example_imports_or_says_why() {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for dir in [
        "OpenSLO/examples",
        "go-sdk/pkg/openslo/v1/examples",
        "go-sdk/pkg/openslo/v1alpha/examples",
        "go-sdk/pkg/openslo/v2alpha/examples",
        "go-sdk/pkg/openslosdk/test_data/decode",
        "go-sdk/pkg/openslosdk/test_data/inline/inputs",
        "oslo/test/inputs/validate",
    ] {
        inputs.extend(files_under(&Path::new(OPENSLO).join(dir)));
    }
    for sloth in [
        "openslo-getting-started.yml",
        "openslo-kubernetes-apiserver.yml",
    ] {
        inputs.push(Path::new(EXAMPLES).join(sloth));
    }
    assert!(inputs.len() >= 40, "examples went missing: {inputs:?}");
    let mut imported = 0;
    for input in &inputs {
        let (text, out, ok) = import_openslo(std::slice::from_ref(input));
        let name = input
            .strip_prefix(OPENSLO)
            .or_else(|_| input.strip_prefix(EXAMPLES))
            .unwrap()
            .to_string_lossy()
            .replace(['/', '.'], "-");
        insta::assert_snapshot!(format!("openslo-{name}"), text);
        let written = std::fs::read_dir(out.path()).unwrap().count();
        if ok {
            assert!(written > 0, "{name}: succeeded but wrote nothing");
            assert_builds(out.path(), &name);
            imported += 1;
        } else {
            assert_eq!(written, 0, "{name}: failed but wrote files");
        }
    }
    // Sloth's two, at least; most upstream examples use calendar windows
    // or non-Prometheus sources, which are refused with a reason.
    assert!(imported >= 2, "only {imported} imported");
}

/// Every mapping the importer makes, on one catalogue of objects that
/// refer to each other across files: the spec it writes (by hand: each
/// query below is the OpenSLO query with `{{.window}}`, or the rate and
/// slice forms the module doc gives), and that it compiles.
#[test]
fn every_openslo_mapping_on_a_catalogue() {
    let (text, out, ok) = import_openslo(&[PathBuf::from("tests/fixtures/openslo")]);
    assert!(ok, "{text}");
    insta::assert_snapshot!("openslo-catalogue", text);
    assert_builds(out.path(), "catalogue");
    let checkout = std::fs::read_to_string(out.path().join("checkout.yaml")).unwrap();
    for expected in [
        // bad/total by reference, through a DataSource: as written.
        r#"errors: 'sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{window}}]))'"#,
        // good/total counters read without a window: their rates; errors
        // are total minus good, a missing good series counting as none.
        r#"errors: '(sum(rate(http_requests_total{job="checkout"}[{{window}}]))) - ((sum(rate(http_requests_total{code!~"5..",job="checkout"}[{{window}}]))) or (sum(rate(http_requests_total{job="checkout"}[{{window}}]))) * 0)'"#,
        // a threshold: the share of minutes on the wrong side of `value`.
        r#"error_ratio: '1 - avg(avg_over_time((max(kafka_consumergroup_lag{consumergroup="checkout"}) <= bool 1000)[{{window}}:1m]))'"#,
        // Timeslices: a 1m slice is bad when over 1 - 0.95 of it failed.
        r#"error_ratio: 'avg_over_time((((sum(rate(http_requests_total{job="checkout",code=~"5.."}[1m]))) / (sum(rate(http_requests_total{job="checkout"}[1m])))) > bool 0.05)[{{window}}:1m])'"#,
        // RatioTimeslices: the mean of the 5m slices' ratios.
        r#"error_ratio: 'avg_over_time(((sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m]))) / (sum(rate(http_requests_total{job="checkout"}[5m]))))[{{window}}:5m])'"#,
        "objective: 99.9\n",
        "objective: 99.5\n",
        "window: '4w'\n",
        "team: payments\n",
    ] {
        assert!(
            checkout.contains(expected),
            "missing {expected}:\n{checkout}"
        );
    }
}

/// Mistakes and what lookout cannot express, each located.
#[test]
fn openslo_mistakes_are_located_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mistakes.yaml");
    std::fs::write(
        &file,
        r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: composite
spec:
  service: web
  indicatorRef: no-such-sli
  budgetingMethod: Occurrences
  timeWindow: [{duration: 1M, isRolling: true}]
  objectives:
    - target: 0.999
      compositeWeight: 1
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: slices
  labels:
    team.example.com/owner: payments
spec:
  service: web
  budgetingMethod: Timeslices
  indicator:
    metadata: {name: web-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'max(x)'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(y[{{.window}}]))'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives:
    - target: 99.9
      timeSliceWindow: 7m
  alertPolicies:
    - alertPolicyRef: nobody
---
apiVersion: openslo/v2alpha
kind: SLO
metadata:
  name: future
spec: {}
---
apiVersion: openslo/v1
kind: SLOs
metadata:
  name: typo
spec:
  description: x
  servce: web
"#,
    )
    .unwrap();
    let text = refused(import_openslo(&[file]), dir.path());
    insta::assert_snapshot!("openslo-mistakes", text);
}

/// More OpenSLO that cannot be imported as written: a budgeting method
/// OpenSLO does not define, a misspelt time zone, a raw ratio without its
/// type, an SLO without objectives; each at its line, nothing written.
#[test]
fn openslo_values_lookout_cannot_read_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.yaml");
    std::fs::write(&file, OPENSLO_VALUE_MISTAKES).unwrap();
    let text = refused(import_openslo(&[file]), dir.path());
    for code in [
        "import::budgeting",
        "import::time-zone",
        "import::raw-type",
        "import::openslo-field",
    ] {
        assert!(text.contains(code), "{code}: {text}");
    }
    insta::assert_snapshot!("openslo-value-mistakes", text);
}

const OPENSLO_VALUE_MISTAKES: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: events
spec:
  service: web
  budgetingMethod: Events
  indicator:
    metadata: {name: web-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(e[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(t[{{.window}}]))'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.999}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: calendar
spec:
  service: web
  budgetingMethod: Occurrences
  indicator:
    metadata: {name: web-errors-2}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(e[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(t[{{.window}}]))'}}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2024-01-01 00:00:00", timeZone: Europe/Berln}
  objectives: [{target: 0.999}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: raw
spec:
  service: web
  budgetingMethod: Occurrences
  indicator:
    metadata: {name: web-raw}
    spec:
      ratioMetric:
        counter: false
        raw: {metricSource: {type: Prometheus, spec: {query: 'avg_over_time(r[{{.window}}])'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives: [{target: 0.999}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: no-objectives
spec:
  service: web
  budgetingMethod: Occurrences
  indicator:
    metadata: {name: web-errors-3}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(e[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(t[{{.window}}]))'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
"#;

/// Sloth specs that disagree across documents and files: a service
/// declared twice with other labels (a warning: the first labels win),
/// the same SLO twice, and an empty file named on the command line.
#[test]
fn sloth_specs_that_disagree_or_are_empty_are_located() {
    let (dir, file) = sloth_file("shop.yaml", SLOTH_TWICE);
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    // An SLI both as events and raw: which one is meant is unknown.
    let both = dir.path().join("both.yaml");
    std::fs::write(
        &both,
        "version: prometheus/v1\nservice: cart\nslos:\n  - name: requests\n    objective: 99.9\n    sli:\n      events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}\n      raw: {error_ratio_query: 'sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))'}\n    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}\n",
    )
    .unwrap();
    let text = refused(
        import(&[file, empty, both], SlothOptions::default()),
        dir.path(),
    );
    for code in [
        "import::labels-differ",
        "import::duplicate-slo",
        "import::empty",
        "import::sli\n",
    ] {
        assert!(text.contains(code), "{code}: {text}");
    }
    insta::assert_snapshot!("sloth-disagreements", text);
}

const SLOTH_TWICE: &str = r#"version: "prometheus/v1"
service: "shop"
labels: {owner: a}
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
---
version: "prometheus/v1"
service: "shop"
labels: {owner: b}
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
"#;

/// Import never overwrites a spec it did not write, and
/// `--add-severities` needs a lookout.yaml to add them to.
#[test]
fn import_refuses_to_overwrite_and_to_add_severities_without_a_config() {
    let request = |paths: Vec<PathBuf>, out: &Path, add_severities: bool| ImportRequest {
        paths,
        out: out.to_path_buf(),
        format: ImportFormat::Sloth(SlothOptions::default()),
        keep_going: false,
        add_severities,
    };
    let codes = |report: &lookout::ops::ImportReport| -> Vec<String> {
        report
            .diagnostics
            .items
            .iter()
            .map(|d| d.code.to_string())
            .collect()
    };
    let (dir, file) = sloth_file("shop.yaml", SLOTH_ONE);
    let out = dir.path().join("slos");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("shop.yaml"), "# mine\n").unwrap();
    let report = run_import(&request(vec![file], &out, false)).unwrap();
    assert_eq!(codes(&report), ["import::exists"]);
    assert_eq!(
        std::fs::read_to_string(out.join("shop.yaml")).unwrap(),
        "# mine\n"
    );

    let (dir, file) = sloth_file("pay.yaml", SLOTH_SEVERITIES);
    let out = dir.path().join("slos");
    let report = run_import(&request(vec![file], &out, true)).unwrap();
    assert!(
        codes(&report).contains(&"import::severities".to_string()),
        "{:?}",
        codes(&report)
    );
}

const SLOTH_ONE: &str = r#"version: "prometheus/v1"
service: "shop"
labels: {owner: a}
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
---
"#;

const SLOTH_SEVERITIES: &str = r#"version: "prometheus/v1"
service: "pay"
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(e[{{.window}}]))
        total_query: sum(rate(t[{{.window}}]))
    alerting:
      page_alert: {labels: {severity: pageteam}}
      ticket_alert: {labels: {severity: slack}}
"#;

/// `lookout export openslo`, then `lookout import openslo`, then `lookout
/// build`: every output file is byte-for-byte what the original specs
/// build to. The fixture uses every spec field the export carries.
#[test]
fn openslo_export_then_import_builds_the_same_outputs() {
    let run = |dir: &Path, args: &[&str]| {
        support::run_ok(env!("CARGO_BIN_EXE_lookout"), args, dir);
    };
    let original = tempfile::tempdir().unwrap();
    let fixture = Path::new("tests/fixtures/roundtrip");
    std::fs::create_dir(original.path().join("slos")).unwrap();
    std::fs::copy(
        fixture.join("lookout.yaml"),
        original.path().join("lookout.yaml"),
    )
    .unwrap();
    for spec in files_under(&fixture.join("slos")) {
        std::fs::copy(
            &spec,
            original.path().join("slos").join(spec.file_name().unwrap()),
        )
        .unwrap();
    }
    run(original.path(), &["build"]);
    run(original.path(), &["export", "openslo", "--out", "openslo"]);
    let again = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture.join("lookout.yaml"),
        again.path().join("lookout.yaml"),
    )
    .unwrap();
    let exported = original.path().join("openslo");
    run(
        again.path(),
        &["import", "openslo", &exported.to_string_lossy()],
    );
    run(again.path(), &["build"]);
    let outputs = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        support::files_recursively(root)
            .into_iter()
            .filter(|p| {
                let relative = p.strip_prefix(root).unwrap();
                !relative.starts_with("slos")
                    && !relative.starts_with("openslo")
                    && !relative.starts_with(".lookout")
            })
            .map(|p| {
                (
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    let (before, after) = (outputs(original.path()), outputs(again.path()));
    assert!(before.len() > 10, "too few outputs: {}", before.len());
    let names =
        |files: &[(PathBuf, Vec<u8>)]| files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&before), names(&after));
    for ((path, a), (_, b)) in before.iter().zip(&after) {
        assert!(a == b, "{} differs after the round trip", path.display());
    }
}

/// The `lookout.dev/alerting` annotation is read as lookout's own
/// `alerting:`, with its schema: an imported spec cannot carry a key the
/// spec does not have, so a misspelt one fails at import, not at build.
#[test]
fn an_alerting_annotation_is_read_with_the_spec_schema() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slo.yaml");
    let slo = |annotation: &str| {
        format!(
            r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  annotations:
    lookout.dev/alerting: '{annotation}'
spec:
  service: web
  budgetingMethod: Occurrences
  indicator:
    metadata: {{name: web-errors}}
    spec:
      ratioMetric:
        counter: true
        bad: {{metricSource: {{type: Prometheus, spec: {{query: 'sum(rate(e[{{{{.window}}}}]))'}}}}}}
        total: {{metricSource: {{type: Prometheus, spec: {{query: 'sum(rate(t[{{{{.window}}}}]))'}}}}}}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  objectives: [{{target: 0.999}}]
"#
        )
    };
    std::fs::write(
        &file,
        slo(r#"{"page": {"severity": "sev1", "for": "2m"}, "ticket": {"enabled": false}}"#),
    )
    .unwrap();
    let (text, out, ok) = import_openslo(std::slice::from_ref(&file));
    assert!(ok, "{text}");
    let spec = std::fs::read_to_string(out.path().join("web.yaml")).unwrap();
    assert!(
        spec.contains("  alerting:\n    page:\n      severity: sev1\n      for: '2m'\n    ticket:\n      enabled: false\n"),
        "{spec}"
    );

    std::fs::write(&file, slo(r#"{"page": {"severity": "sev1", "fro": "2m"}}"#)).unwrap();
    let (text, out, ok) = import_openslo(std::slice::from_ref(&file));
    assert!(!ok);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    assert!(
        text.contains("import::annotation")
            && text.contains("annotation `lookout.dev/alerting` is not lookout's `alerting:` as JSON: unknown field `fro`"),
        "{text}"
    );
}

/// The whole examples folder, as a user with a Sloth repository runs it:
/// Sloth's generated rules (`_gen/`), its PrometheusRule output, OpenSLO
/// and AlertWindows files are skipped with a note; with --keep-going what
/// converts is written, the rest listed; with --add-severities the
/// severities the specs use join lookout.yaml's, and the result builds.
#[test]
fn a_sloth_folder_imports_what_converts_and_builds() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("lookout.yaml"),
        "# The team's config.\nslos: slos\nseverities: [critical, warning]  # routed in Alertmanager\nrunbooks: {base_url: https://runbooks.example.com}\n",
    )
    .unwrap();
    let request = |keep_going| ImportRequest {
        paths: vec![PathBuf::from(EXAMPLES)],
        out: project.path().join("slos"),
        format: ImportFormat::Sloth(SlothOptions::default()),
        keep_going,
        add_severities: true,
    };
    // Without --keep-going: the errors, and nothing written.
    let report = run_import(&request(false)).unwrap();
    assert!(report.diagnostics.has_errors());
    assert!(report.files.is_empty() && !project.path().join("slos").exists());

    let report = run_import(&request(true)).unwrap();
    let notes: Vec<String> = report
        .diagnostics
        .items
        .iter()
        .filter(|d| d.code == "import::skipped")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        notes,
        [
            "skipped 2 files: OpenSLO documents: import them with `lookout import openslo`",
            "skipped 12 files: Prometheus rule files, such as Sloth's generated output (`_gen/`)",
            "skipped 6 files: PrometheusRule objects (generated rules)",
            "skipped 2 files: Sloth AlertWindows (custom alert windows): lookout's windows are fixed until custom alert tiers land",
        ]
    );
    let written: Vec<String> = report
        .files
        .iter()
        .map(|(p, _, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        written,
        [
            "home-wifi.yaml",
            "k8s-apiserver.yaml",
            "myapp.yaml",
            "myservice.yaml"
        ]
    );
    assert!(report
        .left_out
        .iter()
        .any(|p| p.ends_with("victoria-metrics.yml")));
    // The list is extended where it stands, its comment kept.
    let config = std::fs::read_to_string(project.path().join("lookout.yaml")).unwrap();
    assert!(
        config.contains("severities: [critical, warning, home, pageteam, slack]\n")
            && config.starts_with("# The team's config.\n"),
        "{config}"
    );
    let compiled = lookout::check::configure(&lookout::check::Inputs {
        config: Some(project.path().join("lookout.yaml")),
        slos: None,
    })
    .ok()
    .unwrap()
    .compile(&Default::default());
    assert!(
        compiled.is_ok(),
        "{}",
        compiled.err().unwrap().render(false)
    );
}

#[test]
fn add_severities_appends_the_key_or_says_to_add_by_hand() {
    let spec = "version: prometheus/v1\nservice: web\nslos:\n  - name: availability\n    objective: 99\n    sli:\n      events:\n        error_query: sum(rate(e[{{.window}}]))\n        total_query: sum(rate(t[{{.window}}]))\n    alerting:\n      name: WebDown\n      page_alert: {labels: {severity: pager}}\n      ticket_alert: {labels: {severity: email}}\n";
    let run = |config: &str| {
        let project = tempfile::tempdir().unwrap();
        std::fs::write(project.path().join("lookout.yaml"), config).unwrap();
        std::fs::write(project.path().join("sloth.yml"), spec).unwrap();
        let report = run_import(&ImportRequest {
            paths: vec![project.path().join("sloth.yml")],
            out: project.path().join("slos"),
            format: ImportFormat::Sloth(SlothOptions::default()),
            keep_going: false,
            add_severities: true,
        })
        .unwrap();
        let config = std::fs::read_to_string(project.path().join("lookout.yaml")).unwrap();
        (report, config)
    };
    // No `severities:`: lookout's defaults, and these.
    let (report, config) = run("slos: slos\n");
    assert!(!report.diagnostics.has_errors());
    assert!(
        config.ends_with("severities: [critical, warning, info, email, pager]\n"),
        "{config}"
    );
    // A block list is left to the user, who is told what to add.
    let (report, config) = run("severities:\n  - critical\n");
    assert_eq!(config, "severities:\n  - critical\n");
    let error = report.diagnostics.render(false);
    assert!(error.contains("add email, pager by hand"), "{error}");
}

/// Sloth evaluates a query `by (route)` as written: one series, and one
/// alert, per route. The import says so as `group_by: [route]`, which
/// builds; queries that disagree on their labels are left ungrouped.
#[test]
fn a_sloth_slo_by_route_imports_as_one_slo_per_route() {
    let (_dir, file) = sloth_file(
        "routes.yml",
        r#"version: "prometheus/v1"
service: "api"
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum by (route) (rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum by (route) (rate(http_requests_total[{{.window}}]))
    alerting:
      name: ApiRequests
      page_alert: {labels: {severity: critical}}
      ticket_alert: {labels: {severity: warning}}
  - name: "mixed"
    objective: 99.9
    sli:
      events:
        error_query: sum by (route) (rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: ApiMixed
      page_alert: {labels: {severity: critical}}
      ticket_alert: {labels: {severity: warning}}
"#,
    );
    let (text, out, ok) = import(std::slice::from_ref(&file), SlothOptions::default());
    assert!(ok, "{text}");
    let written = std::fs::read_to_string(out.path().join("api.yaml")).unwrap();
    assert!(written.contains("  group_by:\n  - route\n"), "{written}");
    assert_eq!(written.matches("  group_by:").count(), 1, "{written}");
    assert!(
        written.contains("one SLO per value (`group_by`)"),
        "{written}"
    );
    assert_builds(out.path(), "routes");
}
