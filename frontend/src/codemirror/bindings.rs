//! The cell editor's JavaScript side (`frontend/editor/src/cell_editor.js`, CodeMirror 6,
//! bundled by `build.rs`) as Rust sees it. wasm-bindgen copies the bundle into trunk's `dist/`
//! as a snippet that the page imports from its own origin, so the CSP's `script-src 'self'`
//! covers it and nothing runs inline.
//!
//! Offsets are UTF-16 code units, CodeMirror's and the DOM's unit.

use wasm_bindgen::prelude::*;

/// What the notebook does with a key press in the editor; the numbers are `cell_editor.js`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVerdict {
    /// CodeMirror handles it (typing, its own bindings).
    Editor = 0,
    /// The notebook handled it (completion, inspection, the popup): nobody else sees it.
    Handled = 1,
    /// CodeMirror leaves it alone and the page's keymap gets it (Shift+Enter, Esc, Ctrl+S…).
    Notebook = 2,
}

#[wasm_bindgen(module = "/editor/dist/cell_editor.js")]
extern "C" {
    /// One CodeMirror view in a cell.
    pub type CellEditor;

    /// An editor in `parent` showing `doc` in `language` (`python`, `json`, `markdown`, or
    /// anything else for plain text), soft-wrapping when `wrap`. `on_change` gets the whole
    /// text after every change the user makes; `on_key` is asked first about every key press
    /// and answers a [`KeyVerdict`] as a number.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        parent: &web_sys::Element,
        doc: &str,
        language: &str,
        wrap: bool,
        on_change: &Closure<dyn FnMut(String)>,
        on_key: &Closure<dyn FnMut(web_sys::KeyboardEvent) -> u32>,
        on_focus: &Closure<dyn FnMut()>,
        on_blur: &Closure<dyn FnMut()>,
    ) -> CellEditor;

    #[wasm_bindgen(method)]
    pub fn text(this: &CellEditor) -> String;

    /// Shows text the notebook wrote, without telling `on_change`.
    #[wasm_bindgen(method, js_name = setText)]
    pub fn set_text(this: &CellEditor, text: &str);

    /// Replaces `from..to` as typing would (undoable, `on_change` hears of it); the cursor
    /// goes after the new text.
    #[wasm_bindgen(method)]
    pub fn replace(this: &CellEditor, from: u32, to: u32, text: &str);

    /// Replaces each `starts[i]..ends[i]` (sorted, not overlapping) with `text` in one undoable
    /// step; `on_change` hears of it.
    #[wasm_bindgen(method, js_name = replaceEach)]
    pub fn replace_each(this: &CellEditor, starts: Vec<u32>, ends: Vec<u32>, text: &str);

    /// Selects `from..to` and scrolls it into view.
    #[wasm_bindgen(method)]
    pub fn select(this: &CellEditor, from: u32, to: u32);

    #[wasm_bindgen(method, js_name = setLanguage)]
    pub fn set_language(this: &CellEditor, language: &str);

    #[wasm_bindgen(method)]
    pub fn focus(this: &CellEditor);

    #[wasm_bindgen(method, js_name = hasFocus)]
    pub fn has_focus(this: &CellEditor) -> bool;

    #[wasm_bindgen(method, js_name = selectionStart)]
    pub fn selection_start(this: &CellEditor) -> u32;

    #[wasm_bindgen(method, js_name = selectionEnd)]
    pub fn selection_end(this: &CellEditor) -> u32;

    #[wasm_bindgen(method, js_name = setCursor)]
    pub fn set_cursor(this: &CellEditor, pos: u32);

    #[wasm_bindgen(method, js_name = cursorOnFirstLine)]
    pub fn cursor_on_first_line(this: &CellEditor) -> bool;

    #[wasm_bindgen(method, js_name = cursorOnLastLine)]
    pub fn cursor_on_last_line(this: &CellEditor) -> bool;

    /// Whether the editor's own search panel is open.
    #[wasm_bindgen(method, js_name = searchPanelOpen)]
    pub fn search_panel_open(this: &CellEditor) -> bool;

    /// The cursor's `[left, top, bottom]` in viewport pixels; empty when it is not drawn.
    #[wasm_bindgen(method, js_name = cursorBox)]
    pub fn cursor_box(this: &CellEditor) -> Vec<f64>;

    #[wasm_bindgen(method)]
    pub fn destroy(this: &CellEditor);
}

/// The bundle in Chromium: what the notebook relies on, in UTF-16 offsets.
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    fn parent() -> web_sys::Element {
        let document = web_sys::window().unwrap().document().unwrap();
        let div = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&div).unwrap();
        div
    }

    #[wasm_bindgen_test]
    fn text_selection_and_edits_in_utf16_units() {
        let changes = Rc::new(RefCell::new(Vec::<String>::new()));
        let seen = changes.clone();
        let on_change =
            Closure::<dyn FnMut(String)>::new(move |t: String| seen.borrow_mut().push(t));
        let on_key = Closure::<dyn FnMut(web_sys::KeyboardEvent) -> u32>::new(|_| 0);
        let on_focus = Closure::<dyn FnMut()>::new(|| {});
        let on_blur = Closure::<dyn FnMut()>::new(|| {});
        let host = parent();
        let editor = CellEditor::new(
            &host,
            "x = '😀'\nimport o",
            "python",
            true,
            &on_change,
            &on_key,
            &on_focus,
            &on_blur,
        );
        assert_eq!(editor.text(), "x = '😀'\nimport o");
        // The contenteditable the notebook's key listener and the tests find.
        let content = host.query_selector("[data-testid=cell-editor]").unwrap();
        assert!(content.is_some());
        // Python is highlighted: `import` is a keyword.
        assert!(host.query_selector(".tok-keyword").unwrap().is_some());

        // "😀" is two UTF-16 units: the end of the text is at 17, not 16.
        editor.set_cursor(99);
        assert_eq!((editor.selection_start(), editor.selection_end()), (17, 17));
        assert!(editor.cursor_on_last_line() && !editor.cursor_on_first_line());
        editor.replace(16, 17, "os");
        assert_eq!(editor.text(), "x = '😀'\nimport os");
        assert_eq!(editor.selection_start(), 18);
        // The user's edit is heard; the notebook's own text is not sent back.
        assert_eq!(changes.borrow().as_slice(), ["x = '😀'\nimport os"]);
        editor.set_text("y");
        assert_eq!(editor.text(), "y");
        assert_eq!(changes.borrow().len(), 1);
        assert_eq!(editor.selection_start(), 1);
        editor.set_language("json");
        editor.destroy();
    }
}
