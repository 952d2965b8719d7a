//! Grafana: the folder, then dashboards upserted by uid.
//!
//! - `GET /api/folders/{uid}`; `POST /api/folders {uid, title}` when missing.
//! - `GET /api/dashboards/uid/{uid}`: a dashboard is lookout's when it is
//!   tagged `lookout`; one without the tag is a conflict unless `--adopt`.
//!   It is unchanged when the generated JSON is contained in the live one
//!   and it is in the folder.
//! - `POST /api/dashboards/db {dashboard, folderUid, overwrite: true,
//!   message}` with `dashboard.id` null. `folderUid` is always sent: left
//!   out on an update, it would move the dashboard to General.
//! - `--prune`: `GET /api/search?tag=lookout&type=dash-db`, then
//!   `DELETE /api/dashboards/uid/{uid}` for undeclared ones.
//!
//! Auth: `Authorization: Bearer <service-account token>`.

use reqwest::Method;
use serde_json::{json, Value};

use super::http::{segment, Body, Endpoint, HttpOptions};
use super::{diff, Action, Change, Desired, Live, Mode, Payload, Target};

pub struct Grafana {
    endpoint: Endpoint,
    folder: String,
    folder_uid: String,
    datasource: Option<String>,
}

/// Folder uids are at most 40 characters of `[a-zA-Z0-9_-]`.
pub fn folder_uid(title: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let uid = format!("lookout-{}", slug.trim_matches('-'));
    uid.chars().take(40).collect()
}

impl Grafana {
    pub fn new(config: &super::targets::Grafana, http: &HttpOptions) -> Result<Self, String> {
        let auth = config.token.clone().map(|t| ("Bearer", t));
        Ok(Grafana {
            endpoint: Endpoint::new(&config.url, auth, &[], http)?,
            folder: config.folder.clone(),
            folder_uid: folder_uid(&config.folder),
            datasource: config.datasource.clone(),
        })
    }

    fn in_folder(&self, live: &Value) -> bool {
        live["meta"]["folderUid"].as_str() == Some(self.folder_uid.as_str())
    }

    /// The dashboard as sent: the generated JSON, with the configured
    /// datasource selected by uid.
    fn prepared(&self, text: &str) -> Result<Value, String> {
        let mut dashboard: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if let Some(uid) = &self.datasource {
            for variable in dashboard["templating"]["list"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                if variable["type"] == json!("datasource") {
                    variable["current"] = json!({"text": uid, "value": uid});
                }
            }
        }
        Ok(dashboard)
    }

    fn plan_dashboard(&self, dashboard: &Value, mode: Mode) -> Result<Change, String> {
        let uid = dashboard["uid"]
            .as_str()
            .ok_or("a generated dashboard without uid")?
            .to_string();
        let live = self
            .endpoint
            .get_json(&format!("/api/dashboards/uid/{}", segment(&uid)))?;
        let wanted = comparable(dashboard);
        let found = live.as_ref().map(|live| Live {
            foreign: (!is_managed(&live["dashboard"]))
                .then(|| "a dashboard with this uid exists without the `lookout` tag".into()),
            unchanged: diff::contained(&wanted, &live["dashboard"]) && self.in_folder(live),
        });
        let change = Change::compare("grafana", "dashboard", &uid, found, mode, || {
            let Some(live) = &live else {
                return String::new();
            };
            let mut detail = diff::json_diff(&wanted, &live["dashboard"]);
            if !self.in_folder(live) {
                detail.insert_str(0, &format!("moves to folder {}\n", self.folder));
            }
            detail
        });
        Ok(change.payload(Payload::Json(dashboard.clone())))
    }
}

fn is_managed(dashboard: &Value) -> bool {
    dashboard["tags"]
        .as_array()
        .is_some_and(|tags| tags.iter().any(|t| t == "lookout"))
}

