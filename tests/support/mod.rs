//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod fake;
pub mod fakes;
pub mod ingest;
pub mod servers;

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

/// Every artifact of a project, in memory; fails the test on any error.
pub fn generate_for(config: &str, slos: &str) -> Vec<lookout::emit::Artifact> {
    let generated = lookout::ops::generate(&lookout::ops::Request {
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
