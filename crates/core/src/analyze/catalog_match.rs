//! Naming the interceptor: served certificates, the issuer of the topmost
//! one and its authority key identifier are matched against the catalog of
//! known interception roots. Hash and key-identifier matches identify one
//! key; name matches say "looks like product X".

use super::chain::CertFacts;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use crate::analysis_data::catalog::{Catalog, CatalogEntry, Kind};
use crate::model::{Attribution, Evidence, Finding, FindingCode, Interceptor, Severity};

/// How an entry was matched, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchStrength {
    /// SPKI SHA-256 of a served certificate.
    Spki,
    /// Certificate SHA-256 of a served certificate.
    CertHash,
    /// A served certificate's authority key identifier is the entry's key id.
    KeyId,
    /// A served certificate's subject or issuer name.
    Name,
}

impl MatchStrength {
    /// Key or name, as assessments report it.
    pub(crate) fn attribution(self) -> Attribution {
        match self {
            MatchStrength::Spki | MatchStrength::CertHash | MatchStrength::KeyId => {
                Attribution::Key
            }
            MatchStrength::Name => Attribution::Name,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            MatchStrength::Spki => "its public key (SPKI SHA-256)",
            MatchStrength::CertHash => "its certificate fingerprint",
            MatchStrength::KeyId => "the key identifier of the certificate it signed",
            MatchStrength::Name => "its name",
        }
    }
}

/// One catalog entry found in a chain.
#[derive(Clone, Debug)]
pub struct CatalogMatch<'c> {
    /// The entry.
    pub entry: &'c CatalogEntry,
    /// How.
    pub strength: MatchStrength,
    /// Which served certificate carries the match: the matched certificate
    /// itself, or (see `via_issuer`) the one that names it as its issuer.
    pub(crate) cert_index: usize,
    /// The match is in `cert_index`'s issuer (its issuer name, or its
    /// authority key identifier), not in the certificate itself: the
    /// matched CA is the one above it, and its key is not `cert_index`'s.
    pub(crate) via_issuer: bool,
}

/// Every entry the chain matches, strongest first, one match per entry.
pub fn find<'c>(catalog: &'c Catalog, certs: &[CertFacts]) -> Vec<CatalogMatch<'c>> {
    let mut found: Vec<CatalogMatch<'c>> = Vec::new();
    // A stronger match wins; between equal ones, the certificate matched
    // itself rather than the one naming it as its issuer.
    let mut add = |entry: Option<&'c CatalogEntry>, strength, cert_index, via_issuer| {
        if let Some(entry) = entry {
            let new = CatalogMatch {
                entry,
                strength,
                cert_index,
                via_issuer,
            };
            match found.iter_mut().find(|m| m.entry.id == entry.id) {
                Some(m) if (strength, via_issuer) < (m.strength, m.via_issuer) => *m = new,
                Some(_) => {}
                None => found.push(new),
            }
        }
    };
    for cert in certs.iter().filter(|c| c.ok()) {
        add(
            catalog.by_spki_sha256(&cert.spki_sha256),
            MatchStrength::Spki,
            cert.index,
            false,
        );
        add(
            catalog.by_cert_sha256(&cert.sha256),
            MatchStrength::CertHash,
            cert.index,
            false,
        );
        if let Some(kid) = &cert.authority_key_id {
            add(
                catalog.by_key_id(kid),
                MatchStrength::KeyId,
                cert.index,
                true,
            );
        }
        // Subjects of CA certificates (never the leaf's: it names the site).
        if cert.index > 0 || cert.is_ca || cert.self_issued() {
            add(
                catalog.by_name(&cert.subject_dn),
                MatchStrength::Name,
                cert.index,
                false,
            );
        }
        add(
            catalog.by_name(&cert.issuer_dn),
            MatchStrength::Name,
            cert.index,
            true,
        );
    }
    // A certificate identified by its key or fingerprint is not also
    // reported under the other entries that share its name.
    let identified: Vec<usize> = found
        .iter()
        .filter(|m| m.strength != MatchStrength::Name)
        .map(|m| m.cert_index)
        .collect();
    found.retain(|m| m.strength != MatchStrength::Name || !identified.contains(&m.cert_index));
    found.sort_by_key(|m| (m.strength, kind_rank(m.entry.kind)));
    found
}

