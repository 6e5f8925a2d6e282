//! Kernels that outlive the page, on the echo kernel: a session that names a key
//! (`&notebook=PATH`, `&tab=ID`) shares and keeps that key's kernel; `/api/kernels` lists and
//! shuts them down. The real ipykernel's cases are in `jupyter.rs`.

use std::time::Duration;

use wirebook_server::config::Config;
use wirebook_shared::kept_kernels::{KernelKey, RunningKernels};
use wirebook_shared::{KernelState, ServerMsg};

use crate::http::{http_get, http_request, HttpResponse};
use crate::session_client::{is_kernel_open, SessionClient};
use crate::support::{refused_status, within, TempDir, TestServer, TOKEN};

async fn kernels(server: &TestServer) -> RunningKernels {
    let response = http_get(server.addr, &format!("/api/kernels?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 200, "{}", response.body);
    serde_json::from_str(&response.body).unwrap()
}

/// `DELETE` a kernel from the list (`path` with its query), with `headers`.
async fn shut_down(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    http_request(server.addr, "DELETE", path, headers, "").await
}

/// Reads until the kernel list satisfies `done`.
async fn kernels_until(
    server: &TestServer,
    done: impl Fn(&RunningKernels) -> bool,
) -> RunningKernels {
    within(async {
        loop {
            let list = kernels(server).await;
            if done(&list) {
                return list;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_session_that_comes_back_gets_the_same_kernel() {
    let server = TestServer::with_defaults().await;
    let mut first = SessionClient::open_settled(&server, "&notebook=dir/a%20b.ipynb").await;
    first.echo("c1", "hai", 1).await;
    drop(first);
    kernels_until(&server, |l| {
        l.kernels.len() == 1 && l.kernels[0].attached == 0
    })
    .await;
    // The kept kernel is open already: its state comes right after the kernel list, and its
    // count goes on (a new kernel would count 1 again).
    let (mut back, hello) = SessionClient::open_at(&server, "&notebook=dir/a%20b.ipynb").await;
    assert!(matches!(hello, ServerMsg::Hello { .. }));
    assert!(matches!(back.next().await, ServerMsg::Kernels { .. }));
    assert!(is_kernel_open(&back.next().await));
    back.echo("c2", "again", 2).await;
    let list = kernels(&server).await;
    assert_eq!(list.kernels.len(), 1);
    assert_eq!(
        list.kernels[0].key,
        Some(KernelKey::Notebook {
            path: "dir/a b.ipynb".into()
        })
    );
    assert_eq!(list.kernels[0].attached, 1);
    assert_eq!(list.kernels[0].kernel, "echo");
}

#[tokio::test]
async fn two_sessions_on_one_notebook_share_its_kernel() {
    let server = TestServer::with_defaults().await;
    let mut first = SessionClient::open_settled(&server, "&notebook=a.ipynb").await;
    let mut second = SessionClient::open_settled(&server, "&notebook=a.ipynb").await;
    let mut elsewhere = SessionClient::open_settled(&server, "&tab=t-1").await;
    first.echo("c1", "hai", 1).await;
    // The other tab sees the run and its output too.
    second.expect_echo("c1", "hai", 1).await;
    // Another key has its own kernel, with its own count.
    elsewhere.echo("c9", "mine", 1).await;
    let list = kernels(&server).await;
    let attached: Vec<_> = list.kernels.iter().map(|k| k.attached).collect();
    assert_eq!(attached, [2, 1]);
}

#[tokio::test]
async fn sessions_without_a_key_keep_private_kernels_that_end_with_them() {
    let server = TestServer::with_defaults().await;
    let mut first = SessionClient::ready(&server).await;
    let _second = SessionClient::ready(&server).await;
    first.echo("c1", "a", 1).await;
    let list = kernels(&server).await;
    assert_eq!(list.kernels.len(), 2);
    assert!(list.kernels.iter().all(|k| k.key.is_none()));
    drop(first);
    kernels_until(&server, |l| l.kernels.len() == 1).await;
}

#[tokio::test]
async fn an_idle_kept_kernel_is_culled() {
    let mut config = Config::new(TOKEN);
    config.kept.cull_idle_timeout = Duration::from_millis(300);
    let server = TestServer::start(config).await;
    let first = SessionClient::open_settled(&server, "&tab=t1").await;
    assert_eq!(kernels(&server).await.kernels.len(), 1);
    drop(first);
    let list = kernels_until(&server, |l| l.kernels.is_empty()).await;
    assert_eq!(list.cull_idle_timeout_seconds, 0);
    // The key starts afresh: a new kernel counts from 1.
    let mut again = SessionClient::open_settled(&server, "&tab=t1").await;
    again.echo("c1", "x", 1).await;
}

#[tokio::test]
async fn the_list_shuts_a_kernel_down_and_its_sessions_see_it_closed() {
    let server = TestServer::with_defaults().await;
    let mut client = SessionClient::open_settled(&server, "&notebook=a.ipynb").await;
    let id = kernels(&server).await.kernels[0].id;
    let origin = format!("http://{}", server.addr);
    let path = format!("/api/kernels/{id}?token={TOKEN}");
    // A change needs the token and the server's own origin.
    let response = shut_down(&server, &format!("/api/kernels/{id}"), &[]).await;
    assert_eq!(response.status, 403);
    let foreign = [("Origin", "http://evil.example")];
    let response = shut_down(&server, &path, &foreign).await;
    assert_eq!(response.status, 403);
    let response = shut_down(&server, &path, &[("Origin", &origin)]).await;
    assert_eq!(response.status, 204, "{}", response.body);
    let (_, reason) = client.kernel_closed().await;
    assert!(reason.contains("running kernels"), "{reason}");
    // The session stays; running a cell starts the kernel again.
    client.execute("c1", "back").await;
    client
        .wait_kernel(|s| matches!(s, KernelState::Open { .. }))
        .await;
    // Unknown and malformed ids.
    let response = shut_down(&server, &format!("/api/kernels/999?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 404);
    assert!(
        response.body.contains("no running kernel has id 999"),
        "{}",
        response.body
    );
    let response = shut_down(&server, &format!("/api/kernels/x?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 400);
    // The list needs the token.
    assert_eq!(http_get(server.addr, "/api/kernels", &[]).await.status, 403);
}

#[tokio::test]
async fn a_bad_key_is_refused_with_a_reason() {
    let server = TestServer::with_defaults().await;
    for query in ["&tab=a/b", "&tab=", "&tab=a&notebook=b", "&notebook="] {
        let status =
            refused_status(server.request(&format!("/session?token={TOKEN}{query}"), &[])).await;
        assert_eq!(status, 400, "{query}");
    }
}

#[tokio::test]
async fn a_renamed_notebook_takes_its_kernel_along() {
    let dir = TempDir::new("kept-rename");
    let mut config = Config::new(TOKEN);
    config.notebooks.dir = dir.0.clone();
    let server = TestServer::start(config).await;
    let empty = r#"{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[]}"#;
    std::fs::write(dir.0.join("a.ipynb"), empty).unwrap();
    let mut first = SessionClient::open_settled(&server, "&notebook=a.ipynb").await;
    first.echo("c1", "hai", 1).await;
    let auth = format!("token {TOKEN}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let body = r#"{"path":"b.ipynb"}"#;
    let response = http_request(
        server.addr,
        "PATCH",
        "/api/notebooks/a.ipynb",
        &headers,
        body,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    drop(first);
    // The page, reconnecting under the new path, finds the same kernel (its count goes on).
    let mut back = SessionClient::open_settled(&server, "&notebook=b.ipynb").await;
    back.echo("c2", "x", 2).await;
    assert_eq!(kernels(&server).await.kernels.len(), 1);
}
