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
//! A crate of its own (no IO, host and wasm32) rather than part of the frontend, so that a
//! headless runner on the server can drive the same model.

pub mod bindings;
pub mod cell_formats;
pub mod chords;
pub mod clipboard;
pub mod commands;
pub mod history;
#[cfg(test)]
mod operation_tests;
pub mod output_area;
#[cfg(test)]
mod output_area_tests;

use std::collections::{HashMap, HashSet};

use clipboard::{cells_to_clipboard, ClipboardCells};
use history::{History, Step, Swap};
pub use history::{Selection, HISTORY_LIMIT};
pub use output_area::{CellOutput, InputPrompt, MAX_STREAM_BYTES};
use serde_json::Value;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::{
    Attachments, IpynbCell, IpynbCellKind, IpynbNotebook, IpynbOutput, JsonMap, NotebookMetadata,
};
use wirebook_shared::session::WireData;

/// Identifies a cell for the lifetime of the page; the server echoes it back with results.
pub type CellId = String;

/// How many outputs a cell keeps; older ones are dropped and counted, so that a chatty kernel
/// cannot grow the page without bound (the inspector still shows every message).
pub const MAX_OUTPUTS_PER_CELL: usize = 1000;

/// Jupyter's two keyboard modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys act on cells (insert, cut, move the selection, run).
    #[default]
    Command,
    /// Keys go to the selected cell's editor.
    Edit,
}

impl Mode {
    /// The label the UI shows; the e2e suite reads it.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Command => "Command",
            Mode::Edit => "Edit",
        }
    }
}

/// Where a cell is in its run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RunState {
    /// Never run, or its last run finished (or failed: see [`Cell::error`]).
    #[default]
    Idle,
    /// The run was requested but not yet written to the server (e.g. while reconnecting).
    Queued,
    /// The request is on the wire; the server has not confirmed it yet.
    Sent,
    /// The server handed the code to the kernel; outputs keep arriving as the kernel sends them.
    Executed,
}

/// Jupyter's three kinds of cell. Only code cells run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellKind {
    #[default]
    Code,
    Markdown,
    Raw,
}

/// The parts of a cell's `.ipynb` form that the editor does not interpret, written back as
/// they were read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CellFileData {
    pub metadata: JsonMap,
    /// Images and files embedded in a markdown or raw cell (written for those kinds only).
    pub attachments: Option<Attachments>,
    /// Fields the nbformat schema does not define.
    pub extra: JsonMap,
}

/// One cell of the notebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub id: CellId,
    pub kind: CellKind,
    pub source: String,
    /// Outputs read from the notebook file (Jupyter's stream, display_data, execute_result,
    /// error), shown until the cell runs again.
    pub saved_outputs: Vec<IpynbOutput>,
    /// What the kernel sent back for the last run in this page, oldest first.
    pub outputs: Vec<CellOutput>,
    /// Outputs of the last run dropped to respect [`MAX_OUTPUTS_PER_CELL`].
    pub outputs_dropped: u64,
    /// Bytes of stream text the last run's outputs dropped to respect [`MAX_STREAM_BYTES`].
    pub stream_bytes_dropped: u64,
    /// A `clear_output(wait=True)` waits for the next output.
    pub clear_pending: bool,
    /// The kernel's `input_request` during the last run, answered or not.
    pub input: Option<InputPrompt>,
    /// Jupyter's `[n]`: which run of the session this cell's last run was.
    pub execution_count: Option<u32>,
    pub state: RunState,
    /// Why the last run failed, as the server or the connection reported it.
    pub error: Option<String>,
    pub file: CellFileData,
}

impl Cell {
    /// The message format of a cell sent to a WebSocket kernel (text unless set).
    pub fn format(&self) -> CellFormat {
        cell_formats::format_of(&self.file.metadata)
    }

    fn new(id: CellId) -> Self {
        Cell {
            id,
            kind: CellKind::Code,
            source: String::new(),
            saved_outputs: Vec::new(),
            outputs: Vec::new(),
            outputs_dropped: 0,
            stream_bytes_dropped: 0,
            clear_pending: false,
            input: None,
            execution_count: None,
            state: RunState::Idle,
            error: None,
            file: CellFileData::default(),
        }
    }

    /// Jupyter's prompt text: `[ ]` never run, `[*]` running, `[3]` third run.
    pub fn prompt(&self) -> String {
        match (&self.state, self.execution_count) {
            (RunState::Queued | RunState::Sent, _) => "[*]".to_string(),
            (_, Some(n)) => format!("[{n}]"),
            (_, None) => "[ ]".to_string(),
        }
    }

    /// Editor height in lines: one per source line, at least one.
    pub fn line_count(&self) -> usize {
        self.source.split('\n').count().max(1)
    }
}

/// What to do after running a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Stay on the cell, in command mode (Jupyter's Ctrl+Enter).
    InPlace,
    /// Select the next cell, creating one at the end (Shift+Enter).
    SelectNext,
    /// Insert a new cell below and edit it (Alt+Enter).
    InsertBelow,
}

