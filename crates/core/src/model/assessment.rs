//! What the analyzer concludes about one observation ([`Assessment`]) and
//! about a whole scan ([`ScanSummary`]).

use super::{Fingerprint, Status, Target};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use time::OffsetDateTime;

/// Version of the assessment and summary formats.
pub const ASSESSMENT_SCHEMA: u32 = 2;

/// What trust evaluation found for a chain, as far as it got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainTrust {
    /// Builds to a root of the base store (Mozilla's, or `--roots`).
    Public,
    /// Builds to a root added on this machine (`--extra-roots`, `--system-roots`).
    Local,
    /// Links by signatures to a root of the trust store, but the verifier
    /// rejects it (expired, SHA-1, a constraint): a genuine chain in a bad
    /// state, not an unknown issuer.
    AnchoredRejected,
    /// The server sent a CA certificate that signed the leaf (a root or an
    /// intermediate) and that leads to no root of the trust store.
    ServedUntrustedCa,
    /// The chain stops at an issuer that was neither sent nor known.
    UnknownIssuer,
    /// The leaf is self-signed and not a trust anchor.
    SelfSigned,
    /// The leaf's signature does not verify under the certificate sent as
    /// its issuer, or no leaf could be parsed.
    Broken,
}

impl ChainTrust {
    /// Trusted through a public root, or linked to one (expired, SHA-1).
    pub(crate) fn publicly_anchored(self) -> bool {
        matches!(self, ChainTrust::Public | ChainTrust::AnchoredRejected)
    }
}

/// How much a finding weighs. Ordered: `Info < Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; says nothing about interception.
    Info,
    /// A weak signal on its own.
    Low,
    /// Makes the connection suspicious.
    Medium,
    /// Interception, by itself.
    High,
}

/// The answer for one observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing points at interception (findings of `low` weight at most).
    Clean,
    /// Something is wrong that cannot be settled either way: a `medium`
    /// finding, each with its benign explanation.
    Suspicious,
    /// Positive evidence of interception: a `high` finding, or a CA that
    /// mints leaves the way interceptors do.
    Intercepted,
    /// No certificate chain was received: nothing to judge.
    Error,
}

impl Verdict {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Suspicious => "suspicious",
            Verdict::Intercepted => "intercepted",
            Verdict::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of party that uses an interception root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A state intercepting its citizens (Kazakhstan).
    StateInterception,
    /// A corporate proxy, firewall or secure web gateway.
    CorporateProxy,
    /// Antivirus "web shield" scanning TLS locally.
    Antivirus,
    /// A developer's debugging proxy (Burp, Charles, mitmproxy, …).
    DebuggingProxy,
    /// Adware that installs its own root.
    Adware,
    /// A root or CA whose private key is public or was misused.
    CompromisedKey,
    /// A test root (badssl.com and similar).
    Test,
}

impl Category {
    /// Plain-language name.
    pub fn describe(self) -> &'static str {
        match self {
            Category::StateInterception => "state interception",
            Category::CorporateProxy => "corporate proxy or firewall",
            Category::Antivirus => "antivirus TLS scanning",
            Category::DebuggingProxy => "debugging proxy",
            Category::Adware => "adware",
            Category::CompromisedKey => "compromised or leaked key",
            Category::Test => "test certificate",
        }
    }
}

