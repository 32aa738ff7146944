//! What `mitmwatch store` reports about the trust stores of a machine
//! ([`StoreAudit`]), and how served chains are tied to installed roots
//! ([`ScanLink`]). Documented in docs/formats.md ("Store audit format").

use super::{Category, CertRecord, Fingerprint, Interceptor};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Version of the store audit format.
pub const STORE_SCHEMA: u32 = 1;

/// The kind of trust store a certificate was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// The operating system's store, read through rustls-native-certs
    /// (Windows and macOS system stores; on Linux the OpenSSL bundle).
    System,
    /// A distribution's CA bundle file (`/etc/ssl/certs/ca-certificates.crt` …).
    Bundle,
    /// A directory of locally added anchors (`/usr/local/share/ca-certificates` …).
    Anchors,
    /// A file or directory given with `--path`.
    Path,
    /// A Firefox profile's NSS database (`cert9.db`).
    Firefox,
    /// Chrome's or Chromium's NSS shared database on Linux (`~/.pki/nssdb`).
    Chrome,
}

impl SourceKind {
    /// Plain-language name, e.g. "Firefox profile".
    pub fn describe(self) -> &'static str {
        match self {
            SourceKind::System => "operating system store",
            SourceKind::Bundle => "system CA bundle",
            SourceKind::Anchors => "system anchor directory",
            SourceKind::Path => "given path",
            SourceKind::Firefox => "Firefox profile",
            SourceKind::Chrome => "Chrome/Chromium NSS database",
        }
    }
}

/// Whether a source could be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    /// Opened and read (some entries may still have failed: see `errors`).
    Read,
    /// Could not be read at all.
    Error,
}

/// One trust store that was looked at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSource {
    /// What kind of store.
    pub kind: SourceKind,
    /// The file or directory; null for the operating system store.
    pub path: Option<String>,
    /// Read or not.
    pub status: SourceStatus,
    /// Certificates read from it.
    pub certificates: usize,
    /// Problems, each naming the file (and the entry) concerned.
    pub errors: Vec<String>,
}

/// How a store holds one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreTrust {
    /// Trusted to issue certificates for websites: a trust anchor. Every
    /// certificate in a bundle file or anchor directory is one; in an NSS
    /// database, one with the `C` trust flag for SSL.
    Anchor,
    /// Kept in an NSS database without trust for websites (a cached
    /// intermediate, or a certificate imported without trust flags). It does
    /// not make forged certificates trusted.
    Stored,
    /// Explicitly distrusted in an NSS database.
    Distrusted,
}

impl StoreTrust {
    /// Plain-language description.
    pub fn describe(self) -> &'static str {
        match self {
            StoreTrust::Anchor => "trusted for websites",
            StoreTrust::Stored => "stored, not trusted for websites",
            StoreTrust::Distrusted => "explicitly distrusted",
        }
    }
}

/// One place a certificate was found.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreLocation {
    /// What kind of store.
    pub kind: SourceKind,
    /// The file holding it (for anchor directories and `--path`
    /// directories, the file inside); null for the operating system store.
    pub path: Option<String>,
    /// The NSS nickname, when the store is an NSS database and it has one.
    pub nickname: Option<String>,
    /// How the store holds it.
    pub trust: StoreTrust,
}

/// What an installed certificate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootClass {
    /// In the catalog of known interception roots and products (and not a
    /// public root).
    KnownInterception,
    /// Not in Mozilla's root store and not in the catalog: added locally
    /// (by an administrator, software or the distribution).
    Local,
    /// In Mozilla's root store (same SPKI SHA-256).
    Public,
}

/// How an installed certificate matched a catalog entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CatalogMatchKind {
    /// Its SPKI SHA-256 is listed: the same key.
    Spki,
    /// Its certificate SHA-256 is listed.
    Certificate,
    /// Its authority key identifier is a listed certificate's key id.
    KeyId,
    /// Only its name matched a pattern: "looks like product X".
    Name,
}

