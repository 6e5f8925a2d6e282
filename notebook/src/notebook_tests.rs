//! Tests of the notebook model: commands, server events, and loading and saving `.ipynb`.

use wirebook_shared::cell_format::CellFormat;
use wirebook_shared::ipynb::{IpynbCell, IpynbCellKind};
use wirebook_shared::session::WireData;

use super::*;

pub(crate) fn text(s: &str) -> WireData {
    WireData::Text { text: s.into() }
}

fn typed(nb: &mut Notebook, source: &str) -> CellId {
    let id = nb.selected_cell().id.clone();
    nb.apply(Command::SetSource {
        cell_id: id.clone(),
        source: source.into(),
    });
    id
}

pub(crate) fn ids(nb: &Notebook) -> Vec<&str> {
    nb.cells().iter().map(|c| c.id.as_str()).collect()
}

/// A notebook loaded from a document of empty markdown cells with these ids.
pub(crate) fn loaded_markdown(ids: &[&str]) -> Notebook {
    let mut document = IpynbNotebook::new();
    for id in ids {
        document.cells.push(IpynbCell::new(
            *id,
            IpynbCellKind::Markdown { attachments: None },
            "",
        ));
    }
    Notebook::from_ipynb(document)
}

#[test]
fn starts_with_one_empty_selected_cell_in_command_mode() {
    let nb = Notebook::new();
    assert_eq!(nb.cells().len(), 1);
    assert_eq!(nb.selected(), 0);
    assert_eq!(nb.mode(), Mode::Command);
    assert_eq!(nb.selected_cell().prompt(), "[ ]");
    assert_eq!(nb.selected_cell().line_count(), 1);
}

#[test]
fn shift_enter_on_the_last_cell_runs_it_and_edits_a_new_one() {
    let mut nb = Notebook::new();
    nb.apply(Command::EnterEditMode);
    let first = typed(&mut nb, "hai");
    let effects = nb.apply(Command::Run(RunMode::SelectNext));
    let second = nb.cells()[1].id.clone();
    assert_ne!(first, second);
    assert_eq!(
        effects,
        vec![
            Effect::Execute {
                cell_id: first.clone(),
                code: "hai".into(),
                format: CellFormat::Text
            },
            Effect::FocusEditor(second.clone()),
        ]
    );
    assert_eq!(nb.selected(), 1);
    assert_eq!(nb.mode(), Mode::Edit);
    assert_eq!(nb.cell(&first).unwrap().state, RunState::Queued);
    assert_eq!(nb.cell(&first).unwrap().prompt(), "[*]");
}

#[test]
fn shift_enter_in_the_middle_selects_the_next_cell_in_command_mode() {
    let mut nb = Notebook::new();
    nb.apply(Command::InsertBelow);
    nb.apply(Command::SelectPrevious);
    let first = typed(&mut nb, "a");
    let effects = nb.apply(Command::Run(RunMode::SelectNext));
    assert_eq!(nb.cells().len(), 2);
    assert_eq!(nb.selected(), 1);
    assert_eq!(nb.mode(), Mode::Command);
    assert!(matches!(&effects[0], Effect::Execute { cell_id, .. } if *cell_id == first));
    assert_eq!(effects[1], Effect::FocusCell(nb.cells()[1].id.clone()));
}

#[test]
fn ctrl_enter_runs_in_place_and_alt_enter_inserts_below() {
    let mut nb = Notebook::new();
    nb.apply(Command::EnterEditMode);
    let id = typed(&mut nb, "x");
    let effects = nb.apply(Command::Run(RunMode::InPlace));
    assert_eq!(nb.cells().len(), 1);
    assert_eq!(nb.mode(), Mode::Command);
    assert_eq!(effects.last(), Some(&Effect::FocusCell(id.clone())));

    let effects = nb.apply(Command::Run(RunMode::InsertBelow));
    assert_eq!(nb.cells().len(), 2);
    assert_eq!(nb.selected(), 1);
    assert_eq!(nb.mode(), Mode::Edit);
    assert_eq!(
        effects.last(),
        Some(&Effect::FocusEditor(nb.cells()[1].id.clone()))
    );
}

#[test]
fn running_an_empty_cell_sends_nothing_and_clears_it() {
    let mut nb = Notebook::new();
    let id = typed(&mut nb, "x");
    nb.apply(Command::Run(RunMode::InPlace));
    nb.executed(&id, 1);
    nb.output(&id, text("x"));
    typed(&mut nb, "");
    let effects = nb.apply(Command::Run(RunMode::InPlace));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Execute { .. })));
    let cell = nb.cell(&id).unwrap();
    assert!(cell.outputs.is_empty());
    assert_eq!(cell.prompt(), "[ ]");
}

