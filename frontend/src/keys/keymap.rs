//! The notebook's keyboard: browser key presses in, notebook
//! [`Command`](wirebook_notebook::Command)s out.
//!
//! The keys themselves are data in `wirebook_notebook`: the catalogue of commands
//! (`commands::CommandId`), the bindings with Jupyter's defaults, rebinding, clash detection
//! and their JSON for `localStorage` (`bindings::Keymap`), and the sequence state machine for
//! `D D`, `I I`, `0 0` (`chords::Chords`). This module adapts a browser `keydown` to them:
//! [`Keyboard`] holds the keymap in effect and the keys pressed so far (`super::listener` keeps one).
//!
//! Keys are named by `KeyboardEvent.key` (and `.code` where the layout gives no Latin letter
//! or digit), so the map reads like Jupyter's help screen and follows the user's layout.

use wirebook_notebook::bindings::{KeyStroke, Keymap};
use wirebook_notebook::chords::{Chords, Press};
use wirebook_notebook::Mode;

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
    /// The key of a browser keyboard event.
    pub fn of_event(ev: &web_sys::KeyboardEvent) -> Self {
        Key {
            key: ev.key(),
            shift: ev.shift_key(),
            ctrl: ev.ctrl_key(),
            alt: ev.alt_key(),
            meta: ev.meta_key(),
        }
    }

    /// The stroke this press is, given `KeyboardEvent.code` (`""` if unknown); `None` for a
    /// modifier on its own or a dead key.
    pub fn stroke(&self, code: &str) -> Option<KeyStroke> {
        KeyStroke::from_event(&self.key, code, self.shift, self.ctrl, self.alt, self.meta)
    }
}

/// The keymap in effect and the keys of a sequence pressed so far.
#[derive(Debug, Clone, Default)]
pub struct Keyboard {
    keymap: Keymap,
    chords: Chords,
}

impl Keyboard {
    pub fn new(keymap: Keymap) -> Self {
        Keyboard {
            keymap,
            chords: Chords::default(),
        }
    }

    /// Puts `keymap` in effect; keys of a sequence pressed so far are dropped, since they were
    /// read with the old one.
    pub fn set_keymap(&mut self, keymap: Keymap) {
        self.keymap = keymap;
        self.chords.reset();
    }

    /// Reads a key press made in `mode` at `now_ms` (`KeyboardEvent.timeStamp`). On
    /// [`Press::Run`] and [`Press::Pending`] the page keeps the key from the browser
    /// (`preventDefault`); the command to dispatch is `CommandId::command`, given the editor's
    /// selection for a split.
    pub fn press(&mut self, mode: Mode, key: &Key, code: &str, now_ms: f64) -> Press {
        match key.stroke(code) {
            Some(stroke) => self.chords.press(&self.keymap, mode, stroke, now_ms),
            None => Press::Unbound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use wirebook_notebook::Command;

    thread_local! {
        static DEFAULT_KEYS: RefCell<Keyboard> = RefCell::new(Keyboard::new(Keymap::jupyter()));
    }

    /// The command a single key press means in `mode` with the default keymap, or `None` to let
    /// the browser handle it. Sequences (`D D`) need the state [`Keyboard`] keeps, and a split
    /// needs the editor's selection, so neither comes out of this function.
    fn keymap(mode: Mode, key: &Key) -> Option<Command> {
        DEFAULT_KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            keys.chords.reset();
            match keys.press(mode, key, "", 0.0) {
                Press::Run(id) => id.command(None),
                Press::Pending | Press::Unbound => None,
            }
        })
    }
    use wirebook_notebook::commands::CommandId;
    use wirebook_notebook::{CellKind, RunMode};

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

    fn shift(key: &str) -> Key {
        with(key, |k| k.shift = true)
    }

