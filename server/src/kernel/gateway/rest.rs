//! The gateway's REST API (a Jupyter Server's `/api/kernels`, `/api/kernelspecs`): one JSON
//! request and its whole answer, the token in `Authorization: token T`, all under a timeout.
//!
//! The HTTP/1.1 itself is hyper's client (`hyper_util`'s legacy `Client`), not a parser of
//! our own: framing an answer by `Content-Length`, chunks or the end of the connection, 1xx and
//! 204 answers and a server that keeps the connection open are where hand-written clients go
//! wrong, and hyper is already here serving every other route. What stays ours is the
//! dialling — [`crate::upstream::open`], so the errors name the step that failed (DNS, TCP,
//! TLS), `https://` runs on rustls with ring and the system's roots plus `--tls-ca`, and
//! admission knows the socket as our own dial — and the limits a peer must not get past: the
//! timeout over the whole exchange and the cap on the body read.
//!
//! A dozen requests per kernel's life need no pool: each call dials its own connection and
//! asks the server to close it (`Connection: close`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT,
};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;

use crate::upstream::url::{Problem, UpstreamUrl};
use crate::upstream::{TlsSettings, UpstreamIo};

/// The largest answer read from the gateway (a kernelspec list with logos stays far below).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Where the gateway is: `http(s)://host:port/base`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The gateway URL, parsed and checked.
    pub url: UpstreamUrl,
    /// The base path without a trailing `/` (empty for `/`).
    pub base: String,
    /// How an `https://` gateway's certificate is checked (`--tls-ca`, `--tls-insecure`).
    pub tls: Arc<TlsSettings>,
}

impl Endpoint {
    /// Parses the gateway URL; an `https://` one is checked with `tls`.
    pub fn parse(text: &str, tls: &Arc<TlsSettings>) -> Result<Endpoint, String> {
        let no_query = || format!("{text}: the gateway URL takes no query or fragment");
        let url = UpstreamUrl::http(text).map_err(|error| match error.problem {
            Problem::Scheme(_) => {
                format!("{text}: the gateway URL must start with http:// or https://")
            }
            Problem::UserInfo => {
                format!("{text}: put the token in --gateway-token, not in the URL")
            }
            Problem::Fragment(_) => no_query(),
            _ => error.to_string(),
        })?;
        if url.target.contains('?') {
            return Err(no_query());
        }
        let endpoint = Endpoint {
            base: url.target.trim_end_matches('/').to_string(),
            tls: Arc::clone(tls),
            url,
        };
        endpoint.uri("/")?;
        Ok(endpoint)
    }

    /// The absolute URI of `path` (which starts with `/`) under the base, for hyper's client.
    fn uri(&self, path: &str) -> Result<Uri, String> {
        let scheme = if self.url.tls { "https" } else { "http" };
        let text = format!("{scheme}://{}{}{path}", self.url.authority, self.base);
        text.parse()
            .map_err(|error| format!("{text}: not a request URI ({error})"))
    }

    /// `host:port` as dialled, for messages.
    pub fn address(&self) -> String {
        if self.url.host.contains(':') {
            format!("[{}]:{}", self.url.host, self.url.port)
        } else {
            format!("{}:{}", self.url.host, self.url.port)
        }
    }

    /// The `ws://` (or `wss://`) URL of `path` (which starts with `/`) under the base.
    pub fn ws_url(&self, path: &str) -> UpstreamUrl {
        self.url.websocket_at(&format!("{}{path}", self.base))
    }

    /// Where [`crate::upstream`] connects.
    pub fn upstream(&self) -> crate::upstream::Endpoint<'_> {
        self.url.endpoint(&self.tls)
    }
}

/// A request to the gateway's API.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub method: &'a str,
    /// Under the base, starting with `/`, e.g. `/api/kernels`.
    pub path: &'a str,
    pub body: Option<&'a Value>,
}

/// What the gateway answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON, or an error quoting its start.
    pub fn json(&self, call: &Call<'_>) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|error| {
            format!(
                "the gateway's answer to {} {} is not JSON ({error}): {}",
                call.method,
                call.path,
                body_start(&self.body)
            )
        })
    }
}

