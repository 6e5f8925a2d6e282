//! The notebook document and its editing model, free of any UI toolkit.
//!
//! The frontend keeps one [`Notebook`] in a signal and changes it only through
//! [`Notebook::apply`] (what the user asked for, as a [`Command`]) and the methods named after
//! server events ([`Notebook::executed`], [`Notebook::output`], ...). `apply` returns the
//! [`Effect`]s the outside world has to carry out — send an execute request, move keyboard
//! focus — so the model itself stays pure and testable on the host.
//!
//! Modes follow Jupyter: in [`Mode::Edit`] keys go to the selected cell's editor; in
//! [`Mode::Command`] they act on cells. The model always holds at least one cell and the
//! selection always points at one of them.
//!
//! A notebook is loaded from and saved as `.ipynb` ([`Notebook::from_ipynb`],
//! [`Notebook::to_ipynb`]); what the editor does not interpret (metadata, attachments, outputs
//! read from the file) rides along on the cells so that saving loses nothing.

use crate::ipynb::{
    Attachments, IpynbCell, IpynbCellKind, IpynbNotebook, IpynbOutput, JsonMap, NotebookMetadata,
};
use crate::session::WireData;

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
    pub outputs: Vec<WireData>,
    /// Outputs of the last run dropped to respect [`MAX_OUTPUTS_PER_CELL`].
    pub outputs_dropped: u64,
    /// Jupyter's `[n]`: which run of the session this cell's last run was.
    pub execution_count: Option<u32>,
    pub state: RunState,
    /// Why the last run failed, as the server or the connection reported it.
    pub error: Option<String>,
    pub file: CellFileData,
}

