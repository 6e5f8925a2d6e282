//! Keeps the open notebook and its file in step: loads the file the page URL names, saves on
//! request and 2 s after the last change, marks unsaved changes in the title, warns before
//! leaving with them, and notices a change on disk (`disk_watch`): it reloads a notebook
//! without unsaved changes and opens the conflict dialog over one with them, as it does when a
//! save is refused.
//!
//! The decisions are [`DocumentFile`]'s (pure); this module does the HTTP and the DOM.

use std::time::Duration;

use gloo_timers::callback::{Interval, Timeout};
use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::Notebook;
use wirebook_shared::notebook_files::{page_url, path_from_page};

use crate::api::{self, ApiFailure};
use crate::page_base;
use crate::session::disk_watch::{directory_of, DiskWatch, Stamp, LOOK_EVERY};
use crate::session::document_file::{DocumentFile, SaveJob};
use crate::session::notices::Notices;

/// How long after the last change an autosave starts.
pub const AUTOSAVE_DELAY: Duration = Duration::from_secs(2);

/// Whether the page has its notebook yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loading {
    Opening(String),
    Ready,
    /// The file could not be opened; the message says why. The page shows it with a retry.
    Failed {
        path: String,
        message: String,
    },
}

/// The file side of the page, as `Copy` handles.
#[derive(Clone, Copy)]
pub struct FileSync {
    pub file: RwSignal<DocumentFile>,
    pub loading: RwSignal<Loading>,
    /// Whether the page has changes the file does not.
    pub dirty: Memo<bool>,
    /// The conflict dialog is showing.
    pub conflict_open: RwSignal<bool>,
    /// The file browser beside the notebook is showing.
    pub browser_open: RwSignal<bool>,
    notebook: RwSignal<Notebook>,
    notices: RwSignal<Notices>,
    autosave: StoredValue<Option<Timeout>, LocalStorage>,
}

impl FileSync {
    /// Sets up the page's file: the notebook the URL names (`/notebooks/PATH`), or the scratch
    /// notebook with the file browser open (`/`).
    pub fn start(notebook: RwSignal<Notebook>, notices: RwSignal<Notices>) -> Self {
        let pathname = window().location().pathname().unwrap_or_default();
        let path = page_base::base().strip(&pathname).and_then(path_from_page);
        let file = notebook.with_untracked(|n| match &path {
            Some(path) => DocumentFile::missing(path.clone(), n),
            None => DocumentFile::scratch(n),
        });
        let file = RwSignal::new(file);
        let dirty = Memo::new(move |_| file.with(|f| notebook.with(|n| f.is_dirty(n))));
        let sync = FileSync {
            file,
            loading: RwSignal::new(match &path {
                Some(path) => Loading::Opening(path.clone()),
                None => Loading::Ready,
            }),
            dirty,
            conflict_open: RwSignal::new(false),
            browser_open: RwSignal::new(path.is_none()),
            notebook,
            notices,
            autosave: StoredValue::new_local(None),
        };
        if let Some(path) = path {
            sync.load(path);
        }
        sync.keep_title();
        sync.warn_before_leaving();
        sync.schedule_autosaves();
        sync.watch_disk();
        sync
    }

    /// Opens `path` into the notebook (replacing what the page has). A file that does not
    /// exist opens as a new, empty notebook, says so, and is created only by a save the user
    /// asks for.
    pub fn load(self, path: String) {
        self.loading.set(Loading::Opening(path.clone()));
        leptos::task::spawn_local(async move {
            match api::open(&path).await {
                Ok(opened) => {
                    let notebook = Notebook::from_ipynb(opened.content);
                    self.file.set(DocumentFile::loaded(
                        opened.path,
                        opened.last_modified,
                        &notebook,
                    ));
                    self.notebook.set(notebook);
                    if let Some(minor) = opened.upgraded_from {
                        self.notices.update(|n| {
                            n.push(format!(
                                "{path} is nbformat 4.{minor}; it will be saved as 4.5"
                            ))
                        });
                    }
                    if !opened.problems.is_empty() {
                        self.notices.update(|n| {
                            n.push(format!(
                                "{path} breaks the nbformat schema, so saving it will be refused \
                                 until fixed: {}",
                                opened.problems.join("; ")
                            ))
                        });
                    }
                    self.loading.set(Loading::Ready);
                }
                Err(ApiFailure { status: 404, .. }) => {
                    self.notices.update(|n| {
                        n.push(format!(
                            "{path} does not exist: this is a new notebook, and the file is \
                             created only when you save it (Ctrl+S)"
                        ))
                    });
                    let notebook = Notebook::new();
                    self.file.set(DocumentFile::missing(path, &notebook));
                    self.notebook.set(notebook);
                    self.loading.set(Loading::Ready);
                }
                Err(failure) => self.loading.set(Loading::Failed {
                    path,
                    message: failure.describe(),
                }),
            }
        });
    }

