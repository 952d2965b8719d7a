//! A small JSON tree and writer for generated dashboards.
//!
//! `serde_json::Value` hashes and allocates every key; dashboards for
//! 10,000 SLOs hold millions of objects whose keys are all known at compile
//! time. This tree keeps keys as `&'static str` in insertion order and
//! writes the same text as `serde_json::to_string_pretty`, at a fraction
//! of the cost (see `benches/compile.rs`).

use std::borrow::Cow;
use std::cell::RefCell;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(Cow<'static, str>),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

/// Builds a [`Json`] with `serde_json::json!`-like syntax: nested `{…}` and
/// `[…]`, `null`, and any expression that converts `Into<Json>`.
#[macro_export]
#[doc(hidden)]
macro_rules! j {
    (null) => { $crate::emit::json::Json::Null };
    ([ $($tt:tt)* ]) => { $crate::j!(@arr [] $($tt)*) };
    ({ $($tt:tt)* }) => { $crate::j!(@obj [] $($tt)*) };
    ($other:expr) => { $crate::emit::json::Json::from($other) };

    (@arr [$($out:tt)*]) => { $crate::emit::json::Json::Arr(vec![$($out)*]) };
    (@arr [$($out:tt)*] null $(, $($rest:tt)*)?) => {
        $crate::j!(@arr [$($out)* $crate::emit::json::Json::Null,] $($($rest)*)?)
    };
    (@arr [$($out:tt)*] { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $crate::j!(@arr [$($out)* $crate::j!({$($inner)*}),] $($($rest)*)?)
    };
    (@arr [$($out:tt)*] [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $crate::j!(@arr [$($out)* $crate::j!([$($inner)*]),] $($($rest)*)?)
    };
    (@arr [$($out:tt)*] $value:expr $(, $($rest:tt)*)?) => {
        $crate::j!(@arr [$($out)* $crate::emit::json::Json::from($value),] $($($rest)*)?)
    };

    (@obj [$($out:tt)*]) => { $crate::emit::json::Json::Obj(vec![$($out)*]) };
    (@obj [$($out:tt)*] $key:literal : null $(, $($rest:tt)*)?) => {
        $crate::j!(@obj [$($out)* ($key, $crate::emit::json::Json::Null),] $($($rest)*)?)
    };
    (@obj [$($out:tt)*] $key:literal : { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $crate::j!(@obj [$($out)* ($key, $crate::j!({$($inner)*})),] $($($rest)*)?)
    };
    (@obj [$($out:tt)*] $key:literal : [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $crate::j!(@obj [$($out)* ($key, $crate::j!([$($inner)*])),] $($($rest)*)?)
    };
    (@obj [$($out:tt)*] $key:literal : $value:expr $(, $($rest:tt)*)?) => {
        $crate::j!(@obj [$($out)* ($key, $crate::emit::json::Json::from($value)),] $($($rest)*)?)
    };
}

impl Json {
    /// Sets `key` on an object, replacing an earlier value.
    pub fn set(&mut self, key: &'static str, value: impl Into<Json>) {
        if let Json::Obj(entries) = self {
            let value = value.into();
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
    }

    /// `serde_json::to_string_pretty` layout, plus a final newline.
    pub fn pretty(&self) -> String {
        super::render(|out| {
            self.write(&mut Sink::pretty(out), 0);
            out.push('\n');
        })
    }

    /// One line, no spaces.
    pub fn compact(&self) -> String {
        super::render(|out| self.write(&mut Sink::compact(out), 0))
    }

    /// [`Json::pretty`] and [`Json::compact`] in one walk: every dashboard
    /// is written both ways (a file and a ConfigMap), and walking the tree
    /// and scanning its strings once is cheaper than twice.
    pub fn pretty_and_compact(&self) -> (String, String) {
        thread_local! {
            static COMPACT: RefCell<String> = RefCell::new(String::with_capacity(1 << 20));
        }
        COMPACT.with(|compact| {
            let Ok(mut compact) = compact.try_borrow_mut() else {
                return (self.pretty(), self.compact());
            };
            compact.clear();
            let pretty = super::render(|out| {
                let mut sink = Sink {
                    pretty: Some(out),
                    compact: Some(&mut compact),
                };
                self.write(&mut sink, 0);
                out.push('\n');
            });
            (pretty, compact.as_str().to_owned())
        })
    }

    fn write(&self, out: &mut Sink, depth: usize) {
        match self {
            Json::Null => out.text("null"),
            Json::Bool(b) => out.text(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let mut buffer = [0u8; 20];
                out.text(format_int(*n, &mut buffer));
            }
            Json::Num(x) if x.is_finite() => {
                // serde_json prints whole floats as `1.0`.
                let text = if x.fract() == 0.0 && x.abs() < 1e16 {
                    format!("{x:.1}")
                } else {
                    format!("{x}")
                };
                out.text(&text);
            }
            Json::Num(_) => out.text("null"),
            Json::Str(s) => write_string(out, s),
            Json::Arr(items) if items.is_empty() => out.text("[]"),
            Json::Obj(entries) if entries.is_empty() => out.text("{}"),
            Json::Arr(items) => {
                out.text("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.text(",");
                    }
                    out.newline(depth + 1);
                    item.write(out, depth + 1);
                }
                out.newline(depth);
                out.text("]");
            }
            Json::Obj(entries) => {
                out.text("{");
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.text(",");
                    }
                    out.newline(depth + 1);
                    // Keys are literals in lookout's code: nothing to escape.
                    debug_assert!(!key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
                    out.text("\"");
                    out.text(key);
                    out.key_end();
                    value.write(out, depth + 1);
                }
                out.newline(depth);
                out.text("}");
            }
        }
    }
}

/// Where [`Json::write`] puts text: the pretty layout, the compact one, or
/// both at once.
struct Sink<'a> {
    pretty: Option<&'a mut String>,
    compact: Option<&'a mut String>,
}

impl<'a> Sink<'a> {
    fn pretty(out: &'a mut String) -> Self {
        Sink {
            pretty: Some(out),
            compact: None,
        }
    }

    fn compact(out: &'a mut String) -> Self {
        Sink {
            pretty: None,
            compact: Some(out),
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(out) = self.pretty.as_deref_mut() {
            out.push_str(text);
        }
        if let Some(out) = self.compact.as_deref_mut() {
            out.push_str(text);
        }
    }

    /// A line break and indentation, in the pretty layout only.
    fn newline(&mut self, depth: usize) {
        if let Some(out) = self.pretty.as_deref_mut() {
            out.push('\n');
            super::push_spaces(out, depth * 2);
        }
    }

    fn key_end(&mut self) {
        if let Some(out) = self.pretty.as_deref_mut() {
            out.push_str("\": ");
        }
        if let Some(out) = self.compact.as_deref_mut() {
            out.push_str("\":");
        }
    }
}

/// `n` in decimal, without `fmt`'s machinery: dashboards hold many small
/// integers (grid positions, ids).
fn format_int(n: i64, buffer: &mut [u8; 20]) -> &str {
    let mut at = buffer.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buffer[at] = b'-';
    }
    std::str::from_utf8(&buffer[at..]).expect("ASCII digits")
}

fn write_string(out: &mut Sink, s: &str) {
    let bytes = s.as_bytes();
    out.text("\"");
    let mut start = 0;
    // Every byte to escape is ASCII, so each split is on a char boundary.
    while let Some(at) =
        super::find_byte(&bytes[start..], |b| (b == b'"') | (b == b'\\') | (b < 0x20))
    {
        let at = start + at;
        out.text(&s[start..at]);
        match bytes[at] {
            b'"' => out.text("\\\""),
            b'\\' => out.text("\\\\"),
            b'\n' => out.text("\\n"),
            b'\r' => out.text("\\r"),
            b'\t' => out.text("\\t"),
            0x08 => out.text("\\b"),
            0x0c => out.text("\\f"),
            b => out.text(&format!("\\u{b:04x}")),
        }
        start = at + 1;
    }
    out.text(&s[start..]);
    out.text("\"");
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::Str(Cow::Owned(s.to_string()))
    }
}
impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::Str(Cow::Owned(s))
    }
}
impl<T: Clone + Into<Json>> From<&T> for Json {
    fn from(value: &T) -> Self {
        value.clone().into()
    }
}
impl From<i32> for Json {
    fn from(n: i32) -> Self {
        Json::Int(n.into())
    }
}
impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}
impl From<f64> for Json {
    fn from(x: f64) -> Self {
        Json::Num(x)
    }
}
impl From<u32> for Json {
    fn from(n: u32) -> Self {
        Json::Int(n.into())
    }
}
impl From<i64> for Json {
    fn from(n: i64) -> Self {
        Json::Int(n)
    }
}
impl From<usize> for Json {
    fn from(n: usize) -> Self {
        Json::Int(n as i64)
    }
}
impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(items: Vec<T>) -> Self {
        Json::Arr(items.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(value: Option<T>) -> Self {
        value.map_or(Json::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_what_serde_json_writes() {
        let name = "x\"y\n".to_string();
        let value = crate::j!({
            "a": 1u32,
            "b": [1.0, 2.5, null],
            "c": {},
            "d": [],
            "e": {"f": name, "g": true, "h": (Some(0.25))},
        });
        let expected = serde_json::json!({
            "a": 1, "b": [1.0, 2.5, null], "c": {}, "d": [],
            "e": {"f": "x\"y\n", "g": true, "h": 0.25},
        });
        assert_eq!(
            value.pretty(),
            serde_json::to_string_pretty(&expected).unwrap() + "\n"
        );
        assert_eq!(value.compact(), serde_json::to_string(&expected).unwrap());
        assert_eq!(
            value.pretty_and_compact(),
            (value.pretty(), value.compact())
        );
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for n in [0, 7, -1, 10, -10, 1234567890, i64::MAX, i64::MIN] {
            let value = crate::j!({ "n": [n] });
            assert_eq!(value.compact(), serde_json::json!({ "n": [n] }).to_string());
        }
    }

    #[test]
    fn set_replaces_or_appends() {
        let mut v = crate::j!({"a": 1u32});
        v.set("a", 2u32);
        v.set("b", "x");
        assert_eq!(v.compact(), r#"{"a":2,"b":"x"}"#);
    }
}
