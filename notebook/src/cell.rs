//! One cell: its source, kind, outputs and run state, and how it reads from and writes to its
//! `.ipynb` form.

use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::{Attachments, IpynbCell, IpynbCellKind, IpynbOutput, JsonMap};
use wirebook_shared::session::WireData;

use crate::cell_formats;

/// Identifies a cell for the lifetime of the page; the server echoes it back with results.
pub type CellId = String;

/// How many outputs a cell keeps; older ones are dropped and counted, so that a chatty kernel
/// cannot grow the page without bound (the inspector still shows every message).
pub const MAX_OUTPUTS_PER_CELL: usize = 1000;

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
    /// Bytes of stream text the last run's outputs dropped to respect
    /// [`MAX_STREAM_BYTES`](crate::output_area::MAX_STREAM_BYTES).
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
    /// When the browser wrote the last run's request (RFC 3339): a WebSocket kernel's runs
    /// are timed from it (see [`crate::execution_timing`]). Not saved.
    pub sent_at: Option<String>,
    /// The outputs the cell came with (a session recorded by To cells, a HAR import, a saved
    /// notebook), kept while runs in this page replace them: what a run is compared with
    /// (`crate::replay_compare`). Not saved.
    pub recorded: Vec<IpynbOutput>,
    pub file: CellFileData,
}

impl Cell {
    /// The message format of a cell sent to a WebSocket kernel (text unless set).
    pub fn format(&self) -> CellFormat {
        cell_formats::format_of(&self.file.metadata)
    }

    pub(crate) fn new(id: CellId) -> Self {
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
            sent_at: None,
            recorded: Vec::new(),
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

/// A `.ipynb` cell as the editor holds it (same id).
pub(crate) fn cell_from_ipynb(cell: IpynbCell) -> Cell {
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
        recorded: saved_outputs.clone(),
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
pub(crate) fn cell_to_ipynb(cell: &Cell) -> IpynbCell {
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

/// One output of a cell's last run in this page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellOutput {
    /// A message a WebSocket kernel sent.
    Message(WireData),
    /// A Jupyter output (stream, display_data, execute_result, error), in its nbformat form.
    Jupyter {
        output: IpynbOutput,
        /// `transient.display_id` of a display, for `update_display_data`.
        display_id: Option<String>,
    },
}

impl CellOutput {
    /// The output as `.ipynb` stores it.
    pub fn to_ipynb(&self) -> IpynbOutput {
        match self {
            CellOutput::Message(data) => IpynbOutput::from_wire(data),
            CellOutput::Jupyter { output, .. } => output.clone(),
        }
    }
}

/// A kernel's `input_request` (Python's `input()`), shown as a prompt under the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPrompt {
    pub prompt: String,
    /// Whether the answer is a password (typed masked, shown masked).
    pub password: bool,
    /// The answer once given.
    pub answer: Option<String>,
    /// How many of the cell's outputs came before it: the prompt (and its answer) stays
    /// between those and the ones after, as in Jupyter.
    pub position: usize,
}

impl InputPrompt {
    /// The answer as the page shows it after the reply: passwords as dots.
    pub fn shown_answer(&self) -> Option<String> {
        let answer = self.answer.as_ref()?;
        Some(if self.password {
            "·".repeat(answer.chars().count())
        } else {
            answer.clone()
        })
    }
}
