//! The notebooks API (`/api/notebooks`) and the notebook pages (`/notebooks/PATH`).
//!
//! The request and response bodies are `wirebook_shared::notebook_files`, whose module doc has
//! the table of routes. Every request needs the token (query, cookie or header, as the UI);
//! requests that change something also pass the Origin check that guards `/session`, and their
//! bodies must be JSON, which a cross-site form cannot send without a CORS preflight that
//! wirebook never grants. Errors are `{"error": "..."}` with a fitting status. A notebook is
//! parsed and checked against the nbformat 4.5 schema before it is written, and nothing is
//! written when it fails; the file work itself is in [`crate::notebooks::dir`].

pub mod dir;

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use wirebook_shared::base_url::BaseUrl;
use wirebook_shared::ipynb::IpynbNotebook;
use wirebook_shared::notebook_files::{
    api_url, ApiError, Entry, Listing, NotebookFile, RenameRequest, Saved, API_PREFIX, PAGE_PREFIX,
};

use crate::admission::api_request;
use crate::config::Config;
use crate::kernel::kept::KeptKernels;
use crate::notebooks::dir::{DirError, Expect, NotebookDir, RelPath, Stamp};
use crate::state::App;
use crate::ui;

/// What the API handlers share.
#[derive(Debug)]
struct Files {
    dir: NotebookDir,
    token: String,
    allow_origins: Vec<String>,
    max_body: usize,
    /// A renamed notebook's kept kernel moves with it.
    kept: Arc<KeptKernels>,
    /// `Location` headers are under it.
    base_url: BaseUrl,
}

/// The page route (`/notebooks/PATH`), for the server's router.
pub fn page_routes() -> Router<App> {
    Router::new().route(&format!("{PAGE_PREFIX}/{{*path}}"), get(page))
}

/// The API routes (`/api/notebooks`), for the server's router.
pub fn api_routes(config: &Config, kept: Arc<KeptKernels>) -> Router<App> {
    let files = Arc::new(Files {
        dir: NotebookDir::new(&config.notebooks.dir),
        token: config.token.clone(),
        allow_origins: config.admission.allow_origins.clone(),
        max_body: config.notebooks.max_size,
        kept,
        base_url: config.base_url.clone(),
    });
    Router::new()
        .route(API_PREFIX, get(list).post(create))
        .route(
            &format!("{API_PREFIX}/{{*path}}"),
            get(open).put(save).patch(rename).delete(delete),
        )
        .with_state(files)
}

/// An error answer: `{"error": "..."}` with a status, and a file's current version on `409`.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
    last_modified: Option<String>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
            last_modified: None,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = ApiError {
            error: self.message,
            last_modified: self.last_modified,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<DirError> for Refusal {
    fn from(error: DirError) -> Self {
        let status = match &error {
            DirError::BadPath(_) => StatusCode::BAD_REQUEST,
            DirError::Outside(_) => StatusCode::FORBIDDEN,
            DirError::NotFound(_) => StatusCode::NOT_FOUND,
            DirError::Conflict { .. } => StatusCode::CONFLICT,
            DirError::Io { .. } => {
                tracing::error!(%error, "notebook directory");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let last_modified = match &error {
            DirError::Conflict { current, .. } => current.clone(),
            _ => None,
        };
        Refusal {
            status,
            message: error.to_string(),
            last_modified,
        }
    }
}

/// The token, and for requests that change something the Origin.
fn gate(files: &Files, request: &Request) -> Result<(), Refusal> {
    api_request::gate(&files.token, &files.allow_origins, request, "notebooks")
        .map_err(|(status, message)| Refusal::new(status, message))
}

/// The request body, which must be JSON and at most `max_body` bytes; `None` when empty.
async fn json_body<T: for<'de> Deserialize<'de>>(
    files: &Files,
    request: Request,
    what: &str,
) -> Result<Option<T>, Refusal> {
    let body = api_request::json_bytes(request, files.max_body, " (see --max-notebook-size)")
        .await
        .map_err(|(status, message)| Refusal::new(status, message))?;
    if body.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|error| Refusal::new(StatusCode::BAD_REQUEST, format!("{what}: {error}")))
}

/// A JSON body that must be there (see [`json_body`]); without one, a 400 that shows its
/// `shape`.
async fn required_json_body<T: for<'de> Deserialize<'de>>(
    files: &Files,
    request: Request,
    what: &str,
    shape: &str,
) -> Result<T, Refusal> {
    json_body(files, request, what)
        .await?
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, format!("the body must be {shape}")))
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "notebook file task failed");
            Err(Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the file operation failed",
            ))
        })
}

/// A notebook sent by a client, checked: it must parse and satisfy the nbformat 4.5 schema.
fn checked_notebook(content: Value) -> Result<IpynbNotebook, Refusal> {
    let notebook = IpynbNotebook::from_value(content).map_err(|error| {
        let at = if error.at.is_empty() {
            "content".to_string()
        } else {
            format!("content.{}", error.at)
        };
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("not a notebook: {at}: {}", error.message),
        )
    })?;
    let problems = notebook.problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("not a valid nbformat 4.5 notebook: {}", list.join("; ")),
        ));
    }
    Ok(notebook)
}

fn saved(rel: &RelPath, stamp: Stamp) -> Saved {
    Saved {
        path: rel.to_string(),
        name: rel.name().to_string(),
        last_modified: stamp.last_modified,
        size: stamp.size,
        mtime_ms: stamp.mtime_ms,
    }
}

