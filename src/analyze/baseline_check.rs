//! Baseline comparison: the issuing CA for a domain differs from every CA
//! seen for it from a trusted vantage.

use super::chain::CertFacts;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use crate::baseline::Baseline;
use crate::model::{Finding, FindingCode, Severity};

/// `issuer-mismatch` when the baseline knows the name and neither the
/// leaf's issuer nor any CA key of the chain is among those it accepted.
pub fn check(baseline: Option<&Baseline>, name: &str, certs: &[CertFacts]) -> Vec<Finding> {
    let (Some(baseline), Some(leaf)) = (baseline, certs.first().filter(|c| c.ok())) else {
        return Vec::new();
    };
    let Some(expected) = baseline.get(name) else {
        return Vec::new();
    };
    if expected.issuers.contains(&leaf.issuer) {
        return Vec::new();
    }
    let ca_keys_match = certs
        .iter()
        .skip(1)
        .filter_map(|c| c.spki_hex())
        .any(|k| expected.ca_spki_sha256.contains(&k));
    if ca_keys_match {
        return Vec::new();
    }
    let accepted: Vec<&str> = expected.issuers.iter().map(String::as_str).collect();
    vec![with_detail(
        with_evidence(
            finding(
                FindingCode::IssuerMismatch,
                Severity::High,
                format!("{name} was issued by a different CA than usual"),
                format!(
                    "From the trusted vantage in the baseline, {name} was issued by {}. Here it was \
                     issued by '{}', and no CA key of this chain was seen there.",
                    accepted.join(" or "),
                    leaf.issuer
                ),
            ),
            cert_evidence(leaf),
        ),
        format!("baseline created {}", crate::certinfo::rfc3339(baseline.created_at)),
    )]
}
