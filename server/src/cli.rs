//! The `wirebook` command line, turned into a [`Config`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use wirebook_shared::base_url::BaseUrl;

use crate::admission::Limits;
use crate::capture::ring::DEFAULT_MEMORY_BUDGET;
use crate::config::{CaptureConfig, Config, NotebooksConfig, WebSocketLimits};
use crate::kernel::jupyter::JupyterConfig;
use crate::kernel::websocket::Keepalive;
use crate::proxy::routes::{check_unique, parse_route};
use crate::upstream::url::UpstreamUrl;
use crate::upstream::CONNECT_TIMEOUT;

/// Bytes in a MiB, the unit of `--capture-memory`.
const MIB: usize = 1024 * 1024;

/// wirebook: a notebook in the browser for what crosses the wire.
#[derive(Debug, Parser)]
#[command(name = "wirebook", version)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the printed URL has the real one).
    #[arg(long, default_value = "127.0.0.1:8977", value_name = "ADDR")]
    pub bind: String,
    /// Token that the UI and /session require; random (32 hex digits) when not given.
    #[arg(long, env = "WIREBOOK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Directory with the built UI (trunk's output).
    #[arg(long, default_value = Config::DIST, value_name = "DIR")]
    pub dist: PathBuf,
    /// Another origin whose pages may open wirebook's WebSockets (/session, /echo, /demo/*,
    /// /tap/*) and send it anything but GET/HEAD, e.g. trunk's dev server; repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// A host name (e.g. a reverse proxy's) served besides localhost, 127.0.0.1 and [::1] when
    /// wirebook listens on loopback; other Host values are refused (DNS rebinding); repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// The path prefix wirebook is served under, as Jupyter's base_url: every route, asset and
    /// WebSocket is at PREFIX/… (behind jupyter-server-proxy, JupyterHub or a reverse proxy
    /// at /PREFIX/). Starts and ends with '/'.
    #[arg(long, default_value = "/", value_name = "PREFIX")]
    pub base_url: String,
    /// Connections open at once, with the token or without.
    #[arg(long, default_value_t = Limits::DEFAULT.max_connections as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Connections open at once that have not shown the token: unfinished request heads,
    /// /echo, /demo/*, public routes. Over it, a new connection must show the token at once.
    #[arg(long, default_value_t = Limits::DEFAULT.max_anonymous as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_anonymous_connections: u64,
    /// Seconds a request head may take to arrive (and an idle keep-alive connection may stay).
    #[arg(long, default_value_t = Limits::DEFAULT.header_timeout.as_secs(), value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Largest message accepted from a browser or kernel, in bytes; bigger ones close with 1009
    /// (/echo and /demo/* take at most 256 KiB from a connection without the token).
    #[arg(long, default_value_t = WebSocketLimits::MAX_MESSAGE_SIZE as u64, value_name = "BYTES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_message_size: u64,
    /// Capture records kept in memory; older ones are evicted.
    #[arg(long, default_value_t = CaptureConfig::LIMIT as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub capture_limit: u64,
    /// Memory the capture's records may take, in MiB: older records are evicted first, so no
    /// traffic, authenticated or not, grows the capture past it.
    #[arg(long, default_value_t = (DEFAULT_MEMORY_BUDGET / MIB) as u64, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub capture_memory: u64,
    /// Payload bytes kept in each capture record's preview.
    #[arg(long, default_value_t = CaptureConfig::PREVIEW_BYTES, value_name = "N")]
    pub preview_bytes: usize,
    /// Record nothing: the byte taps stay off (the inspector stays empty).
    #[arg(long)]
    pub no_capture: bool,
    /// Directory whose notebooks (.ipynb) the UI may open and save.
    #[arg(long, default_value = NotebooksConfig::DIR, value_name = "DIR")]
    pub notebook_dir: PathBuf,
    /// Largest notebook (request body) the UI may save, in bytes.
    #[arg(long, default_value_t = NotebooksConfig::MAX_SIZE as u64, value_name = "BYTES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_notebook_size: u64,
    /// Relay WebSocket clients of /tap/NAME to URL (ws:// only), capturing both hops; needs the
    /// token unless written NAME=URL,public. Repeatable.
    #[arg(long = "route", value_name = "NAME=URL[,public]")]
    pub routes: Vec<String>,
    /// Like --route, but open without the token: anyone who can reach wirebook can reach URL.
    #[arg(long = "public-route", value_name = "NAME=URL")]
    pub public_routes: Vec<String>,
    /// The kernel sessions connect to: any ws:// URL instead of the built-in /echo (with
    /// `run`: the notebook's kernel, instead of the one its metadata names).
    #[arg(long, value_name = "URL", global = true)]
    pub kernel: Option<String>,
    /// An extra request header for the kernel's handshake, e.g. "Authorization: Bearer x";
    /// repeatable.
    #[arg(
        long = "kernel-header",
        visible_alias = "header",
        value_name = "NAME: VALUE",
        global = true
    )]
    pub kernel_headers: Vec<String>,
    /// Like --kernel-header, but its value never appears in the capture, exports or logs
    /// (for tokens and cookies); repeatable.
    #[arg(
        long = "kernel-secret-header",
        visible_alias = "secret-header",
        value_name = "NAME: VALUE",
        env = "WIREBOOK_SECRET_HEADER",
        hide_env_values = true,
        global = true
    )]
    pub kernel_secret_headers: Vec<String>,
    /// A subprotocol to offer the kernel, in order of preference; repeatable.
    #[arg(long = "kernel-subprotocol", value_name = "NAME", global = true)]
    pub kernel_subprotocols: Vec<String>,
    /// How long connecting to the kernel (TCP and handshake) may take, in milliseconds.
    #[arg(long, default_value_t = CONNECT_TIMEOUT.as_millis() as u64, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub kernel_connect_timeout: u64,
    /// Ping the kernel this often (milliseconds); off when not given.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub kernel_ping_interval: Option<u64>,
    /// With --kernel-ping-interval: fail the kernel link (close 1011) when a pong takes longer.
    #[arg(long, default_value_t = 10_000, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub kernel_pong_timeout: u64,
    /// When the kernel connection is lost, reconnect with capped exponential backoff and
    /// jitter (messages are never resent).
    #[arg(long)]
    pub kernel_reconnect: bool,
    /// How long a notebook's kernel lives on after its last page closed (seconds; as
    /// Jupyter's cull_idle_timeout): reopening the notebook in time reattaches to it. 0 ends it
    /// with the page.
    #[arg(long, default_value_t = crate::config::KeptConfig::CULL_IDLE_TIMEOUT.as_secs(),
          value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=30 * 24 * 3600))]
    pub cull_idle_timeout: u64,
    /// A directory searched for kernelspecs (`kernels/<name>/kernel.json`) before Jupyter's own
    /// path; repeatable.
    #[arg(long = "jupyter-path", value_name = "DIR", global = true)]
    pub jupyter_paths: Vec<PathBuf>,
    /// How long a local Jupyter kernel may take to answer kernel_info after launch, in seconds.
    #[arg(long, default_value_t = JupyterConfig::STARTUP_TIMEOUT.as_secs(), value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub kernel_startup_timeout: u64,
    /// A PEM file of CA certificates trusted for wss:// kernels and routes besides the system's
    /// (e.g. a self-signed server's certificate); repeatable.
    #[arg(long = "tls-ca", value_name = "FILE", global = true)]
    pub tls_ca: Vec<PathBuf>,
    /// Do not verify the certificates of wss:// kernels and routes (flagged on every such
    /// connection in the inspector). The traffic is encrypted, but to whom is not checked.
    #[arg(long, global = true)]
    pub tls_insecure: bool,
    /// A Jupyter Server (or Kernel/Enterprise Gateway) whose kernels sessions may use, e.g.
    /// http://127.0.0.1:8888 (http:// only for now).
    #[arg(long, value_name = "URL")]
    pub gateway_url: Option<String>,
    /// The gateway's token (sent as `Authorization: token TOKEN`).
    #[arg(
        long,
        env = "WIREBOOK_GATEWAY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub gateway_token: Option<String>,
    /// Without a subcommand, wirebook serves.
    #[command(subcommand)]
    pub command: Option<Subcommand>,
}

