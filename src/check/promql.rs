//! PromQL validation with promql-parser.
//!
//! The parser reports no positions, so callers point at the whole query in
//! the YAML. Queries are checked after `{{window}}` is substituted, since a
//! template is not PromQL.

use promql_parser::parser::{self, value::ValueType, Expr};

/// Why a query was rejected.
#[derive(Debug)]
pub struct Rejection {
    pub message: String,
}

/// Checks that `query` parses and returns an instant vector or a scalar, as
/// a recording rule's expression must.
///
/// The parser compiles the regex of every `=~`/`!~` matcher, which was half
/// its cost on large projects where the same few regexes repeat. So regex
/// literals are checked once each (per thread) and stubbed out before the
/// query is parsed; a query whose literals cannot be read that way is parsed
/// as written. The stubbed syntax tree is not returned, since its matchers
/// are not the query's: use [`parse`] for the tree.
pub fn validate(query: &str) -> Result<(), Rejection> {
    let stubbed = match stub_regex_matchers(query) {
        Some((mut stubbed, matchers)) => {
            // An equality matcher needs no regex compiled. Keep whether each
            // matcher matches the empty string: the parser rejects selectors
            // whose every matcher does.
            for (negated, regex) in matchers {
                let matches_empty = check_regex(&regex)?;
                let stub = match (negated, matches_empty) {
                    (false, true) => r#"="""#,
                    (false, false) => r#"="x""#,
                    (true, true) => r#"!="""#,
                    (true, false) => r#"!="x""#,
                };
                stubbed = stubbed.replacen(STUB, stub, 1);
            }
            stubbed
        }
        None => query.to_string(),
    };
    parse(&stubbed).map(|_| ())
}

/// Parses `query` as written, with the same result-type rule as [`validate`].
pub fn parse(query: &str) -> Result<Expr, Rejection> {
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

/// A query that reads a counter's value (`sum(x{…})`, `sum by (l) (x)`,
/// or the bare selector `x{…}`) as the rate of that counter over `range`
/// (`sum by (l) (rate(x{…}[range]))`): the only shapes whose rate is
/// unambiguous. Anything else is `None`, for the caller to ask for a rate.
pub fn counter_as_rate(query: &str, range: &str) -> Option<String> {
    use promql_parser::parser::ast::LabelModifier;
    let rate = |selector: &Expr| format!("rate({selector}[{range}])");
    match parse(query).ok()? {
        selector @ Expr::VectorSelector(_) => Some(format!("sum({})", rate(&selector))),
        Expr::Aggregate(aggregate)
            if aggregate.op.to_string() == "sum"
                && aggregate.param.is_none()
                && matches!(*aggregate.expr, Expr::VectorSelector(_)) =>
        {
            let grouping = match &aggregate.modifier {
                None => String::new(),
                Some(LabelModifier::Include(labels)) if labels.labels.is_empty() => String::new(),
                Some(LabelModifier::Include(labels)) => {
                    format!(" by ({}) ", labels.labels.join(", "))
                }
                Some(LabelModifier::Exclude(labels)) => {
                    format!(" without ({}) ", labels.labels.join(", "))
                }
            };
            Some(format!("sum{grouping}({})", rate(&aggregate.expr)))
        }
        _ => None,
    }
}

/// Where a query stops being PromQL, as the byte offset of the offending
/// character: promql-parser's errors carry no position, so this finds the
/// shortest prefix whose error is not merely that the input ended early.
pub fn error_offset(query: &str) -> Option<usize> {
    let incomplete = |message: &str| {
        message.contains("unclosed")
            || message.contains("unexpected end")
            || message.contains("unterminated")
    };
    let ends = query
        .char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain([query.len()]);
    for end in ends {
        if let Err(message) = parser::parse(&query[..end]) {
            if !incomplete(&message) {
                let last = query[..end].char_indices().last().map_or(0, |(i, _)| i);
                return Some(last);
            }
        }
    }
    None
}

/// [`crate::model::query::parse_matchers`], rejected as a query is.
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, Rejection> {
    crate::model::query::parse_matchers(text).map_err(|message| Rejection {
        message: tidy(&message),
    })
}

/// [`crate::model::query::add_matchers`], rejected as a query is.
pub fn add_matchers(query: &str, extra: &[Matcher]) -> Result<String, Rejection> {
    crate::model::query::add_matchers(query, extra).map_err(|message| Rejection {
        message: tidy(&message),
    })
}

pub use promql_parser::label::Matcher;

pub use crate::model::query::substitute_grafana_variables;

/// Placeholder for a regex literal between stubbing and substitution; it
/// cannot occur in a query because it contains a control character.
const STUB: &str = "\u{1}regex\u{1}";

/// Compiles a matcher regex as Prometheus anchors it, remembering results.
/// Returns whether it matches the empty string.
fn check_regex(regex: &str) -> Result<bool, Rejection> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static SEEN: RefCell<HashMap<String, Result<bool, String>>> = RefCell::new(HashMap::new());
    }
    SEEN.with(|seen| {
        if let Some(result) = seen.borrow().get(regex) {
            return result.clone();
        }
        let result = regex::Regex::new(&format!("^(?:{regex})$"))
            .map(|compiled| compiled.is_match(""))
            .map_err(|e| {
                format!(
                    "invalid regex `{regex}`: {}",
                    e.to_string().lines().last().unwrap_or("")
                )
            });
        seen.borrow_mut().insert(regex.to_string(), result.clone());
        result
    })
    .map_err(|message| Rejection { message })
}

