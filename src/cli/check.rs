//! `lookout check`.

use std::path::{Path, PathBuf};

use super::output::outln;
use super::{note_config, plural, print_diagnostics, CheckArgs, CheckFormat};
use crate::plan::Action;
use crate::{ops, out};

/// Without `--diff`: diff lines shown per drifted source file, and in all;
/// the rest is summarised, so that the summary and the errors stay on
/// screen.
const SHORT_DIFF_LINES: usize = 12;
const SHORT_DIFF_BUDGET: usize = 60;

pub(super) fn run(args: &CheckArgs) -> std::io::Result<bool> {
    let http = args.live.then(|| args.connection.http());
    let request = ops::Request {
        deny_warnings: args.deny_warnings,
        ..args.project.request()
    };
    let report = ops::check(&request, http.as_ref())?;
    let generated = &report.generated;
    let root = &generated.out_root;
    if args.format == CheckFormat::Github {
        return Ok(github(&report));
    }
    if args.format == CheckFormat::Json {
        let drift: Vec<_> = report
            .drift
            .iter()
            .map(|c| serde_json::json!({"path": ops::display_path(root, out::path_of(c)), "action": c.action}))
            .collect();
        let diagnostics: Vec<_> = generated
            .diagnostics
            .items
            .iter()
            .map(|d| d.to_json(&generated.diagnostics.sources))
            .collect();
        let json = serde_json::json!({
            "ok": report.ok(),
            "errors": generated.diagnostics.error_count(),
            "diagnostics": diagnostics,
            "drift": drift,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
        return Ok(report.ok());
    }
    note_config(generated);
    print_drift(&report, args.diff);
    // Findings last, so that no diff scrolls them off.
    print_diagnostics(&generated.diagnostics);
    if report.ok() {
        outln!(
            "ok: {} valid, output up to date",
            plural(report.slos, "SLO")
        );
    } else {
        let mut parts = Vec::new();
        let found = super::build::failure_counts(&generated.diagnostics, args.deny_warnings);
        if !found.is_empty() {
            parts.push(found);
        }
        if !report.drift.is_empty() {
            parts.push(format!(
                "{} out of date (run `lookout build`)",
                plural(report.drift.len(), "file")
            ));
        }
        eprintln!("check failed: {}", parts.join(", "));
    }
    Ok(report.ok())
}

/// The file a packaged one is made from, when it is: a dashboard's
/// ConfigMap from its JSON, a PrometheusRule from its rule file, a Loki
/// rules ConfigMap from its LogQL rule file, a generated test (or its rule
/// copy) from the service's rule file.
fn source_of(layout: &crate::model::settings::Layout, path: &Path) -> Option<PathBuf> {
    let stem = path.file_name()?.to_str()?;
    let service = stem
        .strip_suffix(".test.yaml")
        .or_else(|| stem.strip_suffix(".rules.yaml"))
        .or_else(|| stem.strip_suffix(".yaml"))?;
    let parent = path.parent()?;
    if parent == layout.dashboard_configmaps_dir() {
        Some(layout.grafana_dir().join(format!("{service}.json")))
    } else if parent == layout.prometheus_rule_objects_dir() || parent == layout.rules_tests_dir() {
        Some(layout.rules.join(format!("{service}.yaml")))
    } else if parent == layout.loki_rule_configmaps_dir() {
        Some(layout.loki_rules_dir().join(format!("{service}.yaml")))
    } else {
        None
    }
}

/// One line per drifted file. A source file's diff is shown (with `diff`,
/// whole; without, its first lines, within a budget for all). A file
/// packaged from a source also listed here is only named: the source's
/// diff says the same (and a dashboard's ConfigMap is one line of JSON,
/// never shown beside its JSON's diff, even with `diff`). A packaged file
/// whose source did not change (edited by hand) is shown as a source.
fn print_drift(report: &ops::CheckReport, diff: bool) {
    let generated = &report.generated;
    let root = &generated.out_root;
    let layout = &generated.settings.layout;
    let drifted: std::collections::HashSet<&Path> = report.drift.iter().map(out::path_of).collect();
    let mut budget = SHORT_DIFF_BUDGET;
    let mut held_back = 0;
    for change in &report.drift {
        let relative = out::path_of(change);
        let path = ops::display_path(root, relative);
        let what = match change.action {
            Action::Create => "is missing",
            Action::Update => "differs from what the specs compile to",
            Action::Delete => "is stale: no spec generates it any more",
            Action::Conflict => "is in the way: lookout would generate it but did not write it",
            // Files on disk are never waiting for a reload.
            Action::Unchanged | Action::Reload => continue,
        };
        let source = source_of(layout, relative).filter(|s| drifted.contains(s.as_path()));
        let twin = source
            .as_ref()
            .is_some_and(|s| s.extension().is_some_and(|e| e == "json"));
        let packaged = source.is_some() && change.action == Action::Update;
        let aside = match &source {
            Some(source) if packaged && (twin || !diff) => format!(
                " (packaged from {}, shown here)",
                ops::display_path(root, source)
            ),
            _ => String::new(),
        };
        eprintln!("drift: {path} {what}{aside}");
        let Some(text) = change
            .describe(&path, "generated")
            .filter(|_| change.action == Action::Update)
        else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let shown = match (diff, packaged) {
            (_, true) if twin => 0,
            (true, _) => lines.len(),
            (false, true) => 0,
            (false, false) => lines.len().min(SHORT_DIFF_LINES).min(budget),
        };
        budget -= shown.min(budget);
        for line in &lines[..shown] {
            eprintln!("    {line}");
        }
        if shown < lines.len() && !packaged {
            eprintln!("    … {} more diff lines", lines.len() - shown);
            held_back += 1;
        }
    }
    if held_back > 0 {
        eprintln!("(`lookout check --diff` shows every diff whole)");
    }
}

/// `--format github`: one workflow command per finding and drifted file, on
/// stdout where the Actions runner reads them.
fn github(report: &ops::CheckReport) -> bool {
    let generated = &report.generated;
    for diagnostic in &generated.diagnostics.items {
        outln!("{}", diagnostic.to_github(&generated.diagnostics.sources));
    }
    for change in &report.drift {
        let path = ops::display_path(&generated.out_root, out::path_of(change));
        outln!(
            "::error file={},title=lookout%3A%3Adrift::{}",
            crate::diag::github_property(&path),
            crate::diag::github_data(&format!(
                "{path} is out of date with slos/: run `lookout build` and commit the result"
            ))
        );
    }
    report.ok()
}
