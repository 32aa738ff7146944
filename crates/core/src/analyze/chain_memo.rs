//! Work done once per distinct chain (issue 22). Scans, archives and OONI
//! dumps meet the same chains over and over; what a chain gives whatever
//! the time is remembered here, and the rest is judged afresh for every
//! observation:
//!
//! - the parsed facts of its certificates, the leaf included;
//! - the certificates chain completion offers (those of the intermediate
//!   pool; when the observation fetched issuers itself, they are not
//!   remembered);
//! - the trust outcome ([`trust::evaluate`]) at any validation time at
//!   which every certificate it can consider is inside its validity, with
//!   an hour to spare at both ends. The verifier consults the time only to
//!   check validity, and at such times every one of those checks passes,
//!   so the outcome is the same at each of them; it is keyed as well by
//!   the completion candidates and by how many removed roots were still
//!   trusted at the time. At any other time (a certificate expired or not
//!   yet valid, or within an hour of it), trust is evaluated afresh;
//! - the embedded SCTs, read and checked with the logs' keys, per issuer
//!   key: a signature does not depend on the time. Whether each log
//!   counted at the time, the policies, and every finding are judged per
//!   observation;
//! - whether the leaf is valid for a name (the verifier's name check);
//! - the catalog entries the chain matches.
//!
//! Every entry is the result of pure functions of its key, so results do
//! not depend on the order of the input or on threads. A chain gets an
//! entry the second time it is met (a corpus of distinct chains pays
//! nothing but a note of its hash), and at most [`CHAIN_MEMO_LIMIT`]
//! chains are kept; the memo is emptied when full. An entry holds the
//! chain's base64 text (to tell chains apart exactly: the hash only finds
//! the entry), its parsed leaf and the results above: some 10 kB for a
//! chain of two certificates, so about 10 MB when full.
//!
//! [`trust::evaluate`]: super::trust::evaluate

use super::catalog_match::{CatalogMatch, MatchStrength};
use super::chain::CertFacts;
use super::completion::Candidate;
use super::trust::TrustOutcome;
use super::LeafNames;
use crate::analysis_data::catalog::Catalog;
use crate::ct::embedded::{CheckedSct, EmbeddedError, EmbeddedScts, SctStatus};
use crate::ct::sct::Sct;
use crate::ct::LogList;
use crate::model::{CertRecord, Fingerprint};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use time::{Duration, OffsetDateTime};

/// Most chains a [`ChainMemo`] keeps (it is emptied when full).
pub(crate) const CHAIN_MEMO_LIMIT: usize = 1024;

/// Most chains noted as seen once (the note is emptied when full).
const SEEN_ONCE_LIMIT: usize = 65_536;

/// Trust outcomes kept per chain (one per set of completion candidates
/// and count of removed roots still trusted; almost always one).
const TRUST_PER_CHAIN: usize = 4;

/// SCT results kept per chain (one per issuer key; almost always one).
const SCTS_PER_CHAIN: usize = 4;

/// Names whose check is kept per chain (a chain is served for one name,
/// or a few).
const NAMES_PER_CHAIN: usize = 8;

/// Issuance paths remembered per chain (a chain has one or two: by name
/// when trusted, by signature when not).
const PATHS_PER_CHAIN: usize = 4;

/// How far inside every certificate's validity the validation time must
/// be for a remembered trust outcome to be used: far more than any
/// difference between two parsers' reading of a time (DER times are whole
/// seconds in UTC).
const VALIDITY_MARGIN: Duration = Duration::HOUR;

/// The chains met, and what each gives whatever the time.
#[derive(Debug)]
pub(crate) struct ChainMemo {
    /// False: nothing is remembered.
    enabled: bool,
    hasher: foldhash::quality::RandomState,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Hashes of chains met once.
    seen_once: HashSet<u64>,
    /// Chains met more than once, by hash.
    chains: HashMap<u64, Arc<ChainWork>>,
}

impl Default for ChainMemo {
    fn default() -> Self {
        ChainMemo::new(true)
    }
}

/// The certificates chain building may use beyond those served, and how
/// many removed roots were still trusted: with the chain, what decides
/// the trust outcome at a time inside every validity.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TrustKey {
    candidates: Vec<Fingerprint>,
    removed_roots_then: usize,
}

/// The SCTs of a leaf as [`EmbeddedScts`] holds them, with each log by
/// its place in the log list, so that they can be kept.
#[derive(Clone, Debug)]
struct KeptScts {
    scts: Vec<(Sct, Option<usize>, SctStatus)>,
    unknown_versions: Vec<u8>,
}

type SctResult = Result<Option<KeptScts>, EmbeddedError>;

