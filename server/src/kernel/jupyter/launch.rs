//! Starting a kernel process as Jupyter does: five free loopback ports and an HMAC key in a
//! connection file in the runtime dir, the spec's `argv` with `{connection_file}` filled in
//! (and `python` resolved to the spec's own environment), the spec's `env` merged.
//!
//! The process gets `JPY_PARENT_PID` (ipykernel then exits when wirebook's process goes away,
//! even after a SIGKILL that leaves no time to shut it down) and is killed when its handle is
//! dropped. Its stdout and stderr are kept, last lines only, for the error shown when it dies.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use super::kernelspec::{on_path, FoundSpec};

/// Lines of kernel output kept for error messages.
const TAIL_LINES: usize = 20;

/// The ports and key of one kernel launch (what the connection file says).
#[derive(Debug, Clone)]
pub struct Connection {
    pub ip: String,
    pub shell: u16,
    pub iopub: u16,
    pub stdin: u16,
    pub control: u16,
    pub hb: u16,
    pub key: String,
}

impl Connection {
    /// Five free ports on 127.0.0.1 (bound and released: the usual race with other programs,
    /// as in jupyter_client) and a random key.
    pub fn new() -> std::io::Result<Self> {
        let mut ports = [0u16; 5];
        // Hold all five listeners at once so the ports differ.
        let listeners = (0..5)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
            .collect::<Result<Vec<_>, _>>()?;
        for (port, listener) in ports.iter_mut().zip(&listeners) {
            *port = listener.local_addr()?.port();
        }
        drop(listeners);
        Ok(Connection {
            ip: "127.0.0.1".into(),
            shell: ports[0],
            iopub: ports[1],
            stdin: ports[2],
            control: ports[3],
            hb: ports[4],
            key: format!("{:032x}", rand::random::<u128>()),
        })
    }

    pub fn endpoint(&self, port: u16) -> String {
        format!("tcp://{}:{port}", self.ip)
    }

    /// The capture's `target` for the kernel's connection.
    pub fn describe(&self) -> String {
        format!(
            "tcp://{} shell={} iopub={} stdin={} control={} hb={}",
            self.ip, self.shell, self.iopub, self.stdin, self.control, self.hb
        )
    }

    fn file_json(&self, kernel_name: &str) -> serde_json::Value {
        json!({
            "transport": "tcp",
            "ip": self.ip,
            "shell_port": self.shell,
            "iopub_port": self.iopub,
            "stdin_port": self.stdin,
            "control_port": self.control,
            "hb_port": self.hb,
            "key": self.key,
            "signature_scheme": "hmac-sha256",
            "kernel_name": kernel_name,
        })
    }
}

/// The last lines a process wrote on stdout and stderr.
#[derive(Debug, Clone, Default)]
pub struct OutputTail {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl OutputTail {
    fn push(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The lines kept, joined; empty when the process wrote nothing.
    pub fn text(&self) -> String {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    fn follow(&self, stream: impl AsyncRead + Unpin + Send + 'static, name: &'static str) {
        let tail = self.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "wirebook::kernel_output", stream = name, "{line}");
                tail.push(line);
            }
        });
    }
}

/// A started kernel process and its connection file (removed on drop).
#[derive(Debug)]
pub struct Launched {
    pub child: Child,
    pub pid: Option<u32>,
    pub connection: Connection,
    pub connection_file: PathBuf,
    pub output: OutputTail,
}

impl Drop for Launched {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.connection_file);
    }
}

/// Jupyter's runtime dir (`JUPYTER_RUNTIME_DIR`, `$XDG_RUNTIME_DIR/jupyter`, the user data
/// dir's `runtime`), through `jupyter-zmq-client`.
pub fn default_runtime_dir() -> PathBuf {
    jupyter_zmq_client::dirs::runtime_dir()
}

/// The command line: `{connection_file}` and `{resource_dir}` substituted, `python`
/// resolved to the Python of the environment the spec is installed in.
pub fn argv(spec: &FoundSpec, connection_file: &Path) -> Result<Vec<String>, String> {
    let mut argv: Vec<String> = spec
        .spec
        .argv
        .iter()
        .map(|arg| {
            arg.replace("{connection_file}", &connection_file.to_string_lossy())
                .replace("{resource_dir}", &spec.dir.to_string_lossy())
        })
        .collect();
    let Some(program) = argv.first_mut() else {
        return Err(format!(
            "the kernelspec {} has an empty argv",
            spec.dir.join("kernel.json").display()
        ));
    };
    if program == "python" || program == "python3" {
        let own = spec
            .prefix()
            .map(|prefix| prefix.join("bin").join("python"))
            .filter(|python| python.is_file());
        if let Some(python) = own.or_else(|| on_path("python3")) {
            *program = python.to_string_lossy().into_owned();
        }
    }
    Ok(argv)
}

/// Writes the connection file and starts the kernel process.
/// Whether a launch failed because another program took one of the ports
/// [`Connection::new`] picked (they were free when it looked) before the kernel bound it:
/// the kernel exited saying it could not bind (ZeroMQ reports the system's `EADDRINUSE` text
/// in every language's binding), or wirebook's socket reached the other program's socket of
/// another kind at that port (the `zeromq` crate's handshake error).
pub fn lost_a_port(message: &str) -> bool {
    [
        "Address already in use",
        "EADDRINUSE",
        "Provided sockets combination is not compatible",
    ]
    .iter()
    .any(|sign| message.contains(sign))
}

