//! `lookout backtest --since 30d` over the bundled example SLOs (`slos/`),
//! against a real Prometheus holding 35 days of their raw series, scraped
//! every 30 s: the question a reviewer asks of a pull request, timed as the
//! release binary answers it.
//!
//! Run with `cargo bench --bench backtest` (it builds the release binary
//! first). It writes the history in OpenMetrics, backfills it with
//! `promtool tsdb create-blocks-from openmetrics`, starts Prometheus on a
//! 127.0.0.1 port, and times RUNS replays, the first one cold. The goal
//! is ≤ 20 s on a 2-core machine.
//!
//! The history has the diurnal traffic of a web product, a steady error
//! rate well inside each budget, and one incident per SLO, so that every
//! tier has something to find and nothing flaps.

#[path = "../tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;
#[path = "../tests/support/tool.rs"]
#[allow(dead_code)]
mod tool;
use tool::{run_ok_with, tool};

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const DAYS: i64 = 35;
const SCRAPE: i64 = 30;
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// A per-second rate (counters) or a value (gauges) at a time since the
/// history's start.
type Shape = Box<dyn Fn(i64) -> f64>;

struct Series {
    name: String,
    labels: String,
    counter: bool,
    shape: Shape,
}

fn diurnal(t: i64) -> f64 {
    1.0 + 0.6 * (std::f64::consts::TAU * (t % DAY) as f64 / DAY as f64).sin()
}

/// `base` outside the incident, `during` for `length` seconds from `at`.
fn incident(at: i64, length: i64, base: f64, during: f64) -> impl Fn(i64) -> f64 + Clone {
    move |t| {
        if t >= at && t < at + length {
            during
        } else {
            base
        }
    }
}

/// A request counter split into good and bad by `label`, at `rps` with a
/// share `bad` of errors.
fn requests(
    name: &str,
    labels: &str,
    (label, good, bad): (&str, &str, &str),
    rps: f64,
    share: impl Fn(i64) -> f64 + Clone + 'static,
) -> Vec<Series> {
    let comma = if labels.is_empty() { "" } else { "," };
    let good_share = share.clone();
    vec![
        Series {
            name: name.into(),
            labels: format!("{labels}{comma}{label}=\"{good}\""),
            counter: true,
            shape: Box::new(move |t| rps * diurnal(t) * (1.0 - good_share(t))),
        },
        Series {
            name: name.into(),
            labels: format!("{labels}{comma}{label}=\"{bad}\""),
            counter: true,
            shape: Box::new(move |t| rps * diurnal(t) * share(t)),
        },
    ]
}

/// A latency histogram's buckets and count at `rps`, a share `slow` of the
/// requests slower than `threshold` seconds.
fn histogram(
    name: &str,
    labels: &str,
    threshold: f64,
    rps: f64,
    slow: impl Fn(i64) -> f64 + Clone + 'static,
) -> Vec<Series> {
    let comma = if labels.is_empty() { "" } else { "," };
    let mut series = Vec::new();
    for le in [0.1, 0.25, 0.3, 0.5, 1.0, 2.5, f64::INFINITY] {
        let slow = slow.clone();
        let under = move |t: i64| {
            let s = slow(t);
            if le.is_infinite() {
                1.0
            } else if le < threshold {
                0.6 * (1.0 - s)
            } else if le == threshold {
                1.0 - s
            } else {
                1.0 - s * threshold / le
            }
        };
        let le = if le.is_infinite() {
            "+Inf".to_string()
        } else {
            le.to_string()
        };
        series.push(Series {
            name: format!("{name}_bucket"),
            labels: format!("{labels}{comma}le=\"{le}\""),
            counter: true,
            shape: Box::new(move |t| rps * diurnal(t) * under(t)),
        });
    }
    series.push(Series {
        name: format!("{name}_count"),
        labels: labels.into(),
        counter: true,
        shape: Box::new(move |t| rps * diurnal(t)),
    });
    series
}

fn gauge(name: &str, labels: &str, value: impl Fn(i64) -> f64 + 'static) -> Series {
    Series {
        name: name.into(),
        labels: labels.into(),
        counter: false,
        shape: Box::new(value),
    }
}

