//! Reading specs: YAML text to spanned serde trees.
//!
//! This is the only layer that knows YAML. It turns every parse failure into a
//! [`Diagnostic`] with a location, and never panics on input. Parsing is
//! bounded: alias expansion and nesting are capped, so an alias bomb fails in
//! milliseconds with a located error instead of exhausting memory.

pub mod config;
pub mod v1;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_saphyr::options::AliasLimits;
use serde_saphyr::{Location, Options};

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

pub use config::ProjectConfig;
pub use v1::ServiceSpec;

/// Spec versions this build reads.
pub const SUPPORTED_VERSIONS: &[&str] = &["lookout/v1"];

/// One spec file and the service documents it holds.
#[derive(Debug)]
pub struct SpecFile {
    pub file: FileId,
    pub services: Vec<ServiceSpec>,
}

/// Spec files are small and hand-written; these caps stop amplification
/// attacks (billion laughs) long before they cost time or memory.
fn parse_options() -> Options {
    let mut alias_limits = AliasLimits::default();
    alias_limits.max_total_replayed_events = 20_000;
    alias_limits.max_replay_stack_depth = 16;
    alias_limits.max_alias_expansions_per_anchor = 1_000;
    serde_saphyr::options! {
        with_snippet: false,
        alias_limits: alias_limits,
    }
}

/// Every `*.yaml`/`*.yml` file under `dir`, recursively, in a stable order.
/// Hidden files and directories are skipped.
pub fn find_spec_files(dir: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(err) => {
                diags.push(
                    Diagnostic::error("spec::unreadable", format!("cannot read directory: {err}"))
                        .in_path(&current),
                );
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Reads and parses every spec file under `dir`.
pub fn load_dir(dir: &Path, diags: &mut Diagnostics) -> Vec<SpecFile> {
    if !dir.is_dir() {
        diags.push(
            Diagnostic::error("spec::no-slos-dir", "SLO directory not found")
                .in_path(dir)
                .help("create it and add one `<service>.yaml` per service, or pass --slos DIR"),
        );
        return Vec::new();
    }
    let paths = find_spec_files(dir, diags);
    if paths.is_empty() {
        diags.push(
            Diagnostic::error(
                "spec::empty-dir",
                "no SLO specs found (no *.yaml or *.yml files)",
            )
            .in_path(dir)
            .help("add one `<service>.yaml` per service; `lookout schema` prints the format"),
        );
    }
    let texts: Vec<(PathBuf, String)> = paths
        .into_iter()
        .filter_map(|path| read_text(&path, diags).map(|text| (path, text)))
        .collect();
    parse_spec_files(texts, diags)
}

/// Parses spec files, in parallel: parsing is the expensive part of a
/// large project and each file is independent.
pub fn parse_spec_files(texts: Vec<(PathBuf, String)>, diags: &mut Diagnostics) -> Vec<SpecFile> {
    let files: Vec<FileId> = texts
        .into_iter()
        .map(|(path, text)| diags.sources.add(path, text))
        .collect();
    let sources = &diags.sources;
    let parse = |file: &FileId| {
        serde_saphyr::from_multiple_with_options::<ServiceSpec>(
            sources.text(*file),
            parse_options(),
        )
    };
    let results: Vec<Result<Vec<ServiceSpec>, serde_saphyr::Error>> =
        crate::parallel::map_chunks(&files, 16, |chunk| {
            chunk.iter().map(parse).collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
    files
        .into_iter()
        .zip(results)
        .filter_map(|(file, result)| spec_file(file, result, diags))
        .collect()
}

pub(crate) fn read_text(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                diags.push(
                    Diagnostic::error("spec::not-utf8", "file is not valid UTF-8").in_path(path),
                );
                None
            }
        },
        Err(err) => {
            diags.push(
                Diagnostic::error("spec::unreadable", format!("cannot read file: {err}"))
                    .in_path(path),
            );
            None
        }
    }
}

/// Parses one spec file (possibly several YAML documents).
pub fn parse_spec_text(path: &Path, text: String, diags: &mut Diagnostics) -> Option<SpecFile> {
    parse_spec_files(vec![(path.to_path_buf(), text)], diags).pop()
}

fn spec_file(
    file: FileId,
    result: Result<Vec<ServiceSpec>, serde_saphyr::Error>,
    diags: &mut Diagnostics,
) -> Option<SpecFile> {
    let path = diags.sources.path(file).to_path_buf();
    if diags.sources.text(file).trim().is_empty() {
        diags.push(
            Diagnostic::error("spec::empty-file", "spec file is empty")
                .in_path(path)
                .help("a spec needs at least `service:` and `slos:`"),
        );
        return None;
    }
    match result {
        Ok(services) if services.is_empty() => {
            diags.push(
                Diagnostic::error("spec::empty-file", "spec file holds no YAML document")
                    .in_path(path),
            );
            None
        }
        Ok(services) => Some(SpecFile { file, services }),
        Err(err) => {
            diags.push(yaml_error(diags, file, &err, v1_field_names));
            None
        }
    }
}

/// Parses one YAML document into `T`, reporting failures as diagnostics.
pub(crate) fn parse_document<T: DeserializeOwned>(
    diags: &mut Diagnostics,
    file: FileId,
    known_fields: fn(&str) -> &'static [&'static str],
) -> Option<T> {
    let text = diags.sources.text(file).to_string();
    match serde_saphyr::from_str_with_options::<T>(&text, parse_options()) {
        Ok(value) => Some(value),
        Err(err) => {
            diags.push(yaml_error(diags, file, &err, known_fields));
            None
        }
    }
}