/// Replaces each `=~"…"`/`!~"…"` with a [`STUB`] and returns, per matcher,
/// whether it is negated and its unescaped regex. `None` when a literal uses
/// an escape this reader does not handle; the caller then parses the
/// original query.
fn stub_regex_matchers(query: &str) -> Option<(String, Vec<(bool, String)>)> {
    let bytes = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    let mut regexes = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            // Skip string literals that are not regexes.
            quote @ (b'"' | b'\'' | b'`') => {
                i = string_end(bytes, i, quote)?;
            }
            b'=' | b'!' if bytes.get(i + 1) == Some(&b'~') => {
                let mut start = i + 2;
                while bytes.get(start).is_some_and(u8::is_ascii_whitespace) {
                    start += 1;
                }
                let quote = *bytes.get(start)?;
                if !matches!(quote, b'"' | b'\'' | b'`') {
                    return None;
                }
                let end = string_end(bytes, start, quote)?;
                regexes.push((
                    bytes[i] == b'!',
                    unescape(&query[start + 1..end - 1], quote)?,
                ));
                out.push_str(&query[copied..i]);
                out.push_str(STUB);
                copied = end;
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&query[copied..]);
    Some((out, regexes))
}

/// Index just past the literal that opens at `start`.
fn string_end(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Go string unescaping for the escapes PromQL queries use in practice.
fn unescape(body: &str, quote: u8) -> Option<String> {
    if quote == b'`' {
        return Some(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            _ => return None,
        }
    }
    Some(out)
}

fn tidy(message: &str) -> String {
    message.trim().trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counters_become_rates_only_where_unambiguous() {
        use super::counter_as_rate as rate;
        assert_eq!(
            rate(r#"sum(http_requests{code=~"2.."})"#, "5m").as_deref(),
            Some(r#"sum(rate(http_requests{code=~"2.."}[5m]))"#)
        );
        assert_eq!(
            rate("sum by (job, le) (x)", "5m").as_deref(),
            Some("sum by (job, le) (rate(x[5m]))")
        );
        assert_eq!(rate("x", "1m").as_deref(), Some("sum(rate(x[1m]))"));
        assert_eq!(rate("max(x)", "5m"), None);
        assert_eq!(rate("sum(x) / 2", "5m"), None);
        assert_eq!(rate("sum(rate(x[5m]))", "5m"), None);
    }

    #[test]
    fn error_offsets_point_at_the_offending_character() {
        fn at(q: &str) -> Option<&str> {
            super::error_offset(q).map(|i| &q[i..])
        }
        assert_eq!(at(r#"max(x{a="b"}[5m] / )"#), Some(")"));
        assert_eq!(at("foo{a=}"), Some("}"));
        assert_eq!(at("sum(rate(x[5m]))"), None);
    }

    use super::*;

    #[test]
    fn accepts_rule_expressions() {
        assert!(validate(r#"sum(rate(http_requests_total{code=~"5.."}[5m]))"#).is_ok());
        assert!(validate("vector(0.999)").is_ok());
    }

    #[test]
    fn regex_matchers_are_checked_once_and_stubbed() {
        let (stubbed, regexes) =
            stub_regex_matchers(r#"sum(rate(x{code=~"5..",path!~'/api/\\d+', a="=~"}[5m]))"#)
                .unwrap();
        assert_eq!(
            stubbed.replace(STUB, "~"),
            r#"sum(rate(x{code~,path~, a="=~"}[5m]))"#
        );
        assert_eq!(
            regexes,
            [(false, "5..".to_string()), (true, r"/api/\d+".to_string())]
        );
        let parsed = validate(r#"sum(rate(x{code=~"5..",path!~'/api/\\d+'}[5m]))"#);
        assert!(parsed.is_ok());
        // `\d` is not a Go string escape, so PromQL rejects it, as here.
        assert!(validate(r#"x{path!~'/api/\d+'}"#).is_err());
        assert!(validate(r#"x{code=~"5(.."}"#)
            .unwrap_err()
            .message
            .contains("invalid regex `5(..`"));
        assert!(validate(r#"x{code=~"5.."}"#).is_ok());
        // A selector whose only matcher matches "" stays invalid.
        assert!(validate(r#"{code=~".*"}"#).is_err());
        assert!(validate(r#"{code=~"5.."}"#).is_ok());
        // Unknown escapes fall back to the parser itself.
        assert!(stub_regex_matchers(r#"x{a=~"\x41"}"#).is_none());
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

/// How a query's result is grouped where it is last aggregated: what each
/// branch of its tree reaches first, walking down from the top through the
/// operators and functions that keep labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// `sum by (route) (…)`: these labels, sorted.
    By(Vec<String>),
    /// `sum without (pod) (…)`: whatever the series had, less these.
    Without(Vec<String>),
    /// `sum(…)`: one series.
    All,
    /// No aggregation on this branch: one result per series selected.
    None,
}

impl std::fmt::Display for Grouping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Grouping::By(labels) => write!(f, "`by ({})`", labels.join(", ")),
            Grouping::Without(labels) => write!(f, "`without ({})`", labels.join(", ")),
            Grouping::All => f.write_str("an aggregation without `by`"),
            Grouping::None => f.write_str("no aggregation"),
        }
    }
}

/// The groupings of `expr`'s outermost aggregations, one per branch that
/// yields a vector (number literals yield none), deduplicated.
pub fn outer_groupings(expr: &Expr) -> Vec<Grouping> {
    let mut out = Vec::new();
    collect_groupings(expr, &mut out);
    out.dedup();
    out
}

fn collect_groupings(expr: &Expr, out: &mut Vec<Grouping>) {
    use promql_parser::parser::LabelModifier;
    let mut push = |g: Grouping| {
        if !out.contains(&g) {
            out.push(g);
        }
    };
    match expr {
        // These select series rather than aggregate them: every label is
        // kept, whatever `by` says.
        Expr::Aggregate(aggregate)
            if matches!(
                aggregate.op.to_string().as_str(),
                "topk" | "bottomk" | "limitk" | "limit_ratio"
            ) =>
        {
            push(Grouping::None)
        }
        // A label added to every series: not an aggregation's.
        Expr::Call(call) if matches!(call.func.name, "label_replace" | "label_join") => {
            push(Grouping::None)
        }
        Expr::Aggregate(aggregate) => {
            let sorted = |labels: &[String]| {
                let mut labels = labels.to_vec();
                labels.sort();
                labels
            };
            push(match &aggregate.modifier {
                Some(LabelModifier::Include(labels)) => Grouping::By(sorted(&labels.labels)),
                Some(LabelModifier::Exclude(labels)) => Grouping::Without(sorted(&labels.labels)),
                None => Grouping::All,
            })
        }
        Expr::Binary(binary) => {
            collect_groupings(&binary.lhs, out);
            collect_groupings(&binary.rhs, out);
        }
        Expr::Paren(paren) => collect_groupings(&paren.expr, out),
        Expr::Unary(unary) => collect_groupings(&unary.expr, out),
        Expr::Call(call) => {
            // `vector(0)` and `time()` yield no labels to group by.
            let vectors: Vec<&Expr> = call
                .args
                .args
                .iter()
                .map(|a| a.as_ref())
                .filter(|a| matches!(a.value_type(), ValueType::Vector | ValueType::Matrix))
                .collect();
            if vectors.is_empty() {
                return;
            }
            for arg in vectors {
                collect_groupings(arg, out);
            }
        }
        Expr::Subquery(subquery) => collect_groupings(&subquery.expr, out),
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => push(Grouping::None),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

#[cfg(test)]
mod grouping_tests {
    use super::*;

    fn of(query: &str) -> Vec<Grouping> {
        outer_groupings(&parse(query).ok().unwrap())
    }

    #[test]
    fn the_outermost_aggregation_of_every_branch_is_found() {
        let by = |l: &[&str]| Grouping::By(l.iter().map(|s| s.to_string()).collect());
        assert_eq!(of("sum by (route) (rate(x[5m]))"), [by(&["route"])]);
        assert_eq!(
            of("sum by (route, code) (rate(x[5m])) or vector(0)"),
            [by(&["code", "route"])]
        );
        assert_eq!(
            of("sum by (route) (rate(a[5m])) / sum(rate(b[5m]))"),
            [by(&["route"]), Grouping::All]
        );
        assert_eq!(of("rate(x[5m])"), [Grouping::None]);
        assert_eq!(of("topk by (route) (3, rate(x[5m]))"), [Grouping::None]);
        assert_eq!(
            of(r#"label_replace(sum by (route) (x), "a", "b", "", "")"#),
            [Grouping::None]
        );
        assert_eq!(
            of("1 - avg_over_time((sum without (pod) (up))[5m:1m])"),
            [Grouping::Without(vec!["pod".into()])]
        );
    }
}
