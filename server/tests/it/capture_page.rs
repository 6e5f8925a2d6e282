//! Opening on a large capture: a new session gets the newest page of records, and
//! `CapturePage` queries page back through the ring with the inspector's filter.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::session::{FIRST_PAGE, PAGE_LIMIT};
use wirebook_shared::capture_filter::{FilterSpec, Scope};
use wirebook_shared::{CaptureBody, CaptureRecord, ClientMsg, Hop, ServerMsg};

use crate::support::{connect, within, SessionClient, TestServer};

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

struct Answer {
    records: Vec<CaptureRecord>,
    scanned_from: u64,
    older: u64,
    error: Option<String>,
}

async fn page(
    session: &mut SessionClient,
    id: u64,
    before_seq: Option<u64>,
    filter: FilterSpec,
    limit: u32,
) -> Answer {
    session
        .send(&ClientMsg::CapturePage {
            id,
            before_seq,
            filter,
            limit,
        })
        .await;
    let reply = session
        .wait_for(|m| matches!(m, ServerMsg::CapturePage { id: got, .. } if *got == id))
        .await;
    let ServerMsg::CapturePage {
        records,
        scanned_from,
        older,
        error,
        ..
    } = reply
    else {
        unreachable!()
    };
    Answer {
        records,
        scanned_from,
        older,
        error,
    }
}

fn seqs(records: &[CaptureRecord]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

#[tokio::test]
async fn a_session_opens_on_the_newest_page_and_pages_back_with_a_filter() {
    let server = TestServer::with_defaults().await;
    fill(&server, 400).await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    session.capture_until(|r| !r.is_empty()).await;
    let first = session.records.clone();
    assert!(first.len() <= FIRST_PAGE, "{}", first.len());
    assert!(
        session.older >= 800 - FIRST_PAGE as u64,
        "{}",
        session.older
    );
    let oldest_sent = first[0].seq;
    assert_eq!(session.older, oldest_sent - 1, "the ring starts at seq 1");

    // The page just older than the first: contiguous, oldest first.
    let older = page(
        &mut session,
        1,
        Some(oldest_sent),
        FilterSpec::default(),
        100,
    )
    .await;
    assert_eq!(older.error, None);
    assert_eq!(
        seqs(&older.records),
        (oldest_sent - 100..oldest_sent).collect::<Vec<_>>()
    );
    assert_eq!(older.scanned_from, oldest_sent - 100);
    assert_eq!(older.older, oldest_sent - 101);

    // A server-side filter: messages on /echo's hop whose text contains `m7` (m7, m70..m79,
    // m700..), both directions, newest first in pages of 5. (The query itself, on the browser
    // hop, contains "M7" too.)
    let search = FilterSpec {
        scope: Scope::Hop(Hop::Endpoint),
        search: "M7".into(),
        ..FilterSpec::default()
    };
    let newest = page(&mut session, 2, None, search.clone(), 5).await;
    assert_eq!(newest.records.len(), 5);
    assert!(newest
        .records
        .iter()
        .all(|r| text(r).is_some_and(|t| t.contains("m7"))));
    let next = page(&mut session, 3, Some(newest.scanned_from), search, 5).await;
    assert!(next.records.last().unwrap().seq < newest.records[0].seq);

    // A pattern, compiled by the same code as the browser's.
    let pattern = FilterSpec {
        scope: Scope::Hop(Hop::Endpoint),
        search: "^m1[0-9]$".into(),
        regex: true,
        ..FilterSpec::default()
    };
    let all = page(&mut session, 4, None, pattern, 1000).await;
    let texts: Vec<&str> = all.records.iter().filter_map(text).collect();
    assert_eq!(texts.len(), 20, "ten messages, each echoed: {texts:?}");
    assert!(texts.iter().all(|t| t.len() == 3 && t.starts_with("m1")));
    assert_eq!(all.older, 0, "the whole ring was scanned");
}

#[tokio::test]
async fn bad_page_queries_get_an_error_or_a_clamped_limit() {
    let server = TestServer::with_defaults().await;
    fill(&server, 600).await;
    let (mut session, _hello) = SessionClient::open(&server).await;
    let broken = FilterSpec {
        search: "(".into(),
        regex: true,
        ..FilterSpec::default()
    };
    let refused = page(&mut session, 9, Some(100), broken, 10).await;
    assert!(refused.records.is_empty());
    let error = refused.error.unwrap();
    assert!(error.starts_with("invalid regular expression"), "{error}");
    let huge = page(&mut session, 10, None, FilterSpec::default(), u32::MAX).await;
    assert_eq!(huge.records.len(), PAGE_LIMIT);
    assert!(huge.older > 0);
    let zero = page(&mut session, 11, None, FilterSpec::default(), 0).await;
    assert_eq!(zero.records.len(), 1, "a limit of 0 is clamped to 1");
    // Far past the newest and at the start of the capture.
    let future = page(&mut session, 12, Some(u64::MAX), FilterSpec::default(), 3).await;
    assert_eq!(future.records.len(), 3);
    let start = page(&mut session, 13, Some(1), FilterSpec::default(), 3).await;
    assert_eq!((start.records.len(), start.older), (0, 0));
    // Malformed JSON is an error message, and the session goes on.
    session
        .send_raw(Message::text(
            r#"{"type":"capture_page","id":1,"limit":5,"filter":{"scope":"nowhere"}}"#,
        ))
        .await;
    let error = session
        .wait_for(|m| matches!(m, ServerMsg::Error { .. }))
        .await;
    assert!(
        format!("{error:?}").contains("invalid session message"),
        "{error:?}"
    );
    let again = page(&mut session, 14, None, FilterSpec::default(), 2).await;
    assert_eq!(again.records.len(), 2);
}
