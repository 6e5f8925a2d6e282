//! The catalogue of commands a key, a menu or the command palette can run: a stable name for
//! each (used in saved key bindings), a label and a description for the help overlay and the
//! palette, and the modes its keys work in.
//!
//! A [`CommandId`] names a command without its arguments; [`CommandId::command`] turns it into
//! the notebook [`Command`] to apply, given what only the page knows (the editor's selection,
//! for a split).

use wirebook_shared::cell_format::CellFormat;

use crate::cell::{CellId, CellKind};
use crate::editing::{Command, RunMode};
use crate::mode::Mode;

/// In which modes a key binding is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Command mode only (single letters: in edit mode they type text).
    Command,
    /// Edit mode only.
    Edit,
    /// Both modes.
    Both,
}

impl Scope {
    pub fn includes(self, mode: Mode) -> bool {
        matches!(
            (self, mode),
            (Scope::Both, _) | (Scope::Command, Mode::Command) | (Scope::Edit, Mode::Edit)
        )
    }

    /// Whether some mode has both scopes.
    pub fn overlaps(self, other: Scope) -> bool {
        self.includes(Mode::Command) && other.includes(Mode::Command)
            || self.includes(Mode::Edit) && other.includes(Mode::Edit)
    }
}

/// The editor's selection in the edited cell, as the DOM reports it (UTF-16 offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorSelection {
    pub cell_id: CellId,
    pub start: usize,
    pub end: usize,
}

macro_rules! commands {
    ($($id:ident, $name:literal, $scope:ident, $label:literal, $description:literal;)*) => {
        /// A command that can be bound to keys or picked in the palette.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CommandId {
            $($id,)*
        }

        impl CommandId {
            /// Every command, in the order the help overlay lists them.
            pub const ALL: &'static [CommandId] = &[$(CommandId::$id,)*];

            /// The stable name saved key bindings use, e.g. `"insert-cell-above"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(CommandId::$id => $name,)*
                }
            }

            /// Short title for menus and the palette.
            pub fn label(self) -> &'static str {
                match self {
                    $(CommandId::$id => $label,)*
                }
            }

            /// One sentence for the help overlay.
            pub fn description(self) -> &'static str {
                match self {
                    $(CommandId::$id => $description,)*
                }
            }

            /// The modes its keys work in. A binding of [`Scope::Both`] made of a key that
            /// types text only works in command mode (see `Keymap::bind`).
            pub fn scope(self) -> Scope {
                match self {
                    $(CommandId::$id => Scope::$scope,)*
                }
            }
        }
    };
}

