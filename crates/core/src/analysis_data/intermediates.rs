//! A pool of issuing CA certificates that chain building may use when a
//! server leaves its intermediate out, as browsers do from their cache of
//! known intermediates: the set shipped in `certs/intermediates/`
//! (fingerprints checked at load), plus any number of PEM files
//! (`--intermediates`, e.g. Mozilla's CCADB list, or a downloaded copy).
//!
//! A pool certificate is never trusted for being in the pool: it is only
//! offered to webpki, which still checks every signature up to an anchor
//! of the trust store. Lookup is by the raw DER subject name, so that the
//! analyzer can pick, per observation, only the few certificates named as
//! an issuer in the chain.

use crate::analysis_data::trust_store::{parse_pem_certs, TrustStoreError};
use crate::model::Fingerprint;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The metadata of the shipped set, with a source for every certificate.
pub(crate) const SHIPPED_JSON: &str =
    include_str!("../../../../certs/intermediates/intermediates.json");

/// The shipped PEM files, by file name.
const SHIPPED_PEMS: &[(&str, &[u8])] = &[
    (
        "lets-encrypt-r10.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-r10.pem"),
    ),
    (
        "lets-encrypt-r11.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-r11.pem"),
    ),
    (
        "lets-encrypt-r12.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-r12.pem"),
    ),
    (
        "lets-encrypt-r13.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-r13.pem"),
    ),
    (
        "lets-encrypt-r14.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-r14.pem"),
    ),
    (
        "lets-encrypt-e5.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-e5.pem"),
    ),
    (
        "lets-encrypt-e6.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-e6.pem"),
    ),
    (
        "lets-encrypt-e7.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-e7.pem"),
    ),
    (
        "lets-encrypt-e8.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-e8.pem"),
    ),
    (
        "lets-encrypt-e9.pem",
        include_bytes!("../../../../certs/intermediates/lets-encrypt-e9.pem"),
    ),
    (
        "google-wr1.pem",
        include_bytes!("../../../../certs/intermediates/google-wr1.pem"),
    ),
    (
        "google-wr2.pem",
        include_bytes!("../../../../certs/intermediates/google-wr2.pem"),
    ),
    (
        "google-wr3.pem",
        include_bytes!("../../../../certs/intermediates/google-wr3.pem"),
    ),
    (
        "google-wr4.pem",
        include_bytes!("../../../../certs/intermediates/google-wr4.pem"),
    ),
    (
        "google-we1-1dfc1605.pem",
        include_bytes!("../../../../certs/intermediates/google-we1-1dfc1605.pem"),
    ),
    (
        "google-we1-a287ffab.pem",
        include_bytes!("../../../../certs/intermediates/google-we1-a287ffab.pem"),
    ),
    (
        "google-we2-9c3f2fd1.pem",
        include_bytes!("../../../../certs/intermediates/google-we2-9c3f2fd1.pem"),
    ),
    (
        "google-we2-54f8ca85.pem",
        include_bytes!("../../../../certs/intermediates/google-we2-54f8ca85.pem"),
    ),
    (
        "amazon-rsa-2048-m01.pem",
        include_bytes!("../../../../certs/intermediates/amazon-rsa-2048-m01.pem"),
    ),
    (
        "amazon-rsa-2048-m02.pem",
        include_bytes!("../../../../certs/intermediates/amazon-rsa-2048-m02.pem"),
    ),
    (
        "amazon-rsa-2048-m03.pem",
        include_bytes!("../../../../certs/intermediates/amazon-rsa-2048-m03.pem"),
    ),
    (
        "amazon-rsa-2048-m04.pem",
        include_bytes!("../../../../certs/intermediates/amazon-rsa-2048-m04.pem"),
    ),
    (
        "digicert-global-g2-tls-rsa-sha256-2020-ca1-1f8eb9e9.pem",
        include_bytes!(
            "../../../../certs/intermediates/digicert-global-g2-tls-rsa-sha256-2020-ca1-1f8eb9e9.pem"
        ),
    ),
    (
        "digicert-global-g2-tls-rsa-sha256-2020-ca1-c8025f9f.pem",
        include_bytes!(
            "../../../../certs/intermediates/digicert-global-g2-tls-rsa-sha256-2020-ca1-c8025f9f.pem"
        ),
    ),
    (
        "digicert-encryption-everywhere-dv-tls-ca-g2.pem",
        include_bytes!("../../../../certs/intermediates/digicert-encryption-everywhere-dv-tls-ca-g2.pem"),
    ),
    (
        "sectigo-rsa-domain-validation-secure-server-ca.pem",
        include_bytes!(
            "../../../../certs/intermediates/sectigo-rsa-domain-validation-secure-server-ca.pem"
        ),
    ),
    (
        "sectigo-public-server-authentication-ca-dv-r36.pem",
        include_bytes!(
            "../../../../certs/intermediates/sectigo-public-server-authentication-ca-dv-r36.pem"
        ),
    ),
    (
        "sectigo-public-server-authentication-ca-dv-e36.pem",
        include_bytes!(
            "../../../../certs/intermediates/sectigo-public-server-authentication-ca-dv-e36.pem"
        ),
    ),
    (
        "godaddy-secure-ca-g2.pem",
        include_bytes!("../../../../certs/intermediates/godaddy-secure-ca-g2.pem"),
    ),
    (
        "microsoft-azure-rsa-tls-issuing-ca-03-9d1bc5d2.pem",
        include_bytes!(
            "../../../../certs/intermediates/microsoft-azure-rsa-tls-issuing-ca-03-9d1bc5d2.pem"
        ),
    ),
    (
        "microsoft-azure-rsa-tls-issuing-ca-03-3d3f4b44.pem",
        include_bytes!(
            "../../../../certs/intermediates/microsoft-azure-rsa-tls-issuing-ca-03-3d3f4b44.pem"
        ),
    ),
    (
        "microsoft-azure-rsa-tls-issuing-ca-04-33f9731b.pem",
        include_bytes!(
            "../../../../certs/intermediates/microsoft-azure-rsa-tls-issuing-ca-04-33f9731b.pem"
        ),
    ),
    (
        "microsoft-azure-rsa-tls-issuing-ca-04-fd39ffc4.pem",
        include_bytes!(
            "../../../../certs/intermediates/microsoft-azure-rsa-tls-issuing-ca-04-fd39ffc4.pem"
        ),
    ),
];

