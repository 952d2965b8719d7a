//! Reading specs: YAML text to spanned serde trees.
//!
//! This is the only layer that knows YAML. It turns every parse failure into a
//! [`Diagnostic`] with a location, and never panics on input. Parsing is
//! bounded: alias expansion and nesting are capped, so an alias bomb fails in
//! milliseconds with a located error instead of exhausting memory.

pub mod config;
pub mod openslo;
pub mod sloth;
pub mod v1;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_saphyr::options::AliasLimits;
use serde_saphyr::Options;

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

mod errors;

pub use config::ProjectConfig;
pub use errors::{closest, parse_yaml_value, span_of, suggest};
pub use v1::ServiceSpec;

use errors::{between, v1_field_names, yaml_error};

/// Spec versions this build reads.
pub const SUPPORTED_VERSIONS: &[&str] = &["lookout/v1"];

/// One spec file and the service documents it holds.
#[derive(Debug)]
pub struct SpecFile {
    pub file: FileId,
    pub services: Vec<ServiceSpec>,
    /// Byte ranges set aside to parse past a mistake already reported (an
    /// unknown field dropped, a placeholder value): the services are still
    /// lowered, so their other mistakes show in the same run, and what
    /// lowering finds within these ranges is about the repair, not the
    /// user's text. Empty for a file that parsed as written.
    pub repaired: Vec<(usize, usize)>,
}

/// What `every_problem` made of a file: every problem, and the documents
/// that parsed once those were set aside.
struct Problems<T> {
    diagnostics: Vec<Diagnostic>,
    repaired: Vec<T>,
    /// The ranges set aside, over every document.
    ranges: Vec<(usize, usize)>,
    /// Every problem was an unknown field, dropped: the repaired values
    /// hold only what the user wrote.
    only_unknown_fields: bool,
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
    // On every core: one file at a time, reading 1,000 specs took a cold
    // build's first 25 ms on one core.
    let read = crate::parallel::map_each(&paths, 16, |path| read_file(path));
    let mut texts = Vec::with_capacity(paths.len());
    for (path, text) in paths.into_iter().zip(read) {
        match text {
            Ok(text) => texts.push((path, text)),
            Err(diagnostic) => diags.push(*diagnostic),
        }
    }
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
    let results = crate::parallel::map_each(&files, 16, parse);
    files
        .into_iter()
        .zip(results)
        .filter_map(|(file, result)| spec_file(file, result, diags))
        .collect()
}

pub(crate) fn read_text(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    read_file(path).map_err(|d| diags.push(*d)).ok()
}

/// A file's text, or why it cannot be had.
fn read_file(path: &Path) -> Result<String, Box<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|err| {
        Diagnostic::error("spec::unreadable", format!("cannot read file: {err}")).in_path(path)
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Box::new(Diagnostic::error("spec::not-utf8", "file is not valid UTF-8").in_path(path))
    })
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
        Ok(services) => Some(SpecFile {
            file,
            services,
            repaired: Vec::new(),
        }),
        Err(err) => {
            // One error that says what the file is beats one per field
            // lookout does not know.
            if let Some(foreign) = foreign_format(diags, file) {
                diags.push(foreign);
                return None;
            }
            let problems = every_problem::<ServiceSpec>(diags, file, &err, v1_field_names);
            for problem in problems.diagnostics {
                diags.push(problem);
            }
            // The documents that parse once the mistakes are set aside are
            // still lowered: their other mistakes show in this run too.
            (!problems.repaired.is_empty()).then_some(SpecFile {
                file,
                services: problems.repaired,
                repaired: problems.ranges,
            })
        }
    }
}

/// What tells one YAML document's format apart (lookout's, Sloth's,
/// OpenSLO's, Pyrra's); every other key is ignored here.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct DocumentHeader {
    version: Option<serde_saphyr::Spanned<String>>,
    #[serde(rename = "apiVersion")]
    api_version: Option<serde_saphyr::Spanned<String>>,
    kind: Option<String>,
}

impl DocumentHeader {
    pub(crate) fn version(&self) -> Option<&str> {
        self.version.as_ref().map(|v| v.value.as_str())
    }

