//! What every REST handler (`/api/notebooks`, `/api/routes`) checks of a request before it acts:
//! the token, the Origin of requests that change something, and a JSON body within a size limit.
//! Requests that change something must be JSON, which a cross-site form cannot send without a
//! CORS preflight that wirebook never grants.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;

use crate::auth;

/// Why a request was refused: the status and the words for `{"error": …}`.
pub type Refused = (StatusCode, String);

/// A refusal as the REST handlers answer it: its status and `{"error": "…"}`.
pub fn refused((status, message): Refused) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The token (query, cookie or header, as the UI), and for changes the Origin; `what` names
/// what would change, for the message ("notebooks", "routes").
pub fn gate(
    token: &str,
    allow_origins: &[String],
    request: &Request,
    what: &str,
) -> Result<(), Refused> {
    let (method, uri, headers) = (request.method(), request.uri(), request.headers());
    if auth::check_token(token, uri.query(), headers).is_none() {
        return Err((
            StatusCode::FORBIDDEN,
            "missing or wrong token: open the URL that wirebook printed".into(),
        ));
    }
    if method != Method::GET && !auth::origin_allowed(headers, allow_origins) {
        // The path only: the query carries the token.
        let path = uri.path();
        tracing::warn!(origin = ?headers.get("origin"), %method, %path, "refused a change from a foreign origin");
        return Err((
            StatusCode::FORBIDDEN,
            format!("this page's origin may not change {what} (see --allow-origin)"),
        ));
    }
    Ok(())
}

/// The body's bytes, at most `max` of them and JSON (by its Content-Type) unless empty.
/// `limit_hint` says in the error which option raises the limit.
pub async fn json_bytes(
    request: Request,
    max: usize,
    limit_hint: &str,
) -> Result<Vec<u8>, Refused> {
    let too_big = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {max} bytes{limit_hint}"),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    let mut body = Vec::new();
    let mut stream = request.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk: Bytes = chunk.map_err(|error| {
            (
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {error}"),
            )
        })?;
        if body.len() + chunk.len() > max {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    if !body.is_empty() && !is_json {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON (Content-Type: application/json)".into(),
        ));
    }
    Ok(body)
}
