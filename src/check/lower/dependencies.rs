//! `depends_on:` between services: every name a declared service, no
//! service its own dependency, no cycle (an upstream page mutes its
//! dependents' alerts, and a cycle would let two services mute each other).

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::spec::span_of;
use crate::spec::v1::ServiceSpec;

/// Each service's dependencies: name, and where it is written.
type Edges<'a> = BTreeMap<&'a str, Vec<(&'a str, FileId, &'a serde_saphyr::Spanned<String>)>>;

/// Checks every service's `depends_on`; errors at the offending name.
pub(super) fn check(services: &[(FileId, &ServiceSpec)], diags: &mut Diagnostics) {
    let names: Vec<&str> = services
        .iter()
        .map(|(_, s)| s.service.value.as_str())
        .collect();
    let mut edges: Edges = BTreeMap::new();
    for (file, service) in services {
        let own = service.service.value.as_str();
        for dependency in service.depends_on.iter().flat_map(|d| &d.value) {
            let span = span_of(diags, *file, &dependency.referenced);
            let name = dependency.value.as_str();
            if name == own {
                diags.push(
                    Diagnostic::error(
                        "spec::dependency-cycle",
                        format!("service `{own}` depends on itself"),
                    )
                    .at_opt(span),
                );
            } else if !names.contains(&name) {
                let others: Vec<&str> = names.iter().copied().filter(|n| *n != own).collect();
                diags.push(
                    Diagnostic::error(
                        "spec::unknown-dependency",
                        format!("`depends_on` names `{name}`, which no spec declares"),
                    )
                    .at_opt(span)
                    .help(crate::spec::suggest(name, &others, "services")),
                );
            } else {
                edges
                    .entry(own)
                    .or_default()
                    .push((name, *file, dependency));
            }
        }
    }
    // A cycle is reported once, at the edge that closes it.
    let mut reported = std::collections::BTreeSet::new();
    for start in edges.keys() {
        let mut path = vec![*start];
        walk(start, &edges, &mut path, &mut reported, diags);
    }
}

fn walk<'a>(
    at: &'a str,
    edges: &Edges<'a>,
    path: &mut Vec<&'a str>,
    reported: &mut std::collections::BTreeSet<Vec<&'a str>>,
    diags: &mut Diagnostics,
) {
    for (next, file, spanned) in edges.get(at).into_iter().flatten() {
        if let Some(from) = path.iter().position(|p| p == next) {
            let mut cycle: Vec<&str> = path[from..].to_vec();
            // The same cycle found from another start: one report.
            let mut key = cycle.clone();
            key.sort_unstable();
            if reported.insert(key) {
                cycle.push(next);
                let span = span_of(diags, *file, &spanned.referenced);
                diags.push(
                    Diagnostic::error(
                        "spec::dependency-cycle",
                        format!("dependency cycle: {}", cycle.join(" → ")),
                    )
                    .at_opt(span)
                    .help("while one service pages, its dependents are muted: two services that depend on each other could mute each other's pages"),
                );
            }
            continue;
        }
        path.push(next);
        walk(next, edges, path, reported, diags);
        path.pop();
    }
}
