//! Tests of reading, writing and checking `.ipynb` documents.

use std::collections::HashSet;

use base64::Engine as _;
use serde_json::json;

use super::*;
use crate::session::WireData;

fn minimal(cells: Value) -> Value {
    json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
}

fn parse(value: Value) -> Result<IpynbNotebook, IpynbError> {
    IpynbNotebook::from_value(value)
}

fn parse_err(value: Value) -> String {
    parse(value).unwrap_err().to_string()
}

#[test]
fn split_lines_matches_python_splitlines_keepends() {
    // Expected values from Python: [repr(s.splitlines(True)) for s in ...].
    assert_eq!(split_lines(""), Vec::<&str>::new());
    assert_eq!(split_lines("a"), vec!["a"]);
    assert_eq!(split_lines("a\n"), vec!["a\n"]);
    assert_eq!(split_lines("a\n\nb"), vec!["a\n", "\n", "b"]);
    assert_eq!(split_lines("a\r\nb\rc"), vec!["a\r\n", "b\r", "c"]);
    assert_eq!(split_lines("\r\r\n"), vec!["\r", "\r\n"]);
    assert_eq!(
        split_lines("a\x0bb\x0cc\x1cd\u{85}e\u{2028}f\u{2029}"),
        vec![
            "a\x0b",
            "b\x0c",
            "c\x1c",
            "d\u{85}",
            "e\u{2028}",
            "f\u{2029}"
        ]
    );
    assert_eq!(split_lines("tab\tstays"), vec!["tab\tstays"]);
}

#[test]
fn sources_may_be_strings_or_lists_and_are_written_as_lines() {
    let nb = parse(minimal(json!([
        {"cell_type": "code", "id": "a", "metadata": {}, "source": "x = 1\ny = 2",
         "outputs": [], "execution_count": null},
        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": ["# T\n", "text"]},
    ])))
    .unwrap();
    assert_eq!(nb.cells[0].source, "x = 1\ny = 2");
    assert_eq!(nb.cells[1].source, "# T\ntext");
    let written = nb.to_value();
    assert_eq!(written["cells"][0]["source"], json!(["x = 1\n", "y = 2"]));
    assert_eq!(written["cells"][1]["source"], json!(["# T\n", "text"]));
    assert!(written["cells"][1].get("attachments").is_none());
}

#[test]
fn unknown_parts_survive_and_are_reported() {
    let original = json!({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"ext": {"deep": [1, {"x": null}]}, "kernelspec":
            {"name": "k", "display_name": "K", "language": "rust"}},
        "cells": [{
            "cell_type": "code", "id": "c1", "metadata": {"mine": true},
            "source": [], "execution_count": 3, "future_cell_field": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["a"],
                         "future_output_field": {"y": 2}}],
        }],
        "future_top": "kept",
    });
    let nb = parse(original.clone()).unwrap();
    assert_eq!(nb.to_value(), original);
    let problems: Vec<String> = nb.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        vec![
            "nbformat 4.5 does not allow a field \"future_top\" in a notebook",
            "cells[0]: nbformat 4.5 does not allow a field \"future_cell_field\" in a code cell",
            "cells[0].outputs[0]: nbformat 4.5 does not allow a field \"future_output_field\" in a stream output",
        ]
    );
}

#[test]
fn mime_bundles_join_text_and_keep_json() {
    let nb = parse(minimal(json!([{
        "cell_type": "code", "id": "c", "metadata": {}, "source": "", "execution_count": 1,
        "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": ["a\n", "b"], "image/png": ["iVBO", "Rw=="],
                     "application/json": ["stays", "a", "list"],
                     "application/x.y+json": {"k": 1}}}],
    }])))
    .unwrap();
    let IpynbCellKind::Code { outputs, .. } = &nb.cells[0].kind else {
        panic!("a code cell")
    };
    let IpynbOutputKind::ExecuteResult { data, .. } = &outputs[0].kind else {
        panic!("an execute_result")
    };
    assert_eq!(data["text/plain"], MimeData::Text("a\nb".into()));
    assert_eq!(data["image/png"], MimeData::Text("iVBORw==".into()));
    assert_eq!(
        data["application/json"],
        MimeData::Json(json!(["stays", "a", "list"]))
    );
    let written = &nb.to_value()["cells"][0]["outputs"][0]["data"];
    // Like nbformat: text/* as lines, base64 as one string, JSON untouched.
    assert_eq!(written["text/plain"], json!(["a\n", "b"]));
    assert_eq!(written["image/png"], json!("iVBORw=="));
    assert_eq!(written["application/json"], json!(["stays", "a", "list"]));
    assert_eq!(written["application/x.y+json"], json!({"k": 1}));
}

