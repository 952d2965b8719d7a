//! `plan` and `apply`: push what `build` generates to the live systems.
//!
//! Each target module has the same shape: a struct built from its
//! [`targets`] entry, implementing [`Target`]. `plan` reads the live state
//! and compares it with the desired objects, producing [`Change`]s;
//! `apply` executes the changes that are not `unchanged`. The desired
//! objects are exactly the artifacts `build` would write, sorted by the
//! [`crate::emit::Kind`] their emitters gave them ([`Desired`]), so what
//! `check` validates is what gets pushed.
//!
//! Invariants:
//! - a second `apply` right after a successful one makes no write request;
//! - lookout never deletes or overwrites an object without this project's
//!   marker ([`Ownership`]: `conflict` instead, unless `--adopt`), and
//!   deletes only with `--prune`;
//! - one failing target does not stop the others; every failed object is
//!   reported;
//! - secrets never reach output (see [`http::Secret`]).

pub mod diff;
pub mod elasticsearch;
pub mod files;
pub mod grafana;
pub mod history;
pub mod http;
pub mod kibana;
pub mod preflight;
pub mod progress;
pub mod prometheus;
pub mod reload;
pub mod ruler;
pub mod status;
pub mod targets;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::emit::{Artifact, Kind, RuleGroups};

pub use crate::plan::{Action, Change, Detail, Live, Owner, Ownership, Payload};

/// How to plan and apply: which objects may be touched, and how many
/// requests a target keeps in flight (reads and writes alike).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    pub prune: bool,
    pub adopt: bool,
    /// Objects a lookout release wrote before projects were marked are
    /// this project's (see [`Ownership`]).
    pub claim_legacy: bool,
    /// At least 1 is used.
    pub concurrency: usize,
}

/// The objects `build` generates, by what each target consumes, from each
/// artifact's [`Kind`]: no path or text is inspected to sort them.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// The project whose marker every object carries.
    pub project: String,
    /// Prometheus rule files by file name (`<service>.yaml`).
    pub rule_files: BTreeMap<String, RuleFile>,
    /// Loki ruler rule files by file name.
    pub loki_rule_files: BTreeMap<String, RuleFile>,
    /// Grafana dashboards (uid → JSON).
    pub dashboards: BTreeMap<String, Arc<String>>,
    /// Kibana saved objects by service.
    pub kibana: BTreeMap<String, Arc<Vec<serde_json::Value>>>,
    /// Elasticsearch bodies by API path, e.g. `_ilm/policy/x`.
    pub elasticsearch: BTreeMap<String, Arc<serde_json::Value>>,
}

/// A rule file as written, with the groups its emitter put in it.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub service: String,
    pub text: Arc<String>,
    pub groups: RuleGroups,
}

impl Desired {
    /// The ownership rule of a run in `mode`.
    pub fn ownership(&self, mode: Mode) -> Ownership<'_> {
        Ownership {
            project: &self.project,
            adopt: mode.adopt,
            claim_legacy: mode.claim_legacy,
        }
    }

    pub fn from_artifacts(project: &str, artifacts: &[Artifact]) -> Desired {
        let mut desired = Desired {
            project: project.to_string(),
            ..Desired::default()
        };
        for artifact in artifacts {
            // Shared with the artifact, not copied.
            let text = || Arc::clone(&artifact.contents);
            let rule_file = |service: &String, groups: &RuleGroups| RuleFile {
                service: service.clone(),
                text: text(),
                groups: groups.clone(),
            };
            match &artifact.kind {
                Kind::PrometheusRules { service, groups } => {
                    (desired.rule_files)
                        .insert(format!("{service}.yaml"), rule_file(service, groups));
                }
                Kind::LokiRules { service, groups } => {
                    (desired.loki_rule_files)
                        .insert(format!("{service}.yaml"), rule_file(service, groups));
                }
                Kind::GrafanaDashboard { uid } => {
                    desired.dashboards.insert(uid.clone(), text());
                }
                Kind::KibanaObjects { service, objects } => {
                    desired.kibana.insert(service.clone(), Arc::clone(objects));
                }
                Kind::Elasticsearch { api_path, body } => {
                    desired
                        .elasticsearch
                        .insert(api_path.clone(), Arc::clone(body));
                }
                Kind::File => {}
            }
        }
        desired
    }
}

