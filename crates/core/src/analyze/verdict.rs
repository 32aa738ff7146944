//! The verdict rules (documented in the README). `intercepted` needs
//! positive evidence; what cannot be settled is `suspicious`, with the
//! benign explanation in its findings.
//!
//! 1. No certificate was received: `error`.
//! 2. Any `high` finding: `intercepted`. Only positive evidence is `high`:
//!    a catalog match by key, a pin violation on a chain that builds to a
//!    root, an invalid SCT on a chain that is not publicly trusted, a
//!    forged leaf signature under a known CA, a baseline key mismatch, one
//!    leaf key for unrelated names on a chain that is not publicly trusted.
//! 3. A CA minting leaves the way interceptors do, on a leaf that no valid
//!    SCT shows to be publicly logged: `intercepted` when
//!    - its issuer is a CA the server itself sent that leads to no trusted
//!      root, or a root added on this machine, and the leaf has a forged
//!      trait other than freshness (`weak-leaf-key`, `stripped-extensions`,
//!      `leaf-key-reuse`, `sct-missing`), or
//!    - its issuer is named like a known interception product (on a chain
//!      that is not publicly anchored, leaf not self-signed) and the leaf
//!      has any forged trait, `freshly-minted` included.
//! 4. Any `medium` finding: `suspicious`.
//! 5. Otherwise: `clean`.

use crate::model::{ChainTrust, Finding, FindingCode, Severity, Verdict};

/// Findings that describe how interceptors mint leaves.
pub(crate) const FORGED_LEAF_TRAITS: [FindingCode; 5] = [
    FindingCode::WeakLeafKey,
    FindingCode::StrippedExtensions,
    FindingCode::FreshlyMinted,
    FindingCode::LeafKeyReuse,
    FindingCode::SctMissing,
];

/// Applies the rules to an observation's findings and the trust its chain
/// reached (`None`: no certificate was received).
pub(crate) fn verdict(findings: &[Finding], trust: Option<ChainTrust>) -> Verdict {
    let Some(trust) = trust else {
        return Verdict::Error;
    };
    let worst = findings.iter().map(|f| f.severity).max();
    if worst == Some(Severity::High) {
        return Verdict::Intercepted;
    }
    if mints_like_an_interceptor(findings, trust) {
        return Verdict::Intercepted;
    }
    if worst == Some(Severity::Medium) {
        return Verdict::Suspicious;
    }
    Verdict::Clean
}

/// Rule 3: a CA that is not a public one, or is named like an interception
/// product, issued a leaf with a forged-leaf trait.
fn mints_like_an_interceptor(findings: &[Finding], trust: ChainTrust) -> bool {
    let has = |code: FindingCode| findings.iter().any(|f| f.code == code);
    if has(FindingCode::PubliclyLogged) {
        return false;
    }
    let any_trait = FORGED_LEAF_TRAITS.iter().any(|&code| has(code));
    // A fresh leaf alone is what any CA with short-lived certificates
    // serves (a private CA's 24-hour leaves, a renewal this morning).
    let strong_trait = FORGED_LEAF_TRAITS
        .iter()
        .any(|&code| code != FindingCode::FreshlyMinted && has(code));
    let named_like_product = has(FindingCode::KnownInterceptionRoot)
        && !trust.publicly_anchored()
        && trust != ChainTrust::SelfSigned;
    (named_like_product && any_trait)
        || (matches!(trust, ChainTrust::ServedUntrustedCa | ChainTrust::Local) && strong_trait)
}

