//! Reading history from Prometheus: range queries split into pieces the
//! server takes (it refuses more than 11,000 points per series), and the
//! evaluation interval Prometheus runs its rules at.

use std::collections::BTreeMap;

use super::http::{segment, Endpoint};

/// Prometheus refuses a range query of more than 11,000 points per
/// series (`web/api/v1/api.go`); a piece stays below.
pub const MAX_POINTS: i64 = 10_000;

/// One series of a range query: its labels, and its samples as
/// `(unix seconds, value)` in time order.
pub type RangeSeries = (BTreeMap<String, String>, Vec<(i64, f64)>);

/// `expr` from `start` to `end` (unix seconds, both included) every
/// `step` seconds, in pieces of at most [`MAX_POINTS`] steps, the series
/// of every piece joined by their labels. `progress` hears each piece.
pub fn range(
    endpoint: &Endpoint,
    expr: &str,
    start: i64,
    end: i64,
    step: i64,
    progress: &dyn Fn(),
) -> Result<Vec<RangeSeries>, String> {
    let mut joined: BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>> = BTreeMap::new();
    let mut piece_start = start;
    while piece_start <= end {
        let piece_end = (piece_start + (MAX_POINTS - 1) * step).min(end);
        let path = format!(
            "/api/v1/query_range?query={}&start={piece_start}&end={piece_end}&step={step}",
            segment(expr)
        );
        let response = endpoint.get(&path).map_err(|e| e.to_string())?;
        response
            .success()
            .map_err(|e| format!("range query `{expr}`: {e}"))?;
        let body = response.json()?;
        for series in body["data"]["result"].as_array().into_iter().flatten() {
            let labels: BTreeMap<String, String> = series["metric"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            let samples = joined.entry(labels).or_default();
            for point in series["values"].as_array().into_iter().flatten() {
                let time = point[0].as_f64().map(|t| t.round() as i64);
                let value = point[1].as_str().and_then(|v| v.parse::<f64>().ok());
                if let (Some(time), Some(value)) = (time, value) {
                    samples.push((time, value));
                }
            }
        }
        progress();
        piece_start = piece_end + step;
    }
    Ok(joined.into_iter().collect())
}

/// Prometheus's global `evaluation_interval`, in seconds, from
/// `/api/v1/status/config`; `None` when it cannot be read.
pub fn evaluation_interval(endpoint: &Endpoint) -> Option<u64> {
    let config = endpoint.get_json("/api/v1/status/config").ok()??;
    let yaml = config["data"]["yaml"].as_str()?;
    // The first `evaluation_interval:` of the config Prometheus prints is
    // its `global:` block's: a key scanned for, not YAML parsed.
    let value = yaml
        .lines()
        .find_map(|line| line.trim().strip_prefix("evaluation_interval:"))?;
    crate::model::Duration::parse_prometheus(value.trim()).map(|d| d.seconds())
}

/// One series' labels and the times of its raw samples.
pub type RawTimes = (BTreeMap<String, String>, Vec<i64>);

/// The raw samples' times of a range selector (`x[30d]`) evaluated at
/// `time`, per series: what a rule engine wrote, one per evaluation.
pub fn raw(endpoint: &Endpoint, selector: &str, time: i64) -> Result<Vec<RawTimes>, String> {
    let path = format!("/api/v1/query?query={}&time={time}", segment(selector));
    let response = endpoint.get(&path).map_err(|e| e.to_string())?;
    response
        .success()
        .map_err(|e| format!("query `{selector}`: {e}"))?;
    let body = response.json()?;
    Ok(body["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|series| {
            let labels = series["metric"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            let times = series["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p[0].as_f64().map(|t| t.round() as i64))
                .collect();
            (labels, times)
        })
        .collect())
}

/// Whether `selector` matched any series in the `span` seconds up to `at`.
pub fn any_series(endpoint: &Endpoint, selector: &str, span: i64, at: i64) -> Result<bool, String> {
    let query = format!("count(last_over_time({selector}[{}s]))", span.max(1));
    let path = format!("/api/v1/query?query={}&time={at}", segment(&query));
    let response = endpoint.get(&path).map_err(|e| e.to_string())?;
    response
        .success()
        .map_err(|e| format!("query `{query}`: {e}"))?;
    let body = response.json()?;
    Ok(body["data"]["result"]
        .as_array()
        .is_some_and(|r| !r.is_empty()))
}
