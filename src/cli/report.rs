//! `lookout report`: how each SLO did over a past period, as Markdown, a
//! self-contained HTML page with a chart per SLO, or JSON.

use std::fmt::Write;

use clap::Args;

use super::output::outln;
use super::push::ConnectionArgs;
use super::rfc3339 as time;
use super::ProjectArgs;
use crate::model::humanize;
use crate::ops::{Period, Reported};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A calendar month, `YYYY-MM`, at lookout.yaml's `calendar.utc_offset`
    /// [default: the last whole month].
    #[arg(long, value_name = "YYYY-MM", conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// Start of the period, RFC 3339 (`2026-11-01T00:00:00Z`); with `--to`.
    #[arg(long, value_name = "TIME", requires = "to")]
    from: Option<String>,
    /// End of the period, RFC 3339, not included; with `--from`.
    #[arg(long, value_name = "TIME", requires = "from")]
    to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    format: ReportFormat,
    /// Write the report to this file instead of stdout (`--out` is the
    /// project's output folder, as for every command).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ReportFormat {
    Md,
    Html,
    Json,
}

fn timestamp(text: &str) -> Result<i64, String> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| format!("`{text}` is not an RFC 3339 time such as 2026-11-01T00:00:00Z"))
}

fn period(args: &ReportArgs, now: i64) -> Result<Period, String> {
    if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let (from, to) = (timestamp(from)?, timestamp(to)?);
        if to <= from {
            return Err("--to must be after --from".into());
        }
        return Ok(Period::Range { from, to });
    }
    let month = |text: &str| -> Option<(i64, i64)> {
        let (year, month) = text.split_once('-')?;
        let (year, month) = (year.parse().ok()?, month.parse().ok()?);
        (year >= 1970 && (1..=12).contains(&month) && text.len() == 7).then_some((year, month))
    };
    let (year, month) = match &args.period {
        Some(text) => month(text)
            .ok_or_else(|| format!("`--period {text}` is not a month such as 2026-11"))?,
        None => {
            let (y, m, _) = crate::model::calendar::civil_from_days(now.div_euclid(86_400));
            if m == 1 {
                (y - 1, 12)
            } else {
                (y, m - 1)
            }
        }
    };
    Ok(Period::Month { year, month })
}

pub fn run(args: &ReportArgs) -> Result<u8, String> {
    if args.project.out.is_some() {
        return Err(
            "report writes its file with --output FILE; --out is the project's output folder"
                .into(),
        );
    }
    let now = super::now_seconds()?;
    let period = period(args, now)?;
    let progress = super::progress("report", "reading");
    let report = crate::ops::report(
        &args.project.request(),
        &args.connection.http(),
        period,
        &progress,
    );
    if let Some(exit) = super::unless_compiled_and_read(&report.generated, &report.error) {
        return exit;
    }
    let text = match args.format {
        ReportFormat::Json => {
            let value = serde_json::json!({
                "from": time(report.from),
                "to": time(report.to),
                "slos": report.slos,
            });
            serde_json::to_string_pretty(&value).expect("serialisable") + "\n"
        }
        ReportFormat::Md => markdown(&report.slos, report.from, report.to),
        ReportFormat::Html => html(&report.slos, report.from, report.to),
    };
    match &args.output {
        Some(path) => {
            crate::out::write_atomic(path, &text)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("report: wrote {}", path.display());
        }
        None => outln!("{}", text.trim_end()),
    }
    Ok(0)
}

fn day(seconds: i64) -> String {
    time(seconds).chars().take(10).collect()
}

fn name(slo: &Reported) -> String {
    match &slo.group {
        Some(group) => format!("{}/{} [{group}]", slo.service, slo.slo),
        None => format!("{}/{}", slo.service, slo.slo),
    }
}

fn percent(value: Option<f64>, digits: usize) -> String {
    value.map_or("-".to_string(), |v| format!("{:.*}%", digits, v * 100.0))
}

fn met(slo: &Reported) -> &'static str {
    match slo.met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "no data",
    }
}

fn alerts_summary(slo: &Reported) -> String {
    let count = |s: &str| slo.alerts.iter().filter(|a| a.severity == s).count();
    format!("{} page, {} ticket", count("page"), count("ticket"))
}

fn worst(slo: &Reported) -> String {
    slo.worst_day.map_or("-".to_string(), |(d, r)| {
        format!("{} ({:.3}% errors)", day(d), r * 100.0)
    })
}

fn alert_line(alert: &crate::ops::FiredSpan) -> String {
    match alert.end {
        Some(end) => format!(
            "{} {} → {} ({})",
            alert.severity,
            time(alert.start),
            time(end),
            humanize((end - alert.start) as f64)
        ),
        None => format!("{} {} → still firing", alert.severity, time(alert.start)),
    }
}

