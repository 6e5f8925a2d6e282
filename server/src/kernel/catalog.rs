//! The kernels a session can pick: the startup kernel (`--kernel`, or the built-in echo), any
//! WebSocket URL, the kernelspecs installed here, and those of a Jupyter Server
//! (`--gateway-url`, or a URL given in the kernel picker: [`KernelCatalog::set_gateway`]).
//! [`KernelCatalog::start`] turns a choice into a running [`KernelLink`].

use std::sync::{Arc, RwLock};

use std::time::Duration;
use tokio::sync::mpsc;

use wirebook_shared::{KernelChoice, KernelInfo, KernelOffer, WebSocketSettings};

use crate::capture::ring::Capture;
use crate::kernel::gateway::{GatewayConfig, GatewayDefaults};
use crate::kernel::jupyter::JupyterConfig;
use crate::kernel::websocket::{self, client_request, Keepalive, KernelTarget};
use crate::kernel::{KernelEvent, KernelLink};
use crate::shutdown::Shutdown;
use crate::upstream::TlsSettings;

/// Why a gateway kernel cannot start without a gateway.
const NO_GATEWAY: &str =
    "no gateway: name a Jupyter Server in the kernel picker, or start wirebook with --gateway-url URL";

#[derive(Debug)]
pub struct KernelCatalog {
    pub startup: Arc<KernelTarget>,
    pub jupyter: Arc<JupyterConfig>,
    /// The Jupyter Server whose kernels are offered, for every session. Changed from the
    /// picker; a link holds its own copy, so a change affects only kernels started after it.
    gateway: RwLock<Option<Arc<GatewayConfig>>>,
    /// What a gateway named in the picker gets besides its URL and token.
    gateway_defaults: GatewayDefaults,
}

/// The picker's entries, and what could not be listed (shown to the user, not hidden).
#[derive(Debug, Default)]
pub struct Offers {
    pub kernels: Vec<KernelOffer>,
    pub problems: Vec<String>,
}

impl KernelCatalog {
    pub fn new(
        startup: KernelTarget,
        jupyter: JupyterConfig,
        gateway: Option<GatewayConfig>,
        gateway_defaults: GatewayDefaults,
    ) -> Self {
        KernelCatalog {
            startup: Arc::new(startup),
            jupyter: Arc::new(jupyter),
            gateway: RwLock::new(gateway.map(Arc::new)),
            gateway_defaults,
        }
    }

    /// The gateway now, if any.
    pub fn gateway(&self) -> Option<Arc<GatewayConfig>> {
        // A poisoned lock only means a panic elsewhere while it was held: the value is whole.
        self.gateway
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Offers the kernels of the Jupyter Server at `url` (with `token`) from now on, or none
    /// (`url` `None`). `Err` says why the URL cannot be used; the gateway stays as it was.
    pub fn set_gateway(&self, url: Option<&str>, token: Option<String>) -> Result<(), String> {
        let gateway = match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Some(Arc::new(self.gateway_defaults.gateway(url, token)?)),
            None => None,
        };
        *self
            .gateway
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = gateway;
        Ok(())
    }

    /// Lists the kernels now: kernelspecs may have been installed since the last time.
    pub async fn offers(&self) -> Offers {
        let mut offers = Offers::default();
        offers.kernels.push(KernelOffer {
            choice: KernelChoice::Startup,
            display_name: self.startup.info.name.clone(),
            language: None,
            source: self.startup.info.url.clone(),
        });
        let (specs, problems) = crate::kernel::jupyter::find_kernelspecs(&self.jupyter).await;
        offers.problems.extend(problems);
        for spec in specs {
            offers.kernels.push(KernelOffer {
                choice: KernelChoice::Jupyter {
                    name: spec.name.clone(),
                },
                display_name: spec.display_name.clone(),
                language: Some(spec.language.clone()),
                source: spec.dir.display().to_string(),
            });
        }
        if let Some(gateway) = self.gateway() {
            match crate::kernel::gateway::kernelspecs(&gateway).await {
                Ok(kernels) => offers.kernels.extend(kernels),
                Err(problem) => offers.problems.push(format!(
                    "the gateway {} did not list its kernels: {problem}",
                    gateway.url
                )),
            }
        }
        offers
    }

