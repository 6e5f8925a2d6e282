//! A binary payload read as MessagePack or CBOR (`wirebook_shared::packed`), picked by the
//! user under the frame's content: the tree when it decodes, otherwise why not in words. Text
//! payloads are never offered these views.

use leptos::prelude::*;
use wirebook_shared::packed::{looks_like, Format, Tree};

use crate::json_tree::tree::Json;
use crate::json_tree::view::JsonTree;

/// The decode picker and what it shows; `truncated` when the capture kept only a preview.
#[component]
pub fn PackedViews(bytes: Vec<u8>, truncated: bool) -> impl IntoView {
    let picked = RwSignal::new(None::<Format>);
    let decodes = if truncated {
        Vec::new()
    } else {
        looks_like(&bytes)
    };
    let hint = match decodes.as_slice() {
        [] if truncated => "only the start was kept, too little to decode".to_string(),
        [] => "decodes as neither".to_string(),
        formats => format!(
            "decodes as {}",
            formats
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    };
    let bytes = StoredValue::new(bytes);
    let shown = move || {
        picked.get().map(|format| {
            let decoded = if truncated {
                Err(
                    "the capture kept only the start of this payload, so it cannot be decoded"
                        .to_string(),
                )
            } else {
                bytes
                    .with_value(|b| format.decode(b))
                    .map_err(|e| format!("not {}: {e}", format.name()))
            };
            match decoded {
                Ok(tree) => view! {
                    <div data-testid="packed-tree" data-format=format.name()>
                        <JsonTree doc=json(tree) />
                    </div>
                }
                .into_any(),
                Err(e) => view! { <p class="error" data-testid="packed-error">{e}</p> }.into_any(),
            }
        })
    };
    let buttons = Format::ALL
        .into_iter()
        .map(|format| {
            view! {
                <button
                    data-testid="packed-format"
                    aria-pressed=move || (picked.get() == Some(format)).to_string()
                    title=format!("Show the payload decoded as {} (click again to hide)", format.name())
                    on:click=move |_| picked.update(|p| {
                        *p = if *p == Some(format) { None } else { Some(format) }
                    })
                >
                    {format.name()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="section-head" data-testid="packed-views">
            <h3>"Decode"</h3>
            <span class="content-label" data-testid="packed-hint">{hint}</span>
            <span class="seg" role="group" aria-label="Decode the payload as">{buttons}</span>
        </div>
        {shown}
    }
}

/// A decoded document as the JSON tree's model (the same shapes, map entries kept in order).
fn json(tree: Tree) -> Json {
    match tree {
        Tree::Null => Json::Null,
        Tree::Bool(b) => Json::Bool(b),
        Tree::Number(n) => Json::Number(n),
        Tree::String(s) => Json::String(s),
        Tree::Array(items) => Json::Array(items.into_iter().map(json).collect()),
        Tree::Map(entries) => {
            Json::Object(entries.into_iter().map(|(k, v)| (k, json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoded_map_keeps_its_order_and_duplicates() {
        // MessagePack {"b": 1, "a": [true], "b": nil}.
        let tree = Format::MessagePack
            .decode(&[
                0x83, 0xa1, b'b', 1, 0xa1, b'a', 0x91, 0xc3, 0xa1, b'b', 0xc0,
            ])
            .unwrap();
        assert_eq!(
            json(tree),
            Json::Object(vec![
                ("b".into(), Json::Number(1.into())),
                ("a".into(), Json::Array(vec![Json::Bool(true)])),
                ("b".into(), Json::Null),
            ])
        );
    }
}
