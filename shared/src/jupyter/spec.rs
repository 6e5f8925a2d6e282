//! Jupyter's messaging spec (version 5.x) as checks on live traffic: each message against what
//! its msg_type must carry ([`check_message`]: the header's fields, the channel it belongs on,
//! the parent a reply answers, the content's required fields and their types), and each
//! kernel connection's requests against the replies and `status` messages that must follow
//! them ([`SpecCheck`]: one reply each, a `busy` before an `idle`, shell requests answered in
//! the order sent). What is wrong becomes findings on the record that shows it, in words.
//!
//! Written from the spec (jupyter-client's "Messaging in Jupyter", 5.4, and JEP 65's
//! `iopub_welcome`) as tables rather than
//! with a crate's message types: the point is to say what a peer got wrong, field by field,
//! where deserialising into a typed message would only fail (or silently default). Messages
//! the spec does not name (a kernel's own extensions) get one finding saying so and no more.

use std::collections::VecDeque;

use serde_json::Value;

use crate::direction::Direction;
use crate::jupyter::Channel;

/// What a content field must hold.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Int,
    Object,
    Array,
    /// An array of strings (a traceback, completion matches).
    StrList,
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

impl Kind {
    fn holds(self, value: &Value) -> bool {
        match self {
            Kind::Str => value.is_string(),
            Kind::Bool => value.is_boolean(),
            Kind::Int => value.is_i64() || value.is_u64(),
            Kind::Object => value.is_object(),
            Kind::Array => value.is_array(),
            Kind::StrList => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            Kind::OneOf(names) => value.as_str().is_some_and(|s| names.contains(&s)),
        }
    }

    fn describe(self) -> String {
        match self {
            Kind::Str => "a string".into(),
            Kind::Bool => "true or false".into(),
            Kind::Int => "an integer".into(),
            Kind::Object => "an object".into(),
            Kind::Array => "an array".into(),
            Kind::StrList => "an array of strings".into(),
            Kind::OneOf(names) => format!("one of {}", names.join(", ")),
        }
    }
}

