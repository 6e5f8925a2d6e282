//! When a code cell last ran and how long it took, kept in its metadata as JupyterLab's
//! `recordTiming` keeps it (`metadata.execution`), and the line the cell shows for it, as the
//! jupyterlab-execute-time extension words it ("Last executed at … in 1.23s").
//!
//! A Jupyter kernel's own timestamps are recorded, each from its message's header `date`:
//! `iopub.status.busy`, `iopub.execute_input`, `iopub.status.idle`, and from the
//! `execute_reply` its `metadata.started` (`shell.execute_reply.started`) and its date
//! (`shell.execute_reply`). The record of a run starts empty when the request goes out.
//!
//! A WebSocket kernel has neither timestamps nor an end to its run, so for it the browser's
//! clock stands in: `shell.execute_reply.started` is when the request was written and
//! `shell.execute_reply` when its latest reply arrived — the time from sending to the last
//! reply so far. Such a record has no `iopub.*` field, which is how [`timing`] tells the two
//! apart after a reload.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde_json::Value;

use wirebook_shared::ipynb::JsonMap;

use crate::cell::{Cell, CellKind};
use crate::Notebook;

/// The cell metadata key (nbformat 4.5 `execution`).
pub const EXECUTION: &str = "execution";
pub const STATUS_BUSY: &str = "iopub.status.busy";
pub const EXECUTE_INPUT: &str = "iopub.execute_input";
pub const REPLY_STARTED: &str = "shell.execute_reply.started";
pub const REPLY: &str = "shell.execute_reply";
pub const STATUS_IDLE: &str = "iopub.status.idle";

/// Whose clock a cell's timing comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measured {
    /// The kernel's: from when it started the code to its reply.
    Kernel,
    /// The browser's (a WebSocket kernel): from sending the request to the last reply.
    Browser,
}

/// A cell's last run as its timing metadata tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTiming {
    pub started: DateTime<FixedOffset>,
    /// Until the reply (`None`: the run has not finished).
    pub duration_ms: Option<i64>,
    pub measured: Measured,
}

impl Notebook {
    /// The execute request for `cell_id` was written at `now` (the browser's clock, RFC 3339):
    /// the last run's timing goes, as JupyterLab clears it when a run starts.
    pub fn timing_sent(&mut self, cell_id: &str, now: &str) -> bool {
        match self.cell_mut(cell_id) {
            Some(cell) if cell.kind == CellKind::Code => {
                cell.file.metadata.remove(EXECUTION);
                cell.sent_at = Some(now.to_string());
                true
            }
            _ => false,
        }
    }

    /// A WebSocket kernel's reply for `cell_id` arrived at `now`: the run so far lasted from
    /// sending to this reply.
    pub fn timing_reply(&mut self, cell_id: &str, now: &str) -> bool {
        match self.cell_mut(cell_id) {
            Some(cell) if cell.kind == CellKind::Code => {
                let Some(sent) = cell.sent_at.clone() else {
                    return false;
                };
                let times = execution_mut(cell);
                times.insert(REPLY_STARTED.into(), Value::from(sent));
                times.insert(REPLY.into(), Value::from(now));
                true
            }
            _ => false,
        }
    }

    /// A Jupyter message of `cell_id`'s run, with its header's `date`: the timestamp it gives
    /// (if any) goes into the cell's timing. Returns whether anything changed.
    pub fn timing_message(
        &mut self,
        cell_id: &str,
        msg_type: &str,
        content: &Value,
        metadata: &Value,
        date: Option<&str>,
    ) -> bool {
        let Some(date) = date.filter(|d| !d.is_empty()) else {
            return false;
        };
        let label = match msg_type {
            "status" => match content.get("execution_state").and_then(Value::as_str) {
                Some("busy") => STATUS_BUSY,
                Some("idle") => STATUS_IDLE,
                _ => return false,
            },
            "execute_input" => EXECUTE_INPUT,
            "execute_reply" => REPLY,
            _ => return false,
        };
        let Some(cell) = self.cell_mut(cell_id).filter(|c| c.kind == CellKind::Code) else {
            return false;
        };
        let times = execution_mut(cell);
        times.insert(label.into(), Value::from(date));
        if label == REPLY {
            if let Some(started) = metadata.get("started").and_then(Value::as_str) {
                times.insert(REPLY_STARTED.into(), Value::from(started));
            }
        }
        true
    }
}

