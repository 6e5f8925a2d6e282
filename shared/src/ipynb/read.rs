//! Reading a `.ipynb` document: nbformat 4.0 to 4.5 upgraded to 4.5, each field checked with
//! the path of what is wrong, everything not interpreted kept in `extra` maps.

use std::collections::HashSet;

use serde_json::Value;

use super::cell_id::{is_valid_cell_id, new_cell_id};
use super::lines::multiline;
use super::mime::{parse_attachments, parse_bundle};
use super::{
    error, field, object_at, type_name, IpynbCell, IpynbCellKind, IpynbError, IpynbNotebook,
    IpynbOutput, IpynbOutputKind, JsonMap, KernelSpec, NotebookMetadata, WirebookKernel,
    WirebookMetadata, NBFORMAT, NBFORMAT_MINOR, WIREBOOK_KEY,
};

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
        let at = self.at(key);
        object_at(self.required(key)?, &at)
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

impl IpynbNotebook {
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
}

pub(super) fn parse_notebook_metadata(map: JsonMap) -> Result<NotebookMetadata, IpynbError> {
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

/// Returns the cell and whether the file gave it an id.
pub(super) fn parse_cell(value: Value, index: usize) -> Result<(IpynbCell, bool), IpynbError> {
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

pub(super) fn parse_output(value: Value, at: &str) -> Result<IpynbOutput, IpynbError> {
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

impl IpynbOutput {
    /// An output from its nbformat JSON (`{"output_type": …}`), e.g. a Jupyter iopub message's
    /// content with its `msg_type` as `output_type`.
    pub fn from_value(value: Value) -> Result<Self, IpynbError> {
        parse_output(value, "")
    }
}
