//! Property tests of the notebook's cell operations: random command sequences agree with a
//! plain reference model (a list of (id, source, kind) with whole-document undo snapshots),
//! and every undo restores the document exactly, every redo re-applies it exactly.

use std::collections::HashSet;

use proptest::prelude::*;
use wirebook_notebook::{CellKind, Command, Notebook, RunMode, Selection};
use wirebook_shared::ipynb::{IpynbCell, IpynbCellKind, IpynbNotebook};

/// The commands the sequences are made of. `Split` takes the cursor as a fraction of the
/// active cell's length; `Type` replaces the active cell's text.
#[derive(Debug, Clone)]
enum Op {
    Command(Command),
    Split(f64),
    Type(String),
}

fn kind() -> impl Strategy<Value = CellKind> {
    prop_oneof![
        Just(CellKind::Code),
        Just(CellKind::Markdown),
        Just(CellKind::Raw)
    ]
}

fn structural() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Command::InsertAbove),
        Just(Command::InsertBelow),
        Just(Command::SelectPrevious),
        Just(Command::SelectNext),
        Just(Command::ExtendSelectionAbove),
        Just(Command::ExtendSelectionBelow),
        Just(Command::SelectAll),
        Just(Command::Cut),
        Just(Command::Copy),
        Just(Command::PasteBelow),
        Just(Command::PasteAbove),
        Just(Command::Delete),
        Just(Command::Undo),
        Just(Command::Redo),
        Just(Command::Merge),
        Just(Command::MoveUp),
        Just(Command::MoveDown),
        kind().prop_map(Command::SetKind),
        (1u8..=6).prop_map(Command::Heading),
    ]
    .prop_map(Op::Command)
    .boxed()
    .prop_union((0.0..=1.0f64).prop_map(Op::Split).boxed())
}

fn with_typing() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => structural(),
        1 => "[a-z#\n ]{0,8}".prop_map(Op::Type),
        1 => Just(Op::Command(Command::Run(RunMode::SelectNext))),
        1 => Just(Op::Command(Command::RunAll)),
    ]
}

fn start() -> impl Strategy<Value = Vec<(String, CellKind)>> {
    prop::collection::vec(("[a-z#\n ]{0,12}", kind()), 1..6)
}

/// A loaded notebook; its ids look like generated ones to test that they are never reused.
fn load(cells: &[(String, CellKind)]) -> Notebook {
    let mut document = IpynbNotebook::new();
    for (i, (source, kind)) in cells.iter().enumerate() {
        let kind = match kind {
            CellKind::Code => IpynbCellKind::Code {
                execution_count: None,
                outputs: Vec::new(),
            },
            CellKind::Markdown => IpynbCellKind::Markdown { attachments: None },
            CellKind::Raw => IpynbCellKind::Raw { attachments: None },
        };
        document.cells.push(IpynbCell::new(
            format!("cell-{}", i + 2),
            kind,
            source.clone(),
        ));
    }
    Notebook::from_ipynb(document)
}

/// What the notebook is turned into for a command.
fn command(nb: &Notebook, op: &Op) -> Command {
    match op {
        Op::Command(command) => command.clone(),
        Op::Split(at) => {
            let cell = nb.selected_cell();
            let cursor = (cell.source.len() as f64 * at) as usize;
            Command::Split {
                cell_id: cell.id.clone(),
                start: cursor,
                end: cursor,
            }
        }
        Op::Type(text) => Command::SetSource {
            cell_id: nb.selected_cell().id.clone(),
            source: text.clone(),
        },
    }
}

type RefCell = (String, String, CellKind);

/// The reference: a list, a selection, snapshots for undo. A new cell has an empty id until
/// the model's id is learnt (after checking it is new).
#[derive(Debug, Clone)]
struct Reference {
    cells: Vec<RefCell>,
    anchor: usize,
    head: usize,
    clipboard: Vec<RefCell>,
    undo: Vec<(Vec<RefCell>, usize, usize)>,
    redo: Vec<(Vec<RefCell>, usize, usize)>,
}

impl Reference {
    fn bounds(&self) -> (usize, usize) {
        (self.anchor.min(self.head), self.anchor.max(self.head))
    }

    fn single(&mut self, index: usize) {
        self.anchor = index;
        self.head = index;
    }

    fn fresh(source: &str, kind: CellKind) -> RefCell {
        (String::new(), source.to_string(), kind)
    }

