//! Lowering of an SLO's `sli:` (events, latency, raw), its selectors and
//! query templates, and the PromQL checks queued for after lowering.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::{is_metric_name, Lowering};
use crate::check::promql;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::model::{names, MetricSli, QueryTemplate, Sli};
use crate::spec::v1::SliSpec;

/// A query whose PromQL is checked after lowering, on all cores: parsing
/// PromQL is most of the cost of checking a large project.
pub(super) struct PendingQuery {
    pub(super) query: String,
    pub(super) span: Option<Span>,
    pub(super) field: String,
    /// What was substituted before parsing, for the caret's label.
    pub(super) substituted: &'static str,
    /// For an SLI query, the SLO's `group_by`, sorted: the labels the
    /// query must aggregate by at its outermost aggregation (none: it
    /// must keep no others). Panel queries group as they like: `None`.
    pub(super) group_by: Option<Vec<String>>,
}

/// Parses every pending query and reports the ones that do not parse.
pub(super) fn check_promql(pending: &[PendingQuery], diags: &mut Diagnostics) {
    let validate = |p: &PendingQuery| match promql::validate(&p.query) {
        Err(rejection) => Some(Err(rejection.message)),
        Ok(()) => grouping_mismatch(p).map(Ok),
    };
    let failures = crate::parallel::map_each(pending, 64, validate);
    for (query, failure) in pending.iter().zip(failures) {
        if let Some(Ok(mismatch)) = failure {
            diags.push(mismatch.diagnostic(query));
            continue;
        }
        if let Some(Err(message)) = failure {
            let (span, label) = match narrow(diags, query) {
                Some(span) => (Some(span), "here".to_string()),
                None => (query.span, format!("in this query ({})", query.substituted)),
            };
            diags.push(
                Diagnostic::error(
                    "spec::invalid-promql",
                    format!("the `{}` query is not valid PromQL: {message}", query.field),
                )
                .at_opt(span)
                .label(label),
            );
        }
    }
}

/// The span of the character where the query goes wrong, when it can be
/// found in the spec: what follows it in the parsed query (after template
/// substitution) must occur in the written text once.
/// A query whose outermost aggregation does not keep exactly the SLO's
/// `group_by` labels.
struct Mismatch {
    found: Vec<promql::Grouping>,
}

impl Mismatch {
    fn diagnostic(&self, query: &PendingQuery) -> Diagnostic {
        let found: Vec<String> = self.found.iter().map(|g| g.to_string()).collect();
        let found = found.join(" and ");
        let group_by = query.group_by.clone().unwrap_or_default();
        if group_by.is_empty() {
            // Several series per SLO, which every dashboard would merge.
            let labels = match self.found.iter().find_map(|g| match g {
                promql::Grouping::By(labels) => Some(labels.join(", ")),
                _ => None,
            }) {
                Some(labels) => labels,
                None => "…".into(),
            };
            return Diagnostic::warning(
                "spec::ungrouped-by",
                format!("the `{}` query keeps labels ({found}), but the SLO sets no `group_by`", query.field),
            )
            .at_opt(query.span)
            .help(format!("each value gets its own series, alerts and budget but no name in them, and dashboards merge them into one row: declare `group_by: [{labels}]` for one SLO per value, or aggregate them away with `sum(…)`"));
        }
        let want = group_by.join(", ");
        Diagnostic::error(
            "spec::group-by-mismatch",
            format!(
                "the `{}` query has {found} at its outermost aggregation, not `by ({want})` as `group_by` says",
                query.field
            ),
        )
        .at_opt(query.span)
        .help(format!("aggregate every part of the query `by ({want})`, e.g. `sum by ({want}) (rate(…[{{{{window}}}}]))`: each group is its own SLO, so its errors and totals must keep those labels, and no others"))
    }
}

fn grouping_mismatch(query: &PendingQuery) -> Option<Mismatch> {
    let group_by = query.group_by.as_ref()?;
    // Parsing again costs: only queries that may group are looked at when
    // the SLO declares no groups.
    if group_by.is_empty() && !query.query.contains("by") && !query.query.contains("without") {
        return None;
    }
    let expr = promql::parse(&query.query).ok()?;
    let found = promql::outer_groupings(&expr);
    let wanted = promql::Grouping::By(group_by.clone());
    let fits = if group_by.is_empty() {
        !found.iter().any(|g| match g {
            promql::Grouping::By(labels) => !labels.is_empty(),
            promql::Grouping::Without(_) => true,
            _ => false,
        })
    } else {
        found.iter().all(|g| g == &wanted) && !found.is_empty()
    };
    (!fits).then_some(Mismatch { found })
}

