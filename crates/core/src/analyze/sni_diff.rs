//! Control-SNI differential: compares a handshake made with the target
//! name with one made to the same address with a control name. If the
//! target name is answered by another CA, and its chain does not verify,
//! something on the path re-signs connections chosen by name: the
//! Censored Planet method that found the 2019 Kazakhstan interception.
//!
//! Issuing CAs are compared (name, key identifier, key), never leaf bytes:
//! the two names legitimately get different leaves.

use super::issuers::{chain_issuers, same_key};
use crate::model::{Observation, SniComparison, SniOutcome};

fn verified(obs: &Observation) -> Option<bool> {
    obs.stock_verification.as_ref().map(|v| v.ok)
}

/// Compares the control and target handshakes.
pub fn compare(control: &Observation, target: &Observation) -> SniComparison {
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
            if !differs {
                (
                    SniOutcome::SameIssuer,
                    format!(
                        "Both names were answered with chains from the same CA ('{}'). No interception \
                         triggered by the name {target_name} was seen on this path.",
                        ti.issuer.name
                    ),
                )
            } else if target_verified == Some(true) {
                (
                    SniOutcome::IssuerDiffers,
                    format!(
                        "{what}, {}. The target's chain verifies, so this is most likely a server that \
                         holds certificates from several CAs (shared hosting, a CDN), not interception.",
                        key_words(same_name, same_key_)
                    ),
                )
            } else {
                (
                    SniOutcome::SniTriggered,
                    format!(
                        "{what}, {}, and the target's chain does not verify. The same address answers \
                         differently depending only on the name asked for: a device on the path \
                         re-signs connections to {target_name}. This is strong evidence of a targeted \
                         in-network interceptor rather than a misconfigured server.",
                        key_words(same_name, same_key_)
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
        explanation,
    }
}

fn key_words(same_name: Option<bool>, same_key: Option<bool>) -> &'static str {
    match (same_name, same_key) {
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
