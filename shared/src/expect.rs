//! A cell's expectations, kept in its metadata as `wirebook.expect`, and whether a run met
//! them: `wirebook run` checks them headless, the browser after a run, with this one code.
//!
//! `wirebook.expect` is a list of one-key objects (or one such object):
//! - `{"text": REGEX}`: a reply's text matches (for a Jupyter cell, its text output does);
//! - `{"json": SUBSET}`: a reply is JSON containing SUBSET (objects: every key of SUBSET, with
//!   a value containing SUBSET's; arrays: as long, each element containing SUBSET's; anything
//!   else: equal);
//! - `{"count": N}`: N replies (or more) came within the cell's timeout;
//! - `{"close": CODE}`: the peer closed the connection with CODE;
//! - `{"status": "ok"}` / `{"status": "error"}`: a Jupyter cell's `execute_reply` status.
//!
//! REGEX is the inspector's filter pattern ([`crate::display_filter::pattern`]): one meaning in
//! the browser and on the command line.

use serde_json::Value;

use crate::display_filter::pattern;
use crate::ipynb::{IpynbOutput, IpynbOutputKind};

/// The metadata key (under `wirebook`) that holds a cell's expectations.
pub const EXPECT_KEY: &str = "expect";

/// One thing a cell's run must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    Text(String),
    Json(Value),
    Count(u64),
    Close(u16),
    Status(RunStatus),
}

/// A Jupyter `execute_reply`'s status as an expectation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    Error,
}

impl RunStatus {
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Error => "error",
        }
    }
}

impl Expectation {
    /// As it is written in the metadata: `{"count": 2}`.
    pub fn to_json(&self) -> Value {
        let (key, value) = match self {
            Expectation::Text(regex) => ("text", Value::from(regex.as_str())),
            Expectation::Json(subset) => ("json", subset.clone()),
            Expectation::Count(n) => ("count", Value::from(*n)),
            Expectation::Close(code) => ("close", Value::from(*code)),
            Expectation::Status(status) => ("status", Value::from(status.name())),
        };
        serde_json::json!({ key: value })
    }

    /// One line for a report: `text ~ "pong"`, `close 1000`.
    pub fn describe(&self) -> String {
        match self {
            Expectation::Text(regex) => format!("text ~ {regex:?}"),
            Expectation::Json(subset) => format!("json contains {subset}"),
            Expectation::Count(1) => "1 reply".to_string(),
            Expectation::Count(n) => format!("{n} replies"),
            Expectation::Close(code) => format!("close {code}"),
            Expectation::Status(status) => format!("status {}", status.name()),
        }
    }
}

/// The expectations in a cell's `wirebook` metadata (`None`, or no `expect` key: none), or
/// what is wrong with them, naming the item.
pub fn read(wirebook: Option<&Value>) -> Result<Vec<Expectation>, String> {
    let Some(value) = wirebook.and_then(|w| w.get(EXPECT_KEY)) else {
        return Ok(Vec::new());
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        _ => return Err("wirebook.expect must be a list of {\"text\": …}-like objects".into()),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| one(item).map_err(|e| format!("wirebook.expect[{i}]: {e}")))
        .collect()
}

/// Whether a cell's `wirebook` metadata lists any expectation, read without checking them (so
/// without the regex engine, which the page loads after its first paint).
pub fn any(wirebook: Option<&Value>) -> bool {
    match wirebook.and_then(|w| w.get(EXPECT_KEY)) {
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(_)) => true,
        _ => false,
    }
}

const KINDS: &str = "text, json, count, close or status";

/// The kinds, in the order a form offers them.
pub const FORM_KINDS: [&str; 5] = ["text", "json", "count", "close", "status"];

