//! What a cell run sends, decided before it leaves the browser: a WebSocket kernel gets the
//! cell's format, and a source that does not fit its format is refused here with the place of
//! the problem, so nothing half-right reaches the wire. Jupyter kernels run source as code and
//! get text.

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
        assert!(takes_formats(Some(&startup)));
    }
}
