//! Prometheus: rule files written into `rules_dir`, then a reload.
//!
//! `plan` compares the files with what is in the directory (a file lookout
//! would write whose existing version lacks the ownership marker is a
//! conflict), and a current file with what Prometheus runs: the groups it
//! has loaded from that very file (`GET /api/v1/rules`, by each group's
//! `file`), and whether its last reload succeeded after the file was
//! written (`prometheus_config_last_reload_successful` and
//! `…_success_timestamp_seconds` on `/metrics`). A file Prometheus has not
//! loaded is a "reload pending" change; a declared group that Prometheus
//! also loads from another file (a copy, another project's), or that
//! another file in `rules_dir` defines, which the reload would load, is a
//! conflict naming that file's owner. An unreachable Prometheus fails the plan
//! rather than passing as "unchanged".
//!
//! After any change `apply` calls `POST /-/reload` (which needs
//! `--web.enable-lifecycle`), then reads the rules back to confirm that
//! every declared group is loaded from the file lookout wrote. Also here:
//! the Alertmanager readiness check.

use std::path::PathBuf;

use reqwest::Method;

use super::files::Files;
use super::http::{Body, Endpoint, HttpOptions};
use super::{Action, Change, Desired, Mode, Target};

/// The rules directory as a file tree, plus a reload and a read-back.
pub struct Prometheus {
    endpoint: Endpoint,
    files: Files,
    rules_dir: PathBuf,
}

impl Prometheus {
    pub fn new(config: &super::targets::Prometheus, http: &HttpOptions) -> Result<Self, String> {
        let rules_dir = config.rules_dir.clone().ok_or(
            "prometheus.rules_dir (or LOOKOUT_PROMETHEUS_RULES_DIR) is required: apply writes rule files there",
        )?;
        Ok(Prometheus {
            endpoint: endpoint(&config.url, http)?,
            files: Files::new("prometheus", rules_dir.clone(), KIND, |d| &d.rule_files),
            rules_dir,
        })
    }

    /// A group this project declares that Prometheus also loads from
    /// another file is evaluated twice, its series recorded twice: a
    /// conflict naming that file and its owner. Groups of files this plan
    /// deletes are not counted, nor anyone else's groups of other names.
    fn duplicates(
        &self,
        desired: &Desired,
        loaded: &[(String, String, bool)],
        planned: &[Change],
    ) -> Vec<Change> {
        let declared: std::collections::HashSet<String> = desired
            .rule_files
            .values()
            .flat_map(|file| file.groups.names())
            .collect();
        let ours = |file: &str| {
            desired
                .rule_files
                .keys()
                .any(|name| same_file(file, &self.rules_dir.join(name)))
        };
        let deleted = |file: &str| {
            planned
                .iter()
                .filter(|c| c.action == Action::Delete)
                .any(|c| same_file(file, &self.rules_dir.join(&c.id)))
        };
        let mut changes = Vec::new();
        for (file, group, _) in loaded {
            if !declared.contains(group) || ours(file) || deleted(file) {
                continue;
            }
            // At that path, or by name under another mount of rules_dir.
            let in_rules_dir = std::path::Path::new(file).file_name().is_some_and(|name| {
                let here = self.rules_dir.join(name);
                here.is_file() && (same_file(file, &here) || !std::path::Path::new(file).exists())
            });
            let whose = match self.read_loaded(file) {
                Some(text) => whose(&text, &desired.project, in_rules_dir),
                None => "a file lookout cannot read: remove it, or drop it from rule_files".into(),
            };
            changes.push(Change::new("duplicate group", group, Action::Conflict).note(format!(
                "Prometheus also loads this group from {file}, so it is evaluated twice; that file is {whose}"
            )));
        }
        // A copy in rules_dir that Prometheus has not loaded yet would be
        // loaded by the reload `apply` ends with.
        for (path, text) in self.rule_files_in_dir() {
            let name = path.to_string_lossy();
            if ours(&name) || deleted(&name) {
                continue;
            }
            for group in group_names(&text) {
                let reported = loaded
                    .iter()
                    .any(|(file, g, _)| *g == group && same_file(file, &path));
                if !declared.contains(&group) || reported {
                    continue;
                }
                changes.push(Change::new("duplicate group", &group, Action::Conflict).note(format!(
                    "{} defines this group too, so after the next reload Prometheus would evaluate it twice; that file is {}",
                    path.display(),
                    whose(&text, &desired.project, true)
                )));
            }
        }
        changes
    }

