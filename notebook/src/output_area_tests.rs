//! Tests of the output area's rules: Jupyter iopub messages applied to cells.

use serde_json::json;

use super::output_area::append_console_text;
use super::*;
use wirebook_shared::ipynb::{IpynbOutputKind, MimeData};

/// A notebook with one code cell holding `source`, run (sent) once; returns its id.
fn running(source: &str) -> (Notebook, CellId) {
    let mut nb = Notebook::new();
    let id = nb.selected_cell().id.clone();
    nb.apply(Command::SetSource {
        cell_id: id.clone(),
        source: source.into(),
    });
    nb.apply(Command::Run(RunMode::InPlace));
    assert!(nb.sent(&id));
    (nb, id)
}

fn kinds(nb: &Notebook, id: &str) -> Vec<IpynbOutputKind> {
    nb.cell(id)
        .unwrap()
        .outputs
        .iter()
        .map(|o| o.to_ipynb().kind)
        .collect()
}

fn stream(name: &str, text: &str) -> IpynbOutputKind {
    IpynbOutputKind::Stream {
        name: name.into(),
        text: text.into(),
    }
}

fn console(chunks: &[&str]) -> String {
    let mut text = String::new();
    for chunk in chunks {
        append_console_text(&mut text, chunk);
    }
    text
}

#[test]
fn consecutive_stream_chunks_of_one_name_merge() {
    let (mut nb, id) = running("print('hi')");
    for (name, text) in [
        ("stdout", "a\n"),
        ("stdout", "b\n"),
        ("stderr", "oops\n"),
        ("stdout", "c"),
    ] {
        assert!(nb.kernel_message(&id, "stream", &json!({"name": name, "text": text})));
    }
    assert_eq!(
        kinds(&nb, &id),
        vec![
            stream("stdout", "a\nb\n"),
            stream("stderr", "oops\n"),
            stream("stdout", "c")
        ]
    );
}

#[test]
fn carriage_return_overwrites_the_line_and_backspace_erases() {
    assert_eq!(console(&["10%\r", "20%\r", "done\n"]), "done\n");
    assert_eq!(console(&["a\r\nb\n"]), "a\nb\n");
    // A chunk ending in `\r` followed by one starting with `\n` is a line end.
    assert_eq!(console(&["a\r", "\nb"]), "a\nb");
    assert_eq!(console(&["abc\u{8}\u{8}x\n"]), "ax\n");
    // Only the current line is touched; a `\b` at a line start erases nothing before it.
    assert_eq!(console(&["one\n", "\u{8}two\rTWO"]), "one\nTWO");
    // ANSI escapes stay for the renderer.
    assert_eq!(console(&["\x1b[31mred\x1b[0m\n"]), "\x1b[31mred\x1b[0m\n");
}

#[test]
fn display_data_and_execute_result_become_nbformat_outputs() {
    let (mut nb, id) = running("1+1");
    nb.kernel_message(
        &id,
        "execute_input",
        &json!({"code": "1+1", "execution_count": 4}),
    );
    assert_eq!(nb.cell(&id).unwrap().execution_count, Some(4));
    // The cell runs until the server says the kernel replied.
    assert_eq!(nb.cell(&id).unwrap().prompt(), "[*]");
    nb.kernel_message(
        &id,
        "execute_result",
        &json!({"execution_count": 4, "data": {"text/plain": "2"}, "metadata": {}}),
    );
    nb.kernel_message(
        &id,
        "display_data",
        &json!({"data": {"text/html": ["<b>x", "</b>"]}, "metadata": {}, "transient": {"display_id": "d1"}}),
    );
    assert!(nb.executed(&id, 4));
    assert_eq!(nb.cell(&id).unwrap().prompt(), "[4]");
    let cell = nb.cell(&id).unwrap();
    match &cell.outputs[..] {
        [CellOutput::Jupyter {
            output: first,
            display_id: None,
        }, CellOutput::Jupyter {
            output: second,
            display_id: Some(d),
        }] => {
            assert!(matches!(
                &first.kind,
                IpynbOutputKind::ExecuteResult { execution_count: Some(4), data, .. }
                    if data["text/plain"] == MimeData::Text("2".into())
            ));
            assert_eq!(d, "d1");
            assert!(matches!(
                &second.kind,
                IpynbOutputKind::DisplayData { data, .. }
                    if data["text/html"] == MimeData::Text("<b>x</b>".into())
            ));
        }
        other => panic!("unexpected outputs {other:?}"),
    }
    // Saved as nbformat outputs, without the transient part.
    let saved = nb.to_ipynb().to_json();
    assert!(
        saved.contains("\"output_type\": \"execute_result\""),
        "{saved}"
    );
    assert!(!saved.contains("transient"), "{saved}");
}

