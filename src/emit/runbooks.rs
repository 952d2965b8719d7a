//! Runbook pages: `runbooks/<service>/<slo>.md`, one per SLO with alerts.
//!
//! The page comes from a handlebars template (built in, or the project's own
//! via `runbooks.template`). HTML escaping is off: the pages are Markdown and
//! carry PromQL, whose quotes and `=~` must survive.

use std::collections::BTreeMap;
use std::fmt::Write;

use handlebars::Handlebars;
use serde::Serialize;
use serde_json::json;

use super::Artifact;
use crate::model::detection;
use crate::model::logs::data_stream;
use crate::model::settings::{Layout, Links, RunbookSettings};
use crate::model::{
    fmt_num, fmt_short, humanize, names, Duration, LogSource, MetricSli, Service, Sli, Slo,
};

/// The built-in template.
pub const DEFAULT_TEMPLATE: &str = include_str!("templates/runbook.md.hbs");

/// A runbook template that failed to compile or render.
#[derive(Debug)]
pub struct TemplateError {
    pub message: String,
    /// 1-based position in the template, when handlebars reports one.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

pub fn emit(
    services: &[Service],
    layout: &Layout,
    runbooks: &RunbookSettings,
    links: &Links,
    eval: detection::Evaluation,
) -> Result<Vec<Artifact>, TemplateError> {
    Runbooks::new(runbooks)?.emit(services, layout, links, eval)
}

/// How pages are written: the project's template, parsed once (handlebars'
/// parser is slow enough that parsing it per service cost a tenth of a
/// 10,000-SLO build), or the built-in page.
pub struct Runbooks {
    custom: Option<Handlebars<'static>>,
}

impl Runbooks {
    pub fn new(settings: &RunbookSettings) -> Result<Runbooks, TemplateError> {
        let custom = match &settings.template {
            Some(template) => Some(registry(&template.text)?),
            None => None,
        };
        Ok(Runbooks { custom })
    }

    pub fn emit(
        &self,
        services: &[Service],
        layout: &Layout,
        links: &Links,
        eval: detection::Evaluation,
    ) -> Result<Vec<Artifact>, TemplateError> {
        let mut artifacts = Vec::new();
        for service in services {
            let source = service.source.display().to_string();
            let log_links = log_links(&service.logs, links);
            for slo in service.slos.iter().filter(|s| !s.alerting.tiers.is_empty()) {
                let page = Page::new(slo, &source, links.grafana_url.as_deref(), &log_links, eval);
                let body = match &self.custom {
                    None => built_in_page(&page),
                    Some(registry) => render(registry, &page).map_err(|err| TemplateError {
                        message: format!(
                            "cannot render the runbook of {}/{}: {}",
                            slo.service,
                            slo.name,
                            err.reason()
                        ),
                        line: err.line_no,
                        column: err.column_no,
                    })?,
                };
                artifacts.push(Artifact::file(
                    layout
                        .runbooks
                        .join(&slo.service)
                        .join(format!("{}.md", slo.name)),
                    marked(&body),
                ));
            }
        }
        Ok(artifacts)
    }
}

/// `page` through a handlebars template.
fn render(registry: &Handlebars<'static>, page: &Page) -> Result<String, handlebars::RenderError> {
    // `Context::from` takes the value as is; `render` would copy it.
    let value = serde_json::to_value(page).expect("a page serialises");
    registry.render_with_context("runbook", &handlebars::Context::from(value))
}

/// A handlebars registry holding `template` as "runbook": strict (an
/// unknown variable is an error) and without HTML escaping.
fn registry(template: &str) -> Result<Handlebars<'static>, TemplateError> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry
        .register_template_string("runbook", template)
        .map_err(|err| TemplateError {
            message: format!("template syntax error: {}", err.reason()),
            line: err.pos().map(|p| p.0),
            column: err.pos().map(|p| p.1),
        })?;
    Ok(registry)
}