    fn apply(&mut self, op: &Op) {
        let before = (self.cells.clone(), self.anchor, self.head);
        let last = self.cells.len() - 1;
        let (first, end) = self.bounds();
        match op {
            Op::Command(Command::InsertAbove) => {
                self.cells
                    .insert(self.head, Self::fresh("", CellKind::Code));
                self.single(self.head);
            }
            Op::Command(Command::InsertBelow) => {
                self.cells
                    .insert(self.head + 1, Self::fresh("", CellKind::Code));
                self.single(self.head + 1);
            }
            Op::Command(Command::SelectPrevious) => self.single(self.head.saturating_sub(1)),
            Op::Command(Command::SelectNext) => self.single((self.head + 1).min(last)),
            Op::Command(Command::ExtendSelectionAbove) => self.head = self.head.saturating_sub(1),
            Op::Command(Command::ExtendSelectionBelow) => self.head = (self.head + 1).min(last),
            Op::Command(Command::SelectAll) => {
                self.anchor = 0;
                self.head = last;
            }
            Op::Command(Command::Copy) => self.clipboard = self.cells[first..=end].to_vec(),
            Op::Command(Command::Cut) => {
                self.clipboard = self.cells[first..=end].to_vec();
                self.delete(first, end);
            }
            Op::Command(Command::Delete) => self.delete(first, end),
            Op::Command(Command::PasteBelow | Command::PasteAbove) => {
                if !self.clipboard.is_empty() {
                    let at = if matches!(op, Op::Command(Command::PasteBelow)) {
                        self.head + 1
                    } else {
                        self.head
                    };
                    let pasted: Vec<RefCell> = self
                        .clipboard
                        .iter()
                        .map(|(_, s, k)| Self::fresh(s, *k))
                        .collect();
                    let n = pasted.len();
                    self.cells.splice(at..at, pasted);
                    self.anchor = at;
                    self.head = at + n - 1;
                }
            }
            Op::Command(Command::Undo) => {
                if let Some((cells, anchor, head)) = self.undo.pop() {
                    self.redo.push(before);
                    (self.cells, self.anchor, self.head) = (cells, anchor, head);
                }
                return;
            }
            Op::Command(Command::Redo) => {
                if let Some((cells, anchor, head)) = self.redo.pop() {
                    self.undo.push(before);
                    (self.cells, self.anchor, self.head) = (cells, anchor, head);
                }
                return;
            }
            Op::Command(Command::Merge) => {
                let end = if first == end { end + 1 } else { end };
                if end <= last {
                    let (id, _, kind) = self.cells[self.head].clone();
                    let source = self.cells[first..=end]
                        .iter()
                        .map(|c| c.1.as_str())
                        .collect::<Vec<_>>()
                        .join("\n\n");
                    self.cells.splice(first..=end, [(id, source, kind)]);
                    self.single(first);
                }
            }
            Op::Command(Command::MoveUp) => {
                if first > 0 {
                    let above = self.cells.remove(first - 1);
                    self.cells.insert(end, above);
                    self.anchor -= 1;
                    self.head -= 1;
                }
            }
            Op::Command(Command::MoveDown) => {
                if end < last {
                    let below = self.cells.remove(end + 1);
                    self.cells.insert(first, below);
                    self.anchor += 1;
                    self.head += 1;
                }
            }
            Op::Command(Command::SetKind(kind)) => {
                for cell in &mut self.cells[first..=end] {
                    cell.2 = *kind;
                }
            }
            Op::Command(Command::Heading(level)) => {
                for cell in &mut self.cells[first..=end] {
                    let rest = cell.1.trim_start_matches('#').trim_start();
                    cell.1 = format!("{} {rest}", "#".repeat(usize::from(*level)));
                    cell.2 = CellKind::Markdown;
                }
            }
            Op::Split(at) => {
                let (id, source, kind) = self.cells[self.head].clone();
                let cursor = (source.len() as f64 * at) as usize;
                let (a, b) = source.split_at(cursor);
                self.cells.splice(
                    self.head..=self.head,
                    [
                        (id, a.trim_matches('\n').to_string(), kind),
                        Self::fresh(b.trim_matches('\n'), kind),
                    ],
                );
                self.single(self.head + 1);
            }
            other => unreachable!("not a reference operation: {other:?}"),
        }
        if self.cells != before.0 {
            self.undo.push(before);
            self.redo.clear();
        }
    }

