//! Who may open `/session`: refused (403) before the upgrade, accepted (101) otherwise.

use wirebook_server::config::Config;

use crate::http::http_get;
use crate::support::{connect, refused_status, TestServer, TOKEN};

#[tokio::test]
async fn refuses_missing_or_wrong_tokens_and_foreign_origins() {
    let server = TestServer::with_defaults().await;
    assert_eq!(refused_status(server.request("/session", &[])).await, 403);
    assert_eq!(
        refused_status(server.request("/session?token=wrong", &[])).await,
        403
    );
    assert_eq!(
        refused_status(server.request("/session", &[("cookie", "wirebook_token=wrong")])).await,
        403
    );
    let url = format!("/session?token={TOKEN}");
    assert_eq!(
        refused_status(server.request(&url, &[("origin", "http://evil.example")])).await,
        403
    );
    // A different port on the same host is a different origin.
    assert_eq!(
        refused_status(server.request(&url, &[("origin", "http://127.0.0.1:1")])).await,
        403
    );
}

#[tokio::test]
async fn accepts_the_token_from_query_cookie_or_header() {
    let server = TestServer::with_defaults().await;
    connect(server.request(&format!("/session?token={TOKEN}"), &[])).await;
    let cookie = format!("theme=dark; wirebook_token={TOKEN}");
    connect(server.request("/session", &[("cookie", &cookie)])).await;
    let authorization = format!("token {TOKEN}");
    connect(server.request("/session", &[("authorization", &authorization)])).await;
}

#[tokio::test]
async fn accepts_the_same_host_and_allowed_origins() {
    let mut config = Config::new(TOKEN);
    config.admission.allow_origins = vec!["http://localhost:8080".into()];
    let server = TestServer::start(config).await;
    let url = format!("/session?token={TOKEN}");
    let own = format!("http://{}", server.addr);
    connect(server.request(&url, &[("origin", &own)])).await;
    connect(server.request(&url, &[("origin", "http://localhost:8080")])).await;
    assert_eq!(
        refused_status(server.request(&url, &[("origin", "http://localhost:8081")])).await,
        403
    );
}

#[tokio::test]
async fn plain_get_of_a_socket_endpoint_is_a_bad_request() {
    let server = TestServer::with_defaults().await;
    let response = http_get(server.addr, &format!("/session?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 400);
    assert!(response.body.contains("WebSocket"), "{}", response.body);
    let response = http_get(server.addr, "/session", &[]).await;
    assert_eq!(response.status, 403);
    let response = http_get(server.addr, "/echo", &[]).await;
    assert_eq!(response.status, 400);
}
