//! The scenarios of one SLO: each an input profile and the checks
//! promtool must pass on it, with their expected values worked out here
//! from the model (`model::detection` for explain's times).

use std::collections::BTreeMap;

use super::series::{counter, gauge, label_set, Profile, Segment};
use crate::emit::prometheus;
use crate::emit::yaml::Node;
use crate::model::detection::Evaluation;
use crate::model::settings::Links;
use crate::model::{
    detection, fmt_short, names, round_sig, AlertTier, AlertWindow, Duration, MetricSli, Severity,
    Sli, Slo, ThinData,
};

/// The shortest step the no-data margins allow for.
const STEP: Duration = Duration::minutes(1);
/// Requests per second in every scenario.
const EVENT_RATE: f64 = 10.0;
/// Slack for the 5m rate window and rule-evaluation steps.
const MARGIN: Duration = Duration::minutes(5);

/// One SLO's part of a scenario.
pub(super) struct Part {
    /// Parts with the same key run as one scenario: each SLO's series
    /// and checks are its own, and promtool evaluates every rule of the
    /// file at every step whether it has data or not, so one scenario for
    /// all of a service's SLOs costs a fraction of one each. `None`: a
    /// scenario of its own.
    pub key: Option<String>,
    /// `service/slo`.
    pub slo: String,
    pub what: String,
    pub series: Vec<Node>,
    pub alerts: Vec<Node>,
    pub exprs: Vec<Node>,
}

/// The scenarios of one SLO, in a file evaluated every `eval_step`: the
/// global interval, or the long group's for the long tiers' explain
/// scenarios (whose file holds only those).
pub(super) struct Tests<'a> {
    pub slo: &'a Slo,
    pub links: &'a Links,
    pub intervals: Evaluation,
    pub eval_step: Duration,
}

