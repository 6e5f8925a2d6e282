//! Opening on a large capture: a new session gets the newest page of records, and
//! `POST /api/capture/page` pages back through the ring with the inspector's filter.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::capture_page::PAGE_LIMIT;
use wirebook_server::session::FIRST_PAGE;
use wirebook_shared::capture_filter::{FilterSpec, Kinds, RowKind, Scope};
use wirebook_shared::capture_page::{CapturePage, PageQuery, CAPTURE_PAGE_API};
use wirebook_shared::{CaptureBody, CaptureRecord, Hop};

use crate::http::{capture_stats, http_request, HttpResponse};
use crate::session_client::SessionClient;
use crate::support::{connect, within, TestServer, TOKEN};

/// Sends `count` text messages `m0`, `m1`, … to `/echo` and reads each echo.
async fn fill(server: &TestServer, count: usize) {
    let mut client = connect(server.request("/echo", &[])).await;
    for i in 0..count {
        client.send(Message::text(format!("m{i}"))).await.unwrap();
        within(client.next()).await.unwrap().unwrap();
    }
    client.close(None).await.unwrap();
}

/// A message's text as the capture previews it.
fn text(record: &CaptureRecord) -> Option<&str> {
    match &record.body {
        CaptureBody::Frame(frame) => frame.message.as_ref().map(|m| m.preview.as_str()),
        _ => None,
    }
}

/// `POST /api/capture/page` with `body` as it is, with the token or without.
async fn post(server: &TestServer, body: &str, token: bool) -> HttpResponse {
    let auth = format!("token {TOKEN}");
    let mut headers = vec![("Content-Type", "application/json")];
    if token {
        headers.push(("Authorization", auth.as_str()));
    }
    http_request(server.addr, "POST", CAPTURE_PAGE_API, &headers, body).await
}

async fn page(
    server: &TestServer,
    before_seq: Option<u64>,
    filter: FilterSpec,
    limit: u32,
) -> CapturePage {
    let query = PageQuery {
        before_seq,
        filter,
        limit,
    };
    let answer = post(server, &serde_json::to_string(&query).unwrap(), true).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

/// The `{"error": …}` of a refused query, after checking its status.
fn refusal(answer: &HttpResponse, status: u16) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    body["error"].as_str().unwrap().to_string()
}

