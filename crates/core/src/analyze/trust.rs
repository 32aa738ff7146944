//! Trust: does the chain build (webpki, with the served intermediates in any
//! order) to a root in the trust store, for the expected name, at the
//! validation time? Validity and name problems are reported separately from
//! trust so that an expired certificate under a public root is not mistaken
//! for an unknown root.

use super::anchor_index::AnchorIndex;
use super::chain::{signed_by, CertFacts, OID_AIA};
use super::completion::Candidate;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use super::linkage::Path;
use crate::model::{ChainTrust, Finding, FindingCode, Severity};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;
use webpki::{EndEntityCert, KeyUsage};

/// What trust evaluation concluded.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrustOutcome {
    /// The chain builds to an anchor of the trust store (at the validation
    /// time, or at a time when every certificate of the path is valid).
    pub(crate) trusted: bool,
    /// SPKI SHA-256 of the anchor used, when trusted.
    pub(crate) anchor_spki: Option<[u8; 32]>,
    /// The anchor belongs to the base trust store (Mozilla's roots, or
    /// `--roots`), not to `--extra-roots` additions.
    pub(crate) anchor_public: bool,
    /// How far the chain got; `None` until judged.
    pub(crate) chain: Option<ChainTrust>,
    /// The anchor is a root Mozilla's store has dropped since the
    /// validation time.
    pub(crate) removed_root: bool,
}

fn unix(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        t.unix_timestamp().max(0) as u64
    ))
}

/// The trust anchors a chain is judged with: today's store, and the roots
/// Mozilla's store still held at the validation time but has dropped
/// since (see [`crate::analysis_data::removed_roots`]), each with its
/// index, built once per store.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anchors<'a> {
    /// The trust store's anchors.
    pub(crate) today: &'a [TrustAnchor<'static>],
    /// Removed roots that were still trusted at the validation time.
    pub(crate) past: &'a [TrustAnchor<'static>],
    /// The index of `today`, in the same order.
    pub(crate) today_index: &'a AnchorIndex,
    /// The index of every removed root, of which `past` is a prefix.
    pub(crate) past_index: &'a AnchorIndex,
}

impl Anchors<'_> {
    /// Each index with the number of its anchors in use, today's first.
    fn indexed(&self) -> [(&AnchorIndex, usize); 2] {
        debug_assert_eq!(self.today_index.len(), self.today.len());
        debug_assert!(self.past.len() <= self.past_index.len());
        [
            (self.today_index, self.today.len()),
            (self.past_index, self.past.len()),
        ]
    }
}

/// A verified path's facts worth remembering.
struct Verified {
    anchor_spki: [u8; 32],
    /// The end-entity's issuer in the path, if it was an intermediate,
    /// and whether the anchor carries name constraints.
    issuer_der: Option<Vec<u8>>,
    anchor_constrained: bool,
    /// Positions in the completion candidates of the path's certificates
    /// that the server did not send.
    completed_by: Vec<usize>,
}

/// The path webpki builds from `leaf` to one of `anchors` through
/// `intermediates`, valid at `at` for server authentication.
fn build_path<'p>(
    leaf: &'p EndEntityCert<'p>,
    anchors: &'p [TrustAnchor<'p>],
    intermediates: &'p [CertificateDer<'p>],
    at: OffsetDateTime,
) -> Result<webpki::VerifiedPath<'p>, webpki::Error> {
    leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        intermediates,
        unix(at),
        KeyUsage::server_auth(),
        None,
        None,
    )
}

/// [`build_path`], with the facts of the path found.
fn verify_at(
    leaf: &EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    at: OffsetDateTime,
    extra: &[Candidate],
) -> Result<Verified, webpki::Error> {
    build_path(leaf, anchors, intermediates, at).map(|path| Verified {
        completed_by: path
            .intermediate_certificates()
            .filter_map(|c| extra.iter().position(|e| e.facts.der == c.der().as_ref()))
            .collect(),
        anchor_spki: crate::encoding::sha256(webpki::spki_for_anchor(path.anchor()).as_ref()),
        issuer_der: path
            .intermediate_certificates()
            .next()
            .map(|c| c.der().to_vec()),
        anchor_constrained: path.anchor().name_constraints.is_some(),
    })
}

