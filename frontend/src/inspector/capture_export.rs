//! Links to the server's capture exports: the whole capture (or one connection) as HAR, for
//! browser devtools and HAR viewers, as JSON lines, one capture record per line, or as pcapng,
//! each WebSocket connection a TCP stream for Wireshark and tshark. Of every row, of the rows
//! the filter shows (`filter=`, the spec as JSON, which the server compiles with the same
//! code), or of the rows picked (`seqs=`, as ranges).

use wirebook_shared::capture::ConnId;
use wirebook_shared::capture_filter::FilterSpec;

use crate::api::page_token;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Har,
    Jsonl,
    Pcapng,
}

impl ExportFormat {
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Har => "HAR",
            ExportFormat::Jsonl => "JSONL",
            ExportFormat::Pcapng => "pcapng",
        }
    }

    /// What the file is for, said in the link's tooltip.
    pub fn purpose(self) -> &'static str {
        match self {
            ExportFormat::Har => "for DevTools and HAR viewers",
            ExportFormat::Jsonl => "one record per line, every field",
            ExportFormat::Pcapng => {
                "for Wireshark: each WebSocket connection a TCP stream; kernels over ZeroMQ are left out"
            }
        }
    }

    fn path(self) -> &'static str {
        match self {
            ExportFormat::Har => "/api/capture.har",
            ExportFormat::Jsonl => "/api/capture.jsonl",
            ExportFormat::Pcapng => "/api/capture.pcapng",
        }
    }

    /// The file name the browser saves it as.
    pub fn file_name(self, conn: Option<ConnId>) -> String {
        let ext = match self {
            ExportFormat::Har => "har",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Pcapng => "pcapng",
        };
        match conn {
            Some(conn) => format!("wirebook-conn{conn}.{ext}"),
            None => format!("wirebook-capture.{ext}"),
        }
    }
}

/// Whether an export keeps the values of credential headers (`Authorization`, `Cookie`,
/// `Set-Cookie`); the server removes them unless asked, as Chrome's sanitized HAR export does.
/// wirebook's own token is never exported either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Credentials {
    #[default]
    Removed,
    Kept,
}

/// Which rows an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowChoice {
    /// Every row of the capture (or of the connection the filter's scope names).
    #[default]
    All,
    /// The rows the filter shows.
    Shown,
    /// The rows picked in the list (or the selected one).
    Picked,
}

impl RowChoice {
    pub const ALL: [RowChoice; 3] = [RowChoice::All, RowChoice::Shown, RowChoice::Picked];

    /// Its value in the menu.
    pub fn value(self) -> &'static str {
        match self {
            RowChoice::All => "all",
            RowChoice::Shown => "shown",
            RowChoice::Picked => "picked",
        }
    }

    pub fn from_value(value: &str) -> RowChoice {
        RowChoice::ALL
            .into_iter()
            .find(|c| c.value() == value)
            .unwrap_or_default()
    }

    /// Its words in the menu, with how many rows are picked.
    pub fn label(self, picked: usize) -> String {
        match self {
            RowChoice::All => "all rows".to_string(),
            RowChoice::Shown => "rows shown".to_string(),
            RowChoice::Picked => format!("rows picked ({picked})"),
        }
    }
}

/// The rows of an export, as its URL asks for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportRows<'a> {
    /// Every row; one connection's when the filter's scope is one.
    All(Option<ConnId>),
    Shown(&'a FilterSpec),
    /// Seqs, in order.
    Picked(&'a [u64]),
}

/// `3,4,5,9` → `3-5,9`: what a long run of picked rows costs in the URL.
fn seq_ranges(seqs: &[u64]) -> String {
    let mut sorted = seqs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut at = 0;
    while at < sorted.len() {
        let first = sorted[at];
        let mut last = first;
        while at + 1 < sorted.len() && sorted[at + 1] == last + 1 {
            at += 1;
            last = sorted[at];
        }
        out.push(if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        });
        at += 1;
    }
    out.join(",")
}