impl Cell {
    fn new(id: CellId) -> Self {
        Cell {
            id,
            kind: CellKind::Code,
            source: String::new(),
            saved_outputs: Vec::new(),
            outputs: Vec::new(),
            outputs_dropped: 0,
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

/// Everything the user can do to the notebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    EnterCommandMode,
    /// Edit the selected cell.
    EnterEditMode,
    SelectPrevious,
    SelectNext,
    /// Select a cell, e.g. on a click (keeps edit mode if it is already the edited cell).
    Select(CellId),
    /// A cell's editor got keyboard focus (click, Tab): select it and enter edit mode.
    EditorFocused(CellId),
    /// A cell's editor lost keyboard focus: leave edit mode if it was the edited cell.
    EditorBlurred(CellId),
    InsertAbove,
    InsertBelow,
    /// Remove the selected cell into the clipboard.
    Cut,
    /// Copy the selected cell into the clipboard.
    Copy,
    PasteBelow,
    PasteAbove,
    /// The editor's text changed.
    SetSource {
        cell_id: CellId,
        source: String,
    },
    /// Run the selected cell.
    Run(RunMode),
    /// Run a given cell in place (its run button).
    RunCell(CellId),
    /// Turn the selected cell into another kind (Jupyter's Y, M, R). A cell that stops being
    /// code loses its outputs and count, as in Jupyter.
    SetKind(CellKind),
}

/// What the outside world has to do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send the code to the kernel (`ClientMsg::Execute`).
    Execute { cell_id: CellId, code: String },
    /// Put the keyboard focus into this cell's editor.
    FocusEditor(CellId),
    /// Put the keyboard focus on the cell itself (command mode), scrolling it into view.
    FocusCell(CellId),
}

/// The notebook document plus its editing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notebook {
    cells: Vec<Cell>,
    selected: usize,
    mode: Mode,
    clipboard: Option<Cell>,
    next_id: u64,
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
            selected: 0,
            mode: Mode::Command,
            clipboard: None,
            next_id: 1,
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
            cells: Vec::with_capacity(document.cells.len().max(1)),
            selected: 0,
            mode: Mode::Command,
            clipboard: None,
            next_id: 1,
            metadata: document.metadata,
            file_extra: document.extra,
        };
        for cell in document.cells {
            let (kind, execution_count, saved_outputs, attachments) = match cell.kind {
                IpynbCellKind::Code {
                    execution_count,
                    outputs,
                } => (CellKind::Code, execution_count, outputs, None),
                IpynbCellKind::Markdown { attachments } => {
                    (CellKind::Markdown, None, Vec::new(), attachments)
                }
                IpynbCellKind::Raw { attachments } => {
                    (CellKind::Raw, None, Vec::new(), attachments)
                }
            };
            notebook.cells.push(Cell {
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
            });
        }
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
        document.cells = self
            .cells
            .iter()
            .map(|cell| {
                let kind = match cell.kind {
                    CellKind::Code => IpynbCellKind::Code {
                        execution_count: cell.execution_count,
                        outputs: cell
                            .saved_outputs
                            .iter()
                            .cloned()
                            .chain(cell.outputs.iter().map(IpynbOutput::from_wire))
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
            })
            .collect();
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

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_cell(&self) -> &Cell {
        &self.cells[self.selected]
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn cell(&self, id: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.id == id)
    }

    pub fn is_selected(&self, id: &str) -> bool {
        self.selected_cell().id == id
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.cells.iter().position(|c| c.id == id)
    }

    fn cell_mut(&mut self, id: &str) -> Option<&mut Cell> {
        self.cells.iter_mut().find(|c| c.id == id)
    }

    /// An empty code cell with an id no cell has (loaded cells keep their ids, which may look
    /// like ours).
    fn new_cell(&mut self) -> Cell {
        loop {
            let id = format!("cell-{}", self.next_id);
            self.next_id += 1;
            if self.position(&id).is_none() {
                return Cell::new(id);
            }
        }
    }

    fn selected_id(&self) -> CellId {
        self.selected_cell().id.clone()
    }

    /// Selects `index` in command mode and asks for the focus to follow.
    fn select_in_command_mode(&mut self, index: usize) -> Vec<Effect> {
        self.selected = index;
        self.mode = Mode::Command;
        vec![Effect::FocusCell(self.selected_id())]
    }

    fn insert_at(&mut self, index: usize, cell: Cell) {
        self.cells.insert(index, cell);
        self.selected = index;
    }

    /// Carries out a user command.
    pub fn apply(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::EnterCommandMode => self.select_in_command_mode(self.selected),
            Command::EnterEditMode => {
                self.mode = Mode::Edit;
                vec![Effect::FocusEditor(self.selected_id())]
            }
            Command::SelectPrevious => self.select_in_command_mode(self.selected.saturating_sub(1)),
            Command::SelectNext => {
                self.select_in_command_mode((self.selected + 1).min(self.cells.len() - 1))
            }
            Command::Select(id) => match self.position(&id) {
                Some(index) if index != self.selected => self.select_in_command_mode(index),
                _ => Vec::new(),
            },
            Command::EditorFocused(id) => {
                if let Some(index) = self.position(&id) {
                    self.selected = index;
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
                self.insert_at(self.selected, cell);
                self.select_in_command_mode(self.selected)
            }
            Command::InsertBelow => {
                let cell = self.new_cell();
                self.insert_at(self.selected + 1, cell);
                self.select_in_command_mode(self.selected)
            }
            Command::Cut => {
                let cut = self.cells.remove(self.selected);
                self.clipboard = Some(cut);
                if self.cells.is_empty() {
                    let cell = self.new_cell();
                    self.cells.push(cell);
                }
                self.select_in_command_mode(self.selected.min(self.cells.len() - 1))
            }
            Command::Copy => {
                self.clipboard = Some(self.selected_cell().clone());
                Vec::new()
            }
            Command::PasteBelow => self.paste(self.selected + 1),
            Command::PasteAbove => self.paste(self.selected),
            Command::SetSource { cell_id, source } => {
                if let Some(cell) = self.cell_mut(&cell_id) {
                    cell.source = source;
                }
                Vec::new()
            }
            Command::Run(run_mode) => {
                let mut effects = self.run(self.selected);
                effects.extend(self.after_run(run_mode));
                effects
            }
            Command::RunCell(id) => match self.position(&id) {
                Some(index) => {
                    self.selected = index;
                    self.mode = Mode::Command;
                    self.run(index)
                }
                None => Vec::new(),
            },
            Command::SetKind(kind) => {
                let cell = &mut self.cells[self.selected];
                if cell.kind != kind {
                    if cell.kind == CellKind::Code {
                        cell.outputs.clear();
                        cell.saved_outputs.clear();
                        cell.outputs_dropped = 0;
                        cell.execution_count = None;
                        cell.error = None;
                        cell.state = RunState::Idle;
                    }
                    cell.kind = kind;
                }
                Vec::new()
            }
        }
    }

    fn paste(&mut self, index: usize) -> Vec<Effect> {
        let Some(template) = self.clipboard.clone() else {
            return Vec::new();
        };
        let mut cell = self.new_cell();
        cell.kind = template.kind;
        cell.source = template.source;
        cell.saved_outputs = template.saved_outputs;
        cell.file = template.file;
        cell.outputs = template.outputs;
        cell.outputs_dropped = template.outputs_dropped;
        cell.execution_count = template.execution_count;
        cell.error = template.error;
        // A pasted copy is not the run in flight: results go to the cell that was run.
        cell.state = RunState::Idle;
        self.insert_at(index, cell);
        self.select_in_command_mode(index)
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
        cell.outputs.clear();
        cell.outputs_dropped = 0;
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
        }]
    }

    fn after_run(&mut self, run_mode: RunMode) -> Vec<Effect> {
        match run_mode {
            RunMode::InPlace => self.select_in_command_mode(self.selected),
            RunMode::SelectNext if self.selected + 1 < self.cells.len() => {
                self.select_in_command_mode(self.selected + 1)
            }
            RunMode::SelectNext | RunMode::InsertBelow => {
                let cell = self.new_cell();
                self.insert_at(self.selected + 1, cell);
                self.mode = Mode::Edit;
                vec![Effect::FocusEditor(self.selected_id())]
            }
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
                if cell.outputs.len() >= MAX_OUTPUTS_PER_CELL {
                    cell.outputs.remove(0);
                    cell.outputs_dropped += 1;
                }
                cell.outputs.push(data);
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
                    code: "hai".into()
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
        assert_eq!(cell.outputs, vec![text("hai")]);
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
        assert_eq!(cell.outputs[0], text("5"));
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
        assert_eq!(
            effects,
            vec![Effect::FocusCell(nb.selected_cell().id.clone())]
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
                code: "one".into()
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

    const OUTPUTS: &str = include_str!("../fixtures/ipynb/outputs_v4_5.ipynb");

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
                code: "21 * 2".into()
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
