//! Custom dashboards: `dashboards/*.jsonnet`, evaluated with jrsonnet.
//!
//! Each file is a jsonnet program that returns one Grafana dashboard. It
//! gets the compiled model as the external variable `lookout`
//! (`std.extVar('lookout')`): services, SLOs, thresholds and every
//! recording-rule name, so a custom dashboard never spells a rule name.
//! The result lands in `dashboards/grafana/<file>.json`, marked as lookout's.
//!
//! Unlike the emitters this stage reads files (the programs and their
//! imports), so `ops` runs it after `emit`. Errors point at the jsonnet
//! file and line.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::emit::{grafana, GENERATED_MARKER};
use crate::model::settings::{Links, Settings};
use crate::model::{default_pairs, fmt_num, names, Model};

/// The `lookout` external variable: the model as plain data.
pub fn model_json(model: &Model, links: &Links, project: &str) -> Value {
    let rule_names = json!({
        "errors_rate": names::ERRORS_RATE,
        "events_rate": names::EVENTS_RATE,
        "objective": names::OBJECTIVE,
        "time_period_days": names::TIME_PERIOD_DAYS,
        "current_burn_rate": names::CURRENT_BURN_RATE,
        "period_burn_rate": names::PERIOD_BURN_RATE,
        "period_start": names::PERIOD_START,
        "period_end": names::PERIOD_END,
        "error_ratio_to_date": names::ERROR_RATIO_TO_DATE,
    });
    let services: Vec<Value> = model
        .services
        .iter()
        .map(|service| {
            let slos: Vec<Value> = service
                .slos
                .iter()
                .map(|slo| {
                    let ratios: serde_json::Map<String, Value> = slo
                        .windows()
                        .into_iter()
                        .map(|w| (w.to_string(), json!(names::error_ratio(w))))
                        .collect();
                    let tiers: Vec<Value> = slo
                        .alerting
                        .tiers
                        .iter()
                        .map(|tier| {
                            let pairs: Vec<Value> = tier
                                .pairs
                                .iter()
                                .map(|p| {
                                    json!({
                                        "long": p.long.to_string(),
                                        "short": p.short.to_string(),
                                        "factor": p.factor,
                                        "threshold": p.threshold,
                                    })
                                })
                                .collect();
                            json!({"tier": tier.severity.as_str(), "severity": tier.severity_label, "pairs": pairs})
                        })
                        .collect();
                    json!({
                        "name": slo.name,
                        "service": slo.service,
                        "description": slo.description,
                        "objective": slo.objective,
                        "objective_ratio": slo.objective_ratio(),
                        "error_budget": slo.error_budget(),
                        "window": slo.window_text(),
                        "window_days": slo.period.seconds() / 86_400,
                        "calendar": slo.calendar.map(|c| json!({
                            "unit": c.unit.as_str(),
                            "utc_offset": c.offset_text(),
                            "grafana_time_from": c.unit.grafana_time_from(),
                        })),
                        "sli": slo.sli.kind(),
                        "labels": slo.identity_labels(),
                        "selector": names::selector(slo),
                        "alert_name": slo.alerting.name,
                        "runbook_url": slo.alerting.runbook_url,
                        "tiers": tiers,
                        "error_ratio": ratios,
                        "period_error_ratio": names::period_error_ratio(slo),
                    })
                })
                .collect();
            json!({
                "name": service.name,
                "team": service.team,
                "dashboard_uid": grafana::has_dashboard(service)
                    .then(|| grafana::dashboard_uid(&service.name)),
                "slos": slos,
            })
        })
        .collect();
    let factors: Vec<Value> = default_pairs()
        .iter()
        .map(|p| json!({"tier": p.severity.as_str(), "long": p.long.to_string(), "short": p.short.to_string(), "budget_fraction": fmt_num(p.budget_fraction)}))
        .collect();
    json!({
        "services": services,
        "rules": rule_names,
        "window_pairs": factors,
        "grafana": {
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "schema_version": grafana::SCHEMA_VERSION,
            "url": links.grafana_url,
            "overview_uid": grafana::overview_uid(project),
        },
    })
}

