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
    /// Write the specs that convert even when some files do not (which
    /// are listed, and the command still fails).
    #[arg(long)]
    keep_going: bool,
    /// Add the alert severities the imported specs use to lookout.yaml's
    /// `severities`, so that they build.
    #[arg(long)]
    add_severities: bool,
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
        keep_going: args.keep_going,
        add_severities: args.add_severities,
    })?;
    print_diagnostics(&report.diagnostics);
    let errors = report.diagnostics.error_count();
    if errors > 0 && !args.keep_going {
        eprintln!(
            "import failed: {}; nothing was written (--keep-going writes what converts)",
            plural(errors, "error")
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
    match &report.severities_added {
        Some((config, added)) if !added.is_empty() => outln!(
            "  updated {} (severities: added {})",
            config.display(),
            added.join(", ")
        ),
        Some(_) => {}
        None if !report.severities_missing.is_empty() => {
            outln!(
                "next: lookout.yaml's `severities:` lacks {}, which the specs use (--add-severities adds them); then run `lookout build`",
                report.severities_missing.join(", ")
            );
        }
        None => {}
    }
    if errors > 0 {
        let left: Vec<String> = report
            .left_out
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "import incomplete: {}; left out: {}",
            plural(errors, "error"),
            if left.is_empty() {
                "everything".to_string()
            } else {
                left.join(", ")
            }
        );
        return Ok(false);
    }
    Ok(true)
}
