//! The browser's client for the server's notebooks API (`/api/notebooks`, see
//! `wirebook_shared::notebook_files` for the routes and bodies) and the inspector's pages of
//! the capture (`/api/capture/page`, see `wirebook_shared::capture_page`).
//!
//! Every call answers `Result<T, ApiFailure>`; a failure carries the HTTP status (0 when the
//! server could not be reached) and the server's own message, so the UI can say exactly what
//! went wrong. Requests carry the token the way the page got it: the cookie the server set, and
//! the page's `?token=` as an `Authorization` header when there is one.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wirebook_shared::capture_page::{PageQuery, CAPTURE_PAGE_API};
use wirebook_shared::notebook_files::{
    api_url, ApiError, CreateRequest, Entry, Listing, NotebookFile, RenameRequest, SaveRequest,
    Saved, API_PREFIX,
};

use crate::page_base::at;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The HTTP status; 0 when no answer arrived.
    pub status: u16,
    pub message: String,
    /// The file's current version, on a `409` for a save.
    pub last_modified: Option<String>,
}

impl ApiFailure {
    /// The failure for an error answer: the server's `{"error": …}` when the body is one,
    /// else the status and whatever text came back.
    pub fn from_answer(status: u16, body: &str) -> Self {
        match serde_json::from_str::<ApiError>(body) {
            Ok(error) => ApiFailure {
                status,
                message: error.error,
                last_modified: error.last_modified,
            },
            Err(_) => {
                let text = body.trim();
                let message = if text.is_empty() || text.len() > 300 || text.starts_with('<') {
                    format!("the server answered HTTP {status}")
                } else {
                    format!("the server answered HTTP {status}: {text}")
                };
                ApiFailure {
                    status,
                    message,
                    last_modified: None,
                }
            }
        }
    }

    fn unreachable(error: impl std::fmt::Display) -> Self {
        ApiFailure {
            status: 0,
            message: format!("the server cannot be reached ({error})"),
            last_modified: None,
        }
    }

    /// One line for the user.
    pub fn describe(&self) -> String {
        self.message.clone()
    }
}

/// Reads an answer's JSON body, or the failure it reports.
pub fn parse_answer<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiFailure> {
    if !(200..300).contains(&status) {
        return Err(ApiFailure::from_answer(status, body));
    }
    serde_json::from_str(body).map_err(|e| ApiFailure {
        status,
        message: format!("the server's answer could not be read: {e}"),
        last_modified: None,
    })
}

/// The `token` parameter of a page's query string (`?token=…`), as written (URL-encoded).
pub fn page_token(search: &str) -> Option<&str> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
}

pub(crate) fn with_token(builder: RequestBuilder) -> RequestBuilder {
    let search = leptos::prelude::window()
        .location()
        .search()
        .unwrap_or_default();
    match page_token(&search) {
        Some(token) => builder.header("Authorization", &format!("token {token}")),
        None => builder,
    }
}

pub(crate) async fn answer(
    request: Result<Request, gloo_net::Error>,
) -> Result<(u16, String), ApiFailure> {
    let request = request.map_err(ApiFailure::unreachable)?;
    let response: Response = request.send().await.map_err(ApiFailure::unreachable)?;
    let status = response.status();
    let body = response.text().await.map_err(ApiFailure::unreachable)?;
    Ok((status, body))
}

pub(crate) async fn json_call<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    body: &B,
) -> Result<T, ApiFailure> {
    let (status, body) = json_answer(builder, body).await?;
    parse_answer(status, &body)
}

/// Sends `body` as JSON with the page's token: the answer's status and body.
async fn json_answer<B: Serialize>(
    builder: RequestBuilder,
    body: &B,
) -> Result<(u16, String), ApiFailure> {
    let json = serde_json::to_string(body).map_err(|e| ApiFailure {
        status: 0,
        message: format!("the request could not be written: {e}"),
        last_modified: None,
    })?;
    let request = with_token(builder)
        .header("Content-Type", "application/json")
        .body(json);
    answer(request).await
}

