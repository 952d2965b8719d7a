//! CLI benchmark: the real `lookout` binary on real files, as a user runs
//! it. `cargo bench --bench cli` prints the figures the README quotes.
//!
//! For 10,000 SLOs in 1,000 service files (and for 1,000 SLOs, to show
//! memory grows linearly), it times, RUNS times each:
//! - a cold `build` into a new, empty output directory (and, apart, right
//!   after deleting the previous outputs);
//! - a no-op `build` (nothing changed);
//! - a `build` after one spec changed;
//! - `check` after that build (answered from the build cache), and
//!   without a cache, as in a fresh clone (compile and compare everything).
//!
//! It opens and ends with a probe of what fresh memory costs the machine
//! at that moment (see `fresh_memory_probe`), which moves a cold build
//! more than anything in lookout does on a VM.
//!
//! Peak RSS is the child's `ru_maxrss` from `wait4`. Targets on a 2-core
//! machine: cold ≤ 1.0 s, no-op ≤ 0.3 s, one change ≤ 0.3 s, check ≤ 1.0 s.
//! The project lives under `$LOOKOUT_BENCH_DIR` (default: the system temp
//! directory), so a different disk can be measured.
//!
//! Nothing is deleted until every other case has run: on ext4 without a
//! journal, each file created within a minute of a mass deletion (six
//! while the inode table is dirty) scans past every recently deleted inode
//! in its group (`find_inode_bit` and `recently_deleted` in
//! `fs/ext4/ialloc.c`), so a benchmark that cleans up as it goes measures
//! its own cleanup. Finished trees are renamed into a trash folder,
//! removed at exit; so do not start it within six minutes of its last run
//! or of any large deletion on the same filesystem.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/specs.rs"]
mod specs;
#[path = "../tests/support/tree.rs"]
mod tree;
use specs::{service_spec, SLOS_PER_SERVICE};

const RUNS: usize = 7;
const CONFIG: &str = "runbooks:\n  base_url: https://runbooks.example.com\ngrafana:\n  url: https://grafana.example.com\n";

/// Where finished trees wait until the end; see the module comment.
struct Trash {
    dir: PathBuf,
    next: std::cell::Cell<usize>,
}

