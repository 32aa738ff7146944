//! The facts the checks need about each served certificate, extracted once
//! from the DER. Owned data, so checks need not juggle borrows; a
//! certificate that does not parse still has its fingerprint and position.

use crate::analysis_data::catalog::dn_values;
use crate::analysis_data::catalog::name_rule::DnValues;
use crate::certinfo::{dotted_oid, name_to_string};
use crate::encoding::{base64_decode, hex, sha256};
use crate::model::CertRecord;
use std::sync::Arc;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
use x509_parser::public_key::PublicKey;

/// OID of Authority Information Access.
pub(crate) const OID_AIA: &str = "1.3.6.1.5.5.7.1.1";

/// The public key in brief.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyFacts {
    /// RSA with modulus size in bits and the public exponent.
    Rsa {
        /// Modulus size.
        bits: usize,
        /// Public exponent (0 if larger than 64 bits).
        exponent: u64,
    },
    /// Elliptic curve (or Ed25519), by algorithm OID.
    Ec(String),
    /// Anything else.
    Other(String),
}

/// One served certificate: its position in the chain and what was parsed
/// from its DER (shared, so that a repeated intermediate is parsed once per
/// scan; read its fields through `Deref`).
#[derive(Clone, Debug)]
pub struct CertFacts {
    /// Position in the served chain (0 = leaf).
    pub(crate) index: usize,
    parsed: Arc<ParsedCert>,
}

impl std::ops::Deref for CertFacts {
    type Target = ParsedCert;
    fn deref(&self) -> &ParsedCert {
        &self.parsed
    }
}

/// What is known about a certificate from its DER alone.
#[derive(Debug)]
pub struct ParsedCert {
    /// DER bytes (empty when the record's base64 was bad).
    pub(crate) der: Vec<u8>,
    /// SHA-256 of `der`.
    pub(crate) sha256: [u8; 32],
    /// Why the certificate could not be parsed, if it could not.
    pub(crate) parse_error: Option<String>,
    /// The rest is meaningful only when `parse_error` is `None`.
    pub spki_sha256: [u8; 32],
    /// Subject as text.
    pub subject: String,
    /// Issuer as text.
    pub(crate) issuer: String,
    /// Subject DER.
    pub subject_raw: Vec<u8>,
    /// Issuer DER.
    pub issuer_raw: Vec<u8>,
    /// Subject attributes for name rules.
    pub(crate) subject_dn: DnValues,
    /// Issuer attributes for name rules.
    pub(crate) issuer_dn: DnValues,
    /// Subject key identifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// Authority key identifier (key id part).
    pub authority_key_id: Option<Vec<u8>>,
    /// BasicConstraints cA.
    pub(crate) is_ca: bool,
    /// Validity start.
    pub(crate) not_before: OffsetDateTime,
    /// Validity end.
    pub(crate) not_after: OffsetDateTime,
    /// Extension OIDs, dotted, in order.
    pub(crate) extension_oids: Vec<String>,
    /// DNS names in the SAN.
    pub(crate) san_dns: Vec<String>,
    /// The key.
    pub(crate) key: KeyFacts,
}

impl ParsedCert {
    /// Whether the certificate parsed.
    pub fn ok(&self) -> bool {
        self.parse_error.is_none()
    }

    /// Subject equals issuer.
    pub(crate) fn self_issued(&self) -> bool {
        self.ok() && self.subject_raw == self.issuer_raw
    }

    /// Whether it carries an extension.
    pub(crate) fn has_extension(&self, oid: &str) -> bool {
        self.extension_oids.iter().any(|o| o == oid)
    }

    /// Hex SHA-256.
    pub(crate) fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    /// Hex SPKI SHA-256 (None if unparsed).
    pub(crate) fn spki_hex(&self) -> Option<String> {
        self.ok().then(|| hex(&self.spki_sha256))
    }

