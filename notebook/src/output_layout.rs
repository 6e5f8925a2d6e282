//! How a code cell's outputs are laid out — whole, in a scrolled box, or hidden — as Jupyter
//! keeps it in the cell's metadata and as `O` and Shift+O toggle it.
//!
//! `collapsed: true` (and JupyterLab's `jupyter.outputs_hidden`) hides the outputs. `scrolled`
//! is `true` (a scrolled box), `false` (whole) or absent / `"auto"`: then, as the classic
//! Notebook's `auto_scroll_threshold`, outputs longer than [`AUTO_SCROLL_LINES`] lines are
//! scrolled. Lines are counted in the text an output shows (streams, tracebacks, `text/plain`,
//! a WebSocket message); images and HTML count as one line each, which keeps a figure from
//! being boxed.

use serde_json::Value;

use wirebook_shared::ipynb::{IpynbOutput, IpynbOutputKind, JsonMap, MimeData};
use wirebook_shared::session::WireData;

use crate::cell::{Cell, CellKind, CellOutput};

/// Outputs longer than this many lines are scrolled unless the cell says otherwise (the
/// classic Notebook's `OutputArea.auto_scroll_threshold`).
pub const AUTO_SCROLL_LINES: usize = 100;

/// How a cell's outputs are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLayout {
    Whole,
    Scrolled,
    Hidden,
}

/// What the cell's `scrolled` metadata asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scrolling {
    /// Absent or `"auto"`: by length.
    Auto,
    On,
    Off,
}

/// Whether the cell's outputs are hidden (`collapsed`, or JupyterLab's
/// `jupyter.outputs_hidden`).
pub fn hidden(metadata: &JsonMap) -> bool {
    metadata.get("collapsed").and_then(Value::as_bool) == Some(true)
        || metadata
            .get("jupyter")
            .and_then(|j| j.get("outputs_hidden"))
            .and_then(Value::as_bool)
            == Some(true)
}

pub fn scrolling(metadata: &JsonMap) -> Scrolling {
    match metadata.get("scrolled").and_then(Value::as_bool) {
        Some(true) => Scrolling::On,
        Some(false) => Scrolling::Off,
        None => Scrolling::Auto,
    }
}

/// How many lines the cell's outputs (saved and live) show; see the module's doc.
pub fn output_lines(cell: &Cell) -> usize {
    let saved: usize = cell.saved_outputs.iter().map(ipynb_lines).sum();
    let live: usize = cell
        .outputs
        .iter()
        .map(|output| match output {
            CellOutput::Message(WireData::Text { text }) => lines(text),
            // Sixteen bytes (32 hex digits) a row.
            CellOutput::Message(WireData::Binary { hex }) => hex.len().div_ceil(32).max(1),
            CellOutput::Jupyter { output, .. } => ipynb_lines(output),
        })
        .sum();
    saved + live
}

fn ipynb_lines(output: &IpynbOutput) -> usize {
    match &output.kind {
        IpynbOutputKind::Stream { text, .. } => lines(text),
        IpynbOutputKind::Error { traceback, .. } => {
            traceback.iter().map(|t| lines(t)).sum::<usize>().max(1)
        }
        IpynbOutputKind::DisplayData { data, .. } | IpynbOutputKind::ExecuteResult { data, .. } => {
            let rich = ["text/html", "text/markdown", "image/png", "image/svg+xml"]
                .iter()
                .any(|mime| data.contains_key(*mime));
            match data.get("text/plain").and_then(MimeData::as_text) {
                Some(text) if !rich => lines(text),
                _ => 1,
            }
        }
    }
}

fn lines(text: &str) -> usize {
    text.trim_end_matches('\n').split('\n').count()
}

/// How `cell`'s outputs are shown now.
pub fn layout(cell: &Cell) -> OutputLayout {
    if hidden(&cell.file.metadata) {
        return OutputLayout::Hidden;
    }
    match scrolling(&cell.file.metadata) {
        Scrolling::On => OutputLayout::Scrolled,
        Scrolling::Off => OutputLayout::Whole,
        Scrolling::Auto if output_lines(cell) > AUTO_SCROLL_LINES => OutputLayout::Scrolled,
        Scrolling::Auto => OutputLayout::Whole,
    }
}

/// `O`: hides the outputs of a code cell, or shows them again. Writes what JupyterLab writes:
/// `collapsed` and `jupyter.outputs_hidden` when hidden, neither when shown.
pub(crate) fn toggle_hidden(cell: &mut Cell) -> bool {
    if cell.kind != CellKind::Code {
        return false;
    }
    let hide = !hidden(&cell.file.metadata);
    let metadata = &mut cell.file.metadata;
    if hide {
        metadata.insert("collapsed".into(), Value::Bool(true));
        let jupyter = metadata
            .entry("jupyter")
            .or_insert_with(|| Value::Object(JsonMap::new()));
        if !jupyter.is_object() {
            *jupyter = Value::Object(JsonMap::new());
        }
        if let Value::Object(jupyter) = jupyter {
            jupyter.insert("outputs_hidden".into(), Value::Bool(true));
        }
    } else {
        metadata.remove("collapsed");
        if let Some(Value::Object(jupyter)) = metadata.get_mut("jupyter") {
            jupyter.remove("outputs_hidden");
            if jupyter.is_empty() {
                metadata.remove("jupyter");
            }
        }
    }
    true
}