    pub(crate) fn api_version(&self) -> Option<&str> {
        self.api_version.as_ref().map(|v| v.value.as_str())
    }

    pub(crate) fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }
}

/// Another SLO tool's spec dropped among lookout's (a team moving from
/// Sloth or Pyrra does this first): named by the `version:` or
/// `apiVersion:` of its first document that gives it away, with the way
/// to convert it.
fn foreign_format(diags: &Diagnostics, file: FileId) -> Option<Diagnostic> {
    let text = diags.sources.text(file);
    let (key, written, tool, import) = nonempty_documents(text).into_iter().find_map(|range| {
        let masked = only_document(text, range);
        let header: DocumentHeader = serde_saphyr::from_str_with_options(
            std::str::from_utf8(&masked).ok()?,
            parse_options(),
        )
        .ok()?;
        let (key, written) = match (header.version, header.api_version) {
            (Some(version), None) => ("version", version),
            (None, Some(api_version)) => ("apiVersion", api_version),
            _ => return None,
        };
        let value = written.value.as_str();
        let (tool, import) = match key {
            "version" if value == sloth::PROMETHEUS_V1 => ("a Sloth spec", Some("sloth")),
            "apiVersion" if value.starts_with("sloth.slok.dev/") => {
                ("a Sloth `PrometheusServiceLevel`", Some("sloth"))
            }
            "apiVersion" if value.starts_with("openslo/") => ("an OpenSLO object", Some("openslo")),
            "apiVersion" if value.starts_with("pyrra.dev/") => {
                ("a Pyrra `ServiceLevelObjective`", None)
            }
            _ => return None,
        };
        Some((key, written, tool, import))
    })?;
    // The whole `key: value` line.
    let at = span_of(diags, file, &written.referenced).map(|value| {
        let line_start = text[..value.offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[value.offset..]
            .find('\n')
            .map_or(text.len(), |i| value.offset + i);
        Span {
            file,
            offset: line_start,
            len: text[line_start..line_end].trim_end().len(),
        }
    });
    let diagnostic = Diagnostic::error(
        "spec::foreign-format",
        format!(
            "this is {tool} (`{key}: {}`), not a lookout spec",
            written.value
        ),
    )
    .at_opt(at)
    .label("another tool's format");
    Some(match import {
        Some(format) => {
            let path = diags.sources.path(file).display().to_string();
            // Pasted into a shell as printed.
            let path = if path
                .contains(|c: char| c.is_whitespace() || "'\"$`\\;&|<>()*?".contains(c))
            {
                format!("'{}'", path.replace('\'', "'\\''"))
            } else {
                path
            };
            diagnostic.help(format!(
                "convert it with `lookout import {format} {path}`, which writes lookout specs into `slos/`, then remove this file"
            ))
        }
        None => diagnostic.help(
            "lookout does not import Pyrra's format; write the SLO as a lookout spec (`lookout schema` prints the format) and remove this file",
        ),
    })
}

/// Most mistakes a spec or config file holds, not only the first that stops serde:
/// each YAML document is parsed apart, and within one, after each error the
/// offending entry is set aside (an unknown field dropped, a mistyped
/// scalar given a placeholder of the expected type) and parsing goes on.
/// A missing field that an unknown field was probably meant to be is not
/// reported twice. A document that parses once its mistakes are set aside
/// is returned, with the ranges set aside, so that it can still be checked.
fn every_problem<T: DeserializeOwned>(
    diags: &Diagnostics,
    file: FileId,
    first: &serde_saphyr::Error,
    known_fields: fn(&str) -> &'static [&'static str],
) -> Problems<T> {
    const MAX_PER_DOCUMENT: usize = 20;
    let text = diags.sources.text(file);
    let mut problems = Vec::new();
    let mut repaired = Vec::new();
    let mut ranges = Vec::new();
    for (start, end) in document_ranges(text) {
        let mut masked = only_document(text, (start, end));
        let mut meant: Vec<String> = Vec::new();
        for _ in 0..MAX_PER_DOCUMENT {
            let Ok(doc) = std::str::from_utf8(&masked) else {
                break;
            };
            let err = match serde_saphyr::from_str_with_options::<T>(doc, parse_options()) {
                Ok(value) => {
                    repaired.push(value);
                    break;
                }
                Err(err) => err,
            };
            let diagnostic = yaml_error(diags, file, &err, known_fields);
            // A repair that did not move the parser on: report once, stop.
            let seen = problems
                .iter()
                .any(|p: &Diagnostic| p.message == diagnostic.message && p.span == diagnostic.span);
            if seen {
                break;
            }
            let missing = between(&diagnostic.message, "missing required field `", "`");
            // A second error at a value already reported is about the
            // placeholder put there, not about what the user wrote.
            let reported =
                diagnostic.span.is_some() && problems.iter().any(|p| p.span == diagnostic.span);
            if !reported && !missing.is_some_and(|m| meant.iter().any(|x| x == m)) {
                problems.push(diagnostic.clone());
            }
            let Some(offset) = diagnostic.span.map(|s| s.offset) else {
                break;
            };
            let before = masked.clone();
            let fixed = if diagnostic.code == "spec::unknown-field" {
                if let Some(best) = diagnostic
                    .help
                    .as_deref()
                    .and_then(|h| between(h, "did you mean `", "`"))
                {
                    meant.push(best.to_string());
                }
                blank_entry(&mut masked, offset)
            } else {
                placeholder(&mut masked, offset, &err.to_string())
            };
            if !fixed {
                break;
            }
            // The bytes changed, from the first to the last.
            let first = before.iter().zip(&masked).position(|(a, b)| a != b);
            let last = before.iter().zip(&masked).rposition(|(a, b)| a != b);
            if let (Some(first), Some(last)) = (first, last) {
                ranges.push((first.min(offset), last + 1));
            }
        }
    }
    if problems.is_empty() {
        problems.push(yaml_error(diags, file, first, known_fields));
    }
    Problems {
        only_unknown_fields: problems.iter().all(|p| p.code == "spec::unknown-field"),
        diagnostics: problems,
        repaired,
        ranges,
    }
}

