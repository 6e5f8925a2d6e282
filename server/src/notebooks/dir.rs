//! The notebook directory (`--notebook-dir`): the only place the notebooks API reads and writes.
//!
//! Every path comes in as a [`RelPath`] — relative, `/`-separated, no `.`/`..`, no hidden
//! segments — and is resolved with symlinks followed; a path whose real location is outside the
//! directory is refused, so a link cannot be used to read or overwrite other files. Only
//! directories and `.ipynb` files are visible.
//!
//! Writes are atomic: the new content goes to a hidden temporary file in the same directory,
//! is flushed to disk, then renamed over the target, and the directory entry is flushed too.
//! A crash leaves either the old file or the new one, never a truncated mix. New files (and
//! rename targets) are linked into place, which fails instead of overwriting a file that
//! appeared meanwhile. Saves are checked against the version the client loaded, so a change
//! made on disk (or in another tab) is not silently overwritten.
//!
//! Everything here is blocking file IO; the HTTP layer runs it on tokio's blocking pool.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use wirebook_shared::notebook_files::{Entry, EntryKind, Listing, EXTENSION};

/// Why an operation on the notebook directory failed; each maps to an HTTP status.
#[derive(Debug)]
pub enum DirError {
    /// The request names something the API does not handle (400).
    BadPath(String),
    /// The path leads outside the notebook directory (403).
    Outside(String),
    NotFound(String),
    /// The file is not in the state the client expected (409); its current version, if any.
    Conflict {
        message: String,
        current: Option<String>,
    },
    Io {
        context: String,
        error: io::Error,
    },
}

impl std::fmt::Display for DirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DirError::BadPath(m) | DirError::Outside(m) | DirError::NotFound(m) => f.write_str(m),
            DirError::Conflict { message, .. } => f.write_str(message),
            DirError::Io { context, error } => write!(f, "{context}: {error}"),
        }
    }
}

/// The longest name a path segment may have (Linux's NAME_MAX), in bytes.
pub const MAX_NAME: usize = 255;

/// The longest path a client may name, in bytes (well inside PATH_MAX with the directory's own).
pub const MAX_PATH: usize = 1024;

/// A failed file operation: 4xx when the request named something the file system cannot take
/// there (a file where a directory should be), 5xx otherwise.
fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> DirError {
    let context = context.into();
    move |error| match error.kind() {
        ErrorKind::NotADirectory => DirError::BadPath(format!(
            "{context}: a part of the path is a file, not a directory"
        )),
        _ => DirError::Io { context, error },
    }
}

/// A checked path relative to the notebook directory; the empty path is the directory itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelPath {
    segments: Vec<String>,
}

impl RelPath {
    /// The notebook directory itself.
    pub fn root() -> Self {
        RelPath {
            segments: Vec::new(),
        }
    }

    /// Checks a client's path. One trailing `/` is allowed.
    pub fn parse(path: &str) -> Result<Self, DirError> {
        if path.starts_with('/') || path.starts_with('\\') {
            return Err(DirError::BadPath(format!(
                "{path:?} is absolute; paths are relative to the notebook directory"
            )));
        }
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        if trimmed.is_empty() {
            return Ok(Self::root());
        }
        if trimmed.len() > MAX_PATH {
            return Err(DirError::BadPath(format!(
                "the path is {} bytes long; at most {MAX_PATH} are allowed",
                trimmed.len()
            )));
        }
        let mut segments = Vec::new();
        for segment in trimmed.split('/') {
            let refuse = |why: &str| Err(DirError::BadPath(format!("{path:?}: {why}")));
            if segment.is_empty() {
                return refuse("empty path segment");
            }
            if segment == "." || segment == ".." {
                return refuse("`.` and `..` are not allowed");
            }
            if segment.starts_with('.') {
                return refuse("hidden files and directories are not served");
            }
            if segment.contains(['\\', '\0']) {
                return refuse("backslashes and NUL are not allowed");
            }
            if segment.len() > MAX_NAME {
                return Err(DirError::BadPath(format!(
                    "a name is {} bytes long; at most {MAX_NAME} are allowed",
                    segment.len()
                )));
            }
            segments.push(segment.to_string());
        }
        Ok(RelPath { segments })
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The last segment (`""` for the root).
    pub fn name(&self) -> &str {
        self.segments.last().map_or("", String::as_str)
    }

    pub fn parent(&self) -> RelPath {
        let mut segments = self.segments.clone();
        segments.pop();
        RelPath { segments }
    }

    pub fn join(&self, name: &str) -> RelPath {
        let mut segments = self.segments.clone();
        segments.push(name.to_string());
        RelPath { segments }
    }

    /// Whether the name is `something.ipynb`.
    pub fn is_notebook(&self) -> bool {
        is_notebook_name(self.name())
    }

    fn require_notebook(&self) -> Result<(), DirError> {
        if self.is_notebook() {
            Ok(())
        } else {
            Err(DirError::BadPath(format!(
                "{:?} is not a notebook: only {EXTENSION} files are served",
                self.to_string()
            )))
        }
    }
}

impl std::fmt::Display for RelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.segments.join("/"))
    }
}

