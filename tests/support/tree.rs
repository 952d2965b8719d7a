//! The files under some folders of a project, read whole: what the crash
//! and incremental-build tests compare, and what the CLI benchmark writes
//! back for its filesystem floor. Standalone (`#[path]`), so those need not
//! build the rest of `support`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `root`'s `dirs`, recursively, by path relative to
/// `root`. Missing folders are empty.
pub fn files_under(root: &Path, dirs: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}
