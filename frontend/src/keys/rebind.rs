//! Rebinding a command from the keyboard shortcuts dialog: the keys pressed for it
//! ([`Capture`]), what binding them would do ([`Proposal`]: free, taken from other commands,
//! or refused) and applying the choice to a [`Keymap`].
//!
//! The dialog changes one binding at a time: a command's existing keys (`replacing`), or new
//! keys added beside them. Keys being replaced do not count as a clash with themselves, so
//! `B` can become `B Q` for the same command.

use wirebook_notebook::bindings::{
    BindError, Binding, KeySequence, KeyStroke, Keymap, MAX_SEQUENCE,
};
use wirebook_notebook::commands::CommandId;

/// Where the user's changes to the default keymap are kept (`Keymap::to_json`).
pub const STORAGE_KEY: &str = "wirebook.keymap";

/// What binding the pressed keys would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// No other binding uses them: bind at once.
    Free,
    /// They are taken by (or start, or are started by) these commands' keys; binding them
    /// takes those keys away.
    Clash(Vec<(CommandId, String)>),
    /// They cannot be bound to this command, and why (e.g. a letter for an edit-mode command).
    Refused(String),
}

/// Keys being recorded for a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub command: CommandId,
    /// The binding the new keys replace; `None` to add keys.
    pub replacing: Option<KeySequence>,
    pub strokes: Vec<KeyStroke>,
    /// Set when recording is over: what binding the strokes would do.
    pub proposal: Option<Proposal>,
}

impl Capture {
    pub fn new(command: CommandId, replacing: Option<KeySequence>) -> Self {
        Capture {
            command,
            replacing,
            strokes: Vec::new(),
            proposal: None,
        }
    }

    /// Whether keys are still being recorded.
    pub fn recording(&self) -> bool {
        self.proposal.is_none()
    }

    /// Whether pressing `stroke` now cancels recording instead: Esc right after a lone Esc.
    /// A single Esc is a key like any other, so that it can be bound (Esc is how Jupyter
    /// leaves the editor, and some keymaps move that elsewhere).
    pub fn cancels(&self, stroke: &KeyStroke) -> bool {
        let escape = |s: &KeyStroke| s.to_string() == "Escape";
        self.recording()
            && escape(stroke)
            && matches!(self.strokes.as_slice(), [only] if escape(only))
    }

    /// Records a stroke; returns true when the sequence is as long as a binding may be (then
    /// the caller finishes at once instead of waiting for more).
    pub fn press(&mut self, stroke: KeyStroke) -> bool {
        if self.recording() && self.strokes.len() < MAX_SEQUENCE {
            self.strokes.push(stroke);
        }
        self.strokes.len() >= MAX_SEQUENCE
    }

    /// The recorded keys as a sequence, if any were pressed.
    pub fn keys(&self) -> Option<KeySequence> {
        KeySequence::new(self.strokes.clone()).ok()
    }

    /// Ends recording: works out what binding the keys would do in `keymap`. Returns false
    /// (and stays recording) when no key was pressed yet.
    pub fn finish(&mut self, keymap: &Keymap) -> bool {
        let Some(keys) = self.keys() else {
            return false;
        };
        self.proposal = Some(propose(
            keymap,
            self.command,
            self.replacing.as_ref(),
            &keys,
        ));
        true
    }
}

/// `keymap` without the binding being replaced.
fn without(keymap: &Keymap, command: CommandId, replacing: Option<&KeySequence>) -> Keymap {
    let mut keymap = keymap.clone();
    if let Some(old) = replacing {
        keymap.unbind(command, old);
    }
    keymap
}

/// What binding `keys` to `command` (instead of `replacing`) would do.
pub fn propose(
    keymap: &Keymap,
    command: CommandId,
    replacing: Option<&KeySequence>,
    keys: &KeySequence,
) -> Proposal {
    let keymap = without(keymap, command, replacing);
    match keymap.conflicts(command, keys) {
        Ok(clashes) if clashes.is_empty() => Proposal::Free,
        Ok(clashes) => Proposal::Clash(
            clashes
                .iter()
                .map(|b| (b.command, b.keys.to_string()))
                .collect(),
        ),
        Err(e) => Proposal::Refused(e.to_string()),
    }
}

