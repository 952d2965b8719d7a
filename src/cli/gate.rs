//! `lookout gate`: a deploy gate for any CI, from the live Prometheus.

use clap::Args;

use super::output::outln;
use super::push::{slo_name, ConnectionArgs};
use super::{Format, ProjectArgs};
use crate::ops::Verdict;

/// Exit code of a gate that blocks: an SLO's budget is at or under the
/// floor, or its page alert fires or is pending.
pub const BLOCKED: u8 = 4;
/// Exit code of a gate that cannot tell: no data, or the rules not loaded.
pub const INCONCLUSIVE: u8 = 5;

#[derive(Args, Debug)]
pub struct GateArgs {
    /// SLOs to judge, `SERVICE` or `SERVICE/SLO` [default: every SLO].
    selection: Vec<String>,
    /// The budget left, in percent, each SLO must stay above.
    #[arg(
        long,
        value_name = "PCT",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    min_budget: f64,
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: &GateArgs) -> Result<u8, String> {
    let report = crate::ops::gate(
        &args.project.request(),
        &args.connection.http(),
        &args.selection,
        args.min_budget / 100.0,
    );
    if let Some(exit) = super::unless_compiled_and_read(&report.generated, &report.error) {
        return exit;
    }
    let verdict = report.verdict();
    if args.format == Format::Json {
        let value = serde_json::json!({"verdict": verdict, "slos": report.judged});
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serialisable")
        );
    } else {
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.3}%", v * 100.0));
        outln!(
            "{:<20} {:<30} {:>11} {:>8}  VERDICT",
            "SERVICE",
            "SLO",
            "BUDGET LEFT",
            "PAGE"
        );
        for judged in &report.judged {
            let name = slo_name(&judged.slo, judged.group.as_deref());
            outln!(
                "{:<20} {:<30} {:>11} {:>8}  {}: {}",
                judged.service,
                name,
                pct(judged.budget_remaining),
                judged.page.as_deref().unwrap_or("-"),
                word(judged.verdict),
                judged.why
            );
        }
        outln!(
            "gate: {} ({} judged, budget floor {}%)",
            word(verdict),
            match report.judged.len() {
                1 => "1 SLO".to_string(),
                n => format!("{n} SLOs"),
            },
            crate::model::fmt_num(args.min_budget)
        );
    }
    Ok(match verdict {
        Verdict::Pass => 0,
        Verdict::Blocked => BLOCKED,
        Verdict::Inconclusive => INCONCLUSIVE,
    })
}

fn word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Blocked => "blocked",
        Verdict::Inconclusive => "inconclusive",
    }
}
