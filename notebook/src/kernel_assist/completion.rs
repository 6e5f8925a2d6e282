//! Completion from the kernel: a `complete_reply` turned into what the popup shows (the
//! matches, with their types when the kernel gives `_jupyter_types_experimental`, as IPython
//! does), the match selected with the arrow keys, and the edit that accepting it makes.
//!
//! The kernel counts `cursor_start..cursor_end` in code points of the code it was sent; the
//! edit comes out in UTF-16 units of that code, the editor's unit (see [`super::code_points`]).

use crate::CellId;
use serde_json::Value;

use crate::kernel_assist::code_points;

/// One match: the text that replaces the range, and its type (`function`, `module`…) if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub text: String,
    pub kind: Option<String>,
}

/// Replace `from..to` (UTF-16 units) of the cell's text with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub from: usize,
    pub to: usize,
    pub text: String,
}

/// The popup's state: the matches for one cursor position in one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub cell_id: CellId,
    pub matches: Vec<Match>,
    /// The range the kernel replaces, in UTF-16 units of the code it was sent.
    pub from: usize,
    pub to: usize,
    pub selected: usize,
}

/// The most matches the popup keeps: a kernel may offer thousands (`import ` lists every
/// module), and nobody scrolls past a few hundred.
pub const MAX_MATCHES: usize = 500;

/// Whether a `*_reply`'s `content` says `ok`; else what to tell the user: the kernel's
/// `evalue` when it could not `verb`, or the odd status `reply` came with.
pub fn reply_status(content: &Value, reply: &str, verb: &str) -> Result<(), String> {
    match content.get("status").and_then(Value::as_str) {
        Some("ok") => Ok(()),
        Some("error") => {
            let why = content
                .get("evalue")
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            Err(format!("the kernel could not {verb}: {why}"))
        }
        other => Err(format!(
            "{reply} has status {}",
            other.map_or_else(|| "missing".to_string(), |s| format!("{s:?}"))
        )),
    }
}

