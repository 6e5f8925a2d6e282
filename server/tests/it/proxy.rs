//! The transparent proxy `/tap/NAME`: python's websocket-client through wirebook to python's
//! `websockets` server (two implementations independent of ours), plus token checks and
//! upstream failures with tokio-tungstenite and raw TCP.

use futures_util::SinkExt;
use serde_json::json;
use tokio::process::Child;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;
use wirebook_server::proxy::routes::parse_route;
use wirebook_shared::{CaptureBody, Direction, Hop, Opcode};

use crate::capture_records::{find_text, handshake_on, messages};
use crate::http::http_get;
use crate::peers::{peer_json, python_client, python_server};
use crate::session_client::SessionClient;
use crate::stand_in_peers::{closed_port, refusing_peer};
use crate::support::{connect, next_message, refused_status, within, TestServer, TOKEN};

/// `upstream_server.py` and the port it listens on. Killed when dropped.
async fn python_upstream() -> (Child, u16) {
    python_upstream_with(&[]).await
}

async fn python_upstream_with(args: &[&str]) -> (Child, u16) {
    python_server("upstream_server.py", args).await
}

fn with_route(spec: &str) -> Config {
    let mut config = Config::new(TOKEN);
    config.routes.push(parse_route(spec, false).unwrap());
    config
}

#[tokio::test]
async fn python_client_and_server_talk_through_the_tap_unchanged() {
    let (_upstream, port) = python_upstream().await;
    let server = TestServer::start(with_route(&format!(
        "py=ws://127.0.0.1:{port}/base?fixed=1"
    )))
    .await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    let got = python_client(
        &server.ws(&format!("/tap/py?token={TOKEN}&room=7")),
        "relay",
    )
    .await;
    assert_eq!(
        got,
        json!({
            "subprotocol": "superchat",
            "upstream_saw": {
                "path": "/base?fixed=1&room=7",
                "subprotocol": "superchat",
                // The client's own credentials go through; wirebook's token does not.
                "authorization": ["Bearer abc"],
                "cookie": "a=1",
                "x_custom": "1",
                "origin": "http://peer.test",
            },
            "text": {"opcode": 1, "data": "hai"},
            "binary": {"opcode": 2, "hex": "00ff10"},
            "pong": {"opcode": 10, "data": "are you there"},
            "ping": {"opcode": 9, "data": "from-upstream"},
            "close": {"opcode": 8, "code": 4001, "reason": "bye"},
        })
    );

    // Both hops are in the capture, each relayed message pointing at its source.
    let closes = |records: &[wirebook_shared::CaptureRecord]| {
        messages(records)
            .filter(|(r, f, _)| f.opcode == Opcode::Close && r.hop == Hop::Tap)
            .count()
            >= 2
    };
    session.capture_until(closes).await;
    let records = &session.records;
    let (from_client, _) = find_text(records, Hop::Tap, Direction::ToServer, "hai").unwrap();
    let (upstream_copy, caused_by) =
        find_text(records, Hop::Upstream, Direction::ToServer, "hai").unwrap();
    assert_eq!(caused_by, Some(from_client.seq));
    let (echo, _) = find_text(records, Hop::Upstream, Direction::ToClient, "hai").unwrap();
    let (client_copy, caused_by) =
        find_text(records, Hop::Tap, Direction::ToClient, "hai").unwrap();
    assert_eq!(caused_by, Some(echo.seq));
    assert!(upstream_copy.seq > from_client.seq && client_copy.seq > echo.seq);
    for hop in [Hop::Tap, Hop::Upstream] {
        let opcodes: Vec<(Direction, Opcode)> = messages(records)
            .filter(|(r, _, _)| r.hop == hop)
            .map(|(_, f, _)| (f.direction, f.opcode))
            .filter(|(_, o)| o.is_control())
            .collect();
        assert_eq!(
            opcodes,
            [
                (Direction::ToServer, Opcode::Ping),
                (Direction::ToClient, Opcode::Pong),
                (Direction::ToClient, Opcode::Ping),
                (Direction::ToServer, Opcode::Close),
                (Direction::ToClient, Opcode::Close),
            ],
            "control frames on {hop:?}"
        );
        let handshake = handshake_on(records, hop).unwrap();
        assert_eq!(handshake.protocol.as_deref(), Some("superchat"), "{hop:?}");
        let request = format!("{:?}", handshake.request);
        assert!(
            !request.contains(TOKEN),
            "the token is in the {hop:?} capture"
        );
    }
}

