//! The book's pages and their fenced blocks, for `tests/docs.rs` (the
//! fast tier) and `tests/book_transcripts.rs` (the slow one).

use std::path::{Path, PathBuf};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Shell blocks that cannot run here (a cluster, a server with history,
/// an hour-long script). Raise it only with a reason in the page.
pub const NO_RUN_BUDGET: usize = 6;

pub struct Block {
    pub page: PathBuf,
    pub line: usize,
    pub lang: String,
    pub attrs: Vec<String>,
    pub text: String,
}

impl Block {
    pub fn has(&self, attr: &str) -> bool {
        self.attrs.iter().any(|a| a == attr)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find_map(|a| a.strip_prefix(key)?.strip_prefix('='))
    }

    pub fn at(&self) -> String {
        format!("{}:{}", relative(&self.page), self.line)
    }
}

pub fn relative(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every file under `dir` (relative to the repository), sorted, leaving
/// out `node_modules`.
pub fn files_under(dir: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(ROOT).join(dir)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "node_modules") {
                    dirs.push(path);
                }
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub fn book_pages() -> Vec<PathBuf> {
    files_under("docs/src")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect()
}

/// The pages a user reads: the README and the book.
pub fn user_pages() -> Vec<PathBuf> {
    let mut pages = vec![Path::new(ROOT).join("README.md")];
    pages.extend(book_pages());
    pages
}

/// Every page with links: the user's, and the contributors' notes.
pub fn linked_pages() -> Vec<PathBuf> {
    let mut pages = user_pages();
    for extra in ["CONTRIBUTING.md", "CHANGELOG.md", "ARCHITECTURE.md"] {
        pages.push(Path::new(ROOT).join(extra));
    }
    for entry in std::fs::read_dir(Path::new(ROOT).join("docs/dev")).unwrap() {
        pages.push(entry.unwrap().path());
    }
    pages
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fenced blocks of a page, with their indentation removed.
pub fn blocks(page: &Path) -> Vec<Block> {
    let text = read(page);
    let mut out = Vec::new();
    let mut open: Option<(usize, usize, String, Vec<String>)> = None;
    let mut body = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                None => {
                    let mut words = info.split([' ', ',']).filter(|w| !w.is_empty());
                    let lang = words.next().unwrap_or("").to_string();
                    open = Some((i + 1, indent, lang, words.map(String::from).collect()));
                    body.clear();
                }
                Some((line, _, lang, attrs)) => out.push(Block {
                    page: page.to_path_buf(),
                    line,
                    lang,
                    attrs,
                    text: std::mem::take(&mut body),
                }),
            }
            continue;
        }
        if let Some((_, indent, _, _)) = &open {
            body += line.get(*indent..).unwrap_or(line.trim_start());
            body.push('\n');
        }
    }
    assert!(open.is_none(), "{}: an unclosed fence", page.display());
    out
}

/// A transcript's steps: each `$ command`, an optional `? CODE` (its exit
/// code, 0 without), then its output.
pub fn steps(block: &Block) -> Vec<(String, i32, String)> {
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
    steps
}

/// Asserts that `$ command` exited `code` and printed `out` as the
/// `run-by` transcript on `page` (relative to the repository) shows: the
/// test that holds the history or state the command needs checks what
/// the book says it prints.
pub fn assert_page_shows(page: &str, command: &str, code: i32, out: &str) {
    let path = Path::new(ROOT).join(page);
    let found = blocks(&path)
        .into_iter()
        .filter(|b| b.value("run-by").is_some())
        .flat_map(|b| steps(&b))
        .find(|(c, _, _)| c == command);
    let Some((_, expected_code, expected)) = found else {
        panic!("{page} has no `run-by` transcript of `$ {command}`");
    };
    assert!(
        code == expected_code && matches(out, &expected),
        "`{command}` exited {code} (the page says {expected_code}) and printed:\n{out}--- {page} says:\n{expected}"
    );
}

/// One line against its expectation, where `[..]` stands for any text
/// within the line (as trycmd spells it).
fn line_matches(actual: &str, expected: &str) -> bool {
    let mut pieces = expected.split("[..]");
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// `text` with each UTC timestamp (`2026-11-14T04:03:00Z`) as `[TIME]`:
/// a page shows the times of the run it was written from.
fn without_times(text: &str) -> String {
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let is_time = bytes.len() - i >= shape.len()
            && shape.iter().zip(&bytes[i..]).all(|(want, got)| match want {
                b'd' => got.is_ascii_digit(),
                _ => want == got,
            });
        if is_time {
            out.push_str("[TIME]");
            i += shape.len();
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Matches `actual` against `expected`, where a line `...` stands for any
/// number of lines, `[..]` for any text within a line, and timestamps
/// for each other; trailing whitespace and blank lines do not count.
pub fn matches(actual: &str, expected: &str) -> bool {
    fn go(actual: &[&str], expected: &[&str]) -> bool {
        match expected.split_first() {
            None => actual.is_empty(),
            Some((&"...", rest)) => (0..=actual.len()).any(|skip| go(&actual[skip..], rest)),
            Some((line, rest)) => actual
                .split_first()
                .is_some_and(|(first, others)| line_matches(first, line) && go(others, rest)),
        }
    }
    let lines = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = without_times(text)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect();
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
