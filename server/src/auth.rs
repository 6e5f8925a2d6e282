//! Who may use the UI and the `/session` socket: the token check and the Origin check.
//!
//! Like Jupyter, wirebook prints a URL with a random token; whoever opens it gets a cookie. A
//! request carries the token in the `token` query parameter, the `wirebook_token` cookie, or an
//! `Authorization: token T` header. The Origin check stops other web pages open in the same
//! browser from opening `/session` with the user's cookie (cross-site WebSocket hijacking).
//! The checks are pure functions of the request's parts; [`forbidden`] is the answer to a
//! page request without the token.

use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use wirebook_shared::base_url::BaseUrl;

/// The cookie that carries the token after the first visit.
pub const COOKIE_NAME: &str = "wirebook_token";

/// Where a valid token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Query,
    Cookie,
    Header,
}

/// Finds a valid token in the request, checking the query, then the cookie, then the header.
pub fn check_token(
    expected: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Option<TokenSource> {
    let matches = |candidate: &str| constant_time_eq(candidate.as_bytes(), expected.as_bytes());
    // Compared as written, not percent-decoded: a token is made of characters that need no
    // escaping (see the CLI), and the capture redacts it as written, so an escaped spelling
    // that authenticated would stay in the records.
    if let Some(query) = query {
        if query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .any(|(key, value)| key == "token" && matches(value))
        {
            return Some(TokenSource::Query);
        }
    }
    let cookie_ok = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE_NAME && matches(value.trim_matches('"')));
    if cookie_ok {
        return Some(TokenSource::Cookie);
    }
    let header_ok = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.trim().split_once(' '))
        .any(|(scheme, token)| scheme.eq_ignore_ascii_case("token") && matches(token.trim()));
    header_ok.then_some(TokenSource::Header)
}

/// The `Set-Cookie` value that remembers the token for the UI and `/session`: for the base
/// URL's paths only, so another app behind the same proxy does not receive it.
pub fn token_cookie(token: &str, base: &BaseUrl) -> String {
    format!("{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path={base}")
}

/// Whether a request's `Origin` may open `/session`: no Origin (not a browser), the request's
/// own host over http or https, or one of the `--allow-origin` values.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim().trim_end_matches('/');
    if let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) {
        let host = host.trim();
        let same_host = ["http://", "https://"].iter().any(|scheme| {
            origin
                .get(..scheme.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
                && origin
                    .get(scheme.len()..)
                    .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        });
        if same_host {
            return true;
        }
    }
    allowed.iter().any(|allowed| {
        allowed
            .trim()
            .trim_end_matches('/')
            .eq_ignore_ascii_case(origin)
    })
}

/// Compares without stopping at the first difference, so response timing does not reveal how
/// much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The page for requests without a valid token.
pub const FORBIDDEN_PAGE: &str =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>wirebook: token needed</title></head><body>\n\
<h1>wirebook needs its token</h1>\n\
<p>Open the URL that <code>wirebook</code> printed when it started \
(<code>http://…/?token=…</code>). The token is random per run unless set with \
<code>--token</code> or <code>WIREBOOK_TOKEN</code>.</p>\n</body></html>\n";

/// `403` with [`FORBIDDEN_PAGE`].
pub fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, Html(FORBIDDEN_PAGE)).into_response()
}

/// 128 random bits as 32 lowercase hex digits.
pub fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// Request headers from name/value pairs, repeated names kept (the WebSocket upgrade's
    /// tests build theirs with it too).
    pub(crate) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn token_from_query_cookie_or_header() {
        let none = HeaderMap::new();
        assert_eq!(
            check_token("T1", Some("a=b&token=T1"), &none),
            Some(TokenSource::Query)
        );
        // Only as written: an escaped spelling of the token would escape its redaction.
        assert_eq!(check_token("T1", Some("token=%541"), &none), None);
        assert_eq!(
            check_token("a~b", Some("x=1&token=a~b"), &none),
            Some(TokenSource::Query)
        );
        assert_eq!(check_token("T1", Some("token=T2"), &none), None);
        assert_eq!(check_token("T1", None, &none), None);
        let cookie = headers(&[("cookie", "x=1; wirebook_token=T1; y=2")]);
        assert_eq!(check_token("T1", None, &cookie), Some(TokenSource::Cookie));
        let two_headers = headers(&[("cookie", "x=1"), ("cookie", "wirebook_token=T1")]);
        assert_eq!(
            check_token("T1", None, &two_headers),
            Some(TokenSource::Cookie)
        );
        let wrong_cookie = headers(&[("cookie", "wirebook_token=T2; other=T1")]);
        assert_eq!(check_token("T1", None, &wrong_cookie), None);
        let auth = headers(&[("authorization", "token T1")]);
        assert_eq!(check_token("T1", None, &auth), Some(TokenSource::Header));
        let auth = headers(&[("authorization", "Token T1")]);
        assert_eq!(check_token("T1", None, &auth), Some(TokenSource::Header));
        let bearer = headers(&[("authorization", "Bearer T1")]);
        assert_eq!(check_token("T1", None, &bearer), None);
        // A wrong query token does not hide a right cookie.
        assert_eq!(
            check_token("T1", Some("token=nope"), &cookie),
            Some(TokenSource::Cookie)
        );
    }

    #[test]
    fn tokens_must_match_exactly() {
        let none = HeaderMap::new();
        assert_eq!(check_token("T1", Some("token=T"), &none), None);
        assert_eq!(check_token("T1", Some("token=T11"), &none), None);
        assert_eq!(check_token("T1", Some("token="), &none), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn cookie_value() {
        assert_eq!(
            token_cookie("abc", &BaseUrl::root()),
            "wirebook_token=abc; HttpOnly; SameSite=Strict; Path=/"
        );
        assert_eq!(
            token_cookie("abc", &BaseUrl::parse("/wirebook/").unwrap()),
            "wirebook_token=abc; HttpOnly; SameSite=Strict; Path=/wirebook/"
        );
    }

    #[test]
    fn origins() {
        let allowed = vec!["http://localhost:8080/".to_string()];
        assert!(origin_allowed(&headers(&[("host", "127.0.0.1:8977")]), &[]));
        assert!(origin_allowed(
            &headers(&[
                ("host", "127.0.0.1:8977"),
                ("origin", "http://127.0.0.1:8977")
            ]),
            &[]
        ));
        assert!(origin_allowed(
            &headers(&[("host", "example.com"), ("origin", "HTTPS://Example.com")]),
            &[]
        ));
        assert!(!origin_allowed(
            &headers(&[
                ("host", "127.0.0.1:8977"),
                ("origin", "http://evil.example")
            ]),
            &[]
        ));
        assert!(!origin_allowed(
            &headers(&[
                ("host", "127.0.0.1:8977"),
                ("origin", "http://127.0.0.1:8978")
            ]),
            &[]
        ));
        assert!(!origin_allowed(
            &headers(&[("host", "127.0.0.1:8977"), ("origin", "null")]),
            &[]
        ));
        assert!(origin_allowed(
            &headers(&[
                ("host", "127.0.0.1:8977"),
                ("origin", "http://localhost:8080")
            ]),
            &allowed
        ));
        // Without a Host header only the allow-list can match.
        assert!(!origin_allowed(
            &headers(&[("origin", "http://127.0.0.1:8977")]),
            &[]
        ));
    }
}
