//! Comparing two scans made from different vantage points
//! (`mitmwatch compare A.jsonl B.jsonl`), say inside and outside a network:
//! per domain, did both see the same leaf key, the same issuing CA, the
//! same root? One JSON document, versioned by [`COMPARISON_SCHEMA`].

use super::{CaBrief, Fingerprint};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the comparison format.
pub const COMPARISON_SCHEMA: u32 = 1;

/// How a domain's chains differ between the two scans. Decided on the sets
/// of issuing CAs and roots, not on leaf bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DomainDiff {
    /// The chains lead to no common root: one path re-signs the domain, or
    /// the site uses another CA in each region.
    DifferentRoot,
    /// A root is common, but one side also saw a root the other never did:
    /// interception of part of the connections, or a second certificate.
    ExtraRoot,
    /// Same root, different issuing CAs: usually a CA spreading issuance
    /// over several intermediates.
    DifferentCa,
    /// Different leaves from the same CA under the same root: normal for
    /// CDNs, which rotate leaves and serve different ones per region.
    SameCa,
    /// A leaf key was seen on both sides.
    SameKey,
    /// Observed on both sides, but one side (or both) got no chain.
    NoChain,
    /// Only the first scan observed the domain.
    OnlyInA,
    /// Only the second scan observed the domain.
    OnlyInB,
}

impl DomainDiff {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainDiff::DifferentRoot => "different-root",
            DomainDiff::ExtraRoot => "extra-root",
            DomainDiff::DifferentCa => "different-ca",
            DomainDiff::SameCa => "same-ca",
            DomainDiff::SameKey => "same-key",
            DomainDiff::NoChain => "no-chain",
            DomainDiff::OnlyInA => "only-in-a",
            DomainDiff::OnlyInB => "only-in-b",
        }
    }

    /// Whether this is the kind of difference interception makes (the exit
    /// code of `compare` is 2 when any domain has one).
    pub fn is_root_difference(self) -> bool {
        matches!(self, DomainDiff::DifferentRoot | DomainDiff::ExtraRoot)
    }
}

/// What one scan saw for one domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideView {
    /// Observations of the domain.
    pub observations: usize,
    /// Of those, how many returned a chain whose leaf parsed.
    pub chains: usize,
    /// Distinct leaf keys (SPKI SHA-256, hex).
    pub leaf_spki_sha256: Vec<Fingerprint>,
    /// Distinct issuing CAs.
    pub issuers: Vec<CaBrief>,
    /// Distinct roots the chains lead to.
    pub roots: Vec<CaBrief>,
    /// Statuses of the observations without a chain, with counts.
    pub(crate) failures: BTreeMap<String, usize>,
}

/// One domain, both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainComparison {
    /// The name the certificates had to cover (SNI, else host).
    pub domain: String,
    /// The kind of difference.
    pub diff: DomainDiff,
    /// What the first scan saw.
    pub a: SideView,
    /// What the second scan saw.
    pub b: SideView,
    /// The difference in plain language.
    pub explanation: String,
}

/// One of the two scans `compare` reads: its label, file and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VantageInfo {
    /// The label given (`--label-a` / `--label-b`, default `A` / `B`).
    pub label: String,
    /// The observation file the scan was read from, as given.
    pub file: String,
    /// Observations read from it.
    pub observations: usize,
}

/// The result of `compare`: two scans of the same domains from different
/// vantage points, set side by side domain by domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VantageComparison {
    /// Always `comparison`.
    #[serde(rename = "type")]
    pub(crate) record_type: String,
    /// [`COMPARISON_SCHEMA`].
    pub(crate) schema: u32,
    /// The program that made it.
    pub(crate) tool: String,
    /// The first scan.
    pub a: VantageInfo,
    /// The second scan.
    pub b: VantageInfo,
    /// Every domain, root differences first.
    pub domains: Vec<DomainComparison>,
    /// Domains per kind of difference.
    pub counts: BTreeMap<DomainDiff, usize>,
    /// The conclusion in a sentence or two.
    pub conclusion: String,
}
