//! Grafana's query variables, and the values lookout substitutes for them
//! to check a dashboard query as PromQL, at build time (`check`) and against
//! a live Prometheus (`check --live`) alike.

/// Grafana's built-in interval variables, replaced by durations so a
/// dashboard query can be parsed as PromQL.
pub fn substitute_grafana_variables(query: &str) -> String {
    const VARIABLES: [(&str, &str); 10] = [
        ("${__rate_interval}", "5m"),
        ("$__rate_interval", "5m"),
        ("${__interval_ms}", "60000"),
        ("$__interval_ms", "60000"),
        ("${__interval}", "1m"),
        ("$__interval", "1m"),
        ("${__range_s}", "3600"),
        ("$__range_s", "3600"),
        ("${__range}", "1h"),
        ("$__range", "1h"),
    ];
    let mut out = query.to_string();
    for (variable, value) in VARIABLES {
        if out.contains(variable) {
            out = out.replace(variable, value);
        }
    }
    out
}
