//! Chain linkage: order the served certificates into an issuance path
//! (whatever order they were sent in) and report broken links: a
//! certificate whose named issuer was sent but whose signature does not
//! verify under it.

use super::chain::{signed_by, CertFacts};
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use crate::model::{Finding, FindingCode, Severity};

/// The issuance path through the served certificates.
#[derive(Clone, Debug, Default)]
pub struct Path {
    /// Indexes of served certificates, leaf first, each issued by the next.
    pub certs: Vec<usize>,
    /// Whether the certificates were sent in a different order.
    pub out_of_order: bool,
}

impl Path {
    /// Index of the topmost certificate of the path.
    pub fn top(&self) -> Option<usize> {
        self.certs.last().copied()
    }
}

/// Links the served certificates by name only, leaf first (no signature
/// checks: for chains that webpki verified, or to find a leaf's issuer).
pub fn name_path(certs: &[CertFacts]) -> Path {
    let mut path = Path::default();
    let Some(leaf) = certs.first().filter(|c| c.ok()) else {
        return path;
    };
    path.certs.push(leaf.index);
    let mut current = leaf;
    while !current.self_issued() {
        let Some(parent) = certs.iter().find(|c| {
            c.ok() && !path.certs.contains(&c.index) && c.subject_raw == current.issuer_raw
        }) else {
            break;
        };
        path.certs.push(parent.index);
        current = parent;
    }
    path.out_of_order = path.certs.iter().enumerate().any(|(i, c)| *c != i);
    path
}

/// Builds the path with signature checks and reports broken links.
pub fn check(certs: &[CertFacts]) -> (Path, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut path = Path::default();
    let Some(leaf) = certs.first().filter(|c| c.ok()) else {
        return (path, findings);
    };
    path.certs.push(leaf.index);
    let mut current = leaf;
    while !current.self_issued() {
        let candidates: Vec<&CertFacts> = certs
            .iter()
            .filter(|c| {
                c.ok() && !path.certs.contains(&c.index) && c.subject_raw == current.issuer_raw
            })
            .collect();
        if candidates.is_empty() {
            break;
        }
        match candidates.iter().find(|c| signed_by(current, c)) {
            Some(parent) => {
                path.certs.push(parent.index);
                current = parent;
            }
            None => {
                let f = finding(
                    FindingCode::IssuerMismatch,
                    Severity::Medium,
                    "A certificate's signature does not match the issuer the server sent",
                    format!(
                        "Certificate #{} names '{}' as its issuer, and the server sent a certificate with that name, \
                         but the signature does not verify with that certificate's key. Someone produced this \
                         certificate with a different key while copying a real issuer's name, or the server sends the wrong intermediate.",
                        current.index, current.issuer
                    ),
                );
                let f = with_evidence(f, cert_evidence(current));
                findings.push(with_detail(
                    f,
                    format!(
                        "claimed issuer sent as certificate #{}",
                        candidates[0].index
                    ),
                ));
                break;
            }
        }
    }
    path.out_of_order = path.certs.iter().enumerate().any(|(i, c)| *c != i);
    (path, findings)
}
