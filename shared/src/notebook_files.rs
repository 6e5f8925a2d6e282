//! The server's notebook files API (`/api/notebooks`): request and response bodies, and the
//! URLs of notebooks, shared so the browser and the server agree on them.
//!
//! | request | body | answer |
//! |---|---|---|
//! | `GET /api/notebooks[?path=DIR]` | | [`Listing`] of the notebook directory or `DIR` in it |
//! | `GET /api/notebooks/PATH` | | [`NotebookFile`], or a [`Listing`] when `PATH` is a directory |
//! | `PUT /api/notebooks/PATH` | [`SaveRequest`] | [`Saved`]; `409` [`ApiError`] with the file's current `last_modified` when it changed since it was loaded |
//! | `POST /api/notebooks` | [`CreateRequest`] (or nothing) | `201` [`Saved`] for `Untitled.ipynb`, `Untitled1.ipynb`, … |
//! | `PATCH /api/notebooks/PATH` | [`RenameRequest`] | [`Entry`] at its new path; `409` when the new path is taken |
//! | `DELETE /api/notebooks/PATH` | | `204` (a notebook, or an empty directory) |
//! | `GET /notebooks/PATH` | | the UI's page, which opens `PATH` ([`path_from_page`]) |
//!
//! Paths are relative to the server's `--notebook-dir`, `/`-separated, without `.`/`..` or
//! hidden (dot) segments. Requests carry the token like the UI does; errors are [`ApiError`].

use serde::{Deserialize, Serialize};

use crate::ipynb::IpynbNotebook;

/// Where the API lives.
pub const API_PREFIX: &str = "/api/notebooks";
/// Where the UI opens a notebook: `/notebooks/dir/name.ipynb`.
pub const PAGE_PREFIX: &str = "/notebooks";
/// The extension of the files the API serves.
pub const EXTENSION: &str = ".ipynb";

/// What a listed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Directory,
    Notebook,
}

/// One directory or notebook in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    /// Relative to the notebook directory, `/`-separated.
    pub path: String,
    pub kind: EntryKind,
    /// Bytes; `None` for directories.
    pub size: Option<u64>,
    /// Last modification, milliseconds since the Unix epoch (when the file system knows it).
    pub mtime_ms: Option<u64>,
}

/// A directory's subdirectories and notebooks (hidden ones left out), directories first, then
/// by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The directory, relative to the notebook directory (`""` for the notebook directory).
    pub path: String,
    pub entries: Vec<Entry>,
}

/// A notebook as loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotebookFile {
    pub path: String,
    pub name: String,
    /// The version of the file this content is: send it back with the save, which is refused
    /// if the file has changed since. Opaque; compare only for equality.
    pub last_modified: String,
    pub size: u64,
    pub mtime_ms: Option<u64>,
    /// Upgraded to nbformat 4.5 if the file is older (see `upgraded_from`).
    pub content: IpynbNotebook,
    /// The file's nbformat minor version when it was older than 4.5.
    pub upgraded_from: Option<u32>,
    /// Where the file breaks the nbformat 4.5 schema; a save is refused until they are fixed.
    pub problems: Vec<String>,
}

/// The body of `PUT /api/notebooks/PATH`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveRequest {
    pub content: IpynbNotebook,
    /// The `last_modified` the content was loaded at; `None` to create a file that must not
    /// exist yet.
    pub last_modified: Option<String>,
    /// Save even if the file changed (or appeared, or was deleted) since.
    #[serde(default)]
    pub force: bool,
}

/// The answer to a save, create or rename of a notebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub path: String,
    pub name: String,
    /// The new version: send it with the next save.
    pub last_modified: String,
    pub size: u64,
    pub mtime_ms: Option<u64>,
}

/// The body of `POST /api/notebooks`; an empty body is the default (an empty notebook in the
/// notebook directory).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CreateRequest {
    /// The directory to create it in, relative to the notebook directory.
    #[serde(default)]
    pub directory: String,
    /// What to write; an empty nbformat 4.5 notebook when absent.
    #[serde(default)]
    pub content: Option<IpynbNotebook>,
}

/// The body of `PATCH /api/notebooks/PATH`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameRequest {
    /// The new path, relative to the notebook directory.
    pub path: String,
}

/// Every error answer: `{"error": "..."}`, plus the file's current version on a `409`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// Characters left as they are in a path segment of a URL (RFC 3986 unreserved, plus a few
/// sub-delimiters that are safe in paths).
fn keep_in_segment(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte)
}

/// Percent-encodes each segment of a relative path, keeping the `/` between them.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte == b'/' || keep_in_segment(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; `None` if an escape is broken or the result is not UTF-8.
pub fn decode_path(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The API URL of a notebook or directory (`""` is the notebook directory).
pub fn api_url(path: &str) -> String {
    if path.is_empty() {
        API_PREFIX.to_string()
    } else {
        format!("{API_PREFIX}/{}", encode_path(path))
    }
}

/// The page URL that opens a notebook.
pub fn page_url(path: &str) -> String {
    format!("{PAGE_PREFIX}/{}", encode_path(path))
}

/// The notebook a page URL's path (`location.pathname`) opens, if it is a notebook page.
pub fn path_from_page(pathname: &str) -> Option<String> {
    let rest = pathname.strip_prefix(PAGE_PREFIX)?.strip_prefix('/')?;
    let path = decode_path(rest)?;
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_encode_segments_and_pages_decode_them() {
        let path = "my dir/ünï #1?.ipynb";
        assert_eq!(
            api_url(path),
            "/api/notebooks/my%20dir/%C3%BCn%C3%AF%20%231%3F.ipynb"
        );
        assert_eq!(api_url(""), "/api/notebooks");
        assert_eq!(path_from_page(&page_url(path)).as_deref(), Some(path));
        assert_eq!(
            path_from_page("/notebooks/a.ipynb").as_deref(),
            Some("a.ipynb")
        );
        assert_eq!(path_from_page("/notebooks/"), None);
        assert_eq!(path_from_page("/notebooksx/a.ipynb"), None);
        assert_eq!(path_from_page("/"), None);
        assert_eq!(decode_path("%zz"), None);
        assert_eq!(decode_path("%C3"), None, "not UTF-8");
        assert_eq!(decode_path("a%2"), None);
    }

    #[test]
    fn bodies_are_pinned() {
        let entry = Entry {
            name: "a.ipynb".into(),
            path: "d/a.ipynb".into(),
            kind: EntryKind::Notebook,
            size: Some(3),
            mtime_ms: Some(5),
        };
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            json!({"name": "a.ipynb", "path": "d/a.ipynb", "kind": "notebook", "size": 3,
                   "mtime_ms": 5})
        );
        let save: SaveRequest = serde_json::from_value(json!({
            "content": {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []},
            "last_modified": "v1"
        }))
        .unwrap();
        assert!(!save.force);
        assert_eq!(save.last_modified.as_deref(), Some("v1"));
        let create: CreateRequest = serde_json::from_value(json!({})).unwrap();
        assert_eq!(create, CreateRequest::default());
        assert_eq!(
            serde_json::to_value(ApiError {
                error: "x".into(),
                last_modified: None
            })
            .unwrap(),
            json!({"error": "x"})
        );
    }
}