    /// The YAML files at the top of `rules_dir`, with their text.
    fn rule_files_in_dir(&self) -> Vec<(PathBuf, String)> {
        let Ok(entries) = std::fs::read_dir(&self.rules_dir) else {
            return Vec::new();
        };
        let mut files: Vec<(PathBuf, String)> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?)))
            .collect();
        files.sort();
        files
    }

    /// Which rule file made a reload fail, looked for since Prometheus's
    /// reply does not say ([`super::reload`]).
    fn why_reload_failed(&self) -> String {
        let config = self
            .endpoint
            .get_json("/api/v1/status/config")
            .and_then(|body| {
                body.and_then(|b| b["data"]["yaml"].as_str().map(String::from))
                    .ok_or_else(|| "no config in the reply".to_string())
            });
        match config.and_then(|yaml| super::reload::culprits(&yaml)) {
            Ok(found) => found.describe(),
            Err(e) => format!("\n      cannot look for the failing rule file: {e}"),
        }
    }

    /// The text of a rule file Prometheus names, where lookout can read it:
    /// at that path, or (under another mount) in `rules_dir` by name.
    fn read_loaded(&self, file: &str) -> Option<String> {
        std::fs::read_to_string(file).ok().or_else(|| {
            let name = std::path::Path::new(file).file_name()?;
            std::fs::read_to_string(self.rules_dir.join(name)).ok()
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
        let loaded = self
            .loaded_groups()
            .map_err(|e| format!("cannot read the rules Prometheus runs: {e}"))?;
        let (reloaded_at, reload_ok) = last_reload(&self.endpoint)?;
        let mut changes = self.files.plan(desired, mode)?;
        for change in &mut changes {
            let Some(file) = desired.rule_files.get(&change.id) else {
                continue;
            };
            if change.action != Action::Unchanged {
                continue;
            }
            let path = self.rules_dir.join(&change.id);
            // Current on disk: is it what Prometheus runs?
            let mut running: Vec<&str> = loaded
                .iter()
                .filter(|(file, _, _)| same_file(file, &path))
                .map(|(_, group, _)| group.as_str())
                .collect();
            running.sort_unstable();
            let names = file.groups.names();
            let mut declared: Vec<&str> = names.iter().map(String::as_str).collect();
            declared.sort_unstable();
            let written = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0.0, |d| d.as_secs_f64());
            let pending = if running != declared {
                Some(format!(
                    "reload pending: Prometheus runs {} of the file's {} groups from {}",
                    running.len(),
                    declared.len(),
                    path.display()
                ))
            } else if !reload_ok {
                Some("reload pending: Prometheus's last reload failed".into())
            } else if written > reloaded_at {
                Some(
                    "reload pending: the file changed after Prometheus last loaded its rules"
                        .into(),
                )
            } else {
                None
            };
            if let Some(reason) = pending {
                // Nothing to write; the reload in `finish` does the work.
                *change = Change::new(KIND, &change.id, Action::Reload).note(reason);
            }
        }
        changes.extend(self.duplicates(desired, &loaded, &changes));
        Ok(changes)
    }

    /// Files are few and local; the reload in `finish` sees them all.
    fn ordered(&self) -> bool {
        true
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        match (change.action, &change.payload) {
            // The file is current; `finish` reloads.
            (Action::Reload, _) => Ok(()),
            _ => self.files.apply_one(change),
        }
    }

    fn finish(&self, desired: &Desired, applied: usize) -> Result<(), String> {
        if applied > 0 {
            // Prometheus answers 500 `failed to reload config: …` for a
            // config or rule file it refuses (web/web.go): the same on
            // every retry, so not retried.
            let response = self
                .endpoint
                .send_unless(Method::POST, "/-/reload", Body::Empty, |status, body| {
                    status == 500 && body.contains("failed to reload config")
                })
                .map_err(|e| e.to_string())?;
            if !response.is_success() {
                let hint = match response.status {
                    403 | 404 => " (start Prometheus with --web.enable-lifecycle)".to_string(),
                    500 => self.why_reload_failed(),
                    _ => String::new(),
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
        for (file, rules) in &desired.rule_files {
            for group in &rules.groups.names() {
                let path = self.rules_dir.join(file);
                let found = loaded
                    .iter()
                    .find(|(f, g, _)| g == group && same_file(f, &path));
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

/// Whose a rule file that duplicates this project's group is, from its
/// header, and what to do about it, for the conflict's note. Only a file
/// in `rules_dir` can be pruned.
fn whose(text: &str, project: &str, in_rules_dir: bool) -> String {
    match super::files::owner(text) {
        super::Owner::Project(owner) if owner == project && in_rules_dir => {
            "this project's own copy: `apply --prune` removes it".into()
        }
        super::Owner::Project(owner) if owner == project => {
            "this project's own copy, outside rules_dir: remove it, or drop it from rule_files".into()
        }
        super::Owner::Project(owner) => {
            format!("lookout project `{owner}`'s: rename the service in one of the projects")
        }
        super::Owner::Legacy => {
            "an older lookout's, which marked no project: remove it, or `apply --prune --claim-legacy` if this project wrote it".into()
        }
        super::Owner::Unmarked(_) => "not lookout's: remove it, or drop it from rule_files".into(),
    }
}

/// The group names of a Prometheus rule file; none when it is not one.
fn group_names(text: &str) -> Vec<String> {
    let file = super::ruler::yaml_value(text).unwrap_or_default();
    file["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|group| group["name"].as_str().map(String::from))
        .collect()
}

/// Whether the file Prometheus names (as its `rule_files` globs expand,
/// relative to its own working directory) is `path`: the same path, the
/// same file once resolved, or, where Prometheus sees the directory under
/// another mount, the same directory and file name.
fn same_file(prometheus_file: &str, path: &std::path::Path) -> bool {
    let theirs = std::path::Path::new(prometheus_file);
    if theirs == path {
        return true;
    }
    if let (Ok(a), Ok(b)) = (theirs.canonicalize(), path.canonicalize()) {
        return a == b;
    }
    fn tail(p: &std::path::Path) -> Vec<std::path::Component<'_>> {
        p.components().rev().take(2).collect()
    }
    path.is_relative() && tail(theirs) == tail(path)
}

/// When the last successful rule reload happened (Unix seconds), and
/// whether the last reload succeeded, from Prometheus's own metrics.
pub fn last_reload(endpoint: &Endpoint) -> Result<(f64, bool), String> {
    let response = endpoint.get("/metrics").map_err(|e| e.to_string())?;
    response
        .success()
        .map_err(|e| format!("GET /metrics: {e}"))?;
    let metric = |name: &str| {
        response.body.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(' ')?;
            value.trim().parse::<f64>().ok()
        })
    };
    match (
        metric("prometheus_config_last_reload_success_timestamp_seconds"),
        metric("prometheus_config_last_reload_successful"),
    ) {
        (Some(at), Some(ok)) => Ok((at, ok == 1.0)),
        _ => Err(
            "GET /metrics: no prometheus_config_last_reload_* metrics; is this Prometheus?".into(),
        ),
    }
}

/// A Prometheus API client, for `status` too.
pub fn endpoint(url: &str, http: &HttpOptions) -> Result<Endpoint, String> {
    Endpoint::new(url, None, &[], http)
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
