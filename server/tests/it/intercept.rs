//! Intercept on the tap: breakpoints hold messages between a client and python's `websockets`
//! server (`upstream_server.py`, which greets, then echoes) until `/api/intercept` forwards,
//! edits or drops them, their time runs out or their receiver leaves; messages injected into
//! either side; the marks in the capture and the exports; deflate left out while armed.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;
use wirebook_server::proxy::routes::parse_route;
use wirebook_shared::intercept_api::{InterceptAction, InterceptState};
use wirebook_shared::{CaptureBody, CaptureRecord, Direction, Hop};

use crate::capture_records::messages;
use crate::http::{http_get, http_request, HttpResponse};
use crate::peers::{peer_json, python_server};
use crate::session_client::SessionClient;
use crate::support::{connect, next_message, within, Client, TestServer, TOKEN};

const AUTH: &str = "token test-token-0123";

async fn api(server: &TestServer, method: &str, path: &str, body: Value) -> HttpResponse {
    let headers = [
        ("Authorization", AUTH),
        ("Content-Type", "application/json"),
    ];
    http_request(server.addr, method, path, &headers, &body.to_string()).await
}

async fn state(server: &TestServer) -> InterceptState {
    http_get(server.addr, "/api/intercept", &[("Authorization", AUTH)])
        .await
        .parse()
}

