//! Roots that Mozilla's store trusted once and trusts no longer, with the
//! day each left it (`certs/removed-roots/`, built from the history of
//! rustls/webpki-roots by `certs/removed-roots/build.py`). A chain
//! validated at a time before a root's removal may be judged with it, so
//! that an old observation of a genuine chain is not called untrusted
//! merely because today's store dropped its root. Construction is pure;
//! the data is compiled in and its fingerprints are checked at load.

use crate::analysis_data::trust_store::{parse_pem_certs, TrustStoreError};
use crate::model::Fingerprint;
use rustls_pki_types::TrustAnchor;
use serde::Deserialize;
use time::{Date, OffsetDateTime};

/// `certs/removed-roots/removed-roots.json`.
const METADATA: &str = include_str!("../../../../certs/removed-roots/removed-roots.json");
/// `certs/removed-roots/removed-roots.pem`.
const PEM: &[u8] = include_bytes!("../../../../certs/removed-roots/removed-roots.pem");

/// Why the compiled-in removed-roots data did not load: the files under
/// `certs/removed-roots/` are damaged or disagree with each other. Each
/// message names the file and the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemovedRootsError {
    /// `removed-roots.json` is not the expected JSON.
    #[error("removed-roots.json: {0}")]
    Metadata(serde_json::Error),
    /// `removed-roots.json` declares a schema this build does not read.
    #[error("removed-roots.json: unsupported schema {0}")]
    Schema(u32),
    /// `removed-roots.pem` does not parse.
    #[error(transparent)]
    Pem(#[from] TrustStoreError),
    /// An entry's SHA-256 matches no certificate of `removed-roots.pem`.
    #[error("removed-roots.pem holds no certificate with SHA-256 {sha256} ({subject})")]
    MissingCertificate {
        /// The SHA-256 the entry lists, hex.
        sha256: String,
        /// The entry's subject.
        subject: String,
    },
    /// An entry's certificate cannot serve as a trust anchor.
    #[error("{subject}: not usable as a trust anchor: {reason}")]
    NotAnAnchor {
        /// The entry's subject.
        subject: String,
        /// What webpki said.
        reason: String,
    },
    /// An entry's removal date is not `YYYY-MM-DD`.
    #[error("{subject}: removal date {date:?}: {reason}")]
    RemovalDate {
        /// The entry's subject.
        subject: String,
        /// The date as written.
        date: String,
        /// What the parser said.
        reason: String,
    },
    /// The two files list different numbers of roots.
    #[error("removed-roots.pem holds {pem} certificates, removed-roots.json lists {json}")]
    CountMismatch {
        /// Certificates in `removed-roots.pem`.
        pem: usize,
        /// Entries in `removed-roots.json`.
        json: usize,
    },
}

#[derive(Deserialize)]
struct RawFile {
    schema: u32,
    #[allow(dead_code)]
    description: String,
    source: String,
    roots: Vec<RawRoot>,
}

#[derive(Deserialize)]
struct RawRoot {
    sha256: String,
    #[allow(dead_code)]
    spki_sha256: String,
    subject: String,
    #[allow(dead_code)]
    first_listed: RawEvent,
    removed: RawEvent,
}

#[derive(Deserialize)]
struct RawEvent {
    date: String,
    commit: String,
}

/// One removed root.
#[derive(Clone, Debug)]
pub(crate) struct RemovedRoot {
    /// Subject DN, as the data file gives it (RFC 2253).
    pub(crate) subject: String,
    /// Certificate SHA-256.
    pub(crate) sha256: Fingerprint,
    /// SPKI SHA-256 of its key.
    pub(crate) spki_sha256: Fingerprint,
    /// The day the root left webpki-roots (Mozilla's store, with the
    /// crate's delay of days to weeks).
    pub(crate) removed: Date,
    /// The webpki-roots commit that dropped it.
    pub(crate) removed_commit: String,
}

/// The removed roots, latest removal first, with their trust anchors.
#[derive(Clone, Debug, Default)]
pub struct RemovedRoots {
    roots: Vec<RemovedRoot>,
    anchors: Vec<TrustAnchor<'static>>,
    /// Where the data came from.
    pub(crate) source: String,
}

