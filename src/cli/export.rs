//! `lookout export openslo`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::outln;
use super::{plural, print_diagnostics};
use crate::ops;
use crate::plan::Action;

#[derive(Args, Debug)]
pub(super) struct ExportArgs {
    /// The format to export.
    format: ExportFormat,
    /// Where the files go, one `<service>.yaml` each.
    #[arg(long, value_name = "DIR", default_value = "openslo")]
    out: PathBuf,
    /// Directory of SLO specs [default: `slos` from lookout.yaml, else ./slos].
    #[arg(long, value_name = "DIR")]
    slos: Option<PathBuf>,
    /// Project config [default: the nearest lookout.yaml in or above --slos, else ./lookout.yaml].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ExportFormat {
    /// OpenSLO `openslo/v1`: a Service and its SLOs per file.
    Openslo,
}

pub(super) fn run(args: &ExportArgs) -> std::io::Result<bool> {
    let ExportFormat::Openslo = args.format;
    let report = ops::export_openslo(&ops::ExportRequest {
        inputs: crate::check::Inputs {
            config: args.config.clone(),
            slos: args.slos.clone(),
        },
        out: args.out.clone(),
    })?;
    print_diagnostics(&report.diagnostics);
    if report.diagnostics.has_errors() {
        eprintln!(
            "export failed: {}; nothing was written",
            plural(report.diagnostics.error_count(), "error")
        );
        return Ok(false);
    }
    for (path, action, slos) in &report.files {
        let verb = match action {
            Action::Create => "created",
            Action::Update => "updated",
            _ => "unchanged",
        };
        outln!("{verb:>9} {} ({})", path.display(), plural(*slos, "SLO"));
    }
    Ok(true)
}
