//! `apply` of 1,000 dashboards against a fake Grafana that takes 20 ms per
//! request: sequential (one request in flight) against bounded concurrency,
//! then a no-op re-apply, which must make zero writes.
//!
//! Run with `cargo bench --bench apply`. Prints the figures; the target is
//! a speed-up of at least 5x.

// The fakes are shared with the tests; the bench uses only Grafana's.
#![allow(dead_code)]

#[path = "../tests/support/fake.rs"]
mod fake;
#[path = "../tests/support/fakes.rs"]
mod fakes;

use std::time::{Duration, Instant};

use lookout::push::http::HttpOptions;
use lookout::push::progress::Progress;
use lookout::push::{grafana, targets, Desired, Mode, RunOptions, Target};

const DASHBOARDS: usize = 1000;
const LATENCY: Duration = Duration::from_millis(20);
const CONCURRENCY: usize = 16;

fn desired() -> Desired {
    let mut desired = Desired::default();
    for i in 0..DASHBOARDS {
        let dashboard = serde_json::json!({
            "uid": format!("lookout-bench-{i:04}"),
            "title": format!("bench {i}"),
            "tags": ["lookout"],
            "schemaVersion": 42,
            "panels": [],
        });
        desired
            .dashboards
            .insert(format!("bench-{i:04}.json"), dashboard.to_string().into());
    }
    desired
}

fn apply(url: &str, desired: &Desired, concurrency: usize) -> (Duration, usize) {
    let target = grafana::Grafana::new(
        &targets::Grafana {
            url: url.to_string(),
            token: None,
            folder: "SLOs".into(),
        },
        &HttpOptions::default(),
    )
    .unwrap();
    let targets: Vec<Box<dyn Target>> = vec![Box::new(target)];
    let start = Instant::now();
    let reports = lookout::push::run(
        &targets,
        desired,
        &RunOptions {
            mode: Mode {
                concurrency,
                ..Mode::default()
            },
            apply: true,
        },
        &Progress::new(false, true),
    );
    let elapsed = start.elapsed();
    assert!(reports[0].failures.is_empty(), "{:?}", reports[0].failures);
    (elapsed, reports[0].applied)
}

fn main() {
    let desired = desired();
    println!(
        "apply {DASHBOARDS} dashboards, {} ms per request",
        LATENCY.as_millis()
    );

    let sequential = fakes::grafana(None);
    sequential.set_latency(LATENCY);
    let (seq, writes) = apply(&sequential.url(), &desired, 1);
    println!(
        "  sequential (1 in flight):       {:>8.2} s  {writes} writes",
        seq.as_secs_f64()
    );

    let bounded = fakes::grafana(None);
    bounded.set_latency(LATENCY);
    let (par, writes) = apply(&bounded.url(), &desired, CONCURRENCY);
    println!(
        "  bounded ({CONCURRENCY} in flight):         {:>8.2} s  {writes} writes",
        par.as_secs_f64()
    );
    let speedup = seq.as_secs_f64() / par.as_secs_f64();
    println!("  speed-up:                       {speedup:>8.1}x  (target >= 5x)");

    bounded.server.clear();
    let (noop, writes) = apply(&bounded.url(), &desired, CONCURRENCY);
    let sent = bounded.writes().len();
    println!(
        "  no-op re-apply:                 {:>8.2} s  {writes} writes, {sent} write requests",
        noop.as_secs_f64()
    );
    assert_eq!(sent, 0, "a no-op re-apply must not write");
    assert!(
        speedup >= 5.0,
        "bounded concurrency is only {speedup:.1}x faster"
    );
}
