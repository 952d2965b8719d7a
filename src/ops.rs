//! The operations behind each command. Commands are thin wrappers over these.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::check::{self, Inputs};
use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::{self, Artifact};
use crate::model::settings::Settings;
use crate::model::Model;
use crate::out::cache::{self, Stamp};
use crate::out::{self, Change};
use crate::plan::Action;

/// What `build` and `check` are asked to do.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub inputs: Inputs,
    /// `--out`; default: the config file's directory.
    pub out: Option<PathBuf>,
}

impl Request {
    /// Where outputs go: `--out`, else the config file's directory.
    fn out_root(&self, config: &crate::spec::config::LoadedConfig) -> PathBuf {
        self.out.clone().unwrap_or_else(|| config.root.clone())
    }
}

/// The specs compiled and emitted in memory.
pub struct Generated {
    pub diagnostics: Diagnostics,
    pub model: Option<Model>,
    /// Present only when there were no errors.
    pub artifacts: Option<Vec<Artifact>>,
    pub out_root: PathBuf,
    /// lookout.yaml lowered: what the emitters and push targets read.
    pub settings: Settings,
    /// lookout.yaml as read for this compile.
    pub config: crate::spec::config::LoadedConfig,
}

/// Compiles the project and emits every artifact, without touching disk
/// beyond reading inputs.
pub fn generate(request: &Request) -> Generated {
    let mut artifacts = Vec::new();
    let streamed = generate_into(
        request,
        None,
        &[],
        &HashSet::new(),
        usize::MAX,
        &|_, _, batch| Ok(batch),
        &mut |batch| artifacts.extend(batch.into_iter().map(|(_, artifact)| artifact)),
    );
    // The collecting sink never fails.
    let mut streamed = streamed.unwrap_or_else(|_| unreachable!("collecting cannot fail"));
    if streamed.complete {
        emit::sort_by_path(&mut artifacts);
        streamed.generated.artifacts = Some(artifacts);
    }
    streamed.generated
}

/// Takes some artifacts, each with the spec file it comes from, the output
/// root and the folders under it that lookout owns, on the core that
/// emitted them; what it returns goes to a [`BatchSink`].
type ChunkProcess<'a, P> =
    dyn Fn(&Path, &[PathBuf], Vec<(Option<PathBuf>, Artifact)>) -> std::io::Result<P> + Sync + 'a;

/// Takes what a [`ChunkProcess`] returned, on the calling thread, in a
/// fixed order.
type BatchSink<'a, P> = dyn FnMut(P) + 'a;

/// What [`generate_into`] did.
struct Streamed {
    /// Without artifacts: the sink took them.
    generated: Generated,
    /// Every artifact reached the sink and nothing failed: no error.
    complete: bool,
}

