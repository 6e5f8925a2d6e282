//! The URLs of the servers wirebook dials — a kernel (`--kernel`, or a `ws://` URL picked in
//! the browser), a proxy route (`--route`, the routes API), a Jupyter Server (`--gateway-url`)
//! and the `ws://` URLs derived from it — parsed in one place, by the `url` crate, and checked
//! before any name is looked up or any connection made.
//!
//! A bad URL is refused with what is wrong with it: the scheme, the port (never replaced by the
//! scheme's default), a missing host, user info, a fragment. What the `url` crate would change
//! on the way is kept as typed where the server sees it: the request target's path and query
//! (its percent escapes, dot segments and quotes; only what a request line cannot carry is
//! percent-encoded) and whether the `Host` header has a port.

use std::fmt;

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request as ClientRequest;
use tokio_tungstenite::tungstenite::http::Uri;
use url::{Host, ParseError, Url};

use crate::upstream::{Endpoint, TlsSettings};

/// `text` as a log line may show it: without its query, which may carry a token (wirebook's
/// own, when a kernel URL points back at wirebook, or the upstream's). Logs are not redacted
/// the way capture records are (`crate::capture::redaction`), so the query stays out of them.
pub fn for_logs(text: &str) -> String {
    match text.split_once('?') {
        Some((before, _)) => format!("{before}?…"),
        None => text.to_string(),
    }
}

/// A URL taken apart for dialling and for the request sent once connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    /// As given.
    pub text: String,
    /// What is looked up and dialled: a name (lower case, international names in their ASCII
    /// form), an IPv4 address, or an IPv6 address without brackets.
    pub host: String,
    /// The port given, or the scheme's default when none is.
    pub port: u16,
    /// The `Host` header: the host as dialled (IPv6 in brackets), with the port only when one
    /// is given.
    pub authority: String,
    /// The request target: path and query as typed, at least `/`.
    pub target: String,
    /// `wss://` or `https://`: TLS between TCP and the protocol.
    pub tls: bool,
}

/// The schemes a URL may have, by what is spoken to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `ws://` or `wss://`: a kernel or a route.
    WebSocket,
    /// `http://` or `https://`: a Jupyter Server's REST API.
    Http,
}

impl Kind {
    /// The scheme prefixes, plain first, with whether they mean TLS.
    fn prefixes(self) -> [(&'static str, bool); 2] {
        match self {
            Kind::WebSocket => [("ws://", false), ("wss://", true)],
            Kind::Http => [("http://", false), ("https://", true)],
        }
    }
}

/// What is wrong with a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Nothing was given.
    Empty,
    /// The URL does not start with one of the kind's schemes and `//`.
    Scheme(Kind),
    /// Spaces or control characters anywhere (the `url` crate would drop some silently).
    Blank,
    /// A `#fragment`, quoted: it is never sent to a server.
    Fragment(String),
    /// `user:password@`: never sent as typed.
    UserInfo,
    /// A backslash before the query (the `url` crate reads it as `/`).
    Backslash,
    NoHost,
    /// `[` without `]`.
    Unclosed,
    /// The port as typed: not a number in 1-65535.
    Port(String),
    /// The host as typed, and what is wrong with it.
    Host {
        host: String,
        why: &'static str,
    },
    /// Anything else the `url` crate refuses.
    Other(ParseError),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("the URL is empty"),
            Problem::Scheme(Kind::WebSocket) => f.write_str("the scheme must be ws:// or wss://"),
            Problem::Scheme(Kind::Http) => f.write_str("the scheme must be http:// or https://"),
            Problem::Blank => f.write_str("the URL has spaces or control characters"),
            Problem::Fragment(fragment) => write!(
                f,
                "the URL has a fragment ({fragment:?}), which is never sent to a server"
            ),
            Problem::UserInfo => f.write_str(
                "user info in the URL is not sent; pass credentials as a header instead",
            ),
            Problem::Backslash => f.write_str("a backslash in the host or path (write / instead)"),
            Problem::NoHost => f.write_str("no host"),
            Problem::Unclosed => f.write_str("unclosed '[' in the host"),
            Problem::Port(port) if port.is_empty() => f.write_str("the port after ':' is empty"),
            Problem::Port(port) => write!(f, "{port} is not a port (1-65535)"),
            Problem::Host { host, why } => write!(f, "the host {host} {why}"),
            Problem::Other(error) => write!(f, "not a URL: {error}"),
        }
    }
}

