//! Grafana: the folder, then dashboards upserted by uid.
//!
//! - The folder: `GET /api/folders/{uid}`, the uid that provisioning.yaml's
//!   `folderUid` names too. When it is missing, `GET /api/search?type=
//!   dash-folder` looks for a folder of the same title: Grafana refuses a
//!   second one with 409 (`ErrFolderSameNameExists`, pkg/api/folder.go), so
//!   a title clash is a conflict, with the fix named, unless `--adopt` puts
//!   the dashboards into that folder. Otherwise `POST /api/folders {uid,
//!   title}`.
//! - `GET /api/dashboards/uid/{uid}`: a dashboard is lookout's when it is
//!   tagged `lookout`, and the project's when also `lookout-project:<name>`;
//!   anything else in the way is a conflict (`plan::Ownership`).
//!   It is unchanged when the generated JSON is contained in the live one
//!   and it is in the folder.
//! - `POST /api/dashboards/db {dashboard, folderUid, overwrite: true,
//!   message}` with `dashboard.id` null. `folderUid` is always sent: left
//!   out on an update, it would move the dashboard to General.
//! - `--prune`: `GET /api/search?tag=lookout&type=dash-db`, then
//!   `DELETE /api/dashboards/uid/{uid}` for undeclared ones that are all of
//!   this project's, `lookout-` uids and in lookout's folder: a user's copy
//!   of a dashboard keeps the tags but gets another uid or folder.
//!
//! Auth: `Authorization: Bearer <service-account token>`.

use std::sync::Mutex;

use reqwest::Method;
use serde_json::{json, Value};

use super::http::{segment, Body, Endpoint, HttpOptions};
use super::{diff, Action, Change, Desired, Live, Mode, Owner, Ownership, Payload, Target};
use crate::emit::grafana::{folder_uid, TAG, UID_PREFIX};

pub struct Grafana {
    endpoint: Endpoint,
    folder: String,
    /// The folder uid lookout creates and provisioning names.
    folder_uid: String,
    /// The uid dashboards go to: `folder_uid`, or the uid of a same-titled
    /// folder taken over with `--adopt`. Set by `plan`.
    target_folder: Mutex<String>,
}

impl Grafana {
    pub fn new(config: &super::targets::Grafana, http: &HttpOptions) -> Result<Self, String> {
        let auth = config.token.clone().map(|t| ("Bearer", t));
        let uid = folder_uid(&config.folder);
        Ok(Grafana {
            endpoint: Endpoint::new(&config.url, auth, &[], http)?,
            folder: config.folder.clone(),
            target_folder: Mutex::new(uid.clone()),
            folder_uid: uid,
        })
    }

    fn target_folder(&self) -> String {
        self.target_folder.lock().expect("not poisoned").clone()
    }

    /// The folder's change, and whether dashboards can be written into it.
    fn plan_folder(&self, mode: Mode) -> Result<(Change, bool), String> {
        let change = |action| Change::new("folder", &self.folder_uid, action);
        if self
            .endpoint
            .get_json(&format!("/api/folders/{}", segment(&self.folder_uid)))?
            .is_some()
        {
            return Ok((change(Action::Unchanged), true));
        }
        let hits = self
            .endpoint
            .get_json(&format!(
                "/api/search?type=dash-folder&query={}",
                segment(&self.folder)
            ))?
            .unwrap_or(Value::Array(Vec::new()));
        let same_title = hits.as_array().into_iter().flatten().find(|hit| {
            hit["title"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(&self.folder))
        });
        let Some(other_uid) = same_title.and_then(|hit| hit["uid"].as_str()) else {
            return Ok((change(Action::Create).note(self.folder.clone()), true));
        };
        if mode.adopt {
            *self.target_folder.lock().expect("not poisoned") = other_uid.to_string();
            return Ok((
                change(Action::Unchanged).note(format!(
                    "adopted: dashboards go to the existing folder `{}` (uid {other_uid})",
                    self.folder
                )),
                true,
            ));
        }
        Ok((
            change(Action::Conflict).note(format!(
                "a folder titled `{}` exists with uid `{other_uid}`, not `{}`, and Grafana refuses a second folder of that title; \
                 file provisioning without `folderUid` creates such a folder. Fix: delete or rename that folder \
                 (lookout's provisioning.yaml now sets `folderUid: {}`), set another `grafana.folder` in lookout.yaml, \
                 or run with --adopt to put the dashboards into it",
                self.folder, self.folder_uid, self.folder_uid
            )),
            false,
        ))
    }

