//! The file browser beside the notebook: the directory's breadcrumbs, renames, sizes and times
//! ([`browser`]) and its view, HAR files imported as notebooks ([`har_import`]), and the
//! dialog over a file changed on disk ([`conflict`]). The open notebook's own file is the
//! session's (`crate::session::file_sync`).

pub mod browser;
pub mod conflict;
pub mod har_import;
pub mod view;
