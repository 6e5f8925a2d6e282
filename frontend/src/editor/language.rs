//! Which language a cell's editor highlights: the kernel's for code cells of a Jupyter kernel
//! (its `language_info` name, as the kernelspec gives it), JSON for a WebSocket kernel's cells
//! sent as JSON, plain text for its other formats, markdown for markdown cells and plain text
//! for raw ones. Code cells are plain text until the page knows its kernel: the editor builds
//! its grammars when a cell first needs one, and the page's first cell should not wait for a
//! guess.

use wirebook_notebook::CellKind;
use wirebook_shared::cell_format::CellFormat;

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
    fn plain_text_before_the_kernel_is_known() {
        for format in CellFormat::ALL {
            assert_eq!(
                for_cell(CellKind::Code, format, KernelCells::Unknown),
                Language::Text
            );
        }
    }
}