/// A refused URL: `text: problem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    pub text: String,
    pub problem: Problem,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            Problem::Empty => write!(f, "{}", self.problem),
            // Quoted, so that what is wrong shows.
            Problem::Blank => write!(f, "{:?}: {}", self.text, self.problem),
            _ => write!(f, "{}: {}", self.text, self.problem),
        }
    }
}

impl std::error::Error for UrlError {}

impl UpstreamUrl {
    /// Parses a `ws://` or `wss://` URL.
    pub fn websocket(text: &str) -> Result<Self, UrlError> {
        Self::parse(text, Kind::WebSocket)
    }

    /// Parses an `http://` or `https://` URL.
    pub fn http(text: &str) -> Result<Self, UrlError> {
        Self::parse(text, Kind::Http)
    }

    /// Parses a URL of `kind`.
    pub fn parse(text: &str, kind: Kind) -> Result<Self, UrlError> {
        let refuse = |problem| UrlError {
            text: text.to_string(),
            problem,
        };
        if text.is_empty() {
            return Err(refuse(Problem::Empty));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(refuse(Problem::Blank));
        }
        let lower = text.to_ascii_lowercase();
        let (prefix, tls) = kind
            .prefixes()
            .into_iter()
            .find(|(prefix, _)| lower.starts_with(prefix))
            .ok_or_else(|| refuse(Problem::Scheme(kind)))?;
        if let Some(at) = text.find('#') {
            return Err(refuse(Problem::Fragment(text[at..].to_string())));
        }
        // The authority ends where the `url` crate ends it for these schemes, so the host
        // dialled and the `Host` header come from the same characters.
        let rest = &text[prefix.len()..];
        let (authority, target) = rest.split_at(rest.find(['/', '\\', '?']).unwrap_or(rest.len()));
        let path = target.split('?').next().unwrap_or("");
        if path.contains('\\') {
            return Err(refuse(Problem::Backslash));
        }
        if authority.contains('@') {
            return Err(refuse(Problem::UserInfo));
        }
        let (host_typed, port_typed) =
            split_authority(authority).ok_or_else(|| refuse(Problem::Unclosed))?;
        if host_typed.is_empty() {
            return Err(refuse(Problem::NoHost));
        }
        let url = Url::parse(text).map_err(|error| {
            refuse(match error {
                ParseError::EmptyHost => Problem::NoHost,
                ParseError::InvalidPort => Problem::Port(port_typed.unwrap_or("").to_string()),
                ParseError::InvalidIpv4Address => Problem::Host {
                    host: host_typed.to_string(),
                    why: "is not an IPv4 address",
                },
                ParseError::InvalidIpv6Address => Problem::Host {
                    host: host_typed.to_string(),
                    why: "is not an IPv6 address",
                },
                ParseError::InvalidDomainCharacter | ParseError::IdnaError => Problem::Host {
                    host: host_typed.to_string(),
                    why: "is not a host name",
                },
                other => Problem::Other(other),
            })
        })?;
        let host = match url.host() {
            Some(Host::Domain(name)) => name.to_string(),
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => address.to_string(),
            None => return Err(refuse(Problem::NoHost)),
        };
        let port = match port_typed {
            // `url` takes `host:` for no port at all.
            Some("") => return Err(refuse(Problem::Port(String::new()))),
            Some(typed) => url
                .port_or_known_default()
                .filter(|port| *port != 0)
                .ok_or_else(|| refuse(Problem::Port(typed.to_string())))?,
            None => url
                .port_or_known_default()
                .ok_or_else(|| refuse(Problem::Scheme(kind)))?,
        };
        let host_str = url.host_str().unwrap_or(&host);
        let authority = match port_typed {
            Some(_) => format!("{host_str}:{port}"),
            None => host_str.to_string(),
        };
        Ok(UpstreamUrl {
            text: text.to_string(),
            host,
            port,
            authority,
            target: request_target(target),
            tls,
        })
    }

    /// Where [`crate::upstream`] connects; TLS with `tls` for `wss://` and `https://`.
    pub fn endpoint<'a>(&'a self, tls: &'a TlsSettings) -> Endpoint<'a> {
        Endpoint {
            host: &self.host,
            port: self.port,
            tls: self.tls.then_some(tls),
        }
    }

    /// The `ws://` (or `wss://`, for a TLS server) URL of `target` (which starts with `/`) on
    /// the same server, with the same `Host`: a Jupyter Server's channels socket.
    pub fn websocket_at(&self, target: &str) -> UpstreamUrl {
        let scheme = if self.tls { "wss" } else { "ws" };
        UpstreamUrl {
            text: format!("{scheme}://{}{target}", self.authority),
            target: target.to_string(),
            ..self.clone()
        }
    }

