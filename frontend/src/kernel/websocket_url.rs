//! What the browser checks of a WebSocket URL the user types (a kernel's, a route's upstream)
//! before it sends it: enough to say what is wrong while typing. The server parses every URL
//! again with the `url` crate before anything is looked up or dialled
//! (`server/src/upstream/url.rs`) and has the last word.
//!
//! The URL is parsed by the browser's own WHATWG parser (`web_sys::Url`, the `URL` of
//! JavaScript), the standard the server's `url` crate follows too; that crate itself would
//! bring its IDNA/Unicode tables into the wasm. Built for the host (where the tests of the
//! forms that use this run) the same standard is the `url` crate's. The few checks made on
//! the text itself are about what was typed, which the parser would otherwise quietly repair.

/// The URL as it will be sent (trimmed), or why it is not a WebSocket URL wirebook can use:
/// `ws://` or `wss://`, a host, no spaces, no user info (a handshake never sends it), no
/// fragment. `empty` is what to say when nothing was typed.
pub fn check(text: &str, empty: &str) -> Result<String, String> {
    let url = text.trim();
    if url.is_empty() {
        return Err(empty.to_string());
    }
    // Exactly as typed: the parser would also take `WS://h` or `ws:h`.
    let Some(after_slashes) = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"))
    else {
        return Err(
            if url.starts_with("http://") || url.starts_with("https://") {
                "a WebSocket URL starts with ws:// or wss://, not http:// or https://".into()
            } else {
                "a WebSocket URL starts with ws:// or wss://".into()
            },
        );
    };
    // The parser drops tabs and newlines and escapes spaces: what it read is not what was typed.
    if url.chars().any(char::is_whitespace) {
        return Err("a URL cannot contain spaces".into());
    }
    let parsed = parse(url);
    if parsed.as_ref().is_some_and(|p| p.has_credentials) {
        return Err(
            "user info in the URL is not sent; pass credentials as a header instead".into(),
        );
    }
    // The host comes right after `//`: the parser would skip more slashes (`ws:///x` is host
    // `x`) and refuses an empty host without saying so.
    if after_slashes.is_empty() || after_slashes.starts_with([':', '/', '\\', '?', '#']) {
        return Err("the URL has no host after ws:// or wss://".into());
    }
    if parsed.is_none() {
        return Err("the URL's host or port is not valid".into());
    }
    // Even an empty one, which the parser's `hash` does not show.
    if url.contains('#') {
        return Err("a WebSocket URL has no fragment".into());
    }
    Ok(url.to_string())
}

/// What the check needs of a URL the parser accepted.
struct Parsed {
    /// A user name or password: `ws://user:pass@host/`.
    has_credentials: bool,
}

/// The URL as the browser's WHATWG parser reads it, or `None` when it refuses it.
#[cfg(target_arch = "wasm32")]
fn parse(url: &str) -> Option<Parsed> {
    let parsed = web_sys::Url::new(url).ok()?;
    Some(Parsed {
        has_credentials: !parsed.username().is_empty() || !parsed.password().is_empty(),
    })
}

/// The URL as the `url` crate (the same WHATWG standard) reads it, for the host's tests.
#[cfg(not(target_arch = "wasm32"))]
fn parse(url: &str) -> Option<Parsed> {
    let parsed = url::Url::parse(url).ok()?;
    Some(Parsed {
        has_credentials: !parsed.username().is_empty()
            || parsed.password().is_some_and(|p| !p.is_empty()),
    })
}

/// The cases, run on the host against the `url` crate and in Chromium against the browser's
/// own parser.
#[cfg(test)]
mod tests {
    use super::check;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn websocket_urls_are_checked_with_a_reason() {
        let hint = "type a URL";
        assert_eq!(
            check("  ws://127.0.0.1:9/x ", hint),
            Ok("ws://127.0.0.1:9/x".into())
        );
        assert_eq!(check("wss://h?x=1", hint), Ok("wss://h?x=1".into()));
        assert_eq!(check("", hint), Err(hint.into()));
        assert!(check("http://h/x", hint)
            .unwrap_err()
            .contains("not http://"));
        assert!(check("h:9/x", hint)
            .unwrap_err()
            .contains("ws:// or wss://"));
        assert!(check("ws:///x", hint).unwrap_err().contains("no host"));
        assert!(check("ws://:9/x", hint).unwrap_err().contains("no host"));
        assert!(check("ws://a b/", hint).unwrap_err().contains("spaces"));
        assert!(check("ws://u:p@h/", hint)
            .unwrap_err()
            .contains("user info"));
        assert!(check("ws://h/#top", hint).unwrap_err().contains("fragment"));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_parser_has_the_last_word_on_host_and_port() {
        let hint = "type a URL";
        for good in [
            "ws://[::1]:8888/api/kernels/k/channels?session_id=s",
            "wss://b\u{fc}cher.example/x",
            "ws://h:65535",
        ] {
            assert_eq!(check(good, hint), Ok(good.to_string()), "{good}");
        }
        for bad in [
            "ws://h:65536/",
            "ws://h:x/",
            "ws://[::1/",
            "ws://a<b/",
            "ws://a%/",
        ] {
            assert_eq!(
                check(bad, hint),
                Err("the URL's host or port is not valid".to_string()),
                "{bad}"
            );
        }
        // A password alone is user info too; empty credentials are nothing to send.
        assert!(check("ws://:p@h/", hint).unwrap_err().contains("user info"));
        assert_eq!(check("ws://@h/", hint), Ok("ws://@h/".into()));
        for hostless in ["ws://", "wss://?x", "ws://#x", "ws://\\h/"] {
            assert!(
                check(hostless, hint).unwrap_err().contains("no host"),
                "{hostless}"
            );
        }
        // The empty fragment too.
        assert!(check("ws://h/#", hint).unwrap_err().contains("fragment"));
        assert!(check("ws://h/\tx", hint).unwrap_err().contains("spaces"));
    }
}
