//! The inspector pane: every frame, handshake and kernel message on every hop. The records
//! themselves are the session's (`crate::session::records`); this is how they are shown.
//!
//! Pure models: the filter ([`row_filter`], with [`pattern`]), the kernel messages' threads
//! ([`kernel_tree`]), the virtualized list ([`virtual_list`]), what the record pane says
//! ([`record_facts`], [`frame_layout`]), picked frames as cells ([`replay`]), the export links
//! ([`capture_export`]) and the message composer's draft ([`composer`]). Views: the pane
//! ([`view`]), the selected record ([`record_view`]) and a kernel message in it
//! ([`kernel_message_view`]), and the composer ([`composer_view`]).

pub mod capture_export;
pub mod composer;
pub mod composer_view;
pub mod follow;
pub mod frame_layout;
pub mod kernel_message_view;
pub mod kernel_tree;
pub mod pattern;
pub mod record_facts;
pub mod record_view;
pub mod replay;
pub mod row_filter;
pub mod row_text;
pub mod view;
pub mod virtual_list;
