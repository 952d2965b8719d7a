//! lookout compiles SLO specs into Prometheus rules, promtool tests and
//! runbooks (and, later, dashboards and log-shipping configs).
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//!
//! - [`spec`]: YAML text to spanned serde trees. The only layer that knows YAML.
//! - [`check`]: validation and lowering to the [`model`], collecting [`diag`]nostics.
//! - [`model`]: the resolved IR; holding one means the specs were valid.
//! - [`emit`]: one pure backend per output format, model to file contents.
//! - [`jsonnet`]: custom dashboards from `dashboards/*.jsonnet`, given the model.
//! - [`out`]: the only writer; atomic, and never touches files it does not own.
//! - [`ops`]: the operations (`build`, `check`) the commands call.
//! - [`cli`]: argument parsing and printing; no logic.
//! - [`parallel`]: the one helper that spreads a stage over the cores.

pub mod check;
pub mod cli;
pub mod diag;
pub mod emit;
pub mod jsonnet;
pub mod model;
pub mod ops;
pub mod out;
pub mod parallel;
pub mod push;
pub mod spec;
