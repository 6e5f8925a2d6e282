//! Opening a connection to an upstream WebSocket server (a kernel URL, a tap route's URL):
//! name lookup and TCP with errors that say which step failed, TLS for `wss://` (rustls), and
//! the byte tap on top — above TLS, below the WebSocket codec, so the capture shows exactly
//! what the peer's WebSocket layer sees. Every URL dialled is checked first by [`url`].
//!
//! TLS trusts the system's root store plus any extra CA certificates given (`--tls-ca`, for
//! self-signed servers). `--tls-insecure` skips certificate verification; every connection
//! made that way says so in its `Open` record, so the inspector flags it.

pub mod url;

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use wirebook_shared::Hop;

use crate::capture::recorder::Recorder;
use crate::capture::ring::Capture;
use crate::capture::tap::{upstream_recorder, Tap};

/// How long connecting to an upstream (name lookup, TCP, TLS and the WebSocket handshake) may
/// take: a route's always, a kernel's unless `--kernel-connect-timeout` says otherwise.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How `wss://` upstreams are verified.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// CA certificates trusted besides the system's (`--tls-ca FILE`).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Accept any certificate (`--tls-insecure`). Signatures are still checked, so the
    /// connection is encrypted, but the peer is not authenticated.
    pub skip_verification: bool,
}

impl TlsSettings {
    /// Reads every certificate of a PEM file for [`TlsSettings::extra_roots`].
    pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{} is not a PEM certificate file: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{} holds no PEM certificate", path.display()));
        }
        Ok(certs)
    }

    /// Reads the certificates of PEM text (a CA given in the UI).
    pub fn read_ca_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the CA certificate is not PEM: {e}"))?;
        if certs.is_empty() {
            return Err(
                "the CA certificate holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            );
        }
        Ok(certs)
    }

    fn client_config(&self) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        if self.skip_verification {
            return Ok(builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth());
        }
        let mut roots = RootCertStore::empty();
        // A system without a readable root store still works with --tls-ca.
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            let _ = roots.add(cert);
        }
        for cert in &self.extra_roots {
            roots
                .add(cert.clone())
                .map_err(|e| format!("a --tls-ca certificate is not usable as a CA: {e}"))?;
        }
        if roots.is_empty() {
            return Err("no trusted root certificates: the system store is empty or unreadable; pass --tls-ca FILE".into());
        }
        Ok(builder.with_root_certificates(roots).with_no_client_auth())
    }
}

/// Accepts any certificate; handshake signatures are still verified.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A plain or TLS connection to an upstream server.
#[derive(Debug)]
pub enum UpstreamIo {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for UpstreamIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            UpstreamIo::Plain(io) => Pin::new(io).poll_read(cx, buf),
            UpstreamIo::Tls(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for UpstreamIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            UpstreamIo::Plain(io) => Pin::new(io).poll_write(cx, buf),
            UpstreamIo::Tls(io) => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            UpstreamIo::Plain(io) => Pin::new(io).poll_flush(cx),
            UpstreamIo::Tls(io) => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            UpstreamIo::Plain(io) => Pin::new(io).poll_shutdown(cx),
            UpstreamIo::Tls(io) => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Where to connect: from a `ws://` or `wss://` URL.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub host: &'a str,
    pub port: u16,
    /// `wss://`: TLS with these settings.
    pub tls: Option<&'a TlsSettings>,
}

/// Connects to `endpoint` and taps the connection on `hop` (recorded as `target`). Errors say
/// which step failed: the name lookup (DNS), the TCP connection, or TLS (with the certificate
/// problem and what to do about it).
pub async fn connect(
    endpoint: Endpoint<'_>,
    capture: &Arc<Capture>,
    hop: Hop,
    target: String,
) -> Result<(Tap<UpstreamIo>, Recorder), String> {
    let Endpoint { host, port, tls } = endpoint;
    let tcp = tcp(host, port).await?;
    let Some(settings) = tls else {
        let recorder = upstream_recorder(&tcp, capture, hop, target, None);
        return Ok((
            Tap::client(UpstreamIo::Plain(tcp), recorder.clone()),
            recorder,
        ));
    };
    let flag = if settings.skip_verification {
        "TLS, certificate NOT verified (--tls-insecure)"
    } else {
        "TLS"
    };
    let recorder = upstream_recorder(&tcp, capture, hop, target, Some(flag));
    match handshake(tcp, host, settings).await {
        Ok(stream) => Ok((
            Tap::client(UpstreamIo::Tls(Box::new(stream)), recorder.clone()),
            recorder,
        )),
        Err(message) => {
            recorder.finish(message.clone());
            Err(message)
        }
    }
}

/// Connects to `endpoint` without a tap (for plain HTTP requests such as a gateway's REST
/// API), with the same errors as [`connect`].
pub async fn open(endpoint: Endpoint<'_>) -> Result<UpstreamIo, String> {
    let tcp = tcp(endpoint.host, endpoint.port).await?;
    let _ = tcp.set_nodelay(true);
    match endpoint.tls {
        None => Ok(UpstreamIo::Plain(tcp)),
        Some(settings) => Ok(UpstreamIo::Tls(Box::new(
            handshake(tcp, endpoint.host, settings).await?,
        ))),
    }
}

/// Name lookup and TCP, trying each address; the error says which step failed.
async fn tcp(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("looking up {host} failed (DNS): {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("looking up {host} found no address (DNS)"));
    }
    let mut failures = Vec::new();
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                if let Ok(local) = stream.local_addr() {
                    // When the peer is this server (the echo kernel), it trusts the dial.
                    crate::admission::dialled(local);
                }
                return Ok(stream);
            }
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                failures.push(format!("{addr} refused the connection"));
            }
            Err(error) => failures.push(format!("connecting to {addr} failed: {error}")),
        }
    }
    Err(failures.join("; "))
}

async fn handshake(
    tcp: TcpStream,
    host: &str,
    settings: &TlsSettings,
) -> Result<TlsStream<TcpStream>, String> {
    let config = settings.client_config()?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} is not a valid TLS server name: {e}"))?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|error| tls_failure(host, &error))
}

/// A TLS handshake error in words, with the certificate problem when there is one.
fn tls_failure(host: &str, error: &io::Error) -> String {
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let Some(rustls::Error::InvalidCertificate(problem)) = rustls_error else {
        return format!("the TLS handshake with {host} failed: {error}");
    };
    let what = match problem {
        CertificateError::UnknownIssuer => {
            "is signed by an unknown issuer (self-signed or a private CA): pass the CA with --tls-ca FILE, or --tls-insecure to skip verification".to_string()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("is not valid for the name {host}")
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "has expired".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "is not valid yet".to_string()
        }
        CertificateError::Revoked => "has been revoked".to_string(),
        other => format!("was refused: {other:?}"),
    };
    format!("TLS failed: the certificate of {host} {what}")
}
