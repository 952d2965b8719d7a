//! `plan` and `apply`, one operation: the project compiled in memory, the
//! live systems read, and for `apply` written.

use super::{generate, Generated, Request};
use crate::plan::Action;

/// What `plan` and `apply` are asked to do.
#[derive(Debug, Clone)]
pub struct PushRequest {
    pub project: Request,
    /// `--only`: target names; empty means every configured target.
    pub only: Vec<String>,
    pub run: crate::push::RunOptions,
    pub http: crate::push::http::HttpOptions,
}

/// The result of `plan` or `apply`.
pub struct PushReport {
    pub generated: Generated,
    /// Problems before any target ran: configuration, credentials.
    pub setup_errors: Vec<String>,
    pub reports: Vec<crate::push::TargetReport>,
}

impl PushReport {
    pub fn failed(&self) -> bool {
        self.generated.diagnostics.has_errors()
            || !self.setup_errors.is_empty()
            || self.reports.iter().any(|r| !r.failures.is_empty())
    }

    /// Does the plan change anything (conflicts included)?
    pub fn has_changes(&self) -> bool {
        self.reports
            .iter()
            .flat_map(|r| &r.changes)
            .any(|c| c.action != Action::Unchanged)
    }
}

/// Compiles the project in memory and plans (or applies) it against every
/// configured target.
pub fn push(request: &PushRequest, progress: &crate::push::progress::Progress) -> PushReport {
    push_with_env(request, progress, &|name| std::env::var(name).ok())
}

/// [`push`] with the environment given, for tests.
pub fn push_with_env(
    request: &PushRequest,
    progress: &crate::push::progress::Progress,
    env: &dyn Fn(&str) -> Option<String>,
) -> PushReport {
    let generated = generate(&request.project);
    let mut report = PushReport {
        generated,
        setup_errors: Vec::new(),
        reports: Vec::new(),
    };
    let Some(artifacts) = &report.generated.artifacts else {
        return report;
    };
    let targets = &report.generated.settings.targets;
    // `--only` narrows a run; without it, lookout.yaml's `push:` list says
    // which systems are push targets (build settings alone are not).
    let only = if request.only.is_empty() {
        targets.push.clone().unwrap_or_default()
    } else {
        request.only.clone()
    };
    let resolved = match crate::push::targets::resolve(&report.generated.settings, env, &only) {
        Ok(resolved) => resolved,
        Err(errors) => {
            report.setup_errors = errors;
            return report;
        }
    };
    let targets = match crate::push::build_targets(&resolved, &only, &request.http) {
        Ok(targets) if targets.is_empty() => {
            report.setup_errors.push(
                "no target is configured: add prometheus, grafana, … to lookout.yaml or set LOOKOUT_<TARGET>_URL".into(),
            );
            return report;
        }
        Ok(targets) => targets,
        Err(error) => {
            report.setup_errors.push(error);
            return report;
        }
    };
    let desired = crate::push::Desired::from_artifacts(
        &report.generated.settings.project.name.name,
        artifacts,
    );
    report.reports = crate::push::run(&targets, &desired, &request.run, progress);
    report
}
