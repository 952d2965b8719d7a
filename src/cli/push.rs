//! `lookout plan`, `lookout apply` and `lookout status`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::output::outln;
use super::{plural, print_diagnostics, Format, ProjectArgs};
use crate::ops::{PushReport, PushRequest};
use crate::push::http::HttpOptions;
use crate::push::progress::Progress;
use crate::push::{Action, Mode, RunOptions};

#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// Seconds each request may take, connect to last byte.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Retries of a request that failed to connect, timed out, or got 429 or 5xx.
    #[arg(long, value_name = "N", default_value_t = 4)]
    retries: u32,
    /// A PEM CA certificate to trust besides the system store.
    #[arg(long, value_name = "FILE", env = "LOOKOUT_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Do not verify TLS certificates. Never use this in production.
    #[arg(long)]
    insecure_skip_tls_verify: bool,
}

impl ConnectionArgs {
    pub(super) fn http(&self) -> HttpOptions {
        HttpOptions {
            timeout: Duration::from_secs(self.timeout.max(1)),
            retries: self.retries,
            ca_file: self.ca_file.clone(),
            insecure: self.insecure_skip_tls_verify,
            ..HttpOptions::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct PushArgs {
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Only these targets, e.g. `--only grafana,kibana`.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "TARGETS",
        value_parser = clap::builder::PossibleValuesParser::new(crate::spec::config::PUSH_TARGETS)
    )]
    only: Vec<String>,
    /// Also delete objects lookout created that no spec declares any more.
    #[arg(long)]
    prune: bool,
    /// Take over objects in the way of declared ones that lack this
    /// project's marker: a user's, or another project's.
    #[arg(long)]
    adopt: bool,
    /// Count objects an older lookout wrote without a project marker as
    /// this project's: update them, and prune them with --prune.
    #[arg(long)]
    claim_legacy: bool,
    /// Requests in flight per target.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// An SLO as `status` and `gate` print it: `routes [route=/pay]` for a
/// group of a grouped SLO.
pub(super) fn slo_name(slo: &str, group: Option<&str>) -> String {
    match group {
        Some(group) => format!("{slo} [{group}]"),
        None => slo.to_string(),
    }
}

/// Exit code 3 from `plan`: there are changes.
pub const CHANGES: u8 = 3;

pub fn run(args: &PushArgs, apply: bool) -> Result<u8, String> {
    let request = PushRequest {
        project: args.project.request(),
        only: args.only.clone(),
        run: RunOptions {
            mode: Mode {
                prune: args.prune,
                adopt: args.adopt,
                claim_legacy: args.claim_legacy,
                concurrency: args.concurrency.max(1),
            },
            apply,
        },
        http: args.connection.http(),
    };
    let progress = Progress::new(std::io::stderr().is_terminal(), args.format == Format::Json);
    let report = crate::ops::push(&request, &progress);
    print_diagnostics(&report.generated.diagnostics);
    let project = &report.generated.settings.project.name;
    if !project.pinned && !report.reports.is_empty() {
        eprintln!(
            "note: lookout.yaml sets no `project`, so this project's objects are marked `{}`, as every unnamed project's are; name it before another project shares these systems",
            project.name
        );
    }
    if args.format == Format::Json {
        outln!("{}", json(&report, apply));
    } else {
        print_text(&report, apply, args.prune);
    }
    Ok(if report.failed() {
        1
    } else if !apply && report.has_changes() {
        CHANGES
    } else {
        0
    })
}

fn json(report: &PushReport, apply: bool) -> String {
    let value = serde_json::json!({
        "ok": !report.failed(),
        "applied": apply,
        "changes": report.has_changes(),
        // A count, as in `check --format json`; the messages follow.
        "errors": report.setup_errors.len()
            + report.reports.iter().map(|r| r.failures.len()).sum::<usize>(),
        "setup_errors": report.setup_errors,
        "targets": report.reports,
    });
    serde_json::to_string_pretty(&value).expect("JSON values always serialise")
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update | Action::Reload => "~",
        Action::Delete => "-",
        Action::Conflict => "!",
        Action::Unchanged => "=",
    }
}

fn print_text(report: &PushReport, apply: bool, prune: bool) {
    for error in &report.setup_errors {
        eprintln!("error: {error}");
    }
    for target in &report.reports {
        outln!("{}", target.target);
        // Unchanged objects are counted, unless there is something to say.
        for change in target
            .changes
            .iter()
            .filter(|c| c.action != Action::Unchanged || c.detail.is_some())
        {
            outln!("  {} {} {}", symbol(change.action), change.kind, change.id);
            if let Some(detail) = change.describe("live", "desired") {
                if !apply || change.action == Action::Conflict {
                    for line in detail.lines() {
                        outln!("      {line}");
                    }
                }
            }
        }
        let unchanged = target.count(Action::Unchanged);
        if unchanged > 0 {
            outln!("  = {unchanged} unchanged");
        }
        for failure in &target.failures {
            outln!("  x {}: {}", failure.object, failure.error);
        }
    }
    if report.reports.is_empty() {
        return;
    }
    let total = |action| {
        report
            .reports
            .iter()
            .map(|r| r.count(action))
            .sum::<usize>()
    };
    if apply {
        // What was done: a write that failed is counted under FAILED only.
        outln!();
        outln!(
            "{:<14}{:>8}{:>8}{:>8}{:>11}{:>10}{:>8}",
            "TARGET",
            "CREATED",
            "UPDATED",
            "DELETED",
            "UNCHANGED",
            "CONFLICT",
            "FAILED"
        );
        for r in &report.reports {
            let failed_writes = r.failures.len();
            outln!(
                "{:<14}{:>8}{:>8}{:>8}{:>11}{:>10}{:>8}",
                r.target,
                r.done(Action::Create),
                r.done(Action::Update),
                r.done(Action::Delete),
                r.count(Action::Unchanged),
                r.count(Action::Conflict),
                failed_writes
            );
        }
        let failed: usize = report.reports.iter().map(|r| r.failures.len()).sum();
        if failed > 0 {
            outln!("\napply failed: {} (see above)", plural(failed, "failure"));
        } else {
            let written: usize = report.reports.iter().map(|r| r.applied).sum();
            // A file current on disk that Prometheus had not loaded: the
            // reload did the work, not a write.
            let reloaded: usize = report.reports.iter().map(|r| r.done(Action::Reload)).sum();
            let reloads = if reloaded > 0 {
                format!(", {reloaded} reloaded")
            } else {
                String::new()
            };
            outln!("\napplied: {}{reloads}", plural(written, "write"));
        }
    } else {
        // A target whose live state could not be read has no changes to
        // count; say so before totals that would read as "nothing to do".
        let unread: Vec<&str> = report
            .reports
            .iter()
            .filter(|r| !r.failures.is_empty())
            .map(|r| r.target)
            .collect();
        if !unread.is_empty() {
            outln!(
                "\nPlan incomplete: {} failed (see above); the totals below may miss {} changes.",
                unread.join(", "),
                if unread.len() == 1 { "its" } else { "their" }
            );
        }
        let reloads = match total(Action::Reload) {
            0 => String::new(),
            n => format!(" ({n} to reload)"),
        };
        outln!(
            "{}Plan: {} to create, {} to update{reloads}, {} to delete, {}, {} unchanged.{}",
            if unread.is_empty() { "\n" } else { "" },
            total(Action::Create),
            total(Action::Update),
            total(Action::Delete),
            plural(total(Action::Conflict), "conflict"),
            total(Action::Unchanged),
            if prune {
                ""
            } else {
                " (objects no spec declares are kept; --prune deletes them)"
            }
        );
    }
}

pub fn status(args: &StatusArgs) -> Result<u8, String> {
    let report = crate::ops::status(&args.project.request(), &args.connection.http());
    if let Some(exit) = super::unless_compiled_and_read(&report.generated, &report.error) {
        return exit;
    }
    if args.format == Format::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report.slos).expect("serialisable")
        );
        return Ok(0);
    }
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.3}%", v * 100.0));
    let burn = |v: &Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}x"));
    let windows = crate::model::STATUS_WINDOWS;
    let burn_header: String = windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let title = if i == 0 {
                format!("BURN {w}")
            } else {
                w.to_string()
            };
            format!(" {title:>8}")
        })
        .collect();
    outln!(
        "{:<20} {:<22} {:>9} {:>6} {:>10} {:>11}{burn_header}",
        "SERVICE",
        "SLO",
        "OBJECTIVE",
        "WINDOW",
        "SLI",
        "BUDGET LEFT"
    );
    for slo in &report.slos {
        let name = slo_name(&slo.slo, slo.group.as_deref());
        let rates: String = windows
            .iter()
            .map(|w| {
                format!(
                    " {:>8}",
                    burn(slo.burn_rates.get(&w.to_string()).unwrap_or(&None))
                )
            })
            .collect();
        outln!(
            "{:<20} {:<22} {:>8}% {:>6} {:>10} {:>11}{rates}{}",
            slo.service,
            name,
            crate::model::fmt_num(slo.objective),
            slo.window,
            pct(slo.sli),
            pct(slo.budget_remaining),
            match (slo.window_covered, &slo.missing) {
                _ if slo.missing.is_some() || slo.note.is_some() => "  (see below)".to_string(),
                (Some(covered), None) if covered < 0.99 && slo.period.is_some() => format!(
                    "  (period {:.0}% covered: SLI and budget over less than this {} so far)",
                    covered * 100.0,
                    slo.window
                ),
                (Some(covered), None) if covered < 0.99 => format!(
                    "  (window {:.0}% covered: SLI and budget over less than {})",
                    covered * 100.0,
                    slo.window
                ),
                _ => String::new(),
            }
        );
        if let Some(period) = &slo.period {
            let zone = match period.utc_offset.as_str() {
                "+00:00" => "UTC".to_string(),
                offset => format!("UTC{offset}"),
            };
            outln!(
                "    {}/{}: calendar {} ({zone}) from {}, resets {}",
                slo.service,
                name,
                period.calendar,
                period.start,
                period.end
            );
        }
        for why in [&slo.missing, &slo.note].into_iter().flatten() {
            outln!("    {}/{}: {why}", slo.service, name);
        }
    }
    Ok(0)
}