impl RemovedRoots {
    /// The compiled-in data. Every certificate's SHA-256 is recomputed and
    /// must match its entry.
    pub fn builtin() -> Result<Self, RemovedRootsError> {
        Self::from_parts(METADATA, PEM)
    }

    pub(crate) fn from_parts(metadata: &str, pem: &[u8]) -> Result<Self, RemovedRootsError> {
        let raw: RawFile = serde_json::from_str(metadata).map_err(RemovedRootsError::Metadata)?;
        if raw.schema != 1 {
            return Err(RemovedRootsError::Schema(raw.schema));
        }
        let certs = parse_pem_certs(pem, "removed-roots.pem")?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let mut pairs = Vec::with_capacity(raw.roots.len());
        for entry in &raw.roots {
            let der = certs
                .iter()
                .find(|c| Fingerprint::of(c.as_ref()).to_string() == entry.sha256)
                .ok_or_else(|| RemovedRootsError::MissingCertificate {
                    sha256: entry.sha256.clone(),
                    subject: entry.subject.clone(),
                })?;
            let anchor = webpki::anchor_from_trusted_cert(der)
                .map_err(|e| RemovedRootsError::NotAnAnchor {
                    subject: entry.subject.clone(),
                    reason: format!("{e:?}"),
                })?
                .to_owned();
            let spki = webpki::spki_for_anchor(&anchor);
            let removed = Date::parse(&entry.removed.date, format).map_err(|e| {
                RemovedRootsError::RemovalDate {
                    subject: entry.subject.clone(),
                    date: entry.removed.date.clone(),
                    reason: e.to_string(),
                }
            })?;
            pairs.push((
                RemovedRoot {
                    subject: entry.subject.clone(),
                    sha256: Fingerprint::of(der.as_ref()),
                    spki_sha256: Fingerprint::of(spki.as_ref()),
                    removed,
                    removed_commit: entry.removed.commit.clone(),
                },
                anchor,
            ));
        }
        if certs.len() != pairs.len() {
            return Err(RemovedRootsError::CountMismatch {
                pem: certs.len(),
                json: pairs.len(),
            });
        }
        pairs.sort_by_key(|p| std::cmp::Reverse(p.0.removed));
        let (roots, anchors) = pairs.into_iter().unzip();
        Ok(RemovedRoots {
            roots,
            anchors,
            source: raw.source,
        })
    }

    /// The anchors of the roots still in Mozilla's store at `at` (removed
    /// later than that day).
    pub(crate) fn anchors_at(&self, at: OffsetDateTime) -> &[TrustAnchor<'static>] {
        let still_trusted = self.roots.partition_point(|r| r.removed > at.date());
        &self.anchors[..still_trusted]
    }

    /// The anchors of every removed root, latest removal first: those of
    /// [`RemovedRoots::anchors_at`] are always a prefix of this list.
    pub(crate) fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }

    /// The removed root with this key, if any.
    pub(crate) fn by_spki(&self, spki_sha256: &Fingerprint) -> Option<&RemovedRoot> {
        self.roots.iter().find(|r| &r.spki_sha256 == spki_sha256)
    }

    /// How many roots the data holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.roots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_shipped_data_loads_and_is_checked() {
        let removed = RemovedRoots::builtin().unwrap();
        assert!(removed.len() > 100, "{}", removed.len());
        // DST Root CA X3 (Let's Encrypt's first root) left in December 2021.
        let in_2020 = removed.anchors_at(datetime!(2020-06-01 0:00 UTC)).len();
        let in_2023 = removed.anchors_at(datetime!(2023-06-01 0:00 UTC)).len();
        assert!(in_2020 > in_2023 && in_2023 > 0, "{in_2020} {in_2023}");
        assert!(removed
            .anchors_at(datetime!(2030-01-01 0:00 UTC))
            .is_empty());
        assert!(removed
            .roots
            .iter()
            .any(|r| r.subject.contains("DST Root CA X3") && r.removed.year() == 2021));
    }

    #[test]
    fn a_tampered_entry_is_refused() {
        let bad = METADATA.replacen("\"sha256\": \"", "\"sha256\": \"00", 1);
        let err = RemovedRoots::from_parts(&bad, PEM).unwrap_err().to_string();
        assert!(err.contains("holds no certificate with SHA-256"), "{err}");
    }
}
