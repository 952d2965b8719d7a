//! Why a Prometheus reload failed. Its reply does not say which file
//! (2.42 answers `failed to reload config: one or more errors occurred`;
//! the file is only in its log), so lookout looks for it: the `rule_files`
//! globs of the running config (`GET /api/v1/status/config`, paths already
//! absolute), expanded here, and each file lookout can read checked as
//! Prometheus's `rulefmt` checks it (model/rulefmt/rulefmt.go): strict
//! YAML, named and unique groups, one of `record` and `alert`, an `expr`
//! that parses, `for` and annotations on alerts only.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;

use super::ruler::yaml_value;

/// What was found: the files that fail, and those lookout could not read.
#[derive(Debug, Default)]
pub struct Culprits {
    pub failing: Vec<(PathBuf, String)>,
    pub unreadable: Vec<PathBuf>,
}

impl Culprits {
    /// The finding as the end of an error message.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (path, problem) in &self.failing {
            text.push_str(&format!("\n      {}: {problem}", path.display()));
        }
        if self.failing.is_empty() {
            text.push_str(
                "\n      no rule file lookout can read fails Prometheus's checks: see Prometheus's log",
            );
        }
        if !self.unreadable.is_empty() {
            let paths: Vec<String> = self
                .unreadable
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            text.push_str(&format!(
                "\n      not checked (lookout cannot read them here): {}",
                paths.join(", ")
            ));
        }
        text
    }
}

/// The rule files the running config names, checked.
pub fn culprits(config_yaml: &str) -> Result<Culprits, String> {
    let config =
        yaml_value(config_yaml).map_err(|e| format!("cannot read Prometheus's config: {e}"))?;
    let mut found = Culprits::default();
    let mut seen = HashSet::new();
    for pattern in config["rule_files"].as_array().into_iter().flatten() {
        let Some(pattern) = pattern.as_str() else {
            continue;
        };
        let paths = glob::glob(pattern).map_err(|e| format!("rule_files `{pattern}`: {e}"))?;
        for path in paths.flatten() {
            if !seen.insert(path.clone()) {
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    if let Err(problem) = check(&text) {
                        found.failing.push((path, problem));
                    }
                }
                Err(_) => found.unreadable.push(path),
            }
        }
    }
    Ok(found)
}

const GROUP_KEYS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "rules",
    "labels",
];
const RULE_KEYS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// One rule file's first problem, as Prometheus would refuse it.
pub fn check(text: &str) -> Result<(), String> {
    let file = yaml_value(text).map_err(|e| format!("not valid YAML: {e}"))?;
    if file.is_null() {
        return Ok(());
    }
    let Some(file) = file.as_object() else {
        return Err("the file must be a map with `groups`".into());
    };
    if let Some(key) = file.keys().find(|k| *k != "groups") {
        return Err(format!("field {key} not found in type rulefmt.RuleGroups"));
    }
    let mut names = HashSet::new();
    for group in file
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = group["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return Err("groupname must not be empty".into());
        }
        if !names.insert(name) {
            return Err(format!("group {name:?}: repeated in the same file"));
        }
        unknown(group, GROUP_KEYS, "rulefmt.RuleGroup")
            .map_err(|e| format!("group {name:?}: {e}"))?;
        for (i, rule) in group["rules"].as_array().into_iter().flatten().enumerate() {
            rule_problem(rule).map_err(|e| format!("group {name:?}, rule {}: {e}", i + 1))?;
        }
    }
    Ok(())
}

fn unknown(object: &Value, known: &[&str], kind: &str) -> Result<(), String> {
    match object
        .as_object()
        .and_then(|o| o.keys().find(|k| !known.contains(&k.as_str())))
    {
        Some(key) => Err(format!("field {key} not found in type {kind}")),
        None => Ok(()),
    }
}

fn rule_problem(rule: &Value) -> Result<(), String> {
    unknown(rule, RULE_KEYS, "rulefmt.Rule")?;
    // Set: present and not empty, whatever YAML made of it.
    let set = |key: &str| !(rule[key].is_null() || rule[key] == "");
    let (record, alert) = (set("record").then_some(()), set("alert").then_some(()));
    match (record, alert) {
        (Some(_), Some(_)) => return Err("only one of 'record' and 'alert' must be set".into()),
        (None, None) => return Err("one of 'record' or 'alert' must be set".into()),
        _ => {}
    }
    let expr = match &rule["expr"] {
        Value::String(expr) if !expr.trim().is_empty() => expr.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err("field 'expr' must be set in rule".into()),
    };
    if let Err(e) = promql_parser::parser::parse(&expr) {
        return Err(format!("could not parse expression: {e}"));
    }
    if record.is_some() {
        for key in ["for", "keep_firing_for", "annotations"] {
            if !rule[key].is_null() {
                return Err(format!("invalid field '{key}' in recording rule"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_files_fail_as_prometheus_refuses_them() {
        let ok = "groups:\n- name: a\n  rules:\n  - record: x:y\n    expr: sum(up)\n  - alert: Down\n    expr: up == 0\n    for: 5m\n";
        assert_eq!(check(ok), Ok(()));
        assert_eq!(check(""), Ok(()));
        for (text, problem) in [
            ("groups: [", "not valid YAML"),
            ("grups: []", "field grups not found"),
            ("groups:\n- rules: []", "groupname must not be empty"),
            ("groups:\n- name: a\n- name: a", "repeated in the same file"),
            (
                "groups:\n- name: a\n  rules:\n  - expr: up",
                "one of 'record' or 'alert'",
            ),
            (
                "groups:\n- name: a\n  rules:\n  - record: x\n    alert: Y\n    expr: up",
                "only one of",
            ),
            (
                "groups:\n- name: a\n  rules:\n  - record: x",
                "'expr' must be set",
            ),
            (
                "groups:\n- name: a\n  rules:\n  - record: x\n    expr: sum(up",
                "could not parse",
            ),
            (
                "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    for: 5m",
                "invalid field 'for'",
            ),
            (
                "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n    labls: {}",
                "field labls not found",
            ),
        ] {
            let found = check(text).expect_err(&format!("{text:?}"));
            assert!(found.contains(problem), "{text:?}: {found}");
        }
    }

    #[test]
    fn the_globs_of_the_running_config_are_expanded_and_each_file_checked() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("good.yaml", "groups: []\n");
        write(
            "bad.yaml",
            "groups:\n- name: a\n  rules:\n  - record: x\n    expr: rate(up[5m]\n",
        );
        write("other.txt", "not a rule file {");
        let config = format!(
            "global: {{}}\nrule_files:\n- {0}/*.yaml\n- {0}/good.yaml\n- {0}/missing/*.yaml\n",
            dir.path().display()
        );
        let found = culprits(&config).unwrap();
        let failing: Vec<String> = found
            .failing
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(failing, ["bad.yaml"]);
        assert!(
            found
                .describe()
                .contains("bad.yaml: group \"a\", rule 1: could not parse"),
            "{}",
            found.describe()
        );
    }
}