/// Compiles the project and hands its artifacts to `process`, the
/// services `batch` at a time (see [`emit::emit_batches`]), then the
/// custom jsonnet dashboards and the Kustomization, which need every path;
/// and what `process` returns to `sink`. Stops at the first diagnostic
/// error; `process` may then have taken some artifacts but not all.
fn generate_into<P: Send>(
    request: &Request,
    only: Option<&HashSet<PathBuf>>,
    kept: &[PathBuf],
    trusted: &HashSet<PathBuf>,
    batch: usize,
    process: &ChunkProcess<'_, P>,
    sink: &mut BatchSink<'_, P>,
) -> std::io::Result<Streamed> {
    let compiled = check::compile_trusting(&request.inputs, trusted);
    let mut diagnostics = compiled.diagnostics;
    let config = &compiled.config;
    let out_root = request.out_root(config);
    let settings = compiled.settings;
    let owned_dirs = settings.layout.owned_dirs();
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut complete = false;
    if let (Some(model), false) = (&compiled.model, diagnostics.has_errors()) {
        // On the core that emitted the batch: its warnings and paths, and
        // what `process` makes of it.
        let handle = |batch: Vec<(Option<PathBuf>, Artifact)>| {
            let warnings =
                large_config_map_warnings(batch.iter().map(|(_, a)| a), &settings.layout);
            let batch_paths: Vec<PathBuf> = batch.iter().map(|(_, a)| a.path.clone()).collect();
            let processed = process(&out_root, &owned_dirs, batch)?;
            Ok::<_, std::io::Error>((warnings, batch_paths, processed))
        };
        let mut take = |(warnings, batch_paths, processed): (Vec<Diagnostic>, Vec<PathBuf>, P),
                        diagnostics: &mut Diagnostics,
                        paths: &mut Vec<PathBuf>| {
            for warning in warnings {
                diagnostics.push(warning);
            }
            paths.extend(batch_paths);
            sink(processed);
        };
        let emitted = emit::emit_batches(
            model,
            &settings,
            only,
            batch,
            |batch| handle(batch).map_err(EmitFailure::Io),
            |handled| {
                take(handled, &mut diagnostics, &mut paths);
                Ok(())
            },
        );
        match emitted {
            Ok(()) => {
                // Custom jsonnet dashboards read the compiled model, so they come last.
                let programs = crate::jsonnet::find_programs(
                    &config.resolve(&settings.layout.dashboards.to_string_lossy()),
                );
                let taken: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
                let mut custom = crate::jsonnet::evaluate_all(
                    &programs,
                    model,
                    &settings.layout,
                    &settings.links,
                    &settings.grafana,
                    &taken,
                    &mut diagnostics,
                );
                if !diagnostics.has_errors() {
                    let mut last = crate::emit::kubernetes::emit(
                        &mut custom,
                        &settings.layout,
                        &settings.grafana,
                    );
                    last.extend(crate::emit::grafana::artifacts(custom, &settings.layout));
                    let all = paths
                        .iter()
                        .chain(last.iter().map(|a| &a.path))
                        .chain(kept)
                        .map(PathBuf::as_path);
                    let kustomization =
                        crate::emit::kubernetes::kustomization(all, &settings.layout);
                    last.push(kustomization);
                    let last = last.into_iter().map(|a| (None, a)).collect();
                    take(handle(last)?, &mut diagnostics, &mut paths);
                    complete = true;
                }
            }
            Err(EmitFailure::Io(err)) => return Err(err),
            Err(EmitFailure::Template(err)) => {
                let mut d = Diagnostic::error("runbook::template", err.message);
                match (
                    settings.runbooks.template.as_ref().map(|t| t.file),
                    err.line,
                ) {
                    (Some(file), Some(line)) => {
                        let offset =
                            diagnostics
                                .sources
                                .offset_of(file, line, err.column.unwrap_or(1));
                        d = d.at(crate::diag::Span {
                            file,
                            offset,
                            len: 1,
                        });
                    }
                    (Some(file), None) => {
                        d = d.in_path(diagnostics.sources.path(file).to_path_buf())
                    }
                    _ => {}
                }
                diagnostics.push(d);
            }
        }
    }
    Ok(Streamed {
        generated: Generated {
            diagnostics,
            model: compiled.model,
            artifacts: None,
            out_root,
            settings,
            config: compiled.config,
        },
        complete,
    })
}

/// Why emitting stopped: the project's runbook template, or the sink.
enum EmitFailure {
    Template(crate::emit::runbooks::TemplateError),
    Io(std::io::Error),
}

impl From<crate::emit::runbooks::TemplateError> for EmitFailure {
    fn from(err: crate::emit::runbooks::TemplateError) -> Self {
        EmitFailure::Template(err)
    }
}

/// Client-side `kubectl apply` keeps the whole object in its
/// last-applied annotation, and annotations are capped at 256 KiB, so a
/// larger ConfigMap only applies server-side.
fn large_config_map_warnings<'a>(
    artifacts: impl Iterator<Item = &'a Artifact>,
    layout: &crate::model::settings::Layout,
) -> Vec<Diagnostic> {
    const ANNOTATION_LIMIT: usize = 256 * 1024;
    let dir = layout.kubernetes.join("grafana-dashboards");
    let mut warnings = Vec::new();
    for artifact in artifacts {
        let size = artifact.contents.len();
        if size > ANNOTATION_LIMIT && artifact.path.starts_with(&dir) {
            warnings.push(
                Diagnostic::warning(
                    "kubernetes::large-configmap",
                    format!(
                        "this ConfigMap is {} KiB, above the 256 KiB that client-side `kubectl apply` can record",
                        size.div_ceil(1024)
                    ),
                )
                .in_path(artifact.path.clone())
                .help("apply it with `kubectl apply --server-side -f`, as its header says"),
            );
        }
    }
    warnings
}

