//! Finding and running the real tools the tests judge with; shared with
//! the benches.

use std::path::PathBuf;

/// A program on PATH. Panics (the test fails, never skips) when it is
/// missing: the README's test command installs it.
pub fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or(None);
    found.unwrap_or_else(|| {
        panic!("`{name}` not found on PATH; run the README's test command (scripts/test.sh), which installs it")
    })
}

/// `program args…` in `dir`, which must succeed; its stdout.
pub fn run_ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    program: impl AsRef<std::ffi::OsStr>,
    args: &[S],
    dir: &std::path::Path,
) -> String {
    run_ok_with(program, args, dir, &[])
}

/// [`run_ok`], with `env` set besides.
pub fn run_ok_with<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    program: impl AsRef<std::ffi::OsStr>,
    args: &[S],
    dir: &std::path::Path,
    env: &[(&str, String)],
) -> String {
    let program = program.as_ref();
    let output = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} {args:?}: {}{}",
        program.to_string_lossy(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
