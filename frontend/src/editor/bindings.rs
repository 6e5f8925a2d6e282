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

    /// The cursor's `[left, top, bottom]` in viewport pixels; empty when it is not drawn.
    #[wasm_bindgen(method, js_name = cursorBox)]
    pub fn cursor_box(this: &CellEditor) -> Vec<f64>;

    #[wasm_bindgen(method)]
    pub fn destroy(this: &CellEditor);
}
