//! The commands as the help overlay, the palette and the toolbar's tooltips show them: label,
//! description and the keys bound to each in the keymap in effect (`Keymap::listing`).

use wirebook_notebook::bindings::{KeySequence, Keymap};
use wirebook_notebook::commands::{CommandId, Scope};
use wirebook_notebook::Command;

use crate::palette::search::Searchable;
use crate::platform::{modifiers_for, Platform};

/// One command with its keys, for a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut {
    pub id: CommandId,
    /// As the keymap writes them: `"Shift+Enter"`, `"D D"`, `"Ctrl+Shift+ArrowUp"`.
    pub keys: Vec<String>,
}

impl Shortcut {
    /// The keys that work in edit mode: keys that type text are the editor's there, even for
    /// a command bound in both modes (`S` saves in command mode only; `Ctrl+S` in both).
    pub fn edit_keys(&self) -> Vec<String> {
        if self.id.scope() == Scope::Command {
            return Vec::new();
        }
        self.keys
            .iter()
            .filter(|keys| {
                KeySequence::parse(keys)
                    .ok()
                    .and_then(|s| s.strokes().first().map(|k| !k.types_text()))
                    .unwrap_or(false)
            })
            .cloned()
            .collect()
    }
}

impl Searchable for Shortcut {
    fn name(&self) -> &str {
        self.id.label()
    }

    fn keywords(&self) -> String {
        format!("{} {}", self.id.description(), self.keys.join(" "))
    }
}

/// Every command with its keys, in the catalogue's order.
pub fn all(keymap: &Keymap) -> Vec<Shortcut> {
    keymap
        .listing()
        .into_iter()
        .map(|entry| Shortcut {
            id: entry.id,
            keys: entry.keys,
        })
        .collect()
}

/// A key as the page shows it: arrows as arrows, `Escape` as `Esc`, modifiers as this
/// keyboard labels them (⌘ on a Mac, Ctrl elsewhere).
pub fn display(keys: &str) -> String {
    display_on(keys, Platform::current())
}

/// [`display`] for a given keyboard.
pub fn display_on(keys: &str, platform: Platform) -> String {
    modifiers_for(keys, platform)
        .replace("ArrowUp", "↑")
        .replace("ArrowDown", "↓")
        .replace("ArrowLeft", "←")
        .replace("ArrowRight", "→")
        .replace("Escape", "Esc")
}

/// The catalogue entry for a notebook command, if it has one.
pub fn id_of(command: &Command) -> Option<CommandId> {
    CommandId::ALL
        .iter()
        .copied()
        .find(|id| id.command(None).as_ref() == Some(command))
}

/// The keys of a command, joined for a tooltip (`"S / Ctrl+S"`).
pub fn keys_text(keymap: &Keymap, command: &Command) -> String {
    let Some(id) = id_of(command) else {
        return String::new();
    };
    keymap
        .keys_for(id)
        .iter()
        .map(|k| display(&k.to_string()))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The first keys of a command as the page shows them (`Ctrl+K`, `⌘K`), if it has any.
pub fn first_keys(keymap: &Keymap, command: &Command) -> Option<String> {
    let id = id_of(command)?;
    keymap.keys_for(id).first().map(|k| display(&k.to_string()))
}

/// A tooltip: what a button does and its keys.
pub fn title(keymap: &Keymap, what: &str, command: &Command) -> String {
    match keys_text(keymap, command) {
        keys if keys.is_empty() => what.to_string(),
        keys => format!("{what} ({keys})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_notebook::RunMode;

    #[test]
    fn tooltips_name_the_default_keys() {
        let keymap = Keymap::jupyter();
        assert_eq!(title(&keymap, "Save", &Command::Save), "Save (S / Ctrl+S)");
        assert_eq!(
            title(&keymap, "Run", &Command::Run(RunMode::SelectNext)),
            "Run (Shift+Enter)"
        );
        assert_eq!(keys_text(&keymap, &Command::MoveUp), "Ctrl+Shift+↑");
        assert_eq!(
            title(&keymap, "Open", &Command::EditorBlurred("c".into())),
            "Open"
        );
    }

    #[test]
    fn keys_are_shown_as_the_keyboard_labels_them() {
        assert_eq!(
            display_on("Ctrl+Shift+ArrowUp", Platform::Other),
            "Ctrl+Shift+↑"
        );
        assert_eq!(display_on("Ctrl+Shift+ArrowUp", Platform::Mac), "⌘⇧↑");
        assert_eq!(display_on("Escape", Platform::Mac), "Esc");
        // Off the browser there is no Mac.
        assert_eq!(
            first_keys(&Keymap::jupyter(), &Command::ShowPalette).as_deref(),
            Some("Ctrl+K")
        );
    }

    #[test]
    fn edit_mode_keeps_only_keys_that_do_not_type() {
        let listing = all(&Keymap::jupyter());
        let save = listing.iter().find(|s| s.id == CommandId::Save).unwrap();
        assert_eq!(save.keys, vec!["S", "Ctrl+S"]);
        assert_eq!(save.edit_keys(), vec!["Ctrl+S"]);
        let delete = listing.iter().find(|s| s.id == CommandId::Delete).unwrap();
        assert_eq!(delete.keys, vec!["D D"]);
        assert!(delete.edit_keys().is_empty());
        assert_eq!(listing.len(), CommandId::ALL.len());
    }
}
