//! The HTTP/1.1 upgrade that opens a WebSocket connection (RFC 6455 §4): parsing the request
//! and response heads incrementally, checking Sec-WebSocket-Accept against the key, and reading
//! what was negotiated (subprotocol, extensions, permessage-deflate parameters).
//!
//! Header order and the case of names and values are preserved as sent; lookups ignore case.

use std::marker::PhantomData;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use super::deflate::DeflateParams;
use super::extension::{parse_extensions, Extension};
use super::finding::Finding;

/// A head longer than this is refused rather than buffered without end.
pub const MAX_HEAD_LEN: usize = 64 * 1024;

/// The GUID RFC 6455 §1.3 appends to the key before hashing.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Headers in the order they were sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// The first value of the header `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Every value of the header `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The comma-separated list elements across every `name` header, trimmed, empty ones
    /// dropped (RFC 9110 §5.3: repeated headers are one list).
    pub fn list<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.all(name)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether the list header `name` contains `token` (any case).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name).any(|t| t.eq_ignore_ascii_case(token))
    }
}

/// An HTTP request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Headers,
}

/// An HTTP response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub version: String,
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
}

/// The result of parsing bytes that may not hold a whole head yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// No `\r\n\r\n` yet: push more bytes.
    Incomplete,
    /// The head, and how many bytes it took (the frames start right after).
    Complete { head: T, consumed: usize },
}

/// A head that is not HTTP/1.1 as RFC 9112 writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    TooLarge,
    RequestLine(String),
    StatusLine(String),
    HeaderLine(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::TooLarge => write!(f, "HTTP head longer than {MAX_HEAD_LEN} bytes"),
            HttpError::RequestLine(line) => write!(f, "not an HTTP request line: {line:?}"),
            HttpError::StatusLine(line) => write!(f, "not an HTTP status line: {line:?}"),
            HttpError::HeaderLine(line) => write!(f, "not an HTTP header line: {line:?}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// Something [`HeadReader`] can read: a request or a response head.
pub trait HttpHead: Sized {
    /// Parses a head whose start line and header lines are given (the blank line removed).
    fn from_lines(start: &str, headers: Headers) -> Result<Self, HttpError>;
}

impl HttpHead for Request {
    fn from_lines(start: &str, headers: Headers) -> Result<Self, HttpError> {
        let bad = || HttpError::RequestLine(start.to_string());
        let mut parts = start.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if method.is_empty() || target.is_empty() || !version.starts_with("HTTP/") {
            return Err(bad());
        }
        Ok(Request {
            method: method.to_string(),
            target: target.to_string(),
            version: version.to_string(),
            headers,
        })
    }
}

impl HttpHead for Response {
    fn from_lines(start: &str, headers: Headers) -> Result<Self, HttpError> {
        let bad = || HttpError::StatusLine(start.to_string());
        let mut parts = start.splitn(3, ' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return Err(bad());
        };
        if !version.starts_with("HTTP/")
            || code.len() != 3
            || !code.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let status = code.parse().map_err(|_| bad())?;
        Ok(Response {
            version: version.to_string(),
            status,
            reason: parts.next().unwrap_or("").to_string(),
            headers,
        })
    }
}

/// Where the blank line ending a head starts, searching from `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| from + p)
}

fn parse_head<T: HttpHead>(head: &[u8]) -> Result<T, HttpError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or("");
    let mut headers: Vec<Header> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // Obsolete line folding (RFC 9112 §5.2): the line continues the previous value.
            let Some(last) = headers.last_mut() else {
                return Err(HttpError::HeaderLine(line.to_string()));
            };
            last.value.push(' ');
            last.value.push_str(line.trim());
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HttpError::HeaderLine(line.to_string()));
        };
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(HttpError::HeaderLine(line.to_string()));
        }
        headers.push(Header {
            name: name.to_string(),
            value: value.trim_matches([' ', '\t']).to_string(),
        });
    }
    T::from_lines(start, Headers(headers))
}

fn parse<T: HttpHead>(buf: &[u8]) -> Result<Parsed<T>, HttpError> {
    match find_head_end(buf, 0) {
        Some(end) if end <= MAX_HEAD_LEN => Ok(Parsed::Complete {
            head: parse_head(&buf[..end])?,
            consumed: end + 4,
        }),
        Some(_) => Err(HttpError::TooLarge),
        None if buf.len() > MAX_HEAD_LEN + 3 => Err(HttpError::TooLarge),
        None => Ok(Parsed::Incomplete),
    }
}

/// Parses a request head from the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Result<Parsed<Request>, HttpError> {
    parse(buf)
}

/// Parses a response head from the start of `buf`.
pub fn parse_response(buf: &[u8]) -> Result<Parsed<Response>, HttpError> {
    parse(buf)
}

/// Reads a head from bytes pushed in any chunking.
#[derive(Debug)]
pub struct HeadReader<T> {
    buf: Vec<u8>,
    done: bool,
    kind: PhantomData<T>,
}

impl<T: HttpHead> Default for HeadReader<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: HttpHead> HeadReader<T> {
    pub fn new() -> Self {
        HeadReader {
            buf: Vec::new(),
            done: false,
            kind: PhantomData,
        }
    }

