//! Capture records for the host tests of the session's records and the inspector's models:
//! frames, kernel messages, heartbeats and handshakes on the hops, built the way the server
//! records them.

use wirebook_shared::capture::{
    CaptureBody, CaptureRecord, ConnId, Direction, FrameRecord, HandshakeRecord, Hop,
    HttpHeadRecord,
};
use wirebook_shared::jupyter::KernelMessageRecord;

/// A final, unmasked text frame that completes a one-frame message.
pub fn text_frame(seq: u64, hop: Hop, direction: Direction, text: &str) -> CaptureRecord {
    CaptureRecord {
        seq,
        conn: 1,
        hop,
        time_us: 1_700_000_000_000_000 + seq,
        body: CaptureBody::Frame(Box::new(FrameRecord::text_message(direction, text))),
    }
}

/// A kernel message on conn 9 (the kernel hop), signed and verified, with `content`.
pub fn kernel_record(
    seq: u64,
    channel: wirebook_shared::jupyter::Channel,
    direction: Direction,
    msg_type: &str,
    msg_id: &str,
    parent: Option<&str>,
    content: &str,
) -> CaptureRecord {
    use wirebook_shared::jupyter::{SignatureCheck, WireFormat, WireParts};
    CaptureRecord {
        seq,
        conn: 9,
        hop: Hop::Kernel,
        time_us: 1_700_000_000_000_000 + seq,
        body: CaptureBody::KernelMessage(Box::new(KernelMessageRecord {
            channel,
            direction,
            msg_type: msg_type.into(),
            msg_id: msg_id.into(),
            parent_msg_id: parent.map(str::to_string),
            size: 100 + content.len() as u64,
            parts: WireParts {
                format: WireFormat::Zmq,
                identities: vec!["00aa".into()],
                signature: "ab".repeat(32),
                signature_check: SignatureCheck::Verified,
                offsets: Vec::new(),
                header: format!(r#"{{"msg_id":"{msg_id}","msg_type":"{msg_type}"}}"#),
                parent_header: parent.map_or("{}".into(), |p| format!(r#"{{"msg_id":"{p}"}}"#)),
                metadata: "{}".into(),
                content: content.into(),
                content_len: content.len() as u64,
                content_truncated: false,
                buffers: Vec::new(),
            },
            findings: Vec::new(),
            caused_by: None,
        })),
    }
}

pub fn beat(seq: u64, conn: ConnId, ok: bool) -> CaptureRecord {
    CaptureRecord {
        seq,
        conn,
        hop: Hop::Kernel,
        time_us: 1_700_000_000_000_000 + seq,
        body: CaptureBody::Heartbeat {
            ok,
            rtt_us: ok.then_some(1_250),
        },
    }
}

pub fn msg(seq: u64, hop: Hop, preview: &str) -> CaptureRecord {
    text_frame(seq, hop, Direction::ToServer, preview)
}

pub fn with_frame(
    mut record: CaptureRecord,
    change: impl FnOnce(&mut FrameRecord),
) -> CaptureRecord {
    if let CaptureBody::Frame(frame) = &mut record.body {
        change(frame);
    }
    record
}

/// The frame a record made by [`text_frame`] (or [`with_frame`]) carries.
pub fn frame_of(record: &CaptureRecord) -> &FrameRecord {
    match &record.body {
        CaptureBody::Frame(frame) => frame,
        _ => unreachable!("record #{} is not a frame", record.seq),
    }
}

pub fn handshake_record(seq: u64, conn: ConnId, hop: Hop) -> CaptureRecord {
    CaptureRecord {
        seq,
        conn,
        hop,
        time_us: 1_700_000_000_000_000,
        body: CaptureBody::Handshake(Box::new(HandshakeRecord {
            request: HttpHeadRecord {
                start_line: "GET /echo HTTP/1.1".into(),
                headers: vec![
                    ("Host".into(), "127.0.0.1:8977".into()),
                    ("Upgrade".into(), "websocket".into()),
                    (
                        "Sec-WebSocket-Key".into(),
                        "dGhlIHNhbXBsZSBub25jZQ==".into(),
                    ),
                ],
            },
            response: Some(HttpHeadRecord {
                start_line: "HTTP/1.1 101 Switching Protocols".into(),
                headers: vec![(
                    "Sec-WebSocket-Accept".into(),
                    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
                )],
            }),
            accept_ok: Some(true),
            protocol: None,
            extensions: Vec::new(),
            findings: Vec::new(),
        })),
    }
}

/// An execute request on the kernel hop (seq 1, msg_id `0123456789abcdef`), the iopub
/// `status` busy under it (seq 2) and its reply (seq 3).
pub fn execute_thread() -> [CaptureRecord; 3] {
    use wirebook_shared::jupyter::Channel;
    let request = kernel_record(
        1,
        Channel::Shell,
        Direction::ToServer,
        "execute_request",
        "0123456789abcdef",
        None,
        r#"{"code":"print('hi')
"}"#,
    );
    let busy = kernel_record(
        2,
        Channel::Iopub,
        Direction::ToClient,
        "status",
        "busy-1",
        Some("0123456789abcdef"),
        r#"{"execution_state":"busy"}"#,
    );
    let reply = kernel_record(
        3,
        Channel::Shell,
        Direction::ToClient,
        "execute_reply",
        "reply-1",
        Some("0123456789abcdef"),
        "{}",
    );
    [request, busy, reply]
}
