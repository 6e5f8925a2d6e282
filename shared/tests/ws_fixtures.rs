//! Byte streams recorded between real third-party peers (python `websockets` as server; as
//! clients `websockets` with permessage-deflate on and off, and `websocket-client`), decoded the
//! way the capture decodes them: handshake heads → `check_upgrade` → frames → messages, in
//! both directions. The messages must be exactly what the recording script sent and got back
//! (inflated, for the compressed stream), with no findings. Recorded by
//! `shared/fixtures/ws/record.py`; see its docstring.

use base64::Engine as _;
use serde_json::Value;
use wirebook_shared::wire::{
    check_upgrade, parse_request, parse_response, ClosePayload, FrameDecoder, Message,
    MessageAssembler, Parsed, Upgrade,
};
use wirebook_shared::{Direction, Opcode};

struct Fixture {
    name: &'static str,
    c2s: &'static [u8],
    s2c: &'static [u8],
    manifest: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        Fixture {
            name: $name,
            c2s: include_bytes!(concat!("../fixtures/ws/", $name, ".c2s")),
            s2c: include_bytes!(concat!("../fixtures/ws/", $name, ".s2c")),
            manifest: include_str!(concat!("../fixtures/ws/", $name, ".json")),
        }
    };
}

const FIXTURES: [Fixture; 3] = [
    fixture!("websockets-deflate"),
    fixture!("websockets-plain"),
    fixture!("websocket-client"),
];

/// A stream decoded: its messages, and the total of frames and frame findings.
struct Decoded {
    messages: Vec<Message>,
    frames: usize,
    masked: usize,
    compressed_frames: usize,
}

fn decode(direction: Direction, bytes: &[u8], upgrade: &Upgrade) -> Decoded {
    let mut frames = FrameDecoder::new(direction).with_extensions(&upgrade.extensions);
    let mut assembler = MessageAssembler::new(direction, upgrade.deflate.as_ref());
    let mut decoded = Decoded {
        messages: Vec::new(),
        frames: 0,
        masked: 0,
        compressed_frames: 0,
    };
    // Socket-sized pieces, so frames straddle pushes as they do in the tap.
    for piece in bytes.chunks(1000) {
        for frame in frames.push(piece) {
            assert!(frame.findings.is_empty(), "{:?}", frame.findings);
            decoded.frames += 1;
            decoded.masked += usize::from(frame.header.is_masked());
            decoded.compressed_frames += usize::from(frame.header.rsv1);
            decoded.messages.extend(assembler.push(&frame));
        }
    }
    assert!(assembler.finish().is_none(), "a message was left open");
    decoded
}

/// The manifest's messages as (opcode, payload).
fn expected(manifest: &Value, key: &str) -> Vec<(Opcode, Vec<u8>)> {
    manifest[key]
        .as_array()
        .unwrap_or_else(|| panic!("manifest has no {key:?}"))
        .iter()
        .map(|m| match m["type"].as_str() {
            Some("text") => (
                Opcode::Text,
                m["data"].as_str().unwrap().as_bytes().to_vec(),
            ),
            Some("binary") => (
                Opcode::Binary,
                base64::engine::general_purpose::STANDARD
                    .decode(m["base64"].as_str().unwrap())
                    .unwrap(),
            ),
            other => panic!("unknown message type {other:?}"),
        })
        .collect()
}

fn data_messages(messages: &[Message]) -> Vec<(Opcode, Vec<u8>)> {
    messages
        .iter()
        .filter(|m| !m.opcode.is_control())
        .map(|m| {
            assert!(m.complete && !m.truncated, "{m:?}");
            assert!(m.findings.is_empty(), "{:?}", m.findings);
            (m.opcode, m.payload.clone())
        })
        .collect()
}

fn close_code(messages: &[Message]) -> Option<u16> {
    let close = messages.iter().find(|m| m.opcode == Opcode::Close)?;
    ClosePayload::parse(&close.payload).code.map(|c| c.code)
}

