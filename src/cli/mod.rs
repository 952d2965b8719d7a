//! Command-line interface: clap definitions and printing. No logic lives
//! here; each command turns its arguments into an `ops` request and prints
//! the report. The only module that knows clap.
//!
//! Exit codes: 0 success, 1 invalid input, drift or failed write, 2 usage,
//! 3 from `plan` when there are changes.

mod backtest;
mod build;
mod check;
mod explain;
mod export;
mod gate;
mod import;
mod output;
mod push;
mod reference;
mod report;
mod schema;

use std::io::IsTerminal;

use output::outln;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diag::Diagnostics;
use crate::ops::Request;

#[derive(Parser, Debug)]
#[command(
    name = "lookout",
    version,
    about = "Compile SLO specs into Prometheus rules, dashboards and log configs, and push them",
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile slos/ into rules, runbooks, dashboards, log objects and shipper configs.
    #[command(
        after_long_help = "Examples:\n  lookout build\n  lookout build --deny-warnings          # fail, and write nothing, on a warning\n  lookout build --slos specs/ --out generated/"
    )]
    Build(BuildArgs),
    /// Validate the specs and fail if the committed output differs from a fresh build.
    #[command(
        after_long_help = "Examples:\n  lookout check                            # in CI: exit 1 when out of date or invalid\n  lookout check --format github --deny-warnings\n  lookout check --diff                     # show what differs\n  lookout check --live                     # also ask Prometheus whether the specs can work"
    )]
    Check(CheckArgs),
    /// Run the generated promtool tests (rules/tests/) and name the SLOs whose alerts fail them.
    #[command(
        after_long_help = "Examples:\n  lookout test\n  lookout test --promtool /opt/prometheus/promtool"
    )]
    Test(TestArgs),
    /// Show what apply would change in each configured target; exits 3 when there are changes.
    #[command(
        after_long_help = "Examples:\n  lookout plan                             # exit 3 when something would change\n  lookout plan --only prometheus,grafana\n  lookout plan --prune --format json"
    )]
    Plan(push::PushArgs),
    /// Push rules, dashboards and log objects to every configured target.
    #[command(
        after_long_help = "Examples:\n  lookout apply\n  lookout apply --only grafana --prune      # also delete this project's dashboards no spec declares\n  LOOKOUT_PROMETHEUS_URL=http://127.0.0.1:9090 lookout apply"
    )]
    Apply(push::PushArgs),
    /// Show each SLO's SLI, budget left and burn rates, from Prometheus.
    #[command(after_long_help = "Examples:\n  lookout status\n  lookout status --format json")]
    Status(push::StatusArgs),
    /// Say when each of an SLO's alert window pairs fires and resolves.
    #[command(
        after_long_help = "Examples:\n  lookout explain payments-api/authorisations\n  lookout explain payments-api/authorisations --traffic 2.5   # at 2.5 events a second"
    )]
    Explain(explain::ExplainArgs),
    /// A deploy gate: exit 0 when every selected SLO has budget left and no
    /// page, 4 when one is blocked, 5 when it cannot tell.
    #[command(
        after_long_help = "Examples:\n  lookout gate                             # every SLO\n  lookout gate payments-api --min-budget 10\n  lookout gate || [ $? -eq 5 ]             # let \"cannot tell\" through"
    )]
    Gate(gate::GateArgs),
    /// Replay the SLOs' alerts over Prometheus's history of their raw
    /// series: when each tier would have fired, and the budget spent.
    #[command(
        after_long_help = "Examples:\n  lookout backtest\n  lookout backtest payments-api/authorisations --since 14d\n  lookout backtest --compare origin/main --format github"
    )]
    Backtest(backtest::BacktestArgs),
    /// How each SLO did over a past month or span: SLI, budget spent, worst
    /// day, the alerts that fired; Markdown, self-contained HTML or JSON.
    #[command(
        after_long_help = "Examples:\n  lookout report --period 2026-11\n  lookout report --period 2026-11 --format html --output report.html\n  lookout report --from 2026-11-01T00:00:00Z --to 2026-11-15T00:00:00Z --format json"
    )]
    Report(report::ReportArgs),
    /// Convert Sloth or OpenSLO specs into lookout specs, one file per service.
    #[command(
        after_long_help = "Examples:\n  lookout import sloth path/to/sloth/specs/ --out slos/\n  lookout import sloth specs/ --sloth-period 28d --add-severities\n  lookout import openslo openslo/ --out slos/"
    )]
    Import(import::ImportArgs),
    /// Write the project's SLOs as OpenSLO v1, one file per service.
    #[command(after_long_help = "Examples:\n  lookout export openslo --out openslo/")]
    Export(export::ExportArgs),
    /// Print the JSON Schema of the spec (or of lookout.yaml), for editors.
    #[command(
        after_long_help = "Examples:\n  lookout schema spec > lookout-spec.schema.json\n  lookout schema config > lookout-config.schema.json"
    )]
    Schema(schema::SchemaArgs),
    /// Start a project: lookout.yaml, slos/example.yaml and CI workflows
    /// for GitHub Actions and GitLab CI. Existing files are left alone.
    #[command(
        after_long_help = "Examples:\n  lookout init\n  lookout init my-repo --install-from https://git.example.com/platform/lookout.git#v0.1.0"
    )]
    Init(InitArgs),
    /// Print shell completions, e.g. `lookout completions bash > /etc/bash_completion.d/lookout`.
    #[command(
        after_long_help = "Examples:\n  lookout completions bash > /etc/bash_completion.d/lookout\n  lookout completions zsh > \"${fpath[1]}/_lookout\""
    )]
    Completions(CompletionsArgs),
    /// Print a command's help, or what a diagnostic code means and how to fix it.
    #[command(
        after_long_help = "Examples:\n  lookout help build\n  lookout help spec::unknown-field\n  lookout help lookout::live::no-series   # as printed under an error"
    )]
    Help(HelpArgs),
    /// Write a man page per command (lookout.1, lookout-build.1, …) into a folder.
    #[command(
        after_long_help = "Examples:\n  lookout man /usr/local/share/man/man1\n  lookout man . && man ./lookout-build.1"
    )]
    Man(ManArgs),
}

