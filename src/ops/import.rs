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
    /// Write what converts even when some files do not.
    pub keep_going: bool,
    /// Add the severities the specs use to lookout.yaml's `severities`.
    pub add_severities: bool,
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
    /// Those lookout.yaml does not list (by default: not lookout's
    /// defaults), which `build` would refuse.
    pub severities_missing: Vec<String>,
    /// With `keep_going`, the files left out for their errors.
    pub left_out: Vec<PathBuf>,
    /// With `add_severities`, lookout.yaml and the severities added to it.
    pub severities_added: Option<(PathBuf, Vec<String>)>,
}

/// Converts `texts`: the diagnostics, and the specs when there is no error.
fn convert(
    texts: &[(PathBuf, String)],
    format: &ImportFormat,
) -> (Diagnostics, Vec<crate::import::ImportedFile>) {
    let mut diagnostics = Diagnostics::default();
    let imported = match format {
        ImportFormat::Sloth(options) => {
            let files: Vec<_> = texts
                .iter()
                .map(|(path, text)| crate::spec::sloth::parse(path, text.clone(), &mut diagnostics))
                .collect();
            crate::import::sloth(&files, options, &mut diagnostics)
        }
        ImportFormat::Openslo => {
            let files: Vec<_> = texts
                .iter()
                .map(|(path, text)| {
                    crate::spec::openslo::parse(path, text.clone(), &mut diagnostics)
                })
                .collect();
            crate::import::openslo(&files, &mut diagnostics)
        }
    };
    (diagnostics, imported)
}

/// The files an error points into.
fn files_in_error(diagnostics: &Diagnostics) -> std::collections::BTreeSet<PathBuf> {
    diagnostics
        .items
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| match d.span {
            Some(span) => Some(diagnostics.sources.path(span.file).to_path_buf()),
            None => d.path.clone(),
        })
        .collect()
}

/// `lookout import`: reads every Sloth or OpenSLO file, converts them,
/// and writes one lookout spec per service into `out` through `out`.
/// Writes nothing when anything is an error, and never overwrites a file.
pub fn import(request: &ImportRequest) -> std::io::Result<ImportReport> {
    let mut found = Diagnostics::default();
    let mut texts: Vec<(PathBuf, String)> = Vec::new();
    // Files a folder holds besides Sloth specs, skipped with a note.
    let mut skipped: std::collections::BTreeMap<&str, Vec<PathBuf>> = Default::default();
    for path in &request.paths {
        let walked = path.is_dir();
        let paths = if walked {
            crate::spec::find_spec_files(path, &mut found)
        } else {
            vec![path.clone()]
        };
        for path in paths {
            let Some(text) = crate::spec::read_text(&path, &mut found) else {
                continue;
            };
            let skip = match (&request.format, walked) {
                (ImportFormat::Sloth(_), true) => crate::spec::sloth::skip_reason(&text),
                _ => None,
            };
            match skip {
                Some(reason) => skipped.entry(reason).or_default().push(path),
                None => texts.push((path, text)),
            }
        }
    }
    let (mut diagnostics, mut imported) = convert(&texts, &request.format);
    let mut left_out = Vec::new();
    if diagnostics.has_errors() && request.keep_going {
        // Without the files in error, until what remains converts; every
        // problem is still reported from the first attempt.
        let mut remaining = texts.clone();
        imported = loop {
            let (attempt, converted) = convert(&remaining, &request.format);
            if !attempt.has_errors() {
                break converted;
            }
            let bad = files_in_error(&attempt);
            if bad.is_empty() {
                break Vec::new();
            }
            remaining.retain(|(path, _)| !bad.contains(path));
            left_out.extend(bad);
        };
    }
    for (reason, paths) in skipped {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        diagnostics.push(
            Diagnostic::note(
                "import::skipped",
                format!(
                    "skipped {} file{}: {reason}",
                    paths.len(),
                    if paths.len() == 1 { "" } else { "s" }
                ),
            )
            .help(shown.join(", ")),
        );
    }
    diagnostics.items.extend(found.items);
    let mut report = ImportReport {
        diagnostics,
        files: Vec::new(),
        severities: imported
            .iter()
            .flat_map(|spec| spec.severities.iter().cloned())
            .collect(),
        left_out,
        severities_added: None,
        severities_missing: Vec::new(),
    };
    if report.diagnostics.has_errors() && !request.keep_going {
        return Ok(report);
    }
    let files = imported
        .iter()
        .map(|spec| (spec.service.as_str(), spec.text.as_str(), spec.slos));
    // Import never overwrites a spec, even one it wrote.
    let mut writing = Diagnostics::default();
    report.files = write_files(
        &request.out,
        files,
        &mut writing,
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
    report.diagnostics.items.extend(writing.items);
    // lookout.yaml, read once for both the hint and --add-severities.
    let config = config_severities(&request.out);
    report.severities_missing = match &config {
        Ok(config) => report
            .severities
            .iter()
            .filter(|s| !config.listed.contains(s))
            .cloned()
            .collect(),
        Err(_) => report.severities.iter().cloned().collect(),
    };
    if request.add_severities && !report.files.is_empty() {
        match config.and_then(|config| add_severities(config, &report.severities)) {
            Ok(added) => report.severities_added = Some(added),
            Err(error) => report
                .diagnostics
                .push(Diagnostic::error("import::severities", error)),
        }
    }
    Ok(report)
}

/// Adds to lookout.yaml's `severities` (the one in or above `out`) those
/// of `used` it lacks, editing the text so that comments stay: a flow list
/// is extended in place, a block list gets items, and a file without the
/// key gets it with lookout's defaults. The result is parsed before it is
/// written. Returns the file and what was added.
fn add_severities(
    config: ConfigSeverities,
    used: &std::collections::BTreeSet<String>,
) -> Result<(PathBuf, Vec<String>), String> {
    let ConfigSeverities {
        path,
        text,
        current,
        listed,
    } = config;
    let added: Vec<String> = used
        .iter()
        .filter(|s| !listed.contains(s))
        .cloned()
        .collect();
    if added.is_empty() {
        return Ok((path, added));
    }
    let all: Vec<String> = listed.iter().chain(&added).cloned().collect();
    let edited = with_severities(&text, &all, current.is_some()).ok_or_else(|| {
        format!(
            "cannot edit `severities:` in {}: add {} by hand",
            path.display(),
            added.join(", ")
        )
    })?;
    let mut check = Diagnostics::default();
    let parsed = crate::spec::config::parse(&path, edited.clone(), &mut check)
        .and_then(|loaded| loaded.config.severities);
    if parsed.as_ref() != Some(&all) {
        return Err(format!(
            "editing `severities:` in {} went wrong; add {} by hand",
            path.display(),
            added.join(", ")
        ));
    }
    out::write_atomic(&path, &edited).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, added))
}