impl Tests<'_> {
    fn step(&self) -> Duration {
        self.intervals.interval
    }

    /// Whole evaluations in `d`, rounded up.
    fn steps(&self, d: Duration) -> u64 {
        d.seconds().div_ceil(self.step().seconds().max(1))
    }

    fn at(&self, steps: u64) -> Duration {
        Duration(steps * self.step().seconds())
    }

    /// Fires nothing: the error ratio is half the lowest threshold, for a day.
    pub(super) fn healthy(&self) -> Part {
        let slo = self.slo;
        let lowest = all_thresholds(slo).fold(f64::INFINITY, f64::min);
        let ratio = lowest / 2.0;
        let evals = [Duration::minutes(30), Duration::hours(6), Duration::days(1)];
        let checks = evals.iter().map(|t| self.alert_check(*t, &[])).collect();
        let steps = self.steps(Duration(Duration::days(1).0 + MARGIN.0));
        self.scenario(
            Some("healthy".into()),
            format!("healthy: error ratio {} fires nothing", fmt_short(ratio)),
            &self.profile(vec![Segment::hold(steps, ratio)]),
            checks,
            Vec::new(),
        )
    }

    /// Every request fails from the moment the series start. With
    /// `thin_data: wait` nothing fires until a pair's long window holds
    /// one short window of data; once every pair's does, every tier that
    /// can fire is firing, each over its first pair at the burn rate of
    /// 100% errors (exact then: every sample is an error).
    pub(super) fn outage(&self) -> Part {
        let slo = self.slo;
        let firing: Vec<&AlertTier> = slo
            .alerting
            .tiers
            .iter()
            .filter(|t| reachable(t, 1.0))
            .collect();
        let waits = slo.alerting.thin_data == ThinData::Wait;
        let shortest = all_pairs(slo).map(|p| p.short).min().unwrap_or(MARGIN);
        // When a pair's long window holds its short window of data.
        let ready = |p: &AlertWindow| if waits { p.short } else { Duration(0) };
        let hold = slo.alerting.tiers.iter().filter_map(|t| t.for_).max();
        // By the time every firing tier's first ready pair is.
        let latest = firing
            .iter()
            .filter_map(|t| {
                t.pairs
                    .iter()
                    .filter(|p| p.threshold < 1.0)
                    .map(ready)
                    .min()
            })
            .max()
            .unwrap_or_default();
        let at = Duration(
            self.steps(Duration(latest.0 + hold.map_or(0, |d| d.0) + MARGIN.0 * 2)) * self.step().0,
        );
        let mut checks = Vec::new();
        if waits {
            // Data older than the short window is needed; at one step less
            // than that window, none exists.
            checks.push(self.alert_check(Duration(shortest.0 - self.step().0), &[]));
        }
        // Each tier over the first of its pairs whose condition holds then.
        let expected: Vec<(&AlertTier, &AlertWindow)> = firing
            .iter()
            .filter_map(|tier| {
                let hold = tier.for_.unwrap_or_default();
                let pair = tier.pairs.iter().find(|p| {
                    p.threshold < 1.0
                        && ready(p).0 + hold.0 <= at.0
                        && self.count_over(p.long, at, 1.0, EVENT_RATE)
                            >= slo.alerting.min_errors as f64
                })?;
                Some((*tier, pair))
            })
            .collect();
        let (alerts, exprs) = self.rendered_check(at, &expected, 1.0 / slo.error_budget());
        checks.extend(alerts);
        let severities: Vec<&str> = expected.iter().map(|(t, _)| t.severity.as_str()).collect();
        self.scenario(
            None,
            format!(
                "every request fails from the start: {}{} firing at {at}",
                if waits {
                    format!("nothing while the windows hold under {shortest}, ")
                } else {
                    String::new()
                },
                if expected.is_empty() {
                    "no tier (none can fire)".to_string()
                } else {
                    severities.join(" and ")
                },
            ),
            &self.profile(vec![Segment::hold(
                self.steps(Duration(at.0 + MARGIN.0)),
                1.0,
            )]),
            checks,
            exprs,
        )
    }

    /// An hour of healthy traffic with no error at all, then no series: the
    /// no-data alert is silent while data flows, and fires `for` after the
    /// series go. They go 5m after their last sample (Prometheus's
    /// lookback), so with `for` 10m it is still pending at 72m and firing
    /// at 77m. A log SLI's is watched over an hour: an hour later.
    pub(super) fn data_stops(&self, no_data: &crate::model::NoData) -> Part {
        let slo = self.slo;
        let hour = self.steps(Duration::hours(1));
        let last = self.at(hour - 1).0;
        let watched = match slo.sli {
            Sli::Logs(_) => Duration::hours(1).0,
            _ => MARGIN.0,
        };
        let firing_from = last + watched + no_data.for_.0;
        let check = |at: u64, firing: bool| {
            let alerts = if firing {
                vec![Node::map()
                    .entry(
                        "exp_labels",
                        Node::labels(&prometheus::no_data_labels(slo, no_data)),
                    )
                    .entry(
                        "exp_annotations",
                        Node::labels(&prometheus::no_data_annotations(slo, no_data, self.links)),
                    )
                    .build()]
            } else {
                Vec::new()
            };
            Node::map()
                .str("eval_time", Duration(at).to_string())
                .str(
                    "alertname",
                    format!("{}{}", slo.alerting.name, prometheus::NO_DATA_ALERT_SUFFIX),
                )
                .entry("exp_alerts", Node::Seq(alerts))
                .build()
        };
        let margin = 3 * STEP.0.max(self.step().0);
        self.scenario(
            None,
            format!(
                "no error for an hour, then no series: the no-data alert waits {} and fires",
                no_data.for_
            ),
            &self.profile(vec![Segment::hold(hour, 0.0)]),
            vec![
                check(last, false),
                check(firing_from - margin, false),
                check(firing_from + margin, true),
            ],
            Vec::new(),
        )
    }

    /// Between the highest ticket and the lowest page threshold from the
    /// start: a ticket and no page, over the first ticket pair whose long
    /// window holds its short window of data by then.
    pub(super) fn slow_burn(&self) -> Option<Part> {
        let slo = self.slo;
        let ticket = tier(slo, Severity::Ticket)?;
        let ticket_top = thresholds(ticket).fold(0.0, f64::max);
        let page_floor = tier(slo, Severity::Page)
            .map_or(1.0, |page| thresholds(page).fold(f64::INFINITY, f64::min))
            .min(1.0);
        // Three significant digits of burn rate, so that `humanize`'s four
        // cannot fall either side of a rounding.
        let budget = slo.error_budget();
        let burn = round_sig((ticket_top + page_floor) / 2.0 / budget, 3);
        let ratio = burn * budget;
        if ratio >= 1.0 || ratio >= page_floor || !reachable(ticket, ratio) {
            return None;
        }
        let waits = slo.alerting.thin_data == ThinData::Wait;
        let reachable_pairs = ticket.pairs.iter().filter(|p| ratio > p.threshold);
        let first_short = reachable_pairs
            .clone()
            .map(|p| if waits { p.short } else { Duration(0) })
            .min()?;
        let hold = ticket.for_.unwrap_or_default();
        let at = self.at(self.steps(Duration(first_short.0 + hold.0 + 2 * MARGIN.0)));
        // The pair the value and description come from: the first whose
        // condition holds at `at`, whose own short window has data by then.
        let pair = ticket.pairs.iter().find(|p| {
            ratio > p.threshold
                && (!waits || p.short.0 + hold.0 <= at.0)
                && self.count_over(p.long, at, ratio, EVENT_RATE) >= slo.alerting.min_errors as f64
        })?;
        let steps = self.steps(Duration(at.0 + MARGIN.0));
        let (alerts, exprs) = self.rendered_check(at, &[(ticket, pair)], burn);
        Some(self.scenario(
            None,
            format!(
                "slow burn at error ratio {} opens a ticket over {} and {} and does not page",
                fmt_short(ratio),
                pair.long,
                pair.short
            ),
            &self.profile(vec![Segment::hold(steps, ratio)]),
            alerts,
            exprs,
        ))
    }

    /// Errors counted over `window` at `at` into a constant `ratio` from
    /// the start: the 5m error-rate samples times the step.
    fn count_over(&self, window: Duration, at: Duration, ratio: f64, traffic: f64) -> f64 {
        let samples = (window.0.min(at.0) / self.step().0.max(1)) + 1;
        samples as f64 * ratio * traffic * self.step().0 as f64
    }

    /// `lookout explain`'s times, held to the rules: for each pair and each
    /// error ratio explain shows it at, after a long window of good
    /// traffic (the tier's longest), the pair's condition is absent one
    /// evaluation before explain's time less `for`, and present one after,
    /// plus one `long_interval` where the pair reads a window the long
    /// group sums from tiles: promtool records those tiles every step
    /// over five minutes each, which lags them by up to that much. The
    /// tier's alert is checked the same way at its first pair's time.
    pub(super) fn explained(&self) -> Vec<Part> {
        let slo = self.slo;
        let in_long_file = self.eval_step != self.intervals.interval;
        let eval = self.eval_step.0;
        let budget = slo.error_budget();
        let mut tests = Vec::new();
        for tier in &slo.alerting.tiers {
            let long_tier = tier.is_long();
            if long_tier != in_long_file && self.intervals.long_interval != self.intervals.interval
            {
                continue;
            }
            let longest = tier.pairs.iter().map(|p| p.long).max().unwrap_or(MARGIN);
            // Whole evaluations of history, so the incident starts at one.
            let history = self.steps(Duration(longest.0.div_ceil(eval) * eval));
            let start = self.at(history).0;
            let mut ratios: Vec<f64> = tier
                .pairs
                .iter()
                .flat_map(detection::explained_ratios)
                .collect();
            ratios.sort_by(f64::total_cmp);
            ratios.dedup();
            for (level, ratio) in ratios.into_iter().rev().enumerate() {
                // Explain's times, which assume traffic enough for any
                // `min_errors`; and a traffic at which the test's are the same.
                let detect = |pair: &AlertWindow, min_errors: u64, traffic: f64| {
                    detection::detection(
                        pair,
                        budget,
                        detection::Guards {
                            min_errors,
                            for_: Duration(0),
                        },
                        detection::Incident { ratio, traffic },
                        self.intervals,
                        long_tier,
                    )
                };
                let times: Vec<(&AlertWindow, Option<u64>)> =
                    tier.pairs.iter().map(|p| (p, detect(p, 0, 1e9))).collect();
                let min_errors = slo.alerting.min_errors;
                let traffic = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5]
                    .iter()
                    .map(|times_more| EVENT_RATE * times_more)
                    .find(|traffic| {
                        times
                            .iter()
                            .all(|(p, t)| detect(p, min_errors, *traffic) == *t)
                    });
                let (Some(last), Some(traffic)) =
                    (times.iter().filter_map(|(_, t)| *t).max(), traffic)
                else {
                    continue;
                };
                let mut exprs = Vec::new();
                let clause = |pair: &AlertWindow| {
                    format!(
                        "count({})",
                        prometheus::pair_clause(slo, long_tier, pair, self.intervals)
                    )
                };
                for (pair, seconds) in &times {
                    let Some(seconds) = seconds else { continue };
                    let lag = self.intervals.lag(pair, long_tier);
                    exprs.push(expr_check(
                        &clause(pair),
                        Duration(start + seconds - eval),
                        false,
                    ));
                    exprs.push(expr_check(
                        &clause(pair),
                        Duration(start + seconds + eval + lag),
                        true,
                    ));
                }
                // The tier: its first pair's time, then `for`.
                let (first, tier_seconds) = times
                    .iter()
                    .filter_map(|(p, t)| t.map(|t| (*p, t)))
                    .min_by_key(|(_, t)| *t)
                    .expect("some pair fires");
                let hold = tier.for_.map_or(0, |d| d.0.div_ceil(eval) * eval);
                let alerts = firing_count(slo, tier.severity);
                exprs.push(expr_check(
                    &alerts,
                    Duration(start + tier_seconds + hold - eval),
                    false,
                ));
                exprs.push(expr_check(
                    &alerts,
                    Duration(
                        start + tier_seconds + hold + eval + self.intervals.lag(first, long_tier),
                    ),
                    true,
                ));
                let lags = tier
                    .pairs
                    .iter()
                    .map(|p| self.intervals.lag(p, long_tier))
                    .max()
                    .unwrap_or(0);
                let detected = last + hold + eval + lags;
                let mut segments = vec![Segment::hold(history, 0.0)];
                let mut resolved = String::new();
                if ratio >= 1.0 {
                    // A total outage ends once every pair fired and its
                    // short window is full; each pair's condition then
                    // clears at explain's resolve time.
                    let shortest_full = tier
                        .pairs
                        .iter()
                        .map(|p| p.short.0 + names::BASE_WINDOW.0 + eval)
                        .max()
                        .unwrap_or(0);
                    let mut outage = (detected.max(shortest_full)).div_ceil(eval) * eval;
                    let agrees = |outage: u64| {
                        tier.pairs.iter().all(|p| {
                            detection::resolution_after(
                                p,
                                budget,
                                self.intervals,
                                long_tier,
                                Some(outage),
                            ) == detection::resolution(p, budget, self.intervals, long_tier)
                        })
                    };
                    if !agrees(outage) {
                        // A long window's ratio would fall under its
                        // threshold first: fill it.
                        outage = (longest.0 + names::BASE_WINDOW.0 + eval).div_ceil(eval) * eval;
                    }
                    let end = start + outage;
                    let mut after = 0;
                    for pair in &tier.pairs {
                        let Some(seconds) =
                            detection::resolution(pair, budget, self.intervals, long_tier)
                        else {
                            continue;
                        };
                        let lag = self.intervals.lag(pair, long_tier);
                        exprs.push(expr_check(
                            &clause(pair),
                            Duration(end + seconds - eval),
                            true,
                        ));
                        exprs.push(expr_check(
                            &clause(pair),
                            Duration(end + seconds + eval + lag),
                            false,
                        ));
                        after = after.max(seconds + eval + lag);
                    }
                    segments.push(Segment::ramp(self.steps(Duration(outage)), 1.0));
                    segments.push(Segment::ramp(self.steps(Duration(after + MARGIN.0)), 0.0));
                    resolved = format!(", then recovery after {}", Duration(outage));
                } else {
                    segments.push(Segment::ramp(
                        self.steps(Duration(detected + MARGIN.0)),
                        ratio,
                    ));
                }
                tests.push(self.scenario(
                    Some(format!("explain {} {level}", tier.severity.as_str())),
                    format!(
                        "explain: {} of requests failing after {} of good traffic{resolved}: the {} pair first, {} in ({}), then each pair at its time",
                        crate::model::fmt_percent(ratio),
                        self.at(history),
                        first.long,
                        Duration(tier_seconds + hold),
                        tier.severity.as_str(),
                    ),
                    &Profile { segments, traffic },
                    Vec::new(),
                    exprs,
                ));
            }
        }
        tests
    }

    /// With `min_errors`: at 20 requests an hour, one error after an hour
    /// of good traffic pages nothing; at one request a minute, a total
    /// outage pages at explain's time for that traffic.
    pub(super) fn low_traffic(&self) -> Vec<Part> {
        let slo = self.slo;
        let Some(page) = tier(slo, Severity::Page).filter(|t| !t.is_long()) else {
            return Vec::new();
        };
        let budget = slo.error_budget();
        let history = self.steps(page.pairs.iter().map(|p| p.long).max().unwrap_or(MARGIN));
        let start = self.at(history).0;
        let alerts = firing_count(slo, Severity::Page);
        let mut tests = Vec::new();
        // One error: its 5m rate is 1/300 per second for five minutes.
        let traffic = 20.0 / 3600.0;
        let bump = self.steps(names::BASE_WINDOW);
        let error_ratio = (1.0 / 300.0) / traffic;
        if slo.alerting.min_errors > 1 {
            let checks = (1..=6)
                .map(|i| expr_check(&alerts, Duration(start + i * 10 * 60), false))
                .collect();
            tests.push(self.scenario(
                None,
                format!(
                    "20 requests an hour, one fails: under min_errors {}, no page",
                    slo.alerting.min_errors
                ),
                &Profile {
                    segments: vec![
                        Segment::hold(history, 0.0),
                        Segment::hold(bump, error_ratio),
                        Segment::hold(self.steps(Duration::hours(1)), 0.0),
                    ],
                    traffic,
                },
                Vec::new(),
                checks,
            ));
        }
        let traffic = 1.0 / 60.0;
        let first = page
            .pairs
            .iter()
            .filter_map(|pair| {
                let seconds = detection::detection(
                    pair,
                    budget,
                    detection::Guards {
                        min_errors: slo.alerting.min_errors,
                        for_: page.for_.unwrap_or_default(),
                    },
                    detection::Incident {
                        ratio: 1.0,
                        traffic,
                    },
                    self.intervals,
                    false,
                )?;
                Some((pair, seconds))
            })
            .min_by_key(|(_, s)| *s);
        if let Some((pair, seconds)) = first {
            let lag = self.intervals.lag(pair, false);
            tests.push(self.scenario(
                None,
                format!(
                    "one request a minute, all failing: min_errors {} holds the page {} ({} pair)",
                    slo.alerting.min_errors,
                    Duration(seconds),
                    pair.long
                ),
                &Profile {
                    segments: vec![
                        Segment::hold(history, 0.0),
                        Segment::ramp(self.steps(Duration(seconds + lag + 2 * MARGIN.0)), 1.0),
                    ],
                    traffic,
                },
                Vec::new(),
                vec![
                    expr_check(&alerts, Duration(start + seconds - self.step().0), false),
                    expr_check(
                        &alerts,
                        Duration(start + seconds + self.step().0 + lag),
                        true,
                    ),
                ],
            ));
        }
        tests
    }

    fn profile(&self, segments: Vec<Segment>) -> Profile {
        Profile {
            segments,
            traffic: EVENT_RATE,
        }
    }

    fn scenario(
        &self,
        key: Option<String>,
        what: String,
        profile: &Profile,
        alerts: Vec<Node>,
        exprs: Vec<Node>,
    ) -> Part {
        Part {
            series: self.input_series(profile, key.is_some()),
            key,
            slo: format!("{}/{}", self.slo.service, self.slo.name),
            what,
            alerts,
            exprs,
        }
    }

    fn input_series(&self, profile: &Profile, merged: bool) -> Vec<Node> {
        let slo = self.slo;
        let step = self.step();
        let mut labels = slo.identity_labels();
        labels.extend(example_group(slo));
        let series = |name: &str, labels: &BTreeMap<String, String>, values: String| {
            Node::map()
                .str("series", format!("{name}{}", label_set(labels)))
                .str("values", values)
                .build()
        };
        let traffic = profile.traffic;
        let all_events: Vec<Segment> = profile
            .segments
            .iter()
            .map(|s| Segment::hold(s.steps, 1.0))
            .collect();
        // Real counters only in a scenario of the SLO's own: two SLOs may
        // read one histogram, and a merged scenario feeds both.
        let counters_fit = !merged && profile.segments.iter().skip(1).all(|s| s.ramp);
        match &slo.sli {
            Sli::Metric(MetricSli::Latency {
                histogram,
                selector_labels: Some(selector),
                threshold,
                ..
            }) if counters_fit => {
                // Real counters: the bucket under the threshold grows by
                // the good share, and `rate()` ramps as the tests' rates do.
                let good: Vec<Segment> = profile
                    .segments
                    .iter()
                    .map(|s| Segment::hold(s.steps, 1.0 - s.ratio))
                    .collect();
                let mut selector = selector.clone();
                selector.extend(example_group(slo));
                let selector = &selector;
                let mut bucket = selector.clone();
                bucket.insert("le".into(), format!("{threshold}"));
                let per_step = traffic * step.0 as f64;
                vec![
                    series(
                        &format!("{histogram}_count"),
                        selector,
                        counter(&all_events, per_step),
                    ),
                    series(
                        &format!("{histogram}_bucket"),
                        &bucket,
                        counter(&good, per_step),
                    ),
                ]
            }
            Sli::Metric(MetricSli::Raw { .. }) => vec![series(
                &names::error_ratio(names::BASE_WINDOW),
                &labels,
                gauge(&profile.segments, 1.0, step),
            )],
            // A log SLO's 5m rates come from the Loki ruler, so here, as
            // for events, the test feeds them directly.
            _ => vec![
                series(
                    names::ERRORS_RATE,
                    &labels,
                    gauge(&profile.segments, traffic, step),
                ),
                series(
                    names::EVENTS_RATE,
                    &labels,
                    gauge(&all_events, traffic, step),
                ),
            ],
        }
    }
}

