//! Pairs requests with their responses on one connection, in the order the records came: each
//! response learns which request it answers and how long after it (µs), and what is still open
//! at any time is the list of unanswered requests.
//!
//! A response answers the open request of the same [`PairKey`] kind and id that travelled the
//! other way (JSON-RPC, Socket.IO and WAMP let either side ask). Open requests are bounded
//! ([`MAX_OPEN`]): past that the oldest is dropped and counted.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::{PairKey, Role};
use crate::direction::Direction;

/// The most requests one connection keeps open.
pub const MAX_OPEN: usize = 4096;

/// What one key of a record found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "pairing", rename_all = "snake_case")]
pub enum Pairing {
    /// This record answers the request `request_seq`, `latency_us` after it; `last` when it
    /// closes the exchange.
    Answers {
        kind: String,
        id: String,
        request_seq: u64,
        latency_us: u64,
        last: bool,
    },
    /// A response whose request is not open: sent before the capture began, evicted, already
    /// closed, or never sent.
    Unmatched { kind: String, id: String },
    /// A request whose kind and id were still open: the earlier one is taken as abandoned.
    Reused {
        kind: String,
        id: String,
        earlier_seq: u64,
    },
    /// The requester cancelled its request `request_seq` (a response may still close it).
    Cancels { request_seq: u64 },
}

/// A request still waiting for (the rest of) its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRequest {
    pub seq: u64,
    pub time_us: u64,
    pub kind: String,
    pub id: String,
    pub direction: Direction,
    /// Responses seen so far that did not close it (GraphQL `next`s, iopub messages).
    pub responses: u32,
    pub cancelled: bool,
}

