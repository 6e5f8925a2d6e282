//! `/api/kernels`: the "Running kernels" list ([`KeptKernels::list`]) and shutting one down,
//! behind the token (and, for the shutdown, the Origin check).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use wirebook_shared::kept_kernels::KERNELS_API;

use crate::admission::api_request::{self, refused};
use crate::kernel::kept::KeptKernels;

/// What the handlers need of the server's state.
pub trait KeepingKernels: Clone + Send + Sync + 'static {
    fn kept(&self) -> &Arc<KeptKernels>;
    fn token(&self) -> &str;
    fn allow_origins(&self) -> &[String];
}

/// `/api/kernels` for the server's router.
pub fn routes<S: KeepingKernels>() -> Router<S> {
    Router::new()
        .route(KERNELS_API, get(list::<S>))
        .route(&format!("{KERNELS_API}/{{id}}"), delete(shut_down::<S>))
}

async fn list<S: KeepingKernels>(State(app): State<S>, request: Request) -> Response {
    if let Err(refusal) = api_request::gate(app.token(), app.allow_origins(), &request, "kernels") {
        return refused(refusal);
    }
    Json(app.kept().list()).into_response()
}

async fn shut_down<S: KeepingKernels>(
    State(app): State<S>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    if let Err(refusal) = api_request::gate(app.token(), app.allow_origins(), &request, "kernels") {
        return refused(refusal);
    }
    let Ok(id) = id.parse::<u64>() else {
        return refused((
            StatusCode::BAD_REQUEST,
            format!("{id:?} is not a kernel id: the ids are the numbers GET {KERNELS_API} lists"),
        ));
    };
    if !app.kept().shut_down(id).await {
        return refused((
            StatusCode::NOT_FOUND,
            format!("no running kernel has id {id}"),
        ));
    }
    tracing::info!(id, "kernel shut down from the running kernels list");
    StatusCode::NO_CONTENT.into_response()
}
