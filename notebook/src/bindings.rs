//! Key bindings as data: which key sequence runs which [`CommandId`] in which mode, with
//! Jupyter's defaults, rebinding with conflict detection, and a JSON form the UI keeps in
//! `localStorage`.
//!
//! Keys are [`KeyStroke`]s built from `KeyboardEvent` fields ([`KeyStroke::from_event`]) or
//! parsed from the text the help overlay shows (`"Shift+Enter"`, `"Ctrl+Shift+-"`, `"D D"`):
//! - `Ctrl` means Ctrl or ⌘ (Cmd), as Jupyter's `Accel`: `Ctrl+Enter` is `Cmd+Enter` on a Mac;
//! - letters follow the user's keyboard layout (`KeyboardEvent.key`) and are case-insensitive
//!   (Shift is a modifier: `"Shift+J"`; Caps Lock does not matter); where the layout gives no
//!   Latin letter (Cyrillic, Greek, macOS Option compositions) the physical key
//!   (`KeyboardEvent.code`) names it, as Jupyter's key codes do;
//! - digits are the physical digit keys (so `1`–`6` and `0 0` work on AZERTY too);
//! - with Shift held, punctuation is named by its unshifted key on a US layout: Ctrl+Shift+-
//!   arrives as `"_"` and is matched as `-`. On other layouts such a binding may need rebinding.
//!
//! A binding's [`Scope`] comes from its command ([`CommandId::scope`]); keys that type text
//! (letters, digits, plain Enter, arrows...) only ever work in command mode, since in edit mode
//! they belong to the editor.

use std::fmt;

use serde_json::{Map, Value};
use wirebook_shared::sorting::sort_by;

use crate::commands::{CommandId, Scope};
use crate::mode::Mode;

/// The longest key sequence a binding may have.
pub const MAX_SEQUENCE: usize = 4;

/// Keys that are only modifiers or not keys at all: they never start or break a sequence.
const IGNORED_KEYS: &[&str] = &[
    "Shift",
    "Control",
    "Alt",
    "AltGraph",
    "Meta",
    "OS",
    "Super",
    "Hyper",
    "Fn",
    "FnLock",
    "CapsLock",
    "NumLock",
    "ScrollLock",
    "Dead",
    "Unidentified",
    "Process",
    "Compose",
];

/// Named (non-character) keys a binding may use.
const NAMED_KEYS: &[&str] = &[
    "Enter",
    "Escape",
    "Tab",
    "Backspace",
    "Delete",
    "Insert",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "ArrowUp",
    "ArrowDown",
    "ArrowLeft",
    "ArrowRight",
    "Space",
];

/// Old or alternative names browsers and people use.
const ALIASES: &[(&str, &str)] = &[
    ("Esc", "Escape"),
    ("Return", "Enter"),
    ("Up", "ArrowUp"),
    ("Down", "ArrowDown"),
    ("Left", "ArrowLeft"),
    ("Right", "ArrowRight"),
    ("Del", "Delete"),
    ("Spacebar", "Space"),
    (" ", "Space"),
];

/// Whether a named key edits or moves in a text field, so in edit mode it belongs to the
/// editor: every named key but Escape, which leaves the editor.
fn edits_text(key: &str) -> bool {
    key != "Escape" && NAMED_KEYS.contains(&key)
}

/// US layout: `KeyboardEvent.code`, the key's character, and the character with Shift.
const US_PUNCTUATION: &[(&str, char, char)] = &[
    ("Digit1", '1', '!'),
    ("Digit2", '2', '@'),
    ("Digit3", '3', '#'),
    ("Digit4", '4', '$'),
    ("Digit5", '5', '%'),
    ("Digit6", '6', '^'),
    ("Digit7", '7', '&'),
    ("Digit8", '8', '*'),
    ("Digit9", '9', '('),
    ("Digit0", '0', ')'),
    ("Minus", '-', '_'),
    ("Equal", '=', '+'),
    ("BracketLeft", '[', '{'),
    ("BracketRight", ']', '}'),
    ("Backslash", '\\', '|'),
    ("Semicolon", ';', ':'),
    ("Quote", '\'', '"'),
    ("Comma", ',', '<'),
    ("Period", '.', '>'),
    ("Slash", '/', '?'),
    ("Backquote", '`', '~'),
];

/// One key press with its modifiers, normalised as the module docs describe.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyStroke {
    /// A lower-case letter, another single character, or one of the named keys.
    key: String,
    /// Ctrl or ⌘.
    ctrl: bool,
    alt: bool,
    shift: bool,
}

