//! Baseline comparison: the issuing CA for a domain differs from every CA
//! seen for it from a trusted vantage.

use super::chain::CertFacts;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use crate::analysis_data::baseline::Baseline;
use crate::model::{Finding, FindingCode, Severity};

/// `issuer-mismatch` when the baseline knows the name and the chain's CA
/// keys are none of those it saw. Keys, not names, are compared: a forged
/// intermediate can copy the genuine one's name. When the server sent no
/// CA certificate (or the baseline recorded none), only the issuer's name
/// can be compared.
pub(crate) fn check(baseline: Option<&Baseline>, name: &str, certs: &[CertFacts]) -> Vec<Finding> {
    let (Some(baseline), Some(leaf)) = (baseline, certs.first().filter(|c| c.ok())) else {
        return Vec::new();
    };
    let Some(expected) = baseline.get(name) else {
        return Vec::new();
    };
    let served_ca_keys: Vec<String> = certs
        .iter()
        .skip(1)
        .filter(|c| c.ok())
        .filter_map(|c| c.spki_hex())
        .collect();
    if served_ca_keys
        .iter()
        .any(|k| expected.ca_spki_sha256.contains(k))
    {
        return Vec::new();
    }
    let same_name = expected.issuers.contains(&leaf.issuer);
    let keys_comparable = !served_ca_keys.is_empty() && !expected.ca_spki_sha256.is_empty();
    if same_name && !keys_comparable {
        return Vec::new();
    }
    let accepted: Vec<&str> = expected.issuers.iter().map(String::as_str).collect();
    let explanation = if same_name {
        format!(
            "From the trusted vantage in the baseline, {name} was issued by '{}' under other keys. Here the \
             issuing CA carries the same name but none of the keys seen there: a CA that renewed its key \
             since the baseline was made, or a forged CA copying the genuine one's name.",
            leaf.issuer
        )
    } else {
        format!(
            "From the trusted vantage in the baseline, {name} was issued by {}. Here it was issued by \
             '{}', and no CA key of this chain was seen there.",
            accepted.join(" or "),
            leaf.issuer
        )
    };
    vec![with_detail(
        with_evidence(
            finding(
                FindingCode::IssuerMismatch,
                Severity::High,
                format!("{name} was issued by a different CA than usual"),
                explanation,
            ),
            cert_evidence(leaf),
        ),
        format!(
            "baseline created {}; CA keys served: {}",
            crate::certinfo::rfc3339(baseline.created_at),
            if served_ca_keys.is_empty() {
                "none".to_string()
            } else {
                served_ca_keys.join(", ")
            }
        ),
    )]
}
