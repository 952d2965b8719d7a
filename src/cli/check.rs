//! `lookout check`.

use super::output::outln;
use super::{note_config, plural, print_diagnostics, CheckArgs, CheckFormat};
use crate::plan::Action;
use crate::{ops, out};

/// Diff lines shown per drifted file; the rest is summarised.
const MAX_DIFF_LINES: usize = 60;

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
    print_diagnostics(&generated.diagnostics);
    for change in &report.drift {
        let path = ops::display_path(root, out::path_of(change));
        let what = match change.action {
            Action::Create => "is missing",
            Action::Update => "differs from what the specs compile to",
            Action::Delete => "is stale: no spec generates it any more",
            Action::Conflict => "is in the way: lookout would generate it but did not write it",
            // Files on disk are never waiting for a reload.
            Action::Unchanged | Action::Reload => continue,
        };
        eprintln!("drift: {path} {what}");
        if let (Action::Update, Some(text)) = (change.action, change.describe(&path, "generated")) {
            let lines: Vec<&str> = text.lines().collect();
            for line in lines.iter().take(MAX_DIFF_LINES) {
                eprintln!("    {line}");
            }
            if lines.len() > MAX_DIFF_LINES {
                eprintln!("    … {} more diff lines", lines.len() - MAX_DIFF_LINES);
            }
        }
    }
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