fn is_notebook_name(name: &str) -> bool {
    name.len() > EXTENSION.len() && name.ends_with(EXTENSION)
}

/// A file's version as the API reports it: its length and a 64-bit FNV-1a hash of its bytes.
/// Unlike a modification time it changes with every change of content, however fast the
/// saves come, and it does not change when nothing did.
pub fn version(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}-{hash:016x}", bytes.len())
}

/// What a save expects to find on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The file at this version.
    Version(String),
    /// No file.
    Absent,
    /// Anything (a forced save).
    Anything,
}

/// A written or read file's version, size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub last_modified: String,
    pub size: u64,
    pub mtime_ms: Option<u64>,
}

impl Stamp {
    fn of(bytes: &[u8], path: &Path) -> Self {
        Stamp {
            last_modified: version(bytes),
            size: bytes.len() as u64,
            mtime_ms: fs::metadata(path).ok().as_ref().and_then(mtime_ms),
        }
    }
}

fn mtime_ms(meta: &fs::Metadata) -> Option<u64> {
    let since = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(since.as_millis()).ok()
}

/// The notebook directory.
#[derive(Debug)]
pub struct NotebookDir {
    root: PathBuf,
    /// Held from a save's version check to its rename, so two saves through this server
    /// cannot both pass the check.
    writes: Mutex<()>,
}

