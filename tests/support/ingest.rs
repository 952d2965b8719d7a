//! An Elasticsearch ingest-pipeline interpreter for the processors lookout
//! generates, so tests can run the pipelines on real log lines here.
//!
//! Semantics follow the Elasticsearch ingest processor reference: dotted
//! field paths address nested objects; `ignore_missing`, `ignore_failure`,
//! `if` and processor- and pipeline-level `on_failure` behave as documented.
//! Grok runs on the `grok` crate with Elasticsearch's base pattern names.
//! A processor or option this does not know fails the test rather than
//! being skipped. Two deliberate limits: `script` only runs lookout's own
//! duration script (it checks the source is exactly that), and
//! `user_agent` leaves `user_agent.original` as is without parsing it.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

pub struct Ingest {
    pub pipelines: HashMap<String, Value>,
    /// The only Painless source `script` accepts.
    pub duration_script: String,
}

impl Ingest {
    /// Runs pipeline `id` on `doc` (the `_source`), as indexing would.
    pub fn run(&self, id: &str, doc: &mut Value) -> Result<(), String> {
        let pipeline = self
            .pipelines
            .get(id)
            .ok_or_else(|| format!("pipeline `{id}` does not exist"))?;
        let processors = pipeline["processors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        match self.processors(&processors, doc) {
            Ok(()) => Ok(()),
            Err(message) => match pipeline.get("on_failure").and_then(Value::as_array) {
                Some(handlers) => self.on_failure(handlers, doc, &message),
                None => Err(message),
            },
        }
    }

    fn on_failure(&self, handlers: &[Value], doc: &mut Value, message: &str) -> Result<(), String> {
        set(doc, "_ingest.on_failure_message", json!(message));
        let result = self.processors(handlers, doc);
        remove(doc, "_ingest");
        result
    }

    fn processors(&self, processors: &[Value], doc: &mut Value) -> Result<(), String> {
        for processor in processors {
            let (kind, config) = processor
                .as_object()
                .and_then(|o| o.iter().next())
                .ok_or("a processor is an object with one key")?;
            if let Some(condition) = config.get("if").and_then(Value::as_str) {
                if !condition_holds(condition, doc)? {
                    continue;
                }
            }
            if let Err(message) = self.processor(kind, config, doc) {
                if config["ignore_failure"] == json!(true) {
                    continue;
                }
                match config.get("on_failure").and_then(Value::as_array) {
                    Some(handlers) => self.on_failure(handlers, doc, &message)?,
                    None => return Err(message),
                }
            }
        }
        Ok(())
    }