/// A `promql_expr_test` of a `count(…)`: one sample of 1, or none.
pub(super) fn expr_check(expr: &str, at: Duration, present: bool) -> Node {
    let samples = if present {
        vec![Node::map()
            .str("labels", "{}")
            .entry("value", Node::Raw("1".into()))
            .build()]
    } else {
        Vec::new()
    };
    Node::map()
        .str("expr", expr)
        .str("eval_time", at.to_string())
        .entry("exp_samples", Node::Seq(samples))
        .build()
}

/// `count(ALERTS{…})` of the SLO's `severity` tier while it fires: one
/// sample of 1, or none.
pub(super) fn firing_count(slo: &Slo, severity: Severity) -> String {
    format!(
        "count(ALERTS{{alertname={},{}={},alertstate=\"firing\",service={},slo={}}})",
        names::promql_string(&slo.alerting.name),
        names::TIER_LABEL,
        names::promql_string(severity.as_str()),
        names::promql_string(&slo.service),
        names::promql_string(&slo.name)
    )
}

/// The group a grouped SLO's scenarios feed: each `group_by` label set to
/// `example`, on every input series, so alerts carry it.
pub(super) fn example_group(slo: &Slo) -> BTreeMap<String, String> {
    slo.group_by
        .iter()
        .map(|label| (label.clone(), "example".to_string()))
        .collect()
}

fn tier(slo: &Slo, severity: Severity) -> Option<&AlertTier> {
    slo.alerting.tiers.iter().find(|t| t.severity == severity)
}

fn thresholds(tier: &AlertTier) -> impl Iterator<Item = f64> + '_ {
    tier.pairs.iter().map(|p| p.threshold)
}

fn all_thresholds(slo: &Slo) -> impl Iterator<Item = f64> + '_ {
    slo.alerting.tiers.iter().flat_map(thresholds)
}

fn all_pairs(slo: &Slo) -> impl Iterator<Item = &AlertWindow> + '_ {
    slo.alerting.tiers.iter().flat_map(|t| t.pairs.iter())
}

/// A constant error ratio fires a tier when it exceeds any pair's threshold.
fn reachable(tier: &AlertTier, ratio: f64) -> bool {
    thresholds(tier).any(|t| ratio > t)
}
