//! Completion (Tab) and inspection (Shift+Tab) as requests to the kernel and what their
//! replies show: at most one request is out at a time (a new one replaces it), and at most one
//! popup or tooltip is shown.
//!
//! The requests go over the wire like every other message, as the composer's do
//! (`ClientMsg::SendKernelMessage`), so the inspector shows them. The server answers each with
//! `KernelMessageSent` and its `msg_id`, then relays the kernel's reply with that id as its
//! `parent_msg_id`; [`KernelAssist::sent`] adopts the id of the request in flight, and
//! [`KernelAssist::reply`] takes only the reply to it. A reply to a request made for text that
//! the user has changed since is dropped, as JupyterLab does.

pub mod code_points;
pub mod completion;

use crate::CellId;
use serde_json::{json, Value};
use wirebook_shared::jupyter::Channel;
use wirebook_shared::session::ClientMsg;

use completion::{reply_status, Completion, Replacement};

/// What the user asked the kernel for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Complete,
    Inspect,
}

impl Ask {
    fn request_type(self) -> &'static str {
        match self {
            Ask::Complete => "complete_request",
            Ask::Inspect => "inspect_request",
        }
    }

    fn reply_type(self) -> &'static str {
        match self {
            Ask::Complete => "complete_reply",
            Ask::Inspect => "inspect_reply",
        }
    }
}

/// Where the cursor was drawn when the user asked, `left, top, bottom` in viewport pixels:
/// the popup or tooltip opens below it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Anchor {
    pub left: f64,
    pub top: f64,
    pub bottom: f64,
}

#[derive(Debug, Clone, PartialEq)]
struct Pending {
    ask: Ask,
    cell_id: CellId,
    code: String,
    anchor: Anchor,
    /// Known once the server said it sent the request.
    msg_id: Option<String>,
}

/// What is shown over the cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Shown {
    #[default]
    Nothing,
    Completion {
        completion: Completion,
        anchor: Anchor,
    },
    /// The inspection's text (with the kernel's ANSI colours).
    Tooltip {
        cell_id: CellId,
        text: String,
        anchor: Anchor,
    },
}

/// What a reply did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not the reply to the request in flight (another's, or one replaced since).
    NotOurs,
    /// The popup or tooltip is shown.
    Shown,
    /// One match only: the editor makes this edit at once, with no popup.
    Insert { cell_id: CellId, edit: Replacement },
    /// The kernel has nothing for this position (or the text changed since): nothing shown.
    Nothing,
    /// The reply was bad; the message says how.
    Failed(String),
}

/// The request in flight and what is shown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KernelAssist {
    pending: Option<Pending>,
    pub shown: Shown,
}

impl KernelAssist {
    /// Asks the kernel to complete or inspect `code` at UTF-16 offset `cursor`: the message
    /// to send. Whatever was shown closes; an earlier request's reply will be ignored.
    pub fn ask(
        &mut self,
        ask: Ask,
        cell_id: CellId,
        code: &str,
        cursor: usize,
        anchor: Anchor,
    ) -> ClientMsg {
        let cursor_pos = code_points::from_utf16(code, cursor);
        let content = match ask {
            Ask::Complete => json!({"code": code, "cursor_pos": cursor_pos}),
            Ask::Inspect => json!({"code": code, "cursor_pos": cursor_pos, "detail_level": 0}),
        };
        self.shown = Shown::Nothing;
        self.pending = Some(Pending {
            ask,
            cell_id,
            code: code.to_string(),
            anchor,
            msg_id: None,
        });
        ClientMsg::SendKernelMessage {
            channel: Channel::Shell,
            msg_type: ask.request_type().into(),
            content,
        }
    }

    /// The server sent a `msg_type` request as `msg_id`: whether it is the one in flight
    /// (then its replies are ours, and nobody needs telling).
    pub fn sent(&mut self, msg_type: &str, msg_id: &str) -> bool {
        match &mut self.pending {
            Some(p) if p.msg_id.is_none() && p.ask.request_type() == msg_type => {
                p.msg_id = Some(msg_id.to_string());
                true
            }
            _ => false,
        }
    }

