//! The transparent proxy's routes (`--route NAME=URL`): what they are, how they are written on
//! the command line, and the upstream opening handshake a client's request turns into.
//!
//! Pure: parsing and validation happen at startup so a bad route stops `wirebook` with a clear
//! error instead of failing the first client; [`upstream_request`] is a function of the
//! client's request parts, so what is forwarded (and what is not: wirebook's own token, the
//! hop-by-hop and handshake headers) is tested without sockets.

use axum::http::header::{AUTHORIZATION, CONNECTION, COOKIE};
use axum::http::HeaderMap;

use crate::auth::COOKIE_NAME;
use crate::upstream::url::UpstreamUrl;

/// One route: clients of `/tap/NAME` are relayed to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub name: String,
    pub url: UpstreamUrl,
    /// Open without the token. An open relay lets anyone reach `url` through this machine,
    /// so it has to be asked for by name.
    pub public: bool,
}

/// Parses `NAME=URL` or `NAME=URL,public`; `public` makes it public whatever the suffix says.
pub fn parse_route(spec: &str, public: bool) -> Result<Route, String> {
    let (name, rest) = spec.split_once('=').ok_or_else(|| {
        format!("route {spec:?}: expected NAME=URL (e.g. chat=ws://127.0.0.1:9000/ws)")
    })?;
    let (url, public) = match rest.strip_suffix(",public") {
        Some(url) => (url, true),
        None => (rest, public),
    };
    check_name(name).map_err(|e| format!("route {spec:?}: {e}"))?;
    let url = UpstreamUrl::websocket(url).map_err(|e| format!("route {spec:?}: {e}"))?;
    Ok(Route {
        name: name.to_string(),
        url,
        public,
    })
}

/// Route names go into the path `/tap/NAME` unescaped.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the name may only contain letters, digits, '-', '_' and '.' (found {bad:?})"
        ));
    }
    Ok(())
}

/// Checks that route names are unique.
pub fn check_unique(routes: &[Route]) -> Result<(), String> {
    for (i, route) in routes.iter().enumerate() {
        if routes[..i].iter().any(|r| r.name == route.name) {
            return Err(format!("route {:?} is given twice", route.name));
        }
    }
    Ok(())
}

/// Request headers not forwarded upstream: hop-by-hop ones (RFC 9110 §7.6.1) and the ones the
/// relay writes itself for its own handshake with upstream.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "content-length",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
];

/// The opening handshake the relay sends upstream for a client's request: the route's URL
/// (with the client's query parameters appended, minus `token`), the relay's own key, and the
/// client's headers — subprotocols, extensions, Origin, Authorization, cookies… — except the
/// hop-by-hop ones and wirebook's token (the `Authorization: token T` header, the
/// `wirebook_token` cookie).
pub fn upstream_request(
    url: &UpstreamUrl,
    client_query: Option<&str>,
    headers: &HeaderMap,
    token: &str,
    key: &str,
) -> Vec<u8> {
    let mut target = url.target.clone();
    let extra: Vec<(String, String)> = client_query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k != "token")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    if !extra.is_empty() {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(extra);
        target.push(if target.contains('?') { '&' } else { '?' });
        target.push_str(&query.finish());
    }
    let named_in_connection: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    let mut head = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n",
        url.authority
    )
    .into_bytes();
    for (name, value) in headers {
        let lower = name.as_str();
        if NOT_FORWARDED.contains(&lower) || named_in_connection.iter().any(|n| n == lower) {
            continue;
        }
        let value = if name == AUTHORIZATION && is_wirebook_token(value.as_bytes(), token) {
            continue;
        } else if name == COOKIE {
            match without_token_cookie(value.as_bytes()) {
                Some(rest) => rest,
                None => continue,
            }
        } else {
            value.as_bytes().to_vec()
        };
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

fn is_wirebook_token(value: &[u8], token: &str) -> bool {
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, t)| scheme.eq_ignore_ascii_case("token") && t.trim() == token)
}