/// The field names serde reports as "expected one of" are the best source for
/// suggestions; this fallback lists every v1 field for when it names none.
fn v1_field_names(_: &str) -> &'static [&'static str] {
    &[
        "version",
        "service",
        "team",
        "labels",
        "runbook",
        "slos",
        "name",
        "description",
        "objective",
        "window",
        "sli",
        "alerting",
        "events",
        "latency",
        "raw",
        "errors",
        "total",
        "histogram",
        "selector",
        "threshold",
        "error_ratio",
        "page",
        "ticket",
        "enabled",
        "severity",
        "for",
        "signals",
        "traffic",
        "saturation",
        "panels",
        "query",
        "unit",
        "title",
        "legend",
        "logs",
        "source",
        "format",
        "fields",
        "destinations",
        "retention",
        "kubernetes",
        "files",
        "namespace",
        "container",
        "status",
        "method",
        "path",
        "duration",
        "duration_unit",
        "client",
        "user_agent",
    ]
}

/// Parses YAML a server returned (a ruler's rule groups) into JSON values.
/// YAML parsing lives in this module only; this is the one entry point for
/// text that is not a spec.
pub fn parse_yaml_value(text: &str) -> Result<serde_json::Value, String> {
    serde_saphyr::from_str_with_options::<serde_json::Value>(text, parse_options())
        .map_err(|e| first_line(&e.to_string()))
}

/// Converts a serde-saphyr location into a byte span of `file`.
pub fn span_of(diags: &Diagnostics, file: FileId, location: &Location) -> Option<Span> {
    if location.line() == 0 {
        return None;
    }
    let span = location.span();
    let offset = match span.byte_offset() {
        Some(offset) => offset as usize,
        None => diags
            .sources
            .offset_of(file, location.line() as usize, location.column() as usize),
    };
    let len = span.byte_len().map_or(1, |l| l as usize).max(1);
    Some(Span { file, offset, len })
}

fn yaml_error(
    diags: &Diagnostics,
    file: FileId,
    err: &serde_saphyr::Error,
    known_fields: fn(&str) -> &'static [&'static str],
) -> Diagnostic {
    let span = err.location().and_then(|l| span_of(diags, file, &l));
    let message = first_line(&err.to_string());
    let path = diags.sources.path(file).to_path_buf();
    let mut diagnostic = if let Some(unknown) = between(&message, "unknown field `", "`") {
        let expected = expected_names(&message);
        let candidates: Vec<&str> = if expected.is_empty() {
            known_fields(unknown).to_vec()
        } else {
            expected.iter().map(String::as_str).collect()
        };
        let mut d = Diagnostic::error("spec::unknown-field", format!("unknown field `{unknown}`"))
            .label("not a known field here");
        d = match closest(unknown, &candidates) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None if !expected.is_empty() => {
                d.help(format!("expected one of: {}", expected.join(", ")))
            }
            None => d,
        };
        d
    } else if let Some(missing) = between(&message, "missing field `", "`") {
        Diagnostic::error(
            "spec::missing-field",
            format!("missing required field `{missing}`"),
        )
        .label(format!("`{missing}` is required in this mapping"))
    } else if let Some(value) = between(&message, "unknown variant `", "`") {
        let expected = expected_names(&message);
        let candidates: Vec<&str> = expected.iter().map(String::as_str).collect();
        let d = Diagnostic::error("spec::unknown-value", format!("unknown value `{value}`"))
            .label("not one of the accepted values");
        match closest(value, &candidates) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d.help(format!("expected one of: {}", expected.join(", "))),
        }
    } else if message.contains("alias") || message.contains("budget") {
        Diagnostic::error("spec::yaml-limit", format!("YAML rejected: {message}"))
            .label("too much alias expansion")
            .help("lookout caps alias expansion to protect against alias bombs; inline the values instead")
    } else {
        Diagnostic::error("spec::yaml", message)
    };
    diagnostic.span = span;
    if diagnostic.span.is_none() {
        diagnostic.path = Some(path);
    }
    diagnostic
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    // serde-saphyr appends "at line N column M"; our header already says where.
    match line.rfind(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// Parses serde's "expected one of `a`, `b`" tail, or serde-saphyr's
/// unquoted "expected one of a, b".
fn expected_names(message: &str) -> Vec<String> {
    let Some(i) = message.find("expected") else {
        return Vec::new();
    };
    let tail = &message[i..];
    if tail.contains('`') {
        return tail
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
    }
    tail.strip_prefix("expected one of ")
        .map(|list| list.split(", ").map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

/// The closest candidate by edit distance, if it is plausibly a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(distance, c)| *distance <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_typos_only() {
        assert_eq!(
            closest("objectve", &["objective", "name"]),
            Some("objective")
        );
        assert_eq!(closest("windw", &["window", "sli"]), Some("window"));
        assert_eq!(closest("zzzzzzzz", &["objective", "name"]), None);
    }

    #[test]
    fn expected_names_parses_serde_tail() {
        let m = "unknown field `x`, expected one of `name`, `objective`";
        assert_eq!(expected_names(m), vec!["name", "objective"]);
    }
}

#[cfg(test)]
mod alias_bomb {
    /// With a permissive target type nothing stops early on a type error, so
    /// only the alias caps bound the expansion (9^8 nodes unbounded).
    #[test]
    fn alias_expansion_is_capped() {
        let bomb = r#"
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"#;
        let result =
            serde_saphyr::from_str_with_options::<serde_json::Value>(bomb, super::parse_options());
        let err = result.expect_err("the bomb must be rejected");
        assert!(err.location().is_some(), "{err}");
    }
}
