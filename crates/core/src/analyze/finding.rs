//! Building findings: one constructor so every finding has the same shape.

use super::chain::CertFacts;
use crate::model::{Evidence, Finding, FindingCode, Severity};

/// A finding about no particular certificate.
pub(crate) fn finding(
    code: FindingCode,
    severity: Severity,
    title: impl Into<String>,
    explanation: impl Into<String>,
) -> Finding {
    Finding {
        code,
        severity,
        title: title.into(),
        explanation: explanation.into(),
        evidence: Evidence::default(),
    }
}

/// Evidence pointing at one served certificate.
pub(crate) fn cert_evidence(cert: &CertFacts) -> Evidence {
    Evidence {
        cert_index: Some(cert.index),
        subject: cert.ok().then(|| cert.subject.clone()),
        sha256: Some(cert.sha256),
        spki_sha256: cert.spki(),
        catalog_id: None,
        detail: None,
    }
}

/// Adds evidence to a finding.
pub(crate) fn with_evidence(mut f: Finding, evidence: Evidence) -> Finding {
    f.evidence = evidence;
    f
}

/// Adds a detail line to a finding's evidence.
pub(crate) fn with_detail(mut f: Finding, detail: impl Into<String>) -> Finding {
    f.evidence.detail = Some(detail.into());
    f
}
