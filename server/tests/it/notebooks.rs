//! The notebooks API on a temporary `--notebook-dir`: create, open, save, rename, delete; the
//! version check (409), paths that try to leave the directory, invalid notebooks (nothing
//! written), the token and Origin gates, the body limit; every file written checked by
//! Jupyter's own validator (python nbformat); and saves cut off by SIGKILL leaving no broken
//! file.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use wirebook_server::config::Config;
use wirebook_shared::ipynb::{IpynbCell, IpynbCellKind, IpynbNotebook};
use wirebook_shared::notebook_files::{Listing, NotebookFile, Saved};

use crate::http::{http_get, http_request, status_of, try_http_request, HttpResponse};
use crate::peers::run_peer;
use crate::support::{TempDir, TestServer, TOKEN};

const INDEX: &str = "<!doctype html><title>wirebook notebook page</title>";
const OUTPUTS_FIXTURE: &str = include_str!("../../../shared/fixtures/ipynb/outputs_v4_5.ipynb");
const LEGACY_FIXTURE: &str = include_str!("../../../shared/fixtures/ipynb/legacy_v4_4.ipynb");

/// A server whose notebook directory and UI are fresh temporary directories.
struct Setup {
    server: TestServer,
    dir: TempDir,
    _dist: TempDir,
}

impl Setup {
    async fn new(tag: &str) -> Self {
        Self::with(tag, |_| {}).await
    }

    async fn with(tag: &str, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = TempDir::new(&format!("nb-{tag}"));
        let dist = TempDir::new(&format!("nb-ui-{tag}"));
        std::fs::write(dist.0.join("index.html"), INDEX).unwrap();
        let mut config = Config::new(TOKEN);
        config.notebooks.dir = dir.0.clone();
        config.dist = dist.0.clone();
        adjust(&mut config);
        Setup {
            server: TestServer::start(config).await,
            dir,
            _dist: dist,
        }
    }

    /// A request with the token in the Authorization header (and a JSON body, if any).
    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        let auth = format!("token {TOKEN}");
        let mut headers = vec![("Authorization", auth.as_str())];
        let body = body.map(|b| b.to_string());
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let body = body.unwrap_or_default();
        http_request(self.server.addr, method, path, &headers, &body).await
    }

    /// `PUT /api/notebooks/PATH`: saves `content` over the version `last_modified` (`None`:
    /// only if there is no file yet).
    async fn save(
        &self,
        path: &str,
        content: &IpynbNotebook,
        last_modified: Option<&str>,
    ) -> HttpResponse {
        let body = save_body(content, last_modified);
        self.call("PUT", &format!("/api/notebooks/{path}"), Some(&body))
            .await
    }

    /// `PATCH /api/notebooks/FROM`: renames or moves it to `to`.
    async fn rename(&self, from: &str, to: &str) -> HttpResponse {
        let body = json!({ "path": to });
        self.call("PATCH", &format!("/api/notebooks/{from}"), Some(&body))
            .await
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }
}

/// Every `.ipynb` under `dir`, recursively.
fn notebooks_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(notebooks_in(&path));
        } else if path.extension().is_some_and(|e| e == "ipynb") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Runs Jupyter's validator (`tests/peers/validate_ipynb.py`) on files; panics naming the
/// invalid ones.
async fn assert_jupyter_valid(files: &[PathBuf]) {
    assert!(!files.is_empty(), "no files to validate");
    let stdout = run_peer("validate_ipynb.py", files).await;
    assert_eq!(stdout.lines().count(), files.len(), "{stdout}");
}

fn notebook_with_cell(source: &str) -> IpynbNotebook {
    let mut notebook = IpynbNotebook::new();
    notebook.cells.push(IpynbCell::new(
        "c1",
        IpynbCellKind::Code {
            execution_count: None,
            outputs: Vec::new(),
        },
        source,
    ));
    notebook
}

fn save_body(content: &IpynbNotebook, last_modified: Option<&str>) -> Value {
    json!({"content": content, "last_modified": last_modified})
}

