//! The book's pages and their fenced blocks, for `tests/docs.rs` (the
//! fast tier) and `tests/book_transcripts.rs` (the slow one).

use std::path::{Path, PathBuf};
use std::process::Command;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Shell blocks that cannot run here (a cluster, a server with history,
/// an hour-long script). Raise it only with a reason in the page.
pub const NO_RUN_BUDGET: usize = 16;

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

/// Runs `lookout` with `args` in `dir`; (exit code, stdout then stderr).
pub fn lookout(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("LOOKOUT_PROMETHEUS_URL")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}
