//! Remote Jupyter kernels through a Jupyter Server, Kernel Gateway or Enterprise Gateway: REST
//! for kernelspecs and the kernel's lifecycle, its `/channels` WebSocket for messages.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use wirebook_shared::KernelOffer;

use crate::capture::Capture;
use crate::kernel::{KernelEvent, KernelLink};
use crate::shutdown::Shutdown;

/// `--gateway-url` and `--gateway-token`.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// e.g. `http://127.0.0.1:8888`.
    pub url: String,
    pub token: Option<String>,
    pub connect_timeout: Duration,
}

/// The gateway's kernelspecs (`GET /api/kernelspecs`) as picker entries.
pub async fn kernelspecs(_config: &GatewayConfig) -> Result<Vec<KernelOffer>, String> {
    Ok(Vec::new())
}

/// Starts the gateway kernelspec `name` and reports on `events` as a [`KernelLink`] does.
pub fn start(
    id: u64,
    name: String,
    _config: Arc<GatewayConfig>,
    _capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> KernelLink {
    let message = format!("cannot start the gateway kernel {name}: gateway mode is being built");
    KernelLink::failed(id, message, events, shutdown)
}