/// Sends `call` and reads the whole answer, all within `timeout`. A 401 or 403 becomes the
/// token error; other statuses are returned for the caller to judge.
pub async fn send(
    endpoint: &Endpoint,
    token: Option<&str>,
    call: Call<'_>,
    timeout: Duration,
) -> Result<Answer, String> {
    let answer = tokio::time::timeout(timeout, exchange(endpoint, token, call))
        .await
        .map_err(|_| {
            format!(
                "{} {} got no answer from {} within {timeout:?} (timeout)",
                call.method,
                call.path,
                endpoint.address()
            )
        })??;
    if matches!(answer.status, 401 | 403) {
        return Err(match token {
            Some(_) => format!(
                "the gateway refused the token ({} on {} {})",
                answer.status, call.method, call.path
            ),
            None => format!(
                "the gateway wants a token ({} on {} {}): pass --gateway-token or set WIREBOOK_GATEWAY_TOKEN",
                answer.status, call.method, call.path
            ),
        });
    }
    Ok(answer)
}

/// An error for an answer whose status is not what `call` expects.
pub fn unexpected(call: &Call<'_>, answer: &Answer) -> String {
    format!(
        "{} {} answered {}: {}",
        call.method,
        call.path,
        answer.status,
        body_start(&answer.body)
    )
}

/// One request and its whole answer, the body read up to [`MAX_BODY`].
async fn exchange(
    endpoint: &Endpoint,
    token: Option<&str>,
    call: Call<'_>,
) -> Result<Answer, String> {
    let request = request(endpoint, token, call)?;
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build(Dialer(endpoint.clone()));
    let response = client
        .request(request)
        .await
        .map_err(|error| failure(endpoint, call, &error))?;
    let status = response.status().as_u16();
    let body = response.into_body();
    let too_large = || {
        format!(
            "the gateway's answer to {} {} is larger than {MAX_BODY} bytes",
            call.method, call.path
        )
    };
    // A `Content-Length` over the cap is refused before a byte of the body is read.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(too_large());
    }
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<LengthLimitError>() {
                too_large()
            } else {
                failure(endpoint, call, &*error)
            }
        })?
        .to_bytes()
        .to_vec();
    Ok(Answer { status, body })
}

/// The request for `call`: JSON both ways, the token as `Authorization: token T` (a token a
/// header cannot carry, say with a line break, is refused rather than sent).
fn request(
    endpoint: &Endpoint,
    token: Option<&str>,
    call: Call<'_>,
) -> Result<Request<String>, String> {
    let method = Method::from_bytes(call.method.as_bytes())
        .map_err(|_| format!("{:?} is not an HTTP method", call.method))?;
    let mut request = Request::builder()
        .method(method)
        .uri(endpoint.uri(call.path)?)
        .header(HOST, endpoint.url.authority.as_str())
        .header(CONNECTION, "close")
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, "wirebook");
    if let Some(token) = token {
        let mut value = HeaderValue::from_str(&format!("token {token}"))
            .map_err(|_| "the gateway token has characters a header cannot carry".to_string())?;
        // Kept out of every `Debug` print of the request.
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    let body = call.body.map(Value::to_string).unwrap_or_default();
    if call.body.is_some() || call.method == "POST" {
        request = request
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, body.len());
    }
    request
        .body(body)
        .map_err(|error| format!("cannot make {} {}: {error}", call.method, call.path))
}

/// A failed exchange in words: which step failed, never the token (hyper's errors do not
/// carry headers).
fn failure(
    endpoint: &Endpoint,
    call: Call<'_>,
    error: &(dyn std::error::Error + 'static),
) -> String {
    let (method, path) = (call.method, call.path);
    for cause in std::iter::successors(Some(error), |error| error.source()) {
        if let Some(Unreachable(what)) = cause.downcast_ref::<Unreachable>() {
            let hint = if what.contains("refused the connection") {
                " (is the server running?)"
            } else {
                ""
            };
            let address = endpoint.address();
            return format!("cannot reach the gateway at {address}: {what}{hint}");
        }
        if let Some(error) = cause.downcast_ref::<hyper::Error>() {
            if error.is_incomplete_message() {
                return format!(
                    "the gateway closed the connection before answering {method} {path}"
                );
            }
            if error.is_parse() {
                let why = chain(error);
                return format!("the gateway's answer to {method} {path} is not HTTP/1.1: {why}");
            }
        }
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|error| error.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return format!(
                "the gateway closed the connection before the end of its answer to {method} {path}"
            );
        }
    }
    // The client's own wrapper says only "client error (SendRequest)".
    let shown = match error.downcast_ref::<hyper_util::client::legacy::Error>() {
        Some(client) => std::error::Error::source(client).unwrap_or(error),
        None => error,
    };
    format!("the connection to the gateway failed: {}", chain(shown))
}

