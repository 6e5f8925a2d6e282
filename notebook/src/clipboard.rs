//! Cells on the system clipboard, so that they can be copied between wirebook tabs and to and
//! from Jupyter.
//!
//! The notebook keeps its own clipboard of cells (Jupyter's `c`/`x`/`v` work without the
//! browser's permission); the UI mirrors copies to the system clipboard in the forms
//! [`ClipboardCells`] holds, and turns pasted text back into cells with
//! [`cells_from_clipboard`].
//!
//! What is written (all three together, as the classic Jupyter Notebook 5/6 does):
//! - `text/plain`: the cells' sources separated by a blank line, for pasting into an editor;
//! - `text/html`: the cells as an nbformat JSON list inside
//!   `<pre class="jupyter-nb-cells-json">…</pre>` — the classic Notebook's format, which it
//!   reads back on paste (and which Firefox keeps, unlike custom types). `<`, `>` and `&` are
//!   written as JSON `\u` escapes so the HTML shows as text wherever it lands;
//! - [`CELLS_MIME`]: `{"cells":[…]}`, nbformat 4.5 cells, for browsers that keep custom types.
//!
//! What is read: any of the above; a whole `.ipynb` document; and a bare JSON list of nbformat
//! cells, which is what JupyterLab (up to 4.x) puts under `application/vnd.jupyter.cells` in its
//! in-page clipboard and drag data, and what the classic Notebook writes as `application/json`.
//! JupyterLab 4.x does not itself write cells to the system clipboard, so copying cells from
//! JupyterLab into wirebook works only where a browser or extension exposes that data.
//! Cell ids are not kept: pasted cells get fresh ids, as in Jupyter.

use serde_json::{Map, Value};

use wirebook_shared::ipynb::{IpynbCell, IpynbNotebook};

/// The clipboard type of wirebook's own cell data: `{"cells":[…]}` with nbformat 4.5 cells.
pub const CELLS_MIME: &str = "application/x-wirebook-cells+json";

/// The type JupyterLab uses for a list of nbformat cells (drag and drop, in-page clipboard).
pub const JUPYTER_CELLS_MIME: &str = "application/vnd.jupyter.cells";

/// The classic Notebook's wrapper of cell JSON in `text/html`.
const HTML_PREFIX: &str = "<pre class=\"jupyter-nb-cells-json\">";
const HTML_SUFFIX: &str = "</pre>";

/// Cells as the clipboard carries them, one text per clipboard type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipboardCells {
    /// `text/plain`: the sources, separated by a blank line.
    pub plain: String,
    /// `text/html`: the classic Notebook's `<pre class="jupyter-nb-cells-json">` form.
    pub html: String,
    /// [`CELLS_MIME`]: `{"cells":[…]}`.
    pub json: String,
}

/// Why pasted text gave no cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipboardError {
    /// The text is not cell data (e.g. ordinary text): not an error to show, just not cells.
    NotCells,
    /// It looked like cell data but a cell is malformed.
    Invalid(String),
}

impl std::fmt::Display for ClipboardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClipboardError::NotCells => f.write_str("the clipboard holds no notebook cells"),
            ClipboardError::Invalid(why) => write!(f, "the clipboard's cells are invalid: {why}"),
        }
    }
}

impl std::error::Error for ClipboardError {}

/// The clipboard forms of `cells` (in nbformat 4.5, outputs included).
pub fn cells_to_clipboard(cells: &[IpynbCell]) -> ClipboardCells {
    let mut document = IpynbNotebook::new();
    document.cells = cells.to_vec();
    let list = match document.to_value() {
        Value::Object(mut top) => top.remove("cells").unwrap_or(Value::Array(Vec::new())),
        _ => Value::Array(Vec::new()),
    };
    let list_json = html_safe(&list.to_string());
    let mut wrapper = Map::new();
    wrapper.insert("cells".into(), list);
    ClipboardCells {
        plain: cells
            .iter()
            .map(|c| c.source.as_str())
            .collect::<Vec<_>>()
            .join("\n\n"),
        html: format!("{HTML_PREFIX}{list_json}{HTML_SUFFIX}"),
        json: Value::Object(wrapper).to_string(),
    }
}