#[tokio::test]
async fn create_open_save_rename_delete() {
    let setup = Setup::new("crud").await;
    std::fs::create_dir(setup.path("sub")).unwrap();

    let created = setup.call("POST", "/api/notebooks", None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let first: Saved = created.parse();
    assert_eq!(first.path, "Untitled.ipynb");
    assert_eq!(
        created.header("location"),
        Some("/api/notebooks/Untitled.ipynb")
    );
    let second = setup.call("POST", "/api/notebooks", Some(&json!({}))).await;
    assert_eq!(second.parse::<Saved>().path, "Untitled1.ipynb");
    let in_sub = setup
        .call(
            "POST",
            "/api/notebooks",
            Some(&json!({"directory": "sub", "content": notebook_with_cell("1 + 1")})),
        )
        .await;
    assert_eq!(in_sub.status, 201, "{}", in_sub.body);
    assert_eq!(in_sub.parse::<Saved>().path, "sub/Untitled.ipynb");

    let listing: Listing = setup.call("GET", "/api/notebooks", None).await.parse();
    let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["sub", "Untitled.ipynb", "Untitled1.ipynb"]);
    let sub: Listing = setup
        .call("GET", "/api/notebooks?path=sub", None)
        .await
        .parse();
    assert_eq!(sub.entries[0].path, "sub/Untitled.ipynb");
    let same: Listing = setup.call("GET", "/api/notebooks/sub", None).await.parse();
    assert_eq!(same, sub);

    let opened: NotebookFile = setup
        .call("GET", "/api/notebooks/Untitled.ipynb", None)
        .await
        .parse();
    assert_eq!(opened.last_modified, first.last_modified);
    assert!(opened.content.cells.is_empty());
    assert!(opened.problems.is_empty());

    let edited = notebook_with_cell("print('saved')");
    let saved = setup
        .save("Untitled.ipynb", &edited, Some(&opened.last_modified))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let saved: Saved = saved.parse();
    assert_ne!(saved.last_modified, opened.last_modified);
    let on_disk = std::fs::read_to_string(setup.path("Untitled.ipynb")).unwrap();
    assert_eq!(on_disk, edited.to_json(), "written as Jupyter writes");
    let reopened: NotebookFile = setup
        .call("GET", "/api/notebooks/Untitled.ipynb", None)
        .await
        .parse();
    assert_eq!(reopened.content, edited);
    assert_eq!(reopened.last_modified, saved.last_modified);

    // A real Jupyter notebook goes through a save unchanged.
    let jupyter = IpynbNotebook::parse(OUTPUTS_FIXTURE).unwrap();
    let put = setup.save("sub/jupyter.ipynb", &jupyter, None).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        std::fs::read_to_string(setup.path("sub/jupyter.ipynb")).unwrap(),
        OUTPUTS_FIXTURE
    );

    assert_jupyter_valid(&notebooks_in(&setup.dir.0)).await;

    let renamed = setup.rename("Untitled.ipynb", "sub/renamed.ipynb").await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["path"], json!("sub/renamed.ipynb"));
    let gone = setup
        .call("GET", "/api/notebooks/Untitled.ipynb", None)
        .await;
    assert_eq!(gone.status, 404);
    assert!(gone.error().contains("does not exist"), "{}", gone.body);
    let moved: NotebookFile = setup
        .call("GET", "/api/notebooks/sub/renamed.ipynb", None)
        .await
        .parse();
    assert_eq!(
        moved.last_modified, saved.last_modified,
        "content unchanged"
    );
    let taken = setup.rename("Untitled1.ipynb", "sub/renamed.ipynb").await;
    assert_eq!(taken.status, 409, "{}", taken.body);

    let deleted = setup
        .call("DELETE", "/api/notebooks/sub/renamed.ipynb", None)
        .await;
    assert_eq!(deleted.status, 204);
    assert!(!setup.path("sub/renamed.ipynb").exists());
    let not_empty = setup.call("DELETE", "/api/notebooks/sub", None).await;
    assert_eq!(not_empty.status, 409, "{}", not_empty.body);
    let again = setup
        .call("DELETE", "/api/notebooks/sub/renamed.ipynb", None)
        .await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn a_save_over_a_changed_file_is_a_conflict() {
    let setup = Setup::new("conflict").await;
    std::fs::write(setup.path("n.ipynb"), LEGACY_FIXTURE).unwrap();
    let loaded: NotebookFile = setup
        .call("GET", "/api/notebooks/n.ipynb", None)
        .await
        .parse();
    assert_eq!(loaded.upgraded_from, Some(4));
    assert_eq!(loaded.content.nbformat_minor, 5);

    // Tab A saves first; tab B, loaded at the same version, is refused.
    let a = notebook_with_cell("'tab a'");
    let saved_a: Saved = setup
        .save("n.ipynb", &a, Some(&loaded.last_modified))
        .await
        .parse();
    let b = notebook_with_cell("'tab b'");
    let refused = setup.save("n.ipynb", &b, Some(&loaded.last_modified)).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.error().contains("changed on disk"),
        "{}",
        refused.body
    );
    assert_eq!(
        refused.json()["last_modified"],
        json!(saved_a.last_modified)
    );
    assert_eq!(
        std::fs::read_to_string(setup.path("n.ipynb")).unwrap(),
        a.to_json()
    );

    // A change made by another program is a conflict too.
    std::fs::write(setup.path("n.ipynb"), LEGACY_FIXTURE).unwrap();
    let refused = setup
        .save("n.ipynb", &a, Some(&saved_a.last_modified))
        .await;
    assert_eq!(refused.status, 409);

    // Forced, it goes through.
    let forced = setup
        .call(
            "PUT",
            "/api/notebooks/n.ipynb",
            Some(&json!({"content": b, "last_modified": loaded.last_modified, "force": true})),
        )
        .await;
    assert_eq!(forced.status, 200, "{}", forced.body);

    // Without a version a save creates, and only once; a deleted file is a conflict.
    let created = setup.save("new.ipynb", &a, None).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let twice = setup.save("new.ipynb", &a, None).await;
    assert_eq!(twice.status, 409);
    std::fs::remove_file(setup.path("new.ipynb")).unwrap();
    let deleted = setup
        .save(
            "new.ipynb",
            &a,
            Some(&created.parse::<Saved>().last_modified),
        )
        .await;
    assert_eq!(deleted.status, 409);
    assert!(deleted.error().contains("deleted"), "{}", deleted.body);
    assert!(!setup.path("new.ipynb").exists());

    assert_jupyter_valid(&notebooks_in(&setup.dir.0)).await;
}

