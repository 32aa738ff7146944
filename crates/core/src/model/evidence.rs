//! Evidence bundles (`mitmwatch evidence`): for each interceptor found,
//! what it served, where and when, and what a browser vendor would block.
//! `evidence.json` in each interceptor's directory is an
//! [`InterceptionEvidence`]; `manifest.json` at the top is a [`Manifest`].
//! Both are versioned by [`EVIDENCE_SCHEMA`].

use super::{Attribution, Category, CertRecord, Fingerprint, Interceptor, Severity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Version of the evidence and manifest formats.
pub const EVIDENCE_SCHEMA: u32 = 4;

/// Where a certificate sat in the chains that carried it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertRole {
    /// The server certificate (first in the chain).
    Leaf,
    /// A CA certificate that is not self-issued.
    Intermediate,
    /// A self-issued CA certificate.
    Root,
}

impl CertRole {
    /// The kebab-case name used in JSON and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            CertRole::Leaf => "leaf",
            CertRole::Intermediate => "intermediate",
            CertRole::Root => "root",
        }
    }
}

/// One distinct certificate the interceptor served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceCert {
    /// The PEM file in the bundle, relative to the interceptor's directory
    /// (null when the record's DER was not valid base64).
    pub file: Option<String>,
    /// Its place in the chains.
    pub role: CertRole,
    /// The certificate as observations record it: DER, SHA-256 of the DER
    /// and of its key, names, serial and validity, all recomputed from the
    /// DER (a `parse_error` says why that failed, including DER that is not
    /// valid base64).
    pub certificate: CertRecord,
    /// SHA-256 of the DER, standard base64.
    pub sha256_base64: String,
    /// SHA-256 of the SubjectPublicKeyInfo, standard base64 (the form of
    /// Chromium's SPKI blocklist and of `sha256/…` pins).
    pub spki_sha256_base64: Option<String>,
    /// crt.sh searches for this certificate and its key (links, never fetched).
    pub crtsh: Vec<String>,
    /// Domains it was served for (leaf) or under (CA).
    pub domains: Vec<String>,
    /// Observations whose chain carried it.
    pub observations: usize,
}

/// One affected domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSighting {
    /// The name the certificate had to cover.
    pub domain: String,
    /// Intercepted observations of it.
    pub observations: usize,
    /// First of them.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// Last of them.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// TLS parameters negotiated with the interceptor, with counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSighting {
    /// `TLSv1.3`, `TLSv1.2`, or `not recorded` (handshake not completed,
    /// or the importer had none).
    pub version: String,
    /// Cipher suite, when recorded.
    pub cipher_suite: Option<String>,
    /// Key-exchange group, when recorded.
    pub kx_group: Option<String>,
    /// ALPN protocol, when one was negotiated.
    pub alpn: Option<String>,
    /// Observations with these parameters.
    pub observations: usize,
}

/// A finding code and how many observations had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingTally {
    /// The finding code.
    pub code: String,
    /// Its severity.
    pub severity: Severity,
    /// The finding's title when every observation's is the same, else
    /// what it says of all of them (`FindingCode::summary`): a title may
    /// name its target.
    pub title: String,
    /// Observations with it.
    pub observations: usize,
}

/// The catalog entry that names the interceptor. Matched by key, it *is*
/// the served CA; matched by name only, the served CA is merely named like
/// it, and nothing of the entry's certificate is presented as served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogRef {
    /// Entry id.
    pub id: String,
    /// Certificate or product name.
    pub label: String,
    /// Who uses it.
    pub operator: String,
    /// What kind of party.
    pub category: Category,
    /// `key`: a served certificate (or the key identifier in one) matches
    /// the entry's key; `name`: only a name matched ("named like"), the key
    /// served is another. The same as the interceptor's `matched_by`.
    pub matched_by: Attribution,
    /// The entry's keys, SPKI SHA-256 in base64, when matched by key;
    /// empty when only a name matched (they are not the key served).
    pub spki_sha256_base64: Vec<String>,
    /// Public sources for the attribution. For a name-only match, only the
    /// sources about the name and its operator: copies of the catalogued
    /// certificate (a blocklist PEM) are left out, as its key was not served.
    pub sources: Vec<String>,
}

