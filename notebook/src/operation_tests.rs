//! Tests of the cell operations Jupyter's command mode offers: selection ranges, delete,
//! merge, split, move, headings, undo and redo, clipboard and kernel effects.

use super::clipboard::cells_from_clipboard;
use super::notebook_tests::{ids, loaded_markdown, text};
use super::*;
use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::MimeData;
use wirebook_shared::ipynb::{IpynbCell, IpynbCellKind};

/// A notebook of code cells with these sources, first selected, in command mode.
fn notebook(sources: &[&str]) -> Notebook {
    let mut document = IpynbNotebook::new();
    for (i, source) in sources.iter().enumerate() {
        document.cells.push(IpynbCell::new(
            format!("c{i}"),
            IpynbCellKind::Code {
                execution_count: None,
                outputs: Vec::new(),
            },
            *source,
        ));
    }
    Notebook::from_ipynb(document)
}

fn sources(nb: &Notebook) -> Vec<&str> {
    nb.cells().iter().map(|c| c.source.as_str()).collect()
}

fn select(nb: &mut Notebook, first: usize, last: usize) {
    nb.apply(Command::Select(nb.cells()[first].id.clone()));
    nb.apply(Command::ExtendSelectionTo(nb.cells()[last].id.clone()));
}

/// Applies `command`, checks that undo restores the document and selection exactly and that
/// redo brings the change back exactly, and returns the command's effects.
fn undoable(nb: &mut Notebook, command: Command) -> Vec<Effect> {
    let before = nb.clone();
    let effects = nb.apply(command.clone());
    let after = nb.clone();
    assert_eq!(
        nb.undo_len(),
        before.undo_len() + 1,
        "{command:?} is one step"
    );
    nb.apply(Command::Undo);
    assert_eq!(nb.cells(), before.cells(), "undo of {command:?}");
    assert_eq!(nb.selection(), before.selection(), "undo of {command:?}");
    nb.apply(Command::Redo);
    assert_eq!(nb.cells(), after.cells(), "redo of {command:?}");
    assert_eq!(nb.selection(), after.selection(), "redo of {command:?}");
    effects
}

#[test]
fn shift_j_and_k_grow_and_shrink_the_selection_from_its_anchor() {
    let mut nb = notebook(&["a", "b", "c", "d"]);
    nb.apply(Command::SelectNext);
    nb.apply(Command::ExtendSelectionBelow);
    nb.apply(Command::ExtendSelectionBelow);
    assert_eq!(nb.selection().bounds(), (1, 3));
    assert_eq!(nb.selected(), 3, "the active cell moves");
    nb.apply(Command::ExtendSelectionBelow);
    assert_eq!(nb.selection().bounds(), (1, 3), "stops at the end");
    nb.apply(Command::ExtendSelectionAbove);
    nb.apply(Command::ExtendSelectionAbove);
    nb.apply(Command::ExtendSelectionAbove);
    assert_eq!(nb.selection().bounds(), (0, 1));
    assert_eq!(nb.selected(), 0);
    assert!(nb.in_selection("c1") && !nb.in_selection("c2"));
    assert!(nb.is_selected("c0") && !nb.is_selected("c1"));
    // Plain J collapses the selection.
    let effects = nb.apply(Command::SelectNext);
    assert_eq!(nb.selection(), Selection::single(1));
    assert_eq!(effects, vec![Effect::FocusCell("c1".into())]);
}

#[test]
fn select_all_and_shift_click() {
    let mut nb = notebook(&["a", "b", "c"]);
    nb.apply(Command::EnterEditMode);
    nb.apply(Command::SelectAll);
    assert_eq!(nb.selection().bounds(), (0, 2));
    assert_eq!(nb.mode(), Mode::Command);
    assert_eq!(nb.selected_cells().len(), 3);
    nb.apply(Command::Select("c2".into()));
    nb.apply(Command::ExtendSelectionTo("c1".into()));
    assert_eq!(nb.selection(), Selection { anchor: 2, head: 1 });
    // Escape keeps the range; Enter edits the active cell alone.
    nb.apply(Command::EnterCommandMode);
    assert_eq!(nb.selection().bounds(), (1, 2));
    nb.apply(Command::EnterEditMode);
    assert_eq!(nb.selection(), Selection::single(1));
    assert!(nb
        .apply(Command::ExtendSelectionTo("gone".into()))
        .is_empty());
}

