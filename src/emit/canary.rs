//! Canary analysis templates, from a service's [`Canary`]:
//! - `kubernetes/rollouts/<service>.yaml`: an Argo Rollouts
//!   `AnalysisTemplate` (a `ClusterAnalysisTemplate` without a namespace)
//!   with one Prometheus metric per gated SLO and a budget check;
//! - `kubernetes/flagger/<service>.yaml`: one Flagger `MetricTemplate` per
//!   gated SLO, and one for the budget.
//!
//! Argo evaluates each condition with expr over `result`, the list of the
//! vector's values (metricproviders/prometheus/prometheus.go). An empty
//! list indexed fails the measurement as an Error, so every condition
//! first asks `len(result) > 0`, and expr's `&&` stops there; a NaN
//! compares false both ways. A measurement that meets neither condition is
//! Inconclusive (utils/evaluate/evaluate.go): thin traffic, whose query
//! returns nothing. Flagger has no inconclusive: no data, or NaN, fails
//! the check (pkg/metrics/providers/prometheus.go, ErrNoValuesFound).

use super::yaml::{self, Node};
use super::Artifact;
use crate::model::canary::{kubernetes_name, Canary};
use crate::model::names;
use crate::model::settings::{Layout, PrometheusSettings};
use crate::model::Service;

/// The Argo arg that holds Prometheus's address, defaulted to the
/// in-cluster URL so a Rollout need not pass it.
pub const ADDRESS_ARG: &str = "prometheus-address";

/// The budget check's metric name, unless an SLO has it.
const BUDGET_METRIC: &str = "error-budget";

pub fn emit(service: &Service, layout: &Layout, prometheus: &PrometheusSettings) -> Vec<Artifact> {
    let Some(canary) = &service.canary else {
        return Vec::new();
    };
    let mut artifacts = Vec::new();
    if canary.argo.is_some() {
        artifacts.push(argo(service, canary, layout, prometheus));
    }
    if canary.flagger.is_some() {
        artifacts.push(flagger(service, canary, layout, prometheus));
    }
    artifacts
}

/// `min(1 - burn)` over every SLO of the service: the least budget left,
/// as a fraction, from the rules' recorded series.
pub fn budget_query(service: &str) -> String {
    format!(
        "min(1 - {}{{service={}}})",
        names::PERIOD_BURN_RATE,
        names::promql_string(service)
    )
}

fn budget_metric_name(canary: &Canary) -> String {
    if canary
        .gates
        .iter()
        .any(|g| kubernetes_name(&g.slo) == BUDGET_METRIC)
    {
        format!("lookout-{BUDGET_METRIC}")
    } else {
        BUDGET_METRIC.to_string()
    }
}

/// The Argo condition that `result`, the vector's values, has a first
/// value that `comparison` holds for; false on an empty result.
pub fn condition(comparison: &str) -> String {
    format!("len(result) > 0 && result[0] {comparison}")
}

fn argo(
    service: &Service,
    canary: &Canary,
    layout: &Layout,
    prometheus: &PrometheusSettings,
) -> Artifact {
    let argo = canary.argo.as_ref().expect("checked by the caller");
    let interval = canary.interval.to_string();
    let provider = |query: String| {
        Node::map()
            .entry(
                "prometheus",
                Node::map()
                    .str("address", format!("{{{{args.{ADDRESS_ARG}}}}}"))
                    .str("query", query)
                    .build(),
            )
            .build()
    };
    let mut metrics: Vec<Node> = canary
        .gates
        .iter()
        .filter_map(|gate| {
            let query = gate.argo_query.clone()?;
            let max = number(gate.max_error_ratio);
            Some(
                Node::map()
                    .str("name", gate.slo.as_str())
                    .str("interval", interval.as_str())
                    .str("initialDelay", interval.as_str())
                    .entry("failureLimit", Node::Raw("0".into()))
                    .str("successCondition", condition(&format!("<= {max}")))
                    .str("failureCondition", condition(&format!("> {max}")))
                    .entry("provider", provider(query))
                    .build(),
            )
        })
        .collect();
    let floor = number(canary.min_budget / 100.0);
    metrics.push(
        Node::map()
            .str("name", budget_metric_name(canary))
            .str("interval", interval.as_str())
            .entry("failureLimit", Node::Raw("0".into()))
            .str("successCondition", condition(&format!("> {floor}")))
            .str("failureCondition", condition(&format!("<= {floor}")))
            .entry("provider", provider(budget_query(&service.name)))
            .build(),
    );
    let mut args: Vec<Node> = Vec::new();
    for name in argo.args() {
        if name != ADDRESS_ARG && !args.iter().any(|a| a.str_at("name") == Some(name)) {
            args.push(Node::map().str("name", name).build());
        }
    }
    args.push(
        Node::map()
            .str("name", ADDRESS_ARG)
            .str("value", prometheus.cluster_url())
            .build(),
    );
    let kind = match canary.namespace {
        Some(_) => "AnalysisTemplate",
        None => "ClusterAnalysisTemplate",
    };
    let doc = Node::map()
        .str("apiVersion", "argoproj.io/v1alpha1")
        .str("kind", kind)
        .entry(
            "metadata",
            metadata(
                format!("lookout-{}", service.name),
                canary.namespace.as_deref(),
            ),
        )
        .entry(
            "spec",
            Node::map()
                .entry("args", Node::Seq(args))
                .entry("metrics", Node::Seq(metrics))
                .build(),
        )
        .build();
    let mut header = super::generated_header(&service.source);
    header.push(format!(
        "Argo Rollouts analysis: each SLO's error ratio on the canary over {interval} (`canary.matcher`); it fails above the SLO's fast page threshold and is inconclusive {}. `{}` fails at {}% budget left or less, and is inconclusive while lookout's rules have recorded no budget. See lookout's book, Canary analysis.",
        thin_traffic(canary),
        budget_metric_name(canary),
        number(canary.min_budget)
    ));
    header.extend(left_out_lines(canary));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Artifact::file(
        layout
            .kubernetes
            .join("rollouts")
            .join(format!("{}.yaml", service.name)),
        yaml::document(&header, &doc),
    )
}

