//! Local Jupyter kernels: kernelspecs found the way Jupyter finds them, launched with a
//! connection file and reached over ZeroMQ, every message recorded with its wire parts.

pub mod client;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::capture::Capture;
use crate::kernel::{KernelEvent, KernelLink};
use crate::shutdown::Shutdown;

/// Where wirebook looks for kernelspecs and puts connection files.
#[derive(Debug, Clone, Default)]
pub struct JupyterConfig {
    /// Searched before Jupyter's own path (`--jupyter-path`, then `JUPYTER_PATH`, the user and
    /// system data dirs and the active Python environment's `share/jupyter`).
    pub extra_paths: Vec<PathBuf>,
    /// Where connection files go; Jupyter's runtime dir when `None`.
    pub runtime_dir: Option<PathBuf>,
    /// How long the `kernel_info` handshake may take after launch.
    pub startup_timeout: Duration,
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

/// The installed kernelspecs, first found wins for a name.
pub async fn find_kernelspecs(_config: &JupyterConfig) -> Vec<KernelSpecEntry> {
    Vec::new()
}

/// Launches the kernelspec `name` and reports on `events` as a [`KernelLink`] does.
pub fn start(
    id: u64,
    name: String,
    _config: Arc<JupyterConfig>,
    _capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> KernelLink {
    let message = format!("cannot start the kernel {name}: local Jupyter kernels are being built");
    KernelLink::failed(id, message, events, shutdown)
}
