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
    /// Links by signatures to a root added on this machine, but the verifier
    /// rejects it. Whatever the reason, the root is not a public CA's: it
    /// weighs as [`ChainTrust::Local`] does.
    LocalRejected,
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

/// Stable codes of findings. Each variant's comment (its severity, then what
/// it means) is the row of the findings table in docs/verdicts.md, which
/// tests/findings_table.rs generates from it. The name in
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
    /// Severity: high when matched by key; medium when matched by name only.
    ///
    /// A served certificate, or the issuer of one, is in the catalog. By key:
    /// SPKI SHA-256, certificate SHA-256, or authority key identifier (this
    /// works when the interceptor does not send its root); whoever holds that
    /// key intercepts. By name only: a certificate carries a catalogued name
    /// (e.g. "mitmproxy", "Fortinet") under some other key. That is how
    /// products that make a key per installation look, and also how an
    /// imitation or the product's own admin page looks; the served
    /// certificate's fingerprints identify the key, and the evidence does not
    /// cite the catalogued PEM as if it were the one served. The evidence cites
    /// the matched CA itself: its certificate when it was sent, else (a match
    /// in a certificate's issuer) the catalogued fingerprints for a
    /// key-identifier match, or only the issuer's name, never the certificate
    /// below it.
    KnownInterceptionRoot,
    /// Severity: medium.
    ///
    /// The chain does not build (webpki, with the served intermediates in any
    /// order) to a root of the trust store, and does not link to one by
    /// signatures either. The explanation follows webpki's error and says what
    /// was seen: a self-signed root the server sent, a CA the server sent that
    /// leads nowhere, or an issuer nobody sent (a server that forgot its
    /// intermediate, a CA your `--roots` lack, or a device that sends only its
    /// forged leaf).
    UntrustedRoot,
    /// Severity: medium (linkage); with `--baseline`: info, medium or high.
    ///
    /// (a) A certificate names an issuer that was sent, but its signature does
    /// not verify under it, and it does not claim that issuer's key identifier:
    /// the server may send the wrong intermediate of that name. (b) The issuing
    /// CA's keys are none of those the `--baseline` saw for the domain. Routine
    /// change is not interception, so the weight follows the keys: on a
    /// publicly trusted chain, another intermediate under a root or operator
    /// the baseline saw (Let's Encrypt picks one of R10–R14 or E5–E9 per order)
    /// is info, another public CA medium; on a chain that is not publicly
    /// anchored, CA keys that contradict the baseline's are high (a forged
    /// intermediate copying the genuine name); a leaf sent alone that names the
    /// baseline's CA but does not verify under any key kept for it is medium.
    IssuerMismatch,
    /// Severity: high on a chain that builds to a local root, whatever the
    /// pins' age, and on a publicly trusted chain while the pin data is
    /// current; low on a publicly anchored chain when the pins are stale;
    /// medium otherwise.
    ///
    /// The domain has static pins (Chromium, Firefox) and no key of the chain,
    /// including its anchor, is in the pinset. Browsers skip the check for
    /// local roots; mitmwatch does not, and no change of public CA explains a
    /// local root. Sites change CAs, so Chrome stops enforcing its static pins
    /// once its list is more than 70 days old; for chains that build to a
    /// public root mitmwatch does the same: pin data (`as_of`) more than 70
    /// days older than the validation time, or a chain served more than 180
    /// days before it, gives a low note. Pass current pins with `--pins` to
    /// have them enforced. On a chain that leads to no root it cannot be
    /// settled (medium). The pins' age at the validation time is under "Data
    /// used".
    PinMismatch,
    /// Severity: medium.
    ///
    /// The leaf does not cover the name.
    HostnameMismatch,
    /// Severity: low.
    ///
    /// A certificate of the path had expired at the validation time.
    Expired,
    /// Severity: low.
    ///
    /// A certificate of the path was not valid yet at the validation time.
    NotYetValid,
    /// Severity: info when the chain was completed; medium when it could not
    /// be.
    ///
    /// The server left out its intermediate. Either the chain was completed
    /// with a certificate it did not send (fetched from its AIA URL at scan
    /// time, from the shipped set of issuing CAs, from an `--intermediates`
    /// file or from the intermediates `mitmwatch update` saved; the evidence
    /// gives its SHA-256 and the explanation where it came from) and is then
    /// judged as trusted; or nothing completed it: the chain stops at an unsent
    /// issuer, the leaf carries the AIA pointer that public CAs include, and
    /// the chain cannot be checked. Most likely the common misconfiguration,
    /// but a forged leaf sent alone looks the same.
    IncompleteChain,
    /// Severity: medium.
    ///
    /// The leaf is RSA with exponent 3 or shorter than 2048 bits (the 2019
    /// forgeries).
    WeakLeafKey,
    /// Severity: low.
    ///
    /// The leaf has none of AKI, key usage, EKU, basic constraints, AIA (the
    /// 2019 box kept only the names).
    StrippedExtensions,
    /// Severity: low.
    ///
    /// The leaf embeds no SCT list, yet it chains to a base-store root, or its
    /// chain (linked by signatures) is issued in the name of one under other
    /// keys. Public CAs embed SCTs in every certificate; interceptors mint
    /// leaves without them.
    SctMissing,
    /// Severity: high when the chain is not publicly trusted; low on a publicly
    /// trusted chain or for an unreadable SCT list.
    ///
    /// An SCT from a log in the CT log list does not verify for this leaf and
    /// its issuer's key. The issuer is the certificate that signed the leaf or,
    /// for a leaf whose signature fails, the sent CA whose key identifier it
    /// claims: so SCTs copied from a genuine certificate onto a forged one are
    /// caught. On a publicly trusted chain it is more likely a CA or log error.
    SctInvalid,
    /// Severity: info; low on a chain that claims a public root it does not
    /// lead to.
    ///
    /// An SCT comes from a log that the CT log list in use does not know (often
    /// a log newer than the list): it is not checked and not counted. Also, on
    /// a chain that is not publicly trusted, a valid SCT of a log that did not
    /// count at the time (rejected or pending at the validation time, retired
    /// before the SCT, not yet trusted when it signed, or with no state known
    /// then): treated like an unknown log's, so it does not rule out rule 3. On
    /// a chain issued in the name of a public root that does not lead to it,
    /// such timestamps are a trait of minting (low; verdict rule 3), with a
    /// newer log as the harmless explanation.
    SctUnknownLog,
    /// Severity: low (info when the log list is more than 70 days older than
    /// the validation time, when the validation time precedes the oldest list
    /// of the log history and the list is more than 70 days newer, or when SCTs
    /// of unknown logs, or of logs whose state then the data does not show,
    /// could make up the difference).
    ///
    /// The verified SCTs of a publicly trusted leaf do not meet Chrome's or
    /// Apple's CT policy, judged with the logs as they stood at the validation
    /// time: an SCT counts if its log was qualified, usable or read-only then,
    /// or retired after the SCT was made, and was trusted when it made the SCT.
    /// The finding names the dates and the log data used. Not reported when
    /// every SCT is from an unknown log.
    CtNoncompliant,
    /// Severity: low.
    ///
    /// A leaf that is not publicly trusted became valid less than 72 hours
    /// before it was served. Interceptors mint on the fly; a renewal this
    /// morning or a private CA's short-lived leaf looks the same.
    FreshlyMinted,
    /// Severity: high on a chain that is not publicly anchored; low on one that
    /// is, on self-signed leaves, and for names no public CA may certify.
    ///
    /// One leaf key is used in certificates for unrelated domains within one
    /// scan: on-the-fly minting with one key, as mitmproxy and SSLsplit do.
    /// Unrelated means sharing no registrable domain (the Public Suffix List's
    /// eTLD+1, from the `psl` crate): `example.com` and `*.example.com` are
    /// related. Only DNS names count: IP-address certificates renewed with the
    /// same key are not compared. Hosting providers reusing a key across
    /// customers' public certificates, and device fleets whose firmware ships
    /// one key, do it too.
    LeafKeyReuse,
    /// Severity: medium.
    ///
    /// A served certificate does not parse.
    MalformedCertificate,
    /// Severity: info.
    ///
    /// The recorder kept only the leaf of the chain (OONI does when its own
    /// verification fails; `analyze --from ooni`). The issuing CA is judged by
    /// the issuer name and authority key identifier in the leaf alone, and a
    /// missing issuer is not blamed on the server.
    LeafOnlyChain,
    /// Severity: medium.
    ///
    /// The chain is trusted only through a root added on this machine
    /// (`--extra-roots`, `--system-roots`), not a public one. Browsers accept
    /// it silently, as they do an installed interception root; a company's own
    /// CA for its internal servers looks the same.
    LocalRoot,
    /// Severity: high.
    ///
    /// A certificate names a CA and copies that CA's key identifier, but its
    /// signature does not verify under the CA's key: the certificate was not
    /// issued by the CA it claims. The CA is one the server sent that leads by
    /// signatures to a trusted root, or the issuing CA a `--baseline` kept
    /// (version 2 baselines keep the CAs' keys), so a forged leaf sent alone in
    /// the genuine issuer's name is caught too. An algorithm that cannot be
    /// checked is never a forgery (see `unverifiable-signature`), and a
    /// publicly trusted chain never gets this finding from the baseline.
    ForgedSignature,
    /// Severity: info.
    ///
    /// On a chain that is not publicly trusted: an SCT verifies under the key
    /// of a log that Chrome trusted, by the logs' states at the validation time
    /// and when the SCT was made (`certs/ct/log_history.json` and the list; a
    /// log retired after the SCT still counts). A public CA logged this very
    /// certificate, which an interceptor cannot arrange, so the leaf is not one
    /// it minted. An SCT of a log rejected or pending then proves nothing (a
    /// rejected log's key may be in other hands): it is `sct-unknown-log`
    /// instead, and rule 3 still applies.
    PubliclyLogged,
    /// Severity: low for a benign reason; medium for a security failure.
    ///
    /// The chain links by signatures to a root of the trust store (checked with
    /// the analysis' own verifier, which still accepts RSA with SHA-1 and
    /// 1024-bit RSA keys), but webpki refuses it. Low when the reason is the
    /// server's problem only: a retired algorithm (SHA-1) in a genuine old
    /// chain. Medium when a limit of the chain is broken: a name-constrained CA
    /// issuing outside its scope (the pattern of sub-CAs caught issuing for
    /// google.com), a path longer than a CA allows, an extended key usage that
    /// excludes TLS servers, a CA that issued without the CA marking
    /// (keyCertSign but no cA bit): a misconfigured private CA can do this, but
    /// so does a rogue or compromised sub-CA. Where webpki is stricter than RFC
    /// 5280, mitmwatch checks the RFC's rule itself (a CA certificate as the
    /// leaf; self-issued intermediates, which do not count against a path
    /// length and are not held to name constraints; DNS, IP and directory-name
    /// constraints on the leaf's names) and a chain that keeps it is low.
    /// Expiry is reported as `expired`.
    ChainRejected,
    /// Severity: info.
    ///
    /// The chain builds to a root that Mozilla's store held at the validation
    /// time and has dropped since (`certs/removed-roots/`): it was publicly
    /// trusted then, and is judged so. Only old validation times (`--at
    /// observed`, `--at TIME`) reach such roots.
    RemovedRoot,
    /// Severity: high.
    ///
    /// A certificate that says it is an end entity (a version 3 certificate
    /// whose basic constraints do not assert cA and whose key usage, if any,
    /// lacks keyCertSign, as every site certificate a public CA issues) signed
    /// another certificate of a chain that links by signatures to a root of the
    /// trust store, public or local: the basicConstraints forgery (sslsniff,
    /// 2002). The evidence cites the end-entity certificate that acted as a CA.
    /// There is no benign explanation.
    NonCaIssuer,
    /// Severity: medium.
    ///
    /// A signature of the chain (named up to a root of the trust store, or
    /// leading to none) cannot be checked here: an algorithm *ring* does not
    /// implement (ECDSA with SHA-1 or SHA-512, P-521 keys; Microsoft's
    /// certificate services allow ECDSA with SHA-512), or a certificate whose
    /// two signature-algorithm fields disagree (malformed). Signature checks
    /// have three answers, valid, invalid and cannot be checked, and the last
    /// proves nothing either way: never a forgery, and a CA the server sent
    /// that cannot be shown to have signed the leaf is not taken to have minted
    /// it (rule 3).
    UnverifiableSignature,
    /// Severity: low.
    ///
    /// On a chain that is not publicly anchored, the leaf carries its issuing
    /// CA's own key (the served CA has it, or the leaf's authority key
    /// identifier is its own key's). Interception software that signs with one
    /// key for everything does this; so do some embedded devices.
    LeafKeyIsCaKey,
    /// Severity: low.
    ///
    /// On a chain that is not publicly anchored, the leaf stays valid after its
    /// served issuing CA expires: minted with a fixed lifetime. Some private
    /// CAs do it by oversight.
    LeafOutlivesIssuer,
    /// Severity: low.
    ///
    /// On a chain that is not publicly anchored, the leaf's serial number is
    /// zero or negative, which RFC 5280 forbids: home-made or old CA software,
    /// some interception products.
    InvalidSerial,
    /// Severity: low.
    ///
    /// On a chain that is not publicly anchored, a country (C) in the leaf's
    /// subject or issuer is not two capital letters (`C=Kazakhstan`): a
    /// hand-made CA.
    MalformedCountry,
    /// Severity: high.
    ///
    /// Verdict rule 3 below: a CA that is not a public one, or one named like
    /// an interception product, minted this leaf for a public name with the
    /// traits of on-the-fly minting, and no valid SCT shows it was publicly
    /// logged. It names the CA and the traits; it is the finding that makes
    /// such a verdict `intercepted`, so sorting by severity puts it first.
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

    /// What the finding says, in a phrase that holds for every target it
    /// is found on (a finding's `title` may name its target): for reports
    /// that count a finding over many targets.
    pub fn summary(self) -> &'static str {
        match self {
            FindingCode::KnownInterceptionRoot => {
                "a served certificate or its issuer is a catalogued interception certificate"
            }
            FindingCode::UntrustedRoot => "the chain does not lead to a root of the trust store",
            FindingCode::IssuerMismatch => {
                "the issuing CA does not match (by signature, or against the baseline)"
            }
            FindingCode::PinMismatch => {
                "a pinned domain was served a chain with none of its pinned keys"
            }
            FindingCode::HostnameMismatch => "the leaf does not cover the name asked for",
            FindingCode::Expired => "a certificate had expired at the validation time",
            FindingCode::NotYetValid => "a certificate was not valid yet at the validation time",
            FindingCode::IncompleteChain => "the server left out an intermediate",
            FindingCode::WeakLeafKey => "the leaf key is weak, as forged leaves' often are",
            FindingCode::StrippedExtensions => {
                "the leaf lacks the extensions every publicly issued leaf carries"
            }
            FindingCode::SctMissing => "a leaf claiming a public root carries no SCT",
            FindingCode::SctInvalid => "an SCT of a known log does not verify for this certificate",
            FindingCode::SctUnknownLog => "an SCT names a log the log list does not count",
            FindingCode::CtNoncompliant => {
                "the verified SCTs do not meet Chrome's or Apple's CT policy"
            }
            FindingCode::FreshlyMinted => "the leaf was issued moments before it was served",
            FindingCode::LeafKeyReuse => "one leaf key serves unrelated domains in the same scan",
            FindingCode::MalformedCertificate => "a served certificate could not be parsed",
            FindingCode::LeafOnlyChain => "only the leaf was recorded",
            FindingCode::LocalRoot => {
                "the chain is trusted only through a root added on this machine"
            }
            FindingCode::ForgedSignature => "the leaf names a CA whose key did not sign it",
            FindingCode::PubliclyLogged => "a public CT log logged this very certificate",
            FindingCode::ChainRejected => {
                "the chain links to a trusted root but the verifier refuses it"
            }
            FindingCode::RemovedRoot => "the chain builds to a root Mozilla has dropped since",
            FindingCode::NonCaIssuer => {
                "a certificate that is not a CA signed another one of the chain"
            }
            FindingCode::UnverifiableSignature => "a signature of the chain cannot be checked here",
            FindingCode::LeafKeyIsCaKey => "the leaf carries its issuing CA's own key",
            FindingCode::LeafOutlivesIssuer => "the leaf stays valid after its issuing CA expires",
            FindingCode::InvalidSerial => "the leaf's serial number is zero or negative",
            FindingCode::MalformedCountry => {
                "a country code in the leaf is not two capital letters"
            }
            FindingCode::MintedLeaf => "a CA that is not a public one minted this leaf on the fly",
        }
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
    /// The conclusion for this observation (docs/verdicts.md, "Verdict rules").
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
