//! A code cell's expectations as a line of chips under it: each says what the cell's run must
//! show (`wirebook_shared::expect`), ✓ or ✗ after a run as `wirebook run` would judge it, with
//! × to remove it; "+ expect" opens a small form (kind, value) that adds one. What is checked
//! and how the metadata changes are the notebook model's (`cell_expectations`); the checks
//! come with the inspector's chunk ([`expectation_kit`]): the line shows once they have.
//!
//! [`expectation_kit`]: crate::notebook::expectation_kit

use leptos::ev;
use leptos::prelude::*;
use wirebook_notebook::{CellId, Command};
use wirebook_shared::expect::{Checked, Expectation, FORM_KINDS};
use wirebook_shared::KernelState;

use crate::notebook::expectation_kit::{self, ExpectationKit};
use crate::session::Session;

/// The line, once the checks have come (nothing before: the first paint has none).
#[component]
pub fn ExpectationsLine(session: Session, id: CellId) -> impl IntoView {
    move || {
        expectation_kit::current()
            .map(|kit| view! { <Line session=session id=id.clone() kit=kit /> })
    }
}

#[component]
fn Line(session: Session, id: CellId, kit: ExpectationKit) -> impl IntoView {
    let notebook = session.notebook;
    let id = StoredValue::new(id);
    let expectations = Memo::new(move |_| {
        notebook.with(|n| {
            n.cell(&id.get_value())
                .map(kit.read)
                .unwrap_or(Ok(Vec::new()))
        })
    });
    let checked = Memo::new(move |_| {
        let jupyter = !session.sends_formats();
        let close = session.kernel.with(|k| match k {
            KernelState::Closed { code, .. } => *code,
            _ => None,
        });
        notebook.with(|n| {
            n.cell(&id.get_value())
                .and_then(|c| (kit.checked)(c, jupyter, close))
        })
    });
    let adding = RwSignal::new(false);
    let kind = RwSignal::new(FORM_KINDS[0].to_string());
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let set = move |list: Vec<Expectation>| {
        session.dispatch(Command::SetExpectations {
            cell_id: id.get_value(),
            expectations: list,
        });
    };
    let add = move || match (kit.from_form)(&kind.get_untracked(), &value.get_untracked()) {
        Ok(expectation) => {
            let mut list = expectations.get_untracked().unwrap_or_default();
            list.push(expectation);
            set(list);
            value.set(String::new());
            error.set(None);
            adding.set(false);
        }
        Err(message) => error.set(Some(message)),
    };
    let on_key = move |ev: ev::KeyboardEvent| {
        // The form's keys are its own: the notebook's keymap does not see them.
        ev.stop_propagation();
        match ev.key().as_str() {
            "Enter" => {
                ev.prevent_default();
                add();
            }
            "Escape" => adding.set(false),
            _ => {}
        }
    };
    let chip = move |index: usize, expectation: Expectation| {
        let result: Option<Checked> =
            checked.with(|c| c.as_ref().and_then(|c| c.get(index).cloned()));
        let (mark, state, title) = match &result {
            None => ("", "unchecked", "checked after the next run".to_string()),
            Some(c) if c.held => ("✓ ", "held", "held in the last run".to_string()),
            Some(c) => (
                "✗ ",
                "failed",
                format!("not in the last run: saw {}", c.seen),
            ),
        };
        view! {
            <span class="expectation" data-testid="expectation" data-state=state title=title>
                {mark}{expectation.describe()}
                <button
                    class="expectation-remove"
                    title="Remove this expectation"
                    aria-label=format!("Remove the expectation {}", expectation.describe())
                    on:click=move |ev| {
                        ev.stop_propagation();
                        let mut list = expectations.get_untracked().unwrap_or_default();
                        if index < list.len() {
                            list.remove(index);
                            set(list);
                        }
                    }
                >
                    "×"
                </button>
            </span>
        }
    };

    view! {
        <div class="expectations" data-testid="expectations" on:click=|ev| ev.stop_propagation()>
            {move || match expectations.get() {
                Ok(list) => list
                    .into_iter()
                    .enumerate()
                    .map(|(i, e)| chip(i, e))
                    .collect_view()
                    .into_any(),
                Err(message) => view! {
                    <span class="expectation" data-state="failed">{message}</span>
                }
                .into_any(),
            }}
            <Show
                when=move || adding.get()
                fallback=move || view! {
                    <button
                        class="expectation-add"
                        data-testid="expectation-add"
                        title="What this cell's run must show: checked after each run here, and by `wirebook run` in CI"
                        on:click=move |_| adding.set(true)
                    >
                        "+ expect"
                    </button>
                }
            >
                <span class="expectation-form" on:keydown=on_key>
                    <select
                        data-testid="expectation-kind"
                        aria-label="Kind of expectation"
                        on:change=move |ev| kind.set(event_target_value(&ev))
                        prop:value=move || kind.get()
                    >
                        {FORM_KINDS.map(|k| view! { <option value=k>{k}</option> })}
                    </select>
                    <input
                        data-testid="expectation-value"
                        aria-label="What it must be"
                        placeholder=move || match kind.get().as_str() {
                            "text" => "a regular expression",
                            "json" => "a JSON subset, e.g. {\"type\": \"ack\"}",
                            "count" => "replies, e.g. 2",
                            "close" => "a close code, e.g. 1000",
                            _ => "ok or error",
                        }
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                        autofocus=true
                    />
                    <button data-testid="expectation-save" on:click=move |_| add()>"Add"</button>
                    <button on:click=move |_| adding.set(false)>"Cancel"</button>
                </span>
            </Show>
            {move || error.get().map(|e| view! {
                <span class="expectation-error" role="alert" data-testid="expectation-error">{e}</span>
            })}
        </div>
    }
}
