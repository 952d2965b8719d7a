//! Kibana: saved objects imported from `dashboards/kibana/<service>.ndjson`.
//!
//! Only APIs that Kibana 8.7 to 9.x do not deprecate are used, but one:
//! the saved objects CRUD routes (`_bulk_get`, `_find`, `DELETE`) are
//! deprecated since 8.7 (routes/index.ts registers them with
//! `deprecationInfo`), while `_export` and `_import` are not.
//! - Live state: one `POST /api/saved_objects/_export` of lookout's types
//!   (`{type: [...], excludeExportDetails: true}`), ndjson. Kibana refuses
//!   to export more than `savedObjects.maxImportExportSize` objects
//!   (10,000 by default): the error says so. An object is lookout's when
//!   it is `managed: true` (or, where Kibana dropped that flag, carries
//!   lookout's id prefix and marker), and the project's by the
//!   `lookout-project:` marker in its description (a data view's, in the
//!   visualisations that use it); anything else in the way is a conflict
//!   (`plan::Ownership`). Unchanged when lookout's attributes are contained in
//!   the live ones and the references match.
//! - Apply: the changed objects of one file go in one
//!   `POST /api/saved_objects/_import?overwrite=true`, multipart field
//!   `file`, header `kbn-xsrf: true`, so references resolve inside the
//!   import. Kibana answers 200 even when objects fail: the body's
//!   `success`, `successResults` and `errors[]` are checked per object.
//! - `--prune`: this project's `lookout-…` objects of the export that no
//!   file declares. A data view goes through the data views API (`DELETE
//!   /api/data_views/data_view/{id}`, public). Kibana has no supported API
//!   to delete a Lens visualisation or a dashboard: 9.4's
//!   `/api/dashboards/{id}` and `/api/visualizations` are technical
//!   preview. Those use the deprecated `DELETE /api/saved_objects/{type}/
//!   {id}`, which 8.7 to 9.x still serve; when Kibana removes it, pruning
//!   them fails, per object, and nothing else does.
//!
//! Spaces other than `default` are addressed with the `/s/<space>` prefix.
//! Auth: `Authorization: ApiKey <base64>`.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use super::http::{segment, Body, Endpoint, HttpOptions};
use super::{diff, Action, Change, Desired, Live, Mode, Owner, Payload, Target};

pub struct Kibana {
    endpoint: Endpoint,
    prefix: String,
}

/// Each imported object's result, by `(type, id)`.
type ImportOutcome = BTreeMap<(String, String), Result<(), String>>;

const TYPES: &[&str] = &["index-pattern", "lens", "dashboard"];

impl Kibana {
    pub fn new(config: &super::targets::Kibana, http: &HttpOptions) -> Result<Self, String> {
        let auth = config.api_key.clone().map(|k| ("ApiKey", k));
        let prefix = if config.space == "default" {
            String::new()
        } else {
            format!("/s/{}", segment(&config.space))
        };
        Ok(Kibana {
            endpoint: Endpoint::new(&config.url, auth, &[("kbn-xsrf", "true".into())], http)?,
            prefix,
        })
    }

    fn send(&self, method: Method, path: &str, body: Body) -> Result<Value, String> {
        let path = format!("{}{path}", self.prefix);
        let response = self
            .endpoint
            .send(method, &path, body)
            .map_err(|e| e.to_string())?;
        response.success().map_err(|e| format!("{path}: {e}"))?;
        if response.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        response.json()
    }