/// The result of `build`.
pub struct BuildReport {
    pub generated: Generated,
    /// What was written or removed; empty when the specs were invalid.
    pub changes: Vec<Change>,
    pub unchanged: usize,
    pub slos: usize,
    pub services: usize,
}

/// What `build` reads, found without compiling: the key of everything but
/// the spec files, and the spec files with their stamps.
struct Fingerprint {
    key: u64,
    out_root: PathBuf,
    /// Where lookout writes, for files that appeared there since.
    owned_dirs: Vec<PathBuf>,
    specs: Vec<(PathBuf, Stamp)>,
    /// Holds lookout.yaml, for messages naming it.
    diagnostics: Diagnostics,
    config: crate::spec::config::LoadedConfig,
}

impl Fingerprint {
    /// `None` when anything is off (a config problem, an unreadable
    /// folder): then the full build reports it.
    fn take(request: &Request) -> Option<Fingerprint> {
        let mut diagnostics = Diagnostics::default();
        let discovered = match &request.inputs.config {
            Some(_) => None,
            None => crate::spec::config::discover(request.inputs.slos.as_deref()),
        };
        let config_path = request.inputs.config.clone().or(discovered);
        let config = crate::spec::config::load(config_path.as_deref(), &mut diagnostics)?;
        let slos_dir = check::slos_dir(&request.inputs, &config);
        let specs = crate::spec::find_spec_files(&slos_dir, &mut diagnostics);
        if !diagnostics.items.is_empty() {
            return None;
        }
        let out_root = request.out_root(&config);
        let layout = check::settings::layout(&config);
        let mut key = cache::Key::new();
        key.add((
            &request.inputs.config,
            &request.inputs.slos,
            &out_root,
            &slos_dir,
        ));
        if let Some(file) = config.file {
            key.add(diagnostics.sources.path(file));
            key.add(diagnostics.sources.text(file));
        }
        if let Some(template) = &config.config.runbooks.template {
            key.add_file(&config.resolve(&template.value));
        }
        // jsonnet programs, the libraries beside them and every file they
        // import, wherever it lives (a vendored grafonnet).
        let dashboards = config.resolve(&layout.dashboards.to_string_lossy());
        let programs = crate::jsonnet::find_files(&dashboards, &["jsonnet", "libsonnet"]);
        for program in &crate::jsonnet::import_closure(&programs, &dashboards) {
            key.add_file(program);
        }
        let specs = specs
            .into_iter()
            .map(|path| Stamp::of(&path).map(|stamp| (path, stamp)))
            .collect::<Option<Vec<_>>>()?;
        Some(Fingerprint {
            key: key.finish(),
            owned_dirs: layout.owned_dirs(),
            out_root,
            specs,
            diagnostics,
            config,
        })
    }

    /// The spec inputs as of now, and the files that changed, appeared or
    /// disappeared since `cache`.
    fn compare(&self, cache: &cache::BuildCache) -> (Vec<cache::Input>, HashSet<PathBuf>) {
        let cached: HashMap<&Path, &cache::Input> =
            cache.inputs.iter().map(|i| (i.path.as_path(), i)).collect();
        let mut inputs = Vec::with_capacity(self.specs.len());
        // Files gone since: a set, as this runs on every build.
        let present: HashSet<&Path> = self.specs.iter().map(|(p, _)| p.as_path()).collect();
        let mut changed: HashSet<PathBuf> = cache
            .inputs
            .iter()
            .filter(|i| !present.contains(i.path.as_path()))
            .map(|i| i.path.clone())
            .collect();
        for (path, stamp) in &self.specs {
            let before = cached.get(path.as_path());
            if let Some(before) = before.filter(|b| b.stamp == *stamp) {
                inputs.push((*before).clone());
                continue;
            }
            let hash = std::fs::read(path).map_or(0, |bytes| cache::hash_bytes(&bytes));
            if before.is_none_or(|b| b.hash != hash) {
                changed.insert(path.clone());
            }
            inputs.push(cache::Input {
                path: path.clone(),
                stamp: *stamp,
                hash,
            });
        }
        (inputs, changed)
    }

    /// What a command answered from the cache reports: nothing compiled.
    fn into_generated(self) -> Generated {
        Generated {
            diagnostics: self.diagnostics,
            model: None,
            artifacts: None,
            out_root: self.out_root,
            settings: Settings::default(),
            config: self.config,
        }
    }

