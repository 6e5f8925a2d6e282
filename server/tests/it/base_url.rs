//! wirebook under a path prefix (`--base-url /wirebook/`): every route answers under it and
//! only there, the page is rewritten for it, and the cookie is scoped to it.

use wirebook_server::admission::content_security_policy;
use wirebook_server::config::Config;
use wirebook_shared::base_url::BaseUrl;
use wirebook_shared::{KernelState, ServerMsg};

use crate::http::{http_get, http_request};
use crate::session_client::SessionClient;
use crate::support::{connect, refused_status, TempDir, TestServer, TOKEN};

const INDEX: &str = r#"<!doctype html>
<html><head><meta charset="utf-8" />
<script type="module">
import init, * as bindings from '/app-9a1b.js';
const wasm = await init({ module_or_path: '/app-9a1b_bg.wasm' });
</script>
<link rel="stylesheet" href="/style-1fba.css"/></head><body></body></html>"#;

async fn server_under(base: &str) -> (TestServer, TempDir) {
    let dir = TempDir::new("base-url");
    let dist = dir.0.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(dist.join("app-9a1b.js"), "raw js").unwrap();
    let notebooks = dir.0.join("notebooks");
    std::fs::create_dir_all(&notebooks).unwrap();
    let mut config = Config::new(TOKEN);
    config.dist = dist;
    config.notebooks.dir = notebooks;
    config.base_url = BaseUrl::parse(base).unwrap();
    (TestServer::start(config).await, dir)
}

#[tokio::test]
async fn the_page_is_served_under_the_prefix_rewritten_for_it() {
    let (server, _dir) = server_under("/wirebook/").await;
    for path in [
        "/wirebook/",
        "/wirebook/index.html",
        "/wirebook/notebooks/a.ipynb",
    ] {
        let page = http_get(server.addr, &format!("{path}?token={TOKEN}"), &[]).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.header("cache-control"), Some("no-cache"));
        assert_eq!(
            page.header("set-cookie"),
            Some(
                format!("wirebook_token={TOKEN}; HttpOnly; SameSite=Strict; Path=/wirebook/")
                    .as_str()
            )
        );
        let body = &page.body;
        assert!(body.contains(r#"<meta name="wirebook-base-url" content="/wirebook/" />"#));
        assert!(body.contains("from '/wirebook/app-9a1b.js'"), "{body}");
        assert!(body.contains("module_or_path: '/wirebook/app-9a1b_bg.wasm'"));
        assert!(body.contains(r#"href="/wirebook/style-1fba.css""#));
        // The policy allows the inline script as it was served, not as trunk wrote it.
        let csp = page.header("content-security-policy").unwrap();
        assert_eq!(csp, content_security_policy(Some(body)).to_str().unwrap());
        assert_ne!(csp, content_security_policy(Some(INDEX)).to_str().unwrap());
    }
    let asset = http_get(
        server.addr,
        "/wirebook/app-9a1b.js",
        &[("Cookie", &format!("wirebook_token={TOKEN}"))],
    )
    .await;
    assert_eq!(asset.body, "raw js");
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn nothing_answers_outside_the_prefix() {
    let (server, _dir) = server_under("/wirebook/").await;
    for path in [
        "/".to_string(),
        format!("/?token={TOKEN}"),
        "/healthz".to_string(),
        "/api/notebooks".to_string(),
        "/wirebookish/healthz".to_string(),
        "/app-9a1b.js".to_string(),
    ] {
        let response = http_get(server.addr, &path, &[]).await;
        assert_eq!(response.status, 404, "{path}");
        assert!(response.body.contains("served under /wirebook/"), "{path}");
        // Refusals carry the security headers like every answer.
        assert!(
            response.header("content-security-policy").is_some(),
            "{path}"
        );
    }
    let healthz = http_get(server.addr, "/wirebook/healthz", &[]).await;
    assert_eq!((healthz.status, healthz.body.as_str()), (200, "ok"));
    // The prefix without its slash is sent on to the prefix, query and all.
    let bare = http_get(server.addr, &format!("/wirebook?token={TOKEN}"), &[]).await;
    assert_eq!(bare.status, 308);
    assert_eq!(
        bare.header("location"),
        Some(format!("/wirebook/?token={TOKEN}").as_str())
    );
    assert_eq!(refused_status(server.request("/echo", &[])).await, 404);
}

#[tokio::test]
async fn the_api_and_sockets_work_under_the_prefix() {
    let (server, _dir) = server_under("/user/a/wirebook/").await;
    let auth = format!("token {TOKEN}");
    let created = http_request(
        server.addr,
        "POST",
        "/user/a/wirebook/api/notebooks",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        "{}",
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.header("location"),
        Some("/user/a/wirebook/api/notebooks/Untitled.ipynb")
    );
    let opened = http_get(
        server.addr,
        "/user/a/wirebook/api/notebooks/Untitled.ipynb",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    for api in ["api/kernels", "api/routes", "api/capture/stats"] {
        let response = http_get(
            server.addr,
            &format!("/user/a/wirebook/{api}"),
            &[("Authorization", &auth)],
        )
        .await;
        assert_eq!(response.status, 200, "{api}: {}", response.body);
    }
    // An unknown route under the prefix is the proxy's own 404, not the prefix's.
    let tap = refused_status(server.request("/user/a/wirebook/tap/nope", &[])).await;
    assert_eq!(tap, 404);

    // /session under the prefix, with the echo kernel dialled under it too.
    let socket =
        connect(server.request(&format!("/user/a/wirebook/session?token={TOKEN}"), &[])).await;
    let (mut session, hello) = SessionClient::on(socket).await;
    assert!(
        matches!(&hello, ServerMsg::Hello { kernel, .. } if kernel.url.ends_with("/user/a/wirebook/echo")),
        "{hello:?}"
    );
    let state = session.kernel_settled().await;
    assert!(matches!(state, KernelState::Open { .. }), "{state:?}");
    session.echo("c1", "hai", 1).await;
}
