//! Undo and redo of cell operations (Jupyter's `z` / `Shift+Z`).
//!
//! Every structural change of the notebook — insert, delete, cut, paste, move, merge, split,
//! kind change — is one [`Step`]: a run of cells at one index was replaced by another run. A
//! step is undone by swapping the runs back, and the cells taken out (and the selection) are
//! kept as they are at that moment, so a redo returns exactly to the moment of the undo
//! (including text typed into those cells in between: nothing is lost, it moves between the
//! document and the history).
//!
//! Text edits inside a cell are not steps: the browser's editor has its own undo for them.
//! The history is bounded ([`HISTORY_LIMIT`] steps); the oldest steps are forgotten first.

use std::collections::VecDeque;

use crate::cell::Cell;

/// How many steps can be undone.
pub const HISTORY_LIMIT: usize = 1000;

/// Which cells are selected: the range between `anchor` and `head` (inclusive); `head` is the
/// active cell, the one the keyboard acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Selection {
    pub anchor: usize,
    pub head: usize,
}

impl Selection {
    /// Only the cell at `index`.
    pub fn single(index: usize) -> Self {
        Selection {
            anchor: index,
            head: index,
        }
    }

    /// The first and last selected index.
    pub fn bounds(self) -> (usize, usize) {
        (self.anchor.min(self.head), self.anchor.max(self.head))
    }

    pub fn contains(self, index: usize) -> bool {
        let (first, last) = self.bounds();
        (first..=last).contains(&index)
    }
}

/// One undoable change: at `at`, the cells `before` were replaced by `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: usize,
    pub before: Vec<Cell>,
    pub after: Vec<Cell>,
    pub selection_before: Selection,
    pub selection_after: Selection,
}

/// The undo and redo stacks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    undo: VecDeque<Step>,
    redo: Vec<Step>,
}

impl History {
    /// Records a new step; what could be redone is dropped, as in every editor.
    pub fn record(&mut self, step: Step) {
        self.redo.clear();
        if self.undo.len() == HISTORY_LIMIT {
            self.undo.pop_front();
        }
        self.undo.push_back(step);
    }

    /// How many steps can be undone.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// How many undone steps can be redone.
    pub fn redo_len(&self) -> usize {
        self.redo.len()
    }

    /// Undoes the last step on `cells`, whose selection is `selection`: puts the step's
    /// `before` cells back and returns the cells taken out plus the selection to restore;
    /// `None` when there is nothing to undo.
    pub fn undo(&mut self, cells: &mut Vec<Cell>, selection: Selection) -> Option<Swap> {
        let step = self.undo.pop_back()?;
        let (swap, inverse) = revert(step, cells, selection);
        self.redo.push(inverse);
        Some(swap)
    }

    /// Redoes the last undone step (see [`History::undo`]).
    pub fn redo(&mut self, cells: &mut Vec<Cell>, selection: Selection) -> Option<Swap> {
        let step = self.redo.pop()?;
        let (swap, inverse) = revert(step, cells, selection);
        self.undo.push_back(inverse);
        Some(swap)
    }
}

/// Reverts `step` on `cells` (whose selection is `selection`): its `after` run is swapped
/// back for its `before` run. Returns what changed and the inverse step, which holds the
/// cells and selection as they were at this moment, so that reverting it in turn returns
/// exactly here. The redo stack holds these inverses: an undo and a redo are the same move.
fn revert(step: Step, cells: &mut Vec<Cell>, selection: Selection) -> (Swap, Step) {
    let taken = swap(cells, step.at, step.after.len(), &step.before);
    let change = Swap {
        removed: taken.clone(),
        inserted: step.before.clone(),
        selection: step.selection_before,
    };
    let inverse = Step {
        at: step.at,
        before: taken,
        after: step.before,
        selection_before: selection,
        selection_after: step.selection_before,
    };
    (change, inverse)
}

/// What an undo or redo changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    pub removed: Vec<Cell>,
    pub inserted: Vec<Cell>,
    pub selection: Selection,
}

/// Replaces `len` cells at `at` by `incoming` (cloned) and returns the cells taken out. Steps
/// are recorded and replayed in order, so the range is always in bounds; it is clamped anyway
/// so that a logic error cannot panic the page.
fn swap(cells: &mut Vec<Cell>, at: usize, len: usize, incoming: &[Cell]) -> Vec<Cell> {
    let at = at.min(cells.len());
    let end = (at + len).min(cells.len());
    cells.splice(at..end, incoming.iter().cloned()).collect()
}
