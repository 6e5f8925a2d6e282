//! Local Jupyter kernels through `/session`: a real ipykernel from the workspace's venv (or
//! `WIREBOOK_PYTHON`), launched from a kernelspec, its messages relayed and recorded.
//! These fail (not skip) when that python or ipykernel is missing.

use serde_json::{json, Value};
use wirebook_server::config::Config;
use wirebook_server::kernel::jupyter::link::RELAUNCHED;
use wirebook_shared::jupyter::SignatureCheck;
use wirebook_shared::{
    CaptureBody, Channel, ClientMsg, Direction, Hop, KernelChoice, KernelMessage, KernelState,
    ServerMsg,
};

use crate::peers::python;
use crate::session_client::SessionClient;
use crate::support::{within, TempDir, TestServer, TOKEN};

/// The longest a kernel may take to start or a cell to finish (heartbeat records keep the
/// session talking, so the per-message patience alone never runs out).
const LONGEST: std::time::Duration = std::time::Duration::from_secs(40);

/// One kernel message the browser got for a cell.
#[derive(Debug)]
struct Got {
    msg_type: String,
    content: Value,
}

/// What running a cell produced.
#[derive(Debug)]
struct Run {
    messages: Vec<Got>,
    execution_count: u32,
}

impl Run {
    fn of_type(&self, msg_type: &str) -> Vec<&Value> {
        self.messages
            .iter()
            .filter(|m| m.msg_type == msg_type)
            .map(|m| &m.content)
            .collect()
    }

    fn stream(&self, name: &str) -> String {
        self.of_type("stream")
            .into_iter()
            .filter(|c| c["name"] == name)
            .filter_map(|c| c["text"].as_str())
            .collect()
    }
}

struct Notebook {
    server: TestServer,
    client: SessionClient,
    /// Kernelspecs and connection files of this test only.
    dirs: TempDir,
}

/// Writes a kernelspec `name` with `argv` into `root/kernels/`.
fn write_spec(root: &std::path::Path, name: &str, argv: Value, extra: Value) {
    let dir = root.join("kernels").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec =
        json!({"argv": argv, "display_name": format!("Test {name}"), "language": "python"});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    std::fs::write(dir.join("kernel.json"), spec.to_string()).unwrap();
}

/// A spec that runs `script` with `sh -c`, `$0` being `dollar0` and `$1` the connection file.
fn shell_spec(root: &std::path::Path, name: &str, script: &str, dollar0: &std::path::Path) {
    let argv = json!(["sh", "-c", script, dollar0, "{connection_file}"]);
    write_spec(root, name, argv, json!({}));
}

/// An ipykernel spec for the test python.
pub(crate) fn ipykernel_spec(root: &std::path::Path, name: &str, extra: Value) {
    let python = python();
    assert!(
        python.exists(),
        "{} is missing: run `make test` (it creates the venv with ipykernel), or set WIREBOOK_PYTHON",
        python.display()
    );
    write_spec(
        root,
        name,
        json!([
            python,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}"
        ]),
        extra,
    );
}

fn config(dirs: &TempDir, extra_paths: Vec<std::path::PathBuf>) -> Config {
    let mut config = Config::new(TOKEN);
    config.jupyter.extra_paths = extra_paths;
    config.jupyter.runtime_dir = Some(dirs.0.join("runtime"));
    config
}

impl Notebook {
    /// A session on the kernelspec `name`, found under `dirs/specs` first.
    async fn start(dirs: TempDir, name: &str, extra_paths: Vec<std::path::PathBuf>) -> Self {
        let mut paths = vec![dirs.0.join("specs")];
        paths.extend(extra_paths);
        let server = TestServer::start(config(&dirs, paths)).await;
        Notebook::on(server, dirs, name, "").await
    }

    /// A session of `server` whose query adds `key`, switched to the kernelspec `name`.
    async fn on(server: TestServer, dirs: TempDir, name: &str, key: &str) -> Self {
        let (mut client, _hello) = SessionClient::open_at(&server, key).await;
        client.patience = LONGEST;
        client
            .choose(KernelChoice::Jupyter { name: name.into() })
            .await;
        client
            .wait_for(|m| matches!(m, ServerMsg::KernelSelected { .. }))
            .await;
        Notebook {
            server,
            client,
            dirs,
        }
    }

    /// A session on an ipykernel spec written for this test.
    async fn ipykernel(tag: &str) -> Self {
        let dirs = TempDir::new(tag);
        ipykernel_spec(&dirs.0.join("specs"), "wbpy", json!({}));
        let mut notebook = Notebook::start(dirs, "wbpy", Vec::new()).await;
        notebook.wait_open().await;
        notebook
    }