/// One push target.
pub trait Target: Send + Sync {
    fn name(&self) -> &'static str;
    /// Reads the live state and compares it with `desired`.
    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String>;
    /// Must the changes be applied one at a time, in plan order (e.g. a
    /// dependency order)?
    fn ordered(&self) -> bool {
        false
    }
    /// Executes `changes` (all of which write), reporting each one. The
    /// default runs them in order when [`Self::ordered`], else on
    /// `concurrency` threads in any order.
    fn apply(
        &self,
        changes: &[Change],
        concurrency: usize,
        report: &(dyn Fn(usize, Result<(), String>) + Sync),
    ) {
        let concurrency = if self.ordered() { 1 } else { concurrency };
        run_bounded(
            changes,
            concurrency,
            |change| self.apply_one(change),
            report,
        );
    }
    /// Executes one change.
    fn apply_one(&self, change: &Change) -> Result<(), String>;
    /// Runs after the changes, even when there were none: e.g. Prometheus
    /// reloads (only if something changed) and confirms what it loaded.
    fn finish(&self, _desired: &Desired, _applied: usize) -> Result<(), String> {
        Ok(())
    }
}

/// Runs `work` over `items` on at most `concurrency` threads, calling
/// `report` with each item's index as it finishes.
pub fn run_bounded<T: Sync>(
    items: &[T],
    concurrency: usize,
    work: impl Fn(&T) -> Result<(), String> + Sync,
    report: &(dyn Fn(usize, Result<(), String>) + Sync),
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = concurrency.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                report(i, work(item));
            });
        }
    });
}

/// Where a target's run ended.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub target: &'static str,
    pub changes: Vec<Change>,
    /// Failures by object (`kind id`), or the target's own failure.
    pub failures: Vec<Failure>,
    /// Writes sent successfully.
    pub applied: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub object: String,
    pub error: String,
}

impl TargetReport {
    /// Planned changes of `action`.
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// Changes of `action` carried out: the planned ones, less the writes
    /// that failed.
    pub fn done(&self, action: Action) -> usize {
        let failed = self
            .failures
            .iter()
            .filter(|f| {
                self.changes
                    .iter()
                    .any(|c| c.action == action && f.object == format!("{} {}", c.kind, c.id))
            })
            .count();
        self.count(action) - failed.min(self.count(action))
    }
}

/// Options of a push run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: Mode,
    pub apply: bool,
}

/// Plans (and with `apply`, applies) every target in parallel. A target
/// that fails to plan or apply does not stop the others.
pub fn run(
    targets: &[Box<dyn Target>],
    desired: &Desired,
    options: &RunOptions,
    progress: &progress::Progress,
) -> Vec<TargetReport> {
    let mut reports: Vec<Option<TargetReport>> = (0..targets.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|target| {
                scope.spawn(move || run_target(target.as_ref(), desired, options, progress))
            })
            .collect();
        for (slot, handle) in reports.iter_mut().zip(handles) {
            *slot = Some(handle.join().expect("a target thread panicked"));
        }
    });
    reports.into_iter().flatten().collect()
}

