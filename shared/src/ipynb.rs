//! Jupyter's notebook file format, `.ipynb` (nbformat 4), as plain data.
//!
//! [`IpynbNotebook::parse`] reads nbformat 4.0 to 4.5 and upgrades to 4.5 (cells get ids);
//! [`IpynbNotebook::to_json`] writes 4.5 the way Jupyter does (keys sorted, one-space indent,
//! multi-line text as lists of lines), so a notebook saved by wirebook diffs cleanly against one
//! saved by Jupyter. Whatever wirebook does not interpret — unknown metadata keys, mime types it
//! cannot show, fields from tools that bend the schema — is kept in `extra` maps or as raw JSON
//! values and written back unchanged. [`IpynbNotebook::problems`] says where a document breaks
//! the nbformat 4.5 schema, so the server can refuse to write a file Jupyter would reject.
//!
//! Normalisations of a load → save round trip (everything else is kept as read):
//! - `nbformat_minor` becomes 5; cells without an `id` (all cells before 4.5) get one, and a
//!   cell whose id repeats an earlier one gets a new one (as nbformat's validator repairs it);
//! - multi-line strings (sources, stream text, `text/*` mime data) are written as lists of lines
//!   split like Python's `str.splitlines(keepends=True)`; other mime data as one string;
//! - numbers go through `f64`/`i64`, so an integer beyond 64 bits or a float's spelling
//!   (`1e+100` vs `1e100`) may change; the value does not.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use base64::Engine as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha1::{Digest as _, Sha1};

use crate::session::WireData;

/// The major format version wirebook reads and writes.
pub const NBFORMAT: u32 = 4;
/// The minor version wirebook writes; 0 to this are read.
pub const NBFORMAT_MINOR: u32 = 5;

/// A JSON object, kept as read.
pub type JsonMap = Map<String, Value>;

/// A mime-type keyed bundle: `{"text/plain": "...", "image/png": "<base64>"}`.
pub type MimeBundle = BTreeMap<String, MimeData>;

/// A markdown or raw cell's attachments, by file name (`![](attachment:name.png)`).
pub type Attachments = BTreeMap<String, MimeBundle>;

/// Where wirebook keeps an output that came from a WebSocket message, in the output's
/// `metadata`: `{"wirebook": {"message": "text" | "binary"}}`.
const WIREBOOK_KEY: &str = "wirebook";

/// A whole notebook document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpynbNotebook {
    pub metadata: NotebookMetadata,
    /// Always [`NBFORMAT`] after [`IpynbNotebook::parse`].
    pub nbformat: u32,
    /// Always [`NBFORMAT_MINOR`] after [`IpynbNotebook::parse`] (see `upgraded_from`).
    pub nbformat_minor: u32,
    pub cells: Vec<IpynbCell>,
    /// Top-level fields nbformat does not define (the schema forbids them; kept, and reported by
    /// [`IpynbNotebook::problems`]).
    pub extra: JsonMap,
    /// The minor version the file had when it was older than 4.5 and upgraded on reading. Not
    /// part of the document: it is never written.
    pub upgraded_from: Option<u32>,
}

/// The notebook's `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotebookMetadata {
    /// Which Jupyter kernel the notebook was written for.
    pub kernelspec: Option<KernelSpec>,
    /// wirebook's own settings (`metadata.wirebook`).
    pub wirebook: Option<WirebookMetadata>,
    /// Everything else: `language_info`, `title`, extensions' keys.
    pub extra: JsonMap,
}

/// `metadata.kernelspec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSpec {
    pub name: String,
    pub display_name: String,
    /// e.g. `language`.
    pub extra: JsonMap,
}

/// wirebook's settings stored in the notebook (`metadata.wirebook`). Notebooks get shared, so
/// nothing secret belongs here: [`IpynbNotebook::problems`] refuses kernel URLs with credentials.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WirebookMetadata {
    /// The kernel this notebook talks to.
    pub kernel: Option<WirebookKernel>,
    /// Keys of newer wirebook versions.
    pub extra: JsonMap,
}

/// `metadata.wirebook.kernel`: `{"kind": "websocket", "url": "ws://…"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WirebookKernel {
    /// [`WirebookKernel::ECHO`], [`WirebookKernel::WEBSOCKET`], or a kind of a newer wirebook.
    pub kind: String,
    /// The endpoint of a WebSocket kernel.
    pub url: Option<String>,
    pub extra: JsonMap,
}

impl WirebookKernel {
    /// The server's built-in echo endpoint.
    pub const ECHO: &'static str = "echo";
    /// Any `ws://` or `wss://` endpoint.
    pub const WEBSOCKET: &'static str = "websocket";

    pub fn websocket(url: impl Into<String>) -> Self {
        WirebookKernel {
            kind: Self::WEBSOCKET.into(),
            url: Some(url.into()),
            extra: JsonMap::new(),
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpynbCell {
    /// 1–64 characters of `[a-zA-Z0-9-_]`, unique in the notebook.
    pub id: String,
    pub source: String,
    pub metadata: JsonMap,
    pub kind: IpynbCellKind,
    /// Fields the schema does not define for this cell type.
    pub extra: JsonMap,
}

/// What kind of cell, with the fields only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpynbCellKind {
    Code {
        /// `[n]`; `None` when never run.
        execution_count: Option<u32>,
        outputs: Vec<IpynbOutput>,
    },
    Markdown {
        /// `None` when the field is absent (kept absent on writing).
        attachments: Option<Attachments>,
    },
    Raw {
        attachments: Option<Attachments>,
    },
}

impl IpynbCellKind {
    /// The `cell_type` string.
    pub fn name(&self) -> &'static str {
        match self {
            IpynbCellKind::Code { .. } => "code",
            IpynbCellKind::Markdown { .. } => "markdown",
            IpynbCellKind::Raw { .. } => "raw",
        }
    }
}

/// A mime bundle entry: text (joined from its lines) or, for JSON mime types
/// (`application/json`, `application/*+json`), any JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MimeData {
    Text(String),
    Json(Value),
}

impl MimeData {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            MimeData::Text(text) => Some(text),
            MimeData::Json(_) => None,
        }
    }
}

/// One output of a code cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpynbOutput {
    pub kind: IpynbOutputKind,
    /// Fields the schema does not define for this output type.
    pub extra: JsonMap,
}