#[test]
fn delete_removes_the_selection_and_selects_what_follows() {
    let mut nb = notebook(&["a", "b", "c", "d"]);
    select(&mut nb, 1, 2);
    let effects = undoable(&mut nb, Command::Delete);
    assert_eq!(sources(&nb), ["a", "d"]);
    assert_eq!(nb.selection(), Selection::single(1));
    assert_eq!(effects, vec![Effect::FocusCell("c3".into())]);
    assert!(nb.clipboard().is_empty(), "delete does not copy");
    // Deleting the last cell selects the one above.
    nb.apply(Command::SelectNext);
    undoable(&mut nb, Command::Delete);
    assert_eq!(sources(&nb), ["a"]);
    assert_eq!(nb.selected(), 0);
    // Deleting every cell leaves one empty code cell, as Jupyter does.
    undoable(&mut nb, Command::Delete);
    assert_eq!(sources(&nb), [""]);
    assert_ne!(nb.cells()[0].id, "c0");
}

#[test]
fn cut_copy_and_paste_whole_selections() {
    let mut nb = notebook(&["a", "b", "c"]);
    select(&mut nb, 0, 1);
    let effects = undoable(&mut nb, Command::Cut);
    let Effect::WriteClipboard(clip) = &effects[0] else {
        panic!("cut mirrors to the system clipboard: {effects:?}");
    };
    assert_eq!(clip.plain, "a\n\nb");
    assert_eq!(sources(&nb), ["c"]);
    assert_eq!(nb.clipboard().len(), 2);
    undoable(&mut nb, Command::PasteBelow);
    assert_eq!(sources(&nb), ["c", "a", "b"]);
    assert_eq!(nb.selection(), Selection { anchor: 1, head: 2 });
    undoable(&mut nb, Command::PasteAbove);
    assert_eq!(sources(&nb), ["c", "a", "a", "b", "b"]);
    let unique: HashSet<&str> = ids(&nb).into_iter().collect();
    assert_eq!(unique.len(), 5, "pasted cells get fresh ids");
    // Copy changes nothing in the document, so there is nothing to undo.
    let steps = nb.undo_len();
    let effects = nb.apply(Command::Copy);
    assert!(matches!(&effects[..], [Effect::WriteClipboard(c)] if c.plain == "a\n\nb"));
    assert_eq!(nb.undo_len(), steps);
}

#[test]
fn cells_pasted_from_the_system_clipboard_arrive_with_fresh_ids() {
    let mut source = notebook(&["x = 1", "y"]);
    source.apply(Command::SelectAll);
    source.apply(Command::SetKind(CellKind::Markdown));
    let Effect::WriteClipboard(clip) = source.apply(Command::Copy).remove(0) else {
        panic!("copy writes the clipboard");
    };
    let cells = cells_from_clipboard(&clip.html).unwrap();
    let mut nb = notebook(&["first"]);
    undoable(
        &mut nb,
        Command::PasteCells {
            cells: cells.clone(),
            above: false,
        },
    );
    assert_eq!(sources(&nb), ["first", "x = 1", "y"]);
    assert!(nb.cells()[1..].iter().all(|c| c.kind == CellKind::Markdown));
    assert!(!ids(&nb).contains(&"c1"));
    assert!(
        nb.clipboard().is_empty(),
        "the notebook's clipboard is left alone"
    );
    undoable(&mut nb, Command::PasteCells { cells, above: true });
    assert_eq!(nb.selection(), Selection { anchor: 2, head: 3 });
    assert!(nb
        .apply(Command::PasteCells {
            cells: Vec::new(),
            above: false
        })
        .is_empty());
}