/// One distinct chain: its facts and what it gives whatever the time.
#[derive(Debug)]
pub(crate) struct ChainWork {
    /// The certificates as recorded (base64), to tell chains apart.
    text: Box<[Box<str>]>,
    /// The facts of each certificate, leaf first.
    pub(crate) certs: Vec<CertFacts>,
    /// The leaf's DNS names.
    pub(crate) leaf_names: LeafNames,
    /// Whether this entry is kept in the memo (else its results are not
    /// worth keeping).
    kept: bool,
    candidates: Mutex<Option<Vec<Candidate>>>,
    trust: Mutex<Vec<(TrustKey, TrustOutcome)>>,
    scts: Mutex<Vec<(Option<Fingerprint>, SctResult)>>,
    names: Mutex<Vec<(Box<str>, bool)>>,
    /// Per issuance path (certificate positions, leaf first): how many of
    /// its links verify, from the leaf up.
    links: Mutex<Vec<(Box<[usize]>, usize)>>,
    /// The catalog's matches: each entry by its place in the catalog.
    catalog: OnceLock<Vec<(usize, MatchStrength, usize, bool)>>,
}

impl ChainMemo {
    /// A memo; `enabled: false` remembers nothing.
    pub(crate) fn new(enabled: bool) -> Self {
        ChainMemo {
            enabled,
            hasher: foldhash::quality::RandomState::default(),
            state: Mutex::default(),
        }
    }

    fn hash(&self, chain: &[CertRecord]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_usize(chain.len());
        for cert in chain {
            h.write_usize(cert.der.len());
            h.write(cert.der.as_bytes());
        }
        h.finish()
    }

    /// The work of `chain` (the certificates to judge, leaf first): the
    /// remembered entry, or a new one whose facts `facts` gives (kept if
    /// the chain was met before).
    pub(crate) fn chain(
        &self,
        chain: &[CertRecord],
        facts: impl FnOnce() -> Vec<CertFacts>,
    ) -> Arc<ChainWork> {
        if !self.enabled {
            return Arc::new(ChainWork::new(Box::default(), facts(), false));
        }
        let hash = self.hash(chain);
        let same = |work: &ChainWork| {
            work.text.len() == chain.len()
                && work.text.iter().zip(chain).all(|(a, b)| **a == *b.der)
        };
        let mut keep = false;
        if let Ok(mut state) = self.state.lock() {
            if let Some(work) = state.chains.get(&hash).filter(|w| same(w)) {
                return Arc::clone(work);
            }
            keep = state.seen_once.remove(&hash);
            if !keep {
                if state.seen_once.len() >= SEEN_ONCE_LIMIT {
                    state.seen_once.clear();
                }
                state.seen_once.insert(hash);
            }
        }
        if !keep {
            return Arc::new(ChainWork::new(Box::default(), facts(), false));
        }
        let text = chain.iter().map(|c| c.der.as_str().into()).collect();
        let work = Arc::new(ChainWork::new(text, facts(), true));
        if let Ok(mut state) = self.state.lock() {
            if state.chains.len() >= CHAIN_MEMO_LIMIT {
                state.chains.clear();
            }
            state.chains.insert(hash, Arc::clone(&work));
        }
        work
    }
}

/// The value kept for `key` in a small per-chain list, or `compute`'s,
/// then kept (the list is emptied when it holds `cap`).
fn remember<K, Q, V>(
    list: &Mutex<Vec<(K, V)>>,
    key: &Q,
    cap: usize,
    compute: impl FnOnce() -> V,
) -> V
where
    K: std::borrow::Borrow<Q> + for<'q> From<&'q Q>,
    Q: PartialEq + ?Sized,
    V: Copy,
{
    let known = list
        .lock()
        .ok()
        .and_then(|l| l.iter().find(|(k, _)| k.borrow() == key).map(|(_, v)| *v));
    if let Some(value) = known {
        return value;
    }
    let value = compute();
    if let Ok(mut kept) = list.lock() {
        if kept.len() >= cap {
            kept.clear();
        }
        kept.push((K::from(key), value));
    }
    value
}

/// Whether `at` is inside the validity of every certificate, with
/// [`VALIDITY_MARGIN`] to spare (see the module's description).
fn inside_every_validity<'c>(
    at: OffsetDateTime,
    mut certs: impl Iterator<Item = &'c CertFacts>,
) -> bool {
    at.unix_timestamp() >= 0
        && certs.all(|c| {
            // Near the ends of time the sums overflow: then not inside.
            !c.ok()
                || matches!(
                    (c.not_before.checked_add(VALIDITY_MARGIN), at.checked_add(VALIDITY_MARGIN)),
                    (Some(start), Some(end)) if start <= at && end <= c.not_after
                )
        })
}

