//! The tap routes dialog's rules: the checks of a new route (the server's own, so a mistake is
//! shown under its field before any request) and the URL another program connects to.
//!
//! The server checks again (`PUT /api/routes/NAME`); its answer is shown as it comes.

use wirebook_shared::base_url::BaseUrl;
use wirebook_shared::route_api::{RouteInfo, RouteRequest};
use wirebook_shared::sorting::sort_by;

/// A route name goes into `/tap/NAME` unescaped: letters, digits, `-`, `_` and `.` only.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("type a name: clients connect to /tap/NAME".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(bad) => Err(format!(
            "the name may only contain letters, digits, '-', '_' and '.' (found {bad:?})"
        )),
        None => Ok(()),
    }
}

/// The upstream URL as it will be sent (see [`crate::kernel::websocket_url::check`]).
pub fn check_url(url: &str) -> Result<String, String> {
    crate::kernel::websocket_url::check(url, "type the upstream's ws:// or wss:// URL")
}

/// What is wrong with the form, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormProblems {
    pub name: Option<String>,
    pub url: Option<String>,
}

/// The route's name and the body of `PUT /api/routes/NAME`, or what to fix first.
pub fn request(
    name: &str,
    url: &str,
    public: bool,
) -> Result<(String, RouteRequest), FormProblems> {
    let name = name.trim();
    let checked_name = check_name(name);
    let checked_url = check_url(url);
    match (checked_name, checked_url) {
        (Ok(()), Ok(url)) => Ok((name.to_string(), RouteRequest { url, public })),
        (name, url) => Err(FormProblems {
            name: name.err(),
            url: url.err(),
        }),
    }
}

/// The URL other programs connect to for `route`, on the wirebook server this page came from
/// (`page_protocol` as `location.protocol`, `"http:"` or `"https:"`; `host` with its port).
/// A protected route needs the token: the page's own when it has it; otherwise the URL ends in
/// `?token=` and [`ClientUrl::token_missing`] says the user must add the one wirebook printed.
pub fn client_url(
    page_protocol: &str,
    host: &str,
    base: &BaseUrl,
    route: &RouteInfo,
    token: Option<&str>,
) -> ClientUrl {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    let base = format!(
        "{scheme}://{host}{}",
        base.join(&format!("/tap/{}", route.name))
    );
    match (route.public, token) {
        (true, _) => ClientUrl {
            url: base,
            token_missing: false,
        },
        (false, Some(token)) => ClientUrl {
            url: format!("{base}?token={token}"),
            token_missing: false,
        },
        (false, None) => ClientUrl {
            url: format!("{base}?token="),
            token_missing: true,
        },
    }
}

/// See [`client_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientUrl {
    pub url: String,
    /// The page was opened without `?token=` (the cookie is not readable from the page), so
    /// the user appends the token wirebook printed at startup.
    pub token_missing: bool,
}

/// The routes in the order the dialog lists them: command-line ones first (they were there
/// at startup), then by name.
pub fn listed(mut routes: Vec<RouteInfo>) -> Vec<RouteInfo> {
    sort_by(&mut routes, |a, b| {
        b.from_command_line
            .cmp(&a.from_command_line)
            .then_with(|| a.name.cmp(&b.name))
    });
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str, public: bool, from_command_line: bool) -> RouteInfo {
        RouteInfo {
            name: name.into(),
            url: "ws://127.0.0.1:9000/ws".into(),
            public,
            from_command_line,
        }
    }

    #[test]
    fn names_are_what_the_server_takes() {
        for good in ["chat", "a-b_c.d", "Feed2", "."] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        assert!(check_name("").unwrap_err().contains("type a name"));
        for (bad, found) in [("a b", "' '"), ("x/y", "'/'"), ("é", "'é'"), ("a?b", "'?'")] {
            let why = check_name(bad).unwrap_err();
            assert!(why.contains(found), "{bad}: {why}");
        }
    }

    #[test]
    fn urls_must_be_websocket_urls_with_a_host() {
        assert_eq!(
            check_url("  ws://127.0.0.1:9000/ws "),
            Ok("ws://127.0.0.1:9000/ws".into())
        );
        assert_eq!(check_url("wss://h?x=1"), Ok("wss://h?x=1".into()));
        assert!(check_url("").unwrap_err().contains("type the upstream"));
        assert!(check_url("http://h/")
            .unwrap_err()
            .contains("ws:// or wss://"));
        assert!(check_url("ws:///x").unwrap_err().contains("no host"));
        assert!(check_url("ws://u:p@h/").unwrap_err().contains("user info"));
        assert!(check_url("ws://h/#top").unwrap_err().contains("fragment"));
    }

    #[test]
    fn a_request_or_every_problem_at_once() {
        assert_eq!(
            request(" chat ", "ws://h/", true),
            Ok((
                "chat".into(),
                RouteRequest {
                    url: "ws://h/".into(),
                    public: true
                }
            ))
        );
        let problems = request("a b", "http://h", false).unwrap_err();
        assert!(problems.name.is_some() && problems.url.is_some());
        let problems = request("ok", "nope", false).unwrap_err();
        assert_eq!(problems.name, None);
        assert!(problems.url.is_some());
    }

    #[test]
    fn client_urls_carry_the_token_unless_public() {
        let root = BaseUrl::root();
        let protected = route("chat", false, false);
        assert_eq!(
            client_url("http:", "127.0.0.1:8977", &root, &protected, Some("T0K")),
            ClientUrl {
                url: "ws://127.0.0.1:8977/tap/chat?token=T0K".into(),
                token_missing: false
            }
        );
        assert_eq!(
            client_url("http:", "127.0.0.1:8977", &root, &protected, None),
            ClientUrl {
                url: "ws://127.0.0.1:8977/tap/chat?token=".into(),
                token_missing: true
            }
        );
        let public = route("feed", true, false);
        assert_eq!(
            client_url("https:", "wb.example:443", &root, &public, Some("T0K")).url,
            "wss://wb.example:443/tap/feed"
        );
        let prefixed = BaseUrl::parse("/wirebook/").unwrap();
        assert_eq!(
            client_url("https:", "wb.example", &prefixed, &public, None).url,
            "wss://wb.example/wirebook/tap/feed"
        );
    }

    #[test]
    fn command_line_routes_first_then_by_name() {
        let names: Vec<String> = listed(vec![
            route("b", false, false),
            route("z", false, true),
            route("a", true, false),
        ])
        .into_iter()
        .map(|r| r.name)
        .collect();
        assert_eq!(names, ["z", "a", "b"]);
    }
}