#[test]
fn server_events_fill_in_count_and_outputs() {
    let mut nb = Notebook::new();
    let id = typed(&mut nb, "hai");
    nb.apply(Command::Run(RunMode::InPlace));
    assert!(nb.sent(&id));
    assert_eq!(nb.cell(&id).unwrap().state, RunState::Sent);
    assert!(nb.executed(&id, 1));
    assert!(nb.output(&id, text("hai")));
    let cell = nb.cell(&id).unwrap();
    assert_eq!(cell.prompt(), "[1]");
    assert_eq!(cell.outputs, vec![CellOutput::Message(text("hai"))]);
    // Running again clears the old outputs but keeps the old count until confirmed.
    nb.apply(Command::Run(RunMode::InPlace));
    let cell = nb.cell(&id).unwrap();
    assert!(cell.outputs.is_empty());
    assert_eq!(cell.prompt(), "[*]");
    nb.executed(&id, 2);
    assert_eq!(nb.cell(&id).unwrap().prompt(), "[2]");
    // Events for cells that are gone are reported, not applied.
    assert!(!nb.executed("nope", 3));
    assert!(!nb.output("nope", text("x")));
    assert!(!nb.error("nope", "x".into()));
}

#[test]
fn outputs_are_bounded_and_the_drop_is_counted() {
    let mut nb = Notebook::new();
    let id = typed(&mut nb, "x");
    for i in 0..MAX_OUTPUTS_PER_CELL + 5 {
        nb.output(&id, text(&i.to_string()));
    }
    let cell = nb.cell(&id).unwrap();
    assert_eq!(cell.outputs.len(), MAX_OUTPUTS_PER_CELL);
    assert_eq!(cell.outputs_dropped, 5);
    assert_eq!(cell.outputs[0], CellOutput::Message(text("5")));
}

#[test]
fn errors_land_on_the_cell_and_end_the_run() {
    let mut nb = Notebook::new();
    let id = typed(&mut nb, "x");
    nb.apply(Command::Run(RunMode::InPlace));
    nb.sent(&id);
    assert!(nb.error(&id, "kernel failed".into()));
    let cell = nb.cell(&id).unwrap();
    assert_eq!(cell.state, RunState::Idle);
    assert_eq!(cell.error.as_deref(), Some("kernel failed"));
    nb.apply(Command::Run(RunMode::InPlace));
    assert_eq!(nb.cell(&id).unwrap().error, None);
}

#[test]
fn a_dropped_connection_fails_sent_runs_and_keeps_queued_ones() {
    let mut nb = Notebook::new();
    let sent = typed(&mut nb, "a");
    nb.apply(Command::Run(RunMode::SelectNext));
    let queued = typed(&mut nb, "b");
    nb.apply(Command::Run(RunMode::SelectNext));
    nb.sent(&sent);
    nb.connection_lost();
    let cell = nb.cell(&sent).unwrap();
    assert_eq!(cell.state, RunState::Idle);
    assert!(cell.error.as_deref().unwrap().contains("dropped"));
    assert_eq!(cell.source, "a", "edits survive a dropped connection");
    assert_eq!(nb.cell(&queued).unwrap().state, RunState::Queued);
    assert!(!nb.sent(&sent), "only queued runs can be sent");
}

#[test]
fn insert_above_and_below_select_the_new_cell() {
    let mut nb = Notebook::new();
    let first = nb.selected_cell().id.clone();
    let effects = nb.apply(Command::InsertBelow);
    let below = nb.selected_cell().id.clone();
    assert_eq!(effects, vec![Effect::FocusCell(below.clone())]);
    assert_eq!(ids(&nb), vec![first.as_str(), below.as_str()]);
    nb.apply(Command::InsertAbove);
    let above = nb.selected_cell().id.clone();
    assert_eq!(
        ids(&nb),
        vec![first.as_str(), above.as_str(), below.as_str()]
    );
    assert_eq!(nb.selected(), 1);
    assert_eq!(nb.mode(), Mode::Command);
}

#[test]
fn selection_moves_and_stops_at_the_ends() {
    let mut nb = Notebook::new();
    nb.apply(Command::InsertBelow);
    nb.apply(Command::InsertBelow);
    assert_eq!(nb.selected(), 2);
    nb.apply(Command::SelectNext);
    assert_eq!(nb.selected(), 2);
    nb.apply(Command::SelectPrevious);
    nb.apply(Command::SelectPrevious);
    nb.apply(Command::SelectPrevious);
    assert_eq!(nb.selected(), 0);
}

