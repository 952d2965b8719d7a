//! Canary analysis: what the Argo Rollouts and Flagger templates judge a
//! canary on, resolved from a service's `canary:` and its SLOs.
//!
//! Each gated SLO has one query per rollout controller: the SLI's error
//! ratio over the canary's series alone (the controller's matcher added to
//! every selector), returned only when the canary served at least
//! `min_requests` in the window, so that thin traffic reads as no data
//! rather than as a verdict. The query fails the canary above the SLO's
//! fast page threshold: the canary burns budget as fast as a page needs.

use super::Duration;

/// A service's canary analysis.
#[derive(Debug, Clone)]
pub struct Canary {
    /// Argo Rollouts: the matcher as written, when declared.
    pub argo: Option<Matcher>,
    /// Flagger: the matcher as written, when declared.
    pub flagger: Option<Matcher>,
    /// Fewer requests than this in `interval`: no verdict.
    pub min_requests: u64,
    /// The window each measurement reads, and how often Argo measures.
    pub interval: Duration,
    /// The remaining-budget floor of the background check, in percent.
    pub min_budget: f64,
    /// Where the Rollout or Canary runs; `None`: a ClusterAnalysisTemplate,
    /// and the MetricTemplates in the Prometheus rules' namespace.
    pub namespace: Option<String>,
    /// One per SLO over metrics with request counts, in spec order.
    pub gates: Vec<Gate>,
    /// The SLOs left out, each with why.
    pub left_out: Vec<(String, &'static str)>,
}

/// A canary matcher as the user wrote it, template variables and all.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub text: String,
    /// The variables it uses, as written between the braces, in order of
    /// first use: `args.canary-hash`, `target`.
    pub variables: Vec<String>,
    /// The labels it matches on, which the SLI's series must carry.
    pub labels: Vec<String>,
    /// Where it is written, for the live preflight's findings.
    pub location: Option<crate::diag::Span>,
}

impl Matcher {
    /// Argo Rollouts' arg names (`canary-hash` of `{{args.canary-hash}}`).
    pub fn args(&self) -> impl Iterator<Item = &str> {
        self.variables
            .iter()
            .filter_map(|v| v.strip_prefix(ARGO_ARG_PREFIX))
    }
}

pub const ARGO_ARG_PREFIX: &str = "args.";

/// One SLO's canary check.
#[derive(Debug, Clone)]
pub struct Gate {
    pub slo: String,
    /// The error ratio above which the canary fails: the page tier's
    /// fastest factor times the error budget.
    pub max_error_ratio: f64,
    /// The page factor it came from, for the documentation.
    pub factor: f64,
    /// The query with Argo's matcher, `{{args.*}}` as written.
    pub argo_query: Option<String>,
    /// The query with Flagger's matcher, its variables as written.
    pub flagger_query: Option<String>,
}

/// Default `canary.min_requests`: with fewer requests, one error moves the
/// ratio by more than a percent, and no page threshold means anything.
pub const DEFAULT_MIN_REQUESTS: u64 = 100;

/// Default `canary.interval`: the fast page tier's short window.
pub const DEFAULT_INTERVAL: Duration = Duration::minutes(5);

/// An SLO's or metric's name as part of a Kubernetes object name (a DNS
/// subdomain): `_` becomes `-`.
pub fn kubernetes_name(name: &str) -> String {
    name.replace('_', "-")
}
