//! The only place lookout writes files.
//!
//! What lookout promises for outputs: **if `build` is killed at any point
//! (SIGKILL, OOM, a panic, Ctrl-C), every output file holds wholly its old
//! or wholly its new contents, never a mix, and the next `build` converges.**
//! Every changed file is written to a temporary file beside its target (or,
//! where its folder did not exist, under its own name inside a temporary
//! folder beside that folder), and only when all are written are they
//! renamed into place (a rename is atomic on POSIX). Unchanged files are
//! not touched. A temporary file or folder left by a killed build is
//! lookout's by its name and is removed by the next build.
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
pub mod revision;
mod session;

pub use session::Session;

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::emit::{Artifact, GENERATED_MARKER};
use crate::parallel::map_chunks;
use crate::plan::Action;

/// Files per thread below which reading or writing runs inline.
const MIN_PARALLEL_FILES: usize = 64;

pub use crate::plan::Change;
use crate::plan::{Detail, Payload};

/// What a file change is called: its id is its path relative to the
/// folder compared (the output root, a rules directory).
pub const FILE: &str = "file";

/// A change to the file at `relative`: create (missing), update
/// (lookout's, differs), delete (lookout's, no longer generated) or
/// conflict (not lookout's, in the way). `current` is what is on disk now,
/// for diffs; `wanted`, what lookout would write, shared with its artifact.
pub fn file_change(
    action: Action,
    relative: &Path,
    current: Option<String>,
    wanted: Option<Arc<String>>,
) -> Change {
    Change {
        kind: FILE,
        id: relative.to_string_lossy().into_owned(),
        action,
        detail: current.map(Detail::Was),
        payload: wanted.map_or(Payload::None, Payload::Text),
    }
}

/// `change` without the texts it carried: what a report needs.
pub fn without_text(change: Change) -> Change {
    Change {
        detail: None,
        payload: Payload::None,
        ..change
    }
}

/// The path of a file change, relative to the folder compared.
pub fn path_of(change: &Change) -> &Path {
    Path::new(&change.id)
}

/// Sorts file changes by path, component by component.
pub fn sort_by_path(changes: &mut [Change]) {
    changes.sort_by(|a, b| path_of(a).cmp(path_of(b)));
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
    sort_by_path(&mut changes);
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
    files.extend(leftover_owned_dirs(root, owned_dirs)?);
    Ok(files)
}

/// Owned folders a killed build staged whole and never renamed into place
/// (`.rules.lookout-<pid>.tmp` beside `rules`), relative to `root`.
fn leftover_owned_dirs(root: &Path, owned_dirs: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut by_parent: std::collections::BTreeMap<&Path, Vec<&std::ffi::OsStr>> =
        std::collections::BTreeMap::new();
    for dir in owned_dirs {
        if let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) {
            by_parent.entry(parent).or_default().push(name);
        }
    }
    let mut found = Vec::new();
    for (parent, names) in by_parent {
        let entries = match std::fs::read_dir(root.join(parent)) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let staged_owned = leftover_target(&path)
                .is_some_and(|target| names.iter().any(|name| *name == target));
            if staged_owned && entry.file_type()?.is_dir() {
                found.push(parent.join(entry.file_name()));
            }
        }
    }
    Ok(found)
}

/// How each artifact differs from its file, on every core; the unchanged
/// ones give no change. No file is in a folder that does not exist: a
/// fresh output directory learns that once per folder rather than by
/// failing to open each of 15,000 files.
pub fn compare_all(root: &Path, artifacts: &[Artifact]) -> io::Result<Vec<Change>> {
    let mut missing = HashSet::new();
    note_missing(root, artifacts, &mut missing);
    let missing = &missing;
    let mut changes = Vec::new();
    for chunk in map_chunks(artifacts, MIN_PARALLEL_FILES, |chunk| {
        compare_each(root, chunk, |folder| missing.contains(folder))
    }) {
        changes.extend(chunk?);
    }
    Ok(changes)
}

