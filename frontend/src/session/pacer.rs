//! Run All's sends paced for a WebSocket kernel: one message at a time, each a delay after
//! the server said the one before went out, so the gaps on the wire are at least the delay.

use std::collections::VecDeque;

/// A paced Run All: the sends still to go, one at a time, and the cell whose message went out
/// last. The app takes the next send a delay after the server said that cell's message went
/// to the kernel ([`Pacer::went_out`]), so the gaps on the wire are at least the delay; the
/// run can be stopped (■) with the rest unsent. Each run has a number, so a timer of a stopped
/// or replaced run finds nothing to send.
#[derive(Debug)]
pub struct Pacer<T> {
    waiting: VecDeque<T>,
    run: u64,
    delay_ms: u32,
    /// The cell of the run's message on its way to the kernel.
    in_flight: Option<String>,
}

impl<T> Default for Pacer<T> {
    fn default() -> Self {
        Pacer {
            waiting: VecDeque::new(),
            run: 0,
            delay_ms: 0,
            in_flight: None,
        }
    }
}

impl<T> Pacer<T> {
    /// Starts a run that sends `sends` in order, `delay_ms` apart, in place of any earlier
    /// run, whose sends are dropped. Returns the run's number, for its timers.
    pub fn start(&mut self, sends: impl IntoIterator<Item = T>, delay_ms: u32) -> u64 {
        self.stop();
        self.waiting.extend(sends);
        self.delay_ms = delay_ms;
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

    /// The send just taken went to the server as `cell_id`'s message: the run waits for it.
    pub fn sent(&mut self, cell_id: &str) {
        self.in_flight = Some(cell_id.to_string());
    }

    /// The server says `cell_id`'s message went to the kernel (or failed to): the run and the
    /// delay after which its next send is due, if the run was waiting for that message.
    pub fn went_out(&mut self, cell_id: &str) -> Option<(u64, u32)> {
        self.in_flight
            .take_if(|waiting_for| waiting_for == cell_id)?;
        Some((self.run, self.delay_ms))
    }

    /// The delay of the current run, for a send that did not reach the server (refused here).
    pub fn delay_ms(&self) -> u32 {
        self.delay_ms
    }

    /// Stops the current run; returns the sends that will not go out.
    pub fn stop(&mut self) -> Vec<T> {
        self.run += 1;
        self.in_flight = None;
        self.waiting.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paced_run_sends_one_at_a_time_and_stops_with_the_rest_unsent() {
        let mut pacer = Pacer::default();
        assert!(pacer.stop().is_empty());
        let first = pacer.start(["b", "c", "d"], 400);
        assert_eq!(pacer.delay_ms(), 400);
        assert_eq!(pacer.next(first), Some("b"));
        // The next send is due once the server says this cell's message went out, and only
        // then: word of another cell does not count, nor the same word twice.
        pacer.sent("cell-b");
        assert_eq!(pacer.went_out("cell-a"), None);
        assert_eq!(pacer.went_out("cell-b"), Some((first, 400)));
        assert_eq!(pacer.went_out("cell-b"), None);
        assert_eq!(pacer.next(first), Some("c"));
        pacer.sent("cell-c");
        // ■: the rest is not sent, the stopped run's pending timer finds nothing, and the
        // message on its way no longer starts a timer.
        assert_eq!(pacer.stop(), vec!["d"]);
        assert_eq!(pacer.next(first), None);
        assert_eq!(pacer.went_out("cell-c"), None);
        // A new Run All replaces a run still going: the old run's sends are gone and its
        // timers are stale.
        let second = pacer.start(["x", "y"], 400);
        pacer.sent("cell-x");
        let third = pacer.start(["z"], 100);
        assert_eq!(pacer.went_out("cell-x"), None);
        assert_eq!(pacer.next(second), None);
        assert_eq!(pacer.next(third), Some("z"));
        assert_eq!(pacer.next(third), None);
        assert!(pacer.stop().is_empty());
        // A Run All with nothing to pace (no delay) stops a run still going all the same.
        let fourth = pacer.start(["w"], 400);
        let fifth = pacer.start(Vec::<&str>::new(), 0);
        assert_eq!(pacer.next(fourth), None);
        assert_eq!(pacer.next(fifth), None);
    }
}