fn seqs(records: &[CaptureRecord]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

#[tokio::test]
async fn a_session_opens_on_the_newest_page_and_pages_back_with_a_filter() {
    let server = TestServer::with_defaults().await;
    fill(&server, 400).await;
    let before_open = capture_stats(server.addr).await["latest_seq"]
        .as_u64()
        .unwrap();
    let (mut session, hello) = SessionClient::open(&server).await;
    session.capture_until(|r| !r.is_empty()).await;
    let first = session.records.clone();
    // The first message holds the newest records from before the session opened, no more
    // than a page of them (a few made meanwhile, the session's handshake among them, take
    // the place of some), and may go on with the records made since.
    let from_before = first.iter().filter(|r| r.seq <= before_open).count();
    assert!(from_before <= FIRST_PAGE, "{from_before}");
    assert!(from_before >= FIRST_PAGE / 2, "{from_before}");
    assert!(
        session.older >= 800 - FIRST_PAGE as u64,
        "{}",
        session.older
    );
    let oldest_sent = first[0].seq;
    assert_eq!(session.older, oldest_sent - 1, "the ring starts at seq 1");

    // The page just older than the first: contiguous, oldest first.
    let older = page(&server, Some(oldest_sent), FilterSpec::default(), 100).await;
    assert_eq!(older.instance, hello_instance(&hello));
    assert_eq!(
        seqs(&older.records),
        (oldest_sent - 100..oldest_sent).collect::<Vec<_>>()
    );
    assert_eq!(older.scanned_from, oldest_sent - 100);
    assert_eq!(older.older, oldest_sent - 101);

    // A server-side filter: messages on /echo's hop whose text contains `m7` (m7, m70..m79,
    // m700..), both directions, newest first in pages of 5. Handshakes are hidden: a search
    // looks through their headers too, and the session's kernel link to /echo opens with a
    // random `Sec-WebSocket-Key` that can hold `m7`.
    let search = FilterSpec {
        scope: Scope::Hop(Hop::Endpoint),
        search: "M7".into(),
        hidden: Kinds::default().toggled(RowKind::Handshake),
        ..FilterSpec::default()
    };
    let newest = page(&server, None, search.clone(), 5).await;
    assert_eq!(newest.records.len(), 5);
    assert!(newest
        .records
        .iter()
        .all(|r| text(r).is_some_and(|t| t.contains("m7"))));
    let next = page(&server, Some(newest.scanned_from), search, 5).await;
    assert!(next.records.last().unwrap().seq < newest.records[0].seq);

    // A pattern, compiled by the same code as the browser's.
    let pattern = FilterSpec {
        scope: Scope::Hop(Hop::Endpoint),
        search: "^m1[0-9]$".into(),
        regex: true,
        ..FilterSpec::default()
    };
    let all = page(&server, None, pattern, 1000).await;
    let texts: Vec<&str> = all.records.iter().filter_map(text).collect();
    assert_eq!(texts.len(), 20, "ten messages, each echoed: {texts:?}");
    assert!(texts.iter().all(|t| t.len() == 3 && t.starts_with("m1")));
    assert_eq!(all.older, 0, "the whole ring was scanned");
}

/// The server instance a session's `Hello` names.
fn hello_instance(hello: &wirebook_shared::ServerMsg) -> String {
    match hello {
        wirebook_shared::ServerMsg::Hello { instance, .. } => instance.clone(),
        other => panic!("not a hello: {other:?}"),
    }
}

#[tokio::test]
async fn bad_page_queries_get_an_error_or_a_clamped_limit() {
    let server = TestServer::with_defaults().await;
    fill(&server, 600).await;
    let broken = r#"{"before_seq":100,"filter":{"search":"(","regex":true},"limit":10}"#;
    let error = refusal(&post(&server, broken, true).await, 400);
    assert!(error.starts_with("invalid regular expression"), "{error}");
    let error = refusal(&post(&server, broken, false).await, 403);
    assert!(error.contains("token"), "{error}");
    let huge = page(&server, None, FilterSpec::default(), u32::MAX).await;
    assert_eq!(huge.records.len(), PAGE_LIMIT);
    assert!(huge.older > 0);
    let zero = page(&server, None, FilterSpec::default(), 0).await;
    assert_eq!(zero.records.len(), 1, "a limit of 0 is clamped to 1");
    // Far past the newest and at the start of the capture.
    let future = page(&server, Some(u64::MAX), FilterSpec::default(), 3).await;
    assert_eq!(future.records.len(), 3);
    let start = page(&server, Some(1), FilterSpec::default(), 3).await;
    assert_eq!((start.records.len(), start.older), (0, 0));
    // A body that is not a query says what one is.
    let scope = r#"{"limit":5,"filter":{"scope":"nowhere"}}"#;
    let error = refusal(&post(&server, scope, true).await, 400);
    assert!(error.starts_with("a page query is"), "{error}");
    assert!(error.contains("nowhere"), "{error}");
    let error = refusal(&post(&server, "", true).await, 400);
    assert!(error.starts_with("a page query is"), "{error}");
    let plain = http_request(
        server.addr,
        "POST",
        CAPTURE_PAGE_API,
        &[("Authorization", &format!("token {TOKEN}"))],
        r#"{"limit":5}"#,
    )
    .await;
    assert_eq!(plain.status, 415, "{}", plain.body);
}

#[tokio::test]
async fn a_page_query_adds_nothing_to_the_capture() {
    let server = TestServer::with_defaults().await;
    fill(&server, 20).await;
    let newest = page(&server, None, FilterSpec::default(), 1).await.records[0].seq;
    for before in [None, Some(newest), Some(5)] {
        page(&server, before, FilterSpec::default(), 10).await;
    }
    let after = page(&server, None, FilterSpec::default(), 1).await;
    assert_eq!(after.records[0].seq, newest, "{:?}", after.records);
}

#[tokio::test]
async fn a_page_query_filters_with_an_expression_and_says_where_one_is_wrong() {
    let server = TestServer::with_defaults().await;
    fill(&server, 120).await;
    // The echoes of m7 and m70..m79 from /echo: the server's side, to the client.
    let echoes = FilterSpec {
        expr: r#"hop == endpoint && dir == to_client && text ~ "^m7[0-9]?$""#.into(),
        ..FilterSpec::default()
    };
    let all = page(&server, None, echoes, 1000).await;
    let texts: Vec<&str> = all.records.iter().filter_map(text).collect();
    let mut expected = vec!["m7".to_string()];
    expected.extend((70..80).map(|i| format!("m{i}")));
    assert_eq!(texts, expected);
    // AND'ed with the chips: a scope on another hop leaves nothing.
    let none = FilterSpec {
        scope: Scope::Hop(Hop::Browser),
        expr: "hop == endpoint".into(),
        ..FilterSpec::default()
    };
    assert!(page(&server, None, none, 1000).await.records.is_empty());
    // Numbers, bits and negation: the client's masked frames on /echo of 3 bytes.
    let short = FilterSpec {
        expr: "hop == endpoint && masked && len == 3 && !(opcode != text)".into(),
        ..FilterSpec::default()
    };
    let masked = page(&server, None, short, 1000).await;
    assert_eq!(masked.records.len(), 90, "m10..m99 sent by the client");
    // Plain words search as before.
    let words = FilterSpec {
        expr: "M11".into(),
        ..FilterSpec::default()
    };
    let found = page(&server, None, words, 1000).await;
    assert!(found
        .records
        .iter()
        .filter_map(text)
        .all(|t| t.starts_with("m11")));
    assert!(!found.records.is_empty());
    // An expression that does not compile: its column and what is wrong.
    let broken = r#"{"filter":{"expr":"len >"},"limit":10}"#;
    let error = refusal(&post(&server, broken, true).await, 400);
    assert_eq!(error, "column 6: expected a value after '>'");
    let typo = r#"{"filter":{"expr":"hop == endpoint && opcod == close"},"limit":10}"#;
    let error = refusal(&post(&server, typo, true).await, 400);
    assert_eq!(
        error,
        "column 20: unknown field 'opcod'; did you mean 'opcode'?"
    );
    let long = serde_json::json!({"filter": {"expr": "x".repeat(5000)}, "limit": 1}).to_string();
    let error = refusal(&post(&server, &long, true).await, 400);
    assert!(error.contains("at most 4096"), "{error}");
}

#[tokio::test]
async fn pages_and_exports_filter_by_a_lens_field() {
    let server = TestServer::with_defaults().await;
    // JSON-RPC calls to /echo: the capture reads them through the JSON-RPC lens.
    let mut client = connect(server.request("/echo", &[])).await;
    for id in 0..60 {
        let call = format!(r#"{{"jsonrpc":"2.0","method":"m{}","id":{id}}}"#, id % 6);
        client.send(Message::text(call)).await.unwrap();
        within(client.next()).await.unwrap().unwrap();
    }
    client.close(None).await.unwrap();
    let calls = FilterSpec {
        expr: r#"jsonrpc.method == "m3" && dir == to_server && jsonrpc.id > 40"#.into(),
        ..FilterSpec::default()
    };
    let found = page(&server, None, calls.clone(), 1000).await;
    let texts: Vec<&str> = found.records.iter().filter_map(text).collect();
    assert_eq!(
        texts,
        [
            r#"{"jsonrpc":"2.0","method":"m3","id":45}"#,
            r#"{"jsonrpc":"2.0","method":"m3","id":51}"#,
            r#"{"jsonrpc":"2.0","method":"m3","id":57}"#,
        ]
    );
    // Paging back from the second: the first alone.
    let back = page(&server, Some(found.records[1].seq), calls.clone(), 1).await;
    assert_eq!(seqs(&back.records), [found.records[0].seq]);
    // The same filter for an export.
    let filter = serde_json::to_string(&calls).unwrap();
    let filter: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    let url = format!("/api/capture.jsonl?token={TOKEN}&filter={filter}");
    let export = crate::http::http_get(server.addr, &url, &[]).await;
    assert_eq!(export.status, 200, "{}", export.body);
    let exported: Vec<u64> = export
        .body
        .lines()
        .map(|l| serde_json::from_str::<CaptureRecord>(l).unwrap().seq)
        .collect();
    assert_eq!(exported, seqs(&found.records));
    // Every message is JSON-RPC; no other connection is.
    let jsonrpc = FilterSpec {
        expr: "jsonrpc".into(),
        ..FilterSpec::default()
    };
    assert_eq!(page(&server, None, jsonrpc, 1000).await.records.len(), 120);
}
