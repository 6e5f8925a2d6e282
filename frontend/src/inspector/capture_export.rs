//! Links to the server's capture exports: the whole capture (or one connection) as HAR, for
//! browser devtools and HAR viewers, as JSON lines, one capture record per line, or as pcapng,
//! each WebSocket connection a TCP stream for Wireshark and tshark.

use wirebook_shared::capture::ConnId;

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

/// The export's URL, relative to the page's origin: one connection when `conn` is set, and the
/// page's token when its URL has one (otherwise the cookie carries it).
pub fn export_url(
    format: ExportFormat,
    conn: Option<ConnId>,
    credentials: Credentials,
    page_search: &str,
) -> String {
    let mut params = Vec::new();
    if let Some(conn) = conn {
        params.push(format!("conn={conn}"));
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
    fn urls_carry_the_connection_and_the_page_token() {
        let removed = Credentials::Removed;
        assert_eq!(
            export_url(ExportFormat::Har, None, removed, ""),
            "/api/capture.har"
        );
        assert_eq!(
            export_url(ExportFormat::Jsonl, None, removed, "?token=abc"),
            "/api/capture.jsonl?token=abc"
        );
        assert_eq!(
            export_url(ExportFormat::Har, Some(3), removed, "?x=1&token=t%2B1"),
            "/api/capture.har?conn=3&token=t%2B1"
        );
        assert_eq!(
            export_url(ExportFormat::Jsonl, Some(7), removed, "?token="),
            "/api/capture.jsonl?conn=7"
        );
        assert_eq!(
            export_url(ExportFormat::Har, Some(3), Credentials::Kept, "?token=t"),
            "/api/capture.har?conn=3&sensitive=1&token=t"
        );
        assert_eq!(ExportFormat::Har.file_name(Some(2)), "wirebook-conn2.har");
        assert_eq!(
            ExportFormat::Jsonl.file_name(None),
            "wirebook-capture.jsonl"
        );
        assert_eq!(
            export_url(ExportFormat::Pcapng, Some(4), Credentials::Kept, "?token=t"),
            "/api/capture.pcapng?conn=4&sensitive=1&token=t"
        );
        assert_eq!(
            ExportFormat::Pcapng.file_name(Some(4)),
            "wirebook-conn4.pcapng"
        );
        assert_eq!(ExportFormat::Pcapng.label(), "pcapng");
    }
}
