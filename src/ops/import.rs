//! `import`: Sloth and OpenSLO specs into lookout's, never overwriting a
//! spec. `write_files` is shared with `export`.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics};
use crate::out;
use crate::plan::Action;

/// What `lookout import` is asked to do.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// Source files, or folders searched for `*.yaml`/`*.yml`.
    pub paths: Vec<PathBuf>,
    /// Where the lookout specs go.
    pub out: PathBuf,
    pub format: ImportFormat,
}

/// The format `lookout import` reads.
#[derive(Debug, Clone)]
pub enum ImportFormat {
    Sloth(crate::import::SlothOptions),
    Openslo,
}

/// The result of an import: diagnostics, and each spec file with what was
/// done to it (created, or unchanged when it already held that text).
pub struct ImportReport {
    pub diagnostics: Diagnostics,
    pub files: Vec<(PathBuf, Action, usize)>,
    /// Every alert severity the imported specs name.
    pub severities: std::collections::BTreeSet<String>,
}

/// `lookout import`: reads every Sloth or OpenSLO file, converts them,
/// and writes one lookout spec per service into `out` through `out`.
/// Writes nothing when anything is an error, and never overwrites a file.
pub fn import(request: &ImportRequest) -> std::io::Result<ImportReport> {
    let mut diagnostics = Diagnostics::default();
    let mut paths = Vec::new();
    for path in &request.paths {
        if path.is_dir() {
            paths.extend(crate::spec::find_spec_files(path, &mut diagnostics));
        } else {
            paths.push(path.clone());
        }
    }
    let texts: Vec<(PathBuf, String)> = paths
        .iter()
        .filter_map(|path| {
            Some((
                path.clone(),
                crate::spec::read_text(path, &mut diagnostics)?,
            ))
        })
        .collect();
    let imported = match &request.format {
        ImportFormat::Sloth(options) => {
            let files: Vec<_> = texts
                .into_iter()
                .map(|(path, text)| crate::spec::sloth::parse(&path, text, &mut diagnostics))
                .collect();
            crate::import::sloth(&files, options, &mut diagnostics)
        }
        ImportFormat::Openslo => {
            let files: Vec<_> = texts
                .into_iter()
                .map(|(path, text)| crate::spec::openslo::parse(&path, text, &mut diagnostics))
                .collect();
            crate::import::openslo(&files, &mut diagnostics)
        }
    };
    let mut report = ImportReport {
        diagnostics,
        files: Vec::new(),
        severities: imported
            .iter()
            .flat_map(|spec| spec.severities.iter().cloned())
            .collect(),
    };
    if report.diagnostics.has_errors() {
        return Ok(report);
    }
    let files = imported
        .iter()
        .map(|spec| (spec.service.as_str(), spec.text.as_str(), spec.slos));
    // Import never overwrites a spec, even one it wrote.
    report.files = write_files(
        &request.out,
        files,
        &mut report.diagnostics,
        |action, path, service| {
            (action != Action::Create).then(|| {
                Diagnostic::error(
                    "import::exists",
                    format!("`{service}` exists; lookout import never overwrites a spec"),
                )
                .in_path(path)
                .help("move it away, or import into another folder with --out and merge by hand")
            })
        },
    )?;
    Ok(report)
}

/// Writes `files` (service, text, SLOs) as `<service>.yaml` under `folder`,
/// through `out`; `refuses` turns a file's planned action into an error.
/// Nothing is written when any file is refused, or `diagnostics` already
/// holds an error. Each file with its action, or none.
pub(super) fn write_files<'a>(
    folder: &Path,
    files: impl Iterator<Item = (&'a str, &'a str, usize)>,
    diagnostics: &mut Diagnostics,
    refuses: impl Fn(Action, &Path, &str) -> Option<Diagnostic>,
) -> std::io::Result<Vec<(PathBuf, Action, usize)>> {
    let mut changes = Vec::new();
    let mut written = Vec::new();
    for (service, text, slos) in files {
        let name = PathBuf::from(format!("{service}.yaml"));
        let path = folder.join(&name);
        let action = match out::compare_file(folder, &name, text)? {
            None => Action::Unchanged,
            Some(change) => match refuses(change.action, &path, service) {
                Some(refusal) => {
                    diagnostics.push(refusal);
                    Action::Conflict
                }
                None => {
                    let action = change.action;
                    changes.push(change);
                    action
                }
            },
        };
        written.push((path, action, slos));
    }
    if diagnostics.has_errors() {
        return Ok(Vec::new());
    }
    out::apply(folder, &changes)?;
    Ok(written)
}
