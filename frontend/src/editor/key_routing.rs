//! Who gets a key pressed in a cell's editor: the completion popup or the inspection tooltip
//! when one is open, the kernel (Tab completes after code, Shift+Tab inspects), the
//! neighbouring cell (ArrowUp on the first line, ArrowDown on the last, as in Jupyter), the
//! notebook's keymap (Shift+Enter, Esc, Ctrl+S and whatever the user bound in edit mode: it
//! wins over CodeMirror's own bindings), or CodeMirror.

use crate::keys::keymap::Key;

/// What a key press does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// CodeMirror handles it: typing, moving, indenting, its own bindings.
    Editor,
    /// The page's keymap handles it (CodeMirror leaves it alone).
    Notebook,
    Complete,
    Inspect,
    /// Moves the popup's selection (+1 down, -1 up).
    Step(isize),
    /// Accepts the popup's selected match.
    Accept,
    /// Closes the popup or tooltip, and nothing else (Esc stays in edit mode).
    Close,
    /// Edit the cell above / below, the cursor on its last / first line.
    PreviousCell,
    NextCell,
}

/// What the editor and the notebook know when the key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyContext {
    /// The completion popup is open over this cell.
    pub popup: bool,
    /// The inspection tooltip is open over this cell.
    pub tooltip: bool,
    /// The kernel completes and inspects this cell's code (a Jupyter kernel's code cell).
    pub kernel_assists: bool,
    /// Text is selected (Tab then indents it, Shift+Tab dedents it).
    pub selection: bool,
    /// Only whitespace precedes the cursor on its line (Tab then indents).
    pub blank_before_cursor: bool,
    pub on_first_line: bool,
    pub on_last_line: bool,
    /// The notebook's keymap binds this key (or starts a sequence with it) in edit mode.
    pub bound_in_notebook: bool,
    /// The editor's own search panel is open (Esc closes it before leaving edit mode).
    pub search_panel: bool,
}

/// What `key` does, and whether an open popup or tooltip closes first (a key they do not
/// take, such as typing, closes them and goes on as usual).
pub fn route(key: &Key, ctx: KeyContext) -> (bool, KeyAction) {
    let plain = !(key.shift || key.ctrl || key.alt || key.meta);
    if ctx.popup {
        match key.key.as_str() {
            "ArrowDown" if plain => return (false, KeyAction::Step(1)),
            "ArrowUp" if plain => return (false, KeyAction::Step(-1)),
            "Enter" | "Tab" if plain => return (false, KeyAction::Accept),
            "Escape" => return (false, KeyAction::Close),
            // A modifier pressed on its way to a chord changes nothing yet.
            "Shift" | "Control" | "Alt" | "Meta" => return (false, KeyAction::Editor),
            _ => {}
        }
    }
    if ctx.tooltip {
        match key.key.as_str() {
            "Escape" => return (false, KeyAction::Close),
            "Shift" | "Control" | "Alt" | "Meta" => return (false, KeyAction::Editor),
            _ => {}
        }
    }
    let close = ctx.popup || ctx.tooltip;
    let only_shift = key.shift && !(key.ctrl || key.alt || key.meta);
    let action = match key.key.as_str() {
        "Tab" if plain && ctx.kernel_assists && !ctx.selection && !ctx.blank_before_cursor => {
            KeyAction::Complete
        }
        "Tab" if only_shift && ctx.kernel_assists && !ctx.selection => KeyAction::Inspect,
        // Indent and dedent are the editor's, whatever the keymap says about Tab.
        "Tab" if plain || only_shift => KeyAction::Editor,
        "ArrowUp" if plain && ctx.on_first_line => KeyAction::PreviousCell,
        "ArrowDown" if plain && ctx.on_last_line => KeyAction::NextCell,
        "Escape" if ctx.search_panel => KeyAction::Editor,
        _ if ctx.bound_in_notebook => KeyAction::Notebook,
        _ => KeyAction::Editor,
    };
    (close, action)
}