#[test]
fn inserts_and_kind_changes_are_undoable() {
    let mut nb = notebook(&["a", "b"]);
    undoable(&mut nb, Command::InsertAbove);
    undoable(&mut nb, Command::InsertBelow);
    select(&mut nb, 0, 3);
    undoable(&mut nb, Command::SetKind(CellKind::Raw));
    assert!(nb.cells().iter().all(|c| c.kind == CellKind::Raw));
    // Changing to the kind the cells already have is not a step.
    let steps = nb.undo_len();
    assert!(nb.apply(Command::SetKind(CellKind::Raw)).is_empty());
    assert_eq!(nb.undo_len(), steps);
}

#[test]
fn undo_brings_back_outputs_and_counts_and_redo_is_dropped_by_a_new_step() {
    let mut nb = notebook(&["1 + 1"]);
    nb.apply(Command::Run(RunMode::InPlace));
    nb.executed("c0", 3);
    nb.output("c0", text("2"));
    undoable(&mut nb, Command::SetKind(CellKind::Markdown));
    nb.apply(Command::Undo);
    let cell = nb.selected_cell();
    assert_eq!(
        (cell.kind, cell.prompt()),
        (CellKind::Code, "[3]".to_string())
    );
    assert_eq!(cell.outputs, vec![CellOutput::Message(text("2"))]);
    assert_eq!(nb.redo_len(), 1);
    nb.apply(Command::InsertBelow);
    assert_eq!(nb.redo_len(), 0);
    assert!(nb.apply(Command::Redo).is_empty());
}

#[test]
fn typing_between_a_step_and_its_undo_is_kept_for_redo() {
    let mut nb = notebook(&["a", "b"]);
    nb.apply(Command::InsertBelow);
    let new = nb.selected_cell().id.clone();
    nb.apply(Command::SetSource {
        cell_id: new.clone(),
        source: "typed".into(),
    });
    nb.apply(Command::SetSource {
        cell_id: "c1".into(),
        source: "b, edited".into(),
    });
    nb.apply(Command::Undo);
    assert_eq!(
        sources(&nb),
        ["a", "b, edited"],
        "other cells keep their text"
    );
    nb.apply(Command::Redo);
    assert_eq!(sources(&nb), ["a", "typed", "b, edited"]);
    assert_eq!(nb.selected_cell().id, new);
}

#[test]
fn the_history_is_bounded() {
    let mut nb = notebook(&["a"]);
    for _ in 0..HISTORY_LIMIT + 5 {
        nb.apply(Command::InsertBelow);
    }
    assert_eq!(nb.undo_len(), HISTORY_LIMIT);
    while !nb.apply(Command::Undo).is_empty() {}
    assert_eq!(nb.cells().len(), 6, "the oldest five steps were forgotten");
    assert_eq!(nb.redo_len(), HISTORY_LIMIT);
}

#[test]
fn undo_and_redo_tell_the_editors_about_changed_text() {
    let mut nb = notebook(&["a", "b"]);
    nb.apply(Command::Merge);
    let effects = nb.apply(Command::Undo);
    assert_eq!(
        effects,
        vec![
            Effect::SourceReplaced("c0".into()),
            Effect::FocusCell("c0".into())
        ]
    );
    assert_eq!(nb.mode(), Mode::Command);
    let effects = nb.apply(Command::Redo);
    assert_eq!(effects[0], Effect::SourceReplaced("c0".into()));
    assert!(nb.apply(Command::Redo).is_empty(), "nothing left to redo");
}

