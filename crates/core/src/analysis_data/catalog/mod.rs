//! The catalog of known interception roots and products (`certs/`):
//! loading, validation and look-ups. The data is compiled in; users can add
//! entries of the same format with `--catalog FILE`.
//!
//! Loading recomputes the certificate and SPKI SHA-256 of every entry that
//! ships a PEM and refuses the catalog if a listed fingerprint disagrees, so
//! a typo in the data cannot silently disable a match.

pub mod builtin;
pub(crate) mod name_rule;

use crate::encoding::parse_hex;
use crate::model::Fingerprint;
use name_rule::{DnAttr, DnValues, NameRule};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate, X509Name};

/// Version of the catalog format.
pub(crate) const CATALOG_SCHEMA: u32 = 1;

pub(crate) use crate::model::Category;

/// Whether an entry is one certificate or a family of names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    /// One specific root (or shared key).
    Root,
    /// One specific intermediate, or an intermediate's name.
    Intermediate,
    /// A name pattern covering many per-install CAs.
    ProductPattern,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    schema: u32,
    #[allow(dead_code)]
    description: String,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    label: String,
    operator: String,
    category: Category,
    kind: Kind,
    years: String,
    pem: Option<String>,
    cert_sha256: Vec<String>,
    spki_sha256: Vec<String>,
    names: Vec<BTreeMap<String, String>>,
    sources: Vec<String>,
    notes: String,
}

/// One catalog entry, validated.
#[derive(Clone, Debug)]
pub struct CatalogEntry {
    /// Stable identifier, e.g. `kz-qaznet-trust-network`.
    pub id: String,
    /// The certificate's or product's name.
    pub label: String,
    /// Who uses it.
    pub operator: String,
    /// What kind of party.
    pub category: Category,
    /// One certificate or a name family.
    pub(crate) kind: Kind,
    /// When it was seen in use.
    pub(crate) years: String,
    /// Certificate SHA-256 values.
    pub(crate) cert_sha256: Vec<Fingerprint>,
    /// SPKI SHA-256 values.
    pub spki_sha256: Vec<Fingerprint>,
    /// Name rules (any may match).
    pub(crate) names: Vec<NameRule>,
    /// Subject key identifier of the shipped certificate, if any: matched
    /// against the authority key identifier of served certificates, so a
    /// chain that omits its root is still recognised.
    pub(crate) subject_key_id: Option<Vec<u8>>,
    /// The shipped certificate's DER, if any.
    pub der: Option<Vec<u8>>,
    /// Public sources attributing the entry.
    pub sources: Vec<String>,
    /// Caveats.
    pub notes: String,
}

impl CatalogEntry {
    /// The sources that attribute the entry's *name* and operator, leaving
    /// out those that identify its certificate or key: a copy of the
    /// certificate (a blocklist PEM, a `.crt` file in some repository), or
    /// a list of keys and certificates (Chromium's `kSPKIBlockList` and
    /// `kKnownInterceptionList`, Mozilla's OneCRL). When only a name
    /// matched, the key served is not the catalogued one, and citing those
    /// would say the opposite.
    pub fn name_sources(&self) -> Vec<String> {
        self.sources
            .iter()
            .filter(|s| !identifies_certificate(s))
            .cloned()
            .collect()
    }
}

/// Whether a source identifies one certificate or key rather than a name:
/// its path (the second word, after `owner/repository` or
/// `registry:package@version`) ends in a certificate extension, it cites a
/// certificate embedded in a source file (`PATH (certificate in NAME…`), or
/// it cites a list of keys or certificates.
fn identifies_certificate(source: &str) -> bool {
    const KEY_LISTS: [&str; 3] = ["kSPKIBlockList", "kKnownInterceptionList", "onecrl.json"];
    let mut words = source.split_whitespace();
    let file = words.nth(1).is_some_and(|path| {
        let path = path.to_ascii_lowercase();
        [".pem", ".crt", ".cer", ".der"]
            .iter()
            .any(|ext| path.ends_with(ext))
    });
    let embedded = words.next() == Some("(certificate") && words.next() == Some("in");
    file || embedded || KEY_LISTS.iter().any(|list| source.contains(list))
}

/// A problem in catalog data.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: entry {entry}: {message}")]
pub struct CatalogError {
    /// File or label of the catalog.
    pub(crate) source_name: String,
    /// Entry id or position.
    pub(crate) entry: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// The loaded catalog with indexes for fast look-ups.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    by_cert: HashMap<Fingerprint, usize>,
    by_spki: HashMap<Fingerprint, usize>,
    by_key_id: HashMap<Vec<u8>, usize>,
    name_memo: NameMemo,
}

