//! The WebSocket peers wirebook serves itself, without the token: [`echo`] (`/echo`, the
//! built-in kernel) and [`demo`] (`/demo/*`, peers that behave in ways worth watching).

pub mod demo;
pub mod echo;

use axum::extract::Request;
use axum::response::Response;
use wirebook_shared::Hop;

use crate::admission;
use crate::capture::tap::TapConnectInfo;
use crate::shutdown::Shutdown;
use crate::state::App;
use crate::websocket::upgrade::{self, Accepted, Capturing};

/// Upgrades an endpoint's request (on hop `endpoint`, with the anonymous message limit when
/// the connection has not shown the token) and runs `run` on the socket; the reason it returns
/// ends the connection's capture.
pub fn accept<F, Fut>(app: &App, connection: &TapConnectInfo, request: Request, run: F) -> Response
where
    F: FnOnce(Accepted, Shutdown) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    let shutdown = app.shutdown.child();
    let capturing = Capturing {
        capture: &app.capture,
        hop: Hop::Endpoint,
        connection,
    };
    let codec = app
        .config
        .websocket
        .codec_for(admission::is_trusted(&request));
    upgrade::accept(
        request,
        codec,
        &app.shutdown,
        capturing,
        move |accepted| async move {
            let recorder = accepted.recorder.clone();
            // Every data message received is counted, so `received_seq` stays in step.
            accepted.links.track_received();
            let reason = run(accepted, shutdown).await;
            recorder.finish(reason);
        },
    )
}