#[tokio::test]
async fn paths_that_leave_the_directory_are_refused() {
    let setup = Setup::new("escape").await;
    let outside = TempDir::new("nb-outside");
    std::fs::write(outside.0.join("secret.ipynb"), OUTPUTS_FIXTURE).unwrap();
    std::fs::create_dir(setup.path("sub")).unwrap();
    let content = json!({"content": notebook_with_cell("x"), "last_modified": null, "force": true});

    for path in [
        "/api/notebooks/../secret.ipynb",
        "/api/notebooks/sub/../../secret.ipynb",
        "/api/notebooks/..%2F..%2Fsecret.ipynb",
        "/api/notebooks/%2Fetc%2Fpasswd",
        "/api/notebooks/sub/%2E%2E/%2E%2E/x.ipynb",
        "/api/notebooks/.hidden.ipynb",
        "/api/notebooks?path=..",
        "/api/notebooks?path=%2Ftmp",
    ] {
        for method in ["GET", "PUT", "DELETE"] {
            let body = (method == "PUT").then_some(&content);
            let reply = setup.call(method, path, body).await;
            assert!(
                matches!(reply.status, 400 | 404 | 405),
                "{method} {path}: {} {}",
                reply.status,
                reply.body
            );
            if reply.status == 400 {
                assert!(!reply.error().is_empty());
            }
        }
    }
    let escape = setup.rename("sub", "../escaped").await;
    assert_eq!(escape.status, 400, "{}", escape.body);
    let escape = setup
        .call("POST", "/api/notebooks", Some(&json!({"directory": "../"})))
        .await;
    assert_eq!(escape.status, 400, "{}", escape.body);

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside.0, setup.path("link")).unwrap();
        std::os::unix::fs::symlink(outside.0.join("secret.ipynb"), setup.path("s.ipynb")).unwrap();
        for (method, path) in [
            ("GET", "/api/notebooks/link/secret.ipynb"),
            ("GET", "/api/notebooks/s.ipynb"),
            ("GET", "/api/notebooks/link"),
            ("GET", "/api/notebooks?path=link"),
            ("PUT", "/api/notebooks/link/secret.ipynb"),
            ("PUT", "/api/notebooks/link/new.ipynb"),
            ("PUT", "/api/notebooks/s.ipynb"),
            ("DELETE", "/api/notebooks/link/secret.ipynb"),
        ] {
            let body = (method == "PUT").then_some(&content);
            let reply = setup.call(method, path, body).await;
            assert_eq!(reply.status, 403, "{method} {path}: {}", reply.body);
            assert!(reply.error().contains("outside"), "{}", reply.body);
        }
        let created = setup
            .call(
                "POST",
                "/api/notebooks",
                Some(&json!({"directory": "link"})),
            )
            .await;
        assert_eq!(created.status, 403, "{}", created.body);
        let listing: Listing = setup.call("GET", "/api/notebooks", None).await.parse();
        let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["sub"], "links out of the directory are not listed");
    }
    assert_eq!(
        std::fs::read_to_string(outside.0.join("secret.ipynb")).unwrap(),
        OUTPUTS_FIXTURE
    );
    let names: Vec<_> = std::fs::read_dir(&outside.0).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing written outside");
    assert!(!setup.dir.0.parent().unwrap().join("escaped").exists());
}

