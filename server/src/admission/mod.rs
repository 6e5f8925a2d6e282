//! Who gets in, and on what terms: the accept loop with its connection caps and its deadline
//! for request heads, and the checks every request passes before a route sees it.
//!
//! wirebook runs on a developer's machine while they browse the web, and `/echo`, `/demo/*`
//! and public tap routes take connections without the token. So:
//! - **Connections are counted.** Every accepted connection starts *anonymous* and takes one
//!   of `--max-anonymous-connections` places; a request that shows the token (or comes from one
//!   of wirebook's own dials, e.g. the echo kernel's) makes its connection *trusted*, giving
//!   the place back. Trusted connections count only toward `--max-connections`. A connection
//!   accepted while the anonymous places are taken is *on probation* (a few dozen at most):
//!   its first request must show the token within [`PROBATION`], or it is refused (503) and
//!   closed — so a flood of anonymous sockets cannot keep the user out of their own UI.
//! - **Heads have a deadline** (`--header-timeout`, hyper's `header_read_timeout` with a real
//!   timer, which `axum::serve` does not give hyper): a head sent a byte a second, or an idle
//!   keep-alive connection, is closed.
//! - **Accept errors** (EMFILE when out of file descriptors) are logged and wait a moment
//!   instead of spinning; refusals are logged under `wirebook_server`, at most once per
//!   [`LOG_EVERY`] per kind with a count.
//! - **Requests** ([`admit`]): with a loopback bind, a `Host` that is not a loopback name or
//!   address is refused unless `--allow-host` names it (DNS rebinding, as Jupyter does); a
//!   browser `Origin` that is not wirebook's own or `--allow-origin`'s may not open a WebSocket
//!   without naming the token in its URL or `Authorization` (a missing Origin — wsdump,
//!   websocat, scripts — is fine; the API checks the Origin of its changes itself);
//!   every response carries a Content-Security-Policy, `X-Content-Type-Options: nosniff`,
//!   `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`.
//!
//! [`api_request`] is what the REST handlers check of a request themselves; the token and
//! Origin checks are `crate::auth`'s.

pub mod api_request;

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CONNECTION, CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, UPGRADE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::auth::{self, TokenSource};
use crate::capture::tap::{Tap, TapConnectInfo};

/// How long a connection accepted over the anonymous cap has to show the token.
pub const PROBATION: Duration = Duration::from_secs(5);

/// Connections on probation at once; more are closed at once.
pub const MAX_ON_PROBATION: usize = 64;

/// The most a connection's HTTP reader holds: a request head of up to the capture's 64 KiB
/// with room to spare.
pub const MAX_READ_BUFFER: usize = 96 * 1024;

/// At most one log line per kind of refusal this often (with how many were refused).
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// The caps and deadlines of the accept loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// All connections at once, trusted ones included.
    pub max_connections: usize,
    /// Connections without the token at once (unfinished heads, `/echo`, `/demo/*`, public
    /// taps, keep-alive connections that never showed the token).
    pub max_anonymous: usize,
    /// How long a request head may take to arrive, and a keep-alive connection may idle.
    pub header_timeout: Duration,
}

