//! The code editor in every cell, and what the kernel adds to it: completion on Tab and
//! inspection on Shift+Tab.
//!
//! **Why CodeMirror 6.** The editor is CodeMirror 6 (what JupyterLab uses), not a highlighter
//! drawn over the old `<textarea>`. A textarea with a coloured layer behind it has to keep two
//! renderings in step for wrapping, IME composition, scrolling and selection, and still has no
//! bracket matching, active line, search panel or real undo history; CodeMirror has all of
//! these, handles Unicode, bidi text and IMEs, is accessible (a contenteditable with ARIA), and
//! is maintained with JupyterLab as a major user. Its grammars are incremental Lezer parsers,
//! so highlighting is right for Python strings, f-strings and nested brackets rather than a
//! regex's guess. The cost is bundle size and a JavaScript build step: the bundle
//! (`frontend/editor`, npm packages pinned by its `package-lock.json`, bundled by Debian's
//! `esbuild` from `frontend/build.rs`) is 455,426 bytes minified, **131,230 bytes brotli**
//! (`brotli -q 11`; budget 150 KB; 152,963 bytes `gzip -9`), measured on 2026-12-05. It holds
//! `@codemirror/view` (40 % of it), state, language, commands, search, autocomplete (only its
//! bracket closing is used), and the Python, JSON and markdown grammars, built when a cell
//! first needs one rather than as the page loads (`frontend/build.rs`). The alternative, a
//! Rust highlighter in the wasm over the textarea, would have cost wasm size of its own for
//! grammars (tree-sitter needs C; syntect's regex sets are larger) and left everything else
//! above to write and keep. Markdown is taken without its embedded-HTML language,
//! which would bring HTML, CSS and JavaScript and triple the bundle.
//!
//! The editor keeps its own text while the user types; the notebook model follows its change
//! events, and text the model writes (undo, merge, split) is set back into it. Keys are asked
//! about first ([`key_routing`]): the notebook's keymap wins over CodeMirror's bindings, so
//! Shift+Enter, Esc and rebinds behave as before.
//!
//! - [`language`]: which grammar a cell gets (kernel language, WebSocket format, cell kind)
//! - [`key_routing`]: who gets a key pressed in an editor
//! - [`view`]: the editor component, the popup and the tooltip
//!
//! Below it: `crate::codemirror` (the JavaScript API and the editors on the page by cell id),
//! and the notebook crate's `kernel_assist` (the request in flight, the popup's state, UTF-16
//! ↔ code points), pure models the session keeps.

pub mod key_routing;
pub mod language;
pub mod view;