fn run_target(
    target: &dyn Target,
    desired: &Desired,
    options: &RunOptions,
    progress: &progress::Progress,
) -> TargetReport {
    let name = target.name();
    let bar = progress.target(name);
    let mut report = TargetReport {
        target: name,
        changes: Vec::new(),
        failures: Vec::new(),
        applied: 0,
    };
    bar.message("reading live state");
    let changes = match target.plan(desired, options.mode) {
        Ok(changes) => changes,
        Err(error) => {
            bar.finish(&format!("failed: {error}"));
            report.failures.push(Failure {
                object: name.to_string(),
                error,
            });
            return report;
        }
    };
    report.changes = changes;
    if !options.apply {
        bar.finish(&summary(&report, false));
        return report;
    }
    for conflict in report
        .changes
        .iter()
        .filter(|c| c.action == Action::Conflict)
    {
        report.failures.push(Failure {
            object: format!("{} {}", conflict.kind, conflict.id),
            error: format!(
                "conflict: {}",
                conflict.detail.as_ref().map_or(
                    "not managed by lookout: --adopt to take it over",
                    Detail::as_str
                )
            ),
        });
    }
    let writes: Vec<Change> = report
        .changes
        .iter()
        .filter(|c| c.action.writes())
        .cloned()
        .collect();
    bar.start(writes.len());
    let results = std::sync::Mutex::new(Vec::new());
    target.apply(&writes, options.mode.concurrency, &|i, result| {
        let change = &writes[i];
        bar.step(
            &format!("{} {} {}", change.action.as_str(), change.kind, change.id),
            result.as_ref().err(),
        );
        results.lock().expect("not poisoned").push((i, result));
    });
    let mut results = results.into_inner().expect("not poisoned");
    results.sort_by_key(|(i, _)| *i);
    let mut done = 0;
    for (i, result) in results {
        match result {
            Ok(()) => {
                done += 1;
                // A reload is done by `finish`, not sent here.
                if writes[i].action != Action::Reload {
                    report.applied += 1;
                }
            }
            Err(error) => report.failures.push(Failure {
                object: format!("{} {}", writes[i].kind, writes[i].id),
                error,
            }),
        }
    }
    if let Err(error) = target.finish(desired, done) {
        report.failures.push(Failure {
            object: name.to_string(),
            error,
        });
    }
    bar.finish(&summary(&report, true));
    report
}

/// `2 to create, 1 to update, 40 unchanged` for a plan; `2 created, …`
/// once applied (the writes that failed are counted apart).
pub fn summary(report: &TargetReport, applied: bool) -> String {
    let mut parts = Vec::new();
    for (action, planned, done) in [
        (Action::Create, "to create", "created"),
        (Action::Update, "to update", "updated"),
        (Action::Reload, "to reload", "reloaded"),
        (Action::Delete, "to delete", "deleted"),
        (Action::Conflict, "conflicts", "conflicts"),
        (Action::Unchanged, "unchanged", "unchanged"),
    ] {
        let word = if applied { done } else { planned };
        let n = if applied && action.writes() {
            report.done(action)
        } else {
            report.count(action)
        };
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if !report.failures.is_empty() {
        parts.push(format!("{} failed", report.failures.len()));
    }
    if parts.is_empty() {
        parts.push("nothing to manage".into());
    }
    parts.join(", ")
}

/// Builds the configured targets, narrowed by `--only`.
pub fn build_targets(
    resolved: &targets::Resolved,
    only: &[String],
    http: &http::HttpOptions,
) -> Result<Vec<Box<dyn Target>>, String> {
    for name in only {
        if !targets::ALL.contains(&name.as_str()) {
            return Err(format!(
                "--only: unknown target `{name}` (targets: {})",
                targets::ALL.join(", ")
            ));
        }
        if !resolved.configured().contains(&name.as_str()) {
            return Err(format!(
                "--only: `{name}` is not configured in lookout.yaml or LOOKOUT_{}_URL",
                name.to_uppercase()
            ));
        }
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut out: Vec<Box<dyn Target>> = Vec::new();
    if let (Some(p), true) = (&resolved.prometheus, wanted("prometheus")) {
        out.push(Box::new(prometheus::Prometheus::new(p, http)?));
    }
    if let (Some(m), true) = (&resolved.mimir, wanted("mimir")) {
        out.push(Box::new(ruler::Ruler::mimir(m, http)?));
    }
    if let (Some(l), true) = (&resolved.loki, wanted("loki")) {
        out.push(Box::new(ruler::Ruler::loki(l, http)?));
    }
    if let (Some(g), true) = (&resolved.grafana, wanted("grafana")) {
        out.push(Box::new(grafana::Grafana::new(g, http)?));
    }
    if let (Some(e), true) = (&resolved.elasticsearch, wanted("elasticsearch")) {
        out.push(Box::new(elasticsearch::Elasticsearch::new(e, http)?));
    }
    if let (Some(k), true) = (&resolved.kibana, wanted("kibana")) {
        out.push(Box::new(kibana::Kibana::new(k, http)?));
    }
    if let (Some(a), true) = (&resolved.alertmanager, wanted("alertmanager")) {
        out.push(Box::new(prometheus::Alertmanager::new(a, http)?));
    }
    Ok(out)
}