    /// The last build's cache, when it can stand in for what is on disk:
    /// built from the same inputs but the specs, every output it lists as
    /// that build left it (one stat per file, on every core), and no other
    /// file lookout could own under the output folders (a branch switch
    /// can bring back one that no spec generates any more).
    fn trusted_cache(&self) -> Option<cache::BuildCache> {
        let cache = cache::load(&self.out_root)?;
        if cache.key != self.key {
            return None;
        }
        let root = &self.out_root;
        let intact = crate::parallel::map_chunks(&cache.outputs, 256, |chunk| {
            chunk
                .iter()
                .all(|o| Stamp::of(&root.join(&o.path)) == Some(o.stamp))
        });
        if !intact.into_iter().all(|intact| intact) {
            return None;
        }
        let listed: HashSet<&Path> = cache.outputs.iter().map(|o| o.path.as_path()).collect();
        let on_disk = out::owned_files(root, &self.owned_dirs).ok()?;
        // A file the user keeps there (a hand-written runbook) is fine.
        let unlisted_owned = on_disk
            .iter()
            .filter(|path| !listed.contains(path.as_path()))
            .any(|path| out::owns_file(&root.join(path)).unwrap_or(true));
        (!unlisted_owned).then_some(cache)
    }
}

/// Compiles and writes. Writes nothing when any spec is invalid, and
/// refuses to overwrite a file lookout does not own.
///
/// With a build cache from the same inputs and intact outputs, a build
/// with no spec changed compiles nothing, and one with a few changed
/// re-emits only their services and the project-wide artifacts. `check`
/// takes the first shortcut only (`check_from_cache`).
pub fn build(request: &Request) -> std::io::Result<BuildReport> {
    let fingerprint = Fingerprint::take(request);
    let trusted = fingerprint.as_ref().and_then(Fingerprint::trusted_cache);
    let Some(fingerprint) = fingerprint else {
        return build_some(request, None, None);
    };
    let Some(cache) = trusted else {
        return build_some(request, Some(&fingerprint), None);
    };
    let (inputs, changed) = fingerprint.compare(&cache);
    if !changed.is_empty() {
        return build_some(request, Some(&fingerprint), Some((cache, inputs, changed)));
    }
    if inputs != cache.inputs {
        // Stamps moved without a change (a checkout, a touch): record them.
        let refreshed = cache::BuildCache {
            inputs,
            ..cache.clone()
        };
        cache::save(&fingerprint.out_root, &refreshed)?;
    }
    Ok(BuildReport {
        unchanged: cache.outputs.len(),
        slos: cache.slos,
        services: cache.services,
        changes: Vec::new(),
        generated: fingerprint.into_generated(),
    })
}

/// What the last build left, when its cache is trusted: the cache, the spec
/// inputs as of now, and the spec files changed since.
type Previous = (cache::BuildCache, Vec<cache::Input>, HashSet<PathBuf>);

