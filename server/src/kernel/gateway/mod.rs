//! Remote Jupyter kernels through a Jupyter Server, Kernel Gateway or Enterprise Gateway: REST
//! for kernelspecs and the kernel's lifecycle, its `/channels` WebSocket for messages.
//!
//! - [`rest`]: plain HTTP/1.1 requests with the token (`GET /api/kernelspecs`,
//!   `POST /api/kernels`, `POST .../interrupt`, `DELETE /api/kernels/{id}`).
//! - [`socket`]: the channels WebSocket through the byte tap, v1 binary frames or JSON, each
//!   message also recorded as a kernel message.
//! - [`link`]: the task behind a gateway kernel's [`KernelLink`]: start, connect, relay,
//!   reconnect with [`RECONNECT`](crate::kernel::RECONNECT)'s delays, delete the kernel at the end.
//!
//! The messages are built and read by `crate::kernel::jupyter::client::JupyterClient`, and an
//! open link relays through `crate::kernel::jupyter::dispatch`, as for local kernels.

pub mod link;
pub mod rest;
pub mod socket;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use wirebook_shared::{KernelChoice, KernelOffer};

use crate::capture::ring::Capture;
use crate::kernel::{KernelEvent, KernelLink};
use crate::shutdown::Shutdown;
use crate::upstream::TlsSettings;

use rest::{Call, Endpoint};

/// `--gateway-url` and `--gateway-token`.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// e.g. `http://127.0.0.1:8888`.
    pub url: String,
    pub token: Option<String>,
    /// How long each REST call (except starting a kernel) and opening the WebSocket may take.
    pub connect_timeout: Duration,
    /// The channels WebSocket's limits (`--max-message-size`), as for every other socket.
    pub websocket: WebSocketConfig,
    /// How an `https://` gateway's certificate is checked (`--tls-ca`, `--tls-insecure`).
    pub tls: Arc<TlsSettings>,
}

/// What every gateway gets from the server's configuration, whoever names its URL (the
/// command line or the kernel picker): timeouts, WebSocket limits, TLS.
#[derive(Debug, Clone)]
pub struct GatewayDefaults {
    pub connect_timeout: Duration,
    pub websocket: WebSocketConfig,
    pub tls: Arc<TlsSettings>,
}

impl GatewayDefaults {
    /// The gateway at `url` (checked: http or https, a host) with `token` (an empty one is
    /// none).
    pub fn gateway(&self, url: &str, token: Option<String>) -> Result<GatewayConfig, String> {
        let url = url.trim();
        Endpoint::parse(url, &self.tls)?;
        Ok(GatewayConfig {
            url: url.to_string(),
            token: token.filter(|t| !t.is_empty()),
            connect_timeout: self.connect_timeout,
            websocket: self.websocket,
            tls: Arc::clone(&self.tls),
        })
    }
}

impl GatewayConfig {
    /// The gateway's URL taken apart, with its TLS settings.
    pub fn endpoint(&self) -> Result<Endpoint, String> {
        Endpoint::parse(&self.url, &self.tls)
    }
}

/// The gateway's kernelspecs (`GET /api/kernelspecs`) as picker entries, sorted by name.
pub async fn kernelspecs(config: &GatewayConfig) -> Result<Vec<KernelOffer>, String> {
    let endpoint = config.endpoint()?;
    let call = Call {
        method: "GET",
        path: "/api/kernelspecs",
        body: None,
    };
    let answer = rest::send(
        &endpoint,
        config.token.as_deref(),
        call,
        config.connect_timeout,
    )
    .await?;
    if answer.status != 200 {
        return Err(rest::unexpected(&call, &answer));
    }
    offers(&answer.json(&call)?, &config.url)
}

/// Picker entries from the body of `GET /api/kernelspecs`.
pub fn offers(body: &Value, source: &str) -> Result<Vec<KernelOffer>, String> {
    let specs = body
        .get("kernelspecs")
        .and_then(Value::as_object)
        .ok_or("the gateway's kernelspec list has no \"kernelspecs\" object")?;
    let mut offers: Vec<KernelOffer> = specs
        .iter()
        .map(|(key, entry)| {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_string();
            let spec = entry.get("spec");
            let field = |key: &str| spec.and_then(|s| s.get(key)).and_then(Value::as_str);
            KernelOffer {
                display_name: field("display_name").unwrap_or(&name).to_string(),
                language: field("language").map(str::to_string),
                choice: KernelChoice::Gateway { name },
                source: source.to_string(),
            }
        })
        .collect();
    offers.sort_by(|a, b| spec_name(a).cmp(spec_name(b)));
    Ok(offers)
}

/// The kernelspec name of a gateway offer, for sorting.
fn spec_name(offer: &KernelOffer) -> &str {
    match &offer.choice {
        KernelChoice::Gateway { name } | KernelChoice::Jupyter { name } => name,
        KernelChoice::WebSocket { url, .. } => url,
        KernelChoice::Startup => "",
    }
}

/// Starts the gateway kernelspec `name` and reports on `events` as a [`KernelLink`] does.
///
/// Restart is the session's: it drops this link (the kernel is deleted) and starts a new one,
/// the same path as for every other kind of kernel, so `POST /api/kernels/{id}/restart` is not
/// used.
pub fn start(
    id: u64,
    name: String,
    config: Arc<GatewayConfig>,
    capture: Arc<Capture>,
    events: mpsc::Sender<KernelEvent>,
    shutdown: &Shutdown,
) -> KernelLink {
    let (kernel_link, queue) = KernelLink::new(id);
    let task = link::run(
        link::Start {
            link: id,
            name,
            config,
            capture,
            shutdown: shutdown.child(),
        },
        events,
        queue,
    );
    shutdown.spawn(task);
    kernel_link
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kernelspecs_become_offers() {
        let body = json!({
            "default": "python3",
            "kernelspecs": {
                "python3": {"name": "python3", "spec": {"display_name": "Python 3 (ipykernel)", "language": "python"}},
                "bare": {"spec": {}}
            }
        });
        let offers = offers(&body, "http://g:1").unwrap();
        assert_eq!(offers.len(), 2);
        assert_eq!(
            offers[0].choice,
            KernelChoice::Gateway {
                name: "bare".into()
            }
        );
        assert_eq!(offers[0].display_name, "bare");
        assert_eq!(offers[0].language, None);
        assert_eq!(offers[1].display_name, "Python 3 (ipykernel)");
        assert_eq!(offers[1].language.as_deref(), Some("python"));
        assert_eq!(offers[1].source, "http://g:1");
        assert!(super::offers(&json!([]), "x")
            .unwrap_err()
            .contains("kernelspecs"));
    }
}
