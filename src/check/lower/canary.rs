//! Lowering of a service's `canary:`: the matchers that tell the canary's
//! series apart, checked as PromQL with their template variables
//! substituted, and one gate query per SLO that a canary can be judged on.

use serde_saphyr::Spanned;

use super::Lowering;
use crate::check::promql;
use crate::diag::Span;
use crate::model::canary::{
    Canary, Gate, Matcher, ARGO_ARG_PREFIX, DEFAULT_INTERVAL, DEFAULT_MIN_REQUESTS,
};
use crate::model::{round_sig, Duration, MetricSli, Sli, Slo};
use crate::spec::v1::CanarySpec;

/// Which rollout controller a matcher is for: what it may substitute and
/// how its variables are spelt.
#[derive(Clone, Copy)]
enum Controller {
    Argo,
    Flagger,
}

/// Flagger's query variables (`MetricTemplateModel.TemplateFunctions`,
/// pkg/apis/flagger/v1beta1/metric.go), besides `variables.NAME`.
const FLAGGER_VARIABLES: [&str; 7] = [
    "name",
    "namespace",
    "target",
    "service",
    "ingress",
    "route",
    "interval",
];

impl Controller {
    fn key(self) -> &'static str {
        match self {
            Controller::Argo => "canary.matcher",
            Controller::Flagger => "canary.flagger_matcher",
        }
    }

    /// Why `variable` (trimmed) cannot be substituted, if it cannot.
    fn reject(self, variable: &str) -> Option<String> {
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match self {
            Controller::Argo => match variable.strip_prefix(ARGO_ARG_PREFIX) {
                Some(name) if valid_name(name) => None,
                _ => Some(format!(
                    "Argo Rollouts substitutes only `{{{{args.NAME}}}}`, not `{{{{{variable}}}}}`"
                )),
            },
            Controller::Flagger => {
                let known = FLAGGER_VARIABLES.contains(&variable)
                    || variable
                        .strip_prefix("variables.")
                        .is_some_and(|name| valid_name(name) && !name.contains('.'));
                (!known).then(|| {
                    format!(
                        "Flagger has no variable `{{{{ {variable} }}}}`; it has {}, and `{{{{ variables.NAME }}}}`",
                        FLAGGER_VARIABLES.map(|v| format!("`{{{{ {v} }}}}`")).join(", ")
                    )
                })
            }
        }
    }

    /// How the controller's documentation spells a variable.
    fn spell(self, variable: &str) -> String {
        match self {
            Controller::Argo => format!("{{{{{variable}}}}}"),
            Controller::Flagger => format!("{{{{ {variable} }}}}"),
        }
    }
}

/// Stands in for the `index`th template variable while the matcher is
/// PromQL: letters and digits only, so it is valid in a string and in a
/// regex, as a substituted pod hash or workload name is.
fn placeholder(index: usize) -> String {
    format!("lookoutvar{index}x")
}

/// A matcher, parsed, with what restores its variables.
struct Scoped {
    matcher: Matcher,
    parsed: Vec<promql::Matcher>,
    controller: Controller,
    span: Option<Span>,
}

impl Scoped {
    /// `query` with the placeholders spelt as the controller substitutes.
    fn restore(&self, query: &str) -> String {
        let mut out = query.to_string();
        for (index, variable) in self.matcher.variables.iter().enumerate() {
            out = out.replace(&placeholder(index), &self.controller.spell(variable));
        }
        out
    }
}

