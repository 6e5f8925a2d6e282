//! Where a document breaks the nbformat 4.5 schema, so that the server can refuse to write a
//! file Jupyter would reject; and which URLs in it look like they carry a secret.

use std::collections::HashSet;

use serde_json::Value;

use super::cell_id::is_valid_cell_id;
use super::{
    error, field, IpynbCellKind, IpynbError, IpynbNotebook, JsonMap, NotebookMetadata, NBFORMAT,
    NBFORMAT_MINOR,
};

impl IpynbNotebook {
    /// Where the document breaks the nbformat 4.5 schema, one message per problem, each
    /// starting with the path of the offending part. Empty when Jupyter's validator would
    /// accept the file [`IpynbNotebook::to_json`] writes.
    pub fn problems(&self) -> Vec<IpynbError> {
        let mut problems = Vec::new();
        if self.nbformat != NBFORMAT || self.nbformat_minor != NBFORMAT_MINOR {
            problems.push(error(
                "nbformat",
                format!(
                    "wirebook writes nbformat {NBFORMAT}.{NBFORMAT_MINOR}, not {}.{}",
                    self.nbformat, self.nbformat_minor
                ),
            ));
        }
        unknown_fields(&self.extra, "", "a notebook", &mut problems);
        metadata_problems(&self.metadata, &mut problems);
        let mut ids = HashSet::new();
        for (index, cell) in self.cells.iter().enumerate() {
            let at = format!("cells[{index}]");
            if !is_valid_cell_id(&cell.id) {
                problems.push(error(
                    &field(&at, "id"),
                    format!(
                        "{:?} is not a valid cell id (1 to 64 characters of a-z, A-Z, 0-9, - and _)",
                        cell.id
                    ),
                ));
            } else if !ids.insert(cell.id.as_str()) {
                problems.push(error(
                    &field(&at, "id"),
                    format!("{:?} is the id of an earlier cell too", cell.id),
                ));
            }
            let what = format!("a {} cell", cell.kind.name());
            unknown_fields(&cell.extra, &at, &what, &mut problems);
            cell_metadata_problems(&cell.metadata, &field(&at, "metadata"), &mut problems);
            if let IpynbCellKind::Code { outputs, .. } = &cell.kind {
                for (i, output) in outputs.iter().enumerate() {
                    let at = format!("{at}.outputs[{i}]");
                    let what = format!("a {} output", output.kind.name());
                    unknown_fields(&output.extra, &at, &what, &mut problems);
                }
            }
        }
        problems
    }
}

pub(super) fn unknown_fields(
    extra: &JsonMap,
    at: &str,
    what: &str,
    problems: &mut Vec<IpynbError>,
) {
    for key in extra.keys() {
        problems.push(error(
            at,
            format!("nbformat 4.5 does not allow a field \"{key}\" in {what}"),
        ));
    }
}

pub(super) fn metadata_problems(metadata: &NotebookMetadata, problems: &mut Vec<IpynbError>) {
    let extra = &metadata.extra;
    if let Some(info) = extra.get("language_info") {
        let at = "metadata.language_info";
        match info {
            Value::Object(info) => {
                if !info.get("name").is_some_and(Value::is_string) {
                    problems.push(error(at, "needs a string \"name\""));
                }
                for key in ["file_extension", "mimetype", "pygments_lexer"] {
                    if info.get(key).is_some_and(|v| !v.is_string()) {
                        problems.push(error(&field(at, key), "must be a string"));
                    }
                }
                if info
                    .get("codemirror_mode")
                    .is_some_and(|v| !(v.is_string() || v.is_object()))
                {
                    problems.push(error(
                        &field(at, "codemirror_mode"),
                        "must be a string or an object",
                    ));
                }
            }
            _ => problems.push(error(at, "must be an object")),
        }
    }
    if extra
        .get("orig_nbformat")
        .is_some_and(|v| v.as_u64().is_none_or(|n| n < 1))
    {
        problems.push(error(
            "metadata.orig_nbformat",
            "must be an integer of at least 1",
        ));
    }
    if extra.get("title").is_some_and(|v| !v.is_string()) {
        problems.push(error("metadata.title", "must be a string"));
    }
    if extra.get("authors").is_some_and(|v| !v.is_array()) {
        problems.push(error("metadata.authors", "must be a list"));
    }
    if let Some(url) = metadata
        .wirebook
        .as_ref()
        .and_then(|w| w.kernel.as_ref())
        .and_then(|k| k.url.as_deref())
    {
        if let Some(reason) = url_secret(url) {
            problems.push(error(
                "metadata.wirebook.kernel.url",
                format!("{reason}: notebooks get shared, so keep secrets out of them"),
            ));
        }
    }
}

/// Why a URL looks like it carries a secret: credentials before the host, or a query
/// parameter named like a token or password.
pub fn url_secret(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest[..authority_end].contains('@') {
        return Some("the URL has credentials (user:password@)".into());
    }
    let query = rest.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let key = pair
            .split('=')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        ["token", "password", "passwd", "secret", "key", "auth"]
            .iter()
            .any(|word| key.contains(word))
            .then(|| format!("the URL has a query parameter {key:?}"))
    })
}

pub(super) fn cell_metadata_problems(metadata: &JsonMap, at: &str, problems: &mut Vec<IpynbError>) {
    if let Some(tags) = metadata.get("tags") {
        let at = field(at, "tags");
        match tags {
            Value::Array(tags) => {
                let mut seen = HashSet::new();
                for (i, tag) in tags.iter().enumerate() {
                    match tag.as_str() {
                        Some(tag) if tag.is_empty() || tag.contains(',') => problems.push(error(
                            &format!("{at}[{i}]"),
                            "a tag must be non-empty and have no comma",
                        )),
                        Some(tag) if !seen.insert(tag) => problems.push(error(
                            &format!("{at}[{i}]"),
                            format!("the tag {tag:?} is repeated"),
                        )),
                        Some(_) => {}
                        None => {
                            problems.push(error(&format!("{at}[{i}]"), "a tag must be a string"))
                        }
                    }
                }
            }
            _ => problems.push(error(&at, "must be a list of strings")),
        }
    }
    if metadata.get("name").is_some_and(|name| {
        !name
            .as_str()
            .is_some_and(|n| !n.is_empty() && !n.contains('\n'))
    }) {
        problems.push(error(&field(at, "name"), "must be a non-empty string"));
    }
    if metadata.get("collapsed").is_some_and(|v| !v.is_boolean()) {
        problems.push(error(&field(at, "collapsed"), "must be true or false"));
    }
    if metadata
        .get("scrolled")
        .is_some_and(|v| !(v.is_boolean() || v.as_str() == Some("auto")))
    {
        problems.push(error(
            &field(at, "scrolled"),
            "must be true, false or \"auto\"",
        ));
    }
    if metadata.get("jupyter").is_some_and(|v| !v.is_object()) {
        problems.push(error(&field(at, "jupyter"), "must be an object"));
    }
    if let Some(execution) = metadata.get("execution") {
        match execution {
            Value::Object(times) => {
                for (key, value) in times {
                    if !value.is_string() {
                        problems.push(error(
                            &field(&field(at, "execution"), key),
                            "must be a string",
                        ));
                    }
                }
            }
            _ => problems.push(error(&field(at, "execution"), "must be an object")),
        }
    }
}
