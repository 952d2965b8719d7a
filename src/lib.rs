//! lookout compiles SLO specs into Prometheus and Loki rules, promtool
//! tests, runbooks, Grafana and Kibana dashboards, Elasticsearch objects,
//! Kubernetes manifests and log-shipper configs, and pushes them to the
//! live systems.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//!
//! - [`spec`]: YAML text to spanned serde trees. The only layer that knows YAML.
//! - [`check`]: validation and lowering to the [`model`], collecting [`diag`]nostics;
//!   lookout.yaml is lowered there too, once, into [`model::settings::Settings`].
//! - [`model`]: the resolved IR; holding one means the specs were valid.
//! - [`emit`]: one pure backend per output format, model to typed artifacts.
//! - [`jsonnet`]: custom dashboards from `dashboards/*.jsonnet`, given the model.
//! - [`out`]: the only writer; atomic, and never touches files it does not own.
//! - [`push`]: the only network code; plans and applies artifacts to live APIs.
//! - [`import`] and [`export`]: Sloth and OpenSLO specs to lookout specs, and
//!   lookout specs to OpenSLO; pure, like the emitters.
//! - [`ops`]: the operations every command calls.
//! - [`cli`]: argument parsing and printing; no logic.
//! - [`plan`]: the one vocabulary of actions, for files and live objects alike.
//! - [`parallel`]: the one helper that spreads a stage over the cores.

pub mod check;
pub mod cli;
pub mod diag;
pub mod emit;
pub mod export;
pub mod import;
pub mod jsonnet;
pub mod model;
pub mod ops;
pub mod out;
pub mod parallel;
pub mod plan;
pub mod push;
pub mod spec;
