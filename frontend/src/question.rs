//! Yes-or-no questions asked in the page instead of the browser's `window.confirm` (leave the
//! unsaved scratch notebook? delete this file?): a [`Modal`] whose focus starts on the safe
//! answer, so Enter or Esc never does the irreversible thing by accident, and which gives the
//! focus back when it closes.

use leptos::prelude::*;

use crate::dialog::Modal;

/// A question waiting for its answer; `then` runs on "yes".
#[derive(Clone)]
pub struct Question {
    pub title: String,
    pub text: String,
    /// The "yes" button's words, e.g. "Delete".
    pub yes: &'static str,
    pub then: Callback<()>,
}

#[component]
pub fn QuestionDialog(question: RwSignal<Option<Question>>) -> impl IntoView {
    let open = Signal::derive(move || question.with(Option::is_some));
    let no = move || question.set(None);
    let yes = move || {
        if let Some(asked) = question.get_untracked() {
            question.set(None);
            asked.then.run(());
        }
    };
    Effect::new(move |_| {
        if open.get() {
            crate::dom::focus_after_render("[data-testid=question] [data-testid=question-no]");
        }
    });
    let text = move |f: fn(&Question) -> String| move || question.with(|q| q.as_ref().map(f));
    view! {
        <Modal
            open=open
            overlay="question"
            class="question"
            testid="question"
            labelled_by="question-title"
            alert=true
            on_close=move |()| no()
        >
            <h2 id="question-title" class="dialog-title">{text(|q| q.title.clone())}</h2>
            <p>{text(|q| q.text.clone())}</p>
            <div class="dialog-actions">
                <button data-testid="question-no" on:click=move |_| no()>"Cancel"</button>
                <button class="danger" data-testid="question-yes" on:click=move |_| yes()>
                    {move || question.with(|q| q.as_ref().map(|q| q.yes))}
                </button>
            </div>
            <p class="dialog-hint">"Esc cancels"</p>
        </Modal>
    }
}