/// A fixture's manifest, what its handshake negotiated, and the bytes after each head.
fn open(fixture: &Fixture) -> (Value, Upgrade, &'static [u8], &'static [u8]) {
    let name = fixture.name;
    let manifest: Value = serde_json::from_str(fixture.manifest).unwrap();
    let Ok(Parsed::Complete {
        head: request,
        consumed: request_len,
    }) = parse_request(fixture.c2s)
    else {
        panic!("{name}: no request head");
    };
    let Ok(Parsed::Complete {
        head: response,
        consumed: response_len,
    }) = parse_response(fixture.s2c)
    else {
        panic!("{name}: no response head");
    };
    assert_eq!(request.method, "GET", "{name}");
    assert_eq!(response.status, 101, "{name}");
    let upgrade = check_upgrade(&request, &response);
    (
        manifest,
        upgrade,
        &fixture.c2s[request_len..],
        &fixture.s2c[response_len..],
    )
}

fn check(fixture: &Fixture) {
    let name = fixture.name;
    let (manifest, upgrade, c2s, s2c) = open(fixture);
    assert!(upgrade.accepted(), "{name}: {:?}", upgrade.findings);
    assert!(
        upgrade.findings.is_empty(),
        "{name}: {:?}",
        upgrade.findings
    );
    let compressed = manifest["compressed"].as_bool().unwrap();
    assert_eq!(upgrade.deflate.is_some(), compressed, "{name}");

    let to_server = decode(Direction::ToServer, c2s, &upgrade);
    let to_client = decode(Direction::ToClient, s2c, &upgrade);
    // Clients mask every frame, servers none.
    assert_eq!(to_server.masked, to_server.frames, "{name}");
    assert_eq!(to_client.masked, 0, "{name}");
    assert_eq!(
        data_messages(&to_server.messages),
        expected(&manifest, "sent"),
        "{name}: client-to-server messages"
    );
    assert_eq!(
        data_messages(&to_client.messages),
        expected(&manifest, "received"),
        "{name}: server-to-client messages"
    );
    // The fragmented message took several frames in the client's direction.
    assert!(
        to_server.messages.iter().any(|m| m.frames > 1),
        "{name}: no fragmented message"
    );
    for decoded in [&to_server, &to_client] {
        let compressed_messages = decoded.messages.iter().filter(|m| m.compressed).count();
        if compressed {
            assert!(decoded.compressed_frames > 0, "{name}");
            assert!(compressed_messages > 0, "{name}");
        } else {
            assert_eq!(decoded.compressed_frames + compressed_messages, 0, "{name}");
        }
        // A ping and its pong; both ends close with the manifest's code.
        assert!(
            decoded
                .messages
                .iter()
                .any(|m| matches!(m.opcode, Opcode::Ping | Opcode::Pong)),
            "{name}: no ping/pong"
        );
        assert_eq!(
            close_code(&decoded.messages),
            manifest["close_code"].as_u64().map(|c| c as u16),
            "{name}"
        );
    }
}

#[test]
fn websockets_with_permessage_deflate() {
    check(&FIXTURES[0]);
}

#[test]
fn websockets_without_compression() {
    check(&FIXTURES[1]);
}

#[test]
fn websocket_client_against_websockets() {
    check(&FIXTURES[2]);
}

#[test]
fn the_long_text_deflates_to_less_than_its_length() {
    // The second copy of the long text reuses the first's window (context takeover).
    let (manifest, upgrade, c2s, _) = open(&FIXTURES[0]);
    let long = expected(&manifest, "sent")[2].1.len() as u64;
    let decoded = decode(Direction::ToServer, c2s, &upgrade);
    let longs: Vec<&Message> = decoded.messages.iter().filter(|m| m.len == long).collect();
    assert_eq!(longs.len(), 2);
    assert!(longs.iter().all(|m| m.compressed && m.wire_len < m.len));
    assert!(longs[1].wire_len < longs[0].wire_len, "no context reused");
}
