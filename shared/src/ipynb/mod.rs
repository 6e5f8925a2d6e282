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
//!
//! This module holds the document's types; reading (`read`), writing (`write`), the schema
//! check (`schema`), multi-line strings (`lines`), mime bundles (`mime`), cell ids
//! (`cell_id`) and outputs that hold WebSocket messages (`wire_output`) have modules of
//! their own.

mod cell_id;
mod lines;
mod mime;
mod read;
mod schema;
#[cfg(test)]
mod tests;
mod wire_output;
mod write;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use cell_id::{is_valid_cell_id, new_cell_id};
pub use lines::split_lines;
pub use mime::is_json_mime;
pub use schema::url_secret;

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

/// `value` as a JSON object, or the error that says what it is instead.
fn object_at(value: Value, at: &str) -> Result<JsonMap, IpynbError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(error(
            at,
            format!("must be an object, not {}", type_name(&other)),
        )),
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
}

impl Default for IpynbNotebook {
    fn default() -> Self {
        Self::new()
    }
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
