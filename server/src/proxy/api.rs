//! `/api/routes`: the handlers that list, add and remove the UI's tap routes in the
//! [`RouteTable`](crate::proxy::route_table::RouteTable).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use wirebook_shared::route_api::{RouteRequest, ROUTES_API};

use crate::admission::api_request;
use crate::proxy::route_table::Refusal;
use crate::proxy::Proxying;

/// Largest `PUT` body: a name and a URL.
const MAX_BODY: usize = 16 * 1024;

/// `/api/routes` for the server's router.
pub fn routes<S: Proxying>() -> Router<S> {
    Router::new().route(ROUTES_API, get(list::<S>)).route(
        &format!("{ROUTES_API}/{{name}}"),
        put(change::<S>).delete(remove::<S>),
    )
}

fn gate(app: &impl Proxying, request: &Request) -> Result<(), Refusal> {
    api_request::gate(app.token(), app.allow_origins(), request, "routes")
        .map_err(|(status, message)| Refusal::new(status, message))
}

async fn list<S: Proxying>(State(app): State<S>, request: Request) -> Response {
    if let Err(refusal) = gate(&app, &request) {
        return refusal.into_response();
    }
    Json(app.routes().list()).into_response()
}

async fn change<S: Proxying>(
    State(app): State<S>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, Refusal> {
    gate(&app, &request)?;
    let body = api_request::json_bytes(request, MAX_BODY, "")
        .await
        .map_err(|(status, message)| Refusal::new(status, message))?;
    let wanted: RouteRequest = serde_json::from_slice(&body).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("a route is {{\"url\": \"ws://…\", \"public\": false}}: {e}"),
        )
    })?;
    let (info, created) = app.routes().put(&name, &wanted)?;
    tracing::info!(route = %info.name, url = %crate::upstream::url::for_logs(&info.url), public = info.public, "route set from the UI");
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)).into_response())
}

async fn remove<S: Proxying>(
    State(app): State<S>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, Refusal> {
    gate(&app, &request)?;
    app.routes().delete(&name)?;
    tracing::info!(route = %name, "route removed from the UI");
    Ok(StatusCode::NO_CONTENT.into_response())
}
