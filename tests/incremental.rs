//! `build` with its cache (src/out/cache.rs) ends with exactly the files a
//! build from scratch writes, after every kind of edit, and never skips
//! what it must not: an output edited or deleted by hand, a warning.

#[path = "support/tree.rs"]
mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const OUTPUT_DIRS: &[&str] = &["rules", "runbooks", "dashboards", "kubernetes", "shipping"];

fn spec(service: &str, objective: &str, extra_slo: bool) -> String {
    let mut text = format!(
        "service: {service}\nteam: t\nslos:\n  - name: availability\n    objective: {objective}\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{job=\"{service}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"{service}\"}}[{{{{window}}}}]))\n"
    );
    if extra_slo {
        text.push_str(&format!("  - name: latency\n    objective: 99\n    sli:\n      latency:\n        histogram: http_request_duration_seconds\n        selector: '{{job=\"{service}\"}}'\n        threshold: 0.3\n"));
    }
    text
}

fn lookout(root: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn build(root: &Path) -> String {
    let (ok, out) = lookout(root, &["build"]);
    assert!(ok, "{out}");
    out
}

fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    tree::files_under(root, OUTPUT_DIRS)
}

/// The same project built from scratch, without any cache.
fn from_scratch(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("lookout.yaml"), fresh.path().join("lookout.yaml")).unwrap();
    std::fs::create_dir(fresh.path().join("slos")).unwrap();
    for entry in std::fs::read_dir(root.join("slos")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            fresh.path().join("slos").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    if let Ok(entries) = std::fs::read_dir(root.join("dashboards")) {
        std::fs::create_dir(fresh.path().join("dashboards")).unwrap();
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonnet") {
                std::fs::copy(
                    &path,
                    fresh
                        .path()
                        .join("dashboards")
                        .join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
    }
    build(fresh.path());
    tree(fresh.path())
}

fn write(root: &Path, path: &str, text: &str) {
    std::fs::write(root.join(path), text).unwrap();
}

/// A project of `services` (one spec file each) under `lookout.yaml`'s
/// `extra` settings, beside the runbook base URL every project needs.
fn project(extra: &str, services: &[&str], extra_slo: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("slos")).unwrap();
    write(
        root,
        "lookout.yaml",
        &format!("runbooks: {{base_url: https://runbooks.example.com}}\n{extra}"),
    );
    for service in services {
        write(
            root,
            &format!("slos/{service}.yaml"),
            &spec(service, "99.9", extra_slo),
        );
    }
    dir
}

