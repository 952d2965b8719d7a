//! `lookout check`.

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

/// One line per drifted file. A source file's diff is shown (with `diff`,
/// whole; without, its first lines, within a budget for all); a file
/// packaged from others (a ConfigMap of a dashboard, a PrometheusRule of
/// a rule file, a generated test, the kustomization) is only named: its
/// source's diff says the same, and a dashboard ConfigMap is one line of
/// JSON.
fn print_drift(report: &ops::CheckReport, diff: bool) {
    let generated = &report.generated;
    let root = &generated.out_root;
    let layout = &generated.settings.layout;
    let packaged = |path: &std::path::Path| {
        path.starts_with(&layout.kubernetes) || path.starts_with(layout.rules_tests_dir())
    };
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
        let derived = packaged(relative);
        let aside = if derived && change.action == Action::Update && !diff {
            " (derived from another file listed here; `--diff` shows its diff)"
        } else {
            ""
        };
        eprintln!("drift: {path} {what}{aside}");
        let Some(text) = change
            .describe(&path, "generated")
            .filter(|_| change.action == Action::Update)
        else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let shown = match (diff, derived) {
            (true, _) => lines.len(),
            (false, true) => 0,
            (false, false) => lines.len().min(SHORT_DIFF_LINES).min(budget),
        };
        budget -= shown.min(budget);
        for line in &lines[..shown] {
            eprintln!("    {line}");
        }
        if shown < lines.len() && !derived {
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