    /// Saves now (Ctrl+S, the toolbar, autosave); `force` overwrites a file that changed on
    /// disk. Does nothing while a save is in flight or the notebook has not loaded.
    pub fn save(self, force: bool) {
        if self.loading.with_untracked(|l| *l != Loading::Ready) {
            return;
        }
        let job = self.notebook.with_untracked(|notebook| {
            self.file
                .try_update(|file| file.begin_save(notebook, force))
                .flatten()
        });
        let Some(job) = job else { return };
        self.conflict_open.set(false);
        leptos::task::spawn_local(async move {
            let (created, result) = match &job {
                SaveJob::Put { path, request } => (false, api::save(path, request).await),
                SaveJob::Create { request } => (true, api::create(request).await),
            };
            match result {
                Ok(saved) => {
                    if created {
                        // The scratch notebook is a file now: the URL says which, without a
                        // reload (the session and the inspector stay).
                        let url = page_base::at(&page_url(&saved.path));
                        if let Ok(history) = window().history() {
                            let _ = history.replace_state_with_url(
                                &wasm_bindgen::JsValue::NULL,
                                "",
                                Some(&url),
                            );
                        }
                    }
                    self.file.update(|f| f.save_succeeded(saved));
                }
                Err(failure) => {
                    let conflict = failure.status == 409;
                    self.file.update(|f| f.save_failed(failure));
                    if conflict {
                        self.conflict_open.set(true);
                    }
                }
            }
        });
    }

    /// The conflict dialog's "reload theirs": the file as it is on disk replaces the page's
    /// notebook.
    pub fn reload_theirs(self) {
        self.conflict_open.set(false);
        if let Some(path) = self.file.with_untracked(|f| f.path().map(str::to_string)) {
            self.load(path);
        }
    }

    /// The file browser renamed a notebook; if it is this one, follow it.
    pub fn renamed(self, from: &str, to: &str) {
        let ours = self.file.with_untracked(|f| f.path() == Some(from));
        if ours {
            self.file.update(|f| f.moved_to(to.to_string()));
            if let Ok(history) = window().history() {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&page_base::at(&page_url(to))),
                );
            }
        }
    }

    /// Looks at the file on disk every [`LOOK_EVERY`] while the page is visible: a change made
    /// elsewhere reloads a notebook without unsaved changes (nothing is lost; a notice says
    /// so) and opens the conflict dialog over one with them.
    fn watch_disk(self) {
        let watch = StoredValue::new(DiskWatch::default());
        let looking = StoredValue::new(false);
        let interval = Interval::new(LOOK_EVERY.as_millis() as u32, move || {
            let path = self.file.with_untracked(|f| f.path().map(str::to_string));
            let Some(path) = path else { return };
            let idle = self.loading.with_untracked(|l| *l == Loading::Ready)
                && !self.conflict_open.get_untracked()
                && !looking.get_value()
                && !document().hidden();
            if !idle {
                return;
            }
            looking.set_value(true);
            leptos::task::spawn_local(async move {
                self.look_at_disk(path, watch).await;
                looking.set_value(false);
            });
        });
        // The page's file is watched for as long as the page lives.
        interval.forget();
    }

    async fn look_at_disk(self, path: String, watch: StoredValue<DiskWatch>) {
        let Ok(listing) = api::list(directory_of(&path)).await else {
            return;
        };
        let stamp = Stamp::of(&listing, &path);
        if !watch.try_update_value(|w| w.looked(stamp)).unwrap_or(false) {
            return;
        }
        let current = match api::open(&path).await {
            Ok(opened) => Some(opened.last_modified),
            Err(ApiFailure { status: 404, .. }) => None,
            Err(_) => return,
        };
        // The page may have moved on (another file, a save) while the answers came.
        if self
            .file
            .with_untracked(|f| f.path() != Some(path.as_str()))
        {
            return;
        }
        if !self
            .file
            .try_update(|f| f.noticed_on_disk(current.clone()))
            .unwrap_or(false)
        {
            return;
        }
        if self.dirty.get_untracked() || current.is_none() {
            self.conflict_open.set(true);
        } else {
            self.notices
                .update(|n| n.push(format!("{path} changed on disk and was reloaded")));
            self.reload_theirs();
        }
    }

    fn keep_title(self) {
        Effect::new(move |_| {
            let title = self.file.with(|f| f.title(self.dirty.get()));
            document().set_title(&title);
        });
    }

    /// The browser's "leave site?" prompt while a notebook with a file has unsaved changes.
    /// The scratch notebook at `/` does not ask: it is a scratchpad until saved.
    fn warn_before_leaving(self) {
        let handle = window_event_listener(ev::beforeunload, move |event| {
            let unsaved =
                self.dirty.get_untracked() && self.file.with_untracked(|f| f.path().is_some());
            if unsaved {
                event.prevent_default();
                event.set_return_value("");
            }
        });
        on_cleanup(move || handle.remove());
    }

    /// Restarts the autosave countdown on every change; it fires [`AUTOSAVE_DELAY`] after the
    /// last one.
    fn schedule_autosaves(self) {
        Effect::new(move |_| {
            self.notebook.track();
            let wanted = self.file.with(|f| f.wants_autosave(self.dirty.get()))
                && self.loading.with(|l| *l == Loading::Ready);
            let timer = wanted
                .then(|| Timeout::new(AUTOSAVE_DELAY.as_millis() as u32, move || self.save(false)));
            // Replacing the old timer drops (cancels) it.
            self.autosave.set_value(timer);
        });
    }
}
