//! The chain analyzer: pure functions from an [`Observation`] (plus the
//! catalog, trust store, pins, baseline and a validation time, all passed
//! in) to an [`Assessment`]. No I/O, no clock, no sockets.
//!
//! One file per family of checks: `linkage` (issuer/subject/signature
//! links), `trust` (chain building, names, validity), `catalog_match`
//! (known interception roots), `pin_check` (static pins), `baseline_check`
//! (expected issuing CA), `leaf_traits` (forged-leaf traits), `ct`
//! (Certificate Transparency: embedded SCTs verified against a log list)
//! and `cross_scan` (checks across a whole scan). `verdict` turns
//! findings into a verdict; [`summary`] summarises a scan. `issuers`
//! describes who issued a chain so that handshakes can be compared:
//! [`sni_diff`] compares a target name with a control name at one address,
//! [`vantage_compare`] two scans made from different places.

pub(crate) mod anchor_index;
pub(crate) mod baseline_check;
pub mod catalog_match;
pub mod chain;
pub(crate) mod chain_memo;
pub(crate) mod completion;
pub(crate) mod constraints;
pub(crate) mod cross_scan;
pub(crate) mod ct;
pub(crate) mod finding;
pub mod issuers;
pub(crate) mod leaf_traits;
pub(crate) mod linkage;
pub(crate) mod name_forms;
pub(crate) mod pin_check;
pub(crate) mod private_names;
pub(crate) mod recorder_gaps;
pub(crate) mod signature;
pub mod sni_diff;
pub mod summary;
pub(crate) mod trust;
pub(crate) mod trust_findings;
pub mod vantage_compare;
pub(crate) mod verdict;

use crate::analysis_data::baseline::Baseline;
use crate::analysis_data::catalog::Catalog;
pub use crate::analysis_data::defaults::AnalysisData;
use crate::analysis_data::intermediates::IntermediatePool;
use crate::analysis_data::removed_roots::RemovedRoots;
use crate::analysis_data::static_pins::PinStore;
use crate::analysis_data::trust_store::TrustStore;
use crate::ct::{LogHistory, LogList};
use crate::model::{
    Assessment, Attribution, ChainTrust, Finding, FindingCode, Fingerprint, Interceptor, LeafBrief,
    Observation, ScanSummary, Severity, Verdict, ASSESSMENT_SCHEMA, MAX_CHAIN_CERTS,
};
use chain::CertFacts;
use finding::{cert_evidence, finding, with_evidence};
use std::collections::HashSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// Everything the analyzer consults. Build once, assess many.
#[derive(Clone, Debug)]
pub struct Analyzer {
    catalog: Catalog,
    trust: TrustStore,
    /// Index of the trust store's anchors, built with the analyzer.
    trust_index: Arc<anchor_index::AnchorIndex>,
    /// Index of every removed root's anchor.
    removed_index: Arc<anchor_index::AnchorIndex>,
    pins: PinStore,
    baseline: Option<Baseline>,
    /// Signature verifications remembered across observations.
    signatures: Arc<signature::SignatureMemo>,
    facts_cache: std::sync::Arc<chain::FactsCache>,
    /// What each distinct chain gives whatever the time.
    chains: Arc<chain_memo::ChainMemo>,
    ct_logs: Arc<LogList>,
    ct_history: Arc<LogHistory>,
    removed_roots: Arc<RemovedRoots>,
    public_root_names: Arc<HashSet<Vec<u8>>>,
    intermediates: Arc<IntermediatePool>,
}

/// The DNS names of an observation's leaf, in the order of its SAN
/// (shared: a chain met again hands over the same list).
pub(crate) type LeafNames = Arc<[String]>;

/// When to validate certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationTime {
    /// At this instant (e.g. now, or `--at TIME`).
    At(OffsetDateTime),
    /// At the time each observation was made.
    Observed,
}

impl Analyzer {
    /// An analyzer judging with `data` ([`AnalysisData::builtin`] is what
    /// the command line uses by default).
    pub fn new(data: AnalysisData) -> Self {
        let AnalysisData {
            catalog,
            trust,
            pins,
            baseline,
            ct_logs,
            ct_history,
            removed_roots,
            intermediates,
        } = data;
        let public_root_names = Arc::new(ct::public_root_names(&trust));
        let trust_index = Arc::new(anchor_index::AnchorIndex::new(&trust.roots().roots));
        let removed_index = Arc::new(anchor_index::AnchorIndex::new(removed_roots.anchors()));
        Analyzer {
            catalog,
            trust,
            trust_index,
            removed_index,
            pins,
            baseline,
            signatures: Default::default(),
            facts_cache: Default::default(),
            chains: Default::default(),
            ct_logs,
            ct_history,
            removed_roots: Arc::new(removed_roots),
            public_root_names,
            intermediates: Arc::new(intermediates),
        }
    }

