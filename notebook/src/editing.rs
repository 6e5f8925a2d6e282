//! What the user can do to the notebook ([`Command`]) and what that asks of the outside world
//! ([`Effect`]): [`Notebook::apply`] and the cell operations behind it, each one recorded in
//! the [`history`](crate::history) so that undo and redo take it back exactly.

use std::collections::HashMap;

use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::IpynbCell;

use crate::cell::{cell_from_ipynb, cell_to_ipynb, Cell, CellId, CellKind, RunState};
use crate::cell_edits::{as_heading, clear_results, pretty_printed, with_format, with_kind};
use crate::clipboard::{cells_to_clipboard, ClipboardCells};
use crate::history::{Selection, Step, Swap};
use crate::mode::Mode;
use crate::output_area;
use crate::output_layout;
use crate::Notebook;

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
    /// Paste cells read from the system clipboard (see [`crate::clipboard::cells_from_clipboard`])
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
    /// Replace a cell's text from outside its editor (a raw-frame template): an undoable
    /// step, and the editor is told ([`Effect::SourceReplaced`]).
    ReplaceSource { cell_id: CellId, source: String },
    /// Set a cell's expectations (`metadata.wirebook.expect`): an undoable step.
    SetExpectations {
        cell_id: CellId,
        expectations: Vec<wirebook_shared::expect::Expectation>,
    },
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
    /// Open the tap's intercept: breakpoints, held messages, injection.
    ShowIntercept,
    /// Open the list of running kernels.
    ShowRunningKernels,
    /// Save the notebook (`s`, Ctrl+S).
    Save,
    /// Show the keyboard shortcuts (`h`).
    ShowHelp,
    /// Open the command palette.
    ShowPalette,
    /// Open the notebook's find and replace bar (Ctrl+F in command mode).
    ShowFind,
    /// Give the selected code cells a message format for WebSocket kernels (kept in
    /// `metadata.wirebook.format`; undoable).
    SetFormat(CellFormat),
    /// Indent the source of the selected JSON cells that parse (undoable).
    PrettyPrintJson,
    /// Hide the outputs of the selected code cells, or show them again (Jupyter's `O`; kept
    /// in their metadata, see [`crate::output_layout`]; not an undoable step, as in Jupyter).
    ToggleOutputs,
    /// Scroll the outputs of the selected code cells in a box, or show them whole (Shift+O).
    ToggleOutputScrolling,
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
    /// Mirror the copied cells to the system clipboard (see [`clipboard`](crate::clipboard)).
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
    /// Open the find and replace bar.
    ShowFind,
    /// Open the kernel picker.
    ShowKernelPicker,
    /// Open the tap routes dialog.
    ShowTapRoutes,
    /// Open the intercept dialog.
    ShowIntercept,
    /// Open the running kernels dialog.
    ShowRunningKernels,
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
            Command::SetExpectations {
                cell_id,
                expectations,
            } => match self.cells.iter().position(|c| c.id == cell_id) {
                Some(index) => {
                    let mut changed = self.cells[index].clone();
                    changed.file.metadata = crate::cell_expectations::with_expectations(
                        &changed.file.metadata,
                        &expectations,
                    );
                    if changed == self.cells[index] {
                        Vec::new()
                    } else {
                        self.change(index, 1, vec![changed], self.selection)
                    }
                }
                None => Vec::new(),
            },
            Command::ReplaceSource { cell_id, source } => {
                match self.cells.iter().position(|c| c.id == cell_id) {
                    Some(index) if self.cells[index].source != source => {
                        let mut changed = self.cells[index].clone();
                        changed.source = source;
                        self.change(index, 1, vec![changed], self.selection)
                    }
                    _ => Vec::new(),
                }
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
            Command::ShowFind => vec![Effect::ShowFind],
            Command::ShowPalette => vec![Effect::ShowPalette],
            Command::ChangeKernel => vec![Effect::ShowKernelPicker],
            Command::ShowTapRoutes => vec![Effect::ShowTapRoutes],
            Command::ShowIntercept => vec![Effect::ShowIntercept],
            Command::ToggleOutputs => {
                self.each_selected(output_layout::toggle_hidden);
                Vec::new()
            }
            Command::ToggleOutputScrolling => {
                self.each_selected(output_layout::toggle_scrolled);
                Vec::new()
            }
            Command::ShowRunningKernels => vec![Effect::ShowRunningKernels],
        }
    }

    /// Changes each selected cell in place, outside the undo history (what only changes how
    /// a cell is shown).
    fn each_selected(&mut self, mut f: impl FnMut(&mut Cell) -> bool) {
        let (first, last) = self.selection.bounds();
        for cell in &mut self.cells[first..=last] {
            f(cell);
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
}
