//! Checks across a whole scan. `leaf-key-reuse`: one key in leaves for
//! unrelated domains is the mark of software minting certificates on the
//! fly with a single key, as mitmproxy does; real sites use separate keys,
//! or one key for names of one domain. Two certificates are unrelated when
//! their DNS names share no registrable domain (the Public Suffix List's
//! "eTLD+1", from the `psl` crate): `example.com` and `*.example.com` are
//! related, `a.example` and `b.example` are not. Certificates without DNS
//! names (IP-address certificates) are not compared at all.

use super::finding::{finding, with_detail};
use super::private_names::is_private_use;
use super::verdict;
use super::LeafNames;
use crate::model::Finding;
use crate::model::{Assessment, ChainTrust, FindingCode, Fingerprint, Severity};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// One certificate seen as a leaf: its DNS names (sorted, joined by
/// newlines: one allocation, since a large scan keeps one per certificate)
/// and the observations (index and host) that saw it.
struct LeafGroup {
    names: Box<str>,
    first: (usize, u32),
    more: Vec<(usize, u32)>,
}

impl LeafGroup {
    fn observations(&self) -> impl Iterator<Item = &(usize, u32)> {
        std::iter::once(&self.first).chain(&self.more)
    }
}

/// Whether two sorted, newline-joined name lists share no name.
fn disjoint(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return true;
    }
    let (mut x, mut y) = (a.split('\n').peekable(), b.split('\n').peekable());
    while let (Some(p), Some(q)) = (x.peek(), y.peek()) {
        match p.cmp(q) {
            std::cmp::Ordering::Less => {
                x.next();
            }
            std::cmp::Ordering::Greater => {
                y.next();
            }
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

/// Most pairs of certificates compared for one key. Past it (thousands of
/// certificates under one key that all share names, but no one name) the
/// key is left unjudged rather than let a crafted file stall the analysis.
const MAX_PAIRS_PER_KEY: usize = 4_000_000;

/// Whether two of the certificates share no name.
fn any_unrelated(certs: &[LeafGroup]) -> bool {
    any_unrelated_within(certs, MAX_PAIRS_PER_KEY)
}

/// [`any_unrelated`], comparing at most `max_pairs` pairs (false past it).
fn any_unrelated_within(certs: &[LeafGroup], max_pairs: usize) -> bool {
    // One name in every certificate relates them all: no pair to compare.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for group in certs {
        for name in group.names.split('\n').filter(|n| !n.is_empty()) {
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    if counts.values().any(|&n| n == certs.len()) {
        return false;
    }
    let mut compared = 0usize;
    for (a, x) in certs.iter().enumerate() {
        for y in &certs[a + 1..] {
            if disjoint(&x.names, &y.names) {
                return true;
            }
            compared += 1;
            if compared >= max_pairs {
                return false;
            }
        }
    }
    false
}

/// Collects, one assessment at a time, which certificates each leaf key
/// appeared in, so that a scan need not be held in memory to find a key
/// shared by unrelated certificates (a few hundred bytes per certificate).
/// Keys are the fingerprints the analyzer computed from the DER (not the
/// record's own fields, which a file could misstate).
#[derive(Default)]
pub(crate) struct KeyReuse {
    /// (leaf SPKI SHA-256, leaf certificate SHA-256) -> that certificate.
    leaves: HashMap<(Fingerprint, Fingerprint), LeafGroup>,
    /// Each name an observation expected, kept once: a scan meets a few
    /// names many times, and a note per observation must stay small.
    hosts: Interner,
}

/// Strings kept once, each known by a number (four bytes a note instead
/// of a string: a scan of 10^6 observations keeps two notes each).
#[derive(Default)]
pub(crate) struct Interner {
    ids: HashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
}

impl Interner {
    /// The number of `text`, the same as every earlier equal one's. Past
    /// 2^32 distinct strings (memory runs out long before) the last number
    /// is given again.
    pub(crate) fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        let text: Arc<str> = text.into();
        self.texts.push(Arc::clone(&text));
        self.ids.insert(text, id);
        id
    }

    /// The string numbered `id` (empty for a number never given).
    pub(crate) fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map_or("", |t| t)
    }
}

impl KeyReuse {
    /// Notes the leaf of assessment number `index`, whose DNS names are
    /// `names` (a leaf without DNS names is not noted).
    pub(crate) fn add(&mut self, index: usize, a: &Assessment, names: LeafNames) {
        let Some(leaf) = a.leaf.as_ref() else {
            return;
        };
        let (Some(spki), cert) = (leaf.spki_sha256, leaf.sha256) else {
            return;
        };
        let seen = (index, self.hosts.intern(a.target.expected_name()));
        match self.leaves.entry((spki, cert)) {
            // The same certificate has the same names: its domains were
            // found when it was first noted.
            std::collections::hash_map::Entry::Occupied(mut group) => {
                group.get_mut().more.push(seen)
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                let domains = registrable_domains(&names);
                if domains.is_empty() {
                    return;
                }
                let domains: Vec<&str> = domains.into_iter().collect();
                slot.insert(LeafGroup {
                    names: domains.join("\n").into(),
                    first: seen,
                    more: Vec::new(),
                });
            }
        }
    }

    /// The `leaf-key-reuse` finding of every assessment that gets one, by index.
    pub(crate) fn findings(self) -> BTreeMap<usize, Finding> {
        let KeyReuse {
            leaves,
            hosts: names,
        } = self;
        // Only keys seen in two or more certificates matter.
        let mut certs_per_key: HashMap<Fingerprint, usize> = HashMap::new();
        for (spki, _) in leaves.keys() {
            *certs_per_key.entry(*spki).or_insert(0) += 1;
        }
        let mut by_key: BTreeMap<Fingerprint, Vec<LeafGroup>> = BTreeMap::new();
        for ((spki, _), group) in leaves {
            if certs_per_key[&spki] >= 2 {
                by_key.entry(spki).or_default().push(group);
            }
        }
        let mut out = BTreeMap::new();
        for (spki, certs) in by_key {
            if !any_unrelated(&certs) {
                continue;
            }
            let hosts: BTreeSet<&str> = certs
                .iter()
                .flat_map(|g| g.observations().map(|&(_, host)| names.text(host)))
                .collect();
            // Name at most ten hosts: the detail is repeated in every assessment.
            let mut shown: Vec<&str> = hosts.iter().take(10).copied().collect();
            let more = hosts.len().saturating_sub(shown.len());
            let more_text = format!("and {more} more");
            if more > 0 {
                shown.push(&more_text);
            }
            let detail = format!("SPKI SHA-256 {spki}, hosts: {}", shown.join(", "));
            let found = with_detail(
                finding(
                    FindingCode::LeafKeyReuse,
                    Severity::Medium,
                    "The same key is used in certificates for unrelated sites",
                    format!(
                        "{} different certificates for unrelated domains share one public key in this scan. \
                         Interception software often mints every certificate with a single key. A fleet \
                         of devices whose firmware ships one key (self-signed, or under a private CA) \
                         looks the same, and a hosting provider may reuse a key across its customers' \
                         certificates: on such chains this weighs little.",
                        certs.len()
                    ),
                ),
                detail,
            );
            for group in &certs {
                for (index, _) in group.observations() {
                    out.insert(*index, found.clone());
                }
            }
        }
        out
    }
}

/// The registrable domains of a leaf's DNS names, sorted (a wildcard
/// counts as the name below it; a name the list cannot split counts as
/// itself).
fn registrable_domains(names: &LeafNames) -> BTreeSet<&str> {
    names
        .iter()
        .map(|name| {
            let name = name.strip_prefix("*.").unwrap_or(name);
            psl::domain_str(name).unwrap_or(name)
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// Adds a scan-level finding to an assessment and recomputes its verdict.
pub(crate) fn amend(a: &mut Assessment, found: Finding) {
    let mut found = found;
    // On a chain that is not publicly anchored, one key minting leaves for
    // unrelated domains is proof of on-the-fly minting. On a public one it
    // is a hosting provider's habit worth knowing; on self-signed leaves, or
    // for names only a private CA may certify, it is a fleet of devices
    // sharing their firmware's key.
    if found.code == FindingCode::LeafKeyReuse {
        let fleet = a.chain_trust == Some(ChainTrust::SelfSigned)
            || is_private_use(a.target.expected_name());
        found.severity = match a.chain_trust {
            Some(t) if t.publicly_anchored() => Severity::Low,
            _ if fleet => Severity::Low,
            _ => Severity::High,
        };
    }
    a.findings.push(found);
    let name = a.target.expected_name().to_string();
    a.verdict = verdict::conclude(&mut a.findings, a.chain_trust, &name);
}

/// Adds scan-level findings to the assessments and recomputes verdicts.
/// `leaf_names[i]` are the DNS names of the leaf `assessments[i]` judged.
pub(crate) fn apply(leaf_names: &[LeafNames], assessments: &mut [Assessment]) {
    let mut reuse = KeyReuse::default();
    for (i, a) in assessments.iter().enumerate() {
        reuse.add(i, a, leaf_names.get(i).cloned().unwrap_or_default());
    }
    for (i, found) in reuse.findings() {
        amend(&mut assessments[i], found);
    }
}

#[cfg(test)]
mod tests {
    use super::{any_unrelated, any_unrelated_within, disjoint, LeafGroup};

    fn group(names: &str) -> LeafGroup {
        LeafGroup {
            names: names.into(),
            first: (0, 0),
            more: Vec::new(),
        }
    }

    #[test]
    fn many_certificates_under_one_key_are_judged_quickly() {
        // 20,000 certificates sharing one name: related, found at once.
        let shared: Vec<LeafGroup> = (0..20_000)
            .map(|i| group(&format!("common.example\nh{i:05}.example")))
            .collect();
        assert!(!any_unrelated(&shared));
        // Unrelated ones are found with the first pair.
        let minted: Vec<LeafGroup> = (0..20_000)
            .map(|i| group(&format!("h{i:05}.example")))
            .collect();
        assert!(any_unrelated(&minted));
        // Pairwise overlapping without a common name: a ring of names.
        let ring: Vec<LeafGroup> = (0..3)
            .map(|i| {
                let mut names = [format!("n{i}.example"), format!("n{}.example", (i + 1) % 3)];
                names.sort();
                group(&names.join("\n"))
            })
            .collect();
        assert!(!any_unrelated(&ring));
        assert!(any_unrelated(&[group("a.example"), group("")]));
        // The comparison budget: the disjoint pair is the third compared.
        let late = [
            group("a.example\nb.example"),
            group("a.example\nc.example"),
            group("b.example\nc.example"),
            group("d.example"),
        ];
        assert!(any_unrelated_within(&late, 10));
        assert!(!any_unrelated_within(&late, 2), "left unjudged");
    }

    #[test]
    fn name_lists_are_disjoint_only_without_a_shared_name() {
        assert!(disjoint("a.example\nb.example", "c.example"));
        assert!(!disjoint("a.example\nb.example", "b.example\nc.example"));
        assert!(!disjoint("a.example", "a.example"));
        // A leaf without DNS names shares none.
        assert!(disjoint("", "a.example") && disjoint("a.example", "") && disjoint("", ""));
    }
}