#[test]
fn old_minor_versions_are_upgraded_with_stable_unique_ids() {
    let old = json!({"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "same"},
        {"cell_type": "markdown", "metadata": {}, "source": "same"},
        {"cell_type": "raw", "metadata": {}, "source": ""},
    ]});
    let nb = parse(old.clone()).unwrap();
    assert_eq!(nb.upgraded_from, Some(2));
    assert_eq!(nb.nbformat_minor, 5);
    let ids: Vec<&str> = nb.cells.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.iter().all(|id| is_valid_cell_id(id) && id.len() == 8));
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 3);
    assert_eq!(parse(old).unwrap(), nb, "the same file gets the same ids");
    assert!(nb.problems().is_empty());
    assert_eq!(nb.to_value()["nbformat_minor"], json!(5));
}

#[test]
fn repeated_ids_are_repaired_and_the_first_keeps_its_id() {
    let nb = parse(minimal(json!([
        {"cell_type": "raw", "id": "x", "metadata": {}, "source": "1"},
        {"cell_type": "raw", "id": "x", "metadata": {}, "source": "2"},
    ])))
    .unwrap();
    assert_eq!(nb.cells[0].id, "x");
    assert_ne!(nb.cells[1].id, "x");
    assert!(nb.problems().is_empty());
}

#[test]
fn cell_ids_are_checked() {
    assert!(is_valid_cell_id("a-Z_9"));
    assert!(!is_valid_cell_id(""));
    assert!(!is_valid_cell_id("a b"));
    assert!(!is_valid_cell_id("é"));
    assert!(is_valid_cell_id(&"a".repeat(64)));
    assert!(!is_valid_cell_id(&"a".repeat(65)));
    let message = parse_err(minimal(json!([
        {"cell_type": "raw", "id": "no spaces", "metadata": {}, "source": ""}
    ])));
    assert!(message.starts_with("cells[0].id: \"no spaces\" is not a valid cell id"));
    let mut nb = IpynbNotebook::new();
    nb.cells.push(IpynbCell::new(
        "ok",
        IpynbCellKind::Raw { attachments: None },
        "",
    ));
    nb.cells.push(IpynbCell::new(
        "ok",
        IpynbCellKind::Raw { attachments: None },
        "",
    ));
    nb.cells.push(IpynbCell::new(
        "not ok",
        IpynbCellKind::Raw { attachments: None },
        "",
    ));
    let problems: Vec<String> = nb.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("cells[1].id: \"ok\" is the id of an earlier cell"));
    assert!(problems[1].starts_with("cells[2].id: \"not ok\" is not a valid"));
}

