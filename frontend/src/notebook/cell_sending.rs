//! What a cell run sends, decided before it leaves the browser: a WebSocket kernel gets the
//! cell's format, and a source that does not fit its format is refused here with the place of
//! the problem, so nothing half-right reaches the wire. Jupyter kernels run source as code and
//! get text.

use std::collections::VecDeque;

use wirebook_shared::cell_format::{encode, CellFormat, CellFormatError};
use wirebook_shared::session::{KernelChoice, KernelInfo};

/// Whether the session's kernel is a WebSocket endpoint (the startup kernel or a URL), whose
/// cells are messages with a format. Unknown (before the server's hello) counts as not.
pub fn takes_formats(kernel: Option<&KernelInfo>) -> bool {
    kernel.is_some_and(|k| {
        matches!(
            k.choice,
            KernelChoice::Startup | KernelChoice::WebSocket { .. }
        )
    })
}

/// The format to send `code` with, or why it cannot be sent.
pub fn outgoing(
    kernel: Option<&KernelInfo>,
    format: CellFormat,
    code: &str,
) -> Result<CellFormat, CellFormatError> {
    if !takes_formats(kernel) {
        return Ok(CellFormat::Text);
    }
    encode(format, code)?;
    Ok(format)
}

/// The `value` of a format in the cell's format selector.
pub fn format_key(format: CellFormat) -> &'static str {
    match format {
        CellFormat::Text => "text",
        CellFormat::Json { compact: false } => "json",
        CellFormat::Json { compact: true } => "json-compact",
        CellFormat::Hex => "hex",
        CellFormat::Base64 => "base64",
        CellFormat::Ping => "ping",
        CellFormat::Close => "close",
    }
}

/// The format a selector `value` names.
pub fn format_from_key(key: &str) -> Option<CellFormat> {
    CellFormat::ALL.into_iter().find(|f| format_key(*f) == key)
}

/// Run All's delay field as milliseconds: empty, negative or unreadable is no delay, and at
/// most ten minutes.
pub fn delay_ms(text: &str) -> u32 {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|ms| ms.is_finite() && *ms > 0.0)
        .map_or(0, |ms| ms.min(600_000.0) as u32)
}

/// A paced Run All: the sends still to go, one at a time, and the cell whose message went out
/// last. The app takes the next send a delay after the server said that cell's message went
/// to the kernel ([`Pacer::went_out`]), so the gaps on the wire are at least the delay; the
/// run can be stopped (■) with the rest unsent. Each run has a number, so a timer of a stopped
/// or replaced run finds nothing to send.
#[derive(Debug)]
pub struct Pacer<T> {
    waiting: VecDeque<T>,
    run: u64,
    delay_ms: u32,
    /// The cell of the run's message on its way to the kernel.
    in_flight: Option<String>,
}

impl<T> Default for Pacer<T> {
    fn default() -> Self {
        Pacer {
            waiting: VecDeque::new(),
            run: 0,
            delay_ms: 0,
            in_flight: None,
        }
    }
}

impl<T> Pacer<T> {
    /// Starts a run that sends `sends` in order, `delay_ms` apart, in place of any earlier
    /// run, whose sends are dropped. Returns the run's number, for its timers.
    pub fn start(&mut self, sends: impl IntoIterator<Item = T>, delay_ms: u32) -> u64 {
        self.stop();
        self.waiting.extend(sends);
        self.delay_ms = delay_ms;
        self.run
    }

    /// The next send of run `run`, when its timer fires: `None` when that run was stopped or
    /// replaced, or has nothing left.
    pub fn next(&mut self, run: u64) -> Option<T> {
        if run != self.run {
            return None;
        }
        self.waiting.pop_front()
    }

    /// The send just taken went to the server as `cell_id`'s message: the run waits for it.
    pub fn sent(&mut self, cell_id: &str) {
        self.in_flight = Some(cell_id.to_string());
    }

    /// The server says `cell_id`'s message went to the kernel (or failed to): the run and the
    /// delay after which its next send is due, if the run was waiting for that message.
    pub fn went_out(&mut self, cell_id: &str) -> Option<(u64, u32)> {
        self.in_flight
            .take_if(|waiting_for| waiting_for == cell_id)?;
        Some((self.run, self.delay_ms))
    }