/// An expectation from a form: its kind and the value as typed (`json`'s is JSON; the others'
/// are the plain text or number), or what is wrong with it.
pub fn from_form(kind: &str, value: &str) -> Result<Expectation, String> {
    let value = value.trim();
    let json = match kind {
        "json" => serde_json::from_str(value).map_err(|e| format!("json: not JSON: {e}"))?,
        "count" | "close" => serde_json::Value::from(
            value
                .parse::<u64>()
                .map_err(|_| format!("{kind} is a whole number"))?,
        ),
        _ => serde_json::Value::from(value),
    };
    one(&serde_json::json!({ kind: json }))
}

fn one(item: &Value) -> Result<Expectation, String> {
    let Some(object) = item.as_object().filter(|o| o.len() == 1) else {
        return Err(format!(
            "each expectation is an object with one key: {KINDS}"
        ));
    };
    let (key, value) = object.iter().next().expect("one key");
    Ok(match key.as_str() {
        "text" => {
            let regex = value
                .as_str()
                .ok_or("text is a regular expression (a string)")?;
            pattern(regex)?;
            Expectation::Text(regex.to_string())
        }
        "json" => Expectation::Json(value.clone()),
        "count" => Expectation::Count(value.as_u64().ok_or("count is a whole number")?),
        "close" => Expectation::Close(
            value
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| (1000..5000).contains(c))
                .ok_or("close is a close code, 1000 to 4999")?,
        ),
        "status" => Expectation::Status(match value.as_str() {
            Some("ok") => RunStatus::Ok,
            Some("error") => RunStatus::Error,
            _ => return Err("status is \"ok\" or \"error\"".into()),
        }),
        other => return Err(format!("unknown expectation {other:?}; one of {KINDS}")),
    })
}

/// What a cell's run showed, as the expectations read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutcome {
    /// The replies (a WebSocket kernel's messages) or text outputs (a Jupyter cell's streams
    /// and plain-text results), in order; binary replies as lossy text.
    pub texts: Vec<String>,
    /// How many replies came (a Jupyter cell: its outputs).
    pub replies: u64,
    /// The peer's close code, if it closed.
    pub close: Option<u16>,
    /// A Jupyter cell's `execute_reply` status.
    pub status: Option<RunStatus>,
}

/// What a cell's outputs show, as the expectations read them: the browser checks a cell run in
/// the page (or saved by `wirebook run --output`) from its outputs. A Jupyter cell's status is
/// `error` when it has an error output, else `ok`; `close` is the kernel connection's, when it
/// closed after the cell.
pub fn outcome_of(outputs: &[IpynbOutput], jupyter: bool, close: Option<u16>) -> RunOutcome {
    let mut outcome = RunOutcome {
        close,
        ..RunOutcome::default()
    };
    let mut error = false;
    for output in outputs {
        let text = match &output.kind {
            IpynbOutputKind::Stream { text, .. } => Some(text.clone()),
            IpynbOutputKind::DisplayData { data, .. }
            | IpynbOutputKind::ExecuteResult { data, .. } => data
                .get("text/plain")
                .and_then(|d| d.as_text())
                .map(str::to_string),
            IpynbOutputKind::Error { ename, evalue, .. } => {
                error = true;
                Some(format!("{ename}: {evalue}"))
            }
        };
        outcome.replies += 1;
        outcome.texts.extend(text);
    }
    if jupyter {
        outcome.status = Some(if error {
            RunStatus::Error
        } else {
            RunStatus::Ok
        });
    }
    outcome
}

/// One expectation checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub expectation: Expectation,
    pub held: bool,
    /// What was seen instead, when it did not hold.
    pub seen: String,
}

/// Checks each expectation against `outcome`.
pub fn check(expectations: &[Expectation], outcome: &RunOutcome) -> Vec<Checked> {
    expectations
        .iter()
        .map(|expectation| {
            let (held, seen) = holds(expectation, outcome);
            Checked {
                expectation: expectation.clone(),
                held,
                seen: if held { String::new() } else { seen },
            }
        })
        .collect()
}

