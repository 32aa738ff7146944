//! Comparing what two vantage points were served, domain by domain. The
//! decision is made on the sets of issuing CAs and roots: CDNs rotate
//! leaves and serve different ones per region, so different leaf bytes
//! mean nothing by themselves, while an interceptor cannot sign under the
//! site's CA and must bring its own.

use super::issuers::{chain_issuers, same_ca};
use crate::model::{
    CaBrief, DomainComparison, DomainDiff, Observation, SideView, VantageComparison, VantageInfo,
    COMPARISON_SCHEMA,
};
use crate::plural::{count, noun};
use std::collections::BTreeMap;

/// Adds `ca` to `set` unless an entry is already the same CA; fills in a
/// key the existing entry lacked.
fn insert_ca(set: &mut Vec<CaBrief>, ca: CaBrief) {
    match set.iter_mut().find(|c| same_ca(c, &ca)) {
        Some(existing) => {
            if existing.key_id.is_none() {
                existing.key_id = ca.key_id;
            }
            if existing.spki_sha256.is_none() {
                existing.spki_sha256 = ca.spki_sha256;
            }
        }
        None => set.push(ca),
    }
}

fn side_views(observations: &[Observation]) -> BTreeMap<String, SideView> {
    let mut views: BTreeMap<String, SideView> = BTreeMap::new();
    for obs in observations {
        let view = views
            .entry(obs.target.expected_name().to_string())
            .or_default();
        view.observations += 1;
        match chain_issuers(&obs.chain) {
            Some(chain) => {
                view.chains += 1;
                if !view.leaf_spki_sha256.contains(&chain.leaf_spki) {
                    view.leaf_spki_sha256.push(chain.leaf_spki);
                }
                insert_ca(&mut view.issuers, chain.issuer);
                insert_ca(&mut view.roots, chain.root);
            }
            None => {
                *view.failures.entry(obs.status.to_string()).or_insert(0) += 1;
            }
        }
    }
    views
}

/// The CAs of `set` that match none in `other`.
fn only_in<'a>(set: &'a [CaBrief], other: &[CaBrief]) -> Vec<&'a CaBrief> {
    set.iter()
        .filter(|c| !other.iter().any(|o| same_ca(c, o)))
        .collect()
}

