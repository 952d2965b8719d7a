//! `lookout build`.

use super::{note_config, plural, print_diagnostics, BuildArgs};
use crate::ops;
use crate::plan::Action;
use std::io::Write;

/// `2 errors`, and with denied warnings `1 warning denied (--deny-warnings)`.
pub(super) fn failure_counts(
    diagnostics: &crate::diag::Diagnostics,
    deny_warnings: bool,
) -> String {
    let errors = diagnostics.error_count();
    let warnings = diagnostics.warning_count();
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if deny_warnings && warnings > 0 {
        parts.push(format!(
            "{} denied (--deny-warnings)",
            plural(warnings, "warning")
        ));
    }
    parts.join(", ")
}

pub(super) fn run(args: &BuildArgs) -> std::io::Result<bool> {
    let request = ops::Request {
        deny_warnings: args.deny_warnings,
        ..args.project.request()
    };
    let report = ops::build(&request)?;
    let generated = &report.generated;
    note_config(generated);
    print_diagnostics(&generated.diagnostics);
    if generated.diagnostics.fail(request.deny_warnings) {
        eprintln!(
            "build failed: {}; nothing was written",
            failure_counts(&generated.diagnostics, request.deny_warnings)
        );
        return Ok(false);
    }
    // One buffer: stdout is line-buffered, and a cold build lists some
    // 15,000 files. A reader that stops early (`| head`) is no failure:
    // the build is done, as ripgrep treats a broken pipe.
    let listed = (|| {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for change in &report.changes {
            let verb = match change.action {
                Action::Create => "created",
                Action::Update => "updated",
                Action::Delete => "removed",
                // Files are never reloaded; a conflict is reported apart.
                Action::Conflict | Action::Unchanged | Action::Reload => continue,
            };
            writeln!(
                out,
                "{verb:>8} {}",
                ops::display_path(&generated.out_root, crate::out::path_of(change))
            )?;
        }
        writeln!(
            out,
            "built {} from {}: {} written, {} unchanged",
            plural(report.slos, "SLO"),
            plural(report.services, "service"),
            report.changes.len(),
            report.unchanged
        )?;
        out.flush()
    })();
    match listed {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err),
        _ => {}
    }
    // The process ends next: freeing the model node by node took a
    // 10,000-SLO build's last 15 ms.
    std::mem::forget(report);
    Ok(true)
}
