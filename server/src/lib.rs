//! wirebook's server: serves the UI, the browser's `/session` socket and the `/echo` kernel, and
//! relays between browsers and kernels while capturing everything that crosses either hop.
//!
//! The wings, each a folder of one feature or one layer:
//! - [`admission`]: who gets in (the accept loop, the checks every request passes); [`auth`]:
//!   the token and Origin checks themselves.
//! - [`capture`]: the byte tap under every WebSocket, the records it makes, the ring, the exports;
//!   [`capture_page`]: the inspector's pages of it over HTTP.
//! - [`websocket`]: accepting and closing the WebSockets the server serves.
//! - [`session`]: one browser's `/session` socket; [`kernel`]: the links to kernels it drives.
//! - [`upstream`]: dialling out (kernels, routes, gateways), with the URL checks.
//! - [`proxy`]: the transparent proxy's routes (`/tap/NAME`); [`endpoints`]: `/echo`, `/demo/*`.
//! - [`notebooks`]: the notebook files API; [`ui`]: the built UI; [`index_page`]: its page as
//!   served (under `--base-url`).
//!
//! [`config`] is what the server can be told, [`state`] what every handler shares, and
//! [`serve`] composes them: the binary (`main.rs`) only parses arguments ([`cli`]), binds,
//! prints the URL and waits for a signal, so integration tests run it in-process on port 0.

pub mod address;
pub mod admission;
pub mod auth;
pub mod capture;
pub mod capture_page;
pub mod cli;
pub mod config;
pub mod endpoints;
pub mod index_page;
pub mod kernel;
pub mod notebooks;
pub mod proxy;
pub mod run;
pub mod session;
pub mod shutdown;
pub mod state;
pub mod ui;
pub mod upstream;
pub mod websocket;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::compression::predicate::SizeAbove;
use tower_http::compression::CompressionLayer;
use wirebook_shared::base_url::BaseUrl;

use crate::capture::export;
use crate::config::Config;
use crate::endpoints::{demo, echo};
use crate::state::App;

/// Runs the server on `listener` until `shutdown` resolves; then every socket gets a 1001
/// close, kernel connections are closed, and this returns once they are done or
/// `config.shutdown_grace` has passed.
pub async fn serve<F>(listener: TcpListener, config: Config, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr()?;
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no index.html: the UI is not built (run `trunk build`)");
    }
    let grace = config.shutdown_grace;
    let app = App::new(config, addr);
    let lifecycle = app.shutdown.clone();
    let trigger = lifecycle.clone();
    let (capture, limits) = (app.config.capture.enabled, app.config.admission.limits);
    let shutting_down =
        admission::serve(listener, capture, router(app), limits, grace, async move {
            shutdown.await;
            trigger.trigger();
        })
        .await;
    let unfinished = lifecycle
        .wait(grace.saturating_sub(shutting_down.elapsed()))
        .await;
    if unfinished > 0 {
        tracing::warn!(
            unfinished,
            "connections still open after the shutdown grace period"
        );
    }
    Ok(())
}

fn router(app: App) -> Router {
    // The JSON API, compressed when large (exports run to megabytes); no WebSocket is here.
    let api = Router::new()
        .route("/api/capture.har", get(export::har::<App>))
        .route("/api/capture.jsonl", get(export::jsonl::<App>))
        .route("/api/capture.pcapng", get(export::pcapng::<App>))
        .route("/api/capture/stats", get(export::stats::<App>))
        .merge(capture_page::routes::<App>())
        .merge(notebooks::api_routes(&app.config, Arc::clone(&app.kept)))
        .merge(proxy::api::routes::<App>())
        .merge(proxy::intercept::api::routes::<App>())
        .merge(kernel::kept::api::routes::<App>())
        .layer(CompressionLayer::new().compress_when(SizeAbove::new(API_COMPRESS_ABOVE)));
    let routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/echo", get(echo::socket))
        .route("/session", get(session::socket))
        .route("/tap/{name}", get(proxy::socket::<App>))
        .route("/demo/push", get(demo::push))
        .route("/demo/close", get(demo::close))
        .route("/demo/fragmented", get(demo::fragmented))
        .merge(api)
        .merge(notebooks::page_routes())
        .fallback(ui::serve)
        .with_state(app.clone());
    under_base_url(app.config.base_url.clone(), routes)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            admission::admit::<App>,
        ))
        .with_state(app)
}

/// API answers at least this large (or of unknown size, such as the exports) are compressed
/// for a client that accepts gzip or brotli.
pub const API_COMPRESS_ABOVE: u16 = 1024;

/// `routes` served under `base`: a request's path loses the prefix before routing; the prefix
/// without its last `/` is sent on to the prefix (as Jupyter does); anything else is not
/// wirebook's (404).
fn under_base_url<S>(base: BaseUrl, routes: Router) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    if base.is_root() {
        return routes.with_state(());
    }
    let service = tower::service_fn(move |request: Request| {
        let routes = routes.clone();
        let base = base.clone();
        async move {
            let path = request.uri().path();
            let Some(rest) = base.strip(path) else {
                let query = request.uri().query().map(|q| format!("?{q}"));
                let answer = if Some(path) == base.without_trailing_slash() {
                    let to = format!("{base}{}", query.unwrap_or_default());
                    Redirect::permanent(&to).into_response()
                } else {
                    (
                        StatusCode::NOT_FOUND,
                        format!("wirebook is served under {base} (--base-url)\n"),
                    )
                        .into_response()
                };
                return Ok::<_, Infallible>(answer);
            };
            let rewritten = match request.uri().query() {
                Some(query) => format!("{rest}?{query}"),
                None => rest.to_string(),
            };
            let (mut parts, body) = request.into_parts();
            let mut uri = parts.uri.clone().into_parts();
            match PathAndQuery::try_from(rewritten) {
                Ok(path) => uri.path_and_query = Some(path),
                Err(_) => return Ok(StatusCode::BAD_REQUEST.into_response()),
            }
            match Uri::from_parts(uri) {
                Ok(uri) => parts.uri = uri,
                Err(_) => return Ok(StatusCode::BAD_REQUEST.into_response()),
            }
            routes.oneshot(Request::from_parts(parts, body)).await
        }
    });
    Router::new().fallback_service(service)
}
