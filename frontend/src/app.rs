//! The root component: starts the session and its connection, installs the page-wide key and
//! clipboard listeners, and composes the panes and dialogs. The state lives in
//! [`Session`]; each feature's folder holds its models and views.

use leptos::prelude::*;
use wirebook_shared::notebook::Command;

use crate::inspector::view::InspectorPane;
use crate::kernel::notebook_kernel::follow_notebook_kernelspec;
use crate::kernel::view::KernelPicker;
use crate::keys::view::HelpOverlay;
use crate::notebook::view::NotebookPane;
use crate::palette::view::CommandPalette;
use crate::routes::view::RoutesDialog;
use crate::session::{socket, Session};
use crate::status_bar::view::{NoticeBanner, StatusBar};
use crate::{keys, notebook};

#[component]
pub fn App() -> impl IntoView {
    let (session, requests) = Session::new();
    leptos::task::spawn_local(socket::run(session, requests));
    follow_notebook_kernelspec(session);
    keys::listener::listen(session);
    notebook::clipboard::listen(session);

    // Start where a new Jupyter notebook starts: typing into the first cell. A notebook
    // opened from a file starts in command mode on its first cell, as in Jupyter.
    if session.files.file.with_untracked(|f| f.path().is_none()) {
        session.dispatch(Command::EnterEditMode);
    }

    view! {
        <div class="app">
            <StatusBar session=session />
            <NoticeBanner session=session />
            <main class="panes">
                <NotebookPane session=session />
                <InspectorPane session=session />
            </main>
            <HelpOverlay session=session />
            <CommandPalette session=session />
            <KernelPicker session=session />
            <RoutesDialog session=session />
        </div>
    }
}