/// Why a pool could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntermediatesError {
    /// A PEM file could not be read as certificates.
    #[error(transparent)]
    Pem(#[from] TrustStoreError),
    /// A block decoded but is not an X.509 certificate.
    #[error("{source_name}: certificate #{index} is not a valid X.509 certificate: {detail}")]
    BadCertificate {
        /// File name or label.
        source_name: String,
        /// 1-based position among the file's certificates.
        index: usize,
        /// The parser's error.
        detail: String,
    },
    /// The shipped metadata is malformed or does not match the shipped files.
    #[error("certs/intermediates/intermediates.json: {0}")]
    Metadata(String),
    /// A shipped certificate's SHA-256 is not the one its metadata lists.
    #[error(
        "certs/intermediates/{file}: SHA-256 {computed}, but intermediates.json lists {listed}"
    )]
    Fingerprint {
        /// The PEM file.
        file: String,
        /// The listed value.
        listed: String,
        /// The value computed from the bytes.
        computed: String,
    },
}

/// One certificate of the pool.
#[derive(Debug)]
pub(crate) struct PoolCert {
    /// The certificate, DER.
    pub(crate) der: Vec<u8>,
    /// SHA-256 of `der`.
    pub(crate) sha256: Fingerprint,
    /// Issuer name, DER (to look up the next certificate up).
    pub(crate) issuer_raw: Vec<u8>,
    /// Where it came from, e.g. `shipped set of issuing CAs
    /// (certs/intermediates/lets-encrypt-r10.pem)` or `--intermediates file ccadb.pem`.
    pub(crate) source: String,
}

