//! `alertmanager/inhibit_rules.yaml`: the inhibit rules that keep a team's
//! pager quiet while one cause is already paging, to merge into
//! Alertmanager's configuration (kube-prometheus-stack:
//! `alertmanager.config.inhibit_rules`).
//!
//! - A firing page mutes the ticket of the same SLO: `equal` on `service`,
//!   `slo` and the project's `labels:` (such as `cluster`), so one SLO's
//!   page never mutes another SLO's ticket.
//! - Per `depends_on` edge, a page of the upstream service mutes every
//!   alert of the dependent one, where the project's labels agree.
//!   Alertmanager's `equal` compares one label name on both sides, and the
//!   two alerts' `service` differs, so each edge is a rule of its own.

use super::yaml::{self, Node};
use super::{Artifact, GENERATED_MARKER};
use crate::model::settings::Settings;
use crate::model::{names, Model, Service, Severity};

/// One inhibit rule, written as Alertmanager's global configuration wants
/// it or as an `AlertmanagerConfig`'s.
struct Inhibit {
    /// `(label, value)` equality matchers.
    source: Vec<(&'static str, String)>,
    target: Vec<(&'static str, String)>,
    equal: Vec<String>,
}

fn tier(severity: Severity) -> (&'static str, String) {
    (names::TIER_LABEL, severity.as_str().to_string())
}

/// A page mutes the ticket of the same SLO. Scoped to one service (an
/// `AlertmanagerConfig` per service), `service` is matched rather than
/// compared.
fn page_mutes_ticket(scope: Option<&str>, shared: &[String]) -> Inhibit {
    let service = scope.map(|s| ("service", s.to_string()));
    let equal = ["service", "slo"]
        .into_iter()
        .filter(|label| scope.is_none() || *label != "service")
        .map(String::from)
        .chain(shared.iter().cloned())
        .collect();
    Inhibit {
        source: service
            .clone()
            .into_iter()
            .chain([tier(Severity::Page)])
            .collect(),
        target: service
            .into_iter()
            .chain([tier(Severity::Ticket)])
            .collect(),
        equal,
    }
}

/// An upstream service's page mutes every alert of `service`.
fn upstream_mutes(service: &str, upstream: &str, shared: &[String]) -> Inhibit {
    Inhibit {
        source: vec![("service", upstream.to_string()), tier(Severity::Page)],
        target: vec![("service", service.to_string())],
        equal: shared.to_vec(),
    }
}

fn strings(items: &[String]) -> Node {
    Node::Seq(items.iter().cloned().map(Node::str).collect())
}

impl Inhibit {
    /// Alertmanager's own form: `source_matchers: ['label="value"']`.
    fn global(&self) -> Node {
        let matchers = |side: &[(&str, String)]| {
            let text: Vec<String> = side
                .iter()
                .map(|(label, value)| format!("{label}={}", names::promql_string(value)))
                .collect();
            strings(&text)
        };
        Node::map()
            .entry("source_matchers", matchers(&self.source))
            .entry("target_matchers", matchers(&self.target))
            .entry("equal", strings(&self.equal))
            .build()
    }

    /// The Prometheus Operator's: `sourceMatch: [{name, value, matchType}]`.
    fn operator(&self) -> Node {
        let matchers = |side: &[(&str, String)]| {
            Node::Seq(
                side.iter()
                    .map(|(label, value)| {
                        Node::map()
                            .str("name", label.to_string())
                            .str("value", value.clone())
                            .str("matchType", "=")
                            .build()
                    })
                    .collect(),
            )
        };
        Node::map()
            .entry("sourceMatch", matchers(&self.source))
            .entry("targetMatch", matchers(&self.target))
            .entry("equal", strings(&self.equal))
            .build()
    }
}

fn shared_labels(settings: &Settings) -> Vec<String> {
    settings.project.labels.keys().cloned().collect()
}

pub fn emit(model: &Model, settings: &Settings) -> Artifact {
    let shared = shared_labels(settings);
    let mut page_equal = shared.clone();
    // A grouped SLO's page mutes only its own group's ticket; a label
    // neither alert has is equal on both, so ungrouped SLOs match as before.
    page_equal.extend(crate::model::group_labels(model.slos()));
    let mut rules = vec![page_mutes_ticket(None, &page_equal)];
    for service in &model.services {
        for upstream in &service.depends_on {
            rules.push(upstream_mutes(&service.name, upstream, &shared));
        }
    }
    let doc = Node::map()
        .entry(
            "inhibit_rules",
            Node::Seq(rules.iter().map(Inhibit::global).collect()),
        )
        .build();
    Artifact::file(
        settings.layout.alertmanager.join("inhibit_rules.yaml"),
        yaml::document(
            &[
                GENERATED_MARKER,
                "Merge `inhibit_rules` into Alertmanager's configuration (kube-prometheus-stack:",
                "alertmanager.config.inhibit_rules). A page mutes its SLO's ticket; a page of a",
                "service mutes the alerts of the services that depend on it (`depends_on`).",
            ],
            &doc,
        ),
    )
}

/// With `alertmanager.namespace`, the service's inhibit rules as a
/// Prometheus Operator `AlertmanagerConfig` (`kubernetes/alertmanager/`):
/// the operator adds `namespace="<its namespace>"` to both sides of each
/// rule, so the rules are scoped to the service (its page mutes its
/// tickets; an upstream page mutes its alerts) and every alert carries that
/// `namespace` label.
pub fn alertmanager_config(service: &Service, settings: &Settings) -> Option<Artifact> {
    let namespace = settings.alert_namespace.as_ref()?;
    let shared = shared_labels(settings);
    let mut page_equal = shared.clone();
    page_equal.extend(crate::model::group_labels(service.slos.iter()));
    let mut rules = vec![page_mutes_ticket(Some(&service.name), &page_equal)];
    for upstream in &service.depends_on {
        rules.push(upstream_mutes(&service.name, upstream, &shared));
    }
    let rules = Node::Seq(rules.iter().map(Inhibit::operator).collect());
    let doc = Node::map()
        .str("apiVersion", "monitoring.coreos.com/v1alpha1")
        .str("kind", "AlertmanagerConfig")
        .entry(
            "metadata",
            Node::map()
                .str("name", format!("lookout-{}", service.name))
                .str("namespace", namespace.clone())
                .entry(
                    "labels",
                    Node::map()
                        .str("app.kubernetes.io/managed-by", "lookout")
                        .build(),
                )
                .build(),
        )
        .entry("spec", Node::map().entry("inhibitRules", rules).build())
        .build();
    let header = super::generated_header(&service.source);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Some(Artifact::file(
        settings
            .layout
            .alertmanager_configs_dir()
            .join(format!("{}.yaml", service.name)),
        yaml::document(&header, &doc),
    ))
}
