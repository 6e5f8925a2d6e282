//! `POST /api/capture/page`: a page of the capture for an inspector scrolling back, filtered
//! with the inspector's own filter (see `wirebook_shared::capture_page` for the bodies). It is
//! HTTP, which is not captured, so paging through the capture does not add to it.
//!
//! The filter (the chips, a search, and a display-filter expression such as
//! `hop == kernel && json.type == "subscribe"`) is compiled by the code the browser uses, the
//! limit clamped to [`PAGE_LIMIT`], and at most [`PAGE_SCAN`] records are looked at per query,
//! off the async threads. An expression that does not compile is a `400` whose message starts
//! with its column, as the filter box shows it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use wirebook_shared::capture_page::{CapturePage, PageQuery, CAPTURE_PAGE_API};

use crate::admission::api_request::{self, Refused};
use crate::capture::export::Exporting;

/// The most records one page carries (larger limits are clamped).
pub const PAGE_LIMIT: usize = 1000;

/// The most records one page query looks at: a filter that matches nothing in a million
/// records costs the server a bounded slice of work per query, and the answer says where to
/// go on.
pub const PAGE_SCAN: usize = 50_000;

/// Largest query body: a filter is a few strings of at most `MAX_SEARCH_LEN` bytes each (the
/// search, the msg_types, the expression), with room for their JSON escapes.
const MAX_BODY: usize = 32 * 1024;

/// What a page query reads of the server's state besides the capture and the token.
pub trait Paging: Exporting {
    fn allow_origins(&self) -> &[String];
    /// The server process's id, as the session's `Hello` gives it.
    fn instance(&self) -> &str;
}

/// `POST /api/capture/page` for the server's router.
pub fn routes<S: Paging>() -> Router<S> {
    Router::new().route(CAPTURE_PAGE_API, post(page::<S>))
}

async fn page<S: Paging>(State(app): State<S>, request: Request) -> Response {
    match answer(&app, request).await {
        Ok(page) => Json(page).into_response(),
        Err(refusal) => api_request::refused(refusal),
    }
}

async fn answer(app: &impl Paging, request: Request) -> Result<CapturePage, Refused> {
    api_request::gate(app.token(), app.allow_origins(), &request, "the capture")?;
    let body = api_request::json_bytes(request, MAX_BODY, "").await?;
    let query: PageQuery = serde_json::from_slice(&body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!(
                "a page query is {{\"before_seq\": 900, \"filter\": {{…}}, \"limit\": 200}}: {e}"
            ),
        )
    })?;
    let filter = query
        .filter
        .compile()
        .map_err(|message| (StatusCode::BAD_REQUEST, message))?;
    let limit = usize::try_from(query.limit)
        .unwrap_or(PAGE_LIMIT)
        .clamp(1, PAGE_LIMIT);
    let capture = Arc::clone(app.capture());
    let before = query.before_seq;
    let page = tokio::task::spawn_blocking(move || {
        capture.page(before, limit, PAGE_SCAN, |record| {
            if filter.reads_lenses() {
                capture.lens_facts(record.seq, |facts| filter.matches_with(record, facts))
            } else {
                filter.matches(record)
            }
        })
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "a capture page query failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not read its capture for this page".to_string(),
        )
    })?;
    Ok(CapturePage {
        records: page.records,
        scanned_from: page.scanned_from,
        older: page.older,
        instance: app.instance().to_string(),
    })
}