#[derive(Args, Debug)]
struct HelpArgs {
    /// A command (`build`) or a diagnostic code (`spec::unknown-field`) [default: lookout's own help]
    topic: Option<String>,
}

#[derive(Args, Debug)]
struct ManArgs {
    /// Folder to write the pages into, e.g. /usr/local/share/man/man1
    #[arg(default_value = ".")]
    dir: PathBuf,
}

/// Every diagnostic code the book's reference explains.
pub fn documented_codes() -> Vec<&'static str> {
    reference::diagnostic_codes()
}

/// The book's generated reference pages (`docs/src/<path>`), from clap,
/// the schemas and `model/names.rs`.
pub fn reference_pages() -> Vec<(&'static str, String)> {
    reference::pages()
}

#[derive(Args, Debug)]
struct InitArgs {
    /// The project directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where the CI workflows install lookout from: a git URL with
    /// `#<tag>` (default tag: this version's, `v<version>`), or a path
    /// [default: the registry, at this version].
    #[arg(long, value_name = "SOURCE")]
    install_from: Option<String>,
}

#[derive(Args, Debug)]
struct CompletionsArgs {
    shell: clap_complete::Shell,
}

#[derive(Args, Debug, Clone)]
struct ProjectArgs {
    /// Directory of SLO specs [default: `slos` from lookout.yaml, else ./slos].
    #[arg(long, value_name = "DIR")]
    slos: Option<PathBuf>,
    /// Root of the generated outputs (build writes there, check compares there) [default: the config's directory].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Project config [default: the nearest lookout.yaml in or above --slos, else in or above this folder].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl ProjectArgs {
    fn request(&self) -> Request {
        Request {
            inputs: crate::check::Inputs {
                config: self.config.clone(),
                slos: self.slos.clone(),
            },
            out: self.out.clone(),
            deny_warnings: false,
        }
    }
}

#[derive(Args, Debug)]
struct TestArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// The promtool to run.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "promtool",
        env = "LOOKOUT_PROMTOOL"
    )]
    promtool: PathBuf,
}

