//! What the status bar says about the session socket and the kernel, as plain values.
//!
//! `data_state` strings are part of the DOM contract the e2e suite reads.

use wirebook_shared::session::KernelState;

/// The browser's `/session` connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Opening the socket; `attempt` counts tries since the last success (0 = first).
    Connecting { attempt: u32 },
    /// The server said hello.
    Open,
    /// Down; the next attempt is `retry_in_s` seconds away. `reason` says how it ended.
    Closed { reason: String, retry_in_s: u32 },
}

impl Connection {
    pub fn data_state(&self) -> &'static str {
        match self {
            Connection::Connecting { .. } => "connecting",
            Connection::Open => "open",
            Connection::Closed { .. } => "closed",
        }
    }

    pub fn label(&self) -> String {
        match self {
            Connection::Connecting { attempt: 0 } => "connecting…".to_string(),
            Connection::Connecting { attempt } => {
                format!("reconnecting… (attempt {})", attempt + 1)
            }
            Connection::Open => "connected".to_string(),
            Connection::Closed { reason, retry_in_s } => {
                format!("disconnected ({reason}) — retrying in {retry_in_s}s")
            }
        }
    }
}

/// `data-state` of the kernel status.
pub fn kernel_data_state(state: &KernelState) -> &'static str {
    match state {
        KernelState::Connecting => "connecting",
        KernelState::Open { .. } => "open",
        KernelState::Reconnecting { .. } => "reconnecting",
        KernelState::Closed { .. } => "closed",
        KernelState::Failed { .. } => "failed",
    }
}

/// The kernel status text, with the close code or failure message when there is one.
pub fn kernel_label(state: &KernelState) -> String {
    match state {
        KernelState::Connecting => "connecting…".to_string(),
        KernelState::Open {
            protocol,
            extensions,
        } => std::iter::once("open")
            .chain(protocol.as_deref())
            .chain(extensions.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" · "),
        KernelState::Reconnecting {
            attempt,
            delay_ms,
            reason,
            lost,
        } => {
            let mut text = format!("reconnecting in {} (attempt {attempt})", seconds(*delay_ms));
            if !reason.is_empty() {
                text.push_str(&format!(": {}", first_clause(reason)));
            }
            if !lost.is_empty() && lost != reason {
                text.push_str(&format!(" · lost: {}", close_name(lost)));
            }
            text
        }
        KernelState::Closed { code, reason } => {
            let mut text = "closed".to_string();
            if let Some(code) = code {
                text.push_str(&format!(" {code}"));
            }
            if !reason.is_empty() {
                text.push_str(&format!(": {reason}"));
            }
            text
        }
        KernelState::Failed { message } => format!("failed: {}", first_clause(message)),
    }
}

/// The short form of how a connection ended: just the code and its name when the text starts
/// with them ("1006 Abnormal Closure: the kernel dropped…"), else its first clause.
fn close_name(reason: &str) -> String {
    match reason.split_once(": ") {
        Some((name, _))
            if name.len() > 5 && name.as_bytes()[..4].iter().all(u8::is_ascii_digit) =>
        {
            name.to_string()
        }
        _ => first_clause(reason),
    }
}

/// A delay for people: "800 ms", "1.2 s", "30 s".
pub fn seconds(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..10_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} s", (ms + 500) / 1000),
    }
}

/// The start of a long message, up to its first `;` or sentence end (at most 100 characters),
/// for places with room for one line: the full text goes into the notice and the tooltip.
pub fn first_clause(message: &str) -> String {
    let end = [";", ". ", "\n"]
        .iter()
        .filter_map(|stop| message.find(stop))
        .min()
        .unwrap_or(message.len());
    let clause = &message[..end];
    match clause.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &clause[..cut]),
        None => clause.to_string(),
    }
}

/// What the kernel is doing, as Jupyter shows it: an empty circle when idle, a filled one when
/// busy, and a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// `data-state` of the indicator: starting, restarting, idle, busy, connected, dead.
    pub state: &'static str,
    pub symbol: &'static str,
    pub word: &'static str,
}

