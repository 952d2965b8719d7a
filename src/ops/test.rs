//! `lookout test`: the generated promtool tests (`rules/tests/`), run by
//! promtool itself, with the failures named by SLO.
//!
//! Each generated test is named `<service>/<slo>: <scenario>`, and promtool
//! prints a failing test's `name:` under `FAILED:` (cmd/promtool/unittest.go),
//! so the SLOs whose alerts do not behave as the tests expect are read from
//! its output.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Request;

pub struct TestReport {
    /// The test files run, relative to the output root.
    pub files: Vec<PathBuf>,
    pub passed: bool,
    /// promtool's own output, stdout then stderr.
    pub output: String,
    /// `service/slo` of each failing test, in order, once each.
    pub failed_slos: Vec<String>,
    /// The scenarios that failed, as the tests name them.
    pub failed_tests: Vec<String>,
}

/// Runs promtool (`promtool`, or `promtool` given) on every generated test.
pub fn test(request: &Request, promtool: &Path) -> Result<TestReport, String> {
    let configured = crate::check::configure(&request.inputs).map_err(|diagnostics| {
        format!(
            "lookout.yaml has errors (run `lookout check`):\n{}",
            diagnostics.render(false)
        )
    })?;
    let settings = &configured.settings;
    let root = request.out_root(settings);
    let dir = root.join(settings.layout.rules_tests_dir());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| {
            format!(
                "no generated tests in {} ({e}): run `lookout build`",
                dir.display()
            )
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.yaml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "no generated tests in {}: run `lookout build` (SLOs with alerting get tests)",
            dir.display()
        ));
    }
    // One promtool per file: its output then belongs to that file (promtool
    // writes the file's name to stdout and its failures to stderr).
    let mut report = TestReport {
        files: Vec::new(),
        passed: true,
        output: String::new(),
        failed_slos: Vec::new(),
        failed_tests: Vec::new(),
    };
    // Files run side by side on every core (each promtool is single
    // threaded), the largest first so that no core idles at the end; the
    // reports stay in file order.
    let mut by_size: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (std::fs::metadata(f).map_or(0, |m| m.len()), i))
        .collect();
    by_size.sort_by(|a, b| b.cmp(a));
    let ran =
        crate::parallel::map_singly(&by_size, |(_, i)| (*i, run_promtool(promtool, &files[*i])));
    let mut outputs: Vec<Option<Result<std::process::Output, String>>> =
        (0..files.len()).map(|_| None).collect();
    for (i, output) in ran {
        outputs[i] = Some(output);
    }
    for (file, output) in files.iter().zip(outputs) {
        let output = output.expect("every file ran")?;
        let shown = file.strip_prefix(&root).unwrap_or(file).to_path_buf();
        report.files.push(shown.clone());
        if output.status.success() {
            continue;
        }
        report.passed = false;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let names = failed_tests(&text);
        // A rule that fails to evaluate is reported without a test name:
        // the file names the service.
        let slos: Vec<String> = if names.is_empty() {
            let service = shown
                .file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .trim_end_matches(".test.yaml")
                        .trim_end_matches(".long")
                        .to_string()
                })
                .unwrap_or_default();
            vec![format!("{service} (a rule failed to evaluate)")]
        } else {
            names
                .iter()
                .map(|name| name.split(": ").next().unwrap_or(name).to_string())
                .collect()
        };
        for slo in slos {
            if !report.failed_slos.contains(&slo) {
                report.failed_slos.push(slo);
            }
        }
        report.failed_tests.extend(names);
        report.output.push_str(&text);
    }
    Ok(report)
}

fn run_promtool(promtool: &Path, file: &Path) -> Result<std::process::Output, String> {
    Command::new(promtool)
        .arg("test")
        .arg("rules")
        .arg(file)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "`{}` not found: install Prometheus's promtool (Debian and Ubuntu: `apt-get install prometheus`), or pass --promtool",
                promtool.display()
            ),
            _ => format!("cannot run {}: {e}", promtool.display()),
        })
}

/// The names of the tests promtool reports as failed: the `name:` line
/// that follows each `FAILED:`.
fn failed_tests(output: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = output.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "FAILED:" {
            continue;
        }
        if let Some(name) = lines.next().and_then(|l| l.trim().strip_prefix("name: ")) {
            let name = name.trim_end_matches(',').to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn failing_tests_are_read_from_promtools_report() {
        // As promtool 2.x and 3.x print a failed test group.
        let output = "Unit Testing:  rules/tests/web.test.yaml\n  FAILED:\n    name: web/availability: total outage from 1h: page firing 8m into it,\n    alertname: WebAvailabilityErrorBudgetBurn, time: 1h8m, \n        exp:[...], \n        got:[]\n\n  FAILED:\n    name: web/latency: healthy fires nothing,\n    alertname: X\n";
        assert_eq!(
            super::failed_tests(output),
            [
                "web/availability: total outage from 1h: page firing 8m into it",
                "web/latency: healthy fires nothing"
            ]
        );
    }
}
