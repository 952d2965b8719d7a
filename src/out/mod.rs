//! The only place lookout writes files.
//!
//! What lookout promises for outputs: **if `build` is killed at any point
//! (SIGKILL, OOM, a panic, Ctrl-C), every output file holds wholly its old
//! or wholly its new contents, never a mix, and the next `build` converges.**
//! Every changed file is written to a temporary file beside its target, and
//! only when all are written are they renamed into place (a rename is atomic
//! on POSIX). Unchanged files are not touched. A temporary file left by a
//! killed build is lookout's by its name and is removed by the next build.
//! `tests/crash.rs` kills `build` at random points and checks this.
//!
//! lookout does not fsync: one fsync per file made a 14,000-file build take
//! 8–37 s, and outputs are a pure function of the specs, so nothing is lost
//! that the next `build` does not rewrite. After an OS crash or power loss,
//! files written in the last seconds may be empty; an empty file holds
//! nothing to protect, so `build` overwrites it like its own. Single files
//! that a live system reads (`plan`/`apply` writing a Prometheus rules
//! directory) use [`write_atomic`], which does fsync.
//!
//! Files that carry lookout's marker but are no longer generated are stale;
//! files without the marker are never deleted or overwritten... unless
//! lookout generates that exact path, in which case `build` refuses instead
//! of clobbering it.

pub mod cache;

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::emit::{Artifact, GENERATED_MARKER};
use crate::parallel::map_chunks;
use crate::plan::Action;

/// Files per thread below which reading or writing runs inline.
const MIN_PARALLEL_FILES: usize = 64;

/// One difference between the generated set and the output directory.
#[derive(Debug, Clone)]
pub struct Change {
    /// Create (missing), update (lookout's, differs), delete (lookout's,
    /// no longer generated) or conflict (not lookout's, in the way).
    pub action: Action,
    /// Relative to the output root.
    pub path: PathBuf,
    /// What is on disk now, for diffs.
    pub current: Option<String>,
    /// What lookout would write; shared with the artifact, not copied.
    pub wanted: Option<Arc<String>>,
}

