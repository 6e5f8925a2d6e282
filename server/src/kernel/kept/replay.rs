//! What a kept kernel said while no browser was attached, kept for the next one: a log bounded
//! by its own share and by one budget that all kept kernels' logs share.
//!
//! The budget is a share of the capture's memory (`--capture-memory`; see
//! [`crate::config::KeptConfig::replay_share`]): the ring gets the rest, so captures and replay
//! logs together stay within the one figure. When a log is full its oldest messages go first
//! (the newest are what a returning user looks for); the log counts what it dropped so the
//! browser can say so.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wirebook_shared::ServerMsg;

/// A message for the sessions of a kernel, with the capture record it relays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub msg: ServerMsg,
    pub caused_by: Option<u64>,
}

impl Relay {
    pub fn new(msg: ServerMsg) -> Self {
        Relay {
            msg,
            caused_by: None,
        }
    }

    /// The memory a logged message is charged: its JSON (the strings it holds, about) and its
    /// slot.
    pub(crate) fn cost(&self) -> usize {
        self.msg.to_json().len() + std::mem::size_of::<(Relay, usize)>()
    }
}

/// Bytes that all replay logs together may hold.
#[derive(Debug)]
pub struct ReplayBudget {
    limit: usize,
    used: AtomicUsize,
}

impl ReplayBudget {
    pub fn new(limit: usize) -> Self {
        ReplayBudget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn try_take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// One kernel's log.
#[derive(Debug)]
pub struct ReplayLog {
    entries: VecDeque<(Relay, usize)>,
    bytes: usize,
    /// At most this much of the shared budget.
    own_limit: usize,
    dropped: u64,
    budget: Arc<ReplayBudget>,
}

impl ReplayLog {
    /// A log that takes at most `own_limit` bytes of `budget`.
    pub fn new(budget: Arc<ReplayBudget>, own_limit: usize) -> Self {
        ReplayLog {
            entries: VecDeque::new(),
            bytes: 0,
            own_limit,
            dropped: 0,
            budget,
        }
    }

    /// Keeps `relay`, dropping the oldest messages while it does not fit; a message that does
    /// not fit alone is dropped itself.
    pub fn push(&mut self, relay: Relay) {
        let cost = relay.cost();
        loop {
            if self.bytes + cost <= self.own_limit && self.budget.try_take(cost) {
                self.bytes += cost;
                self.entries.push_back((relay, cost));
                return;
            }
            if !self.drop_oldest() {
                self.dropped += 1;
                return;
            }
        }
    }

    fn drop_oldest(&mut self) -> bool {
        let Some((_, cost)) = self.entries.pop_front() else {
            return false;
        };
        self.bytes -= cost;
        self.budget.give_back(cost);
        self.dropped += 1;
        true
    }

    /// Everything kept, oldest first, and how many messages were dropped; the log is empty
    /// after.
    pub fn take(&mut self) -> (Vec<Relay>, u64) {
        self.budget.give_back(self.bytes);
        self.bytes = 0;
        let relays = self.entries.drain(..).map(|(relay, _)| relay).collect();
        (relays, std::mem::take(&mut self.dropped))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Drop for ReplayLog {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::WireData;

    fn output(n: usize) -> Relay {
        Relay::new(ServerMsg::Output {
            cell_id: "c".into(),
            data: WireData::Text {
                text: format!("{n:04}"),
            },
        })
    }

    fn texts(relays: &[Relay]) -> Vec<String> {
        relays
            .iter()
            .map(|r| match &r.msg {
                ServerMsg::Output {
                    data: WireData::Text { text },
                    ..
                } => text.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn keeps_in_order_and_empties_on_take() {
        let budget = Arc::new(ReplayBudget::new(1 << 20));
        let mut log = ReplayLog::new(Arc::clone(&budget), 1 << 20);
        for n in 0..3 {
            log.push(output(n));
        }
        assert!(budget.used() > 0);
        let (relays, dropped) = log.take();
        assert_eq!(texts(&relays), ["0000", "0001", "0002"]);
        assert_eq!(dropped, 0);
        assert!(log.is_empty());
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn drops_the_oldest_past_its_own_limit() {
        let cost = output(0).cost();
        let budget = Arc::new(ReplayBudget::new(1 << 20));
        let mut log = ReplayLog::new(Arc::clone(&budget), cost * 3);
        for n in 0..10 {
            log.push(output(n));
        }
        assert_eq!(log.len(), 3);
        assert_eq!(budget.used(), cost * 3);
        let (relays, dropped) = log.take();
        assert_eq!(texts(&relays), ["0007", "0008", "0009"]);
        assert_eq!(dropped, 7);
    }

    #[test]
    fn all_logs_share_one_budget() {
        let cost = output(0).cost();
        let budget = Arc::new(ReplayBudget::new(cost * 4));
        let mut first = ReplayLog::new(Arc::clone(&budget), cost * 4);
        let mut second = ReplayLog::new(Arc::clone(&budget), cost * 4);
        for n in 0..3 {
            first.push(output(n));
        }
        // One slot is left: the second log evicts its own oldest, never the first's.
        for n in 10..13 {
            second.push(output(n));
        }
        assert_eq!(budget.used(), cost * 4);
        assert_eq!(first.len(), 3);
        let (relays, dropped) = second.take();
        assert_eq!(texts(&relays), ["0012"]);
        assert_eq!(dropped, 2);
        // Dropping a log returns its share.
        drop(first);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_message_bigger_than_the_log_is_dropped_alone() {
        let budget = Arc::new(ReplayBudget::new(1 << 20));
        let mut log = ReplayLog::new(Arc::clone(&budget), 10);
        log.push(output(1));
        assert!(log.is_empty());
        assert_eq!(log.take().1, 1);
        assert_eq!(budget.used(), 0);
    }
}
