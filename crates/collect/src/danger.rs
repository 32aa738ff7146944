//! The one place where certificate verification is bypassed.
//!
//! `RecordingVerifier` accepts whatever chain the server sends so that it
//! can be recorded, exactly as sent, even when it is bogus. It still checks
//! the handshake signature with the leaf's key (TLS 1.2 and 1.3), so a
//! recorded chain provably belongs to the party that completed the
//! handshake. Stock verification against the configured trust store is run
//! and its result recorded, but never enforced.
//!
//! Nothing received over a connection that uses this verifier may be
//! trusted: the collector sends no application data on it and closes it
//! right after the handshake.
//!
//! Limits: rustls refuses any handshake message over
//! `MAX_HANDSHAKE_MESSAGE_BYTES` before the verifier sees it, which bounds
//! the bytes of a recorded chain. Within that, a server can still send
//! thousands of tiny "certificates"; the verifier keeps the first
//! [`MAX_CHAIN_CERTS`] and then refuses the chain, so the handshake ends
//! there and the record says how many were sent.

use mitmwatch_core::model::StockVerification;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};
use std::sync::{Arc, Mutex};

/// The largest handshake message rustls accepts (its own fixed limit, not
/// configurable): a Certificate message over 64 KiB ends the handshake
/// before any certificate can be recorded.
pub(crate) const MAX_HANDSHAKE_MESSAGE_BYTES: usize = 0xffff;

pub use mitmwatch_core::model::MAX_CHAIN_CERTS;

/// What the verifier saw: the chain as sent (leaf first) and stock
/// verification's opinion of it.
#[derive(Clone, Debug)]
pub(crate) struct RecordedChain {
    /// Certificates in the order the server sent them, at most
    /// [`MAX_CHAIN_CERTS`] of them.
    pub(crate) certs: Vec<CertificateDer<'static>>,
    /// How many certificates the server sent (more than `certs.len()` when
    /// the chain was cut at [`MAX_CHAIN_CERTS`]).
    pub(crate) sent: usize,
    /// Stock verification's result.
    pub(crate) stock: StockVerification,
    /// Stock verification failed because no path led from the chain to an
    /// anchor (webpki's `UnknownIssuer`): the case where a browser would
    /// look for the missing issuer (see [`super::aia`]).
    pub(crate) unknown_issuer: bool,
}

/// Accepts any certificate chain, records it, and still verifies handshake
/// signatures. One instance per connection: rustls calls the verifier of
/// the `ClientConfig`, so sharing one would mix up records.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    stock: Option<Arc<WebPkiServerVerifier>>,
    trust_store: String,
    record: Mutex<Option<RecordedChain>>,
}

impl RecordingVerifier {
    /// `stock` is `None` when the trust store is empty (rustls refuses to
    /// build a verifier without anchors); every chain is then recorded as
    /// unverified.
    pub(crate) fn new(
        provider: Arc<CryptoProvider>,
        stock: Option<Arc<WebPkiServerVerifier>>,
        trust_store: String,
    ) -> Self {
        RecordingVerifier {
            provider,
            stock,
            trust_store,
            record: Mutex::new(None),
        }
    }

    /// The chain recorded during the handshake, if the server got as far as
    /// sending one.
    pub(crate) fn take_record(&self) -> Option<RecordedChain> {
        self.record.lock().map(|mut r| r.take()).unwrap_or(None)
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let sent = 1 + intermediates.len();
        if sent > MAX_CHAIN_CERTS {
            let certs = std::iter::once(end_entity)
                .chain(intermediates)
                .take(MAX_CHAIN_CERTS)
                .map(|c| c.clone().into_owned())
                .collect();
            let stock = StockVerification {
                trust_store: self.trust_store.clone(),
                ok: false,
                error: Some(format!(
                    "not verified: the server sent {sent} certificates (mitmwatch records at most {MAX_CHAIN_CERTS})"
                )),
            };
            if let Ok(mut slot) = self.record.lock() {
                *slot = Some(RecordedChain {
                    certs,
                    sent,
                    stock,
                    unknown_issuer: false,
                });
            }
            // Refused: the record would be incomplete, and no real chain is this long.
            return Err(Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            ));
        }
        let mut unknown_issuer = false;
        let stock = match &self.stock {
            Some(verifier) => match verifier.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Ok(_) => StockVerification {
                    trust_store: self.trust_store.clone(),
                    ok: true,
                    error: None,
                },
                Err(e) => {
                    unknown_issuer = matches!(
                        e,
                        Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
                    );
                    StockVerification {
                        trust_store: self.trust_store.clone(),
                        ok: false,
                        error: Some(e.to_string()),
                    }
                }
            },
            None => StockVerification {
                trust_store: self.trust_store.clone(),
                ok: false,
                error: Some("the trust store is empty".into()),
            },
        };
        let certs = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut slot) = self.record.lock() {
            *slot = Some(RecordedChain {
                certs,
                sent,
                stock,
                unknown_issuer,
            });
        }
        // Deliberately accepted: the point is to record, not to judge.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
