// The cell editor: CodeMirror 6 behind the small API that frontend/src/editor/bindings.rs
// imports. esbuild (Debian's) bundles this file and the CodeMirror packages it names into one
// ES module (frontend/build.rs); the reasoning for CodeMirror is in frontend/src/editor/mod.rs.
//
// Offsets are CodeMirror's: UTF-16 code units, as in every DOM string.

import {
  Annotation,
  Compartment,
  countColumn,
  EditorSelection,
  EditorState,
  Prec,
} from '@codemirror/state';
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightSpecialChars,
  keymap,
} from '@codemirror/view';
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  LanguageSupport,
  syntaxHighlighting,
} from '@codemirror/language';
import {
  defaultKeymap,
  history,
  historyKeymap,
  indentLess,
  indentMore,
} from '@codemirror/commands';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import {
  highlightSelectionMatches,
  search,
  searchKeymap,
  searchPanelOpen as searchPanelIsOpen,
} from '@codemirror/search';
import { classHighlighter } from '@lezer/highlight';
// src/languages.js, made by frontend/build.rs into a module that builds the grammars on its
// first call.
import { languages } from 'wirebook-languages';

// Marks the transactions that carry text the notebook wrote (undo, merge, a kernel's reply):
// the notebook already has it, so no change event goes back.
const fromNotebook = Annotation.define();

// The grammars are built when a cell first needs one: a text cell never builds them.
// Markdown without its embedded HTML language: `markdown()` would bring lang-html, -css and
// -javascript, three times the bundle, for the rare HTML block in a notebook.
function languageSupport(name) {
  switch (name) {
    case 'python':
      return languages().python();
    case 'json':
      return languages().json();
    case 'markdown':
      return new LanguageSupport(languages().markdownLanguage);
    default:
      return [];
  }
}

// Tab without a selection inserts spaces to the next tab stop at the cursor (as Jupyter's
// editor and the textarea before it did); with one, it indents the selected lines.
function tab(view) {
  const { state } = view;
  if (!state.selection.ranges.every((r) => r.empty)) return indentMore(view);
  const unit = state.facet(indentUnit).length;
  view.dispatch(
    state.changeByRange((range) => {
      const line = state.doc.lineAt(range.head);
      const column = countColumn(line.text.slice(0, range.head - line.from), state.tabSize);
      const spaces = ' '.repeat(unit - (column % unit));
      return {
        changes: { from: range.head, insert: spaces },
        range: EditorSelection.cursor(range.head + spaces.length),
      };
    }),
    { userEvent: 'input.indent', scrollIntoView: true },
  );
  return true;
}

// What the notebook answers to a key press (see `KeyVerdict` in bindings.rs).
const EDITOR = 0;
const HANDLED = 1;
const NOTEBOOK = 2;

// Set while a key press that belongs to the notebook goes through CodeMirror's keymap: its
// commands then decline it, so that the event reaches the page's keymap without
// preventDefault (a handler that returns true would prevent it).
let notebooksKey = false;

function declining(command) {
  return command && ((view) => !notebooksKey && command(view));
}

// `bindings` with every command declining the notebook's keys.
function unlessNotebooks(bindings) {
  return bindings.map((b) => ({
    ...b,
    run: declining(b.run),
    shift: declining(b.shift),
    any: b.any && ((view, event) => !notebooksKey && b.any(view, event)),
  }));
}

