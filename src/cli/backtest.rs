//! `lookout backtest`: what the SLOs' alerts would have done over the live
//! Prometheus's history.

use clap::Args;

use super::output::outln;
use super::push::ConnectionArgs;
use super::rfc3339 as time;
use super::ProjectArgs;
use crate::model::{humanize, Duration};
use crate::ops::Backtested;

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// SLOs to replay, `SERVICE` or `SERVICE/SLO` [default: every SLO].
    selection: Vec<String>,
    /// How far back to replay, a Prometheus duration.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration)]
    since: Duration,
    #[command(flatten)]
    project: ProjectArgs,
    /// Also replay the specs as they were at this git revision (e.g.
    /// `origin/main`) over the same history, and show both side by side.
    #[arg(long, value_name = "REV")]
    compare: Option<String>,
    /// SLOs read from Prometheus at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format: `github` is a Markdown table, for a pull request comment.
    #[arg(long, value_enum, default_value_t = BacktestFormat::Text)]
    format: BacktestFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum BacktestFormat {
    Text,
    Json,
    Github,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    Duration::parse_prometheus(text)
        .filter(|d| d.seconds() > 0)
        .ok_or_else(|| format!("`{text}` is not a positive Prometheus duration such as `30d`"))
}

pub fn run(args: &BacktestArgs) -> Result<u8, String> {
    let now = super::now_seconds()?;
    let progress = super::progress("backtest", "replaying");
    let report = crate::ops::backtest(
        &args.project.request(),
        &args.connection.http(),
        &args.selection,
        args.since,
        now,
        args.compare.as_deref(),
        args.concurrency.max(1),
        &progress,
    );
    if let Some(exit) = super::unless_compiled_and_read(&report.generated, &report.error) {
        return exit;
    }
    let evaluation = report.evaluation.expect("set with the replay");
    // A selector that matches nothing is a warning on stderr, whatever
    // the format, as `check --live` says it.
    for slo in &report.slos {
        for selector in &slo.missing {
            eprintln!(
                "warning: {}/{}: `{selector}` matches no series from {} to {}",
                slo.service,
                slo.slo,
                time(report.from),
                time(report.to)
            );
        }
    }
    if args.format == BacktestFormat::Json {
        let slos: Vec<serde_json::Value> = report.slos.iter().map(json).collect();
        let mut value = serde_json::json!({
            "from": time(report.from),
            "to": time(report.to),
            "interval_seconds": evaluation.interval.seconds(),
            "long_interval_seconds": evaluation.long_interval.seconds(),
            "slos": slos,
        });
        if let Some((rev, before)) = &report.before {
            let before: Vec<serde_json::Value> = before.iter().map(json).collect();
            value["compare"] = serde_json::json!({"rev": rev, "slos": before});
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serialisable")
        );
        return Ok(0);
    }
    if let Some((rev, before)) = &report.before {
        let rows = compare(before, &report.slos);
        if args.format == BacktestFormat::Github {
            outln!(
                "**lookout backtest** from {} to {}: `{rev}` → this change\n",
                time(report.from),
                time(report.to)
            );
            outln!("| SLO | page | ticket | what changed |\n|---|---|---|---|");
            for row in rows {
                let changes = if row.changes.is_empty() {
                    "—".to_string()
                } else {
                    row.changes.join("<br>")
                };
                outln!(
                    "| {} | {} | {} | {changes} |",
                    row.name,
                    row.page,
                    row.ticket
                );
            }
        } else {
            outln!(
                "backtest from {} to {}: {rev} → this change",
                time(report.from),
                time(report.to)
            );
            for row in rows {
                outln!("{}: page: {}, ticket: {}", row.name, row.page, row.ticket);
                for change in row.changes {
                    outln!("  {change}");
                }
            }
        }
        return Ok(0);
    }
    outln!(
        "backtest from {} to {}, replayed every {} (long windows every {})",
        time(report.from),
        time(report.to),
        evaluation.interval,
        evaluation.long_interval
    );
    for slo in &report.slos {
        text(slo);
    }
    Ok(0)
}

/// One SLO's two replays, side by side.
struct Row {
    name: String,
    page: String,
    ticket: String,
    /// Per incident: a detection time that moved, an alert one side lacks.
    changes: Vec<String>,
}

