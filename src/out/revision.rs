//! A project's specs as they were at a git revision, written into a
//! scratch folder for `backtest --compare` to compile: the config file and
//! every file of the spec folder, from `git show REV:PATH`. The folder is
//! removed when the [`Revision`] is dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Revision {
    dir: PathBuf,
    /// The config file in the scratch folder, when the revision had one.
    pub config: Option<PathBuf>,
    pub slos: PathBuf,
}

impl Drop for Revision {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

/// `config` (optional) and the folder `slos`, both paths on disk inside a
/// git work tree, as they were at `rev`.
pub fn at(rev: &str, config: Option<&Path>, slos: &Path) -> Result<Revision, String> {
    let slos = std::fs::canonicalize(slos).map_err(|e| format!("{}: {e}", slos.display()))?;
    let top = String::from_utf8_lossy(&git(&slos, &["rev-parse", "--show-toplevel"])?)
        .trim()
        .to_string();
    let top = PathBuf::from(top);
    let relative = |path: &Path| -> Result<String, String> {
        let path = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
        path.strip_prefix(&top)
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|_| {
                format!(
                    "{} is outside the git work tree {}",
                    path.display(),
                    top.display()
                )
            })
    };
    git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("`{rev}` is not a git revision here"))?;
    let dir = std::env::temp_dir().join(format!(
        "lookout-compare-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let revision = Revision {
        config: None,
        slos: dir.join("slos"),
        dir,
    };
    std::fs::create_dir_all(&revision.slos).map_err(|e| e.to_string())?;
    let slos_rel = relative(&slos)?;
    let listed = git(
        &top,
        &["ls-tree", "-r", "--name-only", rev, "--", &slos_rel],
    )?;
    for file in String::from_utf8_lossy(&listed).lines() {
        let inside = Path::new(file)
            .strip_prefix(&slos_rel)
            .map_err(|_| format!("{file} is outside {slos_rel}"))?;
        let target = revision.slos.join(inside);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let text = git(&top, &["show", &format!("{rev}:{file}")])?;
        std::fs::write(&target, text).map_err(|e| e.to_string())?;
    }
    let mut revision = revision;
    if let Some(config) = config {
        let config_rel = relative(config)?;
        if let Ok(text) = git(&top, &["show", &format!("{rev}:{config_rel}")]) {
            let target = revision.dir.join("lookout.yaml");
            std::fs::write(&target, text).map_err(|e| e.to_string())?;
            revision.config = Some(target);
        }
    }
    Ok(revision)
}