/// Intermediates already shown to chain to an anchor, so that later leaves
/// they issued need only their own signature checked: webpki verifies the
/// leaf with the intermediate as its trust anchor. An entry is used only
/// while the intermediate is within its validity and when its anchor
/// carries no name constraints, so the outcome is the same as a full path
/// build. (Scans see the same few intermediates over and over.)
#[derive(Debug, Default)]
pub(crate) struct IssuerCache {
    entries: Mutex<HashMap<[u8; 32], CachedIssuer>>,
}

#[derive(Debug, Clone)]
struct CachedIssuer {
    anchor: TrustAnchor<'static>,
    anchor_spki: [u8; 32],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// Most intermediates remembered (the cache is cleared when full).
const ISSUER_CACHE_LIMIT: usize = 4096;

impl IssuerCache {
    fn get(&self, issuer_sha256: &[u8; 32], at: OffsetDateTime) -> Option<CachedIssuer> {
        let map = self.entries.lock().ok()?;
        map.get(issuer_sha256)
            .filter(|c| c.not_before <= at && at <= c.not_after)
            .cloned()
    }

    fn remember(&self, issuer: &CertFacts, verified: &Verified) {
        if verified.anchor_constrained || !issuer.ok() {
            return;
        }
        let der = CertificateDer::from(issuer.der.as_slice());
        let Ok(anchor) = webpki::anchor_from_trusted_cert(&der) else {
            return;
        };
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= ISSUER_CACHE_LIMIT {
                map.clear();
            }
            map.insert(
                issuer.sha256,
                CachedIssuer {
                    anchor: anchor.to_owned(),
                    anchor_spki: verified.anchor_spki,
                    not_before: issuer.not_before,
                    not_after: issuer.not_after,
                },
            );
        }
    }
}

/// A time at which every certificate of the path is valid, if there is one.
fn time_all_valid(certs: &[CertFacts], path: &Path) -> Option<OffsetDateTime> {
    let in_path = path.certs.iter().map(|i| &certs[*i]);
    let start = in_path.clone().map(|c| c.not_before).max()?;
    let end = in_path.map(|c| c.not_after).min()?;
    (start <= end).then_some(start)
}