/// A `Cookie` value without the `wirebook_token` pair; `None` when nothing is left.
fn without_token_cookie(value: &[u8]) -> Option<Vec<u8>> {
    let Ok(text) = std::str::from_utf8(value) else {
        return Some(value.to_vec());
    };
    let kept: Vec<&str> = text
        .split(';')
        .map(str::trim)
        .filter(|pair| {
            !pair.is_empty()
                && pair
                    .split_once('=')
                    .is_none_or(|(name, _)| name.trim() != COOKIE_NAME)
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; ").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn routes_parse() {
        let route = parse_route("chat=ws://127.0.0.1:9000/ws?room=1", false).unwrap();
        assert_eq!(route.name, "chat");
        assert!(!route.public);
        assert_eq!(route.url.host, "127.0.0.1");
        assert_eq!(route.url.port, 9000);
        assert_eq!(route.url.authority, "127.0.0.1:9000");
        assert_eq!(route.url.target, "/ws?room=1");
        let public = parse_route("p=ws://example.test,public", false).unwrap();
        assert!(public.public);
        assert_eq!(public.url.port, 80);
        assert_eq!(public.url.target, "/");
        assert!(parse_route("q=ws://h/x", true).unwrap().public);
    }

    #[test]
    fn bad_routes_say_why() {
        for (spec, why) in [
            ("chat", "expected NAME=URL"),
            ("=ws://h/", "name is empty"),
            ("a/b=ws://h/", "may only contain"),
            ("a=http://h/", "the scheme must be ws:// or wss://"),
            ("a=wss:///x", "no host"),
            ("a=ws:///x", "no host"),
            ("a=ws://h:0/", "not a port"),
            ("a=ws://h:99999/", "not a port"),
            ("a=ws://u:p@h/", "user info"),
            ("a=ws://h/#f", "fragment"),
            ("a=ws://[::1/", "unclosed"),
        ] {
            let err = parse_route(spec, false).unwrap_err();
            assert!(err.contains(why), "{spec}: {err}");
        }
        let secure = parse_route("a=wss://h/x", false).unwrap().url;
        assert!(secure.tls);
        assert_eq!((secure.host.as_str(), secure.port), ("h", 443));
        assert!(!parse_route("a=ws://h/x", false).unwrap().url.tls);
        let twice = [
            parse_route("a=ws://h/", false).unwrap(),
            parse_route("a=ws://g/", false).unwrap(),
        ];
        assert!(check_unique(&twice).unwrap_err().contains("twice"));
        assert!(check_unique(&twice[..1]).is_ok());
    }

    #[test]
    fn the_upstream_request_forwards_the_clients_headers_but_not_the_token() {
        let url = UpstreamUrl::websocket("ws://up.test:9000/ws?room=1").unwrap();
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", "wirebook:8977"),
            ("connection", "Upgrade, X-Hop"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "client-key"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-protocol", "chat, superchat"),
            ("sec-websocket-extensions", "permessage-deflate"),
            ("x-hop", "dropped"),
            ("origin", "http://o.test"),
            ("cookie", "a=1; wirebook_token=T; b=2"),
            ("authorization", "token T"),
            ("authorization", "Bearer abc"),
        ] {
            headers.append(name, HeaderValue::from_static(value));
        }
        let head = upstream_request(&url, Some("token=T&x=a+b"), &headers, "T", "KEY");
        let head = String::from_utf8(head).unwrap();
        assert_eq!(
            head,
            "GET /ws?room=1&x=a+b HTTP/1.1\r\nHost: up.test:9000\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: KEY\r\nSec-WebSocket-Version: 13\r\n\
             sec-websocket-protocol: chat, superchat\r\n\
             sec-websocket-extensions: permessage-deflate\r\n\
             origin: http://o.test\r\ncookie: a=1; b=2\r\nauthorization: Bearer abc\r\n\r\n"
        );
        let mut only_token = HeaderMap::new();
        only_token.insert("cookie", HeaderValue::from_static("wirebook_token=T"));
        let head = upstream_request(&url, None, &only_token, "T", "K");
        assert!(!String::from_utf8(head).unwrap().contains("cookie"));
        let plain = UpstreamUrl::websocket("ws://h").unwrap();
        let head = upstream_request(&plain, Some("token=T"), &HeaderMap::new(), "T", "K");
        assert!(String::from_utf8(head)
            .unwrap()
            .starts_with("GET / HTTP/1.1\r\nHost: h\r\n"));
    }
}