/// The compiling build: of everything, or with `previous`, of the services
/// of the changed spec files (and the project-wide artifacts), the other
/// outputs being intact.
fn build_some(
    request: &Request,
    fingerprint: Option<&Fingerprint>,
    previous: Option<Previous>,
) -> std::io::Result<BuildReport> {
    let changed = previous.as_ref().map(|(_, _, changed)| changed);
    // From a changed file or project-wide: what may have gone stale.
    let from_changed = |output: &&cache::Output| {
        output
            .source
            .as_ref()
            .is_none_or(|source| changed.is_some_and(|c| c.contains(source)))
    };
    // The outputs of unchanged spec files, untouched.
    let carried: Vec<cache::Output> = previous
        .as_ref()
        .map(|(cache, _, _)| {
            cache
                .outputs
                .iter()
                .filter(|o| !from_changed(o))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let kept: Vec<PathBuf> = carried.iter().map(|o| o.path.clone()).collect();
    // Unchanged spec files the trusted cache vouches for.
    let trusted: HashSet<PathBuf> = previous
        .as_ref()
        .map(|(_, inputs, changed)| {
            inputs
                .iter()
                .map(|input| input.path.clone())
                .filter(|path| !changed.contains(path))
                .collect()
        })
        .unwrap_or_default();
    // Each batch is compared and staged (written to temporary files), then
    // dropped: only paths outlive it. Nothing is renamed into place until
    // every batch is staged without a conflict, so a refused or failed
    // build writes nothing.
    // Without a cache, every owned file is a candidate to go stale. Listed
    // before staging: in a cold build the folders are then empty or
    // absent, where afterwards the walk met every file just staged.
    let listed = match (&previous, fingerprint) {
        (None, Some(fingerprint)) => Some((
            fingerprint.out_root.clone(),
            out::owned_files(&fingerprint.out_root, &fingerprint.owned_dirs)?,
        )),
        _ => None,
    };
    // Each core compares and stages its own services as soon as it has
    // emitted them; the folders found absent and the staged files are
    // shared. After a conflict, nothing more is staged (and all of it is
    // abandoned below), but comparing goes on, to report every conflict.
    let staged = std::sync::Mutex::new(out::Staged::default());
    let missing_folders = std::sync::Mutex::new(HashSet::new());
    let conflicted = std::sync::atomic::AtomicBool::new(false);
    let process = |root: &Path,
                   owned_dirs: &[PathBuf],
                   batch: Vec<(Option<PathBuf>, Artifact)>|
     -> std::io::Result<Compared> {
        let (sources, artifacts): (Vec<Option<PathBuf>>, Vec<Artifact>) = batch.into_iter().unzip();
        let found = out::compare_shared_batch(root, &artifacts, &missing_folders)?;
        let conflicts: Vec<PathBuf> = found
            .iter()
            .filter(|c| c.action == Action::Conflict)
            .map(|c| c.path.clone())
            .collect();
        if !conflicts.is_empty() {
            conflicted.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if !conflicted.load(std::sync::atomic::Ordering::Relaxed) {
            out::Staged::stage_shared(&staged, root, &found, owned_dirs)?;
        }
        Ok(Compared {
            conflicts,
            outputs: artifacts.into_iter().map(|a| a.path).zip(sources).collect(),
            // What the report needs; the text goes with the artifacts.
            changes: found
                .into_iter()
                .map(|c| Change {
                    current: None,
                    wanted: None,
                    ..c
                })
                .collect(),
        })
    };
    let mut changes: Vec<Change> = Vec::new();
    let mut conflicts: Vec<PathBuf> = Vec::new();
    let mut outputs: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    let streamed = generate_into(
        request,
        changed,
        &kept,
        &trusted,
        BUILD_BATCH,
        &process,
        &mut |compared| {
            conflicts.extend(compared.conflicts);
            outputs.extend(compared.outputs);
            changes.extend(compared.changes);
        },
    );
    let staged = staged
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut streamed = match streamed {
        Ok(streamed) => streamed,
        Err(err) => {
            staged.abandon();
            return Err(err);
        }
    };
    let (slos, services) = streamed
        .generated
        .model
        .as_ref()
        .map_or((0, 0), |m| (m.slos().count(), m.services.len()));
    let report = |generated, changes, unchanged| BuildReport {
        generated,
        changes,
        unchanged,
        slos,
        services,
    };
    if !streamed.complete {
        staged.abandon();
        return Ok(report(streamed.generated, Vec::new(), 0));
    }
    let generated = &mut streamed.generated;
    let root = generated.out_root.clone();
    if !conflicts.is_empty() {
        staged.abandon();
        conflicts.sort();
        for path in conflicts {
            generated.diagnostics.push(
                Diagnostic::error(
                    "out::not-owned",
                    "refusing to overwrite a file lookout did not generate",
                )
                .in_path(root.join(&path))
                .help(format!(
                    "move it away, or add `{}` to its first line to hand it to lookout",
                    emit::GENERATED_MARKER
                )),
            );
        }
        return Ok(report(streamed.generated, Vec::new(), 0));
    }
    let candidates = match &previous {
        Some((cache, _, _)) => cache
            .outputs
            .iter()
            .filter(from_changed)
            .map(|o| o.path.clone())
            .collect(),
        None => match listed {
            Some((listed_root, files)) if listed_root == root => files,
            _ => out::owned_files(&root, &generated.settings.layout.owned_dirs())?,
        },
    };
    let written: HashSet<&Path> = outputs.iter().map(|(path, _)| path.as_path()).collect();
    let deletes = out::stale(&root, &candidates, &written)?;
    staged.commit(&root, &deletes)?;
    let rewritten = changes.len();
    changes.extend(deletes.into_iter().map(|c| Change { current: None, ..c }));
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let unchanged = carried.len() + outputs.len() - rewritten;
    // Only a build without a single diagnostic is cached, so a skipped
    // build never hides a warning.
    let cacheable = fingerprint.filter(|_| generated.diagnostics.items.is_empty());
    match cacheable {
        Some(fingerprint) => {
            let inputs = match previous {
                Some((_, inputs, _)) => inputs,
                None => spec_inputs(fingerprint, &generated.diagnostics),
            };
            let mut cached = carried;
            for chunk in crate::parallel::map_chunks(&outputs, 256, |chunk| {
                chunk
                    .iter()
                    .map(|(path, source)| {
                        Some(cache::Output {
                            stamp: Stamp::of(&root.join(path))?,
                            source: source.clone(),
                            path: path.clone(),
                        })
                    })
                    .collect::<Option<Vec<_>>>()
            }) {
                match chunk {
                    Some(chunk) => cached.extend(chunk),
                    None => {
                        cache::discard(&root)?;
                        return Ok(report(streamed.generated, changes, unchanged));
                    }
                }
            }
            let cache = cache::BuildCache {
                key: fingerprint.key,
                slos,
                services,
                inputs,
                outputs: cached,
            };
            cache::save(&root, &cache)?;
        }
        None => cache::discard(&root)?,
    }
    Ok(report(streamed.generated, changes, unchanged))
}

/// What comparing and staging some artifacts leaves for the report and
/// the cache: paths, not text.
struct Compared {
    conflicts: Vec<PathBuf>,
    /// Each artifact's path and the spec file it comes from.
    outputs: Vec<(PathBuf, Option<PathBuf>)>,
    changes: Vec<Change>,
}

/// Services a build emits at a time, each core comparing and staging its
/// share: a cold 10,000-SLO build holds at most a batch's output (about
/// 25 MiB here) rather than all 403 MiB.
const BUILD_BATCH: usize = 64;

/// The spec files as this compile read them: the stamps taken before, the
/// hashes of the text read.
fn spec_inputs(fingerprint: &Fingerprint, diagnostics: &Diagnostics) -> Vec<cache::Input> {
    let texts: HashMap<&Path, &str> = diagnostics.sources.files().collect();
    fingerprint
        .specs
        .iter()
        .map(|(path, stamp)| cache::Input {
            path: path.clone(),
            stamp: *stamp,
            hash: texts
                .get(path.as_path())
                .map_or(0, |text| cache::hash_bytes(text.as_bytes())),
        })
        .collect()
}

/// The result of `check`: diagnostics plus drift against the output directory.
pub struct CheckReport {
    pub generated: Generated,
    pub drift: Vec<Change>,
    /// SLOs checked.
    pub slos: usize,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        !self.generated.diagnostics.has_errors() && self.drift.is_empty()
    }
}

/// `check`; with `live`, also the preflight against the configured
/// Prometheus, whose findings join the diagnostics.
pub fn check(
    request: &Request,
    live: Option<&crate::push::http::HttpOptions>,
) -> std::io::Result<CheckReport> {
    // The preflight reads the model, so `--live` always compiles.
    if live.is_none() {
        if let Some(report) = check_from_cache(request) {
            return Ok(report);
        }
    }
    let mut generated = generate(request);
    let drift = match &generated.artifacts {
        Some(artifacts) => out::diff(
            &generated.out_root,
            artifacts,
            &generated.settings.layout.owned_dirs(),
        )?,
        None => Vec::new(),
    };
    if let (Some(http), Some(model)) = (live, &generated.model) {
        let findings = prometheus_endpoint(&generated.settings.targets, http, "check --live")
            .and_then(|endpoint| crate::push::preflight::preflight(model, &endpoint));
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
        generated,
        drift,
        slos,
    })
}

/// `check` answered by the last build's cache, as a no-op `build` is. With
/// the same binary and settings, every spec file as that build read it,
/// every output as it wrote it and no other file of lookout's beside them,
/// compiling would give that build's result again: no diagnostic (only
/// such builds are cached) and no drift. A fresh clone has no cache, so CI
/// always compiles.
fn check_from_cache(request: &Request) -> Option<CheckReport> {
    let fingerprint = Fingerprint::take(request)?;
    let cache = fingerprint.trusted_cache()?;
    let (_, changed) = fingerprint.compare(&cache);
    changed.is_empty().then(|| CheckReport {
        generated: fingerprint.into_generated(),
        drift: Vec::new(),
        slos: cache.slos,
    })
}

/// The configured Prometheus's API, for commands that only read it; no
/// other target's credentials are needed.
fn prometheus_endpoint(
    targets: &crate::model::settings::TargetSettings,
    http: &crate::push::http::HttpOptions,
    command: &str,
) -> Result<crate::push::http::Endpoint, String> {
    let only = ["prometheus".to_string()];
    let resolved = crate::push::targets::resolve(targets, &|name| std::env::var(name).ok(), &only)
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
    // `--only` narrows a run; without it, lookout.yaml's `push:` list says
    // which systems are push targets (build settings alone are not).
    let only = if request.only.is_empty() {
        report
            .generated
            .settings
            .targets
            .push
            .clone()
            .unwrap_or_default()
    } else {
        request.only.clone()
    };
    let resolved =
        match crate::push::targets::resolve(&report.generated.settings.targets, env, &only) {
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
    let desired = crate::push::Desired::from_artifacts(artifacts);
    report.reports = crate::push::run(&targets, &desired, &request.run, progress);
    report
}

/// The result of `status`.
pub struct StatusReport {
    pub generated: Generated,
    pub error: Option<String>,
    pub slos: Vec<crate::push::status::SloStatus>,
}

/// Reads every SLO's state from Prometheus.
pub fn status(request: &Request, http: &crate::push::http::HttpOptions) -> StatusReport {
    // The model is all status reads: no emitter, no jsonnet.
    let compiled = check::compile(&request.inputs);
    let generated = Generated {
        out_root: request.out_root(&compiled.config),
        settings: compiled.settings,
        diagnostics: compiled.diagnostics,
        model: compiled.model,
        artifacts: None,
        config: compiled.config,
    };
    let mut report = StatusReport {
        generated,
        error: None,
        slos: Vec::new(),
    };
    let Some(model) = &report.generated.model else {
        return report;
    };
    let result = prometheus_endpoint(&report.generated.settings.targets, http, "status")
        .and_then(|endpoint| crate::push::status::status(model, &endpoint));
    match result {
        Ok(slos) => report.slos = slos,
        Err(error) => report.error = Some(error),
    }
    report
}

/// The files `lookout init` scaffolds: path under the project, contents.
const SCAFFOLD: &[(&str, &str)] = &[
    ("lookout.yaml", include_str!("cli/templates/lookout.yaml")),
    (
        "slos/example.yaml",
        include_str!("cli/templates/example.yaml"),
    ),
    (
        ".github/workflows/lookout.yml",
        include_str!("cli/templates/github-workflow.yml"),
    ),
    (
        "ci/lookout.gitlab-ci.yml",
        include_str!("cli/templates/gitlab-ci.yml"),
    ),
];

/// `lookout init`: writes the scaffold into `dir`, leaving every file that
/// exists alone. Returns each path and whether it was written.
pub fn init(dir: &Path) -> std::io::Result<Vec<(PathBuf, bool)>> {
    let mut done = Vec::new();
    for (path, contents) in SCAFFOLD {
        let target = dir.join(path);
        let written = !target.exists();
        if written {
            out::write_atomic(&target, contents)?;
        }
        done.push((target, written));
    }
    Ok(done)
}

/// What `lookout import` is asked to do.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// Source files, or folders searched for `*.yaml`/`*.yml`.
    pub paths: Vec<PathBuf>,
    /// Where the lookout specs go.
    pub out: PathBuf,
    pub format: ImportFormat,
}

/// The format `lookout import` reads.
#[derive(Debug, Clone)]
pub enum ImportFormat {
    Sloth(crate::import::SlothOptions),
    Openslo,
}

/// The result of an import: diagnostics, and each spec file with what was
/// done to it (created, or unchanged when it already held that text).
pub struct ImportReport {
    pub diagnostics: Diagnostics,
    pub files: Vec<(PathBuf, Action, usize)>,
    /// Every alert severity the imported specs name.
    pub severities: std::collections::BTreeSet<String>,
}

/// `lookout import`: reads every Sloth or OpenSLO file, converts them,
/// and writes one lookout spec per service into `out` through `out`.
/// Writes nothing when anything is an error, and never overwrites a file.
pub fn import(request: &ImportRequest) -> std::io::Result<ImportReport> {
    let mut diagnostics = Diagnostics::default();
    let mut paths = Vec::new();
    for path in &request.paths {
        if path.is_dir() {
            paths.extend(crate::spec::find_spec_files(path, &mut diagnostics));
        } else {
            paths.push(path.clone());
        }
    }
    let texts: Vec<(PathBuf, String)> = paths
        .iter()
        .filter_map(|path| {
            Some((
                path.clone(),
                crate::spec::read_text(path, &mut diagnostics)?,
            ))
        })
        .collect();
    let imported = match &request.format {
        ImportFormat::Sloth(options) => {
            let files: Vec<_> = texts
                .into_iter()
                .map(|(path, text)| crate::spec::sloth::parse(&path, text, &mut diagnostics))
                .collect();
            crate::import::sloth(&files, options, &mut diagnostics)
        }
        ImportFormat::Openslo => {
            let files: Vec<_> = texts
                .into_iter()
                .map(|(path, text)| crate::spec::openslo::parse(&path, text, &mut diagnostics))
                .collect();
            crate::import::openslo(&files, &mut diagnostics)
        }
    };
    let mut report = ImportReport {
        diagnostics,
        files: Vec::new(),
        severities: imported
            .iter()
            .flat_map(|spec| spec.severities.iter().cloned())
            .collect(),
    };
    if report.diagnostics.has_errors() {
        return Ok(report);
    }
    let mut changes = Vec::new();
    for spec in &imported {
        let name = PathBuf::from(format!("{}.yaml", spec.service));
        let action = match out::compare_file(&request.out, &name, &spec.text)? {
            None => Action::Unchanged,
            Some(change) if change.action == Action::Create => {
                changes.push(change);
                Action::Create
            }
            Some(_) => {
                report.diagnostics.push(
                    Diagnostic::error(
                        "import::exists",
                        format!(
                            "`{}` exists; lookout import never overwrites a spec",
                            spec.service
                        ),
                    )
                    .in_path(request.out.join(&name))
                    .help(
                        "move it away, or import into another folder with --out and merge by hand",
                    ),
                );
                Action::Conflict
            }
        };
        report
            .files
            .push((request.out.join(&name), action, spec.slos));
    }
    if report.diagnostics.has_errors() {
        report.files.clear();
        return Ok(report);
    }
    out::apply(&request.out, &changes)?;
    Ok(report)
}

/// What `lookout export openslo` is asked to do.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub inputs: check::Inputs,
    /// Where the OpenSLO files go, one `<service>.yaml` each.
    pub out: PathBuf,
}