impl ChainWork {
    fn new(text: Box<[Box<str>]>, certs: Vec<CertFacts>, kept: bool) -> Self {
        let leaf_names = certs
            .first()
            .map(|c| c.san_dns.as_slice().into())
            .unwrap_or_default();
        ChainWork {
            text,
            certs,
            leaf_names,
            kept,
            candidates: Mutex::default(),
            trust: Mutex::default(),
            scts: Mutex::default(),
            names: Mutex::default(),
            links: Mutex::default(),
            catalog: OnceLock::new(),
        }
    }

    /// The catalog entries the chain matches (`find` gives them),
    /// remembered.
    pub(crate) fn catalog_matches<'c>(
        &self,
        catalog: &'c Catalog,
        find: impl FnOnce() -> Vec<CatalogMatch<'c>>,
    ) -> Vec<CatalogMatch<'c>> {
        if !self.kept {
            return find();
        }
        if let Some(kept) = self.catalog.get() {
            let entries = catalog.entries();
            return kept
                .iter()
                .filter_map(|&(entry, strength, cert_index, via_issuer)| {
                    Some(CatalogMatch {
                        entry: entries.get(entry)?,
                        strength,
                        cert_index,
                        via_issuer,
                    })
                })
                .collect();
        }
        let found = find();
        let entries = catalog.entries();
        let kept: Option<Vec<_>> = found
            .iter()
            .map(|m| {
                let place = entries.iter().position(|e| std::ptr::eq(e, m.entry))?;
                Some((place, m.strength, m.cert_index, m.via_issuer))
            })
            .collect();
        if let Some(kept) = kept {
            let _ = self.catalog.set(kept);
        }
        found
    }

    /// Whether the leaf is valid for `name` (`check` says), remembered per
    /// name.
    pub(crate) fn covers(&self, name: &str, check: impl FnOnce() -> bool) -> bool {
        if !self.kept {
            return check();
        }
        remember(&self.names, name, NAMES_PER_CHAIN, check)
    }

    /// How many links of `path` verify from the leaf up (`count` says),
    /// remembered per path: a signature does not depend on the time.
    pub(crate) fn verified_links(&self, path: &[usize], count: impl FnOnce() -> usize) -> usize {
        if !self.kept {
            return count();
        }
        remember(&self.links, path, PATHS_PER_CHAIN, count)
    }

    /// The completion candidates: remembered when `fetched_nothing` (they
    /// then come from the pool alone, a function of the chain).
    pub(crate) fn candidates(
        &self,
        fetched_nothing: bool,
        compute: impl FnOnce() -> Vec<Candidate>,
    ) -> Vec<Candidate> {
        if !(self.kept && fetched_nothing) {
            return compute();
        }
        if let Some(known) = self.candidates.lock().ok().and_then(|c| c.clone()) {
            return known;
        }
        let found = compute();
        if let Ok(mut slot) = self.candidates.lock() {
            *slot = Some(found.clone());
        }
        found
    }

    /// The trust outcome at `at`, with `extra` the completion candidates
    /// and `removed_roots_then` the removed roots still trusted at `at`:
    /// remembered when `at` is inside every validity, else `evaluate`d.
    pub(crate) fn trust(
        &self,
        at: OffsetDateTime,
        extra: &[Candidate],
        removed_roots_then: usize,
        evaluate: impl FnOnce() -> TrustOutcome,
    ) -> TrustOutcome {
        let timeless = self.kept
            && inside_every_validity(at, self.certs.iter().chain(extra.iter().map(|c| &c.facts)));
        if !timeless {
            return evaluate();
        }
        let key = TrustKey {
            candidates: extra.iter().map(|c| c.facts.sha256).collect(),
            removed_roots_then,
        };
        let known = self.trust.lock().ok().and_then(|t| {
            t.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, outcome)| outcome.clone())
        });
        if let Some(outcome) = known {
            return outcome;
        }
        let outcome = evaluate();
        if let Ok(mut kept) = self.trust.lock() {
            if kept.len() >= TRUST_PER_CHAIN {
                kept.clear();
            }
            kept.push((key, outcome.clone()));
        }
        outcome
    }

    /// The leaf's embedded SCTs checked with the key `issuer_key_hash`
    /// (see `crate::ct::embedded::check`): remembered per issuer key.
    pub(crate) fn scts<'l>(
        &self,
        issuer_key_hash: Option<Fingerprint>,
        logs: &'l LogList,
        check: impl FnOnce() -> Result<Option<EmbeddedScts<'l>>, EmbeddedError>,
    ) -> Result<Option<EmbeddedScts<'l>>, EmbeddedError> {
        if !self.kept {
            return check();
        }
        let known = self.scts.lock().ok().and_then(|s| {
            s.iter()
                .find(|(k, _)| *k == issuer_key_hash)
                .map(|(_, r)| r.clone())
        });
        if let Some(kept) = known {
            return kept.map(|found| found.map(|k| k.embedded(logs)));
        }
        let result = check();
        let keep = match &result {
            Ok(Some(found)) => KeptScts::of(found, logs).map(Some).map(Ok),
            Ok(None) => Some(Ok(None)),
            Err(e) => Some(Err(e.clone())),
        };
        if let (Some(keep), Ok(mut kept)) = (keep, self.scts.lock()) {
            if kept.len() >= SCTS_PER_CHAIN {
                kept.clear();
            }
            kept.push((issuer_key_hash, keep));
        }
        result
    }
}

