//! `init`: a starting project, leaving every file that exists alone.

use std::path::{Path, PathBuf};

use crate::out;

/// The files `lookout init` scaffolds: path under the project, contents.
const SCAFFOLD: &[(&str, &str)] = &[
    (
        "lookout.yaml",
        include_str!("../cli/templates/lookout.yaml"),
    ),
    (
        "slos/example.yaml",
        include_str!("../cli/templates/example.yaml"),
    ),
    (
        ".github/workflows/lookout.yml",
        include_str!("../cli/templates/github-workflow.yml"),
    ),
    (
        "ci/lookout.gitlab-ci.yml",
        include_str!("../cli/templates/gitlab-ci.yml"),
    ),
];

/// What `init` did with one file of the scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaffolded {
    Created,
    /// The file exists, and is left alone.
    Exists,
    /// The example spec, left out: `slos/` holds specs already, and an
    /// example would become a service of the project at the next build.
    HasSpecs,
}

/// The name `init` gives the project: its folder's.
fn project_name(dir: &Path) -> String {
    let folder = std::fs::canonicalize(dir)
        .ok()
        .and_then(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    crate::model::settings::project_name_from(&folder)
}

/// The example spec's path in the scaffold.
const EXAMPLE: &str = "slos/example.yaml";

/// `lookout init`: writes the scaffold into `dir`, leaving every file that
/// exists alone, and the example spec out where `slos/` holds specs.
pub fn init(dir: &Path) -> std::io::Result<Vec<(PathBuf, Scaffolded)>> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is a file; `lookout init` takes a folder", dir.display()),
        ));
    }
    let mut diagnostics = crate::diag::Diagnostics::default();
    let has_specs = dir.join("slos").is_dir()
        && !crate::spec::find_spec_files(&dir.join("slos"), &mut diagnostics).is_empty();
    let mut done = Vec::new();
    for (path, contents) in SCAFFOLD {
        let target = dir.join(path);
        if target.exists() {
            done.push((target, Scaffolded::Exists));
            continue;
        }
        if *path == EXAMPLE && has_specs {
            done.push((target, Scaffolded::HasSpecs));
            continue;
        }
        let contents = if *path == "lookout.yaml" {
            contents.replace("{project}", &project_name(dir))
        } else {
            contents.to_string()
        };
        out::write_atomic(&target, &contents).map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("cannot write {}: {err}", target.display()),
            )
        })?;
        done.push((target, Scaffolded::Created));
    }
    Ok(done)
}