#[test]
fn cut_and_paste_move_a_cell_with_a_fresh_id() {
    let mut nb = Notebook::new();
    let a = typed(&mut nb, "a");
    nb.apply(Command::InsertBelow);
    let b = typed(&mut nb, "b");
    nb.apply(Command::SelectPrevious);
    nb.apply(Command::Cut);
    assert_eq!(ids(&nb), vec![b.as_str()]);
    nb.apply(Command::PasteBelow);
    assert_eq!(nb.cells().len(), 2);
    assert_eq!(nb.cells()[1].source, "a");
    assert_ne!(nb.cells()[1].id, a);
    assert_eq!(nb.selected(), 1);
    nb.apply(Command::PasteAbove);
    assert_eq!(nb.cells().len(), 3);
    assert_eq!(nb.selected(), 1);
    let unique: std::collections::HashSet<_> = ids(&nb).into_iter().collect();
    assert_eq!(unique.len(), 3);
}

#[test]
fn cutting_the_last_cell_leaves_an_empty_one() {
    let mut nb = Notebook::new();
    typed(&mut nb, "only");
    let effects = nb.apply(Command::Cut);
    assert_eq!(nb.cells().len(), 1);
    assert_eq!(nb.selected_cell().source, "");
    assert!(matches!(&effects[0], Effect::WriteClipboard(c) if c.plain == "only"));
    assert_eq!(
        effects[1..],
        [Effect::FocusCell(nb.selected_cell().id.clone())]
    );
    nb.apply(Command::PasteAbove);
    assert_eq!(nb.cells()[0].source, "only");
}

#[test]
fn paste_without_clipboard_does_nothing_and_copy_keeps_the_cell() {
    let mut nb = Notebook::new();
    assert!(nb.apply(Command::PasteBelow).is_empty());
    typed(&mut nb, "c");
    nb.apply(Command::Copy);
    nb.apply(Command::PasteBelow);
    assert_eq!(nb.cells().len(), 2);
    assert_eq!(nb.cells()[0].source, "c");
    assert_eq!(nb.cells()[1].source, "c");
}

#[test]
fn pasting_a_running_cell_does_not_copy_the_run() {
    let mut nb = Notebook::new();
    let id = typed(&mut nb, "x");
    nb.apply(Command::Run(RunMode::InPlace));
    nb.apply(Command::Copy);
    nb.apply(Command::PasteBelow);
    assert_eq!(nb.cells()[1].state, RunState::Idle);
    assert_eq!(nb.cell(&id).unwrap().state, RunState::Queued);
}

#[test]
fn focus_events_keep_the_mode_in_step_with_the_page() {
    let mut nb = Notebook::new();
    nb.apply(Command::InsertBelow);
    let second = nb.selected_cell().id.clone();
    let first = nb.cells()[0].id.clone();
    // Clicking into the first editor selects it in edit mode...
    assert!(nb.apply(Command::EditorFocused(first.clone())).is_empty());
    assert_eq!((nb.selected(), nb.mode()), (0, Mode::Edit));
    // ...and the click that follows on the same cell must not steal the focus back.
    assert!(nb.apply(Command::Select(first.clone())).is_empty());
    assert_eq!(nb.mode(), Mode::Edit);
    // Blur of an editor that is no longer the edited one (focus moved on) changes nothing.
    nb.apply(Command::EditorFocused(second.clone()));
    nb.apply(Command::EditorBlurred(first.clone()));
    assert_eq!((nb.selected(), nb.mode()), (1, Mode::Edit));
    nb.apply(Command::EditorBlurred(second.clone()));
    assert_eq!(nb.mode(), Mode::Command);
    // Selecting another cell by click moves the selection in command mode.
    let effects = nb.apply(Command::Select(first.clone()));
    assert_eq!(effects, vec![Effect::FocusCell(first)]);
    assert_eq!(nb.selected(), 0);
}

#[test]
fn escape_and_enter_switch_modes() {
    let mut nb = Notebook::new();
    let id = nb.selected_cell().id.clone();
    assert_eq!(
        nb.apply(Command::EnterEditMode),
        vec![Effect::FocusEditor(id.clone())]
    );
    assert_eq!(nb.mode(), Mode::Edit);
    assert_eq!(nb.mode().label(), "Edit");
    assert_eq!(
        nb.apply(Command::EnterCommandMode),
        vec![Effect::FocusCell(id)]
    );
    assert_eq!(nb.mode().label(), "Command");
}

#[test]
fn run_button_runs_that_cell_and_selects_it() {
    let mut nb = Notebook::new();
    let first = typed(&mut nb, "one");
    nb.apply(Command::InsertBelow);
    let effects = nb.apply(Command::RunCell(first.clone()));
    assert_eq!(
        effects,
        vec![Effect::Execute {
            cell_id: first.clone(),
            code: "one".into(),
            format: CellFormat::Text
        }]
    );
    assert_eq!(nb.selected(), 0);
    assert!(nb.apply(Command::RunCell("gone".into())).is_empty());
}

#[test]
fn line_count_follows_the_source() {
    let mut nb = Notebook::new();
    typed(&mut nb, "a\nb\n");
    assert_eq!(nb.selected_cell().line_count(), 3);
}

