//! Every `console` transcript of the README and the book runs against the
//! real binary, page by page in a fresh folder, and prints what the page
//! says; every other shell block is marked `no-run`, and they stay few.
//! Slow tier: the getting-started path runs `lookout test`, so promtool.
//! Fence attributes are described in `tests/docs.rs`.

mod support;

use support::book::{blocks, lookout, user_pages, NO_RUN_BUDGET};

/// Matches `actual` against `expected`, where a line `...` stands for any
/// number of lines; trailing whitespace and blank lines do not count.
fn matches(actual: &str, expected: &str) -> bool {
    fn go(actual: &[&str], expected: &[&str]) -> bool {
        match expected.split_first() {
            None => actual.is_empty(),
            Some((&"...", rest)) => (0..=actual.len()).any(|skip| go(&actual[skip..], rest)),
            Some((line, rest)) => actual
                .split_first()
                .is_some_and(|(first, others)| first == line && go(others, rest)),
        }
    }
    let lines = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    };
    let (actual, expected) = (lines(actual), lines(expected));
    let actual: Vec<&str> = actual.iter().map(String::as_str).collect();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    go(&actual, &expected)
}

#[test]
fn every_console_transcript_runs_and_prints_what_the_page_says() {
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut no_run = Vec::new();
    for page in user_pages() {
        let dir = tempfile::tempdir().unwrap();
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
            // Each `$ command`, an optional `? CODE`, then its output.
            let mut steps: Vec<(String, i32, String)> = Vec::new();
            for line in block.text.lines() {
                if let Some(command) = line.strip_prefix("$ ") {
                    steps.push((command.to_string(), 0, String::new()));
                } else if let Some(step) = steps.last_mut() {
                    match line.strip_prefix("? ") {
                        Some(code) if step.2.is_empty() => step.1 = code.parse().unwrap(),
                        _ => {
                            step.2 += line;
                            step.2.push('\n');
                        }
                    }
                }
            }
            for (command, expected_code, expected) in steps {
                let words: Vec<&str> = command.split_whitespace().collect();
                if words.first() != Some(&"lookout") {
                    failures.push(format!(
                        "{}: `{command}`: transcripts run lookout only",
                        block.at()
                    ));
                    continue;
                }
                let (code, out) = lookout(dir.path(), &words[1..]);
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
        "{ran} commands ran; {} blocks marked no-run:\n  {}",
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
