//! The build cache: what the last successful `build` read and wrote, so
//! that the next one skips what did not change, as cargo's fingerprints do.
//!
//! Spec files are recognised by size and modification time, then by a hash
//! of their contents when those differ (a `git checkout` or `touch` that
//! changes nothing). Outputs are recognised by size and modification time
//! only, so an output edited or deleted by hand is seen without reading
//! every file; when any output differs, `build` falls back to comparing
//! everything. Everything else a build reads (lookout.yaml, the runbook
//! template, the jsonnet programs, the binary itself) goes into one key.
//!
//! The cache is a hint, never the truth: missing, unreadable or from
//! another binary, it is ignored and rewritten. `check` never reads it.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

/// Folder of the cache under the output root; it holds a `.gitignore` of
/// `*`, so it never reaches the repository.
pub const DIR: &str = ".lookout";
const FILE: &str = "build-cache";
const HEADER: &str = "lookout build cache 1";

/// What a file's metadata says about its contents without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: i128,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta.modified().ok()?;
        let mtime_ns = match mtime.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => after.as_nanos() as i128,
            Err(before) => -(before.duration().as_nanos() as i128),
        };
        Some(Stamp {
            len: meta.len(),
            mtime_ns,
        })
    }
}

/// A spec file as the last build read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub stamp: Stamp,
    pub hash: u64,
}

/// A file the last build left in place, relative to the output root, and
/// the spec file it came from (`None`: from the whole project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: PathBuf,
    pub stamp: Stamp,
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildCache {
    /// Everything but the spec files; see [`Key`].
    pub key: u64,
    pub slos: usize,
    pub services: usize,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
}

/// Accumulates the key of everything a build reads besides the specs.
pub struct Key(DefaultHasher);

impl Key {
    /// Starts from this binary: a rebuilt lookout may emit differently.
    pub fn new() -> Key {
        let mut hasher = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        let exe = std::env::current_exe().ok().and_then(|p| Stamp::of(&p));
        exe.map(|s| (s.len, s.mtime_ns)).hash(&mut hasher);
        Key(hasher)
    }

    pub fn add(&mut self, part: impl Hash) {
        part.hash(&mut self.0);
    }

    /// A file's path and contents; a missing file counts as such.
    pub fn add_file(&mut self, path: &Path) {
        path.hash(&mut self.0);
        std::fs::read(path).ok().hash(&mut self.0);
    }

    pub fn finish(&self) -> u64 {
        self.0.finish()
    }
}

impl Default for Key {
    fn default() -> Self {
        Key::new()
    }
}

pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// What a build reads, taken before compiling: the key of everything but
/// the spec files, and the spec files with their stamps. Whether the last
/// build's cache still holds is decided here.
pub struct Fingerprint {
    pub key: u64,
    pub out_root: PathBuf,
    /// Where lookout writes, for files that appeared there since.
    pub owned_dirs: Vec<PathBuf>,
    pub specs: Vec<(PathBuf, Stamp)>,
}

impl Fingerprint {
    /// `None` when a spec file cannot be stamped: the full build reports it.
    pub fn new(
        key: u64,
        out_root: PathBuf,
        owned_dirs: Vec<PathBuf>,
        specs: Vec<PathBuf>,
    ) -> Option<Fingerprint> {
        let specs = specs
            .into_iter()
            .map(|path| Stamp::of(&path).map(|stamp| (path, stamp)))
            .collect::<Option<Vec<_>>>()?;
        Some(Fingerprint {
            key,
            out_root,
            owned_dirs,
            specs,
        })
    }

    /// The spec inputs as of now, and the files that changed, appeared or
    /// disappeared since `cache`.
    pub fn compare(&self, cache: &BuildCache) -> (Vec<Input>, HashSet<PathBuf>) {
        let cached: HashMap<&Path, &Input> =
            cache.inputs.iter().map(|i| (i.path.as_path(), i)).collect();
        let mut inputs = Vec::with_capacity(self.specs.len());
        // Files gone since: a set, as this runs on every build.
        let present: HashSet<&Path> = self.specs.iter().map(|(p, _)| p.as_path()).collect();
        let mut changed: HashSet<PathBuf> = cache
            .inputs
            .iter()
            .filter(|i| !present.contains(i.path.as_path()))
            .map(|i| i.path.clone())
            .collect();
        for (path, stamp) in &self.specs {
            let before = cached.get(path.as_path());
            if let Some(before) = before.filter(|b| b.stamp == *stamp) {
                inputs.push((*before).clone());
                continue;
            }
            let hash = std::fs::read(path).map_or(0, |bytes| hash_bytes(&bytes));
            if before.is_none_or(|b| b.hash != hash) {
                changed.insert(path.clone());
            }
            inputs.push(Input {
                path: path.clone(),
                stamp: *stamp,
                hash,
            });
        }
        (inputs, changed)
    }

