//! Traits of leaves minted by interceptors: weak keys (the 2019 box used RSA
//! with exponent 3, at first 1024-bit), every extension but the SAN stripped,
//! a validity that begins moments before the connection, and, on chains
//! that are not publicly anchored, the tells of interception products: the
//! CA's own key in the leaf, a leaf that outlives its CA, a zero or negative
//! serial, a malformed country code. Each has a benign explanation, given
//! in its finding; verdict rule 3 weighs them together. Missing or copied
//! SCTs are [`super::ct`]'s business.

use super::chain::{CertFacts, KeyFacts};
use super::finding::{cert_evidence, finding, with_evidence};
use super::trust::TrustOutcome;
use crate::analysis_data::catalog::name_rule::DnAttr;
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
    if !trust.publicly_trusted() && age < FRESH_WINDOW && age > -Duration::hours(1) {
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
    if !trust.publicly_anchored() {
        product_tells(certs, leaf, trust, &mut out);
    }
    out
}

/// The tells of interception products, for a leaf whose chain is not
/// publicly anchored (on a public chain they would be a CA's own mistakes,
/// not a sign of interception).
fn product_tells(
    certs: &[CertFacts],
    leaf: &CertFacts,
    trust: &TrustOutcome,
    out: &mut Vec<Finding>,
) {
    let issuer = trust
        .path
        .certs
        .get(1)
        .map(|&i| &certs[i])
        .filter(|c| c.ok());
    let tell = |code: FindingCode, title: &str, explanation: String| {
        with_evidence(
            finding(code, Severity::Low, title, explanation),
            cert_evidence(leaf),
        )
    };
    if !leaf.self_issued() && carries_issuer_key(leaf, issuer) {
        out.push(tell(
            FindingCode::LeafKeyIsCaKey,
            "The server's certificate carries its CA's own key",
            "The certificate's public key is the key of the CA that issued it (by the CA's certificate or by its key identifier). Interception software that signs every certificate with one key does this. Some embedded devices and hand-made test setups also reuse their CA's key for the server; a public CA never does."
                .to_string(),
        ));
    }
    if let Some(ca) = issuer.filter(|ca| leaf.not_after > ca.not_after) {
        out.push(tell(
            FindingCode::LeafOutlivesIssuer,
            "The server's certificate outlives the CA that issued it",
            format!(
                "It is valid until {}, after its CA '{}' expires ({}). Interception software mints certificates with a fixed lifetime whatever its CA's; some private CAs do the same by oversight. Public CAs do not issue past their own certificate's end.",
                crate::certinfo::rfc3339(leaf.not_after),
                ca.subject,
                crate::certinfo::rfc3339(ca.not_after)
            ),
        ));
    }
    let zero = leaf.serial.iter().all(|&b| b == 0);
    let negative = leaf.serial.first().is_some_and(|&b| b & 0x80 != 0);
    if zero || negative {
        out.push(tell(
            FindingCode::InvalidSerial,
            "The server's certificate has an invalid serial number",
            format!(
                "Its serial number is {}; RFC 5280 requires a positive one, and every public CA issues random positive serials. Home-made and old CA software (and some interception products) get this wrong; a private CA's certificate can look like this too.",
                if zero { "zero" } else { "negative" }
            ),
        ));
    }
    let malformed: Vec<&str> = leaf
        .subject_dn
        .iter()
        .chain(leaf.issuer_dn.iter())
        .filter(|(attr, value)| {
            *attr == DnAttr::C
                && !(value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()))
        })
        .map(|(_, value)| value.as_str())
        .collect();
    if !malformed.is_empty() {
        out.push(tell(
            FindingCode::MalformedCountry,
            "A country code in the certificate is malformed",
            format!(
                "The certificate's names carry the country {}, which is not a two-letter ISO 3166 code. CAs that follow the rules cannot issue this; a CA set up by hand (an interception box's, or a small private CA's) often writes the country out.",
                malformed
                    .iter()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
}

/// Whether the leaf's key is its issuer's: the served issuer has the same
/// key, or the leaf's authority key identifier is an identifier of its own
/// key (its own subject key identifier, or one computed from its key the
/// ways CAs compute them: the SHA-1 of the key bits, RFC 5280 §4.2.1.2, or
/// the leftmost 160 bits of the SHA-256, SHA-384 or SHA-512 of the key bits
/// or of the whole SubjectPublicKeyInfo, RFC 7093 §2, as rcgen-based tools
/// do).
fn carries_issuer_key(leaf: &CertFacts, issuer: Option<&CertFacts>) -> bool {
    if issuer.is_some_and(|ca| ca.spki_sha256 == leaf.spki_sha256) {
        return true;
    }
    let Some(aki) = &leaf.authority_key_id else {
        return false;
    };
    if leaf.subject_key_id.as_ref() == Some(aki) {
        return true;
    }
    let (Some(key), Some(spki)) = (leaf.public_key(), leaf.spki_der()) else {
        return false;
    };
    use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA384, SHA512};
    let algorithms = [&SHA1_FOR_LEGACY_USE_ONLY, &SHA256, &SHA384, &SHA512];
    aki.len() >= 20
        && algorithms.into_iter().any(|algorithm| {
            [key.key, spki].into_iter().any(|input| {
                digest(algorithm, input).as_ref().get(..aki.len()) == Some(aki.as_slice())
            })
        })
}
