//! Every `console` transcript of the README and the book runs against the
//! real binary, page by page in a fresh folder, and prints what the page
//! says; every other shell block is marked `no-run`, and they stay few.
//! A transcript marked `servers` talks to live systems: a real Prometheus
//! that loads the rules `apply` writes and reloads, and the fakes of
//! Grafana, Kibana, Elasticsearch and the Loki and Mimir rulers
//! (`tests/support/fakes.rs`), for the targets the page's `lookout.yaml`
//! declares, through `LOOKOUT_<TARGET>_URL`. One marked `run-by=PATH`
//! needs history only that test builds (`gate`, `backtest`): that test
//! checks the page's text (`support::book::assert_page_shows`), and this
//! one that it names the page.
//! Slow tier: the getting-started path runs `lookout test`, so promtool.
//! Fence attributes are described in `tests/docs.rs`.

mod support;

use std::path::{Path, PathBuf};

use support::book::{blocks, matches, relative, steps, user_pages, NO_RUN_BUDGET, ROOT};
use support::fakes::{self, Fake};
use support::lookout_output_with_env;
use support::servers::{free_port, prometheus_loading, Server};

/// The tenant the ruler fakes require, and the credentials the page's
/// `token_env`/`api_key_env` variables hold.
const TENANT: &str = "book";
const TOKEN: &str = "book-token";

/// The live systems of one page's `servers` transcripts.
struct Systems {
    _dir: tempfile::TempDir,
    rules_dir: PathBuf,
    prometheus_url: String,
    _prometheus: Server,
    grafana: Fake<fakes::Grafana>,
    kibana: Fake<fakes::Kibana>,
    elasticsearch: Fake<fakes::Elasticsearch>,
    loki: Fake<fakes::Ruler>,
    mimir: Fake<fakes::Ruler>,
}

impl Systems {
    /// Prometheus loads the rules in `rules.d` of the page's folder, so a
    /// page can put a file there beside lookout's (`file=rules.d/…`).
    fn start(page_dir: &Path) -> Systems {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let rules_dir = page_dir.join("rules.d");
        let port = free_port();
        let prometheus = prometheus_loading(root, &rules_dir, port);
        Systems {
            prometheus_url: format!("http://127.0.0.1:{port}"),
            _prometheus: prometheus,
            grafana: fakes::grafana(Some(&format!("Bearer {TOKEN}"))),
            kibana: fakes::kibana(Some(&format!("ApiKey {TOKEN}"))),
            elasticsearch: fakes::elasticsearch(Some(&format!("ApiKey {TOKEN}"))),
            loki: fakes::loki(TENANT),
            mimir: fakes::mimir(TENANT),
            rules_dir,
            _dir: dir,
        }
    }

    /// The environment that points the targets `project`'s lookout.yaml
    /// declares (a top-level `<target>:` key) here.
    fn env(&self, project: &Path) -> Vec<(String, String)> {
        let config = std::fs::read_to_string(project.join("lookout.yaml")).unwrap_or_default();
        let declared = |target: &str| config.lines().any(|l| l.starts_with(&format!("{target}:")));
        let mut env = vec![
            ("GRAFANA_TOKEN".to_string(), TOKEN.to_string()),
            ("KIBANA_API_KEY".to_string(), TOKEN.to_string()),
            ("ES_API_KEY".to_string(), TOKEN.to_string()),
        ];
        let rules_dir = self.rules_dir.display().to_string();
        for (target, key, value) in [
            ("prometheus", "URL", self.prometheus_url.clone()),
            ("prometheus", "RULES_DIR", rules_dir),
            ("grafana", "URL", self.grafana.url()),
            ("kibana", "URL", self.kibana.url()),
            ("elasticsearch", "URL", self.elasticsearch.url()),
            ("loki", "URL", self.loki.url()),
            ("loki", "TENANT", TENANT.to_string()),
            ("mimir", "URL", self.mimir.url()),
            ("mimir", "TENANT", TENANT.to_string()),
        ] {
            if declared(target) {
                env.push((format!("LOOKOUT_{}_{key}", target.to_uppercase()), value));
            }
        }
        env
    }
}

#[test]
fn every_console_transcript_runs_and_prints_what_the_page_says() {
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut no_run = Vec::new();
    let mut run_by = Vec::new();
    for page in user_pages() {
        let dir = tempfile::tempdir().unwrap();
        let mut systems: Option<Systems> = None;
        for block in blocks(&page) {
            let shell = matches!(block.lang.as_str(), "console" | "sh" | "bash" | "shell")
                || block.text.starts_with("$ ");
            if shell && block.has("no-run") {
                no_run.push(block.at());
                continue;
            }
            if let Some(file) = block.value("file") {
                let path = dir.path().join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, &block.text).unwrap();
                continue;
            }
            if !shell {
                continue;
            }
            if block.lang != "console" {
                failures.push(format!(
                    "{}: a shell block runs as a `console` transcript (`$ command`, then its output), or is marked `no-run`",
                    block.at()
                ));
                continue;
            }
            // Run by the test that holds the history or state it needs.
            if let Some(test) = block.value("run-by") {
                let text = std::fs::read_to_string(Path::new(ROOT).join(test)).unwrap_or_default();
                let page = relative(&block.page);
                if !text.contains(&page) {
                    failures.push(format!(
                        "{}: `run-by={test}`, which does not check this page ({page})",
                        block.at()
                    ));
                }
                run_by.push(format!("{} by {test}", block.at()));
                continue;
            }
            let env = if block.has("servers") {
                systems
                    .get_or_insert_with(|| Systems::start(dir.path()))
                    .env(dir.path())
            } else {
                Vec::new()
            };
            for (command, expected_code, expected) in steps(&block) {
                let words: Vec<&str> = command.split_whitespace().collect();
                if words.first() != Some(&"lookout") {
                    failures.push(format!(
                        "{}: `{command}`: transcripts run lookout only",
                        block.at()
                    ));
                    continue;
                }
                let (code, out) = lookout_output_with_env(dir.path(), &words[1..], &env);
                ran += 1;
                if code != expected_code || !matches(&out, &expected) {
                    failures.push(format!(
                        "{}: `{command}` exited {code} (expected {expected_code}) and printed:\n{out}--- the page says:\n{expected}",
                        block.at()
                    ));
                }
            }
        }
    }
    println!(
        "{ran} commands ran; {} blocks run by other tests:\n  {}\n{} blocks marked no-run:\n  {}",
        run_by.len(),
        run_by.join("\n  "),
        no_run.len(),
        no_run.join("\n  ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 5, "only {ran} transcript commands found");
    assert!(
        no_run.len() <= NO_RUN_BUDGET,
        "{} blocks are marked no-run, more than the {NO_RUN_BUDGET} allowed: make some run",
        no_run.len()
    );
}
