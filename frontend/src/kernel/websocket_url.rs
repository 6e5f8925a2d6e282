//! What the browser checks of a WebSocket URL the user types (a kernel's, a route's upstream)
//! before it sends it: enough to say what is wrong while typing. The server parses every URL
//! again with the `url` crate before anything is looked up or dialled
//! (`server/src/upstream_url.rs`) and has the last word; this is the one place the browser
//! looks inside one.

/// The URL as it will be sent (trimmed), or why it is not a WebSocket URL wirebook can use:
/// `ws://` or `wss://`, a host, no spaces, no user info (a handshake never sends it), no
/// fragment. `empty` is what to say when nothing was typed.
pub fn check(text: &str, empty: &str) -> Result<String, String> {
    let url = text.trim();
    if url.is_empty() {
        return Err(empty.to_string());
    }
    let Some(rest) = url
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
    if url.chars().any(char::is_whitespace) {
        return Err("a URL cannot contain spaces".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(
            "user info in the URL is not sent; pass credentials as a header instead".into(),
        );
    }
    if authority.is_empty() || authority.starts_with(':') {
        return Err("the URL has no host after ws:// or wss://".into());
    }
    if url.contains('#') {
        return Err("a WebSocket URL has no fragment".into());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
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
}
