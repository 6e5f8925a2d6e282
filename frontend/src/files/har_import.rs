//! Importing a HAR file (Chrome DevTools' "Save all as HAR") as a notebook: which WebSocket
//! connections it holds, how each is named in the choice when there are several, and the
//! notebook one becomes (`har::to_notebook`: the URL as the kernel, a cell per sent message,
//! received ones as its outputs).

use wirebook_notebook::har::{self, HarSocket};
use wirebook_shared::ipynb::IpynbNotebook;

/// What a HAR file offers: its sockets, or why it cannot be imported.
pub fn sockets(har_text: &str) -> Result<Vec<HarSocket>, String> {
    har::websockets(har_text).map_err(|why| format!("cannot import the HAR file: {why}"))
}

/// A socket in the choice: its URL and how many messages went each way.
pub fn label(socket: &HarSocket) -> String {
    let sent = socket.messages.iter().filter(|m| m.sent).count();
    let received = socket.messages.len() - sent;
    let mut text = format!("{} — {sent} sent, {received} received", socket.url);
    if !socket.skipped.is_empty() {
        text.push_str(&format!(", {} unreadable", socket.skipped.len()));
    }
    text
}

/// The notebook a socket becomes, and a note for messages that could not be read.
pub fn notebook(socket: &HarSocket) -> (IpynbNotebook, Option<String>) {
    let note = (!socket.skipped.is_empty()).then(|| {
        format!(
            "{} messages of {} could not be imported: {}",
            socket.skipped.len(),
            socket.url,
            socket.skipped.join("; ")
        )
    });
    (har::to_notebook(socket), note)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = include_str!("../../../shared/fixtures/har/chrome_websocket.har");

    #[test]
    fn a_chrome_har_offers_its_sockets_and_becomes_cells() {
        let found = sockets(CHROME).unwrap();
        assert!(!found.is_empty());
        let first = &found[0];
        let text = label(first);
        assert!(
            text.starts_with(&first.url) && text.contains(" sent, "),
            "{text}"
        );
        let (notebook, _) = notebook(first);
        let kernel = notebook.metadata.wirebook.unwrap().kernel.unwrap();
        assert_eq!(kernel.url.as_deref(), Some(first.url.as_str()));
        assert!(notebook.cells.len() > first.messages.iter().filter(|m| m.sent).count());
    }

    #[test]
    fn other_files_say_why() {
        assert!(sockets("{")
            .unwrap_err()
            .starts_with("cannot import the HAR file: not a HAR"));
        assert!(sockets(r#"{"log":{"entries":[]}}"#)
            .unwrap_err()
            .contains("no WebSocket connections"));
    }
}
