//! What kernel output and markdown look like in the page, made safe first: saved outputs'
//! representation ([`rich_output`]; terminal colours are `wirebook_notebook::ansi`), markdown ([`markdown`]),
//! kernel HTML through an allowlist ([`html_sanitizer`]), images from other hosts held back
//! ([`remote_content`]), and the outputs' view.

pub mod html_sanitizer;
pub mod markdown;
pub mod remote_content;
pub mod rich_output;
pub mod rich_text;
pub mod url_scheme;
pub mod view;
