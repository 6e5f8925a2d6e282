//! The byte tap in the running server: handshakes and frames on every hop, relay links,
//! protocol violations, pausing, and the HAR / JSONL exports.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wirebook_server::config::Config;
use wirebook_shared::wire::{encode_frame, FrameSpec};
use wirebook_shared::{CaptureBody, CaptureRecord, Direction, Hop, Opcode, ServerMsg};

use crate::capture_records::{echo_legs, feed_recorded, find_text, handshake_on, messages};
use crate::http::http_get;
use crate::session_client::{is_kernel_open, SessionClient};
use crate::support::{within, TestServer, TOKEN};

/// Everything in the capture, through the JSONL export.
async fn jsonl(addr: SocketAddr) -> Vec<CaptureRecord> {
    let response = http_get(addr, &format!("/api/capture.jsonl?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 200);
    response
        .body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Polls the capture until `done` holds.
async fn capture_until(
    addr: SocketAddr,
    done: impl Fn(&[CaptureRecord]) -> bool,
) -> Vec<CaptureRecord> {
    within(async {
        loop {
            let records = jsonl(addr).await;
            if done(&records) {
                return records;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
}

async fn run_one_cell(server: &TestServer, code: &str) -> (SessionClient, u64) {
    let (mut client, hello) = SessionClient::open(server).await;
    let ServerMsg::Hello { session_conn, .. } = hello else {
        panic!("expected Hello");
    };
    client.wait_for(is_kernel_open).await;
    client.run_to_output("c1", code).await;
    (client, session_conn)
}

#[tokio::test]
async fn handshakes_and_frames_on_every_hop_with_masks_and_relay_links() {
    let server = TestServer::with_defaults().await;
    let (mut client, session_conn) = run_one_cell(&server, "hai").await;
    client.capture_until_output().await;
    let records = &client.records;

    // The browser's handshake, as sent, with the token redacted.
    let handshake = records
        .iter()
        .find_map(|r| match &r.body {
            CaptureBody::Handshake(h) if r.conn == session_conn => Some(h),
            _ => None,
        })
        .expect("the session's handshake");
    assert_eq!(
        handshake.request.start_line,
        "GET /session?token=<redacted> HTTP/1.1"
    );
    assert!(!format!("{handshake:?}").contains(TOKEN));
    assert_eq!(
        handshake.response.as_ref().unwrap().start_line,
        "HTTP/1.1 101 Switching Protocols"
    );
    assert_eq!(handshake.accept_ok, Some(true));
    // The kernel hop's handshake is the request wirebook sent.
    let kernel = handshake_on(records, Hop::Kernel).expect("the kernel's handshake");
    assert_eq!(kernel.request.start_line, "GET /echo HTTP/1.1");
    assert_eq!(kernel.accept_ok, Some(true));

    // Clients mask, servers don't, on both hops.
    for (record, frame, _) in messages(records) {
        if record.hop == Hop::Endpoint {
            continue;
        }
        match frame.direction {
            Direction::ToServer => assert!(frame.mask_key.is_some(), "{frame:?}"),
            Direction::ToClient => assert!(frame.mask_key.is_none(), "{frame:?}"),
        }
        assert!(frame.findings.is_empty(), "{frame:?}");
    }

    // execute (browser) → code (kernel) → reply (kernel) → output (browser).
    let legs = echo_legs(records, "hai");
    assert_ne!(legs.upstream.conn, legs.execute.conn);
    // The echo endpoint's side of the kernel connection is its own hop.
    let (echoed, _) = find_text(records, Hop::Endpoint, Direction::ToServer, "hai").unwrap();
    let (_, caused_by) = find_text(records, Hop::Endpoint, Direction::ToClient, "hai").unwrap();
    // The echo points at the message it echoes.
    assert_eq!(caused_by, Some(echoed.seq));
    // The inspector's own feed is not recorded.
    assert!(!feed_recorded(records));
}

/// Opens a raw WebSocket to `/echo` and returns the socket after the 101.
async fn raw_echo(addr: SocketAddr) -> TcpStream {
    raw_upgrade(addr, "/echo", &[]).await
}

/// Sends an upgrade request for `path` with `behind` in the same write (bytes there land in
/// the server's HTTP read buffer with the request), and returns the socket after the `101`.
async fn raw_upgrade(addr: SocketAddr, path: &str, behind: &[u8]) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let mut bytes = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes();
    bytes.extend_from_slice(behind);
    tcp.write_all(&bytes).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(within(tcp.read_u8()).await.unwrap());
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    tcp
}

/// Reads one unmasked frame with a short payload: its first byte and its payload.
async fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 2];
    within(tcp.read_exact(&mut header)).await.unwrap();
    let mut payload = vec![0u8; usize::from(header[1] & 0x7f)];
    within(tcp.read_exact(&mut payload)).await.unwrap();
    (header[0], payload)
}

/// Reads one unmasked close frame and returns its code.
async fn read_close(tcp: &mut TcpStream) -> u16 {
    let (first, payload) = read_frame(tcp).await;
    assert_eq!(first, 0x88, "expected a close frame");
    u16::from_be_bytes([payload[0], payload[1]])
}

/// Reads one unmasked text frame and returns its payload.
async fn read_text(tcp: &mut TcpStream) -> Vec<u8> {
    let (first, payload) = read_frame(tcp).await;
    assert_eq!(first, 0x81, "expected a final text frame");
    payload
}

/// A client's masked text frame of `text`.
fn masked_text(text: &[u8]) -> Vec<u8> {
    encode_frame(&FrameSpec::new(Opcode::Text).masked([7, 1, 2, 3]), text)
}

/// Whether the echo endpoint's side of a connection has closed.
fn endpoint_closed(records: &[CaptureRecord]) -> bool {
    records
        .iter()
        .any(|r| r.hop == Hop::Endpoint && matches!(r.body, CaptureBody::Closed { .. }))
}

fn closed_of(records: &[CaptureRecord], conn: u64) -> Option<(Option<u16>, &str)> {
    records.iter().find_map(|r| match &r.body {
        CaptureBody::Closed { code, reason } if r.conn == conn => Some((*code, reason.as_str())),
        _ => None,
    })
}

#[tokio::test]
async fn an_unmasked_client_frame_is_flagged_and_fails_the_connection_with_1002() {
    let server = TestServer::with_defaults().await;
    let mut tcp = raw_echo(server.addr).await;
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    assert_eq!(read_close(&mut tcp).await, 1002);
    drop(tcp);
    let records = capture_until(server.addr, endpoint_closed).await;
    let (record, frame, _) = messages(&records)
        .find(|(r, f, _)| r.hop == Hop::Endpoint && f.direction == Direction::ToServer)
        .expect("the unmasked frame");
    assert!(frame.mask_key.is_none());
    assert!(
        frame.findings.iter().any(|f| f.contains("not masked")),
        "{:?}",
        frame.findings
    );
    let (code, reason) = closed_of(&records, record.conn).unwrap();
    assert_eq!(code, Some(1002));
    assert!(reason.contains("broke the protocol"), "{reason}");
}

#[tokio::test]
async fn a_frame_over_the_limit_is_recorded_with_its_true_length_and_closes_with_1009() {
    let mut config = Config::new(TOKEN);
    config.websocket.max_message_size = 1024;
    let server = TestServer::start(config).await;
    let mut tcp = raw_echo(server.addr).await;
    // A masked text frame announcing 4000 bytes; only 100 follow.
    let mut frame = vec![0x81, 0xfe, 0x0f, 0xa0, 1, 2, 3, 4];
    frame.extend(std::iter::repeat_n(b'x' ^ 1, 100));
    tcp.write_all(&frame).await.unwrap();
    assert_eq!(read_close(&mut tcp).await, 1009);
    drop(tcp);
    let records = capture_until(server.addr, endpoint_closed).await;
    let frame = records
        .iter()
        .find_map(|r| match &r.body {
            CaptureBody::Frame(f) if f.direction == Direction::ToServer => Some(f),
            _ => None,
        })
        .expect("the cut frame");
    assert_eq!(frame.len, 4000);
    assert_eq!(frame.length_form, "16-bit");
    assert!(frame.truncated);
    assert!(
        frame.findings.iter().any(|f| f.contains("ended inside")),
        "{:?}",
        frame.findings
    );
    let conn = records
        .iter()
        .find(|r| r.hop == Hop::Endpoint)
        .unwrap()
        .conn;
    let (code, reason) = closed_of(&records, conn).unwrap();
    assert_eq!(code, Some(1009));
    assert!(reason.contains("over the limit"), "{reason}");
}

#[tokio::test]
async fn pausing_stops_recording_for_everyone_until_resumed() {
    let server = TestServer::with_defaults().await;
    let (mut client, _) = SessionClient::open(&server).await;
    let (mut other, _) = SessionClient::open(&server).await;
    client.wait_for(is_kernel_open).await;
    client.wait_paused(false).await;

    client.set_capture_paused(true).await;
    other.wait_paused(true).await;
    client.run_to_output("c1", "quiet").await;
    client.set_capture_paused(false).await;
    other.wait_paused(false).await;
    client.execute("c2", "loud").await;
    client
        .capture_until(|records| {
            find_text(records, Hop::Kernel, Direction::ToClient, "loud").is_some()
        })
        .await;
    let records = jsonl(server.addr).await;
    assert!(find_text(&records, Hop::Kernel, Direction::ToServer, "loud").is_some());
    assert!(
        records
            .iter()
            .all(|r| !format!("{:?}", r.body).contains("quiet")),
        "nothing of the paused cell is on record"
    );
}

#[tokio::test]
async fn exports_har_and_jsonl() {
    let server = TestServer::with_defaults().await;
    let (mut client, session_conn) = run_one_cell(&server, "hai").await;
    client.capture_until_output().await;

    // Token required.
    assert_eq!(
        http_get(server.addr, "/api/capture.har", &[]).await.status,
        403
    );
    assert_eq!(
        http_get(server.addr, "/api/capture.jsonl", &[])
            .await
            .status,
        403
    );
    let bad = http_get(
        server.addr,
        &format!("/api/capture.har?token={TOKEN}&conn=x"),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);

    let har = http_get(server.addr, &format!("/api/capture.har?token={TOKEN}"), &[]).await;
    assert_eq!(har.status, 200);
    assert_eq!(
        har.header("content-disposition"),
        Some("attachment; filename=\"wirebook-capture.har\"")
    );
    let har: serde_json::Value = serde_json::from_str(&har.body).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    assert!(
        entries.len() >= 3,
        "session, kernel and endpoint: {entries:#?}"
    );
    for entry in entries {
        assert_eq!(entry["_resourceType"], "websocket");
        assert_eq!(entry["request"]["method"], "GET");
        assert_eq!(entry["request"]["httpVersion"], "HTTP/1.1");
        assert_eq!(entry["response"]["status"], 101);
        assert_eq!(entry["response"]["statusText"], "Switching Protocols");
        assert!(entry["startedDateTime"].as_str().unwrap().ends_with('Z'));
    }
    let kernel = entries
        .iter()
        .find(|e| e["request"]["url"] == format!("ws://{}/echo", server.addr))
        .expect("an entry for a connection to /echo");
    let messages = kernel["_webSocketMessages"].as_array().unwrap();
    let hai: Vec<&str> = messages
        .iter()
        .filter(|m| m["data"] == "hai" && m["opcode"] == 1)
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(hai, ["send", "receive"]);
    assert!(messages.iter().all(|m| m["time"].as_f64().unwrap() > 1.6e9));

    let one = http_get(
        server.addr,
        &format!("/api/capture.har?token={TOKEN}&conn={session_conn}"),
        &[],
    )
    .await;
    assert_eq!(
        one.header("content-disposition"),
        Some(format!("attachment; filename=\"wirebook-conn-{session_conn}.har\"").as_str())
    );
    let one: serde_json::Value = serde_json::from_str(&one.body).unwrap();
    let entries = one["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0]["request"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/session?token=<redacted>"));
    let sent = &entries[0]["_webSocketMessages"][0];
    assert_eq!(
        sent["type"], "receive",
        "Hello comes first, from the server"
    );

    let lines = http_get(
        server.addr,
        &format!("/api/capture.jsonl?token={TOKEN}&conn={session_conn}"),
        &[],
    )
    .await;
    assert_eq!(lines.header("content-type"), Some("application/x-ndjson"));
    let records: Vec<CaptureRecord> = lines
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records.iter().all(|r| r.conn == session_conn));
    assert!(matches!(records[0].body, CaptureBody::Open { .. }));
    assert!(matches!(records[1].body, CaptureBody::Handshake(_)));
    // Every field is there, e.g. the browser's mask keys.
    let raw: serde_json::Value = serde_json::from_str(lines.body.lines().nth(2).unwrap()).unwrap();
    assert!(raw["body"].get("header_hex").is_some(), "{raw}");
}

/// A real ipykernel's messages reach both exports: every record in JSONL, the launch with its
/// messages in HAR's `_jupyterKernels`.
#[tokio::test]
async fn exports_include_kernel_messages() {
    use crate::support::TempDir;
    use wirebook_shared::jupyter::SignatureCheck;
    use wirebook_shared::KernelChoice;

    let dirs = TempDir::new("export-kernel");
    let spec = dirs.0.join("specs/kernels/wbexport");
    std::fs::create_dir_all(&spec).unwrap();
    let python = crate::peers::python();
    assert!(
        python.exists(),
        "{} is missing: run `make test`",
        python.display()
    );
    std::fs::write(
        spec.join("kernel.json"),
        serde_json::json!({
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Export test",
            "language": "python",
        })
        .to_string(),
    )
    .unwrap();
    let mut config = Config::new(TOKEN);
    config.jupyter.extra_paths = vec![dirs.0.join("specs")];
    config.jupyter.runtime_dir = Some(dirs.0.join("runtime"));
    let server = TestServer::start(config).await;
    let (mut client, _) = SessionClient::open(&server).await;
    client
        .choose(KernelChoice::Jupyter {
            name: "wbexport".into(),
        })
        .await;
    client.wait_for(is_kernel_open).await;
    client.execute("c1", "print('exported')").await;
    client
        .wait_for(|m| matches!(m, ServerMsg::Executed { cell_id, .. } if cell_id == "c1"))
        .await;

    let is_reply = |r: &CaptureRecord| matches!(&r.body, CaptureBody::KernelMessage(m) if m.msg_type == "execute_reply");
    let records = capture_until(server.addr, |records| records.iter().any(is_reply)).await;
    let kernel_messages: Vec<_> = records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::KernelMessage(m) => Some(m),
            _ => None,
        })
        .collect();
    let request = kernel_messages
        .iter()
        .find(|m| m.msg_type == "execute_request")
        .expect("the execute_request is in the JSONL export");
    assert_eq!(request.direction, Direction::ToServer);
    assert!(request.parts.content.contains("exported"));
    // The kernel may write to a stream by itself before (startup warnings, no parent): the
    // cell's output is the stream whose parent is the request.
    let stream = kernel_messages
        .iter()
        .find(|m| {
            m.msg_type == "stream" && m.parent_msg_id.as_deref() == Some(request.msg_id.as_str())
        })
        .expect("the cell's stream output, child of its execute_request, is in the JSONL export");
    assert_eq!(stream.parts.signature_check, SignatureCheck::Verified);

    let har = http_get(server.addr, &format!("/api/capture.har?token={TOKEN}"), &[]).await;
    let har: serde_json::Value = serde_json::from_str(&har.body).unwrap();
    let kernels = har["log"]["_jupyterKernels"]
        .as_array()
        .expect("the kernel launch is in the HAR");
    let messages = kernels[0]["messages"].as_array().unwrap();
    let sent = messages
        .iter()
        .find(|m| m["msg_type"] == "execute_request")
        .unwrap();
    assert_eq!(sent["type"], "send");
    assert_eq!(sent["content"]["code"], "print('exported')");
    assert!(messages
        .iter()
        .any(|m| m["msg_type"] == "stream" && m["content"]["text"] == "exported\n"));
}

