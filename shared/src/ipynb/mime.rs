//! Mime bundles (an output's `data`, a cell's attachments): which mime types hold JSON, which
//! are written as lists of lines, and reading and writing them.

use serde_json::Value;

use super::lines::{lines_value, multiline};
use super::{field, object_at, Attachments, IpynbError, JsonMap, MimeBundle, MimeData};

/// Mime types whose data is any JSON value rather than text (nbformat's `_is_json_mime`).
pub fn is_json_mime(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Mime types nbformat writes as lists of lines; everything else (base64 images, ...) is one
/// string.
pub(super) fn is_split_mime(mime: &str) -> bool {
    mime.starts_with("text/") || mime == "application/javascript" || mime == "image/svg+xml"
}

pub(super) fn parse_bundle(value: Value, at: &str) -> Result<MimeBundle, IpynbError> {
    let map = object_at(value, at)?;
    let mut bundle = MimeBundle::new();
    for (mime, data) in map {
        let data = if is_json_mime(&mime) {
            MimeData::Json(data)
        } else {
            MimeData::Text(multiline(data, &field(at, &mime))?)
        };
        bundle.insert(mime, data);
    }
    Ok(bundle)
}

// The maps here are filled by `insert` rather than collected: each `collect` into a map
// compiles a sort of its own into the wasm.

pub(super) fn bundle_value(bundle: &MimeBundle) -> Value {
    let mut map = JsonMap::new();
    for (mime, data) in bundle {
        let value = match data {
            MimeData::Json(value) => value.clone(),
            MimeData::Text(text) if is_split_mime(mime) => lines_value(text),
            MimeData::Text(text) => Value::String(text.clone()),
        };
        map.insert(mime.clone(), value);
    }
    Value::Object(map)
}

pub(super) fn parse_attachments(value: Value, at: &str) -> Result<Attachments, IpynbError> {
    let map = object_at(value, at)?;
    let mut attachments = Attachments::new();
    for (name, bundle) in map {
        let bundle = parse_bundle(bundle, &field(at, &name))?;
        attachments.insert(name, bundle);
    }
    Ok(attachments)
}

pub(super) fn attachments_value(attachments: &Attachments) -> Value {
    let mut map = JsonMap::new();
    for (name, bundle) in attachments {
        map.insert(name.clone(), bundle_value(bundle));
    }
    Value::Object(map)
}