/// The `*.jsonnet` programs in `dir`, sorted.
pub fn find_programs(dir: &Path) -> Vec<PathBuf> {
    find_files(dir, &["jsonnet"])
}

/// The files in `dir` with one of `extensions`, sorted.
pub fn find_files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|e| extensions.iter().any(|x| e == *x))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `files` and every file they import, transitively, as the evaluator
/// resolves imports: beside the importing file first, then in `library`
/// (the programs' folder). Jsonnet allows only a string literal after
/// `import`, `importstr` and `importbin`, so reading the text finds every
/// import; a match inside a comment or a string only adds a file to watch.
/// Files that do not exist are left out: evaluation reports them.
pub fn import_closure(files: &[PathBuf], library: &Path) -> Vec<PathBuf> {
    let mut seen: std::collections::BTreeSet<PathBuf> = files.iter().cloned().collect();
    let mut pending: Vec<PathBuf> = files.to_vec();
    while let Some(file) = pending.pop() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let beside = file.parent().unwrap_or(Path::new(""));
        for (keyword, target) in imports(&text) {
            let Some(found) = [beside, library]
                .iter()
                .map(|dir| dir.join(&target))
                .find(|candidate| candidate.is_file())
            else {
                continue;
            };
            if seen.insert(found.clone()) && keyword == "import" {
                pending.push(found);
            }
        }
    }
    seen.into_iter().collect()
}

