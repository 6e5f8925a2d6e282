//! How long a browser may keep a UI file: trunk's content-hashed files forever, everything
//! else only after asking again.
//!
//! With `filehash = true`, trunk names what it builds `{stem}-{hash}.{ext}` (and the wasm
//! `{stem}-{hash}_bg.wasm`), `hash` being the content's 64-bit seahash in lowercase hex without
//! leading zeros. Only files at the top of `dist` are named so: wasm-bindgen's snippets live in
//! `snippets/{crate}-{hash}/…`, whose hash names the crate, not the content, so they are
//! revalidated like `index.html`. `scripts/split_wasm.py` names the wasm chunks it cuts out and
//! their loader the same way, with a hash of their own content.

use axum::http::HeaderValue;

/// For a content-hashed file: its name changes when it does.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For anything else: use it only after the server says it is current.
pub const REVALIDATE: &str = "no-cache";

/// The `Cache-Control` of the UI file at `path` (the request's path, `/` first).
pub fn cache_control(path: &str) -> HeaderValue {
    HeaderValue::from_static(if is_hashed(path) {
        IMMUTABLE
    } else {
        REVALIDATE
    })
}

/// Whether `path` names a file at the top of `dist` with trunk's content hash in its name.
pub fn is_hashed(path: &str) -> bool {
    let Some(name) = path.strip_prefix('/') else {
        return false;
    };
    if name.contains('/') {
        return false;
    }
    let Some((stem, _ext)) = name.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((name, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    !name.is_empty()
        && (1..=16).contains(&hash.len())
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_hashed_names() {
        for hashed in [
            "/wirebook-frontend-9a1bbd2de697f3c2.js",
            "/wirebook-frontend-9a1bbd2de697f3c2_bg.wasm",
            "/style-1fba9a54d39fac96.css",
            // A hash with leading zeros is written shorter.
            "/style-fba9a54d39fac96.css",
            "/style-0.css",
            // scripts/split_wasm.py's chunks and loader, named the same way.
            "/inspector-and-dialogs-60b524f260e9ef8d.wasm",
            "/chunk-3ea7b6c4b66e55bc.wasm",
            "/wasm-split-e428eb3fa181e9f0.js",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
            assert_eq!(cache_control(hashed), IMMUTABLE);
        }
    }

    #[test]
    fn everything_else_is_revalidated() {
        for plain in [
            "/",
            "/index.html",
            "/snippets/wirebook-frontend-80b3415dd065afc3/editor/dist/cell_editor.js",
            "/wirebook-frontend.js",
            "/style-1fba9a54d39fac96a.css",
            "/style-1FBA9A54.css",
            "/style-xyz.css",
            "/-1fba.css",
            "/style-.css",
            "/style-1fba",
            "style-1fba.css",
        ] {
            assert!(!is_hashed(plain), "{plain}");
            assert_eq!(cache_control(plain), REVALIDATE);
        }
    }
}
