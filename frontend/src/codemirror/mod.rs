//! CodeMirror 6 as the Rust side sees it, below the features that use it: [`bindings`], the
//! JavaScript API of the bundle (`frontend/editor/src/cell_editor.js`), and [`open_editors`],
//! the editors on the page by cell id, which the notebook's effects, the key listener and
//! find and replace reach a cell's editor through. The editor feature itself (component,
//! languages, key routing) is `crate::editor`.

pub mod bindings;
pub mod open_editors;