/// One YAML document of a foreign format (Sloth, for `lookout import`) as
/// a `T`. Unlike a lookout spec, an unknown key is not an error: it is a
/// warning with `unknown_code`, its entry set aside so parsing goes on, so
/// nothing is dropped silently. Any other mistake is an error and the
/// document yields `None`. `range` is the document's byte range in `file`.
pub(crate) fn parse_foreign_document<T: serde::de::DeserializeOwned>(
    diags: &mut Diagnostics,
    file: FileId,
    range: (usize, usize),
    known_fields: fn(&str) -> &'static [&'static str],
    unknown_code: &'static str,
) -> Option<T> {
    const MAX_UNKNOWN: usize = 50;
    let mut masked = only_document(diags.sources.text(file), range);
    let mut warnings = Vec::new();
    for _ in 0..MAX_UNKNOWN {
        let doc = std::str::from_utf8(&masked).ok()?;
        let err = match serde_saphyr::from_str_with_options::<T>(doc, parse_options()) {
            Ok(value) => {
                for warning in warnings {
                    diags.push(warning);
                }
                return Some(value);
            }
            Err(err) => err,
        };
        let mut diagnostic = yaml_error(diags, file, &err, known_fields);
        let offset = diagnostic.span.map(|s| s.offset);
        match offset {
            Some(offset) if diagnostic.code == "spec::unknown-field" => {
                diagnostic.severity = crate::diag::Severity::Warning;
                diagnostic.code = unknown_code;
                diagnostic.message = format!("{}: not imported", diagnostic.message);
                diagnostic.label = Some("lookout has no equivalent; left out".into());
                warnings.push(diagnostic);
                if !blank_entry(&mut masked, offset) {
                    break;
                }
            }
            _ => {
                for warning in warnings {
                    diags.push(warning);
                }
                diags.push(diagnostic);
                return None;
            }
        }
    }
    for warning in warnings {
        diags.push(warning);
    }
    None
}

