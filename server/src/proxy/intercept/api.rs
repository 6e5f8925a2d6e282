//! `/api/intercept`: the handlers that read and set the tap's breakpoints, decide held
//! messages and inject messages (the bodies are `shared::intercept_api`'s).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use wirebook_shared::intercept_api::{Breakpoints, Decision, Injection, INTERCEPT_API};

use super::Refusal;
use crate::admission::api_request::{self, Refused};
use crate::proxy::Proxying;

/// Largest body: a breakpoint set, or an edit of a held message (a held message is at most
/// `MAX_HELD_BYTES`; its hex is twice that).
const MAX_BODY: usize = 2 * wirebook_shared::intercept_api::MAX_HELD_BYTES + 64 * 1024;

/// `/api/intercept` for the server's router.
pub fn routes<S: Proxying>() -> Router<S> {
    Router::new()
        .route(INTERCEPT_API, get(state::<S>))
        .route(&format!("{INTERCEPT_API}/breakpoints"), put(set::<S>))
        .route(&format!("{INTERCEPT_API}/held/{{id}}"), post(decide::<S>))
        .route(&format!("{INTERCEPT_API}/inject"), post(inject::<S>))
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Refused {
        match refusal {
            Refusal::Invalid(why) => (StatusCode::BAD_REQUEST, why),
            Refusal::Gone(why) => (StatusCode::NOT_FOUND, why),
        }
    }
}

async fn body<S: Proxying, T: DeserializeOwned>(
    app: &S,
    request: Request,
    shape: &str,
) -> Result<T, Refused> {
    api_request::gate(app.token(), app.allow_origins(), &request, "breakpoints")?;
    let bytes = api_request::json_bytes(request, MAX_BODY, "").await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("expected {shape}: {e}")))
}

async fn state<S: Proxying>(State(app): State<S>, request: Request) -> Response {
    if let Err(refused) = api_request::gate(app.token(), app.allow_origins(), &request, "") {
        return api_request::refused(refused);
    }
    Json(app.intercept().state()).into_response()
}

async fn set<S: Proxying>(State(app): State<S>, request: Request) -> Response {
    let result = async {
        let set: Breakpoints = body(
            &app,
            request,
            r#"{"breakpoints": [{"route", "ways", "filter"}], "release_after_s"}"#,
        )
        .await?;
        app.intercept().set(set, app.routes())?;
        tracing::info!("tap breakpoints set from the UI");
        Ok::<_, Refused>(Json(app.intercept().state()).into_response())
    };
    result.await.unwrap_or_else(api_request::refused)
}

async fn decide<S: Proxying>(
    State(app): State<S>,
    Path(id): Path<u64>,
    request: Request,
) -> Response {
    let result = async {
        let decision: Decision = body(
            &app,
            request,
            r#"{"action": "forward"}, {"action": "drop"} or {"action": "edit", "text": …}"#,
        )
        .await?;
        app.intercept().decide(id, decision)?;
        Ok::<_, Refused>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(api_request::refused)
}

async fn inject<S: Proxying>(State(app): State<S>, request: Request) -> Response {
    let result = async {
        let injection: Injection = body(
            &app,
            request,
            r#"{"conn": N, "way": "to_upstream" or "to_client", "payload": {"text": …}}"#,
        )
        .await?;
        app.intercept()
            .inject(injection.conn, injection.way, &injection.payload)?;
        Ok::<_, Refused>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(api_request::refused)
}