/// What wirebook does instead of serving.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Run every code cell of a notebook, in order, against its kernel without a browser
    /// (the kernel options above apply), checking each cell's expectations; exit status 0
    /// when every cell ran and every expectation held, 1 otherwise.
    Run(RunArgs),
}

/// `wirebook run NOTEBOOK.ipynb`'s own options.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The notebook to run.
    #[arg(value_name = "NOTEBOOK.ipynb")]
    pub notebook: PathBuf,
    /// Write the notebook with this run's outputs here (default: print only).
    #[arg(long, value_name = "OUT.ipynb")]
    pub output: Option<PathBuf>,
    /// How long one cell may take, in seconds.
    #[arg(long, default_value_t = wirebook_shared::reply_wait::DEFAULT_TIMEOUT_S, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Write the run's capture here: .har, .jsonl or .pcapng, by the extension.
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// Fill {{NAME}} in the cells with VALUE before sending them, as papermill's parameters;
    /// repeatable.
    #[arg(short = 'p', long = "parameter", num_args = 2, value_names = ["NAME", "VALUE"],
          action = clap::ArgAction::Append)]
    pub parameters: Vec<String>,
    /// Write a JUnit XML report here, a test case per code cell.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Compare each cell's replies with the outputs the notebook saved (a recorded session:
    /// HAR import, To cells, or an earlier --output): a cell whose replies differ fails.
    #[arg(long)]
    pub compare: bool,
    /// A field --compare ignores: a key at any depth (ts) or a path (data.ts); repeatable,
    /// besides the notebook's metadata.wirebook.ignore.
    #[arg(long, value_name = "FIELD")]
    pub ignore: Vec<String>,
    /// A WebSocket cell with no rule of its own (expectations, a JSON id, recorded replies)
    /// is over this long after its last reply, in milliseconds.
    #[arg(long, default_value_t = wirebook_shared::reply_wait::DEFAULT_QUIET_MS, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub quiet: u64,
}