/// The cell's `metadata.execution`, made an object if it was missing or something else.
fn execution_mut(cell: &mut Cell) -> &mut JsonMap {
    let entry = cell
        .file
        .metadata
        .entry(EXECUTION)
        .or_insert_with(|| Value::Object(JsonMap::new()));
    if !entry.is_object() {
        *entry = Value::Object(JsonMap::new());
    }
    match entry {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

/// A timestamp as Jupyter writes them: RFC 3339, or (older messages) without an offset, which
/// means UTC. Both go through chrono's RFC 3339 parser: its general format-string parser
/// (`NaiveDateTime`'s `FromStr`) would add 15 KB to the wasm for the second case alone.
pub fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc3339(&format!("{text}Z")))
        .ok()
}

/// The last run of a cell with this metadata: when it started (the kernel's start of work,
/// else the first thing it reported) and, once it replied, how long it took. `None` when the
/// metadata records no run (or no time can be read).
pub fn timing(metadata: &JsonMap) -> Option<RunTiming> {
    let times = metadata.get(EXECUTION)?.as_object()?;
    let at = |key: &str| times.get(key).and_then(Value::as_str).and_then(parse_time);
    let started = at(REPLY_STARTED)
        .or_else(|| at(EXECUTE_INPUT))
        .or_else(|| at(STATUS_BUSY))?;
    let measured = if times.keys().any(|k| k.starts_with("iopub.")) {
        Measured::Kernel
    } else {
        Measured::Browser
    };
    let finished = at(REPLY).or_else(|| at(STATUS_IDLE));
    Some(RunTiming {
        started,
        // A reply stamped before the start (clocks that disagree) says nothing about the run.
        duration_ms: finished
            .map(|end| (end - started).num_milliseconds())
            .filter(|ms| *ms >= 0),
        measured,
    })
}