impl Trash {
    fn new(base: &Path) -> Trash {
        let dir = base.join(format!("lookout-cli-bench-trash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Trash {
            dir,
            next: std::cell::Cell::new(0),
        }
    }

    /// Moves `path`, if it exists, out of the way without deleting it.
    fn discard(&self, path: &Path) {
        if path.exists() {
            let n = self.next.replace(self.next.get() + 1);
            std::fs::rename(path, self.dir.join(n.to_string())).unwrap();
        }
    }
}

impl Drop for Trash {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Run {
    wall: Duration,
    max_rss_kib: i64,
}

/// Runs the binary in `root` and waits for it with `wait4`, for its peak RSS.
fn run(root: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("lookout starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child's and has not been waited for (std never
    // waits on its own); status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "lookout {args:?} failed in {}",
        root.display()
    );
    std::mem::forget(child);
    Run {
        wall,
        max_rss_kib: usage.ru_maxrss,
    }
}

fn project(base: &Path, trash: &Trash, services: usize) -> PathBuf {
    let root = base.join(format!("lookout-cli-bench-{services}"));
    trash.discard(&root);
    std::fs::create_dir_all(root.join("slos")).unwrap();
    std::fs::write(root.join("lookout.yaml"), CONFIG).unwrap();
    for i in 0..services {
        std::fs::write(root.join(format!("slos/svc-{i}.yaml")), service_spec(i)).unwrap();
    }
    root
}

const OUTPUT_DIRS: &[&str] = &["rules", "runbooks", "dashboards", "kubernetes"];

fn outputs(root: &Path) -> Vec<PathBuf> {
    OUTPUT_DIRS.iter().map(|d| root.join(d)).collect()
}

fn summary(name: &str, runs: &[Run]) {
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    walls.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rss = runs.iter().map(|r| r.max_rss_kib).max().unwrap_or(0);
    let rss = if rss > 0 {
        format!("peak RSS {:>6.1} MiB", rss as f64 / 1024.0)
    } else {
        "                  ".into()
    };
    println!(
        "  {name:<20} min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms  {rss}  ({} runs)",
        ms(walls[0]),
        ms(walls[walls.len() / 2]),
        ms(walls[walls.len() - 1]),
        runs.len()
    );
}

fn bench(base: &Path, trash: &Trash, services: usize) -> PathBuf {
    let root = project(base, trash, services);
    let spec_bytes: u64 = std::fs::read_dir(root.join("slos"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    // Warm the page cache and the binary once, then measure.
    run(&root, &["build"]);
    let (files, bytes) = count(&outputs(&root));
    println!(
        "{} SLOs in {services} files ({:.1} MiB of specs) -> {files} files ({:.1} MiB), under {}",
        services * SLOS_PER_SERVICE,
        spec_bytes as f64 / 1_048_576.0,
        bytes as f64 / 1_048_576.0,
        base.display()
    );
    // Into a new, empty directory each time, as in a fresh clone.
    let cold: Vec<Run> = (0..RUNS)
        .map(|i| {
            let out = root.join(format!("cold-{i}"));
            run(&root, &["build", "--out", &out.to_string_lossy()])
        })
        .collect();
    summary("cold build", &cold);
    let noop: Vec<Run> = (0..RUNS).map(|_| run(&root, &["build"])).collect();
    summary("no-op build", &noop);
    let spec = root.join("slos/svc-0.yaml");
    let original = std::fs::read_to_string(&spec).unwrap();
    let one_change: Vec<Run> = (0..RUNS)
        .map(|i| {
            // A different objective each time, so every run has work to do.
            let changed = original.replacen(
                "objective: 99.9\n",
                &format!("objective: 99.{}\n", 1 + i % 8),
                1,
            );
            std::fs::write(&spec, changed).unwrap();
            run(&root, &["build"])
        })
        .collect();
    summary("one changed spec", &one_change);
    std::fs::write(&spec, original).unwrap();
    run(&root, &["build"]);
    let check: Vec<Run> = (0..RUNS).map(|_| run(&root, &["check"])).collect();
    summary("check", &check);
    // As CI runs it, in a fresh clone: no build cache, so it compiles and
    // compares everything.
    trash.discard(&root.join(".lookout"));
    let full_check: Vec<Run> = (0..RUNS).map(|_| run(&root, &["check"])).collect();
    summary("  (without a cache)", &full_check);
    floor(&root);
    root
}

/// A cold build right after deleting the previous outputs, on purpose (see
/// the module comment); run after every other case of every project, so
/// its deletions slow no other case. No RSS: `floor` held every output in
/// this process, and a child spawned since reports that peak as its own
/// (`ru_maxrss` survives the exec).
fn after_delete(root: &Path, trash: &Trash) {
    let runs: Vec<Run> = (0..3)
        .map(|_| {
            for dir in outputs(root) {
                let _ = std::fs::remove_dir_all(dir);
            }
            let _ = std::fs::remove_dir_all(root.join(".lookout"));
            Run {
                max_rss_kib: 0,
                ..run(root, &["build"])
            }
        })
        .collect();
    let services = std::fs::read_dir(root.join("slos")).unwrap().count();
    println!("{} SLOs:", services * SLOS_PER_SERVICE);
    summary("  (right after rm -rf)", &runs);
    trash.discard(root);
}

/// The filesystem's own cost of a cold build: the same files written with
/// plain `std::fs::write` from memory into an empty directory, on every
/// core, with no compiling and no renames. No build can be faster here.
fn floor(root: &Path) {
    let files: Vec<(PathBuf, Vec<u8>)> = tree::files_under(root, OUTPUT_DIRS).into_iter().collect();
    let mut walls = Vec::new();
    for i in 0..3 {
        let target = root.join(format!("floor-{i}"));
        let start = Instant::now();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::scope(|scope| {
            for chunk in files.chunks(files.len().div_ceil(threads)) {
                let target = &target;
                scope.spawn(move || {
                    for (path, contents) in chunk {
                        let path = target.join(path);
                        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                        std::fs::write(path, contents).unwrap();
                    }
                });
            }
        });
        walls.push(Run {
            wall: start.elapsed(),
            max_rss_kib: 0,
        });
    }
    summary("  (fs floor: writes)", &walls);
}

/// What fresh memory costs this machine today, which bounds a cold build
/// more than lookout does: a VM whose host takes back freed memory
/// (`page_reporting`) faults each page the page cache takes for the first
/// time in the host. Writing `MIB` MiB into a new file takes fresh pages;
/// writing it again right after deleting the file reuses the pages just
/// freed, before the guest reports them (some two seconds). A large gap
/// between the two lines says cold builds are paying for the host.
fn fresh_memory_probe(base: &Path) {
    const MIB: usize = 400;
    let chunk = vec![b'x'; 1 << 20];
    let path = base.join(format!("lookout-cli-bench-probe-{}", std::process::id()));
    let write = || {
        let start = Instant::now();
        let mut file = std::fs::File::create(&path).unwrap();
        for _ in 0..MIB {
            std::io::Write::write_all(&mut file, &chunk).unwrap();
        }
        drop(file);
        let wall = start.elapsed();
        std::fs::remove_file(&path).unwrap();
        wall.as_secs_f64()
    };
    let fresh = write();
    let reused = write();
    println!(
        "page cache: {MIB} MiB into a new file {fresh:.2} s; again right after deleting it {reused:.2} s"
    );
}

fn count(dirs: &[PathBuf]) -> (usize, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut pending: Vec<PathBuf> = dirs.to_vec();
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn main() {
    let base = std::env::var_os("LOOKOUT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    println!(
        "CLI benchmark: {} on {} cores",
        env!("CARGO_BIN_EXE_lookout"),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    fresh_memory_probe(&base);
    let trash = Trash::new(&base);
    let roots: Vec<PathBuf> = [100, 1_000]
        .into_iter()
        .map(|services| bench(&base, &trash, services))
        .collect();
    for root in &roots {
        after_delete(root, &trash);
    }
    fresh_memory_probe(&base);
}
