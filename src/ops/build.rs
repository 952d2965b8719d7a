//! `build`: compile, emit, and write what changed, through the build
//! cache. lookout.yaml is read once, for the cache's key and the compile.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{emit_ready, prepare, Generated, Request};
use crate::check::Configured;
use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::{self, Selection};
use crate::out::cache::{self, Fingerprint};
use crate::out::{self, Change, Session};
use crate::plan::Action;

/// The result of `build`.
pub struct BuildReport {
    pub generated: Generated,
    /// What was written or removed; empty when the specs were invalid.
    pub changes: Vec<Change>,
    pub unchanged: usize,
    pub slos: usize,
    pub services: usize,
}

/// Services a build emits at a time, each core comparing and staging its
/// share: a cold 10,000-SLO build holds at most a batch's output (about
/// 25 MiB here) rather than all 403 MiB.
const BUILD_BATCH: usize = 64;

/// The build cache's view of a project, from lookout.yaml as `configured`
/// read it: `None` when anything is off (a config problem, an unreadable
/// folder), and then the full build reports it.
pub(super) fn fingerprint(request: &Request, configured: &Configured) -> Option<Fingerprint> {
    if !configured.diagnostics.items.is_empty() {
        return None;
    }
    let settings = &configured.settings;
    let mut diagnostics = Diagnostics::default();
    let specs = crate::spec::find_spec_files(&settings.project.slos_dir, &mut diagnostics);
    if !diagnostics.items.is_empty() {
        return None;
    }
    let out_root = request.out_root(settings);
    let mut key = cache::Key::new();
    key.add((
        &request.inputs.config,
        &request.inputs.slos,
        &out_root,
        &settings.project.slos_dir,
    ));
    if let Some((path, file)) = &settings.project.config {
        key.add(path);
        key.add(configured.diagnostics.sources.text(*file));
    }
    if let Some(template) = &settings.runbooks.template {
        key.add(&template.text);
    }
    // jsonnet programs, the libraries beside them and every file they
    // import, wherever it lives (a vendored grafonnet).
    let dashboards = settings
        .project
        .resolve(&settings.layout.dashboards.to_string_lossy());
    let programs = crate::jsonnet::find_files(&dashboards, &["jsonnet", "libsonnet"]);
    for program in &crate::jsonnet::import_closure(&programs, &dashboards) {
        key.add_file(program);
    }
    Fingerprint::new(key.finish(), out_root, settings.layout.owned_dirs(), specs)
}

/// Compiles and writes. Writes nothing when any spec is invalid, and
/// refuses to overwrite a file lookout does not own.
///
/// With a build cache from the same inputs and intact outputs, a build
/// with no spec changed compiles nothing, and one with a few changed
/// re-emits only their services and the project-wide artifacts.
pub fn build(request: &Request) -> std::io::Result<BuildReport> {
    let configured = crate::check::configure(&request.inputs);
    let fingerprint = configured
        .as_ref()
        .ok()
        .and_then(|configured| fingerprint(request, configured));
    let trusted = fingerprint.as_ref().and_then(Fingerprint::trusted_cache);
    let (Some(fingerprint), Some(cache)) = (&fingerprint, trusted) else {
        return build_some(request, configured, fingerprint.as_ref(), None);
    };
    let (inputs, changed) = fingerprint.compare(&cache);
    if !changed.is_empty() {
        let previous = cache::Incremental {
            cache,
            inputs,
            changed,
        };
        return build_some(request, configured, Some(fingerprint), Some(previous));
    }
    if inputs != cache.inputs {
        // Stamps moved without a change (a checkout, a touch): record them.
        let refreshed = cache::BuildCache {
            inputs,
            ..cache.clone()
        };
        cache::save(&fingerprint.out_root, &refreshed)?;
    }
    let settings = configured.ok().map(|configured| configured.settings);
    Ok(BuildReport {
        unchanged: cache.outputs.len(),
        slos: cache.slos,
        services: cache.services,
        changes: Vec::new(),
        generated: Generated::uncompiled(request, settings, Diagnostics::default()),
    })
}

