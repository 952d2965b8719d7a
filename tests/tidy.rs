//! Architecture invariants, checked on the source text (rust-analyzer's
//! `tidy` style): cheap to run, and they fail the build instead of relying
//! on review. Each rule is data, and `every_rule_catches_a_planted_violation`
//! proves that each one can fail.

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

/// Code as shipped: without comment lines (doc text may name anything)
/// and without the unit-test module, which by convention closes the file
/// (tests may write temporary files).
fn code(text: &str) -> String {
    let shipped = text.split("#[cfg(test)]").next().unwrap_or(text);
    shipped
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One invariant: in the files `applies` selects, `finds` returns what breaks it.
struct Rule {
    name: &'static str,
    applies: fn(&Path) -> bool,
    finds: fn(&str) -> Vec<String>,
    /// A path the rule applies to and code that breaks it, for the proof.
    planted: (&'static str, &'static str),
}

fn any_of(code: &str, forbidden: &[&str]) -> Vec<String> {
    forbidden
        .iter()
        .filter(|f| code.contains(*f))
        .map(|f| f.to_string())
        .collect()
}

/// String literals that spell a recorded series' or a rule group's prefix
/// (`"slo:…"`, `"lookout:…"`); diagnostic codes (`"lookout::…"`) are not names.
fn name_literals(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for prefix in ["\"slo:", "\"lookout:"] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            if !rest.starts_with(':') {
                let end = rest.find('"').unwrap_or(rest.len()).min(40);
                found.push(format!("{prefix}{}", &rest[..end]));
            }
        }
    }
    found
}

const RULES: &[Rule] = &[
    Rule {
        name: "only cli/ knows clap",
        applies: |p| !p.starts_with("src/cli"),
        finds: |code| any_of(code, &["clap::"]),
        planted: ("src/ops.rs", "use clap::Parser;"),
    },
    Rule {
        name: "model/ and emit/ do no I/O",
        applies: |p| p.starts_with("src/emit") || p.starts_with("src/model"),
        finds: |code| {
            any_of(
                code,
                &["std::fs", "std::net", "std::process", "File::", "reqwest"],
            )
        },
        planted: ("src/emit/grafana.rs", "let x = std::fs::read(p);"),
    },
    Rule {
        name: "only spec/ parses YAML input",
        applies: |p| !p.starts_with("src/spec"),
        finds: |code| any_of(code, &["serde_saphyr::from_"]),
        planted: ("src/push/mod.rs", "serde_saphyr::from_str(text)"),
    },
    Rule {
        name: "only out/ writes files",
        applies: |p| !p.starts_with("src/out"),
        finds: |code| {
            any_of(
                code,
                &[
                    "fs::write",
                    "File::create",
                    "OpenOptions",
                    "fs::rename",
                    "fs::remove_file",
                    "fs::remove_dir",
                    "fs::create_dir",
                    "fs::copy",
                    "set_permissions",
                ],
            )
        },
        planted: ("src/push/prometheus.rs", "std::fs::write(path, text)?;"),
    },
    Rule {
        name: "only push/ talks to the network",
        applies: |p| !p.starts_with("src/push"),
        finds: |code| any_of(code, &["reqwest", "rustls", "std::net", "TcpStream"]),
        planted: ("src/ops.rs", "let c = reqwest::blocking::Client::new();"),
    },
    Rule {
        name: "series and group names are spelt in model/names.rs only",
        applies: |p| p != Path::new("src/model/names.rs"),
        finds: name_literals,
        planted: (
            "src/emit/grafana.rs",
            r#"let q = format!("{}", "slo:sli_error:ratio_rate5m");"#,
        ),
    },
];

fn violations(rule: &Rule, files: &[(PathBuf, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, _)| (rule.applies)(path))
        .flat_map(|(path, text)| {
            (rule.finds)(&code(text))
                .into_iter()
                .map(move |found| format!("{}: {found}", path.display()))
        })
        .collect()
}

#[test]
fn the_source_keeps_every_invariant() {
    let files = sources(Path::new("src"));
    assert!(
        files.len() > 50,
        "src/ not found from {:?}",
        std::env::current_dir()
    );
    let broken: Vec<String> = RULES
        .iter()
        .flat_map(|rule| {
            violations(rule, &files)
                .into_iter()
                .map(move |v| format!("{}: {v}", rule.name))
        })
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_rule_catches_a_planted_violation() {
    for rule in RULES {
        let (path, snippet) = rule.planted;
        let planted = vec![(
            PathBuf::from(path),
            format!("//! A module.\n\nfn f() {{\n    {snippet}\n}}\n"),
        )];
        assert_eq!(
            violations(rule, &planted).len(),
            1,
            "`{}` missed {snippet:?} in {path}",
            rule.name
        );
        // The same code in a comment or a unit-test module is allowed.
        let commented = vec![(
            PathBuf::from(path),
            format!("// {snippet}\n#[cfg(test)]\nmod tests {{ fn g() {{ {snippet} }} }}\n"),
        )];
        assert!(violations(rule, &commented).is_empty(), "{}", rule.name);
    }
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
