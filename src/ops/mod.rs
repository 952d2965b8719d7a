//! The operations behind each command, one file a command; `cli` wraps
//! them. Each composes the pipeline's stages and holds no stage's logic:
//! `check` compiles, `jsonnet` evaluates custom dashboards against the
//! model, `emit::project` produces every artifact, `out` compares, stages
//! and commits them (and keeps the build cache), `push` talks to live
//! systems.

mod backtest;
mod build;
mod check;
mod explain;
mod export;
mod gate;
mod import;
mod init;
mod push;
mod report;
mod status;
mod test;

pub use backtest::{backtest, BacktestReport, Backtested};
pub use build::{build, BuildReport};
pub use check::{check, CheckReport};
pub use explain::{explain, ExplainReport, Traffic};
pub use export::{export_openslo, ExportReport, ExportRequest};
pub use gate::{gate, GateReport, Judged, Verdict};
pub use import::{import, ImportFormat, ImportReport, ImportRequest};
pub use init::{init, InstallSource, Scaffolded};
pub use push::{push, push_with_env, PushReport, PushRequest};
pub use report::{report, FiredSpan, Period, ReportReport, Reported};
pub use status::{status, StatusReport};
pub use test::{test, TestReport};

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::check::{Configured, Inputs, Project};
use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::{self, grafana::Dashboard, Artifact, Selection};
use crate::model::settings::Settings;
use crate::model::Model;

/// What `build` and `check` are asked to do.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub inputs: Inputs,
    /// `--out`; default: the config file's directory.
    pub out: Option<PathBuf>,
    /// `--deny-warnings`: a warning fails the command as an error does
    /// (and `build` writes nothing).
    pub deny_warnings: bool,
}

impl Request {
    /// Where outputs go: `--out`, else the project root.
    fn out_root(&self, settings: &Settings) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| settings.project.root.clone())
    }
}

/// What a command compiled, for its report.
pub struct Generated {
    pub diagnostics: Diagnostics,
    pub model: Option<Model>,
    /// Present only when there were no errors, and only for commands that
    /// hold every artifact in memory.
    pub artifacts: Option<Vec<Artifact>>,
    pub out_root: PathBuf,
    /// lookout.yaml lowered (defaults when it did not load).
    pub settings: Settings,
}

impl Generated {
    /// The project compiled into its model and nothing more (no emitter,
    /// no jsonnet): what `status` and `explain` read.
    fn model_only(request: &Request) -> Self {
        match crate::check::configure(&request.inputs) {
            Err(diagnostics) => Generated::uncompiled(request, None, diagnostics),
            Ok(configured) => {
                let settings = configured.settings.clone();
                match configured.compile(&Default::default()) {
                    Ok(project) => Generated::compiled(request, project),
                    Err(diagnostics) => Generated::uncompiled(request, Some(settings), diagnostics),
                }
            }
        }
    }

    /// What a command reports when nothing was compiled: it failed first,
    /// or the build cache answered.
    fn uncompiled(request: &Request, settings: Option<Settings>, diagnostics: Diagnostics) -> Self {
        let settings = settings.unwrap_or_default();
        Generated {
            diagnostics,
            model: None,
            artifacts: None,
            out_root: request.out_root(&settings),
            settings,
        }
    }

    fn compiled(request: &Request, project: Project) -> Self {
        Generated {
            out_root: request.out_root(&project.settings),
            diagnostics: project.diagnostics,
            model: Some(project.model),
            artifacts: None,
            settings: project.settings,
        }
    }

    /// lookout.yaml's path, when one was read.
    pub fn config_path(&self) -> Option<&Path> {
        self.settings
            .project
            .config
            .as_ref()
            .map(|(path, _)| path.as_path())
    }
}

/// A compiled project with its custom dashboards evaluated: all that
/// emitting needs.
struct Ready {
    project: Project,
    customs: Vec<Dashboard>,
}

/// The compile half of every command that emits: the specs, compiled with
/// lookout.yaml as `configured` read it, not parsing again the PromQL of
/// the `trusted` spec files; then the custom jsonnet dashboards, which
/// read the model. `Err`: every problem found, for the report.
fn prepare(
    request: &Request,
    configured: Result<Configured, Diagnostics>,
    trusted: &HashSet<PathBuf>,
) -> Result<Ready, Box<Generated>> {
    let configured = configured.map_err(|d| Box::new(Generated::uncompiled(request, None, d)))?;
    let settings = configured.settings.clone();
    let mut project = configured
        .compile(trusted)
        .map_err(|d| Box::new(Generated::uncompiled(request, Some(settings), d)))?;
    let settings = &project.settings;
    let programs = crate::jsonnet::find_programs(
        &settings
            .project
            .resolve(&settings.layout.dashboards.to_string_lossy()),
    );
    let customs = crate::jsonnet::evaluate_all(
        &programs,
        &project.model,
        settings,
        &mut project.diagnostics,
    );
    if project.diagnostics.has_errors() {
        let diagnostics = std::mem::take(&mut project.diagnostics);
        let generated = Generated::uncompiled(request, Some(project.settings), diagnostics);
        return Err(Box::new(generated));
    }
    Ok(Ready { project, customs })
}