pub fn launch(spec: &FoundSpec, runtime_dir: &Path) -> Result<Launched, String> {
    let connection =
        Connection::new().map_err(|e| format!("cannot find free ports on 127.0.0.1: {e}"))?;
    std::fs::create_dir_all(runtime_dir).map_err(|e| {
        format!(
            "cannot create the runtime dir {}: {e}",
            runtime_dir.display()
        )
    })?;
    let connection_file = runtime_dir.join(format!(
        "kernel-wirebook-{}-{:016x}.json",
        std::process::id(),
        rand::random::<u64>()
    ));
    write_private(
        &connection_file,
        &serde_json::to_vec_pretty(&connection.file_json(&spec.name)).unwrap_or_default(),
    )
    .map_err(|e| {
        format!(
            "cannot write the connection file {}: {e}",
            connection_file.display()
        )
    })?;
    // From here on the file is removed when `Launched` (or this guard) is dropped.
    let guard = FileGuard(connection_file.clone());
    let argv = argv(spec, &connection_file)?;
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .envs(spec.spec.env.iter().flatten())
        .env("JPY_PARENT_PID", std::process::id().to_string())
        .current_dir(std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, as jupyter_client does: Ctrl+C in wirebook's terminal does not
    // interrupt the kernels (wirebook shuts them down instead), and an interrupt reaches the
    // processes the kernel started too.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "cannot start the kernel {}: the program {:?} was not found",
            spec.name, argv[0]
        ),
        _ => format!("cannot start the kernel {} ({:?}): {e}", spec.name, argv[0]),
    })?;
    let output = OutputTail::default();
    if let Some(stdout) = child.stdout.take() {
        output.follow(stdout, "stdout");
    }
    if let Some(stderr) = child.stderr.take() {
        output.follow(stderr, "stderr");
    }
    std::mem::forget(guard);
    Ok(Launched {
        pid: child.id(),
        child,
        connection,
        connection_file,
        output,
    })
}

/// Removes a connection file unless forgotten.
struct FileGuard(PathBuf);

impl Drop for FileGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes a file only its owner can read: it holds the key that signs code for the kernel.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

/// Sends SIGINT to the kernel's process group (Jupyter's `interrupt_mode: signal`).
pub async fn interrupt(pid: u32) -> Result<(), String> {
    signal_group(pid, "-INT").await
}

/// Sends SIGKILL to what is left of the kernel's process group (processes the kernel started),
/// after the kernel itself has ended.
pub async fn kill_group(pid: u32) {
    let _ = signal_group(pid, "-KILL").await;
}

/// `kill(1)` rather than a libc call: the workspace forbids unsafe code.
async fn signal_group(pid: u32, signal: &str) -> Result<(), String> {
    let status = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| format!("cannot run kill: {e}"))?;
    if status.status.success() {
        Ok(())
    } else {
        Err(format!(
            "kill {signal} -- -{pid} failed: {}",
            String::from_utf8_lossy(&status.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &str, argv: &[&str]) -> FoundSpec {
        FoundSpec {
            name: "k".into(),
            dir: PathBuf::from(dir),
            spec: serde_json::from_value(json!({
                "argv": argv, "display_name": "K", "language": "python"
            }))
            .unwrap(),
        }
    }

    #[test]
    fn argv_fills_in_the_connection_file_and_resource_dir() {
        let spec = spec(
            "/specs/kernels/k",
            &["run", "-f", "{connection_file}", "--res={resource_dir}"],
        );
        assert_eq!(
            argv(&spec, Path::new("/run/k.json")).unwrap(),
            vec!["run", "-f", "/run/k.json", "--res=/specs/kernels/k"]
        );
    }

    #[test]
    fn python_is_the_python_of_the_specs_environment() {
        let prefix =
            std::env::temp_dir().join(format!("wirebook-prefix-{:x}", rand::random::<u64>()));
        let kernel_dir = prefix.join("share/jupyter/kernels/k");
        std::fs::create_dir_all(&kernel_dir).unwrap();
        std::fs::create_dir_all(prefix.join("bin")).unwrap();
        std::fs::write(prefix.join("bin/python"), "").unwrap();
        let spec = spec(kernel_dir.to_str().unwrap(), &["python", "-m", "x"]);
        let got = argv(&spec, Path::new("/c.json")).unwrap();
        assert_eq!(got[0], prefix.join("bin/python").to_string_lossy());
        std::fs::remove_dir_all(prefix).unwrap();
    }

    #[test]
    fn an_empty_argv_is_an_error() {
        let spec = spec("/specs/kernels/k", &[]);
        assert!(argv(&spec, Path::new("/c.json"))
            .unwrap_err()
            .contains("empty argv"));
    }

    #[test]
    fn a_taken_port_is_told_from_other_failures() {
        assert!(lost_a_port(
            "the kernel wbpy exited with status 1 before answering kernel_info: zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:32977')"
        ));
        assert!(lost_a_port(
            "connecting to tcp://127.0.0.1:34375 failed: Provided sockets combination is not compatible"
        ));
        assert!(!lost_a_port(
            "the kernel wbpy exited with status 1 before answering kernel_info: ModuleNotFoundError: No module named 'ipykernel'"
        ));
    }

    #[test]
    fn five_different_ports() {
        let connection = Connection::new().unwrap();
        let mut ports = vec![
            connection.shell,
            connection.iopub,
            connection.stdin,
            connection.control,
            connection.hb,
        ];
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 5);
        assert_eq!(connection.key.len(), 32);
        assert!(connection.describe().starts_with("tcp://127.0.0.1 shell="));
    }
}
