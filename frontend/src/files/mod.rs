//! Notebook files: the file behind the open notebook ([`document_file`]) kept in step with it
//! ([`file_sync`]), the file browser ([`browser`] and its view), and HAR files imported as
//! notebooks ([`har_import`]).

pub mod browser;
pub mod document_file;
pub mod file_sync;
pub mod har_import;
pub mod view;
