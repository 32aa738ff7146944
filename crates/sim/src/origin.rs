//! The simulated origin: one TLS server that answers for every name with a
//! genuine-looking certificate from the simulated public PKI, chosen by SNI.

use super::pki::PublicPki;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Name used when a client sends no SNI.
pub(crate) const DEFAULT_NAME: &str = "origin.sim.invalid";

#[derive(Debug)]
struct BySni(Arc<PublicPki>);

impl std::fmt::Debug for PublicPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicPki").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().unwrap_or(DEFAULT_NAME);
        self.0.leaf_for(name).ok()
    }
}

/// The origin's TLS configuration: TLS 1.3 and 1.2, ALPN h2 and http/1.1.
pub(crate) fn origin_config(
    pki: Arc<PublicPki>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(BySni(pki)));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.send_tls13_tickets = 0;
    Arc::new(config)
}

/// Serves TLS on `listener` until the task is aborted. After the handshake
/// it waits for the client to close (at most ten seconds).
pub(crate) fn spawn_origin(listener: TcpListener, config: Arc<ServerConfig>) -> JoinHandle<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let Ok(Ok(mut tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                else {
                    return;
                };
                let mut sink = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_secs(10), async {
                    while let Ok(n) = tls.read(&mut sink).await {
                        if n == 0 {
                            break;
                        }
                    }
                })
                .await;
            });
        }
    })
}
