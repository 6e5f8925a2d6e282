//! The pcapng export read back by Debian's `tshark`: an echo exchange (text, binary, a
//! fragmented message, ping/pong, close) dissected as WebSocket frames whose count, opcodes and
//! payloads equal the JSONL export's.

use std::net::SocketAddr;
use std::process::Command;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wirebook_shared::hex::unhex;
use wirebook_shared::wire::{encode_frame, FrameSpec};
use wirebook_shared::{CaptureBody, CaptureRecord, Direction, Hop, Opcode};

use crate::http::http_get;
use crate::support::{within, TempDir, TestServer, TOKEN};

/// `tshark`, or a failure that says how to get it.
fn tshark() -> Command {
    let found = Command::new("tshark").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "tshark is not on PATH: run scripts/bootstrap.sh test (it installs Debian's tshark)"
    );
    Command::new("tshark")
}

/// Sends the exchange to `/echo` as a client would, and reads until the server's close.
async fn echo_exchange(addr: SocketAddr, long: &str) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let frame = |opcode, fin, payload: &[u8]| {
        encode_frame(&FrameSpec::new(opcode).fin(fin).masked(key), payload)
    };
    for bytes in [
        frame(Opcode::Text, true, "hello, wire".as_bytes()),
        frame(Opcode::Binary, true, &[0, 1, 2, 0xfe, 0xff]),
        frame(Opcode::Text, false, b"frag"),
        frame(Opcode::Continuation, false, b"men"),
        frame(Opcode::Continuation, true, b"ted"),
        frame(Opcode::Ping, true, b"are you there"),
        frame(Opcode::Text, true, long.as_bytes()),
        frame(Opcode::Close, true, &[0x03, 0xe8, b'b', b'y', b'e']),
    ] {
        tcp.write_all(&bytes).await.unwrap();
    }
    // The server answers and closes: read to its end.
    let mut rest = Vec::new();
    within(tcp.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.starts_with(b"HTTP/1.1 101"));
}

