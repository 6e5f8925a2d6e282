//! The file behind the open notebook: which one, which version of it the page has, what the
//! file holds (to tell whether the page has unsaved changes) and how the last save went.
//!
//! A notebook page is one of three things: a scratch notebook (the page at `/`, saved into a
//! new `Untitled*.ipynb` on the first save), a notebook loaded from a file, or a path whose
//! file does not exist yet (saving creates it, refusing to replace one that appeared since).
//! Saves send the version they were loaded at; the server refuses one that would overwrite
//! somebody else's change with `409`, which becomes [`Status::Conflict`]: autosave stops and
//! the user picks what happens (reload theirs, overwrite, keep editing). Pure: the app does the
//! HTTP and calls back with the outcome.

use wirebook_notebook::Notebook;
use wirebook_shared::ipynb::IpynbNotebook;
use wirebook_shared::notebook_files::{CreateRequest, SaveRequest, Saved};

use crate::api::ApiFailure;
use crate::platform::{modifiers_for, Platform};

/// How the last save went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Idle,
    Saving,
    /// The save failed; the page still has everything. The message says why.
    Failed(String),
    /// The file changed on disk since it was loaded (or appeared, or was deleted).
    Conflict {
        message: String,
        /// The file's version now (`None` when it no longer exists).
        current: Option<String>,
    },
}

/// A save to carry out: either a `PUT` of a file or a `POST` creating an untitled one.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveJob {
    Put { path: String, request: SaveRequest },
    Create { request: CreateRequest },
}

/// The open notebook's file.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFile {
    /// `None` for the scratch notebook.
    path: Option<String>,
    /// The file's version the page is based on; `None` when the file does not exist (yet).
    version: Option<String>,
    /// What the file holds, as far as this page knows: the document as loaded or last saved.
    on_disk: IpynbNotebook,
    /// What the save in flight sends; it becomes `on_disk` when the save succeeds.
    in_flight: Option<IpynbNotebook>,
    status: Status,
}

impl DocumentFile {
    /// The scratch notebook at `/`: nothing on disk, so any content is unsaved.
    pub fn scratch(notebook: &Notebook) -> Self {
        DocumentFile {
            path: None,
            version: None,
            on_disk: notebook.to_ipynb(),
            in_flight: None,
            status: Status::Idle,
        }
    }

    /// A notebook loaded from `path` at `version`.
    pub fn loaded(path: String, version: String, notebook: &Notebook) -> Self {
        DocumentFile {
            path: Some(path),
            version: Some(version),
            // The model's own rendering, not the file's text: an older nbformat upgraded on
            // reading is not a change the user made.
            on_disk: notebook.to_ipynb(),
            in_flight: None,
            status: Status::Idle,
        }
    }

    /// A notebook page whose file does not exist yet; the first save creates it.
    pub fn missing(path: String, notebook: &Notebook) -> Self {
        DocumentFile {
            path: Some(path),
            ..DocumentFile::scratch(notebook)
        }
    }

    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The file name shown in the title and toolbar.
    pub fn name(&self) -> &str {
        match &self.path {
            Some(path) => path.rsplit('/').next().unwrap_or(path),
            None => "Untitled",
        }
    }

