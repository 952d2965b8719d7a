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

pub fn emit(model: &Model, settings: &Settings) -> Artifact {
    let shared: Vec<String> = settings.project.labels.keys().cloned().collect();
    let page = format!("{}=\"{}\"", names::TIER_LABEL, Severity::Page.as_str());
    let ticket = format!("{}=\"{}\"", names::TIER_LABEL, Severity::Ticket.as_str());
    let list = |items: Vec<String>| Node::Seq(items.into_iter().map(Node::str).collect());
    let mut rules = vec![Node::map()
        .entry("source_matchers", list(vec![page.clone()]))
        .entry("target_matchers", list(vec![ticket]))
        .entry(
            "equal",
            list(
                ["service".to_string(), "slo".to_string()]
                    .into_iter()
                    .chain(shared.iter().cloned())
                    .collect(),
            ),
        )
        .build()];
    for service in &model.services {
        for upstream in &service.depends_on {
            rules.push(
                Node::map()
                    .entry(
                        "source_matchers",
                        list(vec![
                            format!("service={}", names::promql_string(upstream)),
                            page.clone(),
                        ]),
                    )
                    .entry(
                        "target_matchers",
                        list(vec![format!(
                            "service={}",
                            names::promql_string(&service.name)
                        )]),
                    )
                    .entry("equal", list(shared.clone()))
                    .build(),
            );
        }
    }
    let doc = Node::map().entry("inhibit_rules", Node::Seq(rules)).build();
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
    let shared: Vec<String> = settings.project.labels.keys().cloned().collect();
    let matcher = |name: &str, value: &str| {
        Node::map()
            .str("name", name.to_string())
            .str("value", value.to_string())
            .str("matchType", "=")
            .build()
    };
    let strings = |items: Vec<String>| Node::Seq(items.into_iter().map(Node::str).collect());
    let mut rules = vec![Node::map()
        .entry(
            "sourceMatch",
            Node::Seq(vec![
                matcher("service", &service.name),
                matcher(names::TIER_LABEL, Severity::Page.as_str()),
            ]),
        )
        .entry(
            "targetMatch",
            Node::Seq(vec![
                matcher("service", &service.name),
                matcher(names::TIER_LABEL, Severity::Ticket.as_str()),
            ]),
        )
        .entry(
            "equal",
            strings(
                std::iter::once("slo".to_string())
                    .chain(shared.iter().cloned())
                    .collect(),
            ),
        )
        .build()];
    for upstream in &service.depends_on {
        rules.push(
            Node::map()
                .entry(
                    "sourceMatch",
                    Node::Seq(vec![
                        matcher("service", upstream),
                        matcher(names::TIER_LABEL, Severity::Page.as_str()),
                    ]),
                )
                .entry(
                    "targetMatch",
                    Node::Seq(vec![matcher("service", &service.name)]),
                )
                .entry("equal", strings(shared.clone()))
                .build(),
        );
    }
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
        .entry(
            "spec",
            Node::map().entry("inhibitRules", Node::Seq(rules)).build(),
        )
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
