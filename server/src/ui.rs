//! The UI: trunk's `dist` directory served as static files, behind the token.
//!
//! `?token=T` on any UI URL also sets the token cookie, so the page's later requests (and its
//! `/session` socket) carry it without the query. Without a valid token the answer is a short
//! page that says where the right URL is, as Jupyter does.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

use crate::auth::{check_token, forbidden, token_cookie, TokenSource};
use crate::state::App;

/// Serves a UI file if the request carries the token.
pub async fn serve(State(app): State<App>, request: Request) -> Response {
    let Some(source) = check_token(&app.config.token, request.uri().query(), request.headers())
    else {
        return forbidden();
    };
    let dist: &PathBuf = &app.config.dist;
    let path = request.uri().path().to_string();
    let mut response = match ServeDir::new(dist).try_call(request).await {
        Ok(response) => response.map(Body::new),
        Err(error) => {
            tracing::error!(%error, %path, "cannot read a UI file");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the UI files\n",
            )
                .into_response();
        }
    };
    if response.status() == StatusCode::NOT_FOUND && !dist.join("index.html").is_file() {
        // The likely cause is a UI that was never built; say so instead of a bare 404.
        let message = format!(
            "wirebook's UI is not built: {} has no index.html (run `trunk build`, or pass --dist)\n",
            dist.display()
        );
        response = (StatusCode::NOT_FOUND, message).into_response();
    }
    if source == TokenSource::Query {
        if let Ok(cookie) = HeaderValue::from_str(&token_cookie(&app.config.token)) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    response
}