#[tokio::test]
async fn invalid_notebooks_are_refused_and_nothing_is_written() {
    let setup = Setup::with("invalid", |config| config.notebooks.max_size = 64 * 1024).await;
    let good = notebook_with_cell("kept");
    let saved: Saved = setup.save("n.ipynb", &good, None).await.parse();
    let before = std::fs::read(setup.path("n.ipynb")).unwrap();

    let mut missing = serde_json::to_value(&good).unwrap();
    missing["cells"][0]
        .as_object_mut()
        .unwrap()
        .remove("outputs");
    let mut extra = serde_json::to_value(&good).unwrap();
    extra["cells"][0]["surprise"] = json!(1);
    let mut bad_id = serde_json::to_value(&good).unwrap();
    bad_id["cells"][0]["id"] = json!("no spaces allowed");
    let cases = [
        (
            json!({"content": missing, "last_modified": saved.last_modified}),
            "content.cells[0]: missing field \"outputs\"",
        ),
        (
            json!({"content": extra, "last_modified": saved.last_modified}),
            "does not allow a field \"surprise\"",
        ),
        (
            json!({"content": bad_id, "last_modified": saved.last_modified}),
            "is not a valid cell id",
        ),
        (
            json!({"content": {"nbformat": 3}, "last_modified": saved.last_modified}),
            "nbformat",
        ),
        (
            json!({"notebook": good, "last_modified": saved.last_modified}),
            "missing field `content`",
        ),
    ];
    for (body, expected) in &cases {
        for path in ["/api/notebooks/n.ipynb", "/api/notebooks/fresh.ipynb"] {
            let reply = setup.call("PUT", path, Some(body)).await;
            assert_eq!(reply.status, 400, "{path} {body}: {}", reply.body);
            assert!(reply.error().contains(expected), "{}", reply.body);
        }
    }
    let create = setup
        .call("POST", "/api/notebooks", Some(&json!({"content": extra})))
        .await;
    assert_eq!(create.status, 400, "{}", create.body);

    let auth = format!("token {TOKEN}");
    let not_json = http_request(
        setup.server.addr,
        "PUT",
        "/api/notebooks/n.ipynb",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        "{\"content\": ",
    )
    .await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    let form = http_request(
        setup.server.addr,
        "PUT",
        "/api/notebooks/n.ipynb",
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        &save_body(&good, Some(&saved.last_modified)).to_string(),
    )
    .await;
    assert_eq!(form.status, 415, "{}", form.body);
    let big = notebook_with_cell(&"x".repeat(70 * 1024));
    let too_big = setup
        .save("n.ipynb", &big, Some(&saved.last_modified))
        .await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    assert!(too_big.error().contains("--max-notebook-size"));
    let not_a_notebook = setup.save("n.txt", &good, None).await;
    assert_eq!(not_a_notebook.status, 400);

    assert_eq!(std::fs::read(setup.path("n.ipynb")).unwrap(), before);
    let mut names: Vec<String> = std::fs::read_dir(&setup.dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["n.ipynb"], "no new files, no temporary files");

    // A file on disk that is not a notebook is reported, not served as one.
    std::fs::write(setup.path("broken.ipynb"), "{\"nbformat\": 4, \"cells\": [").unwrap();
    let broken = setup.call("GET", "/api/notebooks/broken.ipynb", None).await;
    assert_eq!(broken.status, 422);
    assert!(broken.error().contains("not JSON"), "{}", broken.body);
}

