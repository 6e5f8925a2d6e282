//! The notebook document and its editing model, free of any UI toolkit.
//!
//! The frontend keeps one [`Notebook`] in a signal and changes it only through
//! [`Notebook::apply`] (what the user asked for, as a [`Command`]) and the methods named after
//! server events ([`Notebook::executed`], [`Notebook::output`], ...). `apply` returns the
//! [`Effect`]s the outside world has to carry out — send an execute request, move keyboard
//! focus — so the model itself stays pure and testable on the host.
//!
//! Modes follow Jupyter: in [`Mode::Edit`] keys go to the active cell's editor; in
//! [`Mode::Command`] they act on cells. The model always holds at least one cell. The
//! [`Selection`] is a contiguous range of cells between an anchor and the active cell (Jupyter's
//! Shift+J/K); commands on cells (cut, delete, merge, move, kind, run) act on the whole range.
//!
//! Cell operations (insert, delete, cut, paste, move, merge, split, kind change) go through one
//! function that records them in a bounded [`history`], so `z`/`Shift+Z` undo and redo them
//! exactly — cells with their ids, sources, kinds and outputs, and the selection. Typing is not
//! in that history: the editor's own undo handles text. Cut and copy fill the notebook's
//! clipboard and ask the UI to mirror the cells to the system clipboard ([`clipboard`]).
//!
//! A notebook is loaded from and saved as `.ipynb` ([`Notebook::from_ipynb`],
//! [`Notebook::to_ipynb`]); what the editor does not interpret (metadata, attachments, outputs
//! read from the file) rides along on the cells so that saving loses nothing.
//!
//! Beside the document: [`find`] (find and replace across the cells) and [`kernel_assist`]
//! (completion and inspection from the kernel, with the UTF-16 ↔ code point offsets they need),
//! the editing aids whose state the page keeps.
//!
//! A crate of its own (no IO, host and wasm32) rather than part of the frontend, so that a
//! headless runner on the server can drive the same model.

pub mod ansi;
pub mod bindings;
pub mod cell;
pub mod cell_edits;
pub mod cell_expectations;
pub mod cell_formats;
pub mod chords;
pub mod clipboard;
pub mod commands;
pub mod editing;
pub mod execution_timing;
pub mod find;
pub mod har;
pub mod history;
pub mod kernel_assist;
pub mod mode;
#[cfg(test)]
mod notebook_tests;
#[cfg(test)]
mod operation_tests;
pub mod output_area;
#[cfg(test)]
mod output_area_tests;
pub mod output_layout;
pub mod replay_compare;
pub mod run_events;

use std::collections::HashSet;

use wirebook_shared::ipynb::{IpynbNotebook, JsonMap, NotebookMetadata};

use cell::{cell_from_ipynb, cell_to_ipynb};
pub use cell::{
    Cell, CellFileData, CellId, CellKind, CellOutput, InputPrompt, RunState, MAX_OUTPUTS_PER_CELL,
};
pub use editing::{Command, Effect, RunMode};
use history::History;
pub use history::{Selection, HISTORY_LIMIT};
pub use mode::Mode;
pub use output_area::MAX_STREAM_BYTES;

/// The notebook document plus its editing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notebook {
    cells: Vec<Cell>,
    selection: Selection,
    mode: Mode,
    clipboard: Vec<Cell>,
    next_id: u64,
    /// Ids the loaded file gave its cells. New cells never take one, even after those cells
    /// were deleted: an undo may bring them back.
    loaded_ids: HashSet<CellId>,
    history: History,
    /// The notebook's `.ipynb` metadata (kernelspec, wirebook's settings, everything else).
    metadata: NotebookMetadata,
    /// Top-level `.ipynb` fields the schema does not define.
    file_extra: JsonMap,
}

impl Default for Notebook {
    fn default() -> Self {
        Self::new()
    }
}

impl Notebook {
    /// A notebook with one empty cell, selected, in command mode.
    pub fn new() -> Self {
        let mut notebook = Notebook {
            cells: Vec::new(),
            selection: Selection::default(),
            mode: Mode::Command,
            clipboard: Vec::new(),
            next_id: 1,
            loaded_ids: HashSet::new(),
            history: History::default(),
            metadata: NotebookMetadata::default(),
            file_extra: JsonMap::new(),
        };
        let cell = notebook.new_cell();
        notebook.cells.push(cell);
        notebook
    }