/// An error and its causes, `: `-separated (hyper's own text names only the kind).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let causes = std::iter::successors(Some(error), |error| error.source());
    causes
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Why the gateway could not be reached (DNS, TCP or TLS), as [`crate::upstream::open`] says.
#[derive(Debug)]
struct Unreachable(String);

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// hyper's connector: dials the gateway through [`crate::upstream::open`]. The client is made
/// for one endpoint, so the URI hyper passes is the endpoint's own and is not read again.
#[derive(Debug, Clone)]
struct Dialer(Endpoint);

impl tower::Service<Uri> for Dialer {
    type Response = TokioIo<UpstreamIo>;
    type Error = Unreachable;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Unreachable>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Unreachable>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let endpoint = self.0.clone();
        Box::pin(async move {
            crate::upstream::open(endpoint.upstream())
                .await
                .map(TokioIo::new)
                .map_err(Unreachable)
        })
    }
}

impl Connection for UpstreamIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// The start of a body, for error messages.
pub fn body_start(body: &[u8]) -> String {
    let shown = &body[..body.len().min(200)];
    let mut text = String::from_utf8_lossy(shown).trim().to_string();
    if text.is_empty() {
        text = "(empty body)".into();
    }
    if body.len() > shown.len() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    #[test]
    fn endpoints() {
        let tls = Arc::new(TlsSettings::default());
        let e = Endpoint::parse("http://127.0.0.1:8888/jupyter/", &tls).unwrap();
        assert_eq!(e.url.host, "127.0.0.1");
        assert_eq!(e.url.port, 8888);
        assert_eq!(e.base, "/jupyter");
        assert_eq!(
            e.ws_url("/api/kernels/k/channels").text,
            "ws://127.0.0.1:8888/jupyter/api/kernels/k/channels"
        );
        let e = Endpoint::parse("https://h/base", &tls).unwrap();
        assert_eq!((e.url.port, e.upstream().tls.is_some()), (443, true));
        let ws = e.ws_url("/x");
        assert_eq!((ws.text.as_str(), ws.port), ("wss://h/base/x", 443));
        assert_eq!(e.address(), "h:443");
        let e = Endpoint::parse("http://[::1]", &tls).unwrap();
        assert_eq!((e.url.host.as_str(), e.url.port), ("::1", 80));
        assert_eq!(e.base, "");
        assert_eq!(
            (e.address(), e.url.authority.as_str()),
            ("[::1]:80".into(), "[::1]")
        );
        assert!(e.upstream().tls.is_none());
        for (url, why) in [
            ("ws://h/", "must start with http:// or https://"),
            ("http://h:x/", "x is not a port"),
            ("http://h:99999/", "99999 is not a port (1-65535)"),
            ("http://u:p@h/", "--gateway-token"),
            ("http:///", "no host"),
            ("http://h/?token=x", "no query"),
            ("http://h/#f", "no query or fragment"),
        ] {
            let err = Endpoint::parse(url, &tls).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    /// A gateway on a free port that answers one request with `answer` and then closes the
    /// connection, or keeps it open when `hold`; yields the request as it arrived.
    async fn gateway(answer: Vec<u8>, hold: bool) -> (Endpoint, JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/base/", listener.local_addr().unwrap());
        let endpoint = Endpoint::parse(&url, &Arc::default()).unwrap();
        let seen = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            while !whole_request(&request) {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            // The client may be gone already (an answer over the cap).
            let _ = socket.write_all(&answer).await;
            if hold {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(socket);
                });
            }
            String::from_utf8_lossy(&request).to_lowercase()
        });
        (endpoint, seen)
    }

    /// Whether `raw` holds a request's head and the body its `Content-Length` announces.
    fn whole_request(raw: &[u8]) -> bool {
        let text = String::from_utf8_lossy(raw).to_lowercase();
        let Some(end) = text.find("\r\n\r\n") else {
            return false;
        };
        let length = text[..end]
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |n| n.trim().parse::<usize>().unwrap());
        raw.len() >= end + 4 + length
    }

    const GET: Call<'static> = Call {
        method: "GET",
        path: "/api/kernels",
        body: None,
    };

    async fn answer_to(answer: &[u8], hold: bool) -> Result<Answer, String> {
        let (endpoint, _) = gateway(answer.to_vec(), hold).await;
        send(&endpoint, None, GET, Duration::from_secs(5)).await
    }

    #[tokio::test]
    async fn the_request_carries_the_token_and_the_json_body() {
        let answer = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}".to_vec();
        let (endpoint, seen) = gateway(answer, true).await;
        let body = serde_json::json!({ "name": "python3" });
        let call = Call {
            method: "POST",
            path: "/api/kernels",
            body: Some(&body),
        };
        let answer = send(&endpoint, Some("secret"), call, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!((answer.status, answer.body.as_slice()), (201, &b"{}"[..]));
        let request = seen.await.unwrap();
        assert!(
            request.starts_with("post /base/api/kernels http/1.1\r\n"),
            "{request}"
        );
        for header in [
            format!("host: {}\r\n", endpoint.url.authority),
            "authorization: token secret\r\n".into(),
            "content-type: application/json\r\n".into(),
            "content-length: 18\r\n".into(),
            "connection: close\r\n".into(),
            "accept: application/json\r\n".into(),
        ] {
            assert!(request.contains(&header), "{header:?} in {request}");
        }
        assert!(
            request.ends_with("\r\n\r\n{\"name\":\"python3\"}"),
            "{request}"
        );
        // A POST without a body still says how long it is.
        let (endpoint, seen) = gateway(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(), false).await;
        let interrupt = Call {
            method: "POST",
            path: "/api/kernels/k/interrupt",
            body: None,
        };
        let answer = send(&endpoint, None, interrupt, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!((answer.status, answer.body.len()), (204, 0));
        let request = seen.await.unwrap();
        assert!(request.contains("content-length: 0\r\n"), "{request}");
        assert!(!request.contains("authorization"), "{request}");
    }

    #[tokio::test]
    async fn answers_by_length_chunks_or_the_end_of_the_connection() {
        // The server keeps the connection open after a complete answer.
        let by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(answer_to(by_length, true).await.unwrap().body, b"{}");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1;x\r\n \r\n0\r\n\r\n";
        assert_eq!(answer_to(chunked, true).await.unwrap().body, b"{} ");
        let to_close = b"HTTP/1.1 200 OK\r\n\r\n[1, 2]";
        assert_eq!(answer_to(to_close, false).await.unwrap().body, b"[1, 2]");
        let empty = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(answer_to(empty, true).await.unwrap().status, 204);
    }

    #[tokio::test]
    async fn broken_or_missing_answers_are_clear_errors() {
        let error = answer_to(b"garbage\r\n\r\n", false).await.unwrap_err();
        assert!(error.contains("is not HTTP/1.1"), "{error}");
        let error = answer_to(b"", false).await.unwrap_err();
        assert!(
            error.contains("closed the connection before answering GET /api/kernels"),
            "{error}"
        );
        let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}";
        let error = answer_to(cut, false).await.unwrap_err();
        assert!(
            error.contains("closed the connection before the end of its answer to GET"),
            "{error}"
        );
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let nobody = Endpoint::parse(&format!("http://127.0.0.1:{port}"), &Arc::default()).unwrap();
        let error = send(&nobody, None, GET, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            error.starts_with(&format!("cannot reach the gateway at 127.0.0.1:{port}: "))
                && error.ends_with("refused the connection (is the server running?)"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_silent_gateway_times_out_and_a_big_answer_is_cut() {
        let (endpoint, _) = gateway(Vec::new(), true).await;
        let error = send(&endpoint, Some("secret"), GET, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(error.ends_with("within 200ms (timeout)"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        let announced = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        let error = answer_to(announced.as_bytes(), true).await.unwrap_err();
        assert!(error.contains("is larger than"), "{error}");
        let mut streamed = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            MAX_BODY + 1
        )
        .into_bytes();
        streamed.resize(streamed.len() + MAX_BODY + 1, b'a');
        let error = answer_to(&streamed, true).await.unwrap_err();
        assert!(
            error.contains(&format!("GET /api/kernels is larger than {MAX_BODY} bytes")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_refused_token_is_never_quoted() {
        let refused = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_vec();
        let (endpoint, _) = gateway(refused.clone(), false).await;
        let error = send(&endpoint, Some("secret"), GET, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            error.contains("the gateway refused the token (403 on GET /api/kernels)"),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
        let (endpoint, _) = gateway(refused, false).await;
        let error = send(&endpoint, None, GET, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(error.contains("--gateway-token"), "{error}");
    }

    #[test]
    fn body_starts_are_short() {
        assert_eq!(body_start(b""), "(empty body)");
        assert_eq!(body_start(&[b'a'; 300]).chars().count(), 201);
    }
}
