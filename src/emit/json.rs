//! A small JSON tree and writer for generated dashboards.
//!
//! `serde_json::Value` hashes and allocates every key; dashboards for
//! 10,000 SLOs hold millions of objects whose keys are all known at compile
//! time. This tree keeps keys as `&'static str` in insertion order and
//! writes the same text as `serde_json::to_string_pretty`, at a fraction
//! of the cost (see `benches/compile.rs`).

use std::borrow::Cow;
use std::fmt::Write;

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
            self.write(out, Some(0));
            out.push('\n');
        })
    }

    /// One line, no spaces.
    pub fn compact(&self) -> String {
        super::render(|out| self.write(out, None))
    }

    fn write(&self, out: &mut String, indent: Option<usize>) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Num(x) if x.is_finite() => {
                // serde_json prints whole floats as `1.0`.
                if x.fract() == 0.0 && x.abs() < 1e16 {
                    let _ = write!(out, "{x:.1}");
                } else {
                    let _ = write!(out, "{x}");
                }
            }
            Json::Num(_) => out.push_str("null"),
            Json::Str(s) => write_string(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent.map(|n| n + 1));
                    item.write(out, indent.map(|n| n + 1));
                }
                newline(out, indent);
                out.push(']');
            }
            Json::Obj(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent.map(|n| n + 1));
                    // Keys are literals in lookout's code: nothing to escape.
                    debug_assert!(!key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
                    out.push('"');
                    out.push_str(key);
                    out.push_str("\":");
                    if indent.is_some() {
                        out.push(' ');
                    }
                    value.write(out, indent.map(|n| n + 1));
                }
                newline(out, indent);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, indent: Option<usize>) {
    if let Some(n) = indent {
        out.push('\n');
        super::push_spaces(out, n * 2);
    }
}

fn write_string(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    let mut start = 0;
    // Every byte to escape is ASCII, so each split is on a char boundary.
    while let Some(at) =
        super::find_byte(&bytes[start..], |b| (b == b'"') | (b == b'\\') | (b < 0x20))
    {
        let at = start + at;
        out.push_str(&s[start..at]);
        match bytes[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = at + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
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
    }

    #[test]
    fn set_replaces_or_appends() {
        let mut v = crate::j!({"a": 1u32});
        v.set("a", 2u32);
        v.set("b", "x");
        assert_eq!(v.compact(), r#"{"a":2,"b":"x"}"#);
    }
}
