//! The byte tap on a loopback pair: the RFC 6455 §5.7 examples as wirebook's client sends and
//! receives them, raw, through [`Tap`].

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wirebook_server::capture::recorder::Recorder;
use wirebook_server::capture::ring::Capture;
use wirebook_server::capture::tap::Tap;
use wirebook_shared::wire::accept_key;
use wirebook_shared::{CaptureBody, Direction, FrameRecord, Hop, Opcode};

use crate::support::within;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A server that answers the handshake, sends the RFC's server-side examples, reads until
/// the client's frame arrived and hangs up.
async fn rfc_server(listener: TcpListener) {
    let (mut tcp, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.unwrap());
    }
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(KEY)
    );
    let mut out = response.into_bytes();
    // A single-frame unmasked text message.
    out.extend_from_slice(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
    // A fragmented unmasked text message.
    out.extend_from_slice(&[0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']);
    // Unmasked ping.
    out.extend_from_slice(&[0x89, 0x05, b'H', b'e', b'l', b'l', b'o']);
    // 256 bytes binary in a single unmasked frame (16-bit length).
    out.extend_from_slice(&[0x82, 0x7e, 0x01, 0x00]);
    out.extend(std::iter::repeat_n(0xab, 256));
    // 64 KiB binary in a single unmasked frame (64-bit length).
    out.extend_from_slice(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    out.extend(std::iter::repeat_n(0xcd, 65536));
    tcp.write_all(&out).await.unwrap();
    let mut frame = [0u8; 11];
    tcp.read_exact(&mut frame).await.unwrap();
}

#[tokio::test]
async fn the_tap_decodes_the_rfc_examples_both_ways() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(rfc_server(listener));
    let capture = Arc::new(Capture::new(1000, 1024));
    let recorder = Recorder::open(
        &capture,
        Hop::Kernel,
        "wirebook".into(),
        addr.to_string(),
        format!("ws://{addr}/chat"),
    );
    let conn = recorder.conn();
    recorder.finish("done");
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tap = Tap::client(tcp, recorder);
    let request = format!(
        "GET /chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tap.write_all(request.as_bytes()).await.unwrap();
    // A single-frame masked text message (the RFC's mask key).
    tap.write_all(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ])
    .await
    .unwrap();
    let mut received = Vec::new();
    within(tap.read_to_end(&mut received)).await.unwrap();
    within(server).await.unwrap();
    drop(tap);

    let records = capture.snapshot();
    assert!(records
        .iter()
        .all(|r| r.conn == conn && r.hop == Hop::Kernel));
    let CaptureBody::Handshake(handshake) = &records[1].body else {
        panic!("expected the handshake second, got {:?}", records[1].body);
    };
    assert_eq!(handshake.request.start_line, "GET /chat HTTP/1.1");
    assert_eq!(
        handshake.response.as_ref().unwrap().start_line,
        "HTTP/1.1 101 Switching Protocols"
    );
    assert_eq!(handshake.accept_ok, Some(true));
    assert!(handshake.findings.is_empty(), "{:?}", handshake.findings);

    let frames: Vec<&FrameRecord> = records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::Frame(frame) => Some(&**frame),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 7, "{frames:#?}");
    let sent = frames[0];
    assert_eq!(sent.direction, Direction::ToServer);
    assert_eq!(sent.mask_key, Some([0x37, 0xfa, 0x21, 0x3d]));
    assert_eq!(sent.header_hex, "818537fa213d");
    assert_eq!(sent.payload_hex, "48656c6c6f", "unmasked");
    assert_eq!(sent.message.as_ref().unwrap().preview, "Hello");

    let got: Vec<&FrameRecord> = frames[1..].to_vec();
    assert!(got
        .iter()
        .all(|f| f.direction == Direction::ToClient && f.mask_key.is_none()));
    assert!(got.iter().all(|f| f.findings.is_empty()), "{got:#?}");
    assert_eq!(got[0].header_hex, "8105");
    assert_eq!(got[0].message.as_ref().unwrap().preview, "Hello");
    assert_eq!(got[0].offset, 0);
    // Fragments: the first frame completes nothing; the second completes "Hello".
    assert!(!got[1].fin && got[1].message.is_none());
    assert_eq!(got[1].offset, 7);
    let whole = got[2].message.as_ref().unwrap();
    assert_eq!((whole.frames, whole.preview.as_str()), (2, "Hello"));
    assert_eq!(got[3].opcode, Opcode::Ping);
    assert_eq!(got[3].message.as_ref().unwrap().preview, "48656c6c6f");
    assert_eq!((got[4].len, got[4].length_form.as_str()), (256, "16-bit"));
    assert!(!got[4].truncated);
    assert_eq!((got[5].len, got[5].length_form.as_str()), (65536, "64-bit"));
    assert!(got[5].truncated, "the preview keeps 1024 bytes");
    assert_eq!(got[5].payload_hex.len(), 2048);
    assert_eq!(got[5].message.as_ref().unwrap().len, 65536);

    assert!(matches!(
        &records.last().unwrap().body,
        CaptureBody::Closed { reason, .. } if reason == "done"
    ));
}