    pub fn exists(&self) -> bool {
        self.version.is_some()
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Whether the page has changes its file does not. Compares the documents, so undoing an
    /// edit back to what was saved is not a change.
    pub fn is_dirty(&self, notebook: &Notebook) -> bool {
        notebook.to_ipynb() != self.on_disk
    }

    /// Whether an autosave should start now: only for a notebook whose file exists (the scratch
    /// one, and a path opened before its file exists, are saved on request: a mistyped
    /// address creates nothing by itself), has changes, is not being saved, and is not waiting
    /// for the user to resolve a conflict.
    pub fn wants_autosave(&self, dirty: bool) -> bool {
        dirty
            && self.path.is_some()
            && self.exists()
            && !matches!(self.status, Status::Saving | Status::Conflict { .. })
    }

    /// Starts a save of `notebook`; `None` while another save is in flight. `force` overwrites
    /// whatever is on disk (the conflict dialog's "overwrite").
    pub fn begin_save(&mut self, notebook: &Notebook, force: bool) -> Option<SaveJob> {
        if self.status == Status::Saving {
            return None;
        }
        let content = notebook.to_ipynb();
        self.in_flight = Some(content.clone());
        self.status = Status::Saving;
        Some(match &self.path {
            Some(path) => SaveJob::Put {
                path: path.clone(),
                request: SaveRequest {
                    content,
                    last_modified: self.version.clone(),
                    force,
                },
            },
            None => SaveJob::Create {
                request: CreateRequest {
                    directory: String::new(),
                    content: Some(content),
                },
            },
        })
    }

    /// The save succeeded: the file is now what was sent, at its new version (and, for the
    /// scratch notebook, at its new path).
    pub fn save_succeeded(&mut self, saved: Saved) {
        if let Some(sent) = self.in_flight.take() {
            self.on_disk = sent;
        }
        self.path = Some(saved.path);
        self.version = Some(saved.last_modified);
        self.status = Status::Idle;
    }

    /// The file was renamed or moved (by the file browser); the page follows it. Its version
    /// is its content's, so it stays.
    pub fn moved_to(&mut self, path: String) {
        self.path = Some(path);
    }

    /// The save failed; nothing changes but the status.
    pub fn save_failed(&mut self, failure: ApiFailure) {
        self.in_flight = None;
        self.status = if failure.status == 409 {
            Status::Conflict {
                message: failure.message,
                current: failure.last_modified,
            }
        } else {
            Status::Failed(failure.describe())
        };
    }

    /// The file's version on disk is `current` now (`None`: it is gone). A version other than
    /// the page's is somebody else's change: the status becomes a conflict, as a refused save
    /// would make it, and the answer is true. Nothing is decided while a save is in flight
    /// (its answer says) or a conflict already waits for the user.
    pub fn noticed_on_disk(&mut self, current: Option<String>) -> bool {
        if matches!(self.status, Status::Saving | Status::Conflict { .. })
            || current == self.version
        {
            return false;
        }
        let message = match &current {
            Some(_) => "the file changed on disk".to_string(),
            None => "the file was deleted or moved on disk".to_string(),
        };
        self.status = Status::Conflict { message, current };
        true
    }

    /// What `[data-testid=save-state]` shows: its `data-state` and its text.
    pub fn save_state(&self, dirty: bool) -> (&'static str, String) {
        match (&self.status, dirty) {
            (Status::Saving, _) => ("saving", "Saving…".to_string()),
            (Status::Conflict { .. }, _) => (
                "conflict",
                "Not saved: the file changed on disk".to_string(),
            ),
            (Status::Failed(message), true) => ("failed", format!("Save failed: {message}")),
            (_, true) if self.path.is_none() => (
                "unsaved",
                format!(
                    "Not saved — {} saves it as a file",
                    modifiers_for("Ctrl+S", Platform::current())
                ),
            ),
            (_, true) => ("unsaved", "Unsaved changes".to_string()),
            (_, false) if self.path.is_none() => {
                ("scratch", "Scratch — not a file until saved".to_string())
            }
            (_, false) if !self.exists() => ("new", "New file — not saved yet".to_string()),
            (_, false) => ("saved", "Saved".to_string()),
        }
    }

    /// The page title, with Jupyter's unsaved-changes mark.
    pub fn title(&self, dirty: bool) -> String {
        let mark = if dirty { "● " } else { "" };
        format!("{mark}{} — wirebook", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_notebook::Command;

    fn typed(nb: &mut Notebook, text: &str) {
        let cell_id = nb.selected_cell().id.clone();
        nb.apply(Command::SetSource {
            cell_id,
            source: text.into(),
        });
    }

    fn saved(path: &str, version: &str) -> Saved {
        Saved {
            path: path.into(),
            name: path.rsplit('/').next().unwrap().into(),
            last_modified: version.into(),
            size: 1,
            mtime_ms: None,
        }
    }

    fn failure(status: u16, last_modified: Option<&str>) -> ApiFailure {
        ApiFailure {
            status,
            message: "the file changed".into(),
            last_modified: last_modified.map(Into::into),
        }
    }

    #[test]
    fn edits_make_it_dirty_and_a_save_makes_it_clean() {
        let mut nb = Notebook::new();
        let mut file = DocumentFile::loaded("d/a.ipynb".into(), "v1".into(), &nb);
        assert_eq!(file.name(), "a.ipynb");
        assert!(!file.is_dirty(&nb));
        assert_eq!(file.save_state(false), ("saved", "Saved".to_string()));
        typed(&mut nb, "x = 1");
        assert!(file.is_dirty(&nb));
        assert!(file.wants_autosave(true));
        assert_eq!(file.title(true), "● a.ipynb — wirebook");

        let Some(SaveJob::Put { path, request }) = file.begin_save(&nb, false) else {
            panic!("a PUT")
        };
        assert_eq!(path, "d/a.ipynb");
        assert_eq!(request.last_modified.as_deref(), Some("v1"));
        assert!(!request.force);
        assert_eq!(request.content, nb.to_ipynb());
        assert_eq!(file.save_state(true).0, "saving");
        assert!(file.begin_save(&nb, false).is_none(), "one save at a time");
        assert!(!file.wants_autosave(true));

        // Typing while the save is in flight stays unsaved after it lands.
        typed(&mut nb, "x = 2");
        file.save_succeeded(saved("d/a.ipynb", "v2"));
        assert!(file.is_dirty(&nb));
        let Some(SaveJob::Put { request, .. }) = file.begin_save(&nb, false) else {
            panic!()
        };
        assert_eq!(request.last_modified.as_deref(), Some("v2"));
        file.save_succeeded(saved("d/a.ipynb", "v3"));
        assert!(!file.is_dirty(&nb));
    }

    #[test]
    fn undoing_back_to_the_saved_text_is_clean() {
        let mut nb = Notebook::new();
        let file = DocumentFile::loaded("a.ipynb".into(), "v1".into(), &nb);
        typed(&mut nb, "x");
        typed(&mut nb, "");
        assert!(!file.is_dirty(&nb));
    }

    #[test]
    fn a_conflict_stops_autosave_until_resolved() {
        let mut nb = Notebook::new();
        let mut file = DocumentFile::loaded("a.ipynb".into(), "v1".into(), &nb);
        typed(&mut nb, "mine");
        file.begin_save(&nb, false).unwrap();
        file.save_failed(failure(409, Some("v9")));
        assert!(matches!(file.status(), Status::Conflict { .. }));
        assert_eq!(
            file.status(),
            &Status::Conflict {
                message: "the file changed".into(),
                current: Some("v9".into())
            }
        );
        assert!(!file.wants_autosave(true));
        assert_eq!(file.save_state(true).0, "conflict");
        // Overwrite: a forced save, still based on the version we had.
        let Some(SaveJob::Put { request, .. }) = file.begin_save(&nb, true) else {
            panic!()
        };
        assert!(request.force);
        file.save_succeeded(saved("a.ipynb", "v10"));
        assert!(!matches!(file.status(), Status::Conflict { .. }));
        assert!(!file.is_dirty(&nb));
    }

    #[test]
    fn other_failures_keep_the_changes_and_allow_a_retry() {
        let mut nb = Notebook::new();
        let mut file = DocumentFile::loaded("a.ipynb".into(), "v1".into(), &nb);
        typed(&mut nb, "mine");
        file.begin_save(&nb, false).unwrap();
        file.save_failed(ApiFailure {
            status: 0,
            message: "the server cannot be reached".into(),
            last_modified: None,
        });
        assert!(file.is_dirty(&nb));
        assert!(file.wants_autosave(true));
        let (state, text) = file.save_state(true);
        assert_eq!(state, "failed");
        assert!(text.contains("cannot be reached"), "{text}");
        assert!(file.begin_save(&nb, false).is_some());
    }

    #[test]
    fn the_scratch_notebook_is_created_as_an_untitled_file() {
        let mut nb = Notebook::new();
        let mut file = DocumentFile::scratch(&nb);
        assert_eq!(file.save_state(false).0, "scratch");
        typed(&mut nb, "hi");
        assert!(file.is_dirty(&nb));
        assert!(!file.wants_autosave(true), "no files appear unasked");
        assert!(file.save_state(true).1.contains("Ctrl+S"));
        let Some(SaveJob::Create { request }) = file.begin_save(&nb, false) else {
            panic!("a POST")
        };
        assert_eq!(request.content, Some(nb.to_ipynb()));
        file.save_succeeded(saved("Untitled1.ipynb", "v1"));
        assert_eq!(file.path(), Some("Untitled1.ipynb"));
        assert!(!file.is_dirty(&nb));
        assert!(!file.wants_autosave(false));
    }

    #[test]
    fn a_change_on_disk_is_a_conflict_but_our_own_save_is_not() {
        let nb = Notebook::new();
        let mut file = DocumentFile::loaded("n.ipynb".into(), "v1".into(), &nb);
        assert!(!file.noticed_on_disk(Some("v1".into())));
        file.begin_save(&nb, false).unwrap();
        assert!(
            !file.noticed_on_disk(Some("v2".into())),
            "our save is in flight"
        );
        file.save_succeeded(saved("n.ipynb", "v2"));
        assert!(!file.noticed_on_disk(Some("v2".into())), "our own write");
        assert!(file.noticed_on_disk(Some("v3".into())));
        assert!(matches!(
            file.status(),
            Status::Conflict { current: Some(v), .. } if v == "v3"
        ));
        assert!(!file.wants_autosave(true), "autosave waits for the user");
        assert!(
            !file.noticed_on_disk(Some("v4".into())),
            "one prompt at a time"
        );

        let mut file = DocumentFile::loaded("n.ipynb".into(), "v1".into(), &nb);
        assert!(file.noticed_on_disk(None), "deleted");
        let mut file = DocumentFile::missing("new.ipynb".into(), &nb);
        assert!(!file.noticed_on_disk(None));
        assert!(file.noticed_on_disk(Some("v1".into())), "appeared");
    }

    #[test]
    fn a_missing_file_is_created_without_replacing_one_that_appeared() {
        let nb = Notebook::new();
        let mut file = DocumentFile::missing("new.ipynb".into(), &nb);
        assert!(!file.exists());
        assert_eq!(file.save_state(false).0, "new");
        let Some(SaveJob::Put { request, .. }) = file.begin_save(&nb, false) else {
            panic!()
        };
        // Changes to it are not saved by themselves: only a save the user asks for creates it.
        assert!(!file.wants_autosave(true));
        assert_eq!(request.last_modified, None, "create-only");
        file.save_failed(failure(409, Some("theirs")));
        assert!(matches!(file.status(), Status::Conflict { .. }));
    }
}