#[test]
fn errors_say_where() {
    assert_eq!(
        parse_err(json!([])),
        "a notebook must be an object, not a list"
    );
    assert!(IpynbNotebook::parse("{\"nbformat\": 4,")
        .unwrap_err()
        .to_string()
        .starts_with("not JSON: "));
    assert_eq!(
        parse_err(json!({"nbformat": 4, "metadata": {}, "cells": []})),
        "missing field \"nbformat_minor\""
    );
    assert!(
        parse_err(json!({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": []}))
            .starts_with("nbformat: this is an nbformat 3 notebook")
    );
    assert_eq!(
        parse_err(json!({"nbformat": 4, "nbformat_minor": 6, "metadata": {}, "cells": []})),
        "nbformat_minor: nbformat 4.6 is newer than wirebook understands (4.0 to 4.5)"
    );
    assert_eq!(
        parse_err(minimal(
            json!([{"cell_type": "code", "id": "a", "metadata": {},
            "source": ["ok", 3], "outputs": [], "execution_count": null}])
        )),
        "cells[0].source[1]: must be a string, not a number"
    );
    assert_eq!(
        parse_err(minimal(
            json!([{"cell_type": "code", "id": "a", "metadata": {},
            "source": "", "outputs": [], "execution_count": -1}])
        )),
        "cells[0].execution_count: must be null or an integer from 0 to 4294967295, not -1"
    );
    assert_eq!(
        parse_err(minimal(
            json!([{"cell_type": "code", "id": "a", "metadata": {},
            "source": "", "execution_count": null}])
        )),
        "cells[0]: missing field \"outputs\""
    );
    assert_eq!(
        parse_err(minimal(json!([{"cell_type": "code", "id": "a", "metadata": {},
            "source": "", "execution_count": null, "outputs": [
                {"output_type": "display_data", "metadata": {},
                 "data": {"image/png": {"not": "text"}}}]}]))),
        "cells[0].outputs[0].data[\"image/png\"]: must be a string or a list of strings, not an object"
    );
    assert_eq!(
        parse_err(minimal(
            json!([{"cell_type": "code", "id": "a", "metadata": {},
            "source": "", "execution_count": null, "outputs": [
                {"output_type": "error", "ename": "E", "evalue": "v"}]}])
        )),
        "cells[0].outputs[0]: missing field \"traceback\""
    );
    assert!(parse_err(minimal(
        json!([{"cell_type": "code", "id": "a", "metadata": {},
        "source": "", "execution_count": null, "outputs": [{"output_type": "clear"}]}])
    ))
    .starts_with("cells[0].outputs[0].output_type: unknown output type \"clear\""));
    assert!(parse_err(minimal(
        json!([{"cell_type": "heading", "metadata": {}, "source": ""}])
    ))
    .starts_with("cells[0].cell_type: unknown cell type \"heading\""));
    assert_eq!(
        parse_err(json!({"nbformat": 4, "nbformat_minor": 5, "cells": [],
            "metadata": {"kernelspec": {"name": "python3"}}})),
        "metadata.kernelspec: missing field \"display_name\""
    );
    assert_eq!(
        parse_err(minimal(json!([{"cell_type": "markdown", "id": "a", "metadata": {},
            "source": "", "attachments": {"a.png": {"image/png": 5}}}]))),
        "cells[0].attachments[\"a.png\"][\"image/png\"]: must be a string or a list of strings, not a number"
    );
}

#[test]
fn metadata_problems_are_found() {
    let nb = parse(json!({"nbformat": 4, "nbformat_minor": 5,
        "metadata": {"language_info": {"mimetype": 1}, "title": 2,
            "wirebook": {"kernel": {"kind": "websocket", "url": "ws://u:p@h/"}}},
        "cells": [{"cell_type": "code", "id": "a", "source": "", "outputs": [],
            "execution_count": null, "metadata": {"tags": ["a", "a", "b,c"],
            "scrolled": "sometimes", "collapsed": 1, "execution": {"t": 1}, "name": ""}}]}))
    .unwrap();
    let problems: Vec<String> = nb.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        vec![
            "metadata.language_info: needs a string \"name\"",
            "metadata.language_info.mimetype: must be a string",
            "metadata.title: must be a string",
            "metadata.wirebook.kernel.url: the URL has credentials (user:password@): notebooks get shared, so keep secrets out of them",
            "cells[0].metadata.tags[1]: the tag \"a\" is repeated",
            "cells[0].metadata.tags[2]: a tag must be non-empty and have no comma",
            "cells[0].metadata.name: must be a non-empty string",
            "cells[0].metadata.collapsed: must be true or false",
            "cells[0].metadata.scrolled: must be true, false or \"auto\"",
            "cells[0].metadata.execution.t: must be a string",
        ]
    );
}

#[test]
fn secrets_in_kernel_urls_are_spotted() {
    assert_eq!(url_secret("ws://127.0.0.1:8765/"), None);
    assert_eq!(url_secret("wss://example.com/a?x=1#frag"), None);
    assert!(url_secret("ws://user:pw@example.com/").is_some());
    assert!(url_secret("ws://example.com/api?token=abc").is_some());
    assert!(url_secret("ws://example.com/?x=1&API_KEY=abc").is_some());
    assert_eq!(url_secret("ws://example.com/a@b"), None, "@ in the path");
}

#[test]
fn wirebook_settings_are_typed_and_kept() {
    let mut nb = IpynbNotebook::new();
    nb.metadata.wirebook = Some(WirebookMetadata {
        kernel: Some(WirebookKernel::websocket("ws://127.0.0.1:9/")),
        extra: JsonMap::new(),
    });
    let value = nb.to_value();
    assert_eq!(
        value["metadata"]["wirebook"],
        json!({"kernel": {"kind": "websocket", "url": "ws://127.0.0.1:9/"}})
    );
    assert_eq!(parse(value).unwrap(), nb);
    assert!(
        parse_err(json!({"nbformat": 4, "nbformat_minor": 5, "cells": [],
            "metadata": {"wirebook": {"kernel": {"kind": "websocket", "url": 5}}}}))
        .starts_with("metadata.wirebook.kernel.url: must be a string")
    );
}

#[test]
fn wire_messages_round_trip_through_outputs() {
    let text = WireData::Text {
        text: "hai\nthere".into(),
    };
    let binary = WireData::binary(&[0, 255, 16]);
    for data in [&text, &binary] {
        let output = IpynbOutput::from_wire(data);
        assert_eq!(output.wire_data().as_ref(), Some(data));
        // ... also through the file.
        let mut nb = IpynbNotebook::new();
        nb.cells.push(IpynbCell::new(
            "c",
            IpynbCellKind::Code {
                execution_count: Some(1),
                outputs: vec![output],
            },
            "x",
        ));
        let back = IpynbNotebook::parse(&nb.to_json()).unwrap();
        let IpynbCellKind::Code { outputs, .. } = &back.cells[0].kind else {
            panic!("a code cell")
        };
        assert_eq!(outputs[0].wire_data().as_ref(), Some(data));
        assert!(back.problems().is_empty());
    }
    let IpynbOutputKind::DisplayData { data, .. } = IpynbOutput::from_wire(&binary).kind else {
        panic!("display_data")
    };
    assert_eq!(
        data["application/octet-stream"],
        MimeData::Text("AP8Q".into())
    );
    assert_eq!(
        data["text/plain"].as_text().unwrap(),
        "binary message, 3 bytes: 00ff10"
    );
    let plain = IpynbOutput::new(IpynbOutputKind::Stream {
        name: "stdout".into(),
        text: "x".into(),
    });
    assert_eq!(plain.wire_data(), None);
}

#[test]
fn serde_goes_through_the_same_reader_and_writer() {
    let nb: IpynbNotebook = serde_json::from_value(minimal(json!([
        {"cell_type": "raw", "id": "r", "metadata": {}, "source": "a\nb"}
    ])))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&nb).unwrap()["cells"][0]["source"],
        json!(["a\n", "b"])
    );
    let err = serde_json::from_value::<IpynbNotebook>(json!({"nbformat": 4})).unwrap_err();
    assert_eq!(err.to_string(), "missing field \"nbformat_minor\"");
}

