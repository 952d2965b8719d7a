//! Compile benchmark: 10,000 SLOs across 1,000 services, specs to every
//! artifact, in memory. Run with `cargo bench --bench compile`; it prints
//! the figures the README quotes. Target: under 1 s on 2 cores.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lookout::model::settings::Settings;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "support/specs.rs"]
mod specs;
use specs::{service_spec, SLOS_PER_SERVICE};

const SERVICES: usize = 1_000;
const RUNS: usize = 5;

fn main() {
    let specs: Vec<(PathBuf, String)> = (0..SERVICES)
        .map(|i| (PathBuf::from(format!("slos/svc-{i}.yaml")), service_spec(i)))
        .collect();
    let inputs: Vec<(&std::path::Path, String)> = specs
        .iter()
        .map(|(p, t)| (p.as_path(), t.clone()))
        .collect();
    let bytes: usize = specs.iter().map(|(_, t)| t.len()).sum();
    let config = "runbooks: {base_url: https://runbooks.example.com}";
    let settings = lookout::model::settings::Settings::default();

    let mut compile_times = Vec::new();
    let mut emit_times = Vec::new();
    let mut artifacts = 0;
    let mut output_bytes = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let compiled = lookout::check::compile_texts(Some(config), black_box(&inputs));
        compile_times.push(start.elapsed());
        let model = compiled
            .unwrap_or_else(|diags| panic!("{}", diags.render(false)))
            .model;
        assert_eq!(model.slos().count(), SERVICES * SLOS_PER_SERVICE);
        let start = Instant::now();
        let out = lookout::emit::emit_all(black_box(&model), &settings, Vec::new()).unwrap();
        emit_times.push(start.elapsed());
        artifacts = out.len();
        output_bytes = out.iter().map(|a| a.contents.len()).sum();
    }
    let best = |times: &[Duration]| times.iter().min().copied().unwrap();
    let median = |times: &[Duration]| {
        let mut sorted = times.to_vec();
        sorted.sort();
        sorted[sorted.len() / 2]
    };
    let total: Vec<Duration> = compile_times
        .iter()
        .zip(&emit_times)
        .map(|(c, e)| *c + *e)
        .collect();
    println!(
        "compile benchmark: {} SLOs in {} services ({:.1} MiB of specs) -> {} files ({:.1} MiB)",
        SERVICES * SLOS_PER_SERVICE,
        SERVICES,
        bytes as f64 / 1_048_576.0,
        artifacts,
        output_bytes as f64 / 1_048_576.0
    );
    println!(
        "  parse + check: median {:>7.1} ms  best {:>7.1} ms",
        ms(median(&compile_times)),
        ms(best(&compile_times))
    );
    println!(
        "  emit (all):    median {:>7.1} ms  best {:>7.1} ms",
        ms(median(&emit_times)),
        ms(best(&emit_times))
    );
    let start = Instant::now();
    let mut scratch = lookout::diag::Diagnostics::default();
    let texts = specs.clone();
    black_box(lookout::spec::parse_spec_files(texts, &mut scratch));
    println!(
        "    YAML parse  (all cores)  {:>7.1} ms",
        ms(start.elapsed())
    );
    let start = Instant::now();
    for (_, text) in specs.iter().take(1000) {
        for line in text
            .lines()
            .filter(|l| l.contains("sum(rate") || l.contains("avg_over_time"))
        {
            let query = line.split_once(": ").unwrap().1.replace("{{window}}", "5m");
            assert!(black_box(lookout::check::promql::validate(&query)).is_ok());
        }
    }
    println!(
        "    PromQL check of every query (one core) {:>7.1} ms",
        ms(start.elapsed())
    );
    let model = lookout::check::compile_texts(Some(config), &inputs)
        .unwrap_or_else(|diags| panic!("{}", diags.render(false)))
        .model;
    for (name, emit) in [
        (
            "prometheus",
            (|s: &_, o: &Settings| {
                lookout::emit::prometheus::emit(s, &o.layout, &o.prometheus, &o.links)
            }) as fn(&_, &_) -> Vec<_>,
        ),
        ("promtool", |s: &_, o: &Settings| {
            lookout::emit::promtool::emit(s, &o.layout, &o.prometheus, &o.links)
        }),
        ("runbooks", |s: &_, o: &Settings| {
            lookout::emit::runbooks::emit(
                s,
                &o.layout,
                &o.runbooks,
                &o.links,
                o.prometheus.evaluation(),
            )
            .unwrap()
        }),
        ("grafana", |s: &_, o: &Settings| {
            lookout::emit::grafana::emit(s, &o.layout, &o.grafana)
        }),
    ] {
        let start = Instant::now();
        let out = emit(black_box(&model.services), &settings);
        let bytes: usize = out.iter().map(|a| a.contents.len()).sum();
        println!(
            "    {name:<11} (one core) {:>7.1} ms  {:>6.1} MiB",
            ms(start.elapsed()),
            bytes as f64 / 1_048_576.0
        );
        if name == "grafana" {
            let start = Instant::now();
            let mut dashboards =
                lookout::emit::grafana::dashboards(&model.services, &settings.grafana);
            let maps = lookout::emit::kubernetes::emit(
                &mut dashboards,
                &settings.layout,
                &settings.grafana,
            );
            let bytes: usize = maps.iter().map(|a| a.contents.len()).sum();
            println!(
                "    grafana values + kubernetes (one core) {:>7.1} ms  {:>6.1} MiB",
                ms(start.elapsed()),
                bytes as f64 / 1_048_576.0
            );
        }
    }
    println!(
        "  total:         median {:>7.1} ms  best {:>7.1} ms  (target < 1000 ms)",
        ms(median(&total)),
        ms(best(&total))
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
