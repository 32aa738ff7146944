//! Baselines: for each domain, the issuing CAs seen from a trusted vantage
//! (`mitmwatch baseline scan.jsonl`), with their keys, so that a later
//! chain can be held to them: a leaf sent alone is checked by signature
//! against the baseline's CA of its issuer's name, and a chain is compared
//! by CA keys, roots and operators (see `analyze/baseline_check.rs`).
//! Building a baseline is pure; reading and writing the file is the
//! caller's job.

use crate::encoding::{base64_decode, base64_encode, hex};
use crate::model::{Fingerprint, Observation};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

/// Version of the baseline format written. Version 1 files (names and key
/// hashes only) are still read.
pub const BASELINE_SCHEMA: u32 = 2;

/// The baseline schemas this build reads.
pub const BASELINE_SCHEMAS_READ: [u32; 2] = [1, 2];

/// One issuing CA seen for a domain: its name, operator and key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineCa {
    /// Subject DN, as text.
    pub subject: String,
    /// The subject's organisation (O), which names the CA's operator.
    pub organization: Option<String>,
    /// SPKI SHA-256, hex.
    pub spki_sha256: Fingerprint,
    /// The SubjectPublicKeyInfo, DER, standard base64: the key that signs
    /// the domain's leaves.
    pub spki: String,
    /// Its subject key identifier, hex, if it has one.
    pub key_id: Option<String>,
}

impl BaselineCa {
    /// The CA of a DER certificate, if it parses.
    pub fn from_der(der: &[u8]) -> Option<BaselineCa> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let organization = cert
            .subject()
            .iter_organization()
            .next()
            .and_then(|o| o.as_str().ok())
            .map(str::to_string);
        let key_id = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(ski) => Some(hex(ski.0)),
                _ => None,
            });
        Some(BaselineCa {
            subject: crate::certinfo::name_to_string(cert.subject()),
            organization,
            spki_sha256: Fingerprint::of(cert.public_key().raw),
            spki: base64_encode(cert.public_key().raw),
            key_id,
        })
    }

    /// The SubjectPublicKeyInfo DER, if the base64 is good.
    pub(crate) fn spki_der(&self) -> Option<Vec<u8>> {
        base64_decode(&self.spki).ok()
    }
}

/// Accepted issuers for one domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// Issuer DNs of the leaves seen.
    pub issuers: BTreeSet<String>,
    /// SPKI SHA-256 (hex) of the CA certificates served above the leaf.
    pub ca_spki_sha256: BTreeSet<Fingerprint>,
    /// The CA certificates served above the leaf, with their keys
    /// (schema 2; empty in schema 1 files).
    #[serde(default)]
    pub cas: BTreeSet<BaselineCa>,
    /// The roots the chains led to, by name: the issuer of the topmost
    /// certificate served (or its subject, when it is a root) (schema 2).
    #[serde(default)]
    pub roots: BTreeSet<String>,
}

/// Domain -> accepted issuing CAs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA`].
    pub schema: u32,
    /// When the baseline was built.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Free text: where the observations came from.
    pub source: String,
    /// Per domain (the name the certificate was expected to cover).
    pub domains: BTreeMap<String, BaselineEntry>,
}

impl Baseline {
    /// An empty baseline.
    pub fn new(source: impl Into<String>, created_at: OffsetDateTime) -> Self {
        Baseline {
            schema: BASELINE_SCHEMA,
            created_at,
            source: source.into(),
            domains: BTreeMap::new(),
        }
    }

    /// Adds what `obs` saw, if its chain verified against the trust store
    /// at collection time (chains that did not are not evidence of what is
    /// normal). Returns whether it was used.
    pub fn add(&mut self, obs: &Observation) -> bool {
        let verified = obs.stock_verification.as_ref().is_some_and(|v| v.ok);
        let Some(leaf) = obs.chain.first() else {
            return false;
        };
        if !verified {
            return false;
        }
        let entry = self
            .domains
            .entry(obs.target.expected_name().to_string())
            .or_default();
        if let Some(issuer) = issuer_name(&leaf.der) {
            entry.issuers.insert(issuer);
        }
        // Keys from the certificates themselves (the DER), not from the
        // record's derived fields, which a hand-edited file could change.
        for ca in obs.chain.iter().skip(1) {
            if let Some(parsed) = base64_decode(&ca.der)
                .ok()
                .and_then(|der| BaselineCa::from_der(&der))
            {
                entry.ca_spki_sha256.insert(parsed.spki_sha256);
                entry.cas.insert(parsed);
            }
        }
        // The topmost certificate's issuer names the root (a root sent
        // along is its own issuer).
        if let Some(top) = obs.chain.last() {
            entry.roots.extend(issuer_name(&top.der));
        }
        true
    }

    /// The accepted issuers for `domain`, if the baseline has it.
    pub(crate) fn get(&self, domain: &str) -> Option<&BaselineEntry> {
        self.domains.get(domain)
    }
}

/// The issuer name of a certificate given as base64 DER, as the analyzer
/// writes names, read from the certificate itself.
fn issuer_name(der_base64: &str) -> Option<String> {
    let der = base64_decode(der_base64).ok()?;
    let (_, cert) = X509Certificate::from_der(&der).ok()?;
    Some(crate::certinfo::name_to_string(cert.issuer()))
}
