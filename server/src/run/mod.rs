//! `wirebook run NOTEBOOK.ipynb`: every code cell in order against the notebook's kernel,
//! without a browser, as `jupyter nbconvert --execute` and papermill do, checking each cell's
//! expectations (`wirebook.expect`, see `wirebook_shared::expect`). One line per cell, a
//! summary `N passed, N failed`; `--output` writes the notebook with its outputs,
//! `--capture` the run's capture (`.har`, `.jsonl`, `.pcapng`), `--junit` a JUnit report.
//!
//! The kernel: `--kernel URL`, else the notebook's `metadata.wirebook.kernel` (a URL, or the
//! echo endpoint, which the run serves itself on loopback), else its `metadata.kernelspec` (a
//! local Jupyter kernel). A kernel link is started as a session
//! starts one ([`crate::kernel`]), and the notebook is the browser's own model
//! (`wirebook_notebook`), fed the kernel's events as the browser feeds it the session's.
//! [`cell_run`] says when a cell's run is over; [`parameters`] fills `-p NAME VALUE`.

pub mod cell_run;
pub mod junit;
pub mod parameters;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use wirebook_notebook::{Command, Effect, Notebook};
use wirebook_shared::expect::{self, Checked, RunStatus};
use wirebook_shared::ipynb::{IpynbNotebook, WirebookKernel};
use wirebook_shared::reply_wait::Awaited;
use wirebook_shared::{KernelChoice, KernelInfo, KernelState};

use crate::capture::export::{pcapng_chunks, Asked, HarChunks, JsonlChunks};
use crate::capture::ring::Capture;
use crate::config::Config;
use crate::kernel::{Execute, KernelEvent, KernelLink};
use crate::shutdown::Shutdown;
use cell_run::{CellRun, Ended, KernelKind};
use junit::Case;
use parameters::Parameters;

/// What `wirebook run` was asked to do besides the kernel options it shares with the server.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub notebook: PathBuf,
    pub output: Option<PathBuf>,
    /// Per cell.
    pub timeout: Duration,
    pub capture: Option<PathBuf>,
    pub parameters: Parameters,
    pub junit: Option<PathBuf>,
    /// A WebSocket cell without expectations is over this long after its last reply.
    pub quiet: Duration,
    /// Compare each cell's replies with the outputs the notebook saved (`--compare`).
    pub compare: bool,
    /// Fields the comparison ignores (`--ignore`, and the notebook's `wirebook.ignore`).
    pub ignore: Vec<String>,
}

/// How the run went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<Case>,
}

impl Report {
    pub fn all_passed(&self) -> bool {
        self.failed == 0
    }
}

/// The kernel a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kernel {
    WebSocket(String),
    /// wirebook's own `/echo`, served for the run.
    Echo,
    Jupyter(String),
}

fn kernel_of(config: &Config, document: &IpynbNotebook) -> Result<Kernel, String> {
    if let Some(url) = &config.kernel.url {
        return Ok(Kernel::WebSocket(url.clone()));
    }
    let wirebook = document
        .metadata
        .wirebook
        .as_ref()
        .and_then(|w| w.kernel.as_ref());
    match wirebook {
        Some(kernel) if kernel.kind == WirebookKernel::WEBSOCKET => {
            if let Some(url) = &kernel.url {
                return Ok(Kernel::WebSocket(url.clone()));
            }
        }
        Some(kernel) if kernel.kind == WirebookKernel::ECHO => return Ok(Kernel::Echo),
        _ => {}
    }
    match &document.metadata.kernelspec {
        Some(spec) => Ok(Kernel::Jupyter(spec.name.clone())),
        None => Err("the notebook names no kernel (metadata.wirebook.kernel or \
                     metadata.kernelspec): give a WebSocket kernel with --kernel URL"
            .into()),
    }
}