/// The activity shown for a kernel in `state` whose last iopub `status` said `execution`
/// (`None` for kernels that send none, such as WebSocket endpoints). `restarting` is set
/// while a restart the user asked for is under way.
pub fn activity(state: &KernelState, execution: Option<&str>, restarting: bool) -> Activity {
    let (state, symbol, word) = match (state, execution) {
        // A restart closes the old kernel first.
        (KernelState::Connecting | KernelState::Closed { .. }, _) if restarting => {
            ("restarting", "◌", "restarting")
        }
        (KernelState::Connecting, _) | (KernelState::Open { .. }, Some("starting")) => {
            ("starting", "◌", "starting")
        }
        (KernelState::Open { .. }, Some("busy")) => ("busy", "●", "busy"),
        (KernelState::Open { .. }, Some("idle")) => ("idle", "○", "idle"),
        (KernelState::Open { .. }, Some("restarting")) => ("restarting", "◌", "restarting"),
        (KernelState::Open { .. }, Some("dead")) => ("dead", "✕", "dead"),
        (KernelState::Open { .. }, _) => ("connected", "○", "connected"),
        (KernelState::Reconnecting { .. }, _) => ("reconnecting", "◌", "reconnecting"),
        (KernelState::Closed { .. } | KernelState::Failed { .. }, _) => ("dead", "✕", "dead"),
    };
    Activity {
        state,
        symbol,
        word,
    }
}

/// What went wrong with the kernel, to be shown prominently with a Restart action: a failure
/// ("the kernel died (exit status 1)", "cannot connect…"), or why it closed. `None` while it
/// runs or starts.
pub fn kernel_problem(state: &KernelState) -> Option<String> {
    match state {
        KernelState::Failed { message } => Some(message.clone()),
        KernelState::Closed { reason, .. } if !reason.is_empty() => {
            Some(format!("the kernel connection closed: {reason}"))
        }
        KernelState::Closed {
            code: Some(code), ..
        } => Some(format!("the kernel connection closed ({code})")),
        KernelState::Closed { .. } => Some("the kernel connection closed".to_string()),
        // Reconnecting is in the status bar; the server comes back by itself.
        KernelState::Connecting | KernelState::Open { .. } | KernelState::Reconnecting { .. } => {
            None
        }
    }
}

