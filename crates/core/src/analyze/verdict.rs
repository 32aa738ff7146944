//! The verdict rules (documented in docs/verdicts.md). `intercepted` needs
//! positive evidence, and the finding that is that evidence is always
//! `high`; what cannot be settled is `suspicious`, with the benign
//! explanation in its findings.
//!
//! 1. No certificate was received: `error`.
//! 2. Any `high` finding: `intercepted`. Only positive evidence is `high`:
//!    a catalog match by key, a pin violation on a chain that builds to a
//!    root while the pin data is current (or under a local root), an
//!    invalid SCT on a chain that is not publicly trusted, a forged
//!    signature under a known CA, an end entity acting as a CA, a baseline
//!    CA key contradicted, one leaf key for unrelated domains on a chain
//!    that is not publicly trusted, and rule 3's `minted-leaf`.
//! 3. A CA minting leaves the way interceptors do, for a name a public CA
//!    could certify, on a leaf that no valid SCT from a counted log shows
//!    to be publicly logged, adds `minted-leaf` (high), so `intercepted`,
//!    when
//!    - its issuer is a CA the server itself sent that leads to no trusted
//!      root, or a root added on this machine, that verifiably signed it,
//!      and the leaf has a forged trait other than freshness (see
//!      [`STRONG_TRAITS`]), or
//!    - its issuer is named like a known interception product (on a chain
//!      that is not publicly anchored, leaf not self-signed) and the leaf
//!      has any forged trait, `freshly-minted` included.
//!
//!    For names no public CA may certify (`.internal`, `.local`, `.lan`,
//!    `home.arpa`, single labels, private addresses: see
//!    [`super::private_names`]) a private CA is the normal issuer, so rule
//!    3 does not apply there.
//! 4. Any `medium` finding: `suspicious`.
//! 5. Otherwise: `clean`.

use super::finding::{finding, with_detail, with_evidence};
use super::private_names::is_private_use;
use crate::model::{ChainTrust, Evidence, Finding, FindingCode, Severity, Verdict};

/// Traits of leaves minted on the fly, other than freshness: each alone
/// has a benign explanation, given in its finding.
pub(crate) const STRONG_TRAITS: [FindingCode; 9] = [
    FindingCode::WeakLeafKey,
    FindingCode::StrippedExtensions,
    FindingCode::LeafKeyReuse,
    FindingCode::SctMissing,
    FindingCode::SctUnknownLog,
    FindingCode::LeafKeyIsCaKey,
    FindingCode::LeafOutlivesIssuer,
    FindingCode::InvalidSerial,
    FindingCode::MalformedCountry,
];

/// Applies rules 1, 2, 4 and 5 to an observation's findings (rule 3 has
/// added its finding before: [`minting`]) and the trust its chain reached
/// (`None`: no certificate was received).
pub(crate) fn verdict(findings: &[Finding], trust: Option<ChainTrust>) -> Verdict {
    if trust.is_none() {
        return Verdict::Error;
    }
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::High) => Verdict::Intercepted,
        Some(Severity::Medium) => Verdict::Suspicious,
        _ => Verdict::Clean,
    }
}

