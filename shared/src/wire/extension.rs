//! The Sec-WebSocket-Extensions grammar (RFC 6455 §9.1): the extensions a handshake names, as
//! the handshake check, permessage-deflate and the frame decoder read them.

/// One extension in a Sec-WebSocket-Extensions list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub params: Vec<ExtensionParam>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionParam {
    pub name: String,
    /// The value, unquoted; `None` for a bare parameter.
    pub value: Option<String>,
}

/// Splits `text` at `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1).
pub fn parse_extensions(value: &str) -> Vec<Extension> {
    split_unquoted(value, ',')
        .into_iter()
        .filter_map(|item| {
            let mut parts = split_unquoted(item, ';').into_iter();
            let name = parts.next()?.trim();
            if name.is_empty() {
                return None;
            }
            let params = parts
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => ExtensionParam {
                        name: k.trim().to_string(),
                        value: Some(unquote(v.trim())),
                    },
                    None => ExtensionParam {
                        name: p.to_string(),
                        value: None,
                    },
                })
                .collect();
            Some(Extension {
                name: name.to_string(),
                params,
            })
        })
        .collect()
}
