//! When a WebSocket cell's message has had its answer, so that a run goes on to the next cell:
//! one rule for `wirebook run` and for the page's Run All when it waits for replies, so that a
//! replayed session is paced the same way in both. The first of these that applies to the cell
//! is what it waits for:
//! 1. its expectations (`wirebook.expect`), when it has any: they all hold;
//! 2. its message is a JSON object whose id field (`id`, or the field the cell's
//!    `wirebook.reply_id` names) holds a string or a number: a reply that is a JSON object with
//!    the same value in that field (JSON-RPC, and most request/response APIs over WebSocket);
//! 3. it has recorded replies (a capture or HAR made into cells, a saved run): as many replies;
//! 4. otherwise: a reply, and then no other for the quiet time.
//!
//! The cell's timeout bounds every rule. Counting recorded replies is "within the timeout":
//! when fewer come, the run goes on at the timeout with what came, and comparing the replies
//! with the recording shows what is missing.

use serde_json::Value;

/// The metadata key (under `wirebook`) naming the id field of a cell's requests.
pub const REPLY_ID_KEY: &str = "reply_id";

/// The id field a request is matched by when the cell names none.
pub const DEFAULT_ID_FIELD: &str = "id";

/// How long a cell waits for its answer unless told otherwise (`wirebook run --timeout`).
pub const DEFAULT_TIMEOUT_S: u64 = 30;

/// The quiet time after a reply that answers a cell without a rule of its own, unless told
/// otherwise (`wirebook run --quiet`).
pub const DEFAULT_QUIET_MS: u64 = 250;

/// What a cell's run waits for (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub enum Awaited {
    /// Its expectations all hold; the caller checks them.
    Expectations,
    /// A reply whose `field` holds `value`.
    Id { field: String, value: Value },
    /// This many replies, as the recording holds.
    Count(usize),
    /// A reply, then the quiet time.
    Quiet,
}

impl Awaited {
    /// The rule for a cell: whether it has expectations, the message it sent (its text; `None`
    /// for a binary or control message), its `wirebook` metadata, and how many replies its
    /// recording holds.
    pub fn for_cell(
        has_expectations: bool,
        sent: Option<&str>,
        wirebook: Option<&Value>,
        recorded: usize,
    ) -> Awaited {
        if has_expectations {
            return Awaited::Expectations;
        }
        let field = wirebook
            .and_then(|w| w.get(REPLY_ID_KEY))
            .and_then(Value::as_str)
            .filter(|f| !f.is_empty())
            .unwrap_or(DEFAULT_ID_FIELD);
        if let Some(value) = sent.and_then(|text| id_of(text, field)) {
            return Awaited::Id {
                field: field.to_string(),
                value,
            };
        }
        if recorded > 0 {
            return Awaited::Count(recorded);
        }
        Awaited::Quiet
    }

    /// The id awaited as words: `id 7`, `ref "r2"`; empty for the other rules.
    pub fn id_words(&self) -> String {
        match self {
            Awaited::Id { field, value } => format!("{field} {value}"),
            _ => String::new(),
        }
    }
}

/// `text`'s id: the value of `field` in it, when it is a JSON object and that value is a
/// string or a number.
fn id_of(text: &str, field: &str) -> Option<Value> {
    // Only an object can carry an id: skip parsing anything else.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    object
        .remove(field)
        .filter(|id| id.is_string() || id.is_number())
}

/// One cell's wait for its answer, fed the replies as they come.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyWait {
    awaited: Awaited,
    replies: usize,
    answered: bool,
}

impl ReplyWait {
    pub fn new(awaited: Awaited) -> Self {
        ReplyWait {
            awaited,
            replies: 0,
            answered: false,
        }
    }

    pub fn awaited(&self) -> &Awaited {
        &self.awaited
    }

    /// A reply came: its text (`None` for a binary one), and whether the cell's expectations
    /// hold now (read only under [`Awaited::Expectations`]). Returns whether the cell is
    /// answered.
    pub fn reply(&mut self, text: Option<&str>, expectations_hold: bool) -> bool {
        self.replies += 1;
        let now = match &self.awaited {
            Awaited::Expectations => expectations_hold,
            Awaited::Id { field, value } => {
                text.and_then(|t| id_of(t, field)).as_ref() == Some(value)
            }
            Awaited::Count(n) => self.replies >= *n,
            Awaited::Quiet => false,
        };
        self.answered |= now;
        self.answered
    }

