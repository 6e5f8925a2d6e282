//! The notebook pane. The notebook itself (cells, commands, effects) is the pure model in
//! `wirebook_notebook`; here are what a cell run sends ([`cell_sending`]) and the pane's
//! view; each cell's code editor is `crate::editor`.

pub mod cell_sending;
pub mod clipboard;
pub mod effects;
pub mod view;
