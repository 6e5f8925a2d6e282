//! What a cell run sends, decided before it leaves the browser: a WebSocket kernel gets the
//! cell's format, and a source that does not fit its format is refused here with the place of
//! the problem, so nothing half-right reaches the wire. Jupyter kernels run source as code and
//! get text.

use wirebook_shared::cell_format::{encode, CellFormat, CellFormatError};
use wirebook_shared::session::KernelInfo;

/// Whether the session's kernel is a WebSocket endpoint (the startup kernel or a URL), whose
/// cells are messages with a format. Unknown (before the server's hello) counts as not.
pub fn takes_formats(kernel: Option<&KernelInfo>) -> bool {
    kernel.is_some_and(|k| k.choice.takes_formats())
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
        CellFormat::Frame => "frame",
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

/// How a refused cell explains itself under the cell.
pub fn refusal(format: CellFormat, error: &CellFormatError) -> String {
    format!("not sent ({}): {error}", format.label())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::session::KernelChoice;

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
    fn run_all_delays_are_read_leniently() {
        assert_eq!(delay_ms("250"), 250);
        assert_eq!(delay_ms(" 12.7 "), 12);
        assert_eq!(delay_ms(""), 0);
        assert_eq!(delay_ms("-5"), 0);
        assert_eq!(delay_ms("soon"), 0);
        assert_eq!(delay_ms("1e12"), 600_000);
    }
}
