//! Building the rustls client configuration for one probe.

use super::danger::RecordingVerifier;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::ClientConfig;
use std::sync::Arc;

/// ALPN protocols offered, most preferred first.
pub(crate) const OFFERED_ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Shared, immutable parts of every probe's configuration.
#[derive(Clone, Debug)]
pub struct ProbeTls {
    provider: Arc<CryptoProvider>,
    stock: Option<Arc<WebPkiServerVerifier>>,
    trust_store: String,
}

impl ProbeTls {
    /// Prepares configurations that record chains and run stock
    /// verification against `trust_store`. Uses the ring provider
    /// explicitly, never a process-wide default.
    pub fn new(trust_store: &TrustStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let stock =
            WebPkiServerVerifier::builder_with_provider(trust_store.roots(), provider.clone())
                .build()
                .ok();
        ProbeTls {
            provider,
            stock,
            trust_store: trust_store.description().to_string(),
        }
    }

    /// Whether stock verification finds a path from `end_entity` through
    /// `intermediates` to an anchor now, for `name`: anything but
    /// "unknown issuer" counts as reaching one (an expired or misnamed
    /// chain still has its issuers). Used to stop AIA fetching.
    pub(crate) fn reaches_anchor(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
    ) -> bool {
        let Some(stock) = &self.stock else {
            return false;
        };
        !matches!(
            stock.verify_server_cert(end_entity, intermediates, name, &[], UnixTime::now()),
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        )
    }

    /// A fresh configuration and its verifier for one connection: TLS 1.3
    /// and 1.2, ALPN h2 and http/1.1, no session resumption (a resumed
    /// session would skip certificate delivery and hide interception).
    pub(crate) fn config_for_probe(
        &self,
        send_sni: bool,
    ) -> (Arc<ClientConfig>, Arc<RecordingVerifier>) {
        let verifier = Arc::new(RecordingVerifier::new(
            self.provider.clone(),
            self.stock.clone(),
            self.trust_store.clone(),
        ));
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        config.alpn_protocols = OFFERED_ALPN.iter().map(|p| p.to_vec()).collect();
        config.resumption = Resumption::disabled();
        config.enable_sni = send_sni;
        (Arc::new(config), verifier)
    }
}