/// The catalog entry an installed certificate matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogHit {
    /// Catalog id, e.g. `kz-qaznet-trust-network`.
    pub id: String,
    /// The entry's label.
    pub label: String,
    /// Who uses it.
    pub operator: String,
    /// What kind of party.
    pub category: Category,
    /// How it matched.
    pub matched_by: CatalogMatchKind,
}

/// One certificate found in the trust stores, with every place it was found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledRoot {
    /// The certificate, as in observations (`der`, fingerprints, names, validity).
    pub certificate: CertRecord,
    /// Public, local or known interception.
    pub class: RootClass,
    /// Whether at least one location trusts it for websites.
    pub trusted: bool,
    /// The catalog entry it matched, if any.
    pub catalog: Option<CatalogHit>,
    /// Where it was found, most specific first.
    pub locations: Vec<StoreLocation>,
}

/// Whether the root that intercepted a connection is installed here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkStatus {
    /// An installed, trusted root signed the served chain (or is its key):
    /// browsers on this machine accept the forged certificates silently.
    Installed,
    /// An installed root has the same name or catalog entry as the
    /// interceptor, but is not shown to be the same key.
    SimilarInstalled,
    /// No installed root matches: browsers show a certificate warning.
    NotInstalled,
}

/// How a served chain was tied to an installed root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkMatch {
    /// A served certificate's signature verifies under the installed root's key.
    Signature,
    /// A served certificate has the installed root's key (SPKI), or its
    /// authority key identifier is the root's subject key identifier.
    Key,
    /// Both match the same catalog entry.
    Catalog,
    /// A served certificate's issuer name is the installed root's subject.
    Name,
}

/// Intercepted connections of a scan and the installed root behind them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanLink {
    /// The intercepted names (SNI or host), sorted.
    pub domains: Vec<String>,
    /// Who intercepted, as the analyzer named it.
    pub interceptor: Option<Interceptor>,
    /// Installed, similar, or not installed.
    pub status: LinkStatus,
    /// How the root was matched (null when not installed).
    pub matched_by: Option<LinkMatch>,
    /// SHA-256 of the installed root (null when not installed).
    pub root_sha256: Option<Fingerprint>,
    /// Subject of the installed root.
    pub root_subject: Option<String>,
    /// Where that root is installed.
    pub locations: Vec<StoreLocation>,
}

/// Served chains tied to installed roots (`--scan`, and `check`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanLinks {
    /// The observations file, or null for `check`'s own scan.
    pub file: Option<String>,
    /// Observations read.
    pub observations: usize,
    /// Of those, judged `intercepted` or `suspicious`.
    pub intercepted: usize,
    /// One entry per interceptor and root.
    pub links: Vec<ScanLink>,
}

/// Counts and the conclusion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSummary {
    /// Sources read.
    pub sources_read: usize,
    /// Sources that could not be read.
    pub sources_failed: usize,
    /// Distinct certificates found.
    pub certificates: usize,
    /// Of those, in Mozilla's store.
    pub public: usize,
    /// Of those, added locally and not in the catalog.
    pub local: usize,
    /// Of those, known interception certificates (trusted or not).
    pub known_interception: usize,
    /// Of those, trusted for websites in at least one store: these make
    /// interception silent.
    pub known_interception_trusted: usize,
    /// The conclusion in a sentence or two.
    pub conclusion: String,
}

/// The whole audit: `mitmwatch store --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreAudit {
    /// Always `store-audit`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// [`STORE_SCHEMA`].
    pub schema: u32,
    /// e.g. `mitmwatch 0.1.0`.
    pub tool: String,
    /// When the audit ran.
    #[serde(with = "time::serde::rfc3339")]
    pub audited_at: OffsetDateTime,
    /// What "public" was compared with, e.g. `webpki-roots (Mozilla, 146 roots)`.
    pub public_store: String,
    /// Every store looked at that exists (or was asked for).
    pub sources: Vec<StoreSource>,
    /// Every distinct certificate: known interception first, then local, then public.
    pub roots: Vec<InstalledRoot>,
    /// Served chains tied to installed roots, with `--scan`.
    pub scan: Option<ScanLinks>,
    /// Counts and the conclusion.
    pub summary: StoreSummary,
}
