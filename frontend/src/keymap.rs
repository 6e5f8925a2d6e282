//! The notebook's keyboard shortcuts: a pure map from (mode, key) to a notebook [`Command`].
//!
//! Keys are named by `KeyboardEvent.key` strings (`"Enter"`, `"Escape"`, `"a"`, `"A"` with
//! Shift) so that the map reads like Jupyter's help screen and follows the user's keyboard
//! layout. Chords (`d d`) and user-defined bindings are for later; they will need state, which
//! is why the key arrives as a struct rather than a string.

use wirebook_shared::notebook::{Command, Mode, RunMode};

/// A key press, as the browser reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Key {
    /// `KeyboardEvent.key`, e.g. `"Enter"`, `"ArrowDown"`, `"a"`.
    pub key: String,
    pub shift: bool,
    pub ctrl: bool,
    pub alt: bool,
    pub meta: bool,
}

impl Key {
    fn no_modifiers(&self) -> bool {
        !(self.ctrl || self.alt || self.meta)
    }
}

/// The command a key press means in `mode`, or `None` to let the browser handle it (typing,
/// Tab, shortcuts we do not claim).
pub fn keymap(mode: Mode, key: &Key) -> Option<Command> {
    if key.key == "Enter" {
        return run_keys(key).or(match mode {
            Mode::Command if !key.shift && key.no_modifiers() => Some(Command::EnterEditMode),
            _ => None,
        });
    }
    match mode {
        Mode::Edit => edit_mode(key),
        Mode::Command => command_mode(key),
    }
}

/// The run shortcuts, the same in both modes.
fn run_keys(key: &Key) -> Option<Command> {
    match (key.shift, key.ctrl || key.meta, key.alt) {
        (true, false, false) => Some(Command::Run(RunMode::SelectNext)),
        (false, true, false) => Some(Command::Run(RunMode::InPlace)),
        (false, false, true) => Some(Command::Run(RunMode::InsertBelow)),
        _ => None,
    }
}

fn edit_mode(key: &Key) -> Option<Command> {
    match key.key.as_str() {
        "Escape" => Some(Command::EnterCommandMode),
        // Jupyter's alternative to Escape, for keyboards where Escape is awkward.
        "m" | "M" if key.ctrl && !key.alt && !key.meta => Some(Command::EnterCommandMode),
        _ => None,
    }
}

fn command_mode(key: &Key) -> Option<Command> {
    if !key.no_modifiers() {
        return None;
    }
    // Letters arrive upper-case when Shift is held: "V" is Shift+V.
    let command = match key.key.as_str() {
        "a" => Command::InsertAbove,
        "b" => Command::InsertBelow,
        "x" => Command::Cut,
        "c" => Command::Copy,
        "v" => Command::PasteBelow,
        "V" => Command::PasteAbove,
        "j" | "ArrowDown" => Command::SelectNext,
        "k" | "ArrowUp" => Command::SelectPrevious,
        _ => return None,
    };
    Some(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Key {
        fn plain(key: &str) -> Self {
            Key {
                key: key.to_string(),
                ..Key::default()
            }
        }
    }

    fn with(key: &str, f: impl FnOnce(&mut Key)) -> Key {
        let mut k = Key::plain(key);
        f(&mut k);
        k
    }

    #[test]
    fn run_keys_work_in_both_modes() {
        for mode in [Mode::Command, Mode::Edit] {
            assert_eq!(
                keymap(mode, &with("Enter", |k| k.shift = true)),
                Some(Command::Run(RunMode::SelectNext))
            );
            assert_eq!(
                keymap(mode, &with("Enter", |k| k.ctrl = true)),
                Some(Command::Run(RunMode::InPlace))
            );
            assert_eq!(
                keymap(mode, &with("Enter", |k| k.meta = true)),
                Some(Command::Run(RunMode::InPlace)),
                "Cmd+Enter on macOS"
            );
            assert_eq!(
                keymap(mode, &with("Enter", |k| k.alt = true)),
                Some(Command::Run(RunMode::InsertBelow))
            );
            assert_eq!(
                keymap(
                    mode,
                    &with("Enter", |k| {
                        k.shift = true;
                        k.ctrl = true
                    })
                ),
                None
            );
        }
    }

    #[test]
    fn plain_enter_edits_in_command_mode_and_types_a_newline_in_edit_mode() {
        assert_eq!(
            keymap(Mode::Command, &Key::plain("Enter")),
            Some(Command::EnterEditMode)
        );
        assert_eq!(keymap(Mode::Edit, &Key::plain("Enter")), None);
    }

    #[test]
    fn escape_leaves_edit_mode() {
        assert_eq!(
            keymap(Mode::Edit, &Key::plain("Escape")),
            Some(Command::EnterCommandMode)
        );
        assert_eq!(
            keymap(Mode::Edit, &with("m", |k| k.ctrl = true)),
            Some(Command::EnterCommandMode)
        );
        assert_eq!(keymap(Mode::Command, &Key::plain("Escape")), None);
    }

    #[test]
    fn command_mode_letters_and_arrows() {
        let cases = [
            ("a", Command::InsertAbove),
            ("b", Command::InsertBelow),
            ("x", Command::Cut),
            ("c", Command::Copy),
            ("v", Command::PasteBelow),
            ("V", Command::PasteAbove),
            ("j", Command::SelectNext),
            ("ArrowDown", Command::SelectNext),
            ("k", Command::SelectPrevious),
            ("ArrowUp", Command::SelectPrevious),
        ];
        for (key, command) in cases {
            assert_eq!(
                keymap(Mode::Command, &Key::plain(key)),
                Some(command),
                "{key}"
            );
        }
    }

    #[test]
    fn letters_are_typing_in_edit_mode() {
        for key in ["a", "b", "x", "j", "k", "ArrowDown", "ArrowUp", "V"] {
            assert_eq!(keymap(Mode::Edit, &Key::plain(key)), None, "{key}");
        }
    }

    #[test]
    fn browser_shortcuts_are_left_alone_in_command_mode() {
        // Ctrl+C, Ctrl+X, Cmd+V and friends belong to the browser.
        for key in ["c", "x", "v", "a"] {
            assert_eq!(keymap(Mode::Command, &with(key, |k| k.ctrl = true)), None);
            assert_eq!(keymap(Mode::Command, &with(key, |k| k.meta = true)), None);
            assert_eq!(keymap(Mode::Command, &with(key, |k| k.alt = true)), None);
        }
        assert_eq!(keymap(Mode::Command, &Key::plain("A")), None);
        assert_eq!(keymap(Mode::Command, &Key::plain("Tab")), None);
    }
}
