//! `init`: a starting project, leaving every file that exists alone.

use std::path::{Path, PathBuf};

use crate::out;

/// The files `lookout init` scaffolds: path under the project, contents.
const SCAFFOLD: &[(&str, &str)] = &[
    (
        "lookout.yaml",
        include_str!("../cli/templates/lookout.yaml"),
    ),
    (
        "slos/example.yaml",
        include_str!("../cli/templates/example.yaml"),
    ),
    (
        ".github/workflows/lookout.yml",
        include_str!("../cli/templates/github-workflow.yml"),
    ),
    (
        "ci/lookout.gitlab-ci.yml",
        include_str!("../cli/templates/gitlab-ci.yml"),
    ),
];

/// What `init` did with one file of the scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaffolded {
    Created,
    /// The file exists, and is left alone.
    Exists,
    /// The example spec, left out: `slos/` holds specs already, and an
    /// example would become a service of the project at the next build.
    HasSpecs,
}

/// The name `init` gives the project: its folder's.
fn project_name(dir: &Path) -> String {
    let folder = std::fs::canonicalize(dir)
        .ok()
        .and_then(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    crate::model::settings::project_name_from(&folder)
}

/// Where the CI workflows `init` writes install lookout from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallSource {
    /// The registry, at the version that wrote the workflows.
    Registry,
    /// A git repository at a tag (`<url>#<tag>`; the tag defaults to
    /// `v<version>`).
    Git { url: String, tag: String },
    /// A folder, e.g. a copy vendored into the repository.
    Path(String),
}

impl InstallSource {
    /// `--install-from`: `<git URL>[#<tag>]` or a path.
    pub fn parse(text: &str) -> Result<InstallSource, String> {
        // Written into YAML and a shell command line as is.
        if text.is_empty()
            || text
                .chars()
                .any(|c| c.is_whitespace() || "'\"`$\\;&|<>".contains(c))
        {
            return Err(format!(
                "--install-from `{text}`: give a git URL (with `#<tag>`) or a path, without spaces, quotes or shell characters"
            ));
        }
        if text.contains("://") || text.starts_with("git@") {
            let (url, tag) = match text.split_once('#') {
                Some((url, tag)) if !tag.is_empty() => (url, tag.to_string()),
                Some(_) => return Err(format!("--install-from `{text}`: an empty tag after `#`")),
                None => (text, format!("v{}", env!("CARGO_PKG_VERSION"))),
            };
            return Ok(InstallSource::Git {
                url: url.to_string(),
                tag,
            });
        }
        Ok(InstallSource::Path(text.to_string()))
    }

    /// The arguments of `cargo install --locked`.
    fn cargo_args(&self) -> String {
        match self {
            InstallSource::Registry => format!("--version ={} lookout", env!("CARGO_PKG_VERSION")),
            InstallSource::Git { url, tag } => format!("--git {url} --tag {tag} lookout"),
            InstallSource::Path(path) => format!("--path {path}"),
        }
    }

    /// What the cached binary is keyed by: a new version is a new build.
    fn cache_key(&self) -> String {
        match self {
            InstallSource::Registry => env!("CARGO_PKG_VERSION").to_string(),
            InstallSource::Git { tag, .. } => tag.clone(),
            // A folder changes without a version: key by the version that
            // wrote the workflow, and rebuild by clearing the cache.
            InstallSource::Path(_) => format!("path-{}", env!("CARGO_PKG_VERSION")),
        }
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("@INSTALL@", &self.cargo_args())
            .replace("@CACHE_KEY@", &self.cache_key())
    }
}

/// The example spec's path in the scaffold.
const EXAMPLE: &str = "slos/example.yaml";

/// `lookout init`: writes the scaffold into `dir`, leaving every file that
/// exists alone, and the example spec out where `slos/` holds specs.
pub fn init(dir: &Path, install: &InstallSource) -> std::io::Result<Vec<(PathBuf, Scaffolded)>> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is a file; `lookout init` takes a folder", dir.display()),
        ));
    }
    let mut diagnostics = crate::diag::Diagnostics::default();
    let has_specs = dir.join("slos").is_dir()
        && !crate::spec::find_spec_files(&dir.join("slos"), &mut diagnostics).is_empty();
    let mut done = Vec::new();
    for (path, contents) in SCAFFOLD {
        let target = dir.join(path);
        if target.exists() {
            done.push((target, Scaffolded::Exists));
            continue;
        }
        if *path == EXAMPLE && has_specs {
            done.push((target, Scaffolded::HasSpecs));
            continue;
        }
        let contents = if *path == "lookout.yaml" {
            contents.replace("{project}", &project_name(dir))
        } else {
            install.fill(contents)
        };
        out::write_atomic(&target, &contents).map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("cannot write {}: {err}", target.display()),
            )
        })?;
        done.push((target, Scaffolded::Created));
    }
    Ok(done)
}
