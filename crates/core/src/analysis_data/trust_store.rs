//! The set of trust anchors that "stock verification" and the analyzer's
//! chain building use: Mozilla's roots from webpki-roots by default,
//! replaceable (`--roots`) or extendable (`--extra-roots`) with PEM files.
//! Construction from bytes is pure; reading the files is the caller's job.

use crate::model::Fingerprint;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::collections::HashSet;
use std::sync::Arc;

/// Error while building a trust store from PEM text.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    /// The PEM text could not be read.
    #[error("{source_name}: bad PEM: {detail}")]
    BadPem {
        /// File name or label of the input.
        source_name: String,
        /// What was wrong.
        detail: String,
    },
    /// A certificate could not be used as a trust anchor.
    #[error("{source_name}: certificate #{index} is not usable as a trust anchor: {detail}")]
    BadAnchor {
        /// File name or label of the input.
        source_name: String,
        /// 1-based position of the certificate in the file.
        index: usize,
        /// What was wrong.
        detail: String,
    },
    /// The input held no certificate at all.
    #[error("{source_name}: no CERTIFICATE block found")]
    Empty {
        /// File name or label of the input.
        source_name: String,
    },
}

/// A trust store plus a description of where it came from.
#[derive(Clone, Debug)]
pub struct TrustStore {
    roots: Arc<RootCertStore>,
    description: String,
    /// The anchor certificates given as files (webpki-roots ships anchors,
    /// not certificates, so this only holds user-supplied ones).
    extra_certs: Vec<CertificateDer<'static>>,
    /// SPKI SHA-256 of the base store's anchors (Mozilla's, or those given
    /// with `--roots`): the roots that play the part of the public web PKI.
    /// Anchors added with `--extra-roots` are local additions, like an
    /// installed interception root, and are not in this set.
    public_spki: HashSet<Fingerprint>,
}

fn anchor_spki(anchor: &rustls_pki_types::TrustAnchor<'_>) -> Fingerprint {
    Fingerprint::of(webpki::spki_for_anchor(anchor).as_ref())
}

impl TrustStore {
    /// Mozilla's root store as shipped by the webpki-roots crate.
    pub fn mozilla() -> Self {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let description = format!("webpki-roots (Mozilla, {} roots)", roots.len());
        let public_spki = roots.roots.iter().map(anchor_spki).collect();
        TrustStore {
            roots: Arc::new(roots),
            description,
            extra_certs: Vec::new(),
            public_spki,
        }
    }

    /// An empty store (every chain is untrusted).
    pub(crate) fn empty() -> Self {
        TrustStore {
            roots: Arc::new(RootCertStore::empty()),
            description: "empty".into(),
            extra_certs: Vec::new(),
            public_spki: HashSet::new(),
        }
    }

    /// A store holding only the certificates in `pem`.
    pub fn from_pem(pem: &[u8], source_name: &str) -> Result<Self, TrustStoreError> {
        let mut store = TrustStore::empty();
        store.description = String::new();
        store.add_pem(pem, source_name)?;
        store.public_spki = store.roots.roots.iter().map(anchor_spki).collect();
        Ok(store)
    }

    /// Adds the certificates in `pem` as anchors.
    pub fn add_pem(&mut self, pem: &[u8], source_name: &str) -> Result<(), TrustStoreError> {
        let certs = parse_pem_certs(pem, source_name)?;
        let mut roots = (*self.roots).clone();
        for (i, cert) in certs.iter().enumerate() {
            roots
                .add(cert.clone())
                .map_err(|e| TrustStoreError::BadAnchor {
                    source_name: source_name.to_string(),
                    index: i + 1,
                    detail: e.to_string(),
                })?;
        }
        self.roots = Arc::new(roots);
        let added = format!(
            "{source_name} ({})",
            crate::plural::count(certs.len(), "root", "roots")
        );
        self.description = if self.description.is_empty() || self.description == "empty" {
            added
        } else {
            format!("{} + {added}", self.description)
        };
        self.extra_certs.extend(certs);
        Ok(())
    }

    /// Adds this machine's roots (as `rustls-native-certs` finds them)
    /// that the store does not already hold, as local additions: a root in
    /// the system store but not in the base store is exactly what an
    /// installed interception root looks like. Certificates that cannot be
    /// anchors are skipped. Returns how many were added and the loader's
    /// errors (`FILE: why`).
    pub fn add_system_roots(
        &mut self,
        found: rustls_native_certs::CertificateResult,
    ) -> (usize, Vec<String>) {
        let mut roots = (*self.roots).clone();
        let mut added = 0;
        for cert in found.certs {
            let Ok(anchor) = webpki::anchor_from_trusted_cert(&cert) else {
                continue;
            };
            let spki = anchor_spki(&anchor);
            if roots.roots.iter().any(|a| anchor_spki(a) == spki) {
                continue;
            }
            if roots.add(cert.clone()).is_ok() {
                self.extra_certs.push(cert);
                added += 1;
            }
        }
        self.roots = Arc::new(roots);
        self.description = format!(
            "{} + this machine's roots ({added} not already held)",
            self.description
        );
        (added, found.errors.iter().map(|e| e.to_string()).collect())
    }

    /// The rustls root store.
    pub fn roots(&self) -> Arc<RootCertStore> {
        self.roots.clone()
    }

    /// Where the anchors came from, for records and messages.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether the anchor with this SPKI SHA-256 belongs to the base store
    /// (the stand-in for the public web PKI) rather than to local additions.
    pub fn is_public_anchor(&self, spki_sha256: &Fingerprint) -> bool {
        self.public_spki.contains(spki_sha256)
    }
}

/// The CERTIFICATE blocks of a PEM text, each with the 1-based line of its
/// BEGIN marker, so that an error can name it. Each block is decoded on
/// its own: a bad one does not hide the others.
pub fn pem_certificate_blocks(pem: &[u8]) -> Vec<(usize, Result<CertificateDer<'static>, String>)> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    let mut blocks = Vec::new();
    let (mut line, mut counted) = (1, 0);
    let mut at = 0;
    while let Some(found) = pem[at..].windows(BEGIN.len()).position(|w| w == BEGIN) {
        let start = at + found;
        line += pem[counted..start].iter().filter(|b| **b == b'\n').count();
        counted = start;
        let block = CertificateDer::from_pem_slice(&pem[start..]).map_err(|e| e.to_string());
        blocks.push((line, block));
        at = start + BEGIN.len();
    }
    blocks
}

/// Reads every CERTIFICATE block from PEM text.
pub fn parse_pem_certs(
    pem: &[u8],
    source_name: &str,
) -> Result<Vec<CertificateDer<'static>>, TrustStoreError> {
    let mut certs = Vec::new();
    for (line, item) in pem_certificate_blocks(pem) {
        match item {
            Ok(cert) => certs.push(cert),
            Err(e) => {
                return Err(TrustStoreError::BadPem {
                    source_name: source_name.to_string(),
                    detail: format!("line {line}: {e}"),
                })
            }
        }
    }
    if certs.is_empty() {
        return Err(TrustStoreError::Empty {
            source_name: source_name.to_string(),
        });
    }
    Ok(certs)
}
