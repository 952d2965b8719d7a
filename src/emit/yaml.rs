//! A small YAML writer for generated files.
//!
//! Generated rules are read by people in code review as much as by
//! Prometheus, so the writer controls layout: keys in a fixed order, PromQL
//! in single quotes (no backslash noise), multi-line text as `|-` blocks.
//! A scalar is written plain only when no YAML 1.1 or 1.2 reader could take
//! it for anything but a string.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use super::push_spaces;

/// A YAML value with ordered keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Str(String),
    /// Written as is: numbers and booleans.
    Raw(String),
    Seq(Vec<Node>),
    Map(Vec<(Cow<'static, str>, Node)>),
    /// A subtree used in many places (a rule's labels): built once, and
    /// rendered once per indentation.
    Shared(Arc<Shared>),
}

/// See [`Node::Shared`]. Shared across threads: an artifact's kind carries
/// its rule groups as nodes, for push to send without parsing text.
#[derive(Debug)]
pub struct Shared {
    node: Node,
    /// The text at an indentation; a lock taken once per use, uncontended.
    rendered: Mutex<Option<(usize, String)>>,
}

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl Eq for Shared {}

impl Node {
    /// The string at `key` of a map: a rule group's `name`, for the
    /// artifact's kind.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        match self {
            Node::Map(entries) => {
                entries
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| match v {
                        Node::Str(text) => Some(text.as_str()),
                        _ => None,
                    })
            }
            Node::Shared(shared) => shared.node.str_at(key),
            _ => None,
        }
    }

    /// The `name`s of rule groups, in order.
    pub fn group_names(groups: &[Node]) -> Vec<String> {
        groups
            .iter()
            .filter_map(|group| group.str_at("name"))
            .map(str::to_string)
            .collect()
    }

    pub fn shared(node: Node) -> Node {
        Node::Shared(Arc::new(Shared {
            node,
            rendered: Mutex::new(None),
        }))
    }

    /// The node itself, looking through [`Node::Shared`].
    fn resolved(&self) -> &Node {
        match self {
            Node::Shared(shared) => &shared.node,
            other => other,
        }
    }
}

impl Node {
    pub fn str(value: impl Into<String>) -> Node {
        Node::Str(value.into())
    }

    pub fn map() -> MapBuilder {
        MapBuilder(Vec::new())
    }

    pub fn labels<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>) -> Node {
        Node::Map(
            labels
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.clone()), Node::str(v.as_str())))
                .collect(),
        )
    }
}

