//! An interpreter for the `loki.process` stages lookout generates, so tests
//! can run a generated Alloy config on real log lines here (no Alloy binary
//! is available).
//!
//! Each stage follows its file in grafana/alloy
//! `internal/component/loki/process/stages/`:
//! - `json.go`: the line must be a JSON object; each expression is searched
//!   and a miss extracts nil (the key is set, to nil). Expressions are the
//!   JMESPath subset lookout writes: identifiers, quoted or not, joined by
//!   `.`;
//! - `logfmt.go`: each mapped key found in the line is extracted as a
//!   string; a key not in the line is not set;
//! - `regex.go`: with `source`, a missing key or a value `getString`
//!   cannot convert (nil) skips the stage; every named group of a match is
//!   extracted;
//! - `replace.go`: as `regex` for the source; each capture group of each
//!   match is replaced by `replace` (no template actions: lookout writes
//!   none), and the result stored back under `source`;
//! - `structured_metadata.go`: `values` entries with an empty source use
//!   their own name; a missing key or one `getString` cannot convert adds
//!   nothing.
//!
//! A stage or argument this does not know fails the test.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

/// One stage: its kind (`json`, `regex`, …) and its arguments, objects
/// flattened as `argument.key`.
#[derive(Debug)]
pub struct Stage {
    pub kind: String,
    pub arguments: BTreeMap<String, String>,
}

/// The stages of `loki.process "<label>"` in an Alloy config.
pub fn process_stages(config: &str, label: &str) -> Vec<Stage> {
    let header = format!("loki.process {label:?} {{");
    let start = config
        .find(&header)
        .unwrap_or_else(|| panic!("no {header}"));
    let mut stages = Vec::new();
    let mut current: Option<Stage> = None;
    for line in config[start + header.len()..].lines().map(str::trim) {
        if line.is_empty() || line.starts_with("forward_to") {
            continue;
        }
        if let Some(kind) = line.strip_prefix("stage.") {
            let kind = kind.trim_end_matches('{').trim().to_string();
            current = Some(Stage {
                kind,
                arguments: BTreeMap::new(),
            });
        } else if line == "}" {
            match current.take() {
                Some(stage) => stages.push(stage),
                None => break,
            }
        } else {
            let stage = current.as_mut().expect("an argument inside a stage");
            let (name, value) = line.split_once('=').expect("name = value");
            let (name, value) = (name.trim(), value.trim());
            if let Some(object) = value.strip_prefix('{') {
                for (key, value) in object_entries(object.trim_end_matches('}')) {
                    stage.arguments.insert(format!("{name}.{key}"), value);
                }
            } else {
                stage.arguments.insert(name.to_string(), string(value));
            }
        }
    }
    stages
}

/// An Alloy string literal; its escapes are JSON's for what lookout writes.
fn string(literal: &str) -> String {
    serde_json::from_str(literal).unwrap_or_else(|e| panic!("{literal}: {e}"))
}

/// `k = "v", k2 = "v2"` of a one-line object.
fn object_entries(mut text: &str) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    loop {
        text = text.trim_start().trim_start_matches(',').trim_start();
        if text.is_empty() {
            return entries;
        }
        let (key, rest) = text.split_once('=').expect("key = value");
        let rest = rest.trim_start();
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        let value = values.next().expect("a string").expect("a string literal");
        entries.push((key.trim().to_string(), value));
        text = &rest[values.byte_offset()..];
    }
}

/// Runs `stages` on `line`; returns the structured metadata they attach.
pub fn run(stages: &[Stage], line: &str) -> BTreeMap<String, String> {
    let mut extracted: BTreeMap<String, Value> = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    for stage in stages {
        let argument = |name: &str| stage.arguments.get(name).map(String::as_str);
        let prefixed = |prefix: &'static str| {
            stage
                .arguments
                .iter()
                .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
        };
        for name in stage.arguments.keys() {
            let base = name.split('.').next().unwrap();
            let known: &[&str] = match stage.kind.as_str() {
                "json" => &["expressions"],
                "logfmt" => &["mapping"],
                "regex" => &["expression", "source"],
                "replace" => &["expression", "source", "replace"],
                "structured_metadata" => &["values"],
                other => panic!("stage.{other} is not interpreted"),
            };
            assert!(known.contains(&base), "stage.{}: {name}", stage.kind);
        }
        match stage.kind.as_str() {
            "json" => {
                let Ok(Value::Object(data)) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let data = Value::Object(data);
                for (name, expression) in prefixed("expressions.") {
                    let found = jmespath_path(expression)
                        .iter()
                        .try_fold(&data, |value, key| value.get(key));
                    extracted.insert(name.to_string(), found.cloned().unwrap_or(Value::Null));
                }
            }
            "logfmt" => {
                let pairs = logfmt(line);
                for (name, key) in prefixed("mapping.") {
                    let key = if key.is_empty() { name } else { key };
                    if let Some((_, value)) = pairs.iter().rev().find(|(k, _)| k == key) {
                        extracted.insert(name.to_string(), Value::String(value.clone()));
                    }
                }
            }
            "regex" | "replace" => {
                let input = match argument("source") {
                    Some(source) => match extracted.get(source).and_then(get_string) {
                        Some(value) => value,
                        None => continue,
                    },
                    None => line.to_string(),
                };
                let regex = Regex::new(argument("expression").unwrap()).unwrap();
                if stage.kind == "regex" {
                    let Some(captures) = regex.captures(&input) else {
                        continue;
                    };
                    for name in regex.capture_names().flatten() {
                        let value = captures.name(name).map_or("", |m| m.as_str());
                        extracted.insert(name.to_string(), Value::String(value.to_string()));
                    }
                } else {
                    let replacement = argument("replace").unwrap_or("");
                    assert!(!replacement.contains("{{"), "templates are not interpreted");
                    let mut result = String::new();
                    let mut end = 0;
                    let mut matched = false;
                    for captures in regex.captures_iter(&input) {
                        matched = true;
                        for group in captures.iter().skip(1).flatten() {
                            if end <= group.start() {
                                result.push_str(&input[end..group.start()]);
                                result.push_str(replacement);
                                end = group.end();
                            }
                        }
                    }
                    if matched {
                        result.push_str(&input[end..]);
                        let source = argument("source").expect("lookout always sets source");
                        extracted.insert(source.to_string(), Value::String(result));
                    }
                }
            }
            "structured_metadata" => {
                for (name, source) in prefixed("values.") {
                    let source = if source.is_empty() { name } else { source };
                    if let Some(value) = extracted.get(source).and_then(get_string) {
                        metadata.insert(name.to_string(), value);
                    }
                }
            }
            _ => unreachable!("checked above"),
        }
    }
    metadata
}

/// `getString` of util.go: numbers, strings and booleans; nil fails.
fn get_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `"http"."path"` or `http.path` → `["http", "path"]`.
fn jmespath_path(expression: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = expression;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
            keys.push(stream.next().unwrap().unwrap());
            rest = &rest[stream.byte_offset()..];
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            keys.push(rest[..end].to_string());
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    keys
}

/// go-logfmt's pairs: `key=value`, values bare or double-quoted with
/// backslash escapes.
fn logfmt(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ' ')).collect();
        if key.is_empty() {
            return pairs;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ' ')).collect();
            }
        }
        pairs.push((key, value));
    }
}