/// [`compare_all`] on this thread only, from one of several threads that
/// share `missing`, the folders (relative to `root`) found absent so far:
/// `build` compares each core's services as soon as that core has emitted
/// them. A folder absent when first looked at holds nothing from before
/// the build, even once staging has created it.
pub fn compare_shared_batch(
    root: &Path,
    artifacts: &[Artifact],
    missing: &std::sync::Mutex<HashSet<PathBuf>>,
) -> io::Result<Vec<Change>> {
    let absent: HashSet<&Path> = {
        let mut missing = lock(missing);
        note_missing(root, artifacts, &mut missing);
        artifacts
            .iter()
            .filter_map(|a| a.path.parent())
            .filter(|folder| missing.contains(*folder))
            .collect()
    };
    compare_each(root, artifacts, |folder| absent.contains(folder))
}

/// Adds to `missing` the folders of `artifacts` that do not exist.
fn note_missing(root: &Path, artifacts: &[Artifact], missing: &mut HashSet<PathBuf>) {
    let folders: HashSet<&Path> = artifacts.iter().filter_map(|a| a.path.parent()).collect();
    for folder in folders {
        if !missing.contains(folder) && !root.join(folder).is_dir() {
            missing.insert(folder.to_path_buf());
        }
    }
}

/// How each artifact differs from its file, in turn; one in a folder
/// `is_missing` says is absent is created without a look.
fn compare_each(
    root: &Path,
    artifacts: &[Artifact],
    is_missing: impl Fn(&Path) -> bool,
) -> io::Result<Vec<Change>> {
    artifacts
        .iter()
        .filter_map(|artifact| {
            if artifact.path.parent().is_some_and(&is_missing) {
                let wanted = Arc::clone(&artifact.contents);
                return Some(Ok(change_to(&artifact.path, None, wanted)));
            }
            compare(root, artifact).transpose()
        })
        .collect()
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
        if is_leftover(&path) && path.is_dir() {
            changes.push(file_change(Action::Delete, relative, None, None));
            continue;
        }
        let Some(text) = read_if_exists(&path)? else {
            continue;
        };
        if owns(&path, &text) {
            changes.push(file_change(Action::Delete, relative, Some(text), None));
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
    if is_leftover(path) {
        // A leftover staged folder too, which has no text.
        return Ok(path.symlink_metadata().is_ok());
    }
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
    file_change(action, relative, current, Some(wanted))
}

/// Applies `changes` under `root`: writes missing and changed files, removes
/// stale ones. Callers must refuse [`Action::Conflict`] first.
pub fn apply(root: &Path, changes: &[Change]) -> io::Result<()> {
    stage(root, changes, &[])?.commit(root, changes)
}

/// Files and folders written under temporary names, not yet renamed into
/// place: nothing a reader sees has changed. A killed build leaves them
/// behind, and the next build removes them.
#[derive(Debug, Default)]
pub struct Staged {
    /// (temporary file, target) for files in folders that exist, under
    /// the output root.
    temps: Vec<(PathBuf, PathBuf)>,
    /// Target folder to its temporary folder, for folders that did not
    /// exist: their files are written inside under their own names, and
    /// the folder is renamed once (a cold build renames a few folders
    /// rather than 15,000 files).
    staged_folders: std::collections::BTreeMap<PathBuf, PathBuf>,
    /// Folders created in place (the output root, parents of owned
    /// folders), parents first, so abandoning leaves none.
    folders: Vec<PathBuf>,
}

/// Stages the files `changes` create or update, on every core; see
/// [`Staged::stage`]. On an error nothing it wrote is left.
pub fn stage(root: &Path, changes: &[Change], owned_dirs: &[PathBuf]) -> io::Result<Staged> {
    let mut staged = Staged::default();
    match staged.stage(root, changes, owned_dirs) {
        Ok(()) => Ok(staged),
        Err(err) => {
            staged.abandon();
            Err(err)
        }
    }
}

/// One file to write: where, the target it is renamed over at commit
/// when that is a temporary file, and the text.
type FileWrite<'a> = (PathBuf, Option<PathBuf>, &'a str);