/// The raw series every metric SLI in `slos/` reads, with one incident each.
fn examples() -> Vec<Series> {
    let mut all = Vec::new();
    let nginx = r#"namespace="ingress-nginx""#;
    all.extend(requests(
        "nginx_ingress_controller_requests",
        nginx,
        ("status", "200", "503"),
        200.0,
        incident(11 * DAY + 10 * HOUR, 20 * 60, 0.0002, 0.4),
    ));
    all.extend(histogram(
        "nginx_ingress_controller_request_duration_seconds",
        nginx,
        0.5,
        200.0,
        incident(19 * DAY + 8 * HOUR, 6 * HOUR, 0.003, 0.04),
    ));
    let api = r#"job="public-api""#;
    all.extend(requests(
        "http_server_requests_seconds_count",
        api,
        ("status", "200", "500"),
        50.0,
        incident(24 * DAY + 14 * HOUR, 45 * 60, 0.0001, 0.05),
    ));
    all.extend(histogram(
        "http_server_requests_seconds",
        api,
        0.3,
        50.0,
        incident(27 * DAY + 2 * HOUR, 2 * HOUR, 0.002, 0.12),
    ));
    all.extend(requests(
        "payments_authorisations_total",
        "",
        ("outcome", "ok", "error"),
        30.0,
        incident(16 * DAY + 9 * HOUR, 30 * 60, 0.0001, 0.2),
    ));
    all.extend(histogram(
        "payments_authorisation_duration_seconds",
        "",
        1.0,
        30.0,
        incident(22 * DAY + 18 * HOUR, 3 * HOUR, 0.001, 0.03),
    ));
    all.extend(requests(
        "ledger_postings_total",
        "",
        ("result", "committed", "rejected"),
        10.0,
        incident(30 * DAY + 11 * HOUR, 90 * 60, 0.00002, 0.02),
    ));
    all.extend(requests(
        "worker_messages_total",
        r#"queue="settlement""#,
        ("outcome", "processed", "failed"),
        5.0,
        incident(13 * DAY + 3 * HOUR, 4 * HOUR, 0.0002, 0.03),
    ));
    for (i, instance) in ["db-0", "db-1", "db-2"].into_iter().enumerate() {
        let labels = format!(r#"job="mariadb-galera",instance="{instance}""#);
        all.push(gauge(
            "mysql_global_status_wsrep_ready",
            &labels,
            incident(15 * DAY + 4 * HOUR + i as i64 * DAY, 10 * 60, 1.0, 0.0),
        ));
        all.push(gauge(
            "mysql_slave_status_seconds_behind_master",
            &labels,
            incident(8 * DAY + 13 * HOUR, 100 * 60, 2.0, 95.0),
        ));
    }
    all
}

/// Writes the series from `start` to `end` in OpenMetrics, each family's
/// series together and each series in time order, as promtool wants them.
fn write_history(path: &Path, start: i64, end: i64) -> usize {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut series = examples();
    series.sort_by(|a, b| a.name.cmp(&b.name));
    let mut family = String::new();
    let mut samples = 0;
    for s in &series {
        if s.name != family {
            family = s.name.clone();
            writeln!(out, "# TYPE {family} unknown").unwrap();
        }
        let mut value = 0.0;
        let mut t = start;
        while t <= end {
            value = if s.counter {
                value + (s.shape)(t - start) * SCRAPE as f64
            } else {
                (s.shape)(t - start)
            };
            writeln!(out, "{}{{{}}} {value:.3} {t}", s.name, s.labels).unwrap();
            samples += 1;
            t += SCRAPE;
        }
    }
    writeln!(out, "# EOF").unwrap();
    out.flush().unwrap();
    samples
}

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "lookout"])
        .current_dir(repo)
        .status()
        .unwrap();
    assert!(status.success());
    let lookout = repo.join("target/release/lookout");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = now - now % SCRAPE;
    let start = end - DAYS * DAY;
    let began = Instant::now();
    let samples = write_history(&root.join("history.om"), start, end);
    let size = std::fs::metadata(root.join("history.om")).unwrap().len();
    let written = began.elapsed();
    let began = Instant::now();
    run_ok_with(
        tool("promtool"),
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "history.om",
            "data",
        ],
        root,
        &[],
    );
    let backfilled = began.elapsed();
    std::fs::remove_file(root.join("history.om")).unwrap();
    std::fs::write(
        root.join("prometheus.yml"),
        "global: {scrape_interval: 30s, evaluation_interval: 30s}\n",
    )
    .unwrap();
    let port = servers::free_port();
    let _prometheus = servers::start_prometheus(root, port, &["--storage.tsdb.retention.time=60d"]);

    // The examples as a user has them: the repository's specs and config.
    let project = root.join("project");
    std::fs::create_dir_all(project.join("slos")).unwrap();
    for entry in std::fs::read_dir(repo.join("slos")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, project.join("slos").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::copy(repo.join("lookout.yaml"), project.join("lookout.yaml")).unwrap();
    let env = [("LOOKOUT_PROMETHEUS_URL", format!("http://127.0.0.1:{port}"))];

    let mut times = Vec::new();
    let mut report = serde_json::Value::Null;
    for _ in 0..RUNS {
        let began = Instant::now();
        let out = run_ok_with(
            &lookout,
            &["backtest", "--since", "30d", "--format", "json"],
            &project,
            &env,
        );
        times.push(began.elapsed());
        report = serde_json::from_str(&out).unwrap();
    }
    let slos = report["slos"].as_array().unwrap();
    let missing: Vec<_> = slos.iter().filter_map(|s| s.get("missing")).collect();
    assert!(missing.is_empty(), "the history lacks {missing:?}");
    let replayed = slos.iter().filter(|s| s["sli"].is_number()).count();
    let alerts: usize = slos
        .iter()
        .map(|s| s["alerts"].as_array().map_or(0, Vec::len))
        .sum();
    let secs = |d: Duration| d.as_secs_f64();
    let mut warm: Vec<f64> = times[1..].iter().copied().map(secs).collect();
    warm.sort_by(f64::total_cmp);
    println!(
        "backtest benchmark: {lookout} on {cores} cores",
        lookout = lookout.display(),
        cores = std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "history: {} series, {DAYS} days every {SCRAPE}s, {samples} samples ({:.0} MiB of OpenMetrics, written in {:.1} s, backfilled by promtool in {:.1} s)",
        examples().len(),
        size as f64 / 1048576.0,
        secs(written),
        secs(backfilled),
    );
    println!(
        "backtest --since 30d: {} SLOs in the specs, {replayed} replayed, {alerts} alert intervals found",
        slos.len()
    );
    for slo in slos {
        let alerts = slo["alerts"].as_array().map_or(&[][..], Vec::as_slice);
        let count = |severity: &str| alerts.iter().filter(|a| a["severity"] == severity).count();
        println!(
            "  {}/{}: {} page, {} ticket{}",
            slo["service"].as_str().unwrap_or_default(),
            slo["slo"].as_str().unwrap_or_default(),
            count("page"),
            count("ticket"),
            slo["note"]
                .as_str()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
    }
    println!(
        "  first (cold) run: {:.2} s; then {RUNS}-1 warm runs: {} s (goal ≤ 20 s)",
        secs(times[0]),
        warm.iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
