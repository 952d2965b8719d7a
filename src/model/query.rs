//! Grafana's query variables, and the values lookout substitutes for them
//! to check a dashboard query as PromQL, at build time (`check`) and against
//! a live Prometheus (`check --live`) alike; and label matchers added to a
//! query's every selector (canary analysis, the live preflight).

use promql_parser::label::Matcher;
use promql_parser::parser::{self, Expr};

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

/// The label matchers of `text`, a comma-separated list as written inside
/// a selector's braces (`pod=~"web-.*", track="canary"`).
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, String> {
    let Expr::VectorSelector(selector) = parser::parse(&format!("lookout_canary{{{text}}}"))?
    else {
        return Err("not a list of label matchers".into());
    };
    if !selector.matchers.or_matchers.is_empty() {
        return Err("`or` between matchers is not supported here".into());
    }
    let matchers: Vec<Matcher> = selector
        .matchers
        .matchers
        .into_iter()
        .filter(|m| m.name != "__name__")
        .collect();
    if matchers.is_empty() {
        return Err("no label matcher".into());
    }
    Ok(matchers)
}

/// `query` with `extra` added to every selector (each `or` alternative
/// too), printed by the parser: the query scoped to the series `extra`
/// selects.
pub fn add_matchers(query: &str, extra: &[Matcher]) -> Result<String, String> {
    fn walk(expr: &mut Expr, extra: &[Matcher]) {
        let add = |selector: &mut parser::VectorSelector| {
            selector.matchers.matchers.extend(extra.iter().cloned());
            for alternative in &mut selector.matchers.or_matchers {
                alternative.extend(extra.iter().cloned());
            }
        };
        match expr {
            Expr::VectorSelector(selector) => add(selector),
            Expr::MatrixSelector(matrix) => add(&mut matrix.vs),
            Expr::Aggregate(aggregate) => {
                walk(&mut aggregate.expr, extra);
                if let Some(param) = &mut aggregate.param {
                    walk(param, extra);
                }
            }
            Expr::Unary(unary) => walk(&mut unary.expr, extra),
            Expr::Binary(binary) => {
                walk(&mut binary.lhs, extra);
                walk(&mut binary.rhs, extra);
            }
            Expr::Paren(paren) => walk(&mut paren.expr, extra),
            Expr::Subquery(subquery) => walk(&mut subquery.expr, extra),
            Expr::Call(call) => {
                for arg in &mut call.args.args {
                    walk(arg, extra);
                }
            }
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
        }
    }
    let mut expr = parser::parse(query)?;
    walk(&mut expr, extra);
    Ok(expr.to_string())
}