    /// The next state of the kernel.
    /// Reads kernel states until the kernel fails, and returns why; a kernel that opens or
    /// closes instead fails the test.
    async fn failure(&mut self) -> String {
        loop {
            match self.state().await {
                KernelState::Failed { message } => return message,
                KernelState::Connecting | KernelState::Reconnecting { .. } => {}
                other => panic!("expected Failed, got {other:?}"),
            }
        }
    }

    async fn state(&mut self) -> KernelState {
        let next = self
            .client
            .wait_for(|m| matches!(m, ServerMsg::Kernel { .. }));
        match tokio::time::timeout(LONGEST, next)
            .await
            .unwrap_or_else(|_| panic!("no kernel state within {LONGEST:?}"))
        {
            ServerMsg::Kernel { state } => state,
            _ => unreachable!(),
        }
    }

    async fn wait_open(&mut self) {
        loop {
            match self.state().await {
                KernelState::Open { .. } => return,
                KernelState::Connecting => {}
                other => panic!("the kernel did not open: {other:?}"),
            }
        }
    }

    /// Runs `code` in cell `cell` and collects the cell's messages until its reply and idle.
    async fn run(&mut self, cell: &str, code: &str) -> Run {
        self.client.execute(cell, code).await;
        self.collect(cell).await
    }

    async fn collect(&mut self, cell: &str) -> Run {
        // Heartbeat records keep the socket busy: bound the whole wait, not each message.
        tokio::time::timeout(LONGEST, self.collect_all(cell))
            .await
            .unwrap_or_else(|_| panic!("cell {cell} did not finish within {LONGEST:?}"))
    }

    async fn collect_all(&mut self, cell: &str) -> Run {
        let mut messages = Vec::new();
        let mut count = None;
        let mut idle = false;
        while count.is_none() || !idle {
            match self.client.next().await {
                ServerMsg::KernelMessage(KernelMessage {
                    cell_id: Some(id),
                    msg_type,
                    content,
                    ..
                }) if id == cell => {
                    idle |= msg_type == "status" && content["execution_state"] == "idle";
                    messages.push(Got { msg_type, content });
                }
                ServerMsg::Executed {
                    cell_id,
                    execution_count,
                } if cell_id == cell => count = Some(execution_count),
                ServerMsg::Kernel {
                    state: state @ (KernelState::Failed { .. } | KernelState::Closed { .. }),
                } => panic!("the kernel ended while running {cell}: {state:?}"),
                ServerMsg::Error { message, .. } => panic!("error while running {cell}: {message}"),
                _ => {}
            }
        }
        Run {
            messages,
            execution_count: count.unwrap_or_default(),
        }
    }

    /// The pids in the kernel conns' `Open` records, once there are `count` of them.
    async fn kernel_pids(&mut self, count: usize) -> Vec<u32> {
        self.client
            .capture_until(|records| kernel_pids(records).len() >= count)
            .await;
        kernel_pids(&self.client.records)
    }
}

/// The pids the kernel conns' `Open` records name, oldest first; not those of launches that
/// lost a port to another program and were launched again (parallel tests take ports too).
fn kernel_pids(records: &[wirebook_shared::CaptureRecord]) -> Vec<u32> {
    let relaunched: Vec<_> = records
        .iter()
        .filter(|r| {
            matches!(&r.body, CaptureBody::Closed { reason, .. } if reason.ends_with(RELAUNCHED))
        })
        .map(|r| r.conn)
        .collect();
    records
        .iter()
        .filter(|r| r.hop == Hop::Kernel && !relaunched.contains(&r.conn))
        .filter_map(|r| match &r.body {
            CaptureBody::Open { server, .. } => server
                .rsplit_once("(pid ")
                .and_then(|(_, pid)| pid.trim_end_matches(')').parse().ok()),
            _ => None,
        })
        .collect()
}

/// Whether a process is alive (a zombie counts as gone: it has exited).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