/// Why a key or a binding was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindError {
    /// The text does not name keys.
    Invalid(String),
    /// The keys type text, so they cannot work in edit mode, where this command is used.
    TypesText { keys: String, command: CommandId },
    /// The keys are taken (or start, or are started by, keys that are) in an overlapping mode.
    Conflict {
        keys: String,
        with: Vec<(CommandId, String)>,
    },
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::Invalid(why) => f.write_str(why),
            BindError::TypesText { keys, command } => write!(
                f,
                "{keys} types text in the editor, and \"{}\" is an edit-mode command: use Ctrl, \
                 Alt or a key that does not type",
                command.label()
            ),
            BindError::Conflict { keys, with } => {
                let with: Vec<String> = with
                    .iter()
                    .map(|(command, keys)| format!("\"{}\" ({keys})", command.label()))
                    .collect();
                write!(f, "{keys} clashes with {}", with.join(", "))
            }
        }
    }
}

impl std::error::Error for BindError {}

fn invalid(why: String) -> BindError {
    BindError::Invalid(why)
}

impl KeyStroke {
    /// The stroke a `keydown` event means, from its `key`, `code` and modifier flags; `None`
    /// for a modifier on its own, a dead key or an IME composition, which are not strokes.
    pub fn from_event(
        key: &str,
        code: &str,
        shift: bool,
        ctrl: bool,
        alt: bool,
        meta: bool,
    ) -> Option<KeyStroke> {
        if key.is_empty() || IGNORED_KEYS.contains(&key) {
            return None;
        }
        let mut chars = key.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if c != ' ' => {
                if c.is_ascii_alphabetic() {
                    c.to_ascii_lowercase().to_string()
                } else if let Some(letter) = code
                    .strip_prefix("Key")
                    .filter(|l| l.len() == 1 && l.as_bytes()[0].is_ascii_alphabetic())
                {
                    letter.to_ascii_lowercase()
                } else if let Some(digit) = code
                    .strip_prefix("Digit")
                    .filter(|d| d.len() == 1 && d.as_bytes()[0].is_ascii_digit())
                {
                    digit.to_string()
                } else if let Some((_, base, _)) =
                    US_PUNCTUATION.iter().find(|(c, _, _)| shift && *c == code)
                {
                    base.to_string()
                } else {
                    c.to_string()
                }
            }
            _ => named_key(key)?,
        };
        Some(KeyStroke {
            key,
            ctrl: ctrl || meta,
            alt,
            shift,
        })
    }

    /// Parses one stroke as the help overlay writes it: modifiers (`Ctrl`, `Cmd`, `Alt`,
    /// `Option`, `Shift`, any case) and a key joined by `+`, e.g. `"Ctrl+Shift+ArrowUp"`,
    /// `"Shift+J"`, `"A"` (a letter without Shift), `"Ctrl++"`.
    pub fn parse(text: &str) -> Result<KeyStroke, BindError> {
        let text = text.trim();
        let (modifiers, key) = if text == "+" {
            ("", "+")
        } else if let Some(modifiers) = text.strip_suffix("++") {
            (modifiers, "+")
        } else {
            match text.rfind('+') {
                Some(at) => (&text[..at], &text[at + 1..]),
                None => ("", text),
            }
        };
        let mut stroke = KeyStroke {
            key: String::new(),
            ctrl: false,
            alt: false,
            shift: false,
        };
        for modifier in modifiers.split('+').filter(|_| !modifiers.is_empty()) {
            match modifier.trim().to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "cmd" | "command" | "meta" | "accel" => stroke.ctrl = true,
                "alt" | "option" | "opt" => stroke.alt = true,
                "shift" => stroke.shift = true,
                other => return Err(invalid(format!("{other:?} is not a modifier in {text:?}"))),
            }
        }
        let mut chars = key.chars();
        stroke.key = match (chars.next(), chars.next()) {
            (None, _) => return Err(invalid(format!("{text:?} names no key"))),
            (Some(c), None) if c.is_ascii_alphabetic() => c.to_ascii_lowercase().to_string(),
            (Some(' '), None) => "Space".to_string(),
            (Some(c), None) => match US_PUNCTUATION.iter().find(|(_, _, shifted)| *shifted == c) {
                // "?" is how Shift+/ is written; the event reports it that way too.
                Some((_, base, _)) => {
                    stroke.shift = true;
                    base.to_string()
                }
                None => c.to_string(),
            },
            _ => named_key(key).ok_or_else(|| invalid(format!("{key:?} is not a key name")))?,
        };
        Ok(stroke)
    }

    /// Whether the stroke types or moves in a text field (so edit mode leaves it to the
    /// editor). Shift+Enter does not: Jupyter claims it in both modes.
    pub fn types_text(&self) -> bool {
        !(self.ctrl || self.alt || self.shift && self.key == "Enter")
            && (self.key.chars().count() == 1 || edits_text(&self.key))
    }
}

