//! The only place lookout writes files.
//!
//! Writes are all-or-nothing as far as the filesystem allows: every changed
//! file is first written to a temporary file beside its target, and only
//! when all of them are written are they renamed into place (a rename is
//! atomic on POSIX). Unchanged files are not touched. Files that carry
//! lookout's marker but are no longer generated are stale; files without
//! the marker are never deleted or overwritten... unless lookout generates
//! that exact path, in which case `build` refuses instead of clobbering it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::emit::{Artifact, GENERATED_MARKER};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Generated but not on disk.
    Missing,
    /// On disk with other contents.
    Changed,
    /// On disk, lookout's, and no longer generated.
    Stale,
    /// On disk without lookout's marker where lookout would write.
    Foreign,
}

/// One difference between the generated set and the output directory.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    /// Relative to the output root.
    pub path: PathBuf,
    /// What is on disk now, for diffs.
    pub current: Option<String>,
    /// What lookout would write.
    pub wanted: Option<String>,
}

/// Compares the artifacts with what is under `root`.
pub fn diff(
    root: &Path,
    artifacts: &[Artifact],
    owned_dirs: &[PathBuf],
) -> io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    for artifact in artifacts {
        let current = read_if_exists(&root.join(&artifact.path))?;
        let kind = match &current {
            None => Some(ChangeKind::Missing),
            Some(text) if text == &artifact.contents => None,
            Some(text) if !is_owned(text) => Some(ChangeKind::Foreign),
            Some(_) => Some(ChangeKind::Changed),
        };
        if let Some(kind) = kind {
            changes.push(Change {
                kind,
                path: artifact.path.clone(),
                current,
                wanted: Some(artifact.contents.clone()),
            });
        }
    }
    for dir in owned_dirs {
        for path in files_under(&root.join(dir))? {
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if artifacts.iter().any(|a| a.path == relative) {
                continue;
            }
            let Some(text) = read_if_exists(&path)? else {
                continue;
            };
            if is_owned(&text) {
                changes.push(Change {
                    kind: ChangeKind::Stale,
                    path: relative,
                    current: Some(text),
                    wanted: None,
                });
            }
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// Applies `changes` under `root`: writes missing and changed files, removes
/// stale ones. Callers must refuse [`ChangeKind::Foreign`] first.
pub fn apply(root: &Path, changes: &[Change]) -> io::Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for change in changes {
            let Some(contents) = &change.wanted else {
                continue;
            };
            let target = root.join(&change.path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let temp = temp_path(&target);
            let mut file = std::fs::File::create(&temp)?;
            staged.push((temp, target));
            file.write_all(contents.as_bytes())?;
            file.sync_all()?;
        }
        Ok(())
    })();
    if let Err(err) = result {
        for (temp, _) in &staged {
            let _ = std::fs::remove_file(temp);
        }
        return Err(err);
    }
    for (temp, target) in &staged {
        std::fs::rename(temp, target)?;
    }
    for change in changes.iter().filter(|c| c.kind == ChangeKind::Stale) {
        let path = root.join(&change.path);
        std::fs::remove_file(&path)?;
        // Tidy an emptied runbook folder; ignore failure, it may hold other files.
        if let Some(parent) = path.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
    Ok(())
}

/// Writes one file atomically: a temporary file in the same directory,
/// synced, then renamed over `target`. A reader (Prometheus reloading its
/// rules) sees the old file or the new one, never half of one.
pub fn write_atomic(target: &Path, contents: &str) -> io::Result<()> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temp = temp_path(target);
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Removes one file lookout owns.
pub fn remove(target: &Path) -> io::Result<()> {
    std::fs::remove_file(target)
}

/// Does the text carry lookout's marker near its top? JSON bodies carry it
/// in `_meta`, a few lines down.
pub fn is_owned(text: &str) -> bool {
    text.lines()
        .take(5)
        .any(|line| line.contains(GENERATED_MARKER))
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.lookout-{}.tmp", std::process::id()))
}

fn read_if_exists(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) if err.kind() == io::ErrorKind::IsADirectory => Ok(None),
        Err(err) => Err(err),
    }
}

fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "md" | "json" | "ndjson" | "alloy")
            ) {
                files.push(path);
            }
        }
    }
    Ok(files)
}