/// Shift+O: a scrolled box becomes whole and the other way round, as the classic Notebook
/// toggles it (from "auto", the opposite of what the length decided). Shows hidden outputs
/// first, as there is nothing to scroll otherwise.
pub(crate) fn toggle_scrolled(cell: &mut Cell) -> bool {
    if cell.kind != CellKind::Code {
        return false;
    }
    if hidden(&cell.file.metadata) {
        toggle_hidden(cell);
    }
    let scrolled = layout(cell) == OutputLayout::Scrolled;
    cell.file
        .metadata
        .insert("scrolled".into(), Value::Bool(!scrolled));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Command, Notebook};
    use serde_json::json;

    fn code_cell(lines: usize) -> (Notebook, String) {
        let mut nb = Notebook::default();
        let id = nb.cells()[0].id.clone();
        let text: String = (0..lines).map(|i| format!("line {i}\n")).collect();
        nb.kernel_message(&id, "stream", &json!({"name": "stdout", "text": text}));
        (nb, id)
    }

    fn cell(nb: &Notebook, id: &str) -> Cell {
        nb.cell(id).unwrap().clone()
    }

    #[test]
    fn long_outputs_scroll_unless_the_cell_says_otherwise() {
        let (nb, id) = code_cell(AUTO_SCROLL_LINES);
        assert_eq!(output_lines(&cell(&nb, &id)), AUTO_SCROLL_LINES);
        assert_eq!(layout(&cell(&nb, &id)), OutputLayout::Whole);
        let (nb, id) = code_cell(3000);
        assert_eq!(layout(&cell(&nb, &id)), OutputLayout::Scrolled);
        let mut whole = cell(&nb, &id);
        whole.file.metadata.insert("scrolled".into(), json!(false));
        assert_eq!(layout(&whole), OutputLayout::Whole);
        let mut auto = cell(&nb, &id);
        auto.file.metadata.insert("scrolled".into(), json!("auto"));
        assert_eq!(layout(&auto), OutputLayout::Scrolled);
        let (nb, id) = code_cell(3);
        let mut short = cell(&nb, &id);
        short.file.metadata.insert("scrolled".into(), json!(true));
        assert_eq!(layout(&short), OutputLayout::Scrolled);
    }

    #[test]
    fn o_hides_and_shows_the_selected_cells_outputs_as_jupyterlab_writes_it() {
        let (mut nb, id) = code_cell(3);
        nb.cell_mut(&id)
            .unwrap()
            .file
            .metadata
            .insert("jupyter".into(), json!({"source_hidden": true}));
        nb.apply(Command::ToggleOutputs);
        let hidden_cell = cell(&nb, &id);
        assert_eq!(layout(&hidden_cell), OutputLayout::Hidden);
        assert_eq!(hidden_cell.file.metadata["collapsed"], json!(true));
        assert_eq!(
            hidden_cell.file.metadata["jupyter"],
            json!({"source_hidden": true, "outputs_hidden": true})
        );
        // Saved and read again, still hidden.
        let again = Notebook::from_ipynb(nb.to_ipynb());
        assert_eq!(layout(&again.cells()[0]), OutputLayout::Hidden);
        nb.apply(Command::ToggleOutputs);
        let shown = cell(&nb, &id);
        assert_eq!(layout(&shown), OutputLayout::Whole);
        assert!(shown.file.metadata.get("collapsed").is_none());
        assert_eq!(
            shown.file.metadata["jupyter"],
            json!({"source_hidden": true})
        );
    }

    #[test]
    fn shift_o_toggles_scrolling_from_what_the_length_decided() {
        let (mut nb, id) = code_cell(3000);
        nb.apply(Command::ToggleOutputScrolling);
        assert_eq!(cell(&nb, &id).file.metadata["scrolled"], json!(false));
        assert_eq!(layout(&cell(&nb, &id)), OutputLayout::Whole);
        nb.apply(Command::ToggleOutputScrolling);
        assert_eq!(layout(&cell(&nb, &id)), OutputLayout::Scrolled);
        let (mut short, id) = code_cell(2);
        short.apply(Command::ToggleOutputScrolling);
        assert_eq!(layout(&cell(&short, &id)), OutputLayout::Scrolled);
        // Hidden outputs are shown first.
        short.apply(Command::ToggleOutputs);
        short.apply(Command::ToggleOutputScrolling);
        assert_eq!(layout(&cell(&short, &id)), OutputLayout::Whole);
    }

    #[test]
    fn markdown_cells_have_no_outputs_to_toggle() {
        let mut nb = Notebook::default();
        nb.apply(Command::SetKind(CellKind::Markdown));
        nb.apply(Command::ToggleOutputs);
        nb.apply(Command::ToggleOutputScrolling);
        assert!(nb.cells()[0].file.metadata.is_empty());
    }

    #[test]
    fn lines_are_counted_in_what_outputs_show() {
        let (mut nb, id) = code_cell(2);
        nb.kernel_message(
            &id,
            "error",
            &json!({"ename": "E", "evalue": "v", "traceback": ["a\nb", "c"]}),
        );
        nb.kernel_message(
            &id,
            "display_data",
            &json!({"data": {"text/plain": "<Figure>", "image/png": "iVBORw=="}, "metadata": {}}),
        );
        nb.kernel_message(
            &id,
            "execute_result",
            &json!({"data": {"text/plain": "1\n2\n3"}, "metadata": {}, "execution_count": 1}),
        );
        assert_eq!(output_lines(&cell(&nb, &id)), 2 + 3 + 1 + 3);
        let mut ws = Notebook::default();
        let ws_id = ws.cells()[0].id.clone();
        ws.output(
            &ws_id,
            WireData::Text {
                text: "a\nb\n".into(),
            },
        );
        ws.output(
            &ws_id,
            WireData::Binary {
                hex: "00".repeat(17),
            },
        );
        assert_eq!(output_lines(&cell(&ws, &ws_id)), 2 + 2);
    }
}