/// Takes a batch of artifacts, each with the spec file it comes from, on
/// the core that emitted it; what it returns goes to the sink, on the
/// calling thread, in a fixed order.
type Process<'a, P> = dyn Fn(Vec<(Option<PathBuf>, Artifact)>) -> std::io::Result<P> + Sync + 'a;

/// Emits every artifact of a ready project (see [`emit::project`]), each
/// batch's warnings joining the project's diagnostics. `Ok(false)`: the
/// project's runbook template failed to render, and says where.
fn emit_ready<P: Send>(
    ready: &mut Ready,
    selection: Selection<'_>,
    process: &Process<'_, P>,
    sink: &mut dyn FnMut(P),
) -> std::io::Result<bool> {
    let project = &mut ready.project;
    let layout = &project.settings.layout;
    let mut warnings = Vec::new();
    let emitted = emit::project(
        &project.model,
        &project.settings,
        std::mem::take(&mut ready.customs),
        selection,
        |batch| {
            let found = emit::kubernetes::large_config_maps(batch.iter().map(|(_, a)| a), layout);
            Ok::<_, EmitFailure>((found, process(batch).map_err(EmitFailure::Io)?))
        },
        |(found, processed)| {
            warnings.extend(found);
            sink(processed);
            Ok(())
        },
    );
    for warning in warnings {
        project.diagnostics.push(warning);
    }
    match emitted {
        Ok(()) => Ok(true),
        Err(EmitFailure::Io(err)) => Err(err),
        Err(EmitFailure::Template(err)) => {
            let diagnostic = template_diagnostic(err, &project.settings, &project.diagnostics);
            project.diagnostics.push(diagnostic);
            Ok(false)
        }
    }
}

/// Why emitting stopped: the project's runbook template, or the sink.
enum EmitFailure {
    Template(emit::runbooks::TemplateError),
    Io(std::io::Error),
}

impl From<emit::runbooks::TemplateError> for EmitFailure {
    fn from(err: emit::runbooks::TemplateError) -> Self {
        EmitFailure::Template(err)
    }
}

/// The runbook template's render error, at its line when known.
fn template_diagnostic(
    err: emit::runbooks::TemplateError,
    settings: &Settings,
    diagnostics: &Diagnostics,
) -> Diagnostic {
    let d = Diagnostic::error("runbook::template", err.message);
    let Some(file) = settings.runbooks.template.as_ref().map(|t| t.file) else {
        return d;
    };
    match err.line {
        Some(line) => {
            let offset = diagnostics
                .sources
                .offset_of(file, line, err.column.unwrap_or(1));
            d.at(crate::diag::Span {
                file,
                offset,
                len: 1,
            })
        }
        None => d.in_path(diagnostics.sources.path(file).to_path_buf()),
    }
}

/// Compiles the project and emits every artifact, without touching disk
/// beyond reading inputs.
pub fn generate(request: &Request) -> Generated {
    generate_with(request, crate::check::configure(&request.inputs))
}

/// [`generate`], with lookout.yaml already read.
fn generate_with(request: &Request, configured: Result<Configured, Diagnostics>) -> Generated {
    let mut ready = match prepare(request, configured, &HashSet::new()) {
        Ok(ready) => ready,
        Err(failed) => return *failed,
    };
    let mut artifacts = Vec::new();
    let emitted = emit_ready(
        &mut ready,
        Selection::default(),
        &|batch| Ok(batch),
        &mut |batch| artifacts.extend(batch.into_iter().map(|(_, artifact)| artifact)),
    );
    // The collecting sink never fails.
    let complete = emitted.unwrap_or(false);
    let mut generated = Generated::compiled(request, ready.project);
    if complete {
        emit::sort_by_path(&mut artifacts);
        generated.artifacts = Some(artifacts);
    }
    generated
}

/// The configured Prometheus's API, for commands that only read it; no
/// other target's credentials are needed.
fn prometheus_endpoint(
    settings: &Settings,
    http: &crate::push::http::HttpOptions,
    command: &str,
) -> Result<crate::push::http::Endpoint, String> {
    let only = ["prometheus".to_string()];
    let resolved = crate::push::targets::resolve(settings, &|name| std::env::var(name).ok(), &only)
        .map_err(|e| e.join("; "))?;
    let prometheus = resolved.prometheus.ok_or(format!(
        "{command} reads Prometheus: set prometheus.url in lookout.yaml or LOOKOUT_PROMETHEUS_URL"
    ))?;
    crate::push::prometheus::endpoint(&prometheus.url, http)
}

/// Relative display of `path` under `root`, for messages.
pub fn display_path(root: &Path, path: &Path) -> String {
    let joined = root.join(path);
    let shown = joined.strip_prefix(".").unwrap_or(&joined);
    shown.display().to_string()
}
