//! One cell's run as `wirebook run` follows it: the kernel's events in, what the run showed
//! ([`RunOutcome`], which the expectations read) and whether it is over out.
//!
//! When a cell is over:
//! - a Jupyter kernel's cell: once its `execute_reply` came and iopub said `idle` for it (the
//!   outputs of a request all come between its `busy` and its `idle`);
//! - a WebSocket kernel's cell: once it has its answer as [`wirebook_shared::reply_wait`] says
//!   (its expectations hold, the reply with its JSON id came, as many replies as it recorded,
//!   or a reply and then the quiet time), the rule the page's Run All paces by;
//! - any cell: when the kernel connection closes or fails, or the timeout passes.

use std::time::Duration;

use tokio::time::Instant;
use wirebook_shared::expect::{all_hold, outcome_of, Expectation, RunOutcome, RunStatus};
use wirebook_shared::ipynb::IpynbOutput;
use wirebook_shared::reply_wait::{Awaited, ReplyWait};
use wirebook_shared::{Channel, KernelState};

use crate::kernel::KernelEvent;

/// Which kind of kernel runs the cell: it decides when a run is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    WebSocket,
    Jupyter,
}

/// How a cell's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The run is over as its kind of kernel says (see the module doc).
    Done,
    /// The timeout passed first.
    TimedOut,
    /// The kernel connection closed or failed: nothing else will run.
    KernelGone(String),
}

/// A cell's run in progress.
#[derive(Debug)]
pub struct CellRun {
    cell_id: String,
    kind: KernelKind,
    expectations: Vec<Expectation>,
    pub outcome: RunOutcome,
    replied: bool,
    idle: bool,
    /// What a WebSocket kernel's cell waits for, fed its replies.
    pub wait: ReplyWait,
    /// The last reply (a WebSocket kernel's), for the quiet time.
    last_reply: Option<Instant>,
    /// Why the run failed, as the kernel said (a refused or unsent cell).
    pub failure: Option<String>,
    ended: Option<Ended>,
}

impl CellRun {
    /// A cell's run; `awaited` is what it waits for on a WebSocket kernel (see the module doc).
    pub fn new(
        cell_id: &str,
        kind: KernelKind,
        expectations: Vec<Expectation>,
        awaited: Awaited,
    ) -> Self {
        CellRun {
            cell_id: cell_id.to_string(),
            kind,
            expectations,
            outcome: RunOutcome::default(),
            replied: false,
            idle: false,
            wait: ReplyWait::new(awaited),
            last_reply: None,
            failure: None,
            ended: None,
        }
    }

    pub fn ended(&self) -> Option<&Ended> {
        self.ended.as_ref()
    }

    /// Takes one event from the kernel, seen at `now`.
    pub fn feed(&mut self, event: &KernelEvent, now: Instant) {
        if self.ended.is_some() {
            return;
        }
        // A reply's text (`None` when binary), for the wait below.
        let mut reply = None;
        match event {
            KernelEvent::Received { data, .. } => {
                self.outcome.replies += 1;
                // As the notebook saves it (a binary message as its preview), so that a run
                // compares with a saved one.
                let saved = IpynbOutput::from_wire(data);
                self.outcome
                    .texts
                    .extend(outcome_of(&[saved], false, None).texts);
                self.last_reply = Some(now);
                reply = Some(match data {
                    wirebook_shared::WireData::Text { text } => Some(text.as_str()),
                    _ => None,
                });
            }
            KernelEvent::Message { message, .. }
                if message.cell_id.as_deref() == Some(&self.cell_id) =>
            {
                let content = &message.content;
                match (message.channel, message.msg_type.as_str()) {
                    (Channel::Shell, "execute_reply") => {
                        self.replied = true;
                        self.outcome.status = match content["status"].as_str() {
                            Some("ok") => Some(RunStatus::Ok),
                            Some(_) => Some(RunStatus::Error),
                            None => None,
                        };
                    }
                    (Channel::Iopub, "status") => {
                        self.idle = content["execution_state"] == "idle";
                    }
                    (Channel::Iopub, "stream") => {
                        self.output_text(content["text"].as_str());
                    }
                    (Channel::Iopub, "execute_result" | "display_data") => {
                        self.output_text(content["data"]["text/plain"].as_str());
                    }
                    (Channel::Iopub, "error") => {
                        let trace = content["traceback"]
                            .as_array()
                            .map(|lines| {
                                lines
                                    .iter()
                                    .filter_map(|l| l.as_str())
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            })
                            .unwrap_or_default();
                        self.output_text(Some(&wirebook_notebook::ansi::plain(&trace)));
                    }
                    _ => {}
                }
            }
            KernelEvent::Executed { cell_id, .. } if *cell_id == self.cell_id => {
                self.replied = true;
            }
            KernelEvent::RunFailed { cell_id, message } if *cell_id == self.cell_id => {
                self.failure = Some(message.clone());
                self.ended = Some(Ended::Done);
            }
            KernelEvent::Refused {
                cell_id: Some(cell_id),
                message,
            } if *cell_id == self.cell_id => {
                self.failure = Some(message.clone());
                self.ended = Some(Ended::Done);
            }
            KernelEvent::State { state, .. } => match state {
                KernelState::Closed { code, reason } => {
                    self.outcome.close = *code;
                    let why = match code {
                        Some(code) => format!("the kernel closed the connection ({code} {reason})"),
                        None => format!("the kernel connection dropped: {reason}"),
                    };
                    self.ended = Some(Ended::KernelGone(why));
                }
                KernelState::Failed { message } => {
                    self.ended = Some(Ended::KernelGone(format!("the kernel failed: {message}")));
                }
                _ => {}
            },
            _ => {}
        }
        let over = match self.kind {
            KernelKind::Jupyter => self.replied && self.idle,
            KernelKind::WebSocket => {
                // Checked once per event: they can also come to hold without a reply (a close).
                let hold =
                    !self.expectations.is_empty() && all_hold(&self.expectations, &self.outcome);
                if let Some(text) = reply {
                    self.wait.reply(text, hold);
                }
                self.wait.answered() || hold
            }
        };
        if over && self.ended.is_none() {
            self.ended = Some(Ended::Done);
        }
    }