impl Limits {
    /// The command line's defaults.
    pub const DEFAULT: Limits = Limits {
        max_connections: 4096,
        max_anonymous: 512,
        header_timeout: Duration::from_secs(30),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One connection's standing, shared by its task and its requests.
#[derive(Debug)]
pub struct Pass {
    /// The anonymous (or probation) place the connection holds until it is trusted.
    place: Mutex<Option<OwnedSemaphorePermit>>,
    on_probation: bool,
    trusted: AtomicBool,
    trusted_now: Notify,
    /// Its place among all connections, given back when the connection ends.
    _counted: OwnedSemaphorePermit,
}

impl Pass {
    /// The pass of a request's connection (none for a request that did not come through the
    /// accept loop, such as a test's).
    pub fn of(request: &Request) -> Option<Arc<Pass>> {
        request.extensions().get::<Arc<Pass>>().cloned()
    }

    fn trust(&self) {
        if !self.trusted.swap(true, Ordering::AcqRel) {
            self.place
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take();
            self.trusted_now.notify_waiters();
        }
    }

    fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }
}

/// Local addresses of connections wirebook itself opened, so that when one of them reaches
/// this server (the echo kernel dials `/echo`) it counts as trusted, not anonymous. Entries
/// are taken when the connection's request arrives and forgotten after a minute otherwise.
static OWN_DIALS: LazyLock<Mutex<HashMap<SocketAddr, Instant>>> = LazyLock::new(Mutex::default);

const OWN_DIAL_MEMORY: Duration = Duration::from_secs(60);

/// Notes a connection this process opened from `local`.
pub fn dialled(local: SocketAddr) {
    let mut dials = OWN_DIALS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = Instant::now();
    dials.retain(|_, at| now.duration_since(*at) < OWN_DIAL_MEMORY);
    dials.insert(local, now);
}

fn is_own_dial(peer: SocketAddr) -> bool {
    OWN_DIALS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .remove(&peer)
        .is_some()
}

/// Log lines for refusals, at most one per kind per [`LOG_EVERY`].
#[derive(Debug, Default)]
struct Refusals(Mutex<HashMap<&'static str, (Option<Instant>, u64)>>);

static REFUSALS: LazyLock<Refusals> = LazyLock::new(Refusals::default);

impl Refusals {
    fn warn(&self, kind: &'static str, message: impl FnOnce() -> String) {
        let mut kinds = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let entry = kinds.entry(kind).or_insert((None, 0));
        entry.1 += 1;
        if entry
            .0
            .is_none_or(|logged| now.duration_since(logged) >= LOG_EVERY)
        {
            let count = std::mem::take(&mut entry.1);
            entry.0 = Some(now);
            drop(kinds);
            tracing::warn!(refused = count, "{}", message());
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each until `signal` resolves;
/// then stops accepting, asks every connection to finish, and returns once they have or
/// `grace` has passed, with the moment the signal came (the rest of the shutdown shares the
/// same grace).
pub async fn serve<F>(
    listener: TcpListener,
    capture: bool,
    router: Router,
    limits: Limits,
    grace: Duration,
    signal: F,
) -> Instant
where
    F: Future<Output = ()> + Send,
{
    let all = Arc::new(Semaphore::new(limits.max_connections));
    let anonymous = Arc::new(Semaphore::new(limits.max_anonymous));
    let probation = Arc::new(Semaphore::new(MAX_ON_PROBATION));
    let (closing, closing_rx) = watch::channel(());
    let tasks = TaskTracker::new();
    tokio::pin!(signal);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        let Ok(counted) = Arc::clone(&all).try_acquire_owned() else {
            REFUSALS.warn("all", || {
                format!(
                    "refused connections: {} are open (--max-connections)",
                    limits.max_connections
                )
            });
            continue;
        };
        let (place, on_probation) = match Arc::clone(&anonymous).try_acquire_owned() {
            Ok(place) => (place, false),
            Err(_) => match Arc::clone(&probation).try_acquire_owned() {
                Ok(place) => (place, true),
                Err(_) => {
                    REFUSALS.warn("probation", || {
                        format!(
                            "refused connections: {} without the token are open (--max-anonymous-connections) and {MAX_ON_PROBATION} more wait to show it",
                            limits.max_anonymous
                        )
                    });
                    continue;
                }
            },
        };
        let pass = Arc::new(Pass {
            place: Mutex::new(Some(place)),
            on_probation,
            trusted: AtomicBool::new(false),
            trusted_now: Notify::new(),
            _counted: counted,
        });
        let _ = tcp.set_nodelay(true);
        let io = Tap::accepted(tcp, capture);
        let info = TapConnectInfo {
            peer,
            tap: io.handle(),
        };
        let request_pass = Arc::clone(&pass);
        let service = router
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(info.clone()));
                request.extensions_mut().insert(Arc::clone(&request_pass));
                request
            });
        tasks.spawn(connection(
            io,
            TowerToHyperService::new(service),
            pass,
            limits.header_timeout,
            closing_rx.clone(),
        ));
    }
    let shutting_down = Instant::now();
    drop(listener);
    drop(closing_rx);
    closing.send_replace(());
    tasks.close();
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        tracing::warn!(
            open = tasks.len(),
            "HTTP connections still open after the shutdown grace period"
        );
    }
    shutting_down
}