async fn arm(server: &TestServer, breakpoints: Value, release_after_s: u64) {
    let set = api(
        server,
        "PUT",
        "/api/intercept/breakpoints",
        json!({"breakpoints": breakpoints, "release_after_s": release_after_s}),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
}

/// The id and text of the one message held, once it is.
async fn held(server: &TestServer) -> (u64, String) {
    within(async {
        loop {
            let state = state(server).await;
            if let [held] = state.held.as_slice() {
                return (held.id, held.text.clone());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

async fn decide(server: &TestServer, id: u64, decision: Value) {
    let answer = api(
        server,
        "POST",
        &format!("/api/intercept/held/{id}"),
        decision,
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
}

fn with_route(port: u16) -> Config {
    let mut config = Config::new(TOKEN);
    config
        .routes
        .push(parse_route(&format!("py=ws://127.0.0.1:{port}/"), false).unwrap());
    config
}

/// A client through `/tap/py`, past upstream's greeting.
async fn client(server: &TestServer) -> Client {
    // upstream_server.py takes only clients that ask for a subprotocol.
    let path = format!("/tap/py?token={TOKEN}");
    let mut client = connect(server.request(&path, &[("Sec-WebSocket-Protocol", "chat")])).await;
    let greeting = next_message(&mut client).await;
    assert!(greeting.to_text().unwrap().contains("path"), "{greeting:?}");
    client
}

async fn next_text(client: &mut Client) -> String {
    next_message(client).await.into_text().unwrap().to_string()
}

fn intercepts(records: &[CaptureRecord]) -> Vec<(Hop, InterceptAction, Option<u64>)> {
    records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::Intercept(i) => Some((r.hop, i.action, i.of)),
            _ => None,
        })
        .collect()
}

fn marked(records: &[CaptureRecord], hop: Hop, text: &str) -> Option<(InterceptAction, u64)> {
    messages(records)
        .find(|(r, _, m)| r.hop == hop && m.preview == text)
        .and_then(|(r, f, _)| f.mark.map(|mark| (mark, r.seq)))
}

#[tokio::test]
async fn a_held_message_is_edited_dropped_or_forwarded_and_injections_go_both_ways() {
    let (_upstream, port) = python_server("upstream_server.py", &[]).await;
    let server = TestServer::start(with_route(port)).await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    arm(
        &server,
        json!([{"route": "py", "ways": ["to_upstream"], "filter": "text contains \"buy\""}]),
        30,
    )
    .await;
    let mut client = client(&server).await;
    let conn = state(&server).await.relays[0].conn;

    client.send(Message::text("hello")).await.unwrap();
    assert_eq!(
        next_text(&mut client).await,
        "hello",
        "not matched: not held"
    );

    // Edited: upstream echoes the edit. The other direction runs meanwhile.
    client.send(Message::text("buy 1")).await.unwrap();
    let (id, text) = held(&server).await;
    assert_eq!(text, "buy 1");
    let injected = api(
        &server,
        "POST",
        "/api/intercept/inject",
        json!({"conn": conn, "way": "to_client", "payload": {"text": "from wirebook"}}),
    )
    .await;
    assert_eq!(injected.status, 204, "{}", injected.body);
    assert_eq!(next_text(&mut client).await, "from wirebook");
    decide(&server, id, json!({"action": "edit", "text": "buy 2"})).await;
    assert_eq!(next_text(&mut client).await, "buy 2");

    // Dropped: nothing is echoed, and the next message goes on.
    client.send(Message::text("buy 3")).await.unwrap();
    let (id, _) = held(&server).await;
    decide(&server, id, json!({"action": "drop"})).await;
    client.send(Message::text("after the drop")).await.unwrap();
    assert_eq!(next_text(&mut client).await, "after the drop");

    // An injection as the client goes before the held message; then it is forwarded.
    client.send(Message::text("buy 4")).await.unwrap();
    let (id, _) = held(&server).await;
    let sneak = api(
        &server,
        "POST",
        "/api/intercept/inject",
        json!({"conn": conn, "way": "to_upstream", "payload": {"text": "sneaked in"}}),
    )
    .await;
    assert_eq!(sneak.status, 204, "{}", sneak.body);
    assert_eq!(next_text(&mut client).await, "sneaked in");
    decide(&server, id, json!({"action": "forward"})).await;
    assert_eq!(next_text(&mut client).await, "buy 4");
    let again = api(
        &server,
        "POST",
        &format!("/api/intercept/held/{id}"),
        json!({"action": "drop"}),
    )
    .await;
    assert_eq!(again.status, 404, "decided once only");

    let done = |records: &[CaptureRecord]| intercepts(records).len() >= 6;
    session.capture_until(done).await;
    let records = &session.records;
    let actions: Vec<InterceptAction> = intercepts(records).iter().map(|i| i.1).collect();
    use InterceptAction::*;
    assert_eq!(actions, [Held, Edited, Held, Dropped, Held, Forwarded]);
    assert!(intercepts(records).iter().all(|i| i.0 == Hop::Tap));
    // The originals stay in the capture as they arrived; what went on is marked.
    let original = messages(records)
        .find(|(r, f, m)| {
            r.hop == Hop::Tap && f.direction == Direction::ToServer && m.preview == "buy 1"
        })
        .map(|(r, _, _)| r.seq);
    assert_eq!(intercepts(records)[0].2, original);
    let (mark, _) = marked(records, Hop::Upstream, "buy 2").expect("the edit");
    assert_eq!(mark, Edited);
    assert!(messages(records).all(|(r, _, m)| r.hop != Hop::Upstream || m.preview != "buy 3"));
    assert_eq!(
        marked(records, Hop::Upstream, "sneaked in").map(|m| m.0),
        Some(Injected)
    );
    assert_eq!(
        marked(records, Hop::Tap, "from wirebook").map(|m| m.0),
        Some(Injected)
    );
    assert_eq!(
        marked(records, Hop::Upstream, "buy 4").map(|m| m.0),
        Some(Forwarded)
    );
    // Unheld messages carry no mark.
    assert_eq!(marked(records, Hop::Upstream, "hello"), None);

    let jsonl = http_get(
        server.addr,
        "/api/capture.jsonl",
        &[("Authorization", AUTH)],
    )
    .await;
    assert!(
        jsonl.body.contains(r#""event":"intercept""#),
        "{}",
        jsonl.body
    );
    assert!(jsonl.body.contains(r#""mark":"edited""#));
}

#[tokio::test]
async fn a_hold_times_out_and_a_receiver_that_leaves_discards_it() {
    let (_upstream, port) = python_server("upstream_server.py", &[]).await;
    let server = TestServer::start(with_route(port)).await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    let mut client = client(&server).await;
    arm(
        &server,
        json!([{"route": "py", "ways": ["to_client"], "filter": "text contains \"echo\""}]),
        1,
    )
    .await;
    client.send(Message::text("echo 1")).await.unwrap();
    held(&server).await;
    // Nobody decides: it goes on after its second.
    assert_eq!(next_text(&mut client).await, "echo 1");
    client.send(Message::text("echo 2")).await.unwrap();
    held(&server).await;
    drop(client);
    within(async {
        while !state(&server).await.held.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let done = |records: &[CaptureRecord]| intercepts(records).len() >= 4;
    session.capture_until(done).await;
    let actions: Vec<InterceptAction> = intercepts(&session.records).iter().map(|i| i.1).collect();
    use InterceptAction::*;
    assert_eq!(actions, [Held, Released, Held, Discarded]);
    assert!(intercepts(&session.records)
        .iter()
        .all(|i| i.0 == Hop::Upstream));
}

#[tokio::test]
async fn armed_routes_are_opened_without_deflate() {
    let (_upstream, port) = python_server("upstream_server.py", &["--deflate"]).await;
    let mut config = Config::new(TOKEN);
    config
        .routes
        .push(parse_route(&format!("z=ws://127.0.0.1:{port}/,public"), false).unwrap());
    let server = TestServer::start(config).await;
    let deflated = peer_json("deflate_client.py", [server.ws("/tap/z")]).await;
    assert!(
        deflated["extensions"]
            .as_str()
            .is_some_and(|e| e.starts_with("permessage-deflate")),
        "{deflated}"
    );
    arm(
        &server,
        json!([{"route": "z", "ways": ["to_upstream"], "filter": "text contains \"never sent\""}]),
        30,
    )
    .await;
    let plain = peer_json("deflate_client.py", [server.ws("/tap/z")]).await;
    assert_eq!(plain["echo"], json!("hello ".repeat(20)), "{plain}");
    assert!(
        !plain["extensions"]
            .as_str()
            .unwrap_or_default()
            .contains("deflate"),
        "{plain}"
    );
}

#[tokio::test]
async fn bad_breakpoints_decisions_and_injections_are_refused_with_the_reason() {
    let server = TestServer::start(with_route(9)).await;
    let refused = |body: Value| {
        let server = &server;
        async move {
            let answer = api(server, "PUT", "/api/intercept/breakpoints", body).await;
            assert_eq!(answer.status, 400, "{}", answer.body);
            answer.error()
        }
    };
    let bp = |route: &str, filter: &str| {
        json!({"breakpoints": [{"route": route, "ways": ["to_client"], "filter": filter}],
               "release_after_s": 30})
    };
    assert!(refused(bp("nope", ""))
        .await
        .contains("no route named \"nope\""));
    assert!(refused(bp("py", "text contains"))
        .await
        .contains("does not parse"));
    assert!(refused(bp("py", "jsonrpc.method == \"x\""))
        .await
        .contains("protocol fields"));
    assert!(refused(json!({"breakpoints": [], "release_after_s": 0}))
        .await
        .contains("1 to 3600 seconds"));
    let gone = api(
        &server,
        "POST",
        "/api/intercept/held/99",
        json!({"action": "forward"}),
    )
    .await;
    assert_eq!(gone.status, 404);
    let bad_edit = api(
        &server,
        "POST",
        "/api/intercept/held/99",
        json!({"action": "edit", "hex": "0g"}),
    )
    .await;
    assert_eq!(bad_edit.status, 400, "{}", bad_edit.body);
    let no_conn = api(
        &server,
        "POST",
        "/api/intercept/inject",
        json!({"conn": 12345, "way": "to_client", "payload": {"text": "x"}}),
    )
    .await;
    assert_eq!(no_conn.status, 404);
    let unauthorised = http_get(server.addr, "/api/intercept", &[]).await;
    assert_eq!(unauthorised.status, 403);
    assert!(state(&server).await.breakpoints.is_empty());
}