impl Lowering<'_> {
    pub(super) fn canary(&mut self, spec: &Spanned<CanarySpec>, slos: &[Slo]) -> Option<Canary> {
        let errors_before = self.diags.error_count();
        let canary = &spec.value;
        let span = self.span(spec);
        if canary.matcher.is_none() && canary.flagger_matcher.is_none() {
            self.error(
                "spec::canary-no-matcher",
                "`canary` has neither `matcher` (Argo Rollouts) nor `flagger_matcher` (Flagger)",
                span,
            )
            .help = Some(
                "add `matcher: 'rollouts_pod_template_hash=\"{{args.canary-hash}}\"'` for Argo Rollouts, or Flagger's `flagger_matcher`".into(),
            );
        }
        let argo = canary
            .matcher
            .as_ref()
            .and_then(|m| self.canary_matcher(m, Controller::Argo));
        let flagger = canary
            .flagger_matcher
            .as_ref()
            .and_then(|m| self.canary_matcher(m, Controller::Flagger));
        let min_requests = canary
            .min_requests
            .as_ref()
            .map_or(DEFAULT_MIN_REQUESTS, |m| m.value);
        let interval = match &canary.interval {
            None => Some(DEFAULT_INTERVAL),
            Some(text) => self.canary_interval(text),
        };
        let min_budget = canary.min_budget.as_ref().map_or(0.0, |m| m.value);
        if !(0.0..100.0).contains(&min_budget) {
            let span = canary.min_budget.as_ref().and_then(|m| self.span(m));
            self.error(
                "spec::canary-min-budget",
                format!("`min_budget` is a percentage of the budget, from 0 up to 100, got {min_budget}"),
                span,
            )
            .help = Some("e.g. `min_budget: 10` freezes deploys with a tenth of the budget left".into());
        }
        let namespace = canary.namespace.as_ref().and_then(|n| {
            let name = n.value.trim();
            if super::is_service_name(name) && name.len() <= 63 {
                return Some(name.to_string());
            }
            let span = self.span(n);
            self.error(
                "spec::invalid-name",
                format!("`{name}` is not a Kubernetes namespace name"),
                span,
            )
            .help = Some("lowercase letters, digits and `-`, at most 63".into());
            None
        });
        // Flagger's MetricTemplates are named after the SLOs as Kubernetes
        // names, where `_` becomes `-`: two SLOs must not meet there.
        let mut seen: Vec<String> = Vec::new();
        for slo in slos.iter().filter(|slo| slo.sli.event_queries().is_some()) {
            let name = crate::model::canary::kubernetes_name(&slo.name);
            if seen.contains(&name) {
                self.error(
                    "spec::canary-name-clash",
                    format!(
                        "two SLOs of this service are both `{name}` as Kubernetes names, which the Flagger MetricTemplates need apart"
                    ),
                    span,
                )
                .help = Some("rename one: `_` and `-` are the same in a template's name".into());
            }
            seen.push(name);
        }
        let interval = interval?;
        if self.diags.error_count() > errors_before {
            return None;
        }
        let mut gates = Vec::new();
        let mut left_out = Vec::new();
        for slo in slos {
            let (errors, total) = match &slo.sli {
                Sli::Logs(_) => {
                    left_out.push((slo.name.clone(), LEFT_OUT_LOGS));
                    continue;
                }
                Sli::Metric(MetricSli::Raw { .. }) => {
                    left_out.push((slo.name.clone(), LEFT_OUT_RAW));
                    continue;
                }
                Sli::Metric(
                    MetricSli::Events { errors, total } | MetricSli::Latency { errors, total, .. },
                ) => (errors.at(interval), total.at(interval)),
            };
            let query = |scoped: &Option<Scoped>, cx: &mut Self| {
                let scoped = scoped.as_ref()?;
                match gate_query(&errors, &total, &scoped.parsed, interval, min_requests) {
                    Ok(query) => Some(scoped.restore(&query)),
                    Err(rejection) => {
                        cx.error(
                            "spec::canary-matcher",
                            format!(
                                "`{}` cannot scope {}/{}: {}",
                                scoped.controller.key(),
                                slo.service,
                                slo.name,
                                rejection.message
                            ),
                            scoped.span,
                        );
                        None
                    }
                }
            };
            let argo_query = query(&argo, self);
            let flagger_query = query(&flagger, self);
            let factor = slo.fast_page_factor();
            let max_error_ratio = round_sig(factor * slo.error_budget(), 12);
            self.warn_insensitive_gate(slo, max_error_ratio, min_requests, canary, span);
            gates.push(Gate {
                slo: slo.name.clone(),
                max_error_ratio,
                factor,
                argo_query,
                flagger_query,
            });
        }
        if gates.is_empty() {
            let names: Vec<&str> = left_out.iter().map(|(name, _)| name.as_str()).collect();
            self.diags.push(
                crate::diag::Diagnostic::warning(
                    "spec::canary-no-gates",
                    format!(
                        "no SLO here can judge a canary ({}): only the budget check is written",
                        names.join(", ")
                    ),
                )
                .at_opt(span)
                .help("a canary is judged on SLIs over metrics with request counts: `errors`/`total` or `latency`"),
            );
        }
        Some(Canary {
            argo: argo.map(|s| s.matcher),
            flagger: flagger.map(|s| s.matcher),
            min_requests,
            interval,
            min_budget,
            namespace,
            gates,
            left_out,
        })
    }

    /// A gate that one stray error fails, or that nothing can fail, is
    /// written as asked, with a warning saying so.
    fn warn_insensitive_gate(
        &mut self,
        slo: &Slo,
        max_error_ratio: f64,
        min_requests: u64,
        canary: &CanarySpec,
        span: Option<Span>,
    ) {
        let at = canary
            .min_requests
            .as_ref()
            .and_then(|m| self.span(m))
            .or(span);
        if max_error_ratio >= 1.0 {
            self.diags.push(
                crate::diag::Diagnostic::warning(
                    "spec::canary-never-fails",
                    format!(
                        "{}/{} fails a canary above an error ratio of {}, which no canary reaches: its budget is {} and the page factor {}",
                        slo.service,
                        slo.name,
                        crate::model::fmt_num(max_error_ratio),
                        crate::model::fmt_num(slo.error_budget()),
                        crate::model::fmt_num(slo.fast_page_factor()),
                    ),
                )
                .at_opt(span)
                .help("give the SLO a page tier with a factor below 1 / its error budget, or judge canaries on a stricter SLO"),
            );
        } else if (min_requests as f64) * max_error_ratio < 1.0 {
            let enough = (1.0 / max_error_ratio).ceil() as u64;
            self.diags.push(
                crate::diag::Diagnostic::warning(
                    "spec::canary-single-error",
                    format!(
                        "one error among {min_requests} to {} requests fails a canary of {}/{} (above {} errors per request)",
                        enough - 1,
                        slo.service,
                        slo.name,
                        crate::model::fmt_num(max_error_ratio)
                    ),
                )
                .at_opt(at)
                .help(format!(
                    "set `min_requests: {enough}` or more, so that a canary fails on a rate of errors, not on one"
                )),
            );
        }
    }

    fn canary_interval(&mut self, text: &Spanned<String>) -> Option<Duration> {
        let span = self.span(text);
        match Duration::parse_prometheus(text.value.trim()) {
            Some(interval) if interval >= Duration::minutes(1) => Some(interval),
            Some(_) => {
                self.error(
                    "spec::canary-interval",
                    format!("`interval: {}` is shorter than 1m", text.value.trim()),
                    span,
                )
                .help = Some("a rate needs at least two scrapes in its window: use `1m` or more (default `5m`)".into());
                None
            }
            None => {
                self.error(
                    "spec::invalid-duration",
                    format!("invalid duration `{}`", text.value),
                    span,
                )
                .help = Some("use a Prometheus duration such as `5m`".into());
                None
            }
        }
    }

    /// A matcher with its variables checked and stood in for, parsed.
    fn canary_matcher(&mut self, text: &Spanned<String>, controller: Controller) -> Option<Scoped> {
        let span = self.span(text);
        let key = controller.key();
        let (substituted, variables) = match stand_in_variables(&text.value) {
            Ok(found) => found,
            Err(message) => {
                self.error("spec::canary-template", format!("`{key}`: {message}"), span);
                return None;
            }
        };
        let mut rejected = false;
        for variable in &variables {
            if let Some(message) = controller.reject(variable) {
                self.error("spec::canary-variable", format!("`{key}`: {message}"), span);
                rejected = true;
            }
        }
        if rejected {
            return None;
        }
        match promql::parse_matchers(&substituted) {
            Ok(parsed) if parsed.iter().any(|m| m.name.contains("lookoutvar")) => {
                self.error(
                    "spec::canary-variable",
                    format!("`{key}`: a template variable stands where a label name goes; the controllers substitute values only"),
                    span,
                );
                None
            }
            Ok(parsed) => Some(Scoped {
                matcher: Matcher {
                    text: text.value.trim().to_string(),
                    variables,
                    labels: parsed.iter().map(|m| m.name.clone()).collect(),
                    location: span,
                },
                parsed,
                controller,
                span,
            }),
            Err(rejection) => {
                self.error(
                    "spec::canary-matcher",
                    format!(
                        "`{key}` is not a PromQL label matcher once its variables are substituted: {}",
                        rejection.message
                    ),
                    span,
                )
                .help = Some(format!(
                    "write what goes between a selector's braces, e.g. `{}`",
                    match controller {
                        Controller::Argo => "rollouts_pod_template_hash=\"{{args.canary-hash}}\"",
                        Controller::Flagger => "pod=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\"",
                    }
                ));
                None
            }
        }
    }
}

