//! `index.html` as served: trunk writes absolute asset paths (`href="/style-….css"`, and
//! `'/wirebook-frontend-….js'` in its inline module script), which must point under the base
//! URL; and the page learns that base URL from a `<meta name="wirebook-base-url">` the server
//! adds. The Content-Security-Policy hashes the inline script as rewritten here.
//!
//! The page is read and rewritten once, when the server starts ([`IndexPage::load`]): the CSP
//! is made from it then, and a page read again later could only disagree with it (a rebuilt
//! UI names other hashed files in its inline script). Rebuilding the UI means restarting.

use std::path::Path;

use axum::body::Bytes;
use wirebook_shared::base_url::{BaseUrl, META_NAME};

/// The UI's page as the server loaded it at start.
#[derive(Debug, Clone)]
pub enum IndexPage {
    /// Rewritten for the base URL.
    Built(Bytes),
    /// `dist` has no `index.html`: the UI was not built.
    NotBuilt,
    /// It is there but could not be read (the cause is in the log).
    Unreadable,
}

impl IndexPage {
    /// Reads `dist/index.html` and rewrites it for `base`.
    pub fn load(dist: &Path, base: &BaseUrl) -> IndexPage {
        match std::fs::read_to_string(dist.join("index.html")) {
            Ok(html) => IndexPage::Built(Bytes::from(rewrite(&html, base))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => IndexPage::NotBuilt,
            Err(error) => {
                tracing::error!(%error, dist = %dist.display(), "cannot read index.html");
                IndexPage::Unreadable
            }
        }
    }

    /// The page's text, when there is one.
    pub fn html(&self) -> Option<&str> {
        match self {
            IndexPage::Built(html) => std::str::from_utf8(html).ok(),
            IndexPage::NotBuilt | IndexPage::Unreadable => None,
        }
    }
}

/// `html` with its absolute asset paths under `base` and the base URL's `<meta>` at the start
/// of `<head>`. Rewritten are `href="/…"` and `src="/…"` attributes and string literals that
/// start with `/` inside inline `<script>`s; protocol-relative `//host` URLs are left alone.
pub fn rewrite(html: &str, base: &BaseUrl) -> String {
    let prefixed = if base.is_root() {
        html.to_string()
    } else {
        prefix_paths(html, base)
    };
    let meta = format!(r#"<meta name="{META_NAME}" content="{base}" />"#);
    match head_end(&prefixed) {
        Some(at) => format!("{}\n    {meta}{}", &prefixed[..at], &prefixed[at..]),
        None => format!("{meta}\n{prefixed}"),
    }
}

/// Just after the opening `<head …>` tag.
fn head_end(html: &str) -> Option<usize> {
    let start = html.find("<head")?;
    let close = html[start..].find('>')?;
    Some(start + close + 1)
}

fn prefix_paths(html: &str, base: &BaseUrl) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    // Alternates between markup (attributes rewritten) and inline script bodies (string
    // literals rewritten).
    while let Some(open) = rest.find("<script") {
        let Some(open_end) = rest[open..].find('>').map(|end| open + end + 1) else {
            break;
        };
        let Some(close) = rest[open_end..].find("</script>").map(|at| open_end + at) else {
            break;
        };
        out.push_str(&prefix_markup(&rest[..open_end], base));
        let inline = !rest[open..open_end].contains("src=");
        if inline {
            out.push_str(&prefix_script(&rest[open_end..close], base));
        } else {
            out.push_str(&rest[open_end..close]);
        }
        rest = &rest[close..];
    }
    out.push_str(&prefix_markup(rest, base));
    out
}

/// `href="/x"` and `src="/x"` → under `base`.
fn prefix_markup(markup: &str, base: &BaseUrl) -> String {
    let mut out = markup.to_string();
    for attribute in ["href=\"/", "src=\"/", "href='/", "src='/"] {
        out = prefix_after(&out, attribute, base);
    }
    out
}

/// `'/x'` and `"/x"` string literals → under `base`.
fn prefix_script(script: &str, base: &BaseUrl) -> String {
    prefix_after(&prefix_after(script, "'/", base), "\"/", base)
}

/// Every `marker` (which ends in `/`) not followed by another `/` gets `base` in place of its
/// `/`.
fn prefix_after(text: &str, marker: &str, base: &BaseUrl) -> String {
    let keep = &marker[..marker.len() - 1];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with('/') {
            out.push_str(marker);
        } else {
            out.push_str(keep);
            out.push_str(base.as_str());
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of trunk 0.21's output for wirebook's index.html.
    const TRUNK: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <link rel="icon" href="data:," />
<script type="module">
import init, * as bindings from '/wirebook-frontend-9a1b.js';
const wasm = await init({ module_or_path: '/wirebook-frontend-9a1b_bg.wasm' });
dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm}}));
</script>
    <link rel="stylesheet" href="/style-1fba.css" integrity="sha384-x"/>
  <link rel="modulepreload" href="/snippets/wirebook-frontend-80b3/editor/dist/cell_editor.js" crossorigin="anonymous"><link rel="preload" href="/wirebook-frontend-9a1b_bg.wasm" as="fetch" type="application/wasm"></head>
  <body><a href="//cdn.example/x">x</a><script src="/other.js">'/kept'</script></body>
</html>"#;

    #[test]
    fn assets_go_under_the_base_url() {
        let base = BaseUrl::parse("/wirebook/").unwrap();
        let page = rewrite(TRUNK, &base);
        assert!(
            page.contains("from '/wirebook/wirebook-frontend-9a1b.js';"),
            "{page}"
        );
        assert!(page.contains("module_or_path: '/wirebook/wirebook-frontend-9a1b_bg.wasm'"));
        assert!(page.contains(r#"href="/wirebook/style-1fba.css""#));
        assert!(page.contains(r#"href="/wirebook/snippets/wirebook-frontend-80b3/editor"#));
        assert!(page.contains(r#"href="/wirebook/wirebook-frontend-9a1b_bg.wasm""#));
        assert!(page.contains(r#"<script src="/wirebook/other.js">'/kept'</script>"#));
        // Left alone: data: URLs, protocol-relative URLs, strings that are not paths.
        assert!(page.contains(r#"href="data:,""#));
        assert!(page.contains(r#"href="//cdn.example/x""#));
        assert!(page.contains(r#"new CustomEvent("TrunkApplicationStarted""#));
        assert!(page.contains(
            "<head>\n    <meta name=\"wirebook-base-url\" content=\"/wirebook/\" />\n    <meta charset"
        ));
        assert_eq!(page.matches("/wirebook/").count(), 7, "{page}");
    }

    #[test]
    fn at_the_root_only_the_meta_is_added() {
        let page = rewrite(TRUNK, &BaseUrl::root());
        assert_eq!(
            page.replace(
                "\n    <meta name=\"wirebook-base-url\" content=\"/\" />",
                ""
            ),
            TRUNK
        );
        let bare = rewrite("<p>no head</p>", &BaseUrl::root());
        assert!(bare.starts_with("<meta name=\"wirebook-base-url\" content=\"/\" />"));
    }
}