    fn processor(&self, kind: &str, config: &Value, doc: &mut Value) -> Result<(), String> {
        let known = |keys: &[&str]| -> Result<(), String> {
            for key in config.as_object().unwrap().keys() {
                let common = ["if", "ignore_failure", "on_failure", "tag", "description"];
                if !keys.contains(&key.as_str()) && !common.contains(&key.as_str()) {
                    return Err(format!("`{kind}` has no option `{key}`"));
                }
            }
            Ok(())
        };
        let field = config["field"].as_str().unwrap_or_default();
        let ignore_missing = config["ignore_missing"] == json!(true);
        let missing = |doc: &Value| get(doc, field).is_none();
        match kind {
            "grok" => {
                known(&["field", "patterns", "pattern_definitions", "ignore_missing"])?;
                if missing(doc) {
                    return skip_or_fail(ignore_missing, field);
                }
                let text = as_text(get(doc, field).unwrap());
                let mut grok = grok::Grok::with_default_patterns();
                if let Some(defs) = config["pattern_definitions"].as_object() {
                    for (name, pattern) in defs {
                        grok.add_pattern(name.clone(), pattern.as_str().unwrap().to_string());
                    }
                }
                for pattern in config["patterns"].as_array().ok_or("grok needs patterns")? {
                    let compiled = grok
                        .compile(pattern.as_str().unwrap(), true)
                        .map_err(|e| format!("grok pattern does not compile: {e}"))?;
                    if let Some(matches) = compiled.match_against(&text) {
                        for (name, value) in matches.iter() {
                            let value = match compiled.get_extract(name) {
                                Some("int" | "long") => {
                                    json!(value.parse::<i64>().map_err(|e| e.to_string())?)
                                }
                                Some("float" | "double") => {
                                    json!(value.parse::<f64>().map_err(|e| e.to_string())?)
                                }
                                None => json!(value),
                                Some(other) => return Err(format!("grok type `{other}`")),
                            };
                            set(doc, name, value);
                        }
                        return Ok(());
                    }
                }
                Err(format!(
                    "Provided Grok expressions do not match field value: [{text}]"
                ))
            }
            "date" => {
                known(&["field", "formats", "target_field", "timezone"])?;
                let text = as_text(get(doc, field).ok_or(format!("field [{field}] not present"))?);
                let formats = config["formats"].as_array().unwrap();
                let target = config["target_field"].as_str().unwrap_or("@timestamp");
                for format in formats {
                    if let Some(parsed) = parse_date(format.as_str().unwrap(), &text)? {
                        set(doc, target, json!(parsed));
                        return Ok(());
                    }
                }
                Err(format!("unable to parse date [{text}]"))
            }
            "json" => {
                known(&["field", "target_field"])?;
                let text = as_text(get(doc, field).ok_or(format!("field [{field}] not present"))?);
                let parsed: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                set(
                    doc,
                    config["target_field"].as_str().unwrap_or(field),
                    parsed,
                );
                Ok(())
            }
            "kv" => {
                known(&[
                    "field",
                    "field_split",
                    "value_split",
                    "target_field",
                    "trim_value",
                ])?;
                if missing(doc) {
                    return skip_or_fail(ignore_missing, field);
                }
                let text = as_text(get(doc, field).unwrap());
                let split = fancy_regex::Regex::new(config["field_split"].as_str().unwrap())
                    .map_err(|e| e.to_string())?;
                let value_split = config["value_split"].as_str().unwrap();
                let trim: Vec<char> = config["trim_value"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .collect();
                let target = config["target_field"].as_str();
                for pair in split.split(&text) {
                    let pair = pair.map_err(|e| e.to_string())?;
                    let Some((key, value)) = pair.split_once(value_split) else {
                        return Err(format!(
                            "field [{field}] does not contain value_split [{value_split}]"
                        ));
                    };
                    let value = value.trim_matches(trim.as_slice());
                    let path = match target {
                        Some(t) => format!("{t}.{key}"),
                        None => key.to_string(),
                    };
                    set(doc, &path, json!(value));
                }
                Ok(())
            }
            "rename" => {
                known(&["field", "target_field", "ignore_missing"])?;
                let target = config["target_field"].as_str().unwrap();
                let Some(value) = get(doc, field).cloned() else {
                    return skip_or_fail(ignore_missing, field);
                };
                if get(doc, target).is_some() {
                    return Err(format!("field [{target}] already exists"));
                }
                remove(doc, field);
                set(doc, target, value);
                Ok(())
            }
            "convert" => {
                known(&["field", "type", "ignore_missing", "target_field"])?;
                let Some(value) = get(doc, field).cloned() else {
                    return skip_or_fail(ignore_missing, field);
                };
                let text = as_text(&value);
                let converted = match config["type"].as_str().unwrap() {
                    "long" | "integer" => json!(text
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| format!("unable to convert [{text}] to long"))?),
                    "ip" => {
                        text.parse::<std::net::IpAddr>()
                            .map_err(|_| format!("'{text}' is not an IP string literal."))?;
                        json!(text)
                    }
                    other => return Err(format!("convert type `{other}`")),
                };
                set(
                    doc,
                    config["target_field"].as_str().unwrap_or(field),
                    converted,
                );
                Ok(())
            }
            "script" => {
                known(&["lang", "source", "params"])?;
                if config["source"].as_str() != Some(self.duration_script.as_str()) {
                    return Err("only lookout's duration script can run here".into());
                }
                if let Some(value) = get(doc, "lookout.duration").cloned() {
                    let raw: f64 = as_text(&value)
                        .parse()
                        .map_err(|_| format!("NumberFormatException: {value}"))?;
                    let scale = config["params"]["scale"]
                        .as_f64()
                        .ok_or("the script needs params.scale")?;
                    set(doc, "event.duration", json!((raw * scale).round() as i64));
                }
                Ok(())
            }
            "user_agent" => {
                known(&["field", "ignore_missing", "target_field"])?;
                if missing(doc) {
                    return skip_or_fail(ignore_missing, field);
                }
                Ok(())
            }
            "set" => {
                known(&["field", "value", "copy_from", "override"])?;
                // `override: false` leaves a field that is already there and not null.
                if config["override"] == json!(false)
                    && get(doc, field).is_some_and(|v| !v.is_null())
                {
                    return Ok(());
                }
                let value = match (&config["value"], config["copy_from"].as_str()) {
                    (Value::Null, Some(from)) => get(doc, from).cloned().ok_or(format!(
                        "field [{from}] not present as part of path [{from}]"
                    ))?,
                    (Value::String(s), None) => json!(render_mustache(s, doc)),
                    (other, None) => other.clone(),
                    (_, Some(_)) => return Err("cannot set both `value` and `copy_from`".into()),
                };
                set(doc, field, value);
                Ok(())
            }
            "gsub" => {
                // Java regex in Elasticsearch; the patterns lookout writes
                // (anchors, `[^/]+`, escaped dots) read the same here.
                known(&[
                    "field",
                    "pattern",
                    "replacement",
                    "ignore_missing",
                    "target_field",
                ])?;
                let Some(text) = get(doc, field).and_then(Value::as_str).map(str::to_string) else {
                    return skip_or_fail(ignore_missing, field);
                };
                let pattern = fancy_regex::Regex::new(config["pattern"].as_str().unwrap())
                    .map_err(|e| e.to_string())?;
                let replaced = pattern
                    .replace_all(&text, config["replacement"].as_str().unwrap())
                    .into_owned();
                let target = config["target_field"].as_str().unwrap_or(field);
                set(doc, target, json!(replaced));
                Ok(())
            }
            "remove" => {
                known(&["field", "ignore_missing"])?;
                if missing(doc) {
                    return skip_or_fail(ignore_missing, field);
                }
                remove(doc, field);
                Ok(())
            }
            "pipeline" => {
                known(&["name"])?;
                self.run(config["name"].as_str().unwrap(), doc)
            }
            other => Err(format!(
                "processor `{other}` is not supported by this interpreter"
            )),
        }
    }
}