/// The compiling build: of everything, or with `previous`, of the services
/// of the changed spec files (and the project-wide artifacts), the other
/// outputs being intact.
fn build_some(
    request: &Request,
    configured: Result<Configured, Diagnostics>,
    fingerprint: Option<&Fingerprint>,
    previous: Option<cache::Incremental>,
) -> std::io::Result<BuildReport> {
    let changed = previous.as_ref().map(|p| &p.changed);
    let carried = previous
        .as_ref()
        .map_or_else(Vec::new, cache::Incremental::carried);
    let kept: Vec<PathBuf> = carried.iter().map(|o| o.path.clone()).collect();
    let trusted = previous
        .as_ref()
        .map(cache::Incremental::trusted)
        .unwrap_or_default();
    let report = |generated, changes, unchanged, (slos, services)| BuildReport {
        generated,
        changes,
        unchanged,
        slos,
        services,
    };
    let mut ready = match prepare(request, configured, &trusted) {
        Ok(ready) => ready,
        Err(failed) => return Ok(report(*failed, Vec::new(), 0, (0, 0))),
    };
    let model = &ready.project.model;
    let counts = (model.slos().count(), model.services.len());
    if ready.project.diagnostics.fail(request.deny_warnings) {
        let generated = Generated::compiled(request, ready.project);
        return Ok(report(generated, Vec::new(), 0, counts));
    }
    let root = request.out_root(&ready.project.settings);
    // Without a cache, every owned file is a candidate to go stale. Listed
    // before staging: in a cold build the folders are then empty or
    // absent, where afterwards the walk met every file just staged.
    let owned_dirs = ready.project.settings.layout.owned_dirs();
    let listed = match previous {
        None => Some(out::owned_files(&root, &owned_dirs)?),
        Some(_) => None,
    };
    let session = Session::new(root.clone(), owned_dirs);
    let mut changes: Vec<Change> = Vec::new();
    let mut outputs: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    let emitted = emit_ready(
        &mut ready,
        Selection {
            only: changed,
            kept: &kept,
            batch: BUILD_BATCH,
        },
        &|batch| {
            let (sources, artifacts): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let found = session.stage(&artifacts)?;
            // What the report and the cache need; the text is staged.
            let paths = artifacts.into_iter().map(|a| a.path);
            Ok((found, paths.zip(sources).collect::<Vec<_>>()))
        },
        &mut |(found, paths)| {
            changes.extend(found);
            outputs.extend(paths);
        },
    );
    let generated = Generated::compiled(request, ready.project);
    let complete = match emitted {
        Ok(complete) => complete,
        Err(err) => {
            session.abandon();
            return Err(err);
        }
    };
    if !complete {
        session.abandon();
        return Ok(report(generated, Vec::new(), 0, counts));
    }
    let mut conflicts: Vec<&Path> = changes
        .iter()
        .filter(|c| c.action == Action::Conflict)
        .map(out::path_of)
        .collect();
    if !conflicts.is_empty() {
        conflicts.sort();
        let mut generated = generated;
        for path in conflicts {
            generated.diagnostics.push(
                Diagnostic::error(
                    "out::not-owned",
                    "refusing to overwrite a file lookout did not generate",
                )
                .in_path(root.join(path))
                .help(format!(
                    "move it away, or add `{}` to its first line to hand it to lookout",
                    emit::GENERATED_MARKER
                )),
            );
        }
        session.abandon();
        return Ok(report(generated, Vec::new(), 0, counts));
    }
    let candidates = match (&previous, listed) {
        (Some(previous), _) => previous.candidates(),
        (None, listed) => listed.unwrap_or_default(),
    };
    let written: HashSet<&Path> = outputs.iter().map(|(path, _)| path.as_path()).collect();
    let deletes = out::stale(&root, &candidates, &written)?;
    session.commit(&deletes)?;
    let rewritten = changes.len();
    changes.extend(deletes.into_iter().map(out::without_text));
    out::sort_by_path(&mut changes);
    let unchanged = carried.len() + outputs.len() - rewritten;
    // Only a build without a single diagnostic is cached, so a skipped
    // build never hides a warning.
    match fingerprint.filter(|_| generated.diagnostics.items.is_empty()) {
        Some(fingerprint) => {
            let inputs = match previous {
                Some(previous) => previous.inputs,
                None => fingerprint.inputs_read(generated.diagnostics.sources.files()),
            };
            let Some(stamped) = fingerprint.stamp_outputs(&outputs) else {
                cache::discard(&root)?;
                return Ok(report(generated, changes, unchanged, counts));
            };
            let mut cached = carried;
            cached.extend(stamped);
            let cache = cache::BuildCache {
                key: fingerprint.key,
                slos: counts.0,
                services: counts.1,
                inputs,
                outputs: cached,
            };
            cache::save(&root, &cache)?;
        }
        None => cache::discard(&root)?,
    }
    Ok(report(generated, changes, unchanged, counts))
}
