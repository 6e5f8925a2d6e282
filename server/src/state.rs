//! The state every handler shares ([`App`]), made once when the server starts.

use std::net::SocketAddr;
use std::sync::Arc;

use wirebook_shared::{KernelChoice, KernelInfo};

use crate::address::reachable;
use crate::admission::{content_security_policy, Gate, Limits, Policy};
use crate::capture::export::Exporting;
use crate::capture::fanout::Fanout;
use crate::capture::ring::Capture;
use crate::capture_page::Paging;
use crate::config::Config;
use crate::config::KeptConfig;
use crate::index_page::IndexPage;
use crate::kernel::catalog::KernelCatalog;
use crate::kernel::kept::host::Starter;
use crate::kernel::kept::{KeptKernels, KeptSettings};
use crate::proxy::intercept::Intercept;
use crate::proxy::route_table::RouteTable;
use crate::proxy::Proxying;
use crate::shutdown::Shutdown;
use crate::upstream::TlsSettings;

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) config: Arc<Config>,
    pub(crate) capture: Arc<Capture>,
    /// The live capture as every session sends it.
    pub(crate) fanout: Arc<Fanout>,
    pub(crate) kernels: Arc<KernelCatalog>,
    /// Every kernel host: the kept kernels and the sessions' private ones.
    pub(crate) kept: Arc<KeptKernels>,
    /// The tap proxy's routes: the command line's and the UI's.
    pub(crate) routes: Arc<RouteTable>,
    /// The tap's breakpoints and held messages.
    pub(crate) intercept: Arc<Intercept>,
    pub(crate) instance: String,
    pub(crate) shutdown: Shutdown,
    /// What every request is checked against (see `admission`).
    pub(crate) policy: Arc<Policy>,
    /// The UI's page, read once (see `index_page`).
    pub(crate) index: Arc<IndexPage>,
}

impl App {
    /// The state of a server listening on `addr`.
    pub fn new(config: Config, addr: SocketAddr) -> Self {
        let replay_share = KeptConfig::replay_share(config.capture.memory);
        let capture = if config.capture.enabled {
            Capture::new(config.capture.limit, config.capture.preview_bytes)
                .memory_budget(config.capture.memory - replay_share)
                .redacting(&config.token)
        } else {
            Capture::disabled()
        };
        let capture = Arc::new(capture);
        let shutdown = Shutdown::new();
        let kernels = Arc::new(KernelCatalog::new(
            config.kernel_target(match &config.kernel.url {
                None => KernelInfo {
                    name: "echo".into(),
                    url: format!("ws://{}{}", reachable(addr), config.base_url.join("/echo")),
                    choice: KernelChoice::Startup,
                    language: None,
                },
                Some(url) => KernelInfo {
                    name: "websocket".into(),
                    url: url.clone(),
                    choice: KernelChoice::Startup,
                    language: None,
                },
            }),
            config.jupyter.clone(),
            config.gateway.clone(),
            config.gateway_defaults(),
        ));
        let starter: Starter = {
            let (kernels, capture, shutdown) =
                (Arc::clone(&kernels), Arc::clone(&capture), shutdown.clone());
            Arc::new(move |id, info, events| {
                kernels.start(id, info, Arc::clone(&capture), events, &shutdown)
            })
        };
        let kept = KeptKernels::new(
            KeptSettings {
                cull_idle_timeout: config.kept.cull_idle_timeout,
                max_kept: config.kept.max_kept,
                replay_budget: replay_share,
            },
            kernels.startup.info.clone(),
            starter,
            shutdown.clone(),
        );
        let index = IndexPage::load(&config.dist, &config.base_url);
        App {
            fanout: Arc::new(Fanout::new(Arc::clone(&capture), shutdown.clone())),
            capture,
            routes: Arc::new(RouteTable::new(&config.routes)),
            intercept: Arc::default(),
            kernels,
            kept,
            policy: Arc::new(Policy {
                loopback: addr.ip().is_loopback(),
                // The hash of the inline script as the page is served.
                csp: content_security_policy(index.html()),
            }),
            index: Arc::new(index),
            config: Arc::new(config),
            instance: format!("{:016x}", rand::random::<u64>()),
            shutdown,
        }
    }
}

impl Gate for App {
    fn token(&self) -> &str {
        &self.config.token
    }

    fn allow_hosts(&self) -> &[String] {
        &self.config.admission.allow_hosts
    }

    fn allow_origins(&self) -> &[String] {
        &self.config.admission.allow_origins
    }

    fn limits(&self) -> &Limits {
        &self.config.admission.limits
    }

    fn policy(&self) -> &Policy {
        &self.policy
    }
}

impl Exporting for App {
    fn capture(&self) -> &Arc<Capture> {
        &self.capture
    }

    fn token(&self) -> &str {
        &self.config.token
    }
}

impl Paging for App {
    fn allow_origins(&self) -> &[String] {
        &self.config.admission.allow_origins
    }

    fn instance(&self) -> &str {
        &self.instance
    }
}

impl Proxying for App {
    fn routes(&self) -> &RouteTable {
        &self.routes
    }

    fn capture(&self) -> &Arc<Capture> {
        &self.capture
    }

    fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    fn token(&self) -> &str {
        &self.config.token
    }

    fn allow_origins(&self) -> &[String] {
        &self.config.admission.allow_origins
    }

    fn tls(&self) -> &TlsSettings {
        &self.config.tls
    }

    fn intercept(&self) -> &Arc<Intercept> {
        &self.intercept
    }
}

impl crate::kernel::kept::api::KeepingKernels for App {
    fn kept(&self) -> &Arc<KeptKernels> {
        &self.kept
    }

    fn token(&self) -> &str {
        &self.config.token
    }

    fn allow_origins(&self) -> &[String] {
        &self.config.admission.allow_origins
    }
}