    /// The last build's cache, when it can stand in for what is on disk:
    /// built from the same inputs but the specs, every output it lists as
    /// that build left it (one stat per file, on every core), and no other
    /// file lookout could own under the output folders (a branch switch
    /// can bring back one that no spec generates any more).
    pub fn trusted_cache(&self) -> Option<BuildCache> {
        let cache = load(&self.out_root)?;
        if cache.key != self.key {
            return None;
        }
        let root = &self.out_root;
        let intact = crate::parallel::map_chunks(&cache.outputs, 256, |chunk| {
            chunk
                .iter()
                .all(|o| Stamp::of(&root.join(&o.path)) == Some(o.stamp))
        });
        if !intact.into_iter().all(|intact| intact) {
            return None;
        }
        let listed: HashSet<&Path> = cache.outputs.iter().map(|o| o.path.as_path()).collect();
        let on_disk = super::owned_files(root, &self.owned_dirs).ok()?;
        // A file the user keeps there (a hand-written runbook) is fine.
        let unlisted_owned = on_disk
            .iter()
            .filter(|path| !listed.contains(path.as_path()))
            .any(|path| super::owns_file(&root.join(path)).unwrap_or(true));
        (!unlisted_owned).then_some(cache)
    }

    /// The trusted cache, when no spec file changed since it was written:
    /// compiling would give that build's result again.
    pub fn unchanged_cache(&self) -> Option<BuildCache> {
        self.trusted_cache()
            .filter(|cache| self.compare(cache).1.is_empty())
    }

    /// The spec files as a compile read them (`texts`, by path): the
    /// stamps taken before, the hashes of the text read.
    pub fn inputs_read<'a>(&self, texts: impl Iterator<Item = (&'a Path, &'a str)>) -> Vec<Input> {
        let texts: HashMap<&Path, &str> = texts.collect();
        self.specs
            .iter()
            .map(|(path, stamp)| Input {
                path: path.clone(),
                stamp: *stamp,
                hash: texts
                    .get(path.as_path())
                    .map_or(0, |text| hash_bytes(text.as_bytes())),
            })
            .collect()
    }

    /// Each output's stamp as written now, with the spec file it came from;
    /// `None` when one cannot be stamped (then the cache is discarded).
    pub fn stamp_outputs(&self, outputs: &[(PathBuf, Option<PathBuf>)]) -> Option<Vec<Output>> {
        let root = &self.out_root;
        let mut stamped = Vec::with_capacity(outputs.len());
        for chunk in crate::parallel::map_chunks(outputs, 256, |chunk| {
            chunk
                .iter()
                .map(|(path, source)| {
                    Some(Output {
                        stamp: Stamp::of(&root.join(path))?,
                        source: source.clone(),
                        path: path.clone(),
                    })
                })
                .collect::<Option<Vec<_>>>()
        }) {
            stamped.extend(chunk?);
        }
        Some(stamped)
    }
}

/// An incremental build, decided from a trusted cache: the spec files
/// changed since it was written (their services are emitted again, with
/// the project-wide artifacts), and everything else carried over as it is.
pub struct Incremental {
    pub cache: BuildCache,
    /// The spec inputs as of now.
    pub inputs: Vec<Input>,
    /// Spec files changed, added or removed since the cache.
    pub changed: HashSet<PathBuf>,
}

impl Incremental {
    /// Whether `output` comes from a changed spec file or from the whole
    /// project: emitted again, or gone stale.
    fn is_redone(&self, output: &Output) -> bool {
        output
            .source
            .as_ref()
            .is_none_or(|source| self.changed.contains(source))
    }

    /// The outputs of unchanged spec files, left untouched.
    pub fn carried(&self) -> Vec<Output> {
        let outputs = self.cache.outputs.iter();
        outputs.filter(|o| !self.is_redone(o)).cloned().collect()
    }