    /// Feeds bytes. `Complete::consumed` counts bytes of *this* push that belong to the head;
    /// the rest of `bytes` are frames. After a head or an error, further pushes are an error.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Parsed<T>, HttpError> {
        if self.done {
            return Err(HttpError::HeaderLine(
                "bytes pushed after the head ended".into(),
            ));
        }
        let before = self.buf.len();
        let room = (MAX_HEAD_LEN + 4).saturating_sub(before);
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        // Only the new bytes (and the three before them) can complete the blank line.
        let Some(end) = find_head_end(&self.buf, before.saturating_sub(3)) else {
            if self.buf.len() > MAX_HEAD_LEN + 3 {
                self.done = true;
                return Err(HttpError::TooLarge);
            }
            return Ok(Parsed::Incomplete);
        };
        self.done = true;
        if end > MAX_HEAD_LEN {
            return Err(HttpError::TooLarge);
        }
        let head = parse_head(&self.buf[..end])?;
        Ok(Parsed::Complete {
            head,
            consumed: end + 4 - before,
        })
    }
}

/// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (§4.2.2).
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.trim().as_bytes());
    sha.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The smallest valid opening handshake for `key`: a client's request head for `/` and the
/// server's `101` answer, no subprotocol or extension. For synthetic streams (tests, benches)
/// that start where a tap would.
pub fn minimal_upgrade(key: &str) -> (String, String) {
    (
        format!("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"),
        format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n", accept_key(key)),
    )
}

/// Every extension in the `Sec-WebSocket-Extensions` headers of `headers`.
pub fn extensions_in(headers: &Headers) -> Vec<Extension> {
    headers
        .all("Sec-WebSocket-Extensions")
        .flat_map(parse_extensions)
        .collect()
}

/// What an opening handshake negotiated, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Upgrade {
    /// The subprotocol the server chose.
    pub protocol: Option<String>,
    /// The extensions the server accepted, in order.
    pub extensions: Vec<Extension>,
    /// permessage-deflate's parameters, if the server accepted it.
    pub deflate: Option<DeflateParams>,
    pub findings: Vec<Finding>,
}

impl Upgrade {
    /// The server switched protocols and the accept key matched.
    pub fn accepted(&self) -> bool {
        !self.findings.iter().any(|f| {
            matches!(
                f,
                Finding::HandshakeNotSwitching { .. } | Finding::AcceptMismatch { .. }
            )
        })
    }
}

fn header_finding(name: &str, detail: impl Into<String>) -> Finding {
    Finding::HandshakeHeader {
        name: name.to_string(),
        detail: detail.into(),
    }
}

/// Checks an opening handshake and reads what it negotiated.
pub fn check_upgrade(request: &Request, response: &Response) -> Upgrade {
    let mut findings = Vec::new();
    if request.method != "GET" || request.version != "HTTP/1.1" {
        findings.push(Finding::HandshakeRequestLine {
            detail: format!(
                "{} {}: a WebSocket upgrade is a GET over HTTP/1.1",
                request.method, request.version
            ),
        });
    }
    if response.status != 101 {
        findings.push(Finding::HandshakeNotSwitching {
            status: response.status,
        });
    }
    let mut sides = vec![("request", &request.headers)];
    if response.status == 101 {
        sides.push(("response", &response.headers));
    }
    for (side, headers) in sides {
        if !headers.has_token("Upgrade", "websocket") {
            findings.push(header_finding(
                "Upgrade",
                format!("the {side} does not name websocket"),
            ));
        }
        if !headers.has_token("Connection", "upgrade") {
            findings.push(header_finding(
                "Connection",
                format!("the {side} does not contain Upgrade"),
            ));
        }
    }
    match request.headers.get("Sec-WebSocket-Version") {
        Some("13") => {}
        Some(other) => findings.push(header_finding(
            "Sec-WebSocket-Version",
            format!("{other:?}, but RFC 6455 is version 13"),
        )),
        None => findings.push(header_finding("Sec-WebSocket-Version", "missing")),
    }
    match request.headers.get("Sec-WebSocket-Key") {
        None => findings.push(header_finding("Sec-WebSocket-Key", "missing")),
        Some(key) => {
            let decoded = base64::engine::general_purpose::STANDARD.decode(key.trim());
            if decoded.map_or(true, |k| k.len() != 16) {
                findings.push(header_finding(
                    "Sec-WebSocket-Key",
                    format!("{key:?} is not 16 bytes in base64"),
                ));
            }
            if response.status == 101 {
                let expected = accept_key(key);
                match response.headers.get("Sec-WebSocket-Accept") {
                    Some(got) if got.trim() == expected => {}
                    Some(got) => findings.push(Finding::AcceptMismatch {
                        expected,
                        got: got.to_string(),
                    }),
                    None => findings.push(header_finding("Sec-WebSocket-Accept", "missing")),
                }
            }
        }
    }

    let mut protocol = None;
    if response.status == 101 {
        if let Some(chosen) = response.headers.get("Sec-WebSocket-Protocol") {
            let chosen = chosen.trim();
            if !request
                .headers
                .list("Sec-WebSocket-Protocol")
                .any(|p| p == chosen)
            {
                findings.push(Finding::NotOffered {
                    what: "subprotocol".into(),
                    value: chosen.to_string(),
                });
            }
            protocol = Some(chosen.to_string());
        }
    }

    let (mut extensions, mut deflate) = (Vec::new(), None);
    if response.status == 101 {
        let offered = extensions_in(&request.headers);
        extensions = extensions_in(&response.headers);
        for extension in &extensions {
            if !offered
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&extension.name))
            {
                findings.push(Finding::NotOffered {
                    what: "extension".into(),
                    value: extension.name.clone(),
                });
            }
            if extension.name.eq_ignore_ascii_case("permessage-deflate") && deflate.is_none() {
                let (params, problems) = DeflateParams::from_response(extension);
                findings.extend(problems);
                deflate = Some(params);
            }
        }
    }

    Upgrade {
        protocol,
        extensions,
        deflate,
        findings,
    }
}
