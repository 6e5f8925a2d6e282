//! Finding records in a capture: the frames that complete messages, a text message on a hop,
//! a hop's handshake, and the four legs of one echoed cell.

use wirebook_shared::{
    CaptureBody, CaptureRecord, Direction, FrameRecord, HandshakeRecord, Hop, HttpHeadRecord,
    MessageSummary, Opcode,
};

/// The frame records that complete a message: hop, direction, the record, its summary.
pub fn messages(
    records: &[CaptureRecord],
) -> impl Iterator<Item = (&CaptureRecord, &FrameRecord, &MessageSummary)> {
    records.iter().filter_map(|record| match &record.body {
        CaptureBody::Frame(frame) => frame.message.as_ref().map(|m| (record, &**frame, m)),
        _ => None,
    })
}

/// The first text message record on `hop` going `direction` whose preview contains `text`,
/// with its `caused_by`.
pub fn find_text<'a>(
    records: &'a [CaptureRecord],
    hop: Hop,
    direction: Direction,
    text: &str,
) -> Option<(&'a CaptureRecord, Option<u64>)> {
    messages(records).find_map(|(record, frame, message)| {
        (record.hop == hop
            && frame.direction == direction
            && message.opcode == Opcode::Text
            && message.preview.contains(text))
        .then_some((record, frame.caused_by))
    })
}

/// The first handshake recorded on `hop`.
pub fn handshake_on(records: &[CaptureRecord], hop: Hop) -> Option<&HandshakeRecord> {
    records.iter().find_map(|r| match &r.body {
        CaptureBody::Handshake(h) if r.hop == hop => Some(&**h),
        _ => None,
    })
}

/// The first value of header `name`, any case, in a recorded request or response head.
pub fn head_header<'a>(head: &'a HttpHeadRecord, name: &str) -> Option<&'a str> {
    head.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The four records of one echoed cell: the browser's `execute`, the code sent to the kernel,
/// the kernel's reply and the browser's `output`.
pub struct EchoLegs<'a> {
    pub execute: &'a CaptureRecord,
    pub upstream: &'a CaptureRecord,
    pub reply: &'a CaptureRecord,
    pub output: &'a CaptureRecord,
}

/// Finds the four legs of the cell that ran `code`, checking that the code sent upstream
/// points at the `execute` and the `output` at the kernel's reply.
pub fn echo_legs<'a>(records: &'a [CaptureRecord], code: &str) -> EchoLegs<'a> {
    let leg = |hop, direction, text: &str| {
        find_text(records, hop, direction, text)
            .unwrap_or_else(|| panic!("no {hop:?} {direction:?} message with {text}"))
    };
    let (execute, _) = leg(Hop::Browser, Direction::ToServer, r#""type":"execute""#);
    let (upstream, caused_by) = leg(Hop::Kernel, Direction::ToServer, code);
    assert_eq!(caused_by, Some(execute.seq));
    let (reply, _) = leg(Hop::Kernel, Direction::ToClient, code);
    let (output, caused_by) = leg(Hop::Browser, Direction::ToClient, r#""type":"output""#);
    assert_eq!(caused_by, Some(reply.seq));
    EchoLegs {
        execute,
        upstream,
        reply,
        output,
    }
}

/// Whether the inspector's own feed (`capture` batches) got into the capture: it must not.
pub fn feed_recorded(records: &[CaptureRecord]) -> bool {
    find_text(
        records,
        Hop::Browser,
        Direction::ToClient,
        r#""type":"capture""#,
    )
    .is_some()
}