#[derive(Args, Debug)]
struct BuildArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Fail on warnings as on errors, writing nothing (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Fail on warnings as on errors (for CI).
    #[arg(long)]
    deny_warnings: bool,
    /// Show every drifted file's whole diff, packaged files (ConfigMaps,
    /// PrometheusRules) included [default: a short diff of each source file].
    #[arg(long)]
    diff: bool,
    /// Also check the specs against the configured Prometheus: selectors
    /// match series, latency thresholds are bucket boundaries, signals
    /// return data.
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    connection: push::ConnectionArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CheckFormat {
    Text,
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`), so
    /// findings show on a pull request's lines.
    Github,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap exits 0 for --help/--version and 2 for usage errors.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Build(args) => build::run(&args)
            .map(|ok| if ok { 0 } else { 1 })
            .map_err(|e| e.to_string()),
        Command::Check(args) => check::run(&args)
            .map(|ok| if ok { 0 } else { 1 })
            .map_err(|e| e.to_string()),
        Command::Export(args) => export::run(&args)
            .map(|ok| if ok { 0 } else { 1 })
            .map_err(|e| e.to_string()),
        Command::Import(args) => import::run(&args)
            .map(|ok| if ok { 0 } else { 1 })
            .map_err(|e| e.to_string()),
        Command::Schema(args) => schema::run(&args)
            .map(|ok| if ok { 0 } else { 1 })
            .map_err(|e| e.to_string()),
        Command::Init(args) => init(&args),
        Command::Test(args) => test(&args),
        Command::Completions(args) => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(args.shell, &mut command, "lookout", &mut output::Stdout);
            Ok(0)
        }
        Command::Man(args) => man(&args),
        Command::Help(args) => help(&args),
        Command::Plan(args) => push::run(&args, false),
        Command::Apply(args) => push::run(&args, true),
        Command::Status(args) => push::status(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Gate(args) => gate::run(&args),
        Command::Backtest(args) => backtest::run(&args),
        Command::Report(args) => report::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

/// `lookout help TOPIC`: a command's long help, or a diagnostic's page
/// from the book, so the explanation an error points to is one command
/// away and the same as the book's.
fn help(args: &HelpArgs) -> Result<u8, String> {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    // Built, so that a subcommand's usage reads `lookout gate`.
    cli.build();
    let Some(topic) = args.topic.as_deref() else {
        let _ = cli.print_long_help();
        return Ok(0);
    };
    if let Some(command) = cli.find_subcommand_mut(topic) {
        let _ = command.print_long_help();
        return Ok(0);
    }
    let code = topic.strip_prefix("lookout::").unwrap_or(topic);
    if let Some(page) = reference::diagnostic_page(code) {
        // The page's Markdown emphasis means nothing in a terminal.
        outln!("lookout::{code}\n\n{}", page.replace("**", ""));
        return Ok(0);
    }
    let commands = cli.get_subcommands().map(|c| c.get_name());
    let known: Vec<&str> = commands.chain(reference::diagnostic_codes()).collect();
    let closest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(k, code), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.8)
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    Err(format!(
        "`{topic}` is neither a command nor a diagnostic code{closest} (the codes are listed in the book's reference, docs/src/reference/errors.md)"
    ))
}

fn man(args: &ManArgs) -> Result<u8, String> {
    let pages = reference::man_pages().map_err(|e| e.to_string())?;
    for (name, page) in &pages {
        let path = args.dir.join(name);
        let text = String::from_utf8_lossy(page);
        crate::out::write_atomic(&path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    outln!(
        "wrote {} in {}",
        plural(pages.len(), "man page"),
        args.dir.display()
    );
    Ok(0)
}

/// The opening every command that reads a live system shares: print the
/// specs' diagnostics, then end with 1 when they did not compile, or with
/// the live system's error; `None` when there is a report to print.
fn unless_compiled_and_read(
    generated: &crate::ops::Generated,
    error: &Option<String>,
) -> Option<Result<u8, String>> {
    print_diagnostics(&generated.diagnostics);
    if generated.model.is_none() {
        return Some(Ok(1));
    }
    error.clone().map(Err)
}

fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn print_diagnostics(diagnostics: &Diagnostics) {
    if !diagnostics.items.is_empty() {
        eprint!("{}", diagnostics.render(use_color()));
    }
}

fn test(args: &TestArgs) -> Result<u8, String> {
    let report = crate::ops::test(&args.project.request(), &args.promtool)?;
    let files = plural(report.files.len(), "test file");
    if report.passed {
        outln!("passed: {files} (promtool test rules)");
        return Ok(0);
    }
    eprint!("{}", report.output);
    if report.failed_slos.is_empty() {
        eprintln!("test failed: promtool rejected {files} (see above)");
    } else {
        eprintln!(
            "test failed: the alerts do not behave as their tests expect in {}",
            report.failed_slos.join(", ")
        );
        for test in &report.failed_tests {
            eprintln!("  - {test}");
        }
    }
    Ok(1)
}

fn init(args: &InitArgs) -> Result<u8, String> {
    let install = match &args.install_from {
        Some(source) => crate::ops::InstallSource::parse(source)?,
        None => crate::ops::InstallSource::Registry,
    };
    let mut example = true;
    for (path, done) in crate::ops::init(&args.dir, &install).map_err(|e| e.to_string())? {
        let path = path
            .strip_prefix("./")
            .unwrap_or(&path)
            .display()
            .to_string();
        match done {
            crate::ops::Scaffolded::Created => outln!(" created {path}"),
            crate::ops::Scaffolded::Exists => outln!("    kept {path} (exists)"),
            crate::ops::Scaffolded::HasSpecs => {
                example = false;
                outln!(" skipped {path} (slos/ holds specs already)");
            }
        }
    }
    if install == crate::ops::InstallSource::Registry {
        outln!(
            "CI installs lookout {} from the crates registry (--install-from for a git URL or a path)",
            env!("CARGO_PKG_VERSION")
        );
    }
    if example {
        outln!("next: edit slos/example.yaml and lookout.yaml, then run `lookout build`");
    } else {
        outln!("next: edit lookout.yaml, then run `lookout build`");
    }
    Ok(0)
}

/// Names the config when it is not `./lookout.yaml`: one found above
/// `--slos`, or one given with `--config`.
fn note_config(generated: &crate::ops::Generated) {
    if let Some(path) = generated.config_path() {
        if path != std::path::Path::new("lookout.yaml") {
            eprintln!("using {}", path.display());
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Unix seconds now.
fn now_seconds() -> Result<i64, String> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .map_err(|e| e.to_string())
}

/// `command: <verb> <item>` on stderr, on a terminal only, so piped
/// output stays the command's result.
fn progress(command: &'static str, verb: &'static str) -> impl Fn(&str) {
    let terminal = std::io::stderr().is_terminal();
    move |item: &str| {
        if terminal {
            eprintln!("{command}: {verb} {item}");
        }
    }
}

/// RFC 3339 in UTC, to the second.
fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |t| t.to_string())
}