const OUTPUTS: &str = include_str!("../../shared/fixtures/ipynb/outputs_v4_5.ipynb");

fn load(text: &str) -> Notebook {
    Notebook::from_ipynb(IpynbNotebook::parse(text).unwrap())
}

#[test]
fn a_jupyter_notebook_loads_and_saves_unchanged() {
    let nb = load(OUTPUTS);
    let kinds: Vec<CellKind> = nb.cells().iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds[..3],
        [CellKind::Markdown, CellKind::Markdown, CellKind::Code]
    );
    assert_eq!(kinds.last(), Some(&CellKind::Raw));
    assert_eq!(nb.cells()[3].prompt(), "[2]");
    assert_eq!(nb.cells()[2].saved_outputs.len(), 2);
    assert_eq!(nb.selected(), 0);
    assert_eq!(nb.mode(), Mode::Command);
    let original: serde_json::Value = serde_json::from_str(OUTPUTS).unwrap();
    assert_eq!(nb.to_ipynb().to_value(), original);
}

#[test]
fn running_a_loaded_cell_replaces_its_saved_outputs() {
    let mut nb = load(OUTPUTS);
    let id = nb.cells()[3].id.clone();
    let effects = nb.apply(Command::RunCell(id.clone()));
    assert_eq!(
        effects,
        vec![Effect::Execute {
            cell_id: id.clone(),
            code: "21 * 2".into(),
            format: CellFormat::Text
        }]
    );
    assert!(nb.cell(&id).unwrap().saved_outputs.is_empty());
    nb.executed(&id, 7);
    nb.output(&id, text("42"));
    let saved = nb.to_ipynb();
    let cell = saved.cells.iter().find(|c| c.id == id).unwrap();
    let IpynbCellKind::Code {
        execution_count,
        outputs,
    } = &cell.kind
    else {
        panic!("a code cell")
    };
    assert_eq!(*execution_count, Some(7));
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].wire_data(), Some(text("42")));
    assert!(saved.problems().is_empty(), "{:?}", saved.problems());
}

#[test]
fn new_cells_never_take_a_loaded_id() {
    let mut nb = loaded_markdown(&["cell-1", "cell-2"]);
    nb.apply(Command::InsertBelow);
    nb.apply(Command::Copy);
    nb.apply(Command::PasteBelow);
    let unique: std::collections::HashSet<_> = ids(&nb).into_iter().collect();
    assert_eq!(unique.len(), 4);
    assert!(nb.to_ipynb().problems().is_empty());
}

#[test]
fn an_empty_document_gets_one_code_cell() {
    let nb = Notebook::from_ipynb(IpynbNotebook::new());
    assert_eq!(nb.cells().len(), 1);
    assert_eq!(nb.selected_cell().kind, CellKind::Code);
}

#[test]
fn markdown_and_raw_cells_do_not_run_but_move_on() {
    let mut nb = Notebook::new();
    typed(&mut nb, "# title");
    nb.apply(Command::SetKind(CellKind::Markdown));
    let effects = nb.apply(Command::Run(RunMode::SelectNext));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Execute { .. })));
    assert_eq!(nb.cells().len(), 2);
    assert_eq!(nb.selected(), 1);
    assert_eq!(nb.cells()[0].prompt(), "[ ]");
    assert!(!nb.output(&nb.cells()[0].id.clone(), text("x")));
}

#[test]
fn a_cell_that_stops_being_code_loses_its_results() {
    let mut nb = load(OUTPUTS);
    nb.apply(Command::Select(nb.cells()[3].id.clone()));
    nb.apply(Command::SetKind(CellKind::Raw));
    let cell = nb.selected_cell();
    assert_eq!(cell.kind, CellKind::Raw);
    assert!(cell.saved_outputs.is_empty());
    assert_eq!(cell.prompt(), "[ ]");
    assert_eq!(cell.source, "21 * 2");
    // Markdown keeps its attachments through a round trip via raw.
    nb.apply(Command::Select(nb.cells()[0].id.clone()));
    nb.apply(Command::SetKind(CellKind::Raw));
    nb.apply(Command::SetKind(CellKind::Markdown));
    let saved = nb.to_ipynb();
    assert!(matches!(
        &saved.cells[0].kind,
        IpynbCellKind::Markdown {
            attachments: Some(a)
        } if a.contains_key("dot.png")
    ));
    assert!(saved.problems().is_empty());
}

#[test]
fn pasting_copies_kind_metadata_and_saved_outputs() {
    let mut nb = load(OUTPUTS);
    nb.apply(Command::Copy);
    nb.apply(Command::PasteBelow);
    let (a, b) = (&nb.cells()[0], &nb.cells()[1]);
    assert_ne!(a.id, b.id);
    assert_eq!((a.kind, &a.file, &a.source), (b.kind, &b.file, &b.source));
}
