//! The record pane's "Hops" timeline as data: a message relayed across both hops, and how long
//! each step took as wirebook's taps saw it.
//!
//! A relayed exchange has four records, on an outer hop (the browser's `/session`, or a
//! client of `/tap/NAME`) and an inner one (the kernel, or the route's upstream):
//!
//! 1. the outer request (client → wirebook), 2. the inner request (wirebook → kernel), whose
//!    `caused_by` is 1, 3. the inner answer (kernel → wirebook), 4. the outer answer
//!    (wirebook → client), whose `caused_by` is 3.
//!
//! Starting from whichever of them is selected, the walk follows `caused_by` both ways and
//! pairs 2 with 3: by the Jupyter parent `msg_id`, by the connection's protocol lens (a
//! JSON-RPC result answering its request), or else as the first message back on the
//! connection after the request (what the kernel link relays). Every step is a lookup or a
//! scan of at most [`MAX_SCAN`] rows, so a long capture costs no more than a short one. A
//! record that is not in the rows the page holds is said plainly, not guessed.

use wirebook_shared::capture::{CaptureBody, CaptureRecord, Direction, Hop, Opcode};
use wirebook_shared::capture_filter::direction_of;

use crate::inspector::protocol_lens::ProtocolTracker;
use crate::session::records::{self, Records};

/// Rows scanned for the first message back (or the request before an answer), and rows of the
/// connection dissected for a lens pairing.
pub const MAX_SCAN: usize = 5_000;

/// One record of the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopStep {
    pub seq: u64,
    pub hop: Hop,
    pub direction: Direction,
    pub time_us: u64,
    /// Who sent it to whom, e.g. `browser → wirebook`.
    pub path: String,
    /// The time since the step before, when that step is known too.
    pub latency_us: Option<u64>,
    /// What that time was, e.g. `wirebook relayed it`.
    pub latency_is: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopTimeline {
    /// The records found, in the order the message crossed.
    pub steps: Vec<HopStep>,
    /// From the outer request to the outer answer, when both are known.
    pub round_trip_us: Option<u64>,
    /// How the inner answer was paired with the inner request, when both are known.
    pub paired_by: Option<String>,
    /// The steps not found, in plain words.
    pub missing: Vec<String>,
}

/// The four places of an exchange, in the order a message crosses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    OuterRequest,
    InnerRequest,
    InnerAnswer,
    OuterAnswer,
}