    /// Whether the cell has its answer (the quiet time is the caller's clock: see
    /// [`ReplyWait::quiet_counts`]).
    pub fn answered(&self) -> bool {
        self.answered
    }

    /// How many replies came.
    pub fn replies(&self) -> usize {
        self.replies
    }

    /// Whether a quiet time after the last reply would answer the cell: under
    /// [`Awaited::Quiet`], once a reply came.
    pub fn quiet_counts(&self) -> bool {
        self.awaited == Awaited::Quiet && self.replies > 0
    }

    /// Whether the timeout ends the wait as answered rather than failed: a recorded count is
    /// waited for "within the timeout" (see the module doc).
    pub fn timeout_answers(&self) -> bool {
        matches!(self.awaited, Awaited::Count(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_rule_is_the_first_that_applies() {
        let sent = Some(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#);
        assert_eq!(
            Awaited::for_cell(true, sent, None, 3),
            Awaited::Expectations
        );
        assert_eq!(
            Awaited::for_cell(false, sent, None, 3),
            Awaited::Id {
                field: "id".into(),
                value: json!(7)
            }
        );
        // A cell names another id field; one its message lacks falls through to the count.
        let meta = json!({"reply_id": "requestId"});
        assert_eq!(
            Awaited::for_cell(false, Some(r#"{"requestId":"a1"}"#), Some(&meta), 0),
            Awaited::Id {
                field: "requestId".into(),
                value: json!("a1")
            }
        );
        assert_eq!(
            Awaited::for_cell(false, sent, Some(&meta), 3),
            Awaited::Count(3)
        );
        // An id that is neither a string nor a number is no id; nor is text that is not JSON.
        for text in [
            r#"{"id":null}"#,
            r#"{"id":{"a":1}}"#,
            "id 7",
            "[1]",
            "{broken",
        ] {
            assert_eq!(
                Awaited::for_cell(false, Some(text), None, 0),
                Awaited::Quiet,
                "{text}"
            );
        }
        assert_eq!(Awaited::for_cell(false, None, None, 2), Awaited::Count(2));
    }

    #[test]
    fn expectations_are_seen_without_reading_them() {
        use crate::expect::any;
        assert!(any(Some(&json!({"expect": [{"text": "("}]}))));
        assert!(any(Some(&json!({"expect": {"count": 1}}))));
        assert!(!any(Some(&json!({"expect": []}))));
        assert!(!any(Some(&json!({"format": "json"}))));
        assert!(!any(None));
    }

    #[test]
    fn an_id_is_answered_by_its_own_reply_only() {
        let mut wait = ReplyWait::new(Awaited::for_cell(
            false,
            Some(r#"{"id":"b","op":"buy"}"#),
            None,
            1,
        ));
        // A notification, another request's reply, a binary reply and a number where the
        // request had a string do not answer it.
        assert!(!wait.reply(Some(r#"{"event":"tick"}"#), false));
        assert!(!wait.reply(Some(r#"{"id":"a","ok":true}"#), false));
        assert!(!wait.reply(None, false));
        assert!(!wait.reply(Some("not json"), false));
        assert!(wait.reply(Some(r#"{"ok":true,"id":"b"}"#), false));
        // Once answered, it stays so.
        assert!(wait.reply(Some("later"), false));
        assert!(!wait.quiet_counts());
        assert!(!wait.timeout_answers());
    }

    #[test]
    fn counts_expectations_and_the_quiet_time() {
        let mut count = ReplyWait::new(Awaited::Count(2));
        assert!(!count.reply(Some("one"), false));
        assert!(count.reply(Some("two"), false));
        assert!(count.timeout_answers());
        let id = Awaited::Id {
            field: "ref".into(),
            value: json!("r2"),
        };
        assert_eq!(id.id_words(), r#"ref "r2""#);
        assert_eq!(Awaited::Count(2).id_words(), "");

        let mut expect = ReplyWait::new(Awaited::Expectations);
        assert!(!expect.reply(Some("x"), false));
        assert!(expect.reply(Some("y"), true));

        let mut quiet = ReplyWait::new(Awaited::Quiet);
        assert!(!quiet.quiet_counts());
        assert!(!quiet.reply(Some("z"), true));
        assert!(quiet.quiet_counts());
        assert!(!quiet.answered());
        assert_eq!(quiet.replies(), 1);
    }
}