impl RunArgs {
    /// The run's options, or why these arguments cannot make them.
    pub fn options(&self) -> Result<crate::run::RunOptions, String> {
        Ok(crate::run::RunOptions {
            notebook: self.notebook.clone(),
            output: self.output.clone(),
            timeout: Duration::from_secs(self.timeout),
            capture: self.capture.clone(),
            parameters: crate::run::parameters::Parameters::from_pairs(&self.parameters)?,
            junit: self.junit.clone(),
            quiet: Duration::from_millis(self.quiet),
            compare: self.compare,
            ignore: self.ignore.clone(),
        })
    }
}

impl Args {
    /// The server configuration, or why these arguments cannot make one.
    pub fn into_config(self) -> Result<Config, String> {
        let token = match self.token {
            Some(token) => {
                check_token_format(&token)?;
                token
            }
            None => crate::auth::random_token(),
        };
        let too_big = |what: &str| format!("{what} is too large for this platform");
        let mut config = Config::new(token);
        config.dist = self.dist;
        config.admission.allow_origins = self.allow_origins;
        config.admission.allow_hosts = self.allow_hosts;
        config.base_url =
            BaseUrl::parse(&self.base_url).map_err(|error| format!("--base-url: {error}"))?;
        let limits = Limits {
            max_connections: usize::try_from(self.max_connections)
                .map_err(|_| too_big("--max-connections"))?,
            max_anonymous: usize::try_from(self.max_anonymous_connections)
                .map_err(|_| too_big("--max-anonymous-connections"))?,
            header_timeout: Duration::from_secs(self.header_timeout),
        };
        if limits.max_anonymous > limits.max_connections {
            return Err(format!(
                "--max-anonymous-connections {} is more than --max-connections {}",
                self.max_anonymous_connections, self.max_connections
            ));
        }
        config.admission.limits = limits;
        config.websocket.max_message_size =
            usize::try_from(self.max_message_size).map_err(|_| too_big("--max-message-size"))?;
        config.capture.limit =
            usize::try_from(self.capture_limit).map_err(|_| too_big("--capture-limit"))?;
        config.capture.memory = usize::try_from(self.capture_memory)
            .ok()
            .and_then(|mib| mib.checked_mul(MIB))
            .ok_or_else(|| too_big("--capture-memory"))?;
        if self.preview_bytes > config.capture.memory / 16 {
            return Err(format!(
                "--preview-bytes {} is more than a sixteenth of --capture-memory ({} MiB): the capture would hold only a few records",
                self.preview_bytes, self.capture_memory
            ));
        }
        config.capture.preview_bytes = self.preview_bytes;
        config.capture.enabled = !self.no_capture;
        config.notebooks.dir = self.notebook_dir;
        config.notebooks.max_size =
            usize::try_from(self.max_notebook_size).map_err(|_| too_big("--max-notebook-size"))?;
        let private = self.routes.iter().map(|spec| parse_route(spec, false));
        let public = self
            .public_routes
            .iter()
            .map(|spec| parse_route(spec, true));
        config.routes = private.chain(public).collect::<Result<_, _>>()?;
        check_unique(&config.routes)?;
        if let Some(url) = self.kernel {
            UpstreamUrl::websocket(&url).map_err(|e| format!("--kernel {e}"))?;
            config.kernel.url = Some(url);
        }
        config.kernel.headers = self
            .kernel_headers
            .iter()
            .map(|header| parse_header(header))
            .collect::<Result<_, _>>()?;
        config.kernel.secret_headers = self
            .kernel_secret_headers
            .iter()
            .map(|header| parse_header(header))
            .collect::<Result<_, _>>()?;
        config.kernel.subprotocols = self.kernel_subprotocols;
        if config.kernel.url.is_none()
            && !(config.kernel.headers.is_empty()
                && config.kernel.secret_headers.is_empty()
                && config.kernel.subprotocols.is_empty())
        {
            return Err(
                "--kernel-header, --kernel-secret-header and --kernel-subprotocol need --kernel URL"
                    .into(),
            );
        }
        for path in &self.tls_ca {
            let certs = crate::upstream::TlsSettings::read_ca_file(path)
                .map_err(|e| format!("--tls-ca: {e}"))?;
            config.tls.extra_roots.extend(certs);
        }
        config.tls.skip_verification = self.tls_insecure;
        config.kernel.connect_timeout = Duration::from_millis(self.kernel_connect_timeout);
        config.kernel.reconnect = self.kernel_reconnect;
        config.kept.cull_idle_timeout = Duration::from_secs(self.cull_idle_timeout);
        config.jupyter.extra_paths = self.jupyter_paths;
        config.jupyter.startup_timeout = Duration::from_secs(self.kernel_startup_timeout);
        config.kernel.keepalive = self.kernel_ping_interval.map(|ms| Keepalive {
            interval: Duration::from_millis(ms),
            pong_timeout: Duration::from_millis(self.kernel_pong_timeout),
        });
        let target = config.kernel_target(wirebook_shared::KernelInfo {
            name: "websocket".into(),
            url: config
                .kernel
                .url
                .clone()
                .unwrap_or_else(|| "ws://127.0.0.1/".into()),
            choice: wirebook_shared::KernelChoice::Startup,
            language: None,
        });
        crate::kernel::websocket::client_request(&target)?;
        config.gateway = match self.gateway_url {
            Some(url) => Some(
                config
                    .gateway_defaults()
                    .gateway(&url, self.gateway_token)
                    .map_err(|e| format!("--gateway-url {e}"))?,
            ),
            None if self.gateway_token.is_some() => {
                return Err("--gateway-token needs --gateway-url URL".into())
            }
            None => None,
        };
        Ok(config)
    }
}