/// The result of an export: diagnostics, and each file with what was done.
pub struct ExportReport {
    pub diagnostics: Diagnostics,
    pub files: Vec<(PathBuf, Action, usize)>,
}

/// `lookout export openslo`: compiles the project, then writes every SLO
/// OpenSLO can express. Nothing is written when the specs do not compile,
/// or when a file in the way is not one lookout wrote.
pub fn export_openslo(request: &ExportRequest) -> std::io::Result<ExportReport> {
    let (compiled, specs) = check::compile_keeping_specs(&request.inputs);
    let mut report = ExportReport {
        diagnostics: compiled.diagnostics,
        files: Vec::new(),
    };
    let Some(model) = compiled.model else {
        return Ok(report);
    };
    let exported = crate::export::openslo(&specs, &model, &mut report.diagnostics);
    let mut changes = Vec::new();
    for file in &exported {
        let name = PathBuf::from(format!("{}.yaml", file.service));
        let action = match out::compare_file(&request.out, &name, &file.text)? {
            None => Action::Unchanged,
            Some(change) if change.action == Action::Conflict => {
                report.diagnostics.push(
                    Diagnostic::error(
                        "export::exists",
                        "this file exists and was not written by lookout",
                    )
                    .in_path(request.out.join(&name))
                    .help("move it away, or export into another folder with --out"),
                );
                Action::Conflict
            }
            Some(change) => {
                let action = change.action;
                changes.push(change);
                action
            }
        };
        report
            .files
            .push((request.out.join(&name), action, file.slos));
    }
    if report.diagnostics.has_errors() {
        report.files.clear();
        return Ok(report);
    }
    out::apply(&request.out, &changes)?;
    Ok(report)
}
