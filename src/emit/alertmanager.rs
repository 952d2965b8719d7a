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
use crate::model::{names, Model, Severity};

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