commands! {
    EnterEditMode, "enter-edit-mode", Command, "Edit cell",
        "Edit the active cell.";
    EnterCommandMode, "enter-command-mode", Edit, "Command mode",
        "Leave the editor; keys act on cells.";
    SelectPrevious, "select-cell-above", Command, "Select cell above",
        "Select the cell above.";
    SelectNext, "select-cell-below", Command, "Select cell below",
        "Select the cell below.";
    ExtendSelectionAbove, "extend-selection-above", Command, "Extend selection above",
        "Add the cell above to the selection (or shrink it).";
    ExtendSelectionBelow, "extend-selection-below", Command, "Extend selection below",
        "Add the cell below to the selection (or shrink it).";
    SelectAll, "select-all-cells", Command, "Select all cells",
        "Select every cell.";
    RunAndSelectNext, "run-and-select-next", Both, "Run and select next",
        "Run the selected cells and select the next one (a new one at the end).";
    Run, "run", Both, "Run",
        "Run the selected cells and stay.";
    RunAndInsertBelow, "run-and-insert-below", Both, "Run and insert below",
        "Run the selected cells and edit a new cell below.";
    RunAll, "run-all", Both, "Run all",
        "Run every code cell, top to bottom.";
    RestartAndRunAll, "restart-and-run-all", Both, "Restart kernel and run all",
        "Restart the kernel (after confirming), then run every code cell.";
    InsertAbove, "insert-cell-above", Command, "Insert cell above",
        "Insert an empty code cell above.";
    InsertBelow, "insert-cell-below", Command, "Insert cell below",
        "Insert an empty code cell below.";
    Cut, "cut-cells", Command, "Cut cells",
        "Cut the selected cells.";
    Copy, "copy-cells", Command, "Copy cells",
        "Copy the selected cells.";
    PasteBelow, "paste-cells-below", Command, "Paste cells below",
        "Paste the copied cells below.";
    PasteAbove, "paste-cells-above", Command, "Paste cells above",
        "Paste the copied cells above.";
    Delete, "delete-cells", Command, "Delete cells",
        "Delete the selected cells.";
    Undo, "undo-cell-operation", Command, "Undo cell operation",
        "Undo the last insert, delete, cut, paste, move, merge, split or type change.";
    Redo, "redo-cell-operation", Command, "Redo cell operation",
        "Redo the last undone cell operation.";
    ToCode, "change-to-code", Command, "Change to code",
        "Make the selected cells code cells.";
    ToMarkdown, "change-to-markdown", Command, "Change to markdown",
        "Make the selected cells markdown cells.";
    ToRaw, "change-to-raw", Command, "Change to raw",
        "Make the selected cells raw cells.";
    Heading1, "heading-1", Command, "Heading 1",
        "Make the selected cells level 1 markdown headings.";
    Heading2, "heading-2", Command, "Heading 2",
        "Make the selected cells level 2 markdown headings.";
    Heading3, "heading-3", Command, "Heading 3",
        "Make the selected cells level 3 markdown headings.";
    Heading4, "heading-4", Command, "Heading 4",
        "Make the selected cells level 4 markdown headings.";
    Heading5, "heading-5", Command, "Heading 5",
        "Make the selected cells level 5 markdown headings.";
    Heading6, "heading-6", Command, "Heading 6",
        "Make the selected cells level 6 markdown headings.";
    Merge, "merge-cells", Command, "Merge cells",
        "Merge the selected cells, or the active cell with the one below.";
    MoveUp, "move-cells-up", Command, "Move cells up",
        "Move the selected cells up.";
    MoveDown, "move-cells-down", Command, "Move cells down",
        "Move the selected cells down.";
    Split, "split-cell", Edit, "Split cell",
        "Split the edited cell at the cursor (or around the selected text).";
    Interrupt, "interrupt-kernel", Command, "Interrupt kernel",
        "Interrupt the kernel.";
    Restart, "restart-kernel", Command, "Restart kernel",
        "Restart the kernel (after confirming).";
    ChangeKernel, "change-kernel", Command, "Change kernel",
        "Pick the kernel the cells run on: a Jupyter kernel, the startup kernel or a WebSocket URL.";
    ShowTapRoutes, "tap-routes", Command, "Tap routes…",
        "List, add and delete the tap proxy's routes (/tap/NAME) and copy the URL clients connect to.";
    ShowIntercept, "tap-intercept", Command, "Intercept on the tap…",
        "Hold messages on a tap route to forward, edit or drop them; inject a message into a live connection.";
    ShowRunningKernels, "running-kernels", Command, "Running kernels…",
        "List the kernels the server keeps (each notebook's, kept after its page closes) and shut any down.";
    Save, "save", Both, "Save",
        "Save the notebook.";
    ShowHelp, "show-shortcuts", Command, "Keyboard shortcuts",
        "Show the keyboard shortcuts.";
    ShowPalette, "command-palette", Both, "Command palette",
        "Find and run any command by name.";
    Find, "find-replace", Command, "Find and replace",
        "Search the sources of all cells; replace one match or all of them.";
    FormatText, "format-text", Command, "Format: text",
        "WebSocket kernels: send the selected cells as text messages, as typed.";
    FormatJson, "format-json", Command, "Format: JSON",
        "WebSocket kernels: send the selected cells as JSON (validated), as typed.";
    FormatJsonCompact, "format-json-compact", Command, "Format: JSON (compact)",
        "WebSocket kernels: send the selected cells as JSON (validated), compacted.";
    FormatHex, "format-hex", Command, "Format: binary (hex)",
        "WebSocket kernels: send the selected cells as binary messages written in hex.";
    FormatBase64, "format-base64", Command, "Format: binary (base64)",
        "WebSocket kernels: send the selected cells as binary messages written in base64.";
    FormatPing, "format-ping", Command, "Format: ping",
        "WebSocket kernels: send the selected cells as pings carrying their text.";
    FormatClose, "format-close", Command, "Format: close",
        "WebSocket kernels: send the selected cells as close frames (CODE reason).";
    FormatFrame, "format-frame", Command, "Format: raw frames",
        "WebSocket kernels: send the selected cells as frames written bit by bit (JSON), as written.";
    PrettyPrintJson, "pretty-print-json", Command, "Pretty-print JSON",
        "Indent the JSON of the selected JSON cells.";
    ToggleOutputs, "toggle-outputs", Command, "Hide or show outputs",
        "Hide the outputs of the selected cells, or show them again.";
    ToggleOutputScrolling, "toggle-output-scrolling", Command, "Scroll outputs",
        "Show the outputs of the selected cells in a scrolled box, or whole.";
}

/// Commands without a default key: Jupyter's keys stay as they are, and these are reached
/// from the palette (or bound by the user).
pub const UNBOUND_BY_DEFAULT: &[CommandId] = &[
    CommandId::FormatText,
    CommandId::FormatJson,
    CommandId::FormatJsonCompact,
    CommandId::FormatHex,
    CommandId::FormatBase64,
    CommandId::FormatPing,
    CommandId::FormatClose,
    CommandId::FormatFrame,
    CommandId::PrettyPrintJson,
    CommandId::ShowTapRoutes,
    CommandId::ShowIntercept,
    CommandId::ShowRunningKernels,
];

