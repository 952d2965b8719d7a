//! Fakes of the push targets' HTTP APIs, following their documented
//! contracts and quirks, on top of [`FakeServer`].
//!
//! - Grafana: folders (409 for a second folder of the same uid or the same
//!   title, as pkg/api/folder.go maps `ErrFolderWithSameUIDExists` and
//!   `ErrFolderSameNameExists`), dashboards by uid (id and version assigned
//!   by the server, 412 on a uid clash without `overwrite`, General when
//!   `folderUid` is left out on an update), search by tag or for folders
//!   (`type=dash-folder&query=`, hits carry `folderUid`), bearer auth.
//! - Elasticsearch: ILM policies (GET wraps them with `version` and
//!   `modified_date`, and the delete action gains
//!   `delete_searchable_snapshot: true`), ingest pipelines, index templates
//!   (GET answers `{index_templates: [{name, index_template}]}`), 404 on
//!   missing objects, ApiKey auth.
//! - Kibana: `_export` by type as the saved objects exporter answers it
//!   (src/core/packages/saved-objects/import-export-server-internal/src/
//!   export/saved_objects_exporter.ts: ndjson sorted by id, `namespaces`
//!   dropped, the export-details line last unless `excludeExportDetails`,
//!   400 past `savedObjects.maxImportExportSize`), `_import` (multipart,
//!   needs `kbn-xsrf`, answers HTTP 200 with `success: false` and
//!   per-object errors, e.g. `missing_references`), the data views API's
//!   DELETE, and the deprecated saved-object DELETE. The deprecated
//!   `_bulk_get` and `_find` answer 410 here, so a test fails if they
//!   are used.
//! - Loki and Mimir rulers: YAML groups per namespace, percent-encoded
//!   path segments, `X-Scope-OrgID` required, 404 for a namespace without
//!   groups (Loki), 202 on writes (Mimir).
//!
//! Faults can be queued per route: the next N matching requests get the
//! fault's reply instead.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::fake::{decode, multipart_file, FakeServer, Reply, Request};

/// A queued misbehaviour for requests whose `METHOD path` starts with `prefix`.
#[derive(Clone)]
pub struct Fault {
    pub prefix: String,
    pub times: usize,
    pub reply: Reply,
}

#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<Fault>>>);

impl Faults {
    pub fn add(&self, prefix: &str, times: usize, reply: Reply) {
        self.0.lock().unwrap().push(Fault {
            prefix: prefix.into(),
            times,
            reply,
        });
    }

    fn take(&self, request: &Request) -> Option<Reply> {
        let call = format!("{} {}", request.method, request.path);
        let mut faults = self.0.lock().unwrap();
        let fault = faults
            .iter_mut()
            .find(|f| f.times > 0 && call.starts_with(&f.prefix))?;
        fault.times -= 1;
        Some(fault.reply.clone())
    }
}

/// A started fake: its server, state and fault queue.
pub struct Fake<S> {
    pub server: FakeServer,
    pub state: Arc<Mutex<S>>,
    pub faults: Faults,
    /// Added to every response, outside the state lock, so concurrent
    /// requests overlap as they would against a real server.
    latency: Arc<Mutex<std::time::Duration>>,
}

impl<S: Send + 'static> Fake<S> {
    fn start(state: S, handle: fn(&Request, &mut S) -> Reply) -> Fake<S> {
        let state = Arc::new(Mutex::new(state));
        let faults = Faults::default();
        let latency = Arc::new(Mutex::new(std::time::Duration::ZERO));
        let server = {
            let state = state.clone();
            let faults = faults.clone();
            let latency = latency.clone();
            FakeServer::start(move |request| {
                let mut reply = match faults.take(request) {
                    Some(reply) => reply,
                    None => handle(request, &mut state.lock().unwrap()),
                };
                reply.delay += *latency.lock().unwrap();
                reply
            })
        };
        Fake {
            server,
            state,
            faults,
            latency,
        }
    }

    pub fn set_latency(&self, latency: std::time::Duration) {
        *self.latency.lock().unwrap() = latency;
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Requests that change state (everything but reads).
    pub fn writes(&self) -> Vec<String> {
        self.server
            .calls()
            .into_iter()
            // Kibana's `_export` reads by POST.
            .filter(|c| !c.starts_with("GET ") && !c.ends_with("/_export"))
            .collect()
    }
}

fn unauthorized(request: &Request, expected: &Option<String>) -> Option<Reply> {
    let expected = expected.as_ref()?;
    (request.header("authorization") != Some(expected.as_str()))
        .then(|| Reply::json(401, &json!({"message": "Unauthorized"})))
}