/// Rule 3: the `minted-leaf` finding, when a CA that is not a public one,
/// or is named like an interception product, issued a leaf for `name` with
/// the traits of on-the-fly minting. `None` when the rule does not apply
/// or its finding is already there.
pub(crate) fn minting(findings: &[Finding], trust: ChainTrust, name: &str) -> Option<Finding> {
    let has = |code: FindingCode| findings.iter().any(|f| f.code == code);
    // A trait is a finding of at least low weight: `sct-unknown-log` is
    // information only unless the chain claims a public CA it does not
    // reach (then the CT check makes it low).
    let has_trait = |code: FindingCode| {
        findings
            .iter()
            .any(|f| f.code == code && f.severity >= Severity::Low)
    };
    if has(FindingCode::MintedLeaf) || has(FindingCode::PubliclyLogged) || is_private_use(name) {
        return None;
    }
    let strong: Vec<FindingCode> = STRONG_TRAITS
        .into_iter()
        .filter(|&c| has_trait(c))
        .collect();
    // A fresh leaf alone is what any CA with short-lived certificates
    // serves (a private CA's 24-hour leaves, a renewal this morning).
    let fresh = has(FindingCode::FreshlyMinted);
    let product = findings
        .iter()
        .find(|f| f.code == FindingCode::KnownInterceptionRoot && f.severity < Severity::High)
        .filter(|_| !trust.publicly_anchored() && trust != ChainTrust::SelfSigned);
    // The CA minted the leaf only if it verifiably signed it.
    let local = matches!(trust, ChainTrust::Local | ChainTrust::LocalRejected);
    let own_ca = (local || trust == ChainTrust::ServedUntrustedCa)
        && !has(FindingCode::UnverifiableSignature);
    let (grounds, cause) = if let Some(named) = product.filter(|_| fresh || !strong.is_empty()) {
        (
            format!(
                "a CA named like a known interception product ({})",
                named.title
            ),
            named,
        )
    } else if own_ca && !strong.is_empty() {
        let code = if local {
            FindingCode::LocalRoot
        } else {
            FindingCode::UntrustedRoot
        };
        let cause = findings.iter().find(|f| f.code == code)?;
        let who = if local {
            "a root added on this machine"
        } else {
            "a CA the server sent itself, which leads to no trusted root"
        };
        (who.to_string(), cause)
    } else {
        return None;
    };
    let mut traits: Vec<&str> = strong.iter().map(|c| c.as_str()).collect();
    if fresh {
        traits.push(FindingCode::FreshlyMinted.as_str());
    }
    let evidence = Evidence {
        detail: None,
        ..cause.evidence.clone()
    };
    Some(with_detail(
        with_evidence(
            finding(
                FindingCode::MintedLeaf,
                Severity::High,
                "The certificate was minted the way interception software does",
                format!(
                    "The certificate for {name} was issued by {grounds}, and it has the traits of a \
                     certificate made on the fly: {}. No valid SCT shows that a public CA logged it, \
                     and {name} is a name that only public CAs may certify for the public. Each trait \
                     alone has a harmless explanation (see its finding); together, under a CA that is \
                     not a public one, they are how interception software mints certificates.",
                    traits.join(", ")
                ),
            ),
            evidence,
        ),
        format!("traits: {}", traits.join(", ")),
    ))
}

/// Adds rule 3's finding if it applies, orders the findings most severe
/// first, and returns the verdict.
pub(crate) fn conclude(
    findings: &mut Vec<Finding>,
    trust: Option<ChainTrust>,
    name: &str,
) -> Verdict {
    if let Some(t) = trust {
        findings.extend(minting(findings, t, name));
    }
    rank(findings);
    verdict(findings, trust)
}