/// Stable codes of findings. Each is documented in the README. The name in
/// JSON and text is derived once, in kebab-case, for serde and
/// [`FindingCode::as_str`] alike; [`FindingCode::iter`] lists every code.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum FindingCode {
    /// A served certificate, or the issuer of the topmost one, is a known
    /// interception root or product CA from the catalog.
    KnownInterceptionRoot,
    /// The chain does not build to a root in the trust store.
    UntrustedRoot,
    /// Broken linkage in the served chain, or an issuing CA that differs
    /// from the baseline for the domain.
    IssuerMismatch,
    /// A domain with static pins was served a chain with none of its pins.
    PinMismatch,
    /// The leaf does not cover the expected name.
    HostnameMismatch,
    /// A certificate had expired at the validation time.
    Expired,
    /// A certificate was not yet valid at the validation time.
    NotYetValid,
    /// The server left out an intermediate (misconfiguration, not interception).
    IncompleteChain,
    /// The leaf key is weak in the way forged leaves often are (RSA e=3, < 2048 bits).
    WeakLeafKey,
    /// The leaf lacks the extensions every publicly issued leaf carries.
    StrippedExtensions,
    /// A leaf that chains to a public root, or names one in its issuer
    /// chain, carries no SCT list. Public CAs embed SCTs in every
    /// certificate; interceptors mint leaves without them.
    SctMissing,
    /// An SCT from a known CT log does not verify for this certificate and
    /// issuer (or the SCT list cannot be read). When the chain is not
    /// publicly trusted this is strong evidence of a copied certificate: a
    /// log signed the genuine one, not this one.
    SctInvalid,
    /// An SCT names a log that is not in the CT log list in use (often a
    /// log newer than the list). Information only.
    SctUnknownLog,
    /// The verified SCTs of a publicly trusted leaf do not satisfy Chrome's
    /// or Apple's CT policy (number of SCTs and distinct log operators by
    /// certificate lifetime).
    CtNoncompliant,
    /// The leaf was issued moments before it was served.
    FreshlyMinted,
    /// One leaf key serves unrelated hosts in the same scan (on-the-fly minting).
    LeafKeyReuse,
    /// A served certificate could not be parsed.
    MalformedCertificate,
    /// Only the leaf was recorded (OONI keeps only the leaf when its
    /// verification fails): the issuing CA can be judged only by the
    /// leaf's issuer name and authority key identifier.
    LeafOnlyChain,
    /// The chain is trusted only through a root added on this machine
    /// (`--extra-roots`, `--system-roots`), not through a public root.
    /// Interception products install such roots; so do companies for their
    /// own internal servers.
    LocalRoot,
    /// The leaf names a CA whose certificate is known (sent, or a trust
    /// anchor) and copies that CA's key identifier, but its signature does
    /// not verify under that CA's key: the leaf was not issued by the CA it
    /// names.
    ForgedSignature,
    /// An SCT embedded in the leaf verifies under a known CT log's key: a
    /// public CA issued and logged this very certificate. Reported when the
    /// chain is not publicly trusted, where it matters.
    PubliclyLogged,
    /// The chain links by signatures to a root of the trust store, but the
    /// verifier rejects it for a reason other than trust: an algorithm it
    /// no longer accepts (SHA-1), a constraint, a key usage.
    ChainRejected,
    /// The chain builds to a root that Mozilla's store held at the
    /// validation time and has dropped since: publicly trusted then.
    RemovedRoot,
    /// A certificate that says it is not a CA (basic constraints cA false,
    /// or a key usage without keyCertSign) signed another certificate of a
    /// chain that leads to a root of the trust store: the basicConstraints
    /// forgery, with no benign explanation.
    NonCaIssuer,
    /// A certificate of a chain that is named up to a root of the trust
    /// store carries a signature that cannot be checked here (an algorithm
    /// not implemented, or disagreeing signature-algorithm fields): nothing
    /// is proven either way.
    UnverifiableSignature,
    /// The leaf carries its issuing CA's own public key (interception
    /// software that signs with one key for everything does this; so do
    /// some embedded devices).
    LeafKeyIsCaKey,
    /// The leaf stays valid after its issuing CA's certificate expires
    /// (minted with a fixed validity, regardless of the CA's).
    LeafOutlivesIssuer,
    /// The leaf's serial number is zero or negative, which RFC 5280 forbids
    /// (home-made or old CA software).
    InvalidSerial,
    /// A country code in the leaf's subject or issuer is not two capital
    /// letters (a hand-made CA's name, such as `C=Kazakhstan`).
    MalformedCountry,
    /// Verdict rule 3: a CA that is not a public one, or one named like an
    /// interception product, minted this leaf for a public name with the
    /// traits of on-the-fly minting, and no counted SCT shows it was
    /// publicly logged. The finding that makes such a verdict
    /// `intercepted`.
    MintedLeaf,
}

impl FindingCode {
    /// The kebab-case code used in JSON.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every code, in declaration order.
    pub fn iter() -> impl Iterator<Item = FindingCode> {
        <FindingCode as strum::IntoEnumIterator>::iter()
    }
}

/// What a finding points at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Position in the served chain (0 = leaf).
    pub cert_index: Option<usize>,
    /// Subject of that certificate.
    pub subject: Option<String>,
    /// Its SHA-256, hex.
    pub sha256: Option<Fingerprint>,
    /// Its SPKI SHA-256, hex.
    pub spki_sha256: Option<Fingerprint>,
    /// The catalog entry involved.
    pub catalog_id: Option<String>,
    /// Anything else: the verifier's error, the pinset, the baseline's CAs…
    pub detail: Option<String>,
}