impl NotebookDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        NotebookDir {
            root: root.into(),
            writes: Mutex::new(()),
        }
    }

    /// The directory's real path (resolved on every call, so it may be created after start).
    fn real_root(&self) -> Result<PathBuf, DirError> {
        fs::canonicalize(&self.root).map_err(io_error(format!(
            "the notebook directory {} cannot be opened",
            self.root.display()
        )))
    }

    /// The real path of an existing entry, symlinks followed; refused when it leads outside.
    fn existing(&self, rel: &RelPath) -> Result<PathBuf, DirError> {
        let root = self.real_root()?;
        let mut lexical = root.clone();
        lexical.extend(&rel.segments);
        match fs::canonicalize(&lexical) {
            Ok(real) if real.starts_with(&root) => Ok(real),
            Ok(_) => Err(DirError::Outside(format!(
                "\"{rel}\" leads outside the notebook directory"
            ))),
            Err(error) if error.kind() == ErrorKind::NotFound => {
                Err(DirError::NotFound(format!("\"{rel}\" does not exist")))
            }
            Err(error) => Err(io_error(format!("cannot resolve \"{rel}\""))(error)),
        }
    }

    fn existing_dir(&self, rel: &RelPath) -> Result<PathBuf, DirError> {
        let real = self.existing(rel)?;
        if real.is_dir() {
            Ok(real)
        } else {
            Err(DirError::BadPath(format!("\"{rel}\" is not a directory")))
        }
    }

    /// Where `rel` is on disk, without following a symlink in its last segment: its
    /// directory's real path joined with its name. For renaming and deleting links themselves.
    fn in_real_parent(&self, rel: &RelPath) -> Result<PathBuf, DirError> {
        Ok(self.existing_dir(&rel.parent())?.join(rel.name()))
    }

    /// Where a file that may not exist yet goes: into its (existing) directory; if it exists,
    /// possibly as a symlink, its real path, which must be inside too.
    fn target(&self, rel: &RelPath) -> Result<PathBuf, DirError> {
        let path = self.in_real_parent(rel)?;
        match fs::symlink_metadata(&path) {
            Ok(_) => match self.existing(rel) {
                Err(DirError::NotFound(_)) => {
                    Err(DirError::BadPath(format!("\"{rel}\" is a link to nothing")))
                }
                other => other,
            },
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(path),
            Err(error) => Err(io_error(format!("cannot look at \"{rel}\""))(error)),
        }
    }

    /// Whether `rel` is a directory (following links inside the notebook directory).
    pub fn is_dir(&self, rel: &RelPath) -> Result<bool, DirError> {
        Ok(self.existing(rel)?.is_dir())
    }

    /// The subdirectories and notebooks of a directory.
    pub fn list(&self, rel: &RelPath) -> Result<Listing, DirError> {
        let root = self.real_root()?;
        let dir = self.existing_dir(rel)?;
        let read = fs::read_dir(&dir).map_err(io_error(format!("cannot list \"{rel}\"")))?;
        let mut entries = Vec::new();
        for item in read {
            let Ok(item) = item else { continue };
            let Ok(name) = item.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let path = item.path();
            if item.file_type().is_ok_and(|t| t.is_symlink())
                && !fs::canonicalize(&path).is_ok_and(|real| real.starts_with(&root))
            {
                continue;
            }
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            let kind = if meta.is_dir() {
                EntryKind::Directory
            } else if meta.is_file() && is_notebook_name(&name) {
                EntryKind::Notebook
            } else {
                continue;
            };
            entries.push(Entry {
                path: rel.join(&name).to_string(),
                size: (kind == EntryKind::Notebook).then_some(meta.len()),
                mtime_ms: mtime_ms(&meta),
                name,
                kind,
            });
        }
        entries.sort_by(|a, b| {
            (
                a.kind != EntryKind::Directory,
                a.name.to_lowercase(),
                &a.name,
            )
                .cmp(&(
                    b.kind != EntryKind::Directory,
                    b.name.to_lowercase(),
                    &b.name,
                ))
        });
        Ok(Listing {
            path: rel.to_string(),
            entries,
        })
    }

    /// A notebook's bytes and version.
    pub fn read(&self, rel: &RelPath) -> Result<(Vec<u8>, Stamp), DirError> {
        rel.require_notebook()?;
        let path = self.existing(rel)?;
        if !path.is_file() {
            return Err(DirError::BadPath(format!("\"{rel}\" is not a file")));
        }
        let bytes = fs::read(&path).map_err(io_error(format!("cannot read \"{rel}\"")))?;
        let stamp = Stamp::of(&bytes, &path);
        Ok((bytes, stamp))
    }

    /// Replaces (or creates) a notebook atomically if the file on disk is as `expect`ed.
    pub fn write(&self, rel: &RelPath, bytes: &[u8], expect: &Expect) -> Result<Stamp, DirError> {
        rel.require_notebook()?;
        let path = self.target(rel)?;
        let _guard = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let current = match fs::read(&path) {
            Ok(current) => Some(version(&current)),
            Err(error) if error.kind() == ErrorKind::NotFound => None,
            Err(error) => return Err(io_error(format!("cannot read \"{rel}\""))(error)),
        };
        match (expect, &current) {
            (Expect::Anything, _) | (Expect::Absent, None) => {}
            (Expect::Version(expected), Some(current)) if expected == current => {}
            (Expect::Version(_), None) => {
                return Err(DirError::Conflict {
                    message: format!("\"{rel}\" was deleted since it was loaded"),
                    current: None,
                })
            }
            (Expect::Version(_), Some(current)) => {
                return Err(DirError::Conflict {
                    message: format!("\"{rel}\" changed on disk since it was loaded"),
                    current: Some(current.clone()),
                })
            }
            (Expect::Absent, Some(current)) => {
                return Err(DirError::Conflict {
                    message: format!("\"{rel}\" already exists"),
                    current: Some(current.clone()),
                })
            }
        }
        replace_atomically(&path, bytes).map_err(io_error(format!("cannot write \"{rel}\"")))?;
        Ok(Stamp::of(bytes, &path))
    }

    /// Writes a new notebook as `Untitled.ipynb`, `Untitled1.ipynb`, ... (the first name that
    /// is free) in a directory.
    pub fn create_untitled(
        &self,
        dir: &RelPath,
        bytes: &[u8],
    ) -> Result<(RelPath, Stamp), DirError> {
        let real_dir = self.existing_dir(dir)?;
        let _guard = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let temp = write_temp(&real_dir, "Untitled", bytes, None)
            .map_err(io_error(format!("cannot write in \"{dir}\"")))?;
        let result = (|| {
            for n in 0..10_000u32 {
                let name = match n {
                    0 => format!("Untitled{EXTENSION}"),
                    n => format!("Untitled{n}{EXTENSION}"),
                };
                let path = real_dir.join(&name);
                if link_new(&temp, &path)? {
                    return Ok(Some((dir.join(&name), path)));
                }
            }
            Ok(None)
        })();
        let _ = fs::remove_file(&temp);
        match result {
            Ok(Some((rel, path))) => {
                sync_dir(&real_dir);
                Ok((rel, Stamp::of(bytes, &path)))
            }
            Ok(None) => Err(DirError::Conflict {
                message: format!("\"{dir}\" has no free Untitled name left"),
                current: None,
            }),
            Err(error) => Err(io_error(format!("cannot create a notebook in \"{dir}\""))(
                error,
            )),
        }
    }

    /// Moves a notebook or directory; refused if `to` exists.
    pub fn rename(&self, from: &RelPath, to: &RelPath) -> Result<Entry, DirError> {
        if from.is_root() || to.is_root() {
            return Err(DirError::BadPath(
                "the notebook directory itself cannot be renamed".into(),
            ));
        }
        let is_dir = self.existing(from)?.is_dir();
        if !is_dir {
            from.require_notebook()?;
            to.require_notebook()?;
        }
        let source = self.in_real_parent(from)?;
        let destination = self.in_real_parent(to)?;
        let _guard = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = || DirError::Conflict {
            message: format!("\"{to}\" already exists"),
            current: None,
        };
        let moved = if is_dir {
            if fs::symlink_metadata(&destination).is_ok() {
                return Err(taken());
            }
            fs::rename(&source, &destination)
        } else {
            match link_new(&source, &destination) {
                Ok(true) => remove_if_there(&source),
                Ok(false) => return Err(taken()),
                Err(error) => Err(error),
            }
        };
        moved.map_err(io_error(format!("cannot rename \"{from}\" to \"{to}\"")))?;
        for dir in [source.parent(), destination.parent()]
            .into_iter()
            .flatten()
        {
            sync_dir(dir);
        }
        let meta = fs::metadata(&destination)
            .map_err(io_error(format!("cannot look at \"{to}\" after renaming")))?;
        Ok(Entry {
            name: to.name().to_string(),
            path: to.to_string(),
            kind: if is_dir {
                EntryKind::Directory
            } else {
                EntryKind::Notebook
            },
            size: (!is_dir).then_some(meta.len()),
            mtime_ms: mtime_ms(&meta),
        })
    }

    /// Deletes a notebook, or an empty directory.
    pub fn delete(&self, rel: &RelPath) -> Result<(), DirError> {
        if rel.is_root() {
            return Err(DirError::BadPath(
                "the notebook directory itself cannot be deleted".into(),
            ));
        }
        self.existing(rel)?;
        let path = self.in_real_parent(rel)?;
        let _guard = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let meta =
            fs::symlink_metadata(&path).map_err(io_error(format!("cannot look at \"{rel}\"")))?;
        let removed = if meta.is_dir() {
            fs::remove_dir(&path).map_err(|error| match error.kind() {
                ErrorKind::DirectoryNotEmpty => DirError::Conflict {
                    message: format!("\"{rel}\" is not empty"),
                    current: None,
                },
                _ => io_error(format!("cannot delete \"{rel}\""))(error),
            })
        } else {
            rel.require_notebook()?;
            fs::remove_file(&path).map_err(io_error(format!("cannot delete \"{rel}\"")))
        };
        removed?;
        if let Some(parent) = path.parent() {
            sync_dir(parent);
        }
        Ok(())
    }
}