#[test]
fn writes_like_jupyter() {
    let mut nb = IpynbNotebook::new();
    nb.cells.push(IpynbCell::new(
        "c",
        IpynbCellKind::Markdown { attachments: None },
        "é\n",
    ));
    assert_eq!(
        nb.to_json(),
        "{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",\n   \"id\": \"c\",\n   \
         \"metadata\": {},\n   \"source\": [\n    \"é\\n\"\n   ]\n  }\n ],\n \"metadata\": {},\n \
         \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n"
    );
}

const OUTPUTS: &str = include_str!("../../fixtures/ipynb/outputs_v4_5.ipynb");
const LEGACY: &str = include_str!("../../fixtures/ipynb/legacy_v4_4.ipynb");
const EMPTY: &str = include_str!("../../fixtures/ipynb/empty_v4_5.ipynb");

#[test]
fn jupyter_written_notebooks_round_trip_byte_for_byte() {
    for (name, text) in [("outputs_v4_5", OUTPUTS), ("empty_v4_5", EMPTY)] {
        let nb = IpynbNotebook::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(nb.upgraded_from, None);
        assert!(nb.problems().is_empty(), "{name}: {:?}", nb.problems());
        let original: Value = serde_json::from_str(text).unwrap();
        assert_eq!(nb.to_value(), original, "{name}: semantic round trip");
        assert_eq!(
            nb.to_json(),
            text,
            "{name}: the same bytes as nbformat wrote"
        );
    }
}

