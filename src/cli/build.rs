//! `lookout build`.

use super::{note_config, plural, print_diagnostics, ProjectArgs};
use crate::ops;
use crate::plan::Action;

pub(super) fn run(args: &ProjectArgs) -> std::io::Result<bool> {
    let report = ops::build(&args.request())?;
    let generated = &report.generated;
    note_config(generated);
    print_diagnostics(&generated.diagnostics);
    if generated.diagnostics.has_errors() {
        eprintln!(
            "build failed: {}; nothing was written",
            plural(generated.diagnostics.error_count(), "error")
        );
        return Ok(false);
    }
    for change in &report.changes {
        let verb = match change.action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Delete => "removed",
            Action::Conflict | Action::Unchanged => continue,
        };
        println!(
            "{verb:>8} {}",
            ops::display_path(&generated.out_root, &change.path)
        );
    }
    println!(
        "built {} from {}: {} written, {} unchanged",
        plural(report.slos, "SLO"),
        plural(report.services, "service"),
        report.changes.len(),
        report.unchanged
    );
    Ok(true)
}
