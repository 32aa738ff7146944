//! Baseline comparison: is the chain for a domain issued the way a trusted
//! vantage saw it issued? Routine change is not interception: a CA picks
//! another of its intermediates per order (Let's Encrypt's R10–R14 and
//! E5–E9), a site moves to another public CA. So the weight follows what
//! the keys say:
//!
//! - a leaf that names a baseline CA (by name and key identifier) but does
//!   not verify under that CA's key is a forgery (`forged-signature`, high),
//!   also when the leaf was sent alone;
//! - a chain that is not publicly anchored, whose CA keys are none of those
//!   seen, contradicts the baseline (`issuer-mismatch`, high);
//! - a publicly trusted chain from another intermediate of the same root or
//!   operator is information; from another public CA, `medium`.

use super::chain::{signature_under, CertFacts};
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use super::signature::{SignatureCheck, SignatureMemo, SpkiKey};
use super::trust::{ProvenKeys, TrustOutcome};
use crate::analysis_data::baseline::{Baseline, BaselineCa, BaselineEntry};
use crate::analysis_data::catalog::name_rule::DnAttr;
use crate::encoding::hex;
use crate::model::{Finding, FindingCode, Fingerprint, Severity};
use std::cell::LazyCell;

/// The findings of holding the chain for `name` to the baseline.
pub(crate) fn check(
    baseline: Option<&Baseline>,
    name: &str,
    certs: &[CertFacts],
    trust: &TrustOutcome,
    proven: &LazyCell<ProvenKeys, impl FnOnce() -> ProvenKeys>,
    memo: &SignatureMemo,
) -> Vec<Finding> {
    let (Some(baseline), Some(leaf)) = (baseline, certs.first().filter(|c| c.ok())) else {
        return Vec::new();
    };
    let Some(expected) = baseline.get(name) else {
        return Vec::new();
    };
    // The CAs shown to be above the leaf, not every certificate sent: a
    // genuine intermediate appended to a forged chain is not its issuer.
    let served_ca_keys: &[Fingerprint] = &proven.cas;
    if served_ca_keys
        .iter()
        .any(|k| expected.ca_spki_sha256.contains(k))
    {
        return Vec::new();
    }
    // The leaf held to the baseline's CAs' keys.
    let mut named_ca_failed = None;
    for ca in &expected.cas {
        let Some(key) = ca.spki_der().and_then(SpkiKey::from_spki_der) else {
            continue;
        };
        match signature_under(leaf, &key.as_public_key(), memo) {
            // Issued by a CA the baseline saw: the chain is as usual (a
            // leaf sent alone, or with another cross-sign above).
            SignatureCheck::Valid => return Vec::new(),
            SignatureCheck::Invalid if claims(leaf, ca) => named_ca_failed = Some(ca),
            _ => {}
        }
    }
    let detail = format!(
        "baseline created {}; CA keys served: {}",
        crate::certinfo::rfc3339(baseline.created_at),
        if served_ca_keys.is_empty() {
            "none".to_string()
        } else {
            served_ca_keys
                .iter()
                .map(Fingerprint::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    // A publicly trusted chain was signed by some public CA: whatever it
    // is, it is not a forged signature.
    if let Some(ca) = named_ca_failed.filter(|_| !trust.publicly_trusted()) {
        return vec![forged(name, leaf, ca, detail)];
    }
    let same_name = expected.issuers.contains(&leaf.issuer);
    let keys_comparable = !served_ca_keys.is_empty() && !expected.ca_spki_sha256.is_empty();
    let accepted: Vec<&str> = expected.issuers.iter().map(String::as_str).collect();
    let (severity, explanation) = if trust.publicly_anchored() {
        let (same_ca, how) = same_ca(certs, trust, expected);
        if same_ca {
            (
                Severity::Info,
                format!(
                    "From the trusted vantage in the baseline, {name} was issued by {}. Here it was issued \
                     by '{}', {how}. CAs spread their certificates over several intermediates (Let's \
                     Encrypt picks one of R10–R14 or E5–E9 for each order), so this is routine.",
                    accepted.join(" or "),
                    leaf.issuer
                ),
            )
        } else {
            (
                Severity::Medium,
                format!(
                    "From the trusted vantage in the baseline, {name} was issued by {}. Here it was issued \
                     by '{}', another public CA, under neither a root nor an operator the baseline saw. \
                     Sites change CAs, and that is the likely cause; a CA issuing for a name it should \
                     not looks the same. Make a new baseline if {name} has moved.",
                    accepted.join(" or "),
                    leaf.issuer
                ),
            )
        }
    } else if keys_comparable || (!same_name && !expected.issuers.is_empty()) {
        (
            Severity::High,
            if same_name {
                format!(
                    "From the trusted vantage in the baseline, {name} was issued by '{}' under other \
                     keys. Here the issuing CA carries the same name but none of the keys seen there, \
                     and the chain leads to no public root: a forged CA copying the genuine one's name.",
                    leaf.issuer
                )
            } else {
                format!(
                    "From the trusted vantage in the baseline, {name} was issued by {} under a public \
                     root. Here it was issued by '{}', whose chain leads to no public root, and no CA \
                     key of this chain was seen there.",
                    accepted.join(" or "),
                    leaf.issuer
                )
            },
        )
    } else if expected.cas.iter().any(|ca| ca.subject == leaf.issuer) {
        (
            Severity::Medium,
            format!(
                "The certificate names '{}', the CA the trusted vantage saw for {name}, as its issuer, but it does not verify under any key the baseline kept for it. A CA that renewed its key under the same name looks like this; so does a certificate forged in that CA's name.",
                leaf.issuer
            ),
        )
    } else {
        // A leaf sent alone in the usual CA's name, and no key of that CA
        // kept (a version 1 baseline): nothing to compare it with.
        return Vec::new();
    };
    vec![with_detail(
        with_evidence(
            finding(
                FindingCode::IssuerMismatch,
                severity,
                format!("{name} was issued by a different CA than usual"),
                explanation,
            ),
            cert_evidence(leaf),
        ),
        detail,
    )]
}

/// Whether the leaf claims `ca` as its issuer: the same name, and (when
/// both carry one) the same key identifier.
fn claims(leaf: &CertFacts, ca: &BaselineCa) -> bool {
    if leaf.issuer != ca.subject {
        return false;
    }
    match (&leaf.authority_key_id, &ca.key_id) {
        (Some(aki), Some(ski)) => hex(aki) == *ski,
        _ => false,
    }
}

/// Whether a publicly anchored chain comes from the CA the baseline saw,
/// through another intermediate: the same root (by name), or the same
/// operator (the organisation of the issuing CA), and how.
fn same_ca(
    certs: &[CertFacts],
    trust: &TrustOutcome,
    expected: &BaselineEntry,
) -> (bool, &'static str) {
    let top = &certs[trust.path.top().unwrap_or(0)];
    if expected.roots.contains(&top.issuer) {
        return (true, "another intermediate under the same root");
    }
    let operator = certs[0]
        .issuer_dn
        .iter()
        .find(|(attr, _)| *attr == DnAttr::O)
        .map(|(_, o)| o.as_str());
    let seen = expected
        .cas
        .iter()
        .filter_map(|ca| ca.organization.as_deref())
        .any(|o| Some(o) == operator);
    if seen {
        (true, "another intermediate of the same operator")
    } else {
        (false, "")
    }
}

/// `forged-signature` for a leaf that names a CA of the baseline, and its
/// key identifier, but does not verify under that CA's key.
fn forged(name: &str, leaf: &CertFacts, ca: &BaselineCa, detail: String) -> Finding {
    with_detail(
        with_evidence(
            finding(
                FindingCode::ForgedSignature,
                Severity::High,
                "The certificate claims the usual CA as its issuer, but that CA did not sign it",
                format!(
                    "From the trusted vantage in the baseline, {name} was issued by '{}', whose key the \
                     baseline kept. This certificate names that CA and its key identifier as its issuer, \
                     but its signature does not verify with that key: someone else made it and dressed \
                     it as the CA's. A genuine certificate of that CA always verifies under its key.",
                    ca.subject
                ),
            ),
            cert_evidence(leaf),
        ),
        format!("{detail}; baseline CA key SPKI SHA-256 {}", ca.spki_sha256),
    )
}
