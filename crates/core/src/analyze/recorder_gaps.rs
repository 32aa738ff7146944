//! Chains as the recorder kept them, not as the server sent them. OONI
//! Probe keeps only the certificate named by Go's verification error (the
//! leaf, usually) when its own verification fails, and drops the
//! intermediates (ooni/probe-cli `internal/measurexlite/tls.go`,
//! `TLSPeerCerts`; ooni/probe-engine#614). Such a chain stops at an issuer
//! nobody recorded, which says nothing about the server.

use super::chain::CertFacts;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use crate::encoding::hex;
use crate::model::{Finding, FindingCode, Observation, Severity};

/// Whether the recorder kept only the leaf of a longer chain: an imported
/// observation marked `leaf_only` whose one certificate is not self-issued
/// (a self-signed certificate is a whole chain by itself).
pub(crate) fn leaf_only(obs: &Observation, certs: &[CertFacts]) -> bool {
    obs.imported.as_ref().is_some_and(|i| i.leaf_only)
        && certs.len() == 1
        && certs[0].ok()
        && !certs[0].self_issued()
}

/// The `leaf-only-chain` finding for such a chain.
pub(crate) fn leaf_only_finding(obs: &Observation, leaf: &CertFacts) -> Finding {
    let format = obs
        .imported
        .as_ref()
        .map(|i| i.format.as_str())
        .unwrap_or("the");
    let recorder_said = obs
        .stock_verification
        .as_ref()
        .and_then(|v| v.error.as_deref())
        .map(|e| format!("; the recorder's verification said {e}"))
        .unwrap_or_default();
    let key_id = leaf
        .authority_key_id
        .as_deref()
        .map(|k| format!("authority key identifier {}", hex(k)))
        .unwrap_or_else(|| "no authority key identifier".into());
    let f = finding(
        FindingCode::LeafOnlyChain,
        Severity::Info,
        "Only the leaf certificate was recorded",
        format!(
            "The {format} recorder kept only the server's certificate, not the CA certificates the \
             server sent with it (OONI Probe keeps only the leaf when its own verification fails). \
             The issuing CA '{}' is therefore recognised only by the name and key identifier the \
             leaf gives for it: its key cannot be checked and the chain cannot be built to a root. \
             A leaf carrying an AIA pointer, as public CAs' leaves do, is given the benefit of the \
             doubt; one without is reported as not leading to a trusted root.",
            leaf.issuer
        ),
    );
    with_detail(
        with_evidence(f, cert_evidence(leaf)),
        format!("issuer '{}', {key_id}{recorder_said}", leaf.issuer),
    )
}
