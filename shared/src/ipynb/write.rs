//! Writing a `.ipynb` document the way Jupyter does: keys sorted, one-space indent, multi-line
//! text as lists of lines.

use serde::Serialize;
use serde_json::Value;

use crate::sorting::sort_by;

use super::lines::lines_value;
use super::mime::{attachments_value, bundle_value};
use super::{
    IpynbCell, IpynbCellKind, IpynbNotebook, IpynbOutput, IpynbOutputKind, JsonMap,
    NotebookMetadata, WIREBOOK_KEY,
};

impl IpynbNotebook {
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
}

/// Rebuilds every object with its keys in order, whatever map type serde_json was built with
/// (its `preserve_order` feature keeps insertion order instead).
pub(super) fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
            // Inserted one by one: collecting into a map compiles another sort into the wasm.
            let mut out = JsonMap::new();
            for (key, value) in entries {
                out.insert(key, sorted(value));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

pub(super) fn notebook_metadata_value(metadata: &NotebookMetadata) -> Value {
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

impl IpynbCell {
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

pub(super) fn count_value(count: Option<u32>) -> Value {
    count.map_or(Value::Null, Value::from)
}

impl IpynbOutput {
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
}
