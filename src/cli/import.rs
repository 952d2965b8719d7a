//! `lookout import sloth`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::outln;
use super::{plural, print_diagnostics};
use crate::ops;
use crate::plan::Action;

#[derive(Args, Debug)]
pub(super) struct ImportArgs {
    /// The format to import.
    format: ImportFormat,
    /// Spec files, or folders searched for *.yaml and *.yml.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Where the lookout specs go, one `<service>.yaml` each.
    #[arg(long, value_name = "DIR", default_value = "slos")]
    out: PathBuf,
    /// The SLO period Sloth was run with (`--default-slo-period`), e.g. `28d`.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = period)]
    sloth_period: crate::model::Duration,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ImportFormat {
    /// Sloth's `prometheus/v1` specs and `PrometheusServiceLevel` objects.
    Sloth,
    /// OpenSLO `openslo/v1` and `openslo/v1alpha` objects.
    Openslo,
}

fn period(text: &str) -> Result<crate::model::Duration, String> {
    crate::model::Duration::parse_prometheus(text)
        .filter(|d| d.seconds() > 0 && d.seconds() % 86_400 == 0)
        .ok_or_else(|| format!("`{text}` is not a whole number of days, e.g. `28d`"))
}

pub(super) fn run(args: &ImportArgs) -> std::io::Result<bool> {
    let format = match args.format {
        ImportFormat::Sloth => ops::ImportFormat::Sloth(crate::import::SlothOptions {
            period: args.sloth_period,
        }),
        ImportFormat::Openslo => ops::ImportFormat::Openslo,
    };
    let report = ops::import(&ops::ImportRequest {
        paths: args.paths.clone(),
        out: args.out.clone(),
        format,
    })?;
    print_diagnostics(&report.diagnostics);
    if report.diagnostics.has_errors() {
        eprintln!(
            "import failed: {}; nothing was written",
            plural(report.diagnostics.error_count(), "error")
        );
        return Ok(false);
    }
    for (path, action, slos) in &report.files {
        let verb = match action {
            Action::Create => "created",
            _ => "unchanged",
        };
        outln!("{verb:>9} {} ({})", path.display(), plural(*slos, "SLO"));
    }
    if !report.severities.is_empty() {
        let list: Vec<&str> = report.severities.iter().map(String::as_str).collect();
        outln!(
            "next: list these alert severities under `severities:` in lookout.yaml if they are not there: {}; then run `lookout build`",
            list.join(", ")
        );
    }
    Ok(true)
}
