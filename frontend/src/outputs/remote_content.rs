//! Remote loads in kernel output and notebook markdown: which image URLs would make the browser
//! fetch from another host, and the tally of those held back.
//!
//! An `<img src="https://tracker.example/pixel.png?u=…">` in a notebook or a kernel's HTML tells
//! that host when and from where the notebook was opened, as a tracking pixel in a mail does.
//! So, as mail clients do, [`crate::outputs::html_sanitizer`] and [`crate::outputs::markdown`] leave remote
//! images out unless told [`Remote::Allowed`], and report what they left out as
//! [`BlockedImages`]; the output's view says so and offers to load them. [`AllowedOutputs`]
//! remembers, for one cell, which blocked sets the user chose to load.
//!
//! Remote means `http:`, `https:` or protocol-relative (`//host/…`), spelt however the
//! browser's URL parser would still read it so (`HTTPS:`, tabs and newlines inside, `\\host`);
//! relative URLs (the wirebook server itself) and `data:` URIs load nothing from elsewhere.

use crate::outputs::url_scheme;

/// The class of the placeholder a blocked image becomes (the sanitizers never keep a `class`
/// from their input, so only they can write it), styled by the page.
pub const BLOCKED_IMAGE_CLASS: &str = "remote-image-blocked";

/// The placeholder's tooltip, for an image from `host`.
pub fn blocked_image_title(host: &str) -> String {
    if host.is_empty() {
        "Remote image, not loaded".to_string()
    } else {
        format!("Remote image from {host}, not loaded")
    }
}

/// Whether output may load images from other hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Remote {
    /// Remote images are left out and counted (the default).
    #[default]
    Blocked,
    /// Remote images load.
    Allowed,
}

/// HTML that can be set as `innerHTML`, and the remote images left out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeHtml {
    pub html: String,
    /// None with [`Remote::Allowed`].
    pub blocked: BlockedImages,
}

/// The remote images a rendering left out, in the order they appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockedImages {
    urls: Vec<String>,
    hosts: Vec<String>,
}

/// How many hosts the visible line names; the tooltip names them all.
const HOSTS_NAMED: usize = 3;

impl BlockedImages {
    /// Notes that the image at `url` (remote, see [`remote_host`]) was left out.
    pub fn record(&mut self, url: &str) {
        if let Some(host) = remote_host(url).filter(|h| !h.is_empty()) {
            if !self.hosts.contains(&host) {
                self.hosts.push(host);
            }
        }
        self.urls.push(url.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    pub fn count(&self) -> usize {
        self.urls.len()
    }

    /// The hosts the images would have come from, each once, in order of appearance.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The visible line: `2 remote images blocked (tracker.example, cdn.example)`, naming at
    /// most three hosts (`… and 2 more`).
    pub fn summary(&self) -> String {
        let n = self.count();
        let noun = if n == 1 { "image" } else { "images" };
        let hosts = self.hosts();
        let mut line = format!("{n} remote {noun} blocked");
        if !hosts.is_empty() {
            let named = hosts[..hosts.len().min(HOSTS_NAMED)].join(", ");
            let more = hosts.len().saturating_sub(HOSTS_NAMED);
            if more > 0 {
                line.push_str(&format!(" ({named} and {more} more)"));
            } else {
                line.push_str(&format!(" ({named})"));
            }
        }
        line
    }

    /// The tooltip: every host, one a line.
    pub fn tooltip(&self) -> String {
        let mut text = String::from(
            "Remote images can tell their host that this notebook was opened. Blocked hosts:",
        );
        for host in self.hosts() {
            text.push_str("\n• ");
            text.push_str(host);
        }
        text
    }
}

/// The blocked sets the user chose to load in one cell, so that the choice survives the cell's
/// outputs being drawn again (a new output arriving, the source being edited). A set is the
/// exact list of URLs: an output that would load anything else is blocked again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOutputs {
    allowed: Vec<Vec<String>>,
}

impl AllowedOutputs {
    pub fn allow(&mut self, blocked: &BlockedImages) {
        if !self.allows(blocked) {
            self.allowed.push(blocked.urls.clone());
        }
    }

