//! `backtest`'s replay (`model::replay`) on synthetic 5m rates, against
//! alert intervals worked out by hand, minute by minute, from the rules'
//! arithmetic: the fast tier of the history test in `tests/prometheus.rs`,
//! without a Prometheus.

use lookout::model::detection::Evaluation;
use lookout::model::replay::{replay, Grid};
use lookout::model::{Duration, Model};

fn model(spec: &str) -> Model {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("slos")).unwrap();
    std::fs::write(dir.path().join("slos/shop.yaml"), spec).unwrap();
    std::fs::write(
        dir.path().join("lookout.yaml"),
        "runbooks: {base_url: https://runbooks.example.com}\n",
    )
    .unwrap();
    let generated = lookout::ops::generate(&lookout::ops::Request {
        inputs: lookout::check::Inputs {
            config: Some(dir.path().join("lookout.yaml")),
            slos: Some(dir.path().join("slos")),
        },
        ..Default::default()
    });
    generated.model.expect("compiles")
}

/// The `sli` groups every minute, the `long` groups every 5m.
fn every_minute() -> Evaluation {
    Evaluation {
        interval: Duration::minutes(1),
        long_interval: Duration::minutes(5),
    }
}

const SPEC: &str = r#"service: shop
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        errors: sum(rate(http_requests_total{code="500"}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
"#;

/// 10 events a second for `days`, one sample a minute from 0; the errors'
/// 5m rate as a counter's `rate(…[5m])` reads 600 errors a minute from
/// `outage` for 20 minutes: 2, 4, 6, 8, then 10 a second, and back down.
fn outage_grid(days: i64, outage: i64) -> Grid {
    let samples = days * 1440 + 1;
    let errors = (0..samples)
        .map(|k| {
            let t = k * 60;
            // Minutes of the outage among the five ending at `t`.
            let bad = (1..=5)
                .filter(|m| {
                    let minute_end = t - (m - 1) * 60;
                    minute_end > outage && minute_end <= outage + 20 * 60
                })
                .count();
            Some(2.0 * bad as f64)
        })
        .collect();
    Grid {
        start: 0,
        step: 60,
        errors,
        events: vec![Some(10.0); samples as usize],
    }
}

#[test]
fn a_twenty_minute_outage_pages_at_three_minutes_and_tickets_at_ten() {
    let model = model(SPEC);
    let slo = model.slos().next().unwrap();
    let evaluation = every_minute();
    let outage = 5 * 86_400;
    let grid = outage_grid(7, outage);
    let replayed = replay(slo, evaluation, &grid, 4 * 86_400, 7 * 86_400);
    let fired: Vec<(&str, i64, Option<i64>, Option<i64>)> = replayed
        .fired
        .iter()
        .map(|f| {
            (
                f.severity.as_str(),
                (f.start - outage) / 60,
                f.end.map(|e| (e - outage) / 60),
                f.detection_seconds,
            )
        })
        .collect();
    // The page: the 1h window passes 1.44% at +3m (2+4+6 = 12 of 610
    // events); the 30m window of the 6h/30m pair drops under 0.6% at +55m.
    // The ticket: the 1d window passes 0.3% at the long evaluation of +10m
    // (80 of 14,410); the 6h window drops under 0.1% at +385m.
    assert_eq!(
        fired,
        [
            ("page", 3, Some(55), Some(120)),
            ("ticket", 10, Some(385), Some(540))
        ]
    );
    // 200 error-rate samples of 10 a second … over 3 days of samples.
    let ratio = replayed.error_ratio.unwrap();
    assert!((ratio - 200.0 / (4321.0 * 10.0)).abs() < 1e-12, "{ratio}");
    let spent = replayed.budget_spent(slo, 3 * 86_400).unwrap();
    assert!((spent - ratio / 0.001 * 0.1).abs() < 1e-9, "{spent}");
}

#[test]
fn min_errors_holds_back_a_single_error() {
    let spec = format!("{SPEC}    alerting:\n      min_errors: 3\n");
    let model = model(&spec);
    let slo = model.slos().next().unwrap();
    let evaluation = every_minute();
    // One error at 1 request a minute: 1/300 a second for five samples.
    let samples = 3 * 1440 + 1;
    let blip = 2 * 86_400;
    let grid = Grid {
        start: 0,
        step: 60,
        errors: (0..samples)
            .map(|k| {
                Some(if k * 60 > blip && k * 60 <= blip + 300 {
                    1.0 / 300.0
                } else {
                    0.0
                })
            })
            .collect(),
        events: vec![Some(1.0 / 60.0); samples as usize],
    };
    let replayed = replay(slo, evaluation, &grid, 86_400, 3 * 86_400);
    assert!(replayed.fired.is_empty(), "{:?}", replayed.fired);
    // Without min_errors it pages: 5/300 of 61/60 is 1.6% over the hour.
    let model = self::model(SPEC);
    let slo = model.slos().next().unwrap();
    let replayed = replay(slo, evaluation, &grid, 86_400, 3 * 86_400);
    assert_eq!(
        replayed
            .fired
            .iter()
            .filter(|f| f.severity == "page")
            .count(),
        1
    );
}

#[test]
fn for_delays_a_page_and_the_5m_window_is_one_sample() {
    // The page tier alone, its 1h/5m pair only, held 5m.
    let spec = format!(
        "{SPEC}    alerting:\n      ticket:\n        enabled: false\n      page:\n        for: 5m\n        windows:\n          - {{long: 1h, short: 5m, factor: 14.4}}\n"
    );
    let model = model(&spec);
    let slo = model.slos().next().unwrap();
    let evaluation = every_minute();
    let outage = 5 * 86_400;
    let grid = outage_grid(7, outage);
    let replayed = replay(slo, evaluation, &grid, 4 * 86_400, 7 * 86_400);
    let fired: Vec<(i64, Option<i64>)> = replayed
        .fired
        .iter()
        .map(|f| ((f.start - outage) / 60, f.end.map(|e| (e - outage) / 60)))
        .collect();
    // Active at +3m, firing after 5m held: +8m. The 5m ratio is the 5m
    // rates' own: the last positive one is at +24m (2 of 10 a second), so
    // the pair fails at +25m; a sum over [t - 5m, t] would hold to +29m.
    assert_eq!(fired, [(8, Some(25))]);
}
