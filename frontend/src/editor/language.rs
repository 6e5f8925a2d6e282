//! Which language a cell's editor highlights: the kernel's for code cells of a Jupyter kernel
//! (its `language_info` name, as the kernelspec gives it), JSON for a WebSocket kernel's cells
//! sent as JSON, plain text for its other formats, markdown for markdown cells and plain text
//! for raw ones. Until the server says which kernel the page has, or while the notebook's own
//! is not offered, the notebook's metadata says which it was written for ([`from_metadata`]);
//! a new notebook's code cells are plain text then, since the editor builds its grammars when
//! a cell first needs one and the page's first cell should not wait for a guess.

use wirebook_notebook::CellKind;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::NotebookMetadata;
use wirebook_shared::session::KernelInfo;

/// A language the editor bundle knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Json,
    Markdown,
    Text,
}

impl Language {
    /// The name `cell_editor.js` knows it by.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Json => "json",
            Language::Markdown => "markdown",
            Language::Text => "text",
        }
    }

    /// The language of a kernel's `language_info.name` (or kernelspec `language`): Python in
    /// any spelling IPython uses; languages the bundle has no grammar for are plain text.
    pub fn of_kernel(language: &str) -> Language {
        match language.trim().to_ascii_lowercase().as_str() {
            "python" | "python3" | "ipython" | "ipython3" => Language::Python,
            "json" => Language::Json,
            "markdown" => Language::Markdown,
            _ => Language::Text,
        }
    }
}

/// What the kernel says about the cells it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelCells<'a> {
    /// No kernel yet: the page before the server's `hello`.
    Unknown,
    /// A WebSocket kernel: each cell is one message in its own format.
    Messages,
    /// A Jupyter kernel running code in this language, when it says (`None` before it does).
    Code(Option<&'a str>),
}

impl<'a> KernelCells<'a> {
    /// What the kernel the server named takes: messages in a format for a WebSocket kernel,
    /// code in its language for a Jupyter one.
    pub fn of(kernel: &'a KernelInfo) -> KernelCells<'a> {
        if kernel.choice.takes_formats() {
            KernelCells::Messages
        } else {
            KernelCells::Code(kernel.language.as_deref())
        }
    }
}

/// The kernel a notebook's metadata names, for the moments before the server says: its
/// WebSocket kernel (`metadata.wirebook.kernel`), or its Jupyter kernel and that kernel's
/// language (`language_info.name`, else `kernelspec.language`); [`KernelCells::Unknown`] for
/// a notebook that names none, such as a new one.
pub fn from_metadata(metadata: &NotebookMetadata) -> KernelCells<'_> {
    if metadata
        .wirebook
        .as_ref()
        .is_some_and(|w| w.kernel.is_some())
    {
        return KernelCells::Messages;
    }
    let language_info = metadata
        .extra
        .get("language_info")
        .and_then(|l| l.get("name"));
    let kernelspec = metadata.kernelspec.as_ref();
    let language = language_info
        .or_else(|| kernelspec?.extra.get("language"))
        .and_then(|l| l.as_str());
    match (language, kernelspec) {
        (Some(language), _) => KernelCells::Code(Some(language)),
        (None, Some(_)) => KernelCells::Code(None),
        (None, None) => KernelCells::Unknown,
    }
}

/// The language of a cell of `kind` (sent in `format` to a WebSocket kernel).
pub fn for_cell(kind: CellKind, format: CellFormat, kernel: KernelCells<'_>) -> Language {
    match (kind, kernel) {
        (CellKind::Markdown, _) => Language::Markdown,
        (CellKind::Raw, _) | (CellKind::Code, KernelCells::Unknown) => Language::Text,
        (CellKind::Code, KernelCells::Messages) => match format {
            CellFormat::Json { .. } | CellFormat::Frame => Language::Json,
            _ => Language::Text,
        },
        (CellKind::Code, KernelCells::Code(language)) => {
            language.map_or(Language::Python, Language::of_kernel)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_raw_cells_whatever_the_kernel() {
        for kernel in [
            KernelCells::Unknown,
            KernelCells::Messages,
            KernelCells::Code(Some("python")),
        ] {
            assert_eq!(
                for_cell(CellKind::Markdown, CellFormat::Text, kernel),
                Language::Markdown
            );
            assert_eq!(
                for_cell(CellKind::Raw, CellFormat::Text, kernel),
                Language::Text
            );
        }
    }

    #[test]
    fn a_websocket_kernels_cells_by_format() {
        let json = CellFormat::ALL
            .into_iter()
            .find(|f| matches!(f, CellFormat::Json { .. }))
            .expect("a JSON format");
        assert_eq!(
            for_cell(CellKind::Code, json, KernelCells::Messages),
            Language::Json
        );
        assert_eq!(
            for_cell(CellKind::Code, CellFormat::Text, KernelCells::Messages),
            Language::Text
        );
    }

    #[test]
    fn a_jupyter_kernels_language() {
        let code = |l| for_cell(CellKind::Code, CellFormat::Text, KernelCells::Code(l));
        assert_eq!(code(Some("python")), Language::Python);
        assert_eq!(code(Some("Python3")), Language::Python);
        assert_eq!(code(Some("julia")), Language::Text);
        // Before the kernel says: Jupyter's default kernel is Python's.
        assert_eq!(code(None), Language::Python);
        assert_eq!(Language::of_kernel("json").name(), "json");
    }

    #[test]
    fn a_notebooks_metadata_names_its_kernel_before_the_server_does() {
        let parse = |metadata: serde_json::Value| -> NotebookMetadata {
            let file = serde_json::json!({
                "cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5
            });
            wirebook_shared::ipynb::IpynbNotebook::parse(&file.to_string())
                .expect("a notebook")
                .metadata
        };
        let python = parse(serde_json::json!({
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "version": "3.12"}
        }));
        assert_eq!(from_metadata(&python), KernelCells::Code(Some("python")));
        let spec_only = parse(serde_json::json!({
            "kernelspec": {"name": "julia", "display_name": "Julia", "language": "julia"}
        }));
        assert_eq!(from_metadata(&spec_only), KernelCells::Code(Some("julia")));
        let unnamed = parse(serde_json::json!({
            "kernelspec": {"name": "python3", "display_name": "Python 3"}
        }));
        assert_eq!(from_metadata(&unnamed), KernelCells::Code(None));
        let websocket = parse(serde_json::json!({
            "wirebook": {"kernel": {"kind": "websocket", "url": "ws://127.0.0.1:9/echo"}}
        }));
        assert_eq!(from_metadata(&websocket), KernelCells::Messages);
        assert_eq!(
            from_metadata(&parse(serde_json::json!({}))),
            KernelCells::Unknown
        );
    }

    #[test]
    fn plain_text_before_the_kernel_is_known() {
        for format in CellFormat::ALL {
            assert_eq!(
                for_cell(CellKind::Code, format, KernelCells::Unknown),
                Language::Text
            );
        }
    }
}