/// The canonical name of a named key, case-insensitive, with aliases and F1–F24.
fn named_key(key: &str) -> Option<String> {
    if let Some((_, name)) = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(key))
    {
        return Some((*name).to_string());
    }
    if let Some(name) = NAMED_KEYS
        .iter()
        .find(|name| name.eq_ignore_ascii_case(key))
    {
        return Some((*name).to_string());
    }
    let number = key
        .strip_prefix('F')
        .or_else(|| key.strip_prefix('f'))?
        .parse::<u8>()
        .ok()?;
    (1..=24).contains(&number).then(|| format!("F{number}"))
}

impl fmt::Display for KeyStroke {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl+")?;
        }
        if self.alt {
            f.write_str("Alt+")?;
        }
        if self.shift {
            f.write_str("Shift+")?;
        }
        // Letters are shown upper-case, as on the keys and in Jupyter's help.
        if self.key.len() == 1 {
            f.write_str(&self.key.to_ascii_uppercase())
        } else {
            f.write_str(&self.key)
        }
    }
}

/// Keys pressed one after the other, e.g. `D D`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeySequence(Vec<KeyStroke>);

impl KeySequence {
    /// Strokes separated by spaces, e.g. `"D D"`, `"Ctrl+K Ctrl+S"`.
    pub fn parse(text: &str) -> Result<KeySequence, BindError> {
        // "Space" is written out, so splitting on whitespace cannot cut a stroke.
        let strokes = text
            .split_whitespace()
            .map(KeyStroke::parse)
            .collect::<Result<Vec<_>, _>>()?;
        KeySequence::new(strokes)
    }

    pub fn new(strokes: Vec<KeyStroke>) -> Result<KeySequence, BindError> {
        if strokes.is_empty() || strokes.len() > MAX_SEQUENCE {
            return Err(invalid(format!(
                "a binding is 1 to {MAX_SEQUENCE} keys, not {}",
                strokes.len()
            )));
        }
        Ok(KeySequence(strokes))
    }

    pub fn strokes(&self) -> &[KeyStroke] {
        &self.0
    }

    /// Whether one of the sequences starts the other (or they are equal): they cannot both
    /// be bound in one mode, since the shorter would always win or always wait.
    fn overlaps(&self, other: &KeySequence) -> bool {
        self.0.starts_with(&other.0) || other.0.starts_with(&self.0)
    }
}

impl fmt::Display for KeySequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, stroke) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{stroke}")?;
        }
        Ok(())
    }
}

/// One binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: KeySequence,
    pub command: CommandId,
    pub scope: Scope,
}

/// What a sequence of strokes means in a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Command(CommandId),
    /// The start of a longer binding: wait for the next key.
    Prefix,
    Unbound,
}

/// A command with its keys, for the help overlay and the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandKeys {
    pub id: CommandId,
    pub label: &'static str,
    pub description: &'static str,
    /// As the user would type them, e.g. `["Shift+Enter"]`, `["D D"]`.
    pub keys: Vec<String>,
}

/// Jupyter's defaults, plus the ones Jupyter lacks (see [`Keymap::jupyter`]).
const DEFAULTS: &[(&str, CommandId)] = &[
    ("Enter", CommandId::EnterEditMode),
    ("Escape", CommandId::EnterCommandMode),
    ("Ctrl+M", CommandId::EnterCommandMode),
    ("K", CommandId::SelectPrevious),
    ("ArrowUp", CommandId::SelectPrevious),
    ("J", CommandId::SelectNext),
    ("ArrowDown", CommandId::SelectNext),
    ("Shift+K", CommandId::ExtendSelectionAbove),
    ("Shift+ArrowUp", CommandId::ExtendSelectionAbove),
    ("Shift+J", CommandId::ExtendSelectionBelow),
    ("Shift+ArrowDown", CommandId::ExtendSelectionBelow),
    ("Ctrl+A", CommandId::SelectAll),
    ("Shift+Enter", CommandId::RunAndSelectNext),
    ("Ctrl+Enter", CommandId::Run),
    ("Alt+Enter", CommandId::RunAndInsertBelow),
    ("Ctrl+Shift+Enter", CommandId::RunAll),
    ("Alt+Shift+Enter", CommandId::RestartAndRunAll),
    ("A", CommandId::InsertAbove),
    ("B", CommandId::InsertBelow),
    ("X", CommandId::Cut),
    ("C", CommandId::Copy),
    ("V", CommandId::PasteBelow),
    ("Shift+V", CommandId::PasteAbove),
    ("D D", CommandId::Delete),
    ("Z", CommandId::Undo),
    ("Shift+Z", CommandId::Redo),
    ("Y", CommandId::ToCode),
    ("M", CommandId::ToMarkdown),
    ("R", CommandId::ToRaw),
    ("1", CommandId::Heading1),
    ("2", CommandId::Heading2),
    ("3", CommandId::Heading3),
    ("4", CommandId::Heading4),
    ("5", CommandId::Heading5),
    ("6", CommandId::Heading6),
    ("Shift+M", CommandId::Merge),
    ("Ctrl+Shift+ArrowUp", CommandId::MoveUp),
    ("Ctrl+Shift+ArrowDown", CommandId::MoveDown),
    ("Ctrl+Shift+-", CommandId::Split),
    ("O", CommandId::ToggleOutputs),
    ("Shift+O", CommandId::ToggleOutputScrolling),
    ("I I", CommandId::Interrupt),
    ("0 0", CommandId::Restart),
    ("Ctrl+Shift+K", CommandId::ChangeKernel),
    ("S", CommandId::Save),
    ("Ctrl+S", CommandId::Save),
    ("H", CommandId::ShowHelp),
    ("Ctrl+K", CommandId::ShowPalette),
    // Jupyter's: in command mode the notebook's search; in edit mode the editor's own.
    ("Ctrl+F", CommandId::Find),
];