type Slot = (&'static str, String, Direction);

/// The pairing state of one connection.
#[derive(Debug, Clone, Default)]
pub struct Pairer {
    open: HashMap<Slot, OpenRequest>,
    /// Open slots oldest first, for eviction (closed ones are skipped lazily).
    order: VecDeque<(Slot, u64)>,
    evicted: u64,
}

impl Pairer {
    pub fn new() -> Self {
        Pairer::default()
    }

    /// Feeds one record's keys; `direction` is the record's.
    pub fn feed(
        &mut self,
        seq: u64,
        time_us: u64,
        direction: Direction,
        keys: &[PairKey],
    ) -> Vec<Pairing> {
        let mut found = Vec::new();
        for key in keys {
            match key.role {
                Role::Request => {
                    let slot = (key.kind, key.id.clone(), direction);
                    let request = OpenRequest {
                        seq,
                        time_us,
                        kind: key.kind.to_string(),
                        id: key.id.clone(),
                        direction,
                        responses: 0,
                        cancelled: false,
                    };
                    if let Some(earlier) = self.open.insert(slot.clone(), request) {
                        found.push(Pairing::Reused {
                            kind: key.kind.to_string(),
                            id: key.id.clone(),
                            earlier_seq: earlier.seq,
                        });
                    }
                    self.order.push_back((slot, seq));
                    self.bound();
                }
                Role::Response { last } => {
                    let slot = (key.kind, key.id.clone(), opposite(direction));
                    let Some(request) = self.open.get_mut(&slot) else {
                        found.push(Pairing::Unmatched {
                            kind: key.kind.to_string(),
                            id: key.id.clone(),
                        });
                        continue;
                    };
                    found.push(Pairing::Answers {
                        kind: key.kind.to_string(),
                        id: key.id.clone(),
                        request_seq: request.seq,
                        latency_us: time_us.saturating_sub(request.time_us),
                        last,
                    });
                    if last {
                        self.open.remove(&slot);
                    } else {
                        request.responses = request.responses.saturating_add(1);
                    }
                }
                Role::Cancel => {
                    let slot = (key.kind, key.id.clone(), direction);
                    if let Some(request) = self.open.get_mut(&slot) {
                        request.cancelled = true;
                        found.push(Pairing::Cancels {
                            request_seq: request.seq,
                        });
                    }
                }
            }
        }
        found
    }

    /// Drops the oldest open requests past [`MAX_OPEN`]; compacts the eviction queue when
    /// closed requests' entries make up most of it.
    fn bound(&mut self) {
        if self.order.len() > 2 * MAX_OPEN {
            let open = &self.open;
            self.order
                .retain(|(slot, seq)| open.get(slot).is_some_and(|r| r.seq == *seq));
        }
        while self.open.len() > MAX_OPEN {
            let Some((slot, seq)) = self.order.pop_front() else {
                break;
            };
            if self.open.get(&slot).is_some_and(|r| r.seq == seq) {
                self.open.remove(&slot);
                self.evicted += 1;
            }
        }
    }

    /// Requests still open, oldest first: those with no response at all, and those whose
    /// exchange has not closed yet (`responses > 0`, or `cancelled`).
    pub fn open(&self) -> Vec<OpenRequest> {
        let mut open: Vec<OpenRequest> = self.open.values().cloned().collect();
        open.sort_by_key(|r| r.seq);
        open
    }

    /// Requests that got no response at all and were not cancelled, oldest first.
    pub fn unanswered(&self) -> Vec<OpenRequest> {
        let mut open = self.open();
        open.retain(|r| r.responses == 0 && !r.cancelled);
        open
    }

    /// How many open requests were dropped to stay within [`MAX_OPEN`].
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

fn opposite(direction: Direction) -> Direction {
    match direction {
        Direction::ToServer => Direction::ToClient,
        Direction::ToClient => Direction::ToServer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: Direction = Direction::ToServer;
    const DOWN: Direction = Direction::ToClient;

    #[test]
    fn a_response_answers_the_request_that_went_the_other_way() {
        let mut p = Pairer::new();
        assert!(p
            .feed(1, 1_000, UP, &[PairKey::request("jsonrpc", "1")])
            .is_empty());
        // The same id asked by the server is another exchange.
        assert!(p
            .feed(2, 1_100, DOWN, &[PairKey::request("jsonrpc", "1")])
            .is_empty());
        assert_eq!(
            p.feed(3, 1_250, DOWN, &[PairKey::response("jsonrpc", "1", true)]),
            [Pairing::Answers {
                kind: "jsonrpc".into(),
                id: "1".into(),
                request_seq: 1,
                latency_us: 250,
                last: true
            }]
        );
        assert_eq!(
            p.unanswered().iter().map(|r| r.seq).collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(
            p.feed(4, 1_300, DOWN, &[PairKey::response("jsonrpc", "1", true)]),
            [Pairing::Unmatched {
                kind: "jsonrpc".into(),
                id: "1".into()
            }]
        );
    }

    #[test]
    fn streams_stay_open_until_their_last_response() {
        let mut p = Pairer::new();
        p.feed(1, 0, UP, &[PairKey::request("graphql.operation", "1")]);
        for (seq, t) in [(2, 10), (3, 20)] {
            let found = p.feed(
                seq,
                t,
                DOWN,
                &[PairKey::response("graphql.operation", "1", false)],
            );
            assert!(
                matches!(found[0], Pairing::Answers { latency_us, last: false, .. } if latency_us == t)
            );
        }
        assert!(p.unanswered().is_empty());
        assert_eq!(p.open()[0].responses, 2);
        p.feed(4, 30, UP, &[PairKey::cancel("graphql.operation", "1")]);
        assert!(p.open()[0].cancelled);
        let found = p.feed(
            5,
            40,
            DOWN,
            &[PairKey::response("graphql.operation", "1", true)],
        );
        assert!(matches!(
            found[0],
            Pairing::Answers {
                request_seq: 1,
                last: true,
                ..
            }
        ));
        assert!(p.open().is_empty());
    }

    #[test]
    fn a_reused_id_and_a_cancel_of_nothing() {
        let mut p = Pairer::new();
        p.feed(1, 0, UP, &[PairKey::request("mqtt.puback", "7")]);
        assert_eq!(
            p.feed(2, 5, UP, &[PairKey::request("mqtt.puback", "7")]),
            [Pairing::Reused {
                kind: "mqtt.puback".into(),
                id: "7".into(),
                earlier_seq: 1
            }]
        );
        assert!(p
            .feed(3, 5, UP, &[PairKey::cancel("mqtt.puback", "8")])
            .is_empty());
        assert!(matches!(
            p.feed(4, 9, DOWN, &[PairKey::response("mqtt.puback", "7", true)])[0],
            Pairing::Answers {
                request_seq: 2,
                latency_us: 4,
                ..
            }
        ));
    }

    #[test]
    fn open_requests_are_bounded() {
        let mut p = Pairer::new();
        for i in 0..(MAX_OPEN as u64 + 10) {
            p.feed(i, i, UP, &[PairKey::request("jsonrpc", i.to_string())]);
        }
        assert_eq!(p.open().len(), MAX_OPEN);
        assert_eq!(p.evicted(), 10);
        assert_eq!(p.open()[0].seq, 10, "the oldest went first");
        // Answered requests leave dead entries in the queue; it stays bounded too.
        for i in 0..(3 * MAX_OPEN as u64) {
            let id = format!("x{i}");
            p.feed(i, i, UP, &[PairKey::request("jsonrpc", id.clone())]);
            p.feed(i, i, DOWN, &[PairKey::response("jsonrpc", id, true)]);
        }
        assert!(p.order.len() <= 2 * MAX_OPEN + 1);
    }
}