/// Which entry each DN matched: a scan sees the same issuer names over and
/// over, and each look-up runs every name rule. A clone starts empty, and
/// adding an entry empties it, so it never answers for other entries.
#[derive(Debug, Default)]
struct NameMemo(std::sync::Mutex<HashMap<DnValues, Option<usize>>>);

/// Most DNs a [`NameMemo`] remembers (it is emptied when full).
const NAME_MEMO_LIMIT: usize = 4096;

impl Clone for NameMemo {
    fn clone(&self) -> Self {
        NameMemo::default()
    }
}

impl NameMemo {
    fn get(&self, dn: &DnValues) -> Option<Option<usize>> {
        self.0.lock().ok()?.get(dn).copied()
    }

    fn put(&self, dn: &DnValues, found: Option<usize>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= NAME_MEMO_LIMIT {
                map.clear();
            }
            map.insert(dn.clone(), found);
        }
    }
}

fn hash32(text: &str) -> Option<Fingerprint> {
    let bytes = parse_hex(text)?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .ok()
        .map(Fingerprint::from)
}

/// The DN attributes that name rules test, decoded.
pub(crate) fn dn_values(name: &X509Name<'_>) -> DnValues {
    let mut out = Vec::new();
    for rdn in name.iter() {
        for attr in rdn.iter() {
            if let Some(key) =
                crate::certinfo::attr_short_name(attr.attr_type()).and_then(DnAttr::from_short_name)
            {
                let value = match attr.as_str() {
                    Ok(s) => s.to_string(),
                    Err(_) => String::from_utf8_lossy(attr.attr_value().data).into_owned(),
                };
                out.push((key, value));
            }
        }
    }
    out
}

