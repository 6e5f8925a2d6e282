//! The inspector pane: every frame, handshake and kernel message on every hop.
//!
//! Pure models: the records the page keeps ([`records`]), the filter ([`row_filter`]), the
//! kernel messages' threads ([`kernel_tree`]), the virtualized list ([`virtual_list`]), what
//! the record pane says ([`record_facts`], [`frame_layout`]), picked frames as cells
//! ([`replay`]) and the export links ([`capture_export`]). Views: the pane ([`view`]), the
//! selected record ([`record_view`]) and a kernel message in it ([`kernel_message_view`]).

pub mod capture_export;
pub mod frame_layout;
pub mod kernel_message_view;
pub mod kernel_tree;
pub mod pattern;
pub mod record_facts;
pub mod record_view;
pub mod records;
pub mod replay;
pub mod row_filter;
pub mod view;
pub mod virtual_list;
