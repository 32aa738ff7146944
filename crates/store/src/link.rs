//! Tying intercepted connections to the roots installed on this machine
//! (pure). If the root behind a forged chain is trusted here, browsers on
//! this machine accept the forgery silently; if not, they show a warning.
//!
//! A served chain matches an installed root (public roots excluded) when,
//! strongest first: a served certificate's signature verifies under the
//! root's key; a served certificate has the root's key, or names it as
//! its authority key identifier; the analyzer's interceptor is the root's
//! catalog entry; a served certificate's issuer name is the root's subject.

use super::audit::{Audit, AuditedRoot};
use mitmwatch_core::analyze::chain::{chain_facts, signed_by, CertFacts};
use mitmwatch_core::model::{
    Assessment, CheckReport, CheckStore, CheckVerdict, Fingerprint, Interceptor, LinkMatch,
    LinkStatus, Observation, RootClass, ScanLink, ScanLinks, Verdict, STORE_SCHEMA,
};
use std::collections::BTreeMap;

/// How `certs` (a served chain) relates to `root`, if at all.
fn match_root(
    certs: &[CertFacts],
    root: &AuditedRoot,
    interceptor: Option<&Interceptor>,
) -> Option<LinkMatch> {
    let r = &root.facts;
    if !r.ok() {
        return None;
    }
    let served = || certs.iter().filter(|c| c.ok());
    if served().any(|c| c.issuer_raw == r.subject_raw && signed_by(c, r)) {
        return Some(LinkMatch::Signature);
    }
    let key_id_matches = |c: &CertFacts| matches!((&c.authority_key_id, &r.subject_key_id), (Some(a), Some(s)) if a == s);
    if served().any(|c| c.spki_sha256 == r.spki_sha256 || key_id_matches(c)) {
        return Some(LinkMatch::Key);
    }
    if let (Some(who), Some(hit)) = (interceptor, &root.catalog) {
        if who.id == hit.id {
            return Some(LinkMatch::Catalog);
        }
    }
    if served().any(|c| c.issuer_raw == r.subject_raw) {
        return Some(LinkMatch::Name);
    }
    None
}

/// The installed root that best explains a served chain: trusted, not
/// public, strongest match first.
fn best_root<'a>(
    audit: &'a Audit,
    certs: &[CertFacts],
    interceptor: Option<&Interceptor>,
) -> Option<(LinkMatch, &'a AuditedRoot)> {
    audit
        .roots
        .iter()
        .filter(|r| r.class != RootClass::Public && r.trusted())
        .filter_map(|r| match_root(certs, r, interceptor).map(|m| (m, r)))
        .min_by_key(|(m, _)| *m)
}

/// Ties every intercepted or suspicious observation to the installed root
/// behind it, grouped by interceptor and root. `observations` and
/// `assessments` are in the same order (as the analyzer returns them).
pub(crate) fn link(
    audit: &Audit,
    observations: &[Observation],
    assessments: &[Assessment],
) -> Vec<ScanLink> {
    type Key = (LinkStatus, Option<String>, Option<Fingerprint>);
    let mut groups: BTreeMap<Key, ScanLink> = BTreeMap::new();
    for (obs, a) in observations.iter().zip(assessments) {
        if !matches!(a.verdict, Verdict::Intercepted | Verdict::Suspicious) {
            continue;
        }
        let certs = chain_facts(&obs.chain);
        let best = best_root(audit, &certs, a.interceptor.as_ref());
        let status = match best {
            Some((LinkMatch::Signature | LinkMatch::Key, _)) => LinkStatus::Installed,
            Some(_) => LinkStatus::SimilarInstalled,
            None => LinkStatus::NotInstalled,
        };
        let root_sha256 = best.map(|(_, r)| r.record.sha256);
        let key = (
            status,
            a.interceptor.as_ref().map(|i| i.id.clone()),
            root_sha256,
        );
        let entry = groups.entry(key).or_insert_with(|| ScanLink {
            domains: Vec::new(),
            interceptor: a.interceptor.clone(),
            status,
            matched_by: best.map(|(m, _)| m),
            root_sha256,
            root_subject: best.and_then(|(_, r)| r.record.subject.clone()),
            locations: best
                .map(|(_, r)| r.trusted_locations().cloned().collect())
                .unwrap_or_default(),
        });
        entry.domains.push(obs.target.expected_name().to_string());
    }
    groups
        .into_values()
        .map(|mut l| {
            l.domains.sort();
            l.domains.dedup();
            l
        })
        .collect()
}

/// `link` with the counts around it.
pub fn scan_links(
    audit: &Audit,
    file: Option<String>,
    observations: &[Observation],
    assessments: &[Assessment],
) -> ScanLinks {
    ScanLinks {
        file,
        observations: observations.len(),
        intercepted: assessments
            .iter()
            .filter(|a| matches!(a.verdict, Verdict::Intercepted | Verdict::Suspicious))
            .count(),
        links: link(audit, observations, assessments),
    }
}