impl Completion {
    /// The completion a `complete_reply`'s `content` offers for `code`, `Ok(None)` when it
    /// offers nothing, or what was wrong with it.
    pub fn from_reply(
        cell_id: CellId,
        code: &str,
        content: &Value,
    ) -> Result<Option<Completion>, String> {
        reply_status(content, "complete_reply", "complete")?;
        let position = |name: &str| {
            content
                .get(name)
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| format!("complete_reply has no {name}"))
        };
        let (start, end) = (position("cursor_start")?, position("cursor_end")?);
        let points = code.chars().count();
        if start > end || end > points {
            return Err(format!(
                "complete_reply's range {start}..{end} is outside the code ({points} code points)"
            ));
        }
        let types = content
            .get("metadata")
            .and_then(|m| m.get("_jupyter_types_experimental"))
            .and_then(Value::as_array);
        let kind_of = |text: &str| {
            types?
                .iter()
                .find(|t| t.get("text").and_then(Value::as_str) == Some(text))?
                .get("type")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty() && *t != "<unknown>")
                .map(str::to_string)
        };
        let mut matches: Vec<Match> = Vec::new();
        for text in content
            .get("matches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if matches.len() == MAX_MATCHES {
                break;
            }
            if !matches.iter().any(|m| m.text == text) {
                matches.push(Match {
                    text: text.to_string(),
                    kind: kind_of(text),
                });
            }
        }
        if matches.is_empty() {
            return Ok(None);
        }
        Ok(Some(Completion {
            cell_id,
            matches,
            from: code_points::to_utf16(code, start),
            to: code_points::to_utf16(code, end),
            selected: 0,
        }))
    }

    /// Moves the selection `by` matches (negative: up), wrapping around the ends as
    /// JupyterLab's popup does.
    pub fn step(&mut self, by: isize) {
        let n = self.matches.len() as isize;
        if n > 0 {
            self.selected = (self.selected as isize + by).rem_euclid(n) as usize;
        }
    }

    /// Selects match `index` (a click), if there is one.
    pub fn select(&mut self, index: usize) {
        if index < self.matches.len() {
            self.selected = index;
        }
    }

    /// The edit that accepting the selected match makes.
    pub fn accepted(&self) -> Replacement {
        Replacement {
            from: self.from,
            to: self.to,
            text: self.matches[self.selected].text.clone(),
        }
    }

    /// The edit to make at once, without a popup: when the kernel offers one match only.
    pub fn only_match(&self) -> Option<Replacement> {
        (self.matches.len() == 1).then(|| self.accepted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(code: &str, content: Value) -> Option<Completion> {
        Completion::from_reply("c1".into(), code, &content).expect("a good reply")
    }

    #[test]
    fn matches_with_their_types_and_the_range_to_replace() {
        let content = json!({
            "status": "ok",
            "matches": ["os", "operator", "os"],
            "cursor_start": 7,
            "cursor_end": 8,
            "metadata": {"_jupyter_types_experimental": [
                {"start": 7, "end": 8, "text": "os", "type": "module"},
                {"start": 7, "end": 8, "text": "operator", "type": "<unknown>"}
            ]}
        });
        let c = reply("import o", content).unwrap();
        assert_eq!(
            c.matches,
            [
                Match {
                    text: "os".into(),
                    kind: Some("module".into())
                },
                Match {
                    text: "operator".into(),
                    kind: None
                },
            ]
        );
        assert_eq!((c.from, c.to, c.selected), (7, 8, 0));
        assert_eq!(
            c.accepted(),
            Replacement {
                from: 7,
                to: 8,
                text: "os".into()
            }
        );
        assert_eq!(c.only_match(), None);
    }

    #[test]
    fn the_range_is_converted_from_code_points_to_utf16() {
        // Two astral characters before the cursor: 2 code points, 4 UTF-16 units.
        let code = "s = '😀😀'; s.up";
        let points = code.chars().count();
        let content = json!({
            "status": "ok", "matches": ["s.upper"], "cursor_start": points - 4,
            "cursor_end": points, "metadata": {}
        });
        let c = reply(code, content).unwrap();
        let units = code.encode_utf16().count();
        assert_eq!((c.from, c.to), (units - 4, units));
        assert_eq!(c.only_match().unwrap().text, "s.upper");
    }

    #[test]
    fn the_selection_wraps_around() {
        let content =
            json!({"status": "ok", "matches": ["a", "b", "c"], "cursor_start": 0, "cursor_end": 0});
        let mut c = reply("", content).unwrap();
        c.step(-1);
        assert_eq!(c.selected, 2);
        c.step(1);
        assert_eq!(c.selected, 0);
        c.step(4);
        assert_eq!(c.selected, 1);
        c.select(9);
        assert_eq!(c.selected, 1);
        c.select(2);
        assert_eq!(c.accepted().text, "c");
    }

    #[test]
    fn no_matches_is_nothing_to_show() {
        let content = json!({"status": "ok", "matches": [], "cursor_start": 0, "cursor_end": 0});
        assert_eq!(reply("x", content), None);
    }

    #[test]
    fn bad_replies_are_errors_not_panics() {
        let bad = [
            json!({"status": "error", "evalue": "boom"}),
            json!({"status": "ok", "matches": ["a"]}),
            json!({"status": "ok", "matches": ["a"], "cursor_start": 3, "cursor_end": 2}),
            json!({"status": "ok", "matches": ["a"], "cursor_start": 0, "cursor_end": 99}),
            json!({"matches": ["a"], "cursor_start": 0, "cursor_end": 0}),
            json!("not an object"),
        ];
        for content in bad {
            assert!(
                Completion::from_reply("c".into(), "abc", &content).is_err(),
                "{content}"
            );
        }
    }

    #[test]
    fn a_huge_reply_is_cut_to_the_popups_size() {
        let many: Vec<String> = (0..MAX_MATCHES + 50).map(|i| format!("m{i}")).collect();
        let content = json!({"status": "ok", "matches": many, "cursor_start": 0, "cursor_end": 0});
        assert_eq!(reply("", content).unwrap().matches.len(), MAX_MATCHES);
    }
}