fn skip_or_fail(ignore_missing: bool, field: &str) -> Result<(), String> {
    if ignore_missing {
        Ok(())
    } else {
        Err(format!(
            "field [{field}] not present as part of path [{field}]"
        ))
    }
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `ctx.a?.b == 'x'`: the only condition form lookout writes.
fn condition_holds(condition: &str, doc: &Value) -> Result<bool, String> {
    let (left, right) = condition
        .split_once(" == ")
        .ok_or(format!("unsupported condition `{condition}`"))?;
    let path = left
        .strip_prefix("ctx.")
        .ok_or(format!("unsupported condition `{condition}`"))?
        .replace("?.", ".");
    let literal = right
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .ok_or(format!("unsupported condition `{condition}`"))?;
    Ok(get(doc, &path).and_then(Value::as_str) == Some(literal))
}

fn render_mustache(template: &str, doc: &Value) -> String {
    let mut out = template.to_string();
    while let Some(start) = out.find("{{") {
        let end = out[start..]
            .find("}}")
            .map(|e| start + e + 2)
            .unwrap_or(out.len());
        let path = out[start + 2..end - 2].trim().to_string();
        let value = get(doc, &path).map(as_text).unwrap_or_default();
        out.replace_range(start..end, &value);
    }
    out
}

pub fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |node, part| node.get(part))
}

pub fn set(doc: &mut Value, path: &str, value: Value) {
    let mut node = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().unwrap();
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        node = map.entry(part.to_string()).or_insert_with(|| json!({}));
    }
}

pub fn remove(doc: &mut Value, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (Some(parent), last),
        None => (None, path),
    };
    let node = match parent {
        Some(parent) => {
            let mut node = &mut *doc;
            for part in parent.split('.') {
                match node.get_mut(part) {
                    Some(next) => node = next,
                    None => return,
                }
            }
            node
        }
        None => doc,
    };
    if let Some(map) = node.as_object_mut() {
        map.remove(last);
    }
}

/// Java-time `dd/MMM/yyyy:HH:mm:ss Z` (nginx's `$time_local`), to the UTC
/// ISO-8601 form the date processor writes. Other formats fail loudly.
fn parse_date(format: &str, text: &str) -> Result<Option<String>, String> {
    if format != "dd/MMM/yyyy:HH:mm:ss Z" {
        return Err(format!(
            "date format `{format}` is not supported by this interpreter"
        ));
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parse = || -> Option<String> {
        let (date, zone) = text.split_once(' ')?;
        let mut parts = date.splitn(3, '/');
        let day: i64 = parts.next()?.parse().ok()?;
        let month_name = parts.next()?;
        let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
        let rest = parts.next()?;
        let mut hms = rest.split(':');
        let year: i64 = hms.next()?.parse().ok()?;
        let h: i64 = hms.next()?.parse().ok()?;
        let m: i64 = hms.next()?.parse().ok()?;
        let s: i64 = hms.next()?.parse().ok()?;
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zone = zone.trim_start_matches(['+', '-']);
        let offset =
            sign * (zone[..2].parse::<i64>().ok()? * 60 + zone[2..4].parse::<i64>().ok()?);
        let days = days_from_civil(year, month, day);
        let epoch = days * 86_400 + h * 3600 + m * 60 + s - offset * 60;
        let (y, mo, d) = civil_from_days(epoch.div_euclid(86_400));
        let secs = epoch.rem_euclid(86_400);
        Some(format!(
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ))
    };
    Ok(parse())
}

// Civil dates: the library's (Howard Hinnant's algorithms), which
// its own tests hold to round trips.
use lookout::model::calendar::{civil_from_days, days_from_civil};