    /// A shell reply from the kernel; `current_text` gives a cell's text now.
    pub fn reply(
        &mut self,
        parent_msg_id: Option<&str>,
        msg_type: &str,
        content: &Value,
        current_text: impl FnOnce(&str) -> Option<String>,
    ) -> Outcome {
        let ours = self.pending.as_ref().is_some_and(|p| {
            p.msg_id.is_some()
                && p.msg_id.as_deref() == parent_msg_id
                && p.ask.reply_type() == msg_type
        });
        if !ours {
            return Outcome::NotOurs;
        }
        let Some(Pending {
            ask,
            cell_id,
            code,
            anchor,
            ..
        }) = self.pending.take()
        else {
            return Outcome::NotOurs;
        };
        if current_text(&cell_id).as_deref() != Some(code.as_str()) {
            return Outcome::Nothing;
        }
        match ask {
            Ask::Complete => match Completion::from_reply(cell_id.clone(), &code, content) {
                Ok(Some(completion)) => match completion.only_match() {
                    Some(edit) => Outcome::Insert { cell_id, edit },
                    None => {
                        self.shown = Shown::Completion { completion, anchor };
                        Outcome::Shown
                    }
                },
                Ok(None) => Outcome::Nothing,
                Err(why) => Outcome::Failed(why),
            },
            Ask::Inspect => match inspection_text(content) {
                Ok(Some(text)) => {
                    self.shown = Shown::Tooltip {
                        cell_id,
                        text,
                        anchor,
                    };
                    Outcome::Shown
                }
                Ok(None) => Outcome::Nothing,
                Err(why) => Outcome::Failed(why),
            },
        }
    }

    /// Closes the popup or tooltip and forgets the request in flight (Esc, typing, a click
    /// elsewhere).
    pub fn close(&mut self) {
        self.pending = None;
        self.shown = Shown::Nothing;
    }

    /// The completion shown in `cell_id`, if any.
    pub fn completion_in(&mut self, cell_id: &str) -> Option<&mut Completion> {
        match &mut self.shown {
            Shown::Completion { completion, .. } if completion.cell_id == cell_id => {
                Some(completion)
            }
            _ => None,
        }
    }

    /// Whether anything is shown over `cell_id`.
    pub fn shows_in(&self, cell_id: &str) -> bool {
        match &self.shown {
            Shown::Nothing => false,
            Shown::Completion { completion, .. } => completion.cell_id == cell_id,
            Shown::Tooltip { cell_id: c, .. } => c == cell_id,
        }
    }
}