    /// The delay of the current run, for a send that did not reach the server (refused here).
    pub fn delay_ms(&self) -> u32 {
        self.delay_ms
    }

    /// Stops the current run; returns the sends that will not go out.
    pub fn stop(&mut self) -> Vec<T> {
        self.run += 1;
        self.in_flight = None;
        self.waiting.drain(..).collect()
    }
}

/// How a refused cell explains itself under the cell.
pub fn refusal(format: CellFormat, error: &CellFormatError) -> String {
    format!("not sent ({}): {error}", format.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(choice: KernelChoice) -> KernelInfo {
        KernelInfo {
            name: "k".into(),
            url: "ws://h/".into(),
            choice,
            language: None,
        }
    }

    #[test]
    fn websocket_kernels_check_the_format_and_jupyter_kernels_get_text() {
        let json = CellFormat::Json { compact: true };
        let ws = info(KernelChoice::WebSocket {
            url: "ws://h/".into(),
            settings: Default::default(),
        });
        assert_eq!(outgoing(Some(&ws), json, "{\"a\": 1}"), Ok(json));
        let startup = info(KernelChoice::Startup);
        assert_eq!(
            outgoing(Some(&startup), CellFormat::Hex, "0a ff"),
            Ok(CellFormat::Hex)
        );
        let error = outgoing(Some(&ws), json, "{\n  \"a\": }").unwrap_err();
        assert_eq!((error.line, error.column), (Some(2), Some(8)));
        assert!(refusal(json, &error).starts_with("not sent (JSON (compact)): line 2, column 8:"));
        let python = info(KernelChoice::Jupyter {
            name: "python3".into(),
        });
        assert_eq!(outgoing(Some(&python), json, "{"), Ok(CellFormat::Text));
        assert!(!takes_formats(None));
        for format in CellFormat::ALL {
            assert_eq!(format_from_key(format_key(format)), Some(format));
        }
        assert_eq!(format_from_key("morse"), None);
        assert!(takes_formats(Some(&startup)));
    }

    #[test]
    fn a_paced_run_sends_one_at_a_time_and_stops_with_the_rest_unsent() {
        let mut pacer = Pacer::default();
        assert!(pacer.stop().is_empty());
        let first = pacer.start(["b", "c", "d"], 400);
        assert_eq!(pacer.delay_ms(), 400);
        assert_eq!(pacer.next(first), Some("b"));
        // The next send is due once the server says this cell's message went out, and only
        // then: word of another cell does not count, nor the same word twice.
        pacer.sent("cell-b");
        assert_eq!(pacer.went_out("cell-a"), None);
        assert_eq!(pacer.went_out("cell-b"), Some((first, 400)));
        assert_eq!(pacer.went_out("cell-b"), None);
        assert_eq!(pacer.next(first), Some("c"));
        pacer.sent("cell-c");
        // ■: the rest is not sent, the stopped run's pending timer finds nothing, and the
        // message on its way no longer starts a timer.
        assert_eq!(pacer.stop(), vec!["d"]);
        assert_eq!(pacer.next(first), None);
        assert_eq!(pacer.went_out("cell-c"), None);
        // A new Run All replaces a run still going: the old run's sends are gone and its
        // timers are stale.
        let second = pacer.start(["x", "y"], 400);
        pacer.sent("cell-x");
        let third = pacer.start(["z"], 100);
        assert_eq!(pacer.went_out("cell-x"), None);
        assert_eq!(pacer.next(second), None);
        assert_eq!(pacer.next(third), Some("z"));
        assert_eq!(pacer.next(third), None);
        assert!(pacer.stop().is_empty());
        // A Run All with nothing to pace (no delay) stops a run still going all the same.
        let fourth = pacer.start(["w"], 400);
        let fifth = pacer.start(Vec::<&str>::new(), 0);
        assert_eq!(pacer.next(fourth), None);
        assert_eq!(pacer.next(fifth), None);
    }

    #[test]
    fn run_all_delays_are_read_leniently() {
        assert_eq!(delay_ms("250"), 250);
        assert_eq!(delay_ms(" 12.7 "), 12);
        assert_eq!(delay_ms(""), 0);
        assert_eq!(delay_ms("-5"), 0);
        assert_eq!(delay_ms("soon"), 0);
        assert_eq!(delay_ms("1e12"), 600_000);
    }
}