#[tokio::test]
async fn the_token_and_the_origin_are_required() {
    let setup = Setup::new("gate").await;
    std::fs::write(setup.path("n.ipynb"), OUTPUTS_FIXTURE).unwrap();
    let addr = setup.server.addr;
    for (method, path) in [
        ("GET", "/api/notebooks"),
        ("GET", "/api/notebooks/n.ipynb"),
        ("POST", "/api/notebooks"),
        ("DELETE", "/api/notebooks/n.ipynb"),
        ("GET", "/api/notebooks/n.ipynb?token=wrong"),
    ] {
        let reply = http_request(addr, method, path, &[], "").await;
        assert_eq!(reply.status, 403, "{method} {path}");
        assert!(reply.error().contains("token"), "{}", reply.body);
    }
    let cookie = format!("wirebook_token={TOKEN}");
    let by_cookie = http_get(addr, "/api/notebooks", &[("Cookie", &cookie)]).await;
    assert_eq!(by_cookie.status, 200);
    let by_query = http_get(addr, &format!("/api/notebooks/n.ipynb?token={TOKEN}"), &[]).await;
    assert_eq!(by_query.status, 200);

    // A page on another origin cannot change notebooks with the user's cookie.
    let foreign = http_request(
        addr,
        "DELETE",
        "/api/notebooks/n.ipynb",
        &[("Cookie", &cookie), ("Origin", "http://evil.example")],
        "",
    )
    .await;
    assert_eq!(foreign.status, 403);
    assert!(foreign.error().contains("origin"), "{}", foreign.body);
    assert!(setup.path("n.ipynb").exists());
    let own_origin = format!("http://{addr}");
    let same = http_request(
        addr,
        "DELETE",
        "/api/notebooks/n.ipynb",
        &[("Cookie", &cookie), ("Origin", &own_origin)],
        "",
    )
    .await;
    assert_eq!(same.status, 204, "{}", same.body);

    // The notebook page is the UI, behind the same token.
    let page = http_get(addr, "/notebooks/sub/n.ipynb", &[]).await;
    assert_eq!(page.status, 403);
    let page = http_get(addr, &format!("/notebooks/sub/n.ipynb?token={TOKEN}"), &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(INDEX), "{}", page.body);
    assert!(page
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("wirebook_token=")));
}

