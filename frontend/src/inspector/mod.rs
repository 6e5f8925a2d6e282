//! The inspector pane: every frame, handshake and kernel message on every hop. The records
//! themselves are the session's (`crate::session::records`); this is how they are shown.
//!
//! Pure models: the filtered rows ([`row_filter`]; the filter itself is
//! `wirebook_shared::capture_filter`), the filter box's completion ([`filter_suggestions`])
//! and what its shortcuts write in it ([`filter_chips`]), the paged capture (`crate::session::capture_pages`), the
//! kernel messages' threads
//! ([`kernel_tree`]), what the list shows and which rows are chosen ([`list`]), how one row
//! reads ([`list_row`], [`row_text`]), its Time column ([`time_column`]) and its Protocol and
//! Latency columns ([`protocol_column`]), the columns' widths ([`column_widths`]), whether it follows the newest ([`follow`]), the
//! virtualized list's arithmetic ([`virtual_list`]), what
//! the record pane says ([`record_facts`], [`frame_layout`]; [`protocol_lens`]: the message
//! through its protocol's lens, paired; [`hop_timeline`]: a relayed message's latency per hop),
//! picked frames as cells ([`replay`]), the export links ([`capture_export`]) and the message
//! composer's draft ([`composer`]). Views: the pane ([`view`]) with its filter bar
//! ([`filter_bar`]), rows ([`row_view`]), column header ([`column_head`]) and edges ([`column_edge`]), export controls ([`capture_export_view`]), the selected record ([`record_view`]) with its hops
//! ([`hop_timeline_view`]) and a kernel message in it
//! ([`kernel_message_view`]), and the composer ([`composer_view`]).

pub mod capture_export;
pub mod capture_export_view;
pub mod column_edge;
pub mod column_head;
pub mod column_widths;
pub mod composer;
pub mod composer_view;
pub mod filter_bar;
pub mod filter_chips;
pub mod filter_suggestions;
pub mod follow;
pub mod frame_layout;
pub mod hop_timeline;
pub mod hop_timeline_view;

pub mod kernel_message_view;
pub mod kernel_tree;
pub mod list;
pub mod list_row;
pub mod message_templates;
pub mod packed_view;
pub mod protocol_column;
pub mod protocol_lens;
pub mod record_facts;
pub mod record_view;
pub mod replay;
pub mod row_filter;
pub mod row_text;
pub mod row_view;
pub mod time_column;
pub mod view;
pub mod virtual_list;
