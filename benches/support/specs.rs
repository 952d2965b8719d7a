//! The synthetic project both benchmarks compile: services of ten SLOs
//! each, a third each of events, latency and raw SLIs.

pub const SLOS_PER_SERVICE: usize = 10;

pub fn service_spec(i: usize) -> String {
    let mut spec = format!(
        "service: svc-{i}\nteam: team-{}\nlabels:\n  tier: \"{}\"\nslos:\n",
        i % 40,
        i % 3
    );
    for j in 0..SLOS_PER_SERVICE {
        let slo = match j % 3 {
            0 => format!(
                "  - name: availability-{j}\n    objective: 99.9\n    sli:\n      events:\n        errors: sum(rate(http_requests_total{{job=\"svc-{i}\",route=\"/r{j}\",code=~\"5..\"}}[{{{{window}}}}]))\n        total: sum(rate(http_requests_total{{job=\"svc-{i}\",route=\"/r{j}\"}}[{{{{window}}}}]))\n"
            ),
            1 => format!(
                "  - name: latency-{j}\n    objective: 99\n    window: 28d\n    sli:\n      latency:\n        histogram: http_request_duration_seconds\n        selector: '{{job=\"svc-{i}\",route=\"/r{j}\"}}'\n        threshold: 0.3\n"
            ),
            _ => format!(
                "  - name: ready-{j}\n    objective: 99.5\n    window: 7d\n    sli:\n      raw:\n        error_ratio: 1 - avg_over_time(up{{job=\"svc-{i}\",shard=\"{j}\"}}[{{{{window}}}}])\n"
            ),
        };
        spec.push_str(&slo);
    }
    spec
}