/// Compares the artifacts with what is under `root`: one read per
/// generated file, split across cores, and one walk of the owned
/// directories for stale files, checked against a set of the generated
/// paths.
pub fn diff(
    root: &Path,
    artifacts: &[Artifact],
    owned_dirs: &[PathBuf],
) -> io::Result<Vec<Change>> {
    let mut changes = compare_all(root, artifacts)?;
    let generated: HashSet<&Path> = artifacts.iter().map(|a| a.path.as_path()).collect();
    changes.extend(stale(root, &owned_files(root, owned_dirs)?, &generated)?);
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// The files under `root`'s owned directories that lookout may have
/// written (by extension, or a leftover temporary file), relative to
/// `root`: the candidates for staleness. One directory walk, no stat per
/// file.
pub fn owned_files(root: &Path, owned_dirs: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in owned_dirs {
        for path in files_under(&root.join(dir))? {
            files.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(files)
}

/// How each artifact differs from its file, on every core; the unchanged
/// ones give no change.
pub fn compare_all(root: &Path, artifacts: &[Artifact]) -> io::Result<Vec<Change>> {
    compare_batch(root, artifacts, &mut HashSet::new())
}

/// [`compare_all`] for one of several batches of a build: `missing` holds
/// the folders (relative to `root`) earlier batches found absent, which
/// hold nothing from before the build even once staging has created them.
/// No file is in a folder that does not exist: a cold build learns that
/// once per folder rather than by failing to open each of 15,000 files.
pub fn compare_batch(
    root: &Path,
    artifacts: &[Artifact],
    missing: &mut HashSet<PathBuf>,
) -> io::Result<Vec<Change>> {
    let folders: HashSet<&Path> = artifacts.iter().filter_map(|a| a.path.parent()).collect();
    for folder in folders {
        if !missing.contains(folder) && !root.join(folder).is_dir() {
            missing.insert(folder.to_path_buf());
        }
    }
    let missing = &*missing;
    let mut changes = Vec::new();
    for chunk in map_chunks(artifacts, MIN_PARALLEL_FILES, |chunk| {
        chunk
            .iter()
            .filter_map(|artifact| {
                if artifact.path.parent().is_some_and(|f| missing.contains(f)) {
                    let wanted = Arc::clone(&artifact.contents);
                    return Some(Ok(change_to(&artifact.path, None, wanted)));
                }
                compare(root, artifact).transpose()
            })
            .collect::<io::Result<Vec<Change>>>()
    }) {
        changes.extend(chunk?);
    }
    Ok(changes)
}

/// The candidates (relative to `root`) that lookout owns and nothing in
/// `generated` writes: a delete each.
pub fn stale(
    root: &Path,
    candidates: &[PathBuf],
    generated: &HashSet<&Path>,
) -> io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    for relative in candidates {
        if generated.contains(relative.as_path()) {
            continue;
        }
        let path = root.join(relative);
        let Some(text) = read_if_exists(&path)? else {
            continue;
        };
        if owns(&path, &text) {
            changes.push(Change {
                action: Action::Delete,
                path: relative.clone(),
                current: Some(text),
                wanted: None,
            });
        }
    }
    Ok(changes)
}

/// Whether the file at `path`, holding `text`, is lookout's to remove when
/// nothing generates it: it carries the marker, or a killed build left it.
fn owns(path: &Path, text: &str) -> bool {
    is_leftover(path) || is_owned(text)
}

/// Whether lookout owns the file at `path`, by the rule of `owns`, read
/// from disk; `false` when it is gone.
pub fn owns_file(path: &Path) -> io::Result<bool> {
    Ok(read_if_exists(path)?.is_some_and(|text| owns(path, &text)))
}

/// How one artifact differs from the file at its path, if it does.
fn compare(root: &Path, artifact: &Artifact) -> io::Result<Option<Change>> {
    compare_shared(root, &artifact.path, &artifact.contents, || {
        Arc::clone(&artifact.contents)
    })
}

/// How the file at `relative` under `root` differs from `wanted`, if it
/// does: the ownership rule for every directory lookout writes, the output
/// root and a Prometheus rules directory alike.
pub fn compare_file(root: &Path, relative: &Path, wanted: &str) -> io::Result<Option<Change>> {
    compare_shared(root, relative, wanted, || Arc::new(wanted.to_string()))
}

/// [`compare_file`], with `share` giving the `wanted` a change keeps.
fn compare_shared(
    root: &Path,
    relative: &Path,
    wanted: &str,
    share: impl FnOnce() -> Arc<String>,
) -> io::Result<Option<Change>> {
    let current = match std::fs::read(root.join(relative)) {
        Ok(bytes) if bytes == wanted.as_bytes() => return Ok(None),
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) if err.kind() == io::ErrorKind::IsADirectory => None,
        Err(err) => return Err(err),
    };
    Ok(Some(change_to(relative, current, share())))
}

/// The change from the file's `current` text (`None`: no file) to `wanted`.
fn change_to(relative: &Path, current: Option<String>, wanted: Arc<String>) -> Change {
    let action = match &current {
        None => Action::Create,
        // Empty: a file cut short by an OS crash, or nothing to protect.
        Some(text) if text.is_empty() || is_owned(text) => Action::Update,
        Some(_) => Action::Conflict,
    };
    Change {
        action,
        path: relative.to_path_buf(),
        current,
        wanted: Some(wanted),
    }
}

/// Applies `changes` under `root`: writes missing and changed files, removes
/// stale ones. Callers must refuse [`Action::Conflict`] first.
pub fn apply(root: &Path, changes: &[Change]) -> io::Result<()> {
    stage(root, changes)?.commit(root, changes)
}

/// Files written to temporary files beside their targets, not yet renamed
/// into place: nothing a reader sees has changed. A killed build leaves
/// them behind, and the next build removes them.
#[derive(Debug, Default)]
pub struct Staged {
    /// (temporary file, target), both under the output root.
    temps: Vec<(PathBuf, PathBuf)>,
    /// Folders staging created, parents first, so abandoning leaves none.
    folders: Vec<PathBuf>,
}

/// Stages the files `changes` create or update, on every core. On an error
/// its own temporary files are removed.
pub fn stage(root: &Path, changes: &[Change]) -> io::Result<Staged> {
    let writes: Vec<(PathBuf, &str)> = changes
        .iter()
        .filter_map(|c| Some((root.join(&c.path), c.wanted.as_deref()?.as_str())))
        .collect();
    // Each folder once: a `create_dir_all` per file was 15,000 mkdir calls
    // (all but a few failing with EEXIST) in a cold 10,000-SLO build.
    let folders: std::collections::BTreeSet<&Path> = writes
        .iter()
        .filter_map(|(target, _)| target.parent())
        .collect();
    let mut created = Vec::new();
    for folder in folders {
        let missing: Vec<&Path> = folder.ancestors().take_while(|a| !a.is_dir()).collect();
        if let Err(err) = std::fs::create_dir_all(folder) {
            let nothing = Staged {
                temps: Vec::new(),
                folders: created,
            };
            nothing.abandon();
            return Err(err);
        }
        created.extend(missing.into_iter().rev().map(Path::to_path_buf));
    }
    let staged = map_chunks(&writes, MIN_PARALLEL_FILES, |chunk| {
        let mut staged = Vec::with_capacity(chunk.len());
        for (target, contents) in chunk {
            match stage_one(target, contents) {
                Ok(temp) => staged.push((temp, target.clone())),
                Err(err) => return (staged, Err(err)),
            }
        }
        (staged, Ok(()))
    });
    let mut all = Staged {
        temps: Vec::new(),
        folders: created,
    };
    let mut failure = None;
    for (chunk, result) in staged {
        all.temps.extend(chunk);
        failure = failure.or(result.err());
    }
    match failure {
        Some(err) => {
            all.abandon();
            Err(err)
        }
        None => Ok(all),
    }
}

impl Staged {
    pub fn append(&mut self, other: Staged) {
        self.temps.extend(other.temps);
        self.folders.extend(other.folders);
    }

    /// Renames every staged file into place, then removes the files
    /// `changes` delete. A rename is atomic, so a file is wholly old or
    /// wholly new whenever the build stops.
    pub fn commit(self, root: &Path, changes: &[Change]) -> io::Result<()> {
        // On every core: a cold build renames some 15,000 files.
        for renamed in map_chunks(&self.temps, MIN_PARALLEL_FILES, |chunk| {
            chunk
                .iter()
                .try_for_each(|(temp, target)| std::fs::rename(temp, target))
        }) {
            renamed?;
        }
        for change in changes.iter().filter(|c| c.action == Action::Delete) {
            let path = root.join(&change.path);
            std::fs::remove_file(&path)?;
            // Tidy an emptied runbook folder; ignore failure, it may hold other files.
            if let Some(parent) = path.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
        Ok(())
    }

    /// Removes the temporary files and the folders staging created:
    /// nothing is written.
    pub fn abandon(self) {
        for (temp, _) in &self.temps {
            let _ = std::fs::remove_file(temp);
        }
        // Children before parents; a folder that holds anything else stays.
        for folder in self.folders.iter().rev() {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// Writes `contents` to a temporary file beside `target`, whose folder
/// exists; returns its path.
fn stage_one(target: &Path, contents: &str) -> io::Result<PathBuf> {
    let temp = temp_path(target);
    let written = std::fs::File::create(&temp).and_then(|mut f| f.write_all(contents.as_bytes()));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(err);
    }
    Ok(temp)
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

const TEMP_INFIX: &str = ".lookout-";
const TEMP_SUFFIX: &str = ".tmp";

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}{TEMP_INFIX}{}{TEMP_SUFFIX}", pid()))
}

/// A temporary file a killed build left behind: `.<name>.lookout-<pid>.tmp`
/// of another process. This process's own are staged, not left over: a
/// build may list stale candidates after staging its batches.
fn is_leftover(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some(rest) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    rest.rsplit_once(TEMP_INFIX).is_some_and(|(_, pid)| {
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && pid != self::pid().to_string()
    })
}

/// This process's id, asked of the kernel once: every staged file's name
/// holds it.
fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
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
            let entry = entry?;
            // The directory entry's type: no stat per file.
            let is_dir = entry.file_type()?.is_dir();
            let path = entry.path();
            if is_dir {
                pending.push(path);
            } else if is_leftover(&path)
                || matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "md" | "json" | "ndjson" | "alloy")
                )
            {
                files.push(path);
            }
        }
    }
    Ok(files)
}