#[tokio::test]
async fn an_upstream_close_reaches_the_client_with_its_code() {
    let (_upstream, port) = python_upstream().await;
    let server = TestServer::start(with_route(&format!("py=ws://127.0.0.1:{port}/,public"))).await;
    let got = python_client(&server.ws("/tap/py"), "server-close").await;
    assert_eq!(
        got,
        json!({"close": {"opcode": 8, "code": 4002, "reason": "server bye"}})
    );
}

#[tokio::test]
async fn a_route_needs_the_token_unless_public() {
    let echo = TestServer::with_defaults().await;
    let mut config = with_route(&format!("closed=ws://{}/echo", echo.addr));
    config
        .routes
        .push(parse_route(&format!("open=ws://{}/echo,public", echo.addr), false).unwrap());
    let server = TestServer::start(config).await;
    assert_eq!(
        refused_status(server.request("/tap/closed", &[])).await,
        403
    );
    assert_eq!(
        refused_status(server.request("/tap/closed?token=wrong", &[])).await,
        403
    );
    assert_eq!(refused_status(server.request("/tap/nope", &[])).await, 404);
    let authorized = [("authorization", format!("token {TOKEN}"))];
    let authorized: Vec<(&'static str, &str)> =
        authorized.iter().map(|(n, v)| (*n, v.as_str())).collect();
    for request in [
        server.request("/tap/open", &[]),
        server.request(&format!("/tap/closed?token={TOKEN}"), &[]),
        server.request("/tap/closed", &authorized),
    ] {
        let mut client = connect(request).await;
        client.send(Message::text("through")).await.unwrap();
        assert_eq!(next_message(&mut client).await, Message::text("through"));
        client.close(None).await.unwrap();
    }
    // The cookie works from no page or the server's own, not from a foreign page.
    let cookie = format!("wirebook_token={TOKEN}");
    let mut client = connect(server.request("/tap/closed", &[("cookie", &cookie)])).await;
    client.close(None).await.unwrap();
    let foreign = [("cookie", cookie.as_str()), ("origin", "http://evil.test")];
    assert_eq!(
        refused_status(server.request("/tap/closed", &foreign)).await,
        403
    );
    // Not a WebSocket upgrade: refused before dialling upstream.
    let plain = http_get(server.addr, &format!("/tap/closed?token={TOKEN}"), &[]).await;
    assert_eq!(plain.status, 400);
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_with_the_reason() {
    let port = closed_port().await;
    let server =
        TestServer::start(with_route(&format!("gone=ws://127.0.0.1:{port}/,public"))).await;
    let response = http_get(
        server.addr,
        "/tap/gone",
        &[
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
    )
    .await;
    assert_eq!(response.status, 502);
    assert!(
        response
            .body
            .contains(&format!("127.0.0.1:{port} refused the connection")),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn an_upstream_refusal_reaches_the_client_with_its_status_and_body() {
    let addr = refusing_peer("401 Unauthorized", "log in first").await;
    let server = TestServer::start(with_route(&format!("auth=ws://{addr}/,public"))).await;
    match within(tokio_tungstenite::connect_async(server.ws("/tap/auth"))).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                .into_owned();
            assert!(body.contains("answered 401 Unauthorized"), "{body}");
            assert!(body.contains("log in first"), "{body}");
        }
        other => panic!("expected the upstream's 401, got {:?}", other.map(|_| ())),
    }
}

/// permessage-deflate is negotiated between the peers themselves and its compressed frames
/// pass through unchanged; the capture on both hops inflates them for display.
#[tokio::test]
async fn compressed_frames_pass_through_and_are_shown_inflated() {
    let (_upstream, port) = python_upstream_with(&["--deflate"]).await;
    let server = TestServer::start(with_route(&format!("z=ws://127.0.0.1:{port}/,public"))).await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    let got = peer_json("deflate_client.py", [server.ws("/tap/z")]).await;
    let hello = "hello ".repeat(20);
    assert_eq!(got["echo"], json!(hello));
    let extensions = got["extensions"].as_str().unwrap_or_default();
    assert!(extensions.starts_with("permessage-deflate"), "{got}");
    let compressed_on = |records: &[wirebook_shared::CaptureRecord], hop: Hop| {
        messages(records)
            .filter(|(r, f, m)| {
                r.hop == hop && f.rsv1 && m.compressed && m.preview.starts_with("hello hello")
            })
            .count()
    };
    session
        .capture_until(|records| {
            compressed_on(records, Hop::Tap) >= 2 && compressed_on(records, Hop::Upstream) >= 2
        })
        .await;
}

#[tokio::test]
async fn routes_added_from_the_ui_relay_and_removed_ones_are_gone() {
    let (_upstream, port) = python_upstream().await;
    let server = TestServer::start(Config::new(TOKEN)).await;
    let auth = format!("token {TOKEN}");
    let json = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let body = format!(r#"{{"url": "ws://127.0.0.1:{port}/ws"}}"#);
    let refused =
        crate::http::http_request(server.addr, "PUT", "/api/routes/py", &json[1..], &body).await;
    assert_eq!(refused.status, 403, "no token, no route");
    let made = crate::http::http_request(server.addr, "PUT", "/api/routes/py", &json, &body).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let listed = http_get(server.addr, "/api/routes", &json[..1]).await;
    let routes: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(routes[0]["name"], "py");
    assert_eq!(routes[0]["from_command_line"], false);
    let got = python_client(
        &format!("{}?token={TOKEN}", server.ws("/tap/py")),
        "server-close",
    )
    .await;
    assert!(got.is_object(), "{got}");
    let bad = crate::http::http_request(
        server.addr,
        "PUT",
        "/api/routes/x",
        &json,
        r#"{"url": "http://h/"}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("the scheme must be ws:// or wss://"),
        "{}",
        bad.body
    );
    let gone =
        crate::http::http_request(server.addr, "DELETE", "/api/routes/py", &json[..1], "").await;
    assert_eq!(gone.status, 204);
    let missing = http_get(server.addr, "/tap/py", &json[..1]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_fragmented_message_is_linked_to_its_source_frame_by_frame() {
    // wirebook's own `/demo/fragmented` answers in three frames: relayed, each frame of the
    // copy points at the first frame of the original.
    let server = TestServer::start(Config::new(TOKEN)).await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    let upstream = format!("ws://{}/demo/fragmented?size=4", server.addr);
    crate::http::put_route(server.addr, "frag", &upstream).await;
    let url = format!("{}?token={TOKEN}", server.ws("/tap/frag"));
    let mut client = connect(url.as_str().into_client_request().unwrap()).await;
    client.send(Message::text("abcdefghij")).await.unwrap();
    assert_eq!(next_message(&mut client).await, Message::text("abcdefghij"));
    let relayed = |records: &[wirebook_shared::CaptureRecord]| {
        messages(records).any(|(r, f, _)| r.hop == Hop::Tap && f.direction == Direction::ToClient)
    };
    session.capture_until(relayed).await;
    let frames = |hop: Hop| -> Vec<(u64, Opcode, Option<u64>)> {
        session
            .records
            .iter()
            .filter_map(|r| match &r.body {
                CaptureBody::Frame(f) if r.hop == hop && f.direction == Direction::ToClient => {
                    Some((r.seq, f.opcode, f.caused_by))
                }
                _ => None,
            })
            .collect()
    };
    let original = frames(Hop::Upstream);
    let copy = frames(Hop::Tap);
    let opcodes = |frames: &[(u64, Opcode, Option<u64>)]| -> Vec<Opcode> {
        frames.iter().map(|f| f.1).collect()
    };
    let fragmented = [Opcode::Text, Opcode::Continuation, Opcode::Continuation];
    assert_eq!(opcodes(&original), fragmented);
    assert_eq!(opcodes(&copy), fragmented);
    for (_, _, caused_by) in &copy {
        assert_eq!(*caused_by, Some(original[0].0), "{copy:?}");
    }
    // The request went the other way whole, and is linked as before.
    let (request, _) = find_text(&session.records, Hop::Tap, Direction::ToServer, "abcd").unwrap();
    let (_, caused_by) =
        find_text(&session.records, Hop::Upstream, Direction::ToServer, "abcd").unwrap();
    assert_eq!(caused_by, Some(request.seq));
}
