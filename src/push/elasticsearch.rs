//! Elasticsearch: ILM policies, ingest pipelines and index templates, put
//! in dependency order (a template names its policy and pipeline; a
//! router pipeline names the per-log ones).
//!
//! - `GET`/`PUT`/`DELETE _ilm/policy/<name>`, `_ingest/pipeline/<id>`,
//!   `_index_template/<name>`; a GET of a missing object is 404.
//! - An object is lookout's when its `_meta.managed_by` is `lookout`, and
//!   the project's when its `_meta.project` names it (`plan::Ownership`).
//!   Elasticsearch adds defaults to what it stores, so an object is
//!   unchanged when the body lookout sends is contained in the live one.
//! - `--prune` lists each kind and deletes owned, undeclared objects,
//!   templates first.
//!
//! Auth: `Authorization: ApiKey <base64>`.

use reqwest::Method;
use serde_json::Value;

use super::http::{Body, Endpoint, HttpOptions};
use super::{diff, Action, Change, Desired, Live, Mode, Owner, Payload, Target};

pub struct Elasticsearch {
    endpoint: Endpoint,
}

/// Kinds in the order they must be put.
const KINDS: &[(&str, &str)] = &[
    ("_ilm/policy", "ilm policy"),
    ("_ingest/pipeline", "ingest pipeline"),
    ("_index_template", "index template"),
];

impl Elasticsearch {
    pub fn new(config: &super::targets::WithAuth, http: &HttpOptions) -> Result<Self, String> {
        let auth = config.api_key.clone().map(|k| ("ApiKey", k));
        Ok(Elasticsearch {
            endpoint: Endpoint::new(&config.url, auth, &[], http)?,
        })
    }
}

/// The stored object inside a GET response, in the shape lookout sends.
fn stored(kind: &str, name: &str, response: &Value) -> Option<Value> {
    match kind {
        "_ilm/policy" | "_ingest/pipeline" => response.get(name).cloned(),
        _ => response["index_templates"]
            .as_array()?
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["index_template"].clone()),
    }
}

fn meta<'a>(kind: &str, object: &'a Value) -> &'a Value {
    match kind {
        "_ilm/policy" => &object["policy"]["_meta"],
        _ => &object["_meta"],
    }
}

/// Whose an object is: lookout's by `_meta.managed_by`, the project's by
/// `_meta.project`.
fn owner(kind: &str, object: &Value) -> Owner {
    let meta = meta(kind, object);
    if meta["managed_by"] != crate::emit::elasticsearch::MANAGED_BY {
        return Owner::Unmarked("it exists without `_meta.managed_by: lookout`".into());
    }
    match meta["project"].as_str() {
        Some(project) => Owner::Project(project.into()),
        None => Owner::Legacy,
    }
}

/// Per-log pipelines before the router that calls them.
fn order_key(path: &str) -> (usize, bool, String) {
    let kind = KINDS
        .iter()
        .position(|(k, _)| path.starts_with(k))
        .unwrap_or(KINDS.len());
    let name = path.rsplit('/').next().unwrap_or(path);
    (kind, !name.contains('.'), path.to_string())
}

impl Target for Elasticsearch {
    fn name(&self) -> &'static str {
        "elasticsearch"
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let mut paths: Vec<&String> = desired.elasticsearch.keys().collect();
        paths.sort_by_key(|p| order_key(p));
        let ownership = desired.ownership(mode);
        let mut changes = Vec::new();
        for path in paths {
            let (kind, name) = path
                .rsplit_once('/')
                .ok_or("an Elasticsearch path without a name")?;
            let label = KINDS
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or("object", |(_, l)| *l);
            let body: Value = (*desired.elasticsearch[path]).clone();
            let live = self
                .endpoint
                .get_json(&format!("/{path}"))?
                .and_then(|r| stored(kind, name, &r));
            let found = live.as_ref().map(|live| Live {
                owner: owner(kind, live),
                unchanged: diff::contained(&body, live),
            });
            let change = Change::compare(label, name, found, &ownership, || {
                live.as_ref()
                    .map_or_else(String::new, |live| diff::json_diff(&body, live))
            });
            changes.push(change.payload(Payload::Json(body)));
        }
        if mode.prune {
            let mut deletes = Vec::new();
            for (kind, label) in KINDS {
                let Some(all) = self.endpoint.get_json(&format!("/{kind}"))? else {
                    continue;
                };
                let objects: Vec<(String, Value)> = match *kind {
                    "_index_template" => all["index_templates"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|t| {
                            (
                                t["name"].as_str().unwrap_or_default().to_string(),
                                t["index_template"].clone(),
                            )
                        })
                        .collect(),
                    _ => all
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                };
                for (name, object) in objects {
                    let path = format!("{kind}/{name}");
                    if desired.elasticsearch.contains_key(&path) {
                        continue;
                    }
                    let owner = owner(kind, &object);
                    if ownership.prunable(&owner) {
                        deletes.push((order_key(&path), Change::new(label, name, Action::Delete)));
                    } else if let Some(kept) = Change::kept(label, name, &owner) {
                        changes.push(kept);
                    }
                }
            }
            // Reverse dependency order: templates, routers, pipelines, policies.
            deletes.sort_by(|a, b| b.0.cmp(&a.0));
            changes.extend(deletes.into_iter().map(|(_, c)| c));
        }
        Ok(changes)
    }

    /// A failed policy or pipeline would make what names it fail too.
    fn ordered(&self) -> bool {
        true
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        let kind = KINDS
            .iter()
            .find(|(_, label)| *label == change.kind)
            .map(|(k, _)| *k)
            .ok_or("unknown kind")?;
        let path = format!("/{kind}/{}", super::http::segment(&change.id));
        let response = match (change.action, &change.payload) {
            (Action::Delete, _) => self.endpoint.send(Method::DELETE, &path, Body::Empty),
            (_, Payload::Json(body)) => {
                self.endpoint
                    .send(Method::PUT, &path, Body::Json(body.clone()))
            }
            _ => return Err("nothing to send".into()),
        }
        .map_err(|e| e.to_string())?;
        response.success()
    }
}
