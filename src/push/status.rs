//! `lookout status`: each SLO's current state, read from Prometheus.
//!
//! One instant query per recorded series name (not per SLO), so a project
//! of any size costs a handful of requests: the SLI over each distinct SLO
//! window, budget remaining, and the error ratio over the alert windows,
//! shown as burn rates (ratio ÷ budget). Plus, per SLO, when its 5m
//! series began (within the window), so a value over a window not yet full
//! is marked as such, and a missing one says why.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::http::{segment, Endpoint};
use crate::model::{names, Duration, Model, STATUS_WINDOWS};

#[derive(Debug, Clone, Serialize)]
pub struct SloStatus {
    pub service: String,
    pub slo: String,
    /// A grouped SLO's group, `route=/pay`: one status per group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
    /// Share of the window the recorded series cover, 0..1: below 1 the SLI
    /// and budget are over less than the window (right after a deploy, a
    /// burn of the whole budget can read as -900%).
    pub window_covered: Option<f64>,
    /// A calendar SLO's current period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodStatus>,
    /// Why the SLI is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Why the figures may not be what they seem: Prometheus still runs
    /// another objective than the spec's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The calendar period a calendar SLO's budget and SLI are over.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeriodStatus {
    /// `week`, `month` or `quarter`.
    pub calendar: &'static str,
    /// `+02:00`.
    pub utc_offset: String,
    /// RFC 3339, UTC.
    pub start: String,
    /// When the next period starts, RFC 3339, UTC.
    pub end: String,
}

/// What `GET /api/v1/rules` says of each group: evaluated yet, interval.
type Groups = BTreeMap<String, (bool, f64)>;

/// Every loaded group by name, or nothing when the rules API does not
/// answer (status then goes without).
fn loaded_groups(endpoint: &Endpoint) -> Groups {
    let Ok(Some(body)) = endpoint.get_json("/api/v1/rules") else {
        return Groups::new();
    };
    let mut groups = Groups::new();
    for group in body["data"]["groups"].as_array().into_iter().flatten() {
        let name = group["name"].as_str().unwrap_or_default().to_string();
        // Go's zero time until the first evaluation.
        let evaluated = group["lastEvaluation"]
            .as_str()
            .is_some_and(|t| !t.starts_with("0001-"));
        let interval = group["interval"].as_f64().unwrap_or(0.0);
        groups.insert(name, (evaluated, interval));
    }
    groups
}

/// Values by `(service, slo, group)`; the group is `route=/pay` for a
/// grouped SLO's series, empty for others.
type Series = BTreeMap<(String, String, String), f64>;

/// An SLO's traffic, events per second averaged over the last hour, for
/// `explain`; `None` while Prometheus has none of its 5m event rates.
pub fn traffic(endpoint: &Endpoint, slo: &crate::model::Slo) -> Result<Option<f64>, String> {
    let series = query(
        endpoint,
        &format!(
            "avg_over_time({}{}[1h])",
            names::EVENTS_RATE,
            names::selector(slo)
        ),
        &[],
    )?;
    Ok(series.values().next().copied())
}

/// `expr`'s values, keyed by their SLO and their values of `group_labels`.
fn query(endpoint: &Endpoint, expr: &str, group_labels: &[String]) -> Result<Series, String> {
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
        let group: Vec<String> = group_labels
            .iter()
            .filter_map(|label| Some(format!("{label}={}", metric[label].as_str()?)))
            .collect();
        if let Some(value) = value.filter(|v| v.is_finite()) {
            out.insert(
                (service.to_string(), slo.to_string(), group.join(", ")),
                value,
            );
        }
    }
    Ok(out)
}