    /// The outputs that may go stale: the ones emitted again.
    pub fn candidates(&self) -> Vec<PathBuf> {
        let outputs = self.cache.outputs.iter();
        outputs
            .filter(|o| self.is_redone(o))
            .map(|o| o.path.clone())
            .collect()
    }

    /// Unchanged spec files, which the cache vouches for: their queries
    /// parse as they did when it was written.
    pub fn trusted(&self) -> HashSet<PathBuf> {
        let paths = self.inputs.iter().map(|input| input.path.clone());
        paths.filter(|path| !self.changed.contains(path)).collect()
    }
}

fn path(root: &Path) -> PathBuf {
    root.join(DIR).join(FILE)
}

/// The cache under `root`, if there is a readable one.
pub fn load(root: &Path) -> Option<BuildCache> {
    let text = std::fs::read_to_string(path(root)).ok()?;
    parse(&text)
}

fn parse(text: &str) -> Option<BuildCache> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut cache = BuildCache::default();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let stamp = |len: &str, mtime: &str| {
            Some(Stamp {
                len: len.parse().ok()?,
                mtime_ns: mtime.parse().ok()?,
            })
        };
        match fields.as_slice() {
            ["key", key, slos, services] => {
                cache.key = key.parse().ok()?;
                cache.slos = slos.parse().ok()?;
                cache.services = services.parse().ok()?;
            }
            ["in", path, len, mtime, hash] => cache.inputs.push(Input {
                path: PathBuf::from(path),
                stamp: stamp(len, mtime)?,
                hash: hash.parse().ok()?,
            }),
            ["out", path, len, mtime, source] => cache.outputs.push(Output {
                path: PathBuf::from(path),
                stamp: stamp(len, mtime)?,
                source: (!source.is_empty()).then(|| PathBuf::from(source)),
            }),
            _ => return None,
        }
    }
    Some(cache)
}

/// Writes the cache under `root` (atomically, like every output). Paths
/// that would break the line format leave no cache at all.
pub fn save(root: &Path, cache: &BuildCache) -> io::Result<()> {
    let mut text = format!(
        "{HEADER}\nkey\t{}\t{}\t{}\n",
        cache.key, cache.slos, cache.services
    );
    for input in &cache.inputs {
        let Some(p) = plain(&input.path) else {
            return discard(root);
        };
        text.push_str(&format!(
            "in\t{p}\t{}\t{}\t{}\n",
            input.stamp.len, input.stamp.mtime_ns, input.hash
        ));
    }
    for output in &cache.outputs {
        let source = match output.source.as_deref() {
            None => Some(""),
            Some(source) => plain(source),
        };
        let (Some(p), Some(source)) = (plain(&output.path), source) else {
            return discard(root);
        };
        text.push_str(&format!(
            "out\t{p}\t{}\t{}\t{source}\n",
            output.stamp.len, output.stamp.mtime_ns
        ));
    }
    let dir = root.join(DIR);
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "# lookout's build cache; safe to delete.\n*\n")?;
    }
    let temp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path(root))
}

/// The path as text, when it can stand in a tab-separated line.
fn plain(path: &Path) -> Option<&str> {
    let text = path.to_str()?;
    (!text.contains(['\t', '\n', '\r'])).then_some(text)
}

/// Removes the cache, so a stale one can never be trusted.
pub fn discard(root: &Path) -> io::Result<()> {
    match std::fs::remove_file(path(root)) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_anything_else() {
        let cache = BuildCache {
            key: 42,
            slos: 3,
            services: 2,
            inputs: vec![Input {
                path: "slos/a.yaml".into(),
                stamp: Stamp {
                    len: 10,
                    mtime_ns: -5,
                },
                hash: 7,
            }],
            outputs: vec![
                Output {
                    path: "rules/a.yaml".into(),
                    stamp: Stamp {
                        len: 1,
                        mtime_ns: 2,
                    },
                    source: Some("slos/a.yaml".into()),
                },
                Output {
                    path: "dashboards/grafana/slo-overview.json".into(),
                    stamp: Stamp {
                        len: 3,
                        mtime_ns: 4,
                    },
                    source: None,
                },
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &cache).unwrap();
        assert_eq!(load(dir.path()), Some(cache));
        assert_eq!(parse("lookout build cache 0\n"), None);
        assert_eq!(parse("lookout build cache 1\nin\tx\t1\n"), None);
        discard(dir.path()).unwrap();
        assert_eq!(load(dir.path()), None);
    }
}