/// The four output types of nbformat 4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpynbOutputKind {
    /// Text written to `stdout` or `stderr`.
    Stream {
        name: String,
        text: String,
    },
    DisplayData {
        data: MimeBundle,
        metadata: JsonMap,
    },
    ExecuteResult {
        execution_count: Option<u32>,
        data: MimeBundle,
        metadata: JsonMap,
    },
    Error {
        ename: String,
        evalue: String,
        /// One entry per frame, with ANSI colour escapes as the kernel sent them.
        traceback: Vec<String>,
    },
}

/// Why a document could not be read, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpynbError {
    /// A path into the document such as `cells[3].outputs[0].data["image/png"]`; empty for
    /// the document as a whole.
    pub at: String,
    pub message: String,
}

impl fmt::Display for IpynbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}

impl std::error::Error for IpynbError {}

fn error(at: &str, message: impl Into<String>) -> IpynbError {
    IpynbError {
        at: at.to_string(),
        message: message.into(),
    }
}

/// `parent.key`, or `key` at the top.
fn field(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{key:?}]")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An object being taken apart: each read removes its key, and what is left over is `extra`.
struct Fields {
    map: JsonMap,
    at: String,
}

impl Fields {
    fn new(value: Value, at: &str, what: &str) -> Result<Self, IpynbError> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                at: at.to_string(),
            }),
            other => Err(error(
                at,
                format!("{what} must be an object, not {}", type_name(&other)),
            )),
        }
    }

    fn at(&self, key: &str) -> String {
        field(&self.at, key)
    }

    fn required(&mut self, key: &str) -> Result<Value, IpynbError> {
        self.map
            .remove(key)
            .ok_or_else(|| error(&self.at, format!("missing field \"{key}\"")))
    }

    fn string(&mut self, key: &str) -> Result<String, IpynbError> {
        match self.required(key)? {
            Value::String(s) => Ok(s),
            other => Err(error(
                &self.at(key),
                format!("must be a string, not {}", type_name(&other)),
            )),
        }
    }

    fn object(&mut self, key: &str) -> Result<JsonMap, IpynbError> {
        match self.required(key)? {
            Value::Object(map) => Ok(map),
            other => Err(error(
                &self.at(key),
                format!("must be an object, not {}", type_name(&other)),
            )),
        }
    }

    fn multiline(&mut self, key: &str) -> Result<String, IpynbError> {
        let at = self.at(key);
        multiline(self.required(key)?, &at)
    }

    /// A required `execution_count`: a non-negative integer or null.
    fn count(&mut self, key: &str) -> Result<Option<u32>, IpynbError> {
        match self.required(key)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    error(
                        &self.at(key),
                        format!("must be null or an integer from 0 to {}, not {n}", u32::MAX),
                    )
                }),
            other => Err(error(
                &self.at(key),
                format!(
                    "must be null or a non-negative integer, not {}",
                    type_name(&other)
                ),
            )),
        }
    }

    fn rest(self) -> JsonMap {
        self.map
    }
}

/// nbformat's `multiline_string`: a string, or a list of strings to be concatenated.
fn multiline(value: Value, at: &str) -> Result<String, IpynbError> {
    match value {
        Value::String(s) => Ok(s),
        Value::Array(items) => {
            let mut joined = String::new();
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => joined.push_str(&s),
                    other => {
                        return Err(error(
                            &format!("{at}[{i}]"),
                            format!("must be a string, not {}", type_name(&other)),
                        ))
                    }
                }
            }
            Ok(joined)
        }
        other => Err(error(
            at,
            format!(
                "must be a string or a list of strings, not {}",
                type_name(&other)
            ),
        )),
    }
}

/// Splits text into lines that keep their line ends, exactly like Python's
/// `str.splitlines(keepends=True)`, which nbformat uses to write multi-line strings.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end = match c {
            '\r' => match chars.peek() {
                Some(&(j, '\n')) => {
                    chars.next();
                    j + 1
                }
                _ => i + 1,
            },
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        lines.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn lines_value(text: &str) -> Value {
    Value::Array(
        split_lines(text)
            .into_iter()
            .map(|line| Value::String(line.to_string()))
            .collect(),
    )
}

