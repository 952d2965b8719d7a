//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod alloy;
pub mod book;
pub mod fake;
pub mod fakes;
pub mod ingest;
pub mod servers;
mod tool;

// Not every test binary runs a tool.
#[allow(unused_imports)]
pub use tool::{run_ok, tool};

use std::path::{Path, PathBuf};

/// Runs `lookout` with `args` in `dir`; (exit code, stdout then stderr).
/// `LOOKOUT_PROMETHEUS_URL` from the caller's shell is dropped, so a test's
/// lookout.yaml decides.
pub fn lookout_output(dir: &Path, args: &[&str]) -> (i32, String) {
    lookout_output_with_env(dir, args, &[])
}

/// [`lookout_output`], with `env` set besides.
pub fn lookout_output_with_env(
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LOOKOUT_PROMETHEUS_URL")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// Runs `script` with Node in `dir` (an npm project the README's test
/// command installs; `package` proves it is), `input` on stdin; its
/// stdout. Fails the test, never skips, on a missing install or an error.
pub fn node(dir: &str, package: &str, script: &str, input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = std::path::Path::new(dir);
    assert!(
        dir.join("node_modules").join(package).is_dir(),
        "run `npm ci --prefix {}` (scripts/test.sh does)",
        dir.display()
    );
    let mut child = Command::new(tool("node"))
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "node {script} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `lookout` in `dir`, as a terminal without colour runs it, asserted with
/// snapbox: output is compared whole with its snapshot (`SNAPSHOTS=overwrite`
/// rewrites them), the project folder shown as `[ROOT]`, the version as
/// `[VERSION]`, and `extra` values (a fake's URL) under their own names.
pub fn lookout_with(dir: &Path, extra: &[(&'static str, String)]) -> snapbox::cmd::Command {
    let mut redactions = snapbox::Redactions::new();
    if let Ok(root) = dir.canonicalize() {
        if root != Path::new("/") {
            redactions.insert("[ROOT]", root).unwrap();
        }
    }
    redactions
        .insert("[VERSION]", env!("CARGO_PKG_VERSION"))
        .unwrap();
    for (name, value) in extra {
        redactions.insert(name, value.clone()).unwrap();
    }
    snapbox::cmd::Command::new(env!("CARGO_BIN_EXE_lookout"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LOOKOUT_PROMETHEUS_TOKEN")
        .with_assert(
            snapbox::Assert::new()
                .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
                // Output is compared as written: `\n` in JSON is no path.
                .normalize_paths(false)
                .redact_with(redactions),
        )
}

/// [`lookout_with`] and no other redaction.
pub fn lookout(dir: &Path) -> snapbox::cmd::Command {
    lookout_with(dir, &[])
}

/// Every artifact of a project, in memory; fails the test on any error.
pub fn generate_for(config: &str, slos: &str) -> Vec<lookout::emit::Artifact> {
    let generated = lookout::ops::generate(&lookout::ops::Request {
        deny_warnings: false,
        inputs: lookout::check::Inputs {
            config: Some(PathBuf::from(config)),
            slos: Some(PathBuf::from(slos)),
        },
        out: None,
    });
    assert!(
        !generated.diagnostics.has_errors(),
        "{}",
        generated.diagnostics.render(false)
    );
    generated.artifacts.expect("artifacts")
}

/// Copies the bundled example specs (`slos/`) into `dir/slos`.
pub fn copy_example_specs(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("slos")).unwrap();
    for entry in std::fs::read_dir("slos").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("slos").join(path.file_name().unwrap())).unwrap();
    }
}

/// Every file under `dir`, recursively, sorted.
pub fn files_recursively(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_recursively(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}