/// Does the chain build to an anchor? `name_path` links the served
/// certificates by name only (signatures are checked by webpki here).
/// Returns the outcome, webpki's error when untrusted, and a
/// `hostname-mismatch` finding when trusted but not valid for the name.
///
/// `extra` are certificates the server did not send (fetched from AIA
/// URLs, or from the intermediate pool; see [`super::completion`]): when
/// the served chain leads to no anchor, the path is built again with them,
/// and a path that needed one is trusted with an `incomplete-chain` note.
#[allow(clippy::too_many_arguments)]
pub(crate) fn evaluate(
    certs: &[CertFacts],
    name_path: &Path,
    anchors: Anchors<'_>,
    store: &crate::analysis_data::trust_store::TrustStore,
    expected_name: &str,
    at: OffsetDateTime,
    cache: &IssuerCache,
    extra: &[Candidate],
) -> (TrustOutcome, Option<webpki::Error>, Vec<Finding>) {
    let mut out = TrustOutcome::default();
    let mut findings = Vec::new();
    let Some(leaf_facts) = certs.first().filter(|c| c.ok()) else {
        return (out, None, findings);
    };
    let leaf_der = CertificateDer::from(leaf_facts.der.as_slice());
    let leaf = match EndEntityCert::try_from(&leaf_der) {
        Ok(leaf) => leaf,
        Err(e) => return (out, Some(e), findings),
    };
    // Fast path: the leaf's issuer is known to chain to an anchor.
    let issuer = name_path.certs.get(1).map(|i| &certs[*i]);
    let cached = issuer
        .and_then(|i| cache.get(&i.sha256, at))
        .filter(|c| build_path(&leaf, std::slice::from_ref(&c.anchor), &[], at).is_ok())
        .map(|c| c.anchor_spki);
    let verdict = match cached {
        Some(anchor_spki) => Ok(anchor_spki),
        None => {
            let intermediates: Vec<CertificateDer<'_>> = certs[1..]
                .iter()
                .filter(|c| c.ok())
                .map(|c| CertificateDer::from(c.der.as_slice()))
                .collect();
            let attempt = |anchors: &[TrustAnchor<'_>], intermediates: &[CertificateDer<'_>]| {
                let first = verify_at(&leaf, anchors, intermediates, at, extra);
                match first {
                    Err(webpki::Error::CertExpired { .. })
                    | Err(webpki::Error::CertNotValidYet { .. }) => {
                        match time_all_valid(certs, name_path) {
                            Some(t) => verify_at(&leaf, anchors, intermediates, t, extra),
                            None => first,
                        }
                    }
                    other => other,
                }
            };
            let mut result = attempt(anchors.today, &intermediates);
            let mut all = intermediates.clone();
            if result.is_err() && !extra.is_empty() {
                all.extend(
                    extra
                        .iter()
                        .map(|c| CertificateDer::from(c.facts.der.as_slice())),
                );
                if let Ok(completed) = attempt(anchors.today, &all) {
                    if let Some(note) = completion_finding(&completed, extra) {
                        findings.push(note);
                    }
                    result = Ok(completed);
                }
            }
            if let Ok(verified) = &result {
                if let Some(issuer) = verified
                    .issuer_der
                    .as_ref()
                    .and_then(|der| certs.iter().find(|c| &c.der == der))
                {
                    cache.remember(issuer, verified);
                }
            }
            // A root dropped from the store since the validation time: the
            // chain was publicly trusted then. Not remembered in the cache,
            // which serves every validation time.
            if result.is_err() && !anchors.past.is_empty() {
                match attempt(anchors.past, &all) {
                    Ok(then) => {
                        if let Some(note) = completion_finding(&then, extra) {
                            findings.push(note);
                        }
                        out.removed_root = true;
                        result = Ok(then);
                    }
                    // It reached a removed root and failed for another
                    // reason (SHA-1, expiry): that is the error to explain.
                    Err(e) if !matches!(e, webpki::Error::UnknownIssuer) => result = Err(e),
                    Err(_) => {}
                }
            }
            result.map(|v| v.anchor_spki)
        }
    };
    match verdict {
        Ok(anchor) => {
            name_check(leaf_facts, &leaf, expected_name, &mut findings);
            out.trusted = true;
            out.anchor_spki = Some(anchor);
            out.anchor_public = out.removed_root || store.is_public_anchor(&anchor);
            out.chain = Some(if out.anchor_public {
                ChainTrust::Public
            } else {
                ChainTrust::Local
            });
            (out, None, findings)
        }
        Err(e) => (out, Some(e), findings),
    }
}