/// Binds `keys` to `command` instead of `replacing`, taking them from the commands they clash
/// with; returns the bindings taken away. On an error `keymap` is unchanged.
pub fn apply(
    keymap: &mut Keymap,
    command: CommandId,
    replacing: Option<&KeySequence>,
    keys: KeySequence,
) -> Result<Vec<Binding>, BindError> {
    let mut changed = without(keymap, command, replacing);
    let removed = changed.bind_replacing(command, keys)?;
    *keymap = changed;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> KeySequence {
        KeySequence::parse(text).unwrap()
    }

    fn capture(command: CommandId, replacing: Option<&str>, pressed: &[&str]) -> Capture {
        let mut capture = Capture::new(command, replacing.map(keys));
        for key in pressed {
            capture.press(KeyStroke::parse(key).unwrap());
        }
        capture.finish(&Keymap::jupyter());
        capture
    }

    #[test]
    fn free_keys_replace_the_old_ones() {
        let c = capture(CommandId::InsertBelow, Some("B"), &["Shift+Q"]);
        assert_eq!(c.proposal, Some(Proposal::Free));
        let mut keymap = Keymap::jupyter();
        let removed = apply(
            &mut keymap,
            c.command,
            c.replacing.as_ref(),
            c.keys().unwrap(),
        );
        assert_eq!(removed, Ok(Vec::new()));
        assert_eq!(keymap.keys_for(CommandId::InsertBelow), [&keys("Shift+Q")]);
        // Survives the trip through localStorage.
        let (loaded, problems) = Keymap::from_json(&keymap.to_json());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(loaded, keymap);
    }

    #[test]
    fn a_command_may_extend_its_own_keys_into_a_sequence() {
        // "B Q" starts with B, which is the binding being replaced: no clash.
        let c = capture(CommandId::InsertBelow, Some("B"), &["B", "Q"]);
        assert_eq!(c.proposal, Some(Proposal::Free));
        // Added beside B, it clashes with B itself.
        let c = capture(CommandId::InsertBelow, None, &["B", "Q"]);
        assert_eq!(
            c.proposal,
            Some(Proposal::Clash(vec![(CommandId::InsertBelow, "B".into())]))
        );
    }

    #[test]
    fn taken_keys_name_their_command_and_replacing_takes_them() {
        let c = capture(CommandId::InsertBelow, Some("B"), &["J"]);
        assert_eq!(
            c.proposal,
            Some(Proposal::Clash(vec![(CommandId::SelectNext, "J".into())]))
        );
        let mut keymap = Keymap::jupyter();
        let removed = apply(&mut keymap, c.command, c.replacing.as_ref(), keys("J")).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].command, CommandId::SelectNext);
        assert_eq!(keymap.keys_for(CommandId::SelectNext), [&keys("ArrowDown")]);
        assert_eq!(keymap.keys_for(CommandId::InsertBelow), [&keys("J")]);
    }

    #[test]
    fn typing_keys_are_refused_for_edit_mode_commands() {
        let c = capture(CommandId::Split, None, &["Q"]);
        assert!(
            matches!(&c.proposal, Some(Proposal::Refused(why)) if why.contains("types text")),
            "{c:?}"
        );
        let mut keymap = Keymap::jupyter();
        assert!(apply(&mut keymap, CommandId::Split, None, keys("Q")).is_err());
        assert_eq!(keymap, Keymap::jupyter());
    }

    #[test]
    fn esc_is_a_key_to_bind_and_esc_twice_cancels() {
        let esc = KeyStroke::parse("Escape").unwrap();
        let mut c = Capture::new(CommandId::EnterCommandMode, None);
        assert!(!c.cancels(&esc), "a first Esc is recorded");
        c.press(esc.clone());
        assert!(c.cancels(&esc), "a second one cancels");
        assert!(!c.cancels(&KeyStroke::parse("Q").unwrap()));
        // Esc alone is a key like any other: the command that has it may have it again.
        c.finish(&Keymap::jupyter());
        assert_eq!(c.proposal, Some(Proposal::Free));
        // A command-mode command may take Esc too.
        let c = capture(CommandId::Interrupt, None, &["Escape"]);
        assert!(
            !matches!(c.proposal, Some(Proposal::Refused(_)) | None),
            "{c:?}"
        );
    }

    #[test]
    fn recording_needs_a_key_and_stops_at_the_longest_sequence() {
        let mut c = Capture::new(CommandId::Save, None);
        assert!(!c.finish(&Keymap::jupyter()));
        assert!(c.recording());
        let q = KeyStroke::parse("Q").unwrap();
        let full: Vec<bool> = (0..MAX_SEQUENCE + 1).map(|_| c.press(q.clone())).collect();
        assert_eq!(full.last(), Some(&true));
        assert_eq!(full.iter().filter(|f| !**f).count(), MAX_SEQUENCE - 1);
        assert_eq!(c.strokes.len(), MAX_SEQUENCE);
        assert!(c.finish(&Keymap::jupyter()));
        assert!(!c.recording());
        // Once finished, presses are not recorded.
        c.press(q);
        assert_eq!(c.strokes.len(), MAX_SEQUENCE);
    }
}
