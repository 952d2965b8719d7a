//! Diagnostics: every problem lookout reports about user input.
//!
//! A [`Diagnostic`] is plain data (severity, stable code, message, location,
//! help). Passes collect them and keep going, so one run reports every error.
//! Rendering happens only at the edge: [`Diagnostics::render`] draws
//! `file:line:col` headers with a caret under the source via miette, and
//! [`Diagnostic::to_json`] feeds `--format json`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range inside one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub offset: usize,
    pub len: usize,
}

/// The text of every file that was read, so diagnostics can quote it.
/// Cloning shares the texts.
#[derive(Default, Debug, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone)]
struct SourceFile {
    path: PathBuf,
    text: Arc<String>,
}

impl SourceMap {
    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        self.files.push(SourceFile {
            path: path.into(),
            text: Arc::new(text),
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// Every file read, in the order read.
    pub fn files(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files
            .iter()
            .map(|f| (f.path.as_path(), f.text.as_str()))
    }

    pub fn path(&self, file: FileId) -> &Path {
        &self.files[file.0 as usize].path
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.files[file.0 as usize].text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let text = self.text(file);
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// Byte offset of a 1-based line and column (in characters).
    pub fn offset_of(&self, file: FileId, line: usize, col: usize) -> usize {
        let text = self.text(file);
        let mut offset = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let within: usize = l
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                return offset + within;
            }
            offset += l.len();
        }
        text.len()
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing, nothing to fix here (a limit of what could be
    /// checked): never fails a command, even with `--deny-warnings`.
    Note,
    Warning,
    Error,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found in the user's input.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, e.g. `spec::unknown-field`; documented in the book (`docs/src/reference/errors.md`).
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
    /// Text drawn next to the caret.
    pub label: Option<String>,
    pub help: Option<String>,
    /// Where the diagnostic applies when there is no span (a directory, say).
    pub path: Option<PathBuf>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            path: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn at_opt(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn in_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` (or just the path) for one-line output.
    pub fn location(&self, sources: &SourceMap) -> Option<String> {
        match (self.span, &self.path) {
            (Some(span), _) => {
                let (line, col) = sources.line_col(span.file, span.offset);
                Some(format!(
                    "{}:{line}:{col}",
                    sources.path(span.file).display()
                ))
            }
            (None, Some(path)) => Some(path.display().to_string()),
            (None, None) => None,
        }
    }

    /// A GitHub Actions workflow command (`::error file=…,line=…::…`), so
    /// the finding shows on the pull request's line.
    pub fn to_github(&self, sources: &SourceMap) -> String {
        let json = self.to_json(sources);
        let mut properties = Vec::new();
        if let Some(file) = json["file"].as_str() {
            properties.push(format!("file={}", github_property(file)));
        }
        if let (Some(line), Some(column)) = (json["line"].as_u64(), json["column"].as_u64()) {
            properties.push(format!("line={line},col={column}"));
        }
        properties.push(format!(
            "title={}",
            github_property(&format!("lookout::{}", self.code))
        ));
        let mut message = self.message.clone();
        if let Some(help) = &self.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let command = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        format!(
            "::{command} {}::{}",
            properties.join(","),
            github_data(&message)
        )
    }

    pub fn to_json(&self, sources: &SourceMap) -> serde_json::Value {
        let (file, line, column) = match (self.span, &self.path) {
            (Some(span), _) => {
                let (line, col) = sources.line_col(span.file, span.offset);
                (
                    Some(sources.path(span.file).display().to_string()),
                    Some(line),
                    Some(col),
                )
            }
            (None, Some(path)) => (Some(path.display().to_string()), None, None),
            (None, None) => (None, None, None),
        };
        serde_json::json!({
            "severity": self.severity.as_str(),
            // As the text output shows it.
            "code": format!("lookout::{}", self.code),
            "message": self.message,
            "file": file,
            "line": line,
            "column": column,
            "help": self.help,
        })
    }
}

/// Escapes a workflow command's message (GitHub's `escapeData`).
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (GitHub's `escapeProperty`).
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A bag of diagnostics plus the sources they point into.
#[derive(Default, Debug)]
pub struct Diagnostics {
    pub sources: SourceMap,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Whether these findings fail a command: an error does, and with
    /// `deny_warnings` (`--deny-warnings`) any finding at all.
    pub fn fail(&self, deny_warnings: bool) -> bool {
        self.has_errors() || (deny_warnings && self.warning_count() > 0)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        let warning = |d: &&Diagnostic| d.severity == Severity::Warning;
        self.items.iter().filter(warning).count()
    }

    /// Sort by file and position so output is stable whatever order passes ran in.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| {
            (
                d.span.map(|s| (s.file, s.offset)),
                d.path.clone(),
                std::cmp::Reverse(d.severity),
            )
        });
    }

    /// Human output: one miette report per diagnostic.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_context_lines(2)
            .with_width(100);
        let mut out = String::new();
        for diagnostic in &self.items {
            let report = Report {
                diagnostic,
                source: diagnostic.span.map(|span| {
                    NamedSource::new(
                        self.sources.path(span.file).display().to_string(),
                        self.sources.text(span.file).to_string(),
                    )
                }),
            };
            if handler.render_report(&mut out, &report).is_err() {
                out.push_str(&diagnostic.message);
            }
            out.push('\n');
        }
        out
    }
}

/// Adapter from [`Diagnostic`] to miette's trait, built only for rendering.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<String>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Without a span miette draws no location, so name the path in the message.
        match (&self.diagnostic.span, &self.diagnostic.path) {
            (None, Some(path)) => write!(f, "{}: {}", path.display(), self.diagnostic.message),
            _ => f.write_str(&self.diagnostic.message),
        }
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("lookout::{}", self.diagnostic.code)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Note => miette::Severity::Advice,
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diagnostic.span?;
        let len = span.len.max(1);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            self.diagnostic.label.clone(),
            SourceSpan::new(span.offset.into(), len),
        ))))
    }
}
