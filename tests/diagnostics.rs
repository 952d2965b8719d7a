//! Bad input: every fixture under `tests/fixtures/invalid/<case>/slos` must
//! fail with located, rendered errors, and `build` must write nothing.
//! Rendered output is snapshotted per case (`tests/snapshots/`).

use std::path::{Path, PathBuf};

use lookout::check::{compile, Inputs};
use lookout::diag::Diagnostics;

fn fixture_dirs(kind: &str) -> Vec<PathBuf> {
    let root = Path::new("tests/fixtures").join(kind);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn inputs(case: &Path) -> Inputs {
    let own = case.join("lookout.yaml");
    Inputs {
        config: Some(if own.exists() {
            own
        } else {
            PathBuf::from("tests/fixtures/lookout.yaml")
        }),
        slos: Some(case.join("slos")),
    }
}

/// The diagnostics of a case that must fail.
fn errors(case: &Path) -> Diagnostics {
    match compile(&inputs(case)) {
        Ok(_) => panic!("{}: expected an error", case.display()),
        Err(diagnostics) => diagnostics,
    }
}

fn name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_invalid_fixture_is_rejected_with_a_location() {
    let cases = fixture_dirs("invalid");
    // Each case is named in `each_case_reports_its_own_code`, which fails
    // on a fixture that is missing or unlisted.
    assert_eq!(cases.len(), EXPECTED_CODES.len(), "{cases:?}");
    for case in cases {
        let diags = &errors(&case);
        assert!(diags.has_errors(), "{}: expected an error", case.display());
        for d in diags.items.iter().filter(|d| d.is_error()) {
            let location = d.location(&diags.sources);
            assert!(
                location.is_some(),
                "{}: `{}` has no location",
                case.display(),
                d.message
            );
            if case.ends_with("empty-dir") {
                continue;
            }
            let location = location.unwrap();
            // file:line:col, pointing into the case's own files.
            let parts: Vec<&str> = location.rsplitn(3, ':').collect();
            assert_eq!(parts.len(), 3, "{location}");
            assert!(
                parts[0].parse::<usize>().is_ok() && parts[1].parse::<usize>().is_ok(),
                "{location}"
            );
            assert!(location.contains(&*case.to_string_lossy()), "{location}");
        }
        insta::assert_snapshot!(format!("invalid-{}", name(&case)), diags.render(false));
    }
}

#[test]
fn warnings_do_not_block_the_model() {
    let cases = fixture_dirs("warnings");
    assert!(!cases.is_empty(), "warning fixtures went missing");
    for case in cases {
        let project = compile(&inputs(&case)).unwrap_or_else(|d| panic!("{}", d.render(false)));
        assert!(
            !project.diagnostics.items.is_empty(),
            "{}: expected warnings",
            case.display()
        );
        insta::assert_snapshot!(
            format!("warnings-{}", name(&case)),
            project.diagnostics.render(false)
        );
    }
}

/// Which code each invalid fixture yields. Codes are part of the interface
/// (`--format json`).
const EXPECTED_CODES: &[(&str, &str)] = &[
    ("alias-bomb", "spec::yaml-limit"),
    ("bad-window", "spec::invalid-window"),
    ("calendar-mistakes", "config::utc-offset"),
    ("canary-mistakes", "spec::canary-variable"),
    ("config-invalid-project", "config::invalid-project"),
    ("config-invalid-urls", "config::invalid-url"),
    ("config-parse-errors", "spec::unknown-field"),
    ("config-typo-beside-spec-mistakes", "spec::invalid-window"),
    ("config-value-mistakes", "config::unknown-shipper"),
    ("custom-tier-mistakes", "spec::window-order"),
    ("dependency-cycle", "spec::dependency-cycle"),
    ("duplicate-service", "spec::duplicate-service"),
    ("duplicate-slo", "spec::duplicate-slo"),
    ("empty-dir", "spec::empty-dir"),
    ("foreign-formats", "spec::foreign-format"),
    ("go-template", "spec::template"),
    ("group-by-mistakes", "spec::group-by-mismatch"),
    ("histogram-suffix", "spec::histogram-suffix"),
    ("invalid-promql", "spec::invalid-promql"),
    ("invalid-service-name", "spec::invalid-name"),
    ("latency-threshold", "spec::threshold-range"),
    ("list-for-a-value", "spec::yaml"),
    (
        "log-destination-not-configured",
        "spec::destination-not-configured",
    ),
    ("log-invalid-logql", "spec::invalid-logql"),
    ("log-invalid-route", "spec::invalid-route"),
    ("log-json-without-fields", "spec::missing-fields"),
    ("log-nginx-with-fields", "spec::fields-not-allowed"),
    ("log-not-in-loki", "spec::log-not-in-loki"),
    (
        "log-sli-on-unconfigured-log",
        "spec::destination-not-configured",
    ),
    ("log-sli-total", "spec::log-sli-total"),
    ("log-source-mistakes", "spec::log-source"),
    ("log-undeclared-source", "spec::unknown-log"),
    ("log-unknown-format", "spec::unknown-value"),
    ("malformed-yaml", "spec::yaml"),
    ("many-mistakes", "spec::unknown-field"),
    ("min-errors-raw", "spec::min-errors-raw"),
    ("missing-field", "spec::missing-field"),
    ("missing-window", "spec::missing-window"),
    ("mistakes-past-a-parse-error", "spec::unknown-severity"),
    ("no-runbook", "spec::no-runbook"),
    ("no-slos", "spec::no-slos"),
    ("objective-hundred", "spec::objective-range"),
    ("objective-ratio", "spec::objective-ratio"),
    ("objective-zero", "spec::objective-range"),
    ("promql-position", "spec::invalid-promql"),
    ("reserved-label", "spec::reserved-label"),
    ("runbook-template-missing", "spec::unreadable"),
    ("tab-indent", "spec::yaml"),
    ("tier-off-as-bool", "spec::yaml"),
    ("two-sli-kinds", "spec::sli-kind"),
    ("unknown-dependency", "spec::unknown-dependency"),
    ("unknown-field", "spec::unknown-field"),
    ("unknown-push-target", "config::unknown-target"),
    ("unknown-severity", "spec::unknown-severity"),
    ("unknown-template-var", "spec::template"),
    ("value-mistakes", "spec::unsupported-version"),
];

#[test]
fn each_case_reports_its_own_code() {
    let listed: Vec<&str> = EXPECTED_CODES.iter().map(|(case, _)| *case).collect();
    let found: Vec<String> = fixture_dirs("invalid").iter().map(|c| name(c)).collect();
    assert_eq!(
        listed, found,
        "every invalid fixture is listed here, in order"
    );
    for (case, code) in EXPECTED_CODES {
        let diagnostics = errors(&Path::new("tests/fixtures/invalid").join(case));
        let codes: Vec<&str> = diagnostics
            .items
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        assert!(codes.contains(code), "{case}: {code} not in {codes:?}");
    }
}

/// A duplicate SLO is still checked: fixing the name must not uncover
/// errors a first run could have shown.
#[test]
fn a_duplicate_slo_reports_its_own_errors_too() {
    let diagnostics = errors(Path::new("tests/fixtures/invalid/duplicate-slo"));
    let codes: Vec<&str> = diagnostics.items.iter().map(|d| d.code).collect();
    for code in [
        "spec::duplicate-slo",
        "spec::invalid-window",
        "spec::invalid-promql",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
}

/// The same for a service defined twice; its logs, which share the first
/// definition's shipper ids, add no clash of their own.
#[test]
fn a_duplicate_service_reports_its_own_errors_too() {
    let diagnostics = errors(Path::new("tests/fixtures/invalid/duplicate-service"));
    let codes: Vec<&str> = diagnostics.items.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["spec::duplicate-service", "spec::objective-range"],
        "{}",
        diagnostics.render(false)
    );
}

#[test]
fn every_parse_error_in_the_config_is_reported_in_one_run() {
    let diagnostics = errors(Path::new("tests/fixtures/invalid/config-parse-errors"));
    let found: Vec<(&str, String)> = diagnostics
        .items
        .iter()
        .map(|d| {
            let location = d.location(&diagnostics.sources).unwrap();
            let line_col = location.split_once(':').unwrap().1.to_string();
            (d.code, line_col)
        })
        .collect();
    assert_eq!(
        found,
        [
            ("spec::unknown-field", "6:1".to_string()),
            ("spec::yaml", "10:16".to_string())
        ]
    );
}

#[test]
fn unknown_field_suggests_the_closest_name() {
    let diagnostics = errors(Path::new("tests/fixtures/invalid/unknown-field"));
    let d = &diagnostics.items[0];
    assert_eq!(d.help.as_deref(), Some("did you mean `objective`?"));
}