// --- Grafana --------------------------------------------------------------

#[derive(Default)]
pub struct Grafana {
    /// The exact `Authorization` header required, if any.
    pub auth: Option<String>,
    pub folders: BTreeMap<String, String>,
    /// uid → (dashboard with id/version, folderUid)
    pub dashboards: BTreeMap<String, (Value, String)>,
    next_id: i64,
}

pub fn grafana(auth: Option<&str>) -> Fake<Grafana> {
    Fake::start(
        Grafana {
            auth: auth.map(str::to_string),
            ..Grafana::default()
        },
        grafana_handle,
    )
}

fn grafana_handle(request: &Request, state: &mut Grafana) -> Reply {
    if let Some(reply) = unauthorized(request, &state.auth) {
        return reply;
    }
    let route = request.route().to_string();
    let segments: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["api", "folders", uid]) => match state.folders.get(&decode(uid)) {
            Some(title) => Reply::json(200, &json!({"uid": decode(uid), "title": title, "id": 1})),
            None => Reply::json(
                404,
                &json!({"message": "folder not found", "status": "not-found"}),
            ),
        },
        ("POST", ["api", "folders"]) => {
            let body = request.json();
            let uid = body["uid"].as_str().unwrap_or_default().to_string();
            let title = body["title"].as_str().unwrap_or_default();
            if state.folders.contains_key(&uid) {
                return Reply::json(
                    409,
                    &json!({"message": "a folder with the same uid already exists"}),
                );
            }
            if state
                .folders
                .values()
                .any(|t| t.eq_ignore_ascii_case(title))
            {
                return Reply::json(
                    409,
                    &json!({"message": "a folder with that name already exists"}),
                );
            }
            state.folders.insert(
                uid.clone(),
                body["title"].as_str().unwrap_or_default().into(),
            );
            Reply::json(200, &json!({"uid": uid, "title": body["title"], "id": 1}))
        }
        ("GET", ["api", "dashboards", "uid", uid]) => match state.dashboards.get(&decode(uid)) {
            Some((dashboard, folder)) => Reply::json(
                200,
                &json!({"dashboard": dashboard, "meta": {"folderUid": folder, "slug": "x", "version": dashboard["version"]}}),
            ),
            None => Reply::json(404, &json!({"message": "Dashboard not found"})),
        },
        ("POST", ["api", "dashboards", "db"]) => {
            let body = request.json();
            let mut dashboard = body["dashboard"].clone();
            let Some(uid) = dashboard["uid"].as_str().map(str::to_string) else {
                return Reply::json(400, &json!({"message": "uid required"}));
            };
            if uid.len() > 40 {
                return Reply::json(400, &json!({"message": "uid too long, max 40 characters"}));
            }
            let existing = state.dashboards.get(&uid).cloned();
            if existing.is_some() && body["overwrite"] != json!(true) {
                return Reply::json(
                    412,
                    &json!({"message": "A dashboard with the same uid already exists", "status": "name-exists"}),
                );
            }
            let folder = body["folderUid"].as_str().unwrap_or("").to_string();
            if !folder.is_empty() && !state.folders.contains_key(&folder) {
                return Reply::json(400, &json!({"message": "folder not found"}));
            }
            let (id, version) = match &existing {
                Some((d, _)) => (
                    d["id"].as_i64().unwrap(),
                    d["version"].as_i64().unwrap() + 1,
                ),
                None => {
                    state.next_id += 1;
                    (state.next_id, 1)
                }
            };
            dashboard["id"] = json!(id);
            dashboard["version"] = json!(version);
            state.dashboards.insert(uid.clone(), (dashboard, folder));
            Reply::json(
                200,
                &json!({"id": id, "uid": uid, "status": "success", "version": version, "url": format!("/d/{uid}")}),
            )
        }
        ("DELETE", ["api", "dashboards", "uid", uid]) => {
            match state.dashboards.remove(&decode(uid)) {
                Some(_) => Reply::json(200, &json!({"message": "Dashboard deleted"})),
                None => Reply::json(404, &json!({"message": "Dashboard not found"})),
            }
        }
        ("GET", ["api", "search"]) if request.query("type").as_deref() == Some("dash-folder") => {
            let query = request.query("query").unwrap_or_default().to_lowercase();
            let hits: Vec<Value> = state
                .folders
                .iter()
                .filter(|(_, title)| title.to_lowercase().contains(&query))
                .map(|(uid, title)| json!({"uid": uid, "title": title, "type": "dash-folder"}))
                .collect();
            Reply::json(200, &Value::Array(hits))
        }
        ("GET", ["api", "search"]) => {
            let tag = request.query("tag");
            let hits: Vec<Value> = state
                .dashboards
                .iter()
                .filter(|(_, (d, _))| {
                    tag.as_ref().is_none_or(|t| d["tags"].as_array().is_some_and(|tags| tags.iter().any(|x| x == t.as_str())))
                })
                .map(|(uid, (d, folder))| json!({"uid": uid, "title": d["title"], "tags": d["tags"], "type": "dash-db", "folderUid": folder}))
                .collect();
            Reply::json(200, &Value::Array(hits))
        }
        _ => Reply::json(404, &json!({"message": "not found"})),
    }
}

