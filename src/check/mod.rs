//! Validation and lowering: spanned spec trees to the [`Model`].
//!
//! Every check reports a [`Diagnostic`](crate::diag::Diagnostic) with the spec's location and carries
//! on, so one run lists every problem. A model is returned only when no
//! error was found; warnings do not block it.

mod logql;
mod lower;
pub mod settings;

pub(crate) use lower::{is_service_name, is_slo_name};
pub mod promql;
pub mod template;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostics;
use crate::model::settings::Settings;
use crate::model::Model;
use crate::spec::{self, config::LoadedConfig};

/// What `compile` needs to know about the project.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--config`, or `None` for `./lookout.yaml` when present.
    pub config: Option<PathBuf>,
    /// `--slos`, overriding the config's `slos`.
    pub slos: Option<PathBuf>,
}

/// A project that compiled: every spec valid, lookout.yaml lowered. This
/// is all that downstream stages see; the raw config stays here.
pub struct Project {
    pub model: Model,
    pub settings: Settings,
    /// Warnings only, with the sources they point into.
    pub diagnostics: Diagnostics,
}

/// lookout.yaml read and lowered, the specs not read yet: enough for a
/// build to tell, before compiling, whether its cache still holds.
pub struct Configured {
    pub settings: Settings,
    /// lookout.yaml's problems, if any; they fail the compile, but the
    /// specs are still checked, so one run reports both.
    pub diagnostics: Diagnostics,
}

/// Reads the config and every spec, validates them and lowers them to a
/// model; or every problem found.
pub fn compile(inputs: &Inputs) -> Result<Project, Diagnostics> {
    configure(inputs)?.compile(&HashSet::new())
}

/// Reads and lowers lookout.yaml, found as cargo finds Cargo.toml (upward
/// from `--slos`, then here) unless `--config` names it. Fails only when it
/// cannot be read or parsed: its specs' checks depend on it.
pub fn configure(inputs: &Inputs) -> Result<Configured, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let discovered = match &inputs.config {
        Some(_) => None,
        None => spec::config::discover(inputs.slos.as_deref()),
    };
    let Some(config) = spec::config::load(
        inputs.config.as_deref().or(discovered.as_deref()),
        &mut diagnostics,
    ) else {
        diagnostics.sort();
        return Err(diagnostics);
    };
    let settings = settings::lower(&config, inputs.slos.as_deref(), &mut diagnostics);
    Ok(Configured {
        settings,
        diagnostics,
    })
}

impl Configured {
    /// Compiles the specs, not parsing again the PromQL of the spec files
    /// in `trusted`: files a previous build of this binary, with these
    /// settings, compiled without a diagnostic and that have not changed
    /// since. Their queries would parse as they did then, and parsing
    /// every query is a large part of compiling.
    pub fn compile(self, trusted: &HashSet<PathBuf>) -> Result<Project, Diagnostics> {
        self.compile_keeping_specs(trusted)
            .map(|(project, _)| project)
    }

    /// [`Self::compile`], also returning the parsed specs, for `export`,
    /// which writes what the user wrote rather than what it lowered to.
    pub fn compile_keeping_specs(
        self,
        trusted: &HashSet<PathBuf>,
    ) -> Result<(Project, Vec<spec::SpecFile>), Diagnostics> {
        let Configured {
            settings,
            mut diagnostics,
        } = self;
        let files = spec::load_dir(&settings.project.slos_dir, &mut diagnostics);
        let model = lower::lower(&files, &settings, trusted, &mut diagnostics);
        finish(model, settings, diagnostics).map(|project| (project, files))
    }
}

fn finish(
    model: Model,
    settings: Settings,
    mut diagnostics: Diagnostics,
) -> Result<Project, Diagnostics> {
    diagnostics.sort();
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(Project {
            model,
            settings,
            diagnostics,
        })
    }
}

/// Compiles a config and specs held in memory; used by tests and benchmarks.
pub fn compile_texts(
    config: Option<&str>,
    files: &[(&Path, String)],
) -> Result<Project, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let config = match config {
        Some(text) => {
            let parsed = spec::config::parse(
                Path::new("lookout.yaml"),
                text.to_string(),
                &mut diagnostics,
            );
            match parsed {
                Some(config) => config,
                None => return Err(diagnostics),
            }
        }
        None => LoadedConfig::default(),
    };
    let texts = files
        .iter()
        .map(|(path, text)| (path.to_path_buf(), text.clone()))
        .collect();
    let parsed = spec::parse_spec_files(texts, &mut diagnostics);
    let settings = settings::lower(&config, None, &mut diagnostics);
    let model = lower::lower(&parsed, &settings, &HashSet::new(), &mut diagnostics);
    finish(model, settings, diagnostics)
}
