//! The UI behind the token, and `/healthz`.

use wirebook_server::config::Config;

use crate::support::{http_get, TempDir, TestServer, TOKEN};

const INDEX: &str = "<!doctype html><title>wirebook test ui</title>";

async fn server_with_ui() -> (TestServer, TempDir) {
    let dist = TempDir::new("ui");
    std::fs::write(dist.0.join("index.html"), INDEX).unwrap();
    std::fs::write(dist.0.join("app.js"), "console.log('wirebook');").unwrap();
    let mut config = Config::new(TOKEN);
    config.dist = dist.0.clone();
    (TestServer::start(config).await, dist)
}

#[tokio::test]
async fn the_token_in_the_url_serves_index_and_sets_the_cookie() {
    let (server, _dist) = server_with_ui().await;
    let response = http_get(server.addr, &format!("/?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 200);
    assert!(response.body.contains(INDEX), "{}", response.body);
    assert_eq!(
        response.header("set-cookie"),
        Some(format!("wirebook_token={TOKEN}; HttpOnly; SameSite=Strict; Path=/").as_str())
    );
    assert!(response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
}

#[tokio::test]
async fn the_cookie_or_header_also_work_without_setting_a_cookie() {
    let (server, _dist) = server_with_ui().await;
    let cookie = format!("wirebook_token={TOKEN}");
    let response = http_get(server.addr, "/app.js", &[("Cookie", &cookie)]).await;
    assert_eq!(response.status, 200);
    assert!(response.body.contains("console.log"));
    assert_eq!(response.header("set-cookie"), None);
    let authorization = format!("token {TOKEN}");
    let response = http_get(server.addr, "/", &[("Authorization", &authorization)]).await;
    assert_eq!(response.status, 200);
    assert!(response.body.contains(INDEX));
}

#[tokio::test]
async fn without_a_valid_token_the_ui_is_forbidden() {
    let (server, _dist) = server_with_ui().await;
    for path in ["/", "/app.js", "/index.html?token=wrong"] {
        let response = http_get(server.addr, path, &[]).await;
        assert_eq!(response.status, 403, "{path}");
        assert!(response.body.contains("printed"), "{}", response.body);
        assert!(!response.body.contains(INDEX));
        assert_eq!(response.header("set-cookie"), None);
    }
    let response = http_get(server.addr, "/", &[("Cookie", "wirebook_token=wrong")]).await;
    assert_eq!(response.status, 403);
}

#[tokio::test]
async fn healthz_needs_no_token() {
    let (server, _dist) = server_with_ui().await;
    let response = http_get(server.addr, "/healthz", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, "ok");
}

#[tokio::test]
async fn missing_files_and_an_unbuilt_ui_are_404s_that_say_so() {
    let (server, _dist) = server_with_ui().await;
    let response = http_get(server.addr, &format!("/nope.js?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 404);

    let empty = TempDir::new("empty-ui");
    let mut config = Config::new(TOKEN);
    config.dist = empty.0.join("dist");
    let server = TestServer::start(config).await;
    let response = http_get(server.addr, &format!("/?token={TOKEN}"), &[]).await;
    assert_eq!(response.status, 404);
    assert!(response.body.contains("not built"), "{}", response.body);
}