/// An accept that failed: the peer's own trouble is skipped; anything else (EMFILE: out of
/// file descriptors) is logged and waited out a little, so the loop neither spins nor goes
/// silent.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    REFUSALS.warn("accept", || {
        format!("accepting a connection failed: {error}")
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn connection<S>(
    io: Tap<tokio::net::TcpStream>,
    service: TowerToHyperService<S>,
    pass: Arc<Pass>,
    header_timeout: Duration,
    mut closing: watch::Receiver<()>,
) where
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // A head over what the capture reads (64 KiB) is refused with 431 rather than held:
        // hyper's default (~400 KB) times the anonymous cap is 200 MB of unfinished heads.
        .max_buf_size(MAX_READ_BUFFER);
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    let probation_over = tokio::time::sleep(PROBATION);
    tokio::pin!(probation_over);
    let trusted = pass.trusted_now.notified();
    tokio::pin!(trusted);
    let mut waiting = pass.on_probation;
    let mut finishing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    if error.is_timeout() {
                        REFUSALS.warn("head", || format!(
                            "closed connections whose request head did not arrive within {} s (--header-timeout)",
                            header_timeout.as_secs()
                        ));
                    } else {
                        tracing::debug!(%error, "HTTP connection ended");
                    }
                }
                return;
            }
            _ = closing.changed(), if !finishing => {
                finishing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = &mut trusted, if waiting => waiting = false,
            () = &mut probation_over, if waiting => {
                if !pass.is_trusted() {
                    REFUSALS.warn("probation-deadline", || format!(
                        "closed connections over the anonymous cap that did not show the token within {} s",
                        PROBATION.as_secs()
                    ));
                    return;
                }
                waiting = false;
            }
        }
    }
}

/// Whether the request's connection has shown the token (or is one of wirebook's own dials);
/// a request that did not come through the accept loop (a test's) counts as trusted.
pub fn is_trusted(request: &Request) -> bool {
    Pass::of(request).is_none_or(|pass| pass.is_trusted())
}

/// What [`admit`] checks requests against besides the configuration (`--allow-host`,
/// `--allow-origin`): what is known only once the server runs.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The server listens on a loopback address: only loopback `Host` values (and
    /// `--allow-host`'s) are served.
    pub loopback: bool,
    /// The `Content-Security-Policy` of every response.
    pub csp: HeaderValue,
}

/// What [`admit`] reads of the server's state: the figures it checks requests against and the
/// [`Policy`]. The server's state implements it, so admission stays below what it guards.
pub trait Gate: Clone + Send + Sync + 'static {
    /// The token (`--token`).
    fn token(&self) -> &str;
    /// `--allow-host`.
    fn allow_hosts(&self) -> &[String];
    /// `--allow-origin`.
    fn allow_origins(&self) -> &[String];
    /// The connection caps.
    fn limits(&self) -> &Limits;
    fn policy(&self) -> &Policy;
}

/// Checks a request against the [`Policy`] and the connection's [`Pass`], and adds the
/// security headers to its response.
pub async fn admit<G: Gate>(State(gate): State<G>, request: Request, next: Next) -> Response {
    let policy = gate.policy();
    let mut response = match refusal(&gate, &request) {
        Some(refused) => refused,
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, policy.csp.clone());
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Why a request is refused before any route sees it, as the response.
fn refusal(gate: &impl Gate, request: &Request) -> Option<Response> {
    let policy = gate.policy();
    let headers = request.headers();
    if policy.loopback {
        if let Some(host) = headers.get(HOST) {
            if !host_allowed(host, gate.allow_hosts()) {
                REFUSALS.warn("host", || {
                    format!(
                        "refused requests for a Host that is not this machine: {host:?} (DNS rebinding? --allow-host names it)"
                    )
                });
                return Some(
                    (
                        StatusCode::FORBIDDEN,
                        "wirebook listens on loopback and serves only localhost, 127.0.0.1 and [::1] (or a host named with --allow-host)\n",
                    )
                        .into_response(),
                );
            }
        }
    }
    let pass = Pass::of(request);
    let peer = request
        .extensions()
        .get::<ConnectInfo<TapConnectInfo>>()
        .map(|info| info.0.peer);
    let token = auth::check_token(gate.token(), request.uri().query(), headers);
    if let Some(pass) = pass.filter(|pass| !pass.is_trusted()) {
        if token.is_some() || peer.is_some_and(is_own_dial) {
            pass.trust();
        } else if pass.on_probation {
            REFUSALS.warn("probation-request", || {
                format!(
                    "refused requests without the token: {} connections without it are open (--max-anonymous-connections)",
                    gate.limits().max_anonymous
                )
            });
            let mut refused = (
                StatusCode::SERVICE_UNAVAILABLE,
                "wirebook has too many connections without its token open; try again later\n",
            )
                .into_response();
            refused
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return Some(refused);
        }
    }
    // A WebSocket that a page may open without naming the token (`/echo`, `/demo/*`, public
    // routes; the cookie goes along by itself) is the page's own or an allowed origin's.
    // Routes that need the token check the Origin themselves (`/session`, private routes).
    let named_token = matches!(token, Some(TokenSource::Query | TokenSource::Header));
    if headers.contains_key(UPGRADE)
        && !named_token
        && !auth::origin_allowed(headers, gate.allow_origins())
    {
        REFUSALS.warn("origin", || {
            format!(
                "refused a WebSocket from a foreign page: Origin {:?} (--allow-origin names it)",
                headers.get(ORIGIN)
            )
        });
        return Some(
            (
                StatusCode::FORBIDDEN,
                "this page's origin may not open wirebook's WebSockets (see --allow-origin)\n",
            )
                .into_response(),
        );
    }
    None
}

/// Whether a `Host` header names this machine: `localhost` (or a name under `.localhost`),
/// a loopback address, or one of `allowed`; any port.
pub fn host_allowed(host: &HeaderValue, allowed: &[String]) -> bool {
    let Ok(host) = host.to_str() else {
        return false;
    };
    let host = host.trim();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let name = name.trim_end_matches('.');
    if name.eq_ignore_ascii_case("localhost")
        || name
            .get(name.len().saturating_sub(".localhost".len())..)
            .is_some_and(|end| end.eq_ignore_ascii_case(".localhost"))
    {
        return true;
    }
    if name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return true;
    }
    allowed.iter().any(|allowed| {
        let allowed = allowed.trim();
        allowed.eq_ignore_ascii_case(name) || allowed.eq_ignore_ascii_case(host)
    })
}