/// Mime types whose data is any JSON value rather than text (nbformat's `_is_json_mime`).
pub fn is_json_mime(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Mime types nbformat writes as lists of lines; everything else (base64 images, ...) is one
/// string.
fn is_split_mime(mime: &str) -> bool {
    mime.starts_with("text/") || mime == "application/javascript" || mime == "image/svg+xml"
}

fn parse_bundle(value: Value, at: &str) -> Result<MimeBundle, IpynbError> {
    let Value::Object(map) = value else {
        return Err(error(
            at,
            format!("must be an object, not {}", type_name(&value)),
        ));
    };
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

fn bundle_value(bundle: &MimeBundle) -> Value {
    Value::Object(
        bundle
            .iter()
            .map(|(mime, data)| {
                let value = match data {
                    MimeData::Json(value) => value.clone(),
                    MimeData::Text(text) if is_split_mime(mime) => lines_value(text),
                    MimeData::Text(text) => Value::String(text.clone()),
                };
                (mime.clone(), value)
            })
            .collect(),
    )
}

fn parse_attachments(value: Value, at: &str) -> Result<Attachments, IpynbError> {
    let Value::Object(map) = value else {
        return Err(error(
            at,
            format!("must be an object, not {}", type_name(&value)),
        ));
    };
    map.into_iter()
        .map(|(name, bundle)| {
            let bundle = parse_bundle(bundle, &field(at, &name))?;
            Ok((name, bundle))
        })
        .collect()
}

fn attachments_value(attachments: &Attachments) -> Value {
    Value::Object(
        attachments
            .iter()
            .map(|(name, bundle)| (name.clone(), bundle_value(bundle)))
            .collect(),
    )
}

/// Whether `id` is a valid nbformat 4.5 cell id: 1–64 characters of `[a-zA-Z0-9-_]`.
pub fn is_valid_cell_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new cell id that is not in `taken`: 8 hex digits (like Jupyter's) derived from the cell's
/// position and source, so reading the same old file twice gives the same ids.
pub fn new_cell_id(index: usize, source: &str, taken: &HashSet<String>) -> String {
    for attempt in 0u32.. {
        let mut hasher = Sha1::new();
        hasher.update((index as u64).to_le_bytes());
        hasher.update(attempt.to_le_bytes());
        hasher.update(source.as_bytes());
        let id = crate::hex::hex(&hasher.finalize()[..4]);
        if !taken.contains(&id) {
            return id;
        }
    }
    unreachable!("u32 attempts at 32 random bits cannot all be taken")
}

impl IpynbNotebook {
    /// An empty nbformat 4.5 notebook.
    pub fn new() -> Self {
        IpynbNotebook {
            metadata: NotebookMetadata::default(),
            nbformat: NBFORMAT,
            nbformat_minor: NBFORMAT_MINOR,
            cells: Vec::new(),
            extra: JsonMap::new(),
            upgraded_from: None,
        }
    }

    /// Reads a `.ipynb` file's text.
    pub fn parse(json: &str) -> Result<Self, IpynbError> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            error(
                "",
                format!("not JSON: {e} (line {}, column {})", e.line(), e.column()),
            )
        })?;
        Self::from_value(value)
    }

    /// Reads a document already parsed as JSON.
    pub fn from_value(value: Value) -> Result<Self, IpynbError> {
        let mut top = Fields::new(value, "", "a notebook")?;
        let major = top.required("nbformat")?;
        match major.as_u64() {
            Some(4) => {}
            Some(n @ 1..=3) => {
                return Err(error(
                    "nbformat",
                    format!(
                        "this is an nbformat {n} notebook; wirebook reads nbformat 4 (convert it \
                         with `jupyter nbconvert --to notebook --nbformat 4`)"
                    ),
                ))
            }
            _ => {
                return Err(error(
                    "nbformat",
                    format!("wirebook reads nbformat 4, not {major}"),
                ))
            }
        }
        let minor_value = top.required("nbformat_minor")?;
        let minor = match minor_value.as_u64() {
            Some(minor) if minor <= u64::from(NBFORMAT_MINOR) => minor as u32,
            Some(minor) => {
                return Err(error(
                    "nbformat_minor",
                    format!(
                        "nbformat 4.{minor} is newer than wirebook understands (4.0 to 4.{NBFORMAT_MINOR})"
                    ),
                ))
            }
            None => {
                return Err(error(
                    "nbformat_minor",
                    format!("must be an integer, not {}", type_name(&minor_value)),
                ))
            }
        };
        let metadata = parse_notebook_metadata(top.object("metadata")?)?;
        let cells = match top.required("cells")? {
            Value::Array(cells) => cells,
            other => {
                return Err(error(
                    "cells",
                    format!("must be a list, not {}", type_name(&other)),
                ))
            }
        };
        let mut parsed = Vec::with_capacity(cells.len());
        let mut missing_ids = Vec::new();
        let mut taken = HashSet::new();
        for (index, cell) in cells.into_iter().enumerate() {
            let (cell, had_id) = parse_cell(cell, index)?;
            // A repeated id is repaired like a missing one (nbformat's validator does the same).
            if !had_id || !taken.insert(cell.id.clone()) {
                missing_ids.push(index);
            }
            parsed.push(cell);
        }
        for index in missing_ids {
            let cell = &mut parsed[index];
            cell.id = new_cell_id(index, &cell.source, &taken);
            taken.insert(cell.id.clone());
        }
        Ok(IpynbNotebook {
            metadata,
            nbformat: NBFORMAT,
            nbformat_minor: NBFORMAT_MINOR,
            cells: parsed,
            extra: top.rest(),
            upgraded_from: (minor < NBFORMAT_MINOR).then_some(minor),
        })
    }

    /// The document as nbformat 4.5 JSON, keys sorted, multi-line strings as lists of lines.
    pub fn to_value(&self) -> Value {
        let mut top = self.extra.clone();
        top.insert("metadata".into(), notebook_metadata_value(&self.metadata));
        top.insert("nbformat".into(), Value::from(self.nbformat));
        top.insert("nbformat_minor".into(), Value::from(self.nbformat_minor));
        top.insert(
            "cells".into(),
            Value::Array(self.cells.iter().map(IpynbCell::to_value).collect()),
        );
        sorted(Value::Object(top))
    }

    /// The file's text exactly as Jupyter writes it: one-space indent, sorted keys, non-ASCII
    /// characters as themselves, a final newline.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.to_value()
            .serialize(&mut serializer)
            .expect("a JSON value serialises into memory");
        let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
        text.push('\n');
        text
    }

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

impl Default for IpynbNotebook {
    fn default() -> Self {
        Self::new()
    }
}

/// Rebuilds every object with its keys in order, whatever map type serde_json was built with
/// (its `preserve_order` feature keeps insertion order instead).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn unknown_fields(extra: &JsonMap, at: &str, what: &str, problems: &mut Vec<IpynbError>) {
    for key in extra.keys() {
        problems.push(error(
            at,
            format!("nbformat 4.5 does not allow a field \"{key}\" in {what}"),
        ));
    }
}

fn parse_notebook_metadata(map: JsonMap) -> Result<NotebookMetadata, IpynbError> {
    let mut fields = Fields {
        map,
        at: "metadata".into(),
    };
    let kernelspec = match fields.map.remove("kernelspec") {
        None => None,
        Some(value) => {
            let mut spec = Fields::new(value, "metadata.kernelspec", "the kernelspec")?;
            Some(KernelSpec {
                name: spec.string("name")?,
                display_name: spec.string("display_name")?,
                extra: spec.rest(),
            })
        }
    };
    let wirebook = match fields.map.remove(WIREBOOK_KEY) {
        None => None,
        Some(value) => {
            let mut settings = Fields::new(value, "metadata.wirebook", "wirebook's settings")?;
            let kernel = match settings.map.remove("kernel") {
                None => None,
                Some(value) => {
                    let at = "metadata.wirebook.kernel";
                    let mut kernel = Fields::new(value, at, "the kernel")?;
                    let kind = kernel.string("kind")?;
                    let url = match kernel.map.remove("url") {
                        None => None,
                        Some(Value::String(url)) => Some(url),
                        Some(other) => {
                            return Err(error(
                                &kernel.at("url"),
                                format!("must be a string, not {}", type_name(&other)),
                            ))
                        }
                    };
                    Some(WirebookKernel {
                        kind,
                        url,
                        extra: kernel.rest(),
                    })
                }
            };
            Some(WirebookMetadata {
                kernel,
                extra: settings.rest(),
            })
        }
    };
    Ok(NotebookMetadata {
        kernelspec,
        wirebook,
        extra: fields.rest(),
    })
}