#[test]
fn every_edit_ends_as_a_build_from_scratch_would() {
    let dir = project(
        "loki: {url: http://loki:3100}\n",
        &["alpha", "beta", "gamma"],
        false,
    );
    let root = dir.path();
    build(root);
    assert!(root.join(".lookout/build-cache").is_file());
    assert_eq!(
        std::fs::read_to_string(root.join(".lookout/.gitignore")).unwrap(),
        "# lookout's build cache; safe to delete.\n*\n"
    );

    type Edit = (&'static str, fn(&Path));
    let edits: [Edit; 13] = [
        ("nothing", |_| {}),
        ("an objective", |r| {
            write(r, "slos/beta.yaml", &spec("beta", "99.5", false))
        }),
        ("an SLO added", |r| {
            write(r, "slos/beta.yaml", &spec("beta", "99.5", true))
        }),
        ("an SLO removed", |r| {
            write(r, "slos/beta.yaml", &spec("beta", "99.5", false))
        }),
        // Shipper configs are project-wide: they appear with the first log
        // and go stale with the last one.
        ("a log declared", |r| {
            let log = "logs:\n  - name: app\n    source:\n      files: [/var/log/beta.log]\n    format: json\n    fields: {status: status, method: method, path: path, duration: ms, duration_unit: ms}\n    destinations: [loki]\n";
            write(
                r,
                "slos/beta.yaml",
                &format!("{}{log}", spec("beta", "99.5", false)),
            )
        }),
        ("the log removed", |r| {
            write(r, "slos/beta.yaml", &spec("beta", "99.5", false))
        }),
        ("a service added", |r| {
            write(r, "slos/delta.yaml", &spec("delta", "99", true))
        }),
        ("a spec removed", |r| {
            std::fs::remove_file(r.join("slos/alpha.yaml")).unwrap()
        }),
        ("a service renamed in its file", |r| {
            write(r, "slos/gamma.yaml", &spec("epsilon", "99.9", false))
        }),
        ("lookout.yaml", |r| {
            write(
                r,
                "lookout.yaml",
                "runbooks: {base_url: https://wiki.example.com/rb}\nloki: {url: http://loki:3100}\n",
            )
        }),
        ("a jsonnet dashboard added", |r| {
            std::fs::create_dir_all(r.join("dashboards")).unwrap();
            write(
                r,
                "dashboards/custom.jsonnet",
                "local m = std.extVar('lookout');\n{uid: 'custom', title: 'Custom', n: std.length(m.services)}\n",
            )
        }),
        ("a jsonnet dashboard removed", |r| {
            std::fs::remove_file(r.join("dashboards/custom.jsonnet")).unwrap()
        }),
        ("a touch without a change", |r| {
            let text = std::fs::read(r.join("slos/beta.yaml")).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
            std::fs::write(r.join("slos/beta.yaml"), text).unwrap();
        }),
    ];
    for (what, edit) in edits {
        edit(root);
        let out = build(root);
        assert_eq!(tree(root), from_scratch(root), "after {what}:\n{out}");
    }
    // A touch changes nothing, and the build says so.
    let out = build(root);
    assert!(out.contains(" 0 written"), "{out}");
}

#[test]
fn outputs_changed_by_hand_are_rewritten_and_warnings_are_never_skipped() {
    let dir = project("", &["alpha"], true);
    let root = dir.path();
    build(root);
    let built = tree(root);

    // Deleted, edited to another size, edited to the same size: each is
    // seen without a spec change, and put back.
    let rules = root.join("rules/alpha.yaml");
    std::fs::remove_file(&rules).unwrap();
    let out = build(root);
    assert!(out.contains("created rules/alpha.yaml"), "{out}");
    let runbook = root.join("runbooks/alpha/latency.md");
    let text = std::fs::read_to_string(&runbook).unwrap();
    std::fs::write(&runbook, format!("{text}\nlocal note\n")).unwrap();
    let out = build(root);
    assert!(out.contains("updated runbooks/alpha/latency.md"), "{out}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&runbook, text.replacen("alpha", "ALPHA", 1)).unwrap();
    let out = build(root);
    assert!(out.contains("updated runbooks/alpha/latency.md"), "{out}");
    assert_eq!(tree(root), built);

    // A spec with a warning (a page at 14.4x of a 7% budget can never
    // fire): every build says it again, so no cache is kept.
    write(root, "slos/alpha.yaml", &spec("alpha", "93", true));
    for _ in 0..2 {
        let out = build(root);
        assert!(out.contains("check::unreachable-alert"), "{out}");
        assert!(!root.join(".lookout/build-cache").exists());
    }

    // A deleted cache is only slower.
    write(root, "slos/alpha.yaml", &spec("alpha", "99.9", true));
    build(root);
    assert_eq!(tree(root), built);
    std::fs::remove_dir_all(root.join(".lookout")).unwrap();
    let out = build(root);
    assert!(out.contains(" 0 written"), "{out}");
    assert_eq!(tree(root), built);
}

/// `check` answers from the cache as a no-op build does, so neither may
/// trust it past what a build from scratch would see.
#[test]
fn check_and_the_no_op_build_see_what_the_cache_cannot_vouch_for() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("slos")).unwrap();
    std::fs::create_dir_all(root.join("dashboards")).unwrap();
    std::fs::create_dir_all(root.join("vendor")).unwrap();
    write(
        root,
        "lookout.yaml",
        "runbooks: {base_url: https://runbooks.example.com}\n",
    );
    write(root, "slos/alpha.yaml", &spec("alpha", "99.9", true));
    // A library outside dashboards/, as jsonnet-bundler vendors grafonnet.
    write(root, "vendor/title.libsonnet", "{title: 'Before'}\n");
    write(
        root,
        "dashboards/custom.jsonnet",
        "{uid: 'custom'} + (import '../vendor/title.libsonnet')\n",
    );
    build(root);
    let (ok, out) = lookout(root, &["check"]);
    assert!(
        ok && out.contains("ok: 2 SLOs valid, output up to date"),
        "{out}"
    );

    // A file of the user's own beside the outputs is not lookout's concern.
    write(root, "runbooks/README.md", "# Our runbooks\n");
    let (ok, out) = lookout(root, &["check"]);
    assert!(ok, "{out}");
    assert!(build(root).contains(" 0 written"));

    // A file of lookout's that no spec generates (a branch switch brought
    // it back) is stale for both.
    let rules = std::fs::read_to_string(root.join("rules/alpha.yaml")).unwrap();
    write(root, "rules/retired.yaml", &rules);
    let (ok, out) = lookout(root, &["check"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("drift: rules/retired.yaml is stale: no spec generates it any more"),
        "{out}"
    );
    let out = build(root);
    assert!(out.contains("removed rules/retired.yaml"), "{out}");
    assert!(!root.join("rules/retired.yaml").exists());

    // An imported library changed: the dashboard is out of date.
    write(root, "vendor/title.libsonnet", "{title: 'After'}\n");
    let (ok, out) = lookout(root, &["check"]);
    assert!(!ok, "{out}");
    assert!(out.contains("custom.json differs"), "{out}");
    let out = build(root);
    assert!(out.contains("custom.json"), "{out}");
    let (ok, out) = lookout(root, &["check"]);
    assert!(ok, "{out}");
    let dashboard = std::fs::read_to_string(root.join("dashboards/grafana/custom.json")).unwrap();
    assert!(dashboard.contains("\"After\""), "{dashboard}");
}

/// An incremental build parses again only the PromQL of changed spec files
/// (the unchanged ones parsed in the build the cache comes from), so a
/// broken query in a changed file is still an error, and fixing it builds.
#[test]
fn a_changed_file_with_invalid_promql_still_fails_an_incremental_build() {
    let dir = project("", &["alpha", "beta"], true);
    let root = dir.path();
    build(root);
    let broken = spec("beta", "99.9", true).replace("sum(rate(", "sum(rate((");
    write(root, "slos/beta.yaml", &broken);
    let (ok, out) = lookout(root, &["build"]);
    assert!(!ok, "{out}");
    assert!(out.contains("invalid-promql"), "{out}");
    assert!(out.contains("slos/beta.yaml"), "{out}");
    write(root, "slos/beta.yaml", &spec("beta", "99.5", true));
    build(root);
    assert_eq!(tree(root), from_scratch(root));
}
