//! What the server reports about a cell's run: the request went out, the kernel took it, its
//! outputs and input requests, and the failures that end it (the kernel stopped, the connection
//! dropped).

use serde_json::Value;
use wirebook_shared::session::WireData;

use crate::cell::{CellKind, CellOutput, RunState};
use crate::output_area;
use crate::Notebook;

impl Notebook {
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