    /// The notebook a `.ipynb` document holds, first cell selected, in command mode. Cells keep
    /// their ids; a document without cells gets one empty code cell, as Jupyter shows it.
    pub fn from_ipynb(document: IpynbNotebook) -> Self {
        let mut notebook = Notebook {
            loaded_ids: document.cells.iter().map(|c| c.id.clone()).collect(),
            cells: document.cells.into_iter().map(cell_from_ipynb).collect(),
            metadata: document.metadata,
            file_extra: document.extra,
            ..Notebook::new()
        };
        if notebook.cells.is_empty() {
            let cell = notebook.new_cell();
            notebook.cells.push(cell);
        }
        notebook
    }

    /// The notebook as a `.ipynb` (nbformat 4.5) document. A code cell's outputs are the ones
    /// read from the file followed by the messages of its last run in this page (as
    /// [`IpynbOutput::from_wire`](wirebook_shared::ipynb::IpynbOutput::from_wire) stores them);
    /// its count is the last one the server confirmed.
    pub fn to_ipynb(&self) -> IpynbNotebook {
        let mut document = IpynbNotebook::new();
        document.metadata = self.metadata.clone();
        document.extra = self.file_extra.clone();
        document.cells = self.cells.iter().map(cell_to_ipynb).collect();
        document
    }

    /// The notebook's `.ipynb` metadata.
    pub fn metadata(&self) -> &NotebookMetadata {
        &self.metadata
    }

    /// Replaces the notebook's `.ipynb` metadata (e.g. the kernel wirebook connects to).
    pub fn set_metadata(&mut self, metadata: NotebookMetadata) {
        self.metadata = metadata;
    }

    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The index of the active cell: the one the keyboard acts on, the edited one in edit mode.
    pub fn selected(&self) -> usize {
        self.selection.head
    }

    /// The active cell.
    pub fn selected_cell(&self) -> &Cell {
        &self.cells[self.selection.head]
    }

    /// The selected range of cells; it always contains the active cell.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// The selected cells, top to bottom.
    pub fn selected_cells(&self) -> &[Cell] {
        let (first, last) = self.selection.bounds();
        &self.cells[first..=last]
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn cell(&self, id: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.id == id)
    }

    /// Whether `id` is the active cell.
    pub fn is_selected(&self, id: &str) -> bool {
        self.selected_cell().id == id
    }

    /// Whether `id` is one of the selected cells.
    pub fn in_selection(&self, id: &str) -> bool {
        self.selected_cells().iter().any(|c| c.id == id)
    }

    /// The cells the notebook's clipboard holds (`c`, `x`), empty when nothing was copied.
    pub fn clipboard(&self) -> &[Cell] {
        &self.clipboard
    }

    /// How many cell operations [`Command::Undo`] can take back.
    pub fn undo_len(&self) -> usize {
        self.history.undo_len()
    }

    /// How many undone operations [`Command::Redo`] can bring back.
    pub fn redo_len(&self) -> usize {
        self.history.redo_len()
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.cells.iter().position(|c| c.id == id)
    }

    fn cell_mut(&mut self, id: &str) -> Option<&mut Cell> {
        self.cells.iter_mut().find(|c| c.id == id)
    }

    /// An empty code cell with an id no cell has had in this page: generated ids count up, and
    /// the ids of loaded cells (which may look like ours) are skipped.
    fn new_cell(&mut self) -> Cell {
        loop {
            let id = format!("cell-{}", self.next_id);
            self.next_id += 1;
            if !self.loaded_ids.contains(&id) && self.position(&id).is_none() {
                return Cell::new(id);
            }
        }
    }

    /// A copy of `template` under a new id, not running (results of a run in flight go to the
    /// cell that was run).
    fn fresh_copy(&mut self, template: &Cell) -> Cell {
        let mut cell = template.clone();
        cell.id = self.new_cell().id;
        cell.state = RunState::Idle;
        cell
    }

    fn active_id(&self) -> CellId {
        self.selected_cell().id.clone()
    }
}