/// JSON text with `<`, `>` and `&` escaped as `\u003c`…: still the same JSON, and inert in HTML.
/// Those characters can only occur inside JSON strings, where the escapes mean the same.
fn html_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The cells in pasted text, in any form the module docs list. Ids are dropped (the notebook
/// gives pasted cells new ones); a missing `metadata` or code cell `outputs` is tolerated.
pub fn cells_from_clipboard(text: &str) -> Result<Vec<IpynbCell>, ClipboardError> {
    let text = text.trim();
    let json = match (text.find(HTML_PREFIX), text.rfind(HTML_SUFFIX)) {
        (Some(start), Some(end)) if start + HTML_PREFIX.len() <= end => {
            &text[start + HTML_PREFIX.len()..end]
        }
        _ => text,
    };
    if !(json.starts_with('{') || json.starts_with('[')) {
        return Err(ClipboardError::NotCells);
    }
    let value: Value = serde_json::from_str(json).map_err(|_| ClipboardError::NotCells)?;
    let list = match value {
        Value::Array(list) => list,
        Value::Object(mut top) => {
            if top.contains_key("nbformat") {
                // A whole notebook: read it as a file, with its own nbformat version.
                let document = IpynbNotebook::from_value(Value::Object(top))
                    .map_err(|e| ClipboardError::Invalid(e.to_string()))?;
                return Ok(document.cells);
            }
            match top.remove("cells") {
                Some(Value::Array(list)) => list,
                _ => return Err(ClipboardError::NotCells),
            }
        }
        _ => return Err(ClipboardError::NotCells),
    };
    if list.is_empty() {
        return Err(ClipboardError::NotCells);
    }
    let mut cells = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(mut cell) = item else {
            return Err(ClipboardError::NotCells);
        };
        if !cell.contains_key("cell_type") {
            return Err(ClipboardError::NotCells);
        }
        cell.remove("id");
        cell.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if cell.get("cell_type").and_then(Value::as_str) == Some("code") {
            cell.entry("outputs")
                .or_insert_with(|| Value::Array(Vec::new()));
            cell.entry("execution_count").or_insert(Value::Null);
        }
        cells.push(Value::Object(cell));
    }
    let mut top = Map::new();
    top.insert("nbformat".into(), Value::from(4));
    top.insert("nbformat_minor".into(), Value::from(5));
    top.insert("metadata".into(), Value::Object(Map::new()));
    top.insert("cells".into(), Value::Array(cells));
    let document = IpynbNotebook::from_value(Value::Object(top))
        .map_err(|e| ClipboardError::Invalid(e.to_string()))?;
    Ok(document.cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::ipynb::IpynbCellKind;

    fn cells() -> Vec<IpynbCell> {
        vec![
            IpynbCell::new(
                "a1",
                IpynbCellKind::Code {
                    execution_count: Some(2),
                    outputs: Vec::new(),
                },
                "if a < b && c > d:\n    print('</pre>')",
            ),
            IpynbCell::new(
                "b2",
                IpynbCellKind::Markdown { attachments: None },
                "# Title",
            ),
        ]
    }

    /// The cells as they come back: without their ids.
    fn without_ids(cells: Vec<IpynbCell>) -> Vec<(String, &'static str, Option<u32>)> {
        cells
            .into_iter()
            .map(|c| {
                let count = match c.kind {
                    IpynbCellKind::Code {
                        execution_count, ..
                    } => execution_count,
                    _ => None,
                };
                (c.source, c.kind.name(), count)
            })
            .collect()
    }

    #[test]
    fn every_written_form_reads_back() {
        let clip = cells_to_clipboard(&cells());
        assert_eq!(
            clip.plain,
            "if a < b && c > d:\n    print('</pre>')\n\n# Title"
        );
        assert!(clip.html.starts_with(HTML_PREFIX) && clip.html.ends_with(HTML_SUFFIX));
        let inner = &clip.html[HTML_PREFIX.len()..clip.html.len() - HTML_SUFFIX.len()];
        assert!(
            !inner.contains('<') && !inner.contains('>') && !inner.contains('&'),
            "inert as HTML: {inner}"
        );
        let expected = without_ids(cells());
        assert_eq!(
            without_ids(cells_from_clipboard(&clip.html).unwrap()),
            expected
        );
        assert_eq!(
            without_ids(cells_from_clipboard(&clip.json).unwrap()),
            expected
        );
        let ids: Vec<String> = cells_from_clipboard(&clip.json)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert!(ids.iter().all(|id| id != "a1" && id != "b2"));
        // A browser may wrap the HTML it hands back.
        let wrapped = format!(
            "<html><body><!--StartFragment-->{}<!--EndFragment--></body></html>",
            clip.html
        );
        assert_eq!(
            without_ids(cells_from_clipboard(&wrapped).unwrap()),
            expected
        );
    }

    #[test]
    fn jupyter_forms_read_too() {
        // JupyterLab's application/vnd.jupyter.cells and the classic Notebook's
        // application/json: a bare list, sources as lists of lines, ids optional.
        let lab = r#"[
            {"cell_type":"code","execution_count":null,"id":"x","metadata":{"tags":["t"]},
             "outputs":[],"source":["import os\n","os.getcwd()"]},
            {"cell_type":"raw","metadata":{},"source":"raw text"}
        ]"#;
        let cells = cells_from_clipboard(lab).unwrap();
        assert_eq!(cells[0].source, "import os\nos.getcwd()");
        assert_eq!(cells[0].metadata["tags"], serde_json::json!(["t"]));
        assert_eq!(cells[1].kind.name(), "raw");
        // Lenient about what Jupyter itself always writes but a hand-made list may lack.
        let sparse = r#"[{"cell_type":"code","source":"x","id":"not valid!"}]"#;
        assert_eq!(cells_from_clipboard(sparse).unwrap()[0].source, "x");
        // A whole notebook file.
        let document = r#"{"nbformat":4,"nbformat_minor":4,"metadata":{},
            "cells":[{"cell_type":"markdown","metadata":{},"source":"hi"}]}"#;
        assert_eq!(cells_from_clipboard(document).unwrap()[0].source, "hi");
    }

    #[test]
    fn other_text_is_not_cells_and_broken_cells_are_reported() {
        for text in [
            "print(1)",
            "",
            "42",
            "{\"a\":1}",
            "[]",
            "[1,2]",
            "[{\"source\":\"x\"}]",
            "{\"cells\":[]}",
        ] {
            assert_eq!(
                cells_from_clipboard(text),
                Err(ClipboardError::NotCells),
                "{text}"
            );
        }
        let bad = r#"[{"cell_type":"code","source":"x","outputs":"no"}]"#;
        assert!(matches!(
            cells_from_clipboard(bad),
            Err(ClipboardError::Invalid(why)) if why.contains("outputs")
        ));
        let unknown = r#"[{"cell_type":"sql","source":"x"}]"#;
        assert!(matches!(
            cells_from_clipboard(unknown),
            Err(ClipboardError::Invalid(_))
        ));
        let newer = r#"{"nbformat":5,"nbformat_minor":0,"metadata":{},"cells":[]}"#;
        assert!(matches!(
            cells_from_clipboard(newer),
            Err(ClipboardError::Invalid(_))
        ));
        assert!(ClipboardError::NotCells
            .to_string()
            .contains("no notebook cells"));
    }
}