/// `incomplete-chain` (info) for a path that used certificates the server
/// did not send, naming where each came from.
fn completion_finding(verified: &Verified, extra: &[Candidate]) -> Option<Finding> {
    let used: Vec<&Candidate> = verified.completed_by.iter().map(|&i| &extra[i]).collect();
    let first = used.first()?;
    let sources: Vec<String> = used
        .iter()
        .map(|c| format!("'{}' {}", c.facts.subject, c.origin.describe()))
        .collect();
    let mut evidence = cert_evidence(&first.facts);
    evidence.cert_index = None;
    Some(with_detail(
        with_evidence(
            finding(
                FindingCode::IncompleteChain,
                Severity::Info,
                "The chain was completed with an issuer the server did not send",
                format!(
                    "The chain leads to a trusted root only with {}, which the server did not send \
                     (or the recorder did not keep). Browsers complete such chains the same way, so \
                     the chain is judged as trusted; the server should send its full chain \
                     (certbot's fullchain.pem, not cert.pem).",
                    sources.join(", then ")
                ),
            ),
            evidence,
        ),
        format!(
            "certificates not sent (SHA-256): {}",
            used.iter()
                .map(|c| c.facts.sha256_hex())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// `hostname-mismatch` for a leaf whose chain could not be built (only
/// the leaf was recorded), so that a leaf for other names is still reported.
pub(crate) fn check_name(leaf: &CertFacts, expected_name: &str, findings: &mut Vec<Finding>) {
    if leaf.ok() {
        let der = CertificateDer::from(leaf.der.as_slice());
        if let Ok(parsed) = EndEntityCert::try_from(&der) {
            name_check(leaf, &parsed, expected_name, findings);
        }
    }
}

/// Reports a leaf that does not cover the expected name (meaningful once
/// the chain is trusted; untrusted chains are reported as such).
fn name_check(
    leaf_facts: &CertFacts,
    leaf: &EndEntityCert<'_>,
    expected_name: &str,
    findings: &mut Vec<Finding>,
) {
    let Ok(name) = ServerName::try_from(expected_name) else {
        return;
    };
    if leaf.verify_is_valid_for_subject_name(&name).is_ok() {
        return;
    }
    findings.push(with_detail(
        with_evidence(
            finding(
                FindingCode::HostnameMismatch,
                Severity::Medium,
                format!("The certificate is not valid for {expected_name}"),
                "The server presented a certificate for other names. Browsers refuse such connections. \
                 It can be a misconfigured server, or a device answering in place of the real server.",
            ),
            cert_evidence(leaf_facts),
        ),
        format!("names in the certificate: {}", leaf_facts.san_dns.join(", ")),
    ));
}

/// The trust anchor that `cert` links to by signature: one whose key is
/// `cert`'s own (the anchor was sent), or one named as `cert`'s issuer
/// whose key verifies `cert`'s signature. Checked with x509-parser, which
/// also accepts algorithms webpki has retired (SHA-1), so that a genuine
/// old chain is recognised for what it is.
fn anchor_of(cert: &CertFacts, anchors: Anchors<'_>) -> Option<[u8; 32]> {
    use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};
    let indexed = anchors.indexed();
    if indexed
        .iter()
        .any(|(index, in_use)| index.has_key(&cert.spki_sha256, *in_use))
    {
        return Some(cert.spki_sha256);
    }
    let issuer_name = crate::ct::der::read(&cert.issuer_raw).ok()?.0.content;
    let mut named = indexed
        .iter()
        .flat_map(|(index, in_use)| index.named(issuer_name, *in_use))
        .peekable();
    // Most certificates name no anchor as their issuer: no need to parse.
    named.peek()?;
    let (_, parsed) = X509Certificate::from_der(&cert.der).ok()?;
    named.find_map(|anchor| {
        let (_, key) = SubjectPublicKeyInfo::from_der(&anchor.spki_der).ok()?;
        parsed
            .verify_signature(Some(&key))
            .is_ok()
            .then_some(anchor.spki_sha256)
    })
}

/// The anchor above `certs[start]`: following served certificates that
/// sign each other upwards from it, the first one that links to an anchor.
pub(crate) fn anchor_above(
    certs: &[CertFacts],
    start: usize,
    anchors: Anchors<'_>,
) -> Option<[u8; 32]> {
    let mut seen = vec![start];
    let mut current = certs.get(start).filter(|c| c.ok())?;
    loop {
        if let Some(anchor) = anchor_of(current, anchors) {
            return Some(anchor);
        }
        let parent = certs.iter().find(|c| {
            c.ok()
                && !seen.contains(&c.index)
                && c.subject_raw == current.issuer_raw
                && signed_by(current, c)
        })?;
        seen.push(parent.index);
        current = parent;
    }
}

/// What webpki's refusal means, in words, for a chain that links by
/// signatures to a root of the trust store.
#[allow(deprecated)] // older webpki releases report the unit variants
fn rejection_reason(error: &webpki::Error) -> Option<String> {
    use webpki::Error as E;
    let text = match error {
        // Reported by `validity` as `expired` / `not-yet-valid`.
        E::CertExpired { .. } | E::CertNotValidYet { .. } => return None,
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "it is signed with an algorithm that current verifiers no longer accept (such as SHA-1, \
             retired by browsers in 2017). Genuine chains issued before then look like this"
        }
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => {
            "the certificate is not issued for TLS servers (its extended key usage lacks serverAuth)"
        }
        E::CaUsedAsEndEntity => "the server's certificate is a CA certificate",
        E::EndEntityUsedAsCa => "a certificate that is not a CA issued another certificate",
        E::NameConstraintViolation => {
            "a CA of the chain is name-constrained and may not issue for this name"
        }
        E::PathLenConstraintViolated => "the chain is longer than a CA of it allows",
        E::MaximumPathDepthExceeded | E::MaximumPathBuildCallsExceeded => {
            "the chain is too long or too tangled for the verifier to build"
        }
        _ => "the verifier refused it",
    };
    Some(text.to_string())
}

/// Why a chain that reaches no root is untrusted, from webpki's error, in
/// words.
#[allow(deprecated)] // older webpki releases report the unit variants
fn unknown_root_reason(error: &webpki::Error) -> &'static str {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => "no certificate of the chain is issued by a root of the trust store",
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "its signatures use an algorithm the verifier does not accept, and it leads to no root of \
             the trust store"
        }
        E::InvalidSignatureForPublicKey => {
            "a signature in it does not verify"
        }
        E::CertExpired { .. } | E::CertNotValidYet { .. } => {
            "it is outside its validity and leads to no root of the trust store"
        }
        _ => "the verifier could not build it to a root of the trust store",
    }
}

