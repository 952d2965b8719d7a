//! `lookout explain SERVICE/SLO`: when each window pair fires and resolves.

use clap::Args;

use super::output::outln;
use super::{print_diagnostics, push::ConnectionArgs, Format, ProjectArgs};
use crate::model::detection::Explanation;
use crate::model::{fmt_num, fmt_short, Duration, ThinData};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The SLO, as SERVICE/SLO.
    #[arg(value_name = "SERVICE/SLO")]
    target: String,
    #[command(flatten)]
    project: ProjectArgs,
    /// The SLO's traffic in events per second, for the times with
    /// `min_errors` [default: the last hour's average, from Prometheus].
    #[arg(long, value_name = "EVENTS_PER_SECOND")]
    traffic: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    connection: ConnectionArgs,
}

pub fn run(args: &ExplainArgs) -> Result<u8, String> {
    let traffic = match args.traffic {
        Some(rate) if !(rate.is_finite() && rate > 0.0) => {
            return Err(format!(
                "--traffic must be a positive number of events per second, got {rate}"
            ))
        }
        Some(rate) => crate::ops::Traffic::Given(rate),
        None => crate::ops::Traffic::Prometheus(args.connection.http()),
    };
    let report = crate::ops::explain(&args.project.request(), &args.target, traffic)?;
    print_diagnostics(&report.generated.diagnostics);
    let Some(explanation) = &report.explanation else {
        return Ok(1);
    };
    if args.format == Format::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(explanation).expect("serialisable")
        );
        return Ok(0);
    }
    print(explanation, report.traffic_note.as_deref());
    Ok(0)
}

fn time(seconds: Option<u64>) -> String {
    crate::model::detection::compact(seconds)
}

fn print(e: &Explanation, traffic_note: Option<&str>) {
    let interval = Duration(e.evaluation.interval_seconds);
    let long_interval = Duration(e.evaluation.long_interval_seconds);
    outln!(
        "{}/{}: {}% {} {}, error budget {}",
        e.service,
        e.slo,
        fmt_num(e.objective),
        if e.nominal_window.is_some() {
            "per"
        } else {
            "over"
        },
        e.window,
        crate::model::fmt_percent(e.error_budget)
    );
    if let Some(nominal) = &e.nominal_window {
        outln!("Alerts stay on rolling windows: their burn-rate thresholds are those of a {nominal} window, the period's nominal length; the budget itself resets at each period's start.");
    }
    outln!(
        "Evaluation: the sli group every {interval}, the long group (windows of 2h and more, and tiers that read only those) every {long_interval}."
    );
    outln!("An incident starts after a long window of good traffic; each time runs from its start to the evaluation at which the alert fires, `for` included.");
    if e.thin_data == ThinData::Wait {
        outln!("thin_data: wait: a pair also waits until its long window holds one short window of data (a new SLO, or after a gap).");
    }
    if e.tiers.is_empty() {
        outln!("No alert tier is enabled.");
        return;
    }
    let mut lags = false;
    for tier in &e.tiers {
        outln!();
        outln!(
            "{}: severity {}, {}, evaluated every {}",
            tier.severity,
            tier.severity_label,
            tier.for_
                .as_ref()
                .map_or("no `for`".to_string(), |f| format!("for {f}")),
            Duration(tier.evaluated_every_seconds)
        );
        outln!(
            "  {:<10} {:>7} {:>7}  {:<12} {:<20} {:<20} {}",
            "PAIR",
            "FACTOR",
            "SPENDS",
            "AT 100%",
            "AT 10x THRESHOLD",
            "AT 2x THRESHOLD",
            "RESOLVES"
        );
        for pair in &tier.pairs {
            lags |= pair.may_lag_seconds > 0;
            outln!(
                "  {:<10} {:>7} {:>7}  {:<12} {:<20} {:<20} {}",
                format!("{}/{}", pair.long_window, pair.short_window),
                format!("{}x", fmt_short(pair.factor)),
                crate::model::fmt_percent(pair.budget_spent),
                pair.time_cell(0),
                pair.time_cell(1),
                pair.time_cell(2),
                time(pair.resolve_seconds)
            );
        }
        let firsts: Vec<String> = tier
            .first
            .iter()
            .map(|f| match &f.pair {
                Some(pair) => format!(
                    "at {} errors {pair} after {}",
                    crate::model::fmt_percent(f.error_ratio),
                    time(f.seconds)
                ),
                None => format!(
                    "at {} errors none",
                    crate::model::fmt_percent(f.error_ratio)
                ),
            })
            .collect();
        outln!("  fires first: {}", firsts.join("; "));
    }
    if lags {
        outln!();
        outln!("* reads a window of 2h or more as the long group last recorded it: up to {long_interval} later.");
    }
    outln!();
    outln!("RESOLVES: after a total outage long enough to fill both windows ends, until the short window drops under the threshold.");
    if e.min_errors > 0 {
        outln!();
        match e.traffic {
            Some(traffic) => {
                outln!(
                    "min_errors {}: at {} events/s ({}):",
                    e.min_errors,
                    fmt_short(traffic),
                    traffic_note.unwrap_or("given")
                );
                for tier in &e.tiers {
                    for pair in &tier.pairs {
                        let Some(times) = &pair.at_traffic else {
                            continue;
                        };
                        let cells: Vec<String> = times
                            .iter()
                            .map(|d| {
                                format!(
                                    "{} at {}",
                                    time(d.seconds),
                                    crate::model::fmt_percent(d.error_ratio)
                                )
                            })
                            .collect();
                        outln!(
                            "  {} {}/{}: {}",
                            tier.severity,
                            pair.long_window,
                            pair.short_window,
                            cells.join(", ")
                        );
                    }
                }
            }
            None => outln!(
                "min_errors {}: times at the SLO's traffic need it: {}",
                e.min_errors,
                traffic_note.unwrap_or("pass --traffic EVENTS_PER_SECOND")
            ),
        }
    }
}