/// Where to read the service's logs: Grafana Explore for those in Loki
/// (when lookout.yaml names Grafana's Loki data source), Kibana Discover
/// for those in Elasticsearch (when it names Kibana), over the last hour.
fn log_links(logs: &[LogSource], targets: &Links) -> Vec<LogLink> {
    let mut links = Vec::new();
    for log in logs {
        let grafana = targets.grafana_url.as_deref();
        let loki = targets.loki_datasource.as_deref();
        if let (true, Some(grafana), Some(uid)) = (log.to_loki, grafana, loki) {
            let panes = json!({"lookout": {
                "datasource": uid,
                "queries": [{
                    "refId": "A",
                    "expr": log.loki_selector(),
                    "datasource": {"type": "loki", "uid": uid},
                }],
                "range": {"from": "now-1h", "to": "now"},
            }});
            links.push(LogLink {
                title: format!("{} in Grafana Explore (Loki)", log.name),
                url: format!(
                    "{grafana}/explore?schemaVersion=1&orgId=1&panes={}",
                    super::url_encode(&panes.to_string())
                ),
            });
        }
        if let (true, Some(kibana)) = (log.to_elasticsearch, targets.kibana_url.as_deref()) {
            let state = format!(
                "(index:'{}',query:(language:kuery,query:'event.dataset:\"{}\"'))",
                data_stream(&log.service),
                log.dataset()
            );
            links.push(LogLink {
                title: format!("{} in Kibana Discover", log.name),
                url: format!(
                    "{kibana}/app/discover#/?_g={}&_a={}",
                    super::url_encode("(time:(from:now-1h,to:now))"),
                    super::url_encode(&state)
                ),
            });
        }
    }
    links
}

/// The page with lookout's marker on its first line.
fn marked(body: &str) -> String {
    let body = body.trim_end();
    let mut page = String::with_capacity(body.len() + 48);
    page.push_str("<!-- ");
    page.push_str(super::GENERATED_MARKER);
    page.push_str(" -->\n");
    page.push_str(body);
    page.push('\n');
    page
}

/// A link to the service's logs, for the `log_links` table rows.
#[derive(Serialize)]
struct LogLink {
    title: String,
    url: String,
}

/// Everything a runbook template can use, documented in the book (`docs/src/explanation/alert-math.md`); a
/// template sees it as JSON, in this order.
#[derive(Serialize)]
struct Page<'a> {
    service: &'a str,
    slo: &'a str,
    description: Option<&'a str>,
    team: Option<&'a str>,
    objective: String,
    window: String,
    calendar_note: Option<String>,
    group_note: Option<String>,
    sli_kind: &'static str,
    budget_ratio: String,
    budget_percent: String,
    budget_of: &'static str,
    dashboard_url: Option<String>,
    budget_time: String,
    alert_name: &'a str,
    runbook_url: Option<&'a str>,
    labels: &'a BTreeMap<String, String>,
    tiers: Vec<TierRows>,
    /// Said when a pair may fire later than its times.
    lag_note: Option<String>,
    /// What the no-data alert means, when the SLO has one.
    no_data: Option<String>,
    source: &'a str,
    query_language: &'static str,
    ratio_5m: String,
    ratio_1h: String,
    ratio_6h: String,
    budget_remaining: String,
    errors_query: Option<String>,
    total_query: Option<String>,
    ratio_query: Option<String>,
    log_stream: Option<String>,
    log_links: &'a [LogLink],
}

#[derive(Serialize)]
struct TierRows {
    tier: &'static str,
    severity: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    pairs: Vec<PairRow>,
}

#[derive(Serialize)]
struct PairRow {
    long: String,
    short: String,
    factor: String,
    threshold: String,
    budget_spent: String,
    exhaustion: String,
    /// `lookout explain`'s times: to fire at 100% errors, 10x and 2x the
    /// threshold, and to resolve.
    at_full: String,
    at_10x: String,
    at_2x: String,
    resolves: String,
}

