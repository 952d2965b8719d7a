//! PromQL validation with promql-parser.
//!
//! The parser reports no positions, so callers point at the whole query in
//! the YAML. Queries are checked after `{{window}}` is substituted, since a
//! template is not PromQL.

use promql_parser::parser::{self, value::ValueType, Expr};

/// Why a query was rejected.
pub struct Rejection {
    pub message: String,
}

/// Parses `query` and requires it to return an instant vector or a scalar,
/// as a recording rule's expression must.
pub fn validate(query: &str) -> Result<Expr, Rejection> {
    let expr = parser::parse(query).map_err(|message| Rejection {
        message: tidy(&message),
    })?;
    match expr.value_type() {
        ValueType::Vector | ValueType::Scalar => Ok(expr),
        other => Err(Rejection {
            message: format!(
                "query returns a {other}, but a rule needs an instant vector; wrap the range in a function such as rate()"
            ),
        }),
    }
}

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

fn tidy(message: &str) -> String {
    message.trim().trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rule_expressions() {
        assert!(validate(r#"sum(rate(http_requests_total{code=~"5.."}[5m]))"#).is_ok());
        assert!(validate("vector(0.999)").is_ok());
    }

    #[test]
    fn grafana_variables_become_durations() {
        let q = "sum(rate(x[$__rate_interval])) / sum(rate(y[${__range}]))";
        assert_eq!(
            substitute_grafana_variables(q),
            "sum(rate(x[5m])) / sum(rate(y[1h]))"
        );
        assert!(validate(&substitute_grafana_variables(q)).is_ok());
    }

    #[test]
    fn rejects_bad_syntax_and_range_results() {
        assert!(validate("sum(rate(x[5m])").is_err());
        assert!(validate("rate(x)").is_err());
        let err = validate("x[5m]").err().unwrap();
        assert!(err.message.contains("matrix"), "{}", err.message);
    }
}
