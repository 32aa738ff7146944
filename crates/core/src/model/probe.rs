//! Control-SNI differential probes (`mitmwatch probe`): two handshakes to
//! the same address, one with the target name and one with a control name
//! that no censor targets, and what their chains say together. This is the
//! method Censored Planet used to find the 2019 Kazakhstan interception.
//! Written as JSON Lines, versioned by [`SNI_PROBE_SCHEMA`].

use super::{Fingerprint, Observation, Verdict};
use serde::{Deserialize, Serialize};

/// Version of the probe record format.
pub const SNI_PROBE_SCHEMA: u32 = 2;

/// A certificate authority as a chain names it: a distinguished name, the
/// key identifier other certificates point at it with, and its key when its
/// certificate was sent.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaBrief {
    /// Distinguished name, `C=KZ, CN=…` (raw certificate text: escape before display).
    pub name: String,
    /// Key identifier, lowercase hex: the authority key identifier of the
    /// certificate it signed, or its own subject key identifier.
    pub key_id: Option<String>,
    /// SPKI SHA-256 (hex) of its certificate, when the server sent it.
    pub spki_sha256: Option<Fingerprint>,
}

/// What the two handshakes of a probe show together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SniOutcome {
    /// The target name got a chain from another CA than the control name,
    /// and the analyzer judges it intercepted but not the control's: a
    /// device on the path re-signs connections by name. Strong evidence of
    /// targeted interception.
    SniTriggered,
    /// The CAs differ but the analyzer does not judge the target's chain
    /// intercepted (or judges both intercepted): the server may hold
    /// certificates from several CAs (shared hosting, CDNs), or interception
    /// does not depend on the name. Not evidence of SNI-triggered
    /// interception.
    IssuerDiffers,
    /// Both names got chains from the same CA.
    SameIssuer,
    /// The control name got a chain, the target name none: the target was
    /// blocked or reset (SNI-based blocking, not interception).
    TargetFailed,
    /// The control name got no chain: nothing to compare with.
    ControlFailed,
    /// Neither got a chain.
    BothFailed,
}

impl SniOutcome {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SniOutcome::SniTriggered => "sni-triggered",
            SniOutcome::IssuerDiffers => "issuer-differs",
            SniOutcome::SameIssuer => "same-issuer",
            SniOutcome::TargetFailed => "target-failed",
            SniOutcome::ControlFailed => "control-failed",
            SniOutcome::BothFailed => "both-failed",
        }
    }
}

/// The comparison of the two handshakes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SniComparison {
    /// What the two handshakes say together: whether the SNI decides interception.
    pub outcome: SniOutcome,
    /// The CA that issued the control's leaf, if a chain came back.
    pub control_issuer: Option<CaBrief>,
    /// The CA that issued the target's leaf, if a chain came back.
    pub target_issuer: Option<CaBrief>,
    /// Whether the issuing CAs have the same name (null if a side has no chain).
    pub same_issuer_name: Option<bool>,
    /// Whether they have the same key (key identifier or SPKI); null when
    /// it cannot be told.
    pub(crate) same_issuer_key: Option<bool>,
    /// Whether the target's chain verified against the trust store at
    /// collection time (null without a chain).
    pub target_verified: Option<bool>,
    /// Whether the control's chain verified (it is often for another name,
    /// so a name error is expected).
    pub(crate) control_verified: Option<bool>,
    /// The analyzer's verdict of the target's handshake, which the outcome
    /// rests on.
    pub target_verdict: Verdict,
    /// The analyzer's verdict of the control's handshake.
    pub control_verdict: Verdict,
    /// The conclusion in plain language.
    pub explanation: String,
}

/// One probe: the two observations and their comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SniProbe {
    /// Always `sni-probe`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// [`SNI_PROBE_SCHEMA`].
    pub schema: u32,
    /// The program that made the record.
    pub tool: String,
    /// Host probed.
    pub host: String,
    /// Port probed.
    pub port: u16,
    /// SNI of the target handshake.
    pub target_sni: String,
    /// SNI of the control handshake.
    pub control_sni: String,
    /// The address both handshakes went to (the control's, reused for the target).
    pub address: Option<String>,
    /// The two handshakes compared, with the conclusion.
    pub comparison: SniComparison,
    /// The control handshake, as `scan` records it.
    pub control: Observation,
    /// The target handshake, as `scan` records it.
    pub target: Observation,
}