/// Explains why an untrusted chain is untrusted, and says how far it got
/// (`out.chain`). `path` is the signature-verified path from
/// [`super::linkage::check`]. `leaf_only` says the recorder kept only the
/// leaf (see [`super::recording`]): then nothing is said about what the
/// server sent. `at_past` says the validation time is well before the
/// trust store's date, so a root removed since may explain it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn untrusted(
    certs: &[CertFacts],
    path: &Path,
    error: &webpki::Error,
    anchors: Anchors<'_>,
    leaf_only: bool,
    broken_link: bool,
    out: &mut TrustOutcome,
    findings: &mut Vec<Finding>,
) {
    let top = &certs[path.top().unwrap_or(0)];
    let leaf = &certs[0];
    let webpki_detail = format!("webpki: {error:?}");
    // A genuine chain in a bad state: it links by signatures to a root of
    // the trust store, and webpki refused it for another reason.
    if !broken_link {
        if let Some(anchor) = anchor_of(top, anchors) {
            out.chain = Some(ChainTrust::AnchoredRejected);
            out.anchor_spki = Some(anchor);
            if let Some(reason) = rejection_reason(error) {
                findings.push(with_detail(
                    with_evidence(
                        finding(
                            FindingCode::ChainRejected,
                            Severity::Low,
                            "The chain leads to a trusted root but is not accepted",
                            format!(
                                "Each certificate's signature checks out up to a root of your trust store, \
                                 so the chain is not someone else's; but {reason}. Browsers refuse it too. \
                                 This is a problem of the server, not a sign of interception."
                            ),
                        ),
                        cert_evidence(top),
                    ),
                    webpki_detail,
                ));
            }
            return;
        }
    }
    let self_signed_top = top.self_issued() && signed_by(top, top);
    if broken_link {
        out.chain = Some(ChainTrust::Broken);
    } else if self_signed_top && top.index == 0 {
        out.chain = Some(ChainTrust::SelfSigned);
    } else if top.index > 0 {
        out.chain = Some(ChainTrust::ServedUntrustedCa);
    } else {
        out.chain = Some(ChainTrust::UnknownIssuer);
    }
    if self_signed_top {
        let what = if top.index == 0 {
            "The server's certificate is self-signed"
        } else {
            "The chain ends at a self-signed root that is not in the trust store"
        };
        findings.push(with_detail(
            with_evidence(
                finding(
                    FindingCode::UntrustedRoot,
                    Severity::Medium,
                    what,
                    format!(
                        "The chain ends at '{}', a root certificate the server sent itself and which your trust \
                         store does not contain. Interception devices and software use their own root \
                         like this. Private servers (a router's admin page, a test server, a company's \
                         internal site) do the same: if this is such a server, add its root with \
                         --extra-roots.",
                        top.subject
                    ),
                ),
                cert_evidence(top),
            ),
            webpki_detail,
        ));
        return;
    }
    let issuer_was_sent = certs
        .iter()
        .any(|c| c.ok() && c.index != top.index && c.subject_raw == top.issuer_raw);
    // A leaf whose issuer nobody sent, carrying the Authority Information
    // Access pointer public CAs put there: most likely a server that
    // forgot its intermediate, but it could not be checked.
    if leaf.has_extension(OID_AIA) && leaf.index == top.index && !issuer_was_sent {
        let explanation = if leaf_only {
            format!(
                "The recorder kept only the leaf. It was issued by '{}', which is not in your trust \
                 store, so the chain could not be checked. A public CA's leaf looks like this when its \
                 intermediate is left out; so does a forged leaf that copies the genuine one's fields.",
                top.issuer
            )
        } else {
            format!(
                "The certificate was issued by '{}', which the server did not send and which could not \
                 be fetched or found (see the observation's fetched issuers), so the chain could not be \
                 checked. Servers often forget their intermediate, and browsers then fetch it from the \
                 address in the certificate: most likely this is that misconfiguration. But a forged \
                 leaf sent alone looks the same, so it stays unsettled.",
                top.issuer
            )
        };
        findings.push(with_detail(
            with_evidence(
                finding(
                    FindingCode::IncompleteChain,
                    Severity::Medium,
                    "The chain could not be checked: its intermediate is missing",
                    explanation,
                ),
                cert_evidence(top),
            ),
            webpki_detail,
        ));
        return;
    }
    let reason = unknown_root_reason(error);
    let explanation = if leaf_only {
        format!(
            "The chain stops at '{}', an issuer the recorder did not keep and that is not in your \
             trust store ({reason}). Public CAs put an AIA pointer in the leaves they issue; this leaf \
             has none, as interceptors' forged leaves often do not.",
            top.issuer
        )
    } else if issuer_was_sent {
        format!(
            "The chain breaks at '{}': the server sent a certificate named like its issuer '{}', \
             but the signature does not verify with it (see issuer-mismatch), so the chain leads \
             to no trusted root.",
            top.subject, top.issuer
        )
    } else if top.index > 0 {
        format!(
            "The server sent the CA '{}', which issued its certificate, but that CA leads to no root \
             of your trust store: {reason}. Interception devices send their own CA like this. So do \
             private CAs, and public CAs whose root your trust store lacks (check --roots).",
            top.subject
        )
    } else {
        format!(
            "The chain stops at '{}', an issuer that the server did not send and that is not in \
             your trust store: {reason}. The certificate has no address (AIA) to fetch its issuer \
             from. A server that forgot its intermediate, or a CA your trust store lacks (check \
             --roots), looks like this; so does an interception device that sends only its forged \
             certificate.",
            top.issuer
        )
    };
    findings.push(with_detail(
        with_evidence(
            finding(
                FindingCode::UntrustedRoot,
                Severity::Medium,
                "The chain does not lead to a trusted root",
                explanation,
            ),
            cert_evidence(top),
        ),
        webpki_detail,
    ));
}