/// Builds a [`Node::Map`] in insertion order.
pub struct MapBuilder(Vec<(Cow<'static, str>, Node)>);

impl MapBuilder {
    pub fn entry(mut self, key: &'static str, value: Node) -> Self {
        self.0.push((Cow::Borrowed(key), value));
        self
    }

    pub fn str(self, key: &'static str, value: impl Into<String>) -> Self {
        self.entry(key, Node::str(value))
    }

    pub fn opt_str(self, key: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.str(key, value),
            None => self,
        }
    }

    /// Adds a non-empty map; an empty one is left out.
    pub fn non_empty(self, key: &'static str, value: Node) -> Self {
        match value.resolved() {
            Node::Map(entries) if entries.is_empty() => self,
            Node::Seq(items) if items.is_empty() => self,
            _ => self.entry(key, value),
        }
    }

    pub fn build(self) -> Node {
        Node::Map(self.0)
    }
}

impl Node {
    /// A JSON value as YAML, keys in their JSON order.
    pub fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value;
        match value {
            Value::Null => Node::Raw("null".into()),
            Value::Bool(b) => Node::Raw(b.to_string()),
            // A whole float as an integer (`99`, not `99.0`), without float noise.
            Value::Number(n) if n.is_f64() => {
                Node::Raw(crate::model::fmt_num(n.as_f64().unwrap_or_default()))
            }
            Value::Number(n) => Node::Raw(n.to_string()),
            Value::String(s) => Node::Str(s.clone()),
            Value::Array(items) => Node::Seq(items.iter().map(Node::from_json).collect()),
            Value::Object(map) => Node::Map(
                map.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Node::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl Node {
    /// The value as JSON, as a YAML reader would see the written text:
    /// raw scalars are numbers, booleans or null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Shared(shared) => shared.node.to_json(),
            Node::Str(s) => Value::String(s.clone()),
            Node::Raw(raw) => serde_json::from_str(raw).unwrap_or(Value::String(raw.clone())),
            Node::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Drops a shared node's rendered text, kept for reuse while writing,
    /// once every file that uses it is written.
    pub fn forget_rendered(&self) {
        if let Node::Shared(shared) = self {
            *shared
                .rendered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        }
    }

    /// The items of a sequence (looking through [`Node::Shared`]).
    pub fn items(&self) -> &[Node] {
        match self.resolved() {
            Node::Seq(items) => items,
            _ => &[],
        }
    }
}

/// A rule file (Prometheus or Loki ruler): the generated header naming the
/// spec and the project (the ownership marker in a shared rules folder),
/// then `groups`, a sequence.
pub fn rule_file(service: &crate::model::Service, groups: Node) -> String {
    let mut header = super::generated_header(&service.source);
    header.insert(1, super::project_marker(&service.project));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    document(&header, &Node::map().entry("groups", groups).build())
}

/// Renders a document: `header` lines become `# ` comments.
pub fn document(header: &[&str], root: &Node) -> String {
    super::render(|out| write_document(out, header, root))
}

/// Several documents in one file, `header` above the first.
pub fn documents(header: &[&str], roots: &[Node]) -> String {
    super::render(|out| {
        for (i, root) in roots.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            write_document(out, if i == 0 { header } else { &[] }, root);
        }
    })
}

fn write_document(out: &mut String, header: &[&str], root: &Node) {
    for line in header {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
    write_node(out, root, 0, Context::Top);
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Top,
    MapValue,
    SeqItem,
}

fn write_node(out: &mut String, node: &Node, indent: usize, context: Context) {
    if let Node::Shared(shared) = node {
        // Map values are the only place shared nodes go, so the cached text
        // depends on the indentation alone.
        if context == Context::MapValue {
            let mut cache = shared
                .rendered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((at, text)) = cache.as_ref() {
                if *at <= indent {
                    push_shifted(out, text, indent - at);
                    return;
                }
            }
            let mut text = String::new();
            write_node(&mut text, &shared.node, indent, context);
            out.push_str(&text);
            *cache = Some((indent, text));
            return;
        }
        return write_node(out, &shared.node, indent, context);
    }
    match node {
        Node::Shared(_) => unreachable!("unwrapped above"),
        Node::Str(s) => write_str(out, s, indent),
        Node::Raw(s) => out.push_str(s),
        Node::Seq(items) if items.is_empty() => out.push_str("[]"),
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 || context != Context::SeqItem {
                    if context != Context::Top || i > 0 {
                        out.push('\n');
                    }
                    push_spaces(out, indent);
                }
                out.push_str("- ");
                write_node(out, item, indent + 2, Context::SeqItem);
            }
        }
        Node::Map(entries) => {
            for (i, (key, value)) in entries.iter().enumerate() {
                let inline_first = i == 0 && context == Context::SeqItem;
                if !inline_first {
                    if context != Context::Top || i > 0 {
                        out.push('\n');
                    }
                    push_spaces(out, indent);
                }
                write_key(out, key);
                out.push(':');
                match value.resolved() {
                    Node::Map(m) if !m.is_empty() => {
                        write_node(out, value, indent + 2, Context::MapValue)
                    }
                    Node::Seq(s) if !s.is_empty() => {
                        write_node(out, value, indent, Context::MapValue)
                    }
                    _ => {
                        out.push(' ');
                        write_node(out, value, indent + 2, Context::MapValue);
                    }
                }
            }
        }
    }
    if context == Context::Top {
        out.push('\n');
    }
}

/// `text`, written by `write_node` as a map value, as it would be written
/// `by` columns further right: every line after the first gains `by`
/// spaces, except empty ones (block scalars write those bare). Exact,
/// since every indentation the writer emits is relative to the value's.
fn push_shifted(out: &mut String, text: &str, by: usize) {
    if by == 0 {
        out.push_str(text);
        return;
    }
    let mut lines = text.split('\n');
    out.push_str(lines.next().unwrap_or_default());
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            push_spaces(out, by);
        }
        out.push_str(line);
    }
}

fn write_key(out: &mut String, key: &str) {
    if is_plain_safe(key) {
        out.push_str(key);
    } else {
        push_single_quoted(out, key);
    }
}

fn write_str(out: &mut String, s: &str, indent: usize) {
    // Most scalars hold no line break or control character: one scan rules
    // out the block and double-quoted layouts (0xC2 leads the C1 controls
    // in UTF-8).
    let special =
        super::find_byte(s.as_bytes(), |b| (b < 0x20) | (b == 0x7f) | (b == 0xc2)).is_some();
    if special
        && s.contains('\n')
        && !has_control(s, |c| c != b'\n')
        && !s.starts_with(' ')
        && !s.lines().any(|l| l.ends_with(' '))
        && !s.ends_with("\n\n")
    {
        // `|` keeps one final newline, `|-` none.
        let (indicator, body) = match s.strip_suffix('\n') {
            Some(body) => ("|", body),
            None => ("|-", s),
        };
        out.push_str(indicator);
        for line in body.lines() {
            out.push('\n');
            if !line.is_empty() {
                push_spaces(out, indent);
                out.push_str(line);
            }
        }
    } else if is_plain_safe(s) {
        out.push_str(s);
    } else if special && has_control(s, |_| true) {
        // JSON string syntax is valid YAML double-quoted syntax.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    } else {
        push_single_quoted(out, s);
    }
}