impl Target for Grafana {
    fn name(&self) -> &'static str {
        "grafana"
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let mut changes = Vec::new();
        match self
            .endpoint
            .get_json(&format!("/api/folders/{}", segment(&self.folder_uid)))?
        {
            None => changes.push(
                Change::new("grafana", "folder", &self.folder_uid, Action::Create)
                    .detail(self.folder.clone()),
            ),
            Some(_) => changes.push(Change::new(
                "grafana",
                "folder",
                &self.folder_uid,
                Action::Unchanged,
            )),
        }
        let prepared: Vec<Value> = desired
            .dashboards
            .values()
            .map(|text| self.prepared(text))
            .collect::<Result<_, _>>()?;
        // One GET per dashboard, `concurrency` at a time; results keep file order.
        let indexes: Vec<usize> = (0..prepared.len()).collect();
        let planned = std::sync::Mutex::new(vec![None; prepared.len()]);
        super::run_bounded(
            &indexes,
            mode.concurrency,
            |&i| {
                let change = self.plan_dashboard(&prepared[i], mode);
                planned.lock().expect("not poisoned")[i] = Some(change);
                Ok(())
            },
            &|_, _| {},
        );
        let mut declared = std::collections::BTreeSet::new();
        for change in planned
            .into_inner()
            .expect("not poisoned")
            .into_iter()
            .flatten()
        {
            let change = change?;
            declared.insert(change.id.clone());
            changes.push(change);
        }
        if mode.prune {
            let hits = self
                .endpoint
                .get_json("/api/search?tag=lookout&type=dash-db&limit=5000")?
                .unwrap_or(Value::Array(Vec::new()));
            for hit in hits.as_array().into_iter().flatten() {
                let Some(uid) = hit["uid"].as_str() else {
                    continue;
                };
                if !declared.contains(uid) {
                    changes.push(Change::new("grafana", "dashboard", uid, Action::Delete));
                }
            }
        }
        Ok(changes)
    }

    fn apply(
        &self,
        changes: &[Change],
        concurrency: usize,
        report: &(dyn Fn(usize, Result<(), String>) + Sync),
    ) {
        // The folder first: dashboards are created in it.
        let (folders, dashboards): (Vec<usize>, Vec<usize>) =
            (0..changes.len()).partition(|i| changes[*i].kind == "folder");
        for i in folders {
            report(i, self.apply_one(&changes[i]));
        }
        super::run_bounded(
            &dashboards,
            concurrency,
            |&i| self.apply_one(&changes[i]),
            &|j, result| report(dashboards[j], result),
        );
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        let response = match (change.kind, change.action, &change.payload) {
            ("folder", _, _) => self.endpoint.send(
                Method::POST,
                "/api/folders",
                Body::Json(json!({"uid": self.folder_uid, "title": self.folder})),
            ),
            ("dashboard", Action::Delete, _) => self.endpoint.send(
                Method::DELETE,
                &format!("/api/dashboards/uid/{}", segment(&change.id)),
                Body::Empty,
            ),
            ("dashboard", _, Payload::Json(dashboard)) => self.endpoint.send(
                Method::POST,
                "/api/dashboards/db",
                Body::Json(json!({
                    "dashboard": strip_id(dashboard),
                    "folderUid": self.folder_uid,
                    "overwrite": true,
                    "message": "lookout apply",
                })),
            ),
            _ => return Err("nothing to send".into()),
        }
        .map_err(|e| e.to_string())?;
        // 409 from folders means it exists already (a concurrent apply).
        if change.kind == "folder" && response.status == 409 {
            return Ok(());
        }
        response.success()
    }
}

/// `id` must be null on upsert; the uid identifies the dashboard.
fn strip_id(dashboard: &Value) -> Value {
    let mut dashboard = dashboard.clone();
    if let Some(map) = dashboard.as_object_mut() {
        map.insert("id".into(), Value::Null);
    }
    dashboard
}

/// What to compare with the live dashboard: Grafana assigns `id` and
/// `version` itself.
fn comparable(dashboard: &Value) -> Value {
    let mut dashboard = dashboard.clone();
    if let Some(map) = dashboard.as_object_mut() {
        map.remove("id");
        map.remove("version");
    }
    dashboard
}
