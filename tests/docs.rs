//! The book (`docs/src/`) and the README, tested as code:
//! - the SUMMARY lists every page, and every page it lists exists;
//! - every relative link resolves, to a file and, with `#anchor`, to a
//!   heading of that file (GitHub's and mdBook's slugs agree on ours);
//! - every YAML block says what it is, and each spec or `lookout.yaml`
//!   snippet compiles (or fails with the diagnostic it names);
//! - (in `tests/book_transcripts.rs`, the slow tier: `lookout test` runs
//!   promtool) every `console` transcript runs against the real binary;
//! - the generated reference pages are what the code generates now.
//!
//! Fence attributes, after the language: `spec`, `spec-slo` (merged into
//! an SLO, or a list of SLOs), `spec-service` (merged into a service),
//! `config` (a `lookout.yaml`), `external` (another system's YAML);
//! `error=CODE` (the snippet must fail with it); `file=PATH` (written into
//! the page's folder before the next transcript); `with=PATH` (a file the
//! snippet refers to, created for it); on shell blocks, `no-run`,
//! `servers` (run against live systems) and `run-by=PATH` (run by that
//! test), described in `tests/book_transcripts.rs`.
//! `DOCS=overwrite cargo test --test docs` rewrites the generated pages.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::book::{
    blocks, book_pages, files_under, linked_pages, read, relative, user_pages, ROOT,
};
use support::lookout_output as lookout;

use serde_json::Value;

/// Text outside fenced blocks and inline code, where links live.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if !fenced {
            // Drop inline code spans.
            let mut in_code = false;
            for c in line.chars() {
                if c == '`' {
                    in_code = !in_code;
                } else if !in_code {
                    out.push(c);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// `[text](target)` links, by target.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            out.push(target.to_string());
        }
    }
    out
}

/// A heading's anchor as GitHub and mdBook make it: lowercase, spaces to
/// `-`, punctuation but `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect::<String>()
        .to_lowercase()
}

fn anchors(page: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in read(page).lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let hashes = line.len() - line.trim_start_matches('#').len();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let mut anchor = slug(&line[hashes..]);
            // A repeated heading gets -1, -2, … as on GitHub.
            let base = anchor.clone();
            let mut n = 1;
            while out.contains(&anchor) {
                anchor = format!("{base}-{n}");
                n += 1;
            }
            out.insert(anchor);
        }
    }
    out
}