impl Staged {
    /// Stages the files `changes` create or update, on every core. A file
    /// whose folder exists goes to a temporary file beside its target. A
    /// missing folder at or below one of `owned_dirs` (relative to `root`)
    /// is staged whole, as a temporary folder beside it: the next build
    /// finds a leftover one there, as it finds a leftover file. On an
    /// error, what was written so far stays recorded, for [`abandon`].
    ///
    /// [`abandon`]: Staged::abandon
    pub fn stage(
        &mut self,
        root: &Path,
        changes: &[Change],
        owned_dirs: &[PathBuf],
    ) -> io::Result<()> {
        let writes = self.plan(root, changes, owned_dirs)?;
        let written = map_chunks(&writes, MIN_PARALLEL_FILES, write_files);
        let mut failure = None;
        for (temps, result) in written {
            self.temps.extend(temps);
            failure = failure.or(result.err());
        }
        failure.map_or(Ok(()), Err)
    }

    /// [`Staged::stage`] from a thread that shares `staged` with others,
    /// writing on this thread only: `build` stages each core's services as
    /// soon as that core has emitted them. The lock is held to create
    /// folders, not to write.
    pub fn stage_shared(
        staged: &std::sync::Mutex<Staged>,
        root: &Path,
        changes: &[Change],
        owned_dirs: &[PathBuf],
    ) -> io::Result<()> {
        let writes = lock(staged).plan(root, changes, owned_dirs)?;
        let (temps, result) = write_files(&writes);
        lock(staged).temps.extend(temps);
        result
    }

