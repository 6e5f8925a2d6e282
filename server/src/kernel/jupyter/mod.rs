//! Local Jupyter kernels: kernelspecs found the way Jupyter finds them, launched with a
//! connection file and reached over ZeroMQ, every message recorded with its wire parts.
//!
//! - [`kernelspec`]: where kernelspecs are and what they say.
//! - [`launch`]: connection file, command line and process.
//! - [`client`]: the Jupyter client protocol without IO (shared with `crate::kernel::gateway`).
//! - [`dispatch`]: an open link's relay loop and command dispatch over a `Transport` (ZeroMQ
//!   here, the channels WebSocket in `crate::kernel::gateway`).
//! - [`wire`]: signing, checking and recording ZeroMQ messages.
//! - [`link`]: the task behind a kernel's `KernelLink`; [`heartbeat`]: its liveness pings.

pub mod client;
pub mod dispatch;
pub mod heartbeat;
pub mod kernelspec;
pub mod launch;
pub mod link;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::capture::ring::Capture;
use crate::kernel::{KernelEvent, KernelLink};
use crate::shutdown::Shutdown;

/// Where wirebook looks for kernelspecs and puts connection files.
#[derive(Debug, Clone)]
pub struct JupyterConfig {
    /// Searched before Jupyter's own path (`--jupyter-path`, then `JUPYTER_PATH`, the user and
    /// system data dirs and the active Python environment's `share/jupyter`).
    pub extra_paths: Vec<PathBuf>,
    /// Where connection files go; Jupyter's runtime dir when `None`.
    pub runtime_dir: Option<PathBuf>,
    /// How long the `kernel_info` handshake may take after launch.
    pub startup_timeout: Duration,
}

impl JupyterConfig {
    /// How long a kernel may take to answer `kernel_info` by default (`--kernel-startup-timeout`).
    pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
}

impl Default for JupyterConfig {
    fn default() -> Self {
        JupyterConfig {
            extra_paths: Vec::new(),
            runtime_dir: None,
            startup_timeout: Self::STARTUP_TIMEOUT,
        }
    }
}

/// One installed kernelspec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSpecEntry {
    /// The directory name, e.g. `python3`.
    pub name: String,
    pub display_name: String,
    pub language: String,
    /// The kernelspec's directory.
    pub dir: PathBuf,
}

/// The installed kernelspecs, first found wins for a name, and what was wrong on the way (a
/// `kernel.json` that cannot be read or does not parse), in words for the user.
pub async fn find_kernelspecs(config: &JupyterConfig) -> (Vec<KernelSpecEntry>, Vec<String>) {
    let extra = config.extra_paths.clone();
    // Reading dirs is blocking IO: keep it off the session's worker.
    let discovery =
        tokio::task::spawn_blocking(move || kernelspec::discover(&kernelspec::data_dirs(&extra)))
            .await
            .unwrap_or_default();
    let specs = discovery
        .specs
        .into_iter()
        .map(|spec| KernelSpecEntry {
            name: spec.name,
            display_name: spec.spec.display_name,
            language: spec.spec.language,
            dir: spec.dir,
        })
        .collect();
    (specs, discovery.problems)
}

/// Launches the kernelspec `name` and reports on `events` as a [`KernelLink`] does.
pub fn start(
    id: u64,
    name: String,
    config: Arc<JupyterConfig>,
    capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> KernelLink {
    KernelLink::spawn(id, shutdown, |queue, watcher| {
        link::run(id, name, config, capture, events, queue, watcher)
    })
}