pub fn status(
    model: &Model,
    endpoint: &Endpoint,
    log_rules: super::preflight::LogRules,
) -> Result<Vec<SloStatus>, String> {
    let periods: BTreeSet<Duration> = model
        .services
        .iter()
        .flat_map(|s| s.slos.iter())
        .filter(|slo| slo.calendar.is_none())
        .map(|slo| slo.period)
        .collect();
    let group_labels = crate::model::group_labels(model.slos());
    let query = |endpoint: &Endpoint, expr: &str| query(endpoint, expr, &group_labels);
    let mut ratios: BTreeMap<Duration, Series> = BTreeMap::new();
    for window in periods.iter().chain(STATUS_WINDOWS.iter()) {
        if !ratios.contains_key(window) {
            ratios.insert(*window, query(endpoint, &names::error_ratio(*window))?);
        }
    }
    let remaining = query(endpoint, &format!("1 - {}", names::PERIOD_BURN_RATE))?;
    let to_date = if model.slos().any(|slo| slo.calendar.is_some()) {
        query(endpoint, names::ERROR_RATIO_TO_DATE)?
    } else {
        Series::new()
    };
    // When each SLO's 5m ratio began, at hour resolution, within the
    // longest window: one subquery for every SLO.
    let longest = periods
        .iter()
        .max()
        .copied()
        .unwrap_or(crate::model::DEFAULT_WINDOW);
    let base = names::error_ratio(names::BASE_WINDOW);
    let began = |range: &str, step: &str| {
        query(
            endpoint,
            &format!(
                "min by (service, slo{}) (min_over_time(timestamp({base})[{range}:{step}]))",
                group_labels
                    .iter()
                    .map(|l| format!(", {l}"))
                    .collect::<String>()
            ),
        )
    };
    // Subquery steps fall on whole multiples of the step, so a series
    // younger than the step shows only at finer steps over a shorter range.
    let mut first_seen = began(&longest.to_string(), "1h")?;
    for (range, step) in [("2h", "1m"), ("10m", "5s")] {
        for (key, start) in began(range, step)? {
            first_seen.entry(key).or_insert(start);
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let current = query(endpoint, &base)?;
    let objectives = query(endpoint, names::OBJECTIVE)?;
    let groups = loaded_groups(endpoint);
    // The reload time only: a backend without these metrics goes without.
    let loaded_at = super::prometheus::last_reload(endpoint)
        .ok()
        .map(|(at, _)| {
            let ago = (now - at).max(0.0);
            format!(
                "loaded {} ago (Prometheus's last reload)",
                crate::model::humanize(ago)
            )
        });
    let mut out = Vec::new();
    for service in &model.services {
        for slo in &service.slos {
            // A grouped SLO's groups, as its series name them; one row
            // without a group otherwise, or before any data.
            let mut slo_groups: BTreeSet<String> = current
                .keys()
                .chain(remaining.keys())
                .filter(|(s, n, _)| *s == slo.service && *n == slo.name)
                .map(|(_, _, group)| group.clone())
                .collect();
            if slo_groups.is_empty() {
                slo_groups.insert(String::new());
            }
            for group in slo_groups {
                let slo_key = (slo.service.clone(), slo.name.clone(), String::new());
                let key = (slo.service.clone(), slo.name.clone(), group.clone());
                let budget = slo.error_budget();
                let burn_rates = STATUS_WINDOWS
                    .iter()
                    .map(|w| (w.to_string(), ratios[w].get(&key).map(|r| r / budget)))
                    .collect();
                // A calendar period is covered from its start; a rolling
                // window over its whole length.
                let (ratio, period, covers) = match slo.calendar {
                    Some(calendar) => {
                        let (start, end) = calendar.period_at(now as i64);
                        let period = PeriodStatus {
                            calendar: calendar.unit.as_str(),
                            utc_offset: calendar.offset_text(),
                            start: crate::model::calendar::fmt_rfc3339(start),
                            end: crate::model::calendar::fmt_rfc3339(end),
                        };
                        (
                            to_date.get(&key),
                            Some(period),
                            (start as f64, now - start as f64),
                        )
                    }
                    None => (
                        ratios[&slo.period].get(&key),
                        None,
                        (
                            now - slo.period.seconds() as f64,
                            slo.period.seconds() as f64,
                        ),
                    ),
                };
                out.push(SloStatus {
                service: slo.service.clone(),
                slo: slo.name.clone(),
                group: (!group.is_empty()).then(|| group.clone()),
                objective: slo.objective,
                window: slo.window_text(),
                sli_kind: slo.sli.kind(),
                sli: ratio.map(|r| 1.0 - r),
                budget_remaining: remaining.get(&key).copied(),
                burn_rates,
                // Younger than the finest step: as good as no coverage yet.
                window_covered: match (first_seen.get(&key), current.contains_key(&key)) {
                    (Some(seen), _) => {
                        let (from, length) = covers;
                        Some((1.0 - (seen - from) / length.max(1.0)).clamp(0.0, 1.0))
                    }
                    (None, true) => Some(0.0),
                    (None, false) => None,
                },
                period,
                note: objectives
                    .get(&slo_key)
                    .filter(|recorded| (*recorded - slo.objective_ratio()).abs() > 1e-9)
                    .map(|recorded| {
                        let (_, interval) = groups
                            .get(&names::group(slo, "long"))
                            .copied()
                            .unwrap_or((true, 0.0));
                        format!(
                            "Prometheus runs objective {}%, the spec says {}%: budget left and the SLI are the old objective's until {}",
                            crate::model::fmt_num(recorded * 100.0),
                            crate::model::fmt_num(slo.objective),
                            if interval > 0.0 {
                                format!("its slow rule group evaluates again (every {}), or `lookout apply` if the change is not applied", Duration(interval as u64))
                            } else {
                                "`lookout apply` loads the change".to_string()
                            }
                        )
                    }),
                missing: (!current.contains_key(&key)).then(|| {
                    let pending = [names::group(slo, "sli"), names::group(slo, "logs")]
                        .iter()
                        .find_map(|name| groups.get(name))
                        .is_some_and(|(evaluated, _)| !evaluated);
                    let loaded = groups.contains_key(&names::group(slo, "sli"));
                    if pending {
                        format!(
                            "no data yet: its rules are {} and not yet evaluated; the first evaluation is pending",
                            loaded_at.as_deref().unwrap_or("loaded")
                        )
                    } else if !groups.is_empty() && !loaded {
                        format!(
                            "no data: Prometheus has not loaded this SLO's rules (group {}): run `lookout apply`, or check that Prometheus loads them",
                            names::group(slo, "sli")
                        )
                    } else if first_seen.contains_key(&key) {
                        format!("no data now: the 5m ratio stopped (it last had data within {longest}); the SLI's queries return nothing")
                    } else if slo.sli.metric().is_none() {
                        log_missing(&service.name, log_rules)
                    } else {
                        "no data: the recorded series are empty; are the rules loaded (lookout plan), and do the SLI's selectors match (lookout check --live)?".into()
                    }
                }),
            });
            }
        }
    }
    Ok(out)
}

/// Why a log SLO has no data: which half is missing.
fn log_missing(service: &str, log_rules: super::preflight::LogRules) -> String {
    match log_rules {
        super::preflight::LogRules::NotPushed => format!(
            "no data: a log SLO's 5m counts come from the Loki ruler, and `push:` leaves out `loki`, so rules/loki/{service}.yaml was never pushed (add `loki` to `push:`, or deliver kubernetes/loki-rules/{service}.yaml)"
        ),
        super::preflight::LogRules::Pushed => format!(
            "no data: the Loki ruler records this log SLO's 5m counts (rules/loki/{service}.yaml) and remote-writes them here, and none has arrived: is the group loaded (lookout plan --only loki), and does the ruler's remote_write reach this Prometheus?"
        ),
    }
}

/// The state of every page alert, `firing` or `pending`, by `(service,
/// slo, group)` as [`status`] keys its rows; firing wins over pending.
pub fn page_alerts(
    model: &Model,
    endpoint: &Endpoint,
) -> Result<BTreeMap<(String, String, String), String>, String> {
    let group_labels = crate::model::group_labels(model.slos());
    let mut out = BTreeMap::new();
    for state in ["pending", "firing"] {
        let expr = format!(
            "ALERTS{{{}=\"page\",alertstate=\"{state}\"}}",
            names::TIER_LABEL
        );
        for key in query(endpoint, &expr, &group_labels)?.into_keys() {
            out.insert(key, state.to_string());
        }
    }
    Ok(out)
}
