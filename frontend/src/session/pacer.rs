//! Run All's sends paced for a WebSocket kernel: one message at a time, each a delay after
//! the one before went out, or after it had its answer (when Run All waits for replies), so
//! a replayed session goes out as it was recorded, request after reply.

use std::collections::VecDeque;

use wirebook_shared::reply_wait::{Awaited, ReplyWait};

/// What the app does next for a paced run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Take run `run`'s next send after `delay_ms`.
    SendAfter { run: u64, delay_ms: u32 },
    /// Wait for the answer of the message that went out, at most the answer's timeout (then
    /// [`Pacer::timed_out`]).
    AwaitAnswer { run: u64 },
    /// Look again after the quiet time: [`Pacer::quiet_over`] with this count of replies.
    Quiet { run: u64, replies: usize },
}

/// A paced Run All: the sends still to go, one at a time, and the cell whose message went out
/// last. The app takes the next send a delay after the server said that cell's message went
/// to the kernel ([`Pacer::went_out`]) — or, when the run waits for replies, a delay after
/// that message had its answer as [`wirebook_shared::reply_wait`] rules ([`Pacer::reply`]),
/// the rule `wirebook run` follows, or its timeout passed. The run can be stopped (■) with
/// the rest unsent. Each run has a number, so a timer of a stopped or replaced run finds
/// nothing to do.
#[derive(Debug)]
pub struct Pacer<T> {
    waiting: VecDeque<T>,
    run: u64,
    delay_ms: u32,
    waits_for_replies: bool,
    /// The cell of the run's message on its way to the kernel, and what it will wait for.
    in_flight: Option<(String, Awaited)>,
    /// The cell whose message went out and waits for its answer.
    answering: Option<(String, ReplyWait)>,
}

impl<T> Default for Pacer<T> {
    fn default() -> Self {
        Pacer {
            waiting: VecDeque::new(),
            run: 0,
            delay_ms: 0,
            waits_for_replies: false,
            in_flight: None,
            answering: None,
        }
    }
}

impl<T> Pacer<T> {
    /// Starts a run that sends `sends` in order, `delay_ms` apart (after each answer when
    /// `waits_for_replies`), in place of any earlier run, whose sends are dropped. Returns the
    /// run's number, for its timers.
    pub fn start(
        &mut self,
        sends: impl IntoIterator<Item = T>,
        delay_ms: u32,
        waits_for_replies: bool,
    ) -> u64 {
        self.stop();
        self.waiting.extend(sends);
        self.delay_ms = delay_ms;
        self.waits_for_replies = waits_for_replies;
        self.run
    }

    /// The next send of run `run`, when its timer fires: `None` when that run was stopped or
    /// replaced, or has nothing left.
    pub fn next(&mut self, run: u64) -> Option<T> {
        if run != self.run {
            return None;
        }
        self.waiting.pop_front()
    }

    /// The send just taken went to the server as `cell_id`'s message, which waits for
    /// `awaited` if the run waits for replies.
    pub fn sent(&mut self, cell_id: &str, awaited: Awaited) {
        self.in_flight = Some((cell_id.to_string(), awaited));
    }

    /// The server says `cell_id`'s message went to the kernel (`failed`: or could not go):
    /// what to do next, if the run was waiting for that message.
    pub fn went_out(&mut self, cell_id: &str, failed: bool) -> Option<Step> {
        let (cell, awaited) = self
            .in_flight
            .take_if(|(waiting_for, _)| waiting_for == cell_id)?;
        if !self.waits_for_replies || failed {
            return Some(self.send_after());
        }
        self.answering = Some((cell, ReplyWait::new(awaited)));
        Some(Step::AwaitAnswer { run: self.run })
    }

    /// Whether the run waits for `cell_id`'s answer.
    pub fn waits_for(&self, cell_id: &str) -> bool {
        self.answering.as_ref().is_some_and(|(c, _)| c == cell_id)
    }

    /// A reply to `cell_id` came (its text, `None` when binary; whether the cell's
    /// expectations hold now): what to do next, if the run waits for that cell's answer.
    pub fn reply(&mut self, cell_id: &str, text: Option<&str>, hold: bool) -> Option<Step> {
        let (_, wait) = self.answering.as_mut().filter(|(c, _)| c == cell_id)?;
        if wait.reply(text, hold) {
            self.answering = None;
            return Some(self.send_after());
        }
        wait.quiet_counts().then(|| Step::Quiet {
            run: self.run,
            replies: wait.replies(),
        })
    }

    /// The quiet time after reply number `replies` passed: the next send, if no other reply
    /// came meanwhile and the run still waits.
    pub fn quiet_over(&mut self, run: u64, replies: usize) -> Option<Step> {
        let (_, wait) = self.answering.as_ref()?;
        if run != self.run || wait.replies() != replies {
            return None;
        }
        self.answering = None;
        Some(self.send_after())
    }

    /// The answer's timeout passed for run `run`'s message sent as `cell_id`: the next send,
    /// if it is still waiting for that answer.
    pub fn timed_out(&mut self, run: u64, cell_id: &str) -> Option<Step> {
        if run != self.run {
            return None;
        }
        self.answering.take_if(|(c, _)| c == cell_id)?;
        Some(self.send_after())
    }

    /// The kernel connection closed or failed: a message waiting for its answer will not get
    /// one, so the run goes on (its next cells say why they cannot run).
    pub fn kernel_gone(&mut self) -> Option<Step> {
        self.answering.take()?;
        Some(self.send_after())
    }

