//! nbformat's multi-line strings: read from a string or a list of strings, written as lists
//! of lines split like Python's `str.splitlines(keepends=True)`.

use serde_json::Value;

use super::{error, type_name, IpynbError};

/// nbformat's `multiline_string`: a string, or a list of strings to be concatenated.
pub(super) fn multiline(value: Value, at: &str) -> Result<String, IpynbError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Array(items) => {
            let mut joined = String::new();
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => joined.push_str(&s),
                    other => {
                        return Err(error(
                            &format!("{at}[{i}]"),
                            format!("must be a string, not {}", type_name(&other)),
                        ))
                    }
                }
            }
            Ok(joined)
        }
        other => Err(error(
            at,
            format!(
                "must be a string or a list of strings, not {}",
                type_name(&other)
            ),
        )),
    }
}

/// Splits text into lines that keep their line ends, exactly like Python's
/// `str.splitlines(keepends=True)`, which nbformat uses to write multi-line strings.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\r' => match chars.peek() {
                Some(&(j, '\n')) => {
                    chars.next();
                    j + 1
                }
                _ => i + 1,
            },
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        lines.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

pub(super) fn lines_value(text: &str) -> Value {
    Value::Array(
        split_lines(text)
            .into_iter()
            .map(|line| Value::String(line.to_string()))
            .collect(),
    )
}
