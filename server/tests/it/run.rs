//! `wirebook run NOTEBOOK`: the built binary runs a notebook's cells against a WebSocket kernel
//! (this server's `/echo`) and against ipykernel, checks their expectations, and says so in its
//! lines, its exit status, the notebook it writes (valid for Jupyter's nbformat), its JUnit
//! report and its capture.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};
use wirebook_shared::CaptureRecord;

use crate::jupyter::ipykernel_spec;
use crate::peers::run_peer;
use crate::support::{within, TempDir, TestServer};

fn notebook(dir: &Path, name: &str, metadata: Value, cells: &[(&str, Value, &str)]) -> String {
    let cells: Vec<Value> = cells
        .iter()
        .map(|(id, wirebook, source)| {
            json!({"cell_type": "code", "id": id, "metadata": {"wirebook": wirebook},
                   "source": source, "outputs": [], "execution_count": null})
        })
        .collect();
    let document = json!({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata,
                          "cells": cells});
    let path = dir.join(name);
    std::fs::write(&path, document.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

async fn wirebook_run(args: &[&str], dir: &Path) -> (Output, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wirebook"));
    command
        .arg("run")
        .args(args)
        .env("JUPYTER_RUNTIME_DIR", dir.join("runtime"))
        .kill_on_drop(true);
    let output = within(command.output()).await.expect("wirebook run starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

#[tokio::test]
async fn a_websocket_notebook_runs_its_cells_and_checks_their_expectations() {
    let server = TestServer::with_defaults().await;
    let dir = TempDir::new("run-ws");
    let url = format!("ws://{}/echo", server.addr);
    let path = notebook(
        &dir.0,
        "api.ipynb",
        json!({"wirebook": {"kernel": {"kind": "websocket", "url": url}}}),
        &[
            (
                "hello",
                json!({"expect": [{"text": "^hello {{user}}$"}, {"count": 1}]}),
                "hello {{user}}",
            ),
            (
                "sub",
                json!({"format": "json", "expect": {"json": {"type": "subscribe"}}}),
                r#"{"type": "subscribe", "id": 1}"#,
            ),
            ("plain", json!({}), "no expectation"),
            ("wrong", json!({"expect": [{"text": "pong"}]}), "ping"),
        ],
    );
    let out = dir.0.join("out.ipynb");
    let junit = dir.0.join("junit.xml");
    let capture = dir.0.join("run.jsonl");
    let (output, stdout) = wirebook_run(
        &[
            &path,
            "-p",
            "user",
            "ada",
            "--timeout",
            "2",
            "--output",
            out.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--capture",
            capture.to_str().unwrap(),
        ],
        &dir.0,
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("running "), "{stdout}");
    assert!(
        lines[1].starts_with("cell 1 (hello) ... ok (1 reply, 2 expectations held"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("cell 2 (sub) ... ok (1 reply, 1 expectation held"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("cell 3 (plain) ... ok (1 reply"),
        "{stdout}"
    );
    assert_eq!(
        lines[4],
        "cell 4 (wrong) ... FAILED: expected text ~ \"pong\" within 2 s"
    );
    assert_eq!(
        lines[5],
        "    expected text ~ \"pong\", saw 1 reply, \"ping\""
    );
    assert_eq!(*lines.last().unwrap(), "3 passed, 1 failed");

    // The notebook written has the replies as outputs and is valid for Jupyter.
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        written["cells"][0]["source"],
        json!(["hello {{user}}"]),
        "parameters are not saved"
    );
    assert_eq!(
        written["cells"][0]["outputs"][0]["data"]["text/plain"],
        json!(["hello ada"])
    );
    assert_eq!(written["cells"][3]["execution_count"], 4);
    run_peer("validate_ipynb.py", [&out]).await;

    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(report.contains(r#"tests="4" failures="1""#), "{report}");
    assert!(report.contains(r#"<failure message="expected text ~ &quot;pong&quot; within 2 s">"#));

    // The capture has the kernel connection's frames: four sent, four echoed, and the close.
    let records: Vec<CaptureRecord> = std::fs::read_to_string(&capture)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let texts: Vec<&str> = records
        .iter()
        .filter_map(|r| match &r.body {
            wirebook_shared::CaptureBody::Frame(f) => {
                f.message.as_ref().map(|m| m.preview.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(
        texts.starts_with(&[
            "hello ada",
            "hello ada",
            r#"{"type": "subscribe", "id": 1}"#
        ]),
        "{texts:?}"
    );

    // All expectations held, no parameter missing: exit status 0. A missing one fails its cell.
    let passing = notebook(
        &dir.0,
        "ok.ipynb",
        json!({}),
        &[("a", json!({"expect": {"count": 1}}), "x")],
    );
    let (output, stdout) = wirebook_run(&[&passing, "--kernel", &url], &dir.0).await;
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with("1 passed, 0 failed\n"), "{stdout}");
    let (output, stdout) = wirebook_run(&[&path, "--timeout", "1"], &dir.0).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout.contains(
            "cell 1 (hello) ... FAILED: {{user}} has no value: give one with -p user VALUE"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn an_echo_notebook_runs_against_an_echo_the_run_serves() {
    let dir = TempDir::new("run-echo");
    let echo = notebook(
        &dir.0,
        "echo.ipynb",
        json!({"wirebook": {"kernel": {"kind": "echo"}}}),
        &[("a", json!({"expect": {"text": "^hai$"}}), "hai")],
    );
    let (output, stdout) = wirebook_run(&[&echo], &dir.0).await;
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("on the WebSocket kernel ws://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 0 failed\n"), "{stdout}");
}

#[tokio::test]
async fn a_run_that_cannot_start_says_why_with_status_2() {
    let dir = TempDir::new("run-bad");
    let (output, _) = wirebook_run(&["/nonexistent/x.ipynb"], &dir.0).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/x.ipynb"));
    let nothing = notebook(&dir.0, "none.ipynb", json!({}), &[("a", json!({}), "x")]);
    let (output, _) = wirebook_run(&[&nothing], &dir.0).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the notebook names no kernel"));
    let bad = notebook(
        &dir.0,
        "bad.ipynb",
        json!({}),
        &[("a", json!({"expect": [{"txt": "x"}]}), "x")],
    );
    let (output, stdout) = wirebook_run(&[&bad, "--kernel", "ws://127.0.0.1:9/"], &dir.0).await;
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("cell 1 (a) ... FAILED: wirebook.expect[0]: unknown expectation \"txt\""),
        "{stdout}"
    );
}

#[tokio::test]
async fn an_ipykernel_notebook_runs_with_status_and_text_expectations() {
    let dir = TempDir::new("run-py");
    ipykernel_spec(&dir.0.join("specs"), "wbpy", json!({}));
    let path = notebook(
        &dir.0,
        "py.ipynb",
        json!({"kernelspec": {"name": "wbpy", "display_name": "Python"}}),
        &[
            (
                "sum",
                json!({"expect": [{"text": "^3$"}, {"status": "ok"}]}),
                "1 + 2",
            ),
            (
                "print",
                json!({"expect": {"text": "hi there"}}),
                "print('hi {{who}}')",
            ),
            ("raise", json!({"expect": {"status": "error"}}), "1/0"),
        ],
    );
    let specs = dir.0.join("specs");
    let out = dir.0.join("out.ipynb");
    let (output, stdout) = wirebook_run(
        &[
            &path,
            "--jupyter-path",
            specs.to_str().unwrap(),
            "-p",
            "who",
            "there",
            "--output",
            out.to_str().unwrap(),
        ],
        &dir.0,
    )
    .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.ends_with("3 passed, 0 failed\n"), "{stdout}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        written["cells"][2]["outputs"][0]["ename"],
        "ZeroDivisionError"
    );
    run_peer("validate_ipynb.py", [&out]).await;

    // An error nobody expected fails the cell, with the traceback's text.
    let failing = notebook(
        &dir.0,
        "fail.ipynb",
        json!({"kernelspec": {"name": "wbpy", "display_name": "Python"}}),
        &[("oops", json!({}), "undefined_name")],
    );
    let (output, stdout) = wirebook_run(
        &[&failing, "--jupyter-path", specs.to_str().unwrap()],
        &dir.0,
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("cell 1 (oops) ... FAILED: the cell raised an error"),
        "{stdout}"
    );
    assert!(
        stdout.contains("NameError: name 'undefined_name' is not defined"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "escapes stripped: {stdout}");
}

/// Runs each raw-frame template as a notebook of one `frame` cell against `url`, in process;
/// the cell expects the close RFC 6455 asks for (a valid template, its message echoed).
async fn templates_against(url: &str, subprotocols: &[&str], dir: &Path) {
    use wirebook_server::config::Config;
    use wirebook_server::run::{run, RunOptions};
    use wirebook_shared::raw_frame::TEMPLATES;
    let mut config = Config::new(crate::support::TOKEN);
    config.kernel.url = Some(url.to_string());
    config.kernel.subprotocols = subprotocols.iter().map(|s| s.to_string()).collect();
    let mut failures = Vec::new();
    for (i, template) in TEMPLATES.iter().enumerate() {
        let expect = match template.expected_close {
            0 => json!([{"text": "^fragmented$"}]),
            code => json!([{"close": code}]),
        };
        let path = notebook(
            dir,
            &format!("t{i}.ipynb"),
            json!({}),
            &[(
                "f",
                json!({"format": {"kind": "frame"}, "expect": expect}),
                template.source,
            )],
        );
        let options = RunOptions {
            notebook: path.into(),
            output: None,
            timeout: std::time::Duration::from_secs(5),
            capture: None,
            parameters: Default::default(),
            junit: None,
            quiet: std::time::Duration::from_millis(100),
            compare: false,
            ignore: Vec::new(),
        };
        let mut out = Vec::new();
        let report = within(run(&config, &options, &mut out)).await.unwrap();
        if !report.all_passed() {
            failures.push(format!(
                "{}:\n{}",
                template.name,
                String::from_utf8_lossy(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn each_broken_frame_gets_the_close_rfc_6455_asks_for_from_echo() {
    let server = TestServer::with_defaults().await;
    let dir = TempDir::new("run-frames");
    templates_against(&format!("ws://{}/echo", server.addr), &[], &dir.0).await;
}

#[tokio::test]
async fn each_broken_frame_gets_the_close_rfc_6455_asks_for_from_python_websockets() {
    let (_peer, port) = crate::peers::python_server("upstream_server.py", &[]).await;
    let dir = TempDir::new("run-frames-py");
    // It answers only a client that offers one of its subprotocols.
    templates_against(&format!("ws://127.0.0.1:{port}/"), &["chat"], &dir.0).await;
}

#[tokio::test]
async fn compare_fails_a_cell_whose_replies_differ_from_the_saved_ones() {
    let server = TestServer::with_defaults().await;
    let dir = TempDir::new("run-compare");
    let url = format!("ws://{}/echo", server.addr);
    // Yesterday's session, as an earlier --output saved it: the echo then said price 3.
    let saved = |text: &str| {
        json!([{"output_type": "display_data", "data": {"text/plain": text},
                "metadata": {"wirebook": {"message": "text"}}}])
    };
    let document = json!({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"wirebook": {"kernel": {"kind": "websocket", "url": url}, "ignore": ["ts"]}},
        "cells": [
            {"cell_type": "code", "id": "same", "metadata": {}, "execution_count": 1,
             "source": "hello", "outputs": saved("hello")},
            {"cell_type": "code", "id": "quote", "metadata": {}, "execution_count": 2,
             "source": r#"{"type":"quote","price":4,"ts":200}"#,
             "outputs": saved(r#"{"type":"quote","price":3,"ts":100}"#)},
            {"cell_type": "code", "id": "fresh", "metadata": {}, "execution_count": null,
             "source": "new", "outputs": []},
        ]
    });
    let path = dir.0.join("session.ipynb");
    std::fs::write(&path, document.to_string()).unwrap();
    let (output, stdout) = wirebook_run(&[path.to_str().unwrap(), "--compare"], &dir.0).await;
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("cell 1 (same) ... ok (1 reply, as saved"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "cell 2 (quote) ... FAILED: the replies differ from the saved ones (1 difference)\n    reply 1 $.price: 3 → 4\n"
        ),
        "the ts differs too, but the notebook ignores it: {stdout}"
    );
    assert!(
        stdout.contains("cell 3 (fresh) ... ok (1 reply, no saved replies to compare"),
        "{stdout}"
    );
    // Ignoring the price as well, today answers as yesterday did.
    let (output, stdout) = wirebook_run(
        &[path.to_str().unwrap(), "--compare", "--ignore", "$.price"],
        &dir.0,
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{stdout}");
}

#[tokio::test]
async fn a_request_waits_for_the_reply_with_its_id_and_a_replay_for_its_recorded_count() {
    // The peer says "accepted" at once and answers a request `delay_ms` later: a quiet time
    // (250 ms) would end the cell early and its answer would land in the next cell.
    let (_peer, port) = crate::peers::python_server("upstream_server.py", &[]).await;
    let dir = TempDir::new("run-reply-wait");
    let url = format!("ws://127.0.0.1:{port}/");
    let output = |text: &str| {
        json!({"output_type": "display_data", "data": {"text/plain": text},
               "metadata": {"wirebook": {"message": "text"}}})
    };
    let code = |id: &str, metadata: Value, source: &str, outputs: Value| {
        json!({"cell_type": "code", "id": id, "metadata": metadata, "execution_count": null,
               "source": source, "outputs": outputs})
    };
    let document = json!({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"wirebook": {"kernel": {"kind": "websocket", "url": url}}},
        "cells": [
            // Recorded with two replies (the peer's greeting and the echo): waits for both.
            code("hello", json!({}), "hi", json!([output("{}"), output("hi")])),
            code("one", json!({}), r#"{"id": 1, "delay_ms": 600}"#, json!([])),
            code("two", json!({"wirebook": {"reply_id": "ref"}}),
                 r#"{"id": 2, "ref": "r2", "delay_ms": 600}"#, json!([])),
            // An array is no id: the recording's count rules.
            code("replayed", json!({}), r#"{"id": [3], "delay_ms": 300}"#,
                 json!([output("accepted"), output("done")])),
            code("lost", json!({}), r#"{"id": 9, "delay_ms": 4000}"#, json!([])),
        ]
    });
    let path = dir.0.join("late.ipynb");
    std::fs::write(&path, document.to_string()).unwrap();
    let out = dir.0.join("out.ipynb");
    let (status, stdout) = wirebook_run(
        &[
            path.to_str().unwrap(),
            "--kernel",
            &url,
            "--kernel-subprotocol",
            "chat",
            "--timeout",
            "2",
            "--output",
            out.to_str().unwrap(),
        ],
        &dir.0,
    )
    .await;
    assert_eq!(status.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("4 passed, 1 failed"), "{stdout}");
    assert!(
        stdout.contains("cell 5 (lost) ... FAILED: no reply with id 9 within 2 s"),
        "{stdout}"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let replies = |index: usize| -> Vec<Value> {
        written["cells"][index]["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| match &o["data"]["text/plain"] {
                // nbformat keeps multiline text as a list of lines.
                Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
                text => text.as_str().unwrap_or_default().to_string(),
            })
            .map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
            .collect()
    };
    assert_eq!(replies(0).len(), 2, "{written}");
    assert_eq!(replies(0)[1], "hi");
    let accepted = json!({"event": "accepted"});
    assert_eq!(
        replies(1),
        [
            accepted.clone(),
            json!({"id": 1, "ref": null, "result": "done"})
        ]
    );
    assert_eq!(
        replies(2),
        [
            accepted.clone(),
            json!({"id": 2, "ref": "r2", "result": "done"})
        ]
    );
    assert_eq!(
        replies(3),
        [
            accepted.clone(),
            json!({"id": [3], "ref": null, "result": "done"})
        ]
    );
    assert_eq!(replies(4), [accepted], "{stdout}");
}
