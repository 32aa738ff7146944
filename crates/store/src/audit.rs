//! Judging what the stores hold (pure): every distinct certificate is
//! public (its key is in Mozilla's store, as shipped by webpki-roots), a
//! known interception root (the analyzer's catalog matching, see
//! `mitmwatch_core::analyze::catalog_match`) or a local addition.

use super::SourceRead;
use mitmwatch_core::analysis_data::catalog::Catalog;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::analyze::catalog_match::{self, MatchStrength};
use mitmwatch_core::analyze::chain::CertFacts;
use mitmwatch_core::certinfo::cert_record;
use mitmwatch_core::model::{
    CatalogHit, CatalogMatchKind, CertRecord, InstalledRoot, RootClass, ScanLinks, SourceKind,
    SourceStatus, StoreAudit, StoreLocation, StoreSource, StoreSummary, StoreTrust, STORE_SCHEMA,
};
use mitmwatch_core::plural::count as plural;
use std::collections::HashMap;
use time::OffsetDateTime;

/// One distinct certificate found in the stores, judged.
#[derive(Clone, Debug)]
pub struct AuditedRoot {
    /// Parsed facts (names, keys, key identifiers).
    pub(crate) facts: CertFacts,
    /// The record shown in reports.
    pub(crate) record: CertRecord,
    /// Public, local or known interception.
    pub class: RootClass,
    /// The catalog entry it matched, if any.
    pub(crate) catalog: Option<CatalogHit>,
    /// Every place it was found, most specific first.
    pub(crate) locations: Vec<StoreLocation>,
}

impl AuditedRoot {
    /// Whether some store trusts it for websites.
    pub fn trusted(&self) -> bool {
        self.locations.iter().any(|l| l.trust == StoreTrust::Anchor)
    }

    /// Whether it was found somewhere other than the operating system
    /// store and the CA bundles built from the distribution's list: an
    /// anchor directory (where administrators and software add roots), a
    /// file given with `--path`, or a browser database.
    pub fn added_locally(&self) -> bool {
        self.locations.iter().any(|l| {
            matches!(
                l.kind,
                SourceKind::Anchors | SourceKind::Path | SourceKind::Firefox | SourceKind::Chrome
            )
        })
    }

    /// The locations that trust it for websites.
    pub(crate) fn trusted_locations(&self) -> impl Iterator<Item = &StoreLocation> {
        self.locations
            .iter()
            .filter(|l| l.trust == StoreTrust::Anchor)
    }

    /// The form written in reports.
    pub(crate) fn to_model(&self) -> InstalledRoot {
        InstalledRoot {
            certificate: self.record.clone(),
            class: self.class,
            trusted: self.trusted(),
            catalog: self.catalog.clone(),
            locations: self.locations.clone(),
        }
    }
}

/// The overall answer, for the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOutcome {
    /// A known interception root is trusted for websites.
    InterceptionInstalled,
    /// Stores were read and no known interception root is trusted.
    Clean,
    /// No store could be read at all.
    NothingRead,
}

/// Everything the stores hold, judged.
#[derive(Clone, Debug)]
pub struct Audit {
    /// Every store looked at.
    pub sources: Vec<StoreSource>,
    /// Every distinct certificate: known interception first, then local,
    /// then public.
    pub roots: Vec<AuditedRoot>,
    /// What "public" was compared with.
    pub(crate) public_store: String,
}

/// Where a location ranks when listing them: the most telling first (an
/// anchor file someone dropped in is more specific than a bundle).
fn location_rank(kind: SourceKind) -> u8 {
    match kind {
        SourceKind::Anchors => 0,
        SourceKind::Path => 1,
        SourceKind::Firefox => 2,
        SourceKind::Chrome => 3,
        SourceKind::Bundle => 4,
        SourceKind::System => 5,
    }
}

fn match_kind(strength: MatchStrength) -> CatalogMatchKind {
    match strength {
        MatchStrength::Spki => CatalogMatchKind::Spki,
        MatchStrength::CertHash => CatalogMatchKind::Certificate,
        MatchStrength::KeyId => CatalogMatchKind::KeyId,
        MatchStrength::Name => CatalogMatchKind::Name,
    }
}