/// Orders findings most severe first, then by code.
pub(crate) fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(&b.code)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::finding::finding;

    fn f(code: FindingCode, severity: Severity) -> Finding {
        finding(code, severity, "", "")
    }

    #[test]
    fn rules_in_order() {
        use ChainTrust::*;
        assert_eq!(verdict(&[], None), Verdict::Error);
        assert_eq!(verdict(&[], Some(Public)), Verdict::Clean);
        assert_eq!(
            verdict(
                &[f(FindingCode::Expired, Severity::Low)],
                Some(AnchoredRejected)
            ),
            Verdict::Clean
        );
        let untrusted = f(FindingCode::UntrustedRoot, Severity::Medium);
        assert_eq!(
            verdict(std::slice::from_ref(&untrusted), Some(UnknownIssuer)),
            Verdict::Suspicious
        );
        let fresh = f(FindingCode::FreshlyMinted, Severity::Low);
        let no_scts = f(FindingCode::SctMissing, Severity::Low);
        // A fresh leaf whose issuer nobody sent: a server that forgot its
        // intermediate right after a renewal looks exactly like this.
        let forgot = [untrusted.clone(), fresh.clone()];
        assert_eq!(verdict(&forgot, Some(UnknownIssuer)), Verdict::Suspicious);
        // A fresh leaf under a CA the server sent: a private CA's
        // short-lived leaves look like this.
        assert_eq!(
            verdict(&forgot, Some(ServedUntrustedCa)),
            Verdict::Suspicious
        );
        // A leaf without SCTs in a public CA's name, under a CA the server
        // sent itself: minting.
        let minted = [untrusted.clone(), no_scts.clone()];
        assert_eq!(verdict(&minted, Some(UnknownIssuer)), Verdict::Suspicious);
        assert_eq!(
            verdict(&minted, Some(ServedUntrustedCa)),
            Verdict::Intercepted
        );
        // ... unless a valid SCT shows a public CA logged it.
        let logged = [
            untrusted.clone(),
            no_scts.clone(),
            f(FindingCode::PubliclyLogged, Severity::Info),
        ];
        assert_eq!(
            verdict(&logged, Some(ServedUntrustedCa)),
            Verdict::Suspicious
        );
        // A self-signed leaf is not a CA minting leaves.
        let stripped = f(FindingCode::StrippedExtensions, Severity::Low);
        assert_eq!(
            verdict(&[untrusted.clone(), stripped.clone()], Some(SelfSigned)),
            Verdict::Suspicious
        );
        // A locally added root minting.
        let local = f(FindingCode::LocalRoot, Severity::Medium);
        assert_eq!(
            verdict(std::slice::from_ref(&local), Some(Local)),
            Verdict::Suspicious
        );
        assert_eq!(
            verdict(&[local.clone(), fresh.clone()], Some(Local)),
            Verdict::Suspicious
        );
        assert_eq!(
            verdict(&[local, stripped.clone()], Some(Local)),
            Verdict::Intercepted
        );
        // A name-only catalog match: suspicious alone, intercepted with a trait.
        let named = f(FindingCode::KnownInterceptionRoot, Severity::Medium);
        assert_eq!(
            verdict(std::slice::from_ref(&named), Some(UnknownIssuer)),
            Verdict::Suspicious
        );
        assert_eq!(
            verdict(&[named.clone(), fresh.clone()], Some(UnknownIssuer)),
            Verdict::Intercepted
        );
        assert_eq!(verdict(&[named, fresh], Some(Public)), Verdict::Suspicious);
        // Low findings alone never make a verdict.
        let ct_only = [
            f(FindingCode::SctMissing, Severity::Low),
            f(FindingCode::SctInvalid, Severity::Low),
            f(FindingCode::SctUnknownLog, Severity::Info),
            f(FindingCode::CtNoncompliant, Severity::Low),
        ];
        assert_eq!(verdict(&ct_only, Some(Public)), Verdict::Clean);
        for code in [
            FindingCode::SctInvalid,
            FindingCode::PinMismatch,
            FindingCode::ForgedSignature,
            FindingCode::KnownInterceptionRoot,
        ] {
            assert_eq!(
                verdict(&[f(code, Severity::High)], Some(Public)),
                Verdict::Intercepted
            );
        }
    }
}
