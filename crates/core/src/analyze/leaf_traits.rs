//! Traits of leaves minted by interceptors: weak keys (the 2019 box used RSA
//! with exponent 3, at first 1024-bit), every extension but the SAN stripped,
//! and a validity that begins moments before the connection. Missing or
//! copied SCTs are [`super::ct`]'s business.

use super::chain::{CertFacts, KeyFacts};
use super::finding::{cert_evidence, finding, with_evidence};
use super::trust::TrustOutcome;
use crate::model::{Finding, FindingCode, Severity};
use time::{Duration, OffsetDateTime};

/// Extensions whose absence from a leaf is unusual for a publicly issued certificate.
const USUAL_LEAF_EXTENSIONS: [&str; 5] = [
    "2.5.29.35",         // authority key identifier
    "2.5.29.15",         // key usage
    "2.5.29.37",         // extended key usage
    "2.5.29.19",         // basic constraints
    "1.3.6.1.5.5.7.1.1", // authority information access
];

/// How recent a leaf's start of validity must be to count as just minted.
pub(crate) const FRESH_WINDOW: Duration = Duration::hours(72);

/// Checks the leaf.
pub(crate) fn check(
    certs: &[CertFacts],
    trust: &TrustOutcome,
    observed_at: OffsetDateTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(leaf) = certs.first().filter(|c| c.ok()) else {
        return out;
    };
    if let KeyFacts::Rsa { bits, exponent } = leaf.key {
        if exponent == 3 || bits < 2048 {
            out.push(with_evidence(
                finding(
                    FindingCode::WeakLeafKey,
                    Severity::Medium,
                    format!("Weak RSA key in the server's certificate ({bits} bits, exponent {exponent})"),
                    "No public CA issues RSA keys shorter than 2048 bits or with exponent 3. The forged \
                     certificates of the 2019 Kazakhstan interception used exactly such keys.",
                ),
                cert_evidence(leaf),
            ));
        }
    }
    let present = USUAL_LEAF_EXTENSIONS
        .iter()
        .filter(|oid| leaf.has_extension(oid))
        .count();
    if present == 0 && !leaf.self_issued() {
        out.push(with_evidence(
            finding(
                FindingCode::StrippedExtensions,
                Severity::Low,
                "The server's certificate lacks the usual extensions",
                format!(
                    "It has none of: authority key identifier, key usage, extended key usage, basic \
                     constraints, authority information access (it has: {}). Publicly issued certificates \
                     always carry them; the 2019 Kazakhstan box removed every extension but the names.",
                    if leaf.extension_oids.is_empty() { "none".to_string() } else { leaf.extension_oids.join(", ") }
                ),
            ),
            cert_evidence(leaf),
        ));
    }
    let age = observed_at - leaf.not_before;
    let publicly_trusted = trust.trusted && trust.anchor_public;
    if !publicly_trusted && age < FRESH_WINDOW && age > -Duration::hours(1) {
        out.push(with_evidence(
            finding(
                FindingCode::FreshlyMinted,
                Severity::Low,
                "The certificate was created just before the connection",
                format!(
                    "It became valid {} before it was served, and it is not from a public CA. \
                     Interception software mints certificates on the fly like this; a certificate \
                     renewed minutes ago, or a private CA's short-lived one, looks the same.",
                    crate::plural::count(
                        usize::try_from(age.whole_minutes()).unwrap_or(0),
                        "minute",
                        "minutes"
                    )
                ),
            ),
            cert_evidence(leaf),
        ));
    }
    out
}