pub(super) fn narrow(diags: &Diagnostics, query: &PendingQuery) -> Option<Span> {
    let span = query.span?;
    let offset = promql::error_offset(&query.query)?;
    let rest = query.query[offset..].trim_end();
    let written = diags
        .sources
        .text(span.file)
        .get(span.offset..span.offset + span.len)?;
    let found = written.rfind(rest)?;
    if written.matches(rest).count() != 1 {
        return None;
    }
    let len = rest.chars().next()?.len_utf8();
    Some(Span {
        file: span.file,
        offset: span.offset + found,
        len,
    })
}

/// The labels of a selector made only of `name="value"` matchers.
pub(super) fn equality_labels(
    expr: &promql_parser::parser::Expr,
) -> Option<BTreeMap<String, String>> {
    let promql_parser::parser::Expr::VectorSelector(selector) = expr else {
        return None;
    };
    if !selector.matchers.or_matchers.is_empty() {
        return None;
    }
    selector
        .matchers
        .matchers
        .iter()
        .map(|m| match m.op {
            promql_parser::label::MatchOp::Equal => Some((m.name.clone(), m.value.clone())),
            _ => None,
        })
        .collect()
}

/// `name{matchers}` with an optional extra `le=~` matcher.
pub(super) fn series(name: &str, matchers: &str, le: Option<&str>) -> String {
    let mut all: Vec<String> = Vec::new();
    if !matchers.is_empty() {
        all.push(matchers.to_string());
    }
    if let Some(le) = le {
        all.push(format!("le=~{}", names::promql_string(le)));
    }
    if all.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", all.join(","))
    }
}

/// A regex matching every spelling of the bucket boundary `threshold`:
/// the shortest decimal (`0.3`, `1`), the float form Prometheus 3 normalises
/// whole numbers to (`1.0`), and Go's exponent form client libraries print
/// for large and tiny values (`1e+06`).
fn le_regex(threshold: f64) -> String {
    let mut forms: Vec<String> = Vec::new();
    let plain = format!("{threshold}");
    forms.push(plain.clone());
    if !plain.contains('.') {
        forms.push(format!("{plain}.0"));
    }
    let go = go_float(threshold);
    if !forms.contains(&go) {
        forms.push(go);
    }
    forms
        .iter()
        .map(|f| regex_syntax::escape(f))
        .collect::<Vec<_>>()
        .join("|")
}

