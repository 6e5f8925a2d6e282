// The grammars the cell editor highlights with, bundled apart from it by frontend/build.rs
// and built when a cell first needs one (see languageSupport in cell_editor.js).
export { python } from '@codemirror/lang-python';
export { json } from '@codemirror/lang-json';
export { markdownLanguage } from '@codemirror/lang-markdown';
