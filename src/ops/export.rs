//! `export openslo`: the compiled project as OpenSLO, one file per
//! service, never over a file lookout did not write.

use std::path::PathBuf;

use super::import::write_files;
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::Action;

/// What `lookout export openslo` is asked to do.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub inputs: crate::check::Inputs,
    /// Where the OpenSLO files go, one `<service>.yaml` each.
    pub out: PathBuf,
}

/// The result of an export: diagnostics, and each file with what was done.
pub struct ExportReport {
    pub diagnostics: Diagnostics,
    pub files: Vec<(PathBuf, Action, usize)>,
}

/// `lookout export openslo`: compiles the project, then writes every SLO
/// OpenSLO can express. Nothing is written when the specs do not compile,
/// or when a file in the way is not one lookout wrote.
pub fn export_openslo(request: &ExportRequest) -> std::io::Result<ExportReport> {
    let compiled = crate::check::configure(&request.inputs)
        .and_then(|configured| configured.compile_keeping_specs(&Default::default()));
    let (project, specs) = match compiled {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            return Ok(ExportReport {
                diagnostics,
                files: Vec::new(),
            })
        }
    };
    let mut report = ExportReport {
        diagnostics: project.diagnostics,
        files: Vec::new(),
    };
    let exported = crate::export::openslo(&specs, &project.model, &mut report.diagnostics);
    let files = exported
        .iter()
        .map(|file| (file.service.as_str(), file.text.as_str(), file.slos));
    // Export rewrites its own files, never someone else's.
    report.files = write_files(
        &request.out,
        files,
        &mut report.diagnostics,
        |action, path, _| {
            (action == Action::Conflict).then(|| {
                Diagnostic::error(
                    "export::exists",
                    "this file exists and was not written by lookout",
                )
                .in_path(path)
                .help("move it away, or export into another folder with --out")
            })
        },
    )?;
    Ok(report)
}