/// Whether every expectation holds (none: true).
pub fn all_hold(expectations: &[Expectation], outcome: &RunOutcome) -> bool {
    expectations.iter().all(|e| holds(e, outcome).0)
}

fn holds(expectation: &Expectation, outcome: &RunOutcome) -> (bool, String) {
    let replies = || {
        let last = outcome.texts.last().map(String::as_str).unwrap_or("");
        match outcome.texts.len() {
            0 => "no reply".to_string(),
            1 => format!("1 reply, {:?}", clip(last)),
            n => format!("{n} replies, the last {:?}", clip(last)),
        }
    };
    match expectation {
        Expectation::Text(regex) => match pattern(regex) {
            Ok(p) => (outcome.texts.iter().any(|t| p.is_match(t)), replies()),
            Err(e) => (false, e),
        },
        Expectation::Json(subset) => (
            outcome
                .texts
                .iter()
                .any(|t| serde_json::from_str::<Value>(t).is_ok_and(|v| contains(&v, subset))),
            replies(),
        ),
        Expectation::Count(n) => (
            outcome.replies >= *n,
            match outcome.replies {
                1 => "1 reply".to_string(),
                n => format!("{n} replies"),
            },
        ),
        Expectation::Close(code) => (
            outcome.close == Some(*code),
            outcome
                .close
                .map_or("no close".to_string(), |c| format!("close {c}")),
        ),
        Expectation::Status(status) => (
            outcome.status == Some(*status),
            outcome.status.map_or("no execute_reply".to_string(), |s| {
                format!("status {}", s.name())
            }),
        ),
    }
}

