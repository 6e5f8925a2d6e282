//! The path prefix wirebook is served under (`--base-url`, with Jupyter's `base_url`
//! meaning): the server receives and answers every route under it, and the page puts every
//! URL it makes under it. Checked once here, so both sides agree on what a prefix may be.
//!
//! A base URL starts and ends with `/` (`/` alone is the default: no prefix), has no empty,
//! `.` or `..` segments, and is made of URL path characters that need no escaping in an HTML
//! attribute or a JavaScript string (letters, digits, `-._~@:+,=` and `%XX` escapes): the
//! server writes it into the page as it is.

use std::fmt;

/// The name of the `<meta>` in which the server tells the page its base URL.
pub const META_NAME: &str = "wirebook-base-url";

/// A checked path prefix, `/` or `/a/b/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(String);

/// Why a base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrlError {
    pub given: String,
    pub reason: String,
}

impl fmt::Display for BaseUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the base URL {:?} {} (it is a path such as /wirebook/)",
            self.given, self.reason
        )
    }
}

impl std::error::Error for BaseUrlError {}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl::root()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl BaseUrl {
    /// `/`: no prefix.
    pub fn root() -> Self {
        BaseUrl("/".to_string())
    }

    /// Checks a prefix such as `/wirebook/`.
    pub fn parse(text: &str) -> Result<Self, BaseUrlError> {
        let refuse = |reason: &str| BaseUrlError {
            given: text.to_string(),
            reason: reason.to_string(),
        };
        if !text.starts_with('/') {
            return Err(refuse("must start with '/'"));
        }
        if !text.ends_with('/') {
            return Err(refuse("must end with '/'"));
        }
        if text == "/" {
            return Ok(BaseUrl::root());
        }
        let inner = &text[1..text.len() - 1];
        for segment in inner.split('/') {
            match segment {
                "" => return Err(refuse("has an empty segment ('//')")),
                "." | ".." => return Err(refuse("has a '.' or '..' segment")),
                _ => {}
            }
        }
        let bytes = inner.as_bytes();
        for (at, &byte) in bytes.iter().enumerate() {
            let allowed = byte.is_ascii_alphanumeric() || b"-._~@:+,=/".contains(&byte);
            if allowed {
                continue;
            }
            if byte == b'%'
                && bytes
                    .get(at + 1..at + 3)
                    .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            {
                continue;
            }
            let shown = inner[at..].chars().next().unwrap_or('?');
            return Err(refuse(&format!(
                "has {shown:?}, which is not allowed (letters, digits, -._~@:+,= and %XX escapes)"
            )));
        }
        Ok(BaseUrl(text.to_string()))
    }

    /// The prefix as written: starts and ends with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `/` (no prefix).
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// An absolute path of the server's (`/api/notebooks`, `/session?x`) under the prefix.
    /// A path without its leading `/` is taken as if it had one.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path.strip_prefix('/').unwrap_or(path))
    }

    /// The server's own path for a request's path under the prefix (`/wirebook/api` →
    /// `/api`, `/wirebook/` → `/`), or `None` when the path is not under it.
    pub fn strip<'a>(&self, path: &'a str) -> Option<&'a str> {
        // Keep the prefix's last '/' as the start of the server's path.
        path.strip_prefix(&self.0[..self.0.len() - 1])
            .filter(|rest| rest.starts_with('/'))
    }

    /// The prefix without its last `/` (`/wirebook`): a request for it is sent on to the
    /// prefix itself, as Jupyter does. `None` for `/`.
    pub fn without_trailing_slash(&self) -> Option<&str> {
        (!self.is_root()).then(|| &self.0[..self.0.len() - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_that_parse() {
        for ok in [
            "/",
            "/wirebook/",
            "/user/al%40ice/proxy/8977/",
            "/a.b-c_d~e:f@g+h,i=j/",
        ] {
            assert_eq!(BaseUrl::parse(ok).unwrap().as_str(), ok);
        }
        assert!(BaseUrl::parse("/").unwrap().is_root());
        assert!(!BaseUrl::parse("/x/").unwrap().is_root());
    }

    #[test]
    fn prefixes_refused_with_a_reason() {
        let reason = |text: &str| BaseUrl::parse(text).unwrap_err().to_string();
        assert!(reason("wirebook/").contains("must start with '/'"));
        assert!(reason("/wirebook").contains("must end with '/'"));
        assert!(reason("").contains("must start with '/'"));
        assert!(reason("//").contains("empty segment"));
        assert!(reason("/a//b/").contains("empty segment"));
        assert!(reason("/a/../").contains("'..'"));
        assert!(reason("/./").contains("'.'"));
        assert!(reason("/a b/").contains("' '"));
        assert!(reason("/a'b/").contains("'\\''"));
        assert!(reason("/a\"b/").contains("not allowed"));
        assert!(reason("/a<b/").contains("not allowed"));
        assert!(reason("/a%4/").contains("'%'"));
        assert!(reason("/a?b/").contains("not allowed"));
        assert!(reason("/ä/").contains("'ä'"));
        assert!(reason("/wirebook").contains("\"/wirebook\""));
    }

    #[test]
    fn paths_under_the_prefix() {
        let base = BaseUrl::parse("/wirebook/").unwrap();
        assert_eq!(base.join("/api/notebooks"), "/wirebook/api/notebooks");
        assert_eq!(base.join("session?token=T"), "/wirebook/session?token=T");
        assert_eq!(base.join("/"), "/wirebook/");
        assert_eq!(base.strip("/wirebook/api/x"), Some("/api/x"));
        assert_eq!(base.strip("/wirebook/"), Some("/"));
        assert_eq!(base.strip("/wirebook"), None);
        assert_eq!(base.strip("/wirebookish/x"), None);
        assert_eq!(base.strip("/api/x"), None);
        assert_eq!(base.without_trailing_slash(), Some("/wirebook"));
        let root = BaseUrl::root();
        assert_eq!(root.join("/api/notebooks"), "/api/notebooks");
        assert_eq!(root.strip("/api/x"), Some("/api/x"));
        assert_eq!(root.strip("/"), Some("/"));
        assert_eq!(root.strip(""), None);
        assert_eq!(root.without_trailing_slash(), None);
    }
}