/// The byte ranges of `text`'s YAML documents that hold more than
/// comments and blank lines.
pub(crate) fn nonempty_documents(text: &str) -> Vec<(usize, usize)> {
    document_ranges(text)
        .into_iter()
        .filter(|(start, end)| {
            text[*start..*end].lines().any(|line| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with('#') && line != "---" && line != "..."
            })
        })
        .collect()
}

/// `text` with every byte outside `range` blanked but newlines, so one
/// document parses alone while offsets and lines stay true.
fn only_document(text: &str, (start, end): (usize, usize)) -> Vec<u8> {
    text.bytes()
        .enumerate()
        .map(|(i, b)| {
            if (start..end).contains(&i) || b == b'\n' {
                b
            } else {
                b' '
            }
        })
        .collect()
}

/// Byte ranges of the YAML documents of `text`, split at `---` lines (a
/// document marker at column 0 ends any block before it).
fn document_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let marker = line.trim_end() == "---" || line.starts_with("--- ");
        if marker && offset > start {
            ranges.push((start, offset));
            start = offset;
        }
        offset += line.len();
    }
    ranges.push((start, text.len()));
    ranges
}

/// Blanks the mapping entry whose key starts at `offset`: its line and the
/// more indented lines under it.
fn blank_entry(text: &mut [u8], offset: usize) -> bool {
    let line_start = text[..offset.min(text.len())]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let indent = offset - line_start;
    let mut end = text[offset..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(text.len(), |i| offset + i);
    // Lines below that are blank or indented deeper belong to the entry.
    while end < text.len() {
        let next = end + 1;
        let line_end = text[next..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(text.len(), |i| next + i);
        let line = &text[next..line_end];
        let depth = line.iter().take_while(|b| **b == b' ').count();
        if line.iter().all(|b| *b == b' ' || *b == b'\r') || depth > indent {
            end = line_end;
        } else {
            break;
        }
    }
    let changed = text[offset..end].iter().any(|b| *b != b' ' && *b != b'\n');
    for b in &mut text[offset..end] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
    changed
}

/// Replaces the one-line scalar at `offset` with a value of the type the
/// error expected; false when the type or the value's extent is unclear.
fn placeholder(text: &mut [u8], offset: usize, message: &str) -> bool {
    // serde's "invalid type: …, expected f64", or the scalar parser's own
    // "invalid floating point" / "invalid boolean".
    let message = message.to_ascii_lowercase();
    let expected = message
        .split("expected")
        .nth(1)
        .unwrap_or(message.as_str())
        .to_string();
    let value: &[u8] = if [
        "f64",
        "f32",
        "floating point",
        "i64",
        "u64",
        "u32",
        "integer",
        "number",
    ]
    .iter()
    .any(|t| expected.contains(t))
    {
        b"1"
    } else if expected.contains("bool") {
        b"false"
    } else if expected.contains("string") {
        b"x"
    } else {
        return false;
    };
    let end = text[offset..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(text.len(), |i| offset + i);
    if end - offset < value.len() || text[offset..end].iter().all(|b| *b == b' ') {
        return false;
    }
    for (i, b) in text[offset..end].iter_mut().enumerate() {
        *b = value.get(i).copied().unwrap_or(b' ');
    }
    true
}

/// Parses one YAML document into `T`, reporting every problem it finds
/// (see `every_problem`) as diagnostics; when those are only unknown
/// fields, the document without them.
pub(crate) fn parse_document<T: DeserializeOwned>(
    diags: &mut Diagnostics,
    file: FileId,
    known_fields: fn(&str) -> &'static [&'static str],
) -> Option<T> {
    let text = diags.sources.text(file).to_string();
    match serde_saphyr::from_str_with_options::<T>(&text, parse_options()) {
        Ok(value) => Some(value),
        Err(err) => {
            let problems = every_problem::<T>(diags, file, &err, known_fields);
            diags.items.extend(problems.diagnostics);
            // With only unknown fields, dropped, the rest is what the user
            // wrote: go on with it, so that the specs are checked too.
            let mut repaired = problems.repaired;
            match (problems.only_unknown_fields, repaired.len()) {
                (true, 1) => repaired.pop(),
                _ => None,
            }
        }
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
