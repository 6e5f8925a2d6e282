//! What the inspector's list shows and which of its rows the user chose, without the DOM: the
//! mode (the chronological list or the kernel messages' threads), the rows in display order
//! ([`Shown`]), the selected row whose detail opens below, and the rows picked for "To cells"
//! ([`Selection`]), moved by clicks and keys as in a file manager.

use std::collections::BTreeSet;

use crate::inspector::kernel_tree::{KernelTree, Message, ThreadRow};
use crate::inspector::row_filter::FilteredRows;
use crate::inspector::virtual_list::Move;
use crate::session::records::{kernel_message, Records};

/// Chronological list or threaded tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListMode {
    #[default]
    List,
    Tree,
}

/// The rows the list shows, in order: the filtered rows, or (in the tree) the kernel messages
/// among them threaded by parent.
#[derive(Debug, Clone, Copy)]
pub enum Shown<'a> {
    List(&'a FilteredRows),
    Tree(&'a KernelTree),
}

impl<'a> Shown<'a> {
    /// The tree when it is built (the tree mode), else the filtered rows.
    pub fn new(filtered: &'a FilteredRows, tree: Option<&'a KernelTree>) -> Self {
        match tree {
            Some(tree) => Shown::Tree(tree),
            None => Shown::List(filtered),
        }
    }

    pub fn len(self) -> usize {
        match self {
            Shown::List(rows) => rows.len(),
            Shown::Tree(tree) => tree.len(),
        }
    }

    /// The `seq` of the row at `index`.
    pub fn get(self, index: usize) -> Option<u64> {
        match self {
            Shown::List(rows) => rows.get(index),
            Shown::Tree(tree) => tree.get(index).map(|r| r.seq),
        }
    }

    /// Where the row `seq` is shown, if it is.
    pub fn index_of(self, seq: u64) -> Option<usize> {
        match self {
            Shown::List(rows) => rows.index_of(seq),
            Shown::Tree(tree) => tree.index_of(seq),
        }
    }

    /// The rows at `range`, each with its indent (0 in the list) and whether its parent is
    /// missing from the tree.
    pub fn placed(self, range: std::ops::Range<usize>) -> Vec<ThreadRow> {
        match self {
            Shown::List(rows) => rows
                .range(range)
                .map(|seq| ThreadRow {
                    seq,
                    depth: 0,
                    orphan: false,
                })
                .collect(),
            Shown::Tree(tree) => tree.range(range).to_vec(),
        }
    }
}

/// The tree mode's rows: the kernel messages among the filtered rows, threaded by parent.
pub fn kernel_threads(records: &Records, rows: &FilteredRows) -> KernelTree {
    let messages = rows
        .range(0..rows.len())
        .filter_map(|seq| {
            let m = kernel_message(&records.get(seq)?.body)?;
            Some(Message {
                seq,
                msg_id: m.msg_id.clone(),
                parent: m.parent_msg_id.clone(),
            })
        })
        .collect();
    KernelTree::build(messages)
}

/// What a key press in the list asks of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    /// Not the list's key: let the browser have it.
    Ignored,
    /// Handled (the browser's default is prevented); nothing to scroll.
    Handled,
    /// Handled, and the row at this index is newly selected: scroll it into view.
    Reveal(usize),
}

/// The selected row (its detail shows when open) and the rows picked for "To cells".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    selected: Option<u64>,
    picked: BTreeSet<u64>,
    detail_open: bool,
}

impl Selection {
    pub fn selected(&self) -> Option<u64> {
        self.selected
    }

    pub fn is_picked(&self, seq: u64) -> bool {
        self.picked.contains(&seq)
    }

    /// Whether the detail was opened (and not closed since).
    pub fn detail_open(&self) -> bool {
        self.detail_open
    }

    /// Whether the detail split shows (open, with a row to show).
    pub fn detail_shown(&self) -> bool {
        self.detail_open && self.selected.is_some()
    }

    pub fn select(&mut self, seq: u64) {
        self.selected = Some(seq);
    }

    pub fn open_detail(&mut self) {
        self.detail_open = true;
    }

    pub fn close_detail(&mut self) {
        self.detail_open = false;
    }

    /// Picks rows for "To cells": one alone, or `toggle` (Ctrl/Cmd) adds or removes one, or
    /// `range` (Shift) adds the rows from the selected one to `seq`.
    pub fn pick(&mut self, seq: u64, range: bool, toggle: bool, shown: Shown) {
        let anchor = self.selected.and_then(|s| shown.index_of(s));
        match (range, anchor, shown.index_of(seq)) {
            (true, Some(a), Some(b)) => {
                self.picked
                    .extend((a.min(b)..=a.max(b)).filter_map(|i| shown.get(i)));
            }
            _ if toggle => {
                if !self.picked.remove(&seq) {
                    self.picked.insert(seq);
                }
            }
            _ => self.picked = BTreeSet::from([seq]),
        }
    }