/// `local-root` for a chain trusted only through a root added on this
/// machine.
pub(crate) fn local_root(leaf: &CertFacts, name: &str) -> Finding {
    with_evidence(
        finding(
            FindingCode::LocalRoot,
            Severity::Medium,
            "Trusted only through a root added on this machine",
            format!(
                "The certificate for {name} chains to a root that was added locally (--extra-roots or \
                 the system store), not to a public CA. Browsers accept it without a warning, which is \
                 how installed interception roots (corporate proxies, antivirus, state roots) stay \
                 silent. If {name} is a public site, whoever holds that root's key is reading this \
                 connection; if it is an internal server of your organisation with its own CA, this \
                 is expected."
            ),
        ),
        cert_evidence(leaf),
    )
}

/// `expired` / `not-yet-valid` for the certificates of `path`.
pub(crate) fn validity(
    certs: &[CertFacts],
    path: &Path,
    at: OffsetDateTime,
    findings: &mut Vec<Finding>,
) {
    for &i in &path.certs {
        let cert = &certs[i];
        let role = if i == 0 {
            "The server's certificate"
        } else {
            "A certificate in the chain"
        };
        if at > cert.not_after {
            findings.push(with_evidence(
                finding(
                    FindingCode::Expired,
                    Severity::Low,
                    format!("{role} has expired"),
                    format!(
                        "'{}' was valid until {}. Expired certificates are a server problem, but \
                         interception devices have also served expired certificates.",
                        cert.subject,
                        crate::certinfo::rfc3339(cert.not_after)
                    ),
                ),
                cert_evidence(cert),
            ));
        } else if at < cert.not_before {
            findings.push(with_evidence(
                finding(
                    FindingCode::NotYetValid,
                    Severity::Low,
                    format!("{role} is not valid yet"),
                    format!(
                        "'{}' becomes valid only at {}. Check this computer's clock; a certificate \
                         minted with a wrong clock is also a sign of on-the-fly generation.",
                        cert.subject,
                        crate::certinfo::rfc3339(cert.not_before)
                    ),
                ),
                cert_evidence(cert),
            ));
        }
    }
}
