//! A structural check of the LogQL pipeline stages a log SLI is written in.
//!
//! No maintained Rust crate parses LogQL, and lookout only takes the part
//! after its own selector and parser: a sequence of stages. This checks
//! that shape (each stage starts with `|` or is a line filter, strings and
//! brackets close, no selector or range of its own) so the common mistakes
//! get a located error at `check` time. The full expressions are parsed
//! with Grafana's LogQL grammar in the test suite.

/// A problem at `offset` (bytes into the stages).
#[derive(Debug, PartialEq, Eq)]
pub struct StageError {
    pub offset: usize,
    pub message: String,
}

/// Normalises and checks `stages`: trims it and returns it unchanged
/// otherwise, or the first problem found.
pub fn check_stages(stages: &str) -> Result<String, StageError> {
    let text = stages.trim();
    let lead = stages.len() - stages.trim_start().len();
    if text.is_empty() {
        return Err(StageError {
            offset: 0,
            message: "no stages; write e.g. `| status >= 500`".into(),
        });
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut stage_start = true;
    let mut depth: Vec<(u8, usize)> = Vec::new();
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' | b'`' => {
                let close = find_string_end(bytes, i).ok_or(StageError {
                    offset: lead + i,
                    message: "this string is never closed".into(),
                })?;
                i = close + 1;
                stage_start = false;
                continue;
            }
            b'(' => depth.push((b')', i)),
            b')' => match depth.pop() {
                Some((b')', _)) => {}
                _ => {
                    return Err(StageError {
                        offset: lead + i,
                        message: "`)` without a matching `(`".into(),
                    })
                }
            },
            b'{' | b'}' => return Err(StageError {
                offset: lead + i,
                message:
                    "stream selectors are lookout's: the log source sets `{service=…, stream=…}`"
                        .into(),
            }),
            b'[' | b']' => {
                return Err(StageError {
                    offset: lead + i,
                    message: "ranges are lookout's: each alert window sets its own `[…]`".into(),
                })
            }
            b'|' | b'!' if depth.is_empty() => {
                stage_start = true;
                i += 1;
                // The operator of a line filter: `|=`, `|~`, `|>`, `!=`, `!~`, `!>`.
                if matches!(bytes.get(i), Some(b'=' | b'~' | b'>')) {
                    i += 1;
                } else if b == b'!' {
                    return Err(StageError {
                        offset: lead + i - 1,
                        message: "`!` starts a line filter: `!=`, `!~` or `!>`".into(),
                    });
                } else {
                    let rest = text[i..].trim_start();
                    if rest.is_empty() || rest.starts_with('|') {
                        return Err(StageError {
                            offset: lead + i - 1,
                            message: "empty stage after `|`".into(),
                        });
                    }
                }
                continue;
            }
            _ if b.is_ascii_whitespace() => {}
            _ => {
                if i == 0 && stage_start {
                    return Err(StageError {
                        offset: lead,
                        message: "stages start with `|` (e.g. `| status >= 500`) or a line filter (`|= \"text\"`)".into(),
                    });
                }
                stage_start = false;
            }
        }
        i += 1;
    }
    if let Some((_, at)) = depth.pop() {
        return Err(StageError {
            offset: lead + at,
            message: "this `(` is never closed".into(),
        });
    }
    Ok(text.to_string())
}

/// The index of the quote closing the string that opens at `start`.
fn find_string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_label_and_line_filters() {
        for ok in [
            "| status >= 500",
            "|= \"timeout\"",
            "!= `healthz` | status >= 500 or status == 429",
            "| status >= 500 | path !~ \"/health.*\"",
            "  | duration > 0.5  ",
            "| (status >= 500 or status == 429)",
        ] {
            assert!(check_stages(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn locates_mistakes() {
        let cases = [
            ("status >= 500", 0, "stages start with"),
            ("| status >= 500 |", 16, "empty stage"),
            ("| path = \"/x", 9, "never closed"),
            ("{app=\"x\"} |= \"y\"", 0, "selectors"),
            ("| status >= 500 [5m]", 16, "ranges"),
            ("| (status >= 500", 2, "never closed"),
            ("! \"x\"", 0, "line filter"),
        ];
        for (text, offset, message) in cases {
            let err = check_stages(text).unwrap_err();
            assert_eq!(err.offset, offset, "{text}: {err:?}");
            assert!(err.message.contains(message), "{text}: {err:?}");
        }
    }
}