    /// Whether a rendering that blocked `blocked` may be drawn again with remote images.
    pub fn allows(&self, blocked: &BlockedImages) -> bool {
        !blocked.is_empty() && self.allowed.contains(&blocked.urls)
    }
}

/// The host (with its port, lower-cased; `""` when it has none) an image URL would be fetched
/// from when that is another host than wirebook's, or `None` when the URL is relative, a
/// `data:` URI or of another scheme (which the sanitizers refuse on their own).
pub fn remote_host(url: &str) -> Option<String> {
    // The URL parser drops tabs and newlines anywhere, and surrounding spaces and control
    // characters; removing every one only ever makes more URLs count as remote. Backslashes
    // are slashes in http(s) URLs, and so in a relative one on wirebook's http(s) page.
    let lower = url_scheme::normalized(url).replace('\\', "/");
    let after_scheme = if lower.starts_with("//") {
        &lower[..]
    } else {
        match url_scheme::scheme(&lower)? {
            scheme @ ("http" | "https") => &lower[scheme.len() + 1..],
            _ => return None,
        }
    };
    let authority = after_scheme.trim_start_matches('/');
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    // `user:password@host`: the host is after the last `@`.
    let host = authority.rsplit('@').next().unwrap_or_default();
    Some(host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_https_and_protocol_relative_urls_are_remote() {
        for (url, host) in [
            ("http://tracker.example/p.png", "tracker.example"),
            ("https://cdn.example:8443/a/b.png?x=1", "cdn.example:8443"),
            ("HTTPS://CDN.Example/x", "cdn.example"),
            ("hTtP://h", "h"),
            ("//host.example/x.png", "host.example"),
            (" \n//host.example/x.png", "host.example"),
            ("ht\ttp://split.example/", "split.example"),
            ("https:\n//split.example/", "split.example"),
            ("\\\\backslash.example\\x.png", "backslash.example"),
            ("/\\backslash.example/x.png", "backslash.example"),
            ("https:\\\\backslash.example", "backslash.example"),
            ("http://user:pw@host.example/", "host.example"),
            ("https:host.example/x", "host.example"),
            ("http://127.0.0.2:9/pixel.png", "127.0.0.2:9"),
            ("https://", ""),
        ] {
            assert_eq!(remote_host(url).as_deref(), Some(host), "{url:?}");
        }
    }

    #[test]
    fn relative_data_and_other_urls_are_not_remote() {
        for url in [
            "pixel.png",
            "/files/pixel.png",
            "./a//b.png",
            "?x=//host",
            "#frag",
            "data:image/png;base64,AAAA",
            "blob:http://host/x",
            "javascript:alert(1)",
            "a/http://host",
            "",
        ] {
            assert_eq!(remote_host(url), None, "{url:?}");
        }
    }

    #[test]
    fn the_tally_names_each_host_once_and_at_most_three_on_the_line() {
        let mut blocked = BlockedImages::default();
        assert!(blocked.is_empty());
        blocked.record("http://tracker.example/1.png");
        assert_eq!(
            blocked.summary(),
            "1 remote image blocked (tracker.example)"
        );
        blocked.record("https://cdn.example/2.png");
        blocked.record("//TRACKER.example/3.png");
        assert_eq!(blocked.count(), 3);
        assert_eq!(blocked.hosts(), ["tracker.example", "cdn.example"]);
        assert_eq!(
            blocked.summary(),
            "3 remote images blocked (tracker.example, cdn.example)"
        );
        blocked.record("http://c.example/");
        blocked.record("http://d.example/");
        blocked.record("http://e.example/");
        assert_eq!(
            blocked.summary(),
            "6 remote images blocked (tracker.example, cdn.example, c.example and 2 more)"
        );
        assert!(blocked.tooltip().ends_with("\n• d.example\n• e.example"));
        let mut hostless = BlockedImages::default();
        hostless.record("https://");
        assert_eq!(hostless.summary(), "1 remote image blocked");
    }

    #[test]
    fn an_allowed_set_stays_allowed_and_a_different_one_is_blocked() {
        let mut one = BlockedImages::default();
        one.record("http://a.example/1.png");
        let mut two = one.clone();
        two.record("http://b.example/2.png");
        let mut allowed = AllowedOutputs::default();
        assert!(!allowed.allows(&one));
        allowed.allow(&one);
        allowed.allow(&one);
        assert!(allowed.allows(&one));
        assert_eq!(allowed.allowed.len(), 1);
        // The same output with one more image asks again.
        assert!(!allowed.allows(&two));
        // Nothing blocked: nothing to allow.
        assert!(!allowed.allows(&BlockedImages::default()));
        assert_eq!(Remote::default(), Remote::Blocked);
    }
}
