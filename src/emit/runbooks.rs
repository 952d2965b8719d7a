//! Runbook pages: `runbooks/<service>/<slo>.md`, one per SLO with alerts.
//!
//! The page comes from a handlebars template (built in, or the project's own
//! via `runbooks.template`). HTML escaping is off: the pages are Markdown and
//! carry PromQL, whose quotes and `=~` must survive.

use handlebars::Handlebars;
use serde_json::json;

use super::Artifact;
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
) -> Result<Vec<Artifact>, TemplateError> {
    Runbooks::new(runbooks)?.emit(services, layout, links)
}

/// The runbook template, parsed once: handlebars' parser is slow enough
/// that parsing it per service (as `build` emits a service at a time)
/// cost a tenth of a 10,000-SLO build.
pub struct Runbooks {
    registry: Handlebars<'static>,
}

impl Runbooks {
    pub fn new(settings: &RunbookSettings) -> Result<Runbooks, TemplateError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        let template = settings
            .template
            .as_ref()
            .map_or(DEFAULT_TEMPLATE, |t| t.text.as_str());
        registry
            .register_template_string("runbook", template)
            .map_err(|err| TemplateError {
                message: format!("template syntax error: {}", err.reason()),
                line: err.pos().map(|p| p.0),
                column: err.pos().map(|p| p.1),
            })?;
        Ok(Runbooks { registry })
    }

    pub fn emit(
        &self,
        services: &[Service],
        layout: &Layout,
        links: &Links,
    ) -> Result<Vec<Artifact>, TemplateError> {
        let registry = &self.registry;
        let mut artifacts = Vec::new();
        for service in services {
            let source = service.source.display().to_string();
            for slo in service.slos.iter().filter(|s| !s.alerting.tiers.is_empty()) {
                // `Context::from` takes the value as is; `render` would copy it.
                let mut context = context(slo, &source, links.grafana_url.as_deref());
                context["log_links"] = json!(log_links(&service.logs, links));
                let context = handlebars::Context::from(context);
                let body = registry
                    .render_with_context("runbook", &context)
                    .map_err(|err| TemplateError {
                        message: format!(
                            "cannot render the runbook of {}/{}: {}",
                            slo.service,
                            slo.name,
                            err.reason()
                        ),
                        line: err.line_no,
                        column: err.column_no,
                    })?;
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

/// Where to read the service's logs: Grafana Explore for those in Loki
/// (when lookout.yaml names Grafana's Loki data source), Kibana Discover
/// for those in Elasticsearch (when it names Kibana), over the last hour.
fn log_links(logs: &[LogSource], targets: &Links) -> Vec<serde_json::Value> {
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
            links.push(json!({
                "title": format!("{} in Grafana Explore (Loki)", log.name),
                "url": format!(
                    "{grafana}/explore?schemaVersion=1&orgId=1&panes={}",
                    super::url_encode(&panes.to_string())
                ),
            }));
        }
        if let (true, Some(kibana)) = (log.to_elasticsearch, targets.kibana_url.as_deref()) {
            let state = format!(
                "(index:'{}',query:(language:kuery,query:'event.dataset:\"{}\"'))",
                data_stream(&log.service),
                log.dataset()
            );
            links.push(json!({
                "title": format!("{} in Kibana Discover", log.name),
                "url": format!(
                    "{kibana}/app/discover#/?_g={}&_a={}",
                    super::url_encode("(time:(from:now-1h,to:now))"),
                    super::url_encode(&state)
                ),
            }));
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

/// Everything a runbook template can use; documented in the README.
pub fn context(slo: &Slo, source: &str, grafana_url: Option<&str>) -> serde_json::Value {
    let selector = names::selector(slo);
    let budget = slo.error_budget();
    let tiers: Vec<_> = slo
        .alerting
        .tiers
        .iter()
        .map(|tier| {
            let pairs: Vec<_> = tier
                .pairs
                .iter()
                .map(|pair| {
                    let factor = pair.factor;
                    json!({
                        "long": pair.long.to_string(),
                        "short": pair.short.to_string(),
                        "factor": fmt_short(factor),
                        "threshold": fmt_short(pair.threshold),
                        "budget_spent": format!("{}%", fmt_short(factor * pair.long.seconds() as f64 / slo.period.seconds() as f64 * 100.0)),
                        "exhaustion": humanize(slo.period.seconds() as f64 / factor),
                    })
                })
                .collect();
            json!({
                "tier": tier.severity.as_str(),
                "severity": tier.severity_label,
                "for": tier.for_.map(|d| d.to_string()),
                "pairs": pairs,
            })
        })
        .collect();
    let hour = Duration::hours(1);
    // Every SLO's ratios are recorded in Prometheus; the SLI as written is
    // PromQL, or LogQL for a log SLO.
    let ratio = |window| format!("{}{selector}", names::error_ratio(window));
    let mut queries = json!({
        "query_language": "promql",
        "ratio_5m": ratio(Duration::minutes(5)),
        "ratio_1h": ratio(hour),
        "ratio_6h": ratio(Duration::hours(6)),
        "budget_remaining": format!("1 - {}{selector}", names::PERIOD_BURN_RATE),
        "errors_query": null,
        "total_query": null,
        "ratio_query": null,
        "log_stream": null,
    });
    match &slo.sli {
        Sli::Logs(log) => {
            let count = |query: String| format!("sum(count_over_time({query} [{hour}]))");
            queries["query_language"] = json!("logql");
            queries["errors_query"] = json!(count(log.errors_query()));
            queries["total_query"] = json!(count(log.events_query()));
            queries["log_stream"] = json!(log.log.loki_selector());
        }
        Sli::Metric(MetricSli::Raw { error_ratio }) => {
            queries["ratio_query"] = json!(error_ratio.at(hour))
        }
        Sli::Metric(MetricSli::Events { errors, total })
        | Sli::Metric(MetricSli::Latency { errors, total, .. }) => {
            queries["errors_query"] = json!(errors.at(hour));
            queries["total_query"] = json!(total.at(hour));
        }
    }
    let mut context = json!({
        "service": slo.service,
        "slo": slo.name,
        "description": slo.description,
        "team": slo.team,
        "objective": fmt_num(slo.objective),
        "window": slo.period.to_string(),
        "sli_kind": slo.sli.kind(),
        "budget_ratio": fmt_num(budget),
        "budget_percent": fmt_num(budget * 100.0),
        // A raw SLI is a ratio of time (share of minutes bad), not of events.
        "budget_of": if slo.sli.is_raw() { "of the time" } else { "of events" },
        "dashboard_url": grafana_url.map(|url| format!(
            "{url}{}?var-slo={}",
            super::grafana::dashboard_path(&slo.service),
            slo.name
        )),
        "budget_time": humanize(slo.period.seconds() as f64 * budget),
        "alert_name": slo.alerting.name,
        "runbook_url": slo.alerting.runbook_url,
        "labels": slo.labels,
        "tiers": tiers,
        "source": source,
    });
    if let (Some(context), serde_json::Value::Object(queries)) = (context.as_object_mut(), queries)
    {
        context.extend(queries);
    }
    context
}