export class CellEditor {
  // `onKey(event)` is asked first about every key press and answers EDITOR (CodeMirror's),
  // HANDLED (done: CodeMirror prevents its default) or NOTEBOOK (left to the page's keymap).
  constructor(parent, doc, language, wrap, onChange, onKey, onFocus, onBlur) {
    this.language = new Compartment();
    this.wrap = new Compartment();
    const keys = Prec.highest(
      EditorView.domEventHandlers({
        keydown(event) {
          const verdict = onKey(event);
          if (verdict === HANDLED) return true;
          notebooksKey = verdict === NOTEBOOK;
          if (notebooksKey) queueMicrotask(() => (notebooksKey = false));
          return false;
        },
        focus() {
          onFocus();
          return false;
        },
        blur() {
          onBlur();
          return false;
        },
      }),
    );
    const state = EditorState.create({
      doc,
      extensions: [
        keys,
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of('    '),
        EditorState.tabSize.of(4),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        syntaxHighlighting(classHighlighter),
        this.language.of(languageSupport(language)),
        this.wrap.of(wrap ? EditorView.lineWrapping : []),
        EditorView.contentAttributes.of({
          'data-testid': 'cell-editor',
          'aria-label': 'Cell source',
          spellcheck: 'false',
          autocapitalize: 'off',
          autocorrect: 'off',
        }),
        keymap.of(
          unlessNotebooks([
            ...closeBracketsKeymap,
            { key: 'Tab', run: tab, shift: indentLess },
            ...searchKeymap,
            ...historyKeymap,
            ...defaultKeymap,
          ]),
        ),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.transactions.some((t) => t.annotation(fromNotebook))) {
            onChange(update.state.doc.toString());
          }
        }),
      ],
    });
    // Built outside the page, then put in: built inside it, the view reads the selection and
    // its styles while it is being made, which lays the whole page out twice before its first
    // paint (issue #16's cold load); put in afterwards, the page is laid out once, in the frame.
    this.view = new EditorView({ state });
    parent.appendChild(this.view.dom);
  }

  text() {
    return this.view.state.doc.toString();
  }

  // Shows text the notebook wrote; the cursor stays where it was, as far as the text allows.
  setText(text) {
    const state = this.view.state;
    if (state.doc.toString() === text) return;
    const clamp = (n) => Math.min(n, text.length);
    const main = state.selection.main;
    this.view.dispatch({
      changes: { from: 0, to: state.doc.length, insert: text },
      selection: EditorSelection.single(clamp(main.anchor), clamp(main.head)),
      annotations: fromNotebook.of(true),
    });
  }

  // Replaces `from..to` as typing would (undoable, and the notebook hears of it), then puts
  // the cursor after the inserted text.
  replace(from, to, text) {
    const len = this.view.state.doc.length;
    from = Math.min(from, len);
    to = Math.max(from, Math.min(to, len));
    this.view.dispatch({
      changes: { from, to, insert: text },
      selection: EditorSelection.cursor(from + text.length),
      userEvent: 'input.complete',
      scrollIntoView: true,
    });
  }

  // Replaces each `starts[i]..ends[i]` (sorted, not overlapping) with `text`, in one undoable
  // step that the notebook hears of (find and replace).
  replaceEach(starts, ends, text) {
    const len = this.view.state.doc.length;
    const changes = Array.from(starts, (from, i) => {
      const start = Math.min(from, len);
      return { from: start, to: Math.max(start, Math.min(ends[i], len)), insert: text };
    });
    this.view.dispatch({ changes, userEvent: 'input.replace' });
  }

  // Selects `from..to` and scrolls it into view (the current match of a search).
  select(from, to) {
    const len = this.view.state.doc.length;
    this.view.dispatch({
      selection: EditorSelection.single(Math.min(from, len), Math.min(to, len)),
      scrollIntoView: true,
    });
  }

  setLanguage(language) {
    this.view.dispatch({ effects: this.language.reconfigure(languageSupport(language)) });
  }

  setWrap(wrap) {
    this.view.dispatch({ effects: this.wrap.reconfigure(wrap ? EditorView.lineWrapping : []) });
  }

  focus() {
    this.view.focus();
  }

  hasFocus() {
    return this.view.hasFocus;
  }

  selectionStart() {
    return this.view.state.selection.main.from;
  }

  selectionEnd() {
    return this.view.state.selection.main.to;
  }

  setCursor(pos) {
    const at = Math.max(0, Math.min(pos, this.view.state.doc.length));
    this.view.dispatch({ selection: EditorSelection.cursor(at), scrollIntoView: true });
  }

  // Whether the cursor (an empty selection) is on the first / the last line of the text:
  // ArrowUp / ArrowDown there move to the neighbouring cell, as in Jupyter.
  cursorOnFirstLine() {
    const main = this.view.state.selection.main;
    return main.empty && this.view.state.doc.lineAt(main.head).number === 1;
  }

  cursorOnLastLine() {
    const { doc, selection } = this.view.state;
    return selection.main.empty && doc.lineAt(selection.main.head).number === doc.lines;
  }

  // Whether the editor's own search panel (Ctrl+F in edit mode) is open: Esc closes it first.
  searchPanelOpen() {
    return searchPanelIsOpen(this.view.state);
  }

  // The cursor's box in viewport pixels, [left, top, bottom], for the completion popup and the
  // inspection tooltip; empty when the cursor is not drawn.
  cursorBox() {
    const box = this.view.coordsAtPos(this.view.state.selection.main.head);
    return box ? [box.left, box.top, box.bottom] : [];
  }

  destroy() {
    this.view.destroy();
  }
}