    fn in_folder(&self, live: &Value) -> bool {
        live["meta"]["folderUid"].as_str() == Some(self.target_folder().as_str())
    }

    /// The dashboard as sent: the generated file, unchanged (`build`
    /// already selected the configured datasource).
    fn parsed(text: &str) -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    fn plan_dashboard(
        &self,
        dashboard: &Value,
        ownership: &Ownership<'_>,
    ) -> Result<Change, String> {
        let uid = dashboard["uid"]
            .as_str()
            .ok_or("a generated dashboard without uid")?
            .to_string();
        let live = self
            .endpoint
            .get_json(&format!("/api/dashboards/uid/{}", segment(&uid)))?;
        let wanted = comparable(dashboard);
        let found = live.as_ref().map(|live| Live {
            owner: owner(&live["dashboard"]),
            unchanged: diff::contained(&wanted, &live["dashboard"]) && self.in_folder(live),
        });
        let change = Change::compare("dashboard", &uid, found, ownership, || {
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

/// Whose a dashboard (or a search hit) is, by its tags: `lookout`, and
/// `lookout-project:<name>`.
fn owner(dashboard: &Value) -> Owner {
    let tags: Vec<&str> = dashboard["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !tags.contains(&TAG) {
        return Owner::Unmarked(
            "a dashboard with this uid exists without the `lookout` tag".into(),
        );
    }
    match tags.iter().find_map(|tag| crate::emit::marked_project(tag)) {
        Some(project) => Owner::Project(project.into()),
        None => Owner::Legacy,
    }
}

impl Target for Grafana {
    fn name(&self) -> &'static str {
        "grafana"
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let (folder, folder_usable) = self.plan_folder(mode)?;
        let ownership = desired.ownership(mode);
        let mut changes = vec![folder];
        let prepared: Vec<Value> = desired
            .dashboards
            .values()
            .map(|text| Self::parsed(text))
            .collect::<Result<_, _>>()?;
        // One GET per dashboard, `concurrency` at a time; results keep file order.
        let indexes: Vec<usize> = (0..prepared.len()).collect();
        let planned = std::sync::Mutex::new(vec![None; prepared.len()]);
        super::run_bounded(
            &indexes,
            mode.concurrency,
            |&i| {
                let change = self.plan_dashboard(&prepared[i], &ownership);
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
            let mut change = change?;
            declared.insert(change.id.clone());
            if !folder_usable && change.action.writes() {
                change = Change::new("dashboard", &change.id, Action::Conflict).note(format!(
                    "its folder `{}` is in conflict (see the folder)",
                    self.folder
                ));
            }
            changes.push(change);
        }
        if mode.prune {
            let hits = self
                .endpoint
                .get_json(&format!("/api/search?tag={TAG}&type=dash-db&limit=5000"))?
                .unwrap_or(Value::Array(Vec::new()));
            let folder = self.target_folder();
            for hit in hits.as_array().into_iter().flatten() {
                let Some(uid) = hit["uid"].as_str() else {
                    continue;
                };
                let lookouts = uid.starts_with(UID_PREFIX)
                    && hit["folderUid"].as_str() == Some(folder.as_str());
                if !lookouts || declared.contains(uid) {
                    continue;
                }
                let owner = owner(hit);
                if ownership.prunable(&owner) {
                    changes.push(Change::new("dashboard", uid, Action::Delete));
                } else if let Some(kept) = Change::kept("dashboard", uid, &owner) {
                    changes.push(kept);
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
                    "folderUid": self.target_folder(),
                    "overwrite": true,
                    "message": "lookout apply",
                })),
            ),
            _ => return Err("nothing to send".into()),
        }
        .map_err(|e| e.to_string())?;
        // 409 from folders: ours exists already (a concurrent apply), or a
        // folder of the same title appeared since plan.
        if change.kind == "folder" && response.status == 409 {
            return match self
                .endpoint
                .get_json(&format!("/api/folders/{}", segment(&self.folder_uid)))?
            {
                Some(_) => Ok(()),
                None => Err(format!(
                    "Grafana refused folder `{}` (409): a folder of that title exists with another uid; run plan again",
                    self.folder
                )),
            };
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
/// `version` itself, and Grafana 12 serves dashboards migrated to its own
/// latest `schemaVersion`.
fn comparable(dashboard: &Value) -> Value {
    let mut dashboard = dashboard.clone();
    if let Some(map) = dashboard.as_object_mut() {
        map.remove("id");
        map.remove("version");
        map.remove("schemaVersion");
    }
    dashboard
}
