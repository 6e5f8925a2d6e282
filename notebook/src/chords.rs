//! The key sequence state machine: turns key presses into commands, waiting after the first
//! key of a sequence such as `D D`, `I I` or `0 0` as Jupyter does.
//!
//! The page passes the time of each press (e.g. `KeyboardEvent.timeStamp`), so the machine
//! stays pure. A sequence must continue within [`CHORD_TIMEOUT_MS`] of its previous key
//! (JupyterLab's chord timeout); a key that does not continue it, a change of mode or a late
//! key drops the pending keys, and that key is then read on its own (`D` then `J` selects the
//! next cell). Modifier keys on their own are not strokes ([`KeyStroke::from_event`] gives
//! `None` for them), so holding Shift between the two keys of a sequence does not break it.

use crate::bindings::{KeyStroke, Keymap, Lookup};
use crate::commands::CommandId;
use crate::mode::Mode;

/// How long the next key of a sequence may take, in milliseconds.
pub const CHORD_TIMEOUT_MS: f64 = 1000.0;

/// What a key press did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// Run this command (and keep the key from the browser).
    Run(CommandId),
    /// The key started or continued a sequence: keep it from the browser and wait.
    Pending,
    /// Not ours: let the browser have it (typing, Tab, browser shortcuts).
    Unbound,
}

/// Keys of a sequence pressed so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chords {
    pending: Vec<KeyStroke>,
    mode: Mode,
    /// When the last pending key was pressed, in the caller's milliseconds.
    at_ms: f64,
}

impl Chords {
    /// Reads one key press made in `mode` at `now_ms`.
    pub fn press(&mut self, keymap: &Keymap, mode: Mode, stroke: KeyStroke, now_ms: f64) -> Press {
        let in_time = now_ms >= self.at_ms && now_ms - self.at_ms <= CHORD_TIMEOUT_MS;
        if !self.pending.is_empty() && mode == self.mode && in_time {
            let mut sequence = std::mem::take(&mut self.pending);
            sequence.push(stroke.clone());
            match keymap.lookup(mode, &sequence) {
                Lookup::Command(id) => return Press::Run(id),
                Lookup::Prefix => {
                    self.pending = sequence;
                    self.at_ms = now_ms;
                    return Press::Pending;
                }
                Lookup::Unbound => {}
            }
        }
        self.pending.clear();
        match keymap.lookup(mode, std::slice::from_ref(&stroke)) {
            Lookup::Command(id) => Press::Run(id),
            Lookup::Prefix => {
                self.pending = vec![stroke];
                self.mode = mode;
                self.at_ms = now_ms;
                Press::Pending
            }
            Lookup::Unbound => Press::Unbound,
        }
    }

    /// The keys waiting for the rest of their sequence (the UI may show them).
    pub fn pending(&self) -> &[KeyStroke] {
        &self.pending
    }

    /// Forgets pending keys (e.g. when the page loses focus).
    pub fn reset(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::bindings::KeySequence;
    use super::*;

    fn stroke(text: &str) -> KeyStroke {
        KeyStroke::parse(text).unwrap()
    }

    fn press(chords: &mut Chords, mode: Mode, key: &str, at: f64) -> Press {
        chords.press(&Keymap::jupyter(), mode, stroke(key), at)
    }

    #[test]
    fn a_sequence_within_the_window_runs_its_command() {
        let mut chords = Chords::default();
        assert_eq!(press(&mut chords, Mode::Command, "D", 0.0), Press::Pending);
        assert_eq!(chords.pending(), [stroke("D")]);
        assert_eq!(
            press(&mut chords, Mode::Command, "D", 999.0),
            Press::Run(CommandId::Delete)
        );
        assert!(chords.pending().is_empty());
        assert_eq!(
            press(&mut chords, Mode::Command, "I", 2000.0),
            Press::Pending
        );
        assert_eq!(
            press(&mut chords, Mode::Command, "I", 2500.0),
            Press::Run(CommandId::Interrupt)
        );
        assert_eq!(
            press(&mut chords, Mode::Command, "0", 3000.0),
            Press::Pending
        );
        assert_eq!(
            press(&mut chords, Mode::Command, "0", 3001.0),
            Press::Run(CommandId::Restart)
        );
    }

    #[test]
    fn a_late_key_starts_over() {
        let mut chords = Chords::default();
        press(&mut chords, Mode::Command, "D", 0.0);
        assert_eq!(
            press(&mut chords, Mode::Command, "D", 1001.0),
            Press::Pending
        );
        assert_eq!(
            press(&mut chords, Mode::Command, "D", 1500.0),
            Press::Run(CommandId::Delete)
        );
        // A clock that goes backwards does not complete a sequence either.
        press(&mut chords, Mode::Command, "D", 5000.0);
        assert_eq!(
            press(&mut chords, Mode::Command, "D", 4000.0),
            Press::Pending
        );
    }

    #[test]
    fn a_key_that_does_not_continue_is_read_on_its_own() {
        let mut chords = Chords::default();
        press(&mut chords, Mode::Command, "D", 0.0);
        assert_eq!(
            press(&mut chords, Mode::Command, "J", 10.0),
            Press::Run(CommandId::SelectNext)
        );
        assert!(chords.pending().is_empty());
        // "I" then "D": the D starts its own sequence.
        press(&mut chords, Mode::Command, "I", 20.0);
        assert_eq!(press(&mut chords, Mode::Command, "D", 30.0), Press::Pending);
        assert_eq!(chords.pending(), [stroke("D")]);
        // Shift+I is another key than I.
        press(&mut chords, Mode::Command, "I", 40.0);
        assert_eq!(
            press(&mut chords, Mode::Command, "Shift+I", 50.0),
            Press::Unbound
        );
        assert_eq!(press(&mut chords, Mode::Command, "Q", 60.0), Press::Unbound);
    }

    #[test]
    fn changing_mode_or_resetting_drops_pending_keys() {
        let mut chords = Chords::default();
        press(&mut chords, Mode::Command, "D", 0.0);
        assert_eq!(press(&mut chords, Mode::Edit, "D", 10.0), Press::Unbound);
        press(&mut chords, Mode::Command, "D", 20.0);
        chords.reset();
        assert_eq!(press(&mut chords, Mode::Command, "D", 30.0), Press::Pending);
    }

    #[test]
    fn user_sequences_work_in_edit_mode() {
        let mut keymap = Keymap::jupyter();
        keymap
            .bind(
                CommandId::Save,
                super::super::bindings::KeySequence::parse("Ctrl+K Ctrl+S")
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .expect_err("Ctrl+K is the palette: a prefix clash");
        keymap
            .bind_replacing(
                CommandId::Save,
                KeySequence::parse("Ctrl+K Ctrl+S").unwrap(),
            )
            .unwrap();
        let mut chords = Chords::default();
        assert_eq!(
            chords.press(&keymap, Mode::Edit, stroke("Ctrl+K"), 0.0),
            Press::Pending
        );
        assert_eq!(
            chords.press(&keymap, Mode::Edit, stroke("Ctrl+S"), 100.0),
            Press::Run(CommandId::Save)
        );
    }
}