fn notebook_metadata_value(metadata: &NotebookMetadata) -> Value {
    let mut map = metadata.extra.clone();
    if let Some(spec) = &metadata.kernelspec {
        let mut value = spec.extra.clone();
        value.insert("name".into(), Value::String(spec.name.clone()));
        value.insert(
            "display_name".into(),
            Value::String(spec.display_name.clone()),
        );
        map.insert("kernelspec".into(), Value::Object(value));
    }
    if let Some(settings) = &metadata.wirebook {
        let mut value = settings.extra.clone();
        if let Some(kernel) = &settings.kernel {
            let mut k = kernel.extra.clone();
            k.insert("kind".into(), Value::String(kernel.kind.clone()));
            if let Some(url) = &kernel.url {
                k.insert("url".into(), Value::String(url.clone()));
            }
            value.insert("kernel".into(), Value::Object(k));
        }
        map.insert(WIREBOOK_KEY.into(), Value::Object(value));
    }
    Value::Object(map)
}

/// Returns the cell and whether the file gave it an id.
fn parse_cell(value: Value, index: usize) -> Result<(IpynbCell, bool), IpynbError> {
    let at = format!("cells[{index}]");
    let mut cell = Fields::new(value, &at, "a cell")?;
    let cell_type = cell.string("cell_type")?;
    let id = match cell.map.remove("id") {
        None => None,
        Some(Value::String(id)) if is_valid_cell_id(&id) => Some(id),
        Some(Value::String(id)) => {
            return Err(error(
                &cell.at("id"),
                format!(
                    "{id:?} is not a valid cell id (1 to 64 characters of a-z, A-Z, 0-9, - and _)"
                ),
            ))
        }
        Some(other) => {
            return Err(error(
                &cell.at("id"),
                format!("must be a string, not {}", type_name(&other)),
            ))
        }
    };
    let source = cell.multiline("source")?;
    let metadata = cell.object("metadata")?;
    let attachments = |cell: &mut Fields| match cell.map.remove("attachments") {
        None => Ok(None),
        Some(value) => parse_attachments(value, &cell.at("attachments")).map(Some),
    };
    let kind = match cell_type.as_str() {
        "code" => {
            let execution_count = cell.count("execution_count")?;
            let outputs = match cell.required("outputs")? {
                Value::Array(outputs) => outputs
                    .into_iter()
                    .enumerate()
                    .map(|(i, output)| parse_output(output, &format!("{at}.outputs[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?,
                other => {
                    return Err(error(
                        &cell.at("outputs"),
                        format!("must be a list, not {}", type_name(&other)),
                    ))
                }
            };
            IpynbCellKind::Code {
                execution_count,
                outputs,
            }
        }
        "markdown" => IpynbCellKind::Markdown {
            attachments: attachments(&mut cell)?,
        },
        "raw" => IpynbCellKind::Raw {
            attachments: attachments(&mut cell)?,
        },
        other => {
            return Err(error(
                &cell.at("cell_type"),
                format!("unknown cell type {other:?} (nbformat 4 has code, markdown and raw)"),
            ))
        }
    };
    let had_id = id.is_some();
    Ok((
        IpynbCell {
            id: id.unwrap_or_default(),
            source,
            metadata,
            kind,
            extra: cell.rest(),
        },
        had_id,
    ))
}

impl IpynbCell {
    /// A cell of the given kind with nothing in it.
    pub fn new(id: impl Into<String>, kind: IpynbCellKind, source: impl Into<String>) -> Self {
        IpynbCell {
            id: id.into(),
            source: source.into(),
            metadata: JsonMap::new(),
            kind,
            extra: JsonMap::new(),
        }
    }

    fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        map.insert("id".into(), Value::String(self.id.clone()));
        map.insert("cell_type".into(), Value::from(self.kind.name()));
        map.insert("metadata".into(), Value::Object(self.metadata.clone()));
        map.insert("source".into(), lines_value(&self.source));
        match &self.kind {
            IpynbCellKind::Code {
                execution_count,
                outputs,
            } => {
                map.insert("execution_count".into(), count_value(*execution_count));
                map.insert(
                    "outputs".into(),
                    Value::Array(outputs.iter().map(IpynbOutput::to_value).collect()),
                );
            }
            IpynbCellKind::Markdown { attachments } | IpynbCellKind::Raw { attachments } => {
                if let Some(attachments) = attachments {
                    map.insert("attachments".into(), attachments_value(attachments));
                }
            }
        }
        Value::Object(map)
    }
}

fn count_value(count: Option<u32>) -> Value {
    count.map_or(Value::Null, Value::from)
}

fn parse_output(value: Value, at: &str) -> Result<IpynbOutput, IpynbError> {
    let mut output = Fields::new(value, at, "an output")?;
    let output_type = output.string("output_type")?;
    let kind = match output_type.as_str() {
        "stream" => IpynbOutputKind::Stream {
            name: output.string("name")?,
            text: output.multiline("text")?,
        },
        "display_data" => IpynbOutputKind::DisplayData {
            data: parse_bundle(output.required("data")?, &output.at("data"))?,
            metadata: output.object("metadata")?,
        },
        "execute_result" => IpynbOutputKind::ExecuteResult {
            execution_count: output.count("execution_count")?,
            data: parse_bundle(output.required("data")?, &output.at("data"))?,
            metadata: output.object("metadata")?,
        },
        "error" => {
            let ename = output.string("ename")?;
            let evalue = output.string("evalue")?;
            let traceback = match output.required("traceback")? {
                Value::Array(lines) => lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, line)| match line {
                        Value::String(line) => Ok(line),
                        other => Err(error(
                            &format!("{}[{i}]", output.at("traceback")),
                            format!("must be a string, not {}", type_name(&other)),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => {
                    return Err(error(
                        &output.at("traceback"),
                        format!("must be a list of strings, not {}", type_name(&other)),
                    ))
                }
            };
            IpynbOutputKind::Error {
                ename,
                evalue,
                traceback,
            }
        }
        other => {
            return Err(error(
                &output.at("output_type"),
                format!(
                    "unknown output type {other:?} (nbformat 4 has stream, display_data, \
                     execute_result and error)"
                ),
            ))
        }
    };
    Ok(IpynbOutput {
        kind,
        extra: output.rest(),
    })
}

impl IpynbOutputKind {
    /// The `output_type` string.
    pub fn name(&self) -> &'static str {
        match self {
            IpynbOutputKind::Stream { .. } => "stream",
            IpynbOutputKind::DisplayData { .. } => "display_data",
            IpynbOutputKind::ExecuteResult { .. } => "execute_result",
            IpynbOutputKind::Error { .. } => "error",
        }
    }
}

impl IpynbOutput {
    pub fn new(kind: IpynbOutputKind) -> Self {
        IpynbOutput {
            kind,
            extra: JsonMap::new(),
        }
    }

    /// An output from its nbformat JSON (`{"output_type": …}`), e.g. a Jupyter iopub message's
    /// content with its `msg_type` as `output_type`.
    pub fn from_value(value: Value) -> Result<Self, IpynbError> {
        parse_output(value, "")
    }

    fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        map.insert("output_type".into(), Value::from(self.kind.name()));
        match &self.kind {
            IpynbOutputKind::Stream { name, text } => {
                map.insert("name".into(), Value::String(name.clone()));
                map.insert("text".into(), lines_value(text));
            }
            IpynbOutputKind::DisplayData { data, metadata } => {
                map.insert("data".into(), bundle_value(data));
                map.insert("metadata".into(), Value::Object(metadata.clone()));
            }
            IpynbOutputKind::ExecuteResult {
                execution_count,
                data,
                metadata,
            } => {
                map.insert("execution_count".into(), count_value(*execution_count));
                map.insert("data".into(), bundle_value(data));
                map.insert("metadata".into(), Value::Object(metadata.clone()));
            }
            IpynbOutputKind::Error {
                ename,
                evalue,
                traceback,
            } => {
                map.insert("ename".into(), Value::String(ename.clone()));
                map.insert("evalue".into(), Value::String(evalue.clone()));
                map.insert(
                    "traceback".into(),
                    Value::Array(traceback.iter().cloned().map(Value::String).collect()),
                );
            }
        }
        Value::Object(map)
    }

    /// A WebSocket message a kernel sent, stored as `display_data`: text as `text/plain`;
    /// binary as `application/octet-stream` (base64, as Jupyter stores binary data) with a
    /// `text/plain` summary that Jupyter can show. `metadata.wirebook.message` marks it so
    /// that [`IpynbOutput::wire_data`] gets the message back.
    pub fn from_wire(data: &WireData) -> Self {
        let mut bundle = MimeBundle::new();
        let message = match data {
            WireData::Text { text } => {
                bundle.insert("text/plain".into(), MimeData::Text(text.clone()));
                "text"
            }
            WireData::Binary { hex } => {
                let bytes = crate::hex::unhex(hex).unwrap_or_default();
                bundle.insert(
                    "application/octet-stream".into(),
                    MimeData::Text(base64::engine::general_purpose::STANDARD.encode(&bytes)),
                );
                let (preview, cut) = crate::hex::binary_preview(&bytes, 64);
                bundle.insert(
                    "text/plain".into(),
                    MimeData::Text(format!(
                        "binary message, {} bytes: {preview}{}",
                        bytes.len(),
                        if cut { " …" } else { "" }
                    )),
                );
                "binary"
            }
        };
        let mut marker = JsonMap::new();
        marker.insert("message".into(), Value::from(message));
        let mut metadata = JsonMap::new();
        metadata.insert(WIREBOOK_KEY.into(), Value::Object(marker));
        IpynbOutput::new(IpynbOutputKind::DisplayData {
            data: bundle,
            metadata,
        })
    }

    /// The WebSocket message this output stores, if wirebook wrote it with
    /// [`IpynbOutput::from_wire`].
    pub fn wire_data(&self) -> Option<WireData> {
        let IpynbOutputKind::DisplayData { data, metadata } = &self.kind else {
            return None;
        };
        let message = metadata.get(WIREBOOK_KEY)?.get("message")?.as_str()?;
        match message {
            "text" => Some(WireData::Text {
                text: data.get("text/plain")?.as_text()?.to_string(),
            }),
            "binary" => {
                let encoded = data.get("application/octet-stream")?.as_text()?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()?;
                Some(WireData::binary(&bytes))
            }
            _ => None,
        }
    }
}

fn metadata_problems(metadata: &NotebookMetadata, problems: &mut Vec<IpynbError>) {
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

fn cell_metadata_problems(metadata: &JsonMap, at: &str, problems: &mut Vec<IpynbError>) {
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

impl Serialize for IpynbNotebook {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IpynbNotebook {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        IpynbNotebook::from_value(value).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal(cells: Value) -> Value {
        json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    }

    fn parse(value: Value) -> Result<IpynbNotebook, IpynbError> {
        IpynbNotebook::from_value(value)
    }

    fn parse_err(value: Value) -> String {
        parse(value).unwrap_err().to_string()
    }

    #[test]
    fn split_lines_matches_python_splitlines_keepends() {
        // Expected values from Python: [repr(s.splitlines(True)) for s in ...].
        assert_eq!(split_lines(""), Vec::<&str>::new());
        assert_eq!(split_lines("a"), vec!["a"]);
        assert_eq!(split_lines("a\n"), vec!["a\n"]);
        assert_eq!(split_lines("a\n\nb"), vec!["a\n", "\n", "b"]);
        assert_eq!(split_lines("a\r\nb\rc"), vec!["a\r\n", "b\r", "c"]);
        assert_eq!(split_lines("\r\r\n"), vec!["\r", "\r\n"]);
        assert_eq!(
            split_lines("a\x0bb\x0cc\x1cd\u{85}e\u{2028}f\u{2029}"),
            vec![
                "a\x0b",
                "b\x0c",
                "c\x1c",
                "d\u{85}",
                "e\u{2028}",
                "f\u{2029}"
            ]
        );
        assert_eq!(split_lines("tab\tstays"), vec!["tab\tstays"]);
    }

    #[test]
    fn sources_may_be_strings_or_lists_and_are_written_as_lines() {
        let nb = parse(minimal(json!([
            {"cell_type": "code", "id": "a", "metadata": {}, "source": "x = 1\ny = 2",
             "outputs": [], "execution_count": null},
            {"cell_type": "markdown", "id": "b", "metadata": {}, "source": ["# T\n", "text"]},
        ])))
        .unwrap();
        assert_eq!(nb.cells[0].source, "x = 1\ny = 2");
        assert_eq!(nb.cells[1].source, "# T\ntext");
        let written = nb.to_value();
        assert_eq!(written["cells"][0]["source"], json!(["x = 1\n", "y = 2"]));
        assert_eq!(written["cells"][1]["source"], json!(["# T\n", "text"]));
        assert!(written["cells"][1].get("attachments").is_none());
    }

    #[test]
    fn unknown_parts_survive_and_are_reported() {
        let original = json!({
            "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"ext": {"deep": [1, {"x": null}]}, "kernelspec":
                {"name": "k", "display_name": "K", "language": "rust"}},
            "cells": [{
                "cell_type": "code", "id": "c1", "metadata": {"mine": true},
                "source": [], "execution_count": 3, "future_cell_field": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a"],
                             "future_output_field": {"y": 2}}],
            }],
            "future_top": "kept",
        });
        let nb = parse(original.clone()).unwrap();
        assert_eq!(nb.to_value(), original);
        let problems: Vec<String> = nb.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems,
            vec![
                "nbformat 4.5 does not allow a field \"future_top\" in a notebook",
                "cells[0]: nbformat 4.5 does not allow a field \"future_cell_field\" in a code cell",
                "cells[0].outputs[0]: nbformat 4.5 does not allow a field \"future_output_field\" in a stream output",
            ]
        );
    }

    #[test]
    fn mime_bundles_join_text_and_keep_json() {
        let nb = parse(minimal(json!([{
            "cell_type": "code", "id": "c", "metadata": {}, "source": "", "execution_count": 1,
            "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                "data": {"text/plain": ["a\n", "b"], "image/png": ["iVBO", "Rw=="],
                         "application/json": ["stays", "a", "list"],
                         "application/x.y+json": {"k": 1}}}],
        }])))
        .unwrap();
        let IpynbCellKind::Code { outputs, .. } = &nb.cells[0].kind else {
            panic!("a code cell")
        };
        let IpynbOutputKind::ExecuteResult { data, .. } = &outputs[0].kind else {
            panic!("an execute_result")
        };
        assert_eq!(data["text/plain"], MimeData::Text("a\nb".into()));
        assert_eq!(data["image/png"], MimeData::Text("iVBORw==".into()));
        assert_eq!(
            data["application/json"],
            MimeData::Json(json!(["stays", "a", "list"]))
        );
        let written = &nb.to_value()["cells"][0]["outputs"][0]["data"];
        // Like nbformat: text/* as lines, base64 as one string, JSON untouched.
        assert_eq!(written["text/plain"], json!(["a\n", "b"]));
        assert_eq!(written["image/png"], json!("iVBORw=="));
        assert_eq!(written["application/json"], json!(["stays", "a", "list"]));
        assert_eq!(written["application/x.y+json"], json!({"k": 1}));
    }

    #[test]
    fn old_minor_versions_are_upgraded_with_stable_unique_ids() {
        let old = json!({"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "same"},
            {"cell_type": "markdown", "metadata": {}, "source": "same"},
            {"cell_type": "raw", "metadata": {}, "source": ""},
        ]});
        let nb = parse(old.clone()).unwrap();
        assert_eq!(nb.upgraded_from, Some(2));
        assert_eq!(nb.nbformat_minor, 5);
        let ids: Vec<&str> = nb.cells.iter().map(|c| c.id.as_str()).collect();
        assert!(ids.iter().all(|id| is_valid_cell_id(id) && id.len() == 8));
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 3);
        assert_eq!(parse(old).unwrap(), nb, "the same file gets the same ids");
        assert!(nb.problems().is_empty());
        assert_eq!(nb.to_value()["nbformat_minor"], json!(5));
    }

    #[test]
    fn repeated_ids_are_repaired_and_the_first_keeps_its_id() {
        let nb = parse(minimal(json!([
            {"cell_type": "raw", "id": "x", "metadata": {}, "source": "1"},
            {"cell_type": "raw", "id": "x", "metadata": {}, "source": "2"},
        ])))
        .unwrap();
        assert_eq!(nb.cells[0].id, "x");
        assert_ne!(nb.cells[1].id, "x");
        assert!(nb.problems().is_empty());
    }

    #[test]
    fn cell_ids_are_checked() {
        assert!(is_valid_cell_id("a-Z_9"));
        assert!(!is_valid_cell_id(""));
        assert!(!is_valid_cell_id("a b"));
        assert!(!is_valid_cell_id("é"));
        assert!(is_valid_cell_id(&"a".repeat(64)));
        assert!(!is_valid_cell_id(&"a".repeat(65)));
        let message = parse_err(minimal(json!([
            {"cell_type": "raw", "id": "no spaces", "metadata": {}, "source": ""}
        ])));
        assert!(message.starts_with("cells[0].id: \"no spaces\" is not a valid cell id"));
        let mut nb = IpynbNotebook::new();
        nb.cells.push(IpynbCell::new(
            "ok",
            IpynbCellKind::Raw { attachments: None },
            "",
        ));
        nb.cells.push(IpynbCell::new(
            "ok",
            IpynbCellKind::Raw { attachments: None },
            "",
        ));
        nb.cells.push(IpynbCell::new(
            "not ok",
            IpynbCellKind::Raw { attachments: None },
            "",
        ));
        let problems: Vec<String> = nb.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("cells[1].id: \"ok\" is the id of an earlier cell"));
        assert!(problems[1].starts_with("cells[2].id: \"not ok\" is not a valid"));
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            parse_err(json!([])),
            "a notebook must be an object, not a list"
        );
        assert!(IpynbNotebook::parse("{\"nbformat\": 4,")
            .unwrap_err()
            .to_string()
            .starts_with("not JSON: "));
        assert_eq!(
            parse_err(json!({"nbformat": 4, "metadata": {}, "cells": []})),
            "missing field \"nbformat_minor\""
        );
        assert!(parse_err(
            json!({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": []})
        )
        .starts_with("nbformat: this is an nbformat 3 notebook"));
        assert_eq!(
            parse_err(json!({"nbformat": 4, "nbformat_minor": 6, "metadata": {}, "cells": []})),
            "nbformat_minor: nbformat 4.6 is newer than wirebook understands (4.0 to 4.5)"
        );
        assert_eq!(
            parse_err(minimal(
                json!([{"cell_type": "code", "id": "a", "metadata": {},
                "source": ["ok", 3], "outputs": [], "execution_count": null}])
            )),
            "cells[0].source[1]: must be a string, not a number"
        );
        assert_eq!(
            parse_err(minimal(
                json!([{"cell_type": "code", "id": "a", "metadata": {},
                "source": "", "outputs": [], "execution_count": -1}])
            )),
            "cells[0].execution_count: must be null or an integer from 0 to 4294967295, not -1"
        );
        assert_eq!(
            parse_err(minimal(
                json!([{"cell_type": "code", "id": "a", "metadata": {},
                "source": "", "execution_count": null}])
            )),
            "cells[0]: missing field \"outputs\""
        );
        assert_eq!(
            parse_err(minimal(json!([{"cell_type": "code", "id": "a", "metadata": {},
                "source": "", "execution_count": null, "outputs": [
                    {"output_type": "display_data", "metadata": {},
                     "data": {"image/png": {"not": "text"}}}]}]))),
            "cells[0].outputs[0].data[\"image/png\"]: must be a string or a list of strings, not an object"
        );
        assert_eq!(
            parse_err(minimal(
                json!([{"cell_type": "code", "id": "a", "metadata": {},
                "source": "", "execution_count": null, "outputs": [
                    {"output_type": "error", "ename": "E", "evalue": "v"}]}])
            )),
            "cells[0].outputs[0]: missing field \"traceback\""
        );
        assert!(parse_err(minimal(
            json!([{"cell_type": "code", "id": "a", "metadata": {},
            "source": "", "execution_count": null, "outputs": [{"output_type": "clear"}]}])
        ))
        .starts_with("cells[0].outputs[0].output_type: unknown output type \"clear\""));
        assert!(parse_err(minimal(
            json!([{"cell_type": "heading", "metadata": {}, "source": ""}])
        ))
        .starts_with("cells[0].cell_type: unknown cell type \"heading\""));
        assert_eq!(
            parse_err(json!({"nbformat": 4, "nbformat_minor": 5, "cells": [],
                "metadata": {"kernelspec": {"name": "python3"}}})),
            "metadata.kernelspec: missing field \"display_name\""
        );
        assert_eq!(
            parse_err(minimal(json!([{"cell_type": "markdown", "id": "a", "metadata": {},
                "source": "", "attachments": {"a.png": {"image/png": 5}}}]))),
            "cells[0].attachments[\"a.png\"][\"image/png\"]: must be a string or a list of strings, not a number"
        );
    }

    #[test]
    fn metadata_problems_are_found() {
        let nb = parse(json!({"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"language_info": {"mimetype": 1}, "title": 2,
                "wirebook": {"kernel": {"kind": "websocket", "url": "ws://u:p@h/"}}},
            "cells": [{"cell_type": "code", "id": "a", "source": "", "outputs": [],
                "execution_count": null, "metadata": {"tags": ["a", "a", "b,c"],
                "scrolled": "sometimes", "collapsed": 1, "execution": {"t": 1}, "name": ""}}]}))
        .unwrap();
        let problems: Vec<String> = nb.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems,
            vec![
                "metadata.language_info: needs a string \"name\"",
                "metadata.language_info.mimetype: must be a string",
                "metadata.title: must be a string",
                "metadata.wirebook.kernel.url: the URL has credentials (user:password@): notebooks get shared, so keep secrets out of them",
                "cells[0].metadata.tags[1]: the tag \"a\" is repeated",
                "cells[0].metadata.tags[2]: a tag must be non-empty and have no comma",
                "cells[0].metadata.name: must be a non-empty string",
                "cells[0].metadata.collapsed: must be true or false",
                "cells[0].metadata.scrolled: must be true, false or \"auto\"",
                "cells[0].metadata.execution.t: must be a string",
            ]
        );
    }

    #[test]
    fn secrets_in_kernel_urls_are_spotted() {
        assert_eq!(url_secret("ws://127.0.0.1:8765/"), None);
        assert_eq!(url_secret("wss://example.com/a?x=1#frag"), None);
        assert!(url_secret("ws://user:pw@example.com/").is_some());
        assert!(url_secret("ws://example.com/api?token=abc").is_some());
        assert!(url_secret("ws://example.com/?x=1&API_KEY=abc").is_some());
        assert_eq!(url_secret("ws://example.com/a@b"), None, "@ in the path");
    }

    #[test]
    fn wirebook_settings_are_typed_and_kept() {
        let mut nb = IpynbNotebook::new();
        nb.metadata.wirebook = Some(WirebookMetadata {
            kernel: Some(WirebookKernel::websocket("ws://127.0.0.1:9/")),
            extra: JsonMap::new(),
        });
        let value = nb.to_value();
        assert_eq!(
            value["metadata"]["wirebook"],
            json!({"kernel": {"kind": "websocket", "url": "ws://127.0.0.1:9/"}})
        );
        assert_eq!(parse(value).unwrap(), nb);
        assert!(
            parse_err(json!({"nbformat": 4, "nbformat_minor": 5, "cells": [],
                "metadata": {"wirebook": {"kernel": {"kind": "websocket", "url": 5}}}}))
            .starts_with("metadata.wirebook.kernel.url: must be a string")
        );
    }

    #[test]
    fn wire_messages_round_trip_through_outputs() {
        let text = WireData::Text {
            text: "hai\nthere".into(),
        };
        let binary = WireData::binary(&[0, 255, 16]);
        for data in [&text, &binary] {
            let output = IpynbOutput::from_wire(data);
            assert_eq!(output.wire_data().as_ref(), Some(data));
            // ... also through the file.
            let mut nb = IpynbNotebook::new();
            nb.cells.push(IpynbCell::new(
                "c",
                IpynbCellKind::Code {
                    execution_count: Some(1),
                    outputs: vec![output],
                },
                "x",
            ));
            let back = IpynbNotebook::parse(&nb.to_json()).unwrap();
            let IpynbCellKind::Code { outputs, .. } = &back.cells[0].kind else {
                panic!("a code cell")
            };
            assert_eq!(outputs[0].wire_data().as_ref(), Some(data));
            assert!(back.problems().is_empty());
        }
        let IpynbOutputKind::DisplayData { data, .. } = IpynbOutput::from_wire(&binary).kind else {
            panic!("display_data")
        };
        assert_eq!(
            data["application/octet-stream"],
            MimeData::Text("AP8Q".into())
        );
        assert_eq!(
            data["text/plain"].as_text().unwrap(),
            "binary message, 3 bytes: 00ff10"
        );
        let plain = IpynbOutput::new(IpynbOutputKind::Stream {
            name: "stdout".into(),
            text: "x".into(),
        });
        assert_eq!(plain.wire_data(), None);
    }

    #[test]
    fn serde_goes_through_the_same_reader_and_writer() {
        let nb: IpynbNotebook = serde_json::from_value(minimal(json!([
            {"cell_type": "raw", "id": "r", "metadata": {}, "source": "a\nb"}
        ])))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&nb).unwrap()["cells"][0]["source"],
            json!(["a\n", "b"])
        );
        let err = serde_json::from_value::<IpynbNotebook>(json!({"nbformat": 4})).unwrap_err();
        assert_eq!(err.to_string(), "missing field \"nbformat_minor\"");
    }

    #[test]
    fn writes_like_jupyter() {
        let mut nb = IpynbNotebook::new();
        nb.cells.push(IpynbCell::new(
            "c",
            IpynbCellKind::Markdown { attachments: None },
            "é\n",
        ));
        assert_eq!(
            nb.to_json(),
            "{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",\n   \"id\": \"c\",\n   \
             \"metadata\": {},\n   \"source\": [\n    \"é\\n\"\n   ]\n  }\n ],\n \"metadata\": {},\n \
             \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n"
        );
    }

    const OUTPUTS: &str = include_str!("../fixtures/ipynb/outputs_v4_5.ipynb");
    const LEGACY: &str = include_str!("../fixtures/ipynb/legacy_v4_4.ipynb");
    const EMPTY: &str = include_str!("../fixtures/ipynb/empty_v4_5.ipynb");

    #[test]
    fn jupyter_written_notebooks_round_trip_byte_for_byte() {
        for (name, text) in [("outputs_v4_5", OUTPUTS), ("empty_v4_5", EMPTY)] {
            let nb = IpynbNotebook::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(nb.upgraded_from, None);
            assert!(nb.problems().is_empty(), "{name}: {:?}", nb.problems());
            let original: Value = serde_json::from_str(text).unwrap();
            assert_eq!(nb.to_value(), original, "{name}: semantic round trip");
            assert_eq!(
                nb.to_json(),
                text,
                "{name}: the same bytes as nbformat wrote"
            );
        }
    }

    #[test]
    fn the_outputs_fixture_reads_as_jupyter_meant_it() {
        let nb = IpynbNotebook::parse(OUTPUTS).unwrap();
        let kernelspec = nb.metadata.kernelspec.as_ref().unwrap();
        assert_eq!(kernelspec.name, "python3");
        assert_eq!(kernelspec.extra["language"], json!("python"));
        assert_eq!(nb.metadata.extra["language_info"]["name"], json!("python"));
        let wirebook = nb.metadata.wirebook.as_ref().unwrap();
        assert_eq!(
            wirebook.kernel.as_ref().unwrap().url.as_deref(),
            Some("ws://127.0.0.1:8765/")
        );
        assert_eq!(wirebook.extra["from_a_future_wirebook"], json!(true));

        let IpynbCellKind::Markdown {
            attachments: Some(attachments),
        } = &nb.cells[0].kind
        else {
            panic!("a markdown cell with an attachment")
        };
        let png = attachments["dot.png"]["image/png"].as_text().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png)
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
        assert_eq!(
            nb.cells[1].source,
            "crlf line\r\nbare cr\rform\x0cfeed\u{2028}line separator\nlast"
        );

        let outputs: Vec<&IpynbOutput> = nb
            .cells
            .iter()
            .filter_map(|cell| match &cell.kind {
                IpynbCellKind::Code { outputs, .. } => Some(outputs),
                _ => None,
            })
            .flatten()
            .collect();
        let kinds: Vec<&str> = outputs.iter().map(|o| o.kind.name()).collect();
        assert_eq!(
            kinds,
            [
                "stream",
                "stream",
                "execute_result",
                "display_data",
                "display_data",
                "error"
            ]
        );
        assert_eq!(
            outputs[0].kind,
            IpynbOutputKind::Stream {
                name: "stdout".into(),
                text: "hello, wire\ntwo\nlines\nno newline".into()
            }
        );
        let IpynbOutputKind::ExecuteResult {
            execution_count,
            data,
            ..
        } = &outputs[2].kind
        else {
            panic!("execute_result")
        };
        assert_eq!(*execution_count, Some(2));
        assert_eq!(data["text/plain"], MimeData::Text("42".into()));
        let IpynbOutputKind::DisplayData { data, metadata } = &outputs[3].kind else {
            panic!("display_data")
        };
        assert!(data.contains_key("image/png"));
        assert_eq!(metadata["width"], json!(40));
        let IpynbOutputKind::DisplayData { data, .. } = &outputs[4].kind else {
            panic!("display_data")
        };
        assert_eq!(
            data["application/vnd.wirebook.test+json"],
            MimeData::Json(json!(["any", {"json": true}]))
        );
        assert_eq!(
            data["text/x-unknown-to-wirebook"],
            MimeData::Text("kept as is\n".into())
        );
        let IpynbOutputKind::Error {
            ename, traceback, ..
        } = &outputs[5].kind
        else {
            panic!("error")
        };
        assert_eq!(ename, "ZeroDivisionError");
        assert!(traceback.iter().any(|line| line.contains("\x1b[")));
    }

    #[test]
    fn a_jupyter_written_4_4_notebook_is_upgraded_and_otherwise_unchanged() {
        let nb = IpynbNotebook::parse(LEGACY).unwrap();
        assert_eq!(nb.upgraded_from, Some(4));
        assert!(nb.problems().is_empty(), "{:?}", nb.problems());
        let mut written = nb.to_value();
        assert_eq!(written["nbformat_minor"], json!(5));
        // Undo the documented normalisation; what is left must be the file as read.
        written["nbformat_minor"] = json!(4);
        for cell in written["cells"].as_array_mut().unwrap() {
            let id = cell.as_object_mut().unwrap().remove("id").unwrap();
            assert!(is_valid_cell_id(id.as_str().unwrap()));
        }
        assert_eq!(written, serde_json::from_str::<Value>(LEGACY).unwrap());
    }

    /// Found by fuzzing (tests/fuzz_parsers.rs): serde_json's default float parser read this
    /// number one ulp off, so its value changed on every load and save.
    #[test]
    fn a_float_keeps_its_value_through_load_and_save() {
        let text = r#"{"nbformat": 4, "nbformat_minor": 5, "cells": [],
            "metadata": {"x": [4.504312677760839e-154, 8.780449354099585e-275]}}"#;
        let nb = IpynbNotebook::parse(text).unwrap();
        let bits = |nb: &IpynbNotebook| -> Vec<u64> {
            nb.metadata.extra["x"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap().to_bits())
                .collect()
        };
        let exact = [4.504312677760839e-154_f64, 8.780449354099585e-275];
        assert_eq!(bits(&nb), exact.map(f64::to_bits));
        let again = IpynbNotebook::parse(&nb.to_json()).unwrap();
        assert_eq!(bits(&again), exact.map(f64::to_bits));
        assert_eq!(again, nb);
    }
}
