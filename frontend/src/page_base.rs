//! The base URL this page is served under (`--base-url`): the server names it in
//! `<meta name="wirebook-base-url">`, read once here. Every URL of the server's that the page
//! makes (the API, `/session`, the exports, `/notebooks/PATH`, `/tap/NAME`) goes through
//! [`at`]. A page without the tag (trunk's dev server) is at `/`.

use wirebook_shared::base_url::{BaseUrl, META_NAME};

use crate::dom::element;

thread_local! {
    static BASE: BaseUrl = read();
}

fn read() -> BaseUrl {
    element::<web_sys::Element>(&format!("meta[name='{META_NAME}']"))
        .and_then(|meta| meta.get_attribute("content"))
        .and_then(|content| BaseUrl::parse(&content).ok())
        .unwrap_or_default()
}

/// The page's base URL.
pub fn base() -> BaseUrl {
    BASE.with(Clone::clone)
}

/// The server's absolute `path` (`/api/notebooks`) under the page's base URL.
pub fn at(path: &str) -> String {
    BASE.with(|base| base.join(path))
}