/// Issuing CA certificates by subject name. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct IntermediatePool {
    by_subject: HashMap<Vec<u8>, Vec<Arc<PoolCert>>>,
    known: HashSet<Fingerprint>,
    sources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedFile {
    schema: u32,
    #[allow(dead_code)]
    description: String,
    entries: Vec<ShippedEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippedEntry {
    file: String,
    #[allow(dead_code)]
    label: String,
    cert_sha256: String,
    #[allow(dead_code)]
    source: String,
}

impl IntermediatePool {
    /// An empty pool.
    pub(crate) fn empty() -> Self {
        Self::default()
    }

    /// The shipped set (`certs/intermediates/`), each certificate checked
    /// against the SHA-256 its metadata lists: a mismatch is refused.
    pub fn shipped() -> Result<Self, IntermediatesError> {
        Self::from_shipped(SHIPPED_JSON, SHIPPED_PEMS)
    }

    fn from_shipped(json: &str, pems: &[(&str, &[u8])]) -> Result<Self, IntermediatesError> {
        let meta: ShippedFile =
            serde_json::from_str(json).map_err(|e| IntermediatesError::Metadata(e.to_string()))?;
        if meta.schema != 1 {
            return Err(IntermediatesError::Metadata(format!(
                "unsupported schema {}",
                meta.schema
            )));
        }
        let mut pool = IntermediatePool::empty();
        for (file, pem) in pems {
            let entry = meta
                .entries
                .iter()
                .find(|e| e.file == *file)
                .ok_or_else(|| {
                    IntermediatesError::Metadata(format!("{file} is shipped but not listed"))
                })?;
            let certs = parse_pem_certs(pem, file)?;
            let [cert] = certs.as_slice() else {
                return Err(IntermediatesError::Metadata(format!(
                    "{file} holds {} certificates, not one",
                    certs.len()
                )));
            };
            let computed = crate::encoding::sha256_hex(cert);
            if computed != entry.cert_sha256 {
                return Err(IntermediatesError::Fingerprint {
                    file: file.to_string(),
                    listed: entry.cert_sha256.clone(),
                    computed,
                });
            }
            pool.add_der(
                cert,
                &format!("shipped set of issuing CAs (certs/intermediates/{file})"),
                file,
                1,
            )?;
        }
        if let Some(e) = meta
            .entries
            .iter()
            .find(|e| !pems.iter().any(|(f, _)| *f == e.file))
        {
            return Err(IntermediatesError::Metadata(format!(
                "{} is listed but not shipped",
                e.file
            )));
        }
        pool.sources.push(format!(
            "shipped set ({})",
            crate::plural::count(pems.len(), "certificate", "certificates")
        ));
        Ok(pool)
    }

    /// Adds every certificate of a PEM text (`source_name` names it in
    /// errors and in findings). Certificates already in the pool are
    /// skipped. Returns how many were added.
    pub fn add_pem(&mut self, pem: &[u8], source_name: &str) -> Result<usize, IntermediatesError> {
        let certs = parse_pem_certs(pem, source_name)?;
        let origin = format!("--intermediates file {source_name}");
        let mut added = 0;
        for (i, cert) in certs.iter().enumerate() {
            added += usize::from(self.add_der(cert, &origin, source_name, i + 1)?);
        }
        self.sources.push(format!(
            "{source_name} ({})",
            crate::plural::count(added, "certificate", "certificates")
        ));
        Ok(added)
    }

    fn add_der(
        &mut self,
        der: &[u8],
        origin: &str,
        source_name: &str,
        index: usize,
    ) -> Result<bool, IntermediatesError> {
        let cert = match X509Certificate::from_der(der) {
            Ok((_, cert)) => cert,
            Err(e) => {
                return Err(IntermediatesError::BadCertificate {
                    source_name: source_name.to_string(),
                    index,
                    detail: e.to_string(),
                })
            }
        };
        let sha256 = Fingerprint::of(der);
        if !self.known.insert(sha256) {
            return Ok(false);
        }
        let entry = Arc::new(PoolCert {
            der: der.to_vec(),
            sha256,
            issuer_raw: cert.issuer().as_raw().to_vec(),
            source: origin.to_string(),
        });
        self.by_subject
            .entry(cert.subject().as_raw().to_vec())
            .or_default()
            .push(entry);
        Ok(true)
    }

    /// The pool's certificates whose subject is `name` (raw DER).
    pub(crate) fn named(&self, name: &[u8]) -> &[Arc<PoolCert>] {
        self.by_subject.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How many certificates the pool holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the pool is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_set_loads_and_every_file_is_listed() {
        let pool = IntermediatePool::shipped().unwrap();
        assert_eq!(pool.len(), SHIPPED_PEMS.len());
        let meta: ShippedFile = serde_json::from_str(SHIPPED_JSON).unwrap();
        assert_eq!(meta.entries.len(), SHIPPED_PEMS.len());
        for entry in &meta.entries {
            assert!(!entry.source.is_empty(), "{} has no source", entry.file);
        }
        let r12 = pool
            .by_subject
            .values()
            .flatten()
            .find(|c| c.source.contains("lets-encrypt-r12.pem"))
            .expect("R12 is shipped");
        let (_, cert) = x509_parser::parse_x509_certificate(&r12.der).unwrap();
        assert!(crate::certinfo::name_to_string(cert.subject()).contains("CN=R12"));
        // Lookup by the issuer name of R12 finds nothing (ISRG Root X1 is a root, not shipped).
        assert!(pool.named(&r12.issuer_raw).is_empty());
    }

    /// Every shipped certificate is a CA certificate whose signature
    /// verifies under a root of Mozilla's store (webpki-roots).
    #[test]
    fn every_shipped_certificate_is_signed_by_a_mozilla_root() {
        for (file, pem) in SHIPPED_PEMS {
            let der = parse_pem_certs(pem, file).unwrap().remove(0);
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            assert!(cert.is_ca(), "{file} is not a CA certificate");
            let issuer = cert.issuer().as_raw();
            let signed = webpki_roots::TLS_SERVER_ROOTS.iter().any(|anchor| {
                if crate::analyze::anchor_index::name_content(issuer) != Some(&anchor.subject[..]) {
                    return false;
                }
                let spki_der = webpki::spki_for_anchor(anchor);
                let (_, spki) =
                    x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der.as_ref()).unwrap();
                cert.verify_signature(Some(&spki)).is_ok()
            });
            assert!(
                signed,
                "{file}: no Mozilla root named {} signed it",
                cert.issuer()
            );
        }
    }

    #[test]
    fn a_shipped_certificate_with_another_fingerprint_is_refused() {
        let listed =
            crate::encoding::sha256_hex(&parse_pem_certs(SHIPPED_PEMS[0].1, "x").unwrap()[0]);
        let tampered = SHIPPED_JSON.replacen(&listed, &"0".repeat(64), 1);
        let err = IntermediatePool::from_shipped(&tampered, SHIPPED_PEMS).unwrap_err();
        assert!(
            matches!(err, IntermediatesError::Fingerprint { .. }),
            "{err}"
        );
        let err = IntermediatePool::from_shipped(SHIPPED_JSON, &SHIPPED_PEMS[1..]).unwrap_err();
        assert!(err.to_string().contains("listed but not shipped"), "{err}");
    }

    #[test]
    fn a_pem_file_adds_certificates_once_and_errors_name_the_file() {
        let mut pool = IntermediatePool::shipped().unwrap();
        let (_, pem) = SHIPPED_PEMS[0];
        assert_eq!(pool.add_pem(pem, "dup.pem").unwrap(), 0);
        let err = pool
            .add_pem(
                b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
                "bad.pem",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.pem"), "{err}");
        let err = pool
            .add_pem(b"nothing here", "empty.pem")
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty.pem"), "{err}");
    }
}
