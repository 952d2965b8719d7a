//! `build` killed with SIGKILL at random points: every output file holds
//! wholly its old or wholly its new contents, and the next `build`
//! converges to exactly the new outputs with no temporary file left (the
//! promise in `src/out.rs`).

#[path = "support/tree.rs"]
mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TRIALS: usize = 50;
const SERVICES: usize = 60;
const OUTPUT_DIRS: &[&str] = &["rules", "runbooks", "dashboards", "kubernetes"];

type Tree = BTreeMap<PathBuf, Vec<u8>>;

fn spec(service: usize, objective: &str) -> String {
    format!(
        "service: svc-{service}\nteam: t\nslos:\n  - name: availability\n    objective: {objective}\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{job=\"svc-{service}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc-{service}\"}}[{{{{window}}}}]))\n  - name: latency\n    objective: {objective}\n    sli:\n      latency:\n        histogram: http_request_duration_seconds\n        selector: '{{job=\"svc-{service}\"}}'\n        threshold: 0.3\n"
    )
}

/// The old specs: services 0..N at 99.9. The new ones change every
/// objective, drop service 0 (its files become stale) and add service N
/// (new files), so a build rewrites, removes and creates.
fn write_specs(root: &Path, new: bool) {
    let slos = root.join("slos");
    let _ = std::fs::remove_dir_all(&slos);
    std::fs::create_dir_all(&slos).unwrap();
    let (services, objective) = if new {
        (1..=SERVICES, "99.5")
    } else {
        (0..=SERVICES - 1, "99.9")
    };
    for i in services {
        std::fs::write(slos.join(format!("svc-{i}.yaml")), spec(i, objective)).unwrap();
    }
    std::fs::write(
        root.join("lookout.yaml"),
        "runbooks:\n  base_url: https://runbooks.example.com\n",
    )
    .unwrap();
}

fn lookout(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lookout"));
    command
        .arg("build")
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn build(root: &Path) {
    assert!(lookout(root).status().unwrap().success(), "build failed");
}

fn tree(root: &Path) -> Tree {
    tree::files_under(root, OUTPUT_DIRS)
}

/// A temporary file, or a file inside a folder staged whole under a
/// temporary name (one the build found missing).
fn is_temp(path: &Path) -> bool {
    path.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name.starts_with('.') && name.ends_with(".tmp")
    })
}

/// Puts `files` back as the outputs, without a build cache, so every
/// trial's build takes the same (full) path.
fn restore(root: &Path, files: &Tree) {
    for dir in OUTPUT_DIRS {
        let _ = std::fs::remove_dir_all(root.join(dir));
    }
    let _ = std::fs::remove_dir_all(root.join(".lookout"));
    for (path, contents) in files {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, contents).unwrap();
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

#[test]
fn a_killed_build_leaves_old_or_new_files_and_the_next_build_converges() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    write_specs(root, true);
    build(root);
    let new = tree(root);
    restore(root, &Tree::new());
    write_specs(root, false);
    build(root);
    let old = tree(root);
    assert!(old.keys().any(|p| !new.contains_key(p)), "no stale files");
    assert!(new.keys().any(|p| !old.contains_key(p)), "no created files");
    assert!(
        old.iter().filter(|(p, c)| new.get(*p) == Some(c)).count() < old.len() / 10,
        "most files should change"
    );

    // How long a whole build takes from the old tree, as in the trials,
    // so kills land all over it; the slowest of three.
    write_specs(root, true);
    let full = (0..3)
        .map(|_| {
            restore(root, &old);
            let start = Instant::now();
            build(root);
            start.elapsed()
        })
        .max()
        .unwrap();

    let mut rng = Lcg(0x5eed);
    let (mut untouched, mut torn_between, mut finished, mut with_temps) = (0, 0, 0, 0);
    let (mut cold, mut cold_partial) = (0, 0);
    let nothing = Tree::new();
    // The slowest whole build seen so far: builds slow down as the trials
    // go (on ext4, creating files stays slow for minutes after the mass
    // deletions each trial's restore makes), and kills timed from the
    // first three builds alone all landed before any rename in one CI run.
    let mut span = full;
    for trial in 0..TRIALS {
        // Every fifth trial is a cold build, into no outputs at all.
        let before = if trial % 5 == 4 { &nothing } else { &old };
        restore(root, before);
        // From 30% to 150% of a build: compiling comes first, and kills
        // before any write prove nothing about the writes.
        let micros = span.as_micros() as u64;
        let delay = Duration::from_micros(micros * 3 / 10 + rng.below(micros * 6 / 5));
        let mut child = lookout(root).spawn().unwrap();
        std::thread::sleep(delay);
        // SAFETY: kill(2) on our own child's pid, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        child.wait().unwrap();

        let after = tree(root);
        let (mut as_old, mut as_new) = (0, 0);
        with_temps += usize::from(after.keys().any(|p| is_temp(p)));
        for (path, contents) in &after {
            if is_temp(path) {
                continue;
            }
            let was_old = before.get(path) == Some(contents);
            let is_new = new.get(path) == Some(contents);
            assert!(
                was_old || is_new,
                "trial {trial} (killed after {delay:?}): {} is neither old nor new",
                path.display()
            );
            as_old += usize::from(was_old && !is_new);
            as_new += usize::from(is_new && !was_old);
        }
        for path in before.keys().chain(new.keys()) {
            // Absent only where the old build had none or the new has none.
            assert!(
                after.contains_key(path) || !before.contains_key(path) || !new.contains_key(path),
                "trial {trial}: {} vanished",
                path.display()
            );
        }
        if before.is_empty() {
            cold += 1;
            // Folders appear whole: some of the new files but not all.
            cold_partial += usize::from(as_new > 0 && as_new < new.len());
        }
        match (as_old, as_new) {
            (_, 0) => untouched += 1,
            (0, _) => finished += 1,
            _ => torn_between += 1,
        }

        // From where the kill left it, a whole build again: no cache.
        let start = Instant::now();
        build(root);
        span = span.max(start.elapsed());
        assert_eq!(
            tree(root),
            new,
            "trial {trial}: the build after the kill did not converge"
        );
    }
    println!(
        "{TRIALS} kills over a {full:?} build ({span:?} at the slowest): {untouched} before any rename ({with_temps} with temporary files left), {torn_between} between renames, {finished} after all; {cold} cold, {cold_partial} of them with some folders in place"
    );
    // The interesting cases must actually happen, or the test proves little.
    assert!(
        with_temps > 0 && torn_between + finished > 0,
        "kills did not spread over the build: {untouched} ({with_temps}) / {torn_between} / {finished}"
    );
}
