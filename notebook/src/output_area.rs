//! A code cell's live outputs, and how Jupyter's iopub messages change them.
//!
//! The rules are JupyterLab's output area: consecutive `stream` chunks of the same name merge
//! into one output, with `\r` overwriting the current line and `\b` erasing a character (ANSI
//! escapes are kept for the renderer); `display_data` remembers its `transient.display_id` so
//! that `update_display_data` can replace it later (in any cell); `clear_output` with
//! `wait: true` clears only when the next output arrives. WebSocket kernels' messages are
//! outputs too ([`CellOutput::Message`]).
//!
//! Bounded, and nothing dropped silently: a cell keeps [`MAX_OUTPUTS_PER_CELL`] outputs and a
//! stream output [`MAX_STREAM_BYTES`] of text; what gives way is counted on the cell
//! ([`Cell::outputs_dropped`], [`Cell::stream_bytes_dropped`]) and the view says how much.

use serde_json::Value;

use wirebook_shared::ipynb::{IpynbOutput, IpynbOutputKind, JsonMap};

use crate::cell::{Cell, CellOutput, InputPrompt, MAX_OUTPUTS_PER_CELL};

/// How much text one stream output keeps; the oldest whole lines give way first.
pub const MAX_STREAM_BYTES: usize = 512 * 1024;

/// Appends `output` to `cell`, clearing first when a `clear_output(wait=True)` is pending, and
/// dropping (and counting) the oldest output beyond the bound.
pub(crate) fn push(cell: &mut Cell, output: CellOutput) {
    take_pending_clear(cell);
    if cell.outputs.len() >= MAX_OUTPUTS_PER_CELL {
        cell.outputs.remove(0);
        cell.outputs_dropped += 1;
        if let Some(input) = &mut cell.input {
            input.position = input.position.saturating_sub(1);
        }
    }
    cell.outputs.push(output);
}

fn take_pending_clear(cell: &mut Cell) {
    if cell.clear_pending {
        cell.clear_pending = false;
        clear(cell);
    }
}

/// Clears what the run showed so far (outputs and the counts of what they dropped).
pub(crate) fn clear(cell: &mut Cell) {
    cell.outputs.clear();
    cell.outputs_dropped = 0;
    cell.stream_bytes_dropped = 0;
    if let Some(input) = &mut cell.input {
        input.position = 0;
    }
}

/// Applies one iopub (or stdin) message of the cell's run. Returns whether the cell changed.
/// `update_display_data` is not handled here: it concerns every cell (see
/// [`super::Notebook::kernel_message`]).
pub(crate) fn apply(cell: &mut Cell, msg_type: &str, content: &Value) -> bool {
    match msg_type {
        "stream" => {
            let name = str_field(content, "name").unwrap_or("stdout");
            let text = str_field(content, "text").unwrap_or("");
            stream(cell, name, text);
            true
        }
        "display_data" | "execute_result" | "error" => {
            let mut value = content.clone();
            let display_id = match value.as_object_mut() {
                Some(map) => {
                    let transient = map.remove("transient");
                    map.insert("output_type".into(), Value::from(msg_type));
                    transient
                        .as_ref()
                        .and_then(|t| t.get("display_id"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                }
                None => None,
            };
            let output = IpynbOutput::from_value(value).unwrap_or_else(|e| {
                // What cannot be read is still shown, as text saying why (and what came).
                IpynbOutput::new(IpynbOutputKind::Stream {
                    name: "stderr".into(),
                    text: format!("wirebook could not read this {msg_type} message: {e}\n"),
                })
            });
            push(cell, CellOutput::Jupyter { output, display_id });
            true
        }
        "clear_output" => {
            if content.get("wait").and_then(Value::as_bool) == Some(true) {
                cell.clear_pending = true;
            } else {
                cell.clear_pending = false;
                clear(cell);
            }
            true
        }
        "execute_input" => match content.get("execution_count").and_then(Value::as_u64) {
            Some(count) => {
                cell.execution_count = u32::try_from(count).ok();
                true
            }
            None => false,
        },
        "input_request" => {
            cell.input = Some(InputPrompt {
                prompt: str_field(content, "prompt").unwrap_or("").to_string(),
                password: content.get("password").and_then(Value::as_bool) == Some(true),
                answer: None,
                position: cell.outputs.len(),
            });
            true
        }
        _ => false,
    }
}

/// Replaces the data and metadata of every output of `cell` showing `display_id`.
pub(crate) fn update_display(cell: &mut Cell, display_id: &str, content: &Value) -> bool {
    let data = content.get("data").cloned().unwrap_or(Value::Null);
    let metadata = content
        .get("metadata")
        .cloned()
        .unwrap_or_else(|| Value::Object(JsonMap::new()));
    let mut changed = false;
    for output in &mut cell.outputs {
        let CellOutput::Jupyter {
            output,
            display_id: Some(id),
        } = output
        else {
            continue;
        };
        if id != display_id {
            continue;
        }
        // Read the new bundle the way a file's is read, as the output it replaces.
        let mut value = serde_json::json!({
            "output_type": output.kind.name(),
            "data": data,
            "metadata": metadata,
        });
        if let IpynbOutputKind::ExecuteResult {
            execution_count, ..
        } = output.kind
        {
            value["execution_count"] = execution_count.map_or(Value::Null, Value::from);
        }
        if let Ok(updated) = IpynbOutput::from_value(value) {
            output.kind = updated.kind;
            changed = true;
        }
    }
    changed
}

fn str_field<'a>(content: &'a Value, key: &str) -> Option<&'a str> {
    content.get(key).and_then(Value::as_str)
}