impl Catalog {
    /// The catalog shipped in `certs/`.
    pub fn builtin() -> Result<Self, CatalogError> {
        Catalog::from_json(builtin::CATALOG_JSON, "built-in catalog", &|name| {
            builtin::PEMS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, bytes)| bytes.to_vec())
        })
    }

    /// Loads catalog JSON. `pem_file` returns the bytes of a PEM named in an
    /// entry (relative to the catalog), or `None` if there is none.
    pub fn from_json(
        text: &str,
        source_name: &str,
        pem_file: &dyn Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Self, CatalogError> {
        let err = |entry: &str, message: String| CatalogError {
            source_name: source_name.to_string(),
            entry: entry.to_string(),
            message,
        };
        let raw: RawCatalog = serde_json::from_str(text)
            .map_err(|e| err("-", format!("not a valid catalog: {e}")))?;
        if raw.schema != CATALOG_SCHEMA {
            return Err(err(
                "-",
                format!(
                    "unsupported schema {} (expected {CATALOG_SCHEMA})",
                    raw.schema
                ),
            ));
        }
        let mut catalog = Catalog::default();
        for raw_entry in raw.entries {
            let entry = Self::validate(raw_entry, pem_file).map_err(|(id, m)| err(&id, m))?;
            catalog.push(entry).map_err(|(id, m)| err(&id, m))?;
        }
        Ok(catalog)
    }

    fn validate(
        raw: RawEntry,
        pem_file: &dyn Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<CatalogEntry, (String, String)> {
        let id = raw.id.clone();
        let fail = |m: String| (id.clone(), m);
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(fail("id must be lowercase kebab-case".into()));
        }
        let parse_hashes = |list: &[String], what: &str| {
            list.iter()
                .map(|h| {
                    hash32(h).ok_or_else(|| fail(format!("{what} {h:?} is not 64 hex digits")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let cert_sha256 = parse_hashes(&raw.cert_sha256, "cert_sha256")?;
        let spki_sha256 = parse_hashes(&raw.spki_sha256, "spki_sha256")?;
        let names = raw
            .names
            .iter()
            .map(|rule| NameRule::new(rule.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| fail(format!("name rule: {m}")))?;
        if cert_sha256.is_empty() && spki_sha256.is_empty() && names.is_empty() {
            return Err(fail(
                "needs at least one of cert_sha256, spki_sha256, names".into(),
            ));
        }
        let (mut subject_key_id, mut der) = (None, None);
        if let Some(pem_name) = &raw.pem {
            let bytes = pem_file(pem_name)
                .ok_or_else(|| fail(format!("PEM file {pem_name:?} not found")))?;
            let cert = crate::analysis_data::trust_store::parse_pem_certs(&bytes, pem_name)
                .map_err(|e| fail(e.to_string()))?
                .remove(0);
            let (_, x509) = X509Certificate::from_der(&cert)
                .map_err(|e| fail(format!("{pem_name}: not a certificate: {e}")))?;
            let actual_cert = Fingerprint::of(&cert);
            let actual_spki = Fingerprint::of(x509.public_key().raw);
            if !cert_sha256.contains(&actual_cert) {
                return Err(fail(format!(
                    "{pem_name} has certificate SHA-256 {actual_cert}, which cert_sha256 does not list",
                )));
            }
            if !spki_sha256.contains(&actual_spki) {
                return Err(fail(format!(
                    "{pem_name} has SPKI SHA-256 {actual_spki}, which spki_sha256 does not list",
                )));
            }
            for ext in x509.extensions() {
                if let ParsedExtension::SubjectKeyIdentifier(ski) = ext.parsed_extension() {
                    subject_key_id = Some(ski.0.to_vec());
                }
            }
            der = Some(cert.to_vec());
        }
        Ok(CatalogEntry {
            id: raw.id,
            label: raw.label,
            operator: raw.operator,
            category: raw.category,
            kind: raw.kind,
            years: raw.years,
            cert_sha256,
            spki_sha256,
            names,
            subject_key_id,
            der,
            sources: raw.sources,
            notes: raw.notes,
        })
    }

    fn push(&mut self, entry: CatalogEntry) -> Result<(), (String, String)> {
        if self.entries.iter().any(|e| e.id == entry.id) {
            return Err((entry.id.clone(), "duplicate id".into()));
        }
        let index = self.entries.len();
        for h in &entry.cert_sha256 {
            self.by_cert.entry(*h).or_insert(index);
        }
        for h in &entry.spki_sha256 {
            self.by_spki.entry(*h).or_insert(index);
        }
        if let Some(kid) = &entry.subject_key_id {
            self.by_key_id.entry(kid.clone()).or_insert(index);
        }
        self.entries.push(entry);
        self.name_memo = NameMemo::default();
        Ok(())
    }

    /// Adds every entry of `other` (user catalogs); ids must stay unique.
    pub fn extend(&mut self, other: Catalog) -> Result<(), CatalogError> {
        for entry in other.entries {
            self.push(entry).map_err(|(id, message)| CatalogError {
                source_name: "catalog".into(),
                entry: id,
                message,
            })?;
        }
        Ok(())
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&CatalogEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry listing this certificate SHA-256.
    pub(crate) fn by_cert_sha256(&self, hash: &Fingerprint) -> Option<&CatalogEntry> {
        self.by_cert.get(hash).map(|i| &self.entries[*i])
    }

    /// The entry listing this SPKI SHA-256.
    pub(crate) fn by_spki_sha256(&self, hash: &Fingerprint) -> Option<&CatalogEntry> {
        self.by_spki.get(hash).map(|i| &self.entries[*i])
    }

    /// The entry whose certificate has this subject key identifier.
    pub(crate) fn by_key_id(&self, key_id: &[u8]) -> Option<&CatalogEntry> {
        self.by_key_id.get(key_id).map(|i| &self.entries[*i])
    }

    /// The first entry (in file order) with a name rule matching `dn`.
    pub(crate) fn by_name(&self, dn: &DnValues) -> Option<&CatalogEntry> {
        let found = self.name_memo.get(dn).unwrap_or_else(|| {
            let found = self
                .entries
                .iter()
                .position(|e| e.names.iter().any(|rule| rule.matches(dn)));
            self.name_memo.put(dn, found);
            found
        });
        found.map(|i| &self.entries[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads_and_every_pem_is_used() {
        let catalog = Catalog::builtin().expect("the shipped catalog is valid");
        assert!(catalog.entries().len() >= 50);
        let with_pem = catalog.entries().iter().filter(|e| e.der.is_some()).count();
        assert_eq!(with_pem, builtin::PEMS.len());
    }

    #[test]
    fn name_sources_leave_out_certificate_files() {
        let catalog = Catalog::builtin().expect("the shipped catalog is valid");
        let qaznet = catalog.get("kz-qaznet-trust-network").expect("entry");
        let named = qaznet.name_sources();
        assert!(named.len() < qaznet.sources.len());
        for cited in [".pem (", "kSPKIBlockList", "onecrl"] {
            assert!(named.iter().all(|s| !s.contains(cited)), "{named:?}");
        }
        assert!(named.iter().any(|s| s.contains("README.md")), "{named:?}");
        assert!(
            named.iter().any(|s| s.contains("censoredplanet.org")),
            "{named:?}"
        );
        // Every entry that ships a PEM cites its file; none keeps it as a
        // source of the name.
        for e in catalog.entries().iter().filter(|e| e.der.is_some()) {
            assert!(e.name_sources().len() < e.sources.len(), "{}", e.id);
        }
    }

    #[test]
    fn a_wrong_fingerprint_is_refused() {
        let text = builtin::CATALOG_JSON.replacen(
            "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2",
            "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd3",
            1,
        );
        let e = Catalog::from_json(&text, "test", &|name| {
            builtin::PEMS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.to_vec())
        })
        .unwrap_err();
        assert!(e.to_string().contains("kz-qaznet-trust-network"), "{e}");
    }
}