    fn output_text(&mut self, text: Option<&str>) {
        if let Some(text) = text {
            self.outcome.replies += 1;
            self.outcome.texts.push(text.to_string());
        }
    }

    /// When to look again without an event: the quiet time after the last reply of a
    /// WebSocket cell that waits for one, else the deadline.
    pub fn wake_at(&self, deadline: Instant, quiet: Duration) -> Instant {
        match (self.quiet_counts(), self.last_reply) {
            (true, Some(last)) => (last + quiet).min(deadline),
            _ => deadline,
        }
    }

    fn quiet_counts(&self) -> bool {
        self.kind == KernelKind::WebSocket && self.wait.quiet_counts()
    }

    /// No event came until `now`: the quiet time or the deadline passed.
    pub fn tick(&mut self, now: Instant, deadline: Instant, quiet: Duration) {
        if self.ended.is_some() {
            return;
        }
        let quiet_over =
            self.quiet_counts() && self.last_reply.is_some_and(|last| now >= last + quiet);
        let count_over =
            self.kind == KernelKind::WebSocket && self.wait.timeout_answers() && now >= deadline;
        if quiet_over || count_over {
            self.ended = Some(Ended::Done);
        } else if now >= deadline {
            self.ended = Some(Ended::TimedOut);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wirebook_shared::{KernelMessage, WireData};

    use super::*;

    fn text(t: &str) -> KernelEvent {
        KernelEvent::Received {
            data: WireData::Text { text: t.into() },
            seq: None,
        }
    }

    fn iopub(cell: &str, msg_type: &str, content: serde_json::Value) -> KernelEvent {
        KernelEvent::Message {
            message: KernelMessage {
                cell_id: Some(cell.into()),
                channel: if msg_type == "execute_reply" {
                    Channel::Shell
                } else {
                    Channel::Iopub
                },
                msg_type: msg_type.into(),
                msg_id: "m".into(),
                parent_msg_id: None,
                content,
                metadata: serde_json::Value::Null,
                date: None,
            },
            seq: None,
        }
    }

    #[test]
    fn a_websocket_cell_ends_when_its_expectations_hold_or_after_a_quiet_time() {
        let t0 = Instant::now();
        let quiet = Duration::from_millis(200);
        let deadline = t0 + Duration::from_secs(5);
        let mut run = CellRun::new(
            "a",
            KernelKind::WebSocket,
            vec![Expectation::Count(2)],
            Awaited::Expectations,
        );
        run.feed(&text("one"), t0);
        assert_eq!(run.ended(), None);
        assert_eq!(run.wake_at(deadline, quiet), deadline);
        run.feed(&text("two"), t0);
        assert_eq!(run.ended(), Some(&Ended::Done));

        let mut plain = CellRun::new("b", KernelKind::WebSocket, Vec::new(), Awaited::Quiet);
        plain.tick(t0 + Duration::from_secs(1), deadline, quiet);
        assert_eq!(plain.ended(), None, "no reply yet: wait for the deadline");
        plain.feed(&text("hi"), t0 + Duration::from_secs(1));
        assert_eq!(
            plain.wake_at(deadline, quiet),
            t0 + Duration::from_millis(1200)
        );
        plain.tick(t0 + Duration::from_millis(1100), deadline, quiet);
        assert_eq!(plain.ended(), None);
        plain.tick(t0 + Duration::from_millis(1200), deadline, quiet);
        assert_eq!(plain.ended(), Some(&Ended::Done));
        assert_eq!(plain.outcome.texts, ["hi"]);

        let mut silent = CellRun::new(
            "c",
            KernelKind::WebSocket,
            vec![Expectation::Count(1)],
            Awaited::Expectations,
        );
        silent.tick(deadline, deadline, quiet);
        assert_eq!(silent.ended(), Some(&Ended::TimedOut));
    }

    #[test]
    fn a_websocket_cell_waits_for_its_id_or_its_recorded_count() {
        let t0 = Instant::now();
        let quiet = Duration::from_millis(200);
        let deadline = t0 + Duration::from_secs(5);
        let awaited = Awaited::for_cell(false, Some(r#"{"id": 4, "op": "get"}"#), None, 1);
        let mut run = CellRun::new("a", KernelKind::WebSocket, Vec::new(), awaited);
        run.feed(&text(r#"{"event": "tick"}"#), t0);
        // No quiet time: a notification is not the answer however long the reply takes.
        assert_eq!(run.wake_at(deadline, quiet), deadline);
        run.tick(t0 + Duration::from_secs(1), deadline, quiet);
        assert_eq!(run.ended(), None);
        run.feed(
            &text(r#"{"id": 4, "result": 1}"#),
            t0 + Duration::from_secs(2),
        );
        assert_eq!(run.ended(), Some(&Ended::Done));

        let mut lost = CellRun::new(
            "b",
            KernelKind::WebSocket,
            Vec::new(),
            Awaited::for_cell(false, Some(r#"{"id": 5}"#), None, 0),
        );
        lost.tick(deadline, deadline, quiet);
        assert_eq!(lost.ended(), Some(&Ended::TimedOut));

        // A recorded count: done at the count, or at the deadline with fewer.
        let mut replay = CellRun::new("c", KernelKind::WebSocket, Vec::new(), Awaited::Count(2));
        replay.feed(&text("one"), t0);
        replay.tick(t0 + Duration::from_secs(1), deadline, quiet);
        assert_eq!(replay.ended(), None);
        replay.feed(&text("two"), t0 + Duration::from_secs(2));
        assert_eq!(replay.ended(), Some(&Ended::Done));
        let mut short = CellRun::new("d", KernelKind::WebSocket, Vec::new(), Awaited::Count(2));
        short.feed(&text("one"), t0);
        short.tick(deadline, deadline, quiet);
        assert_eq!(short.ended(), Some(&Ended::Done));
    }

    #[test]
    fn a_jupyter_cell_ends_on_its_reply_and_idle_with_its_text_outputs() {
        let t0 = Instant::now();
        let mut run = CellRun::new("a", KernelKind::Jupyter, Vec::new(), Awaited::Quiet);
        run.feed(
            &iopub("a", "status", json!({"execution_state": "busy"})),
            t0,
        );
        run.feed(
            &iopub("a", "stream", json!({"name": "stdout", "text": "hi\n"})),
            t0,
        );
        run.feed(&iopub("other", "stream", json!({"text": "not mine"})), t0);
        run.feed(
            &iopub("a", "execute_result", json!({"data": {"text/plain": "3"}})),
            t0,
        );
        run.feed(&iopub("a", "execute_reply", json!({"status": "ok"})), t0);
        assert_eq!(run.ended(), None, "outputs may still come until idle");
        run.feed(
            &iopub("a", "status", json!({"execution_state": "idle"})),
            t0,
        );
        assert_eq!(run.ended(), Some(&Ended::Done));
        assert_eq!(run.outcome.texts, ["hi\n", "3"]);
        assert_eq!(run.outcome.status, Some(RunStatus::Ok));
    }

    #[test]
    fn the_kernel_going_ends_the_run_with_its_close_code() {
        let t0 = Instant::now();
        let mut run = CellRun::new(
            "a",
            KernelKind::WebSocket,
            vec![Expectation::Close(1008)],
            Awaited::Expectations,
        );
        let closed = KernelEvent::State {
            link: 1,
            state: KernelState::Closed {
                code: Some(1008),
                reason: "policy".into(),
            },
        };
        run.feed(&closed, t0);
        assert_eq!(run.outcome.close, Some(1008));
        assert!(matches!(run.ended(), Some(Ended::KernelGone(why)) if why.contains("1008 policy")));
    }
}