/// How a closed socket is described: the close code when the browser reports one that means
/// something, else "connection lost".
pub fn close_reason(code: Option<u16>, reason: &str) -> String {
    match code {
        // 1005: no status received; 1006: dropped without a close frame.
        Some(1005 | 1006) | None => "connection lost".to_string(),
        Some(code) if reason.is_empty() => format!("closed {code}"),
        Some(code) => format!("closed {code}: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_states_and_labels() {
        let c = Connection::Connecting { attempt: 0 };
        assert_eq!(
            (c.data_state(), c.label().as_str()),
            ("connecting", "connecting…")
        );
        let c = Connection::Connecting { attempt: 2 };
        assert_eq!(c.label(), "reconnecting… (attempt 3)");
        assert_eq!(Connection::Open.data_state(), "open");
        let c = Connection::Closed {
            reason: "connection lost".into(),
            retry_in_s: 4,
        };
        assert_eq!(c.data_state(), "closed");
        assert_eq!(c.label(), "disconnected (connection lost) — retrying in 4s");
    }

    #[test]
    fn kernel_states_and_labels() {
        assert_eq!(kernel_data_state(&KernelState::Connecting), "connecting");
        assert_eq!(kernel_data_state(&KernelState::open()), "open");
        assert_eq!(kernel_label(&KernelState::open()), "open");
        let negotiated = KernelState::Open {
            protocol: Some("v2".into()),
            extensions: vec!["permessage-deflate".into()],
        };
        assert_eq!(kernel_label(&negotiated), "open · v2 · permessage-deflate");
        let dropped_reason = "1006 Abnormal Closure: the kernel dropped the connection";
        let reconnecting = KernelState::Reconnecting {
            attempt: 1,
            delay_ms: 1200,
            reason: dropped_reason.into(),
            lost: dropped_reason.into(),
        };
        assert_eq!(kernel_data_state(&reconnecting), "reconnecting");
        assert_eq!(
            kernel_label(&reconnecting),
            "reconnecting in 1.2 s (attempt 1): 1006 Abnormal Closure: the kernel dropped the connection"
        );
        // Once retries fail, their reason comes first and the loss stays, shortened.
        let retrying = KernelState::Reconnecting {
            attempt: 3,
            delay_ms: 2400,
            reason: "cannot connect: refused".into(),
            lost: dropped_reason.into(),
        };
        assert_eq!(
            kernel_label(&retrying),
            "reconnecting in 2.4 s (attempt 3): cannot connect: refused · lost: 1006 Abnormal Closure"
        );
        let closed_before = KernelState::Reconnecting {
            attempt: 3,
            delay_ms: 2400,
            reason: "cannot connect: refused".into(),
            lost: "closed with 1011 busy. try later".into(),
        };
        assert_eq!(
            kernel_label(&closed_before),
            "reconnecting in 2.4 s (attempt 3): cannot connect: refused · lost: closed with 1011 busy"
        );
        assert_eq!(activity(&reconnecting, None, false).state, "reconnecting");
        assert_eq!(kernel_problem(&reconnecting), None);
        assert_eq!(seconds(800), "800 ms");
        assert_eq!(seconds(30_400), "30 s");
        let closed = KernelState::Closed {
            code: Some(1000),
            reason: "bye".into(),
        };
        assert_eq!(kernel_data_state(&closed), "closed");
        assert_eq!(kernel_label(&closed), "closed 1000: bye");
        let dropped = KernelState::Closed {
            code: None,
            reason: String::new(),
        };
        assert_eq!(kernel_label(&dropped), "closed");
        let failed = KernelState::Failed {
            message: "connection refused".into(),
        };
        assert_eq!(kernel_data_state(&failed), "failed");
        assert_eq!(kernel_label(&failed), "failed: connection refused");
        let died = KernelState::Failed {
            message: "the kernel died (exit status 1); run a cell or restart. Its last output: x"
                .into(),
        };
        assert_eq!(
            kernel_label(&died),
            "failed: the kernel died (exit status 1)"
        );
        assert_eq!(first_clause(&"x".repeat(150)).chars().count(), 101);
        assert_eq!(first_clause("one. two"), "one");
    }

    #[test]
    fn activity_follows_jupyter_status_and_kernel_state() {
        let open = KernelState::open();
        assert_eq!(activity(&open, Some("busy"), false).state, "busy");
        assert_eq!(activity(&open, Some("busy"), false).symbol, "●");
        assert_eq!(activity(&open, Some("idle"), false).symbol, "○");
        assert_eq!(activity(&open, Some("starting"), false).word, "starting");
        // A WebSocket kernel sends no status: it is just connected.
        assert_eq!(activity(&open, None, false).word, "connected");
        assert_eq!(
            activity(&KernelState::Connecting, None, false).word,
            "starting"
        );
        assert_eq!(
            activity(&KernelState::Connecting, Some("busy"), true).word,
            "restarting"
        );
        let died = KernelState::Failed {
            message: "the kernel died (exit status 1)".into(),
        };
        assert_eq!(activity(&died, Some("busy"), false).word, "dead");
        assert_eq!(
            activity(&died, None, true).word,
            "dead",
            "a restart that failed"
        );
        let closed_for_restart = KernelState::Closed {
            code: None,
            reason: "restart".into(),
        };
        assert_eq!(activity(&closed_for_restart, None, true).word, "restarting");
        assert_eq!(
            kernel_problem(&died).as_deref(),
            Some("the kernel died (exit status 1)")
        );
        assert_eq!(kernel_problem(&open), None);
        assert_eq!(kernel_problem(&KernelState::Connecting), None);
        let closed = KernelState::Closed {
            code: Some(1011),
            reason: String::new(),
        };
        assert_eq!(
            kernel_problem(&closed).as_deref(),
            Some("the kernel connection closed (1011)")
        );
    }

    #[test]
    fn close_reasons() {
        assert_eq!(close_reason(Some(1006), ""), "connection lost");
        assert_eq!(close_reason(None, ""), "connection lost");
        assert_eq!(close_reason(Some(1001), ""), "closed 1001");
        assert_eq!(close_reason(Some(1009), "too big"), "closed 1009: too big");
    }
}