/// What the stores say about a check ([`CheckStore`]): for each
/// interceptor of the intercepted path, whether its root is installed
/// here (only when the check found interception), and how many trusted
/// roots were added to this machine.
pub fn check_store(
    audit: &Audit,
    report: &CheckReport,
    observations: &[Observation],
) -> CheckStore {
    let links = match report.verdict {
        CheckVerdict::Intercepted => {
            link(audit, observations, &report.intercepted_path().assessments)
        }
        _ => Vec::new(),
    };
    CheckStore {
        schema: STORE_SCHEMA,
        sources: audit.sources.clone(),
        links,
        added_roots: audit
            .roots
            .iter()
            .filter(|r| r.class == RootClass::Local && r.trusted() && r.added_locally())
            .count(),
        compared_with: audit.public_store.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{audit, FoundCert, SourceRead};
    use mitmwatch_core::analysis_data::catalog::Catalog;
    use mitmwatch_core::analysis_data::defaults::AnalysisData;
    use mitmwatch_core::analysis_data::trust_store::TrustStore;
    use mitmwatch_core::analyze::{Analyzer, ValidationTime};
    use mitmwatch_core::import::pem_dir::file_observation;
    use mitmwatch_core::model::{SourceKind, SourceStatus, StoreLocation, StoreSource, StoreTrust};
    use mitmwatch_sim::pki::{InterceptorPki, PublicPki};
    use std::sync::Arc;
    use time::OffsetDateTime;

    fn observation(host: &str, chain: &[Vec<u8>]) -> Observation {
        file_observation(chain, host.into(), OffsetDateTime::now_utc())
    }

    fn installed(certs: Vec<Vec<u8>>) -> Audit {
        let path = "/usr/local/share/ca-certificates/root.crt";
        let read = SourceRead {
            source: StoreSource {
                kind: SourceKind::Anchors,
                path: Some(path.into()),
                status: SourceStatus::Read,
                certificates: certs.len(),
                errors: vec![],
            },
            certs: certs
                .into_iter()
                .map(|der| FoundCert {
                    der,
                    location: StoreLocation {
                        kind: SourceKind::Anchors,
                        path: Some(path.into()),
                        nickname: None,
                        trust: StoreTrust::Anchor,
                    },
                })
                .collect(),
        };
        audit(
            vec![read],
            &Catalog::builtin().unwrap(),
            &TrustStore::mozilla(),
        )
    }

    #[test]
    fn the_signing_root_is_found_installed_or_not() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let public = PublicPki::generate(provider.clone()).unwrap();
        let boxpki = InterceptorPki::generate(provider).unwrap();
        let genuine = public.leaf_for("facebook.com").unwrap().cert[0].to_vec();
        let forged: Vec<Vec<u8>> = boxpki
            .forge(&genuine)
            .unwrap()
            .cert
            .iter()
            .map(|c| c.to_vec())
            .collect();
        let obs = vec![
            observation("facebook.com", &forged),
            observation("example.com", &[genuine]),
        ];
        let analyzer = Analyzer::new(AnalysisData::builtin().unwrap());
        let (assessments, _) =
            analyzer.assess_scan(&obs, ValidationTime::At(OffsetDateTime::now_utc()));
        assert_eq!(assessments[0].verdict, Verdict::Intercepted);

        // The box's own root is installed: the signature proves it.
        let audit = installed(vec![boxpki.root.der.to_vec()]);
        let links = link(&audit, &obs[..1], &assessments[..1]);
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].status, LinkStatus::Installed);
        assert_eq!(links[0].matched_by, Some(LinkMatch::Signature));
        assert_eq!(links[0].domains, ["facebook.com"]);
        assert_eq!(
            links[0].locations[0].path.as_deref(),
            Some("/usr/local/share/ca-certificates/root.crt")
        );

        // The real Qaznet root is installed: same name and catalog entry,
        // another key, so only "similar".
        let real = mitmwatch_core::analysis_data::catalog::Catalog::builtin()
            .unwrap()
            .get("kz-qaznet-trust-network")
            .unwrap()
            .der
            .clone()
            .unwrap();
        let audit = installed(vec![real]);
        let links = link(&audit, &obs[..1], &assessments[..1]);
        assert_eq!(links[0].status, LinkStatus::SimilarInstalled, "{links:?}");

        // Nothing installed.
        let audit = installed(vec![]);
        let links = scan_links(&audit, None, &obs[..1], &assessments[..1]);
        assert_eq!(links.intercepted, 1);
        assert_eq!(links.links[0].status, LinkStatus::NotInstalled);
        assert!(links.links[0].locations.is_empty());
    }
}
