//! Installed kernelspecs, found the way Jupyter finds them.
//!
//! The data dirs, in Jupyter's order: `--jupyter-path` dirs, `JUPYTER_PATH`, the user data dir
//! (`JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else `~/.local/share/jupyter`), the
//! active Python environment's `share/jupyter` (`VIRTUAL_ENV`, else the prefix of the
//! `python3` on `PATH`), then `/usr/local/share/jupyter` and `/usr/share/jupyter`. Each holds
//! `kernels/<name>/kernel.json`; the first found wins for a name.
//!
//! `jupyter-zmq-client`'s `kernelspec`/`dirs` modules are not used for the search: they take
//! `JUPYTER_PATH` as one dir instead of a `:`-separated list, leave out the Python
//! environment's prefix (or ask `jupyter --paths`, a subprocess per listing), and skip a
//! `kernel.json` that does not parse without saying so. wirebook reports those. The file's
//! format is `jupyter-protocol`'s `JupyterKernelspec`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jupyter_protocol::JupyterKernelspec;

/// One kernelspec found on disk.
#[derive(Debug, Clone)]
pub struct FoundSpec {
    /// The directory name, e.g. `python3`.
    pub name: String,
    /// The kernelspec's directory.
    pub dir: PathBuf,
    pub spec: JupyterKernelspec,
}

impl FoundSpec {
    /// How to interrupt: `true` for `interrupt_mode: message` (an `interrupt_request` on
    /// control), `false` for `signal` (SIGINT, Jupyter's default).
    pub fn interrupt_by_message(&self) -> bool {
        self.spec.interrupt_mode.as_deref() == Some("message")
    }

    /// The Python environment the spec was installed into: `<prefix>` when the spec is at
    /// `<prefix>/share/jupyter/kernels/<name>`.
    pub fn prefix(&self) -> Option<&Path> {
        let kernels = self.dir.parent()?;
        let jupyter = kernels.parent()?;
        let share = jupyter.parent()?;
        (kernels.file_name()? == "kernels"
            && jupyter.file_name()? == "jupyter"
            && share.file_name()? == "share")
            .then(|| share.parent())
            .flatten()
    }
}

/// The kernelspecs found and what was wrong on the way (a `kernel.json` that does not parse).
#[derive(Debug, Default)]
pub struct Discovery {
    pub specs: Vec<FoundSpec>,
    pub problems: Vec<String>,
}

/// The data dirs searched, in order, without duplicates.
pub fn data_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = extra.to_vec();
    if let Some(path) = std::env::var_os("JUPYTER_PATH") {
        dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(user) = user_data_dir() {
        dirs.push(user);
    }
    if let Some(prefix) = environment_prefix() {
        dirs.push(prefix.join("share").join("jupyter"));
    }
    dirs.push(PathBuf::from("/usr/local/share/jupyter"));
    dirs.push(PathBuf::from("/usr/share/jupyter"));
    let mut seen = HashSet::new();
    dirs.retain(|dir| seen.insert(dir.clone()));
    dirs
}

/// Jupyter's user data dir on Linux.
fn user_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("JUPYTER_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(xdg).join("jupyter"));
    }
    let home = std::env::var_os("HOME")?;
    Some(PathBuf::from(home).join(".local/share/jupyter"))
}

/// `sys.prefix` of the active Python: the virtualenv, or the prefix of `python3` on `PATH`.
fn environment_prefix() -> Option<PathBuf> {
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(venv));
    }
    // Not canonicalized: a venv's `bin/python3` is a symlink to the base interpreter, but its
    // prefix is the venv.
    let python = on_path("python3")?;
    Some(python.parent()?.parent()?.to_path_buf())
}

/// The first `name` on `PATH` that is a file.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Reads every `kernels/<name>/kernel.json` under `dirs`; the first found wins for a name.
pub fn discover(dirs: &[PathBuf]) -> Discovery {
    let mut discovery = Discovery::default();
    let mut names = HashSet::new();
    for data_dir in dirs {
        let Ok(entries) = std::fs::read_dir(data_dir.join("kernels")) else {
            continue;
        };
        let mut found: Vec<(String, PathBuf)> = entries
            .flatten()
            .filter(|entry| entry.path().is_dir())
            .filter_map(|entry| Some((entry.file_name().to_str()?.to_string(), entry.path())))
            .collect();
        found.sort();
        for (name, dir) in found {
            if names.contains(&name) {
                continue;
            }
            let file = dir.join("kernel.json");
            let text = match std::fs::read(&file) {
                Ok(text) => text,
                // A directory without kernel.json is not a kernelspec (Jupyter skips it too).
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => {
                    discovery
                        .problems
                        .push(format!("cannot read {}: {error}", file.display()));
                    continue;
                }
            };
            match serde_json::from_slice::<JupyterKernelspec>(&text) {
                Ok(spec) => {
                    names.insert(name.clone());
                    discovery.specs.push(FoundSpec { name, dir, spec });
                }
                Err(error) => discovery.problems.push(format!(
                    "the kernelspec {} is not valid: {error}",
                    file.display()
                )),
            }
        }
    }
    discovery
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_spec(root: &Path, name: &str, json: &str) -> PathBuf {
        let dir = root.join("kernels").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("kernel.json"), json).unwrap();
        dir
    }

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "wirebook-kernelspec-{tag}-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn first_found_wins_and_bad_specs_are_reported() {
        let first = temp("first");
        let second = temp("second");
        write_spec(
            &first,
            "py",
            r#"{"argv":["python","-f","{connection_file}"],"display_name":"First","language":"python","interrupt_mode":"message"}"#,
        );
        write_spec(&first, "broken", "{not json");
        std::fs::create_dir_all(first.join("kernels/empty")).unwrap();
        write_spec(
            &second,
            "py",
            r#"{"argv":["x"],"display_name":"Second","language":"python"}"#,
        );
        write_spec(
            &second,
            "other",
            r#"{"argv":["x"],"display_name":"Other","language":"r","env":{"A":"1"}}"#,
        );
        let found = discover(&[first.clone(), second.clone()]);
        let names: Vec<_> = found
            .specs
            .iter()
            .map(|s| (s.name.as_str(), s.spec.display_name.as_str()))
            .collect();
        assert_eq!(names, vec![("py", "First"), ("other", "Other")]);
        assert!(found.specs[0].interrupt_by_message());
        assert!(!found.specs[1].interrupt_by_message());
        assert_eq!(found.problems.len(), 1);
        assert!(found.problems[0].contains("broken/kernel.json is not valid"));
        std::fs::remove_dir_all(first).unwrap();
        std::fs::remove_dir_all(second).unwrap();
    }

    #[test]
    fn the_prefix_is_where_share_jupyter_kernels_is() {
        let spec = |dir: &str| FoundSpec {
            name: "python3".into(),
            dir: PathBuf::from(dir),
            spec: serde_json::from_str(r#"{"argv":[],"display_name":"P","language":"python"}"#)
                .unwrap(),
        };
        assert_eq!(
            spec("/opt/env/share/jupyter/kernels/python3").prefix(),
            Some(Path::new("/opt/env"))
        );
        assert_eq!(spec("/tmp/specs/kernels/python3").prefix(), None);
    }

    #[test]
    fn extra_dirs_come_first_without_duplicates() {
        let dirs = data_dirs(&[PathBuf::from("/a"), PathBuf::from("/a")]);
        assert_eq!(dirs[0], PathBuf::from("/a"));
        assert_eq!(dirs.iter().filter(|d| **d == Path::new("/a")).count(), 1);
        assert!(dirs.contains(&PathBuf::from("/usr/share/jupyter")));
    }
}