#[test]
fn update_display_data_replaces_every_output_with_the_id_in_any_cell() {
    let (mut nb, first) = running("display(x, display_id=True)");
    nb.apply(Command::InsertBelow);
    let second = nb.selected_cell().id.clone();
    let shown =
        json!({"data": {"text/plain": "old"}, "metadata": {}, "transient": {"display_id": "d"}});
    nb.kernel_message(&first, "display_data", &shown);
    nb.kernel_message(&second, "display_data", &shown);
    nb.kernel_message(
        &second,
        "display_data",
        &json!({"data": {"text/plain": "other"}, "metadata": {}, "transient": {"display_id": "e"}}),
    );
    assert!(nb.kernel_message(
        &second,
        "update_display_data",
        &json!({"data": {"text/plain": "new"}, "metadata": {}, "transient": {"display_id": "d"}}),
    ));
    let plain = |id: &str| -> Vec<String> {
        kinds(&nb, id)
            .into_iter()
            .map(|k| match k {
                IpynbOutputKind::DisplayData { data, .. } => {
                    data["text/plain"].as_text().unwrap().to_string()
                }
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(plain(&first), ["new"]);
    assert_eq!(plain(&second), ["new", "other"]);
    // An id nobody shows changes nothing.
    assert!(!nb.kernel_message(
        &first,
        "update_display_data",
        &json!({"data": {"text/plain": "x"}, "metadata": {}, "transient": {"display_id": "zz"}}),
    ));
}

#[test]
fn error_keeps_name_value_and_the_coloured_traceback() {
    let (mut nb, id) = running("1/0");
    nb.kernel_message(
        &id,
        "error",
        &json!({"ename": "ZeroDivisionError", "evalue": "division by zero",
                "traceback": ["\x1b[31mZeroDivisionError\x1b[0m: division by zero"]}),
    );
    assert_eq!(
        kinds(&nb, &id),
        vec![IpynbOutputKind::Error {
            ename: "ZeroDivisionError".into(),
            evalue: "division by zero".into(),
            traceback: vec!["\x1b[31mZeroDivisionError\x1b[0m: division by zero".into()],
        }]
    );
}

#[test]
fn a_malformed_output_is_shown_as_an_explanation() {
    let (mut nb, id) = running("x");
    nb.kernel_message(&id, "display_data", &json!({"data": 5}));
    match &kinds(&nb, &id)[..] {
        [IpynbOutputKind::Stream { name, text }] => {
            assert_eq!(name, "stderr");
            assert!(text.contains("could not read this display_data"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clear_output_clears_now_or_with_the_next_output() {
    let (mut nb, id) = running("x");
    let out = |text: &str| json!({"name": "stdout", "text": text});
    nb.kernel_message(&id, "stream", &out("a\n"));
    nb.kernel_message(&id, "clear_output", &json!({"wait": false}));
    assert!(nb.cell(&id).unwrap().outputs.is_empty());
    nb.kernel_message(&id, "stream", &out("b\n"));
    nb.kernel_message(&id, "clear_output", &json!({"wait": true}));
    // Still shown until the next output arrives, which replaces it.
    assert_eq!(kinds(&nb, &id), vec![stream("stdout", "b\n")]);
    nb.kernel_message(&id, "stream", &out("c\n"));
    assert_eq!(kinds(&nb, &id), vec![stream("stdout", "c\n")]);
    nb.kernel_message(&id, "clear_output", &json!({"wait": true}));
    nb.kernel_message(
        &id,
        "display_data",
        &json!({"data": {"text/plain": "d"}, "metadata": {}}),
    );
    assert_eq!(nb.cell(&id).unwrap().outputs.len(), 1);
    assert!(!nb.cell(&id).unwrap().clear_pending);
}

#[test]
fn input_request_is_a_prompt_answered_once_and_passwords_are_masked() {
    let (mut nb, id) = running("input('name? ')");
    assert!(!nb.answer_input(&id, "x"), "no prompt yet");
    nb.kernel_message(
        &id,
        "stream",
        &json!({"name": "stdout", "text": "before\n"}),
    );
    nb.kernel_message(
        &id,
        "input_request",
        &json!({"prompt": "Password: ", "password": true}),
    );
    let prompt = nb.cell(&id).unwrap().input.clone().unwrap();
    assert_eq!(
        (prompt.prompt.as_str(), prompt.password),
        ("Password: ", true)
    );
    assert_eq!(prompt.position, 1, "after the output that came first");
    assert!(nb.answer_input(&id, "s3cr"));
    assert!(!nb.answer_input(&id, "again"), "answered already");
    let prompt = nb.cell(&id).unwrap().input.clone().unwrap();
    assert_eq!(prompt.shown_answer().as_deref(), Some("····"));
    // Output after the prompt is not merged with the output before it.
    nb.kernel_message(&id, "stream", &json!({"name": "stdout", "text": "after\n"}));
    assert_eq!(
        kinds(&nb, &id),
        vec![stream("stdout", "before\n"), stream("stdout", "after\n")]
    );
    // Running again forgets the prompt.
    nb.apply(Command::Run(RunMode::InPlace));
    assert!(nb.cell(&id).unwrap().input.is_none());
}

#[test]
fn outputs_are_bounded_and_say_how_much_went() {
    let (mut nb, id) = running("flood");
    for i in 0..MAX_OUTPUTS_PER_CELL + 3 {
        // Alternating names, so nothing merges.
        let name = if i % 2 == 0 { "stdout" } else { "stderr" };
        nb.kernel_message(&id, "stream", &json!({"name": name, "text": "x\n"}));
    }
    let cell = nb.cell(&id).unwrap();
    assert_eq!(cell.outputs.len(), MAX_OUTPUTS_PER_CELL);
    assert_eq!(cell.outputs_dropped, 3);

    let (mut nb, id) = running("flood");
    let line = "0123456789abcdef\n";
    let lines = MAX_STREAM_BYTES / line.len() + 100;
    for _ in 0..lines {
        nb.kernel_message(&id, "stream", &json!({"name": "stdout", "text": line}));
    }
    let cell = nb.cell(&id).unwrap();
    let IpynbOutputKind::Stream { text, .. } = cell.outputs[0].to_ipynb().kind else {
        panic!("a stream");
    };
    assert!(text.len() <= MAX_STREAM_BYTES);
    assert!(text.starts_with(line), "cut at a line start");
    assert_eq!(
        text.len() as u64 + cell.stream_bytes_dropped,
        (lines * line.len()) as u64,
        "every byte is either shown or counted"
    );
}

#[test]
fn a_stopped_kernel_ends_unfinished_runs_and_drops_unanswered_prompts() {
    let (mut nb, id) = running("input()");
    nb.kernel_message(
        &id,
        "input_request",
        &json!({"prompt": "", "password": false}),
    );
    nb.kernel_stopped("the kernel died (exit status 1)");
    let cell = nb.cell(&id).unwrap();
    assert_eq!(cell.state, RunState::Idle);
    assert!(cell.input.is_none());
    assert!(cell
        .error
        .as_deref()
        .unwrap()
        .contains("the kernel died (exit status 1)"));
    assert_eq!(cell.prompt(), "[ ]");
}

#[test]
fn messages_for_gone_or_non_code_cells_are_not_applied() {
    let (mut nb, id) = running("x");
    assert!(!nb.kernel_message("nope", "stream", &json!({"name": "stdout", "text": "a"})));
    assert!(!nb.kernel_message(&id, "status", &json!({"execution_state": "busy"})));
    nb.apply(Command::SetKind(CellKind::Markdown));
    assert!(!nb.kernel_message(&id, "stream", &json!({"name": "stdout", "text": "a"})));
}
