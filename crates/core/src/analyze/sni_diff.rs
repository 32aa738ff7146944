//! Control-SNI differential: compares a handshake made with the target
//! name with one made to the same address with a control name. If the
//! target name is answered by another CA, and the analyzer judges the
//! target's chain `intercepted` but not the control's, something on the
//! path re-signs connections chosen by name: the Censored Planet method
//! that found the 2019 Kazakhstan interception.
//!
//! The conclusion rests on the analyzer's verdicts of both handshakes,
//! never on stock verification alone: a shared host whose default virtual
//! host has an expired certificate, or one from another CA, fails stock
//! verification without anyone intercepting.
//!
//! Issuing CAs are compared (name, key identifier, key), never leaf bytes:
//! the two names legitimately get different leaves.

use super::issuers::{chain_issuers, same_key};
use crate::model::{Observation, SniComparison, SniOutcome, Verdict};

fn verified(obs: &Observation) -> Option<bool> {
    obs.stock_verification.as_ref().map(|v| v.ok)
}

/// The analyzer's verdicts of the two handshakes of a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdicts {
    /// The control name's handshake.
    pub control: Verdict,
    /// The target name's handshake.
    pub target: Verdict,
}

/// Compares the control and target handshakes, given the analyzer's
/// verdict of each.
pub fn compare(control: &Observation, target: &Observation, verdicts: Verdicts) -> SniComparison {
    let c = chain_issuers(&control.chain);
    let t = chain_issuers(&target.chain);
    let control_name = control.target.expected_name();
    let target_name = target.target.expected_name();
    let (same_name, same_key_) = match (&c, &t) {
        (Some(c), Some(t)) => (
            Some(c.issuer.name == t.issuer.name),
            same_key(&c.issuer, &t.issuer),
        ),
        _ => (None, None),
    };
    let target_verified = t.as_ref().and(verified(target));
    let control_verified = c.as_ref().and(verified(control));
    let (outcome, explanation) = match (&c, &t) {
        (None, None) => (
            SniOutcome::BothFailed,
            format!(
                "Neither handshake returned a certificate chain ({target_name}: {}; {control_name}: {}). \
                 Nothing can be compared.",
                why(target),
                why(control)
            ),
        ),
        (None, Some(_)) => (
            SniOutcome::ControlFailed,
            format!(
                "The control name {control_name} got no certificate chain ({}), so the target's chain \
                 has nothing to be compared with. Try another --control-sni.",
                why(control)
            ),
        ),
        (Some(_), None) => (
            SniOutcome::TargetFailed,
            format!(
                "The same address answered the control name {control_name} but not {target_name} ({}). \
                 The connection is blocked or reset because of the name: SNI-based blocking, \
                 which is censorship but not interception.",
                why(target)
            ),
        ),
        (Some(ci), Some(ti)) => {
            let differs = same_name == Some(false) || same_key_ == Some(false);
            let what = format!(
                "{target_name} was issued by '{}', the control name {control_name} by '{}'",
                ti.issuer.name, ci.issuer.name
            );
            // Names and key identifiers can be copied: the issuers look
            // alike, but the analyzer's verdicts say which chain is forged.
            let split =
                verdicts.target == Verdict::Intercepted && verdicts.control != Verdict::Intercepted;
            if !differs && !split {
                (
                    SniOutcome::SameIssuer,
                    format!(
                        "Both names were answered with chains from the same CA ('{}'). No interception \
                         triggered by the name {target_name} was seen on this path.",
                        ti.issuer.name
                    ),
                )
            } else if split {
                (
                    SniOutcome::SniTriggered,
                    format!(
                        "{what}, {}, and the analyzer judges the target's chain intercepted but not the \
                         control's. The same address answers differently depending only on the name asked \
                         for: a device on the path re-signs connections to {target_name}. This is strong \
                         evidence of a targeted in-network interceptor rather than a misconfigured server.",
                        key_words(same_name, same_key_)
                    ),
                )
            } else if verdicts.target == Verdict::Intercepted {
                (
                    SniOutcome::IssuerDiffers,
                    format!(
                        "{what}, {}, and the analyzer judges both chains intercepted: whatever intercepts \
                         here does not choose by name. See each observation's findings.",
                        key_words(same_name, same_key_)
                    ),
                )
            } else {
                (
                    SniOutcome::IssuerDiffers,
                    format!(
                        "{what}, {}, but the analyzer does not judge the target's chain intercepted \
                         ({}). Servers that hold certificates from several CAs (shared hosting, a CDN) \
                         answer like this, and a default virtual host with an expired or other CA's \
                         certificate fails verification without anyone intercepting. Not evidence of \
                         interception on its own.",
                        key_words(same_name, same_key_),
                        verdicts.target
                    ),
                )
            }
        }
    };
    SniComparison {
        outcome,
        control_issuer: c.map(|c| c.issuer),
        target_issuer: t.map(|t| t.issuer),
        same_issuer_name: same_name,
        same_issuer_key: same_key_,
        target_verified,
        control_verified,
        target_verdict: verdicts.target,
        control_verdict: verdicts.control,
        explanation,
    }
}

fn key_words(same_name: Option<bool>, same_key: Option<bool>) -> &'static str {
    match (same_name, same_key) {
        (Some(true), Some(true)) | (Some(true), None) => {
            "a CA of the same name and key identifier, which a forged certificate can copy"
        }
        (Some(true), Some(false)) => "a CA of the same name but with another key (an imitation)",
        (_, Some(false)) => "a different CA with a different key",
        _ => "a different CA",
    }
}

fn why(obs: &Observation) -> String {
    obs.failure
        .clone()
        .unwrap_or_else(|| format!("status {}", obs.status))
}