impl<'a> Page<'a> {
    fn new(
        slo: &'a Slo,
        source: &'a str,
        grafana_url: Option<&str>,
        log_links: &'a [LogLink],
        eval: detection::Evaluation,
    ) -> Page<'a> {
        let selector = names::selector(slo);
        let budget = slo.error_budget();
        let period = slo.period.seconds() as f64;
        let explained = detection::explain(slo, eval, None);
        let mut lags = false;
        let tiers = slo
            .alerting
            .tiers
            .iter()
            .zip(&explained.tiers)
            .map(|(tier, explained)| TierRows {
                tier: tier.severity.as_str(),
                severity: tier.severity_label.clone(),
                for_: tier.for_.map(|d| d.to_string()),
                pairs: tier
                    .pairs
                    .iter()
                    .zip(&explained.pairs)
                    .map(|(pair, times)| {
                        lags |= times.may_lag_seconds > 0;
                        PairRow {
                            long: pair.long.to_string(),
                            short: pair.short.to_string(),
                            factor: fmt_short(pair.factor),
                            threshold: fmt_short(pair.threshold),
                            budget_spent: crate::model::fmt_percent(pair.budget_spent),
                            exhaustion: humanize(pair.exhaustion_seconds),
                            at_full: times.time_cell(0),
                            at_10x: times.time_cell(1),
                            at_2x: times.time_cell(2),
                            resolves: detection::compact(times.resolve_seconds),
                        }
                    })
                    .collect(),
            })
            .collect();
        let lag_note = lags.then(|| {
            format!(
                "\\* reads a window of 2h or more as the long rule group last recorded it, so up to {} later.",
                eval.long_interval
            )
        });
        let hour = Duration::hours(1);
        // Every SLO's ratios are recorded in Prometheus; the SLI as written
        // is PromQL, or LogQL for a log SLO.
        let ratio = |window| format!("{}{selector}", names::error_ratio(window));
        let (mut errors_query, mut total_query, mut ratio_query, mut log_stream) =
            (None, None, None, None);
        let mut query_language = "promql";
        match &slo.sli {
            Sli::Logs(log) => {
                let count = |query: String| format!("sum(count_over_time({query} [{hour}]))");
                query_language = "logql";
                errors_query = Some(count(log.errors_query()));
                total_query = Some(count(log.events_query()));
                log_stream = Some(log.log.loki_selector());
            }
            Sli::Metric(MetricSli::Raw { error_ratio }) => ratio_query = Some(error_ratio.at(hour)),
            Sli::Metric(MetricSli::Events { errors, total })
            | Sli::Metric(MetricSli::Latency { errors, total, .. }) => {
                errors_query = Some(errors.at(hour));
                total_query = Some(total.at(hour));
            }
        }
        Page {
            service: &slo.service,
            slo: &slo.name,
            description: slo.description.as_deref(),
            team: slo.team.as_deref(),
            objective: fmt_num(slo.objective),
            window: slo.period_description(),
            calendar_note: slo.calendar_note(),
            group_note: group_note(slo),
            sli_kind: slo.sli.kind(),
            budget_ratio: fmt_num(budget),
            budget_percent: fmt_num(budget * 100.0),
            // A raw SLI is a ratio of time (share of minutes bad), not of events.
            budget_of: if slo.sli.is_raw() {
                "of the time"
            } else {
                "of events"
            },
            dashboard_url: grafana_url.map(|url| {
                format!(
                    "{url}{}?var-slo={}",
                    super::grafana::dashboard_path(&slo.service),
                    slo.name
                )
            }),
            budget_time: humanize(period * budget),
            alert_name: &slo.alerting.name,
            runbook_url: slo.alerting.runbook_url.as_deref(),
            labels: &slo.labels,
            tiers,
            lag_note,
            no_data: slo.alerting.no_data.as_ref().map(|no_data| {
                format!(
                    "`{}{}` (`severity: {}`, `slo_severity: no_data`) fires when {} (`{}`): until data returns, the alerts above cannot fire. Look for a renamed metric, a stopped exporter, or Loki rules that are not loaded.",
                    slo.alerting.name,
                    super::prometheus::NO_DATA_ALERT_SUFFIX,
                    no_data.severity_label,
                    super::prometheus::no_data_watched(slo, no_data),
                    super::prometheus::no_data_expr(slo)
                )
            }),
            source,
            query_language,
            ratio_5m: ratio(Duration::minutes(5)),
            ratio_1h: ratio(hour),
            ratio_6h: ratio(Duration::hours(6)),
            budget_remaining: format!("1 - {}{selector}", names::PERIOD_BURN_RATE),
            errors_query,
            total_query,
            ratio_query,
            log_stream,
            log_links,
        }
    }
}

/// For a grouped SLO, what its groups mean for whoever is paged.
fn group_note(slo: &Slo) -> Option<String> {
    if slo.group_by.is_empty() {
        return None;
    }
    let labels: Vec<String> = slo.group_by.iter().map(|l| format!("`{l}`")).collect();
    let example: Vec<String> = slo.group_by.iter().map(|l| format!("{l}=…")).collect();
    Some(format!(
        "Grouped by {}: each value is an SLO of its own, with its own budget and alerts. An alert names its group (`[{}]`) and links here and to the dashboard with it; the queries below answer one series per group. The no-data alert watches the SLO as a whole: a group whose series vanish is not alerted on.",
        labels.join(", "),
        example.join(", ")
    ))
}