/// A JSON request whose answer has no body (`204`): any 2xx is done.
pub(crate) async fn json_send<B: Serialize>(
    builder: RequestBuilder,
    body: &B,
) -> Result<(), ApiFailure> {
    let (status, body) = json_answer(builder, body).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(ApiFailure::from_answer(status, &body))
    }
}

/// How often an open dialog that lists what the server has (routes, kernels) lists it again:
/// another tab or a script may change it meanwhile.
pub const REFRESH_MS: u32 = 2_000;

/// `GET url`, its JSON answer read as `T`.
pub(crate) async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    let (status, body) = answer(with_token(Request::get(url)).build()).await?;
    parse_answer(status, &body)
}

/// `DELETE url`: any 2xx answer is done.
pub(crate) async fn delete_at(url: &str) -> Result<(), ApiFailure> {
    let (status, body) = answer(with_token(Request::delete(url)).build()).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(ApiFailure::from_answer(status, &body))
    }
}

/// `GET /api/notebooks?path=DIR`.
pub async fn list(directory: &str) -> Result<Listing, ApiFailure> {
    let mut builder = Request::get(&at(API_PREFIX));
    if !directory.is_empty() {
        builder = builder.query([("path", directory)]);
    }
    let (status, body) = answer(with_token(builder).build()).await?;
    parse_answer(status, &body)
}

/// `GET /api/notebooks/PATH` for a notebook.
pub async fn open(path: &str) -> Result<NotebookFile, ApiFailure> {
    get_json(&at(&api_url(path))).await
}

/// `PUT /api/notebooks/PATH`.
pub async fn save(path: &str, request: &SaveRequest) -> Result<Saved, ApiFailure> {
    json_call(Request::put(&at(&api_url(path))), request).await
}

/// `POST /api/notebooks`: a new `Untitled*.ipynb`.
pub async fn create(request: &CreateRequest) -> Result<Saved, ApiFailure> {
    json_call(Request::post(&at(API_PREFIX)), request).await
}

/// `PATCH /api/notebooks/PATH`: rename or move.
pub async fn rename(path: &str, new_path: &str) -> Result<Entry, ApiFailure> {
    let body = RenameRequest {
        path: new_path.to_string(),
    };
    json_call(Request::patch(&at(&api_url(path))), &body).await
}

/// `DELETE /api/notebooks/PATH`.
pub async fn delete(path: &str) -> Result<(), ApiFailure> {
    delete_at(&at(&api_url(path))).await
}

/// `POST /api/capture/page`: older records for the inspector, the answer read as `T` (the
/// inspector reads the page's records tag-first, `session::server_msg::CapturePageJson`,
/// which this module cannot name: the session imports it).
pub async fn capture_page<T: DeserializeOwned>(query: &PageQuery) -> Result<T, ApiFailure> {
    json_call(Request::post(&at(CAPTURE_PAGE_API)), query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_carry_the_servers_message_and_version() {
        let failure =
            ApiFailure::from_answer(409, r#"{"error": "changed since", "last_modified": "v2"}"#);
        assert_eq!(
            failure,
            ApiFailure {
                status: 409,
                message: "changed since".into(),
                last_modified: Some("v2".into())
            }
        );
        let html = ApiFailure::from_answer(502, "<html>bad gateway</html>");
        assert_eq!(html.message, "the server answered HTTP 502");
        let text = ApiFailure::from_answer(500, "boom");
        assert_eq!(text.message, "the server answered HTTP 500: boom");
    }

    #[test]
    fn answers_parse_or_say_why_not() {
        let listing: Listing =
            parse_answer(200, r#"{"path": "", "entries": []}"#).expect("a listing");
        assert!(listing.entries.is_empty());
        let bad = parse_answer::<Listing>(200, "[]").unwrap_err();
        assert!(bad.message.contains("could not be read"), "{}", bad.message);
        let refused = parse_answer::<Listing>(403, r#"{"error": "missing or wrong token"}"#);
        assert_eq!(refused.unwrap_err().message, "missing or wrong token");
    }
}