#[test]
fn headings_replace_leading_hashes_and_make_markdown() {
    let mut nb = notebook(&["## Old title", "  plain", "#tight", ""]);
    nb.apply(Command::Run(RunMode::InPlace));
    nb.executed("c0", 1);
    select(&mut nb, 0, 3);
    let effects = undoable(&mut nb, Command::Heading(3));
    assert_eq!(
        sources(&nb),
        ["### Old title", "### plain", "### tight", "### "]
    );
    assert!(nb.cells().iter().all(|c| c.kind == CellKind::Markdown));
    assert_eq!(
        nb.cells()[0].prompt(),
        "[ ]",
        "a code cell loses its results"
    );
    assert_eq!(
        effects.len(),
        4,
        "every editor shows its new text: {effects:?}"
    );
    let steps = nb.undo_len();
    assert!(nb.apply(Command::Heading(3)).is_empty(), "already level 3");
    assert!(nb.apply(Command::Heading(0)).is_empty());
    assert!(nb.apply(Command::Heading(7)).is_empty());
    assert_eq!(nb.undo_len(), steps);
    undoable(&mut nb, Command::Heading(1));
    assert_eq!(nb.cells()[1].source, "# plain");
}

#[test]
fn merge_joins_the_selection_into_the_active_cell() {
    let mut nb = notebook(&["a", "b", "c", "d"]);
    nb.apply(Command::Select("c2".into()));
    nb.apply(Command::ExtendSelectionTo("c1".into()));
    nb.apply(Command::SetKind(CellKind::Markdown));
    nb.apply(Command::Select("c1".into()));
    nb.apply(Command::ExtendSelectionTo("c2".into()));
    let effects = undoable(&mut nb, Command::Merge);
    assert_eq!(sources(&nb), ["a", "b\n\nc", "d"]);
    assert_eq!(
        ids(&nb),
        ["c0", "c2", "c3"],
        "the active cell's id and kind"
    );
    assert_eq!(nb.selected_cell().kind, CellKind::Markdown);
    assert_eq!(nb.selection(), Selection::single(1));
    assert!(effects.contains(&Effect::SourceReplaced("c2".into())));
    // One cell alone merges with the one below; the last cell alone cannot merge.
    nb.apply(Command::Select("c0".into()));
    undoable(&mut nb, Command::Merge);
    assert_eq!(sources(&nb), ["a\n\nb\n\nc", "d"]);
    assert_eq!(nb.cells()[0].kind, CellKind::Code);
    nb.apply(Command::SelectNext);
    let steps = nb.undo_len();
    assert!(nb.apply(Command::Merge).is_empty());
    assert_eq!(nb.undo_len(), steps);
}

#[test]
fn merging_code_clears_results_and_merging_markdown_keeps_attachments() {
    let mut nb = notebook(&["1", "2"]);
    nb.apply(Command::Run(RunMode::InPlace));
    nb.executed("c0", 1);
    nb.output("c0", text("1"));
    nb.apply(Command::Merge);
    assert!(nb.cells()[0].outputs.is_empty());
    assert_eq!(nb.cells()[0].prompt(), "[ ]");

    let mut nb = notebook(&["![a](attachment:a.png)", "![b](attachment:b.png)"]);
    nb.apply(Command::SelectAll);
    nb.apply(Command::SetKind(CellKind::Markdown));
    for (index, name) in [(0, "a.png"), (1, "b.png")] {
        let bundle = [("image/png".to_string(), MimeData::Text("iVBOR".into()))].into();
        nb.cells[index].file.attachments = Some([(name.to_string(), bundle)].into());
    }
    nb.apply(Command::Select("c0".into()));
    nb.apply(Command::Merge);
    let attachments = nb.cells()[0].file.attachments.as_ref().unwrap();
    assert_eq!(attachments.keys().collect::<Vec<_>>(), ["a.png", "b.png"]);
}

#[test]
fn moving_cells_carries_the_selection_and_stops_at_the_ends() {
    let mut nb = notebook(&["a", "b", "c", "d"]);
    select(&mut nb, 1, 2);
    undoable(&mut nb, Command::MoveUp);
    assert_eq!(sources(&nb), ["b", "c", "a", "d"]);
    assert_eq!(nb.selection(), Selection { anchor: 0, head: 1 });
    let steps = nb.undo_len();
    assert!(nb.apply(Command::MoveUp).is_empty());
    assert_eq!(nb.undo_len(), steps);
    undoable(&mut nb, Command::MoveDown);
    undoable(&mut nb, Command::MoveDown);
    assert_eq!(sources(&nb), ["a", "d", "b", "c"]);
    assert!(nb.apply(Command::MoveDown).is_empty());
    assert_eq!(nb.selected_cell().id, "c2");
}

