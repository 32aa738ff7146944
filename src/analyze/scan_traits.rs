//! Checks across a whole scan. `leaf-key-reuse`: one key in leaves for
//! unrelated hosts (certificates whose names do not overlap) is the mark of
//! software minting certificates on the fly with a single key, as
//! mitmproxy does; real sites use separate keys or one certificate.

use super::finding::{finding, with_detail};
use super::verdict;
use super::LeafNames;
use crate::model::Finding;
use crate::model::{Assessment, FindingCode, Severity};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One certificate seen as a leaf: its DNS names (sorted, joined by
/// newlines: one allocation, since a large scan keeps one per certificate)
/// and the observations (index and host) that saw it.
struct LeafGroup {
    names: Box<str>,
    first: (usize, Box<str>),
    more: Vec<(usize, Box<str>)>,
}

impl LeafGroup {
    fn observations(&self) -> impl Iterator<Item = &(usize, Box<str>)> {
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

/// Collects, one assessment at a time, which certificates each leaf key
/// appeared in, so that a scan need not be held in memory to find a key
/// shared by unrelated certificates (a few hundred bytes per certificate).
/// Keys are the fingerprints the analyzer computed from the DER (not the
/// record's own fields, which a file could misstate).
#[derive(Default)]
pub struct KeyReuse {
    /// (leaf SPKI SHA-256, leaf certificate SHA-256) -> that certificate.
    leaves: HashMap<([u8; 32], [u8; 32]), LeafGroup>,
}

fn fingerprint(hex: &str) -> Option<[u8; 32]> {
    crate::encoding::parse_hex(hex)?.try_into().ok()
}

impl KeyReuse {
    /// Notes the leaf of assessment number `index`, whose DNS names are `names`.
    pub fn add(&mut self, index: usize, a: &Assessment, names: LeafNames) {
        let Some(leaf) = &a.leaf else {
            return;
        };
        let (Some(spki), Some(cert)) = (
            leaf.spki_sha256.as_deref().and_then(fingerprint),
            fingerprint(&leaf.sha256),
        ) else {
            return;
        };
        let seen = (index, a.target.expected_name().into());
        match self.leaves.entry((spki, cert)) {
            std::collections::hash_map::Entry::Occupied(mut group) => {
                group.get_mut().more.push(seen)
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                let names: Vec<String> = names.into_iter().collect();
                slot.insert(LeafGroup {
                    names: names.join("\n").into(),
                    first: seen,
                    more: Vec::new(),
                });
            }
        }
    }

    /// The `leaf-key-reuse` finding of every assessment that gets one, by index.
    pub fn findings(self) -> BTreeMap<usize, Finding> {
        // Only keys seen in two or more certificates matter.
        let mut certs_per_key: HashMap<[u8; 32], usize> = HashMap::new();
        for (spki, _) in self.leaves.keys() {
            *certs_per_key.entry(*spki).or_insert(0) += 1;
        }
        let mut by_key: BTreeMap<[u8; 32], Vec<LeafGroup>> = BTreeMap::new();
        for ((spki, _), group) in self.leaves {
            if certs_per_key[&spki] >= 2 {
                by_key.entry(spki).or_default().push(group);
            }
        }
        let mut out = BTreeMap::new();
        for (spki, certs) in by_key {
            let unrelated = certs.iter().enumerate().any(|(a, x)| {
                certs
                    .iter()
                    .skip(a + 1)
                    .any(|y| disjoint(&x.names, &y.names))
            });
            if !unrelated {
                continue;
            }
            let hosts: BTreeSet<&str> = certs
                .iter()
                .flat_map(|g| g.observations().map(|(_, host)| &**host))
                .collect();
            // Name at most ten hosts: the detail is repeated in every assessment.
            let mut shown: Vec<&str> = hosts.iter().take(10).copied().collect();
            let more = hosts.len().saturating_sub(shown.len());
            let more_text = format!("and {more} more");
            if more > 0 {
                shown.push(&more_text);
            }
            let detail = format!(
                "SPKI SHA-256 {}, hosts: {}",
                crate::encoding::hex(&spki),
                shown.join(", ")
            );
            let found = with_detail(
                finding(
                    FindingCode::LeafKeyReuse,
                    Severity::Medium,
                    "The same key is used in certificates for unrelated sites",
                    format!(
                        "{} different certificates for unrelated names share one public key in this scan. \
                         Interception software often mints every certificate with a single key.",
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

/// Adds a scan-level finding to an assessment and recomputes its verdict.
pub fn amend(a: &mut Assessment, found: Finding) {
    a.findings.push(found);
    verdict::rank(&mut a.findings);
    let self_signed = a
        .leaf
        .as_ref()
        .is_some_and(|l| l.subject.is_some() && l.subject == l.issuer);
    a.verdict = verdict::verdict(&a.findings, a.leaf.is_some(), self_signed);
}

/// Adds scan-level findings to the assessments and recomputes verdicts.
/// `leaf_names[i]` are the DNS names of the leaf `assessments[i]` judged.
pub fn apply(leaf_names: &[LeafNames], assessments: &mut [Assessment]) {
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
    use super::disjoint;

    #[test]
    fn name_lists_are_disjoint_only_without_a_shared_name() {
        assert!(disjoint("a.example\nb.example", "c.example"));
        assert!(!disjoint("a.example\nb.example", "b.example\nc.example"));
        assert!(!disjoint("a.example", "a.example"));
        // A leaf without DNS names shares none.
        assert!(disjoint("", "a.example") && disjoint("a.example", "") && disjoint("", ""));
    }
}