/// The version of [`Keymap::to_json`]'s format.
const JSON_VERSION: u64 = 1;

/// Every binding in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::jupyter()
    }
}

/// The scope a binding of `keys` to `command` gets: the command's, narrowed to command mode
/// when the first key types text.
fn scope_for(command: CommandId, keys: &KeySequence) -> Result<Scope, BindError> {
    let types_text = keys.0[0].types_text();
    match command.scope() {
        Scope::Edit if types_text => Err(BindError::TypesText {
            keys: keys.to_string(),
            command,
        }),
        Scope::Both if types_text => Ok(Scope::Command),
        scope => Ok(scope),
    }
}

impl Keymap {
    /// Jupyter's default keys, plus keys for what Jupyter leaves unbound:
    /// - Run all: `Ctrl+Shift+Enter`; restart and run all: `Alt+Shift+Enter` (Shift+Enter's
    ///   family; no browser claims either inside a page);
    /// - command palette: `Ctrl+K` (⌘K). JupyterLab's `Ctrl+Shift+C` opens Chrome's element
    ///   picker and `Ctrl+Shift+P` is Firefox's private window, which pages cannot override.
    ///   Chrome and Firefox give Ctrl+K to their search field only when the page does not take
    ///   it, which is why it is the usual palette key of web apps;
    /// - save: `S` and `Ctrl+S` (the latter replaces the browser's "save page").
    pub fn jupyter() -> Keymap {
        let bindings = DEFAULTS
            .iter()
            .map(|(keys, command)| {
                let keys = KeySequence::parse(keys).expect("the default keys parse");
                let scope = scope_for(*command, &keys).expect("default keys fit their scope");
                Binding {
                    keys,
                    command: *command,
                    scope,
                }
            })
            .collect();
        Keymap { bindings }
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// What `strokes`, pressed in a row, mean in `mode`.
    pub fn lookup(&self, mode: Mode, strokes: &[KeyStroke]) -> Lookup {
        let mut prefix = false;
        for binding in self.bindings.iter().filter(|b| b.scope.includes(mode)) {
            let keys = binding.keys.strokes();
            if keys == strokes {
                return Lookup::Command(binding.command);
            }
            prefix |= keys.len() > strokes.len() && keys.starts_with(strokes);
        }
        if prefix {
            Lookup::Prefix
        } else {
            Lookup::Unbound
        }
    }

    /// The keys bound to `command`.
    pub fn keys_for(&self, command: CommandId) -> Vec<&KeySequence> {
        self.bindings
            .iter()
            .filter(|b| b.command == command)
            .map(|b| &b.keys)
            .collect()
    }

    /// The bindings that binding `keys` to `command` would clash with.
    pub fn conflicts(
        &self,
        command: CommandId,
        keys: &KeySequence,
    ) -> Result<Vec<&Binding>, BindError> {
        let scope = scope_for(command, keys)?;
        Ok(self
            .bindings
            .iter()
            .filter(|b| {
                b.scope.overlaps(scope)
                    && b.keys.overlaps(keys)
                    && !(b.command == command && b.keys == *keys)
            })
            .collect())
    }

    /// Adds a binding of `keys` to `command`, unless the keys clash with another binding.
    pub fn bind(&mut self, command: CommandId, keys: KeySequence) -> Result<(), BindError> {
        let conflicts = self.conflicts(command, &keys)?;
        if !conflicts.is_empty() {
            return Err(BindError::Conflict {
                keys: keys.to_string(),
                with: conflicts
                    .iter()
                    .map(|b| (b.command, b.keys.to_string()))
                    .collect(),
            });
        }
        self.push(command, keys)
    }

    /// Adds a binding of `keys` to `command`, removing the bindings it clashes with; returns
    /// them (so the UI can say what was unbound).
    pub fn bind_replacing(
        &mut self,
        command: CommandId,
        keys: KeySequence,
    ) -> Result<Vec<Binding>, BindError> {
        let scope = scope_for(command, &keys)?;
        let (removed, kept): (Vec<Binding>, Vec<Binding>) =
            self.bindings.drain(..).partition(|b| {
                b.scope.overlaps(scope)
                    && b.keys.overlaps(&keys)
                    && !(b.command == command && b.keys == keys)
            });
        self.bindings = kept;
        self.push(command, keys)?;
        Ok(removed)
    }

    fn push(&mut self, command: CommandId, keys: KeySequence) -> Result<(), BindError> {
        let scope = scope_for(command, &keys)?;
        if !self
            .bindings
            .iter()
            .any(|b| b.command == command && b.keys == keys)
        {
            self.bindings.push(Binding {
                keys,
                command,
                scope,
            });
        }
        Ok(())
    }

    /// Removes the binding of `keys` to `command`; false if there was none.
    pub fn unbind(&mut self, command: CommandId, keys: &KeySequence) -> bool {
        let before = self.bindings.len();
        self.bindings
            .retain(|b| !(b.command == command && b.keys == *keys));
        self.bindings.len() != before
    }

    /// Gives `command` its default keys back (and only those). Defaults now taken by another
    /// command are left out and returned.
    pub fn reset(&mut self, command: CommandId) -> Vec<KeySequence> {
        self.bindings.retain(|b| b.command != command);
        let mut skipped = Vec::new();
        for binding in Keymap::jupyter().bindings {
            if binding.command == command {
                if let Err(BindError::Conflict { .. }) = self.bind(command, binding.keys.clone()) {
                    skipped.push(binding.keys);
                }
            }
        }
        skipped
    }

    /// Every command with its label, description and current keys, in the catalogue's order.
    pub fn listing(&self) -> Vec<CommandKeys> {
        CommandId::ALL
            .iter()
            .map(|&id| CommandKeys {
                id,
                label: id.label(),
                description: id.description(),
                keys: self.keys_for(id).iter().map(|k| k.to_string()).collect(),
            })
            .collect()
    }

    /// The user's changes to the defaults as JSON: for each command whose keys differ from
    /// Jupyter's, the full list of its keys (empty when unbound), e.g.
    /// `{"version":1,"bindings":{"command-palette":["Alt+P"],"delete-cells":[]}}`. Commands
    /// not listed keep their defaults, so keys added to wirebook later reach saved keymaps.
    pub fn to_json(&self) -> String {
        let defaults = Keymap::jupyter();
        let mut changed = Map::new();
        for &id in CommandId::ALL {
            let mine = sorted_keys(self, id);
            if mine != sorted_keys(&defaults, id) {
                changed.insert(
                    id.name().to_string(),
                    Value::Array(mine.into_iter().map(Value::String).collect()),
                );
            }
        }
        let mut top = Map::new();
        top.insert("version".into(), Value::from(JSON_VERSION));
        top.insert("bindings".into(), Value::Object(changed));
        Value::Object(top).to_string()
    }

    /// The keymap [`Keymap::to_json`] wrote, and what could not be applied (unknown commands,
    /// unreadable keys, clashes). Broken input never fails: what can be read is applied to
    /// the defaults and the rest is reported. Saved keys win over defaults of other commands
    /// that they clash with (e.g. a default added in a later version).
    pub fn from_json(text: &str) -> (Keymap, Vec<String>) {
        let mut keymap = Keymap::jupyter();
        let mut problems = Vec::new();
        let top = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(top)) => top,
            Ok(_) => {
                return (
                    keymap,
                    vec!["saved key bindings are not a JSON object".into()],
                )
            }
            Err(e) => {
                return (
                    keymap,
                    vec![format!("saved key bindings are not JSON: {e}")],
                )
            }
        };
        match top.get("version").and_then(Value::as_u64) {
            Some(JSON_VERSION) => {}
            other => {
                problems.push(format!(
                    "saved key bindings have version {other:?}, not {JSON_VERSION}; defaults used"
                ));
                return (keymap, problems);
            }
        }
        let Some(Value::Object(saved)) = top.get("bindings") else {
            problems.push("saved key bindings have no \"bindings\" object".into());
            return (keymap, problems);
        };
        let mut wanted: Vec<(CommandId, KeySequence)> = Vec::new();
        let mut mentioned = Vec::new();
        for (name, keys) in saved {
            let Some(id) = CommandId::from_name(name) else {
                problems.push(format!("unknown command {name:?} in saved key bindings"));
                continue;
            };
            let Value::Array(keys) = keys else {
                problems.push(format!("the keys of {name:?} are not a list"));
                continue;
            };
            mentioned.push(id);
            for keys in keys {
                match keys.as_str().map(KeySequence::parse) {
                    Some(Ok(keys)) => wanted.push((id, keys)),
                    Some(Err(e)) => problems.push(format!("{name}: {e}")),
                    None => problems.push(format!("{name}: keys must be strings, not {keys}")),
                }
            }
        }
        keymap.bindings.retain(|b| !mentioned.contains(&b.command));
        for (id, keys) in wanted {
            let clashes: Vec<(CommandId, String)> = match keymap.conflicts(id, &keys) {
                Ok(clashes) => clashes
                    .iter()
                    .map(|b| (b.command, b.keys.to_string()))
                    .collect(),
                Err(e) => {
                    problems.push(format!("{}: {e}", id.name()));
                    continue;
                }
            };
            if clashes.iter().any(|(other, _)| mentioned.contains(other)) {
                problems.push(format!(
                    "{}: {}",
                    id.name(),
                    BindError::Conflict {
                        keys: keys.to_string(),
                        with: clashes,
                    }
                ));
                continue;
            }
            for (other, other_keys) in &clashes {
                problems.push(format!(
                    "{other_keys} no longer runs \"{}\": your binding for \"{}\" takes it",
                    other.label(),
                    id.label()
                ));
            }
            // Only defaults of unmentioned commands clash here: the saved binding wins.
            if let Err(e) = keymap.bind_replacing(id, keys) {
                problems.push(format!("{}: {e}", id.name()));
            }
        }
        (keymap, problems)
    }
}

