//! Finding the real tools the tests judge with; shared with the benches.

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
