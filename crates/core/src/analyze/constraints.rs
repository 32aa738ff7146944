//! Path-length and name constraints as RFC 5280 states them, for a chain
//! that webpki refused for one of them. webpki is stricter than the RFC in
//! places (a CA certificate in the leaf's place, self-issued intermediates
//! counted against a path length or held to name constraints, directory-
//! name constraints it does not implement), and a refusal there is the
//! verifier's strictness, not a CA breaking its limits. A constraint that
//! the chain does break by the RFC stays a security failure.
//!
//! Only the names of the leaf are held to name constraints (DNS names,
//! IP addresses and directory names, RFC 5280 §4.2.1.10): they are what a
//! connection relies on.

use super::chain::CertFacts;
use super::linkage::Path;
use super::name_forms::{RdnSequence, Subtree};
use std::net::IpAddr;

/// Whether every CA of the path allows the number of intermediates below
/// it: RFC 5280 §4.2.1.9 counts the non-self-issued intermediate
/// certificates between the CA and the leaf (the leaf itself is not
/// counted, whatever it is).
pub(crate) fn path_length_holds(certs: &[CertFacts], path: &Path) -> bool {
    path.certs.iter().enumerate().skip(1).all(|(k, &i)| {
        let Some((_, Some(limit))) = certs[i].basic_constraints else {
            return true;
        };
        let below = path.certs[1..k]
            .iter()
            .filter(|&&j| !certs[j].self_issued())
            .count();
        below <= limit as usize
    })
}

/// Whether the leaf's names satisfy every name constraint of the CAs
/// above it (`None` when some constraint is of a form this module does
/// not judge and it could decide the outcome).
pub(crate) fn names_within(certs: &[CertFacts], path: &Path) -> Option<bool> {
    let leaf = &certs[*path.certs.first()?];
    let mut unjudged = false;
    for &i in path.certs.iter().skip(1) {
        let Some(nc) = &certs[i].name_constraints else {
            continue;
        };
        for name in leaf_names(leaf) {
            let same_form: Vec<&Subtree> = nc
                .permitted
                .iter()
                .filter(|s| same_kind(s, &name))
                .collect();
            if !same_form.is_empty() && !same_form.iter().any(|s| matches(s, &name)) {
                return Some(false);
            }
            if nc.excluded.iter().any(|s| matches(s, &name)) {
                return Some(false);
            }
        }
        unjudged |= nc
            .permitted
            .iter()
            .chain(&nc.excluded)
            .any(|s| *s == Subtree::Other);
    }
    if unjudged {
        None
    } else {
        Some(true)
    }
}

/// A name of the leaf, in the forms name constraints apply to.
enum LeafName<'a> {
    Dns(&'a str),
    Ip(&'a IpAddr),
    Directory(&'a RdnSequence),
}

fn leaf_names(leaf: &CertFacts) -> Vec<LeafName<'_>> {
    let mut names: Vec<LeafName<'_>> = leaf.san_dns.iter().map(|d| LeafName::Dns(d)).collect();
    names.extend(leaf.san_ips.iter().map(LeafName::Ip));
    names.extend(leaf.san_directories.iter().map(LeafName::Directory));
    // The subject is held to directory-name constraints when it is not empty.
    if !leaf.subject_rdns.is_empty() {
        names.push(LeafName::Directory(&leaf.subject_rdns));
    }
    names
}

fn same_kind(subtree: &Subtree, name: &LeafName<'_>) -> bool {
    matches!(
        (subtree, name),
        (Subtree::Dns(_), LeafName::Dns(_))
            | (Subtree::Ip(..), LeafName::Ip(_))
            | (Subtree::Directory(_), LeafName::Directory(_))
    )
}

fn matches(subtree: &Subtree, name: &LeafName<'_>) -> bool {
    match (subtree, name) {
        (Subtree::Dns(base), LeafName::Dns(name)) => dns_within(name, base),
        (Subtree::Ip(address, mask), LeafName::Ip(ip)) => {
            let octets = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            octets.len() == address.len()
                && octets
                    .iter()
                    .zip(address)
                    .zip(mask)
                    .all(|((o, a), m)| o & m == a & m)
        }
        (Subtree::Directory(base), LeafName::Directory(name)) => {
            base.len() <= name.len() && name[..base.len()] == base[..]
        }
        _ => false,
    }
}

/// RFC 5280: a DNS name is within a subtree if it is the subtree's name or
/// one made by adding labels on its left. A base with a leading dot
/// permits only names below it; an empty base permits every name.
fn dns_within(name: &str, base: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let base = base.trim_end_matches('.').to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(below) = base.strip_prefix('.') {
        return name.ends_with(&format!(".{below}"));
    }
    name == base || name.ends_with(&format!(".{base}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees_match_the_name_and_names_below_it() {
        assert!(dns_within("gov.example", "gov.example"));
        assert!(dns_within("www.gov.example", "gov.example"));
        assert!(!dns_within("evilgov.example", "gov.example"));
        assert!(!dns_within("www.google.com", "gov.example"));
        assert!(dns_within("a.gov.example", ".gov.example"));
        assert!(!dns_within("gov.example", ".gov.example"));
        assert!(dns_within("anything.example", ""));
        assert!(dns_within("WWW.Gov.Example.", "gov.example"));
    }

    #[test]
    fn ip_subtrees_match_by_mask() {
        let block = Subtree::Ip(vec![10, 0, 0, 0], vec![255, 0, 0, 0]);
        let inside: IpAddr = "10.1.2.3".parse().unwrap();
        let outside: IpAddr = "8.8.8.8".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        assert!(matches(&block, &LeafName::Ip(&inside)));
        assert!(!matches(&block, &LeafName::Ip(&outside)));
        assert!(!matches(&block, &LeafName::Ip(&v6)));
    }
}