/// Judges one certificate: its catalog entry and class.
fn judge(
    facts: &CertFacts,
    catalog: &Catalog,
    public: &TrustStore,
) -> (RootClass, Option<CatalogHit>) {
    let is_public = facts.ok() && public.is_public_anchor(&facts.spki_sha256);
    let best = catalog_match::find(catalog, std::slice::from_ref(facts))
        .into_iter()
        .next();
    let hit = best.map(|m| CatalogHit {
        id: m.entry.id.clone(),
        label: m.entry.label.clone(),
        operator: m.entry.operator.clone(),
        category: m.entry.category,
        matched_by: match_kind(m.strength),
    });
    // A public root that merely shares a name with a product is public; a
    // key the catalog lists is an interception key whatever else holds it.
    match hit {
        Some(h) if h.matched_by != CatalogMatchKind::Name || !is_public => {
            (RootClass::KnownInterception, Some(h))
        }
        _ if is_public => (RootClass::Public, None),
        _ => (RootClass::Local, None),
    }
}

/// Judges everything the stores gave. Certificates found in several
/// places are listed once with all their locations.
pub fn audit(reads: Vec<SourceRead>, catalog: &Catalog, public: &TrustStore) -> Audit {
    let mut sources = Vec::with_capacity(reads.len());
    let mut by_der: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut found: Vec<(Vec<u8>, Vec<StoreLocation>)> = Vec::new();
    for read in reads {
        sources.push(read.source);
        for cert in read.certs {
            let i = *by_der.entry(cert.der.clone()).or_insert_with(|| {
                found.push((cert.der, Vec::new()));
                found.len() - 1
            });
            if !found[i].1.contains(&cert.location) {
                found[i].1.push(cert.location);
            }
        }
    }
    let mut roots: Vec<AuditedRoot> = found
        .into_iter()
        .map(|(der, mut locations)| {
            locations.sort_by(|a, b| {
                (location_rank(a.kind), &a.path, &a.nickname).cmp(&(
                    location_rank(b.kind),
                    &b.path,
                    &b.nickname,
                ))
            });
            let record = cert_record(&der);
            let facts = CertFacts::from_der(0, der);
            let (class, catalog) = judge(&facts, catalog, public);
            AuditedRoot {
                facts,
                record,
                class,
                catalog,
                locations,
            }
        })
        .collect();
    roots.sort_by(|a, b| {
        (a.class, !a.trusted(), &a.facts.subject, &a.record.sha256).cmp(&(
            b.class,
            !b.trusted(),
            &b.facts.subject,
            &b.record.sha256,
        ))
    });
    Audit {
        sources,
        roots,
        public_store: public.description().to_string(),
    }
}