fn display_name(slo: &Backtested) -> String {
    match &slo.group {
        Some(group) => format!("{}/{} [{group}]", slo.service, slo.slo),
        None => format!("{}/{}", slo.service, slo.slo),
    }
}

/// Each SLO of either side; its alerts of one tier matched across the two
/// by overlapping intervals, each match an incident both sides saw.
fn compare(before: &[Backtested], after: &[Backtested]) -> Vec<Row> {
    use crate::model::replay::Fired;
    let mut names: Vec<String> = before.iter().chain(after).map(display_name).collect();
    names.sort();
    names.dedup();
    let alerts_of = |side: &[Backtested], name: &str| -> Vec<Fired> {
        side.iter()
            .find(|s| display_name(s) == name)
            .map(|s| s.alerts.clone())
            .unwrap_or_default()
    };
    let took = |d: Option<i64>| d.map_or("-".to_string(), |d| humanize(d as f64));
    let overlaps = |a: &Fired, b: &Fired| {
        a.severity == b.severity
            && a.start < b.end.unwrap_or(i64::MAX)
            && b.start < a.end.unwrap_or(i64::MAX)
    };
    names
        .into_iter()
        .map(|name| {
            let (old, new) = (alerts_of(before, &name), alerts_of(after, &name));
            let count = |alerts: &[Fired], severity: &str| {
                alerts.iter().filter(|a| a.severity == severity).count()
            };
            let mut changes = Vec::new();
            for a in &old {
                match new.iter().find(|b| overlaps(a, b)) {
                    Some(b) if b.detection_seconds != a.detection_seconds => changes.push(format!(
                        "{} of {}: detected after {} → {}",
                        a.severity,
                        time(a.start),
                        took(a.detection_seconds),
                        took(b.detection_seconds)
                    )),
                    Some(_) => {}
                    None => changes.push(format!(
                        "{} of {}: no longer fires",
                        a.severity,
                        time(a.start)
                    )),
                }
            }
            for b in new.iter().filter(|b| !old.iter().any(|a| overlaps(a, b))) {
                changes.push(format!(
                    "{} of {}: new, detected after {}",
                    b.severity,
                    time(b.start),
                    took(b.detection_seconds)
                ));
            }
            Row {
                page: format!("{} → {}", count(&old, "page"), count(&new, "page")),
                ticket: format!("{} → {}", count(&old, "ticket"), count(&new, "ticket")),
                name,
                changes,
            }
        })
        .collect()
}

fn json(slo: &Backtested) -> serde_json::Value {
    let alerts: Vec<serde_json::Value> = slo
        .alerts
        .iter()
        .map(|a| {
            serde_json::json!({
                "severity": a.severity,
                "start": time(a.start),
                "end": a.end.map(time),
                "peak_burn": a.peak_burn,
                "detection_seconds": a.detection_seconds,
            })
        })
        .collect();
    let mut value = serde_json::json!({
        "service": slo.service,
        "slo": slo.slo,
        "sli": slo.sli,
        "budget_spent": slo.budget_spent,
        "alerts": alerts,
    });
    if let Some(group) = &slo.group {
        value["group"] = group.clone().into();
    }
    if let Some(note) = &slo.note {
        value["note"] = note.clone().into();
    }
    if !slo.missing.is_empty() {
        value["missing"] = slo.missing.clone().into();
    }
    value
}

fn text(slo: &Backtested) {
    let name = display_name(slo);
    let percent = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.3}%", v * 100.0));
    let count = |severity: &str| slo.alerts.iter().filter(|a| a.severity == severity).count();
    outln!(
        "{name}: SLI {}, budget spent {}, {} page, {} ticket",
        percent(slo.sli),
        percent(slo.budget_spent),
        count("page"),
        count("ticket")
    );
    for alert in &slo.alerts {
        let end = match alert.end {
            Some(end) => format!("{} ({})", time(end), humanize((end - alert.start) as f64)),
            None => "still firing".to_string(),
        };
        let detected = alert.detection_seconds.map_or(String::new(), |d| {
            format!(", detected after {}", humanize(d as f64))
        });
        outln!(
            "  {:<7} {} → {end}, peak {}x{detected}",
            alert.severity,
            time(alert.start),
            crate::model::fmt_short(alert.peak_burn)
        );
    }
    if let Some(note) = &slo.note {
        outln!("  note: {note}");
    }
}