/// `path` (ending in `?` or `&`) with the token.
async fn download(addr: SocketAddr, path: &str) -> Vec<u8> {
    let response = http_get(addr, &format!("{path}token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    response.bytes
}

/// Every record in the capture, through the JSONL export, once the echo's side has closed.
async fn jsonl_when_closed(addr: SocketAddr) -> Vec<CaptureRecord> {
    within(async {
        loop {
            let body = download(addr, "/api/capture.jsonl?").await;
            let records: Vec<CaptureRecord> = String::from_utf8(body)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let closed = records
                .iter()
                .any(|r| r.hop == Hop::Endpoint && matches!(r.body, CaptureBody::Closed { .. }));
            if closed {
                return records;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
}

/// The packets tshark dissects in `file`, as its `-T json` layers.
fn dissected(file: &[u8]) -> Vec<Value> {
    let dir = TempDir::new("pcapng");
    let path = dir.0.join("capture.pcapng");
    std::fs::write(&path, file).unwrap();
    let out = tshark()
        .arg("-r")
        .arg(&path)
        .args(["-T", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packets: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    packets
        .into_iter()
        .map(|p| p["_source"]["layers"].clone())
        .collect()
}

/// A field tshark gives as a string.
fn field<'a>(layer: &'a Value, name: &str) -> &'a str {
    layer[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {layer}"))
}

/// `00:01:fe` → `0001fe`, the capture's hex.
fn plain_hex(tshark_bytes: &str) -> String {
    tshark_bytes.replace(':', "")
}

/// What tshark shows of a frame that completes a message: its payload as the capture's
/// preview writes it (text as text, other payloads as hex; a close as code and reason).
fn tshark_payload(packet: &Value) -> String {
    let payload = &packet["websocket"]["websocket.payload"];
    if let Some(text) = payload.get("websocket.payload.text") {
        return text.as_str().unwrap().to_string();
    }
    for control in ["websocket.payload.ping", "websocket.payload.pong"] {
        if let Some(bytes) = payload.get(control) {
            return plain_hex(bytes.as_str().unwrap());
        }
    }
    if let Some(close) = payload.get("websocket.payload.close") {
        return format!(
            "{} {}",
            field(close, "websocket.payload.close.status_code"),
            field(close, "websocket.payload.close.reason")
        );
    }
    // A binary message goes to the generic data dissector.
    plain_hex(field(&packet["data"], "data.data"))
}

#[tokio::test]
async fn tshark_reads_the_frames_the_jsonl_export_has() {
    let server = TestServer::with_defaults().await;
    let long = "0123456789".repeat(300);
    echo_exchange(server.addr, &long).await;
    let records = jsonl_when_closed(server.addr).await;
    let pcapng = http_get(
        server.addr,
        &format!("/api/capture.pcapng?token={TOKEN}"),
        &[],
    )
    .await;
    assert_eq!(pcapng.header("content-type"), Some("application/x-pcapng"));
    assert_eq!(
        pcapng.header("content-disposition"),
        Some("attachment; filename=\"wirebook-capture.pcapng\"")
    );
    let packets = dissected(&pcapng.bytes);

    // One TCP stream: the synthesised handshake, the upgrade, the frames, the FINs.
    assert!(packets
        .iter()
        .all(|p| field(&p["tcp"], "tcp.stream") == "0"));
    let http: Vec<&Value> = packets.iter().filter(|p| p.get("http").is_some()).collect();
    assert_eq!(http.len(), 2, "the upgrade request and response");
    assert!(http[0]["http"].to_string().contains("GET /echo HTTP/1.1"));
    assert!(http[1]["http"]
        .to_string()
        .contains("101 Switching Protocols"));
    let fins = packets
        .iter()
        .filter(|p| field(&p["tcp"]["tcp.flags_tree"], "tcp.flags.fin") == "1")
        .count();
    assert_eq!(fins, 2);

    let frames: Vec<&CaptureRecord> = records
        .iter()
        .filter(|r| matches!(r.body, CaptureBody::Frame(_)))
        .collect();
    let dissected: Vec<&Value> = packets
        .iter()
        .filter(|p| p.get("websocket").is_some())
        .collect();
    // 8 frames in; 6 echoed (the fragmented message as one frame, the ping as a pong).
    assert_eq!(frames.len(), 14);
    assert_eq!(
        dissected.len(),
        frames.len(),
        "one WebSocket frame per frame record"
    );
    let mut cut = 0;
    for (record, packet) in frames.iter().zip(&dissected) {
        let CaptureBody::Frame(frame) = &record.body else {
            unreachable!()
        };
        let websocket = &packet["websocket"];
        let context = format!("record {}: {websocket}", record.seq);
        assert_eq!(
            field(websocket, "websocket.opcode"),
            frame.opcode.as_u8().to_string(),
            "{context}"
        );
        assert_eq!(
            field(websocket, "websocket.fin") == "1",
            frame.fin,
            "{context}"
        );
        assert_eq!(
            field(websocket, "websocket.mask") == "1",
            frame.mask_key.is_some(),
            "{context}"
        );
        let comment = packet["pkt_comment"].to_string();
        assert!(
            comment.contains(&format!("conn {}, hop endpoint", record.conn))
                && comment.contains(&format!("(record {})", record.seq))
                && comment.contains(match frame.direction {
                    Direction::ToServer => "client → server",
                    Direction::ToClient => "server → client",
                }),
            "{comment}"
        );
        // Real timestamps, to the microsecond.
        let (seconds, fraction) = field(&packet["frame"], "frame.time_epoch")
            .split_once('.')
            .unwrap();
        let time_us: u64 = format!("{seconds}{}", &fraction[..6]).parse().unwrap();
        assert_eq!(time_us, record.time_us, "{context}");
        let (captured, original) = (
            field(&packet["frame"], "frame.cap_len"),
            field(&packet["frame"], "frame.len"),
        );
        if frame.truncated {
            // The preview's bytes, and the frame's real length after them.
            cut += 1;
            let header = frame.header_hex.len() / 2;
            let kept = unhex(&frame.payload_hex).unwrap().len();
            assert_eq!(captured, (40 + header + kept).to_string(), "{context}");
            assert_eq!(
                original,
                (40 + header as u64 + frame.len).to_string(),
                "{context}"
            );
            continue;
        }
        assert_eq!(captured, original, "{context}");
        if let Some(message) = &frame.message {
            let expected = match &message.close {
                Some(close) => format!("{} {}", close.code.unwrap(), close.reason),
                None => message.preview.clone(),
            };
            assert_eq!(tshark_payload(packet), expected, "{context}");
        }
    }
    assert_eq!(cut, 2, "the long message each way is cut at the preview");
    let texts: Vec<String> = dissected
        .iter()
        .filter_map(|p| p["websocket"]["websocket.payload"].get("websocket.payload.text"))
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        texts,
        ["hello, wire", "fragmented", "hello, wire", "fragmented"]
    );

    // One connection asked for; one that is not there is an empty capture.
    let conn = frames[0].conn;
    let one = download(server.addr, &format!("/api/capture.pcapng?conn={conn}&")).await;
    assert_eq!(one, pcapng.bytes);
    let none = download(server.addr, "/api/capture.pcapng?conn=999&").await;
    assert!(dissected_count(&none) == 0);
    assert_eq!(
        http_get(server.addr, "/api/capture.pcapng", &[])
            .await
            .status,
        403
    );
}

fn dissected_count(file: &[u8]) -> usize {
    dissected(file).len()
}

/// The JSONL export's records.
fn parse_jsonl(body: &[u8]) -> Vec<CaptureRecord> {
    String::from_utf8_lossy(body)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The WebSocket frames tshark dissects: opcode and what [`tshark_payload`] reads.
fn websocket_frames(file: &[u8]) -> Vec<(String, String)> {
    dissected(file)
        .iter()
        .filter(|p| p.get("websocket").is_some())
        .map(|p| {
            (
                field(&p["websocket"], "websocket.opcode").to_string(),
                tshark_payload(p),
            )
        })
        .collect()
}

/// Some rows asked for (`?seqs=`, `?filter=`): JSONL has those records; the pcapng has their
/// frames with their connection around them (Wireshark still dissects them); HAR has their
/// messages.
#[tokio::test]
async fn exports_of_the_selected_or_filtered_rows() {
    let server = TestServer::with_defaults().await;
    echo_exchange(server.addr, "short").await;
    let records = jsonl_when_closed(server.addr).await;

    let filter: String = form_urlencoded::byte_serialize(br#"{"search":"HELLO"}"#).collect();
    let filtered =
        parse_jsonl(&download(server.addr, &format!("/api/capture.jsonl?filter={filter}&")).await);
    assert_eq!(filtered.len(), 2, "sent and echoed: {filtered:?}");
    let pcapng = download(
        server.addr,
        &format!("/api/capture.pcapng?filter={filter}&"),
    )
    .await;
    let hello = ("1".to_string(), "hello, wire".to_string());
    assert_eq!(websocket_frames(&pcapng), [hello.clone(), hello]);
    let packets = dissected(&pcapng);
    assert_eq!(
        packets.iter().filter(|p| p.get("http").is_some()).count(),
        2
    );
    assert_eq!(
        packets
            .iter()
            .filter(|p| field(&p["tcp"]["tcp.flags_tree"], "tcp.flags.fin") == "1")
            .count(),
        2
    );

    // The binary message and its echo, by seq.
    let binary: Vec<u64> = records
        .iter()
        .filter(|r| matches!(&r.body, CaptureBody::Frame(f) if f.opcode == Opcode::Binary))
        .map(|r| r.seq)
        .collect();
    assert_eq!(binary.len(), 2);
    let seqs = format!("{},{}", binary[0], binary[1]);
    let selected =
        parse_jsonl(&download(server.addr, &format!("/api/capture.jsonl?seqs={seqs}&")).await);
    assert_eq!(selected.iter().map(|r| r.seq).collect::<Vec<_>>(), binary);
    let pcapng = download(server.addr, &format!("/api/capture.pcapng?seqs={seqs}&")).await;
    let bytes = ("2".to_string(), "000102feff".to_string());
    assert_eq!(websocket_frames(&pcapng), [bytes.clone(), bytes]);
    let har: Value = serde_json::from_slice(
        &download(server.addr, &format!("/api/capture.har?seqs={seqs}&")).await,
    )
    .unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let messages = entries[0]["_webSocketMessages"].as_array().unwrap();
    let types: Vec<&str> = messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["send", "receive"]);
    assert!(messages.iter().all(|m| m["opcode"] == 2));

    for (query, says) in [
        ("seqs=x", "neither"),
        ("seqs=1&filter=%7B%7D", "not both"),
        ("filter=%7B", "as JSON"),
        ("seqs=9-3", "ends before it starts"),
    ] {
        let refused = http_get(
            server.addr,
            &format!("/api/capture.pcapng?{query}&token={TOKEN}"),
            &[],
        )
        .await;
        assert_eq!(refused.status, 400, "{query}");
        assert!(refused.body.contains(says), "{query}: {}", refused.body);
    }
}