fn flagger(
    service: &Service,
    canary: &Canary,
    layout: &Layout,
    prometheus: &PrometheusSettings,
) -> Artifact {
    let namespace = canary
        .namespace
        .clone()
        .unwrap_or_else(|| prometheus.rule_namespace.clone());
    let template = |name: String, query: String| {
        Node::map()
            .str("apiVersion", "flagger.app/v1beta1")
            .str("kind", "MetricTemplate")
            .entry("metadata", metadata(name, Some(&namespace)))
            .entry(
                "spec",
                Node::map()
                    .entry(
                        "provider",
                        Node::map()
                            .str("type", "prometheus")
                            .str("address", prometheus.cluster_url())
                            .build(),
                    )
                    .str("query", query)
                    .build(),
            )
            .build()
    };
    let mut documents: Vec<Node> = canary
        .gates
        .iter()
        .filter_map(|gate| {
            let query = gate.flagger_query.clone()?;
            Some(template(flagger_name(&service.name, &gate.slo), query))
        })
        .collect();
    documents.push(template(
        flagger_name(&service.name, &budget_metric_name(canary)),
        budget_query(&service.name),
    ));
    let mut header = super::generated_header(&service.source);
    header.push(format!(
        "Flagger MetricTemplates in namespace {namespace}: each SLO's error ratio on the canary over {} (`canary.flagger_matcher`), and the least budget left as a fraction. A Canary lists each under `analysis.metrics` with a `thresholdRange`:",
        canary.interval
    ));
    for gate in canary.gates.iter().filter(|g| g.flagger_query.is_some()) {
        header.push(format!(
            "  {}: max {}",
            flagger_name(&service.name, &gate.slo),
            number(gate.max_error_ratio)
        ));
    }
    header.push(format!(
        "  {}: min {}",
        flagger_name(&service.name, &budget_metric_name(canary)),
        number(canary.min_budget / 100.0)
    ));
    header.push(format!(
        "{} a query returns no data, which Flagger counts as a failed check; so does the budget's before lookout's rules have recorded one.",
        match canary.min_requests {
            0 => "Without traffic (min_requests: 0)".to_string(),
            n => format!("Under {n} requests"),
        }
    ));
    header.extend(left_out_lines(canary));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Artifact::file(
        layout
            .kubernetes
            .join("flagger")
            .join(format!("{}.yaml", service.name)),
        yaml::documents(&header, &documents),
    )
}

/// When a measurement gives no verdict, in words.
fn thin_traffic(canary: &Canary) -> String {
    match canary.min_requests {
        0 => "without traffic (min_requests: 0; the ratio is then NaN)".to_string(),
        n => format!("under {n} requests"),
    }
}

/// A MetricTemplate's name: a DNS subdomain, so an SLO's `_` becomes `-`.
pub fn flagger_name(service: &str, metric: &str) -> String {
    format!("lookout-{service}-{}", kubernetes_name(metric))
}

fn metadata(name: String, namespace: Option<&str>) -> Node {
    Node::map()
        .str("name", name)
        .opt_str("namespace", namespace)
        .entry(
            "labels",
            Node::map()
                .str("app.kubernetes.io/managed-by", "lookout")
                .build(),
        )
        .build()
}

fn left_out_lines(canary: &Canary) -> Vec<String> {
    canary
        .left_out
        .iter()
        .map(|(slo, why)| format!("Not gated: {slo}: {why}."))
        .collect()
}

/// A threshold as YAML and expr read it: the shortest decimal that is
/// the number.
fn number(value: f64) -> String {
    format!("{value}")
}
