//! Chain linkage: order the served certificates into an issuance path
//! (whatever order they were sent in) and report broken links: a
//! certificate whose named issuer was sent but whose signature does not
//! verify under it.

use super::chain::{signature_by, CertFacts};
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use super::signature::{SignatureCheck, SignatureMemo};
use crate::model::{Finding, FindingCode, Severity};

/// The issuance path through the served certificates.
#[derive(Clone, Debug, Default)]
pub(crate) struct Path {
    /// Indexes of served certificates, leaf first, each issued by the next.
    pub(crate) certs: Vec<usize>,
    /// Whether the certificates were sent in a different order.
    pub(crate) out_of_order: bool,
    /// Certificates of the path whose link to the next could not be
    /// checked (an algorithm not implemented here, or a malformed
    /// signature field): linked by name only, without proof.
    pub(crate) unverified: Vec<usize>,
}

impl Path {
    /// Index of the topmost certificate of the path.
    pub(crate) fn top(&self) -> Option<usize> {
        self.certs.last().copied()
    }
}

/// Links the served certificates by name only, leaf first (no signature
/// checks: for chains that webpki verified, or to find a leaf's issuer).
pub(crate) fn name_path(certs: &[CertFacts]) -> Path {
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

/// A certificate whose named issuer was sent but did not sign it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BrokenLink {
    /// Index of the certificate whose signature fails.
    pub(crate) child: usize,
    /// Index of the first served certificate carrying its issuer's name.
    pub(crate) claimed_issuer: usize,
}

impl BrokenLink {
    /// Whether the child names the claimed issuer by key identifier too
    /// (its authority key id is the issuer's subject key id): it claims to
    /// be issued by that very key, not merely by a CA of that name.
    pub(crate) fn copies_key_id(&self, certs: &[CertFacts]) -> bool {
        let (child, issuer) = (&certs[self.child], &certs[self.claimed_issuer]);
        child.authority_key_id.is_some() && child.authority_key_id == issuer.subject_key_id
    }
}

/// Builds the path with signature checks, and the first broken link. A
/// link whose signature cannot be checked is followed (and noted in
/// [`Path::unverified`]) rather than called broken: it proves nothing.
pub(crate) fn check(certs: &[CertFacts], memo: &SignatureMemo) -> (Path, Option<BrokenLink>) {
    let mut path = Path::default();
    let Some(leaf) = certs.first().filter(|c| c.ok()) else {
        return (path, None);
    };
    path.certs.push(leaf.index);
    let mut current = leaf;
    let mut broken = None;
    // A certificate whose subject is its issuer ends the path only if it
    // signed itself: an end entity with an empty subject (public CAs issue
    // such leaves) may sign a certificate with an empty subject too.
    while !(current.self_issued()
        && signature_by(current, current, memo) != SignatureCheck::Invalid)
    {
        let candidates: Vec<&CertFacts> = certs
            .iter()
            .filter(|c| {
                c.ok() && !path.certs.contains(&c.index) && c.subject_raw == current.issuer_raw
            })
            .collect();
        if candidates.is_empty() {
            break;
        }
        let checks: Vec<SignatureCheck> = candidates
            .iter()
            .map(|c| signature_by(current, c, memo))
            .collect();
        let valid = checks.iter().position(|c| *c == SignatureCheck::Valid);
        let unsupported = checks
            .iter()
            .position(|c| *c == SignatureCheck::Unsupported);
        match valid.or(unsupported) {
            Some(i) => {
                if valid.is_none() {
                    path.unverified.push(current.index);
                }
                let parent = candidates[i];
                path.certs.push(parent.index);
                current = parent;
            }
            None => {
                let claimed = candidates
                    .iter()
                    .find(|c| {
                        current.authority_key_id.is_some()
                            && c.subject_key_id == current.authority_key_id
                    })
                    .unwrap_or(&candidates[0]);
                broken = Some(BrokenLink {
                    child: current.index,
                    claimed_issuer: claimed.index,
                });
                break;
            }
        }
    }
    path.out_of_order = path.certs.iter().enumerate().any(|(i, c)| *c != i);
    (path, broken)
}

/// The finding for a broken link. `genuine_issuer` says the claimed issuer
/// leads to a trusted root by signatures and the child copies its key
/// identifier: then the child is a forgery (`forged-signature`, high).
/// Otherwise the server may merely send the wrong certificate of that name
/// (`issuer-mismatch`, medium).
pub(crate) fn broken_link_finding(
    certs: &[CertFacts],
    link: BrokenLink,
    genuine_issuer: bool,
) -> Finding {
    let (child, issuer) = (&certs[link.child], &certs[link.claimed_issuer]);
    let f = if genuine_issuer {
        finding(
            FindingCode::ForgedSignature,
            Severity::High,
            "A certificate claims a trusted CA as its issuer, but that CA did not sign it",
            format!(
                "Certificate #{} names '{}' as its issuer and copies that CA's key identifier, and the \
                 server sent that CA's genuine certificate, which leads to a trusted root. But the \
                 signature does not verify with that CA's key: the certificate was made by someone else \
                 and dressed as the CA's. A real CA's certificate always verifies under its key.",
                child.index, child.issuer
            ),
        )
    } else {
        finding(
            FindingCode::IssuerMismatch,
            Severity::Medium,
            "A certificate's signature does not match the issuer the server sent",
            format!(
                "Certificate #{} names '{}' as its issuer, and the server sent a certificate with that name, \
                 but the signature does not verify with that certificate's key. Someone produced this \
                 certificate with a different key while copying a real issuer's name, or the server sends \
                 the wrong intermediate (a CA that renewed its key under the same name).",
                child.index, child.issuer
            ),
        )
    };
    with_detail(
        with_evidence(f, cert_evidence(child)),
        format!(
            "claimed issuer sent as certificate #{} (SHA-256 {})",
            issuer.index, issuer.sha256
        ),
    )
}
