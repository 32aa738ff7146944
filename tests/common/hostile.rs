//! Hostile servers on 127.0.0.1: what an interceptor that knows about
//! mitmwatch could send it. Some are real rustls servers serving bytes
//! rustls would never check (a certificate "chain" is opaque to the server
//! that sends it); the others speak raw TLS records crafted by hand, where
//! rustls cannot be made to misbehave: a TLS 1.0 ServerHello, a Certificate
//! message claiming 16 MiB, a trickle of one byte per second.
//!
//! Every server stops by itself: loops are bounded in bytes and time.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Content types and handshake types used below (RFC 5246).
const HANDSHAKE: u8 = 0x16;
const SERVER_HELLO: u8 = 2;
const CERTIFICATE: u8 = 11;
const SERVER_KEY_EXCHANGE: u8 = 12;
const SERVER_HELLO_DONE: u8 = 14;
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, offered by rustls for TLS 1.2.
const ECDHE_RSA_AES128_GCM: [u8; 2] = [0xc0, 0x2f];
/// TLS_RSA_WITH_AES_128_CBC_SHA, the TLS 1.0 classic.
const RSA_AES128_CBC_SHA: [u8; 2] = [0x00, 0x2f];

/// What a raw-record server does after accepting.
#[derive(Clone, Debug)]
pub(crate) enum Raw {
    /// Sends 256 KiB of pseudo-random bytes at once, without waiting for
    /// the ClientHello.
    Garbage,
    /// A valid ServerHello record, trickled one byte per second, forever.
    Slowloris,
    /// A ServerHello and the first 1000 bytes of a Certificate message, then closes.
    CloseMidHandshake,
    /// Answers with a TLS 1.0 ServerHello, Certificate and ServerHelloDone.
    Tls10Only,
    /// A Certificate message that claims 16 MiB, followed by up to 64 MiB
    /// of certificate entries.
    HugeCertificateMessage(Vec<u8>),
    /// A complete TLS 1.2 server flight with these certificates (any bytes)
    /// and a ServerKeyExchange whose signature is garbage.
    Tls12Chain(Vec<Vec<u8>>),
}

/// A handshake message: type, 24-bit length, body.
pub(crate) fn handshake_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&u24(body.len()));
    m.extend_from_slice(body);
    m
}