/// Orders findings most severe first, then by code.
pub(crate) fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(&b.code)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(code: FindingCode, severity: Severity) -> Finding {
        finding(code, severity, "", "")
    }

    fn judge(findings: &[Finding], trust: Option<ChainTrust>) -> Verdict {
        conclude(&mut findings.to_vec(), trust, "example.com")
    }

    #[test]
    fn rules_in_order() {
        use ChainTrust::*;
        assert_eq!(judge(&[], None), Verdict::Error);
        assert_eq!(judge(&[], Some(Public)), Verdict::Clean);
        assert_eq!(
            judge(
                &[f(FindingCode::Expired, Severity::Low)],
                Some(AnchoredRejected)
            ),
            Verdict::Clean
        );
        let untrusted = f(FindingCode::UntrustedRoot, Severity::Medium);
        assert_eq!(
            judge(std::slice::from_ref(&untrusted), Some(UnknownIssuer)),
            Verdict::Suspicious
        );
        let fresh = f(FindingCode::FreshlyMinted, Severity::Low);
        let no_scts = f(FindingCode::SctMissing, Severity::Low);
        // A fresh leaf whose issuer nobody sent: a server that forgot its
        // intermediate right after a renewal looks exactly like this.
        let forgot = [untrusted.clone(), fresh.clone()];
        assert_eq!(judge(&forgot, Some(UnknownIssuer)), Verdict::Suspicious);
        // A fresh leaf under a CA the server sent: a private CA's
        // short-lived leaves look like this.
        assert_eq!(judge(&forgot, Some(ServedUntrustedCa)), Verdict::Suspicious);
        // A leaf without SCTs in a public CA's name, under a CA the server
        // sent itself: minting, and the finding that says so is high.
        let minted = [untrusted.clone(), no_scts.clone()];
        assert_eq!(judge(&minted, Some(UnknownIssuer)), Verdict::Suspicious);
        let mut judged = minted.to_vec();
        assert_eq!(
            conclude(&mut judged, Some(ServedUntrustedCa), "example.com"),
            Verdict::Intercepted
        );
        assert_eq!(judged[0].code, FindingCode::MintedLeaf);
        assert_eq!(judged[0].severity, Severity::High);
        // ... not for a name only a private CA may certify ...
        for private in ["bmc01.internal", "10.0.0.5", "printer"] {
            assert_eq!(
                conclude(&mut minted.to_vec(), Some(ServedUntrustedCa), private),
                Verdict::Suspicious,
                "{private}"
            );
        }
        // ... and not when a valid SCT shows a public CA logged it.
        let logged = [
            untrusted.clone(),
            no_scts.clone(),
            f(FindingCode::PubliclyLogged, Severity::Info),
        ];
        assert_eq!(judge(&logged, Some(ServedUntrustedCa)), Verdict::Suspicious);
        // A self-signed leaf is not a CA minting leaves.
        let stripped = f(FindingCode::StrippedExtensions, Severity::Low);
        assert_eq!(
            judge(&[untrusted.clone(), stripped.clone()], Some(SelfSigned)),
            Verdict::Suspicious
        );
        // A locally added root minting.
        let local = f(FindingCode::LocalRoot, Severity::Medium);
        assert_eq!(
            judge(std::slice::from_ref(&local), Some(Local)),
            Verdict::Suspicious
        );
        assert_eq!(
            judge(&[local.clone(), fresh.clone()], Some(Local)),
            Verdict::Suspicious
        );
        assert_eq!(
            judge(&[local, stripped.clone()], Some(Local)),
            Verdict::Intercepted
        );
        // A name-only catalog match: suspicious alone, intercepted with a trait.
        let named = f(FindingCode::KnownInterceptionRoot, Severity::Medium);
        assert_eq!(
            judge(std::slice::from_ref(&named), Some(UnknownIssuer)),
            Verdict::Suspicious
        );
        assert_eq!(
            judge(&[named.clone(), fresh.clone()], Some(UnknownIssuer)),
            Verdict::Intercepted
        );
        assert_eq!(judge(&[named, fresh], Some(Public)), Verdict::Suspicious);
        // The new traits count like the old ones.
        for code in [
            FindingCode::LeafKeyIsCaKey,
            FindingCode::LeafOutlivesIssuer,
            FindingCode::InvalidSerial,
            FindingCode::MalformedCountry,
        ] {
            assert_eq!(
                judge(
                    &[untrusted.clone(), f(code, Severity::Low)],
                    Some(ServedUntrustedCa)
                ),
                Verdict::Intercepted,
                "{code:?}"
            );
        }
        // An SCT from an unknown log is a trait only when the CT check
        // weighs it (a chain claiming a public CA it does not reach).
        let unknown_log = |severity| f(FindingCode::SctUnknownLog, severity);
        assert_eq!(
            judge(
                &[untrusted.clone(), unknown_log(Severity::Info)],
                Some(ServedUntrustedCa)
            ),
            Verdict::Suspicious
        );
        assert_eq!(
            judge(
                &[untrusted.clone(), unknown_log(Severity::Low)],
                Some(ServedUntrustedCa)
            ),
            Verdict::Intercepted
        );
        // Low findings alone never make a verdict.
        let ct_only = [
            f(FindingCode::SctMissing, Severity::Low),
            f(FindingCode::SctInvalid, Severity::Low),
            f(FindingCode::SctUnknownLog, Severity::Info),
            f(FindingCode::CtNoncompliant, Severity::Low),
        ];
        assert_eq!(judge(&ct_only, Some(Public)), Verdict::Clean);
        for code in [
            FindingCode::SctInvalid,
            FindingCode::PinMismatch,
            FindingCode::ForgedSignature,
            FindingCode::KnownInterceptionRoot,
            FindingCode::NonCaIssuer,
        ] {
            assert_eq!(
                judge(&[f(code, Severity::High)], Some(Public)),
                Verdict::Intercepted
            );
        }
    }
}
