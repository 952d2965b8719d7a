//! Loki and Mimir rulers: rule groups pushed one per request.
//!
//! The namespace is `<project>:<service>`: a ruler group has nowhere else
//! to carry the project's marker. Groups named `lookout:…` are lookout's;
//! in a namespace without a project prefix (what releases before project
//! identity wrote, one namespace per service) they are legacy.
//! - Read: `GET <rules>` answers a YAML map of namespace to groups, every
//!   namespace at once, so that a declared group found in another
//!   namespace (another project's, or legacy) is seen. Loki answers **404
//!   when there are no groups**; that is empty, not an error (Mimir does
//!   the same).
//! - Write: `POST <rules>/<namespace>` with one group as YAML. Mimir
//!   answers 202.
//! - Delete: `DELETE <rules>/<namespace>/<group>`, with `--prune` for this
//!   project's groups that no file declares, and for a legacy copy of a
//!   declared group that `--claim-legacy` moves into the project's
//!   namespace (both would be evaluated otherwise).
//!
//! Namespace and group are percent-encoded (`:` and `/` included), and
//! `X-Scope-OrgID` carries the tenant. `<rules>` is
//! `/loki/api/v1/rules` for Loki and `/prometheus/config/v1/rules` for
//! Mimir (`/api/v1/rules` for Cortex, via `mimir.rules_path`).

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use super::http::{segment, Body, Endpoint, HttpOptions};
use super::{diff, Action, Change, Desired, Live, Mode, Owner, Payload, RuleFile, Target};
use crate::model::names::GROUP_PREFIX;

/// The namespace of a project's rule file for `service`.
pub fn namespace(project: &str, service: &str) -> String {
    format!("{project}:{service}")
}

/// Whose a group named `group` in namespace `ns` is.
fn owner(ns: &str, group: &str) -> Owner {
    if !group.starts_with(GROUP_PREFIX) {
        return Owner::Unmarked(format!("its name does not start with `{GROUP_PREFIX}`"));
    }
    match ns.split_once(':') {
        Some((project, _)) if crate::model::settings::is_project_name(project) => {
            Owner::Project(project.into())
        }
        _ => Owner::Legacy,
    }
}

pub struct Ruler {
    name: &'static str,
    endpoint: Endpoint,
    rules_path: String,
    /// The rule files this ruler serves.
    files: fn(&Desired) -> &BTreeMap<String, RuleFile>,
}

impl Ruler {
    pub fn loki(config: &super::targets::Ruler, http: &HttpOptions) -> Result<Self, String> {
        Self::new("loki", config, http, |d| &d.loki_rule_files)
    }

    pub fn mimir(config: &super::targets::Ruler, http: &HttpOptions) -> Result<Self, String> {
        Self::new("mimir", config, http, |d| &d.rule_files)
    }