impl KeptScts {
    /// `None` if a log is not one of `logs` (never: the logs come from it).
    fn of(found: &EmbeddedScts<'_>, logs: &LogList) -> Option<KeptScts> {
        let scts = found
            .scts
            .iter()
            .map(|c| {
                let log = match c.log {
                    Some(log) => Some(logs.logs.iter().position(|l| std::ptr::eq(l, log))?),
                    None => None,
                };
                Some((c.sct.clone(), log, c.status.clone()))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(KeptScts {
            scts,
            unknown_versions: found.unknown_versions.clone(),
        })
    }

    fn embedded(self, logs: &LogList) -> EmbeddedScts<'_> {
        EmbeddedScts {
            scts: self
                .scts
                .into_iter()
                .map(|(sct, log, status)| CheckedSct {
                    sct,
                    log: log.and_then(|i| logs.logs.get(i)),
                    status,
                })
                .collect(),
            unknown_versions: self.unknown_versions,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis_data::removed_roots::RemovedRoots;
    use crate::analysis_data::trust_store::parse_pem_certs;
    use crate::analyze::{AnalysisData, Analyzer, ValidationTime};
    use crate::import::pem_dir::file_observation;
    use crate::model::{FindingCode, Fingerprint};
    use time::macros::datetime;

    const ROOT: &[u8] = include_bytes!("../../../../fixtures/roots/public-root-r1.pem");
    const CHAIN: &[u8] = include_bytes!("../../../../fixtures/chains/public-ok.pem");

    /// The fixtures' root R1 as a root Mozilla removed on 2026-07-01,
    /// inside the validity of the chain `public-ok` (all of 2026): before
    /// that day the chain is publicly trusted through it, after it not.
    /// A remembered trust outcome must be keyed by the removed roots still
    /// trusted at the time, or the later observations would be trusted.
    #[test]
    fn outcomes_are_keyed_by_the_roots_removed_since() {
        let root = &parse_pem_certs(ROOT, "R1").unwrap()[0];
        let metadata = format!(
            r#"{{"schema": 1, "description": "test", "source": "test", "roots": [{{
                "sha256": "{}", "spki_sha256": "", "subject": "CN=Fixture Public Root R1",
                "first_listed": {{"date": "2020-01-01", "commit": "a"}},
                "removed": {{"date": "2026-07-01", "commit": "b"}}}}]}}"#,
            Fingerprint::of(root.as_ref())
        );
        let data = AnalysisData {
            removed_roots: RemovedRoots::from_parts(&metadata, ROOT).unwrap(),
            ..AnalysisData::builtin().unwrap()
        };
        let chain = parse_pem_certs(CHAIN, "public-ok").unwrap();
        let times = [
            datetime!(2026-05-01 0:00 UTC),
            datetime!(2026-05-02 0:00 UTC),
            datetime!(2026-06-01 0:00 UTC),
            datetime!(2026-08-01 0:00 UTC),
            datetime!(2026-09-01 0:00 UTC),
            datetime!(2026-06-02 0:00 UTC),
        ];
        let judge = |analyzer: &Analyzer| -> Vec<String> {
            times
                .iter()
                .map(|&at| {
                    let obs = file_observation(&chain, "example.com".into(), at);
                    let a = analyzer.assess(&obs, ValidationTime::Observed);
                    serde_json::to_string(&a).unwrap()
                })
                .collect()
        };
        let with = judge(&Analyzer::new(data.clone()));
        let without = judge(&Analyzer::new(data).remember(false));
        assert_eq!(with, without);
        // The case is what it claims: trusted through the removed root
        // before the removal, not after.
        assert!(
            with[2].contains(FindingCode::RemovedRoot.as_str()),
            "{}",
            with[2]
        );
        assert!(
            !with[3].contains(FindingCode::RemovedRoot.as_str()),
            "{}",
            with[3]
        );
    }
}