/// Go's `strconv.FormatFloat(x, 'g', -1, 64)`, which client_golang uses for
/// `le`: exponent form when the exponent is below -4 or at least 6 (Go uses
/// precision 6 for this decision when printing the shortest form).
pub(super) fn go_float(x: f64) -> String {
    let exponent = x.abs().log10().floor() as i32;
    if (-4..6).contains(&exponent) {
        return format!("{x}");
    }
    let text = format!("{x:e}"); // e.g. 1e6, 1.5e-7
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

impl Lowering<'_> {
    pub(super) fn sli(&mut self, sli: &Spanned<SliSpec>, service: &str, slo: &str) -> Option<Sli> {
        let span = self.span(sli);
        let spec = &sli.value;
        let set = [
            spec.events.is_some(),
            spec.latency.is_some(),
            spec.raw.is_some(),
            spec.logs.is_some(),
        ]
        .iter()
        .filter(|s| **s)
        .count();
        if set != 1 {
            let d = self.error(
                "spec::sli-kind",
                if set == 0 {
                    "the SLI has no kind"
                } else {
                    "the SLI has more than one kind"
                },
                span,
            );
            d.help = Some("set exactly one of `events`, `latency`, `raw` or `logs`".into());
            return None;
        }
        if let Some(logs) = &spec.logs {
            return self.log_sli(logs);
        }
        if let Some(events) = &spec.events {
            let errors = self.query(&events.errors, service, slo, "errors");
            let total = self.query(&events.total, service, slo, "total");
            return Some(Sli::Metric(MetricSli::Events {
                errors: errors?,
                total: total?,
            }));
        }
        if let Some(raw) = &spec.raw {
            let error_ratio = self.query(&raw.error_ratio, service, slo, "error_ratio")?;
            return Some(Sli::Metric(MetricSli::Raw { error_ratio }));
        }
        let latency = spec.latency.as_ref()?;
        let histogram = latency.histogram.value.trim().to_string();
        let histogram_span = self.span(&latency.histogram);
        let mut ok = true;
        if !is_metric_name(&histogram) {
            self.error(
                "spec::invalid-metric",
                format!("invalid histogram name `{histogram}`"),
                histogram_span,
            );
            ok = false;
        } else if let Some(base) = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| histogram.strip_suffix(s))
        {
            let d = self.error(
                "spec::histogram-suffix",
                format!("`histogram` takes the base name, not `{histogram}`"),
                histogram_span,
            );
            d.help = Some(format!(
                "write `histogram: {base}`; lookout reads `{base}_bucket` and `{base}_count`"
            ));
            ok = false;
        }
        let threshold = latency.threshold.value;
        if !(threshold.is_finite() && threshold > 0.0) {
            let span = self.span(&latency.threshold);
            let d = self.error(
                "spec::threshold-range",
                format!("latency threshold must be greater than 0 seconds, got {threshold}"),
                span,
            );
            d.help = Some(
                "the threshold is in seconds and must equal a bucket boundary, e.g. `0.3`".into(),
            );
            ok = false;
        }
        let (matchers, selector_labels) = match &latency.selector {
            None => (String::new(), Some(BTreeMap::new())),
            Some(selector) => self.selector(selector, &histogram)?,
        };
        if !ok {
            return None;
        }
        let count = series(&format!("{histogram}_count"), &matchers, None);
        let bucket = series(
            &format!("{histogram}_bucket"),
            &matchers,
            Some(&le_regex(threshold)),
        );
        let slot = QueryTemplate::WINDOW_SLOT;
        let sum = if self.group_by.is_empty() {
            "sum".to_string()
        } else {
            format!("sum by ({})", self.group_by.join(", "))
        };
        Some(Sli::Metric(MetricSli::Latency {
            errors: QueryTemplate::new(format!(
                "{sum}(rate({count}[{slot}])) - {sum}(rate({bucket}[{slot}]))"
            )),
            total: QueryTemplate::new(format!("{sum}(rate({count}[{slot}]))")),
            histogram,
            matchers,
            selector_labels,
            threshold,
        }))
    }

    /// Validates a `{…}` selector and returns the matchers inside the braces.
    /// Validates a `{…}` selector. Returns the matchers inside the braces,
    /// and the labels themselves when every matcher is a plain `=`.
    pub(super) fn selector(
        &mut self,
        selector: &Spanned<String>,
        histogram: &str,
    ) -> Option<(String, Option<BTreeMap<String, String>>)> {
        let span = self.span(selector);
        let text = selector.value.trim();
        let inner = text.strip_prefix('{').and_then(|t| t.strip_suffix('}'));
        let Some(inner) = inner else {
            let d = self.error(
                "spec::invalid-selector",
                format!("invalid selector `{text}`"),
                span,
            );
            d.help = Some(r#"write label matchers in braces, e.g. `{job="checkout"}`"#.into());
            return None;
        };
        let inner = inner.trim().trim_end_matches(',').to_string();
        let probe = format!(
            "{}{{{inner}}}",
            if histogram.is_empty() { "x" } else { histogram }
        );
        // The syntax tree is needed (for the selector's labels), so parse as written.
        let expr = match promql::parse(&probe) {
            Ok(expr) => expr,
            Err(rejection) => {
                let d = self.error(
                    "spec::invalid-selector",
                    format!("invalid selector: {}", rejection.message),
                    span,
                );
                d.help = Some(r#"write label matchers in braces, e.g. `{job="checkout"}`"#.into());
                return None;
            }
        };
        if inner.split(',').any(|m| {
            m.trim().starts_with("le") && m.trim()[2..].trim_start().starts_with(['=', '!'])
        }) {
            let d = self.error(
                "spec::invalid-selector",
                "the selector must not match on `le`",
                span,
            );
            d.help = Some("lookout picks the bucket from `threshold`".into());
            return None;
        }
        Some((inner, equality_labels(&expr)))
    }

    /// Renders a query template and checks that it uses `{{window}}` and parses.
    pub(super) fn query(
        &mut self,
        query: &Spanned<String>,
        service: &str,
        slo: &str,
        field: &str,
    ) -> Option<QueryTemplate> {
        let span = self.span(query);
        let template = match self.templates.query(&query.value, service, slo) {
            Ok(template) => template,
            Err(message) => {
                self.error("spec::template", message, span).label = Some("in this query".into());
                return None;
            }
        };
        if !template.uses_window() {
            let d = self.error(
                "spec::missing-window",
                format!("the `{field}` query does not use `{{{{window}}}}`"),
                span,
            );
            d.label = Some("no `{{window}}` here".into());
            d.help = Some(
                "lookout evaluates the query over several windows; write the range as `[{{window}}]`, e.g. `rate(http_requests_total[{{window}}])`"
                    .into(),
            );
            return None;
        }
        self.pending_promql.push(PendingQuery {
            query: template.at(names::BASE_WINDOW),
            span,
            field: field.to_string(),
            substituted: "with {{window}} = 5m",
            group_by: Some(self.group_by.clone()),
        });
        Some(template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_regex_matches_every_spelling() {
        assert_eq!(le_regex(0.3), r"0\.3");
        assert_eq!(le_regex(1.0), r"1|1\.0");
        assert_eq!(le_regex(2.5), r"2\.5");
        assert_eq!(le_regex(100000.0), r"100000|100000\.0");
        assert_eq!(le_regex(1e6), r"1000000|1000000\.0|1e\+06");
        assert_eq!(le_regex(2.5e7), r"25000000|25000000\.0|2\.5e\+07");
        assert_eq!(le_regex(0.00001), r"0\.00001|1e\-05");
    }
}
