//! The book's generated reference pages and the man pages, from the code
//! itself: the commands and flags from clap, the spec and `lookout.yaml`
//! fields from their JSON Schemas, the recorded series from `names.rs`,
//! the compatibility matrix from `emit::compat`.
//! `tests/docs.rs` regenerates the pages and fails on drift, so the
//! reference cannot fall behind a flag or a field.

use std::fmt::Write;

use clap::CommandFactory;
use serde_json::Value;

use super::Cli;

/// Each generated page of `docs/src/`, by its path there.
pub fn pages() -> Vec<(&'static str, String)> {
    vec![
        ("reference/commands.md", commands()),
        (
            "reference/spec.md",
            schema_page(
                "Spec fields",
                "A spec file in `slos/` holds one service per YAML document. Every\nfield below, its type and whether it is required come from the JSON\nSchema that `lookout schema spec` prints for editors.",
                schemars::schema_for!(crate::spec::v1::ServiceSpec),
            ),
        ),
        (
            "reference/config.md",
            schema_page(
                "`lookout.yaml` fields",
                "Every key of `lookout.yaml` is optional. The fields below come from\nthe JSON Schema that `lookout schema config` prints for editors. Push\ntargets' keys can also be set in the environment\n([environment](environment.md)).",
                schemars::schema_for!(crate::spec::config::ProjectConfig),
            ),
        ),
        ("reference/series.md", series()),
        ("reference/compatibility.md", compatibility()),
    ]
}

/// The compatibility matrix, from `emit::compat`.
fn compatibility() -> String {
    use crate::emit::compat::{systems, Known};
    let mut out = format!(
        "{GENERATED}# Compatibility\n\nThe oldest version of each system that lookout's output works with, and\nhow that is known. \"Tested with\" names the versions of the system's own\ncode (or its published schema or types) that this repository's tests run\non the output; the slow tier checks that those are the versions it runs.\n\"From\" names where the feature lookout relies on first appeared, when no\ntest here ran that version.\n\n| system | oldest | what needs it | how it is known |\n|---|---|---|---|\n"
    );
    for system in systems() {
        let known = match &system.known {
            Known::Tested { with, how } => {
                let with: Vec<String> = with
                    .iter()
                    .map(|e| format!("{} {}", e.what, e.version))
                    .collect();
                format!("tested with {}: {how}", with.join(" and "))
            }
            Known::FromDocs(source) => format!("from {source}"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            system.name,
            system.oldest,
            cell(&system.needs),
            cell(&known)
        );
    }
    out
}

const GENERATED: &str =
    "<!-- Generated from the code by `lookout`'s tests/docs.rs; do not edit by hand. -->\n\n";

fn commands() -> String {
    // Built, so that every argument knows how many values it takes.
    let mut cli = Cli::command();
    cli.build();
    let mut out = format!(
        "{GENERATED}# Commands\n\nEvery command and flag, as `lookout <command> --help` prints them.\n`lookout man DIR` writes the same as man pages. [Exit codes](#exit-codes) are\nat the end.\n"
    );
    for command in cli.get_subcommands() {
        command_section(&mut out, command, "lookout");
    }
    out.push_str(EXIT_CODES);
    out
}

const EXIT_CODES: &str = "
## Exit codes

| code | meaning |
|---|---|
| 0 | success; for `check`, the specs are valid and the output is up to date |
| 1 | an error: invalid specs (every problem is printed), a failed push, an unreachable server |
| 2 | a usage error: an unknown flag or a missing argument |
| 3 | `plan`: there are changes to apply |
| 4 | `gate`: an SLO is blocked (out of budget, or paging) |
| 5 | `gate`: it cannot tell (no data yet, or the rules not loaded or not yet evaluated); an unreachable Prometheus is 1 |
";

fn command_section(out: &mut String, command: &clap::Command, parent: &str) {
    if command.is_hide_set() || command.get_name() == "help" {
        return;
    }
    let name = format!("{parent} {}", command.get_name());
    let _ = writeln!(out, "\n## `{name}`\n");
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        let _ = writeln!(out, "{}\n", one_paragraph(&about.to_string()));
    }
    let usage = command
        .clone()
        .bin_name(&name)
        .render_usage()
        .to_string()
        .replace("Usage: ", "");
    let _ = writeln!(out, "```text\n{usage}\n```\n");
    let args: Vec<&clap::Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .collect();
    if !args.is_empty() {
        out.push_str("| argument | default | description |\n|---|---|---|\n");
        for arg in args {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                arg_name(arg),
                arg_default(arg),
                cell(&arg_help(arg))
            );
        }
    }
    if let Some(after) = command.get_after_long_help() {
        let after = after.to_string();
        let examples = after.strip_prefix("Examples:\n").unwrap_or(&after);
        let examples: Vec<&str> = examples.lines().map(str::trim_start).collect();
        let _ = writeln!(out, "\nExamples:\n\n```text\n{}\n```", examples.join("\n"));
    }
    for sub in command.get_subcommands() {
        command_section(out, sub, &name);
    }
}

