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

/// `lookout init`: writes the scaffold into `dir`, leaving every file that
/// exists alone. Returns each path and whether it was written.
pub fn init(dir: &Path) -> std::io::Result<Vec<(PathBuf, bool)>> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is a file; `lookout init` takes a folder", dir.display()),
        ));
    }
    let mut done = Vec::new();
    for (path, contents) in SCAFFOLD {
        let target = dir.join(path);
        let written = !target.exists();
        if written {
            out::write_atomic(&target, contents).map_err(|err| {
                std::io::Error::new(
                    err.kind(),
                    format!("cannot write {}: {err}", target.display()),
                )
            })?;
        }
        done.push((target, written));
    }
    Ok(done)
}