#[test]
fn split_at_the_cursor_makes_two_cells_and_edits_the_second() {
    let mut nb = notebook(&["import os\n\nos.getcwd()\n"]);
    nb.apply(Command::Run(RunMode::InPlace));
    nb.executed("c0", 4);
    nb.apply(Command::EnterEditMode);
    let effects = undoable(
        &mut nb,
        Command::Split {
            cell_id: "c0".into(),
            start: 10,
            end: 10,
        },
    );
    assert_eq!(sources(&nb), ["import os", "os.getcwd()"]);
    assert_eq!(nb.cells()[0].id, "c0");
    assert_eq!(
        nb.cells()[0].prompt(),
        "[4]",
        "the first piece is the cell that ran"
    );
    assert_eq!(nb.cells()[1].prompt(), "[ ]");
    assert_eq!(nb.selection(), Selection::single(1));
    let second = nb.cells()[1].id.clone();
    nb.apply(Command::Undo);
    nb.apply(Command::Redo);
    assert_eq!(nb.selected_cell().id, second);
    assert_eq!(
        effects,
        vec![
            Effect::SourceReplaced("c0".into()),
            Effect::FocusEditor(second)
        ]
    );
    assert_eq!(nb.mode(), Mode::Command, "after redo");
}

#[test]
fn split_around_a_selection_makes_three_cells_counting_utf16() {
    // "é" is one UTF-16 unit, "😀" two: the DOM's offsets are in those units.
    let mut nb = notebook(&["é😀 = 1\nselected\nrest"]);
    nb.apply(Command::Heading(2));
    let source = nb.cells()[0].source.clone();
    assert_eq!(source, "## é😀 = 1\nselected\nrest");
    let start = "## é😀 = 1\n".encode_utf16().count();
    let end = start + "selected".len();
    undoable(
        &mut nb,
        Command::Split {
            cell_id: "c0".into(),
            start: end,
            end: start,
        },
    );
    assert_eq!(sources(&nb), ["## é😀 = 1", "selected", "rest"]);
    assert!(nb.cells().iter().all(|c| c.kind == CellKind::Markdown));
    assert_eq!(nb.selected(), 1);
    // Offsets past the end or inside a surrogate pair are clamped, not a panic.
    undoable(
        &mut nb,
        Command::Split {
            cell_id: "c0".into(),
            start: 6,
            end: 1000,
        },
    );
    assert_eq!(nb.cells().len(), 5);
    assert!(nb
        .apply(Command::Split {
            cell_id: "gone".into(),
            start: 0,
            end: 0
        })
        .is_empty());
}