/// `text` percent-encoded for a query value: everything but RFC 3986's unreserved characters
/// (the `url` crate is kept out of the wasm, and this is all an export link needs).
fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The export's URL, relative to the page's origin: its rows, and the page's token when its
/// URL has one (otherwise the cookie carries it).
pub fn export_url(
    format: ExportFormat,
    rows: ExportRows<'_>,
    credentials: Credentials,
    page_search: &str,
) -> String {
    let mut params = Vec::new();
    match rows {
        ExportRows::All(None) => {}
        ExportRows::All(Some(conn)) => params.push(format!("conn={conn}")),
        ExportRows::Shown(spec) => {
            // Plain data: serialising cannot fail.
            let json = serde_json::to_string(spec).unwrap_or_default();
            params.push(format!("filter={}", query_value(&json)));
        }
        ExportRows::Picked(seqs) => params.push(format!("seqs={}", seq_ranges(seqs))),
    }
    if credentials == Credentials::Kept {
        params.push("sensitive=1".to_string());
    }
    if let Some(token) = page_token(page_search) {
        params.push(format!("token={token}"));
    }
    if params.is_empty() {
        format.path().to_string()
    } else {
        format!("{}?{}", format.path(), params.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_rows_shown_or_picked() {
        let removed = Credentials::Removed;
        let spec = FilterSpec {
            search: "a b&c".into(),
            ..FilterSpec::default()
        };
        assert_eq!(
            export_url(ExportFormat::Pcapng, ExportRows::Shown(&spec), removed, "?token=t"),
            "/api/capture.pcapng?filter=%7B%22scope%22%3A%22all%22%2C%22search%22%3A%22a%20b%26c%22%7D&token=t"
        );
        assert_eq!(
            export_url(
                ExportFormat::Jsonl,
                ExportRows::Picked(&[9, 3, 4, 5, 11, 12, 4]),
                removed,
                ""
            ),
            "/api/capture.jsonl?seqs=3-5,9,11-12"
        );
        assert_eq!(seq_ranges(&[7]), "7");
        assert_eq!(query_value("ü~"), "%C3%BC~");
        for choice in RowChoice::ALL {
            assert_eq!(RowChoice::from_value(choice.value()), choice);
        }
        assert_eq!(RowChoice::from_value("?"), RowChoice::All);
        assert_eq!(RowChoice::Picked.label(3), "rows picked (3)");
    }

    #[test]
    fn urls_carry_the_connection_and_the_page_token() {
        let removed = Credentials::Removed;
        assert_eq!(
            export_url(ExportFormat::Har, ExportRows::All(None), removed, ""),
            "/api/capture.har"
        );
        assert_eq!(
            export_url(
                ExportFormat::Jsonl,
                ExportRows::All(None),
                removed,
                "?token=abc"
            ),
            "/api/capture.jsonl?token=abc"
        );
        assert_eq!(
            export_url(
                ExportFormat::Har,
                ExportRows::All(Some(3)),
                removed,
                "?x=1&token=t%2B1"
            ),
            "/api/capture.har?conn=3&token=t%2B1"
        );
        assert_eq!(
            export_url(
                ExportFormat::Jsonl,
                ExportRows::All(Some(7)),
                removed,
                "?token="
            ),
            "/api/capture.jsonl?conn=7"
        );
        assert_eq!(
            export_url(
                ExportFormat::Har,
                ExportRows::All(Some(3)),
                Credentials::Kept,
                "?token=t"
            ),
            "/api/capture.har?conn=3&sensitive=1&token=t"
        );
        assert_eq!(ExportFormat::Har.file_name(Some(2)), "wirebook-conn2.har");
        assert_eq!(
            ExportFormat::Jsonl.file_name(None),
            "wirebook-capture.jsonl"
        );
        assert_eq!(
            export_url(
                ExportFormat::Pcapng,
                ExportRows::All(Some(4)),
                Credentials::Kept,
                "?token=t"
            ),
            "/api/capture.pcapng?conn=4&sensitive=1&token=t"
        );
        assert_eq!(
            ExportFormat::Pcapng.file_name(Some(4)),
            "wirebook-conn4.pcapng"
        );
        assert_eq!(ExportFormat::Pcapng.label(), "pcapng");
    }
}