/// The `import "path"`-like expressions in jsonnet source: keyword and path.
fn imports(text: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(offset) = text[at..].find("import") {
        let start = at + offset;
        at = start + "import".len();
        // A whole word: not `reimport` or `imports`.
        if start > 0 && is_identifier_byte(bytes[start - 1]) {
            continue;
        }
        let keyword = match &text[at..] {
            rest if rest.starts_with("str") => "importstr",
            rest if rest.starts_with("bin") => "importbin",
            _ => "import",
        };
        at = start + keyword.len();
        if bytes.get(at).copied().is_some_and(is_identifier_byte) {
            continue;
        }
        let rest = text[at..].trim_start();
        let rest = rest.strip_prefix('@').unwrap_or(rest);
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = rest[1..].find(quote) {
            found.push((keyword, rest[1..1 + end].to_string()));
        }
    }
    found
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Evaluates every program; returns their dashboards, or diagnostics. A
/// program may not replace a generated dashboard.
pub fn evaluate_all(
    programs: &[PathBuf],
    model: &Model,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Vec<grafana::Dashboard> {
    let (layout, grafana) = (&settings.layout, &settings.grafana);
    let project = &settings.project.name.name;
    if programs.is_empty() {
        return Vec::new();
    }
    let taken = grafana::generated_files(&model.services);
    let model = model_json(model, &settings.links, project).to_string();
    let mut artifacts = Vec::new();
    for program in programs {
        let stem = program
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = format!("{stem}.json");
        if taken.contains(&file) {
            let path = layout.grafana_dir().join(&file);
            diags.push(
                Diagnostic::error(
                    "jsonnet::name-clash",
                    format!("`{}` would overwrite a generated dashboard", path.display()),
                )
                .in_path(program)
                .help("rename the jsonnet file"),
            );
            continue;
        }
        match evaluate(program, &model) {
            Ok(dashboard) => match finish(dashboard, grafana.datasource.as_deref(), project) {
                Ok(json) => artifacts.push(grafana::Dashboard {
                    file: format!("{stem}.json"),
                    // `finish` checked it is there.
                    uid: json["uid"].as_str().unwrap_or_default().to_string(),
                    pretty: serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
                    compact: json.to_string(),
                }),
                Err(message) => diags
                    .push(Diagnostic::error("jsonnet::not-a-dashboard", message).in_path(program)),
            },
            Err(failure) => {
                let diagnostic = locate(failure, program, diags);
                diags.push(diagnostic);
            }
        }
    }
    artifacts
}

/// Checks the result is a dashboard and marks it as the project's (the
/// description's marker, the `lookout` and project tags); selects
/// `datasource` in its datasource variables, as the generated dashboards do.
fn finish(mut dashboard: Value, datasource: Option<&str>, project: &str) -> Result<Value, String> {
    let Some(object) = dashboard.as_object_mut() else {
        return Err("the program must return a dashboard object".into());
    };
    let uid = object
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if uid.is_empty() || uid.len() > 40 {
        return Err(format!(
            "the dashboard needs a `uid` of 1 to 40 characters, got `{uid}`"
        ));
    }
    if !object.get("title").is_some_and(Value::is_string) {
        return Err("the dashboard needs a `title`".into());
    }
    let description = object
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let description = if description.contains(GENERATED_MARKER) {
        description.to_string()
    } else {
        format!("{GENERATED_MARKER} {description}")
            .trim_end()
            .to_string()
    };
    // The marker must sit near the top of the file, where `out` looks for it.
    let mut marked = serde_json::Map::new();
    marked.insert("description".into(), Value::String(description));
    for (key, value) in std::mem::take(object) {
        if key != "description" {
            marked.insert(key, value);
        }
    }
    let tags = marked
        .entry("tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(tags) = tags.as_array_mut() else {
        return Err("`tags` must be a list of strings".into());
    };
    tags.retain(|tag| {
        tag.as_str()
            .is_none_or(|t| crate::emit::marked_project(t).is_none())
    });
    for tag in [
        grafana::TAG.to_string(),
        crate::emit::project_marker(project),
    ] {
        if !tags.contains(&json!(tag)) {
            tags.push(json!(tag));
        }
    }
    let variables = marked
        .get_mut("templating")
        .and_then(|t| t.get_mut("list"))
        .and_then(Value::as_array_mut);
    if let (Some(uid), Some(variables)) = (datasource, variables) {
        for variable in variables {
            if variable.get("type") == Some(&json!("datasource")) && variable.is_object() {
                variable["current"] = json!({"text": uid, "value": uid});
            }
        }
    }
    Ok(Value::Object(marked))
}

/// A failed evaluation: message and, when known, where.
pub struct Failure {
    pub message: String,
    pub file: Option<PathBuf>,
    /// Byte range in `file`.
    pub range: Option<(usize, usize)>,
    /// A field whose evaluation failed, when jsonnet gives no position.
    pub field: Option<String>,
}

fn locate(failure: Failure, program: &Path, diags: &mut Diagnostics) -> Diagnostic {
    let file_path = failure
        .file
        .clone()
        .unwrap_or_else(|| program.to_path_buf());
    let shown = if file_path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| file_path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or(file_path.clone())
    } else {
        file_path.clone()
    };
    let text = std::fs::read_to_string(&file_path).unwrap_or_default();
    let range = failure.range.or_else(|| {
        // jsonnet reports lazy field failures without a position: find the field.
        let field = failure.field.as_ref()?;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let rest = trimmed
                .strip_prefix(field.as_str())
                .or_else(|| trimmed.strip_prefix(&format!("'{field}'")))
                .or_else(|| trimmed.strip_prefix(&format!("\"{field}\"")));
            if rest.is_some_and(|r| r.trim_start().starts_with(':')) {
                let start = offset + (line.len() - trimmed.len());
                return Some((start, start + field.len()));
            }
            offset += line.len();
        }
        None
    });
    let file = diags.sources.add(&shown, text);
    let d = Diagnostic::error("jsonnet::error", format!("jsonnet: {}", failure.message));
    match range {
        Some((start, end)) => d.at(Span {
            file,
            offset: start,
            len: end.saturating_sub(start).max(1),
        }),
        None => d.in_path(shown),
    }
}