    fn send_after(&self) -> Step {
        Step::SendAfter {
            run: self.run,
            delay_ms: self.delay_ms,
        }
    }

    /// The delay of the current run, for a send that did not reach the server (refused here).
    pub fn delay_ms(&self) -> u32 {
        self.delay_ms
    }

    /// Stops the current run; returns the sends that will not go out.
    pub fn stop(&mut self) -> Vec<T> {
        self.run += 1;
        self.in_flight = None;
        self.answering = None;
        self.waiting.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Awaited = Awaited::Quiet;

    #[test]
    fn a_paced_run_sends_one_at_a_time_and_stops_with_the_rest_unsent() {
        let mut pacer = Pacer::default();
        assert!(pacer.stop().is_empty());
        let first = pacer.start(["b", "c", "d"], 400, false);
        assert_eq!(pacer.delay_ms(), 400);
        assert_eq!(pacer.next(first), Some("b"));
        // The next send is due once the server says this cell's message went out, and only
        // then: word of another cell does not count, nor the same word twice.
        pacer.sent("cell-b", QUIET);
        assert_eq!(pacer.went_out("cell-a", false), None);
        let due = Step::SendAfter {
            run: first,
            delay_ms: 400,
        };
        assert_eq!(pacer.went_out("cell-b", false), Some(due));
        assert_eq!(pacer.went_out("cell-b", false), None);
        // Without waiting for replies, replies change nothing.
        assert_eq!(pacer.reply("cell-b", Some("x"), true), None);
        assert_eq!(pacer.next(first), Some("c"));
        pacer.sent("cell-c", QUIET);
        // ■: the rest is not sent, the stopped run's pending timer finds nothing, and the
        // message on its way no longer starts a timer.
        assert_eq!(pacer.stop(), vec!["d"]);
        assert_eq!(pacer.next(first), None);
        assert_eq!(pacer.went_out("cell-c", false), None);
        // A new Run All replaces a run still going: the old run's sends are gone and its
        // timers are stale.
        let second = pacer.start(["x", "y"], 400, false);
        pacer.sent("cell-x", QUIET);
        let third = pacer.start(["z"], 100, false);
        assert_eq!(pacer.went_out("cell-x", false), None);
        assert_eq!(pacer.next(second), None);
        assert_eq!(pacer.next(third), Some("z"));
        assert_eq!(pacer.next(third), None);
        assert!(pacer.stop().is_empty());
        // A Run All with nothing to pace (no delay) stops a run still going all the same.
        let fourth = pacer.start(["w"], 400, false);
        let fifth = pacer.start(Vec::<&str>::new(), 0, false);
        assert_eq!(pacer.next(fourth), None);
        assert_eq!(pacer.next(fifth), None);
    }

    #[test]
    fn a_run_that_waits_for_replies_sends_the_next_after_each_answer() {
        let mut pacer = Pacer::default();
        let run = pacer.start(["a", "b", "c", "d"], 0, true);
        let go = Step::SendAfter { run, delay_ms: 0 };
        // A request with an id waits for its own reply, not for a notification.
        assert_eq!(pacer.next(run), Some("a"));
        let id = Awaited::for_cell(false, Some(r#"{"id":1}"#), None, 0);
        pacer.sent("a", id);
        assert_eq!(pacer.went_out("a", false), Some(Step::AwaitAnswer { run }));
        assert_eq!(pacer.reply("a", Some(r#"{"event":"tick"}"#), false), None);
        assert_eq!(pacer.reply("other", Some(r#"{"id":1}"#), false), None);
        assert_eq!(
            pacer.reply("a", Some(r#"{"id":1,"ok":1}"#), false),
            Some(go)
        );
        // A cell without a rule of its own: the quiet time after its last reply.
        assert_eq!(pacer.next(run), Some("b"));
        pacer.sent("b", QUIET);
        pacer.went_out("b", false);
        assert_eq!(
            pacer.reply("b", Some("1"), false),
            Some(Step::Quiet { run, replies: 1 })
        );
        assert_eq!(
            pacer.reply("b", Some("2"), false),
            Some(Step::Quiet { run, replies: 2 })
        );
        // The first reply's quiet timer is stale: another came since.
        assert_eq!(pacer.quiet_over(run, 1), None);
        assert_eq!(pacer.quiet_over(run, 2), Some(go));
        // A recorded count that never fills: the timeout goes on; a stale timeout does not.
        assert_eq!(pacer.next(run), Some("c"));
        pacer.sent("c", Awaited::Count(3));
        pacer.went_out("c", false);
        assert_eq!(pacer.reply("c", None, false), None);
        assert_eq!(pacer.timed_out(run, "b"), None);
        assert_eq!(pacer.timed_out(run + 1, "c"), None);
        assert_eq!(pacer.timed_out(run, "c"), Some(go));
        // A cell the server could not send waits for nothing; a kernel that goes ends a wait.
        assert_eq!(pacer.next(run), Some("d"));
        pacer.sent("d", QUIET);
        assert_eq!(pacer.went_out("d", true), Some(go));
        assert_eq!(pacer.kernel_gone(), None);
        let again = pacer.start(["e"], 50, true);
        pacer.next(again);
        pacer.sent("e", QUIET);
        pacer.went_out("e", false);
        assert_eq!(
            pacer.kernel_gone(),
            Some(Step::SendAfter {
                run: again,
                delay_ms: 50
            })
        );
    }
}
