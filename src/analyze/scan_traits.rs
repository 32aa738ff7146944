//! Checks across a whole scan. `leaf-key-reuse`: one key in leaves for
//! unrelated hosts (certificates whose names do not overlap) is the mark of
//! software minting certificates on the fly with a single key, as
//! mitmproxy does; real sites use separate keys or one certificate.

use super::finding::{finding, with_detail};
use super::verdict;
use crate::model::{Assessment, FindingCode, Severity};
use std::collections::{BTreeSet, HashMap};

/// Leaves of one certificate: its names and the observations that saw it.
#[derive(Default)]
struct LeafGroup {
    names: BTreeSet<String>,
    observations: Vec<usize>,
}

/// Adds scan-level findings to the assessments and recomputes verdicts.
/// `leaf_names[i]` are the DNS names of the leaf `assessments[i]` judged.
pub fn apply(leaf_names: &[super::LeafNames], assessments: &mut [Assessment]) {
    // leaf SPKI -> (leaf certificate -> (name set, observation indexes)),
    // from the fingerprints the analyzer computed from the DER (not the
    // record's own fields, which a file could misstate).
    let mut by_key: HashMap<String, HashMap<String, LeafGroup>> = HashMap::new();
    for (i, a) in assessments.iter().enumerate() {
        let Some(leaf) = &a.leaf else {
            continue;
        };
        let Some(spki) = &leaf.spki_sha256 else {
            continue;
        };
        by_key
            .entry(spki.clone())
            .or_default()
            .entry(leaf.sha256.clone())
            .or_default()
            .observations
            .push(i);
    }
    for certs in by_key.values_mut().filter(|c| c.len() >= 2) {
        for group in certs.values_mut() {
            group.names = leaf_names
                .get(group.observations[0])
                .cloned()
                .unwrap_or_default();
        }
    }
    for (spki, certs) in by_key {
        if certs.len() < 2 {
            continue;
        }
        let sets: Vec<&BTreeSet<String>> = certs.values().map(|g| &g.names).collect();
        let unrelated = sets
            .iter()
            .enumerate()
            .any(|(a, x)| sets.iter().skip(a + 1).any(|y| x.is_disjoint(y)));
        if !unrelated {
            continue;
        }
        let hosts: BTreeSet<String> = certs
            .values()
            .flat_map(|g| {
                g.observations
                    .iter()
                    .map(|i| assessments[*i].target.expected_name().to_string())
            })
            .collect();
        // Name at most ten hosts: the detail is repeated in every assessment.
        let mut shown: Vec<&str> = hosts.iter().take(10).map(String::as_str).collect();
        let more = hosts.len().saturating_sub(shown.len());
        let more_text = format!("and {more} more");
        if more > 0 {
            shown.push(&more_text);
        }
        let detail = format!("SPKI SHA-256 {spki}, hosts: {}", shown.join(", "));
        for group in certs.values() {
            for &i in &group.observations {
                let a = &mut assessments[i];
                a.findings.push(with_detail(
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
                    detail.clone(),
                ));
                verdict::rank(&mut a.findings);
                let self_signed = a
                    .leaf
                    .as_ref()
                    .is_some_and(|l| l.subject.is_some() && l.subject == l.issuer);
                a.verdict = verdict::verdict(&a.findings, a.leaf.is_some(), self_signed);
            }
        }
    }
}
