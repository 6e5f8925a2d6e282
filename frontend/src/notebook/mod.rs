//! The notebook pane. The notebook itself (cells, commands, effects) is the pure model in
//! `wirebook_notebook`; here are what a cell run sends ([`cell_sending`]), find and
//! replace across the cells ([`find_view`]; the model is `wirebook_notebook::find`), a cell's expectations
//! ([`expectations_view`]), a recorded cell's run against its recording ([`comparison_view`])
//! and the pane's view; each cell's code editor is `crate::editor`.

pub mod cell_sending;
pub mod clipboard;
pub mod comparison_view;
pub mod effects;
pub mod expectation_kit;
pub mod expectations_view;
pub mod find_view;
pub mod view;