fn kind_rank(kind: Kind) -> u8 {
    match kind {
        Kind::Root => 0,
        Kind::Intermediate => 1,
        Kind::ProductPattern => 2,
    }
}

/// Findings for the matches. A match by key is `high`: whoever holds that
/// key intercepts. A match by name only is `medium`: anyone can put any
/// name in a certificate (a device's own admin page carries its maker's
/// name), so it identifies nobody by itself; with a forged-leaf trait the
/// verdict rules make it `intercepted`.
pub(crate) fn findings(matches: &[CatalogMatch<'_>], certs: &[CertFacts]) -> Vec<Finding> {
    matches
        .iter()
        .map(|m| {
            let e = m.entry;
            let years = if e.years.is_empty() {
                String::new()
            } else {
                format!(" ({})", e.years)
            };
            let by_name = m.strength == MatchStrength::Name;
            let (severity, title, explanation, detail) = if by_name {
                (
                    Severity::Medium,
                    format!("Named like a known interception certificate: {}{years}", e.label),
                    format!(
                        "A certificate of the chain carries the name of '{}' ({}; listed as {}), but not its \
                         known key: only the name matched. This is what the product's certificates look like \
                         when each installation makes its own key, and it is also what an imitation or the \
                         product's own administration page looks like. The served certificate's own \
                         fingerprints, not the catalogued ones, identify this key.",
                        e.label,
                        e.operator,
                        e.category.describe()
                    ),
                    format!(
                        "matched by name only; catalog entry {} (named like it, not the same key)",
                        e.id
                    ),
                )
            } else {
                (
                    Severity::High,
                    format!("Known interception certificate: {}{years}", e.label),
                    format!(
                        "The chain contains or was issued by '{}', recognised by {}: {}. It is listed as {}. \
                         Whoever holds its key can read and change this connection.",
                        e.label,
                        m.strength.describe(),
                        e.operator,
                        e.category.describe()
                    ),
                    format!(
                        "matched by key; source: {}",
                        e.sources.first().cloned().unwrap_or_default()
                    ),
                )
            };
            let mut evidence = match_evidence(m, certs);
            evidence.catalog_id = Some(e.id.clone());
            let detail = if evidence.cert_index.is_none() {
                format!(
                    "{detail}; the CA is named as the issuer of certificate #{}, and the server did \
                     not send it",
                    m.cert_index
                )
            } else {
                detail
            };
            with_detail(
                with_evidence(finding(FindingCode::KnownInterceptionRoot, severity, title, explanation), evidence),
                detail,
            )
        })
        .collect()
}

/// What a match points at. The matched certificate itself when it was
/// sent; when the match is in a certificate's issuer (its name or its key
/// identifier), the catalogued certificate for a key-identifier match, or
/// only the issuer's name for a name match: never the certificate below
/// it, whose key (a per-site leaf's, say) is not the matched CA's.
fn match_evidence(m: &CatalogMatch<'_>, certs: &[CertFacts]) -> Evidence {
    let cert = &certs[m.cert_index];
    if !m.via_issuer {
        return cert_evidence(cert);
    }
    if let Some(sent) = certs
        .iter()
        .find(|c| c.ok() && c.index != cert.index && c.subject_raw == cert.issuer_raw)
    {
        return cert_evidence(sent);
    }
    let (sha256, spki_sha256) = match m.strength {
        MatchStrength::KeyId => (
            m.entry.cert_sha256.first().copied(),
            m.entry.spki_sha256.first().copied(),
        ),
        _ => (None, None),
    };
    Evidence {
        cert_index: None,
        subject: Some(cert.issuer.clone()),
        sha256,
        spki_sha256,
        catalog_id: None,
        detail: None,
    }
}

/// The interceptor to name for a chain: the strongest catalog match.
pub(crate) fn interceptor(matches: &[CatalogMatch<'_>]) -> Option<Interceptor> {
    matches.first().map(|m| Interceptor {
        id: m.entry.id.clone(),
        label: format!("'{}', {}", m.entry.label, m.entry.operator),
        category: Some(m.entry.category),
        matched_by: m.strength.attribution(),
    })
}