#[test]
fn running_a_selection_runs_each_code_cell() {
    let mut nb = notebook(&["a", "# md", "", "b", "after"]);
    nb.apply(Command::Select("c1".into()));
    nb.apply(Command::SetKind(CellKind::Markdown));
    select(&mut nb, 0, 3);
    let effects = nb.apply(Command::Run(RunMode::SelectNext));
    let executed: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Execute { cell_id, .. } => Some(cell_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(executed, ["c0", "c3"]);
    assert_eq!(nb.selection(), Selection::single(4));
    select(&mut nb, 3, 4);
    let effects = nb.apply(Command::Run(RunMode::InsertBelow));
    assert_eq!(nb.cells().len(), 6);
    assert_eq!(nb.selected(), 5);
    assert_eq!(nb.mode(), Mode::Edit);
    assert!(matches!(effects.last(), Some(Effect::FocusEditor(_))));
    // The inserted cell is a step of its own.
    nb.apply(Command::Undo);
    assert_eq!(nb.cells().len(), 5);
}

#[test]
fn run_all_runs_every_code_cell_and_ends_on_the_last() {
    let mut nb = notebook(&["a", "", "b"]);
    nb.apply(Command::Select("c2".into()));
    nb.apply(Command::InsertBelow);
    nb.apply(Command::SetKind(CellKind::Markdown));
    let last = nb.selected_cell().id.clone();
    nb.apply(Command::Select("c0".into()));
    let effects = nb.apply(Command::RunAll);
    assert_eq!(
        effects,
        vec![
            Effect::Execute {
                cell_id: "c0".into(),
                code: "a".into(),
                format: CellFormat::Text,
            },
            Effect::Execute {
                cell_id: "c2".into(),
                code: "b".into(),
                format: CellFormat::Text,
            },
            Effect::FocusCell(last),
        ]
    );
    assert_eq!(nb.selection(), Selection::single(3));
}

#[test]
fn kernel_save_and_overlay_commands_are_effects() {
    let mut nb = notebook(&["a"]);
    let before = nb.clone();
    for (command, effect) in [
        (Command::Interrupt, Effect::Interrupt),
        (
            Command::Restart,
            Effect::RestartKernel {
                then_run_all: false,
            },
        ),
        (
            Command::RestartAndRunAll,
            Effect::RestartKernel { then_run_all: true },
        ),
        (Command::Save, Effect::Save),
        (Command::ShowHelp, Effect::ShowHelp),
        (Command::ShowFind, Effect::ShowFind),
        (Command::ShowPalette, Effect::ShowPalette),
        (Command::ChangeKernel, Effect::ShowKernelPicker),
        (Command::ShowTapRoutes, Effect::ShowTapRoutes),
        (Command::ShowIntercept, Effect::ShowIntercept),
        (Command::ShowRunningKernels, Effect::ShowRunningKernels),
    ] {
        assert_eq!(nb.apply(command), vec![effect]);
    }
    assert_eq!(nb, before, "they change nothing in the notebook");
}

#[test]
fn loaded_ids_are_never_given_to_new_cells_even_after_a_delete() {
    let mut nb = loaded_markdown(&["cell-1", "cell-2"]);
    nb.apply(Command::SelectAll);
    nb.apply(Command::Delete);
    nb.apply(Command::InsertBelow);
    nb.apply(Command::InsertBelow);
    for _ in 0..3 {
        nb.apply(Command::Undo);
    }
    assert_eq!(ids(&nb), ["cell-1", "cell-2"]);
    for _ in 0..3 {
        nb.apply(Command::Redo);
    }
    let unique: HashSet<&str> = ids(&nb).into_iter().collect();
    assert_eq!(unique.len(), 3);
    assert!(!unique.contains("cell-1") && !unique.contains("cell-2"));
    assert!(nb.to_ipynb().problems().is_empty());
}

#[test]
fn formats_are_set_on_the_selected_code_cells_saved_and_undone() {
    let mut nb = notebook(&["{\"a\":1}", "ff 00", "x"]);
    nb.apply(Command::SetKind(CellKind::Markdown));
    select(&mut nb, 0, 1);
    // The markdown cell at 0 keeps no format; the code cell at 1 gets one.
    nb.apply(Command::Select("c1".into()));
    nb.apply(Command::SetFormat(CellFormat::Hex));
    assert_eq!(nb.cells()[1].format(), CellFormat::Hex);
    select(&mut nb, 0, 2);
    nb.apply(Command::SetFormat(CellFormat::Json { compact: true }));
    assert_eq!(nb.cells()[0].format(), CellFormat::Text, "markdown");
    assert_eq!(nb.cells()[2].format(), CellFormat::Json { compact: true });
    // Saved in the file and read back.
    let file = nb.to_ipynb();
    assert_eq!(
        file.cells[2].metadata["wirebook"]["format"],
        serde_json::json!({"kind": "json", "compact": true})
    );
    let back = Notebook::from_ipynb(file);
    assert_eq!(back.cells()[1].format(), CellFormat::Json { compact: true });
    // A run carries the format.
    nb.apply(Command::Select("c1".into()));
    let effects = nb.apply(Command::RunCell("c1".into()));
    assert!(effects.contains(&Effect::Execute {
        cell_id: "c1".into(),
        code: "ff 00".into(),
        format: CellFormat::Json { compact: true },
    }));
    nb.apply(Command::Undo);
    assert_eq!(nb.cells()[1].format(), CellFormat::Hex);
    assert_eq!(nb.cells()[2].format(), CellFormat::Text);
    nb.apply(Command::Redo);
    assert_eq!(nb.cells()[2].format(), CellFormat::Json { compact: true });
}

#[test]
fn pretty_printing_touches_json_cells_only_and_is_undoable() {
    let mut nb = notebook(&["{\"a\":[1]}", "{\"b\":2}", "{oops"]);
    nb.apply(Command::SetFormat(CellFormat::Json { compact: false }));
    select(&mut nb, 0, 2);
    nb.apply(Command::Select("c2".into()));
    nb.apply(Command::SetFormat(CellFormat::Json { compact: false }));
    select(&mut nb, 0, 2);
    let effects = nb.apply(Command::PrettyPrintJson);
    assert_eq!(
        sources(&nb),
        vec!["{\n  \"a\": [\n    1\n  ]\n}", "{\"b\":2}", "{oops"]
    );
    assert!(effects.contains(&Effect::SourceReplaced("c0".into())));
    nb.apply(Command::Undo);
    assert_eq!(sources(&nb)[0], "{\"a\":[1]}");
}

#[test]
fn a_source_replaced_from_outside_the_editor_is_undoable_and_told() {
    let mut nb = notebook(&["old", "other"]);
    let effects = nb.apply(Command::ReplaceSource {
        cell_id: "c0".into(),
        source: r#"{"opcode": 3}"#.into(),
    });
    assert_eq!(sources(&nb), vec![r#"{"opcode": 3}"#, "other"]);
    assert!(effects.contains(&Effect::SourceReplaced("c0".into())));
    // The same text again, or a cell that is gone: nothing happens.
    let same = nb.apply(Command::ReplaceSource {
        cell_id: "c0".into(),
        source: r#"{"opcode": 3}"#.into(),
    });
    assert!(same.is_empty());
    assert!(nb
        .apply(Command::ReplaceSource {
            cell_id: "gone".into(),
            source: "x".into(),
        })
        .is_empty());
    nb.apply(Command::Undo);
    assert_eq!(sources(&nb)[0], "old");
}

#[test]
fn expectations_are_set_undoably_and_checked_against_the_last_run() {
    use wirebook_shared::expect::Expectation;
    use wirebook_shared::session::WireData;
    let mut nb = notebook(&["ping"]);
    let expectations = vec![Expectation::Text("^pong$".into()), Expectation::Count(1)];
    nb.apply(Command::SetExpectations {
        cell_id: "c0".into(),
        expectations: expectations.clone(),
    });
    let cell = &nb.cells()[0];
    assert_eq!(cell.expectations().unwrap(), expectations);
    assert_eq!(cell.checked_expectations(false, None), None, "not run yet");
    nb.executed("c0", 1);
    nb.output(
        "c0",
        WireData::Text {
            text: "pong".into(),
        },
    );
    let checked = nb.cells()[0].checked_expectations(false, None).unwrap();
    assert!(checked.iter().all(|c| c.held), "{checked:?}");
    nb.output(
        "c0",
        WireData::Text {
            text: "again".into(),
        },
    );
    let checked = nb.cells()[0].checked_expectations(false, None).unwrap();
    assert!(
        checked.iter().all(|c| c.held),
        "a text matches, and count is at least"
    );
    // None removes the key; undo brings them back.
    nb.apply(Command::SetExpectations {
        cell_id: "c0".into(),
        expectations: Vec::new(),
    });
    assert!(nb.cells()[0].file.metadata.get("wirebook").is_none());
    nb.apply(Command::Undo);
    assert_eq!(nb.cells()[0].expectations().unwrap(), expectations);
}