    #[test]
    fn run_keys_work_in_both_modes() {
        for mode in [Mode::Command, Mode::Edit] {
            assert_eq!(
                keymap(mode, &shift("Enter")),
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
                Some(Command::RunAll)
            );
            assert_eq!(
                keymap(
                    mode,
                    &with("Enter", |k| {
                        k.shift = true;
                        k.alt = true
                    })
                ),
                Some(Command::RestartAndRunAll)
            );
            assert_eq!(
                keymap(mode, &with("s", |k| k.ctrl = true)),
                Some(Command::Save)
            );
            assert_eq!(
                keymap(mode, &with("k", |k| k.ctrl = true)),
                Some(Command::ShowPalette)
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
    fn command_mode_letters_digits_and_arrows() {
        let cases = [
            (Key::plain("a"), Command::InsertAbove),
            (Key::plain("b"), Command::InsertBelow),
            (Key::plain("x"), Command::Cut),
            (Key::plain("c"), Command::Copy),
            (Key::plain("v"), Command::PasteBelow),
            (shift("V"), Command::PasteAbove),
            (Key::plain("j"), Command::SelectNext),
            (Key::plain("ArrowDown"), Command::SelectNext),
            (Key::plain("k"), Command::SelectPrevious),
            (Key::plain("ArrowUp"), Command::SelectPrevious),
            (shift("J"), Command::ExtendSelectionBelow),
            (shift("ArrowDown"), Command::ExtendSelectionBelow),
            (shift("K"), Command::ExtendSelectionAbove),
            (shift("ArrowUp"), Command::ExtendSelectionAbove),
            (with("a", |k| k.ctrl = true), Command::SelectAll),
            (Key::plain("z"), Command::Undo),
            (shift("Z"), Command::Redo),
            (Key::plain("y"), Command::SetKind(CellKind::Code)),
            (Key::plain("m"), Command::SetKind(CellKind::Markdown)),
            (Key::plain("r"), Command::SetKind(CellKind::Raw)),
            (Key::plain("1"), Command::Heading(1)),
            (Key::plain("6"), Command::Heading(6)),
            (shift("M"), Command::Merge),
            (
                with("ArrowUp", |k| {
                    k.ctrl = true;
                    k.shift = true
                }),
                Command::MoveUp,
            ),
            (
                with("ArrowDown", |k| {
                    k.ctrl = true;
                    k.shift = true
                }),
                Command::MoveDown,
            ),
            (Key::plain("s"), Command::Save),
            (Key::plain("h"), Command::ShowHelp),
        ];
        for (key, command) in cases {
            assert_eq!(keymap(Mode::Command, &key), Some(command), "{key:?}");
        }
    }

    #[test]
    fn letters_are_typing_in_edit_mode() {
        for key in [
            "a",
            "b",
            "x",
            "j",
            "k",
            "ArrowDown",
            "ArrowUp",
            "1",
            "s",
            "z",
        ] {
            assert_eq!(keymap(Mode::Edit, &Key::plain(key)), None, "{key}");
        }
        assert_eq!(keymap(Mode::Edit, &shift("V")), None);
        assert_eq!(keymap(Mode::Edit, &shift("ArrowDown")), None);
    }

    #[test]
    fn browser_shortcuts_are_left_alone_in_command_mode() {
        // Ctrl+C, Ctrl+X, Cmd+V and friends belong to the browser (its copy and paste events
        // carry cells to and from the system clipboard).
        for key in ["c", "x", "v"] {
            assert_eq!(keymap(Mode::Command, &with(key, |k| k.ctrl = true)), None);
            assert_eq!(keymap(Mode::Command, &with(key, |k| k.meta = true)), None);
            assert_eq!(keymap(Mode::Command, &with(key, |k| k.alt = true)), None);
        }
        assert_eq!(keymap(Mode::Command, &Key::plain("Tab")), None);
        assert_eq!(keymap(Mode::Edit, &with("a", |k| k.ctrl = true)), None);
    }

    #[test]
    fn sequences_need_the_keyboard_state() {
        assert_eq!(keymap(Mode::Command, &Key::plain("d")), None);
        assert_eq!(keymap(Mode::Command, &Key::plain("d")), None);
        let mut keyboard = Keyboard::default();
        let d = Key::plain("d");
        assert_eq!(
            keyboard.press(Mode::Command, &d, "KeyD", 10.0),
            Press::Pending
        );
        assert_eq!(
            keyboard.press(Mode::Command, &d, "KeyD", 300.0),
            Press::Run(CommandId::Delete)
        );
        assert_eq!(
            keyboard.press(Mode::Command, &Key::plain("Shift"), "ShiftLeft", 400.0),
            Press::Unbound
        );
        // The split is bound, but needs the editor's selection to become a command.
        let split = with("_", |k| {
            k.ctrl = true;
            k.shift = true
        });
        assert_eq!(
            keyboard.press(Mode::Edit, &split, "Minus", 500.0),
            Press::Run(CommandId::Split)
        );
        assert_eq!(keymap(Mode::Edit, &split), None);
    }
}