/// A hop and what people call the peer at its far end.
type NamedHop = (Hop, &'static str);

/// The hops a relay connects: (outer, inner).
fn hop_pair(hop: Hop) -> Option<(NamedHop, NamedHop)> {
    match hop {
        Hop::Browser | Hop::Kernel => Some(((Hop::Browser, "browser"), (Hop::Kernel, "kernel"))),
        Hop::Tap | Hop::Upstream => Some(((Hop::Tap, "client"), (Hop::Upstream, "upstream"))),
        Hop::Endpoint => None,
    }
}

/// The exchange the record `seq` is part of, or `None` when it is not a relayed message.
pub fn hop_timeline(records: &Records, seq: u64) -> Option<HopTimeline> {
    let selected = records.get(seq)?;
    let ((outer, outer_name), (inner, inner_name)) = hop_pair(selected.hop)?;
    let place = match (selected.hop == outer, direction_of(&selected.body)?) {
        (true, Direction::ToServer) => Place::OuterRequest,
        (false, Direction::ToServer) => Place::InnerRequest,
        (false, Direction::ToClient) => Place::InnerAnswer,
        (true, Direction::ToClient) => Place::OuterAnswer,
    };
    if !is_message(selected) {
        return None;
    }
    let mut slots: [Option<u64>; 4] = [None; 4];
    slots[place as usize] = Some(seq);
    let mut paired_by = None;
    // Causes the rows point at but do not hold: said as missing, with their seq.
    let mut absent_cause: [Option<u64>; 4] = [None; 4];
    let mut cause_of = |slots: &mut [Option<u64>; 4], from: Place, to: Place| {
        if let (Some(s), None) = (slots[from as usize], slots[to as usize]) {
            if let Some(cause) = records.get(s).and_then(|r| records::caused_by(&r.body)) {
                if records.get(cause).is_some() {
                    slots[to as usize] = Some(cause);
                } else {
                    absent_cause[to as usize] = Some(cause);
                }
            }
        }
    };
    let relay_of = |slots: &mut [Option<u64>; 4], from: Place, to: Place, hop: Hop| {
        if let (Some(s), None) = (slots[from as usize], slots[to as usize]) {
            slots[to as usize] = records.counterparts(s).into_iter().find(|c| {
                records.get(*c).is_some_and(|r| {
                    r.hop == hop && records::caused_by(&r.body) == Some(s) && is_message(r)
                })
            });
        }
    };
    cause_of(&mut slots, Place::InnerRequest, Place::OuterRequest);
    cause_of(&mut slots, Place::OuterAnswer, Place::InnerAnswer);
    relay_of(&mut slots, Place::OuterRequest, Place::InnerRequest, inner);
    relay_of(&mut slots, Place::InnerAnswer, Place::OuterAnswer, outer);
    match (slots[1], slots[2]) {
        (Some(request), None) => {
            if let Some((answer, how)) = answer_to(records, request) {
                slots[2] = Some(answer);
                paired_by = Some(how);
            }
        }
        (None, Some(answer)) => {
            if let Some((request, how)) = request_of(records, answer) {
                slots[1] = Some(request);
                paired_by = Some(how);
            }
        }
        (Some(request), Some(answer)) => paired_by = pairing_of(records, request, answer),
        (None, None) => {}
    }
    cause_of(&mut slots, Place::InnerRequest, Place::OuterRequest);
    cause_of(&mut slots, Place::OuterAnswer, Place::InnerAnswer);
    relay_of(&mut slots, Place::OuterRequest, Place::InnerRequest, inner);
    relay_of(&mut slots, Place::InnerAnswer, Place::OuterAnswer, outer);

    // Only a message that crossed from one hop to the other is a relayed one.
    let relayed = (slots[0].is_some() && slots[1].is_some())
        || (slots[2].is_some() && slots[3].is_some())
        || absent_cause.iter().any(Option::is_some);
    if !relayed {
        return None;
    }
    let places = [
        (
            format!("{outer_name} → wirebook"),
            "",
            format!("the {outer_name}'s message"),
        ),
        (
            format!("wirebook → {inner_name}"),
            "wirebook relayed it",
            format!("the message to the {inner_name}"),
        ),
        (
            format!("{inner_name} → wirebook"),
            if inner == Hop::Kernel {
                "the kernel's answer"
            } else {
                "the upstream's answer"
            },
            format!("the {inner_name}'s answer"),
        ),
        (
            format!("wirebook → {outer_name}"),
            "wirebook relayed it back",
            format!("the answer relayed to the {outer_name}"),
        ),
    ];
    let mut steps = Vec::new();
    let mut missing = Vec::new();
    let mut previous: Option<(usize, u64)> = None;
    for (i, (path, latency_is, name)) in places.into_iter().enumerate() {
        let Some(record) = slots[i].and_then(|s| records.get(s)) else {
            missing.push(match absent_cause[i] {
                Some(cause) => format!("{name} (#{cause}) is not in the loaded rows"),
                None => format!("{name} is not in the loaded rows"),
            });
            continue;
        };
        let latency_us = previous
            .filter(|(at, _)| at + 1 == i)
            .map(|(_, time)| record.time_us.saturating_sub(time));
        previous = Some((i, record.time_us));
        steps.push(HopStep {
            seq: record.seq,
            hop: record.hop,
            direction: direction_of(&record.body).unwrap_or(Direction::ToServer),
            time_us: record.time_us,
            path,
            latency_us,
            latency_is,
        });
    }
    let round_trip_us = match (
        slots[0].and_then(|s| records.get(s)),
        slots[3].and_then(|s| records.get(s)),
    ) {
        (Some(first), Some(last)) => Some(last.time_us.saturating_sub(first.time_us)),
        _ => None,
    };
    Some(HopTimeline {
        steps,
        round_trip_us,
        paired_by,
        missing,
    })
}

/// A data message (a frame that completes a text or binary message) or a kernel message.
fn is_message(record: &CaptureRecord) -> bool {
    match &record.body {
        CaptureBody::Frame(f) => f
            .message
            .as_ref()
            .is_some_and(|m| matches!(m.opcode, Opcode::Text | Opcode::Binary)),
        CaptureBody::KernelMessage(_) => true,
        _ => false,
    }
}

fn direction_is(record: &CaptureRecord, direction: Direction) -> bool {
    direction_of(&record.body) == Some(direction)
}

/// The inner answer to the inner request `request`, and how it was found.
fn answer_to(records: &Records, request: u64) -> Option<(u64, String)> {
    let record = records.get(request)?;
    if let Some(message) = records::kernel_message(&record.body) {
        let children = records.kernel_children(&message.msg_id);
        let reply = children.iter().copied().find(|c| {
            records
                .get(*c)
                .and_then(|r| records::kernel_message(&r.body))
                .is_some_and(|m| m.msg_type.ends_with("_reply"))
        });
        return reply
            .or_else(|| children.first().copied())
            .map(|c| (c, "its parent msg_id".to_string()));
    }
    if let Some((answer, protocol)) = lens_partner(records, record, true) {
        return Some((answer, format!("the {protocol} lens")));
    }
    // The first message back, unless another request went out before it.
    for r in records.rows_after(Some(request)).take(MAX_SCAN) {
        if r.conn != record.conn || !is_message(r) {
            continue;
        }
        if direction_is(r, Direction::ToClient) {
            return Some((
                r.seq,
                "the first message back on its connection".to_string(),
            ));
        }
        return None;
    }
    None
}

/// The inner request the inner answer `answer` answers, and how it was found.
fn request_of(records: &Records, answer: u64) -> Option<(u64, String)> {
    let record = records.get(answer)?;
    if let Some(message) = records::kernel_message(&record.body) {
        return message
            .parent_msg_id
            .as_deref()
            .and_then(|parent| records.kernel_by_msg_id(parent))
            .map(|p| (p, "its parent msg_id".to_string()));
    }
    if let Some((request, protocol)) = lens_partner(records, record, false) {
        return Some((request, format!("the {protocol} lens")));
    }
    // The message just before it on its connection, if that went the other way: an answer
    // after another answer is not paired by order alone.
    let before = records
        .rows()
        .rev()
        .skip_while(|r| r.seq >= answer)
        .take(MAX_SCAN)
        .find(|r| r.conn == record.conn && is_message(r))?;
    direction_is(before, Direction::ToServer).then(|| {
        (
            before.seq,
            "the first message back on its connection".to_string(),
        )
    })
}

/// How a request and an answer both already known go together, for the timeline's note.
fn pairing_of(records: &Records, request: u64, answer: u64) -> Option<String> {
    match answer_to(records, request) {
        Some((found, how)) if found == answer => Some(how),
        _ => request_of(records, answer)
            .filter(|(found, _)| *found == request)
            .map(|(_, how)| how),
    }
}

/// The record the connection's lens pairs with `record`: its first answer (`forward`) or the
/// request it answers, with the lens's name.
fn lens_partner(
    records: &Records,
    record: &CaptureRecord,
    forward: bool,
) -> Option<(u64, &'static str)> {
    let mut tracker = ProtocolTracker::new(record.seq, record.conn);
    tracker.feed(
        records
            .rows()
            .filter(|r| r.conn == record.conn)
            .take(MAX_SCAN),
    );
    let detail = tracker.detail()?;
    let partners = if forward {
        &detail.answered_by
    } else {
        &detail.answers
    };
    partners.first().map(|p| (p.seq, detail.protocol))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_records::{execute_thread, text_frame, with_frame};
    use wirebook_shared::capture::ConnId;

    fn on(conn: ConnId, time_us: u64, mut record: CaptureRecord) -> CaptureRecord {
        record.conn = conn;
        record.time_us = time_us;
        record
    }

    fn caused(record: CaptureRecord, cause: u64) -> CaptureRecord {
        with_frame(record, |f| f.caused_by = Some(cause))
    }

    /// An echo run: the browser's execute (#1, conn 1), its relay to the kernel (#2, conn 2),
    /// the kernel's answer (#4) after /echo's own record (#3, conn 3), and the output relayed
    /// back (#5). Times in µs.
    fn echo_run() -> Vec<CaptureRecord> {
        vec![
            on(
                1,
                1_000,
                text_frame(
                    1,
                    Hop::Browser,
                    Direction::ToServer,
                    r#"{"type":"execute","code":"hai"}"#,
                ),
            ),
            on(
                2,
                1_100,
                caused(text_frame(2, Hop::Kernel, Direction::ToServer, "hai"), 1),
            ),
            on(
                3,
                1_150,
                text_frame(3, Hop::Endpoint, Direction::ToServer, "hai"),
            ),
            on(
                2,
                1_400,
                text_frame(4, Hop::Kernel, Direction::ToClient, "hai"),
            ),
            on(
                1,
                1_450,
                caused(
                    text_frame(5, Hop::Browser, Direction::ToClient, r#"{"type":"output"}"#),
                    4,
                ),
            ),
        ]
    }

    fn loaded(rows: Vec<CaptureRecord>) -> Records {
        let mut records = Records::new(1_000);
        records.add(rows, 0);
        records
    }

    fn seqs(t: &HopTimeline) -> Vec<u64> {
        t.steps.iter().map(|s| s.seq).collect()
    }

    #[test]
    fn the_same_timeline_from_every_record_of_an_echo_run() {
        let records = loaded(echo_run());
        for seq in [1, 2, 4, 5] {
            let t = hop_timeline(&records, seq).expect("a relayed message");
            assert_eq!(seqs(&t), [1, 2, 4, 5], "from #{seq}");
            let latencies: Vec<_> = t.steps.iter().map(|s| s.latency_us).collect();
            assert_eq!(latencies, [None, Some(100), Some(300), Some(50)]);
            assert_eq!(t.round_trip_us, Some(450));
            assert_eq!(
                t.paired_by.as_deref(),
                Some("the first message back on its connection")
            );
            assert!(t.missing.is_empty());
        }
        let t = hop_timeline(&records, 1).unwrap();
        let paths: Vec<_> = t.steps.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "browser → wirebook",
                "wirebook → kernel",
                "kernel → wirebook",
                "wirebook → browser"
            ]
        );
        assert_eq!(t.steps[2].latency_is, "the kernel's answer");
        // /echo's own side of it is not a relay.
        assert_eq!(hop_timeline(&records, 3), None);
    }

    #[test]
    fn missing_records_are_said_and_break_the_latency() {
        // The page lost the kernel's answer (#4): the output still names it as its cause.
        let rows: Vec<_> = echo_run().into_iter().filter(|r| r.seq != 4).collect();
        let records = loaded(rows);
        let t = hop_timeline(&records, 5).unwrap();
        assert_eq!(seqs(&t), [5]);
        assert_eq!(
            t.missing[2],
            "the kernel's answer (#4) is not in the loaded rows"
        );
        assert_eq!(t.round_trip_us, None);
        // From the request side the answer is not found either: no guess.
        let t = hop_timeline(&records, 1).unwrap();
        assert_eq!(seqs(&t), [1, 2]);
        assert_eq!(
            t.missing,
            [
                "the kernel's answer is not in the loaded rows",
                "the answer relayed to the browser is not in the loaded rows"
            ]
        );
        assert_eq!(t.steps[1].latency_us, Some(100));
    }

    #[test]
    fn an_answer_after_another_answer_is_not_paired_by_order() {
        let mut rows = echo_run();
        rows.push(on(
            2,
            1_500,
            text_frame(6, Hop::Kernel, Direction::ToClient, "late"),
        ));
        rows.push(on(
            1,
            1_600,
            caused(text_frame(7, Hop::Browser, Direction::ToClient, "late"), 6),
        ));
        let records = loaded(rows);
        let t = hop_timeline(&records, 7).unwrap();
        assert_eq!(seqs(&t), [6, 7]);
        assert_eq!(t.paired_by, None);
        assert!(t.missing[0].contains("browser's message"));
    }

    #[test]
    fn a_record_that_crossed_no_hop_has_no_timeline() {
        let records = loaded(vec![
            on(
                1,
                10,
                text_frame(1, Hop::Browser, Direction::ToServer, "alone"),
            ),
            on(
                2,
                20,
                text_frame(2, Hop::Kernel, Direction::ToServer, "on its own"),
            ),
            on(
                2,
                30,
                text_frame(3, Hop::Kernel, Direction::ToClient, "back"),
            ),
        ]);
        for seq in [1, 2, 3, 99] {
            assert_eq!(hop_timeline(&records, seq), None, "#{seq}");
        }
    }

    #[test]
    fn json_rpc_through_the_tap_is_paired_by_its_lens() {
        // Two requests in flight; the upstream answers the second first.
        let records = loaded(vec![
            on(
                1,
                100,
                text_frame(
                    1,
                    Hop::Tap,
                    Direction::ToServer,
                    r#"{"jsonrpc":"2.0","method":"a","id":1}"#,
                ),
            ),
            on(
                2,
                110,
                caused(
                    text_frame(
                        2,
                        Hop::Upstream,
                        Direction::ToServer,
                        r#"{"jsonrpc":"2.0","method":"a","id":1}"#,
                    ),
                    1,
                ),
            ),
            on(
                1,
                200,
                text_frame(
                    3,
                    Hop::Tap,
                    Direction::ToServer,
                    r#"{"jsonrpc":"2.0","method":"b","id":2}"#,
                ),
            ),
            on(
                2,
                210,
                caused(
                    text_frame(
                        4,
                        Hop::Upstream,
                        Direction::ToServer,
                        r#"{"jsonrpc":"2.0","method":"b","id":2}"#,
                    ),
                    3,
                ),
            ),
            on(
                2,
                500,
                text_frame(
                    5,
                    Hop::Upstream,
                    Direction::ToClient,
                    r#"{"jsonrpc":"2.0","result":2,"id":2}"#,
                ),
            ),
            on(
                1,
                520,
                caused(
                    text_frame(
                        6,
                        Hop::Tap,
                        Direction::ToClient,
                        r#"{"jsonrpc":"2.0","result":2,"id":2}"#,
                    ),
                    5,
                ),
            ),
            on(
                2,
                900,
                text_frame(
                    7,
                    Hop::Upstream,
                    Direction::ToClient,
                    r#"{"jsonrpc":"2.0","result":1,"id":1}"#,
                ),
            ),
            on(
                1,
                930,
                caused(
                    text_frame(
                        8,
                        Hop::Tap,
                        Direction::ToClient,
                        r#"{"jsonrpc":"2.0","result":1,"id":1}"#,
                    ),
                    7,
                ),
            ),
        ]);
        let first = hop_timeline(&records, 1).unwrap();
        assert_eq!(seqs(&first), [1, 2, 7, 8]);
        assert_eq!(first.round_trip_us, Some(830));
        assert_eq!(first.paired_by.as_deref(), Some("the JSON-RPC lens"));
        assert_eq!(first.steps[0].path, "client → wirebook");
        assert_eq!(first.steps[2].latency_is, "the upstream's answer");
        let second = hop_timeline(&records, 6).unwrap();
        assert_eq!(seqs(&second), [3, 4, 5, 6]);
        assert_eq!(second.round_trip_us, Some(320));
    }

    #[test]
    fn a_jupyter_execute_is_paired_with_its_reply() {
        let [request, busy, reply] = execute_thread();
        let browser = |seq, direction, caused_by: Option<u64>| {
            let r = on(
                1,
                1_700_000_000_000_000 + seq,
                text_frame(seq, Hop::Browser, direction, "{}"),
            );
            with_frame(r, |f| f.caused_by = caused_by)
        };
        let mut request = request;
        if let CaptureBody::KernelMessage(m) = &mut request.body {
            m.caused_by = Some(10);
        }
        let rows = vec![
            browser(10, Direction::ToServer, None),
            CaptureRecord { seq: 11, ..request },
            CaptureRecord { seq: 12, ..busy },
            CaptureRecord { seq: 13, ..reply },
            browser(14, Direction::ToClient, Some(12)),
            browser(15, Direction::ToClient, Some(13)),
        ];
        let records = loaded(rows);
        let t = hop_timeline(&records, 10).unwrap();
        assert_eq!(seqs(&t), [10, 11, 13, 15]);
        assert_eq!(t.paired_by.as_deref(), Some("its parent msg_id"));
        // From the busy status: its own relay, and the request it belongs to.
        let t = hop_timeline(&records, 14).unwrap();
        assert_eq!(seqs(&t), [10, 11, 12, 14]);
    }
}