/// Writes `bytes` to a new hidden file in `dir` and flushes it to disk. The name starts with a
/// dot, so listings never show a temporary file, even one a crash left behind.
fn write_temp(
    dir: &Path,
    stem: &str,
    bytes: &[u8],
    permissions_of: Option<&Path>,
) -> io::Result<PathBuf> {
    // The stem only helps a person tell leftovers apart: cut, so that the temporary name of a
    // file with a name of MAX_NAME bytes still fits.
    let (stem, _) = wirebook_shared::capture::text_preview(stem, 64);
    let temp = dir.join(format!(
        ".~{stem}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        if let Some(meta) = permissions_of.and_then(|path| fs::metadata(path).ok()) {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(temp),
        Err(error) => {
            let _ = fs::remove_file(&temp);
            Err(error)
        }
    }
}

/// Replaces `path` with `bytes`: temporary file, fsync, rename, fsync of the directory.
fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "a file needs a directory"))?;
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = write_temp(dir, &stem, bytes, Some(path))?;
    if let Err(error) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    sync_dir(dir);
    Ok(())
}

/// Gives the file at `existing` the new name `new` unless `new` exists (`Ok(false)` then).
/// Afterwards `existing` may still be there (the caller removes it) or not. A hard link fails
/// atomically on an existing name; where links are not supported, a checked rename (under the
/// write lock) stands in.
fn link_new(existing: &Path, new: &Path) -> io::Result<bool> {
    match fs::hard_link(existing, new) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(error) => {
            tracing::debug!(%error, "hard link failed; renaming instead");
            if fs::symlink_metadata(new).is_ok() {
                return Ok(false);
            }
            fs::rename(existing, new)?;
            Ok(true)
        }
    }
}

