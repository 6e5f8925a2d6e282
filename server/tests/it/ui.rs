//! The UI behind the token, and `/healthz`; how files and API answers are encoded and cached.

use std::io::Read;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wirebook_server::config::Config;

use crate::http::{http_get, HttpResponse};
use crate::support::{within, TempDir, TestServer, TOKEN};

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

/// A dist as trunk builds it, with the precompressed siblings `scripts/precompress.sh` writes
/// (here marked contents, so the test sees which file was sent).
async fn server_with_built_ui() -> (TestServer, TempDir) {
    let dist = TempDir::new("built-ui");
    let files = [
        ("index.html", INDEX),
        ("app-9a1bbd2de697f3c2_bg.wasm", "raw wasm"),
        ("app-9a1bbd2de697f3c2_bg.wasm.br", "br wasm"),
        ("app-9a1bbd2de697f3c2_bg.wasm.gz", "gz wasm"),
        ("app-9a1bbd2de697f3c2.js", "raw js"),
        ("app-9a1bbd2de697f3c2.js.gz", "gz js"),
        ("style-1fba9a54d39fac96.css", "raw css"),
        (
            "snippets/app-80b3415dd065afc3/cell_editor.js",
            "raw snippet",
        ),
        (
            "snippets/app-80b3415dd065afc3/cell_editor.js.br",
            "br snippet",
        ),
    ];
    for (name, content) in files {
        let path = dist.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let mut config = Config::new(TOKEN);
    config.dist = dist.0.clone();
    (TestServer::start(config).await, dist)
}

async fn get_encoded(server: &TestServer, path: &str, accept: &str) -> HttpResponse {
    let cookie = format!("wirebook_token={TOKEN}");
    let mut headers = vec![("Cookie", cookie.as_str())];
    if !accept.is_empty() {
        headers.push(("Accept-Encoding", accept));
    }
    http_get(server.addr, path, &headers).await
}

#[tokio::test]
async fn hashed_assets_are_negotiated_and_cached_forever() {
    let (server, _dist) = server_with_built_ui().await;
    let wasm = "/app-9a1bbd2de697f3c2_bg.wasm";
    for (accept, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "br wasm"),
        ("br", Some("br"), "br wasm"),
        ("gzip", Some("gzip"), "gz wasm"),
        ("", None, "raw wasm"),
        ("identity", None, "raw wasm"),
        ("br;q=0, gzip", Some("gzip"), "gz wasm"),
    ] {
        let response = get_encoded(&server, wasm, accept).await;
        assert_eq!(response.status, 200, "{accept}");
        assert_eq!(response.body, body, "{accept}");
        assert_eq!(response.header("content-encoding"), encoding, "{accept}");
        assert_eq!(response.header("content-type"), Some("application/wasm"));
        assert_eq!(response.header("vary"), Some("accept-encoding"), "{accept}");
        assert_eq!(
            response.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{accept}"
        );
    }
    let css = get_encoded(&server, "/style-1fba9a54d39fac96.css", "br").await;
    assert_eq!(css.body, "raw css");
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn a_missing_sibling_falls_back_to_the_raw_file() {
    let (server, _dist) = server_with_built_ui().await;
    let js = "/app-9a1bbd2de697f3c2.js";
    let br_only = get_encoded(&server, js, "br").await;
    assert_eq!(br_only.body, "raw js");
    assert_eq!(br_only.header("content-encoding"), None);
    assert_eq!(br_only.header("vary"), Some("accept-encoding"));
    let both = get_encoded(&server, js, "gzip, br").await;
    assert_eq!(both.body, "gz js");
    assert_eq!(both.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn the_page_and_unhashed_files_are_revalidated() {
    let (server, _dist) = server_with_built_ui().await;
    for path in ["/", "/index.html", "/notebooks/a/b.ipynb"] {
        let response = get_encoded(&server, path, "gzip, br").await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response.body.contains(INDEX), "{path}: {}", response.body);
        assert_eq!(response.header("cache-control"), Some("no-cache"), "{path}");
        assert!(response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")));
    }
    // wasm-bindgen's snippet directory is named for the crate, not the content.
    let snippet = "/snippets/app-80b3415dd065afc3/cell_editor.js";
    let response = get_encoded(&server, snippet, "br").await;
    assert_eq!(response.body, "br snippet");
    assert_eq!(response.header("content-encoding"), Some("br"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    // A directory is not served (and not redirected to `dir/`).
    let response = get_encoded(&server, "/snippets", "").await;
    assert_eq!(response.status, 404);
    assert_eq!(response.header("location"), None);
}

#[tokio::test]
async fn large_api_answers_are_compressed_small_ones_not() {
    let (server, dir) = {
        let dir = TempDir::new("api-compression");
        for n in 0..40 {
            let name = format!("a-notebook-with-a-longish-name-{n:02}.ipynb");
            std::fs::write(dir.0.join(name), "{}").unwrap();
        }
        let mut config = Config::new(TOKEN);
        config.notebooks.dir = dir.0.clone();
        (TestServer::start(config).await, dir)
    };
    let plain = get_encoded(&server, "/api/notebooks", "").await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.bytes.len() > 2048, "{}", plain.bytes.len());
    let listing: serde_json::Value = serde_json::from_slice(&plain.bytes).unwrap();

    let gzip = get_encoded(&server, "/api/notebooks", "gzip").await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert!(gzip
        .header("vary")
        .is_some_and(|v| v.contains("accept-encoding")));
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&gzip.bytes[..])
        .read_to_end(&mut text)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&text).unwrap(),
        listing
    );
    assert!(gzip.bytes.len() < plain.bytes.len() / 4);

    let br = get_encoded(&server, "/api/notebooks", "gzip, br").await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut text = Vec::new();
    brotli_decompressor::Decompressor::new(&br.bytes[..], 4096)
        .read_to_end(&mut text)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&text).unwrap(),
        listing
    );

    // The exports are streamed (no length): compressed too.
    let har = get_encoded(&server, "/api/capture.har", "gzip").await;
    assert_eq!(har.status, 200);
    assert_eq!(har.header("content-encoding"), Some("gzip"));

    // Small answers go as they are.
    let stats = get_encoded(&server, "/api/capture/stats", "gzip, br").await;
    assert_eq!(stats.status, 200);
    assert!(stats.bytes.len() < 1024);
    assert_eq!(stats.header("content-encoding"), None);
    drop(dir);
}

#[tokio::test]
async fn websocket_upgrades_are_never_compressed() {
    let (server, _dist) = server_with_built_ui().await;
    for path in ["/echo".to_string(), format!("/session?token={TOKEN}")] {
        let request = server.request(&path, &[("Accept-Encoding", "gzip, br")]);
        let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(response.status(), 101, "{path}");
        assert!(
            response.headers().get("content-encoding").is_none(),
            "{path}"
        );
        if path == "/echo" {
            socket.send(Message::Text("hai".into())).await.unwrap();
            let echoed = within(socket.next()).await.unwrap().unwrap();
            assert_eq!(echoed, Message::Text("hai".into()));
        }
    }
}