/// Everything the user can do to the notebook. Commands that act on "the selection" act on
/// every selected cell (see [`Notebook::selection`]); the rest act on the active cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Leave the editor; keeps the selection.
    EnterCommandMode,
    /// Edit the active cell (the selection shrinks to it).
    EnterEditMode,
    /// Select the cell above the active one, alone.
    SelectPrevious,
    /// Select the cell below the active one, alone.
    SelectNext,
    /// Grow (or shrink) the selection by one cell upwards (Jupyter's Shift+K).
    ExtendSelectionAbove,
    /// Grow (or shrink) the selection by one cell downwards (Shift+J).
    ExtendSelectionBelow,
    /// Select every cell (Ctrl+A in command mode).
    SelectAll,
    /// Select a cell alone, e.g. on a click (keeps edit mode if it is already the edited cell).
    Select(CellId),
    /// Extend the selection to a cell, e.g. on a Shift+click.
    ExtendSelectionTo(CellId),
    /// A cell's editor got keyboard focus (click, Tab): select it and enter edit mode.
    EditorFocused(CellId),
    /// A cell's editor lost keyboard focus: leave edit mode if it was the edited cell.
    EditorBlurred(CellId),
    /// Insert an empty code cell above the active cell.
    InsertAbove,
    /// Insert an empty code cell below the active cell.
    InsertBelow,
    /// Remove the selected cells into the clipboard.
    Cut,
    /// Copy the selected cells into the clipboard.
    Copy,
    /// Paste the clipboard's cells below the active cell.
    PasteBelow,
    /// Paste the clipboard's cells above the active cell.
    PasteAbove,
    /// Paste cells read from the system clipboard (see [`clipboard::cells_from_clipboard`])
    /// below (or above) the active cell. The notebook's own clipboard is left as it is.
    PasteCells { cells: Vec<IpynbCell>, above: bool },
    /// Delete the selected cells (Jupyter's `d d`); the clipboard is left as it is.
    Delete,
    /// Undo the last cell operation (`z`).
    Undo,
    /// Redo the last undone cell operation (`Shift+Z`).
    Redo,
    /// The editor's text changed.
    SetSource { cell_id: CellId, source: String },
    /// Run the selected cells.
    Run(RunMode),
    /// Run a given cell in place (its run button).
    RunCell(CellId),
    /// Run every code cell, top to bottom; the last cell becomes active.
    RunAll,
    /// Ask for a kernel restart followed by [`Command::RunAll`] (the UI confirms first).
    RestartAndRunAll,
    /// Turn the selected cells into another kind (Jupyter's Y, M, R). A cell that stops being
    /// code loses its outputs and count, as in Jupyter.
    SetKind(CellKind),
    /// Make the selected cells markdown headings of this level, 1 to 6 (Jupyter's 1–6): any
    /// leading `#`s are replaced by `level` of them and a space. Other levels do nothing.
    Heading(u8),
    /// Merge the selected cells into one, or the active cell with the one below when it is
    /// alone (Shift+M).
    Merge,
    /// Move the selected cells one up (Ctrl+Shift+Up).
    MoveUp,
    /// Move the selected cells one down (Ctrl+Shift+Down).
    MoveDown,
    /// Split a cell at its editor's selection (Ctrl+Shift+-): at the cursor into two cells, or
    /// around a selected range into three, as JupyterLab does. `start` and `end` are
    /// `selectionStart`/`selectionEnd` of the editor: offsets in UTF-16 code units.
    Split {
        cell_id: CellId,
        start: usize,
        end: usize,
    },
    /// Interrupt the kernel (`i i`).
    Interrupt,
    /// Restart the kernel (`0 0`; the UI confirms first).
    Restart,
    /// Open the kernel picker.
    ChangeKernel,
    /// Open the tap proxy's routes.
    ShowTapRoutes,
    /// Save the notebook (`s`, Ctrl+S).
    Save,
    /// Show the keyboard shortcuts (`h`).
    ShowHelp,
    /// Open the command palette.
    ShowPalette,
    /// Give the selected code cells a message format for WebSocket kernels (kept in
    /// `metadata.wirebook.format`; undoable).
    SetFormat(CellFormat),
    /// Indent the source of the selected JSON cells that parse (undoable).
    PrettyPrintJson,
}

/// What the outside world has to do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send the code to the kernel (`ClientMsg::Execute`). `format` is the cell's
    /// (`metadata.wirebook.format`); only WebSocket kernels use it.
    Execute {
        cell_id: CellId,
        code: String,
        format: CellFormat,
    },
    /// Put the keyboard focus into this cell's editor.
    FocusEditor(CellId),
    /// Put the keyboard focus on the cell itself (command mode), scrolling it into view.
    FocusCell(CellId),
    /// The model changed the text of a cell whose editor may already be on the page (merge,
    /// split, heading, undo): the editor has to show [`Cell::source`] again.
    SourceReplaced(CellId),
    /// Mirror the copied cells to the system clipboard (see [`clipboard`]).
    WriteClipboard(ClipboardCells),
    /// Interrupt the kernel.
    Interrupt,
    /// Restart the kernel once the user confirms; then dispatch [`Command::RunAll`] if
    /// `then_run_all`.
    RestartKernel { then_run_all: bool },
    /// Save the notebook.
    Save,
    /// Show the keyboard shortcuts.
    ShowHelp,
    /// Open the command palette.
    ShowPalette,
    /// Open the kernel picker.
    ShowKernelPicker,
    /// Open the tap routes dialog.
    ShowTapRoutes,
}

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

/// A `.ipynb` cell as the editor holds it (same id).
fn cell_from_ipynb(cell: IpynbCell) -> Cell {
    let (kind, execution_count, saved_outputs, attachments) = match cell.kind {
        IpynbCellKind::Code {
            execution_count,
            outputs,
        } => (CellKind::Code, execution_count, outputs, None),
        IpynbCellKind::Markdown { attachments } => {
            (CellKind::Markdown, None, Vec::new(), attachments)
        }
        IpynbCellKind::Raw { attachments } => (CellKind::Raw, None, Vec::new(), attachments),
    };
    Cell {
        kind,
        source: cell.source,
        saved_outputs,
        execution_count,
        file: CellFileData {
            metadata: cell.metadata,
            attachments,
            extra: cell.extra,
        },
        ..Cell::new(cell.id)
    }
}

/// A cell's `.ipynb` form. A code cell's outputs are the ones read from the file followed by
/// the messages of its last run in this page (as [`IpynbOutput::from_wire`] stores them).
fn cell_to_ipynb(cell: &Cell) -> IpynbCell {
    let kind = match cell.kind {
        CellKind::Code => IpynbCellKind::Code {
            execution_count: cell.execution_count,
            outputs: cell
                .saved_outputs
                .iter()
                .cloned()
                .chain(cell.outputs.iter().map(CellOutput::to_ipynb))
                .collect(),
        },
        CellKind::Markdown => IpynbCellKind::Markdown {
            attachments: cell.file.attachments.clone(),
        },
        CellKind::Raw => IpynbCellKind::Raw {
            attachments: cell.file.attachments.clone(),
        },
    };
    IpynbCell {
        id: cell.id.clone(),
        source: cell.source.clone(),
        metadata: cell.file.metadata.clone(),
        kind,
        extra: cell.file.extra.clone(),
    }
}

/// `cell` turned into `kind`. A cell that stops being code loses its outputs and count, as in
/// Jupyter; attachments stay (they are only written for markdown and raw cells).
fn with_kind(cell: &Cell, kind: CellKind) -> Cell {
    let mut cell = cell.clone();
    if cell.kind != kind {
        if cell.kind == CellKind::Code {
            clear_results(&mut cell);
        }
        cell.kind = kind;
    }
    cell
}

fn with_format(cell: &Cell, format: CellFormat) -> Cell {
    let mut cell = cell.clone();
    if cell.kind == CellKind::Code {
        cell.file.metadata = cell_formats::with_format(&cell.file.metadata, format);
    }
    cell
}