/// Removes a file that may already be gone.
fn remove_if_there(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Flushes a directory's entries, so a rename survives a power cut. Some file systems refuse
/// to sync a directory; the rename is still atomic there, so that is only logged.
fn sync_dir(dir: &Path) {
    if let Err(error) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(%error, dir = %dir.display(), "cannot sync the directory");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Temp(PathBuf);

    impl Temp {
        fn new(tag: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "wirebook-notebook-dir-{tag}-{}-{:x}",
                std::process::id(),
                rand::random::<u32>()
            ));
            fs::create_dir_all(&path).unwrap();
            Temp(path)
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn rel(path: &str) -> RelPath {
        RelPath::parse(path).unwrap()
    }

    #[test]
    fn paths_are_checked() {
        assert!(RelPath::parse("").unwrap().is_root());
        assert_eq!(rel("a/b.ipynb").to_string(), "a/b.ipynb");
        assert_eq!(rel("a/").to_string(), "a");
        assert_eq!(rel("a/b.ipynb").parent(), rel("a"));
        assert!(rel("a/b.ipynb").is_notebook());
        assert!(!is_notebook_name(".ipynb"));
        assert!(!rel("a/b.txt").is_notebook());
        for bad in [
            "/etc/passwd",
            "\\x",
            "..",
            "a/../b",
            "./a",
            "a//b",
            ".git/config",
            "a/.hidden.ipynb",
            "a\\b",
            "a\0b",
        ] {
            assert!(
                matches!(RelPath::parse(bad), Err(DirError::BadPath(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn versions_follow_content() {
        assert_eq!(version(b""), "0-cbf29ce484222325");
        assert_eq!(version(b"a"), "1-af63dc4c8601ec8c");
        assert_ne!(version(b"ab"), version(b"ba"));
    }

    #[test]
    fn writes_check_the_version_and_leave_no_temporary_files() {
        let temp = Temp::new("write");
        let dir = NotebookDir::new(&temp.0);
        let path = rel("n.ipynb");
        let first = dir.write(&path, b"one", &Expect::Absent).unwrap();
        assert_eq!(first.last_modified, version(b"one"));
        assert!(matches!(
            dir.write(&path, b"x", &Expect::Absent),
            Err(DirError::Conflict { current: Some(v), .. }) if v == first.last_modified
        ));
        let second = dir
            .write(&path, b"two", &Expect::Version(first.last_modified.clone()))
            .unwrap();
        assert!(matches!(
            dir.write(&path, b"x", &Expect::Version(first.last_modified.clone())),
            Err(DirError::Conflict { current: Some(v), .. }) if v == second.last_modified
        ));
        dir.write(&path, b"three", &Expect::Anything).unwrap();
        assert_eq!(fs::read(temp.0.join("n.ipynb")).unwrap(), b"three");
        let names: Vec<_> = fs::read_dir(&temp.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["n.ipynb"]);
        assert!(matches!(
            dir.write(&rel("missing/n.ipynb"), b"x", &Expect::Absent),
            Err(DirError::NotFound(_))
        ));
        assert!(matches!(
            dir.write(&rel("n.txt"), b"x", &Expect::Absent),
            Err(DirError::BadPath(_))
        ));
    }

    #[test]
    fn untitled_names_count_up() {
        let temp = Temp::new("untitled");
        let dir = NotebookDir::new(&temp.0);
        let names: Vec<String> = (0..3)
            .map(|_| {
                dir.create_untitled(&RelPath::root(), b"{}")
                    .unwrap()
                    .0
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            ["Untitled.ipynb", "Untitled1.ipynb", "Untitled2.ipynb"]
        );
        dir.delete(&rel("Untitled1.ipynb")).unwrap();
        let (again, _) = dir.create_untitled(&RelPath::root(), b"{}").unwrap();
        assert_eq!(again.to_string(), "Untitled1.ipynb");
        assert_eq!(dir.list(&RelPath::root()).unwrap().entries.len(), 3);
    }

    #[test]
    fn listings_show_directories_then_notebooks() {
        let temp = Temp::new("list");
        fs::create_dir(temp.0.join("zdir")).unwrap();
        fs::create_dir(temp.0.join(".hidden")).unwrap();
        fs::write(temp.0.join("b.ipynb"), b"{}").unwrap();
        fs::write(temp.0.join("A.ipynb"), b"{}").unwrap();
        fs::write(temp.0.join("notes.txt"), b"x").unwrap();
        let listing = NotebookDir::new(&temp.0).list(&RelPath::root()).unwrap();
        let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["zdir", "A.ipynb", "b.ipynb"]);
        assert_eq!(listing.entries[1].size, Some(2));
        assert_eq!(listing.entries[0].size, None);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_directory_are_refused() {
        let outside = Temp::new("outside");
        let temp = Temp::new("links");
        fs::write(outside.0.join("secret.ipynb"), b"secret").unwrap();
        std::os::unix::fs::symlink(outside.0.join("secret.ipynb"), temp.0.join("out.ipynb"))
            .unwrap();
        std::os::unix::fs::symlink(&outside.0, temp.0.join("outdir")).unwrap();
        fs::write(temp.0.join("real.ipynb"), b"real").unwrap();
        std::os::unix::fs::symlink(temp.0.join("real.ipynb"), temp.0.join("in.ipynb")).unwrap();
        let dir = NotebookDir::new(&temp.0);
        assert!(matches!(
            dir.read(&rel("out.ipynb")),
            Err(DirError::Outside(_))
        ));
        assert!(matches!(
            dir.read(&rel("outdir/secret.ipynb")),
            Err(DirError::Outside(_))
        ));
        assert!(matches!(
            dir.write(&rel("out.ipynb"), b"x", &Expect::Anything),
            Err(DirError::Outside(_))
        ));
        assert!(matches!(
            dir.write(&rel("outdir/new.ipynb"), b"x", &Expect::Anything),
            Err(DirError::Outside(_))
        ));
        assert!(matches!(
            dir.list(&rel("outdir")),
            Err(DirError::Outside(_))
        ));
        assert_eq!(fs::read(outside.0.join("secret.ipynb")).unwrap(), b"secret");
        assert!(!outside.0.join("new.ipynb").exists());
        // A link inside is followed: saving through it writes the real file, keeping the link.
        assert_eq!(dir.read(&rel("in.ipynb")).unwrap().0, b"real");
        dir.write(&rel("in.ipynb"), b"new", &Expect::Anything)
            .unwrap();
        assert_eq!(fs::read(temp.0.join("real.ipynb")).unwrap(), b"new");
        assert!(fs::symlink_metadata(temp.0.join("in.ipynb"))
            .unwrap()
            .file_type()
            .is_symlink());
        let names: Vec<String> = dir
            .list(&RelPath::root())
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["in.ipynb", "real.ipynb"]);
    }

    #[test]
    fn renames_and_deletes() {
        let temp = Temp::new("rename");
        let dir = NotebookDir::new(&temp.0);
        fs::create_dir(temp.0.join("d")).unwrap();
        dir.write(&rel("a.ipynb"), b"a", &Expect::Absent).unwrap();
        dir.write(&rel("b.ipynb"), b"b", &Expect::Absent).unwrap();
        assert!(matches!(
            dir.rename(&rel("a.ipynb"), &rel("b.ipynb")),
            Err(DirError::Conflict { .. })
        ));
        assert!(matches!(
            dir.rename(&rel("a.ipynb"), &rel("a.txt")),
            Err(DirError::BadPath(_))
        ));
        let entry = dir.rename(&rel("a.ipynb"), &rel("d/c.ipynb")).unwrap();
        assert_eq!((entry.path.as_str(), entry.size), ("d/c.ipynb", Some(1)));
        assert!(!temp.0.join("a.ipynb").exists());
        assert!(matches!(
            dir.delete(&rel("d")),
            Err(DirError::Conflict { .. })
        ));
        dir.rename(&rel("d"), &rel("e")).unwrap();
        dir.delete(&rel("e/c.ipynb")).unwrap();
        dir.delete(&rel("e")).unwrap();
        assert!(matches!(dir.delete(&rel("e")), Err(DirError::NotFound(_))));
        assert!(matches!(
            dir.delete(&RelPath::root()),
            Err(DirError::BadPath(_))
        ));
    }
}