#[test]
fn the_summary_lists_every_page_and_only_pages_that_exist() {
    let summary = Path::new(ROOT).join("docs/src/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = links(&read(&summary))
        .iter()
        .map(|l| Path::new(ROOT).join("docs/src").join(l))
        .collect();
    let pages: BTreeSet<PathBuf> = book_pages().into_iter().filter(|p| p != &summary).collect();
    let orphans: Vec<String> = pages.difference(&listed).map(|p| relative(p)).collect();
    let missing: Vec<String> = listed.difference(&pages).map(|p| relative(p)).collect();
    assert!(
        orphans.is_empty() && missing.is_empty(),
        "pages the SUMMARY does not list: {orphans:?}; listed pages that do not exist: {missing:?}"
    );
}

#[test]
fn every_relative_link_resolves_to_a_file_and_a_heading() {
    let mut broken = Vec::new();
    for page in linked_pages() {
        for link in links(&prose(&read(&page))) {
            if link.is_empty()
                || link.contains("://")
                || link.starts_with("mailto:")
                || link.starts_with('<')
            {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", relative(&page)));
                continue;
            }
            if !anchor.is_empty()
                && target.extension().is_some_and(|e| e == "md")
                && !anchors(&target).contains(anchor)
            {
                broken.push(format!("{}: {link} (no such heading)", relative(&page)));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// A project with both log backends, so a spec that ships logs compiles.
const BASE_CONFIG: &str = "runbooks: {base_url: https://runbooks.example.com}\nloki: {url: http://loki.monitoring:3100}\nelasticsearch: {url: https://elasticsearch.logging:9200}\n";
const BASE_SLOS: &str = r#"
- name: availability
  objective: 99.9
  sli:
    events:
      errors: sum(rate(http_requests_total{job="base",code=~"5.."}[{{window}}]))
      total: sum(rate(http_requests_total{job="base"}[{{window}}]))
"#;

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A page's elided `slos: [...]` stands for a working list of SLOs.
fn fill(doc: &mut Value) {
    if doc.get("slos") == Some(&serde_json::json!(["..."])) {
        doc["slos"] = yaml(BASE_SLOS);
    }
}

/// The spec a snippet stands for, whole: a fragment goes into a working
/// service or SLO. JSON is YAML, so the result is written as JSON.
fn whole_spec(role: &str, text: &str) -> String {
    let base = || serde_json::json!({"service": "base", "slos": yaml(BASE_SLOS)});
    let docs: Vec<Value> = match role {
        "spec" if !text.contains("[...]") => return text.to_string(),
        "spec" => serde_saphyr::from_multiple(text).unwrap_or_else(|e| panic!("{e}: {text}")),
        "spec-service" => {
            let mut doc = base();
            for (key, value) in yaml(text).as_object().unwrap() {
                doc[key] = value.clone();
            }
            vec![doc]
        }
        "spec-slo" => {
            let mut doc = base();
            match yaml(text) {
                list @ Value::Array(_) => doc["slos"] = list,
                Value::Object(fields) => {
                    for (key, value) in fields {
                        doc["slos"][0][&key] = value;
                    }
                }
                other => panic!("a spec-slo snippet is an SLO or a list of them: {other}"),
            }
            vec![doc]
        }
        // A config snippet: a spec that needs nothing from it.
        _ => {
            let mut doc = base();
            doc["runbook"] = "https://runbooks.example.com/{{slo}}".into();
            vec![doc]
        }
    };
    docs.into_iter()
        .map(|mut doc| {
            fill(&mut doc);
            doc.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

#[test]
fn every_spec_and_config_snippet_compiles_or_fails_as_it_says() {
    let roles = ["spec", "spec-slo", "spec-service", "config", "external"];
    let mut failures = Vec::new();
    let mut compiled = 0;
    for page in user_pages() {
        for block in blocks(&page).into_iter().filter(|b| b.lang == "yaml") {
            let Some(role) = roles.iter().find(|r| block.has(r)) else {
                failures.push(format!(
                    "{}: mark the YAML block with what it is: one of {roles:?}",
                    block.at()
                ));
                continue;
            };
            if *role == "external" {
                continue;
            }
            let spec = whole_spec(role, &block.text);
            let config = if *role == "config" {
                block.text.clone()
            } else {
                BASE_CONFIG.to_string()
            };
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("slos")).unwrap();
            std::fs::write(dir.path().join("slos/snippet.yaml"), &spec).unwrap();
            std::fs::write(dir.path().join("lookout.yaml"), &config).unwrap();
            // `with=PATH`: a file the snippet names, such as a template.
            if let Some(path) = block.value("with") {
                let path = dir.path().join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, "# {{service}}/{{slo}}\n").unwrap();
            }
            let (code, out) = lookout(dir.path(), &["build", "--out", "out"]);
            compiled += 1;
            match block.value("error") {
                Some(expected)
                    if code != 1 || !out.contains(&format!("lookout::{expected}")) =>
                {
                    failures.push(format!(
                        "{}: should fail with {expected}, exit {code}:\n{out}",
                        block.at()
                    ))
                }
                Some(_) => {}
                None if code != 0 => failures.push(format!(
                    "{}: does not compile (exit {code}):\n{out}\n--- as compiled:\n{spec}\n--- lookout.yaml:\n{config}",
                    block.at()
                )),
                None => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(compiled >= 10, "only {compiled} snippets found");
}

#[test]
fn the_generated_reference_is_what_the_code_generates() {
    let overwrite = std::env::var("DOCS").is_ok_and(|v| v == "overwrite");
    let mut drifted = Vec::new();
    for (path, text) in lookout::cli::reference_pages() {
        let file = Path::new(ROOT).join("docs/src").join(path);
        if overwrite {
            std::fs::write(&file, &text).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            drifted.push(path);
        }
    }
    assert!(
        drifted.is_empty(),
        "{drifted:?} differ from what the code generates: run `DOCS=overwrite cargo test --test docs` and review the diff"
    );
    // A field or flag without a description is a hole in the reference:
    // its doc comment (the schema's description, clap's help) is missing.
    let holes: Vec<String> = lookout::cli::reference_pages()
        .iter()
        .flat_map(|(path, text)| {
            text.lines()
                .filter(|line| line.starts_with("| `") && line.ends_with("|  |"))
                .map(move |line| format!("{path}: {line}"))
        })
        .collect();
    assert!(holes.is_empty(), "undescribed:\n{}", holes.join("\n"));
}

/// The severities the source raises each code with, where the call names
/// one (`Diagnostic::error("code"`, `warning(`, `note(` just before it).
fn severities_in_source() -> std::collections::BTreeMap<String, BTreeSet<&'static str>> {
    let mut found: std::collections::BTreeMap<String, BTreeSet<&'static str>> = Default::default();
    let codes = codes_in_source();
    for text in rust_sources() {
        for code in &codes {
            let quoted = format!("\"{code}\"");
            for (at, _) in text.match_indices(&quoted) {
                // `error("code"`, or a helper's `warn(span, "code"`.
                let before = text[..at].trim_end();
                let before = before
                    .strip_suffix(',')
                    .and_then(|b| b.rfind('(').map(|open| &b[..=open]))
                    .unwrap_or(before);
                for (call, severity) in [
                    ("error(", "error"),
                    ("warning(", "warning"),
                    ("warn(", "warning"),
                    ("note(", "note"),
                ] {
                    if before.ends_with(call) {
                        found.entry(code.clone()).or_default().insert(severity);
                    }
                }
            }
        }
    }
    found
}

/// Each entry of errors.md says what triggers the code, at the severity
/// the source raises it with, and how to fix it.
#[test]
fn every_diagnostic_entry_says_its_trigger_and_its_fix() {
    let text = read(&Path::new(ROOT).join("docs/src/reference/errors.md"));
    let severities = severities_in_source();
    let mut wrong = Vec::new();
    for section in text.split("\n### `").skip(1) {
        let (code, body) = section.split_once('`').unwrap();
        let body = body.split("\n## ").next().unwrap();
        // `**error.** …`, or `**error** (a **warning** when …). …`.
        let first = body.trim_start().split("\n\n").next().unwrap_or_default();
        let mentions =
            |s: &str| first.contains(&format!("**{s}**")) || first.contains(&format!("**{s}.**"));
        let stated: BTreeSet<&str> = ["error", "warning", "note"]
            .into_iter()
            .filter(|s| mentions(s))
            .collect();
        if !first.starts_with("**") || stated.is_empty() {
            wrong.push(format!(
                "{code}: starts with no **error.**, **warning.** or **note.**"
            ));
        }
        if let Some(raised) = severities.get(code) {
            if !raised.is_subset(&stated) {
                wrong.push(format!(
                    "{code}: the page says {stated:?}, the source raises {raised:?}"
                ));
            }
        }
        if !body.contains("**Fix:**") {
            wrong.push(format!("{code}: no **Fix:**"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        severities.len() > 80,
        "only {} severities found",
        severities.len()
    );
}

/// The environment page lists exactly the `LOOKOUT_*` variables lookout
/// reads: each key the push targets' resolver asks for (every target
/// configured from the environment, so each asks for all its keys), and
/// each flag's `env = "LOOKOUT_…"`.
#[test]
fn the_environment_page_lists_every_variable_lookout_reads() {
    let asked = std::cell::RefCell::new(BTreeSet::<String>::new());
    let env = |name: &str| {
        asked.borrow_mut().insert(name.to_string());
        name.ends_with("_URL")
            .then(|| "http://127.0.0.1:1".to_string())
    };
    let settings = lookout::model::settings::Settings::default();
    let resolved = lookout::push::targets::resolve(&settings, &env, &[]).unwrap();
    assert_eq!(
        resolved.configured().len(),
        lookout::push::targets::ALL.len()
    );
    let mut reads: BTreeSet<String> = asked.into_inner();
    for text in rust_sources() {
        for (at, _) in text.match_indices("env = \"LOOKOUT_") {
            let name = &text[at + 7..];
            reads.insert(name[..name.find('"').unwrap()].to_string());
        }
    }
    let page = read(&Path::new(ROOT).join("docs/src/reference/environment.md"));
    let documented: BTreeSet<String> = page
        .match_indices("`LOOKOUT_")
        .map(|(at, _)| {
            let name = &page[at + 1..];
            name[..name.find('`').unwrap()].to_string()
        })
        .filter(|name| !name.contains('<'))
        .collect();
    let undocumented: Vec<&String> = reads.difference(&documented).collect();
    let unread: Vec<&String> = documented.difference(&reads).collect();
    assert!(
        undocumented.is_empty() && unread.is_empty(),
        "read but not on docs/src/reference/environment.md: {undocumented:?}; on the page but never read: {unread:?}"
    );
}

#[test]
fn the_readme_stays_an_entry_point() {
    let lines = read(&Path::new(ROOT).join("README.md")).lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; the book takes the rest"
    );
}

/// The text of every Rust file under `src/`.
fn rust_sources() -> Vec<String> {
    files_under("src")
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| read(&path))
        .collect()
}

/// The diagnostic codes the source raises: each string literal
/// `"<area>::<name>"` of a known area.
fn codes_in_source() -> BTreeSet<String> {
    const AREAS: [&str; 10] = [
        "spec",
        "config",
        "check",
        "live",
        "import",
        "export",
        "jsonnet",
        "runbook",
        "out",
        "kubernetes",
    ];
    let mut codes = BTreeSet::new();
    for text in rust_sources() {
        for area in AREAS {
            for (at, _) in text.match_indices(&format!("\"{area}::")) {
                let rest = &text[at + 1..];
                let Some(end) = rest.find('"') else { continue };
                let code = &rest[..end];
                let name = &code[area.len() + 2..];
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    codes.insert(code.to_string());
                }
            }
        }
    }
    codes
}

/// Whether `text` names `code` whole: `spec::no-slos` is not named by
/// `spec::no-slos-dir`.
fn names_whole(text: &str, code: &str) -> bool {
    let part = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    text.match_indices(code).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + code.len()..].chars().next();
        !before.is_some_and(|c| part(c) && c != ':') && !after.is_some_and(part)
    })
}

/// What asserts on output under `tests/`: test code, snapshots and
/// transcripts. A fixture naming a code in a comment raises nothing.
fn test_texts() -> String {
    files_under("tests")
        .iter()
        .filter(|path| {
            path.extension().is_some_and(|e| {
                ["rs", "snap", "txt", "stdout", "stderr"].contains(&&*e.to_string_lossy())
            })
        })
        // Help text that names a code (an example) raises nothing.
        .filter(|path| path.file_name().is_some_and(|n| n != "docs.rs"))
        .filter(|path| !path.starts_with(Path::new(ROOT).join("tests/transcripts/help")))
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect()
}

#[test]
fn every_diagnostic_code_has_a_reference_entry_and_a_test() {
    let in_source = codes_in_source();
    let documented: BTreeSet<String> = lookout::cli::documented_codes()
        .into_iter()
        .map(String::from)
        .collect();
    let undocumented: Vec<&String> = in_source.difference(&documented).collect();
    let stale: Vec<&String> = documented.difference(&in_source).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "codes without an entry in docs/src/reference/errors.md: {undocumented:?}; entries for codes the source no longer raises: {stale:?}"
    );
    let tests = test_texts();
    let untested: Vec<&String> = in_source
        .iter()
        .filter(|code| !names_whole(&tests, code))
        .collect();
    assert!(
        untested.is_empty(),
        "codes no test raises: {untested:?}; add a fixture under tests/fixtures/invalid/ (or a test that asserts the code)"
    );
    assert!(
        in_source.len() > 100,
        "only {} codes found in src/",
        in_source.len()
    );
}
