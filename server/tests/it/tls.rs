//! `wss://` kernels: a python `websockets` server with a self-signed certificate made here,
//! refused without its CA, used with `--tls-ca`, and with `--tls-insecure` (flagged).

use wirebook_server::config::Config;
use wirebook_server::upstream::TlsSettings;
use wirebook_shared::{CaptureBody, Hop, KernelState};

use crate::capture_records::handshake_on;
use crate::peers::python_server;
use crate::session_client::SessionClient;
use crate::support::{TempDir, TestServer, TOKEN};

/// A certificate for `localhost` and where its PEM files are.
struct SelfSigned {
    dir: TempDir,
}

impl SelfSigned {
    fn new() -> Self {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let dir = TempDir::new("tls");
        std::fs::write(dir.0.join("cert.pem"), made.cert.pem()).unwrap();
        std::fs::write(dir.0.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
        SelfSigned { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.0.join(name).display().to_string()
    }
}

/// A config whose kernel is `tls_echo_server.py` behind a new self-signed certificate; the
/// server is killed when the child is dropped.
async fn wss_config() -> (Config, tokio::process::Child, SelfSigned) {
    let cert = SelfSigned::new();
    let (child, port) = python_server(
        "tls_echo_server.py",
        &[&cert.path("cert.pem"), &cert.path("key.pem")],
    )
    .await;
    let mut config = Config::new(TOKEN);
    config.kernel.url = Some(format!("wss://localhost:{port}/"));
    (config, child, cert)
}

/// Runs a cell through the wss kernel and returns the kernel connection's `Open` record's
/// server field (which says how TLS was checked).
async fn echo_through(config: Config) -> String {
    let server = TestServer::start(config).await;
    let mut client = SessionClient::ready(&server).await;
    client.assert_echoed("c1", "over tls").await;
    // The tap sits above TLS: the handshake and frames are plain in the capture.
    let kernel_open = |records: &[wirebook_shared::CaptureRecord]| {
        records.iter().find_map(|r| match &r.body {
            CaptureBody::Open { server, .. } if r.hop == Hop::Kernel => Some(server.clone()),
            _ => None,
        })
    };
    client
        .capture_until(|records| {
            kernel_open(records).is_some() && handshake_on(records, Hop::Kernel).is_some()
        })
        .await;
    kernel_open(&client.records).unwrap()
}

#[tokio::test]
async fn a_self_signed_kernel_is_refused_without_its_ca_and_says_what_to_do() {
    let (config, _child, _cert) = wss_config().await;
    let server = TestServer::start(config).await;
    let (mut client, _) = SessionClient::open(&server).await;
    let KernelState::Failed { message } = client.kernel_settled().await else {
        panic!("a self-signed certificate must not be trusted by default")
    };
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains("--tls-ca"), "{message}");
}

#[tokio::test]
async fn a_self_signed_kernel_works_with_its_ca() {
    let (mut config, _child, cert) = wss_config().await;
    // The CA file is read the way --tls-ca reads it.
    config.tls = TlsSettings {
        extra_roots: TlsSettings::read_ca_file(std::path::Path::new(&cert.path("cert.pem")))
            .unwrap(),
        skip_verification: false,
    };
    let open = echo_through(config).await;
    assert!(open.ends_with("(TLS)"), "{open}");
}

#[tokio::test]
async fn skipping_verification_works_and_is_flagged() {
    let (mut config, _child, _cert) = wss_config().await;
    config.tls = TlsSettings {
        extra_roots: Vec::new(),
        skip_verification: true,
    };
    let open = echo_through(config).await;
    assert!(open.contains("NOT verified"), "{open}");
}