/// `DEFAULT_TEMPLATE` rendered over `page`, written directly: handlebars
/// took a fifth of a cold build's instructions on the built-in page alone.
/// The template stays the reference (users copy it to write their own);
/// `built_in_page_is_the_default_template` checks the two agree on every
/// branch, for every SLO of the examples and fixtures.
fn built_in_page(page: &Page) -> String {
    // Handlebars' `if`: an empty string is false.
    fn given(value: Option<&str>) -> Option<&str> {
        value.filter(|v| !v.is_empty())
    }
    let Page {
        service,
        slo,
        window,
        alert_name,
        ..
    } = page;
    let mut out = String::with_capacity(4096);
    let _ = writeln!(out, "# {service} / {slo}: error budget burn\n");
    if let Some(description) = given(page.description) {
        let _ = writeln!(out, "> {description}\n");
    }
    let _ = writeln!(
        out,
        "| | |\n|---|---|\n| Service | `{service}` |\n| SLO | `{slo}`: {}% over {window} |\n\
         | SLI | {} |\n\
         | Error budget | {}% {}, about {} of full outage per {window} |",
        page.objective, page.sli_kind, page.budget_percent, page.budget_of, page.budget_time
    );
    match given(page.team) {
        Some(team) => {
            let _ = writeln!(out, "| Owner | team `{team}` |");
        }
        None => out.push_str("| Owner | no team set in the spec |\n"),
    }
    let _ = writeln!(out, "| Alert | `{alert_name}` |");
    if let Some(url) = given(page.dashboard_url.as_deref()) {
        let _ = writeln!(out, "| Dashboard | [{service} / {slo}]({url}) |");
    }
    for link in page.log_links {
        let _ = writeln!(out, "| Logs | [{}]({}) |", link.title, link.url);
    }
    if let Some(note) = given(page.calendar_note.as_deref()) {
        let _ = writeln!(out, "\n{note}");
    }
    if let Some(note) = given(page.group_note.as_deref()) {
        let _ = writeln!(out, "\n{note}");
    }
    let _ = write!(
        out,
        "\n## What the alert means\n\n\
         `{alert_name}` fires when `{service}` spends its error budget for `{slo}`\n\
         faster than it can afford. It is a multi-window, multi-burn-rate alert: it\n\
         fires only when the error ratio is high over a long window (the burn is\n\
         significant) *and* over a short window (the burn is still going on), so it\n\
         resets soon after the problem stops.\n\n\
         | Alert | Severity | Long window | Short window | Burn rate | Error ratio above | Budget spent before it fires | Budget gone in |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    for tier in &page.tiers {
        for pair in &tier.pairs {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {}x | {} | {} | {} |",
                tier.tier,
                tier.severity,
                pair.long,
                pair.short,
                pair.factor,
                pair.threshold,
                pair.budget_spent,
                pair.exhaustion
            );
        }
    }
    let _ = write!(
        out,
        "\nA page means the budget will be gone within days at this rate: act now. A\n\
         ticket means a slower leak: fix it within working hours.\n\n\
         When each pair fires, from the start of an incident after a long window of\n\
         good traffic, at 100% errors and at 10 and 2 times its threshold; and how\n\
         long after a total outage it resolves (`lookout explain {service}/{slo}`):\n\n\
         | Alert | Windows | 100% errors | 10x threshold | 2x threshold | Resolves after |\n\
         |---|---|---|---|---|---|\n",
        service = page.service,
        slo = page.slo,
    );
    for tier in &page.tiers {
        for pair in &tier.pairs {
            let _ = writeln!(
                out,
                "| {} | {} / {} | {} | {} | {} | {} |",
                tier.tier,
                pair.long,
                pair.short,
                pair.at_full,
                pair.at_10x,
                pair.at_2x,
                pair.resolves
            );
        }
    }
    if let Some(note) = &page.lag_note {
        let _ = write!(out, "\n{note}\n");
    }
    if let Some(note) = &page.no_data {
        let _ = write!(out, "\n{note}\n");
    }
    out.push_str("\n## Look at it\n\n");
    if let Some(stream) = given(page.log_stream.as_deref()) {
        let _ = write!(
            out,
            "This SLO is measured on the log stream `{stream}`. The Loki ruler\n\
             counts its lines and writes the 5m rates to Prometheus, so the ratios below\n\
             are PromQL; the log queries further down run in Grafana Explore against\n\
             Loki.\n\n"
        );
    }
    let _ = write!(
        out,
        "Current error ratio, by window (1 = every request failed):\n\n\
         ```promql\n{}\n{}\n{}\n```\n\n",
        page.ratio_5m, page.ratio_1h, page.ratio_6h
    );
    if !page.budget_remaining.is_empty() {
        let over = match given(page.calendar_note.as_deref()) {
            Some(_) => "this period".to_string(),
            None => format!("over the {window} window"),
        };
        let _ = write!(
            out,
            "Error budget left {over} (1 = untouched, below 0 = overspent):\n\n\
             ```promql\n{}\n```\n\n",
            page.budget_remaining
        );
    }
    out.push_str("The SLI as written in the spec, over the last hour:\n\n");
    match given(page.errors_query.as_deref()) {
        Some(errors) => {
            let _ = writeln!(
                out,
                "```{}\n# errors\n{errors}\n# total\n{}\n```",
                page.query_language,
                page.total_query.as_deref().unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "```promql\n{}\n```",
                page.ratio_query.as_deref().unwrap_or_default()
            );
        }
    }
    out.push_str(
        "\n## First steps\n\n\
         1. Check the burn: is the short-window ratio still high, or has it already\n   \
         dropped (the alert will resolve by itself)?\n\
         2. Look for a recent change: deploys, config or feature-flag changes, and\n   \
         infrastructure events around the time the ratio rose.\n\
         3. Find where the errors come from: break the SLI query down by instance,\n   \
         route, status code or upstream (`sum by (...)`).\n\
         4. Mitigate first: roll back, fail over, shed load or scale out. Debug once\n   \
         the bleeding has stopped.\n\
         5. If the budget is spent, follow the error budget policy: freeze risky\n   \
         changes until it recovers.\n\n## Escalation\n\n",
    );
    match given(page.team) {
        Some(team) => {
            let _ = write!(
                out,
                "This SLO belongs to team **{team}**. If the steps above do not stop the burn\n\
                 within 30 minutes of a page, escalate to the team's on-call lead."
            );
        }
        None => out.push_str(
            "The spec names no owning team. Set `team:` in the service spec so this page can say who to escalate to.",
        ),
    }
    let _ = write!(
        out,
        "\n\n---\nGenerated from `{}`. Edit the spec, not this page.\n",
        page.source
    );
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;
    use crate::check::{compile, Inputs};

    /// Every alerting SLO of the examples and the fixtures, written by
    /// `built_in_page` and rendered by handlebars from `DEFAULT_TEMPLATE`,
    /// with the links and the optional description and team each present
    /// and absent.
    #[test]
    fn built_in_page_is_the_default_template() {
        let registry = registry(DEFAULT_TEMPLATE).unwrap();
        let projects = [
            ("lookout.yaml", "slos"),
            (
                "tests/fixtures/valid/edge/lookout.yaml",
                "tests/fixtures/valid/edge/slos",
            ),
            ("tests/fixtures/lookout.yaml", "tests/fixtures/routes/slos"),
        ];
        let (mut pages, mut kinds) = (0, BTreeSet::new());
        for (config, slos) in projects {
            let compiled = compile(&Inputs {
                config: Some(PathBuf::from(config)),
                slos: Some(PathBuf::from(slos)),
            });
            let Ok(project) = compiled else {
                panic!("{config} compiles");
            };
            let model = &project.model;
            for links in [project.settings.links.clone(), Links::default()] {
                for service in &model.services {
                    let log_links = log_links(&service.logs, &links);
                    for slo in service.slos.iter().filter(|s| !s.alerting.tiers.is_empty()) {
                        for variant in 0..4 {
                            let mut slo = slo.clone();
                            slo.description =
                                (variant & 1 == 0).then(|| "Checkout's main flow.".into());
                            slo.team = (variant & 2 == 0).then(|| "payments".into());
                            let grafana = links.grafana_url.as_deref();
                            let page = Page::new(
                                &slo,
                                "slos/x.yaml",
                                grafana,
                                &log_links,
                                crate::model::settings::PrometheusSettings::default().evaluation(),
                            );
                            assert_eq!(
                                built_in_page(&page),
                                render(&registry, &page).unwrap(),
                                "{}/{} in {slos}",
                                slo.service,
                                slo.name
                            );
                            pages += 1;
                            kinds.insert(slo.sli.kind());
                            kinds.extend(log_links.first().map(|_| "with log links"));
                        }
                    }
                }
            }
        }
        assert!(pages > 50, "{pages} pages");
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            ["events", "latency", "logs", "raw", "with log links"]
        );
    }
}