impl Audit {
    /// Stores that could be read.
    pub(crate) fn sources_read(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| s.status == SourceStatus::Read)
            .count()
    }

    /// Known interception roots that some store trusts for websites.
    pub(crate) fn interception_installed(&self) -> Vec<&AuditedRoot> {
        self.roots
            .iter()
            .filter(|r| r.class == RootClass::KnownInterception && r.trusted())
            .collect()
    }

    /// The audit's overall answer, which the binary maps to its exit code.
    pub fn outcome(&self) -> StoreOutcome {
        if self.sources_read() == 0 {
            StoreOutcome::NothingRead
        } else if !self.interception_installed().is_empty() {
            StoreOutcome::InterceptionInstalled
        } else {
            StoreOutcome::Clean
        }
    }

    /// Counts and the conclusion.
    pub(crate) fn summary(&self) -> StoreSummary {
        let count = |class| self.roots.iter().filter(|r| r.class == class).count();
        let installed = self.interception_installed();
        let (added, distribution): (Vec<&AuditedRoot>, Vec<&AuditedRoot>) = self
            .roots
            .iter()
            .filter(|r| r.class == RootClass::Local && r.trusted())
            .partition(|r| r.added_locally());
        let local_trusted = added.len() + distribution.len();
        let untrusted_interception: Vec<&AuditedRoot> = self
            .roots
            .iter()
            .filter(|r| r.class == RootClass::KnownInterception && !r.trusted())
            .collect();
        let names = |roots: &[&AuditedRoot]| {
            roots
                .iter()
                .filter_map(|r| r.catalog.as_ref())
                .map(|h| format!("'{}' ({})", h.label, h.operator))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut conclusion = match self.outcome() {
            StoreOutcome::NothingRead => {
                "No trust store could be read, so mitmwatch cannot tell which roots this machine trusts."
                    .to_string()
            }
            StoreOutcome::InterceptionInstalled => format!(
                "{} trusted on this machine: {}. Whoever holds such a key can intercept your TLS \
                 connections without your browser showing any warning. Remove it unless you installed \
                 it on purpose (a debugging proxy you run, or your employer's proxy on a work machine).",
                plural(installed.len(), "known interception root is", "known interception roots are"),
                names(&installed)
            ),
            StoreOutcome::Clean if local_trusted > 0 => {
                let mut s = String::from("No known interception root is trusted.");
                if !added.is_empty() {
                    s.push_str(&format!(
                        " {} added on this machine and not in Mozilla's store: {}. These deserve a \
                         look: check that you know who installed each one and why.",
                        plural(added.len(), "trusted root was", "trusted roots were"),
                        added
                            .iter()
                            .map(|r| r.record.subject.as_deref().unwrap_or("(no subject)"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                if !distribution.is_empty() {
                    s.push_str(&format!(
                        " {} only in the operating system's CA list, not in Mozilla's current store: \
                         roots the distribution ships (often public CAs Mozilla removed or has not \
                         yet added); they need no action of yours.",
                        plural(
                            distribution.len(),
                            "more trusted root is",
                            "more trusted roots are"
                        ),
                    ));
                }
                s
            }
            StoreOutcome::Clean => {
                "No known interception root is trusted, and every trusted root is in Mozilla's store."
                    .to_string()
            }
        };
        if !untrusted_interception.is_empty() {
            conclusion.push_str(&format!(
                " {} stored without trust for websites ({}); that does not make forged certificates trusted.",
                plural(
                    untrusted_interception.len(),
                    "known interception certificate is",
                    "known interception certificates are"
                ),
                names(&untrusted_interception)
            ));
        }
        StoreSummary {
            sources_read: self.sources_read(),
            sources_failed: self.sources.len() - self.sources_read(),
            certificates: self.roots.len(),
            public: count(RootClass::Public),
            local: count(RootClass::Local),
            known_interception: count(RootClass::KnownInterception),
            known_interception_trusted: installed.len(),
            conclusion,
        }
    }

    /// The report written by `mitmwatch store`.
    pub fn report(&self, tool: String, at: OffsetDateTime, scan: Option<ScanLinks>) -> StoreAudit {
        StoreAudit {
            record_type: "store-audit".into(),
            schema: STORE_SCHEMA,
            tool,
            audited_at: at,
            public_store: self.public_store.clone(),
            sources: self.sources.clone(),
            roots: self.roots.iter().map(AuditedRoot::to_model).collect(),
            scan,
            summary: self.summary(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FoundCert;
    use mitmwatch_core::model::StoreSource;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    fn der(prefix: &str) -> Vec<u8> {
        let pem = mitmwatch_core::analysis_data::catalog::builtin::PEMS
            .iter()
            .find(|(n, _)| n.starts_with(prefix))
            .unwrap()
            .1;
        CertificateDer::from_pem_slice(pem).unwrap().to_vec()
    }

    fn read(kind: SourceKind, path: &str, certs: Vec<(Vec<u8>, StoreTrust)>) -> SourceRead {
        SourceRead {
            source: StoreSource {
                kind,
                path: Some(path.into()),
                status: SourceStatus::Read,
                certificates: certs.len(),
                errors: vec![],
            },
            certs: certs
                .into_iter()
                .map(|(der, trust)| FoundCert {
                    der,
                    location: StoreLocation {
                        kind,
                        path: Some(path.into()),
                        nickname: None,
                        trust,
                    },
                })
                .collect(),
        }
    }

    const R1: &[u8] = include_bytes!("../../../fixtures/roots/public-root-r1.pem");
    const R2: &[u8] = include_bytes!("../../../fixtures/roots/public-root-r2.pem");

    #[test]
    fn interception_local_and_public_roots_are_told_apart() {
        // The fixtures' root R1 plays a public root; R2 is a local addition.
        let public = TrustStore::from_pem(R1, "test public store").unwrap();
        let r1 = CertificateDer::from_pem_slice(R1).unwrap().to_vec();
        let r2 = CertificateDer::from_pem_slice(R2).unwrap().to_vec();
        let catalog = Catalog::builtin().unwrap();
        let audit = audit(
            vec![
                read(
                    SourceKind::Bundle,
                    "/etc/ssl/certs/ca-certificates.crt",
                    vec![
                        (der("isca-2020-0643"), StoreTrust::Anchor),
                        (r1, StoreTrust::Anchor),
                        (r2, StoreTrust::Anchor),
                    ],
                ),
                read(
                    SourceKind::Anchors,
                    "/usr/local/share/ca-certificates/isca.crt",
                    vec![(der("isca-2020-0643"), StoreTrust::Anchor)],
                ),
                read(
                    SourceKind::Firefox,
                    "/home/u/.mozilla/firefox/p/cert9.db",
                    vec![(der("qaznet"), StoreTrust::Stored)],
                ),
            ],
            &catalog,
            &public,
        );
        assert_eq!(audit.roots.len(), 4);
        let isca = &audit.roots[0];
        assert_eq!(isca.class, RootClass::KnownInterception);
        assert!(isca.trusted());
        let hit = isca.catalog.as_ref().unwrap();
        assert_eq!(hit.id, "kz-isca-2020-0643");
        assert_eq!(hit.matched_by, CatalogMatchKind::Spki);
        // The anchor file comes before the bundle.
        assert_eq!(isca.locations[0].kind, SourceKind::Anchors);
        assert_eq!(isca.locations.len(), 2);
        // Stored without trust: listed, not counted as installed.
        assert_eq!(audit.roots[1].class, RootClass::KnownInterception);
        assert!(!audit.roots[1].trusted());
        assert_eq!(audit.roots[2].class, RootClass::Local);
        assert_eq!(audit.roots[3].class, RootClass::Public);
        assert_eq!(audit.outcome(), StoreOutcome::InterceptionInstalled);
        let s = audit.summary();
        assert_eq!(
            (
                s.certificates,
                s.known_interception,
                s.known_interception_trusted,
                s.public
            ),
            (4, 2, 1, 1)
        );
        assert!(
            s.conclusion
                .contains("1 known interception root is trusted"),
            "{}",
            s.conclusion
        );
        assert!(
            s.conclusion.contains("stored without trust"),
            "{}",
            s.conclusion
        );
    }

    #[test]
    fn roots_added_here_are_named_apart_from_the_distributions() {
        // Mozilla's store plays the public one: R1 (in the bundle only)
        // stands for a root the distribution ships, R2 (also in an anchor
        // directory) for one an administrator added.
        let r1 = CertificateDer::from_pem_slice(R1).unwrap().to_vec();
        let r2 = CertificateDer::from_pem_slice(R2).unwrap().to_vec();
        let audit = audit(
            vec![
                read(
                    SourceKind::Bundle,
                    "/etc/ssl/certs/ca-certificates.crt",
                    vec![(r1, StoreTrust::Anchor), (r2.clone(), StoreTrust::Anchor)],
                ),
                read(
                    SourceKind::Anchors,
                    "/usr/local/share/ca-certificates/r2.crt",
                    vec![(r2, StoreTrust::Anchor)],
                ),
            ],
            &Catalog::builtin().unwrap(),
            &TrustStore::mozilla(),
        );
        assert_eq!(audit.outcome(), StoreOutcome::Clean);
        let added: Vec<&AuditedRoot> = audit.roots.iter().filter(|r| r.added_locally()).collect();
        assert_eq!(added.len(), 1);
        let c = audit.summary().conclusion;
        let subject = added[0].record.subject.clone().unwrap();
        assert!(
            c.contains(&format!("1 trusted root was added on this machine and not in Mozilla's store: {subject}. These deserve a look")),
            "{c}"
        );
        assert!(
            c.contains("1 more trusted root is only in the operating system's CA list"),
            "{c}"
        );
        assert!(c.contains("need no action"), "{c}");
    }

    #[test]
    fn nothing_read_and_clean() {
        let catalog = Catalog::builtin().unwrap();
        let mozilla = TrustStore::mozilla();
        let mut failed = read(SourceKind::Path, "/x", vec![]);
        failed.source.status = SourceStatus::Error;
        let a = audit(vec![failed], &catalog, &mozilla);
        assert_eq!(a.outcome(), StoreOutcome::NothingRead);
        let a = audit(
            vec![read(
                SourceKind::Path,
                "/y",
                vec![(der("superfish"), StoreTrust::Distrusted)],
            )],
            &catalog,
            &mozilla,
        );
        assert_eq!(a.outcome(), StoreOutcome::Clean);
    }
}