/// The line under a cell: "Last executed at 2026-12-03 08:45:12 in 1.23s", the time in the
/// viewer's zone (`offset_minutes` east of UTC). A browser-measured time says so; a run not
/// finished says since when it runs.
pub fn describe(timing: &RunTiming, offset_minutes: i32) -> String {
    let zone = FixedOffset::east_opt(offset_minutes.clamp(-1439, 1439) * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    let local = timing.started.with_timezone(&zone);
    let at = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    match (timing.duration_ms, timing.measured) {
        (Some(ms), Measured::Kernel) => format!("Last executed at {at} in {}", duration(ms)),
        (Some(ms), Measured::Browser) => format!(
            "Last sent at {at}; last reply after {} (browser clock)",
            duration(ms)
        ),
        (None, _) => format!("Execution started at {at}"),
    }
}

/// A duration as jupyterlab-execute-time shows it: `245ms`, `1.23s`, `2m 5s`, `1h 2m`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        // Truncated, not rounded: 59 999 ms is not a minute yet.
        format!("{}.{:02}s", ms / 1000, (ms % 1000) / 10)
    } else if ms < 3_600_000 {
        format!("{}m {}s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{}h {}m", ms / 3_600_000, (ms % 3_600_000) / 60_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notebook() -> (Notebook, String) {
        let nb = Notebook::default();
        let id = nb.cells()[0].id.clone();
        (nb, id)
    }

    fn execution(nb: &Notebook, id: &str) -> Value {
        nb.cell(id).unwrap().file.metadata[EXECUTION].clone()
    }

    #[test]
    fn a_jupyter_run_records_what_jupyterlab_records() {
        let (mut nb, id) = notebook();
        nb.cell_mut(&id).unwrap().file.metadata.insert(
            EXECUTION.into(),
            json!({"iopub.status.busy": "2020-01-01T00:00:00Z"}),
        );
        assert!(nb.timing_sent(&id, "2026-12-03T07:45:11.900Z"));
        assert!(nb.cell(&id).unwrap().file.metadata.get(EXECUTION).is_none());
        let busy = json!({"execution_state": "busy"});
        let idle = json!({"execution_state": "idle"});
        let none = Value::Null;
        let steps = [
            ("status", &busy, &none, "2026-12-03T07:45:12.000100Z"),
            (
                "execute_input",
                &json!({"code": "1"}),
                &none,
                "2026-12-03T07:45:12.000200Z",
            ),
            (
                "stream",
                &json!({"text": "x"}),
                &none,
                "2026-12-03T07:45:12.5Z",
            ),
            (
                "execute_reply",
                &json!({"status": "ok"}),
                &json!({"started": "2026-12-03T07:45:12.000300Z"}),
                "2026-12-03T07:45:13.234300Z",
            ),
            ("status", &idle, &none, "2026-12-03T07:45:13.240000Z"),
        ];
        let mut recorded = Vec::new();
        for (msg_type, content, metadata, date) in steps {
            recorded.push(nb.timing_message(&id, msg_type, content, metadata, Some(date)));
        }
        assert_eq!(recorded, [true, true, false, true, true]);
        assert_eq!(
            execution(&nb, &id),
            json!({
                "iopub.status.busy": "2026-12-03T07:45:12.000100Z",
                "iopub.execute_input": "2026-12-03T07:45:12.000200Z",
                "shell.execute_reply.started": "2026-12-03T07:45:12.000300Z",
                "shell.execute_reply": "2026-12-03T07:45:13.234300Z",
                "iopub.status.idle": "2026-12-03T07:45:13.240000Z",
            })
        );
        let timing = timing(&nb.cell(&id).unwrap().file.metadata).unwrap();
        assert_eq!(timing.duration_ms, Some(1234));
        assert_eq!(timing.measured, Measured::Kernel);
        assert_eq!(
            describe(&timing, 60),
            "Last executed at 2026-12-03 08:45:12 in 1.23s"
        );
    }

    #[test]
    fn the_timing_survives_saving_and_loading() {
        let (mut nb, id) = notebook();
        nb.timing_sent(&id, "2026-12-03T07:45:11Z");
        nb.timing_message(
            &id,
            "status",
            &json!({"execution_state": "busy"}),
            &Value::Null,
            Some("2026-12-03T07:45:12Z"),
        );
        let again = Notebook::from_ipynb(nb.to_ipynb());
        assert_eq!(
            again.cells()[0].file.metadata[EXECUTION],
            json!({"iopub.status.busy": "2026-12-03T07:45:12Z"})
        );
    }

    #[test]
    fn a_websocket_run_is_timed_from_sending_to_the_last_reply() {
        let (mut nb, id) = notebook();
        assert!(!nb.timing_reply(&id, "2026-12-03T07:45:12Z"), "never sent");
        nb.timing_sent(&id, "2026-12-03T07:45:12.000Z");
        assert!(nb.timing_reply(&id, "2026-12-03T07:45:12.040Z"));
        assert!(nb.timing_reply(&id, "2026-12-03T07:45:12.345Z"));
        assert_eq!(
            execution(&nb, &id),
            json!({
                "shell.execute_reply.started": "2026-12-03T07:45:12.000Z",
                "shell.execute_reply": "2026-12-03T07:45:12.345Z",
            })
        );
        let timing = timing(&nb.cell(&id).unwrap().file.metadata).unwrap();
        assert_eq!(timing.measured, Measured::Browser);
        assert_eq!(
            describe(&timing, 0),
            "Last sent at 2026-12-03 07:45:12; last reply after 345ms (browser clock)"
        );
    }

    #[test]
    fn messages_without_a_date_or_for_other_cells_record_nothing() {
        let (mut nb, id) = notebook();
        let busy = json!({"execution_state": "busy"});
        assert!(!nb.timing_message(&id, "status", &busy, &Value::Null, None));
        assert!(!nb.timing_message(&id, "status", &busy, &Value::Null, Some("")));
        assert!(!nb.timing_message("gone", "status", &busy, &Value::Null, Some("x")));
        let starting = json!({"execution_state": "starting"});
        assert!(!nb.timing_message(&id, "status", &starting, &Value::Null, Some("x")));
        assert!(nb.cell(&id).unwrap().file.metadata.get(EXECUTION).is_none());
    }

    #[test]
    fn metadata_that_is_not_an_object_is_replaced() {
        let (mut nb, id) = notebook();
        nb.cell_mut(&id)
            .unwrap()
            .file
            .metadata
            .insert(EXECUTION.into(), json!("garbage"));
        nb.timing_message(
            &id,
            "execute_input",
            &json!({}),
            &Value::Null,
            Some("2026-12-03T07:45:12Z"),
        );
        assert_eq!(
            execution(&nb, &id),
            json!({"iopub.execute_input": "2026-12-03T07:45:12Z"})
        );
    }

    #[test]
    fn timing_reads_what_files_hold() {
        let meta = |v: Value| -> JsonMap {
            let mut m = JsonMap::new();
            m.insert(EXECUTION.into(), v);
            m
        };
        assert_eq!(timing(&JsonMap::new()), None);
        assert_eq!(timing(&meta(json!("x"))), None);
        assert_eq!(
            timing(&meta(json!({"shell.execute_reply": "nonsense"}))),
            None
        );
        // Running: started, no reply yet.
        let running = timing(&meta(
            json!({"iopub.status.busy": "2026-12-03T07:45:12+01:00"}),
        ))
        .unwrap();
        assert_eq!(running.duration_ms, None);
        assert_eq!(
            describe(&running, 0),
            "Execution started at 2026-12-03 06:45:12"
        );
        // Older kernels wrote no offset: UTC. Idle stands in for a missing reply.
        let old = timing(&meta(json!({
            "iopub.execute_input": "2019-05-01T10:00:00.5",
            "iopub.status.idle": "2019-05-01T10:02:05.5",
        })))
        .unwrap();
        assert_eq!(old.duration_ms, Some(125_000));
        assert_eq!(
            describe(&old, -300),
            "Last executed at 2019-05-01 05:00:00 in 2m 5s"
        );
        // A reply before the start: no duration rather than a negative one.
        let skewed = timing(&meta(json!({
            "iopub.status.busy": "2026-12-03T07:45:12Z",
            "shell.execute_reply": "2026-12-03T07:45:11Z",
        })))
        .unwrap();
        assert_eq!(skewed.duration_ms, None);
    }

    #[test]
    fn times_without_an_offset_are_utc() {
        // (milliseconds since the epoch, offset in seconds)
        let utc =
            |t: &str| parse_time(t).map(|d| (d.timestamp_millis(), d.offset().local_minus_utc()));
        assert_eq!(utc("2019-05-01T10:00:00"), Some((1_556_704_800_000, 0)));
        assert_eq!(
            utc(" 2019-05-01T10:00:00.250 "),
            Some((1_556_704_800_250, 0))
        );
        assert_eq!(
            utc("2019-05-01T10:00:00-02:00"),
            Some((1_556_712_000_000, -7200))
        );
        assert_eq!(utc("2019-05-01"), None);
        assert_eq!(utc("2019-05-01T10:00:00ZZ"), None);
    }

    #[test]
    fn durations_read_like_execute_time() {
        assert_eq!(duration(0), "0ms");
        assert_eq!(duration(999), "999ms");
        assert_eq!(duration(1000), "1.00s");
        assert_eq!(duration(59_999), "59.99s");
        assert_eq!(duration(60_000), "1m 0s");
        assert_eq!(duration(3_723_000), "1h 2m");
        assert_eq!(duration(-5), "0ms");
    }
}