#[test]
fn the_outputs_fixture_reads_as_jupyter_meant_it() {
    let nb = IpynbNotebook::parse(OUTPUTS).unwrap();
    let kernelspec = nb.metadata.kernelspec.as_ref().unwrap();
    assert_eq!(kernelspec.name, "python3");
    assert_eq!(kernelspec.extra["language"], json!("python"));
    assert_eq!(nb.metadata.extra["language_info"]["name"], json!("python"));
    let wirebook = nb.metadata.wirebook.as_ref().unwrap();
    assert_eq!(
        wirebook.kernel.as_ref().unwrap().url.as_deref(),
        Some("ws://127.0.0.1:8765/")
    );
    assert_eq!(wirebook.extra["from_a_future_wirebook"], json!(true));

    let IpynbCellKind::Markdown {
        attachments: Some(attachments),
    } = &nb.cells[0].kind
    else {
        panic!("a markdown cell with an attachment")
    };
    let png = attachments["dot.png"]["image/png"].as_text().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png)
        .unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    assert_eq!(
        nb.cells[1].source,
        "crlf line\r\nbare cr\rform\x0cfeed\u{2028}line separator\nlast"
    );

    let outputs: Vec<&IpynbOutput> = nb
        .cells
        .iter()
        .filter_map(|cell| match &cell.kind {
            IpynbCellKind::Code { outputs, .. } => Some(outputs),
            _ => None,
        })
        .flatten()
        .collect();
    let kinds: Vec<&str> = outputs.iter().map(|o| o.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "stream",
            "stream",
            "execute_result",
            "display_data",
            "display_data",
            "error"
        ]
    );
    assert_eq!(
        outputs[0].kind,
        IpynbOutputKind::Stream {
            name: "stdout".into(),
            text: "hello, wire\ntwo\nlines\nno newline".into()
        }
    );
    let IpynbOutputKind::ExecuteResult {
        execution_count,
        data,
        ..
    } = &outputs[2].kind
    else {
        panic!("execute_result")
    };
    assert_eq!(*execution_count, Some(2));
    assert_eq!(data["text/plain"], MimeData::Text("42".into()));
    let IpynbOutputKind::DisplayData { data, metadata } = &outputs[3].kind else {
        panic!("display_data")
    };
    assert!(data.contains_key("image/png"));
    assert_eq!(metadata["width"], json!(40));
    let IpynbOutputKind::DisplayData { data, .. } = &outputs[4].kind else {
        panic!("display_data")
    };
    assert_eq!(
        data["application/vnd.wirebook.test+json"],
        MimeData::Json(json!(["any", {"json": true}]))
    );
    assert_eq!(
        data["text/x-unknown-to-wirebook"],
        MimeData::Text("kept as is\n".into())
    );
    let IpynbOutputKind::Error {
        ename, traceback, ..
    } = &outputs[5].kind
    else {
        panic!("error")
    };
    assert_eq!(ename, "ZeroDivisionError");
    assert!(traceback.iter().any(|line| line.contains("\x1b[")));
}

#[test]
fn a_jupyter_written_4_4_notebook_is_upgraded_and_otherwise_unchanged() {
    let nb = IpynbNotebook::parse(LEGACY).unwrap();
    assert_eq!(nb.upgraded_from, Some(4));
    assert!(nb.problems().is_empty(), "{:?}", nb.problems());
    let mut written = nb.to_value();
    assert_eq!(written["nbformat_minor"], json!(5));
    // Undo the documented normalisation; what is left must be the file as read.
    written["nbformat_minor"] = json!(4);
    for cell in written["cells"].as_array_mut().unwrap() {
        let id = cell.as_object_mut().unwrap().remove("id").unwrap();
        assert!(is_valid_cell_id(id.as_str().unwrap()));
    }
    assert_eq!(written, serde_json::from_str::<Value>(LEGACY).unwrap());
}

/// Found by fuzzing (tests/fuzz_parsers.rs): serde_json's default float parser read this
/// number one ulp off, so its value changed on every load and save.
#[test]
fn a_float_keeps_its_value_through_load_and_save() {
    let text = r#"{"nbformat": 4, "nbformat_minor": 5, "cells": [],
        "metadata": {"x": [4.504312677760839e-154, 8.780449354099585e-275]}}"#;
    let nb = IpynbNotebook::parse(text).unwrap();
    let bits = |nb: &IpynbNotebook| -> Vec<u64> {
        nb.metadata.extra["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap().to_bits())
            .collect()
    };
    let exact = [4.504312677760839e-154_f64, 8.780449354099585e-275];
    assert_eq!(bits(&nb), exact.map(f64::to_bits));
    let again = IpynbNotebook::parse(&nb.to_json()).unwrap();
    assert_eq!(bits(&again), exact.map(f64::to_bits));
    assert_eq!(again, nb);
}