#[tokio::test]
async fn a_frame_sent_behind_the_upgrade_request_is_echoed_and_recorded_once() {
    let server = TestServer::with_defaults().await;
    let mut tcp = raw_upgrade(server.addr, "/echo", &masked_text(b"right behind")).await;
    assert_eq!(read_text(&mut tcp).await, b"right behind");
    let echoed = |records: &[CaptureRecord]| {
        find_text(records, Hop::Endpoint, Direction::ToClient, "right behind").is_some()
    };
    let records = capture_until(server.addr, echoed).await;
    // Received once and echoed once: the bytes hyper had read went through the codec once.
    for direction in [Direction::ToServer, Direction::ToClient] {
        assert_eq!(
            count(&records, Hop::Endpoint, direction),
            1,
            "{direction:?}"
        );
    }
}

#[tokio::test]
async fn a_frame_sent_behind_the_upgrade_request_is_relayed_by_the_tap() {
    let server = TestServer::with_defaults().await;
    let upstream = format!("ws://{}/demo/fragmented?size=100", server.addr);
    crate::http::put_route(server.addr, "again", &upstream).await;
    let path = format!("/tap/again?token={TOKEN}");
    let mut tcp = raw_upgrade(server.addr, &path, &masked_text(b"right behind")).await;
    assert_eq!(read_text(&mut tcp).await, b"right behind");
    let relayed = |records: &[CaptureRecord]| {
        find_text(records, Hop::Tap, Direction::ToClient, "right behind").is_some()
    };
    let records = capture_until(server.addr, relayed).await;
    // The client's frame on the tap's hop, and its relayed copy upstream: once each.
    for hop in [Hop::Tap, Hop::Upstream] {
        assert_eq!(count(&records, hop, Direction::ToServer), 1, "{hop:?}");
    }
}

/// How many frames went `direction` on `hop`.
fn count(records: &[CaptureRecord], hop: Hop, direction: Direction) -> usize {
    messages(records)
        .filter(|(r, f, _)| r.hop == hop && f.direction == direction)
        .count()
}