/// lookout.yaml (in or above `out`) as read: its text, its `severities`
/// as written, and the severities it allows (lookout's defaults when it
/// lists none).
struct ConfigSeverities {
    path: PathBuf,
    text: String,
    current: Option<Vec<String>>,
    listed: Vec<String>,
}

fn config_severities(out: &Path) -> Result<ConfigSeverities, String> {
    let path = crate::spec::config::discover(Some(out)).ok_or(
        "--add-severities: no lookout.yaml in or above the --out folder; run `lookout init` first",
    )?;
    let unparsable = || {
        format!(
            "{} does not parse; fix it first (`lookout check`)",
            path.display()
        )
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut diagnostics = Diagnostics::default();
    let current = crate::spec::config::parse(&path, text.clone(), &mut diagnostics)
        .ok_or_else(unparsable)?
        .config
        .severities;
    let listed = current.clone().unwrap_or_else(|| {
        crate::model::settings::DEFAULT_SEVERITIES
            .map(String::from)
            .to_vec()
    });
    Ok(ConfigSeverities {
        path,
        text,
        current,
        listed,
    })
}

/// `text` with its top-level `severities:` set to `all`: the flow list on
/// the key's line replaced, or the key appended when `exists` is false.
/// `None` where the key's form is not one line (a block list).
fn with_severities(text: &str, all: &[String], exists: bool) -> Option<String> {
    let list = format!("severities: [{}]", all.join(", "));
    if !exists {
        let mut edited = text.to_string();
        if !edited.is_empty() && !edited.ends_with('\n') {
            edited.push('\n');
        }
        edited.push_str("# The severities alerts may carry; `lookout import --add-severities` added to lookout's defaults.\n");
        edited.push_str(&list);
        edited.push('\n');
        return Some(edited);
    }
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = lines.iter().position(|l| l.starts_with("severities:"))?;
    let value = lines[at]["severities:".len()..].trim();
    let value = value.split(" #").next().unwrap_or(value).trim();
    if !(value.starts_with('[') && value.ends_with(']')) {
        return None;
    }
    lines[at] = list;
    let mut edited = lines.join("\n");
    if text.ends_with('\n') {
        edited.push('\n');
    }
    Some(edited)
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
