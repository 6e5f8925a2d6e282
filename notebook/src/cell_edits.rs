//! The edits a command makes to each selected cell on its own: a new kind, a message format,
//! a heading, pretty-printed JSON, and clearing what a run left.

use wirebook_shared::cell_format::CellFormat;

use crate::cell::{Cell, CellKind, RunState};
use crate::{cell_formats, output_area};

/// `cell` turned into `kind`. A cell that stops being code loses its outputs and count, as in
/// Jupyter; attachments stay (they are only written for markdown and raw cells).
pub(crate) fn with_kind(cell: &Cell, kind: CellKind) -> Cell {
    let mut cell = cell.clone();
    if cell.kind != kind {
        if cell.kind == CellKind::Code {
            clear_results(&mut cell);
        }
        cell.kind = kind;
    }
    cell
}

pub(crate) fn with_format(cell: &Cell, format: CellFormat) -> Cell {
    let mut cell = cell.clone();
    if cell.kind == CellKind::Code {
        cell.file.metadata = cell_formats::with_format(&cell.file.metadata, format);
    }
    cell
}

pub(crate) fn pretty_printed(cell: &Cell) -> Cell {
    let mut cell = cell.clone();
    if matches!(cell.format(), CellFormat::Json { .. }) {
        if let Some(pretty) = cell_formats::pretty_json(&cell.source) {
            cell.source = pretty;
        }
    }
    cell
}

pub(crate) fn clear_results(cell: &mut Cell) {
    output_area::clear(cell);
    cell.saved_outputs.clear();
    cell.clear_pending = false;
    cell.input = None;
    cell.execution_count = None;
    cell.error = None;
    cell.state = RunState::Idle;
}

/// Jupyter's heading shortcut: leading `#`s and the blanks after them (or leading blanks) are
/// replaced by `level` `#`s and one space, and the cell becomes markdown.
pub(crate) fn as_heading(cell: &Cell, level: u8) -> Cell {
    let mut cell = with_kind(cell, CellKind::Markdown);
    let rest = if cell.source.starts_with('#') {
        cell.source.trim_start_matches('#')
    } else {
        &cell.source
    };
    cell.source = format!("{} {}", "#".repeat(usize::from(level)), rest.trim_start());
    cell
}
