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

/// The outcome of reading and validating a project.
pub struct Compiled {
    pub model: Option<Model>,
    /// lookout.yaml lowered; defaults when it did not load.
    pub settings: Settings,
    pub config: LoadedConfig,
    pub diagnostics: Diagnostics,
}

/// Reads the config and every spec, validates them and lowers them to a model.
pub fn compile(inputs: &Inputs) -> Compiled {
    compile_trusting(inputs, &HashSet::new())
}

/// [`compile`], not parsing again the PromQL of the spec files in
/// `trusted`: files a previous build of this binary, with these settings,
/// compiled without a diagnostic and that have not changed since. Their
/// queries would parse as they did then, and parsing every query is a
/// large part of compiling.
pub fn compile_trusting(inputs: &Inputs, trusted: &HashSet<PathBuf>) -> Compiled {
    compile_specs(inputs, trusted).0
}

/// [`compile`], also returning the parsed specs, for `export`, which
/// writes what the user wrote rather than what it lowered to.
pub fn compile_keeping_specs(inputs: &Inputs) -> (Compiled, Vec<spec::SpecFile>) {
    compile_specs(inputs, &HashSet::new())
}

fn compile_specs(inputs: &Inputs, trusted: &HashSet<PathBuf>) -> (Compiled, Vec<spec::SpecFile>) {
    let mut diagnostics = Diagnostics::default();
    // As cargo finds Cargo.toml: upward from the specs, then here.
    let discovered = match &inputs.config {
        Some(_) => None,
        None => spec::config::discover(inputs.slos.as_deref()),
    };
    let config = spec::config::load(
        inputs.config.as_deref().or(discovered.as_deref()),
        &mut diagnostics,
    );
    let Some(config) = config else {
        diagnostics.sort();
        let compiled = Compiled {
            model: None,
            settings: Settings::default(),
            config: LoadedConfig::default(),
            diagnostics,
        };
        return (compiled, Vec::new());
    };
    let settings = settings::lower(&config, &mut diagnostics);
    let slos_dir = slos_dir(inputs, &config);
    let files = spec::load_dir(&slos_dir, &mut diagnostics);
    let model = lower::lower(&files, &config, &settings, trusted, &mut diagnostics);
    diagnostics.sort();
    let model = if diagnostics.has_errors() {
        None
    } else {
        Some(model)
    };
    let compiled = Compiled {
        model,
        settings,
        config,
        diagnostics,
    };
    (compiled, files)
}

/// Compiles a config and specs held in memory; used by tests and benchmarks.
pub fn compile_texts(
    config: Option<&str>,
    files: &[(&Path, String)],
) -> (Option<Model>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let config = match config {
        Some(text) => {
            match spec::config::parse(
                Path::new("lookout.yaml"),
                text.to_string(),
                &mut diagnostics,
            ) {
                Some(config) => config,
                None => return (None, diagnostics),
            }
        }
        None => LoadedConfig::default(),
    };
    let texts = files
        .iter()
        .map(|(path, text)| (path.to_path_buf(), text.clone()))
        .collect();
    let parsed = spec::parse_spec_files(texts, &mut diagnostics);
    let settings = settings::lower(&config, &mut diagnostics);
    let model = lower::lower(
        &parsed,
        &config,
        &settings,
        &HashSet::new(),
        &mut diagnostics,
    );
    diagnostics.sort();
    if diagnostics.has_errors() {
        (None, diagnostics)
    } else {
        (Some(model), diagnostics)
    }
}

pub fn slos_dir(inputs: &Inputs, config: &LoadedConfig) -> PathBuf {
    match (&inputs.slos, &config.config.slos) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => config.resolve(dir),
        (None, None) => config.resolve("slos"),
    }
}