    /// A click on row `seq`: it is picked as [`Selection::pick`] says; a plain or Ctrl click
    /// selects it, and a plain click opens its detail.
    pub fn click(&mut self, seq: u64, range: bool, toggle: bool, shown: Shown) {
        self.pick(seq, range, toggle, shown);
        if !range {
            self.selected = Some(seq);
        }
        if !range && !toggle {
            self.detail_open = true;
        }
    }

    /// A key pressed in the list (without Ctrl, Alt or Meta): arrows, Page Up/Down, Home and
    /// End move the selection (with Shift picking the rows passed), Space picks or unpicks the
    /// selected row, Enter opens its detail. `page_rows` rows make a page; `visible` are the
    /// rows in view, where a page starts when the selected row is not among them.
    pub fn key(
        &mut self,
        key: &str,
        shift: bool,
        shown: Shown,
        page_rows: usize,
        visible: std::ops::Range<usize>,
    ) -> KeyOutcome {
        if key == " " {
            let Some(seq) = self.selected else {
                return KeyOutcome::Ignored;
            };
            self.pick(seq, false, true, shown);
            return KeyOutcome::Handled;
        }
        if let Some(step) = Move::from_key(key) {
            if shift {
                self.picked.extend(self.selected);
            }
            let current = self.selected.and_then(|s| shown.index_of(s));
            let next = step.apply(current, shown.len(), page_rows, visible);
            let Some((index, seq)) = next.and_then(|i| Some((i, shown.get(i)?))) else {
                return KeyOutcome::Handled;
            };
            self.selected = Some(seq);
            if shift {
                self.picked.insert(seq);
            }
            return KeyOutcome::Reveal(index);
        }
        if key == "Enter" && self.selected.is_some() {
            self.detail_open = true;
            return KeyOutcome::Handled;
        }
        KeyOutcome::Ignored
    }

    /// The rows "To cells" turns into cells: the picked ones, else the selected one.
    pub fn for_cells(&self) -> Vec<u64> {
        if self.picked.is_empty() {
            self.selected.into_iter().collect()
        } else {
            self.picked.iter().copied().collect()
        }
    }

    /// The "To cells" button's text: how many rows it would turn into cells, when several.
    pub fn to_cells_label(&self) -> String {
        match self.picked.len() {
            0 | 1 => "To cells".to_string(),
            n => format!("To cells ({n})"),
        }
    }

    /// The selected row went (a clear, a new server): nothing is selected, the detail closes.
    pub fn forget_selected(&mut self) {
        self.selected = None;
        self.detail_open = false;
    }
}

/// The list's count: the rows shown of those kept while a filter is on, else the rows kept.
pub fn count_label(shown: usize, kept: usize, filtering: bool) -> String {
    if filtering {
        format!("{shown} of {kept} rows")
    } else {
        format!("{kept} rows")
    }
}

/// What the empty list says.
pub fn empty_list_text(no_records: bool, mode: ListMode) -> &'static str {
    if no_records {
        "Nothing captured yet. Run a cell: its frames show here on every hop, browser ⇄ wirebook and wirebook ⇄ kernel."
    } else if mode == ListMode::Tree {
        "No kernel messages match the filter (the tree shows Jupyter messages only)."
    } else {
        "No rows match the filter."
    }
}

#[cfg(test)]
mod tests {
    use wirebook_shared::capture::Hop;

    use super::*;
    use crate::inspector::protocol_column::ProtocolColumn;
    use crate::inspector::row_filter::Filter;
    use crate::session::test_records::{execute_thread, msg};

    /// Rows 10, 11, …, 19 as the filtered list shows them.
    fn ten_rows() -> FilteredRows {
        let mut records = Records::default();
        records.add((10..20).map(|seq| msg(seq, Hop::Browser, "x")).collect(), 0);
        let mut rows = FilteredRows::default();
        rows.refresh(&records, &Filter::default(), 0, &ProtocolColumn::default());
        rows
    }

    #[test]
    fn shown_rows_are_the_list_or_the_tree() {
        let rows = ten_rows();
        let list = Shown::new(&rows, None);
        assert_eq!(
            (list.len(), list.get(2), list.index_of(13)),
            (10, Some(12), Some(3))
        );
        assert_eq!(
            list.placed(8..12),
            vec![
                ThreadRow {
                    seq: 18,
                    depth: 0,
                    orphan: false
                },
                ThreadRow {
                    seq: 19,
                    depth: 0,
                    orphan: false
                },
            ]
        );
        let message = |seq, id: &str, parent: Option<&str>| Message {
            seq,
            msg_id: id.into(),
            parent: parent.map(str::to_string),
        };
        let tree = KernelTree::build(vec![
            message(1, "a", None),
            message(2, "b", Some("a")),
            message(3, "c", Some("gone")),
        ]);
        let threads = Shown::new(&rows, Some(&tree));
        assert_eq!(threads.len(), 3);
        assert_eq!(threads.index_of(13), None);
        assert_eq!(
            threads.placed(0..3)[1],
            ThreadRow {
                seq: 2,
                depth: 1,
                orphan: false
            }
        );
        assert!(threads.placed(0..3)[2].orphan);
        assert_eq!(Shown::new(&FilteredRows::default(), None).len(), 0);
    }

