//! Static pins: for a pinned domain, at least one key of the chain (served
//! certificates and the trust anchor the chain built to) must be in the
//! pinset. Browsers skip this check for locally installed roots; mitmwatch
//! does not. The pin data is dated, and so is each observation.

use super::chain::CertFacts;
use super::finding::{finding, with_detail};
use super::trust::TrustOutcome;
use crate::analysis_data::static_pins::PinStore;
use crate::model::{Finding, FindingCode, Severity};
use time::{Duration, OffsetDateTime};

/// How long before the pin data's date an observation may be and still be
/// judged by it: pinsets change rarely, but they do change.
pub(crate) const PIN_DATA_REACH_BACK: Duration = Duration::days(180);

/// `pin-mismatch` when every pinset that applies to the name rejects the
/// chain. It is proof (`high`) only when the chain builds to a root (public
/// or added locally) and the pin data was current when the chain was
/// served; otherwise it cannot be settled (`medium`), or, for a chain that
/// was publicly trusted when served long before the pin data, it is a note
/// (`low`): the site's pins of that time are not known.
pub(crate) fn check(
    pins: &PinStore,
    name: &str,
    certs: &[CertFacts],
    trust: &TrustOutcome,
    observed_at: OffsetDateTime,
) -> Vec<Finding> {
    // Without a leaf there is no chain to hold to the pins.
    if !certs.first().is_some_and(|c| c.ok()) {
        return Vec::new();
    }
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
    let older_than_data = pins
        .as_of
        .filter(|day| observed_at.date() < *day - PIN_DATA_REACH_BACK);
    let publicly_trusted = trust.trusted && trust.anchor_public;
    let (severity, explanation) = if let Some(day) = older_than_data {
        (
            // A chain public CAs vouched for then, judged by pins of years
            // later: worth a note, no more.
            if publicly_trusted {
                Severity::Low
            } else {
                Severity::Medium
            },
            format!(
                "None of the keys in this chain is among the certificate authorities that browsers' static \
                 pins allow for {name}. But the pin data is from {day} and the chain was served on {}: the \
                 site's pins may have allowed this CA then. This cannot be settled from today's pins.",
                observed_at.date()
            ),
        )
    } else if trust.trusted {
        (
            Severity::High,
            format!(
                "Browsers ship a list of the only certificate authorities allowed to issue for {name} \
                 (static pins). None of the keys in this chain is on that list, yet the chain builds to \
                 a root your trust store accepts. Browsers do not enforce pins when a chain ends in a \
                 locally installed root, which is how interception stays silent; the real site would \
                 never be served this way."
            ),
        )
    } else {
        (
            Severity::Medium,
            format!(
                "None of the keys in this chain is among the certificate authorities that browsers' static \
                 pins allow for {name}. The chain does not build to a trusted root either, so this may be \
                 a CA your trust store lacks and the pin data does not know; it cannot be settled."
            ),
        )
    };
    let date = pins
        .as_of
        .map_or_else(|| "undated".to_string(), |d| d.to_string());
    vec![with_detail(
        finding(
            FindingCode::PinMismatch,
            severity,
            format!("{name} was served outside its pinned keys"),
            explanation,
        ),
        format!("pinsets: {}; pin data as of {date}", sets.join("; ")),
    )]
}