fn sorted_keys(keymap: &Keymap, id: CommandId) -> Vec<String> {
    let mut keys: Vec<String> = keymap.keys_for(id).iter().map(|k| k.to_string()).collect();
    sort_by(&mut keys, Ord::cmp);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> KeySequence {
        KeySequence::parse(text).unwrap()
    }

    fn stroke(text: &str) -> KeyStroke {
        KeyStroke::parse(text).unwrap()
    }

    fn event(key: &str, code: &str, modifiers: &str) -> Option<KeyStroke> {
        KeyStroke::from_event(
            key,
            code,
            modifiers.contains('s'),
            modifiers.contains('c'),
            modifiers.contains('a'),
            modifiers.contains('m'),
        )
    }

    #[test]
    fn the_defaults_parse_fit_their_scopes_and_do_not_clash() {
        let keymap = Keymap::jupyter();
        assert_eq!(keymap.bindings().len(), DEFAULTS.len());
        for binding in keymap.bindings() {
            let clashes = keymap.conflicts(binding.command, &binding.keys).unwrap();
            assert!(clashes.is_empty(), "{} clashes: {clashes:?}", binding.keys);
            // The help overlay's text reads back as the same keys.
            assert_eq!(keys(&binding.keys.to_string()), binding.keys);
        }
        for &id in CommandId::ALL {
            let unbound = super::super::commands::UNBOUND_BY_DEFAULT.contains(&id);
            assert_eq!(
                keymap.keys_for(id).is_empty(),
                unbound,
                "{id:?}'s default key"
            );
        }
    }

    #[test]
    fn events_are_normalised_like_jupyter_reads_them() {
        assert_eq!(event("J", "KeyJ", "s"), Some(stroke("Shift+J")));
        // Caps Lock does not matter, the letter does.
        assert_eq!(event("A", "KeyA", ""), Some(stroke("A")));
        // Ctrl+Shift+- arrives as "_" on a US layout.
        assert_eq!(event("_", "Minus", "cs"), Some(stroke("Ctrl+Shift+-")));
        // AZERTY: the "1" key types "&" without Shift.
        assert_eq!(event("&", "Digit1", ""), Some(stroke("1")));
        // Layouts without Latin letters and macOS Option compositions use the physical key.
        assert_eq!(event("ф", "KeyA", ""), Some(stroke("A")));
        assert_eq!(event("π", "KeyP", "a"), Some(stroke("Alt+P")));
        // AZERTY's A key is where QWERTY has Q: the layout's letter wins.
        assert_eq!(event("a", "KeyQ", "c"), Some(stroke("Ctrl+A")));
        // Cmd is Ctrl.
        assert_eq!(event("Enter", "Enter", "m"), Some(stroke("Ctrl+Enter")));
        assert_eq!(event(" ", "Space", ""), Some(stroke("Space")));
        assert_eq!(event("Esc", "Escape", ""), Some(stroke("Escape")));
        assert_eq!(event("?", "Slash", "s"), Some(stroke("?")));
        assert_eq!(stroke("?"), stroke("Shift+/"));
        for key in ["Shift", "Control", "Meta", "Alt", "Dead", "Process", ""] {
            assert_eq!(event(key, "", "s"), None, "{key}");
        }
    }

    #[test]
    fn strokes_parse_any_case_and_print_canonically() {
        assert_eq!(stroke("cmd+shift+up").to_string(), "Ctrl+Shift+ArrowUp");
        assert_eq!(stroke("Ctrl++").to_string(), "Ctrl+Shift+=");
        assert_eq!(stroke("option+p").to_string(), "Alt+P");
        assert_eq!(stroke("f5").to_string(), "F5");
        assert_eq!(keys("d  d").to_string(), "D D");
        for bad in ["", "Hyper+A", "Ctrl+", "Foo", "F25", "A B C D E"] {
            assert!(KeySequence::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_keys_belong_to_the_editor() {
        for text in [
            "A",
            "Shift+A",
            "1",
            "Enter",
            "ArrowUp",
            "Shift+ArrowUp",
            "Space",
            "Tab",
        ] {
            assert!(stroke(text).types_text(), "{text}");
        }
        for text in [
            "Shift+Enter",
            "Ctrl+A",
            "Alt+Enter",
            "Escape",
            "F2",
            "Ctrl+Shift+-",
        ] {
            assert!(!stroke(text).types_text(), "{text}");
        }
    }

    #[test]
    fn lookup_follows_modes_and_sequences() {
        let keymap = Keymap::jupyter();
        let look = |mode, text: &str| keymap.lookup(mode, keys(text).strokes());
        assert_eq!(
            look(Mode::Command, "A"),
            Lookup::Command(CommandId::InsertAbove)
        );
        assert_eq!(look(Mode::Edit, "A"), Lookup::Unbound);
        assert_eq!(look(Mode::Command, "S"), Lookup::Command(CommandId::Save));
        assert_eq!(look(Mode::Edit, "S"), Lookup::Unbound);
        assert_eq!(look(Mode::Edit, "Ctrl+S"), Lookup::Command(CommandId::Save));
        assert_eq!(
            look(Mode::Edit, "Shift+Enter"),
            Lookup::Command(CommandId::RunAndSelectNext)
        );
        assert_eq!(look(Mode::Command, "D"), Lookup::Prefix);
        assert_eq!(
            look(Mode::Command, "D D"),
            Lookup::Command(CommandId::Delete)
        );
        assert_eq!(look(Mode::Command, "D X"), Lookup::Unbound);
        assert_eq!(look(Mode::Command, "Escape"), Lookup::Unbound);
        assert_eq!(
            look(Mode::Edit, "Escape"),
            Lookup::Command(CommandId::EnterCommandMode)
        );
        assert_eq!(
            look(Mode::Edit, "Ctrl+Shift+-"),
            Lookup::Command(CommandId::Split)
        );
        assert_eq!(look(Mode::Command, "Ctrl+Shift+-"), Lookup::Unbound);
        // Ctrl+F: the notebook's search in command mode, the editor's own in edit mode.
        assert_eq!(
            look(Mode::Command, "Ctrl+F"),
            Lookup::Command(CommandId::Find)
        );
        assert_eq!(look(Mode::Edit, "Ctrl+F"), Lookup::Unbound);
        assert_eq!(
            look(Mode::Edit, "Ctrl+K"),
            Lookup::Command(CommandId::ShowPalette)
        );
        assert_eq!(
            look(Mode::Command, "Ctrl+C"),
            Lookup::Unbound,
            "the browser's copy"
        );
    }

    #[test]
    fn binding_detects_clashes_prefixes_and_text_keys() {
        let mut keymap = Keymap::jupyter();
        let err = keymap
            .bind(CommandId::ShowPalette, keys("Shift+Enter"))
            .unwrap_err();
        assert_eq!(
            err,
            BindError::Conflict {
                keys: "Shift+Enter".into(),
                with: vec![(CommandId::RunAndSelectNext, "Shift+Enter".into())]
            }
        );
        assert!(err.to_string().contains("Run and select next"));
        // "D" would swallow the first key of "D D", and "D D D" could never be reached.
        assert!(keymap.bind(CommandId::InsertAbove, keys("D")).is_err());
        assert!(keymap.bind(CommandId::InsertAbove, keys("D D D")).is_err());
        assert!(matches!(
            keymap.bind(CommandId::Split, keys("X")),
            Err(BindError::TypesText { .. })
        ));
        // A command-mode letter and an edit-mode key do not clash.
        keymap
            .bind(CommandId::Merge, keys("Ctrl+M"))
            .unwrap_or_else(|e| {
                panic!("Ctrl+M is edit-mode's, Merge is command-mode's: {e}");
            });
        assert_eq!(
            keymap.lookup(Mode::Command, keys("Ctrl+M").strokes()),
            Lookup::Command(CommandId::Merge)
        );
        // Binding the same keys twice is a no-op, not a clash.
        keymap.bind(CommandId::Merge, keys("Ctrl+M")).unwrap();
        assert_eq!(keymap.keys_for(CommandId::Merge).len(), 2);
    }

    #[test]
    fn rebinding_replaces_unbinds_and_resets() {
        let mut keymap = Keymap::jupyter();
        let removed = keymap
            .bind_replacing(CommandId::ShowPalette, keys("Ctrl+S"))
            .unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].command, CommandId::Save);
        assert_eq!(
            keymap.lookup(Mode::Edit, keys("Ctrl+S").strokes()),
            Lookup::Command(CommandId::ShowPalette)
        );
        assert!(keymap.unbind(CommandId::ShowPalette, &keys("Ctrl+K")));
        assert!(!keymap.unbind(CommandId::ShowPalette, &keys("Ctrl+K")));
        // Save's default Ctrl+S is now the palette's: reset restores only what is free.
        assert_eq!(keymap.reset(CommandId::Save), vec![keys("Ctrl+S")]);
        assert_eq!(keymap.keys_for(CommandId::Save), vec![&keys("S")]);
        keymap.reset(CommandId::ShowPalette);
        keymap.reset(CommandId::Save);
        assert_eq!(sorted_keys(&keymap, CommandId::Save), ["Ctrl+S", "S"]);
    }

    #[test]
    fn the_listing_has_every_command_with_its_keys() {
        let listing = Keymap::jupyter().listing();
        assert_eq!(listing.len(), CommandId::ALL.len());
        let delete = listing.iter().find(|c| c.id == CommandId::Delete).unwrap();
        assert_eq!(delete.keys, ["D D"]);
        assert_eq!(delete.label, "Delete cells");
        let save = listing.iter().find(|c| c.id == CommandId::Save).unwrap();
        assert_eq!(save.keys, ["S", "Ctrl+S"]);
    }

    fn same_bindings(a: &Keymap, b: &Keymap) -> bool {
        CommandId::ALL
            .iter()
            .all(|&id| sorted_keys(a, id) == sorted_keys(b, id))
    }

    #[test]
    fn json_round_trips_the_changes_only() {
        let defaults: Value = serde_json::from_str(&Keymap::jupyter().to_json()).unwrap();
        assert_eq!(defaults["bindings"], Value::Object(Map::new()));

        let mut keymap = Keymap::jupyter();
        keymap
            .bind_replacing(CommandId::ShowPalette, keys("Alt+P"))
            .unwrap();
        keymap.unbind(CommandId::ShowPalette, &keys("Ctrl+K"));
        keymap.unbind(CommandId::Delete, &keys("D D"));
        keymap
            .bind(CommandId::Delete, keys("Ctrl+K Ctrl+D"))
            .unwrap();
        keymap.unbind(CommandId::Undo, &keys("Z"));
        let json = keymap.to_json();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value["bindings"]["command-palette"],
            serde_json::json!(["Alt+P"])
        );
        assert_eq!(
            value["bindings"]["undo-cell-operation"],
            serde_json::json!([])
        );
        assert_eq!(value["bindings"].as_object().unwrap().len(), 3);
        let (read, problems) = Keymap::from_json(&json);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(same_bindings(&read, &keymap));
    }

    #[test]
    fn broken_saved_bindings_keep_what_can_be_read() {
        let (keymap, problems) = Keymap::from_json("not json");
        assert_eq!(keymap, Keymap::jupyter());
        assert_eq!(problems.len(), 1);

        let (keymap, problems) = Keymap::from_json(r#"{"version":2,"bindings":{}}"#);
        assert_eq!(keymap, Keymap::jupyter());
        assert!(problems[0].contains("version"));

        let (keymap, problems) = Keymap::from_json(
            r#"{"version":1,"bindings":{
                "no-such-command":["A"],
                "save":["Hyper+S", 7, "Ctrl+Shift+S"],
                "split-cell":["Q"],
                "merge-cells":["A"]
            }}"#,
        );
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert_eq!(sorted_keys(&keymap, CommandId::Save), ["Ctrl+Shift+S"]);
        assert!(keymap.keys_for(CommandId::Split).is_empty());
        // A saved binding takes its keys from a default it clashes with, and says so.
        assert_eq!(
            keymap.lookup(Mode::Command, keys("A").strokes()),
            Lookup::Command(CommandId::Merge)
        );
        assert!(keymap.keys_for(CommandId::InsertAbove).is_empty());
        assert!(problems.iter().any(|p| p.contains("Insert cell above")));

        // Two saved bindings that clash: the second is refused.
        let (keymap, problems) =
            Keymap::from_json(r#"{"version":1,"bindings":{"cut-cells":["Q"],"copy-cells":["Q"]}}"#);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let q = keymap.lookup(Mode::Command, keys("Q").strokes());
        assert!(
            q == Lookup::Command(CommandId::Copy) || q == Lookup::Command(CommandId::Cut),
            "{q:?}"
        );
        assert_eq!(
            keymap.keys_for(CommandId::Cut).len() + keymap.keys_for(CommandId::Copy).len(),
            1
        );
    }
}