/// `Name: value` → (name, value), both trimmed.
fn parse_header(header: &str) -> Result<(String, String), String> {
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| format!("--kernel-header {header:?}: expected \"Name: value\""))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("--kernel-header {header:?}: the name is empty"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// A token goes into URLs and a cookie unescaped, so it is limited to characters that need no
/// escaping in either.
pub fn check_token_format(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err("the token must not be empty".into());
    }
    if let Some(bad) = token
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
    {
        return Err(format!(
            "the token may only contain letters, digits, '-', '_', '.' and '~' (found {bad:?})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("wirebook").chain(args.iter().copied()))
    }

    #[test]
    fn defaults() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.bind, "127.0.0.1:8977");
        assert_eq!(args.dist, PathBuf::from("dist"));
        assert_eq!(args.max_message_size, 8 * 1024 * 1024);
        assert_eq!(args.capture_limit, 100_000);
        assert_eq!(args.preview_bytes, 1024);
        assert!(args.allow_origins.is_empty());
        assert_eq!(args.notebook_dir, PathBuf::from("."));
        assert_eq!(args.max_notebook_size, 64 * 1024 * 1024);
        let config = args.into_config().unwrap();
        assert!(config.capture.enabled);
        assert_eq!(config.capture.memory, 256 * 1024 * 1024);
    }

    #[test]
    fn the_capture_memory_is_in_mib_and_leaves_room_for_records() {
        let config = parse(&["--capture-memory", "3"])
            .unwrap()
            .into_config()
            .unwrap();
        assert_eq!(config.capture.memory, 3 * 1024 * 1024);
        assert!(parse(&["--capture-memory", "0"]).is_err());
        let error = parse(&["--capture-memory", "1", "--preview-bytes", "100000"])
            .unwrap()
            .into_config()
            .unwrap_err();
        assert!(error.contains("--preview-bytes 100000"), "{error}");
        assert!(Args::command()
            .render_long_help()
            .to_string()
            .contains("--capture-memory <MIB>"));
    }

    #[test]
    fn all_options() {
        let args = parse(&[
            "--bind",
            "127.0.0.1:0",
            "--token",
            "abc",
            "--dist",
            "/tmp/ui",
            "--allow-origin",
            "http://a",
            "--allow-origin",
            "http://b",
            "--max-message-size",
            "10",
            "--capture-limit",
            "5",
            "--preview-bytes",
            "3",
            "--no-capture",
            "--notebook-dir",
            "/tmp/nb",
            "--max-notebook-size",
            "7",
            "--base-url",
            "/user/a/wirebook/",
        ])
        .unwrap();
        let config = args.into_config().unwrap();
        assert_eq!(config.base_url.as_str(), "/user/a/wirebook/");
        assert_eq!(config.token, "abc");
        assert_eq!(config.dist, PathBuf::from("/tmp/ui"));
        assert_eq!(config.admission.allow_origins, vec!["http://a", "http://b"]);
        assert_eq!(config.websocket.max_message_size, 10);
        assert_eq!(config.capture.limit, 5);
        assert_eq!(config.capture.preview_bytes, 3);
        assert!(!config.capture.enabled);
        assert_eq!(config.notebooks.dir, PathBuf::from("/tmp/nb"));
        assert_eq!(config.notebooks.max_size, 7);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse(&[])
            .unwrap()
            .into_config()
            .unwrap()
            .base_url
            .is_root());
        for (bad, why) in [
            ("wirebook/", "must start with '/'"),
            ("/wirebook", "must end with '/'"),
            ("/a//b/", "empty segment"),
        ] {
            let err = parse(&["--base-url", bad])
                .unwrap()
                .into_config()
                .unwrap_err();
            assert!(
                err.starts_with("--base-url: ") && err.contains(why),
                "{err}"
            );
        }
        assert!(parse(&["--max-message-size", "0"]).is_err());
        assert!(parse(&["--capture-limit", "0"]).is_err());
        assert!(parse(&["--capture-limit", "many"]).is_err());
        let err = parse(&["--token", "a b"])
            .unwrap()
            .into_config()
            .unwrap_err();
        assert!(err.contains("' '"), "{err}");
        assert!(check_token_format("").is_err());
        assert!(check_token_format("a;b").is_err());
        assert!(check_token_format("Ab-_.~9").is_ok());
    }

    #[test]
    fn routes() {
        let config = parse(&[
            "--route",
            "a=ws://127.0.0.1:9/x",
            "--route",
            "b=ws://h/,public",
            "--public-route",
            "c=ws://h/",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        let names: Vec<_> = config
            .routes
            .iter()
            .map(|r| (r.name.as_str(), r.public))
            .collect();
        assert_eq!(names, [("a", false), ("b", true), ("c", true)]);
        let secure = parse(&["--route", "a=wss://h/", "--tls-insecure"])
            .unwrap()
            .into_config()
            .unwrap();
        assert!(secure.routes[0].url.tls && secure.tls.skip_verification);
        let err = parse(&["--route", "a=ws://h/", "--public-route", "a=ws://g/"])
            .unwrap()
            .into_config()
            .unwrap_err();
        assert!(err.contains("twice"), "{err}");
    }

    #[test]
    fn jupyter_paths_and_startup_timeout() {
        let config = parse(&[
            "--jupyter-path",
            "/a",
            "--jupyter-path",
            "/b",
            "--kernel-startup-timeout",
            "5",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        assert_eq!(
            config.jupyter.extra_paths,
            [PathBuf::from("/a"), PathBuf::from("/b")]
        );
        assert_eq!(config.jupyter.startup_timeout, Duration::from_secs(5));
        let defaults = parse(&[]).unwrap().into_config().unwrap();
        assert!(defaults.jupyter.extra_paths.is_empty());
        assert_eq!(defaults.jupyter.startup_timeout, Duration::from_secs(60));
    }

    #[test]
    fn kernels() {
        let config = parse(&[
            "--kernel",
            "ws://127.0.0.1:9/k",
            "--kernel-header",
            "Authorization: Bearer x",
            "--kernel-subprotocol",
            "v2",
            "--kernel-connect-timeout",
            "500",
            "--kernel-ping-interval",
            "1000",
            "--kernel-pong-timeout",
            "300",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        assert_eq!(config.kernel.url.as_deref(), Some("ws://127.0.0.1:9/k"));
        assert_eq!(
            config.kernel.headers,
            [("Authorization".to_string(), "Bearer x".to_string())]
        );
        assert_eq!(config.kernel.subprotocols, ["v2"]);
        assert_eq!(config.kernel.connect_timeout, Duration::from_millis(500));
        assert_eq!(
            config.kernel.keepalive,
            Some(Keepalive {
                interval: Duration::from_secs(1),
                pong_timeout: Duration::from_millis(300)
            })
        );
        assert_eq!(
            parse(&[]).unwrap().into_config().unwrap().kernel.keepalive,
            None
        );
        assert!(parse(&["--kernel-ping-interval", "5"]).is_err());
        for (args, why) in [
            (&["--kernel", "http://h/"][..], "must be ws:// or wss://"),
            (
                &["--tls-ca", "/nonexistent/ca.pem"][..],
                "--tls-ca: cannot read",
            ),
            (
                &["--kernel", "ws://h/", "--kernel-header", "nocolon"][..],
                "Name: value",
            ),
            (
                &["--kernel", "ws://h/", "--kernel-header", "a b: c"][..],
                "not a header name",
            ),
            (&["--kernel-subprotocol", "v2"][..], "need --kernel"),
        ] {
            let err = parse(args).unwrap().into_config().unwrap_err();
            assert!(err.contains(why), "{args:?}: {err}");
        }
    }

    #[test]
    fn gateway() {
        let config = parse(&[
            "--gateway-url",
            "http://127.0.0.1:8888/",
            "--gateway-token",
            "secret",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        let gateway = config.gateway.unwrap();
        assert_eq!(gateway.url, "http://127.0.0.1:8888/");
        assert_eq!(gateway.token.as_deref(), Some("secret"));
        assert!(parse(&[]).unwrap().into_config().unwrap().gateway.is_none());
        let https = parse(&["--gateway-url", "https://h/", "--tls-insecure"])
            .unwrap()
            .into_config()
            .unwrap()
            .gateway
            .unwrap();
        assert!(https.tls.skip_verification);
        for (args, why) in [
            (
                &["--gateway-url", "ftp://h/"][..],
                "must start with http:// or https://",
            ),
            (&["--gateway-token", "t"][..], "needs --gateway-url"),
        ] {
            let err = parse(args).unwrap().into_config().unwrap_err();
            assert!(err.contains(why), "{args:?}: {err}");
        }
    }

    #[test]
    fn random_tokens_are_32_hex_digits() {
        use crate::auth::random_token;
        let token = random_token();
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(token, random_token());
        check_token_format(&token).unwrap();
    }
}
