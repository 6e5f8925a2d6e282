//! The UI: trunk's `dist` directory served as static files, behind the token.
//!
//! `?token=T` on any UI URL also sets the token cookie (its `Path` the base URL), so the
//! page's later requests (and its `/session` socket) carry it without the query. Without a
//! valid token the answer is a short page that says where the right URL is, as Jupyter does.
//!
//! Files are served by content negotiation: a `.br` or `.gz` sibling (written at build time by
//! `scripts/precompress.sh`) when the browser accepts it, the file itself otherwise, always
//! with `Vary: Accept-Encoding`. The page itself is `index.html` as [`crate::index_page`]
//! loaded it when the server started (asset paths under `--base-url`); [`caching`] says how
//! long each file may be kept.

pub mod caching;

use std::path::Path;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE, VARY};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;
use wirebook_shared::base_url::BaseUrl;

use crate::auth::{check_token, forbidden, token_cookie, TokenSource};
use crate::index_page::IndexPage;
use crate::state::App;

/// Serves a UI file if the request carries the token: `/` and `/index.html` are the page.
pub async fn serve(State(app): State<App>, request: Request) -> Response {
    let path = request.uri().path();
    if path == "/" || path == "/index.html" {
        return page(State(app), request).await;
    }
    let Some(source) = check_token(&app.config.token, request.uri().query(), request.headers())
    else {
        return forbidden();
    };
    let dist = &app.config.dist;
    let path = path.to_string();
    let mut files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        // A directory is not a UI file: no redirect to `dir/` (it would leave the base URL).
        .append_index_html_on_directories(false);
    let mut response = match files.try_call(request).await {
        Ok(response) => response.map(Body::new),
        Err(error) => {
            tracing::error!(%error, %path, "cannot read a UI file");
            return unreadable();
        }
    };
    if response.status() == StatusCode::NOT_FOUND && matches!(*app.index, IndexPage::NotBuilt) {
        response = not_built(dist);
    } else if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, caching::cache_control(&path));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    remember_token(&app, source, &mut response);
    response
}

/// The UI's page, `index.html` with its paths under the base URL (see [`crate::index_page`]),
/// revalidated on every visit: the answer to `/`, `/index.html` and the page routes
/// (`/notebooks/PATH`).
pub async fn page(State(app): State<App>, request: Request) -> Response {
    let Some(source) = check_token(&app.config.token, request.uri().query(), request.headers())
    else {
        return forbidden();
    };
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let mut response = match app.index.as_ref() {
        IndexPage::Built(html) => {
            let mut response = Body::from(html.clone()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(CACHE_CONTROL, HeaderValue::from_static(caching::REVALIDATE));
            response
        }
        IndexPage::NotBuilt => not_built(&app.config.dist),
        IndexPage::Unreadable => unreadable(),
    };
    remember_token(&app, source, &mut response);
    response
}

/// A UI file that is there but cannot be read (the cause is in the log).
fn unreadable() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "cannot read the UI files\n",
    )
        .into_response()
}

/// The likely cause of a missing file when there is no `index.html`: a UI never built.
fn not_built(dist: &Path) -> Response {
    let message = format!(
        "wirebook's UI is not built: {} has no index.html (run `trunk build`, or pass --dist)\n",
        dist.display()
    );
    (StatusCode::NOT_FOUND, message).into_response()
}

/// Sets the token cookie when the token came in the query.
fn remember_token(app: &App, source: TokenSource, response: &mut Response) {
    if source == TokenSource::Query {
        let base: &BaseUrl = &app.config.base_url;
        if let Ok(cookie) = HeaderValue::from_str(&token_cookie(&app.config.token, base)) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
}
