//! `status`: the project compiled (the model is all it needs), then every
//! SLO's state read from Prometheus.

use super::{prometheus_endpoint, Generated, Request};

/// The result of `status`.
pub struct StatusReport {
    pub generated: Generated,
    pub error: Option<String>,
    pub slos: Vec<crate::push::status::SloStatus>,
}

/// Reads every SLO's state from Prometheus.
pub fn status(request: &Request, http: &crate::push::http::HttpOptions) -> StatusReport {
    // The model is all status reads: no emitter, no jsonnet.
    let generated = Generated::model_only(request);
    let mut report = StatusReport {
        generated,
        error: None,
        slos: Vec::new(),
    };
    let Some(model) = &report.generated.model else {
        return report;
    };
    let result =
        prometheus_endpoint(&report.generated.settings, http, "status").and_then(|endpoint| {
            crate::push::status::status(
                model,
                &endpoint,
                super::check::log_rules(&report.generated.settings),
            )
        });
    match result {
        Ok(slos) => report.slos = slos,
        Err(error) => report.error = Some(error),
    }
    report
}