    /// Creates or stages the folders `changes` write into; where each file
    /// goes.
    fn plan<'a>(
        &mut self,
        root: &Path,
        changes: &'a [Change],
        owned_dirs: &[PathBuf],
    ) -> io::Result<Vec<FileWrite<'a>>> {
        let wanted: Vec<(&Path, &str)> = changes
            .iter()
            .filter_map(|c| Some((path_of(c), c.text()?)))
            .collect();
        // Each folder once: a `create_dir_all` per file was 15,000 mkdir
        // calls (all but a few failing with EEXIST) in a cold 10,000-SLO
        // build.
        let folders: std::collections::BTreeSet<&Path> = wanted
            .iter()
            .filter_map(|(path, _)| path.parent())
            .collect();
        if !folders.is_empty() && !root.is_dir() {
            let missing: Vec<&Path> = root.ancestors().take_while(|a| !a.is_dir()).collect();
            std::fs::create_dir_all(root)?;
            self.folders
                .extend(missing.into_iter().rev().map(Path::to_path_buf));
        }
        let mut written_as: std::collections::HashMap<&Path, Option<PathBuf>> =
            std::collections::HashMap::new();
        for folder in folders {
            let inside = self.prepare_folder(root, folder, owned_dirs)?;
            written_as.insert(folder, inside);
        }
        Ok(wanted
            .iter()
            .map(|(path, contents)| {
                let target = root.join(path);
                let folder = path.parent().unwrap_or(Path::new(""));
                match written_as.get(folder).and_then(Option::as_ref) {
                    Some(inside) => (
                        inside.join(path.file_name().unwrap_or_default()),
                        None,
                        *contents,
                    ),
                    None => (temp_path(&target), Some(target), *contents),
                }
            })
            .collect())
    }

    /// Makes `folder` (relative to `root`) writable: `None` when it exists
    /// and its files take temporary names, or the folder inside a staged
    /// temporary folder where they are written under their own names.
    fn prepare_folder(
        &mut self,
        root: &Path,
        folder: &Path,
        owned_dirs: &[PathBuf],
    ) -> io::Result<Option<PathBuf>> {
        // Shallowest first: `folder` itself comes last.
        let mut ancestors: Vec<&Path> = folder
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .collect();
        ancestors.reverse();
        for ancestor in ancestors {
            if let Some(temp) = self.staged_folders.get(ancestor) {
                return within(temp, folder, ancestor).map(Some);
            }
            let target = root.join(ancestor);
            if target.is_dir() {
                continue;
            }
            if owned_dirs.iter().any(|owned| ancestor.starts_with(owned)) {
                let temp = temp_path(&target);
                if temp.symlink_metadata().is_ok() {
                    // Not staged by this process: a killed build's with the
                    // same pid, as in a container, where pids repeat.
                    std::fs::remove_dir_all(&temp)?;
                }
                std::fs::create_dir(&temp)?;
                let inside = within(&temp, folder, ancestor);
                self.staged_folders.insert(ancestor.to_path_buf(), temp);
                return inside.map(Some);
            }
            // Above the owned folders (`dashboards` for `dashboards/grafana`),
            // or no owned folders given: created in place.
            std::fs::create_dir(&target)?;
            self.folders.push(target);
        }
        Ok(None)
    }

    /// Renames every staged file and folder into place, then removes the
    /// files `changes` delete. A rename is atomic, so a file is wholly old
    /// or wholly new whenever the build stops.
    pub fn commit(self, root: &Path, changes: &[Change]) -> io::Result<()> {
        // On every core: an update of every service renames some 15,000
        // files.
        for renamed in map_chunks(&self.temps, MIN_PARALLEL_FILES, |chunk| {
            chunk
                .iter()
                .try_for_each(|(temp, target)| rename_into_place(temp, target))
        }) {
            renamed?;
        }
        for (target, temp) in &self.staged_folders {
            // Fails if the folder appeared since staging and holds anything.
            rename_into_place(temp, &root.join(target))?;
        }
        for change in changes.iter().filter(|c| c.action == Action::Delete) {
            let path = root.join(path_of(change));
            if is_leftover(&path) && path.is_dir() {
                std::fs::remove_dir_all(&path)?;
                continue;
            }
            std::fs::remove_file(&path)?;
            // Tidy an emptied runbook folder; ignore failure, it may hold other files.
            if let Some(parent) = path.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
        Ok(())
    }

    /// Removes the temporary files and folders and the folders staging
    /// created: nothing is written.
    pub fn abandon(self) {
        for (temp, _) in &self.temps {
            let _ = std::fs::remove_file(temp);
        }
        for temp in self.staged_folders.values() {
            let _ = std::fs::remove_dir_all(temp);
        }
        // Children before parents; a folder that holds anything else stays.
        for folder in self.folders.iter().rev() {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// Renames a staged file or folder over `target`; an error names it.
fn rename_into_place(temp: &Path, target: &Path) -> io::Result<()> {
    std::fs::rename(temp, target).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("cannot move {} into place: {err}", target.display()),
        )
    })
}

/// Where `folder`, at or below the staged folder `ancestor`, is inside its
/// temporary folder `temp`; created if below.
fn within(temp: &Path, folder: &Path, ancestor: &Path) -> io::Result<PathBuf> {
    let rest = folder.strip_prefix(ancestor).unwrap_or(Path::new(""));
    if rest.as_os_str().is_empty() {
        return Ok(temp.to_path_buf());
    }
    let inside = temp.join(rest);
    std::fs::create_dir_all(&inside)?;
    Ok(inside)
}