async fn gone(pid: u32) {
    within(async {
        while alive(pid) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn the_venvs_python3_spec_prints_computes_and_writes_stderr_all_signed() {
    let dirs = TempDir::new("jupyter-venv");
    let venv_share =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/share/jupyter");
    assert!(
        venv_share.join("kernels/python3/kernel.json").exists(),
        "{} has no python3 kernelspec: run `make test`",
        venv_share.display()
    );
    let mut nb = Notebook::start(dirs, "python3", vec![venv_share]).await;
    nb.wait_open().await;

    let hi = nb.run("c1", "print('hi')").await;
    assert_eq!(hi.stream("stdout"), "hi\n");
    assert_eq!(hi.execution_count, 1);

    let sum = nb.run("c2", "1+1").await;
    let results = sum.of_type("execute_result");
    assert_eq!(results.len(), 1, "{sum:?}");
    assert_eq!(results[0]["data"]["text/plain"], "2");
    assert_eq!(results[0]["execution_count"], 2);
    assert_eq!(sum.execution_count, 2);
    assert!(!sum.of_type("execute_input").is_empty());

    let err = nb
        .run("c3", "import sys; sys.stderr.write('oops\\n')")
        .await;
    assert_eq!(err.stream("stderr"), "oops\n");

    // Every message ipykernel sent verifies against the connection key; what wirebook sent
    // is recorded too, the execute caused by the browser's message.
    nb.client
        .capture_until(|records| {
            records.iter().any(|r| {
                matches!(&r.body, CaptureBody::KernelMessage(m)
                    if m.msg_type == "execute_reply" && m.parent_msg_id.is_some())
            })
        })
        .await;
    let kernel: Vec<_> = nb
        .client
        .records
        .iter()
        .filter_map(|r| match &r.body {
            CaptureBody::KernelMessage(m) => Some(m),
            _ => None,
        })
        .collect();
    let from_kernel: Vec<_> = kernel
        .iter()
        .filter(|m| m.direction == Direction::ToClient)
        .collect();
    assert!(from_kernel.len() > 5, "{kernel:?}");
    for m in &from_kernel {
        assert_eq!(m.parts.signature_check, SignatureCheck::Verified, "{m:?}");
        assert!(m.findings.is_empty(), "{m:?}");
        assert_eq!(m.parts.signature.len(), 64);
    }
    // What wirebook sent holds to the messaging spec as well (each message is checked).
    for m in kernel.iter().filter(|m| m.direction == Direction::ToServer) {
        assert!(m.findings.is_empty(), "{m:?}");
    }
    assert!(from_kernel
        .iter()
        .any(|m| m.channel == Channel::Iopub && m.msg_type == "stream"));
    let execute = kernel
        .iter()
        .find(|m| m.direction == Direction::ToServer && m.msg_type == "execute_request")
        .expect("the execute_request is recorded");
    assert!(execute.caused_by.is_some());
    assert_eq!(execute.channel, Channel::Shell);
    assert!(execute.parts.content.contains("print('hi')"));
}

#[tokio::test]
async fn errors_carry_the_ansi_traceback() {
    let mut nb = Notebook::ipykernel("jupyter-error").await;
    let run = nb.run("c", "1/0").await;
    let errors = run.of_type("error");
    assert_eq!(errors.len(), 1, "{run:?}");
    assert_eq!(errors[0]["ename"], "ZeroDivisionError");
    assert_eq!(errors[0]["evalue"], "division by zero");
    let traceback: String = errors[0]["traceback"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        traceback.contains("\u{1b}["),
        "no ANSI colours: {traceback:?}"
    );
    assert!(traceback.contains("ZeroDivisionError"));
    let reply = run.of_type("execute_reply");
    assert_eq!(reply[0]["status"], "error");
}

#[tokio::test]
async fn input_is_answered_from_the_browser() {
    let mut nb = Notebook::ipykernel("jupyter-input").await;
    // No pending request: a clear refusal.
    nb.client
        .send(&ClientMsg::InputReply {
            value: "early".into(),
        })
        .await;
    let (refused, _) = nb.client.error().await;
    assert!(refused.contains("not waiting for input"), "{refused}");

    nb.client
        .execute("c", "name = input('name? '); print('hello', name)")
        .await;
    let request = nb
        .client
        .wait_for(|m| matches!(m, ServerMsg::KernelMessage(KernelMessage { msg_type, .. }) if msg_type == "input_request"))
        .await;
    let ServerMsg::KernelMessage(KernelMessage {
        channel,
        content,
        cell_id,
        ..
    }) = request
    else {
        unreachable!()
    };
    assert_eq!(channel, Channel::Stdin);
    assert_eq!(content["prompt"], "name? ");
    assert_eq!(cell_id.as_deref(), Some("c"));
    nb.client
        .send(&ClientMsg::InputReply {
            value: "Ada".into(),
        })
        .await;
    let run = nb.collect("c").await;
    assert_eq!(run.stream("stdout"), "hello Ada\n");
}

#[tokio::test]
async fn an_image_from_bytes_is_display_data_png() {
    let mut nb = Notebook::ipykernel("jupyter-image").await;
    // A 1x1 PNG.
    let code = "import base64\nfrom IPython.display import Image, display\n\
        png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')\n\
        display(Image(data=png))";
    let run = nb.run("c", code).await;
    let displays = run.of_type("display_data");
    assert_eq!(displays.len(), 1, "{run:?}");
    let png = displays[0]["data"]["image/png"].as_str().unwrap();
    assert!(png.starts_with("iVBORw0KGgo"), "{png}");
}

#[tokio::test]
async fn a_long_sleep_is_interrupted() {
    let mut nb = Notebook::ipykernel("jupyter-interrupt").await;
    nb.client.execute("c", "import time; time.sleep(30)").await;
    nb.client
        .wait_for(|m| matches!(m, ServerMsg::KernelMessage(KernelMessage { msg_type, .. }) if msg_type == "execute_input"))
        .await;
    // ipykernel installs its SIGINT handler while running; give the sleep a moment to start.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    nb.client.send(&ClientMsg::InterruptKernel).await;
    let run = nb.collect("c").await;
    let errors = run.of_type("error");
    assert_eq!(errors.len(), 1, "{run:?}");
    assert_eq!(errors[0]["ename"], "KeyboardInterrupt");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // The kernel lives on.
    let after = nb.run("d", "print('still here')").await;
    assert_eq!(after.stream("stdout"), "still here\n");
}

#[tokio::test]
async fn interrupt_mode_message_sends_an_interrupt_request() {
    let dirs = TempDir::new("jupyter-interrupt-message");
    ipykernel_spec(
        &dirs.0.join("specs"),
        "wbmsg",
        json!({"interrupt_mode": "message"}),
    );
    let mut nb = Notebook::start(dirs, "wbmsg", Vec::new()).await;
    nb.wait_open().await;
    nb.client.execute("c", "import time; time.sleep(30)").await;
    nb.client
        .wait_for(|m| matches!(m, ServerMsg::KernelMessage(KernelMessage { msg_type, .. }) if msg_type == "execute_input"))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    nb.client.send(&ClientMsg::InterruptKernel).await;
    let run = nb.collect("c").await;
    assert_eq!(
        run.of_type("error")[0]["ename"],
        "KeyboardInterrupt",
        "{run:?}"
    );
    nb.client
        .capture_until(|records| {
            records.iter().any(|r| {
                matches!(&r.body, CaptureBody::KernelMessage(m)
                    if m.msg_type == "interrupt_request" && m.channel == Channel::Control)
            })
        })
        .await;
}

#[tokio::test]
async fn restart_starts_a_fresh_kernel_and_the_old_process_ends() {
    let mut nb = Notebook::ipykernel("jupyter-restart").await;
    nb.run("a", "x = 41").await;
    let old = nb.kernel_pids(1).await;
    nb.client.send(&ClientMsg::RestartKernel).await;
    nb.wait_open().await;
    let run = nb.run("b", "print(x)").await;
    assert_eq!(run.of_type("error")[0]["ename"], "NameError", "{run:?}");
    assert_eq!(run.execution_count, 1);
    let pids = nb.kernel_pids(2).await;
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert_eq!(pids[0], old[0]);
    gone(old[0]).await;
}

#[tokio::test]
async fn a_kernel_that_dies_is_reported_and_the_next_cell_starts_a_new_one() {
    let mut nb = Notebook::ipykernel("jupyter-died").await;
    nb.client.execute("a", "import os; os._exit(1)").await;
    let failed = nb.failure().await;
    assert!(
        failed.contains("the kernel died (exit status 1)"),
        "{failed}"
    );
    // The kernel conn's Closed record says how it ended, and what it left unanswered.
    nb.client
        .capture_until(|records| {
            records.iter().any(|r| {
                r.hop == Hop::Kernel
                    && matches!(&r.body, CaptureBody::Closed { reason, .. }
                        if reason.contains("exited with status 1"))
            })
        })
        .await;
    let reason = nb
        .client
        .records
        .iter()
        .find_map(|r| match &r.body {
            CaptureBody::Closed { reason, .. }
                if r.hop == Hop::Kernel && reason.contains("exited with status 1") =>
            {
                Some(reason.clone())
            }
            _ => None,
        })
        .unwrap();
    // The cell's request is the last one left (a kernel_info's idle can come before iopub's
    // subscription took, and be listed before it).
    let unanswered = reason
        .split_once("; left unanswered: ")
        .map(|(_, list)| list);
    assert!(
        unanswered
            .and_then(|list| list.rsplit("; ").next())
            .is_some_and(|last| {
                last.starts_with("execute_request ")
                    && last.ends_with("never got its reply and its idle status")
            }),
        "{reason}"
    );
    let run = nb.run("b", "print('again')").await;
    assert_eq!(run.stream("stdout"), "again\n");
}

#[tokio::test]
async fn a_kernel_whose_argv_fails_gives_a_clear_error() {
    let dirs = TempDir::new("jupyter-bad-argv");
    let specs = dirs.0.join("specs");
    write_spec(
        &specs,
        "exits",
        json!([
            python(),
            "-c",
            "import sys; sys.stderr.write('no such module: pretend\\n'); sys.exit(3)",
            "{connection_file}"
        ]),
        json!({}),
    );
    write_spec(
        &specs,
        "missing",
        json!(["/nonexistent/wirebook-kernel", "{connection_file}"]),
        json!({}),
    );
    std::fs::create_dir_all(specs.join("kernels/broken")).unwrap();
    std::fs::write(specs.join("kernels/broken/kernel.json"), "{not json").unwrap();
    let mut nb = Notebook::start(dirs, "exits", Vec::new()).await;
    let message = nb.failure().await;
    assert!(
        message.contains("the kernel exits exited with status 3 before answering kernel_info")
            && message.contains("no such module: pretend"),
        "{message}"
    );
    nb.client
        .choose(KernelChoice::Jupyter {
            name: "missing".into(),
        })
        .await;
    let message = loop {
        if let KernelState::Failed { message } = nb.state().await {
            break message;
        }
    };
    assert!(
        message.contains("\"/nonexistent/wirebook-kernel\" was not found"),
        "{message}"
    );
    nb.client
        .choose(KernelChoice::Jupyter {
            name: "broken".into(),
        })
        .await;
    // A kernel.json that does not parse is reported when kernels are listed, not offered,
    // and choosing it is refused.
    let mut errors = Vec::new();
    loop {
        let (message, _) = nb.client.error().await;
        let done = message.contains("no kernelspec named \"broken\"");
        errors.push(message);
        if done {
            break;
        }
    }
    assert!(
        errors
            .iter()
            .any(|e| e.contains("broken/kernel.json is not valid")),
        "{errors:?}"
    );
    // No connection file is left behind.
    let runtime = nb.dirs.0.join("runtime");
    let left: Vec<_> = std::fs::read_dir(&runtime)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn the_composer_sends_any_message_and_heartbeats_are_recorded() {
    let mut nb = Notebook::ipykernel("jupyter-composer").await;
    nb.client
        .send(&ClientMsg::SendKernelMessage {
            channel: Channel::Shell,
            msg_type: "complete_request".into(),
            content: json!({"code": "impo", "cursor_pos": 4}),
        })
        .await;
    let sent = nb
        .client
        .wait_for(|m| matches!(m, ServerMsg::KernelMessageSent { .. }))
        .await;
    let ServerMsg::KernelMessageSent { msg_id, .. } = sent else {
        unreachable!()
    };
    let reply = nb
        .client
        .wait_for(|m| {
            matches!(m, ServerMsg::KernelMessage(KernelMessage { parent_msg_id: Some(p), msg_type, .. })
            if *p == msg_id && msg_type == "complete_reply")
        })
        .await;
    let ServerMsg::KernelMessage(KernelMessage { content, .. }) = reply else {
        unreachable!()
    };
    assert!(
        content["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "import"),
        "{content}"
    );
    // Iopub is listen-only.
    nb.client
        .send(&ClientMsg::SendKernelMessage {
            channel: Channel::Iopub,
            msg_type: "status".into(),
            content: json!({}),
        })
        .await;
    let (refused, _) = nb.client.error().await;
    assert!(refused.contains("cannot send on iopub"), "{refused}");
    nb.client
        .capture_until(|records| {
            records.iter().any(|r| {
                matches!(
                    r.body,
                    CaptureBody::Heartbeat {
                        ok: true,
                        rtt_us: Some(_)
                    }
                )
            })
        })
        .await;
}

#[tokio::test]
async fn a_message_against_the_spec_is_recorded_with_what_is_wrong() {
    let mut nb = Notebook::ipykernel("jupyter-spec-check").await;
    // `output` must be a boolean; ipykernel takes the string as true and answers anyway.
    nb.client
        .send(&ClientMsg::SendKernelMessage {
            channel: Channel::Shell,
            msg_type: "history_request".into(),
            content: json!({"output": "yes", "raw": true, "hist_access_type": "tail", "n": 1}),
        })
        .await;
    nb.client
        .capture_until(|records| {
            records.iter().any(|r| {
                matches!(&r.body, CaptureBody::KernelMessage(m) if m.msg_type == "history_reply")
            })
        })
        .await;
    let records = &nb.client.records;
    let message = |msg_type: &str| {
        records
            .iter()
            .find_map(|r| match &r.body {
                CaptureBody::KernelMessage(m) if m.msg_type == msg_type => Some(m.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {msg_type} in {records:?}"))
    };
    assert_eq!(
        message("history_request").findings,
        ["history_request's output should be true or false, not \"yes\""]
    );
    // The kernel's answer holds: a reply to the request, with its history.
    assert!(
        message("history_reply").findings.is_empty(),
        "{:?}",
        message("history_reply")
    );
}

/// Sends a shell request as the browser's editor does and returns its reply's content.
async fn shell_reply(nb: &mut Notebook, msg_type: &str, content: Value) -> Value {
    nb.client
        .send(&ClientMsg::SendKernelMessage {
            channel: Channel::Shell,
            msg_type: msg_type.into(),
            content,
        })
        .await;
    let sent = nb
        .client
        .wait_for(|m| matches!(m, ServerMsg::KernelMessageSent { .. }))
        .await;
    let ServerMsg::KernelMessageSent { msg_id, .. } = sent else {
        unreachable!()
    };
    let reply_type = msg_type.replace("_request", "_reply");
    let reply = nb
        .client
        .wait_for(|m| {
            matches!(m, ServerMsg::KernelMessage(KernelMessage { parent_msg_id: Some(p), msg_type, .. })
            if *p == msg_id && *msg_type == reply_type)
        })
        .await;
    let ServerMsg::KernelMessage(KernelMessage { content, .. }) = reply else {
        unreachable!()
    };
    content
}

/// The kernel's answer to Shift+Tab at `cursor_pos` in `code`.
async fn inspect(nb: &mut Notebook, code: &str, cursor_pos: usize) -> Value {
    let request = json!({"code": code, "cursor_pos": cursor_pos, "detail_level": 0});
    shell_reply(nb, "inspect_request", request).await
}

/// What the editor's Tab and Shift+Tab rely on from a real ipykernel: cursor positions in
/// code points (an astral character before the cursor is one, not two as in the browser's
/// UTF-16), the matches' types in `_jupyter_types_experimental`, and an inspection's
/// `text/plain` with ANSI colours.
#[tokio::test]
async fn the_editor_completes_and_inspects_on_a_real_kernel() {
    let mut nb = Notebook::ipykernel("jupyter-editor").await;
    // IPython stops giving types after 400 ms of working them out, which a loaded machine can
    // reach: no limit here.
    let content = shell_reply(
        &mut nb,
        "execute_request",
        json!({
            "code": "get_ipython().Completer.jedi_compute_type_timeout = 60_000",
            "silent": true, "store_history": false, "user_expressions": {},
            "allow_stdin": false, "stop_on_error": true
        }),
    )
    .await;
    assert_eq!(content["status"], "ok", "{content}");
    let code = "s = '\u{1F600}'\nimport o";
    let cursor = code.chars().count();
    assert_eq!(code.encode_utf16().count(), cursor + 1);
    let content = shell_reply(
        &mut nb,
        "complete_request",
        json!({"code": code, "cursor_pos": cursor}),
    )
    .await;
    assert_eq!(content["status"], "ok", "{content}");
    assert_eq!(content["cursor_end"], cursor, "{content}");
    assert_eq!(content["cursor_start"], cursor - 1, "{content}");
    let matches = content["matches"].as_array().expect("matches");
    assert!(matches.iter().any(|m| m == "os"), "{content}");
    let types = content["metadata"]["_jupyter_types_experimental"]
        .as_array()
        .expect("IPython gives the matches' types");
    assert!(
        types
            .iter()
            .any(|t| t["text"] == "os" && t["type"] == "module"),
        "{content}"
    );

    let content = inspect(&mut nb, "print(", 6).await;
    assert_eq!(content["status"], "ok", "{content}");
    assert_eq!(content["found"], true, "{content}");
    let text = content["data"]["text/plain"].as_str().expect("text/plain");
    assert!(text.contains("Signature:"), "{text}");
    assert!(text.contains("print("), "{text}");
    assert!(
        text.contains('\u{1b}'),
        "IPython colours its inspection: {text}"
    );

    // Nothing found: `found` is false and there is nothing to show.
    let content = inspect(&mut nb, "no_such_name_here", 5).await;
    assert_eq!(content["found"], false, "{content}");
}

#[tokio::test]
async fn kernels_end_with_their_session_and_with_the_server() {
    let mut nb = Notebook::ipykernel("jupyter-lifetime").await;
    let first = nb.kernel_pids(1).await[0];
    assert!(alive(first));
    // The session goes away: its kernel is shut down.
    let Notebook {
        server,
        client,
        dirs,
    } = nb;
    drop(client);
    gone(first).await;
    // Another session's kernel ends when the server shuts down.
    let (mut client, _) = SessionClient::open(&server).await;
    client.patience = LONGEST;
    client
        .choose(KernelChoice::Jupyter {
            name: "wbpy".into(),
        })
        .await;
    let mut nb = Notebook {
        server,
        client,
        dirs,
    };
    nb.wait_open().await;
    nb.client
        .capture_until(|records| kernel_pids(records).iter().any(|pid| *pid != first))
        .await;
    let second = *kernel_pids(&nb.client.records).last().unwrap();
    assert!(alive(second));
    nb.server.stop();
    let _ = within(&mut nb.server.handle).await;
    assert!(!alive(second), "the kernel outlived the server");
    let runtime: Vec<_> = std::fs::read_dir(nb.dirs.0.join("runtime"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(runtime.is_empty(), "connection files left: {runtime:?}");
}

/// The built binary with a kernelspec dir, its ipykernel's pid, and the session using it.
async fn binary_with_a_kernel(dirs: &TempDir) -> (std::process::Child, u32, SessionClient) {
    use std::io::BufRead;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    ipykernel_spec(&dirs.0.join("specs"), "wbpy", json!({}));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wirebook"))
        .args(["--bind", "127.0.0.1:0", "--dist"])
        .arg(&dirs.0)
        .arg("--jupyter-path")
        .arg(dirs.0.join("specs"))
        .env("WIREBOOK_TOKEN", TOKEN)
        .env("JUPYTER_RUNTIME_DIR", dirs.0.join("runtime"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        line
    });
    let line = within(line).await.unwrap();
    let url = line
        .trim()
        .strip_prefix("wirebook is running at http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    let addr = url.split('/').next().unwrap();
    let request = format!("ws://{addr}/session?token={TOKEN}")
        .into_client_request()
        .unwrap();
    let mut client = SessionClient {
        socket: crate::support::connect(request).await,
        records: Vec::new(),
        evicted: 0,
        older: 0,
        skipped: 0,
        paused: None,
        patience: LONGEST,
    };
    client
        .choose(KernelChoice::Jupyter {
            name: "wbpy".into(),
        })
        .await;
    // The wbpy kernel's states follow `KernelSelected` (the startup kernel's may come first).
    client
        .wait_for(|m| matches!(m, ServerMsg::KernelSelected { .. }))
        .await;
    loop {
        match client
            .wait_for(|m| matches!(m, ServerMsg::Kernel { .. }))
            .await
        {
            ServerMsg::Kernel {
                state: KernelState::Open { .. },
            } => break,
            ServerMsg::Kernel {
                state: state @ (KernelState::Failed { .. } | KernelState::Closed { .. }),
            } => panic!("the kernel did not open: {state:?}"),
            _ => {}
        }
    }
    client
        .capture_until(|records| !kernel_pids(records).is_empty())
        .await;
    let pid = kernel_pids(&client.records)[0];
    assert!(alive(pid));
    // The caller keeps the session open: only the server's end may end the kernel.
    (child, pid, client)
}

fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[tokio::test]
async fn sigterm_of_the_server_shuts_its_kernels_down() {
    let dirs = TempDir::new("jupyter-sigterm");
    let (mut child, kernel, _session) = binary_with_a_kernel(&dirs).await;
    signal(child.id(), "-TERM");
    let status = within(tokio::task::spawn_blocking(move || child.wait()))
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(!alive(kernel), "the kernel outlived the server");
    let left: Vec<_> = std::fs::read_dir(dirs.0.join("runtime"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "connection files left: {left:?}");
}

#[tokio::test]
async fn a_kernel_exits_by_itself_when_the_server_is_sigkilled() {
    let dirs = TempDir::new("jupyter-sigkill");
    let (mut child, kernel, _session) = binary_with_a_kernel(&dirs).await;
    signal(child.id(), "-KILL");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    // ipykernel sees through JPY_PARENT_PID that its parent is gone (it checks every second).
    gone(kernel).await;
}

#[tokio::test]
async fn a_kernel_that_never_opens_its_ports_times_out_and_is_killed() {
    let dirs = TempDir::new("jupyter-slow");
    write_spec(
        &dirs.0.join("specs"),
        "slow",
        // sh rather than python: python's own start-up under load could take longer than
        // the timeout, and then the message has no "warming up" to show.
        json!([
            "sh",
            "-c",
            "echo warming up; exec sleep 60",
            "sh",
            "{connection_file}"
        ]),
        json!({}),
    );
    let mut config = config(&dirs, vec![dirs.0.join("specs")]);
    config.jupyter.startup_timeout = std::time::Duration::from_millis(1500);
    let server = TestServer::start(config).await;
    let (client, _) = SessionClient::open(&server).await;
    let mut nb = Notebook {
        server,
        client,
        dirs,
    };
    nb.client
        .choose(KernelChoice::Jupyter {
            name: "slow".into(),
        })
        .await;
    // The startup kernel's own states may come first (its host reports while the session
    // lists the kernelspecs): the slow kernel's follow `KernelSelected`.
    nb.client
        .wait_for(|m| matches!(m, ServerMsg::KernelSelected { .. }))
        .await;
    let message = nb.failure().await;
    assert!(
        message.contains("did not open its ports within 1.5s") && message.contains("warming up"),
        "{message}"
    );
    let pid = nb.kernel_pids(1).await[0];
    gone(pid).await;
}

#[tokio::test]
async fn a_kernel_whose_port_was_taken_is_launched_again_on_new_ports() {
    let dirs = TempDir::new("jupyter-port-taken");
    let marker = dirs.0.join("first-launch-done");
    // The first launch fails as ipykernel does when another program took one of the ports
    // before it bound them (ZeroMQ's bind error); the next one is a real kernel.
    let script = format!(
        "if [ ! -e '{m}' ]; then : > '{m}'; echo \"zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:1')\" >&2; exit 1; fi; exec \"$0\" -m ipykernel_launcher -f \"$1\"",
        m = marker.display()
    );
    shell_spec(&dirs.0.join("specs"), "taken", &script, &python());
    let mut nb = Notebook::start(dirs, "taken", Vec::new()).await;
    nb.wait_open().await;
    assert!(marker.exists(), "the first launch did not run");
    // The inspector says why there are two kernel connections.
    nb.client
        .capture_until(|records| {
            records.iter().any(|r| {
                r.hop == Hop::Kernel
                    && matches!(&r.body, CaptureBody::Closed { reason, .. } if reason.ends_with(RELAUNCHED))
            })
        })
        .await;
    assert_eq!(nb.kernel_pids(1).await.len(), 1);
    let run = nb.run("c", "print(6 * 7)").await;
    assert_eq!(run.stream("stdout").trim(), "42");
}

#[tokio::test]
async fn a_kernel_that_fails_otherwise_is_not_launched_again() {
    let dirs = TempDir::new("jupyter-fails");
    let launches = dirs.0.join("launches");
    let script = format!(
        "echo launched >> '{l}'; echo 'ModuleNotFoundError: No module named nope' >&2; exit 1",
        l = launches.display()
    );
    shell_spec(
        &dirs.0.join("specs"),
        "broken",
        &script,
        std::path::Path::new("sh"),
    );
    let mut nb = Notebook::start(dirs, "broken", Vec::new()).await;
    let message = nb.failure().await;
    assert!(message.contains("No module named nope"), "{message}");
    let launched = std::fs::read_to_string(&launches).unwrap();
    assert_eq!(launched.lines().count(), 1, "{launched}");
}

#[tokio::test]
async fn processes_the_kernel_started_end_with_it() {
    let mut nb = Notebook::ipykernel("jupyter-group").await;
    let run = nb
        .run(
            "c",
            "import subprocess; p = subprocess.Popen(['sleep', '300']); print(p.pid)",
        )
        .await;
    let pid: u32 = run.stream("stdout").trim().parse().expect("a pid");
    assert!(alive(pid));
    let kernel = nb.kernel_pids(1).await[0];
    drop(nb.client);
    gone(kernel).await;
    gone(pid).await;
}

/// Kernels that outlive the page: the browser drops (a reload) while a cell runs; the
/// session that comes back on the same notebook finds the same kernel, `x` still set, and the
/// output that arrived meanwhile.
#[tokio::test]
async fn a_notebooks_kernel_outlives_its_page_with_what_it_said_meanwhile() {
    let dirs = TempDir::new("jupyter-kept");
    ipykernel_spec(&dirs.0.join("specs"), "wbpy", json!({}));
    let server = TestServer::start(config(&dirs, vec![dirs.0.join("specs")])).await;
    let key = "&notebook=kept.ipynb";
    let mut nb = Notebook::on(server, dirs, "wbpy", key).await;
    nb.wait_open().await;
    let set = nb.run("c1", "x = 41").await;
    assert_eq!(set.execution_count, 1);
    let pid = nb.kernel_pids(1).await[0];
    nb.client
        .execute("c2", "import time; time.sleep(1); print(x + 1)")
        .await;
    nb.client
        .wait_for(|m| matches!(m, ServerMsg::KernelMessage(k) if k.msg_type == "execute_input"))
        .await;
    within(nb.client.socket.close(None)).await.unwrap();
    // The print lands while no page is open (the cell sleeps 1 s).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let (mut back, hello) = SessionClient::open_at(&nb.server, key).await;
    back.patience = LONGEST;
    let ServerMsg::Hello { kernel, .. } = hello else {
        panic!("{hello:?}")
    };
    // The page learns the kept kernel from the hello: no SetKernel (and no restart) needed.
    assert_eq!(
        kernel.choice,
        KernelChoice::Jupyter {
            name: "wbpy".into()
        }
    );
    nb.client = back;
    let replayed = nb.collect("c2").await;
    assert_eq!(replayed.stream("stdout"), "42\n");
    assert_eq!(replayed.execution_count, 2);
    let next = nb.run("c3", "x + 1").await;
    assert_eq!(
        next.of_type("execute_result")[0]["data"]["text/plain"],
        "42"
    );
    assert_eq!(next.execution_count, 3);
    assert!(alive(pid), "the same kernel process");
    assert_eq!(
        kernel_pids(&nb.client.records),
        [pid],
        "no other kernel started"
    );
}

/// A kept Jupyter kernel without pages is culled after the idle timeout: its process ends.
#[tokio::test]
async fn an_idle_kept_jupyter_kernel_is_culled_and_its_process_ends() {
    let dirs = TempDir::new("jupyter-cull");
    ipykernel_spec(&dirs.0.join("specs"), "wbpy", json!({}));
    let mut config = config(&dirs, vec![dirs.0.join("specs")]);
    config.kept.cull_idle_timeout = std::time::Duration::from_secs(1);
    let server = TestServer::start(config).await;
    let mut nb = Notebook::on(server, dirs, "wbpy", "&tab=cull-me").await;
    nb.wait_open().await;
    nb.run("c1", "1").await;
    let pid = nb.kernel_pids(1).await[0];
    within(nb.client.socket.close(None)).await.unwrap();
    // Kept for the timeout: still there at once.
    assert!(alive(pid));
    gone(pid).await;
}