impl CommandId {
    /// The command called `name` (see [`CommandId::name`]).
    pub fn from_name(name: &str) -> Option<CommandId> {
        CommandId::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The notebook command to apply; `None` for a split when no editor selection is known
    /// (a split needs one).
    pub fn command(self, editor: Option<&EditorSelection>) -> Option<Command> {
        let command = match self {
            CommandId::EnterEditMode => Command::EnterEditMode,
            CommandId::EnterCommandMode => Command::EnterCommandMode,
            CommandId::SelectPrevious => Command::SelectPrevious,
            CommandId::SelectNext => Command::SelectNext,
            CommandId::ExtendSelectionAbove => Command::ExtendSelectionAbove,
            CommandId::ExtendSelectionBelow => Command::ExtendSelectionBelow,
            CommandId::SelectAll => Command::SelectAll,
            CommandId::RunAndSelectNext => Command::Run(RunMode::SelectNext),
            CommandId::Run => Command::Run(RunMode::InPlace),
            CommandId::RunAndInsertBelow => Command::Run(RunMode::InsertBelow),
            CommandId::RunAll => Command::RunAll,
            CommandId::RestartAndRunAll => Command::RestartAndRunAll,
            CommandId::InsertAbove => Command::InsertAbove,
            CommandId::InsertBelow => Command::InsertBelow,
            CommandId::Cut => Command::Cut,
            CommandId::Copy => Command::Copy,
            CommandId::PasteBelow => Command::PasteBelow,
            CommandId::PasteAbove => Command::PasteAbove,
            CommandId::Delete => Command::Delete,
            CommandId::Undo => Command::Undo,
            CommandId::Redo => Command::Redo,
            CommandId::ToCode => Command::SetKind(CellKind::Code),
            CommandId::ToMarkdown => Command::SetKind(CellKind::Markdown),
            CommandId::ToRaw => Command::SetKind(CellKind::Raw),
            CommandId::Heading1 => Command::Heading(1),
            CommandId::Heading2 => Command::Heading(2),
            CommandId::Heading3 => Command::Heading(3),
            CommandId::Heading4 => Command::Heading(4),
            CommandId::Heading5 => Command::Heading(5),
            CommandId::Heading6 => Command::Heading(6),
            CommandId::Merge => Command::Merge,
            CommandId::MoveUp => Command::MoveUp,
            CommandId::MoveDown => Command::MoveDown,
            CommandId::Split => {
                let editor = editor?;
                Command::Split {
                    cell_id: editor.cell_id.clone(),
                    start: editor.start,
                    end: editor.end,
                }
            }
            CommandId::Interrupt => Command::Interrupt,
            CommandId::Restart => Command::Restart,
            CommandId::ChangeKernel => Command::ChangeKernel,
            CommandId::ShowTapRoutes => Command::ShowTapRoutes,
            CommandId::ShowIntercept => Command::ShowIntercept,
            CommandId::ShowRunningKernels => Command::ShowRunningKernels,
            CommandId::Save => Command::Save,
            CommandId::ShowHelp => Command::ShowHelp,
            CommandId::ShowPalette => Command::ShowPalette,
            CommandId::Find => Command::ShowFind,
            CommandId::FormatText => Command::SetFormat(CellFormat::Text),
            CommandId::FormatJson => Command::SetFormat(CellFormat::Json { compact: false }),
            CommandId::FormatJsonCompact => Command::SetFormat(CellFormat::Json { compact: true }),
            CommandId::FormatHex => Command::SetFormat(CellFormat::Hex),
            CommandId::FormatBase64 => Command::SetFormat(CellFormat::Base64),
            CommandId::FormatPing => Command::SetFormat(CellFormat::Ping),
            CommandId::FormatClose => Command::SetFormat(CellFormat::Close),
            CommandId::FormatFrame => Command::SetFormat(CellFormat::Frame),
            CommandId::PrettyPrintJson => Command::PrettyPrintJson,
            CommandId::ToggleOutputs => Command::ToggleOutputs,
            CommandId::ToggleOutputScrolling => Command::ToggleOutputScrolling,
        };
        Some(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_round_trip() {
        let names: HashSet<&str> = CommandId::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), CommandId::ALL.len());
        for &id in CommandId::ALL {
            assert_eq!(CommandId::from_name(id.name()), Some(id));
            assert!(!id.label().is_empty() && id.description().ends_with('.'));
        }
        assert_eq!(CommandId::from_name("nope"), None);
    }

    #[test]
    fn every_command_maps_to_a_notebook_command() {
        let editor = EditorSelection {
            cell_id: "c".into(),
            start: 1,
            end: 2,
        };
        for &id in CommandId::ALL {
            assert!(id.command(Some(&editor)).is_some(), "{id:?}");
        }
        assert_eq!(CommandId::Split.command(None), None);
        assert_eq!(
            CommandId::Split.command(Some(&editor)),
            Some(Command::Split {
                cell_id: "c".into(),
                start: 1,
                end: 2
            })
        );
        assert_eq!(CommandId::Heading4.command(None), Some(Command::Heading(4)));
    }

    #[test]
    fn scopes_overlap_where_a_mode_is_shared() {
        assert!(Scope::Both.overlaps(Scope::Edit));
        assert!(Scope::Command.overlaps(Scope::Both));
        assert!(!Scope::Command.overlaps(Scope::Edit));
        assert!(Scope::Edit.includes(Mode::Edit) && !Scope::Edit.includes(Mode::Command));
    }
}