fn names(set: &[&CaBrief]) -> String {
    set.iter()
        .map(|c| format!("'{}'", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn all_names(set: &[CaBrief]) -> String {
    names(&set.iter().collect::<Vec<_>>())
}

fn classify(a: &SideView, b: &SideView, la: &str, lb: &str) -> (DomainDiff, String) {
    match (a.observations, b.observations) {
        (_, 0) => {
            return (
                DomainDiff::OnlyInA,
                format!("Only {la} observed this domain."),
            )
        }
        (0, _) => {
            return (
                DomainDiff::OnlyInB,
                format!("Only {lb} observed this domain."),
            )
        }
        _ => {}
    }
    if a.chains == 0 || b.chains == 0 {
        let failed = |v: &SideView| {
            v.failures
                .iter()
                .map(|(s, n)| format!("{s} x{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = match (a.chains, b.chains) {
            (0, 0) => format!(
                "Neither got a certificate chain ({la}: {}; {lb}: {}): nothing to compare.",
                failed(a),
                failed(b)
            ),
            (0, _) => format!(
                "{la} got no certificate chain ({}) while {lb} did: the domain may be blocked on {la}'s path.",
                failed(a)
            ),
            _ => format!(
                "{lb} got no certificate chain ({}) while {la} did: the domain may be blocked on {lb}'s path.",
                failed(b)
            ),
        };
        return (DomainDiff::NoChain, text);
    }
    let roots_a = only_in(&a.roots, &b.roots);
    let roots_b = only_in(&b.roots, &a.roots);
    let common_root = a.roots.len() > roots_a.len();
    if !common_root {
        return (
            DomainDiff::DifferentRoot,
            format!(
                "No root in common: {la}'s chains lead to {}, {lb}'s to {}. One of the two paths re-signs \
                 this domain (run `mitmwatch analyze` on both files to see which root is trusted), or \
                 the site uses a different CA in each region.",
                all_names(&a.roots),
                all_names(&b.roots)
            ),
        );
    }
    if !roots_a.is_empty() || !roots_b.is_empty() {
        let (who, extra) = if roots_b.is_empty() {
            (la, &roots_a)
        } else {
            (lb, &roots_b)
        };
        return (
            DomainDiff::ExtraRoot,
            format!(
                "Both saw chains leading to the same root, but {who} also saw {}, which the other never \
                 did: part of {who}'s connections were re-signed (interception that depends on the \
                 address or the time), or the site serves a second certificate there.",
                names(extra)
            ),
        );
    }
    if only_in(&a.issuers, &b.issuers).len() == a.issuers.len() {
        return (
            DomainDiff::DifferentCa,
            format!(
                "Different issuing CAs ({la}: {}; {lb}: {}) under the same root {}. A CA spreading issuance \
                 over several intermediates (Let's Encrypt's R10 and R11, say) or a CDN using several \
                 does this; interception would need a key under that root.",
                all_names(&a.issuers),
                all_names(&b.issuers),
                all_names(&a.roots)
            ),
        );
    }
    if a.leaf_spki_sha256
        .iter()
        .any(|k| b.leaf_spki_sha256.contains(k))
    {
        return (
            DomainDiff::SameKey,
            format!(
                "Both were served the same leaf key, issued by {}.",
                all_names(&a.issuers)
            ),
        );
    }
    (
        DomainDiff::SameCa,
        format!(
            "The leaves differ ({la}: {}, {lb}: {}) but the same CA, {}, issued them under \
             the same root: CDNs rotate leaves and serve different ones per region. Not a sign of \
             interception.",
            count(a.leaf_spki_sha256.len(), "key", "keys"),
            count(b.leaf_spki_sha256.len(), "key", "keys"),
            all_names(&a.issuers)
        ),
    )
}

/// Compares two scans. `tool` is written into the result.
pub fn compare(
    a: &[Observation],
    b: &[Observation],
    info_a: VantageInfo,
    info_b: VantageInfo,
    tool: String,
) -> VantageComparison {
    let mut views_a = side_views(a);
    let mut views_b = side_views(b);
    let mut domains_names: Vec<String> = views_a.keys().chain(views_b.keys()).cloned().collect();
    domains_names.sort();
    domains_names.dedup();
    let mut domains: Vec<DomainComparison> = domains_names
        .into_iter()
        .map(|domain| {
            let va = views_a.remove(&domain).unwrap_or_default();
            let vb = views_b.remove(&domain).unwrap_or_default();
            let (diff, explanation) = classify(&va, &vb, &info_a.label, &info_b.label);
            DomainComparison {
                domain,
                diff,
                a: va,
                b: vb,
                explanation,
            }
        })
        .collect();
    domains.sort_by(|x, y| x.diff.cmp(&y.diff).then(x.domain.cmp(&y.domain)));
    let mut counts = BTreeMap::new();
    for d in &domains {
        *counts.entry(d.diff).or_insert(0) += 1;
    }
    let conclusion = conclusion(&domains, &info_a.label, &info_b.label);
    VantageComparison {
        record_type: "comparison".into(),
        schema: COMPARISON_SCHEMA,
        tool,
        a: info_a,
        b: info_b,
        domains,
        counts,
        conclusion,
    }
}

fn conclusion(domains: &[DomainComparison], la: &str, lb: &str) -> String {
    let compared = domains
        .iter()
        .filter(|d| d.a.chains > 0 && d.b.chains > 0)
        .count();
    if compared == 0 {
        return format!(
            "No domain got a certificate chain in both {la} and {lb}: nothing could be compared."
        );
    }
    let differing: Vec<&str> = domains
        .iter()
        .filter(|d| d.diff.is_root_difference())
        .map(|d| d.domain.as_str())
        .collect();
    if differing.is_empty() {
        return format!(
            "{} compared; every one was served chains under the same roots in \
             {la} and {lb}. Leaf and intermediate differences, if any, are the ordinary kind.",
            count(compared, "domain was", "domains were")
        );
    }
    let shown: Vec<&str> = differing.iter().take(10).copied().collect();
    format!(
        "{} of {} compared {} served chains under roots the other vantage never saw: \
         {}{}. One of the two paths re-signs these domains; `mitmwatch analyze` on each file says which.",
        differing.len(),
        count(compared, "domain", "domains"),
        noun(differing.len(), "was", "were"),
        shown.join(", "),
        if differing.len() > shown.len() {
            format!(" and {} more", differing.len() - shown.len())
        } else {
            String::new()
        }
    )
}
