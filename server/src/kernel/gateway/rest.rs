//! The gateway's REST API over plain HTTP/1.1: one request per TCP connection
//! (`Connection: close`), the token in `Authorization: token T`, every step under a timeout.
//!
//! A dozen requests per kernel's life do not need a pooled client; a hand-written request also
//! keeps the error messages precise (which step failed, the status and the start of the body).

use std::time::Duration;

use serde_json::Value;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::upstream::url::{Problem, UpstreamUrl};
use crate::upstream::TlsSettings;
use wirebook_shared::wire::{parse_response, Parsed};

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
        Ok(Endpoint {
            base: url.target.trim_end_matches('/').to_string(),
            tls: Arc::clone(tls),
            url,
        })
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

async fn exchange(
    endpoint: &Endpoint,
    token: Option<&str>,
    call: Call<'_>,
) -> Result<Answer, String> {
    let mut tcp = crate::upstream::open(endpoint.upstream())
        .await
        .map_err(|what| {
            let hint = if what.contains("refused the connection") {
                " (is the server running?)"
            } else {
                ""
            };
            format!(
                "cannot reach the gateway at {}: {what}{hint}",
                endpoint.address()
            )
        })?;
    let body = call.body.map(Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{} {}{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\nUser-Agent: wirebook\r\n",
        call.method,
        endpoint.base,
        call.path,
        endpoint.url.authority
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: token {token}\r\n"));
    }
    if call.body.is_some() || call.method == "POST" {
        head.push_str("Content-Type: application/json\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let io = |e: std::io::Error| format!("the connection to the gateway failed: {e}");
    tcp.write_all(head.as_bytes()).await.map_err(io)?;
    tcp.write_all(body.as_bytes()).await.map_err(io)?;
    // TLS keeps what was written in its buffer until flushed.
    tcp.flush().await.map_err(io)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = tcp.read(&mut chunk).await.map_err(io)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
        if raw.len() > MAX_BODY {
            return Err(format!(
                "the gateway's answer to {} {} is larger than {MAX_BODY} bytes",
                call.method, call.path
            ));
        }
        // A server may keep the connection open after a complete answer despite `close`.
        if let Some(answer) = complete_answer(&raw)? {
            return Ok(answer);
        }
    }
    complete_answer(&raw)?.map_or_else(
        || match parse_response(&raw) {
            Ok(Parsed::Complete { head, consumed }) => Ok(Answer {
                status: head.status,
                body: raw[consumed..].to_vec(),
            }),
            _ => Err(format!(
                "the gateway closed the connection before answering {} {}",
                call.method, call.path
            )),
        },
        Ok,
    )
}

/// The answer in `raw` when it is complete by its `Content-Length` or chunked encoding.
fn complete_answer(raw: &[u8]) -> Result<Option<Answer>, String> {
    let (head, consumed) = match parse_response(raw) {
        Ok(Parsed::Complete { head, consumed }) => (head, consumed),
        Ok(Parsed::Incomplete) => return Ok(None),
        Err(error) => return Err(format!("the gateway's answer is not HTTP/1.1: {error}")),
    };
    let body = &raw[consumed..];
    if matches!(head.status, 204 | 304) || (100..200).contains(&head.status) {
        return Ok(Some(Answer {
            status: head.status,
            body: Vec::new(),
        }));
    }
    if head
        .headers
        .get("Transfer-Encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
    {
        return Ok(dechunk(body).map(|body| Answer {
            status: head.status,
            body,
        }));
    }
    match head.headers.get("Content-Length").map(str::trim) {
        Some(len) => {
            let len: usize = len
                .parse()
                .map_err(|_| format!("the gateway sent Content-Length {len:?}"))?;
            Ok((body.len() >= len).then(|| Answer {
                status: head.status,
                body: body[..len].to_vec(),
            }))
        }
        // Read to the end of the connection.
        None => Ok(None),
    }
}

/// A whole chunked body, or `None` while it is incomplete.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if body.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
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

    #[test]
    fn answers_by_length_chunks_or_nothing() {
        let by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(complete_answer(by_length).unwrap().unwrap().body, b"{}");
        assert!(complete_answer(&by_length[..by_length.len() - 1])
            .unwrap()
            .is_none());
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1;x\r\n \r\n0\r\n\r\n";
        assert_eq!(complete_answer(chunked).unwrap().unwrap().body, b"{} ");
        assert!(complete_answer(&chunked[..20]).unwrap().is_none());
        let empty = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(complete_answer(empty).unwrap().unwrap().status, 204);
        assert!(complete_answer(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn body_starts_are_short() {
        assert_eq!(body_start(b""), "(empty body)");
        assert_eq!(body_start(&[b'a'; 300]).chars().count(), 201);
    }
}