    /// What the session will say it uses for `choice`, from the offers last listed; `Err` says
    /// why the choice cannot be used.
    pub fn info(
        &self,
        choice: &KernelChoice,
        offers: &[KernelOffer],
    ) -> Result<KernelInfo, String> {
        match choice {
            KernelChoice::Startup => Ok(self.startup.info.clone()),
            KernelChoice::WebSocket { url, settings } => {
                let target = self.websocket_target(url, settings)?;
                client_request(&target)?;
                Ok(target.info)
            }
            KernelChoice::Jupyter { name } | KernelChoice::Gateway { name } => offers
                .iter()
                .find(|offer| &offer.choice == choice)
                .map(|offer| KernelInfo {
                    name: offer.display_name.clone(),
                    url: offer.source.clone(),
                    choice: choice.clone(),
                    language: offer.language.clone(),
                })
                .ok_or_else(|| match choice {
                    KernelChoice::Gateway { .. } if self.gateway().is_none() => {
                        NO_GATEWAY.to_string()
                    }
                    KernelChoice::Gateway { .. } => {
                        format!("the gateway has no kernelspec named {name:?}")
                    }
                    _ => format!("no kernelspec named {name:?} is installed here"),
                }),
        }
    }

    /// Starts the kernel of `info` (from [`KernelCatalog::info`]).
    pub fn start(
        &self,
        id: u64,
        info: &KernelInfo,
        capture: Arc<Capture>,
        events: mpsc::Sender<KernelEvent>,
        shutdown: &Shutdown,
    ) -> KernelLink {
        match &info.choice {
            KernelChoice::Startup => {
                websocket::start(id, Arc::clone(&self.startup), capture, events, shutdown)
            }
            KernelChoice::WebSocket { url, settings } => match self.websocket_target(url, settings)
            {
                Ok(target) => websocket::start(id, Arc::new(target), capture, events, shutdown),
                Err(message) => KernelLink::failed(id, message, events, shutdown),
            },
            KernelChoice::Jupyter { name } => crate::kernel::jupyter::start(
                id,
                name.clone(),
                Arc::clone(&self.jupyter),
                capture,
                events,
                shutdown,
            ),
            KernelChoice::Gateway { name } => match self.gateway() {
                Some(gateway) => crate::kernel::gateway::start(
                    id,
                    name.clone(),
                    gateway,
                    capture,
                    events,
                    shutdown,
                ),
                // `info` refuses this choice; a link that fails at once keeps the contract.
                None => KernelLink::failed(id, NO_GATEWAY.into(), events, shutdown),
            },
        }
    }

    /// A user-given URL with its settings; what they leave open comes from the startup
    /// kernel (timeouts, limits, TLS roots), but none of its headers or subprotocols: those
    /// were meant for the startup URL's server.
    fn websocket_target(
        &self,
        url: &str,
        settings: &WebSocketSettings,
    ) -> Result<KernelTarget, String> {
        let mut target = (*self.startup).clone();
        target.info = KernelInfo {
            name: "websocket".into(),
            url: url.to_string(),
            choice: KernelChoice::WebSocket {
                url: url.to_string(),
                settings: settings.clone(),
            },
            language: None,
        };
        target.headers.clear();
        target.secret_headers.clear();
        for header in &settings.headers {
            let pair = (header.name.clone(), header.value.clone());
            if header.secret {
                target.secret_headers.push(pair);
            } else {
                target.headers.push(pair);
            }
        }
        if let Some(origin) = &settings.origin {
            target.headers.push(("Origin".into(), origin.clone()));
        }
        target.subprotocols = settings.subprotocols.clone();
        let mut tls = (*target.tls).clone();
        if let Some(pem) = &settings.ca_pem {
            tls.extra_roots.extend(TlsSettings::read_ca_pem(pem)?);
        }
        tls.skip_verification |= settings.skip_verification;
        target.tls = Arc::new(tls);
        if let Some(ms) = settings.connect_timeout_ms {
            target.connect_timeout = Duration::from_millis(ms.clamp(1, 600_000));
        }
        if let Some(ms) = settings.ping_interval_ms {
            target.keepalive = Some(Keepalive {
                interval: Duration::from_millis(ms.max(10)),
                pong_timeout: Duration::from_millis(
                    settings.pong_timeout_ms.unwrap_or(10_000).max(10),
                ),
            });
        }
        if let Some(limit) = settings.max_message_size {
            let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
            target.config = target
                .config
                .max_message_size(Some(limit))
                .max_frame_size(Some(limit));
        }
        target.reconnect = settings.reconnect;
        Ok(target)
    }
}
