//! serde-saphyr's errors as lookout's diagnostics: located, worded for
//! the spec's author, with the closest field name or the type's spelling
//! as help.

use serde_saphyr::Location;

use super::parse_options;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

/// The field names serde reports as "expected one of" are the best source for
/// suggestions; this fallback lists every v1 field for when it names none.
pub(super) fn v1_field_names(_: &str) -> &'static [&'static str] {
    &[
        "version",
        "service",
        "team",
        "labels",
        "depends_on",
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

pub(super) fn yaml_error(
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
        .help(format!(
            "add `{missing}:`; if it is there, check its indentation: it must line up with the other keys of this mapping"
        ))
    } else if let Some(value) = between(&message, "unknown variant `", "`") {
        let expected = expected_names(&message);
        let candidates: Vec<&str> = expected.iter().map(String::as_str).collect();
        let d = Diagnostic::error("spec::unknown-value", format!("unknown value `{value}`"))
            .label("not one of the accepted values");
        match closest(value, &candidates) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d.help(format!("expected one of: {}", expected.join(", "))),
        }
    } else if message.contains("expected string scalar") {
        // serde-saphyr's words for a sequence or mapping where one value
        // belongs, whatever that value's type.
        Diagnostic::error(
            "spec::yaml",
            "expected a single value here, found a list or a mapping",
        )
        .label("a `[`, `{` or indented block starts here")
        .help("write one value on the key's line; quote text that starts with `[` or `{`")
    } else if message.contains("expected mapping start") {
        let written = span.map(|s| scalar_at(diags, s)).unwrap_or_default();
        let key = span.map(|s| key_before(diags, s)).unwrap_or_default();
        let d = Diagnostic::error(
            "spec::yaml",
            format!("expected a mapping (indented `key: value` lines), found `{written}`"),
        );
        // `ticket: false` is how people first try to turn a tier off.
        if matches!(key.as_str(), "page" | "ticket")
            && matches!(
                written.as_str(),
                "false" | "off" | "no" | "true" | "on" | "yes"
            )
        {
            d.help(format!(
                "to turn the {key} alert off, write `{key}: {{enabled: false}}`"
            ))
        } else {
            d
        }
    } else if message.contains("alias") || message.contains("budget") {
        Diagnostic::error("spec::yaml-limit", format!("YAML rejected: {message}"))
            .label("too much alias expansion")
            .help("lookout caps alias expansion to protect against alias bombs; inline the values instead")
    } else {
        let written = span.map(|s| scalar_at(diags, s)).unwrap_or_default();
        let d = Diagnostic::error("spec::yaml", message.clone());
        match type_help(&message, &written) {
            Some(help) => d.help(help),
            None if message.contains("found a tab") => d.help(
                "YAML indents with spaces only: replace the tab in the indentation that follows",
            ),
            None => d,
        }
    };
    diagnostic.span = span;
    if diagnostic.span.is_none() {
        diagnostic.path = Some(path);
    }
    diagnostic
}

/// The mapping key on the line of `span`, e.g. `ticket` for `ticket: false`.
pub(super) fn key_before(diags: &Diagnostics, span: Span) -> String {
    let text = diags.sources.text(span.file);
    let offset = span.offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    before
        .trim_end()
        .strip_suffix(':')
        .map(|key| key.trim().trim_start_matches("- ").trim().to_string())
        .unwrap_or_default()
}

/// The scalar written at `span`: the rest of its line, unquoted, without a
/// trailing comment.
pub(super) fn scalar_at(diags: &Diagnostics, span: Span) -> String {
    let text = diags.sources.text(span.file);
    let rest = &text[span.offset.min(text.len())..];
    let scalar = &rest[..span.len.min(rest.len())];
    if scalar.trim_end().contains('\n') {
        // A plain scalar that runs onto the next line.
        return scalar.to_string();
    }
    let line = rest.lines().next().unwrap_or("");
    let line = line.split(" #").next().unwrap_or(line).trim();
    line.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// What to write instead, for the type errors users make most: a percent
/// sign on an objective, a unit on a number of seconds, yes/no for a bool.
pub(super) fn type_help(message: &str, written: &str) -> Option<String> {
    let number = message.contains("floating point")
        || message.contains("expected f64")
        || message.contains("integer");
    if written.trim_end().contains('\n') {
        let next = written.lines().nth(1).unwrap_or("").trim();
        return Some(format!(
            "the value runs on into the next line (`{next}`): check that line's indentation"
        ));
    }
    if number {
        if let Some(digits) = written.strip_suffix('%') {
            return Some(format!("write the number without `%`: `{}`", digits.trim()));
        }
        for (unit, per_second) in [
            ("ms", 1000.0),
            ("us", 1e6),
            ("µs", 1e6),
            ("ns", 1e9),
            ("s", 1.0),
        ] {
            if let Some(amount) = written
                .strip_suffix(unit)
                .and_then(|n| n.trim().parse::<f64>().ok())
            {
                return Some(format!(
                    "numbers here carry no unit; in seconds, `{written}` is `{}`",
                    crate::model::fmt_num(amount / per_second)
                ));
            }
        }
        return Some(format!(
            "`{written}` is not a number; write digits only, e.g. `99.9`"
        ));
    }
    if message.contains("boolean") || message.contains("expected bool") {
        return Some(format!(
            "`{written}` is not a boolean; write `true` or `false`"
        ));
    }
    None
}

pub(super) fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    // serde-saphyr appends "at line N column M"; our header already says where.
    match line.rfind(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

pub(super) fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// Parses serde's "expected one of `a`, `b`" tail, or serde-saphyr's
/// unquoted "expected one of a, b".
pub(super) fn expected_names(message: &str) -> Vec<String> {
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
/// "did you mean `x`? `<what>`: a, b, c", or just the list when nothing is close.
pub fn suggest(word: &str, candidates: &[&str], what: &str) -> String {
    let list = format!("{what}: {}", candidates.join(", "));
    match closest(word, candidates) {
        Some(best) => format!("did you mean `{best}`? {list}"),
        None => list,
    }
}

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
