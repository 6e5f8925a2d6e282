//! The notebook pane. The notebook itself (cells, commands, effects) is the pure model in
//! `wirebook_notebook`; here are what a cell run sends ([`cell_sending`]), the cell
//! editor's keys ([`code_editing`]) and the pane's view.

pub mod cell_sending;
pub mod clipboard;
pub mod code_editing;
pub mod effects;
pub mod view;