    #[test]
    fn the_tree_threads_the_kernel_messages_among_the_rows() {
        let mut records = Records::default();
        let [request, busy, reply] = execute_thread();
        records.add(
            vec![request, busy, msg(4, Hop::Browser, "not a kernel message")],
            0,
        );
        records.add(vec![reply], 0);
        let mut rows = FilteredRows::default();
        rows.refresh(&records, &Filter::default(), 0, &ProtocolColumn::default());
        let tree = kernel_threads(&records, &rows);
        let thread = |seq, depth| ThreadRow {
            seq,
            depth,
            orphan: false,
        };
        assert_eq!(
            tree.range(0..tree.len()),
            [thread(1, 0), thread(2, 1), thread(3, 1)]
        );
    }

    #[test]
    fn clicks_select_pick_and_open_the_detail() {
        let rows = ten_rows();
        let shown = Shown::new(&rows, None);
        let mut s = Selection::default();
        assert!(!s.detail_shown());
        s.click(12, false, false, shown);
        assert_eq!(s.selected(), Some(12));
        assert!(s.detail_shown() && s.is_picked(12));
        // Ctrl+click adds a row and selects it without opening anything new; again removes it.
        s.close_detail();
        s.click(15, false, true, shown);
        assert_eq!((s.selected(), s.detail_shown()), (Some(15), false));
        assert_eq!(s.for_cells(), vec![12, 15]);
        s.click(15, false, true, shown);
        assert_eq!(s.for_cells(), vec![12]);
        // Shift+click picks the range from the selected row, which stays selected.
        s.click(13, true, false, shown);
        assert_eq!(s.selected(), Some(15));
        assert_eq!(s.for_cells(), vec![12, 13, 14, 15]);
        assert_eq!(s.to_cells_label(), "To cells (4)");
        // A plain click starts over with one row.
        s.click(19, false, false, shown);
        assert_eq!(s.for_cells(), vec![19]);
        assert_eq!(s.to_cells_label(), "To cells");
    }

    #[test]
    fn keys_move_pick_and_open() {
        let rows = ten_rows();
        let shown = Shown::new(&rows, None);
        let mut s = Selection::default();
        // Nothing selected: Space and Enter are not the list's; ↓ starts at the top.
        assert_eq!(s.key(" ", false, shown, 5, 0..10), KeyOutcome::Ignored);
        assert_eq!(s.key("Enter", false, shown, 5, 0..10), KeyOutcome::Ignored);
        assert_eq!(
            s.key("ArrowDown", false, shown, 5, 0..10),
            KeyOutcome::Reveal(0)
        );
        assert_eq!(s.selected(), Some(10));
        assert_eq!(s.for_cells(), vec![10], "the selected row alone, unpicked");
        // Shift+↓ picks the row left and the row reached.
        assert_eq!(
            s.key("ArrowDown", true, shown, 5, 0..10),
            KeyOutcome::Reveal(1)
        );
        assert_eq!(s.for_cells(), vec![10, 11]);
        // Space unpicks and picks the selected row.
        assert_eq!(s.key(" ", false, shown, 5, 0..10), KeyOutcome::Handled);
        assert_eq!(s.for_cells(), vec![10]);
        assert_eq!(
            s.key("PageDown", false, shown, 5, 0..10),
            KeyOutcome::Reveal(6)
        );
        assert_eq!(s.key("End", false, shown, 5, 0..10), KeyOutcome::Reveal(9));
        assert_eq!(s.selected(), Some(19));
        assert_eq!(s.key("Enter", false, shown, 5, 0..10), KeyOutcome::Handled);
        assert!(s.detail_shown());
        assert_eq!(s.key("x", false, shown, 5, 0..10), KeyOutcome::Ignored);
        // In an empty list the arrows are still the list's, and move nothing.
        let none = FilteredRows::default();
        assert_eq!(
            s.key("ArrowUp", false, Shown::new(&none, None), 5, 0..10),
            KeyOutcome::Handled
        );
        assert_eq!(s.selected(), Some(19));
    }

    #[test]
    fn a_selected_row_that_went_closes_the_detail() {
        let mut s = Selection::default();
        s.select(3);
        s.open_detail();
        assert!(s.detail_shown());
        s.forget_selected();
        assert_eq!(s.selected(), None);
        assert!(!s.detail_shown() && !s.detail_open());
        s.select(4);
        assert!(!s.detail_shown(), "the detail stays closed until asked");
    }

    #[test]
    fn counts_and_empty_lists_say_what_is_shown() {
        assert_eq!(count_label(3, 10, true), "3 of 10 rows");
        assert_eq!(count_label(10, 10, false), "10 rows");
        assert!(empty_list_text(true, ListMode::Tree).starts_with("Nothing captured yet"));
        assert!(empty_list_text(false, ListMode::Tree).contains("kernel messages"));
        assert_eq!(
            empty_list_text(false, ListMode::List),
            "No rows match the filter."
        );
    }
}