    /// Whether work is remembered across observations: signature
    /// verifications (certificates' and SCTs'), the parsed facts of
    /// certificates and what a distinct chain gives whatever the time. On
    /// by default. Every cache holds the results of pure functions, keyed
    /// by everything that decides them, so turning them off changes no
    /// output, only the time taken: the benchmark and a test compare the
    /// two (the binary turns them off when `MITMWATCH_NO_CACHES=1`).
    pub fn remember(mut self, on: bool) -> Self {
        self.signatures = Arc::new(signature::SignatureMemo::new(on));
        self.facts_cache = Arc::new(chain::FactsCache::new(on));
        self.chains = Arc::new(chain_memo::ChainMemo::new(on));
        self
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Assesses one observation on its own (no scan-level checks). Only the
    /// first [`MAX_CHAIN_CERTS`] certificates are judged (the collector
    /// never records more), which bounds the work a crafted file can cause.
    pub fn assess(&self, obs: &Observation, when: ValidationTime) -> Assessment {
        self.assess_with_leaf_names(obs, when).0
    }

    /// [`Analyzer::assess`], also returning the leaf's DNS names, which the
    /// scan-level checks need (`Analyzer::finish_scan`) once the
    /// observation itself is gone.
    pub(crate) fn assess_with_leaf_names(
        &self,
        obs: &Observation,
        when: ValidationTime,
    ) -> (Assessment, LeafNames) {
        let at = match when {
            ValidationTime::At(t) => t,
            ValidationTime::Observed => obs.started_at,
        };
        let chain = &obs.chain[..obs.chain.len().min(MAX_CHAIN_CERTS)];
        let work = self
            .chains
            .chain(chain, || self.facts_cache.chain_facts(chain));
        let certs = &work.certs;
        let name = obs.target.expected_name();
        let mut findings: Vec<Finding> = Vec::new();
        for cert in certs.iter().filter(|c| !c.ok()) {
            findings.push(with_evidence(
                finding(
                    FindingCode::MalformedCertificate,
                    Severity::Medium,
                    format!("Certificate #{} could not be parsed", cert.index),
                    format!(
                        "The server sent bytes that are not a valid certificate ({}). Real servers do not; \
                         a broken or hostile device may.",
                        cert.parse_error.as_deref().unwrap_or("unknown error")
                    ),
                ),
                cert_evidence(cert),
            ));
        }
        let leaf_only = recorder_gaps::leaf_only(obs, certs);
        if leaf_only {
            findings.push(recorder_gaps::leaf_only_finding(obs, &certs[0]));
        }
        let extra = work.candidates(obs.fetched_issuers.is_empty(), || {
            completion::candidates(obs, certs, &self.intermediates)
        });
        let roots = self.trust.roots();
        let past = self.removed_roots.anchors_at(at);
        let anchors = trust::Anchors {
            today: &roots.roots,
            past,
            today_index: &self.trust_index,
            past_index: &self.removed_index,
        };
        let trust = work.trust(at, &extra, past.len(), || {
            trust::evaluate(certs, anchors, &self.trust, at, &extra, &self.signatures)
        });
        findings.extend(trust_findings::findings(
            &trust,
            &trust_findings::Context {
                certs,
                extra: &extra,
                name,
                leaf_only,
                anchors,
                removed: &self.removed_roots,
                at,
                memo: &self.signatures,
                work: &work,
            },
        ));
        findings.extend(trust_findings::validity(certs, &trust, &extra, at));
        let path = &trust.path;
        let matches =
            work.catalog_matches(&self.catalog, || catalog_match::find(&self.catalog, certs));
        findings.extend(catalog_match::findings(&matches, certs));
        // The CA keys shown to be above the leaf, for the pins and the
        // baseline (not every certificate that was sent): worked out only
        // for a name that has pins or a baseline entry.
        let proven = std::cell::LazyCell::new(|| {
            let verified = work.verified_links(&trust.path.certs, || {
                trust::verified_links(certs, &trust.path, &self.signatures)
            });
            trust.proven_ca_keys(certs, &extra, verified)
        });
        findings.extend(pin_check::check(
            &self.pins,
            name,
            certs,
            &trust,
            &proven,
            obs.started_at,
            at,
        ));
        findings.extend(baseline_check::check(
            self.baseline.as_ref(),
            name,
            certs,
            &trust,
            &proven,
            &self.signatures,
        ));
        findings.extend(leaf_traits::check(certs, &trust, obs.started_at));
        let ct_data = ct::CtData {
            logs: &self.ct_logs,
            history: &self.ct_history,
            public_names: &self.public_root_names,
        };
        findings.extend(ct::check(
            certs,
            &trust,
            &extra,
            &ct_data,
            at,
            &self.signatures,
            &work,
        ));
        // A chain with no parsable leaf got no further than that.
        let chain_trust = (!certs.is_empty()).then(|| trust.chain.unwrap_or(ChainTrust::Broken));
        let verdict = verdict::conclude(&mut findings, chain_trust, name);
        // Who would be intercepting: named for a suspicious chain too, since
        // a scan-level finding (leaf-key-reuse) can still make it intercepted.
        let interceptor = catalog_match::interceptor(&matches).or_else(|| {
            matches!(verdict, Verdict::Intercepted | Verdict::Suspicious)
                .then(|| unknown_interceptor(certs, path, &trust))
                .flatten()
        });
        let leaf_names = Arc::clone(&work.leaf_names);
        let assessment = Assessment {
            record_type: "assessment".into(),
            schema: ASSESSMENT_SCHEMA,
            target: obs.target.clone(),
            address: obs.address.clone(),
            observed_at: obs.started_at,
            validated_at: at,
            status: obs.status,
            failure: obs.failure.clone(),
            verdict,
            chain_trust,
            interceptor,
            // From the DER, not from the record's derived fields.
            leaf: certs.first().map(|leaf| LeafBrief {
                subject: leaf.ok().then(|| leaf.subject.clone()),
                issuer: leaf.ok().then(|| leaf.issuer.clone()),
                sha256: leaf.sha256,
                spki_sha256: leaf.spki(),
            }),
            findings,
        };
        (assessment, leaf_names)
    }

    /// Assesses a whole scan: each observation, then the checks that need
    /// all of them (one leaf key serving unrelated hosts), then the summary.
    pub fn assess_scan(
        &self,
        observations: &[Observation],
        when: ValidationTime,
    ) -> (Vec<Assessment>, ScanSummary) {
        self.assess_many(observations, when, true)
    }

    /// Like [`Analyzer::assess_scan`], for chains that did not come from one
    /// network scan (files): no blanket/targeted conclusion.
    pub fn assess_files(
        &self,
        observations: &[Observation],
        when: ValidationTime,
    ) -> (Vec<Assessment>, ScanSummary) {
        self.assess_many(observations, when, false)
    }

    fn assess_many(
        &self,
        observations: &[Observation],
        when: ValidationTime,
        network_scan: bool,
    ) -> (Vec<Assessment>, ScanSummary) {
        let (mut assessments, names): (Vec<Assessment>, Vec<LeafNames>) = observations
            .iter()
            .map(|o| self.assess_with_leaf_names(o, when))
            .unzip();
        let summary = self.finish_scan(&mut assessments, &names, network_scan);
        (assessments, summary)
    }

    /// The checks across a whole scan (one leaf key serving unrelated
    /// hosts) and the summary, from the assessments and each one's leaf
    /// names, so that a caller can judge observations one at a time and
    /// drop them.
    pub(crate) fn finish_scan(
        &self,
        assessments: &mut [Assessment],
        leaf_names: &[LeafNames],
        network_scan: bool,
    ) -> ScanSummary {
        cross_scan::apply(leaf_names, assessments);
        summary::summarise(assessments, network_scan)
    }
}

/// A CA outside the catalog, identified by a key when one was served (the
/// locally added anchor, or the topmost CA the server sent), else by the
/// issuer name in the leaf.
fn unknown_interceptor(
    certs: &[CertFacts],
    path: &linkage::Path,
    trust: &trust::TrustOutcome,
) -> Option<Interceptor> {
    let top = certs.get(path.top()?)?;
    let short = |spki: &Fingerprint| format!("unknown:{}", spki.short(16));
    let (id, name, matched_by) = match (trust.trusted, trust.anchor_spki) {
        (true, Some(anchor)) => (short(&anchor), certs[0].issuer.clone(), Attribution::Key),
        _ if top.index > 0 || top.self_issued() => (
            short(&top.spki_sha256),
            top.subject.clone(),
            Attribution::Key,
        ),
        _ => (
            format!("unknown:{}", top.issuer),
            top.issuer.clone(),
            Attribution::Name,
        ),
    };
    Some(Interceptor {
        id,
        label: format!("unknown CA '{name}'"),
        category: None,
        matched_by,
    })
}
