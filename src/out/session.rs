//! A build's writes in progress. Each batch of artifacts is compared and
//! staged on the core that emitted it, as soon as it was emitted; nothing
//! is renamed into place until [`Session::commit`], so a refused or failed
//! build writes nothing ([`Session::abandon`]).

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::{Change, Staged};
use crate::emit::Artifact;
use crate::plan::Action;

pub struct Session {
    root: PathBuf,
    owned_dirs: Vec<PathBuf>,
    staged: Mutex<Staged>,
    /// Folders found absent so far, shared by every core: a folder absent
    /// when first looked at holds nothing from before the build, even once
    /// staging has created it.
    missing: Mutex<HashSet<PathBuf>>,
    /// A conflict was found: nothing more is staged, since all of it will
    /// be abandoned, but comparing goes on to report every conflict.
    conflicted: AtomicBool,
}

impl Session {
    /// A session writing under `root`, whose `owned_dirs` (relative to it)
    /// are lookout's.
    pub fn new(root: PathBuf, owned_dirs: Vec<PathBuf>) -> Session {
        Session {
            root,
            owned_dirs,
            staged: Mutex::new(Staged::default()),
            missing: Mutex::new(HashSet::new()),
            conflicted: AtomicBool::new(false),
        }
    }

    /// Compares `artifacts` with their files and stages what differs, on
    /// this thread; several threads may stage at once. Returns the
    /// changes, their texts dropped: the staged files hold them.
    pub fn stage(&self, artifacts: &[Artifact]) -> io::Result<Vec<Change>> {
        let found = super::compare_shared_batch(&self.root, artifacts, &self.missing)?;
        if found.iter().any(|c| c.action == Action::Conflict) {
            self.conflicted.store(true, Ordering::Relaxed);
        }
        if !self.conflicted.load(Ordering::Relaxed) {
            Staged::stage_shared(&self.staged, &self.root, &found, &self.owned_dirs)?;
        }
        Ok(found.into_iter().map(super::without_text).collect())
    }

    /// Renames every staged file into place, then carries out `deletes`.
    pub fn commit(self, deletes: &[Change]) -> io::Result<()> {
        let staged = self
            .staged
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        staged.commit(&self.root, deletes)
    }

    /// Removes everything staged: nothing is written.
    pub fn abandon(self) {
        let staged = self
            .staged
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        staged.abandon();
    }
}