/// Starts the binary on a notebook directory; returns it and its port.
fn start_binary(dir: &Path) -> (std::process::Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirebook"))
        .args(["--bind", "127.0.0.1:0", "--token", TOKEN, "--notebook-dir"])
        .arg(dir)
        .args(["--dist"])
        .arg(dir.join("no-ui"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}

#[tokio::test]
async fn saves_cut_off_by_sigkill_leave_only_whole_notebooks() {
    let dir = TempDir::new("nb-kill");
    let (mut child, port) = start_binary(&dir.0);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let names = ["a.ipynb", "b.ipynb", "c.ipynb"];
    // Sizes differ, so that a torn write could not pass for another version; small enough for
    // many saves a second, so the kill is likely to land inside one.
    let versions: Vec<IpynbNotebook> = (0..6)
        .map(|n| {
            notebook_with_cell(&format!(
                "# version {n}\n{}",
                "x = 1\n".repeat(4_000 * (n + 1))
            ))
        })
        .collect();
    let bodies: Vec<String> = versions
        .iter()
        .map(|v| json!({"content": v, "last_modified": null, "force": true}).to_string())
        .collect();
    let auth = format!("token {TOKEN}");
    let mut burst = tokio::task::JoinSet::new();
    for (i, name) in names.iter().enumerate() {
        let bodies = bodies.clone();
        let auth = auth.clone();
        let path = format!("/api/notebooks/{name}");
        burst.spawn(async move {
            let mut saved = 0;
            for round in 0.. {
                let body = &bodies[(round + i) % bodies.len()];
                let headers = [
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/json"),
                ];
                // Once the server is gone, requests fail: that ends this client.
                let sent = tokio::time::timeout(
                    Duration::from_secs(10),
                    try_http_request(addr, "PUT", &path, &headers, body),
                )
                .await;
                match sent.ok().and_then(Result::ok).as_deref().map(status_of) {
                    Some(Some(200)) => saved += 1,
                    Some(Some(status)) => panic!("save answered {status}"),
                    _ => return saved,
                }
            }
            saved
        });
    }
    // Let saves complete on every file, then kill in the middle of the burst.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let mut total = 0;
    while let Some(saved) = burst.join_next().await {
        total += saved.unwrap();
    }
    assert!(
        total >= names.len(),
        "too few saves before the kill: {total}"
    );

    let files = notebooks_in(&dir.0);
    assert!(!files.is_empty());
    // Interrupted saves leave hidden temporary files, which listings never show.
    let leftovers = std::fs::read_dir(&dir.0)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".~")
        })
        .count();
    eprintln!("{total} saves before the kill; {leftovers} temporary files left by it");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let notebook = IpynbNotebook::parse(&text)
            .unwrap_or_else(|e| panic!("{} is broken after the kill: {e}", file.display()));
        assert!(
            versions.contains(&notebook),
            "{} holds no version that was sent",
            file.display()
        );
        assert_eq!(text, notebook.to_json(), "{} is whole", file.display());
    }
    assert_jupyter_valid(&files).await;
}

#[tokio::test]
async fn names_the_file_system_cannot_take_are_the_requests_fault() {
    let setup = Setup::new("names").await;
    std::fs::write(setup.path("plain.ipynb"), OUTPUTS_FIXTURE).unwrap();
    let body = save_body(&notebook_with_cell("x"), None);
    let long = format!("{}.ipynb", "n".repeat(300));
    let too_long_path = format!("{}/x.ipynb", "d/".repeat(600));
    for (method, path, why) in [
        ("GET", format!("/api/notebooks/{long}"), "at most 255"),
        ("PUT", format!("/api/notebooks/{long}"), "at most 255"),
        (
            "GET",
            format!("/api/notebooks/{too_long_path}"),
            "at most 1024",
        ),
        (
            "GET",
            "/api/notebooks/plain.ipynb/inner.ipynb".to_string(),
            "not a directory",
        ),
        (
            "PUT",
            "/api/notebooks/plain.ipynb/inner.ipynb".to_string(),
            "not a directory",
        ),
    ] {
        let reply = setup.call(method, &path, Some(&body)).await;
        assert_eq!(reply.status, 400, "{method} {path}: {}", reply.body);
        assert!(reply.error().contains(why), "{method}: {}", reply.body);
    }
    // The longest name a file system takes is saved, through its temporary file.
    let longest = format!("{}.ipynb", "m".repeat(255 - ".ipynb".len()));
    let saved = setup
        .call("PUT", &format!("/api/notebooks/{longest}"), Some(&body))
        .await;
    assert!(saved.status < 300, "{}", saved.body);
    assert!(setup.path(&longest).is_file());
}