    /// Every saved object of lookout's types in the space, by `_export`
    /// (ndjson, one object a line).
    fn export(&self) -> Result<Vec<Value>, String> {
        let path = format!("{}/api/saved_objects/_export", self.prefix);
        let response = self
            .endpoint
            .send(
                Method::POST,
                &path,
                Body::Json(json!({"type": TYPES, "excludeExportDetails": true})),
            )
            .map_err(|e| e.to_string())?;
        response.success().map_err(|e| format!("{path}: {e}"))?;
        response
            .body
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str::<Value>(line)
                    .map_err(|e| format!("{path}: an export line is not JSON: {e}"))
            })
            // The export-details line, should Kibana send it anyway.
            .filter(|object| !matches!(object, Ok(o) if o.get("exportedCount").is_some()))
            .collect()
    }

    /// Imports one file's changed objects; returns each object's outcome.
    fn import(&self, file: &str, objects: &[&Value]) -> Result<ImportOutcome, String> {
        let mut ndjson = String::new();
        for object in objects {
            ndjson.push_str(&object.to_string());
            ndjson.push('\n');
        }
        let body = self.send(
            Method::POST,
            "/api/saved_objects/_import?overwrite=true",
            Body::File {
                field: "file",
                file_name: file.to_string(),
                bytes: ndjson.into_bytes(),
            },
        )?;
        let mut outcome = BTreeMap::new();
        for result in body["successResults"].as_array().into_iter().flatten() {
            outcome.insert(key(result), Ok(()));
        }
        for error in body["errors"].as_array().into_iter().flatten() {
            let kind = error["error"]["type"].as_str().unwrap_or("unknown");
            let mut message = format!("import failed: {kind}");
            if let Some(refs) = error["error"]["references"].as_array() {
                let missing: Vec<String> = refs
                    .iter()
                    .map(|r| format!("{} {}", r["type"], r["id"]))
                    .collect();
                message.push_str(&format!(" ({})", missing.join(", ")));
            }
            outcome.insert(key(error), Err(message));
        }
        if body["success"] != json!(true) && outcome.values().all(Result::is_ok) {
            return Err(format!(
                "import of {file} reported success: false without per-object errors"
            ));
        }
        Ok(outcome)
    }
}

/// lookout's objects are `managed: true`. Kibana keeps that flag from 8.10
/// on; where it does not, lookout's id prefix together with its marker
/// (in the description, or the data view's `lookout-logs-` title) counts.
fn owned(object: &Value) -> bool {
    if object["managed"] == json!(true) {
        return true;
    }
    let id = object["id"].as_str().unwrap_or_default();
    let attributes = &object["attributes"];
    let marked = attributes["description"]
        .as_str()
        .is_some_and(|d| d.contains(crate::emit::GENERATED_MARKER))
        || (object["type"] == "index-pattern"
            && attributes["title"]
                .as_str()
                .is_some_and(|t| t.starts_with(crate::model::logs::DATA_STREAM_PREFIX)));
    id.starts_with(crate::emit::kibana::ID_PREFIX) && marked
}

/// Whose a saved object is: lookout's by [`owned`]; the project's by the
/// marker in its description. A data view has no description: it is the
/// project's whose visualisations use it (`lenses`: every lens found).
fn owner(object: &Value, lenses: &[Value]) -> Owner {
    if !owned(object) {
        return Owner::Unmarked("it exists without `managed: true`".into());
    }
    let project = if object["type"] == "index-pattern" {
        let (_, id) = key(object);
        lenses
            .iter()
            .filter(|lens| {
                references(lens)
                    .iter()
                    .any(|(_, kind, to)| kind == "index-pattern" && *to == id)
            })
            .find_map(|lens| marked_project(lens))
    } else {
        marked_project(object)
    };
    project.map_or(Owner::Legacy, |project| Owner::Project(project.into()))
}

fn marked_project(object: &Value) -> Option<&str> {
    crate::emit::marked_project(object["attributes"]["description"].as_str()?)
}

/// One object's result in an import's outcome.
fn result_of(outcome: &ImportOutcome, object: &Value) -> Result<(), String> {
    outcome
        .get(&key(object))
        .cloned()
        .unwrap_or_else(|| Err("missing from the import response".into()))
}

fn key(object: &Value) -> (String, String) {
    (
        object["type"].as_str().unwrap_or_default().to_string(),
        object["id"].as_str().unwrap_or_default().to_string(),
    )
}