// --- Elasticsearch ----------------------------------------------------------

#[derive(Default)]
pub struct Elasticsearch {
    pub auth: Option<String>,
    pub policies: BTreeMap<String, Value>,
    pub pipelines: BTreeMap<String, Value>,
    pub templates: BTreeMap<String, Value>,
}

pub fn elasticsearch(auth: Option<&str>) -> Fake<Elasticsearch> {
    Fake::start(
        Elasticsearch {
            auth: auth.map(str::to_string),
            ..Elasticsearch::default()
        },
        elasticsearch_handle,
    )
}

fn not_found(kind: &str, name: &str) -> Reply {
    Reply::json(
        404,
        &json!({"error": {"type": "resource_not_found_exception", "reason": format!("{kind} [{name}] not found")}, "status": 404}),
    )
}

fn elasticsearch_handle(request: &Request, state: &mut Elasticsearch) -> Reply {
    if let Some(reply) = unauthorized(request, &state.auth) {
        return reply;
    }
    let route = request.route().to_string();
    let segments: Vec<String> = route
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ack = || Reply::json(200, &json!({"acknowledged": true}));
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["_ilm", "policy"]) => Reply::json(
            200,
            &Value::Object(state.policies.clone().into_iter().collect()),
        ),
        ("GET", ["_ilm", "policy", name]) => match state.policies.get(*name) {
            Some(p) => Reply::json(200, &json!({ *name: p })),
            None => not_found("policy", name),
        },
        ("PUT", ["_ilm", "policy", name]) => {
            let mut policy = request.json()["policy"].clone();
            // Quirk: stored delete actions gain a default.
            if let Some(delete) = policy["phases"]["delete"]["actions"]["delete"].as_object_mut() {
                delete
                    .entry("delete_searchable_snapshot")
                    .or_insert(json!(true));
            }
            let version = state
                .policies
                .get(*name)
                .map_or(1, |p| p["version"].as_i64().unwrap() + 1);
            state.policies.insert(
                name.to_string(),
                json!({"version": version, "modified_date": "2026-11-22T00:00:00.000Z", "policy": policy}),
            );
            ack()
        }
        ("DELETE", ["_ilm", "policy", name]) => match state.policies.remove(*name) {
            Some(_) => ack(),
            None => not_found("policy", name),
        },
        ("GET", ["_ingest", "pipeline"]) => Reply::json(
            200,
            &Value::Object(state.pipelines.clone().into_iter().collect()),
        ),
        ("GET", ["_ingest", "pipeline", id]) => match state.pipelines.get(*id) {
            Some(p) => Reply::json(200, &json!({ *id: p })),
            None => Reply::json(404, &json!({})),
        },
        ("PUT", ["_ingest", "pipeline", id]) => {
            state.pipelines.insert(id.to_string(), request.json());
            ack()
        }
        ("DELETE", ["_ingest", "pipeline", id]) => match state.pipelines.remove(*id) {
            Some(_) => ack(),
            None => not_found("pipeline", id),
        },
        ("GET", ["_index_template"]) => Reply::json(
            200,
            &json!({"index_templates": state.templates.iter().map(|(n, t)| json!({"name": n, "index_template": t})).collect::<Vec<_>>()}),
        ),
        ("GET", ["_index_template", name]) => match state.templates.get(*name) {
            Some(t) => Reply::json(
                200,
                &json!({"index_templates": [{"name": name, "index_template": t}]}),
            ),
            None => not_found("index template matching", name),
        },
        ("PUT", ["_index_template", name]) => {
            let body = request.json();
            if body["index_patterns"]
                .as_array()
                .is_none_or(|p| p.is_empty())
            {
                return Reply::json(
                    400,
                    &json!({"error": {"type": "action_request_validation_exception"}}),
                );
            }
            state.templates.insert(name.to_string(), body);
            ack()
        }
        ("DELETE", ["_index_template", name]) => match state.templates.remove(*name) {
            Some(_) => ack(),
            None => not_found("index template", name),
        },
        _ => Reply::json(404, &json!({"error": "no handler"})),
    }
}

