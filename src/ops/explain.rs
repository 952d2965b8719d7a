//! `explain`: when each of an SLO's window pairs fires and resolves, from
//! the compiled model (`model::detection`), at the SLO's current traffic
//! when it sets `min_errors`.

use super::{prometheus_endpoint, Generated, Request};
use crate::model::detection::{self, Explanation};

/// The result of `explain`.
pub struct ExplainReport {
    pub generated: Generated,
    pub explanation: Option<Explanation>,
    /// Where the traffic came from, or why there is none.
    pub traffic_note: Option<String>,
}

/// Where `explain` takes an SLO's traffic from.
pub enum Traffic {
    /// Given, in events per second.
    Given(f64),
    /// Read from Prometheus, if it is configured.
    Prometheus(crate::push::http::HttpOptions),
}

/// Explains `target` (`service/slo`).
pub fn explain(request: &Request, target: &str, traffic: Traffic) -> Result<ExplainReport, String> {
    let generated = Generated::model_only(request);
    let mut report = ExplainReport {
        generated,
        explanation: None,
        traffic_note: None,
    };
    let Some(model) = &report.generated.model else {
        return Ok(report);
    };
    let Some((service, name)) = target.split_once('/') else {
        return Err(format!(
            "`{target}` names no SLO: write SERVICE/SLO, e.g. `checkout/availability`"
        ));
    };
    let Some(slo) = model
        .slos()
        .find(|slo| slo.service == service && slo.name == name)
    else {
        let known: Vec<String> = model
            .slos()
            .map(|slo| format!("{}/{}", slo.service, slo.name))
            .collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        return Err(format!(
            "no SLO `{target}`: {}",
            crate::spec::suggest(target, &known, "the project's SLOs")
        ));
    };
    let settings = &report.generated.settings;
    let eval = settings.prometheus.evaluation();
    let traffic = if slo.alerting.min_errors == 0 {
        None
    } else {
        match traffic {
            Traffic::Given(rate) => {
                report.traffic_note = Some("given with --traffic".into());
                Some(rate)
            }
            Traffic::Prometheus(http) => {
                let read = prometheus_endpoint(settings, &http, "explain")
                    .and_then(|endpoint| crate::push::status::traffic(&endpoint, slo));
                match read {
                    Ok(Some(rate)) if rate <= 0.0 => {
                        report.traffic_note = Some("Prometheus counted no event over the last hour: pass --traffic EVENTS_PER_SECOND".into());
                        None
                    }
                    Ok(Some(rate)) => {
                        report.traffic_note =
                            Some("read from Prometheus: the last hour's average".into());
                        Some(rate)
                    }
                    Ok(None) => {
                        report.traffic_note = Some("Prometheus has no event rate for this SLO yet: pass --traffic EVENTS_PER_SECOND".into());
                        None
                    }
                    Err(error) => {
                        report.traffic_note = Some(format!(
                            "traffic unknown ({error}): pass --traffic EVENTS_PER_SECOND"
                        ));
                        None
                    }
                }
            }
        }
    };
    report.explanation = Some(detection::explain(slo, eval, traffic));
    Ok(report)
}