/// Whether `value` contains `subset` (see the module doc).
pub fn contains(value: &Value, subset: &Value) -> bool {
    match (value, subset) {
        (Value::Object(have), Value::Object(want)) => want
            .iter()
            .all(|(k, w)| have.get(k).is_some_and(|h| contains(h, w))),
        (Value::Array(have), Value::Array(want)) => {
            have.len() == want.len() && have.iter().zip(want).all(|(h, w)| contains(h, w))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => value == subset,
    }
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn expectations_read_from_metadata_or_say_what_is_wrong() {
        let wirebook = json!({"expect": [{"text": "^pong"}, {"count": 2}, {"close": 1000},
            {"json": {"type": "ack"}}, {"status": "ok"}]});
        let read = read(Some(&wirebook)).unwrap();
        assert_eq!(read.len(), 5);
        assert_eq!(read[1], Expectation::Count(2));
        assert_eq!(
            read.iter().map(Expectation::to_json).collect::<Vec<_>>(),
            wirebook["expect"].as_array().unwrap().clone()
        );
        assert_eq!(
            super::read(Some(&json!({"expect": {"count": 1}}))).unwrap(),
            [Expectation::Count(1)]
        );
        assert!(super::read(None).unwrap().is_empty());
        assert!(super::read(Some(&json!({"format": "json"})))
            .unwrap()
            .is_empty());
        for (bad, says) in [
            (
                json!({"expect": [{"txt": "a"}]}),
                "wirebook.expect[0]: unknown expectation \"txt\"",
            ),
            (
                json!({"expect": [{"count": 1}, {"close": 99}]}),
                "wirebook.expect[1]: close is",
            ),
            (
                json!({"expect": [{"text": "("}]}),
                "wirebook.expect[0]: invalid regular expression",
            ),
            (json!({"expect": [{"text": "a", "count": 1}]}), "one key"),
            (json!({"expect": 3}), "must be a list"),
            (
                json!({"expect": [{"status": "fine"}]}),
                "\"ok\" or \"error\"",
            ),
        ] {
            let error = super::read(Some(&bad)).unwrap_err();
            assert!(error.starts_with(says) || error.contains(says), "{error}");
        }
    }

    #[test]
    fn a_form_makes_each_kind() {
        assert_eq!(
            from_form("text", " ^pong$ "),
            Ok(Expectation::Text("^pong$".into()))
        );
        assert_eq!(
            from_form("json", r#"{"a": 1}"#),
            Ok(Expectation::Json(json!({"a": 1})))
        );
        assert_eq!(from_form("count", "2"), Ok(Expectation::Count(2)));
        assert_eq!(from_form("close", "1002"), Ok(Expectation::Close(1002)));
        assert_eq!(
            from_form("status", "error"),
            Ok(Expectation::Status(RunStatus::Error))
        );
        assert!(from_form("count", "two")
            .unwrap_err()
            .contains("whole number"));
        assert!(from_form("json", "{")
            .unwrap_err()
            .starts_with("json: not JSON"));
        assert!(from_form("text", "(")
            .unwrap_err()
            .contains("invalid regular expression"));
        assert!(from_form("nope", "x")
            .unwrap_err()
            .contains("unknown expectation"));
    }

    #[test]
    fn outputs_read_as_an_outcome() {
        use crate::ipynb::{MimeBundle, MimeData};
        use crate::session::WireData;
        let mut data = MimeBundle::new();
        data.insert("text/plain".into(), MimeData::Text("3".into()));
        let outputs = vec![
            IpynbOutput::new(IpynbOutputKind::Stream {
                name: "stdout".into(),
                text: "hi\n".into(),
            }),
            IpynbOutput::new(IpynbOutputKind::ExecuteResult {
                execution_count: Some(1),
                data,
                metadata: Default::default(),
            }),
        ];
        let ok = outcome_of(&outputs, true, None);
        assert_eq!(ok.texts, ["hi\n", "3"]);
        assert_eq!((ok.replies, ok.status), (2, Some(RunStatus::Ok)));
        let mut failed = outputs.clone();
        failed.push(IpynbOutput::new(IpynbOutputKind::Error {
            ename: "NameError".into(),
            evalue: "x".into(),
            traceback: vec![],
        }));
        assert_eq!(
            outcome_of(&failed, true, None).status,
            Some(RunStatus::Error)
        );
        let message = IpynbOutput::from_wire(&WireData::Text {
            text: "pong".into(),
        });
        let ws = outcome_of(&[message], false, Some(1000));
        assert_eq!(
            (ws.texts, ws.status, ws.close),
            (vec!["pong".to_string()], None, Some(1000))
        );
    }

    #[test]
    fn each_kind_checks_what_the_run_showed() {
        let outcome = RunOutcome {
            texts: vec![
                "hello".into(),
                r#"{"type":"ack","id":7,"tags":["a"]}"#.into(),
            ],
            replies: 2,
            close: Some(1000),
            status: None,
        };
        let holds = |e: Expectation| check(&[e], &outcome)[0].held;
        assert!(holds(Expectation::Text("^HELLO$".into())));
        assert!(!holds(Expectation::Text("bye".into())));
        assert!(holds(Expectation::Json(json!({"type": "ack"}))));
        assert!(holds(Expectation::Json(json!({"id": 7.0, "tags": ["a"]}))));
        assert!(!holds(Expectation::Json(json!({"tags": []}))));
        assert!(!holds(Expectation::Json(json!({"type": "nack"}))));
        assert!(holds(Expectation::Count(2)));
        assert!(!holds(Expectation::Count(3)));
        assert!(holds(Expectation::Close(1000)));
        assert!(!holds(Expectation::Close(1001)));
        assert!(!holds(Expectation::Status(RunStatus::Ok)));
        let failed = check(&[Expectation::Count(3), Expectation::Close(1001)], &outcome);
        assert_eq!(failed[0].seen, "2 replies");
        assert_eq!(failed[1].seen, "close 1000");
        assert!(!all_hold(
            &[Expectation::Count(1), Expectation::Count(3)],
            &outcome
        ));
        assert!(all_hold(&[], &RunOutcome::default()));
        let quiet = check(&[Expectation::Text("x".into())], &RunOutcome::default());
        assert_eq!(quiet[0].seen, "no reply");
    }
}