/// Whether only spaces and tabs precede UTF-16 offset `cursor` on its line in `text`.
pub fn blank_before(text: &str, cursor: usize) -> bool {
    let units: Vec<u16> = text.encode_utf16().take(cursor).collect();
    units
        .iter()
        .rev()
        .take_while(|&&u| u != u16::from(b'\n'))
        .all(|&u| u == u16::from(b' ') || u == u16::from(b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key {
            key: name.into(),
            ..Key::default()
        }
    }

    fn shift(name: &str) -> Key {
        Key {
            shift: true,
            ..key(name)
        }
    }

    const CODE: KeyContext = KeyContext {
        popup: false,
        tooltip: false,
        kernel_assists: true,
        selection: false,
        blank_before_cursor: false,
        on_first_line: false,
        on_last_line: false,
        bound_in_notebook: false,
        search_panel: false,
    };

    #[test]
    fn tab_completes_after_code_and_indents_elsewhere() {
        assert_eq!(route(&key("Tab"), CODE), (false, KeyAction::Complete));
        let blank = KeyContext {
            blank_before_cursor: true,
            ..CODE
        };
        assert_eq!(route(&key("Tab"), blank).1, KeyAction::Editor);
        let selected = KeyContext {
            selection: true,
            ..CODE
        };
        assert_eq!(route(&key("Tab"), selected).1, KeyAction::Editor);
        assert_eq!(route(&shift("Tab"), selected).1, KeyAction::Editor);
        // A WebSocket kernel's cells, markdown and raw cells: the kernel does not help.
        let no_kernel = KeyContext {
            kernel_assists: false,
            ..CODE
        };
        assert_eq!(route(&key("Tab"), no_kernel).1, KeyAction::Editor);
        assert_eq!(route(&shift("Tab"), no_kernel).1, KeyAction::Editor);
    }

    #[test]
    fn shift_tab_inspects() {
        assert_eq!(route(&shift("Tab"), CODE), (false, KeyAction::Inspect));
        let blank = KeyContext {
            blank_before_cursor: true,
            ..CODE
        };
        assert_eq!(route(&shift("Tab"), blank).1, KeyAction::Inspect);
    }

    #[test]
    fn the_popup_takes_arrows_enter_tab_and_escape() {
        let popup = KeyContext {
            popup: true,
            on_first_line: true,
            on_last_line: true,
            bound_in_notebook: true,
            ..CODE
        };
        assert_eq!(route(&key("ArrowDown"), popup), (false, KeyAction::Step(1)));
        assert_eq!(route(&key("ArrowUp"), popup), (false, KeyAction::Step(-1)));
        assert_eq!(route(&key("Enter"), popup), (false, KeyAction::Accept));
        assert_eq!(route(&key("Tab"), popup), (false, KeyAction::Accept));
        assert_eq!(route(&key("Escape"), popup), (false, KeyAction::Close));
        assert_eq!(route(&key("Shift"), popup), (false, KeyAction::Editor));
        // Typing closes it and types.
        let typing = KeyContext {
            bound_in_notebook: false,
            ..popup
        };
        assert_eq!(route(&key("x"), typing), (true, KeyAction::Editor));
        // Shift+Enter closes it and runs the cell.
        assert_eq!(route(&shift("Enter"), popup), (true, KeyAction::Notebook));
    }

    #[test]
    fn escape_closes_the_tooltip_and_stays_in_edit_mode() {
        let tooltip = KeyContext {
            tooltip: true,
            bound_in_notebook: true,
            ..CODE
        };
        assert_eq!(route(&key("Escape"), tooltip), (false, KeyAction::Close));
        // Without a tooltip, Esc is the notebook's: command mode.
        let esc = KeyContext {
            bound_in_notebook: true,
            ..CODE
        };
        assert_eq!(route(&key("Escape"), esc), (false, KeyAction::Notebook));
        let typing = KeyContext {
            bound_in_notebook: false,
            ..tooltip
        };
        assert_eq!(route(&key("a"), typing), (true, KeyAction::Editor));
    }

    #[test]
    fn escape_closes_the_editors_search_panel_before_leaving_edit_mode() {
        let panel = KeyContext {
            search_panel: true,
            bound_in_notebook: true,
            ..CODE
        };
        assert_eq!(route(&key("Escape"), panel).1, KeyAction::Editor);
        let closed = KeyContext {
            search_panel: false,
            ..panel
        };
        assert_eq!(route(&key("Escape"), closed).1, KeyAction::Notebook);
    }

    #[test]
    fn arrows_leave_the_cell_only_at_its_ends() {
        let first = KeyContext {
            on_first_line: true,
            ..CODE
        };
        assert_eq!(route(&key("ArrowUp"), first).1, KeyAction::PreviousCell);
        assert_eq!(route(&key("ArrowDown"), first).1, KeyAction::Editor);
        assert_eq!(route(&shift("ArrowUp"), first).1, KeyAction::Editor);
        let last = KeyContext {
            on_last_line: true,
            ..CODE
        };
        assert_eq!(route(&key("ArrowDown"), last).1, KeyAction::NextCell);
        assert_eq!(route(&key("ArrowUp"), last).1, KeyAction::Editor);
    }

    #[test]
    fn the_notebooks_bindings_win_over_the_editors() {
        let bound = KeyContext {
            bound_in_notebook: true,
            ..CODE
        };
        let ctrl_enter = Key {
            ctrl: true,
            ..key("Enter")
        };
        assert_eq!(route(&ctrl_enter, bound).1, KeyAction::Notebook);
        assert_eq!(route(&key("Enter"), CODE).1, KeyAction::Editor);
    }

    #[test]
    fn blank_before_the_cursor_on_its_line() {
        assert!(blank_before("", 0));
        assert!(blank_before("x = 1\n    ", 10));
        assert!(!blank_before("x = 1\n  y", 9));
        assert!(blank_before("x = 1\n  y", 6));
        assert!(!blank_before("import o", 8));
        // UTF-16 offsets: "😀" is two units.
        assert!(!blank_before("😀", 2));
    }
}