    fn delete(&mut self, first: usize, end: usize) {
        self.cells.drain(first..=end);
        if self.cells.is_empty() {
            self.cells.push(Self::fresh("", CellKind::Code));
        }
        self.single(first.min(self.cells.len() - 1));
    }

    /// Takes the model's ids for new cells, checking that each was never used before.
    fn learn_ids(
        &mut self,
        nb: &Notebook,
        seen: &mut HashSet<String>,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.cells.len(), nb.cells().len());
        for (mine, theirs) in self.cells.iter_mut().zip(nb.cells()) {
            if mine.0.is_empty() {
                prop_assert!(seen.insert(theirs.id.clone()), "id {} reused", theirs.id);
                mine.0 = theirs.id.clone();
            }
        }
        Ok(())
    }
}

fn view(nb: &Notebook) -> Vec<RefCell> {
    nb.cells()
        .iter()
        .map(|c| (c.id.clone(), c.source.clone(), c.kind))
        .collect()
}

/// After `op` took `before` to `after`: if it was a step, undo gives `before` back exactly
/// and redo gives `after` back exactly.
fn check_undo(before: &Notebook, after: &Notebook, op: &Op) -> Result<(), TestCaseError> {
    let recorded = after.undo_len() > before.undo_len();
    let is_history = matches!(op, Op::Command(Command::Undo | Command::Redo));
    if !recorded || is_history {
        return Ok(());
    }
    let mut undone = after.clone();
    undone.apply(Command::Undo);
    if matches!(op, Op::Command(Command::Run(_) | Command::RunAll)) {
        // A run that inserted a cell: undo takes the cell away, the run itself stays.
        prop_assert_eq!(undone.cells().len(), before.cells().len());
    } else {
        prop_assert_eq!(undone.cells(), before.cells(), "undo of {:?}", op);
        prop_assert_eq!(undone.selection(), before.selection(), "undo of {:?}", op);
    }
    let mut redone = undone;
    redone.apply(Command::Redo);
    prop_assert_eq!(redone.cells(), after.cells(), "redo of {:?}", op);
    prop_assert_eq!(redone.selection(), after.selection(), "redo of {:?}", op);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_model_agrees_with_the_reference(start in start(), ops in prop::collection::vec(structural(), 1..60)) {
        let mut nb = load(&start);
        let mut reference = Reference {
            cells: view(&nb),
            anchor: 0,
            head: 0,
            clipboard: Vec::new(),
            undo: Vec::new(),
            redo: Vec::new(),
        };
        let mut seen: HashSet<String> = reference.cells.iter().map(|c| c.0.clone()).collect();
        for op in &ops {
            let before = nb.clone();
            nb.apply(command(&nb, op));
            reference.apply(op);
            reference.learn_ids(&nb, &mut seen)?;
            prop_assert_eq!(view(&nb), reference.cells.clone(), "after {:?}", op);
            prop_assert_eq!(
                nb.selection(),
                Selection { anchor: reference.anchor, head: reference.head },
                "after {:?}", op
            );
            prop_assert_eq!(nb.undo_len(), reference.undo.len());
            prop_assert_eq!(nb.redo_len(), reference.redo.len());
            check_undo(&before, &nb, op)?;
        }
    }

    #[test]
    fn undo_then_redo_loses_nothing_even_with_typing_and_runs(
        start in start(),
        ops in prop::collection::vec(with_typing(), 1..60),
    ) {
        let mut nb = load(&start);
        for op in &ops {
            let before = nb.clone();
            nb.apply(command(&nb, op));
            check_undo(&before, &nb, op)?;
            // Whatever happened in between, undo followed by redo is the identity.
            let mut round = nb.clone();
            if !round.apply(Command::Undo).is_empty() {
                round.apply(Command::Redo);
                prop_assert_eq!(round.cells(), nb.cells());
                prop_assert_eq!(round.selection(), nb.selection());
            }
            let ids: HashSet<&str> = nb.cells().iter().map(|c| c.id.as_str()).collect();
            prop_assert_eq!(ids.len(), nb.cells().len(), "ids stay unique");
            prop_assert!(nb.selection().bounds().1 < nb.cells().len());
            prop_assert!(nb.to_ipynb().problems().is_empty());
        }
    }
}
