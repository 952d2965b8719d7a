//! Architecture invariants, checked on the source text (rust-analyzer's
//! `tidy` style): cheap to run, and they fail the build instead of relying
//! on review.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out.sort();
    out
}

/// Code, without comment lines, so doc text may name anything.
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    for (path, text) in sources(Path::new("src")) {
        assert!(
            text.starts_with("//!"),
            "{} has no //! module doc",
            path.display()
        );
    }
}

#[test]
fn only_cli_knows_clap() {
    for (path, text) in sources(Path::new("src")) {
        if !path.starts_with("src/cli") {
            assert!(
                !code(&text).contains("clap::"),
                "{} uses clap",
                path.display()
            );
        }
    }
}

#[test]
fn model_and_emitters_do_no_io() {
    for (path, text) in sources(Path::new("src/emit"))
        .into_iter()
        .chain(sources(Path::new("src/model")))
    {
        let code = code(&text);
        for forbidden in ["std::fs", "std::net", "std::process", "File::"] {
            assert!(
                !code.contains(forbidden),
                "{} uses {forbidden}",
                path.display()
            );
        }
    }
}

#[test]
fn only_spec_knows_yaml_input() {
    for (path, text) in sources(Path::new("src")) {
        if path.starts_with("src/spec") {
            continue;
        }
        let code = code(&text);
        assert!(
            !code.contains("serde_saphyr::from_"),
            "{} parses YAML outside spec/",
            path.display()
        );
    }
}

#[test]
fn only_out_writes_files() {
    for (path, text) in sources(Path::new("src")) {
        if path.starts_with("src/out/") {
            continue;
        }
        let code = code(&text);
        for forbidden in ["fs::write", "File::create", "fs::rename", "fs::remove_file"] {
            assert!(
                !code.contains(forbidden),
                "{} writes files ({forbidden})",
                path.display()
            );
        }
    }
}