/// Runs the notebook and writes what was asked; the lines go to `out`. `Err` is a run that
/// could not start (an unreadable notebook, no kernel), or an output that could not be written.
pub async fn run(
    config: &Config,
    options: &RunOptions,
    out: &mut (impl Write + Send),
) -> Result<Report, String> {
    let path = &options.notebook;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let document = IpynbNotebook::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let kernel = kernel_of(config, &document)?;
    let mut ignore = options.ignore.clone();
    if let Some(fields) = document
        .metadata
        .wirebook
        .as_ref()
        .and_then(|w| w.extra.get("ignore"))
        .and_then(|v| v.as_array())
    {
        ignore.extend(fields.iter().filter_map(|f| f.as_str()).map(str::to_string));
    }
    let mut notebook = Notebook::from_ipynb(document);
    let capture = Arc::new(Capture::new(
        config.capture.limit,
        config.capture.preview_bytes,
    ));
    let shutdown = Shutdown::new();
    let (events, mut received) = mpsc::channel(256);
    // The echo endpoint, served by a wirebook of the run's own on a loopback port.
    let mut echo = None;
    let kernel = match kernel {
        Kernel::Echo => {
            let (url, stop) = serve_echo().await?;
            echo = Some(stop);
            Kernel::WebSocket(url)
        }
        other => other,
    };
    let (link, kind) = match &kernel {
        Kernel::Echo => unreachable!("served above"),
        Kernel::WebSocket(url) => {
            let info = KernelInfo {
                name: "websocket".into(),
                url: url.clone(),
                choice: KernelChoice::Startup,
                language: None,
            };
            let target = Arc::new(config.kernel_target(info));
            let link =
                crate::kernel::websocket::start(1, target, Arc::clone(&capture), events, &shutdown);
            (link, KernelKind::WebSocket)
        }
        Kernel::Jupyter(name) => {
            let link = crate::kernel::jupyter::start(
                1,
                name.clone(),
                Arc::new(config.jupyter.clone()),
                Arc::clone(&capture),
                events,
                &shutdown,
            );
            (link, KernelKind::Jupyter)
        }
    };
    let described = match &kernel {
        Kernel::WebSocket(url) => format!("WebSocket kernel {url}"),
        Kernel::Echo => unreachable!("served above"),
        Kernel::Jupyter(name) => format!("Jupyter kernel {name:?}"),
    };
    let _ = writeln!(out, "running {} on the {described}", path.display());

    let mut report = Report::default();
    let mut gone: Option<String> = None;
    let mut executions = 0u32;
    let runs: Vec<(String, String, wirebook_shared::cell_format::CellFormat)> = notebook
        .apply(Command::RunAll)
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::Execute {
                cell_id,
                code,
                format,
            } => Some((cell_id, code, format)),
            _ => None,
        })
        .collect();
    for (cell_id, code, format) in runs {
        let number = notebook
            .cells()
            .iter()
            .position(|c| c.id == cell_id)
            .map_or(0, |i| i + 1);
        let name = format!("cell {number} ({cell_id})");
        let started = Instant::now();
        let verdict = run_cell(
            &link,
            &mut received,
            &mut notebook,
            RunCell {
                cell_id: &cell_id,
                code,
                format,
                kind,
            },
            options,
            &mut gone,
            &mut executions,
        )
        .await;
        let seconds = started.elapsed().as_secs_f64();
        let verdict = match (verdict, options.compare) {
            (Ok(summary), true) => compared(summary, &notebook, &cell_id, &ignore),
            (verdict, _) => verdict,
        };
        let line = match &verdict {
            Ok(summary) => {
                report.passed += 1;
                format!("{name} ... ok ({summary}, {seconds:.2} s)")
            }
            Err((message, details)) => {
                report.failed += 1;
                let details = if details.is_empty() {
                    String::new()
                } else {
                    format!("\n    {}", details.replace('\n', "\n    "))
                };
                format!("{name} ... FAILED: {message}{details}")
            }
        };
        let _ = writeln!(out, "{line}");
        report.cases.push(Case {
            name,
            seconds,
            failure: verdict.err(),
        });
    }
    let _ = writeln!(out, "{} passed, {} failed", report.passed, report.failed);
    drop(link);
    shutdown.trigger();
    shutdown.wait(Duration::from_secs(5)).await;
    if let Some((stop, served)) = echo {
        let _ = stop.send(());
        let _ = served.await;
    }

    if let Some(output) = &options.output {
        write_file(output, notebook.to_ipynb().to_json().as_bytes())?;
    }
    if let Some(file) = &options.capture {
        write_capture(file, &capture)?;
    }
    if let Some(file) = &options.junit {
        let suite = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        write_file(file, junit::report(&suite, &report.cases).as_bytes())?;
    }
    Ok(report)
}

type EchoServer = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// A wirebook serving `/echo` on a loopback port for the run (capture off: the run's own
/// capture has the kernel hop), its URL, and how to stop it.
async fn serve_echo() -> Result<(String, EchoServer), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot serve the echo endpoint on loopback: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot serve the echo endpoint on loopback: {e}"))?;
    let mut config = Config::new(crate::auth::random_token());
    config.capture.enabled = false;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(crate::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    Ok((format!("ws://{addr}/echo"), (stop, served)))
}

struct RunCell<'a> {
    cell_id: &'a str,
    code: String,
    format: wirebook_shared::cell_format::CellFormat,
    kind: KernelKind,
}