// --- Kibana -----------------------------------------------------------------

#[derive(Default)]
pub struct Kibana {
    pub auth: Option<String>,
    /// Behave like a Kibana that does not keep `managed` from imports.
    pub drop_managed: bool,
    /// (type, id) → object, as Kibana stores it.
    pub objects: BTreeMap<(String, String), Value>,
    /// `savedObjects.maxImportExportSize`; 10,000 when 0.
    pub export_limit: usize,
}

pub fn kibana(auth: Option<&str>) -> Fake<Kibana> {
    Fake::start(
        Kibana {
            auth: auth.map(str::to_string),
            ..Kibana::default()
        },
        kibana_handle,
    )
}

fn kibana_handle(request: &Request, state: &mut Kibana) -> Reply {
    if let Some(reply) = unauthorized(request, &state.auth) {
        return reply;
    }
    if request.method != "GET" && request.header("kbn-xsrf").is_none() {
        return Reply::json(
            400,
            &json!({"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."}),
        );
    }
    let route = request.route().to_string();
    let route = route.strip_prefix("/s/").map_or(route.clone(), |rest| {
        format!("/{}", rest.split_once('/').map_or("", |(_, r)| r))
    });
    let segments: Vec<String> = route
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "saved_objects", "_bulk_get"])
        | ("GET", ["api", "saved_objects", "_find"]) => Reply::json(
            410,
            &json!({"message": "deprecated since 8.7: use _export"}),
        ),
        ("POST", ["api", "saved_objects", "_export"]) => {
            let body = request.json();
            let types: Vec<String> = match &body["type"] {
                Value::String(t) => vec![t.clone()],
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect(),
                _ => {
                    return Reply::json(
                        400,
                        &json!({"statusCode": 400, "message": "Either `type` or `objects` are required."}),
                    )
                }
            };
            let mut hits: Vec<Value> = state
                .objects
                .iter()
                .filter(|((t, _), _)| types.contains(t))
                .map(|(_, o)| {
                    let mut o = o.clone();
                    o.as_object_mut().unwrap().remove("namespaces");
                    o
                })
                .collect();
            let limit = if state.export_limit == 0 {
                10_000
            } else {
                state.export_limit
            };
            if hits.len() > limit {
                return Reply::json(
                    400,
                    &json!({"statusCode": 400, "message": format!("Can't export more than {limit} objects. If your server has enough memory, this limit can be increased by adjusting the \"savedObjects.maxImportExportSize\" setting.")}),
                );
            }
            hits.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            let mut lines: Vec<String> = hits.iter().map(Value::to_string).collect();
            if body["excludeExportDetails"] != json!(true) {
                lines.push(json!({"exportedCount": hits.len(), "missingRefCount": 0, "missingReferences": [], "excludedObjectsCount": 0, "excludedObjects": []}).to_string());
            }
            let mut reply = Reply::new(200, lines.join("\n"));
            reply.headers = vec![("Content-Type".into(), "application/ndjson".into())];
            reply
        }
        ("DELETE", ["api", "data_views", "data_view", id]) => {
            match state
                .objects
                .remove(&("index-pattern".to_string(), id.to_string()))
            {
                Some(_) => Reply::new(200, ""),
                None => Reply::json(
                    404,
                    &json!({"statusCode": 404, "message": "Saved object [index-pattern/x] not found"}),
                ),
            }
        }
        ("POST", ["api", "saved_objects", "_import"]) => {
            let overwrite = request.query("overwrite").as_deref() == Some("true");
            let Some(file) = multipart_file(request, "file") else {
                return Reply::json(
                    400,
                    &json!({"message": "[request body.file]: expected value of type [Stream]"}),
                );
            };
            let objects: Vec<Value> = file
                .lines()
                .filter(|l| !l.trim().is_empty())
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            let in_file: Vec<(String, String)> = objects
                .iter()
                .map(|o| {
                    (
                        o["type"].as_str().unwrap_or_default().to_string(),
                        o["id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let mut successes = Vec::new();
            let mut errors = Vec::new();
            for (object, key) in objects.iter().zip(&in_file) {
                let missing: Vec<Value> = object["references"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| {
                        let k = (
                            r["type"].as_str().unwrap_or_default().to_string(),
                            r["id"].as_str().unwrap_or_default().to_string(),
                        );
                        !in_file.contains(&k) && !state.objects.contains_key(&k)
                    })
                    .map(|r| json!({"type": r["type"], "id": r["id"]}))
                    .collect();
                if !missing.is_empty() {
                    errors.push(json!({"id": key.1, "type": key.0, "error": {"type": "missing_references", "references": missing}}));
                } else if state.objects.contains_key(key) && !overwrite {
                    errors.push(json!({"id": key.1, "type": key.0, "error": {"type": "conflict"}}));
                } else {
                    let mut stored = object.clone();
                    if state.drop_managed {
                        stored.as_object_mut().unwrap().remove("managed");
                    }
                    stored["updated_at"] = json!("2026-11-22T00:00:00.000Z");
                    stored["version"] = json!("WzEsMV0=");
                    state.objects.insert(key.clone(), stored);
                    successes.push(json!({"id": key.1, "type": key.0, "overwrite": overwrite}));
                }
            }
            // Quirk: HTTP 200 even when objects failed.
            Reply::json(
                200,
                &json!({"success": errors.is_empty(), "successCount": successes.len(), "successResults": successes, "errors": errors}),
            )
        }
        ("DELETE", ["api", "saved_objects", kind, id]) => {
            match state.objects.remove(&(kind.to_string(), id.to_string())) {
                Some(_) => Reply::json(200, &json!({})),
                None => Reply::json(
                    404,
                    &json!({"statusCode": 404, "message": "Saved object not found"}),
                ),
            }
        }
        _ => Reply::json(404, &json!({"statusCode": 404, "message": "Not Found"})),
    }
}

// --- Loki and Mimir rulers --------------------------------------------------

pub struct Ruler {
    /// `/loki/api/v1/rules` or `/prometheus/config/v1/rules`.
    pub base: &'static str,
    pub write_status: u16,
    pub tenant: String,
    /// namespace → groups
    pub namespaces: BTreeMap<String, Vec<Value>>,
}

pub fn loki(tenant: &str) -> Fake<Ruler> {
    Fake::start(
        Ruler {
            base: "/loki/api/v1/rules",
            write_status: 202,
            tenant: tenant.into(),
            namespaces: BTreeMap::new(),
        },
        ruler_handle,
    )
}

pub fn mimir(tenant: &str) -> Fake<Ruler> {
    Fake::start(
        Ruler {
            base: "/prometheus/config/v1/rules",
            write_status: 202,
            tenant: tenant.into(),
            namespaces: BTreeMap::new(),
        },
        ruler_handle,
    )
}

fn yaml_of(value: &Value) -> String {
    // JSON is YAML; rulers answer YAML, and a JSON document parses as such.
    serde_json::to_string_pretty(value).unwrap()
}

fn ruler_handle(request: &Request, state: &mut Ruler) -> Reply {
    if request.header("x-scope-orgid") != Some(state.tenant.as_str()) {
        return Reply::new(401, "no org id");
    }
    let Some(rest) = request.route().strip_prefix(state.base) else {
        return Reply::new(404, "404 page not found");
    };
    // Segments are percent-encoded: split first, then decode.
    let segments: Vec<String> = rest
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let yaml = |status: u16, value: &Value| {
        Reply::new(status, yaml_of(value)).header("Content-Type", "application/yaml")
    };
    match (request.method.as_str(), segments.len()) {
        ("GET", 0) => {
            if state.namespaces.values().all(Vec::is_empty) {
                return Reply::new(404, "no rule groups found");
            }
            yaml(200, &json!(state.namespaces))
        }
        ("GET", 1) => match state.namespaces.get(&segments[0]).filter(|g| !g.is_empty()) {
            Some(groups) => yaml(200, &json!({ &segments[0]: groups })),
            None => Reply::new(404, "no rule groups found"),
        },
        ("POST", 1) => {
            let Ok(group) = serde_saphyr::from_str::<Value>(&request.text()) else {
                return Reply::new(400, "unable to decode rule group");
            };
            if group["name"].as_str().is_none_or(str::is_empty) || group.get("groups").is_some() {
                return Reply::new(400, "invalid rule group");
            }
            let groups = state.namespaces.entry(segments[0].clone()).or_default();
            groups.retain(|g| g["name"] != group["name"]);
            groups.push(group);
            Reply::new(state.write_status, "{\"status\":\"success\",\"data\":null}")
        }
        ("DELETE", 2) => {
            if let Some(groups) = state.namespaces.get_mut(&segments[0]) {
                groups.retain(|g| g["name"] != json!(segments[1]));
            }
            Reply::new(state.write_status, "{\"status\":\"success\",\"data\":null}")
        }
        _ => Reply::new(404, "404 page not found"),
    }
}