/// What a browser vendor would block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockList {
    /// SPKI SHA-256 (base64) of the CA certificates served.
    pub ca_spki_sha256_base64: Vec<String>,
    /// SHA-256 (hex) of the CA certificates served.
    pub ca_sha256: Vec<Fingerprint>,
    /// SHA-256 (hex) of the leaves served (one per domain, usually).
    pub leaf_sha256: Vec<Fingerprint>,
    /// CAs the chains name (a leaf's issuer, the root) but whose
    /// certificate was not sent or not recorded, as `NAME (key id HEX)`.
    pub unseen_issuers: Vec<String>,
}

/// Vantage information, present only when the user asked for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VantageNote {
    /// The user's own note (`--vantage-note`).
    pub note: Option<String>,
    /// Server addresses connected to (`--include-addresses` only).
    pub addresses: Vec<String>,
    /// Routing rules that applied (`--include-addresses` only).
    pub routes: Vec<String>,
    /// Import references: OONI report ids, file names (`--include-addresses` only).
    pub references: Vec<String>,
}

/// `evidence.json`: everything known about one interceptor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterceptionEvidence {
    /// Always `interception-evidence`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// [`EVIDENCE_SCHEMA`].
    pub schema: u32,
    /// The program that made it.
    pub tool: String,
    /// When the bundle was made.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Who intercepted, as the assessments name it.
    pub interceptor: Interceptor,
    /// The catalog entry, when the interceptor is a known one.
    pub catalog: Option<CatalogRef>,
    /// Intercepted observations.
    pub observations: usize,
    /// Of those, how many chains were recorded leaf-only.
    pub leaf_only_observations: usize,
    /// Of those, how many handshakes sent no SNI (`--no-sni`, IP targets):
    /// the interceptor saw no name, so it chose them by destination.
    pub no_sni_observations: usize,
    /// First intercepted observation.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    /// Last intercepted observation.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// Affected domains.
    pub domains: Vec<DomainSighting>,
    /// TLS parameters seen.
    pub tls: Vec<TlsSighting>,
    /// Findings, most severe first.
    pub findings: Vec<FindingTally>,
    /// Every distinct certificate served: CAs first, then leaves.
    pub certificates: Vec<EvidenceCert>,
    /// What to block.
    pub block: BlockList,
    /// The analysis data the verdicts rest on (trust store, pins with their
    /// date, CT log list, catalog), when the caller said.
    pub data_used: Option<super::DataUsed>,
    /// The validation time (`--at`: an instant, or `observed`), when the
    /// caller said.
    pub validated_at: Option<String>,
    /// Every handshake went to a loopback address (127.0.0.0/8, ::1): a
    /// simulation (`mitmwatch demo`, `mitmwatch sim`) or a local test, not
    /// a network path.
    pub loopback_only: bool,
    /// Only with `--vantage-note` or `--include-addresses`.
    pub vantage: Option<VantageNote>,
}

/// One file of the bundle in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Path relative to the bundle's directory, `/`-separated.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: usize,
}

/// One interceptor's directory in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// The interceptor's catalog id, as in assessments.
    pub id: String,
    /// The interceptor's human-readable name.
    pub label: String,
    /// Its directory in the bundle.
    pub dir: String,
}

/// `manifest.json`: the bundle's table of contents with a hash per file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `evidence-manifest`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// [`EVIDENCE_SCHEMA`].
    pub schema: u32,
    /// The program that made it.
    pub tool: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// The interceptors, one directory each.
    pub interceptors: Vec<ManifestEntry>,
    /// Every other file of the bundle.
    pub files: Vec<ManifestFile>,
}
