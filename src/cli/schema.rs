//! `lookout schema`.

use super::output::outln;
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub(super) struct SchemaArgs {
    /// Which file's schema to print.
    #[arg(value_enum, default_value_t = Which::Spec)]
    which: Which,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Which {
    /// A service spec in slos/.
    Spec,
    /// The project config, lookout.yaml.
    Config,
}

pub(super) fn run(args: &SchemaArgs) -> std::io::Result<bool> {
    let schema = match args.which {
        Which::Spec => schemars::schema_for!(crate::spec::v1::ServiceSpec),
        Which::Config => schemars::schema_for!(crate::spec::config::ProjectConfig),
    };
    outln!(
        "{}",
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    );
    Ok(true)
}
