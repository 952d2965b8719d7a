//! `lookout status`: each SLO's current state, read from Prometheus.
//!
//! One instant query per recorded series name (not per SLO), so a project
//! of any size costs a handful of requests: the SLI over each distinct SLO
//! window, budget remaining, and the error ratio over the alert windows,
//! shown as burn rates (ratio ÷ budget). Log SLOs live in Loki and are
//! listed without values.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::http::{segment, Endpoint};
use crate::model::{names, Duration, Model};

/// Windows whose burn rate is shown.
pub const BURN_WINDOWS: [Duration; 4] = [
    Duration::minutes(5),
    Duration::hours(1),
    Duration::hours(6),
    Duration::days(3),
];

#[derive(Debug, Clone, Serialize)]
pub struct SloStatus {
    pub service: String,
    pub slo: String,
    /// Percent.
    pub objective: f64,
    pub window: String,
    /// The SLI kind: `events`, `latency`, `raw` or `logs`.
    pub sli_kind: &'static str,
    /// Share of good events over the window, 0..1.
    pub sli: Option<f64>,
    /// 1 = untouched, below 0 = overspent.
    pub budget_remaining: Option<f64>,
    /// Window → burn rate (1 = exactly sustainable).
    pub burn_rates: BTreeMap<String, Option<f64>>,
}

type Series = BTreeMap<(String, String), f64>;

fn query(endpoint: &Endpoint, expr: &str) -> Result<Series, String> {
    let path = format!("/api/v1/query?query={}", segment(expr));
    let response = endpoint.get(&path).map_err(|e| e.to_string())?;
    response
        .success()
        .map_err(|e| format!("query `{expr}`: {e}"))?;
    let body = response.json()?;
    let mut out = Series::new();
    for sample in body["data"]["result"].as_array().into_iter().flatten() {
        let metric = &sample["metric"];
        let (Some(service), Some(slo)) = (metric["service"].as_str(), metric["slo"].as_str())
        else {
            continue;
        };
        let value = sample["value"][1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok());
        if let Some(value) = value.filter(|v| v.is_finite()) {
            out.insert((service.to_string(), slo.to_string()), value);
        }
    }
    Ok(out)
}

pub fn status(model: &Model, endpoint: &Endpoint) -> Result<Vec<SloStatus>, String> {
    let periods: BTreeSet<Duration> = model
        .services
        .iter()
        .flat_map(|s| s.slos.iter().map(|slo| slo.period))
        .collect();
    let mut ratios: BTreeMap<Duration, Series> = BTreeMap::new();
    for window in periods.iter().chain(BURN_WINDOWS.iter()) {
        if !ratios.contains_key(window) {
            ratios.insert(*window, query(endpoint, &names::error_ratio(*window))?);
        }
    }
    let remaining = query(endpoint, names::PERIOD_BUDGET_REMAINING)?;
    let mut out = Vec::new();
    for service in &model.services {
        for slo in &service.slos {
            let key = (slo.service.clone(), slo.name.clone());
            let budget = slo.error_budget();
            let burn_rates = BURN_WINDOWS
                .iter()
                .map(|w| (w.to_string(), ratios[w].get(&key).map(|r| r / budget)))
                .collect();
            out.push(SloStatus {
                service: slo.service.clone(),
                slo: slo.name.clone(),
                objective: slo.objective,
                window: slo.period.to_string(),
                sli_kind: slo.sli.kind(),
                sli: ratios[&slo.period].get(&key).map(|r| 1.0 - r),
                budget_remaining: remaining.get(&key).copied(),
                burn_rates,
            });
        }
    }
    Ok(out)
}