fn arg_name(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .map(|names| {
            names
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    let mut name = match (arg.get_long(), arg.get_short()) {
        (Some(long), Some(short)) => format!("`-{short}`, `--{long}`"),
        (Some(long), None) => format!("`--{long}`"),
        (None, Some(short)) => format!("`-{short}`"),
        (None, None) => format!("`{value}`"),
    };
    if !arg.is_positional() && takes_value {
        name = format!("{name} `{value}`");
    }
    if arg.is_positional() && arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
        name.push('…');
    }
    name
}

fn arg_default(arg: &clap::Arg) -> String {
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    let mut text = defaults.join(", ");
    if let Some(env) = arg.get_env() {
        if !text.is_empty() {
            text.push_str("; ");
        }
        let _ = write!(text, "env `{}`", env.to_string_lossy());
    }
    text
}

fn arg_help(arg: &clap::Arg) -> String {
    let mut help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(h) => format!("`{}` ({h})", v.get_name()),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    if !values.is_empty() && arg.get_num_args().is_none_or(|n| n.max_values() != 0) {
        if !help.is_empty() && !help.ends_with('.') {
            help.push('.');
        }
        let _ = write!(help, " One of: {}.", values.join(", "));
    }
    help
}

/// Text on one line, as a table cell: no newlines, no bare pipes.
fn cell(text: &str) -> String {
    one_paragraph(text).replace('|', "\\|")
}

fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A page of a JSON Schema's objects: the root, then each definition in
/// the order the fields lead to them, each a table of its fields.
fn schema_page(title: &str, intro: &str, schema: schemars::Schema) -> String {
    let schema = schema.as_value();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = format!("{GENERATED}# {title}\n\n{intro}\n");
    let root = schema
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("top level");
    let mut order: Vec<String> = Vec::new();
    let mut queue = vec![(root.to_string(), schema.clone())];
    let mut seen = std::collections::HashSet::new();
    while let Some((name, def)) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        order.push(name.clone());
        definition_section(&mut out, &name, &def);
        let mut refs = Vec::new();
        collect_refs(&def, &mut refs);
        for target in refs.into_iter().rev() {
            if let Some(def) = defs.get(&target) {
                if !seen.contains(&target) {
                    queue.push((target, def.clone()));
                }
            }
        }
    }
    out
}

fn definition_section(out: &mut String, name: &str, def: &Value) {
    let _ = writeln!(out, "\n## {name}\n");
    if let Some(description) = def.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "{}\n", one_paragraph(description));
    }
    if let Some(properties) = def.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = def
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push_str("| field | type | description |\n|---|---|---|\n");
        for (field, property) in properties {
            let mut description = property
                .get("description")
                .and_then(Value::as_str)
                .map(cell)
                .unwrap_or_default();
            if required.contains(&field.as_str()) {
                description = format!("**Required.** {description}");
            }
            let _ = writeln!(
                out,
                "| `{field}` | {} | {} |",
                type_of(property).replace('|', "\\|"),
                description.trim_end()
            );
        }
    }
    let variants = def
        .get("oneOf")
        .or(def.get("anyOf"))
        .and_then(Value::as_array);
    if let Some(variants) = variants {
        out.push_str("One of:\n\n");
        for variant in variants {
            let description = variant
                .get("description")
                .and_then(Value::as_str)
                .map(one_paragraph);
            let _ = writeln!(
                out,
                "- {}{}",
                type_of(variant),
                description.map(|d| format!(": {d}")).unwrap_or_default()
            );
        }
    }
    if let Some(values) = def.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| format!("`{}`", plain(v))).collect();
        let _ = writeln!(out, "One of {}.", values.join(", "));
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A field's type in words: `string`, `list of [SloSpec](#slospec)`, ….
fn type_of(schema: &Value) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or(target);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(value) = schema.get("const") {
        return format!("`{}`", plain(value));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| format!("`{}`", plain(v)))
            .collect();
        return values.join(" or ");
    }
    if let Some(variants) = schema
        .get("anyOf")
        .or(schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        let types: Vec<String> = variants
            .iter()
            .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
            .map(type_of)
            .collect();
        return types.join(" or ");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec![],
    };
    let words: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => format!(
                "list of {}",
                schema.get("items").map(type_of).unwrap_or("any".into())
            ),
            "object" => match schema.get("additionalProperties") {
                Some(Value::Object(_)) => {
                    format!("map of {}", type_of(&schema["additionalProperties"]))
                }
                _ => "mapping".into(),
            },
            "integer" => "integer".into(),
            "number" => "number".into(),
            "boolean" => "boolean".into(),
            other => other.to_string(),
        })
        .collect();
    if words.is_empty() {
        "any".into()
    } else {
        words.join(" or ")
    }
}