    fn new(
        name: &'static str,
        config: &super::targets::Ruler,
        http: &HttpOptions,
        files: fn(&Desired) -> &BTreeMap<String, RuleFile>,
    ) -> Result<Self, String> {
        let headers: Vec<(&'static str, String)> = config
            .tenant
            .iter()
            .map(|t| ("x-scope-orgid", t.clone()))
            .collect();
        let auth = config.token.clone().map(|t| ("Bearer", t));
        Ok(Ruler {
            name,
            endpoint: Endpoint::new(&config.url, auth, &headers, http)?,
            rules_path: config.rules_path.trim_end_matches('/').to_string(),
            files,
        })
    }

    /// `namespace → groups`, from a GET of `path`; 404 is empty.
    fn read(&self, path: &str) -> Result<BTreeMap<String, Vec<Value>>, String> {
        let response = self.endpoint.get(path).map_err(|e| e.to_string())?;
        if response.status == 404 {
            return Ok(BTreeMap::new());
        }
        response.success().map_err(|e| format!("GET {path}: {e}"))?;
        if response.body.trim().is_empty() {
            return Ok(BTreeMap::new());
        }
        let value = yaml_value(&response.body).map_err(|e| format!("GET {path}: {e}"))?;
        Ok(value
            .as_object()
            .into_iter()
            .flatten()
            .map(|(ns, groups)| (ns.clone(), groups.as_array().cloned().unwrap_or_default()))
            .collect())
    }
}

/// A server's YAML (a ruler's reply, Prometheus's config and the rule
/// files it reads) as a JSON value: its first line of error. Parsed here,
/// not in `spec`: a server's answer is not a spec, and push reads nothing
/// from `spec`.
pub(super) fn yaml_value(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let message = e.to_string();
        message
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

impl Target for Ruler {
    fn name(&self) -> &'static str {
        self.name
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let ownership = desired.ownership(mode);
        let live = self.read(&self.rules_path)?;
        let live_groups = || {
            live.iter().flat_map(|(ns, groups)| {
                groups
                    .iter()
                    .map(move |g| (ns.as_str(), g["name"].as_str().unwrap_or_default(), g))
            })
        };
        let delete = |ns: &str, name: &str| {
            Change::new("rule group", format!("{ns}/{name}"), Action::Delete)
                .payload(Payload::Json(json!({"namespace": ns, "name": name})))
        };
        let mut changes = Vec::new();
        let mut declared = std::collections::BTreeSet::new();
        for rules in (self.files)(desired).values() {
            // One namespace per service, as the file is one per service.
            let ns = namespace(&desired.project, &rules.service);
            // A ruler takes one group per request and answers groups
            // normalised, so each is compared and sent as a value.
            for group in rules.groups.to_json() {
                let name = group["name"].as_str().unwrap_or_default().to_string();
                declared.insert((ns.clone(), name.clone()));
                let id = format!("{ns}/{name}");
                let current = live_groups()
                    .find(|(n, g, _)| *n == ns && *g == name)
                    .map(|(_, _, group)| group);
                let found = current.map(|g| Live {
                    owner: owner(&ns, &name),
                    unchanged: diff::contained(&group, g),
                });
                let mut change = Change::compare("rule group", &id, found, &ownership, || {
                    current.map_or_else(String::new, |g| diff::json_diff(&group, g))
                });
                // The same group elsewhere records the same series twice.
                for (other, _, _) in live_groups().filter(|(n, g, _)| *n != ns && *g == name) {
                    match ownership.conflict(&owner(other, &name)) {
                        None => changes
                            .push(delete(other, &name).note(format!("moved to namespace {ns}"))),
                        Some(reason) => {
                            change = Change::new("rule group", &id, Action::Conflict)
                                .note(format!("the group is also in namespace {other}, {reason}"));
                        }
                    }
                    declared.insert((other.to_string(), name.clone()));
                }
                changes
                    .push(change.payload(Payload::Json(json!({"namespace": ns, "group": group}))));
            }
        }
        if mode.prune {
            for (ns, name, _) in live_groups() {
                if declared.contains(&(ns.to_string(), name.to_string())) {
                    continue;
                }
                let owner = owner(ns, name);
                if ownership.prunable(&owner) {
                    changes.push(delete(ns, name));
                } else if let Some(kept) =
                    Change::kept("rule group", format!("{ns}/{name}"), &owner)
                {
                    changes.push(kept);
                }
            }
        }
        Ok(changes)
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        let Payload::Json(payload) = &change.payload else {
            return Err("nothing to send".into());
        };
        let ns = payload["namespace"].as_str().unwrap_or_default();
        let response = match change.action {
            Action::Delete => {
                let name = payload["name"].as_str().unwrap_or_default();
                self.endpoint.send(
                    Method::DELETE,
                    &format!("{}/{}/{}", self.rules_path, segment(ns), segment(name)),
                    Body::Empty,
                )
            }
            _ => {
                let yaml = crate::emit::yaml::document(
                    &[],
                    &crate::emit::yaml::Node::from_json(&payload["group"]),
                );
                self.endpoint.send(
                    Method::POST,
                    &format!("{}/{}", self.rules_path, segment(ns)),
                    Body::Text {
                        content_type: "application/yaml",
                        text: yaml,
                    },
                )
            }
        }
        .map_err(|e| e.to_string())?;
        response.success()
    }
}