/// Runs one cell: `Ok` with a few words on what came back, or `Err` with why it failed and
/// the details.
async fn run_cell(
    link: &KernelLink,
    received: &mut mpsc::Receiver<KernelEvent>,
    notebook: &mut Notebook,
    cell: RunCell<'_>,
    options: &RunOptions,
    gone: &mut Option<String>,
    executions: &mut u32,
) -> Result<String, (String, String)> {
    let RunCell {
        cell_id,
        code,
        format,
        kind,
    } = cell;
    let fail = |message: String| Err((message, String::new()));
    let metadata = notebook
        .cell(cell_id)
        .and_then(|c| c.file.metadata.get("wirebook").cloned());
    let metadata = match metadata
        .map(|m| options.parameters.fill_json(&m))
        .transpose()
    {
        Ok(metadata) => metadata,
        Err(error) => {
            notebook.error(cell_id, error.clone());
            return fail(error);
        }
    };
    let expectations = match expect::read(metadata.as_ref()) {
        Ok(expectations) => expectations,
        Err(error) => {
            notebook.error(cell_id, error.clone());
            return fail(error);
        }
    };
    let code = match options.parameters.fill(&code) {
        Ok(code) => code,
        Err(error) => {
            notebook.error(cell_id, error.clone());
            return fail(error);
        }
    };
    let recorded = notebook.cell(cell_id).map_or(0, |c| c.recorded.len());
    let awaited = Awaited::for_cell(
        !expectations.is_empty(),
        format.sends_source_as_text().then_some(code.as_str()),
        metadata.as_ref(),
        recorded,
    );
    if let Some(why) = gone.as_ref() {
        notebook.error(cell_id, format!("not run: {why}"));
        return fail(format!("not run: {why}"));
    }
    if link
        .execute(Execute {
            cell_id: cell_id.to_string(),
            code,
            format,
            caused_by: None,
        })
        .is_err()
    {
        let why = "the kernel link has ended".to_string();
        *gone = Some(why.clone());
        return fail(why);
    }
    let mut run = CellRun::new(cell_id, kind, expectations.clone(), awaited);
    let deadline = Instant::now() + options.timeout;
    while run.ended().is_none() {
        let wake = run.wake_at(deadline, options.quiet);
        tokio::select! {
            event = received.recv() => match event {
                Some(event) => {
                    apply(notebook, &event, cell_id, executions);
                    if event.is_terminal() && gone.is_none() {
                        if let KernelEvent::State { state, .. } = &event {
                            *gone = Some(format!("{state:?}"));
                        }
                    }
                    run.feed(&event, Instant::now());
                }
                None => {
                    *gone = Some("the kernel link has ended".into());
                    run.tick(deadline, deadline, options.quiet);
                }
            },
            () = tokio::time::sleep_until(wake) => run.tick(Instant::now(), deadline, options.quiet),
        }
    }
    if let Some(Ended::KernelGone(why)) = run.ended() {
        *gone = Some(why.clone());
    }
    if run.failure.is_some() && gone.is_none() {
        // A cell the link could not send: its next report, if it comes at once, says why.
        let soon = Instant::now() + Duration::from_millis(500);
        while let Ok(Some(event)) = tokio::time::timeout_at(soon, received.recv()).await {
            if let KernelEvent::State {
                state: KernelState::Failed { message },
                ..
            } = &event
            {
                *gone = Some(format!("the kernel failed: {message}"));
                run.failure = run.failure.take().map(|f| format!("{f}: {message}"));
            }
            if event.is_terminal() {
                break;
            }
        }
    }
    verdict(&run, &expectations, kind, options.timeout)
}

/// A passed cell compared with what the notebook saved, as the page compares it
/// (`Cell::compared`, against the outputs it was loaded with): it fails when its replies differ
/// (the differences in the details); without saved replies there is nothing to compare.
fn compared(
    summary: String,
    notebook: &Notebook,
    cell_id: &str,
    ignore: &[String],
) -> Result<String, (String, String)> {
    let Some(comparison) = notebook.cell(cell_id).and_then(|c| c.compared(ignore)) else {
        return Ok(format!("{summary}, no saved replies to compare"));
    };
    let (differences, total) = (comparison.differences, comparison.total);
    if total == 0 {
        return Ok(format!("{summary}, as saved"));
    }
    let mut details: Vec<String> = differences.iter().map(|d| d.to_string()).collect();
    if total > differences.len() {
        details.push(format!("… and {} more", total - differences.len()));
    }
    let noun = if total == 1 {
        "difference"
    } else {
        "differences"
    };
    Err((
        format!("the replies differ from the saved ones ({total} {noun})"),
        details.join("\n"),
    ))
}