fn references(object: &Value) -> Vec<(String, String, String)> {
    let mut refs: Vec<_> = object["references"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r["type"].as_str().unwrap_or_default().to_string(),
                r["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    refs.sort();
    refs
}

impl Target for Kibana {
    fn name(&self) -> &'static str {
        "kibana"
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let ownership = desired.ownership(mode);
        let mut changes = Vec::new();
        let mut declared = std::collections::BTreeSet::new();
        let found = if desired.kibana.is_empty() && !mode.prune {
            Vec::new()
        } else {
            self.export()?
        };
        let live: BTreeMap<(String, String), Value> =
            found.iter().map(|o| (key(o), o.clone())).collect();
        let lenses: Vec<Value> = found
            .iter()
            .filter(|o| o["type"] == "lens")
            .cloned()
            .collect();
        for (service, objects) in &desired.kibana {
            for object in objects.iter().cloned() {
                let (kind, id) = key(&object);
                declared.insert((kind.clone(), id.clone()));
                let label = match kind.as_str() {
                    "index-pattern" => "data view",
                    "lens" => "visualization",
                    _ => "dashboard",
                };
                let live = live.get(&(kind.clone(), id.clone()));
                let found = live.map(|live| Live {
                    owner: owner(live, &lenses),
                    unchanged: diff::contained(&object["attributes"], &live["attributes"])
                        && references(&object) == references(live),
                });
                let change = Change::compare(label, &id, found, &ownership, || {
                    live.map_or_else(String::new, |live| {
                        diff::json_diff(&object["attributes"], &live["attributes"])
                    })
                });
                changes.push(change.payload(Payload::Json(
                    json!({"file": format!("{service}.ndjson"), "object": object}),
                )));
            }
        }
        if mode.prune {
            // What references comes first: dashboards, their Lens
            // visualisations, then the data views those use.
            let rank = |o: &&Value| match o["type"].as_str() {
                Some("dashboard") => 0,
                Some("lens") => 1,
                _ => 2,
            };
            let mut found: Vec<&Value> = found.iter().collect();
            found.sort_by_key(rank);
            for object in found {
                let (kind, id) = key(object);
                if !id.starts_with(crate::emit::kibana::ID_PREFIX)
                    || declared.contains(&(kind.clone(), id.clone()))
                {
                    continue;
                }
                let owner = owner(object, &lenses);
                if ownership.prunable(&owner) {
                    changes.push(
                        Change::new("saved object", &id, Action::Delete)
                            .payload(Payload::Json(json!({"type": kind}))),
                    );
                } else if let Some(kept) = Change::kept("saved object", &id, &owner) {
                    changes.push(kept);
                }
            }
        }
        Ok(changes)
    }

    fn apply(
        &self,
        changes: &[Change],
        _concurrency: usize,
        report: &(dyn Fn(usize, Result<(), String>) + Sync),
    ) {
        let mut by_file: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, change) in changes.iter().enumerate() {
            match (&change.action, &change.payload) {
                (Action::Delete, _) => report(i, self.apply_one(change)),
                (_, Payload::Json(p)) => by_file
                    .entry(p["file"].as_str().unwrap_or_default().to_string())
                    .or_default()
                    .push(i),
                _ => report(i, Err("nothing to send".into())),
            }
        }
        for (file, indexes) in by_file {
            let objects: Vec<&Value> = indexes
                .iter()
                .map(|i| match &changes[*i].payload {
                    Payload::Json(p) => &p["object"],
                    _ => unreachable!("grouped by payload above"),
                })
                .collect();
            match self.import(&file, &objects) {
                Ok(outcome) => {
                    for (i, object) in indexes.iter().zip(&objects) {
                        report(*i, result_of(&outcome, object));
                    }
                }
                Err(error) => {
                    for i in indexes {
                        report(i, Err(error.clone()));
                    }
                }
            }
        }
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        let Payload::Json(payload) = &change.payload else {
            return Err("nothing to send".into());
        };
        match change.action {
            Action::Delete => {
                let kind = payload["type"].as_str().unwrap_or_default();
                let path = if kind == "index-pattern" {
                    format!("/api/data_views/data_view/{}", segment(&change.id))
                } else {
                    // Deprecated since 8.7, and the only way there is.
                    format!(
                        "/api/saved_objects/{}/{}?force=true",
                        segment(kind),
                        segment(&change.id)
                    )
                };
                self.send(Method::DELETE, &path, Body::Empty).map(|_| ())
            }
            _ => {
                let file = payload["file"].as_str().unwrap_or("lookout.ndjson");
                let outcome = self.import(file, &[&payload["object"]])?;
                result_of(&outcome, &payload["object"])
            }
        }
    }
}