/// Writes `writes` in turn, stopping at the first error; the temporary
/// files written, with their targets, either way.
fn write_files(writes: &[FileWrite<'_>]) -> (Vec<(PathBuf, PathBuf)>, io::Result<()>) {
    let mut temps = Vec::with_capacity(writes.len());
    for (path, target, contents) in writes {
        if let Err(err) = write_new(path, contents) {
            return (temps, Err(err));
        }
        if let Some(target) = target {
            temps.push((path.clone(), target.clone()));
        }
    }
    (temps, Ok(()))
}

/// The lock, even if a thread panicked holding it: the panic is reported
/// where the thread is joined, and what it recorded stays true.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes `contents` to a new file at `path`, whose folder exists; a
/// failed write removes what it wrote.
fn write_new(path: &Path, contents: &str) -> io::Result<()> {
    let written = std::fs::File::create(path).and_then(|mut f| f.write_all(contents.as_bytes()));
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
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

/// A temporary file or folder a killed build left behind:
/// `.<name>.lookout-<pid>.tmp` of another process. This process's own are
/// staged, not left over: a build may list stale candidates after staging
/// its batches.
fn is_leftover(path: &Path) -> bool {
    leftover_target(path).is_some()
}

/// The `<name>` a leftover temporary file or folder stands in for.
fn leftover_target(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let (target, pid) = rest.rsplit_once(TEMP_INFIX)?;
    let foreign = !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && pid != self::pid().to_string();
    foreign.then_some(target)
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
            if is_dir && !is_leftover(&path) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn create(path: &str, text: &str) -> Change {
        change_to(Path::new(path), None, Arc::new(text.to_string()))
    }

    fn read(path: impl AsRef<Path>) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    fn owned() -> Vec<PathBuf> {
        vec![PathBuf::from("rules"), PathBuf::from("dashboards/grafana")]
    }

    #[test]
    fn missing_owned_folders_are_staged_whole_and_appear_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let changes = [
            create("rules/a.yaml", "a"),
            create("rules/tests/a.test.yaml", "t"),
            create("dashboards/grafana/a.json", "{}"),
        ];
        let staged = stage(&root, &changes, &owned()).unwrap();
        // Nothing under the real names yet; `dashboards`, above an owned
        // folder, is created in place.
        assert!(!root.join("rules").exists());
        assert!(root.join("dashboards").is_dir());
        assert!(!root.join("dashboards/grafana").exists());
        let temp = temp_path(&root.join("rules"));
        assert_eq!(read(temp.join("tests/a.test.yaml")), "t");
        assert!(staged.temps.is_empty(), "no file renamed one by one");
        staged.commit(&root, &changes).unwrap();
        assert_eq!(read(root.join("rules/a.yaml")), "a");
        assert_eq!(read(root.join("dashboards/grafana/a.json")), "{}");
        assert!(!temp.exists());
    }

    #[test]
    fn files_in_existing_folders_take_temporary_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("rules")).unwrap();
        let changes = [create("rules/a.yaml", "a"), create("rules/new/b.yaml", "b")];
        let staged = stage(root, &changes, &owned()).unwrap();
        assert_eq!(staged.temps.len(), 1);
        assert!(!root.join("rules/a.yaml").exists());
        assert!(!root.join("rules/new").exists());
        staged.commit(root, &changes).unwrap();
        assert_eq!(read(root.join("rules/a.yaml")), "a");
        assert_eq!(read(root.join("rules/new/b.yaml")), "b");
        assert_eq!(std::fs::read_dir(root.join("rules")).unwrap().count(), 2);
    }

    #[test]
    fn abandoning_removes_staged_folders_and_created_parents() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let changes = [create("dashboards/grafana/a.json", "{}")];
        stage(&root, &changes, &owned()).unwrap().abandon();
        assert!(!root.exists());
    }

    #[test]
    fn a_leftover_folder_with_this_processs_pid_is_replaced() {
        // A killed build's, when pids repeat (each container starts anew).
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let temp = temp_path(&root.join("rules"));
        std::fs::create_dir_all(temp.join("old")).unwrap();
        std::fs::write(temp.join("old/x.yaml"), "cut short").unwrap();
        let changes = [create("rules/a.yaml", "a")];
        stage(root, &changes, &owned())
            .unwrap()
            .commit(root, &changes)
            .unwrap();
        let names: Vec<_> = std::fs::read_dir(root.join("rules"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.yaml"]);
    }

    #[test]
    fn leftovers_are_another_processs_temporary_names() {
        let other = format!(".rules.lookout-{}.tmp", pid() + 1);
        assert_eq!(leftover_target(Path::new(&other)), Some("rules"));
        assert!(!is_leftover(&temp_path(Path::new("rules"))));
        assert!(!is_leftover(Path::new(".rules.lookout-.tmp")));
        assert!(!is_leftover(Path::new("rules.lookout-12.tmp")));
        assert!(!is_leftover(Path::new(".rules.lookout-1x.tmp")));
    }
}