    /// Extracts facts from DER.
    pub(crate) fn from_der(der: Vec<u8>) -> Self {
        let mut facts = ParsedCert {
            sha256: sha256(&der),
            parse_error: None,
            spki_sha256: [0; 32],
            subject: String::new(),
            issuer: String::new(),
            subject_raw: Vec::new(),
            issuer_raw: Vec::new(),
            subject_dn: Vec::new(),
            issuer_dn: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            is_ca: false,
            not_before: OffsetDateTime::UNIX_EPOCH,
            not_after: OffsetDateTime::UNIX_EPOCH,
            extension_oids: Vec::new(),
            san_dns: Vec::new(),
            key: KeyFacts::Other(String::new()),
            der: Vec::new(),
        };
        match X509Certificate::from_der(&der) {
            Err(e) => facts.parse_error = Some(format!("not a valid X.509 certificate: {e}")),
            Ok((_, x)) => {
                facts.spki_sha256 = sha256(x.public_key().raw);
                facts.subject = name_to_string(x.subject());
                facts.issuer = name_to_string(x.issuer());
                facts.subject_raw = x.subject().as_raw().to_vec();
                facts.issuer_raw = x.issuer().as_raw().to_vec();
                facts.subject_dn = dn_values(x.subject());
                facts.issuer_dn = dn_values(x.issuer());
                facts.not_before = x.validity().not_before.to_datetime();
                facts.not_after = x.validity().not_after.to_datetime();
                facts.is_ca = x.is_ca();
                for ext in x.extensions() {
                    facts.extension_oids.push(dotted_oid(&ext.oid));
                    match ext.parsed_extension() {
                        ParsedExtension::SubjectKeyIdentifier(ski) => {
                            facts.subject_key_id = Some(ski.0.to_vec())
                        }
                        ParsedExtension::AuthorityKeyIdentifier(aki) => {
                            facts.authority_key_id =
                                aki.key_identifier.as_ref().map(|k| k.0.to_vec())
                        }
                        ParsedExtension::SubjectAlternativeName(san) => {
                            for name in &san.general_names {
                                if let GeneralName::DNSName(d) = name {
                                    facts.san_dns.push(d.to_ascii_lowercase());
                                }
                            }
                        }
                        _ => {}
                    }
                }
                facts.key = match x.public_key().parsed() {
                    Ok(PublicKey::RSA(rsa)) => KeyFacts::Rsa {
                        bits: rsa.key_size(),
                        exponent: rsa.try_exponent().unwrap_or(0),
                    },
                    Ok(PublicKey::EC(_)) => {
                        KeyFacts::Ec(dotted_oid(&x.public_key().algorithm.algorithm))
                    }
                    _ => KeyFacts::Other(dotted_oid(&x.public_key().algorithm.algorithm)),
                };
            }
        }
        facts.der = der;
        facts
    }
}

impl CertFacts {
    /// Extracts facts from DER, for the certificate at `index` of a chain.
    pub fn from_der(index: usize, der: Vec<u8>) -> Self {
        CertFacts::new(index, ParsedCert::from_der(der))
    }

    /// The certificate at `index` of a chain, with these facts.
    pub(crate) fn new(index: usize, parsed: ParsedCert) -> Self {
        CertFacts {
            index,
            parsed: Arc::new(parsed),
        }
    }
}

/// Whether `child`'s signature verifies under `parent`'s key.
pub fn signed_by(child: &CertFacts, parent: &CertFacts) -> bool {
    if !child.ok() || !parent.ok() {
        return false;
    }
    let (Ok((_, c)), Ok((_, p))) = (
        X509Certificate::from_der(&child.der),
        X509Certificate::from_der(&parent.der),
    ) else {
        return false;
    };
    c.verify_signature(Some(p.public_key())).is_ok()
}

fn record_facts(record: &CertRecord) -> ParsedCert {
    match base64_decode(&record.der) {
        Ok(der) => ParsedCert::from_der(der),
        Err(e) => {
            let mut facts = ParsedCert::from_der(Vec::new());
            facts.parse_error = Some(format!("the record's DER is not valid base64: {e}"));
            facts
        }
    }
}

/// Decodes the chain of an observation.
pub fn chain_facts(chain: &[CertRecord]) -> Vec<CertFacts> {
    chain
        .iter()
        .enumerate()
        .map(|(i, record)| CertFacts::new(i, record_facts(record)))
        .collect()
}

/// Facts of the certificates above the leaf, remembered by their encoded
/// DER: a scan sees the same intermediates over and over, and decoding and
/// parsing them again would be most of the work.
#[derive(Debug, Default)]
pub(crate) struct FactsCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, Arc<ParsedCert>>>,
}

/// Most certificates a [`FactsCache`] remembers (it is cleared when full).
const FACTS_CACHE_LIMIT: usize = 4096;

impl FactsCache {
    /// Like [`chain_facts`], reusing the facts of repeated non-leaf certificates.
    pub(crate) fn chain_facts(&self, chain: &[CertRecord]) -> Vec<CertFacts> {
        chain
            .iter()
            .enumerate()
            .map(|(i, record)| {
                if i == 0 {
                    return CertFacts::new(i, record_facts(record));
                }
                if let Some(hit) = self
                    .entries
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&record.der).cloned())
                {
                    return CertFacts {
                        index: i,
                        parsed: hit,
                    };
                }
                let facts = CertFacts::new(i, record_facts(record));
                if let Ok(mut map) = self.entries.lock() {
                    if map.len() >= FACTS_CACHE_LIMIT {
                        map.clear();
                    }
                    map.insert(record.der.clone(), facts.parsed.clone());
                }
                facts
            })
            .collect()
    }
}