/// TLS records of `content_type`, TLS 1.2 on the wire, 16 KiB each at most.
pub(crate) fn records(content_type: u8, version: [u8; 2], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload.len() / 16384 * 5 + 5);
    for chunk in payload.chunks(16384) {
        out.push(content_type);
        out.extend_from_slice(&version);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn u24(n: usize) -> [u8; 3] {
    assert!(n < 1 << 24);
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

fn server_hello(version: [u8; 2], suite: [u8; 2]) -> Vec<u8> {
    let mut body = version.to_vec();
    body.extend_from_slice(&[0x42; 32]); // server random (no downgrade sentinel)
    body.push(0); // empty session id
    body.extend_from_slice(&suite);
    body.push(0); // no compression
    handshake_message(SERVER_HELLO, &body)
}

/// The body of a Certificate message holding `certs`.
pub(crate) fn certificate_body(certs: &[Vec<u8>]) -> Vec<u8> {
    let list: Vec<u8> = certs
        .iter()
        .flat_map(|c| u24(c.len()).into_iter().chain(c.iter().copied()))
        .collect();
    let mut body = u24(list.len()).to_vec();
    body.extend_from_slice(&list);
    body
}

/// ECDHE parameters on X25519 signed with rsa_pss_rsae_sha256, with a
/// signature of zeros: rustls records the chain before it checks it.
fn server_key_exchange() -> Vec<u8> {
    let mut body = vec![3, 0x00, 0x1d, 32];
    body.extend_from_slice(&[9; 32]);
    body.extend_from_slice(&[0x08, 0x04, 0x01, 0x00]);
    body.extend_from_slice(&[0; 256]);
    handshake_message(SERVER_KEY_EXCHANGE, &body)
}

/// A deterministic stream of pseudo-random bytes (xorshift).
pub(crate) fn pseudo_random(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// DER nested `depth` SEQUENCEs deep around an INTEGER 0.
pub(crate) fn nested_der(depth: usize) -> Vec<u8> {
    let mut der = vec![0x02, 0x01, 0x00];
    for _ in 0..depth {
        let len = der.len();
        let mut header = vec![0x30];
        if len < 0x80 {
            header.push(len as u8);
        } else if len < 0x100 {
            header.extend_from_slice(&[0x81, len as u8]);
        } else if len < 0x10000 {
            header.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
        } else {
            header.extend_from_slice(&[0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
        }
        header.extend_from_slice(&der);
        der = header;
    }
    der
}

async fn read_client_hello(tcp: &mut TcpStream) {
    let mut buf = vec![0u8; 16384];
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await;
}

async fn serve_raw(mut tcp: TcpStream, kind: Raw) {
    let tls12 = [3, 3];
    match kind {
        Raw::Garbage => {
            let _ = tcp.write_all(&pseudo_random(256 * 1024, 0x5eed)).await;
        }
        Raw::Slowloris => {
            read_client_hello(&mut tcp).await;
            // A handshake record header announcing 16 KiB, then its bytes, slowly.
            let mut bytes = vec![HANDSHAKE, 3, 3, 0x40, 0x00];
            bytes.extend_from_slice(&server_hello(tls12, ECDHE_RSA_AES128_GCM));
            for i in 0..60 {
                let byte = bytes.get(i).copied().unwrap_or(0);
                if tcp.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Raw::CloseMidHandshake => {
            read_client_hello(&mut tcp).await;
            let mut flight = server_hello(tls12, ECDHE_RSA_AES128_GCM);
            flight.extend_from_slice(&[CERTIFICATE, 0x00, 0x0b, 0xb8]); // claims 3000 bytes
            flight.extend_from_slice(&[0x00, 0x0b, 0xb5]);
            flight.extend_from_slice(&[0x30; 997]);
            let _ = tcp.write_all(&records(HANDSHAKE, tls12, &flight)).await;
            // Dropping the socket closes it with the message unfinished.
        }
        Raw::Tls10Only => {
            read_client_hello(&mut tcp).await;
            let tls10 = [3, 1];
            let mut flight = server_hello(tls10, RSA_AES128_CBC_SHA);
            flight.extend_from_slice(&handshake_message(
                CERTIFICATE,
                &certificate_body(&[nested_der(1)]),
            ));
            flight.extend_from_slice(&handshake_message(SERVER_HELLO_DONE, &[]));
            let _ = tcp.write_all(&records(HANDSHAKE, tls10, &flight)).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        Raw::HugeCertificateMessage(cert) => {
            read_client_hello(&mut tcp).await;
            let mut head = server_hello(tls12, ECDHE_RSA_AES128_GCM);
            head.extend_from_slice(&[CERTIFICATE, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc]);
            if tcp
                .write_all(&records(HANDSHAKE, tls12, &head))
                .await
                .is_err()
            {
                return;
            }
            let mut entry = u24(cert.len()).to_vec();
            entry.extend_from_slice(&cert);
            let chunk: Vec<u8> = entry.iter().copied().cycle().take(1 << 20).collect();
            let chunk = records(HANDSHAKE, tls12, &chunk);
            for _ in 0..64 {
                if tcp.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
        Raw::Tls12Chain(certs) => {
            read_client_hello(&mut tcp).await;
            let mut flight = server_hello(tls12, ECDHE_RSA_AES128_GCM);
            flight.extend_from_slice(&handshake_message(CERTIFICATE, &certificate_body(&certs)));
            flight.extend_from_slice(&server_key_exchange());
            flight.extend_from_slice(&handshake_message(SERVER_HELLO_DONE, &[]));
            let _ = tcp.write_all(&records(HANDSHAKE, tls12, &flight)).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }
}

/// Starts a raw-record server; it runs until the test's runtime ends.
pub(crate) async fn raw_server(kind: Raw) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve_raw(tcp, kind.clone()));
        }
    });
    addr
}

/// A fresh self-signed certificate for `name` and its rustls signing key.
pub(crate) fn self_signed(name: &str, extra: Vec<rcgen::CustomExtension>) -> Arc<CertifiedKey> {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    params.custom_extensions = extra;
    let cert = params.self_signed(&key).unwrap();
    let signer = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(
        key.serialize_der().into(),
    ))
    .unwrap();
    Arc::new(CertifiedKey::new(vec![cert.der().clone()], signer))
}

/// Serves whatever certificate bytes it was given, or mints a self-signed
/// certificate for whatever SNI the client sends.
#[derive(Debug)]
enum Serve {
    Fixed(Arc<CertifiedKey>),
    ReflectSni,
}

impl ResolvesServerCert for Serve {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match self {
            Serve::Fixed(key) => Some(key.clone()),
            Serve::ReflectSni => Some(self_signed(
                hello.server_name().unwrap_or("no-sni.invalid"),
                vec![],
            )),
        }
    }
}

/// TLS 1.2 only.
pub(crate) static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 only.
pub(crate) static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// How a rustls-based hostile server is set up.
#[derive(Clone, Debug)]
pub(crate) struct TlsServer {
    /// Protocol versions offered.
    pub(crate) versions: &'static [&'static rustls::SupportedProtocolVersion],
    /// Whether a client certificate (from an unrelated CA) is demanded.
    pub(crate) demand_client_cert: bool,
}

impl Default for TlsServer {
    fn default() -> Self {
        TlsServer {
            versions: rustls::ALL_VERSIONS,
            demand_client_cert: false,
        }
    }
}

/// What a rustls-based server saw from one client after the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AfterHandshake {
    /// The client closed cleanly (close_notify), having sent these
    /// application-data bytes first.
    ClosedCleanly { application_data: Vec<u8> },
    /// The stream ended otherwise (no close_notify, or an error).
    Other(String),
    /// The handshake itself failed on the server's side.
    HandshakeFailed(String),
}

/// Log of what clients did, one entry per connection.
pub(crate) type Log = Arc<Mutex<Vec<AfterHandshake>>>;

async fn start_tls(setup: TlsServer, serve: Serve) -> (SocketAddr, Log) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(setup.versions)
        .unwrap();
    let builder = if setup.demand_client_cert {
        let ca = self_signed("unrelated-client-ca.invalid", vec![]);
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.cert[0].clone()).unwrap();
        builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap(),
        )
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_cert_resolver(Arc::new(serve));
    config.send_tls13_tickets = 0;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Log = Default::default();
    let entries = log.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, entries) = (acceptor.clone(), entries.clone());
            tokio::spawn(async move {
                let seen = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                    .await
                {
                    Err(_) => AfterHandshake::HandshakeFailed("timed out".into()),
                    Ok(Err(e)) => AfterHandshake::HandshakeFailed(e.to_string()),
                    Ok(Ok(mut tls)) => {
                        let mut data = Vec::new();
                        match tokio::time::timeout(
                            Duration::from_secs(10),
                            tls.read_to_end(&mut data),
                        )
                        .await
                        {
                            Ok(Ok(_)) => AfterHandshake::ClosedCleanly {
                                application_data: data,
                            },
                            Ok(Err(e)) => AfterHandshake::Other(e.to_string()),
                            Err(_) => AfterHandshake::Other("timed out".into()),
                        }
                    }
                };
                entries.lock().unwrap().push(seen);
            });
        }
    });
    (addr, log)
}

/// A rustls server that sends `chain` (any bytes) and signs with `key`'s key.
pub(crate) async fn tls_server_with_chain(
    setup: TlsServer,
    chain: Vec<CertificateDer<'static>>,
    key: &CertifiedKey,
) -> (SocketAddr, Log) {
    let served = Arc::new(CertifiedKey::new(chain, key.key.clone()));
    start_tls(setup, Serve::Fixed(served)).await
}

/// A rustls server with a self-signed certificate for `name`.
pub(crate) async fn tls_server(setup: TlsServer, name: &str) -> (SocketAddr, Log) {
    start_tls(setup, Serve::Fixed(self_signed(name, vec![]))).await
}

/// A rustls server that answers any SNI with a fresh self-signed
/// certificate for that name.
pub(crate) async fn sni_reflecting_server() -> (SocketAddr, Log) {
    start_tls(TlsServer::default(), Serve::ReflectSni).await
}

/// A plain TCP listener that counts connections (for "never follows
/// anything": AIA, OCSP and CRL URLs point here).
pub(crate) async fn connection_counter() -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((_tcp, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (addr, count)
}
