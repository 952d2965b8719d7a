//! `check`: compile, emit in memory and compare with the output folder;
//! with `--live`, also ask Prometheus about each SLI.

use super::{build::fingerprint, generate_with, prometheus_endpoint, Generated, Request};
use crate::diag::Diagnostic;
use crate::out::{self, Change};

/// The result of `check`: diagnostics plus drift against the output directory.
pub struct CheckReport {
    pub generated: Generated,
    /// `--deny-warnings` was given.
    pub deny_warnings: bool,
    pub drift: Vec<Change>,
    /// SLOs checked.
    pub slos: usize,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        !self.generated.diagnostics.fail(self.deny_warnings) && self.drift.is_empty()
    }
}

/// `check`; with `live`, also the preflight against the configured
/// Prometheus, whose findings join the diagnostics.
///
/// Without `live`, the last build's cache may answer, as for a no-op
/// `build`: with the same binary and settings, every spec file as that
/// build read it, every output as it wrote it and no other file of
/// lookout's beside them, compiling would give that build's result again:
/// no diagnostic (only such builds are cached) and no drift. A fresh clone
/// has no cache, so CI always compiles.
pub fn check(
    request: &Request,
    live: Option<&crate::push::http::HttpOptions>,
) -> std::io::Result<CheckReport> {
    let configured = crate::check::configure(&request.inputs);
    // The preflight reads the model, so `--live` always compiles.
    if let (None, Ok(configured)) = (live, &configured) {
        let cache = fingerprint(request, configured).and_then(|f| f.unchanged_cache());
        if let Some(cache) = cache {
            let settings = Some(configured.settings.clone());
            return Ok(CheckReport {
                deny_warnings: request.deny_warnings,
                generated: Generated::uncompiled(request, settings, Default::default()),
                drift: Vec::new(),
                slos: cache.slos,
            });
        }
    }
    let mut generated = generate_with(request, configured);
    let drift = match &generated.artifacts {
        Some(artifacts) => out::diff(
            &generated.out_root,
            artifacts,
            &generated.settings.layout.owned_dirs(),
        )?,
        None => Vec::new(),
    };
    if let (Some(http), Some(model)) = (live, &generated.model) {
        let findings =
            prometheus_endpoint(&generated.settings, http, "check --live").and_then(|endpoint| {
                crate::push::preflight::preflight(model, &endpoint, log_rules(&generated.settings))
            });
        match findings {
            Ok(findings) => {
                for finding in findings {
                    generated.diagnostics.push(finding);
                }
            }
            Err(error) => generated
                .diagnostics
                .push(Diagnostic::error("live::unreachable", error)),
        }
        generated.diagnostics.sort();
    }
    let slos = generated.model.as_ref().map_or(0, |m| m.slos().count());
    Ok(CheckReport {
        deny_warnings: request.deny_warnings,
        generated,
        drift,
        slos,
    })
}

/// How log SLOs' Loki rules reach the ruler, for `check --live` and `status`.
pub fn log_rules(settings: &crate::model::settings::Settings) -> crate::push::preflight::LogRules {
    use crate::push::preflight::LogRules;
    if settings.targets.pushes_loki() {
        LogRules::Pushed
    } else {
        LogRules::NotPushed
    }
}
