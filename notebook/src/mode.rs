//! Jupyter's two keyboard modes: whether keys go to the active cell's editor or act on cells.

/// Jupyter's two keyboard modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys act on cells (insert, cut, move the selection, run).
    #[default]
    Command,
    /// Keys go to the selected cell's editor.
    Edit,
}

impl Mode {
    /// The label the UI shows; the e2e suite reads it.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Command => "Command",
            Mode::Edit => "Edit",
        }
    }
}
