//! Many viewers of one capture: every session gets the same live records once; one that stops
//! reading skips to the newest when it reads again; and none of that holds up a kernel or
//! another session.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wirebook_shared::{CaptureBody, CaptureRecord, ServerMsg, WireData};

use crate::session_client::SessionClient;
use crate::support::{connect, within, TestServer};

/// Whether a frame record's message preview contains `text`.
fn shows(record: &CaptureRecord, text: &str) -> bool {
    match &record.body {
        CaptureBody::Frame(frame) => frame
            .message
            .as_ref()
            .is_some_and(|m| m.preview.contains(text)),
        _ => false,
    }
}

fn seqs(records: &[CaptureRecord]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

/// `count` messages of `size` bytes through `/echo` as fast as it answers, then `last`: a
/// burst of capture records (two a message).
async fn flood(server: &TestServer, count: usize, size: usize, last: &str) {
    let mut echo = connect(server.request("/echo", &[])).await;
    let payload = "f".repeat(size);
    within(async {
        for _ in 0..count {
            echo.feed(Message::text(payload.as_str())).await.unwrap();
        }
        echo.flush().await.unwrap();
        for _ in 0..count {
            assert!(matches!(echo.next().await, Some(Ok(Message::Text(_)))));
        }
        echo.send(Message::text(last)).await.unwrap();
        assert!(matches!(echo.next().await, Some(Ok(Message::Text(_)))));
    })
    .await;
}

#[tokio::test]
async fn two_sessions_see_the_same_live_records_once_each() {
    let server = TestServer::with_defaults().await;
    let mut running = SessionClient::open_settled(&server, "").await;
    let mut watching = SessionClient::open_settled(&server, "").await;
    running.echo("c1", "first cell", 1).await;
    running.echo("c2", "second cell", 2).await;
    for client in [&mut running, &mut watching] {
        client
            .capture_until(|records| records.iter().any(|r| shows(r, "second cell")))
            .await;
        let seqs = seqs(&client.records);
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "each record once, in order"
        );
        assert_eq!((client.skipped, client.evicted), (0, 0));
    }
    // From the first cell's run on, both have the very same records.
    let from = running
        .records
        .iter()
        .find(|r| shows(r, "first cell"))
        .unwrap()
        .seq;
    let through = running
        .records
        .last()
        .unwrap()
        .seq
        .min(watching.records.last().unwrap().seq);
    let part = |client: &SessionClient| -> Vec<CaptureRecord> {
        client
            .records
            .iter()
            .filter(|r| (from..=through).contains(&r.seq))
            .cloned()
            .collect()
    };
    let (a, b) = (part(&running), part(&watching));
    assert!(a.len() > 8, "{} records", a.len());
    assert_eq!(
        seqs(&a),
        ((from..=through).collect::<Vec<_>>()),
        "none left out"
    );
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_session_that_stops_reading_skips_to_the_newest_records() {
    let server = TestServer::with_defaults().await;
    let mut stalled = SessionClient::open_settled(&server, "").await;
    // The session reads nothing while 12 000 records (about 7 MB of capture, more than a
    // viewer may have waiting) are made.
    flood(&server, 6000, 200, "the very last message").await;
    stalled
        .capture_until(|records| records.iter().any(|r| shows(r, "the very last message")))
        .await;
    assert!(stalled.skipped > 0, "it was told what it skipped");
    let seqs = seqs(&stalled.records);
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "each record once, in order"
    );
    assert!(
        seqs.len() < 12_000,
        "it got {} records, not the whole burst",
        seqs.len()
    );
    // What it got and what it was told it skipped add up to everything up to the newest.
    let newest = *seqs.last().unwrap();
    let first = seqs[0];
    assert_eq!(
        seqs.len() as u64 + stalled.skipped + stalled.evicted,
        newest - first + 1
    );
}

#[tokio::test]
async fn a_stalled_session_holds_up_no_other_session_or_kernel() {
    let server = TestServer::with_defaults().await;
    let mut stalled = SessionClient::open_settled(&server, "").await;
    let mut other = SessionClient::open_settled(&server, "").await;
    // The stalled page runs cells whose outputs (6 MB) are more than its socket holds, and
    // reads nothing: its writer waits on the socket, its kernel on its writer.
    let big = "b".repeat(200_000);
    for cell in 0..30 {
        stalled.execute(&format!("big{cell}"), &big).await;
    }
    // Meanwhile more capture than a viewer may have waiting is made, and the other page's
    // cells run on their kernel.
    flood(&server, 6000, 200, "end of the burst").await;
    within(async {
        for cell in 0..100 {
            let id = format!("c{cell}");
            other.execute(&id, &format!("cell number {cell}")).await;
            other
                .wait_for(|m| matches!(m, ServerMsg::Output { cell_id, .. } if *cell_id == id))
                .await;
        }
    })
    .await;
    other
        .capture_until(|records| records.iter().any(|r| shows(r, "cell number 99")))
        .await;
    // Reading again, the stalled page gets all of its own outputs (the echo kernel gives
    // each to the cell that ran last), and of the capture it missed meanwhile, the newest.
    for _ in 0..30 {
        let output = stalled.output().await;
        assert!(
            matches!(output, ServerMsg::Output { data: WireData::Text { text }, .. } if text == big)
        );
    }
    stalled
        .capture_until(|records| records.iter().any(|r| shows(r, "cell number 99")))
        .await;
    assert!(stalled.skipped > 0);
    let seqs = seqs(&stalled.records);
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "each record once, in order"
    );
}