/// The text an `inspect_reply` shows: its `text/plain`, `None` when the kernel found nothing.
fn inspection_text(content: &Value) -> Result<Option<String>, String> {
    reply_status(content, "inspect_reply", "inspect")?;
    if content.get("found").and_then(Value::as_bool) != Some(true) {
        return Ok(None);
    }
    let text = content
        .get("data")
        .and_then(|d| d.get("text/plain"))
        .and_then(Value::as_str)
        .ok_or("inspect_reply found something but has no text/plain")?;
    Ok((!text.trim().is_empty()).then(|| text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Anchor = Anchor {
        left: 10.0,
        top: 20.0,
        bottom: 36.0,
    };

    /// An assist that asked about cell c1's `code` at `cursor` and whose request went out as m1.
    fn requested(ask: Ask, code: &str, cursor: usize) -> KernelAssist {
        let mut a = KernelAssist::default();
        a.ask(ask, "c1".into(), code, cursor, AT);
        assert!(a.sent(ask.request_type(), "m1"));
        a
    }

    fn same(code: &'static str) -> impl FnOnce(&str) -> Option<String> {
        move |_| Some(code.to_string())
    }

    #[test]
    fn a_complete_request_counts_the_cursor_in_code_points() {
        let mut a = KernelAssist::default();
        // "😀" is two UTF-16 units: the cursor after it is at unit 6, code point 5.
        let msg = a.ask(Ask::Complete, "c1".into(), "x='😀'.", 6, AT);
        let ClientMsg::SendKernelMessage {
            channel,
            msg_type,
            content,
        } = msg
        else {
            panic!("not a kernel message");
        };
        assert_eq!(channel, Channel::Shell);
        assert_eq!(msg_type, "complete_request");
        assert_eq!(content, json!({"code": "x='😀'.", "cursor_pos": 5}));
    }

    #[test]
    fn the_reply_to_the_request_in_flight_shows_the_popup() {
        let mut a = KernelAssist::default();
        a.ask(Ask::Complete, "c1".into(), "import o", 8, AT);
        // The composer's request of another type is not ours.
        assert!(!a.sent("kernel_info_request", "k1"));
        assert!(a.sent("complete_request", "m1"));
        assert!(!a.sent("complete_request", "m2"));
        let content = json!({"status": "ok", "matches": ["os", "operator"], "cursor_start": 7, "cursor_end": 8});
        assert_eq!(
            a.reply(Some("m2"), "complete_reply", &content, same("import o")),
            Outcome::NotOurs
        );
        assert_eq!(
            a.reply(Some("m1"), "complete_reply", &content, same("import o")),
            Outcome::Shown
        );
        assert!(a.shows_in("c1"));
        assert!(!a.shows_in("c2"));
        let completion = a.completion_in("c1").unwrap();
        completion.step(1);
        assert_eq!(completion.accepted().text, "operator");
        // Answered: a second copy of the reply is not ours.
        assert_eq!(
            a.reply(Some("m1"), "complete_reply", &content, same("import o")),
            Outcome::NotOurs
        );
        a.close();
        assert_eq!(a.shown, Shown::Nothing);
    }

    #[test]
    fn one_match_is_inserted_without_a_popup() {
        let mut a = requested(Ask::Complete, "pri", 3);
        let content =
            json!({"status": "ok", "matches": ["print"], "cursor_start": 0, "cursor_end": 3});
        assert_eq!(
            a.reply(Some("m1"), "complete_reply", &content, same("pri")),
            Outcome::Insert {
                cell_id: "c1".into(),
                edit: Replacement {
                    from: 0,
                    to: 3,
                    text: "print".into()
                }
            }
        );
        assert_eq!(a.shown, Shown::Nothing);
    }

    #[test]
    fn a_reply_for_text_changed_since_is_dropped() {
        let mut a = requested(Ask::Complete, "import o", 8);
        let content = json!({"status": "ok", "matches": ["os", "operator"], "cursor_start": 7, "cursor_end": 8});
        assert_eq!(
            a.reply(Some("m1"), "complete_reply", &content, same("import os")),
            Outcome::Nothing
        );
        assert_eq!(a.shown, Shown::Nothing);
    }

    #[test]
    fn a_newer_request_replaces_the_one_in_flight() {
        let mut a = requested(Ask::Complete, "pri", 3);
        a.ask(Ask::Inspect, "c1".into(), "print(", 6, AT);
        let old = json!({"status": "ok", "matches": ["print"], "cursor_start": 0, "cursor_end": 3});
        assert_eq!(
            a.reply(Some("m1"), "complete_reply", &old, same("print(")),
            Outcome::NotOurs
        );
        assert!(a.sent("inspect_request", "m2"));
        let content = json!({"status": "ok", "found": true, "data": {"text/plain": "\u{1b}[0;31mSignature:\u{1b}[0m print(*args)"}, "metadata": {}});
        assert_eq!(
            a.reply(Some("m2"), "inspect_reply", &content, same("print(")),
            Outcome::Shown
        );
        let Shown::Tooltip {
            cell_id,
            text,
            anchor,
        } = &a.shown
        else {
            panic!("no tooltip");
        };
        assert_eq!((cell_id.as_str(), anchor), ("c1", &AT));
        assert!(text.contains("print(*args)"));
    }

    #[test]
    fn inspection_that_finds_nothing_shows_nothing() {
        let mut a = requested(Ask::Inspect, "zzz", 3);
        let content = json!({"status": "ok", "found": false, "data": {}, "metadata": {}});
        assert_eq!(
            a.reply(Some("m1"), "inspect_reply", &content, same("zzz")),
            Outcome::Nothing
        );
    }

    #[test]
    fn bad_inspect_replies_are_errors() {
        assert!(inspection_text(&json!({"status": "error", "evalue": "x"})).is_err());
        assert!(inspection_text(&json!({"found": true})).is_err());
        assert!(inspection_text(&json!({"status": "ok", "found": true, "data": {}})).is_err());
        assert_eq!(
            inspection_text(&json!({"status": "ok", "found": true, "data": {"text/plain": "doc"}})),
            Ok(Some("doc".into()))
        );
    }
}