/// One reason for a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The finding kind as a stable, documented code that scripts match on.
    pub code: FindingCode,
    /// How much the finding weighs towards the verdict.
    pub severity: Severity,
    /// A one-line summary for people (may quote certificate text: escape it).
    pub title: String,
    /// What it means and why it matters, in plain language.
    pub explanation: String,
    /// The certificate, key or catalog entry the finding is about.
    pub evidence: Evidence,
}

/// How strongly an interceptor is identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attribution {
    /// By a key: the SPKI or certificate SHA-256 of a served certificate,
    /// or the key identifier of the certificate it signed. For a CA not in
    /// the catalog, the CA's own key was served. One key, one holder.
    Key,
    /// By name only: a certificate carries a name from the catalog (or, for
    /// a CA not in the catalog, the CA is known only by the issuer name in
    /// the leaf). Anyone can put any name in a certificate.
    Name,
}

impl Attribution {
    /// The kebab-case name used in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribution::Key => "key",
            Attribution::Name => "name",
        }
    }
}

/// Who intercepted, as far as can be said.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interceptor {
    /// Catalog id, or `unknown:<SPKI SHA-256 prefix>` / `unknown:<issuer>`
    /// for roots not in the catalog.
    pub id: String,
    /// Human name.
    pub label: String,
    /// Category, when known.
    pub category: Option<Category>,
    /// Whether the attribution rests on a key or only on a name.
    pub matched_by: Attribution,
}

/// The served leaf in brief.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafBrief {
    /// Subject DN.
    pub subject: Option<String>,
    /// Issuer DN.
    pub issuer: Option<String>,
    /// Certificate SHA-256.
    pub sha256: Fingerprint,
    /// SPKI SHA-256.
    pub spki_sha256: Option<Fingerprint>,
}

/// The analyzer's judgement of one observation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// Always `assessment` (lines of a JSON Lines report carry a type).
    #[serde(rename = "type")]
    pub(crate) record_type: String,
    /// [`ASSESSMENT_SCHEMA`].
    pub(crate) schema: u32,
    /// The target whose observation was judged (host, port, SNI).
    pub target: Target,
    /// The address connected to.
    pub address: Option<String>,
    /// When the observation was made.
    #[serde(with = "time::serde::rfc3339")]
    pub observed_at: OffsetDateTime,
    /// The validation time used.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) validated_at: OffsetDateTime,
    /// The observation's status.
    pub status: Status,
    /// The observation's failure message.
    pub failure: Option<String>,
    /// The conclusion for this observation (README, "Verdict rules").
    pub verdict: Verdict,
    /// How far the chain could be trusted; null without a chain.
    pub chain_trust: Option<ChainTrust>,
    /// Who intercepted, when the verdict is `intercepted` or `suspicious`
    /// and the chain names someone.
    pub interceptor: Option<Interceptor>,
    /// The served leaf.
    pub leaf: Option<LeafBrief>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

impl Assessment {
    /// The most severe finding, if any.
    pub fn top_finding(&self) -> Option<&Finding> {
        self.findings.first()
    }

    /// Whether a finding with this code is present.
    pub fn has(&self, code: FindingCode) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Whether interception hit everything or only some names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// Every reachable target was intercepted: a corporate proxy or
    /// antivirus re-signing all traffic.
    Blanket,
    /// Only some targets were: interception chosen per target, by name
    /// (SNI) as in Kazakhstan when the handshakes sent one, else by address.
    Targeted,
}

/// One interceptor and the domains it hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterceptorHits {
    /// The interceptor these domains were attributed to.
    pub interceptor: Interceptor,
    /// Names intercepted (target SNI or host), sorted.
    pub domains: Vec<String>,
}

/// Scan-level conclusions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSummary {
    /// Always `summary`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// [`ASSESSMENT_SCHEMA`].
    pub schema: u32,
    /// Observations assessed.
    pub targets: usize,
    /// Count per verdict.
    pub verdicts: BTreeMap<Verdict, usize>,
    /// Count per observation status.
    pub statuses: BTreeMap<Status, usize>,
    /// Interceptors found, with the domains they hit.
    pub interceptors: Vec<InterceptorHits>,
    /// Blanket or targeted, when anything was intercepted.
    pub pattern: Option<Pattern>,
    /// The conclusion in a sentence or two.
    pub conclusion: String,
    /// How the report was made (inputs, time span, data, skipped lines);
    /// set by `analyze` and `report` on files, absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<super::Provenance>,
}