pub(crate) const LEFT_OUT_LOGS: &str =
    "a log SLI counts lines in Loki, where the canary's lines carry no pod-template hash to tell them apart; judge the canary on a metric SLI";
pub(crate) const LEFT_OUT_RAW: &str =
    "a raw error ratio counts no requests, so too little traffic cannot be told from a healthy canary";

/// `text` with each `{{…}}` replaced by its [`placeholder`], and the
/// variables (trimmed) in order of first use.
fn stand_in_variables(text: &str) -> Result<(String, Vec<String>), String> {
    let mut variables: Vec<String> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "a `{{` is not closed by `}}`".to_string())?;
        let variable = after[..close].trim().to_string();
        let index = match variables.iter().position(|v| *v == variable) {
            Some(index) => index,
            None => {
                variables.push(variable);
                variables.len() - 1
            }
        };
        out.push_str(&placeholder(index));
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok((out, variables))
}

/// The canary's error ratio over `interval`, present only when it served
/// at least `min_requests`: no errors series reads as none, no requests
/// or too few as no result.
fn gate_query(
    errors: &str,
    total: &str,
    matchers: &[promql::Matcher],
    interval: Duration,
    min_requests: u64,
) -> Result<String, promql::Rejection> {
    let errors = promql::add_matchers(errors, matchers)?;
    let total = promql::add_matchers(total, matchers)?;
    let ratio = format!("(sum({errors}) or on () vector(0))\n/\nsum({total})");
    let query = if min_requests == 0 {
        ratio
    } else {
        format!(
            "{ratio}\nand on ()\nsum({total}) * {} >= {min_requests}",
            interval.seconds()
        )
    };
    promql::parse(&query)?;
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_become_placeholders_once_each() {
        let (text, variables) =
            stand_in_variables(r#"a="{{args.x}}",b=~"{{ target }}-.*",c="{{args.x}}""#).unwrap();
        assert_eq!(
            text,
            r#"a="lookoutvar0x",b=~"lookoutvar1x-.*",c="lookoutvar0x""#
        );
        assert_eq!(variables, ["args.x", "target"]);
        assert!(stand_in_variables("a=\"{{args.x\"").is_err());
    }

    #[test]
    fn every_selector_is_scoped_and_thin_traffic_gives_no_result() {
        let matchers = promql::parse_matchers(r#"hash="lookoutvar0x""#).unwrap();
        let query = gate_query(
            r#"sum(rate(http_requests_total{code=~"5.."}[5m]))"#,
            "sum(rate(http_requests_total[5m]))",
            &matchers,
            Duration::minutes(5),
            100,
        )
        .unwrap();
        assert_eq!(
            query,
            "(sum(sum(rate(http_requests_total{code=~\"5..\",hash=\"lookoutvar0x\"}[5m]))) or on () vector(0))\n/\nsum(sum(rate(http_requests_total{hash=\"lookoutvar0x\"}[5m])))\nand on ()\nsum(sum(rate(http_requests_total{hash=\"lookoutvar0x\"}[5m]))) * 300 >= 100"
        );
    }

    #[test]
    fn controllers_name_what_they_cannot_substitute() {
        assert!(Controller::Argo.reject("args.canary-hash").is_none());
        assert!(Controller::Argo.reject("target").is_some());
        assert!(Controller::Flagger.reject("target").is_none());
        assert!(Controller::Flagger.reject("variables.track").is_none());
        assert!(Controller::Flagger.reject("args.x").is_some());
    }
}
