//! The verdict rules (documented in the README):
//!
//! 1. no certificate was received -> `error`;
//! 2. any `high` finding -> `intercepted`;
//! 3. `untrusted-root` together with a forged-leaf trait (`weak-leaf-key`,
//!    `stripped-extensions`, `freshly-minted`, `leaf-key-reuse`,
//!    `sct-missing`) on a leaf that is not self-signed -> `intercepted`:
//!    someone runs a CA that mints leaves the way interceptors do. On an
//!    untrusted chain `sct-missing` means the chain is issued in a public
//!    root's name but the leaf lacks the SCTs a public CA's leaf carries;
//! 4. any `medium` finding -> `suspicious`;
//! 5. otherwise -> `clean`.
//!
//! `sct-invalid` on a chain that is not publicly trusted is `high` (a real
//! CT log signed a different certificate: the leaf copies a genuine one), so
//! rule 2 makes it `intercepted`. On a publicly trusted chain it is `low`.
//! `sct-unknown-log` and `ct-noncompliant` never go above `low`.

use crate::model::{Finding, FindingCode, Severity, Verdict};

const FORGED_LEAF_TRAITS: [FindingCode; 5] = [
    FindingCode::WeakLeafKey,
    FindingCode::StrippedExtensions,
    FindingCode::FreshlyMinted,
    FindingCode::LeafKeyReuse,
    FindingCode::SctMissing,
];

/// Applies the rules. `leaf_self_signed` disables rule 3.
pub fn verdict(findings: &[Finding], chain_received: bool, leaf_self_signed: bool) -> Verdict {
    if !chain_received {
        return Verdict::Error;
    }
    let worst = findings.iter().map(|f| f.severity).max();
    if worst == Some(Severity::High) {
        return Verdict::Intercepted;
    }
    let untrusted = findings
        .iter()
        .any(|f| f.code == FindingCode::UntrustedRoot);
    let forged_trait = findings
        .iter()
        .any(|f| FORGED_LEAF_TRAITS.contains(&f.code));
    if untrusted && forged_trait && !leaf_self_signed {
        return Verdict::Intercepted;
    }
    if worst == Some(Severity::Medium) {
        return Verdict::Suspicious;
    }
    Verdict::Clean
}

/// Orders findings most severe first, then by code.
pub fn rank(findings: &mut [Finding]) {
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
        assert_eq!(verdict(&[], false, false), Verdict::Error);
        assert_eq!(verdict(&[], true, false), Verdict::Clean);
        assert_eq!(
            verdict(
                &[f(FindingCode::IncompleteChain, Severity::Info)],
                true,
                false
            ),
            Verdict::Clean
        );
        assert_eq!(
            verdict(
                &[f(FindingCode::UntrustedRoot, Severity::Medium)],
                true,
                false
            ),
            Verdict::Suspicious
        );
        let forged = [
            f(FindingCode::UntrustedRoot, Severity::Medium),
            f(FindingCode::StrippedExtensions, Severity::Low),
        ];
        assert_eq!(verdict(&forged, true, false), Verdict::Intercepted);
        assert_eq!(verdict(&forged, true, true), Verdict::Suspicious);
        let no_scts = [
            f(FindingCode::UntrustedRoot, Severity::Medium),
            f(FindingCode::SctMissing, Severity::Low),
        ];
        assert_eq!(verdict(&no_scts, true, false), Verdict::Intercepted);
        // On their own, CT findings of low weight never make a verdict.
        let ct_only = [
            f(FindingCode::SctMissing, Severity::Low),
            f(FindingCode::SctInvalid, Severity::Low),
            f(FindingCode::SctUnknownLog, Severity::Info),
            f(FindingCode::CtNoncompliant, Severity::Low),
        ];
        assert_eq!(verdict(&ct_only, true, false), Verdict::Clean);
        assert_eq!(
            verdict(&[f(FindingCode::SctInvalid, Severity::High)], true, false),
            Verdict::Intercepted
        );
        assert_eq!(
            verdict(&[f(FindingCode::PinMismatch, Severity::High)], true, false),
            Verdict::Intercepted
        );
    }
}