/// Whether the run passed, from how it ended and its expectations.
fn verdict(
    run: &CellRun,
    expectations: &[expect::Expectation],
    kind: KernelKind,
    timeout: Duration,
) -> Result<String, (String, String)> {
    if let Some(failure) = &run.failure {
        return Err((failure.clone(), String::new()));
    }
    let checked = expect::check(expectations, &run.outcome);
    let failed: Vec<&Checked> = checked.iter().filter(|c| !c.held).collect();
    let replies = match run.outcome.replies {
        0 => "no reply".to_string(),
        1 => "1 reply".to_string(),
        n => format!("{n} replies"),
    };
    if let Some(first) = failed.first() {
        let details = failed
            .iter()
            .map(|c| format!("expected {}, saw {}", c.expectation.describe(), c.seen))
            .collect::<Vec<_>>()
            .join("\n");
        let message = match run.ended() {
            Some(Ended::TimedOut) => format!(
                "expected {} within {} s",
                first.expectation.describe(),
                timeout.as_secs()
            ),
            _ => format!("expected {}", first.expectation.describe()),
        };
        return Err((message, details));
    }
    let expected_error = expectations.contains(&expect::Expectation::Status(RunStatus::Error));
    match (run.ended(), kind) {
        (Some(Ended::KernelGone(why)), _) if expectations.is_empty() => {
            Err((why.clone(), String::new()))
        }
        (Some(Ended::TimedOut), KernelKind::Jupyter) => Err((
            format!("no execute_reply within {} s", timeout.as_secs()),
            String::new(),
        )),
        (Some(Ended::TimedOut), KernelKind::WebSocket)
            if matches!(run.wait.awaited(), Awaited::Id { .. }) =>
        {
            Err((
                format!(
                    "no reply with {} within {} s",
                    run.wait.awaited().id_words(),
                    timeout.as_secs()
                ),
                String::new(),
            ))
        }
        _ if kind == KernelKind::Jupyter
            && run.outcome.status == Some(RunStatus::Error)
            && !expected_error =>
        {
            Err((
                "the cell raised an error".into(),
                run.outcome.texts.last().cloned().unwrap_or_default(),
            ))
        }
        _ => {
            let held = match expectations.len() {
                0 => String::new(),
                1 => ", 1 expectation held".into(),
                n => format!(", {n} expectations held"),
            };
            let closed = run
                .outcome
                .close
                .map(|code| format!(", closed {code}"))
                .unwrap_or_default();
            let replies = match run.wait.awaited() {
                Awaited::Count(n) if run.wait.replies() < *n => {
                    format!("{replies} of {n} recorded")
                }
                _ => replies,
            };
            Ok(format!("{replies}{closed}{held}"))
        }
    }
}

/// What the session and the browser do with a kernel's events, done to the notebook: a
/// WebSocket kernel's cell is counted when it is sent (as the session counts it) and its
/// replies belong to the cell running, `current`.
fn apply(notebook: &mut Notebook, event: &KernelEvent, current: &str, executions: &mut u32) {
    match event {
        KernelEvent::Sent { cell_id } => {
            *executions += 1;
            notebook.sent(cell_id);
            notebook.executed(cell_id, *executions);
        }
        KernelEvent::Executed {
            cell_id,
            execution_count,
        } => {
            notebook.executed(cell_id, *execution_count);
        }
        KernelEvent::RunFailed { cell_id, message } => {
            notebook.error(cell_id, message.clone());
        }
        KernelEvent::Refused {
            cell_id: Some(cell_id),
            message,
        } => {
            notebook.error(cell_id, message.clone());
        }
        KernelEvent::Message { message, .. } => {
            if let Some(cell_id) = &message.cell_id {
                notebook.kernel_message(cell_id, &message.msg_type, &message.content);
            }
        }
        KernelEvent::Received { data, .. } => {
            notebook.output(current, data.clone());
        }
        _ => {}
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The run's capture, in the format its extension names.
fn write_capture(path: &Path, capture: &Arc<Capture>) -> Result<(), String> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let asked = Asked::default();
    let bytes: Vec<u8> = match extension.as_str() {
        "jsonl" => JsonlChunks::new(Arc::clone(capture), asked)
            .flat_map(String::into_bytes)
            .collect(),
        "har" => HarChunks::new(Arc::clone(capture), asked)
            .flat_map(String::into_bytes)
            .collect(),
        "pcapng" => pcapng_chunks(Arc::clone(capture), asked)
            .flatten()
            .collect(),
        _ => {
            return Err(format!(
                "--capture {}: the file's extension says the format: .har, .jsonl or .pcapng",
                path.display()
            ))
        }
    };
    write_file(path, &bytes)
}
