//! Prometheus: rule files written into `rules_dir`, then a reload.
//!
//! Files are compared with what is in the directory. A file lookout would
//! write whose existing version lacks the ownership marker is a conflict.
//! After any change lookout calls `POST /-/reload` (which needs
//! `--web.enable-lifecycle`), then reads `GET /api/v1/rules` back to
//! confirm that every group it declared is loaded. Also here: the
//! Alertmanager readiness check.

use std::path::PathBuf;

use reqwest::Method;

use super::http::{Body, Endpoint, HttpOptions};
use super::{diff, Action, Change, Desired, Live, Mode, Payload, Target};

pub struct Prometheus {
    endpoint: Endpoint,
    rules_dir: PathBuf,
}

impl Prometheus {
    pub fn new(config: &super::targets::Prometheus, http: &HttpOptions) -> Result<Self, String> {
        let rules_dir = config.rules_dir.clone().ok_or(
            "prometheus.rules_dir (or LOOKOUT_PROMETHEUS_RULES_DIR) is required: apply writes rule files there",
        )?;
        Ok(Prometheus {
            endpoint: endpoint(&config.url, http)?,
            rules_dir,
        })
    }

    /// Rule group names the server has loaded, with their health.
    fn loaded_groups(&self) -> Result<Vec<(String, String, bool)>, String> {
        let response = self
            .endpoint
            .get("/api/v1/rules")
            .map_err(|e| e.to_string())?;
        response
            .success()
            .map_err(|e| format!("GET /api/v1/rules: {e}"))?;
        let body = response.json()?;
        let mut groups = Vec::new();
        for group in body["data"]["groups"].as_array().into_iter().flatten() {
            let healthy = group["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|r| r["health"].as_str() != Some("err"));
            groups.push((
                group["file"].as_str().unwrap_or_default().to_string(),
                group["name"].as_str().unwrap_or_default().to_string(),
                healthy,
            ));
        }
        Ok(groups)
    }
}

const KIND: &str = "rule file";

impl Target for Prometheus {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let mut changes = Vec::new();
        for (name, text) in &desired.rule_files {
            let path = self.rules_dir.join(name);
            let live = match std::fs::read_to_string(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
                Ok(live) => Some(live),
            };
            let found = live.as_ref().map(|live| Live {
                foreign: (!crate::out::is_owned(live))
                    .then(|| format!("{} exists and was not written by lookout", path.display())),
                unchanged: live == text,
            });
            let change = Change::compare("prometheus", KIND, name, found, mode, || {
                live.as_deref()
                    .map_or_else(String::new, |live| diff::unified(live, text))
            });
            changes.push(change.payload(Payload::Text(text.clone())));
        }
        if mode.prune {
            let entries = match std::fs::read_dir(&self.rules_dir) {
                Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(format!("cannot list {}: {e}", self.rules_dir.display())),
            };
            for path in entries {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let yaml = matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                );
                if !yaml || desired.rule_files.contains_key(&name) {
                    continue;
                }
                let owned = std::fs::read_to_string(&path).is_ok_and(|t| crate::out::is_owned(&t));
                if owned {
                    changes.push(Change::new("prometheus", KIND, name, Action::Delete));
                }
            }
        }
        Ok(changes)
    }

    /// Files are few and local; the reload in `finish` sees them all.
    fn ordered(&self) -> bool {
        true
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        let path = self.rules_dir.join(&change.id);
        let result = match (&change.action, &change.payload) {
            (Action::Delete, _) => crate::out::remove(&path),
            (_, Payload::Text(text)) => crate::out::write_atomic(&path, text),
            _ => return Err("nothing to write".into()),
        };
        result.map_err(|e| format!("{}: {e}", path.display()))
    }

    fn finish(&self, desired: &Desired, applied: usize) -> Result<(), String> {
        if applied > 0 {
            let response = self
                .endpoint
                .send(Method::POST, "/-/reload", Body::Empty)
                .map_err(|e| e.to_string())?;
            if !response.is_success() {
                let hint = if response.status == 403 || response.status == 404 {
                    " (start Prometheus with --web.enable-lifecycle)"
                } else {
                    ""
                };
                return Err(format!(
                    "POST /-/reload: HTTP {}: {}{hint}",
                    response.status,
                    response.body.trim()
                ));
            }
        }
        // Confirm every declared group is loaded from the file lookout wrote.
        let loaded = self.loaded_groups()?;
        let mut missing = Vec::new();
        for (file, text) in &desired.rule_files {
            for group in group_names(text) {
                let found = loaded
                    .iter()
                    .find(|(f, g, _)| *g == group && f.ends_with(file.as_str()));
                match found {
                    None => missing.push(format!("{group} ({file})")),
                    Some((_, _, false)) => {
                        missing.push(format!("{group} ({file}) is loaded with rule errors"))
                    }
                    Some(_) => {}
                }
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Prometheus did not load {} group(s): {}; check that its rule_files include {}/*.yaml",
                missing.len(),
                missing.join(", "),
                self.rules_dir.display()
            ))
        }
    }
}

/// A Prometheus API client, for `status` too.
pub fn endpoint(url: &str, http: &HttpOptions) -> Result<Endpoint, String> {
    Endpoint::new(url, None, &[], http)
}

/// Group names of a rule file lookout generated (`- name: …` at the top level).
pub fn group_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("- name: "))
        .map(|name| name.trim().trim_matches('\'').trim_matches('"').to_string())
        .collect()
}

/// Alertmanager: nothing to write; `plan` and `apply` check it is ready.
pub struct Alertmanager {
    endpoint: Endpoint,
}

impl Alertmanager {
    pub fn new(url: &str, http: &HttpOptions) -> Result<Self, String> {
        Ok(Alertmanager {
            endpoint: Endpoint::new(url, None, &[], http)?,
        })
    }
}

impl Target for Alertmanager {
    fn name(&self) -> &'static str {
        "alertmanager"
    }

    fn plan(&self, _desired: &Desired, _mode: Mode) -> Result<Vec<Change>, String> {
        let response = self.endpoint.get("/-/ready").map_err(|e| e.to_string())?;
        if response.is_success() {
            Ok(Vec::new())
        } else {
            Err(format!("not ready: HTTP {}", response.status))
        }
    }

    fn apply_one(&self, _change: &Change) -> Result<(), String> {
        Ok(())
    }
}
