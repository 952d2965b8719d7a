//! `lookout backtest`: what the SLOs' alerts would have done over the live
//! Prometheus's history.

use clap::Args;

use super::output::outln;
use super::push::ConnectionArgs;
use super::{print_diagnostics, Format, ProjectArgs};
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
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    Duration::parse_prometheus(text)
        .filter(|d| d.seconds() > 0)
        .ok_or_else(|| format!("`{text}` is not a Prometheus duration such as `30d`"))
}

/// RFC 3339, in UTC, to the second.
fn time(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |t| t.to_string())
}

pub fn run(args: &BacktestArgs) -> Result<u8, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    // Progress on a terminal only, so piped output stays the report.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |slo: &str| {
        if terminal {
            eprintln!("backtest: replaying {slo}");
        }
    };
    let report = crate::ops::backtest(
        &args.project.request(),
        &args.connection.http(),
        &args.selection,
        args.since,
        now,
        &progress,
    );
    print_diagnostics(&report.generated.diagnostics);
    if report.generated.model.is_none() {
        return Ok(1);
    }
    if let Some(error) = &report.error {
        return Err(error.clone());
    }
    let evaluation = report.evaluation.expect("set with the replay");
    if args.format == Format::Json {
        let slos: Vec<serde_json::Value> = report.slos.iter().map(json).collect();
        let value = serde_json::json!({
            "from": time(report.from),
            "to": time(report.to),
            "interval_seconds": evaluation.interval.seconds(),
            "long_interval_seconds": evaluation.long_interval.seconds(),
            "slos": slos,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serialisable")
        );
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
    value
}

fn text(slo: &Backtested) {
    let name = match &slo.group {
        Some(group) => format!("{}/{} [{group}]", slo.service, slo.slo),
        None => format!("{}/{}", slo.service, slo.slo),
    };
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
