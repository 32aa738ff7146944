//! Static pins: for a pinned domain, at least one key of the chain (served
//! certificates and the trust anchor the chain built to) must be in the
//! pinset. Browsers skip this check for locally installed roots; mitmwatch
//! does not. The pin data is dated, and so is each observation: sites
//! change CAs, so Chrome stops enforcing its static pins once its list is
//! more than about ten weeks old, and so does mitmwatch for chains that
//! build to a public root. A pinned name served under a chain that is not
//! publicly anchored stays evidence whatever the pins' age: no change of
//! public CA explains it.

use super::chain::CertFacts;
use super::finding::{finding, with_detail};
use super::trust::{ProvenKeys, TrustOutcome};
use crate::analysis_data::static_pins::PinStore;
use crate::model::{Finding, FindingCode, Fingerprint, Severity};
use std::cell::LazyCell;
use time::{Duration, OffsetDateTime};

/// How long before the pin data's date an observation may be and still be
/// judged by it: pinsets change rarely, but they do change.
pub(crate) const PIN_DATA_REACH_BACK: Duration = Duration::days(180);

/// How old pin data may be at the validation time and still be enforced on
/// publicly trusted chains: Chrome's 70 days (its static pins are not
/// enforced when the build is older than that; `net/http/
/// transport_security_state.cc`, `IsBuildTimely`).
pub(crate) const PIN_DATA_MAX_AGE: Duration =
    Duration::days(crate::analysis_data::data_used::PIN_DATA_MAX_AGE_DAYS);

/// `pin-mismatch` when every pinset that applies to the name rejects the
/// chain. It is proof (`high`) when the chain builds to a root added on
/// this machine, whatever the pins' age, and when it builds to a public
/// root while the pin data is current at the validation time `at` and was
/// current when the chain was served. A publicly anchored chain judged
/// with stale pins gets a note (`low`): the site may have changed CAs
/// since. A chain that reaches no root cannot be settled (`medium`): it
/// may be a CA your trust store lacks.
pub(crate) fn check(
    pins: &PinStore,
    name: &str,
    certs: &[CertFacts],
    trust: &TrustOutcome,
    proven: &LazyCell<ProvenKeys, impl FnOnce() -> ProvenKeys>,
    observed_at: OffsetDateTime,
    at: OffsetDateTime,
) -> Vec<Finding> {
    // Without a leaf there is no chain to hold to the pins.
    if !certs.first().is_some_and(|c| c.ok()) {
        return Vec::new();
    }
    let applicable = pins.applicable(name);
    if applicable.is_empty() {
        return Vec::new();
    }
    // Only keys of the chain that was shown to issue the leaf count, as in
    // Chrome, which checks the verified chain: a pinned CA merely sent
    // along proves nothing.
    let mut keys: Vec<Fingerprint> = certs.first().and_then(|c| c.spki()).into_iter().collect();
    keys.extend(&proven.cas);
    keys.extend(proven.anchor);
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
    let stale = pins.as_of.filter(|day| at.date() - *day > PIN_DATA_MAX_AGE);
    let (severity, explanation) = if trust.trusted && !trust.anchor_public {
        (
            Severity::High,
            format!(
                "Browsers ship a list of the only certificate authorities allowed to issue for {name} \
                 (static pins). None of the keys in this chain is on that list, and the chain builds \
                 to a root added on this machine, not to a public one. Browsers do not enforce pins \
                 when a chain ends in a locally installed root, which is how interception stays \
                 silent. Pins may be out of date, but no change of public CA explains a local root."
            ),
        )
    } else if let Some(day) = older_than_data.filter(|_| trust.publicly_anchored()) {
        // A chain public CAs vouched for then, judged by pins of years
        // later: worth a note, no more.
        (
            Severity::Low,
            format!(
                "None of the keys in this chain is among the certificate authorities that browsers' static \
                 pins allow for {name}. But the pin data is from {day} and the chain was served on {}: the \
                 site's pins may have allowed this CA then. This cannot be settled from these pins.",
                observed_at.date()
            ),
        )
    } else if let Some(day) = stale.filter(|_| trust.publicly_anchored()) {
        (
            Severity::Low,
            format!(
                "None of the keys in this chain is among the certificate authorities that browsers' static \
                 pins allow for {name}, but the pin data is from {day}, {} before the validation time \
                 ({}), and the chain builds to a public root. Sites change CAs, so Chrome stops enforcing \
                 pins older than {} days, and so does mitmwatch. Give current pins with --pins to judge \
                 this.",
                crate::plural::count(
                    usize::try_from((at.date() - day).whole_days()).unwrap_or(0),
                    "day",
                    "days"
                ),
                at.date(),
                PIN_DATA_MAX_AGE.whole_days()
            ),
        )
    } else if trust.trusted {
        (
            Severity::High,
            format!(
                "Browsers ship a list of the only certificate authorities allowed to issue for {name} \
                 (static pins). None of the keys in this chain is on that list, yet the chain builds to \
                 a public root and the pin data is current. A public CA issuing outside a site's pins is \
                 what a mis-issued or compromised CA looks like; the real site would never be served \
                 this way."
            ),
        )
    } else if trust.publicly_anchored() {
        (
            Severity::Medium,
            format!(
                "None of the keys in this chain is among the certificate authorities that browsers' static \
                 pins allow for {name}. The chain links to a public root but the verifier refuses it \
                 (see its other findings), so it cannot be settled."
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