/// A stream chunk: merged into the last output when that is the same stream, else a new one.
fn stream(cell: &mut Cell, name: &str, text: &str) {
    take_pending_clear(cell);
    // An input prompt after the last output separates it from this chunk, as in Jupyter.
    let prompt_between = cell
        .input
        .as_ref()
        .is_some_and(|i| i.position == cell.outputs.len());
    if let Some(CellOutput::Jupyter { output, .. }) =
        cell.outputs.last_mut().filter(|_| !prompt_between)
    {
        if let IpynbOutputKind::Stream {
            name: last_name,
            text: last_text,
        } = &mut output.kind
        {
            if last_name == name {
                append_console_text(last_text, text);
                cell.stream_bytes_dropped += bound_stream(last_text);
                return;
            }
        }
    }
    let mut merged = String::new();
    append_console_text(&mut merged, text);
    let dropped = bound_stream(&mut merged);
    push(
        cell,
        CellOutput::Jupyter {
            output: IpynbOutput::new(IpynbOutputKind::Stream {
                name: name.to_string(),
                text: merged,
            }),
            display_id: None,
        },
    );
    cell.stream_bytes_dropped += dropped;
}

/// Appends `chunk` to console text, applying `\r` and `\b` to the current line as a terminal
/// (and JupyterLab) does. Only the last line can change, so only it is processed again. A `\r`
/// at the very end is kept: the next chunk decides whether it was a line end (`\r\n`) or a
/// return to the line's start.
pub fn append_console_text(text: &mut String, chunk: &str) {
    let line_start = text.rfind('\n').map_or(0, |i| i + 1);
    let mut tail = text.split_off(line_start);
    tail.push_str(chunk);
    let mut chars = tail.chars().peekable();
    let mut line = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\r' => match chars.peek() {
                Some('\n') => {}
                Some(_) => line.clear(),
                None => line.push('\r'),
            },
            '\u{8}' => {
                line.pop();
            }
            '\n' => {
                text.push_str(&line);
                text.push('\n');
                line.clear();
            }
            c => line.push(c),
        }
    }
    text.push_str(&line);
}

/// Cuts the oldest text of a stream beyond [`MAX_STREAM_BYTES`], at a line start when there is
/// one, and returns how many bytes went.
fn bound_stream(text: &mut String) -> u64 {
    if text.len() <= MAX_STREAM_BYTES {
        return 0;
    }
    let mut cut = text.len() - MAX_STREAM_BYTES;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    if let Some(newline) = text[cut..].find('\n') {
        if newline + 1 < text.len() - cut {
            cut += newline + 1;
        }
    }
    text.replace_range(..cut, "");
    cut as u64
}