fn push_single_quoted(out: &mut String, s: &str) {
    out.push('\'');
    if s.contains('\'') {
        out.push_str(&s.replace('\'', "''"));
    } else {
        out.push_str(s);
    }
    out.push('\'');
}

/// Whether `s` holds a Unicode control character (`char::is_control`:
/// U+0000 to U+001F and U+007F to U+009F) whose ASCII byte `counts`; the
/// second range is the only one outside ASCII, and UTF-8 writes it as
/// 0xC2 then 0x80 to 0x9F. Over bytes, since it runs on every long scalar.
fn has_control(s: &str, counts: impl Fn(u8) -> bool) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(at) =
        super::find_byte(&bytes[from..], |b| (b < 0x20) | (b == 0x7f) | (b == 0xc2))
    {
        let at = from + at;
        let hit = match bytes[at] {
            0xc2 => matches!(bytes.get(at + 1), Some(0x80..=0x9f)),
            b => counts(b),
        };
        if hit {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The bytes a plain scalar may hold: none starts YAML syntax.
const PLAIN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b' ' | b'_' | b'.' | b'/' | b':' | b'-' | b'(' | b')' | b'%' | b','
            );
        b += 1;
    }
    table
};

/// Conservative: a letter first, then characters that never start YAML
/// syntax, no `: ` or ` #`, and no word any YAML version reads as a bool or
/// null. This runs on every scalar written.
fn is_plain_safe(s: &str) -> bool {
    const AMBIGUOUS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !first.is_ascii_alphabetic() || *last == b' ' || *last == b':' {
        return false;
    }
    // `: ` starts a mapping value; ` #` would start a comment, but `#` is
    // not a plain byte.
    let mut previous = 0u8;
    for &b in bytes {
        if !PLAIN_BYTES[b as usize] || (previous == b':' && b == b' ') {
            return false;
        }
        previous = b;
    }
    bytes.len() > 5 || !AMBIGUOUS.iter().any(|word| word.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(node: &Node) -> String {
        document(&[], node)
    }

    #[test]
    fn lays_out_nested_maps_and_sequences() {
        let doc = Node::map()
            .entry(
                "groups",
                Node::Seq(vec![Node::map()
                    .str("name", "g")
                    .entry(
                        "rules",
                        Node::Seq(vec![Node::map()
                            .str("record", "a:b")
                            .str("expr", "vector(1)")
                            .build()]),
                    )
                    .build()]),
            )
            .build();
        assert_eq!(
            render(&doc),
            "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: vector(1)\n"
        );
    }

    #[test]
    fn quotes_what_yaml_would_misread() {
        let doc = Node::map()
            .str("a", "yes")
            .str("b", "30d")
            .str("c", r#"sum(x{code=~"5.."})"#)
            .str("d", "it's")
            .str("e", "")
            .str("f", "line1\nline2")
            .entry("g", Node::Seq(vec![]))
            .build();
        assert_eq!(
            render(&doc),
            "a: 'yes'\nb: '30d'\nc: 'sum(x{code=~\"5..\"})'\nd: 'it''s'\ne: ''\nf: |-\n  line1\n  line2\ng: []\n"
        );
    }

    #[test]
    fn control_check_agrees_with_char_is_control() {
        // Every char up to U+00FF and a few beyond, alone and amid text
        // longer than one 32-byte block.
        let chars = (0u32..0x100)
            .chain([0x2028, 0xfeff, 0x1f600])
            .filter_map(char::from_u32);
        for c in chars {
            for s in [
                c.to_string(),
                format!("{}{c}é{}", "a".repeat(40), "b".repeat(7)),
            ] {
                assert_eq!(
                    has_control(&s, |_| true),
                    s.chars().any(char::is_control),
                    "{s:?}"
                );
                assert_eq!(
                    has_control(&s, |b| b != b'\n'),
                    s.chars().any(|c| c.is_control() && c != '\n'),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn a_shared_node_shifted_right_is_what_writing_it_there_gives() {
        let groups = || {
            Node::Seq(vec![Node::map()
                .str("name", "g")
                .entry(
                    "rules",
                    Node::Seq(vec![Node::map()
                        .str("alert", "A")
                        .str("expr", "(\n  a > 1\n\n  and b\n)")
                        .entry("labels", Node::map().str("x", "1").build())
                        .build()]),
                )
                .build()])
        };
        let nested = |groups: Node| {
            Node::map()
                .str("kind", "K")
                .entry("spec", Node::map().entry("groups", groups).build())
                .build()
        };
        let shared = Node::shared(groups());
        let top = render(&Node::map().entry("groups", shared.clone()).build());
        assert_eq!(top, render(&Node::map().entry("groups", groups()).build()));
        // Cached at indent 0 by the first document, shifted for the second.
        assert_eq!(render(&nested(shared)), render(&nested(groups())));
    }
}