/// The definitions `schema` refers to, in the order they appear.
fn collect_refs(schema: &Value, refs: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref" {
                    if let Some(name) = value.as_str().and_then(|r| r.rsplit('/').next()) {
                        if !refs.iter().any(|r| r == name) {
                            refs.push(name.to_string());
                        }
                    }
                } else if key != "$defs" {
                    collect_refs(value, refs);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// The recorded series and labels: each public name in `model/names.rs`,
/// with its doc comment, read from the source so the page says what the
/// code says.
fn series() -> String {
    let source = include_str!("../model/names.rs");
    let mut out = format!(
        "{GENERATED}# Recorded series and labels\n\nThe names lookout's rules record and the labels they carry, from\n`src/model/names.rs`, where every emitter and dashboard takes them from.\nEvery series also carries `service` and `slo` (and a grouped SLO's\n`group_by` labels).\n\n| name | value | what it is |\n|---|---|---|\n"
    );
    let mut doc = Vec::new();
    let mut functions = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim().to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub const ") {
            let (name, rest) = rest.split_once(':').unwrap_or((rest, ""));
            let value = rest
                .split_once('=')
                .map(|(_, v)| v.trim().trim_end_matches(';').trim_matches('"'))
                .unwrap_or_default();
            let value = duration_literal(value).unwrap_or_else(|| value.to_string());
            let _ = writeln!(
                out,
                "| `{name}` | `{value}` | {} |",
                cell(&strip_links(&doc.join(" ")))
            );
        } else if let Some(rest) = line.strip_prefix("pub fn ") {
            let name = rest.split('(').next().unwrap_or(rest);
            functions.push((name.to_string(), strip_links(&doc.join(" "))));
        }
        doc.clear();
    }
    out.push_str("\nNames built from an SLO's windows or its selector:\n\n");
    for (name, doc) in functions {
        let _ = writeln!(out, "- `{name}`: {}", one_paragraph(&doc));
    }
    out
}

/// `Duration::minutes(5)` as PromQL writes it, `5m`.
fn duration_literal(value: &str) -> Option<String> {
    let (unit, amount) = value.strip_prefix("Duration::")?.split_once('(')?;
    let amount = amount.strip_suffix(')')?;
    let suffix = match unit {
        "seconds" => "s",
        "minutes" => "m",
        "hours" => "h",
        "days" => "d",
        _ => return None,
    };
    Some(format!("{amount}{suffix}"))
}

/// Rustdoc's intra-doc links, `[`NAME`]`, as plain code.
fn strip_links(text: &str) -> String {
    text.replace("[`", "`").replace("`]", "`")
}

/// The book's reference of diagnostics, compiled in: `lookout help CODE`
/// prints its entry, so the two cannot say different things.
const DIAGNOSTICS: &str = include_str!("../../docs/src/reference/errors.md");

/// Each code's entry: the text under its `### `code`` heading, up to the
/// next heading.
fn diagnostic_entries() -> impl Iterator<Item = (&'static str, String)> {
    DIAGNOSTICS.split("\n### `").skip(1).filter_map(|section| {
        let (code, rest) = section.split_once('`')?;
        let body: Vec<&str> = rest
            .lines()
            .skip(1)
            .take_while(|line| !line.starts_with('#'))
            .collect();
        Some((code, body.join("\n").trim().to_string()))
    })
}

pub fn diagnostic_codes() -> Vec<&'static str> {
    diagnostic_entries().map(|(code, _)| code).collect()
}

pub fn diagnostic_page(code: &str) -> Option<String> {
    diagnostic_entries()
        .find(|(c, _)| *c == code)
        .map(|(_, page)| page)
}

/// One man page per command, `lookout.1` and `lookout-<command>.1`.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let cli = Cli::command();
    let mut pages = Vec::new();
    let mut root = Vec::new();
    clap_mangen::Man::new(cli.clone()).render(&mut root)?;
    pages.push(("lookout.1".to_string(), root));
    for command in cli.get_subcommands() {
        if command.is_hide_set() || command.get_name() == "help" {
            continue;
        }
        let name = format!("lookout-{}", command.get_name());
        let mut page = Vec::new();
        // The page's title and synopsis name `lookout build`; the file, `lookout-build.1`.
        let command = command
            .clone()
            .display_name(name.clone())
            .bin_name(format!("lookout {}", command.get_name()));
        clap_mangen::Man::new(command).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}