fn markdown(slos: &[Reported], from: i64, to: i64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# SLO report, {} to {}\n", time(from), time(to));
    let _ = writeln!(
        out,
        "| SLO | objective | SLI | | budget spent | worst day | alerts fired |\n|---|---|---|---|---|---|---|"
    );
    for slo in slos {
        let _ = writeln!(
            out,
            "| {} | {}% | {} | {} | {} | {} | {} |",
            name(slo),
            crate::model::fmt_num(slo.objective),
            percent(slo.sli, 3),
            met(slo),
            percent(slo.budget_spent, 1),
            worst(slo),
            alerts_summary(slo)
        );
    }
    for slo in slos {
        let _ = writeln!(out, "\n## {}\n", name(slo));
        if let Some(note) = &slo.note {
            let _ = writeln!(out, "{note}\n");
        }
        if slo.alerts.is_empty() {
            let _ = writeln!(out, "No alert fired.");
        }
        for alert in &slo.alerts {
            let _ = writeln!(out, "- {}", alert_line(alert));
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:62rem;color:#1d2330;padding:0 1rem}\
h1{font-size:1.5rem;margin-bottom:.2rem}.period{color:#5b6577;margin-top:0}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e3e6ec}\
th{font-weight:600;color:#5b6577}.met{color:#1b7f3b;font-weight:600}.missed{color:#b42318;font-weight:600}\
section{margin:2rem 0;padding-top:.5rem;border-top:2px solid #e3e6ec}h2{font-size:1.15rem}\
svg{width:100%;height:auto;background:#fbfcfe;border:1px solid #e3e6ec;border-radius:6px}\
.budget{fill:none;stroke:#2f6feb;stroke-width:2}.zero{stroke:#b42318;stroke-dasharray:4 3}.grid{stroke:#e3e6ec}\
.axis{font-size:11px;fill:#5b6577}.page{fill:#d92d20}.ticket{fill:#f79009}\
ul.alerts{padding-left:1.2rem}.legend rect{stroke:none}";

/// The plot's frame in the SVG's coordinates.
const X0: f64 = 64.0;
const X1: f64 = 700.0;
const Y0: f64 = 16.0;
const Y1: f64 = 176.0;
/// Where the alert intervals are drawn, under the plot.
const BAND: f64 = 188.0;

fn chart(slo: &Reported, from: i64, to: i64) -> String {
    let span = (to - from).max(1) as f64;
    let x = |t: i64| X0 + (X1 - X0) * ((t - from) as f64 / span).clamp(0.0, 1.0);
    let low = slo
        .burndown
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::min)
        .max(-10.0);
    let y = |v: f64| Y0 + (Y1 - Y0) * ((1.0 - v.max(low)) / (1.0 - low));
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"burndown\" viewBox=\"0 0 720 232\" role=\"img\" aria-label=\"Error budget left over the period, and the alerts that fired, for {}\">",
        escape(&name(slo))
    );
    for (value, label) in [(1.0, "100%".to_string()), (0.0, "0%".to_string())]
        .into_iter()
        .chain((low < 0.0).then(|| (low, format!("{:.0}%", low * 100.0))))
    {
        let _ = write!(
            svg,
            "<line class=\"{}\" x1=\"{X0}\" x2=\"{X1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            if value == 0.0 { "zero" } else { "grid" },
            X0 - 6.0,
            y(value) + 4.0,
            y = y(value)
        );
    }
    let points: Vec<String> = slo
        .burndown
        .iter()
        .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
        .collect();
    if !points.is_empty() {
        let _ = write!(
            svg,
            "<polyline class=\"budget\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    for alert in &slo.alerts {
        let (a, b) = (x(alert.start), x(alert.end.unwrap_or(to)));
        let _ = write!(
            svg,
            "<rect class=\"alert {}\" x=\"{a:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"><title>{}</title></rect>",
            if alert.severity == "page" { "page" } else { "ticket" },
            if alert.severity == "page" { BAND } else { BAND + 10.0 },
            (b - a).max(1.5),
            8.0,
            escape(&alert_line(alert))
        );
    }
    let _ = write!(
        svg,
        "<text class=\"axis\" x=\"{X0}\" y=\"226\">{}</text><text class=\"axis\" x=\"{X1}\" y=\"226\" text-anchor=\"end\">{}</text>\
<g class=\"legend\"><rect class=\"page\" x=\"260\" y=\"218\" width=\"10\" height=\"8\"/><text class=\"axis\" x=\"274\" y=\"226\">page</text>\
<rect class=\"ticket\" x=\"320\" y=\"218\" width=\"10\" height=\"8\"/><text class=\"axis\" x=\"334\" y=\"226\">ticket</text>\
<line class=\"budget\" x1=\"390\" x2=\"404\" y1=\"222\" y2=\"222\"/><text class=\"axis\" x=\"408\" y=\"226\">budget left</text></g></svg>",
        day(from),
        day(to - 1)
    );
    svg
}

fn html(slos: &[Reported], from: i64, to: i64) -> String {
    let mut out = String::new();
    let title = format!("SLO report, {} to {}", day(from), day(to - 1));
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1><p class=\"period\">From {} to {} (UTC), from Prometheus: the SLIs from their raw series, the alerts from <code>ALERTS</code>.</p>\n",
        time(from),
        time(to)
    );
    out.push_str("<table class=\"summary\"><thead><tr><th>SLO</th><th>objective</th><th>SLI</th><th></th><th>budget spent</th><th>worst day</th><th>alerts fired</th></tr></thead><tbody>\n");
    for slo in slos {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}%</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            anchor(slo),
            escape(&name(slo)),
            crate::model::fmt_num(slo.objective),
            percent(slo.sli, 3),
            met(slo).replace(' ', "-"),
            met(slo),
            percent(slo.budget_spent, 1),
            escape(&worst(slo)),
            alerts_summary(slo)
        );
    }
    out.push_str("</tbody></table>\n");
    for slo in slos {
        let _ = write!(
            out,
            "<section class=\"slo\" id=\"{}\"><h2>{}</h2>",
            anchor(slo),
            escape(&name(slo))
        );
        if let Some(note) = &slo.note {
            let _ = write!(out, "<p>{}</p>", escape(note));
        }
        out.push_str(&chart(slo, from, to));
        out.push_str("<ul class=\"alerts\">");
        if slo.alerts.is_empty() {
            out.push_str("<li>No alert fired.</li>");
        }
        for alert in &slo.alerts {
            let _ = write!(out, "<li>{}</li>", escape(&alert_line(alert)));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn anchor(slo: &Reported) -> String {
    name(slo)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