fn pretty_printed(cell: &Cell) -> Cell {
    let mut cell = cell.clone();
    if matches!(cell.format(), CellFormat::Json { .. }) {
        if let Some(pretty) = cell_formats::pretty_json(&cell.source) {
            cell.source = pretty;
        }
    }
    cell
}

fn clear_results(cell: &mut Cell) {
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
fn as_heading(cell: &Cell, level: u8) -> Cell {
    let mut cell = with_kind(cell, CellKind::Markdown);
    let rest = if cell.source.starts_with('#') {
        cell.source.trim_start_matches('#')
    } else {
        &cell.source
    };
    cell.source = format!("{} {}", "#".repeat(usize::from(level)), rest.trim_start());
    cell
}

/// The byte offset of a UTF-16 offset in `text`, clamped to its length.
fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (index, c) in text.char_indices() {
        if units >= utf16 {
            return index;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// `SourceReplaced` for each cell of `inserted` that replaces a cell of `removed` with the same
/// id but other text: its editor stays on the page and must be told.
fn replaced_sources(removed: &[Cell], inserted: &[Cell]) -> Vec<Effect> {
    if removed.is_empty() || inserted.is_empty() {
        return Vec::new();
    }
    let old: HashMap<&str, &str> = removed
        .iter()
        .map(|c| (c.id.as_str(), c.source.as_str()))
        .collect();
    inserted
        .iter()
        .filter(|c| old.get(c.id.as_str()).is_some_and(|s| *s != c.source))
        .map(|c| Effect::SourceReplaced(c.id.clone()))
        .collect()
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
    /// [`IpynbOutput::from_wire`] stores them); its count is the last one the server confirmed.
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

    /// Makes `selection` current in command mode and asks for the focus to follow.
    fn select_range(&mut self, selection: Selection) -> Vec<Effect> {
        self.selection = selection;
        self.mode = Mode::Command;
        vec![Effect::FocusCell(self.active_id())]
    }

    /// Selects only the cell at `index`, in command mode.
    fn select(&mut self, index: usize) -> Vec<Effect> {
        self.select_range(Selection::single(index))
    }

    /// The one place the list of cells changes shape: replaces `remove` cells at `at` by
    /// `insert`, selects `selection` and records the change for undo.
    fn change(
        &mut self,
        at: usize,
        remove: usize,
        insert: Vec<Cell>,
        selection: Selection,
    ) -> Vec<Effect> {
        let before = self.selection;
        let removed: Vec<Cell> = self
            .cells
            .splice(at..at + remove, insert.iter().cloned())
            .collect();
        debug_assert!(!self.cells.is_empty(), "the notebook keeps one cell");
        self.selection = selection;
        let effects = replaced_sources(&removed, &insert);
        self.history.record(Step {
            at,
            before: removed,
            after: insert,
            selection_before: before,
            selection_after: selection,
        });
        effects
    }

    /// Like [`Notebook::change`], then command mode with the focus on the active cell.
    fn change_in_command_mode(
        &mut self,
        at: usize,
        remove: usize,
        insert: Vec<Cell>,
        selection: Selection,
    ) -> Vec<Effect> {
        let mut effects = self.change(at, remove, insert, selection);
        effects.extend(self.select_range(selection));
        effects
    }

    /// Inserts an empty cell at `index` and edits it.
    fn insert_and_edit(&mut self, index: usize) -> Vec<Effect> {
        let cell = self.new_cell();
        let mut effects = self.change(index, 0, vec![cell], Selection::single(index));
        self.mode = Mode::Edit;
        effects.push(Effect::FocusEditor(self.active_id()));
        effects
    }

    /// Replaces the selected cells by `f` of each, as one undoable step (none if nothing
    /// changed); the selection stays.
    fn map_selection(&mut self, f: impl Fn(&Cell) -> Cell) -> Vec<Effect> {
        let (first, last) = self.selection.bounds();
        let changed: Vec<Cell> = self.cells[first..=last].iter().map(f).collect();
        if changed[..] == self.cells[first..=last] {
            return Vec::new();
        }
        self.change(first, changed.len(), changed, self.selection)
    }

    /// Removes the selected cells (one empty cell remains if they were all); the cell after
    /// them becomes active.
    fn delete_selection(&mut self) -> Vec<Effect> {
        let (first, last) = self.selection.bounds();
        let count = last - first + 1;
        if count == self.cells.len() {
            let cell = self.new_cell();
            return self.change_in_command_mode(0, count, vec![cell], Selection::single(0));
        }
        let active = first.min(self.cells.len() - count - 1);
        self.change_in_command_mode(first, count, Vec::new(), Selection::single(active))
    }

    /// Inserts copies of `templates` (new ids) at `index` and selects them.
    fn paste(&mut self, index: usize, templates: &[Cell]) -> Vec<Effect> {
        if templates.is_empty() {
            return Vec::new();
        }
        let cells: Vec<Cell> = templates.iter().map(|t| self.fresh_copy(t)).collect();
        let selection = Selection {
            anchor: index,
            head: index + cells.len() - 1,
        };
        self.change_in_command_mode(index, 0, cells, selection)
    }

    /// The clipboard forms of the selected cells.
    fn copy_selection(&mut self) -> Effect {
        self.clipboard = self.selected_cells().to_vec();
        let cells: Vec<IpynbCell> = self.clipboard.iter().map(cell_to_ipynb).collect();
        Effect::WriteClipboard(cells_to_clipboard(&cells))
    }

    /// Merges the selection (or the active cell and the one below) into the active cell.
    fn merge(&mut self) -> Vec<Effect> {
        let (first, mut last) = self.selection.bounds();
        if first == last {
            if last + 1 == self.cells.len() {
                return Vec::new();
            }
            last += 1;
        }
        let primary = &self.cells[self.selection.head];
        let mut merged = primary.clone();
        merged.source = self.cells[first..=last]
            .iter()
            .map(|c| c.source.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        if merged.kind == CellKind::Code {
            clear_results(&mut merged);
        } else {
            // Images the merged cells refer to must come along.
            let mut attachments = merged.file.attachments.take().unwrap_or_default();
            for cell in &self.cells[first..=last] {
                if cell.kind != CellKind::Code {
                    for (name, bundle) in cell.file.attachments.iter().flatten() {
                        attachments
                            .entry(name.clone())
                            .or_insert_with(|| bundle.clone());
                    }
                }
            }
            merged.file.attachments = (!attachments.is_empty()).then_some(attachments);
        }
        self.change_in_command_mode(
            first,
            last - first + 1,
            vec![merged],
            Selection::single(first),
        )
    }

    fn move_selection_up(&mut self) -> Vec<Effect> {
        let (first, last) = self.selection.bounds();
        if first == 0 {
            return Vec::new();
        }
        let mut moved = self.cells[first..=last].to_vec();
        moved.push(self.cells[first - 1].clone());
        let selection = Selection {
            anchor: self.selection.anchor - 1,
            head: self.selection.head - 1,
        };
        self.change_in_command_mode(first - 1, moved.len(), moved, selection)
    }

    fn move_selection_down(&mut self) -> Vec<Effect> {
        let (first, last) = self.selection.bounds();
        if last + 1 == self.cells.len() {
            return Vec::new();
        }
        let mut moved = vec![self.cells[last + 1].clone()];
        moved.extend_from_slice(&self.cells[first..=last]);
        let selection = Selection {
            anchor: self.selection.anchor + 1,
            head: self.selection.head + 1,
        };
        self.change_in_command_mode(first, moved.len(), moved, selection)
    }

    /// JupyterLab's split: pieces at the editor's selection bounds, each without leading and
    /// trailing newlines. The first piece stays the original cell (id, outputs, attachments);
    /// the others are new cells of the same kind and metadata. The piece after the first
    /// becomes active, in edit mode.
    fn split(&mut self, cell_id: &str, start: usize, end: usize) -> Vec<Effect> {
        let Some(index) = self.position(cell_id) else {
            return Vec::new();
        };
        let original = self.cells[index].clone();
        let (start, end) = (start.min(end), start.max(end));
        let mut bounds = vec![0, byte_offset(&original.source, start)];
        if end > start {
            bounds.push(byte_offset(&original.source, end));
        }
        bounds.push(original.source.len());
        let pieces: Vec<String> = bounds
            .windows(2)
            .map(|w| original.source[w[0]..w[1]].trim_matches('\n').to_string())
            .collect();
        let mut cells = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.into_iter().enumerate() {
            let mut cell = if i == 0 {
                original.clone()
            } else {
                let mut cell = self.new_cell();
                cell.kind = original.kind;
                cell.file.metadata = original.file.metadata.clone();
                cell
            };
            cell.source = piece;
            cells.push(cell);
        }
        let mut effects = self.change(index, 1, cells, Selection::single(index + 1));
        self.mode = Mode::Edit;
        effects.push(Effect::FocusEditor(self.active_id()));
        effects
    }

    /// Carries out a user command.
    pub fn apply(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::EnterCommandMode => self.select_range(self.selection),
            Command::EnterEditMode => {
                self.selection = Selection::single(self.selection.head);
                self.mode = Mode::Edit;
                vec![Effect::FocusEditor(self.active_id())]
            }
            Command::SelectPrevious => self.select(self.selection.head.saturating_sub(1)),
            Command::SelectNext => self.select((self.selection.head + 1).min(self.cells.len() - 1)),
            Command::ExtendSelectionAbove => self.select_range(Selection {
                head: self.selection.head.saturating_sub(1),
                ..self.selection
            }),
            Command::ExtendSelectionBelow => self.select_range(Selection {
                head: (self.selection.head + 1).min(self.cells.len() - 1),
                ..self.selection
            }),
            Command::SelectAll => {
                self.selection = Selection {
                    anchor: 0,
                    head: self.cells.len() - 1,
                };
                self.mode = Mode::Command;
                Vec::new()
            }
            Command::Select(id) => match self.position(&id) {
                Some(index) if self.selection != Selection::single(index) => self.select(index),
                _ => Vec::new(),
            },
            Command::ExtendSelectionTo(id) => match self.position(&id) {
                Some(index) => self.select_range(Selection {
                    head: index,
                    ..self.selection
                }),
                None => Vec::new(),
            },
            Command::EditorFocused(id) => {
                if let Some(index) = self.position(&id) {
                    self.selection = Selection::single(index);
                    self.mode = Mode::Edit;
                }
                Vec::new()
            }
            Command::EditorBlurred(id) => {
                if self.mode == Mode::Edit && self.is_selected(&id) {
                    self.mode = Mode::Command;
                }
                Vec::new()
            }
            Command::InsertAbove => {
                let cell = self.new_cell();
                let at = self.selection.head;
                self.change_in_command_mode(at, 0, vec![cell], Selection::single(at))
            }
            Command::InsertBelow => {
                let cell = self.new_cell();
                let at = self.selection.head + 1;
                self.change_in_command_mode(at, 0, vec![cell], Selection::single(at))
            }
            Command::Cut => {
                let mut effects = vec![self.copy_selection()];
                effects.extend(self.delete_selection());
                effects
            }
            Command::Copy => vec![self.copy_selection()],
            Command::PasteBelow => {
                let templates = self.clipboard.clone();
                self.paste(self.selection.head + 1, &templates)
            }
            Command::PasteAbove => {
                let templates = self.clipboard.clone();
                self.paste(self.selection.head, &templates)
            }
            Command::PasteCells { cells, above } => {
                let templates: Vec<Cell> = cells.into_iter().map(cell_from_ipynb).collect();
                let at = self.selection.head + usize::from(!above);
                self.paste(at, &templates)
            }
            Command::Delete => self.delete_selection(),
            Command::Undo => match self.history.undo(&mut self.cells, self.selection) {
                Some(swap) => self.after_swap(swap),
                None => Vec::new(),
            },
            Command::Redo => match self.history.redo(&mut self.cells, self.selection) {
                Some(swap) => self.after_swap(swap),
                None => Vec::new(),
            },
            Command::SetSource { cell_id, source } => {
                if let Some(cell) = self.cell_mut(&cell_id) {
                    cell.source = source;
                }
                Vec::new()
            }
            Command::Run(run_mode) => {
                let (first, last) = self.selection.bounds();
                let mut effects: Vec<Effect> = (first..=last).flat_map(|i| self.run(i)).collect();
                effects.extend(self.after_run(run_mode, last));
                effects
            }
            Command::RunCell(id) => match self.position(&id) {
                Some(index) => {
                    self.selection = Selection::single(index);
                    self.mode = Mode::Command;
                    self.run(index)
                }
                None => Vec::new(),
            },
            Command::RunAll => {
                let mut effects: Vec<Effect> =
                    (0..self.cells.len()).flat_map(|i| self.run(i)).collect();
                effects.extend(self.select(self.cells.len() - 1));
                effects
            }
            Command::RestartAndRunAll => vec![Effect::RestartKernel { then_run_all: true }],
            Command::SetKind(kind) => self.map_selection(|cell| with_kind(cell, kind)),
            Command::Heading(level) if (1..=6).contains(&level) => {
                self.map_selection(|cell| as_heading(cell, level))
            }
            Command::Heading(_) => Vec::new(),
            Command::SetFormat(format) => self.map_selection(|cell| with_format(cell, format)),
            Command::PrettyPrintJson => self.map_selection(pretty_printed),
            Command::Merge => self.merge(),
            Command::MoveUp => self.move_selection_up(),
            Command::MoveDown => self.move_selection_down(),
            Command::Split {
                cell_id,
                start,
                end,
            } => self.split(&cell_id, start, end),
            Command::Interrupt => vec![Effect::Interrupt],
            Command::Restart => vec![Effect::RestartKernel {
                then_run_all: false,
            }],
            Command::Save => vec![Effect::Save],
            Command::ShowHelp => vec![Effect::ShowHelp],
            Command::ShowPalette => vec![Effect::ShowPalette],
            Command::ChangeKernel => vec![Effect::ShowKernelPicker],
            Command::ShowTapRoutes => vec![Effect::ShowTapRoutes],
        }
    }

    /// After an undo or redo: the restored selection, in command mode, and fresh text for
    /// editors whose cell came back with other text.
    fn after_swap(&mut self, swap: Swap) -> Vec<Effect> {
        let last = self.cells.len() - 1;
        let selection = Selection {
            anchor: swap.selection.anchor.min(last),
            head: swap.selection.head.min(last),
        };
        let mut effects = replaced_sources(&swap.removed, &swap.inserted);
        effects.extend(self.select_range(selection));
        effects
    }

    /// Starts a run of the cell at `index`: clears what the last run showed and asks for the
    /// code to be sent. An empty cell has nothing to send and only clears; markdown and raw
    /// cells do not run (running one only moves on, as in Jupyter).
    fn run(&mut self, index: usize) -> Vec<Effect> {
        let cell = &mut self.cells[index];
        if cell.kind != CellKind::Code {
            return Vec::new();
        }
        cell.saved_outputs.clear();
        output_area::clear(cell);
        cell.clear_pending = false;
        cell.input = None;
        cell.error = None;
        if cell.source.is_empty() {
            cell.state = RunState::Idle;
            cell.execution_count = None;
            return Vec::new();
        }
        cell.state = RunState::Queued;
        vec![Effect::Execute {
            cell_id: cell.id.clone(),
            code: cell.source.clone(),
            format: cell.format(),
        }]
    }

    /// Where the selection goes after running cells up to `last`.
    fn after_run(&mut self, run_mode: RunMode, last: usize) -> Vec<Effect> {
        match run_mode {
            RunMode::InPlace => self.select_range(self.selection),
            RunMode::SelectNext if last + 1 < self.cells.len() => self.select(last + 1),
            RunMode::SelectNext | RunMode::InsertBelow => self.insert_and_edit(last + 1),
        }
    }

    /// The execute request for `cell_id` was written to the socket.
    pub fn sent(&mut self, cell_id: &str) -> bool {
        match self.cell_mut(cell_id) {
            Some(cell) if cell.state == RunState::Queued => {
                cell.state = RunState::Sent;
                true
            }
            _ => false,
        }
    }

    /// The server confirmed the run. Returns false for a cell that no longer exists.
    pub fn executed(&mut self, cell_id: &str, execution_count: u32) -> bool {
        match self.cell_mut(cell_id) {
            Some(cell) => {
                cell.execution_count = Some(execution_count);
                cell.state = RunState::Executed;
                true
            }
            None => false,
        }
    }

    /// The kernel sent something that the server attributed to `cell_id`. Not applied (false)
    /// when the cell is gone or is no longer a code cell.
    pub fn output(&mut self, cell_id: &str, data: WireData) -> bool {
        match self.cell_mut(cell_id) {
            Some(cell) if cell.kind == CellKind::Code => {
                output_area::push(cell, CellOutput::Message(data));
                true
            }
            _ => false,
        }
    }

    /// A Jupyter message the server attributed to `cell_id`'s run (iopub outputs, `status`,
    /// `execute_input`, stdin's `input_request`), applied as JupyterLab's output area does;
    /// see [`output_area`]. `update_display_data` changes every output with its display id, in
    /// any cell. Returns whether anything changed.
    pub fn kernel_message(&mut self, cell_id: &str, msg_type: &str, content: &Value) -> bool {
        if msg_type == "update_display_data" {
            let Some(display_id) = content
                .get("transient")
                .and_then(|t| t.get("display_id"))
                .and_then(Value::as_str)
            else {
                return false;
            };
            let mut changed = false;
            for cell in &mut self.cells {
                changed |= output_area::update_display(cell, display_id, content);
            }
            return changed;
        }
        match self.cell_mut(cell_id) {
            Some(cell) if cell.kind == CellKind::Code => {
                output_area::apply(cell, msg_type, content)
            }
            _ => false,
        }
    }

    /// The user answered `cell_id`'s input prompt. Returns false when there is no unanswered
    /// prompt there (nothing should then be sent).
    pub fn answer_input(&mut self, cell_id: &str, value: &str) -> bool {
        match self.cell_mut(cell_id).and_then(|c| c.input.as_mut()) {
            Some(prompt) if prompt.answer.is_none() => {
                prompt.answer = Some(value.to_string());
                true
            }
            _ => false,
        }
    }

    /// The server could not run `cell_id` (or something went wrong with its output).
    pub fn error(&mut self, cell_id: &str, message: String) -> bool {
        match self.cell_mut(cell_id) {
            Some(cell) => {
                if matches!(cell.state, RunState::Queued | RunState::Sent) {
                    cell.state = RunState::Idle;
                }
                cell.error = Some(message);
                true
            }
            None => false,
        }
    }

    /// The kernel stopped (it died, its connection closed, or it is being restarted or
    /// replaced): runs it had not finished end, saying `why`, and an unanswered input prompt
    /// goes (nobody is waiting for the answer). Queued runs stay queued for the next kernel.
    pub fn kernel_stopped(&mut self, why: &str) {
        for cell in &mut self.cells {
            if cell.state == RunState::Sent {
                cell.state = RunState::Idle;
                cell.error = Some(format!(
                    "the kernel stopped before this run finished: {why}"
                ));
            }
            if cell.input.as_ref().is_some_and(|i| i.answer.is_none()) {
                cell.input = None;
            }
        }
    }

    /// The session socket dropped. Runs already on the wire lost their confirmation; runs still
    /// queued stay queued and go out after the reconnect.
    pub fn connection_lost(&mut self) {
        for cell in &mut self.cells {
            if cell.state == RunState::Sent {
                cell.state = RunState::Idle;
                cell.error = Some(
                    "the connection to the server dropped before it confirmed this run; \
                     it may not have reached the kernel — run the cell again"
                        .to_string(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> WireData {
        WireData::Text { text: s.into() }
    }

    fn typed(nb: &mut Notebook, source: &str) -> CellId {
        let id = nb.selected_cell().id.clone();
        nb.apply(Command::SetSource {
            cell_id: id.clone(),
            source: source.into(),
        });
        id
    }

    fn ids(nb: &Notebook) -> Vec<&str> {
        nb.cells().iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn starts_with_one_empty_selected_cell_in_command_mode() {
        let nb = Notebook::new();
        assert_eq!(nb.cells().len(), 1);
        assert_eq!(nb.selected(), 0);
        assert_eq!(nb.mode(), Mode::Command);
        assert_eq!(nb.selected_cell().prompt(), "[ ]");
        assert_eq!(nb.selected_cell().line_count(), 1);
    }

    #[test]
    fn shift_enter_on_the_last_cell_runs_it_and_edits_a_new_one() {
        let mut nb = Notebook::new();
        nb.apply(Command::EnterEditMode);
        let first = typed(&mut nb, "hai");
        let effects = nb.apply(Command::Run(RunMode::SelectNext));
        let second = nb.cells()[1].id.clone();
        assert_ne!(first, second);
        assert_eq!(
            effects,
            vec![
                Effect::Execute {
                    cell_id: first.clone(),
                    code: "hai".into(),
                    format: CellFormat::Text
                },
                Effect::FocusEditor(second.clone()),
            ]
        );
        assert_eq!(nb.selected(), 1);
        assert_eq!(nb.mode(), Mode::Edit);
        assert_eq!(nb.cell(&first).unwrap().state, RunState::Queued);
        assert_eq!(nb.cell(&first).unwrap().prompt(), "[*]");
    }

    #[test]
    fn shift_enter_in_the_middle_selects_the_next_cell_in_command_mode() {
        let mut nb = Notebook::new();
        nb.apply(Command::InsertBelow);
        nb.apply(Command::SelectPrevious);
        let first = typed(&mut nb, "a");
        let effects = nb.apply(Command::Run(RunMode::SelectNext));
        assert_eq!(nb.cells().len(), 2);
        assert_eq!(nb.selected(), 1);
        assert_eq!(nb.mode(), Mode::Command);
        assert!(matches!(&effects[0], Effect::Execute { cell_id, .. } if *cell_id == first));
        assert_eq!(effects[1], Effect::FocusCell(nb.cells()[1].id.clone()));
    }

    #[test]
    fn ctrl_enter_runs_in_place_and_alt_enter_inserts_below() {
        let mut nb = Notebook::new();
        nb.apply(Command::EnterEditMode);
        let id = typed(&mut nb, "x");
        let effects = nb.apply(Command::Run(RunMode::InPlace));
        assert_eq!(nb.cells().len(), 1);
        assert_eq!(nb.mode(), Mode::Command);
        assert_eq!(effects.last(), Some(&Effect::FocusCell(id.clone())));

        let effects = nb.apply(Command::Run(RunMode::InsertBelow));
        assert_eq!(nb.cells().len(), 2);
        assert_eq!(nb.selected(), 1);
        assert_eq!(nb.mode(), Mode::Edit);
        assert_eq!(
            effects.last(),
            Some(&Effect::FocusEditor(nb.cells()[1].id.clone()))
        );
    }

    #[test]
    fn running_an_empty_cell_sends_nothing_and_clears_it() {
        let mut nb = Notebook::new();
        let id = typed(&mut nb, "x");
        nb.apply(Command::Run(RunMode::InPlace));
        nb.executed(&id, 1);
        nb.output(&id, text("x"));
        typed(&mut nb, "");
        let effects = nb.apply(Command::Run(RunMode::InPlace));
        assert!(!effects.iter().any(|e| matches!(e, Effect::Execute { .. })));
        let cell = nb.cell(&id).unwrap();
        assert!(cell.outputs.is_empty());
        assert_eq!(cell.prompt(), "[ ]");
    }

    #[test]
    fn server_events_fill_in_count_and_outputs() {
        let mut nb = Notebook::new();
        let id = typed(&mut nb, "hai");
        nb.apply(Command::Run(RunMode::InPlace));
        assert!(nb.sent(&id));
        assert_eq!(nb.cell(&id).unwrap().state, RunState::Sent);
        assert!(nb.executed(&id, 1));
        assert!(nb.output(&id, text("hai")));
        let cell = nb.cell(&id).unwrap();
        assert_eq!(cell.prompt(), "[1]");
        assert_eq!(cell.outputs, vec![CellOutput::Message(text("hai"))]);
        // Running again clears the old outputs but keeps the old count until confirmed.
        nb.apply(Command::Run(RunMode::InPlace));
        let cell = nb.cell(&id).unwrap();
        assert!(cell.outputs.is_empty());
        assert_eq!(cell.prompt(), "[*]");
        nb.executed(&id, 2);
        assert_eq!(nb.cell(&id).unwrap().prompt(), "[2]");
        // Events for cells that are gone are reported, not applied.
        assert!(!nb.executed("nope", 3));
        assert!(!nb.output("nope", text("x")));
        assert!(!nb.error("nope", "x".into()));
    }

    #[test]
    fn outputs_are_bounded_and_the_drop_is_counted() {
        let mut nb = Notebook::new();
        let id = typed(&mut nb, "x");
        for i in 0..MAX_OUTPUTS_PER_CELL + 5 {
            nb.output(&id, text(&i.to_string()));
        }
        let cell = nb.cell(&id).unwrap();
        assert_eq!(cell.outputs.len(), MAX_OUTPUTS_PER_CELL);
        assert_eq!(cell.outputs_dropped, 5);
        assert_eq!(cell.outputs[0], CellOutput::Message(text("5")));
    }

    #[test]
    fn errors_land_on_the_cell_and_end_the_run() {
        let mut nb = Notebook::new();
        let id = typed(&mut nb, "x");
        nb.apply(Command::Run(RunMode::InPlace));
        nb.sent(&id);
        assert!(nb.error(&id, "kernel failed".into()));
        let cell = nb.cell(&id).unwrap();
        assert_eq!(cell.state, RunState::Idle);
        assert_eq!(cell.error.as_deref(), Some("kernel failed"));
        nb.apply(Command::Run(RunMode::InPlace));
        assert_eq!(nb.cell(&id).unwrap().error, None);
    }

    #[test]
    fn a_dropped_connection_fails_sent_runs_and_keeps_queued_ones() {
        let mut nb = Notebook::new();
        let sent = typed(&mut nb, "a");
        nb.apply(Command::Run(RunMode::SelectNext));
        let queued = typed(&mut nb, "b");
        nb.apply(Command::Run(RunMode::SelectNext));
        nb.sent(&sent);
        nb.connection_lost();
        let cell = nb.cell(&sent).unwrap();
        assert_eq!(cell.state, RunState::Idle);
        assert!(cell.error.as_deref().unwrap().contains("dropped"));
        assert_eq!(cell.source, "a", "edits survive a dropped connection");
        assert_eq!(nb.cell(&queued).unwrap().state, RunState::Queued);
        assert!(!nb.sent(&sent), "only queued runs can be sent");
    }

    #[test]
    fn insert_above_and_below_select_the_new_cell() {
        let mut nb = Notebook::new();
        let first = nb.selected_cell().id.clone();
        let effects = nb.apply(Command::InsertBelow);
        let below = nb.selected_cell().id.clone();
        assert_eq!(effects, vec![Effect::FocusCell(below.clone())]);
        assert_eq!(ids(&nb), vec![first.as_str(), below.as_str()]);
        nb.apply(Command::InsertAbove);
        let above = nb.selected_cell().id.clone();
        assert_eq!(
            ids(&nb),
            vec![first.as_str(), above.as_str(), below.as_str()]
        );
        assert_eq!(nb.selected(), 1);
        assert_eq!(nb.mode(), Mode::Command);
    }

    #[test]
    fn selection_moves_and_stops_at_the_ends() {
        let mut nb = Notebook::new();
        nb.apply(Command::InsertBelow);
        nb.apply(Command::InsertBelow);
        assert_eq!(nb.selected(), 2);
        nb.apply(Command::SelectNext);
        assert_eq!(nb.selected(), 2);
        nb.apply(Command::SelectPrevious);
        nb.apply(Command::SelectPrevious);
        nb.apply(Command::SelectPrevious);
        assert_eq!(nb.selected(), 0);
    }

    #[test]
    fn cut_and_paste_move_a_cell_with_a_fresh_id() {
        let mut nb = Notebook::new();
        let a = typed(&mut nb, "a");
        nb.apply(Command::InsertBelow);
        let b = typed(&mut nb, "b");
        nb.apply(Command::SelectPrevious);
        nb.apply(Command::Cut);
        assert_eq!(ids(&nb), vec![b.as_str()]);
        nb.apply(Command::PasteBelow);
        assert_eq!(nb.cells().len(), 2);
        assert_eq!(nb.cells()[1].source, "a");
        assert_ne!(nb.cells()[1].id, a);
        assert_eq!(nb.selected(), 1);
        nb.apply(Command::PasteAbove);
        assert_eq!(nb.cells().len(), 3);
        assert_eq!(nb.selected(), 1);
        let unique: std::collections::HashSet<_> = ids(&nb).into_iter().collect();
        assert_eq!(unique.len(), 3);
    }

    #[test]
    fn cutting_the_last_cell_leaves_an_empty_one() {
        let mut nb = Notebook::new();
        typed(&mut nb, "only");
        let effects = nb.apply(Command::Cut);
        assert_eq!(nb.cells().len(), 1);
        assert_eq!(nb.selected_cell().source, "");
        assert!(matches!(&effects[0], Effect::WriteClipboard(c) if c.plain == "only"));
        assert_eq!(
            effects[1..],
            [Effect::FocusCell(nb.selected_cell().id.clone())]
        );
        nb.apply(Command::PasteAbove);
        assert_eq!(nb.cells()[0].source, "only");
    }

    #[test]
    fn paste_without_clipboard_does_nothing_and_copy_keeps_the_cell() {
        let mut nb = Notebook::new();
        assert!(nb.apply(Command::PasteBelow).is_empty());
        typed(&mut nb, "c");
        nb.apply(Command::Copy);
        nb.apply(Command::PasteBelow);
        assert_eq!(nb.cells().len(), 2);
        assert_eq!(nb.cells()[0].source, "c");
        assert_eq!(nb.cells()[1].source, "c");
    }

    #[test]
    fn pasting_a_running_cell_does_not_copy_the_run() {
        let mut nb = Notebook::new();
        let id = typed(&mut nb, "x");
        nb.apply(Command::Run(RunMode::InPlace));
        nb.apply(Command::Copy);
        nb.apply(Command::PasteBelow);
        assert_eq!(nb.cells()[1].state, RunState::Idle);
        assert_eq!(nb.cell(&id).unwrap().state, RunState::Queued);
    }

    #[test]
    fn focus_events_keep_the_mode_in_step_with_the_page() {
        let mut nb = Notebook::new();
        nb.apply(Command::InsertBelow);
        let second = nb.selected_cell().id.clone();
        let first = nb.cells()[0].id.clone();
        // Clicking into the first editor selects it in edit mode...
        assert!(nb.apply(Command::EditorFocused(first.clone())).is_empty());
        assert_eq!((nb.selected(), nb.mode()), (0, Mode::Edit));
        // ...and the click that follows on the same cell must not steal the focus back.
        assert!(nb.apply(Command::Select(first.clone())).is_empty());
        assert_eq!(nb.mode(), Mode::Edit);
        // Blur of an editor that is no longer the edited one (focus moved on) changes nothing.
        nb.apply(Command::EditorFocused(second.clone()));
        nb.apply(Command::EditorBlurred(first.clone()));
        assert_eq!((nb.selected(), nb.mode()), (1, Mode::Edit));
        nb.apply(Command::EditorBlurred(second.clone()));
        assert_eq!(nb.mode(), Mode::Command);
        // Selecting another cell by click moves the selection in command mode.
        let effects = nb.apply(Command::Select(first.clone()));
        assert_eq!(effects, vec![Effect::FocusCell(first)]);
        assert_eq!(nb.selected(), 0);
    }

    #[test]
    fn escape_and_enter_switch_modes() {
        let mut nb = Notebook::new();
        let id = nb.selected_cell().id.clone();
        assert_eq!(
            nb.apply(Command::EnterEditMode),
            vec![Effect::FocusEditor(id.clone())]
        );
        assert_eq!(nb.mode(), Mode::Edit);
        assert_eq!(nb.mode().label(), "Edit");
        assert_eq!(
            nb.apply(Command::EnterCommandMode),
            vec![Effect::FocusCell(id)]
        );
        assert_eq!(nb.mode().label(), "Command");
    }

    #[test]
    fn run_button_runs_that_cell_and_selects_it() {
        let mut nb = Notebook::new();
        let first = typed(&mut nb, "one");
        nb.apply(Command::InsertBelow);
        let effects = nb.apply(Command::RunCell(first.clone()));
        assert_eq!(
            effects,
            vec![Effect::Execute {
                cell_id: first.clone(),
                code: "one".into(),
                format: CellFormat::Text
            }]
        );
        assert_eq!(nb.selected(), 0);
        assert!(nb.apply(Command::RunCell("gone".into())).is_empty());
    }

    #[test]
    fn line_count_follows_the_source() {
        let mut nb = Notebook::new();
        typed(&mut nb, "a\nb\n");
        assert_eq!(nb.selected_cell().line_count(), 3);
    }

    const OUTPUTS: &str = include_str!("../../shared/fixtures/ipynb/outputs_v4_5.ipynb");

    fn load(text: &str) -> Notebook {
        Notebook::from_ipynb(IpynbNotebook::parse(text).unwrap())
    }

    #[test]
    fn a_jupyter_notebook_loads_and_saves_unchanged() {
        let nb = load(OUTPUTS);
        let kinds: Vec<CellKind> = nb.cells().iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds[..3],
            [CellKind::Markdown, CellKind::Markdown, CellKind::Code]
        );
        assert_eq!(kinds.last(), Some(&CellKind::Raw));
        assert_eq!(nb.cells()[3].prompt(), "[2]");
        assert_eq!(nb.cells()[2].saved_outputs.len(), 2);
        assert_eq!(nb.selected(), 0);
        assert_eq!(nb.mode(), Mode::Command);
        let original: serde_json::Value = serde_json::from_str(OUTPUTS).unwrap();
        assert_eq!(nb.to_ipynb().to_value(), original);
    }

    #[test]
    fn running_a_loaded_cell_replaces_its_saved_outputs() {
        let mut nb = load(OUTPUTS);
        let id = nb.cells()[3].id.clone();
        let effects = nb.apply(Command::RunCell(id.clone()));
        assert_eq!(
            effects,
            vec![Effect::Execute {
                cell_id: id.clone(),
                code: "21 * 2".into(),
                format: CellFormat::Text
            }]
        );
        assert!(nb.cell(&id).unwrap().saved_outputs.is_empty());
        nb.executed(&id, 7);
        nb.output(&id, text("42"));
        let saved = nb.to_ipynb();
        let cell = saved.cells.iter().find(|c| c.id == id).unwrap();
        let IpynbCellKind::Code {
            execution_count,
            outputs,
        } = &cell.kind
        else {
            panic!("a code cell")
        };
        assert_eq!(*execution_count, Some(7));
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].wire_data(), Some(text("42")));
        assert!(saved.problems().is_empty(), "{:?}", saved.problems());
    }

    #[test]
    fn new_cells_never_take_a_loaded_id() {
        let mut document = IpynbNotebook::new();
        for id in ["cell-1", "cell-2"] {
            document.cells.push(IpynbCell::new(
                id,
                IpynbCellKind::Markdown { attachments: None },
                "",
            ));
        }
        let mut nb = Notebook::from_ipynb(document);
        nb.apply(Command::InsertBelow);
        nb.apply(Command::Copy);
        nb.apply(Command::PasteBelow);
        let unique: std::collections::HashSet<_> = ids(&nb).into_iter().collect();
        assert_eq!(unique.len(), 4);
        assert!(nb.to_ipynb().problems().is_empty());
    }

    #[test]
    fn an_empty_document_gets_one_code_cell() {
        let nb = Notebook::from_ipynb(IpynbNotebook::new());
        assert_eq!(nb.cells().len(), 1);
        assert_eq!(nb.selected_cell().kind, CellKind::Code);
    }

    #[test]
    fn markdown_and_raw_cells_do_not_run_but_move_on() {
        let mut nb = Notebook::new();
        typed(&mut nb, "# title");
        nb.apply(Command::SetKind(CellKind::Markdown));
        let effects = nb.apply(Command::Run(RunMode::SelectNext));
        assert!(!effects.iter().any(|e| matches!(e, Effect::Execute { .. })));
        assert_eq!(nb.cells().len(), 2);
        assert_eq!(nb.selected(), 1);
        assert_eq!(nb.cells()[0].prompt(), "[ ]");
        assert!(!nb.output(&nb.cells()[0].id.clone(), text("x")));
    }

    #[test]
    fn a_cell_that_stops_being_code_loses_its_results() {
        let mut nb = load(OUTPUTS);
        nb.apply(Command::Select(nb.cells()[3].id.clone()));
        nb.apply(Command::SetKind(CellKind::Raw));
        let cell = nb.selected_cell();
        assert_eq!(cell.kind, CellKind::Raw);
        assert!(cell.saved_outputs.is_empty());
        assert_eq!(cell.prompt(), "[ ]");
        assert_eq!(cell.source, "21 * 2");
        // Markdown keeps its attachments through a round trip via raw.
        nb.apply(Command::Select(nb.cells()[0].id.clone()));
        nb.apply(Command::SetKind(CellKind::Raw));
        nb.apply(Command::SetKind(CellKind::Markdown));
        let saved = nb.to_ipynb();
        assert!(matches!(
            &saved.cells[0].kind,
            IpynbCellKind::Markdown {
                attachments: Some(a)
            } if a.contains_key("dot.png")
        ));
        assert!(saved.problems().is_empty());
    }

    #[test]
    fn pasting_copies_kind_metadata_and_saved_outputs() {
        let mut nb = load(OUTPUTS);
        nb.apply(Command::Copy);
        nb.apply(Command::PasteBelow);
        let (a, b) = (&nb.cells()[0], &nb.cells()[1]);
        assert_ne!(a.id, b.id);
        assert_eq!((a.kind, &a.file, &a.source), (b.kind, &b.file, &b.source));
    }
}