/// A content field: its name, what it holds, and whether the spec requires it.
type Field = (&'static str, Kind, bool);

/// One msg_type of the spec: where it travels and what its content holds.
struct MsgSpec {
    msg_type: &'static str,
    channels: &'static [Channel],
    content: &'static [Field],
}

const REQ: bool = true;
const OPT: bool = false;
const SHELL: &[Channel] = &[Channel::Shell];
const CONTROL: &[Channel] = &[Channel::Control];
/// Requests a front end may send on shell or control (the spec allows both since 5.1).
const SHELL_OR_CONTROL: &[Channel] = &[Channel::Shell, Channel::Control];
const IOPUB: &[Channel] = &[Channel::Iopub];
const STDIN: &[Channel] = &[Channel::Stdin];
/// Comm messages go both ways: shell from the front end, iopub from the kernel.
const COMM: &[Channel] = &[Channel::Shell, Channel::Iopub];
const STATUS: Kind = Kind::OneOf(&["ok", "error", "aborted"]);

const SPECS: &[MsgSpec] = &[
    MsgSpec {
        msg_type: "execute_request",
        channels: SHELL,
        content: &[
            ("code", Kind::Str, REQ),
            ("silent", Kind::Bool, REQ),
            ("store_history", Kind::Bool, OPT),
            ("user_expressions", Kind::Object, OPT),
            ("allow_stdin", Kind::Bool, OPT),
            ("stop_on_error", Kind::Bool, OPT),
        ],
    },
    MsgSpec {
        msg_type: "execute_reply",
        channels: SHELL,
        content: &[
            ("status", STATUS, REQ),
            ("execution_count", Kind::Int, REQ),
            ("user_expressions", Kind::Object, OPT),
            ("payload", Kind::Array, OPT),
        ],
    },
    MsgSpec {
        msg_type: "inspect_request",
        channels: SHELL,
        content: &[
            ("code", Kind::Str, REQ),
            ("cursor_pos", Kind::Int, REQ),
            ("detail_level", Kind::Int, OPT),
        ],
    },
    MsgSpec {
        msg_type: "inspect_reply",
        channels: SHELL,
        content: &[
            ("status", STATUS, REQ),
            ("found", Kind::Bool, OPT),
            ("data", Kind::Object, OPT),
            ("metadata", Kind::Object, OPT),
        ],
    },
    MsgSpec {
        msg_type: "complete_request",
        channels: SHELL,
        content: &[("code", Kind::Str, REQ), ("cursor_pos", Kind::Int, REQ)],
    },
    MsgSpec {
        msg_type: "complete_reply",
        channels: SHELL,
        content: &[
            ("status", STATUS, REQ),
            ("matches", Kind::StrList, OPT),
            ("cursor_start", Kind::Int, OPT),
            ("cursor_end", Kind::Int, OPT),
            ("metadata", Kind::Object, OPT),
        ],
    },
    MsgSpec {
        msg_type: "history_request",
        channels: SHELL,
        content: &[
            ("output", Kind::Bool, REQ),
            ("raw", Kind::Bool, REQ),
            (
                "hist_access_type",
                Kind::OneOf(&["range", "tail", "search"]),
                REQ,
            ),
            ("session", Kind::Int, OPT),
            ("start", Kind::Int, OPT),
            ("stop", Kind::Int, OPT),
            ("n", Kind::Int, OPT),
            ("pattern", Kind::Str, OPT),
            ("unique", Kind::Bool, OPT),
        ],
    },
    MsgSpec {
        msg_type: "history_reply",
        channels: SHELL,
        content: &[("status", STATUS, REQ), ("history", Kind::Array, OPT)],
    },
    MsgSpec {
        msg_type: "is_complete_request",
        channels: SHELL,
        content: &[("code", Kind::Str, REQ)],
    },
    MsgSpec {
        msg_type: "is_complete_reply",
        channels: SHELL,
        content: &[
            (
                "status",
                Kind::OneOf(&["complete", "incomplete", "invalid", "unknown"]),
                REQ,
            ),
            ("indent", Kind::Str, OPT),
        ],
    },
    MsgSpec {
        msg_type: "comm_info_request",
        channels: SHELL,
        content: &[("target_name", Kind::Str, OPT)],
    },
    MsgSpec {
        msg_type: "comm_info_reply",
        channels: SHELL,
        content: &[("status", STATUS, REQ), ("comms", Kind::Object, OPT)],
    },
    MsgSpec {
        msg_type: "kernel_info_request",
        channels: SHELL_OR_CONTROL,
        content: &[],
    },
    MsgSpec {
        msg_type: "kernel_info_reply",
        channels: SHELL_OR_CONTROL,
        content: &[
            ("status", STATUS, REQ),
            ("protocol_version", Kind::Str, REQ),
            ("implementation", Kind::Str, REQ),
            ("implementation_version", Kind::Str, REQ),
            ("language_info", Kind::Object, REQ),
            ("banner", Kind::Str, REQ),
            ("help_links", Kind::Array, OPT),
            ("debugger", Kind::Bool, OPT),
        ],
    },
    MsgSpec {
        msg_type: "shutdown_request",
        channels: SHELL_OR_CONTROL,
        content: &[("restart", Kind::Bool, REQ)],
    },
    MsgSpec {
        msg_type: "shutdown_reply",
        channels: SHELL_OR_CONTROL,
        content: &[("status", STATUS, REQ), ("restart", Kind::Bool, REQ)],
    },
    MsgSpec {
        msg_type: "interrupt_request",
        channels: CONTROL,
        content: &[],
    },
    MsgSpec {
        msg_type: "interrupt_reply",
        channels: CONTROL,
        content: &[("status", STATUS, REQ)],
    },
    MsgSpec {
        msg_type: "debug_request",
        channels: CONTROL,
        content: &[],
    },
    MsgSpec {
        msg_type: "debug_reply",
        channels: CONTROL,
        content: &[],
    },
    MsgSpec {
        msg_type: "comm_open",
        channels: COMM,
        content: &[
            ("comm_id", Kind::Str, REQ),
            ("target_name", Kind::Str, REQ),
            ("data", Kind::Object, OPT),
        ],
    },
    MsgSpec {
        msg_type: "comm_msg",
        channels: COMM,
        content: &[("comm_id", Kind::Str, REQ), ("data", Kind::Object, OPT)],
    },
    MsgSpec {
        msg_type: "comm_close",
        channels: COMM,
        content: &[("comm_id", Kind::Str, REQ), ("data", Kind::Object, OPT)],
    },
    MsgSpec {
        msg_type: "stream",
        channels: IOPUB,
        content: &[
            ("name", Kind::OneOf(&["stdout", "stderr"]), REQ),
            ("text", Kind::Str, REQ),
        ],
    },
    MsgSpec {
        msg_type: "display_data",
        channels: IOPUB,
        content: &[
            ("data", Kind::Object, REQ),
            ("metadata", Kind::Object, REQ),
            ("transient", Kind::Object, OPT),
        ],
    },
    MsgSpec {
        msg_type: "update_display_data",
        channels: IOPUB,
        content: &[
            ("data", Kind::Object, REQ),
            ("metadata", Kind::Object, REQ),
            ("transient", Kind::Object, REQ),
        ],
    },
    MsgSpec {
        msg_type: "execute_input",
        channels: IOPUB,
        content: &[
            ("code", Kind::Str, REQ),
            ("execution_count", Kind::Int, REQ),
        ],
    },
    MsgSpec {
        msg_type: "execute_result",
        channels: IOPUB,
        content: &[
            ("execution_count", Kind::Int, REQ),
            ("data", Kind::Object, REQ),
            ("metadata", Kind::Object, REQ),
        ],
    },
    MsgSpec {
        msg_type: "error",
        channels: IOPUB,
        content: &[
            ("ename", Kind::Str, REQ),
            ("evalue", Kind::Str, REQ),
            ("traceback", Kind::StrList, REQ),
        ],
    },
    MsgSpec {
        msg_type: "status",
        channels: IOPUB,
        content: &[(
            "execution_state",
            Kind::OneOf(&["busy", "idle", "starting"]),
            REQ,
        )],
    },
    MsgSpec {
        msg_type: "clear_output",
        channels: IOPUB,
        content: &[("wait", Kind::Bool, REQ)],
    },
    MsgSpec {
        // JEP 65: a kernel whose iopub is an XPUB socket greets each new subscriber.
        msg_type: "iopub_welcome",
        channels: IOPUB,
        content: &[("subscription", Kind::Str, REQ)],
    },
    MsgSpec {
        msg_type: "debug_event",
        channels: IOPUB,
        content: &[],
    },
    MsgSpec {
        msg_type: "input_request",
        channels: STDIN,
        content: &[("prompt", Kind::Str, REQ), ("password", Kind::Bool, REQ)],
    },
    MsgSpec {
        msg_type: "input_reply",
        channels: STDIN,
        content: &[("value", Kind::Str, REQ)],
    },
];

/// What a reply with `status: "error"` adds to its content.
const ERROR_FIELDS: &[Field] = &[
    ("ename", Kind::Str, REQ),
    ("evalue", Kind::Str, REQ),
    ("traceback", Kind::StrList, REQ),
];

/// What a successful reply of these msg_types must carry (their fields are optional above
/// because an error reply carries none of them).
const OK_FIELDS: &[(&str, &[&str])] = &[
    ("inspect_reply", &["found", "data", "metadata"]),
    (
        "complete_reply",
        &["matches", "cursor_start", "cursor_end", "metadata"],
    ),
    ("history_reply", &["history"]),
    ("comm_info_reply", &["comms"]),
];

/// The header's fields, all strings.
const HEADER_FIELDS: [&str; 6] = [
    "msg_id", "session", "username", "date", "msg_type", "version",
];

/// Checks one message against the spec; empty when it holds.
pub fn check_message(
    channel: Channel,
    header: &Value,
    parent_header: &Value,
    content: &Value,
) -> Vec<String> {
    let mut findings = Vec::new();
    if channel == Channel::Heartbeat || !header.is_object() {
        // Heartbeats are not messages; a header that is not an object has its own finding.
        return findings;
    }
    for name in HEADER_FIELDS {
        match header.get(name) {
            None => findings.push(format!("the header has no {name} (spec 5.x)")),
            Some(value) if !value.is_string() => {
                findings.push(format!("the header's {name} is not a string"))
            }
            Some(_) => {}
        }
    }
    if let Some(version) = header.get("version").and_then(Value::as_str) {
        if !version.starts_with("5.") {
            findings.push(format!(
                "the header says protocol version {version:?}; this spec is 5.x"
            ));
        }
    }
    let Some(msg_type) = header.get("msg_type").and_then(Value::as_str) else {
        return findings;
    };
    let Some(spec) = SPECS.iter().find(|spec| spec.msg_type == msg_type) else {
        findings.push(format!(
            "{msg_type} is not a message type of the messaging spec (a kernel's own extension?)"
        ));
        return findings;
    };
    if !spec.channels.contains(&channel) {
        let names: Vec<&str> = spec.channels.iter().map(|c| c.name()).collect();
        findings.push(format!(
            "{msg_type} belongs on {}, not {}",
            names.join(" or "),
            channel.name()
        ));
    }
    if let Some(request) = msg_type.strip_suffix("_reply") {
        let expected = format!("{request}_request");
        match parent_header.get("msg_type").and_then(Value::as_str) {
            None => findings.push(format!(
                "{msg_type} has no parent header naming the {expected} it answers"
            )),
            Some(parent) if parent != expected => {
                findings.push(format!("{msg_type} answers a {parent}, not a {expected}"))
            }
            Some(_) => {}
        }
    }
    let Some(fields) = content.as_object() else {
        findings.push(format!("{msg_type}'s content is not an object"));
        return findings;
    };
    let mut check = |(name, kind, required): Field| match fields.get(name) {
        None if required => findings.push(format!("{msg_type}'s content has no {name}")),
        None => {}
        Some(value) if !kind.holds(value) => findings.push(format!(
            "{msg_type}'s {name} should be {}, not {}",
            kind.describe(),
            shown(value)
        )),
        Some(_) => {}
    };
    for field in spec.content {
        check(*field);
    }
    match fields.get("status").and_then(Value::as_str) {
        Some("error") if msg_type.ends_with("_reply") => {
            for field in ERROR_FIELDS {
                check(*field);
            }
        }
        Some("ok") => {
            let required = OK_FIELDS
                .iter()
                .find(|(name, _)| *name == msg_type)
                .map_or(&[][..], |(_, names)| names);
            // Their types were checked above; here only that they are there.
            for name in required {
                if !fields.contains_key(*name) {
                    findings.push(format!("{msg_type}'s content has no {name}"));
                }
            }
        }
        _ => {}
    }
    findings
}

/// A value as a finding quotes it: short.
fn shown(value: &Value) -> String {
    const MAX: usize = 40;
    let text = value.to_string();
    if text.len() <= MAX {
        return text;
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

/// Requests followed at once; older ones are forgotten (a kernel that never answers must not
/// grow the checker without bound).
const MAX_PENDING: usize = 1024;

/// A request sent on a kernel connection, and what of its answer has been seen.
#[derive(Debug)]
struct Pending {
    msg_id: String,
    msg_type: String,
    channel: Channel,
    busy: bool,
    idle: bool,
    replied: bool,
    /// A finding already said this request went unanswered past a later one.
    overtaken: bool,
    /// Iopub had delivered a message before this request went: its `busy` cannot have been
    /// published before the subscription took (ZeroMQ's slow joiner), so a missing one is
    /// the kernel's doing.
    iopub_live: bool,
}

/// One kernel connection's requests checked against what follows them: every request gets
/// one reply and one `busy` → `idle` pair on iopub, and shell requests are answered in the
/// order sent (a kernel handles shell one request at a time). Feed it every message of the
/// connection, both ways, in the order recorded; it also runs [`check_message`].
#[derive(Debug, Default)]
pub struct SpecCheck {
    pending: VecDeque<Pending>,
    /// A message has come on iopub: the subscription is in effect.
    iopub_live: bool,
}

impl SpecCheck {
    /// Findings for one message of the connection.
    pub fn observe(
        &mut self,
        channel: Channel,
        direction: Direction,
        header: &Value,
        parent_header: &Value,
        content: &Value,
    ) -> Vec<String> {
        let mut findings = check_message(channel, header, parent_header, content);
        fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
            value.get(key).and_then(Value::as_str)
        }
        let (Some(msg_type), Some(msg_id)) = (text(header, "msg_type"), text(header, "msg_id"))
        else {
            return findings;
        };
        let parent = text(parent_header, "msg_id").filter(|id| !id.is_empty());
        match direction {
            Direction::ToServer => {
                let asks = matches!(channel, Channel::Shell | Channel::Control)
                    && msg_type.ends_with("_request");
                if asks {
                    if self.pending.len() == MAX_PENDING {
                        self.pending.pop_front();
                    }
                    self.pending.push_back(Pending {
                        msg_id: msg_id.to_string(),
                        msg_type: msg_type.to_string(),
                        channel,
                        busy: false,
                        idle: false,
                        replied: false,
                        overtaken: false,
                        iopub_live: self.iopub_live,
                    });
                }
            }
            Direction::ToClient => {
                if channel == Channel::Iopub {
                    self.iopub_live = true;
                }
                if let Some(parent) = parent {
                    if msg_type == "status" && channel == Channel::Iopub {
                        let state = text(content, "execution_state").unwrap_or_default();
                        self.status(parent, state, &mut findings);
                    } else if msg_type.ends_with("_reply") {
                        self.reply(parent, msg_type, channel, &mut findings);
                    }
                }
            }
        }
        findings
    }

    /// The requests still waiting for their reply or their `idle`, oldest first: what a
    /// connection that ends leaves unanswered.
    pub fn unanswered(&self) -> Vec<String> {
        self.pending
            .iter()
            .filter(|p| !p.replied || !p.idle)
            .map(|p| {
                let missing = match (p.replied, p.idle) {
                    (false, false) => "its reply and its idle status",
                    (false, true) => "its reply",
                    _ => "its idle status",
                };
                format!("{} {} never got {missing}", p.msg_type, p.msg_id)
            })
            .collect()
    }

    fn find(&mut self, msg_id: &str) -> Option<usize> {
        self.pending.iter().position(|p| p.msg_id == msg_id)
    }

    fn status(&mut self, parent: &str, state: &str, findings: &mut Vec<String>) {
        let Some(index) = self.find(parent) else {
            return;
        };
        let pending = &mut self.pending[index];
        match state {
            "busy" if pending.idle => findings.push(format!(
                "busy for {} {parent} after its idle",
                pending.msg_type
            )),
            "busy" if pending.busy => {
                findings.push(format!("a second busy for {} {parent}", pending.msg_type))
            }
            "busy" => pending.busy = true,
            "idle" if pending.idle => {
                findings.push(format!("a second idle for {} {parent}", pending.msg_type))
            }
            "idle" => {
                if !pending.busy && pending.iopub_live {
                    findings.push(format!(
                        "idle for {} {parent} without a busy before it",
                        pending.msg_type
                    ));
                }
                pending.idle = true;
            }
            _ => {}
        }
        self.forget_answered(index);
    }

    fn reply(
        &mut self,
        parent: &str,
        msg_type: &str,
        channel: Channel,
        findings: &mut Vec<String>,
    ) {
        let Some(index) = self.find(parent) else {
            return;
        };
        if self.pending[index].replied {
            findings.push(format!(
                "a second {msg_type} to {} {parent}",
                self.pending[index].msg_type
            ));
            return;
        }
        self.pending[index].replied = true;
        if channel == Channel::Shell {
            for earlier in self.pending.iter_mut().take(index) {
                if earlier.channel == Channel::Shell && !earlier.replied && !earlier.overtaken {
                    earlier.overtaken = true;
                    findings.push(format!(
                        "{} {} was sent before {parent} and has no reply yet: a kernel \
                         answers shell requests in the order sent",
                        earlier.msg_type, earlier.msg_id
                    ));
                }
            }
        }
        self.forget_answered(index);
    }

    /// A request with its reply and its idle needs no more watching.
    fn forget_answered(&mut self, index: usize) {
        if self.pending[index].replied && self.pending[index].idle {
            self.pending.remove(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn header(msg_type: &str, msg_id: &str) -> Value {
        json!({
            "msg_id": msg_id,
            "session": "s",
            "username": "u",
            "date": "2026-12-03T18:00:00.000000Z",
            "msg_type": msg_type,
            "version": "5.3",
        })
    }

    fn parent(msg_type: &str, msg_id: &str) -> Value {
        header(msg_type, msg_id)
    }

    #[test]
    fn a_well_formed_exchange_has_no_findings() {
        let mut check = SpecCheck::default();
        let request = header("execute_request", "r1");
        let sent = [
            (
                Channel::Shell,
                Direction::ToServer,
                request.clone(),
                json!({}),
                json!({"code": "1+1", "silent": false, "store_history": true,
                       "user_expressions": {}, "allow_stdin": true, "stop_on_error": true}),
            ),
            (
                Channel::Iopub,
                Direction::ToClient,
                header("status", "k1"),
                request.clone(),
                json!({"execution_state": "busy"}),
            ),
            (
                Channel::Iopub,
                Direction::ToClient,
                header("execute_input", "k2"),
                request.clone(),
                json!({"code": "1+1", "execution_count": 1}),
            ),
            (
                Channel::Iopub,
                Direction::ToClient,
                header("execute_result", "k3"),
                request.clone(),
                json!({"execution_count": 1, "data": {"text/plain": "2"}, "metadata": {}}),
            ),
            (
                Channel::Shell,
                Direction::ToClient,
                header("execute_reply", "k4"),
                request.clone(),
                json!({"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []}),
            ),
            (
                Channel::Iopub,
                Direction::ToClient,
                header("status", "k5"),
                request,
                json!({"execution_state": "idle"}),
            ),
        ];
        for (channel, direction, header, parent, content) in sent {
            let findings = check.observe(channel, direction, &header, &parent, &content);
            assert!(findings.is_empty(), "{header}: {findings:?}");
        }
        assert!(check.unanswered().is_empty());
        assert!(check.pending.is_empty());
    }

    #[test]
    fn the_header_needs_every_field_as_a_string_and_version_5() {
        let mut h = header("kernel_info_request", "m");
        h.as_object_mut().unwrap().remove("date");
        h["session"] = json!(7);
        h["version"] = json!("4.1");
        let findings = check_message(Channel::Shell, &h, &json!({}), &json!({}));
        assert_eq!(
            findings,
            [
                "the header's session is not a string",
                "the header has no date (spec 5.x)",
                "the header says protocol version \"4.1\"; this spec is 5.x",
            ]
        );
    }

    #[test]
    fn content_fields_are_required_and_typed() {
        let findings = check_message(
            Channel::Iopub,
            &header("stream", "m"),
            &json!({}),
            &json!({"name": "stdlog", "text": ["a"]}),
        );
        assert_eq!(
            findings,
            [
                "stream's name should be one of stdout, stderr, not \"stdlog\"",
                "stream's text should be a string, not [\"a\"]",
            ]
        );
        let findings = check_message(
            Channel::Shell,
            &header("execute_request", "m"),
            &json!({}),
            &json!({"silent": false}),
        );
        assert_eq!(findings, ["execute_request's content has no code"]);
        let findings = check_message(
            Channel::Shell,
            &header("execute_request", "m"),
            &json!({}),
            &json!([1]),
        );
        assert_eq!(findings, ["execute_request's content is not an object"]);
    }

    #[test]
    fn an_error_reply_needs_its_traceback_and_an_ok_reply_its_fields() {
        let reply = header("complete_reply", "m");
        let request = parent("complete_request", "r");
        let error = check_message(
            Channel::Shell,
            &reply,
            &request,
            &json!({"status": "error", "ename": "E", "evalue": "v"}),
        );
        assert_eq!(error, ["complete_reply's content has no traceback"]);
        let ok = check_message(
            Channel::Shell,
            &reply,
            &request,
            &json!({"status": "ok", "matches": ["a", 1], "cursor_start": 0, "cursor_end": 1}),
        );
        assert_eq!(
            ok,
            [
                "complete_reply's matches should be an array of strings, not [\"a\",1]",
                "complete_reply's content has no metadata",
            ]
        );
    }

    #[test]
    fn messages_on_the_wrong_channel_or_answering_the_wrong_request() {
        let findings = check_message(
            Channel::Shell,
            &header("status", "m"),
            &json!({}),
            &json!({"execution_state": "idle"}),
        );
        assert_eq!(findings, ["status belongs on iopub, not shell"]);
        let findings = check_message(
            Channel::Shell,
            &header("execute_reply", "m"),
            &parent("kernel_info_request", "r"),
            &json!({"status": "ok", "execution_count": 1}),
        );
        assert_eq!(
            findings,
            ["execute_reply answers a kernel_info_request, not a execute_request"]
        );
        let findings = check_message(
            Channel::Control,
            &header("interrupt_reply", "m"),
            &json!({}),
            &json!({"status": "ok"}),
        );
        assert_eq!(
            findings,
            ["interrupt_reply has no parent header naming the interrupt_request it answers"]
        );
        let findings = check_message(
            Channel::Shell,
            &header("usage_request", "m"),
            &json!({}),
            &json!({}),
        );
        assert_eq!(
            findings,
            ["usage_request is not a message type of the messaging spec (a kernel's own extension?)"]
        );
        // Heartbeats are not messages at all.
        assert!(
            check_message(Channel::Heartbeat, &json!(null), &json!(null), &json!(null)).is_empty()
        );
    }

    #[test]
    fn long_values_are_quoted_short() {
        let findings = check_message(
            Channel::Stdin,
            &header("input_reply", "m"),
            &parent("input_request", "r"),
            &json!({"value": ["é".repeat(40)]}),
        );
        assert_eq!(findings.len(), 1);
        assert!(findings[0].ends_with('…'), "{}", findings[0]);
        assert!(findings[0].len() < 120, "{}", findings[0]);
    }

    /// Feeds `check` one message with an empty valid content for its type's checks to pass
    /// where it matters (the flow's findings are what these tests look at).
    fn feed(
        check: &mut SpecCheck,
        channel: Channel,
        direction: Direction,
        msg_type: &str,
        msg_id: &str,
        parent: Option<(&str, &str)>,
        content: Value,
    ) -> Vec<String> {
        let parent = parent.map_or(json!({}), |(t, id)| super::tests::parent(t, id));
        check.observe(
            channel,
            direction,
            &header(msg_type, msg_id),
            &parent,
            &content,
        )
    }

    fn flow_only(findings: Vec<String>) -> Vec<String> {
        findings
            .into_iter()
            .filter(|f| !f.contains("content"))
            .collect()
    }

    #[test]
    fn an_idle_without_its_busy_is_said_only_once_iopub_was_live() {
        let mut check = SpecCheck::default();
        let idle = |check: &mut SpecCheck, id: &str| {
            feed(
                check,
                Channel::Iopub,
                Direction::ToClient,
                "status",
                "k",
                Some(("kernel_info_request", id)),
                json!({"execution_state": "idle"}),
            )
        };
        // Sent before anything came on iopub: its busy may have gone before the subscription.
        feed(
            &mut check,
            Channel::Shell,
            Direction::ToServer,
            "kernel_info_request",
            "early",
            None,
            json!({}),
        );
        assert!(idle(&mut check, "early").is_empty());
        feed(
            &mut check,
            Channel::Shell,
            Direction::ToServer,
            "kernel_info_request",
            "late",
            None,
            json!({}),
        );
        assert_eq!(
            idle(&mut check, "late"),
            ["idle for kernel_info_request late without a busy before it"]
        );
    }

    #[test]
    fn idle_without_busy_and_doubled_replies_are_findings() {
        let mut check = SpecCheck::default();
        // Iopub is live (the kernel's starting status came through).
        feed(
            &mut check,
            Channel::Iopub,
            Direction::ToClient,
            "status",
            "s",
            None,
            json!({"execution_state": "starting"}),
        );
        let sent = feed(
            &mut check,
            Channel::Control,
            Direction::ToServer,
            "interrupt_request",
            "r1",
            None,
            json!({}),
        );
        assert!(sent.is_empty(), "{sent:?}");
        let idle = feed(
            &mut check,
            Channel::Iopub,
            Direction::ToClient,
            "status",
            "k1",
            Some(("interrupt_request", "r1")),
            json!({"execution_state": "idle"}),
        );
        assert_eq!(
            idle,
            ["idle for interrupt_request r1 without a busy before it"]
        );
        let reply = |check: &mut SpecCheck| {
            feed(
                check,
                Channel::Control,
                Direction::ToClient,
                "interrupt_reply",
                "k2",
                Some(("interrupt_request", "r1")),
                json!({"status": "ok"}),
            )
        };
        assert!(reply(&mut check).is_empty());
        // Answered and idle: forgotten, so a late duplicate is not followed any more.
        assert!(check.unanswered().is_empty());
        assert!(reply(&mut check).is_empty());
    }

    #[test]
    fn a_second_reply_before_the_idle_is_a_finding() {
        let mut check = SpecCheck::default();
        feed(
            &mut check,
            Channel::Shell,
            Direction::ToServer,
            "kernel_info_request",
            "r",
            None,
            json!({}),
        );
        let reply = json!({"status": "ok", "protocol_version": "5.3", "implementation": "i",
                           "implementation_version": "1", "language_info": {"name": "python"},
                           "banner": ""});
        let first = feed(
            &mut check,
            Channel::Shell,
            Direction::ToClient,
            "kernel_info_reply",
            "a",
            Some(("kernel_info_request", "r")),
            reply.clone(),
        );
        assert!(first.is_empty(), "{first:?}");
        let second = feed(
            &mut check,
            Channel::Shell,
            Direction::ToClient,
            "kernel_info_reply",
            "b",
            Some(("kernel_info_request", "r")),
            reply,
        );
        assert_eq!(
            second,
            ["a second kernel_info_reply to kernel_info_request r"]
        );
        assert_eq!(
            check.unanswered(),
            ["kernel_info_request r never got its idle status"]
        );
    }

    #[test]
    fn shell_replies_out_of_order_name_the_request_left_behind() {
        let mut check = SpecCheck::default();
        for id in ["r1", "r2"] {
            feed(
                &mut check,
                Channel::Shell,
                Direction::ToServer,
                "execute_request",
                id,
                None,
                json!({"code": "", "silent": false}),
            );
        }
        let reply = |check: &mut SpecCheck, id: &str| {
            flow_only(feed(
                check,
                Channel::Shell,
                Direction::ToClient,
                "execute_reply",
                "k",
                Some(("execute_request", id)),
                json!({"status": "ok", "execution_count": 1}),
            ))
        };
        assert_eq!(
            reply(&mut check, "r2"),
            ["execute_request r1 was sent before r2 and has no reply yet: a kernel answers shell requests in the order sent"]
        );
        // Said once.
        assert!(reply(&mut check, "r1").is_empty());
        assert_eq!(
            check.unanswered(),
            [
                "execute_request r1 never got its idle status",
                "execute_request r2 never got its idle status",
            ]
        );
    }

    #[test]
    fn busy_twice_or_after_idle() {
        let mut check = SpecCheck::default();
        feed(
            &mut check,
            Channel::Shell,
            Direction::ToServer,
            "execute_request",
            "r",
            None,
            json!({"code": "", "silent": false}),
        );
        let status = |check: &mut SpecCheck, state: &str| {
            feed(
                check,
                Channel::Iopub,
                Direction::ToClient,
                "status",
                "k",
                Some(("execute_request", "r")),
                json!({"execution_state": state}),
            )
        };
        assert!(status(&mut check, "busy").is_empty());
        assert_eq!(
            status(&mut check, "busy"),
            ["a second busy for execute_request r"]
        );
        assert!(status(&mut check, "idle").is_empty());
        assert_eq!(
            status(&mut check, "busy"),
            ["busy for execute_request r after its idle"]
        );
        assert_eq!(
            status(&mut check, "idle"),
            ["a second idle for execute_request r"]
        );
    }

    #[test]
    fn the_checker_keeps_a_bounded_number_of_requests() {
        let mut check = SpecCheck::default();
        for i in 0..MAX_PENDING + 10 {
            feed(
                &mut check,
                Channel::Shell,
                Direction::ToServer,
                "kernel_info_request",
                &format!("r{i}"),
                None,
                json!({}),
            );
        }
        assert_eq!(check.pending.len(), MAX_PENDING);
        assert_eq!(check.pending[0].msg_id, "r10");
        // Replies and statuses for forgotten or unknown requests say nothing.
        let unknown = feed(
            &mut check,
            Channel::Iopub,
            Direction::ToClient,
            "status",
            "k",
            Some(("execute_request", "r0")),
            json!({"execution_state": "idle"}),
        );
        assert!(unknown.is_empty(), "{unknown:?}");
    }
}