#[cfg(feature = "jsonnet")]
fn evaluate(program: &Path, model: &str) -> Result<Value, Failure> {
    use jrsonnet_evaluator::error::ErrorKind;
    use jrsonnet_evaluator::manifest::JsonFormat;
    use jrsonnet_evaluator::trace::PathResolver;
    use jrsonnet_evaluator::{FileImportResolver, State};

    let dir = program.parent().map(Path::to_path_buf).unwrap_or_default();
    let context = jrsonnet_stdlib::ContextInitializer::new(PathResolver::new_cwd_fallback());
    context
        .add_ext_code("lookout", model)
        .map_err(|e| Failure {
            message: e.to_string(),
            file: None,
            range: None,
            field: None,
        })?;
    let mut builder = State::builder();
    builder
        .import_resolver(FileImportResolver::new(vec![dir]))
        .context_initializer(context);
    let state = builder.build();
    let _entered = state.enter();
    let absolute = std::fs::canonicalize(program).unwrap_or_else(|_| program.to_path_buf());
    let result = state
        .import(absolute.as_path())
        .and_then(|value| value.manifest(JsonFormat::minify()));
    match result {
        Ok(text) => serde_json::from_str(&text).map_err(|e| Failure {
            message: format!("the result is not JSON: {e}"),
            file: None,
            range: None,
            field: None,
        }),
        Err(error) => {
            let mut failure = Failure {
                message: error.error().to_string(),
                file: None,
                range: None,
                field: None,
            };
            if let ErrorKind::ImportSyntaxError {
                path,
                error: syntax,
            } = error.error()
            {
                failure.message = format!("syntax error: {}", syntax);
                failure.file = path.source_path().path().map(Path::to_path_buf);
                let offset = syntax.location.1 as usize;
                failure.range = Some((offset, offset + 1));
                return Err(failure);
            }
            for element in &error.trace().0 {
                if let Some(span) = &element.location {
                    failure.file = span.0.source_path().path().map(Path::to_path_buf);
                    failure.range = Some((span.1 as usize, span.2 as usize));
                    break;
                }
                if let Some(field) = element
                    .desc
                    .strip_prefix("field <")
                    .and_then(|d| d.strip_suffix("> evaluation"))
                {
                    failure.field.get_or_insert_with(|| field.to_string());
                }
            }
            Err(failure)
        }
    }
}

#[cfg(not(feature = "jsonnet"))]
fn evaluate(_program: &Path, _model: &str) -> Result<Value, Failure> {
    Err(Failure {
        message: "this lookout was built without jsonnet support (cargo feature `jsonnet`)".into(),
        file: None,
        range: None,
        field: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_import_form_is_found_and_nothing_else() {
        let text = r#"
            local g = import 'vendor/grafonnet/main.libsonnet';
            local q = importstr "queries/top.promql";
            local b = importbin @'logo.png';
            local reimport = 1; local imports = 2; // import 'in-a-comment.libsonnet'
            g + (import"tight.libsonnet")
        "#;
        let found = imports(text);
        assert_eq!(
            found,
            vec![
                ("import", "vendor/grafonnet/main.libsonnet".to_string()),
                ("importstr", "queries/top.promql".to_string()),
                ("importbin", "logo.png".to_string()),
                ("import", "in-a-comment.libsonnet".to_string()),
                ("import", "tight.libsonnet".to_string()),
            ]
        );
    }

    #[test]
    fn the_closure_follows_imports_outside_the_programs_folder() {
        let root = tempfile::tempdir().unwrap();
        let dashboards = root.path().join("dashboards");
        let vendor = root.path().join("vendor/lib");
        std::fs::create_dir_all(&dashboards).unwrap();
        std::fs::create_dir_all(&vendor).unwrap();
        let program = dashboards.join("team.jsonnet");
        std::fs::write(
            &program,
            "(import '../vendor/lib/main.libsonnet') + (import 'missing.libsonnet')",
        )
        .unwrap();
        std::fs::write(vendor.join("main.libsonnet"), "import 'util.libsonnet'").unwrap();
        std::fs::write(vendor.join("util.libsonnet"), "importstr 'q.txt'").unwrap();
        std::fs::write(vendor.join("q.txt"), "import 'not-jsonnet.libsonnet'").unwrap();
        std::fs::write(vendor.join("not-jsonnet.libsonnet"), "{}").unwrap();
        let closure = import_closure(std::slice::from_ref(&program), &dashboards);
        let names: Vec<String> = closure
            .iter()
            .map(|p| p.strip_prefix(root.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "dashboards/../vendor/lib/main.libsonnet",
                "dashboards/../vendor/lib/q.txt",
                "dashboards/../vendor/lib/util.libsonnet",
                "dashboards/team.jsonnet",
            ]
        );
    }
}