/// The Content-Security-Policy of the UI: scripts only from wirebook itself (and trunk's
/// inline loader, by its hash), WebAssembly compiled, no framing, no plugins, nothing sent
/// elsewhere. Styles may be inline (the UI sets style attributes). Images may be remote: a
/// kernel output's remote images are blocked by the UI's sanitizer until the user loads them
/// (as a mail client does), which a policy fixed for the page cannot offer.
pub fn content_security_policy(index_html: Option<&str>) -> HeaderValue {
    let hashes: String = index_html
        .map(inline_scripts)
        .unwrap_or_default()
        .iter()
        .map(|script| format!(" 'sha256-{}'", sha256_base64(script)))
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; frame-ancestors 'none'",
    ))
}

/// The contents of the `<script>` elements without a `src` in an HTML page.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let open = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !open.contains("src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close..];
    }
    scripts
}

fn sha256_base64(text: &str) -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_and_allowed_ones() {
        let ok = |host: &str, allowed: &[&str]| {
            let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
            host_allowed(&HeaderValue::from_str(host).unwrap(), &allowed)
        };
        for host in [
            "127.0.0.1:8977",
            "127.0.0.1",
            "127.1.2.3:1",
            "localhost:8977",
            "LOCALHOST",
            "app.localhost:3",
            "[::1]:8977",
            "[::1]",
            "localhost.",
        ] {
            assert!(ok(host, &[]), "{host}");
        }
        for host in [
            "evil.example:8977",
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "10.0.0.1:8977",
            "[::2]:1",
            "notlocalhost",
        ] {
            assert!(!ok(host, &[]), "{host}");
        }
        assert!(ok("wb.internal:443", &["wb.internal"]));
        assert!(ok("wb.internal:443", &["WB.internal:443"]));
        assert!(!ok("other.internal", &["wb.internal"]));
    }

    #[test]
    fn the_policy_allows_trunks_inline_loader_by_its_hash() {
        let html = r#"<html><head><script type="module">import init from '/a.js';await init();</script><script src="/b.js"></script></head></html>"#;
        assert_eq!(
            inline_scripts(html),
            ["import init from '/a.js';await init();"]
        );
        let csp = content_security_policy(Some(html));
        let csp = csp.to_str().unwrap();
        let hash = sha256_base64("import init from '/a.js';await init();");
        assert!(
            csp.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';"
            )),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-eval'") || csp.contains("'wasm-unsafe-eval'"));
        let bare = content_security_policy(None);
        assert!(bare
            .to_str()
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval';"));
        // A known digest, so the encoding is the one browsers compare.
        assert_eq!(
            sha256_base64(""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