    /// The WebSocket opening handshake's request for this URL: `GET` the target, `Host` the
    /// authority, and the upgrade headers; callers add their own headers.
    pub fn handshake_request(&self) -> Result<ClientRequest, String> {
        let uri = Uri::builder()
            .scheme(if self.tls { "wss" } else { "ws" })
            .authority(self.authority.as_str())
            .path_and_query(self.target.as_str())
            .build()
            .map_err(|e| format!("{}: {e}", self.text))?;
        uri.into_client_request()
            .map_err(|e| format!("{}: {e}", self.text))
    }
}

/// The host and the port (after `:`, when there is one) as typed; `None` for an unclosed `[`.
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        return Some((host, after.strip_prefix(':')));
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

/// The path and query as typed, at least `/`; what a request line cannot carry (characters
/// beyond ASCII, `"`, `<`, `>` and `` ` ``) percent-encoded as a browser would.
fn request_target(typed: &str) -> String {
    let mut target = String::with_capacity(typed.len() + 1);
    if !typed.starts_with('/') {
        target.push('/');
    }
    for c in typed.chars() {
        if c.is_ascii() && !matches!(c, '"' | '<' | '>' | '`') {
            target.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                target.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    target
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_logged_url_leaves_its_query_out() {
        assert_eq!(
            super::for_logs("ws://127.0.0.1:8888/echo?token=T&x=1"),
            "ws://127.0.0.1:8888/echo?…"
        );
        assert_eq!(super::for_logs("wss://h/p"), "wss://h/p");
    }

    use super::*;

    fn refused(text: &str, kind: Kind) -> String {
        UpstreamUrl::parse(text, kind).unwrap_err().to_string()
    }

    #[test]
    fn websocket_urls_are_taken_apart() {
        let url = UpstreamUrl::websocket("ws://127.0.0.1:9000/ws?room=1").unwrap();
        assert_eq!(
            url,
            UpstreamUrl {
                text: "ws://127.0.0.1:9000/ws?room=1".into(),
                host: "127.0.0.1".into(),
                port: 9000,
                authority: "127.0.0.1:9000".into(),
                target: "/ws?room=1".into(),
                tls: false,
            }
        );
        let plain = UpstreamUrl::websocket("ws://example.test").unwrap();
        assert_eq!((plain.port, plain.authority.as_str()), (80, "example.test"));
        assert_eq!(plain.target, "/");
        let secure = UpstreamUrl::websocket("WSS://h/x").unwrap();
        assert_eq!((secure.port, secure.tls), (443, true));
        // A port given is in the Host header, even the default one.
        let typed = UpstreamUrl::websocket("ws://h:80/").unwrap();
        assert_eq!((typed.port, typed.authority.as_str()), (80, "h:80"));
    }

    #[test]
    fn ipv6_hosts_are_dialled_without_brackets_and_sent_with_them() {
        let url = UpstreamUrl::websocket("ws://[::1]:81?x=1").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 81));
        assert_eq!(url.authority, "[::1]:81");
        assert_eq!(url.target, "/?x=1");
        let default = UpstreamUrl::websocket("wss://[::1]/").unwrap();
        assert_eq!((default.port, default.authority.as_str()), (443, "[::1]"));
    }

    #[test]
    fn the_path_and_query_are_sent_as_typed() {
        let url = UpstreamUrl::websocket("ws://h/a/../b%2f%7e/{x}?q='1'&r=%41").unwrap();
        assert_eq!(url.target, "/a/../b%2f%7e/{x}?q='1'&r=%41");
        let url = UpstreamUrl::websocket("ws://h/é?\"<x>\"").unwrap();
        assert_eq!(url.target, "/%C3%A9?%22%3Cx%3E%22");
        assert!(url.handshake_request().is_ok());
    }

    #[test]
    fn hosts_are_dialled_as_the_url_crate_reads_them() {
        let url = UpstreamUrl::websocket("ws://Bücher.Example:9/").unwrap();
        assert_eq!(url.host, "xn--bcher-kva.example");
        assert_eq!(url.authority, "xn--bcher-kva.example:9");
    }

    #[test]
    fn bad_websocket_urls_say_what_is_wrong() {
        for (text, why) in [
            ("ftp://x", "ftp://x: the scheme must be ws:// or wss://"),
            ("http://h/", "the scheme must be ws:// or wss://"),
            (
                "javascript:alert(1)",
                "javascript:alert(1): the scheme must be ws:// or wss://",
            ),
            ("ws:h/x", "the scheme must be ws:// or wss://"),
            ("127.0.0.1:9000", "the scheme must be ws:// or wss://"),
            ("", "the URL is empty"),
            (
                "ws://127.0.0.1:99999/",
                "ws://127.0.0.1:99999/: 99999 is not a port (1-65535)",
            ),
            ("ws://h:0/", "0 is not a port (1-65535)"),
            ("ws://h:abc/", "abc is not a port (1-65535)"),
            ("ws://h:-1/", "-1 is not a port (1-65535)"),
            ("ws://[::1]:65536/", "65536 is not a port (1-65535)"),
            ("ws://h:/", "the port after ':' is empty"),
            ("ws:///x", "ws:///x: no host"),
            ("wss:///x", "no host"),
            ("ws://", "no host"),
            ("ws://:80/", "no host"),
            ("ws://u:p@h/", "user info"),
            ("ws://h/#f", "fragment (\"#f\")"),
            ("ws://[::1/", "unclosed '['"),
            ("ws://[::g]/", "the host ::g is not an IPv6 address"),
            (
                "ws://1.2.3.999/",
                "the host 1.2.3.999 is not an IPv4 address",
            ),
            ("ws://a%00b/", "is not a host name"),
            ("ws://h\\x/", "backslash"),
            ("ws://h/a\\b", "backslash"),
            ("ws://h/a b", "spaces or control characters"),
            (" ws://h/", "spaces or control characters"),
            (
                "ws://h/\t",
                "\"ws://h/\\t\": the URL has spaces or control characters",
            ),
        ] {
            let error = refused(text, Kind::WebSocket);
            assert!(error.contains(why), "{text}: {error}");
        }
        // A backslash in the query is only a character.
        let query = UpstreamUrl::websocket("ws://h/?path=C:\\x").unwrap();
        assert_eq!(query.target, "/?path=C:\\x");
    }

    #[test]
    fn http_urls_have_their_own_schemes_and_defaults() {
        let url = UpstreamUrl::http("https://h/base/").unwrap();
        assert_eq!(
            (url.port, url.tls, url.target.as_str()),
            (443, true, "/base/")
        );
        let url = UpstreamUrl::http("http://[::1]").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert!(refused("ws://h/", Kind::Http).contains("the scheme must be http:// or https://"));
        assert!(refused("http://h:99999/", Kind::Http).contains("99999 is not a port"));
    }

    #[test]
    fn a_websocket_url_on_an_http_server_keeps_its_host() {
        let gateway = UpstreamUrl::http("https://h.test/jupyter").unwrap();
        let channels = gateway.websocket_at("/jupyter/api/kernels/k/channels?session_id=s");
        assert_eq!(
            channels.text,
            "wss://h.test/jupyter/api/kernels/k/channels?session_id=s"
        );
        assert_eq!((channels.port, channels.tls), (443, true));
        let plain = UpstreamUrl::http("http://127.0.0.1:8888/").unwrap();
        assert_eq!(plain.websocket_at("/x").text, "ws://127.0.0.1:8888/x");
    }

    #[test]
    fn the_handshake_request_says_what_was_typed() {
        let url = UpstreamUrl::websocket("ws://[::1]:81/a%2Fb?x=1").unwrap();
        let request = url.handshake_request().unwrap();
        assert_eq!(request.uri().path_and_query().unwrap(), "/a%2Fb?x=1");
        assert_eq!(request.headers()["host"], "[::1]:81");
        let request = UpstreamUrl::websocket("wss://h")
            .unwrap()
            .handshake_request()
            .unwrap();
        assert_eq!(request.headers()["host"], "h");
        assert_eq!(request.uri().scheme_str(), Some("wss"));
    }

    #[test]
    fn the_endpoint_is_the_host_and_port_dialled() {
        let tls = TlsSettings::default();
        let url = UpstreamUrl::websocket("wss://[::1]/").unwrap();
        let endpoint = url.endpoint(&tls);
        assert_eq!((endpoint.host, endpoint.port), ("::1", 443));
        assert!(endpoint.tls.is_some());
        let plain = UpstreamUrl::websocket("ws://h:9/").unwrap();
        assert!(plain.endpoint(&tls).tls.is_none());
    }
}
