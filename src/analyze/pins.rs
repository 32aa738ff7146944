//! Static pins: for a pinned domain, at least one key of the chain (served
//! certificates and the trust anchor the chain built to) must be in the
//! pinset. Browsers skip this check for locally installed roots; mitmwatch
//! does not.

use super::chain::CertFacts;
use super::finding::{finding, with_detail};
use super::trust::TrustOutcome;
use crate::model::{Finding, FindingCode, Severity};
use crate::pins::PinStore;

/// `pin-mismatch` when every pinset that applies to the name rejects the chain.
pub fn check(
    pins: &PinStore,
    name: &str,
    certs: &[CertFacts],
    trust: &TrustOutcome,
) -> Vec<Finding> {
    let applicable = pins.applicable(name);
    if applicable.is_empty() {
        return Vec::new();
    }
    let mut keys: Vec<[u8; 32]> = certs
        .iter()
        .filter(|c| c.ok())
        .map(|c| c.spki_sha256)
        .collect();
    keys.extend(trust.anchor_spki);
    if applicable.iter().any(|p| p.pinset.accepts(&keys)) {
        return Vec::new();
    }
    let sets: Vec<String> = applicable
        .iter()
        .map(|p| format!("{} (for {})", p.pinset.name, p.entry_host))
        .collect();
    vec![with_detail(
        finding(
            FindingCode::PinMismatch,
            Severity::High,
            format!("{name} was served outside its pinned keys"),
            format!(
                "Browsers ship a list of the only certificate authorities allowed to issue for {name} \
                 (static pins). None of the keys in this chain is on that list. Browsers do not enforce \
                 pins when a chain ends in a locally installed root, which is how interception stays \
                 silent; the real site would never be served this way."
            ),
        ),
        format!("pinsets: {}", sets.join("; ")),
    )]
}
