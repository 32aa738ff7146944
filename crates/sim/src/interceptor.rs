//! The simulated interception box, modelled on Kazakhtelecom's 2019
//! middlebox. For each connection it reads the ClientHello; if the SNI is on
//! its target list it connects upstream itself, checks that the real server
//! presents a valid certificate (the 2019 box only intercepted then), mints
//! a forged leaf from the genuine one (see [`super::pki::InterceptorPki`]),
//! completes the client's handshake with the forged chain and relays the
//! traffic. Every other connection is passed through byte for byte.
//!
//! Like a TLS-1.2-era appliance, it speaks TLS 1.2 only towards the client
//! and offers ALPN http/1.1 only. (How the real box handled TLS 1.3 is not
//! documented; this is a stated modelling choice.)

use super::pki::InterceptorPki;
use super::replay::ReplayStream;
use super::schedule::InterceptSwitch;
use rustls::pki_types::ServerName;
use rustls::server::{Acceptor, ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Largest ClientHello the box buffers before giving up on a connection.
const MAX_HELLO_BYTES: usize = 64 * 1024;

/// Forged chains ready for the TLS acceptor, keyed by SNI.
#[derive(Debug, Default)]
struct ForgedBySni(Mutex<HashMap<String, Arc<CertifiedKey>>>);

impl ResolvesServerCert for ForgedBySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let sni = hello.server_name()?;
        self.0.lock().ok()?.get(sni).cloned()
    }
}

impl std::fmt::Debug for InterceptorPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterceptorPki").finish_non_exhaustive()
    }
}

/// Configuration and state of the interception box.
pub(crate) struct Interceptor {
    pki: Arc<InterceptorPki>,
    targets: HashSet<String>,
    switch: Arc<InterceptSwitch>,
    upstream: SocketAddr,
    upstream_tls: Arc<ClientConfig>,
    forged: Arc<ForgedBySni>,
    client_side: Arc<ServerConfig>,
}

impl Interceptor {
    /// A box that intercepts `targets` (exact SNI match) while `switch`
    /// is on and forwards everything to `upstream`, whose certificates must
    /// chain to `upstream_roots` to be intercepted.
    pub(crate) fn new(
        pki: Arc<InterceptorPki>,
        targets: HashSet<String>,
        switch: Arc<InterceptSwitch>,
        upstream: SocketAddr,
        upstream_roots: RootCertStore,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Self {
        let mut upstream_tls = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(upstream_roots)
            .with_no_client_auth();
        upstream_tls.resumption = rustls::client::Resumption::disabled();
        let forged = Arc::new(ForgedBySni::default());
        let mut client_side = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .expect("ring supports TLS 1.2")
            .with_no_client_auth()
            .with_cert_resolver(forged.clone());
        client_side.alpn_protocols = vec![b"http/1.1".to_vec()];
        Interceptor {
            pki,
            targets,
            switch,
            upstream,
            upstream_tls: Arc::new(upstream_tls),
            forged,
            client_side: Arc::new(client_side),
        }
    }

    /// Accepts connections on `listener` until the task is aborted.
    pub(crate) fn spawn(self, listener: TcpListener) -> JoinHandle<()> {
        let this = Arc::new(self);
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let this = this.clone();
                tokio::spawn(async move {
                    let _ = tcp.set_nodelay(true);
                    let _ = tokio::time::timeout(Duration::from_secs(30), this.handle(tcp)).await;
                });
            }
        })
    }

    async fn handle(&self, mut client: TcpStream) {
        let Some((hello, sni)) = read_client_hello(&mut client).await else {
            return;
        };
        let on = self.switch.active();
        if let Some(sni) = sni.filter(|s| on && self.targets.contains(s)) {
            if let Some(upstream) = self.open_upstream(&sni).await {
                let genuine = upstream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first().cloned());
                if let Some(genuine) = genuine {
                    if let Ok(forged) = self.pki.forge(&genuine) {
                        if let Ok(mut map) = self.forged.0.lock() {
                            map.insert(sni.clone(), forged);
                        }
                        self.intercept(hello, client, upstream).await;
                        return;
                    }
                }
            }
        }
        self.pass_through(hello, client).await;
    }

    async fn open_upstream(&self, sni: &str) -> Option<tokio_rustls::client::TlsStream<TcpStream>> {
        let name = ServerName::try_from(sni.to_string()).ok()?;
        let tcp = TcpStream::connect(self.upstream).await.ok()?;
        let connector = tokio_rustls::TlsConnector::from(self.upstream_tls.clone());
        // Fails (and so leads to pass-through) unless the real server's
        // certificate is valid: the 2019 box behaved the same way.
        connector.connect(name, tcp).await.ok()
    }

    async fn intercept(
        &self,
        hello: Vec<u8>,
        client: TcpStream,
        mut upstream: tokio_rustls::client::TlsStream<TcpStream>,
    ) {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.client_side.clone());
        let Ok(mut client_tls) = acceptor.accept(ReplayStream::new(hello, client)).await else {
            return;
        };
        let _ = tokio::io::copy_bidirectional(&mut client_tls, &mut upstream).await;
        let _ = client_tls.shutdown().await;
    }

    async fn pass_through(&self, hello: Vec<u8>, mut client: TcpStream) {
        let Ok(mut upstream) = TcpStream::connect(self.upstream).await else {
            return;
        };
        let _ = upstream.set_nodelay(true);
        if upstream.write_all(&hello).await.is_err() {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

/// Reads bytes until a whole ClientHello has arrived. Returns the bytes
/// read (to be replayed) and the SNI, or `None` if the peer sent something
/// else, closed, or sent too much.
async fn read_client_hello(client: &mut TcpStream) -> Option<(Vec<u8>, Option<String>)> {
    let mut acceptor = Acceptor::default();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 || seen.len() + n > MAX_HELLO_BYTES {
            return None;
        }
        seen.extend_from_slice(&chunk[..n]);
        let mut fed = &chunk[..n];
        while !fed.is_empty() {
            acceptor.read_tls(&mut fed).ok()?;
        }
        match acceptor.accept() {
            Ok(Some(accepted)) => {
                let sni = accepted.client_hello().server_name().map(str::to_string);
                return Some((seen, sni));
            }
            Ok(None) => continue,
            Err(_) => return None,
        }
    }
}
