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
    fn rejects_bad_syntax_and_range_results() {
        assert!(validate("sum(rate(x[5m])").is_err());
        assert!(validate("rate(x)").is_err());
        let err = validate("x[5m]").err().unwrap();
        assert!(err.message.contains("matrix"), "{}", err.message);
    }
}
