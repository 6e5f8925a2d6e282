//! The editors on the page by cell id, so that what acts on a cell from outside its view (the
//! model rewrote its text, the focus moves to it, a split needs its selection, a completion
//! arrives) reaches its CodeMirror view. Each cell's view adds its editor when it mounts it and
//! removes it on cleanup.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::codemirror::bindings::CellEditor;

thread_local! {
    static OPEN: RefCell<HashMap<String, Rc<CellEditor>>> = RefCell::new(HashMap::new());
}

pub fn add(cell_id: &str, editor: Rc<CellEditor>) {
    OPEN.with(|open| open.borrow_mut().insert(cell_id.to_string(), editor));
}

/// Forgets `cell_id`'s editor if it is still `editor` (a cell moved in the list may have
/// mounted its new view before the old one is cleaned up).
pub fn remove(cell_id: &str, editor: &Rc<CellEditor>) {
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        if open.get(cell_id).is_some_and(|e| Rc::ptr_eq(e, editor)) {
            open.remove(cell_id);
        }
    });
}

/// `f` applied to `cell_id`'s editor, if it has one on the page.
pub fn with<R>(cell_id: &str, f: impl FnOnce(&CellEditor) -> R) -> Option<R> {
    // Cloned out first: `f` may call into JavaScript, which may call back into Rust and look
    // here again.
    let editor = OPEN.with(|open| open.borrow().get(cell_id).cloned())?;
    Some(f(&editor))
}