/// `GET /api/notebooks[?path=DIR]`.
async fn list(State(files): State<Arc<Files>>, request: Request) -> Result<Json<Listing>, Refusal> {
    gate(&files, &request)?;
    let path = request
        .uri()
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(key, _)| key == "path")
                .map(|(_, value)| value.into_owned())
        })
        .unwrap_or_default();
    let rel = RelPath::parse(&path)?;
    let listing = blocking(move || Ok(files.dir.list(&rel)?)).await?;
    Ok(Json(listing))
}

/// `GET /api/notebooks/PATH`: a notebook, or a directory's listing.
async fn open(
    State(files): State<Arc<Files>>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Response, Refusal> {
    gate(&files, &request)?;
    let rel = RelPath::parse(&path)?;
    blocking(move || {
        if files.dir.is_dir(&rel)? {
            return Ok(Json(files.dir.list(&rel)?).into_response());
        }
        let (bytes, stamp) = files.dir.read(&rel)?;
        // The file is there but is not a notebook wirebook can read: unprocessable.
        let unreadable = |why: String| {
            Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, format!("\"{rel}\" {why}"))
        };
        let text = String::from_utf8(bytes).map_err(|_| unreadable("is not UTF-8 text".into()))?;
        let content = IpynbNotebook::parse(&text)
            .map_err(|error| unreadable(format!("is not a notebook wirebook can read: {error}")))?;
        let file = NotebookFile {
            path: rel.to_string(),
            name: rel.name().to_string(),
            last_modified: stamp.last_modified,
            size: stamp.size,
            mtime_ms: stamp.mtime_ms,
            upgraded_from: content.upgraded_from,
            problems: content.problems().iter().map(ToString::to_string).collect(),
            content,
        };
        Ok(Json(file).into_response())
    })
    .await
}

/// `PUT`'s body as it arrives: the content stays JSON until [`checked_notebook`] reads it, so
/// a bad notebook gets a message with its path rather than a serde position.
#[derive(Deserialize)]
struct SaveBody {
    content: Value,
    last_modified: Option<String>,
    #[serde(default)]
    force: bool,
}

/// `PUT /api/notebooks/PATH`.
async fn save(
    State(files): State<Arc<Files>>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Json<Saved>, Refusal> {
    gate(&files, &request)?;
    let rel = RelPath::parse(&path)?;
    let shape = r#"{"content": NOTEBOOK, "last_modified": VERSION}"#;
    let body: SaveBody = required_json_body(&files, request, "not a save request", shape).await?;
    let notebook = checked_notebook(body.content)?;
    let expect = match (body.force, body.last_modified) {
        (true, _) => Expect::Anything,
        (false, Some(version)) => Expect::Version(version),
        (false, None) => Expect::Absent,
    };
    let bytes = notebook.to_json().into_bytes();
    blocking(move || {
        let stamp = files.dir.write(&rel, &bytes, &expect)?;
        Ok(Json(saved(&rel, stamp)))
    })
    .await
}

/// `POST`'s body as it arrives (see [`SaveBody`]).
#[derive(Deserialize, Default)]
struct CreateBody {
    #[serde(default)]
    directory: String,
    #[serde(default)]
    content: Option<Value>,
}

/// `POST /api/notebooks`: a new `Untitled*.ipynb`.
async fn create(State(files): State<Arc<Files>>, request: Request) -> Result<Response, Refusal> {
    gate(&files, &request)?;
    let body: CreateBody = json_body(&files, request, "not a create request")
        .await?
        .unwrap_or_default();
    let dir = RelPath::parse(&body.directory)?;
    let notebook = match body.content {
        Some(content) => checked_notebook(content)?,
        None => IpynbNotebook::new(),
    };
    let bytes = notebook.to_json().into_bytes();
    let creating = Arc::clone(&files);
    let (rel, stamp) = blocking(move || Ok(creating.dir.create_untitled(&dir, &bytes)?)).await?;
    let mut response = (StatusCode::CREATED, Json(saved(&rel, stamp))).into_response();
    let location = files.base_url.join(&api_url(&rel.to_string()));
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// `PATCH /api/notebooks/PATH`: rename or move.
async fn rename(
    State(files): State<Arc<Files>>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Json<Entry>, Refusal> {
    gate(&files, &request)?;
    let from = RelPath::parse(&path)?;
    let shape = r#"{"path": NEW_PATH}"#;
    let body: RenameRequest =
        required_json_body(&files, request, "not a rename request", shape).await?;
    let to = RelPath::parse(&body.path)?;
    let moved = (from.to_string(), to.to_string());
    let renaming = Arc::clone(&files);
    let entry = blocking(move || Ok(renaming.dir.rename(&from, &to)?)).await?;
    files.kept.notebook_moved(&moved.0, &moved.1);
    Ok(Json(entry))
}

/// `DELETE /api/notebooks/PATH`.
async fn delete(
    State(files): State<Arc<Files>>,
    Path(path): Path<String>,
    request: Request,
) -> Result<StatusCode, Refusal> {
    gate(&files, &request)?;
    let rel = RelPath::parse(&path)?;
    blocking(move || Ok(files.dir.delete(&rel)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /notebooks/PATH`: the UI's page (behind the token, like every UI file), which reads
/// the notebook's path from its own URL.
async fn page(State(app): State<App>, request: Request) -> Response {
    ui::page(State(app), request).await
}
