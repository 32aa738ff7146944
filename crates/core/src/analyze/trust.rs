//! Trust, judged in one place: does the chain build (webpki, with the
//! served intermediates in any order, and the certificates the server did
//! not send) to a root of the trust store at the validation time? The
//! answer is one typed [`TrustOutcome`]: verified (through a public, local
//! or since-removed root), rejected (it links by signatures to a root, but
//! the verifier refuses it, for a benign or a security reason), or
//! unanchored (how far it got). The findings that explain it are made from
//! it in [`super::trust_findings`]; validity and name problems are reported
//! apart, so that an expired certificate under a public root is not taken
//! for an unknown root.
//!
//! Nothing here depends on what was judged before: signatures are
//! remembered by [`SignatureMemo`] (a cache of a pure function), and a
//! whole outcome only by [`super::chain_memo`], keyed by everything it is
//! made from and used only at times well inside every certificate's
//! validity, where the time cannot change it; so a verdict does not depend
//! on the order of the input.

use super::anchor_index::AnchorIndex;
use super::chain::{signature_by, signature_under, CertFacts};
use super::completion::Candidate;
use super::constraints;
use super::linkage::{self, BrokenLink, Path};
use super::signature::{browsers_accept, SignatureCheck, SignatureMemo};
use crate::analysis_data::trust_store::TrustStore;
use crate::model::{ChainTrust, Fingerprint};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use time::OffsetDateTime;
use webpki::{EndEntityCert, KeyUsage};

/// Why a chain that links by signatures to a root of the trust store is
/// refused by the verifier. Only [`Rejection::benign`] reasons are the
/// server's own problem; the others are security failures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// A certificate is outside its validity (reported as `expired` or
    /// `not-yet-valid`). Benign.
    Validity,
    /// A signature uses an algorithm browsers retired (RSA with SHA-1, RSA
    /// keys under 2048 bits) that mitmwatch checked and found valid: a
    /// genuine old chain. Benign.
    LegacyAlgorithm,
    /// Certificate `issuer`, which says it is not a CA, signed certificate
    /// `issued`: the basicConstraints forgery. No benign explanation.
    NonCaIssuer {
        /// Position of the end-entity certificate that acted as a CA.
        issuer: usize,
        /// Position of the certificate it signed.
        issued: usize,
    },
    /// A constraint of the chain is broken.
    Constraint(Constraint),
    /// webpki refuses the chain for this constraint, but by RFC 5280, as
    /// checked here, the chain keeps it: a CA certificate in the leaf's
    /// place, self-issued intermediates that the RFC does not count against
    /// a path length or hold to name constraints, name constraints in forms
    /// webpki does not implement, or another path webpki built through the
    /// same certificates. Benign: the verifier's strictness.
    StricterThanRfc(Constraint),
    /// The signature of certificate `cert` cannot be checked here (an
    /// algorithm mitmwatch does not implement, or a certificate whose two
    /// signature-algorithm fields disagree): nothing is proven either way.
    Unverifiable {
        /// Position of the certificate whose signature cannot be checked.
        cert: usize,
        /// Its outer and inner signature algorithms differ (malformed).
        malformed: bool,
    },
}

/// Which constraint of a chain is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Constraint {
    /// A CA of the chain is name-constrained and may not issue for the name.
    Names,
    /// The chain is longer than a CA of it allows.
    PathLength,
    /// A certificate's extended key usage excludes TLS servers.
    KeyPurpose,
    /// The server's certificate is a CA certificate.
    CaAsLeaf,
    /// An issuing certificate lacks the CA marking (no BasicConstraints, as
    /// in a version 1 certificate) without saying it is an end entity.
    MissingCaMark,
    /// The verifier refused it for another reason (its error is kept).
    Other,
}

/// What trust evaluation concluded: the one trust result the findings and
/// the verdict are made from.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrustOutcome {
    /// The chain builds to an anchor of the trust store (at the validation
    /// time, or at a time when every certificate of the path is valid).
    pub(crate) trusted: bool,
    /// SPKI SHA-256 of the anchor the chain builds or links to.
    pub(crate) anchor_spki: Option<Fingerprint>,
    /// That anchor belongs to the base trust store (Mozilla's roots, or
    /// `--roots`) or is a root Mozilla's store has dropped since the
    /// validation time, not to `--extra-roots` additions.
    pub(crate) anchor_public: bool,
    /// How far the chain got; `None` when there was no parsable leaf.
    pub(crate) chain: Option<ChainTrust>,
    /// The anchor is a root Mozilla's store has dropped since the
    /// validation time.
    pub(crate) removed_root: bool,
    /// Why a chain that links to an anchor is refused.
    pub(crate) rejection: Option<Rejection>,
    /// webpki's error, when the chain was not trusted.
    pub(crate) error: Option<webpki::Error>,
    /// The issuance path through the served certificates, leaf first:
    /// linked by name for a trusted chain (webpki checked the signatures),
    /// by signature otherwise.
    pub(crate) path: Path,
    /// A served certificate whose named issuer was sent but did not sign it.
    pub(crate) broken: Option<BrokenLink>,
    /// Positions in the completion candidates of the certificates the
    /// server did not send that the trusted path needed.
    pub(crate) completed_by: Vec<usize>,
}

impl TrustOutcome {
    /// Trusted through a public root, or linked to one and rejected.
    pub(crate) fn publicly_anchored(&self) -> bool {
        self.anchor_spki.is_some() && self.anchor_public
    }

    /// Trusted through a public root (or one removed since).
    pub(crate) fn publicly_trusted(&self) -> bool {
        self.trusted && self.anchor_public
    }

    /// The keys of the CAs shown to be above the leaf: each certificate of
    /// the issuance path that verifiably signed the one below it (up to the
    /// first link that does not verify), the certificates the server did
    /// not send that the trusted path needed, and the anchor when every
    /// link up to it is proven. A certificate that was merely sent (a
    /// genuine intermediate appended to a forged chain) is not among them,
    /// so pins and baselines cannot be satisfied by it.
    /// `verified` is how many links of the path verify from the leaf up
    /// ([`verified_links`], which the chain memo remembers).
    pub(crate) fn proven_ca_keys(
        &self,
        certs: &[CertFacts],
        extra: &[Candidate],
        verified: usize,
    ) -> ProvenKeys {
        let whole = verified >= self.path.certs.len().saturating_sub(1);
        let mut cas: Vec<Fingerprint> = self
            .path
            .certs
            .iter()
            .skip(1)
            .take(verified)
            .filter_map(|&i| certs.get(i).and_then(|c| c.spki()))
            .collect();
        if self.trusted {
            cas.extend(
                self.completed_by
                    .iter()
                    .filter_map(|&i| extra.get(i))
                    .filter_map(|c| c.facts.spki()),
            );
        }
        let anchor_proven = self.trusted
            || (whole && !matches!(self.rejection, Some(Rejection::Unverifiable { .. })));
        ProvenKeys {
            cas,
            anchor: self.anchor_spki.filter(|_| anchor_proven),
        }
    }
}

/// How many links of `path` verify from the leaf up: each certificate
/// signed by the next, up to the first that is not.
pub(crate) fn verified_links(certs: &[CertFacts], path: &Path, memo: &SignatureMemo) -> usize {
    path.certs
        .windows(2)
        .take_while(|pair| {
            matches!(
                (certs.get(pair[0]), certs.get(pair[1])),
                (Some(child), Some(parent))
                    if signature_by(child, parent, memo) == SignatureCheck::Valid
            )
        })
        .count()
}

/// What [`TrustOutcome::proven_ca_keys`] found.
#[derive(Debug, Default)]
pub(crate) struct ProvenKeys {
    /// SPKI SHA-256 of the CAs proven to be above the leaf, below the
    /// anchor.
    pub(crate) cas: Vec<Fingerprint>,
    /// The anchor's, when the whole path up to it is proven.
    pub(crate) anchor: Option<Fingerprint>,
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
    /// Each index with the number of its anchors in use, today's first,
    /// and whether it holds removed roots.
    fn indexed(&self) -> [(&AnchorIndex, usize, bool); 2] {
        debug_assert_eq!(self.today_index.len(), self.today.len());
        debug_assert!(self.past.len() <= self.past_index.len());
        [
            (self.today_index, self.today.len(), false),
            (self.past_index, self.past.len(), true),
        ]
    }
}

/// A verified path's facts worth keeping.
struct Verified {
    anchor_spki: Fingerprint,
    /// Positions in the completion candidates of the path's certificates
    /// that the server did not send.
    completed_by: Vec<usize>,
}

/// The path webpki builds from `leaf` to one of `anchors` through
/// `intermediates`, valid at `at` for server authentication, checking
/// signatures through `algorithms` (the memo's).
fn verify_at(
    leaf: &EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    at: OffsetDateTime,
    algorithms: &[&dyn SignatureVerificationAlgorithm],
    extra: &[Candidate],
) -> Result<Verified, webpki::Error> {
    leaf.verify_for_usage(
        algorithms,
        anchors,
        intermediates,
        unix(at),
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|path| Verified {
        completed_by: path
            .intermediate_certificates()
            .filter_map(|c| extra.iter().position(|e| e.facts.der == c.der().as_ref()))
            .collect(),
        anchor_spki: Fingerprint::of(webpki::spki_for_anchor(path.anchor()).as_ref()),
    })
}

/// A time at which every certificate of the path is valid, if there is one.
fn time_all_valid(certs: &[CertFacts], path: &Path) -> Option<OffsetDateTime> {
    let in_path = path.certs.iter().map(|i| &certs[*i]);
    let start = in_path.clone().map(|c| c.not_before).max()?;
    let end = in_path.map(|c| c.not_after).min()?;
    (start <= end).then_some(start)
}

/// Judges the trust of a served chain. `extra` are certificates the server
/// did not send (fetched from AIA URLs, or from the intermediate pool; see
/// [`super::completion`]): when the served chain leads to no anchor, the
/// path is built again with them.
pub(crate) fn evaluate(
    certs: &[CertFacts],
    anchors: Anchors<'_>,
    store: &TrustStore,
    at: OffsetDateTime,
    extra: &[Candidate],
    memo: &SignatureMemo,
) -> TrustOutcome {
    let mut out = TrustOutcome::default();
    let Some(leaf_facts) = certs.first().filter(|c| c.ok()) else {
        return out;
    };
    let name_path = linkage::name_path(certs);
    let leaf_der = CertificateDer::from(leaf_facts.der.as_slice());
    let leaf = match EndEntityCert::try_from(&leaf_der) {
        Ok(leaf) => leaf,
        Err(e) => {
            untrusted(certs, e, anchors, store, memo, &mut out);
            return out;
        }
    };
    let memoized = memo.webpki_algorithms();
    let algorithms: Vec<&dyn SignatureVerificationAlgorithm> = memoized
        .iter()
        .map(|a| a as &dyn SignatureVerificationAlgorithm)
        .collect();
    let served: Vec<CertificateDer<'_>> = certs[1..]
        .iter()
        .filter(|c| c.ok())
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let attempt = |anchors: &[TrustAnchor<'_>], intermediates: &[CertificateDer<'_>]| {
        let first = verify_at(&leaf, anchors, intermediates, at, &algorithms, extra);
        match first {
            Err(webpki::Error::CertExpired { .. }) | Err(webpki::Error::CertNotValidYet { .. }) => {
                match time_all_valid(certs, &name_path) {
                    Some(t) => verify_at(&leaf, anchors, intermediates, t, &algorithms, extra),
                    None => first,
                }
            }
            other => other,
        }
    };
    let mut result = attempt(anchors.today, &served);
    let mut all = served.clone();
    if result.is_err() && !extra.is_empty() {
        all.extend(
            extra
                .iter()
                .map(|c| CertificateDer::from(c.facts.der.as_slice())),
        );
        if let Ok(completed) = attempt(anchors.today, &all) {
            result = Ok(completed);
        }
    }
    // A root dropped from the store since the validation time: the chain
    // was publicly trusted then.
    if result.is_err() && !anchors.past.is_empty() {
        match attempt(anchors.past, &all) {
            Ok(then) => {
                out.removed_root = true;
                result = Ok(then);
            }
            // It reached a removed root and failed for another reason
            // (SHA-1, expiry): that is the error to explain.
            Err(e) if !matches!(e, webpki::Error::UnknownIssuer) => result = Err(e),
            Err(_) => {}
        }
    }
    match result {
        Ok(verified) => {
            out.trusted = true;
            out.anchor_spki = Some(verified.anchor_spki);
            out.anchor_public = out.removed_root || store.is_public_anchor(&verified.anchor_spki);
            out.chain = Some(if out.anchor_public {
                ChainTrust::Public
            } else {
                ChainTrust::Local
            });
            out.completed_by = verified.completed_by;
            out.path = name_path;
        }
        Err(e) => untrusted(certs, e, anchors, store, memo, &mut out),
    }
    out
}

/// How a certificate links to a trust anchor: the anchor's key, whether
/// it came from the removed roots, and whether the signature was checked
/// ([`SignatureCheck::Valid`]) or cannot be ([`SignatureCheck::Unsupported`]).
struct AnchorLink {
    spki: Fingerprint,
    removed: bool,
    check: SignatureCheck,
}

/// The trust anchor that `cert` links to: one whose key is `cert`'s own
/// (the anchor was sent), or one named as `cert`'s issuer whose key
/// verifies `cert`'s signature; failing that, one named so whose key cannot
/// check it (an algorithm not implemented here), which links it without
/// proof. Checked with the analysis' algorithms, which include those
/// browsers retired (SHA-1), so that a genuine old chain is recognised for
/// what it is.
fn anchor_link(cert: &CertFacts, anchors: Anchors<'_>, memo: &SignatureMemo) -> Option<AnchorLink> {
    let indexed = anchors.indexed();
    if let Some((_, _, removed)) = indexed
        .iter()
        .find(|(index, in_use, _)| index.has_key(&cert.spki_sha256, *in_use))
    {
        return Some(AnchorLink {
            spki: cert.spki_sha256,
            removed: *removed,
            check: SignatureCheck::Valid,
        });
    }
    let issuer_name = super::anchor_index::name_content(&cert.issuer_raw)?;
    let mut unverifiable = None;
    for (index, in_use, removed) in indexed {
        for anchor in index.named(issuer_name, in_use) {
            let Some(key) = &anchor.key else { continue };
            match signature_under(cert, &key.as_public_key(), memo) {
                SignatureCheck::Valid => {
                    return Some(AnchorLink {
                        spki: anchor.spki_sha256,
                        removed,
                        check: SignatureCheck::Valid,
                    })
                }
                SignatureCheck::Unsupported if unverifiable.is_none() => {
                    unverifiable = Some(AnchorLink {
                        spki: anchor.spki_sha256,
                        removed,
                        check: SignatureCheck::Unsupported,
                    })
                }
                _ => {}
            }
        }
    }
    unverifiable
}

/// The anchor above `certs[start]`: following served certificates that
/// verifiably sign each other upwards from it, the first one that links
/// to an anchor by a valid signature.
pub(crate) fn anchor_above(
    certs: &[CertFacts],
    start: usize,
    anchors: Anchors<'_>,
    memo: &SignatureMemo,
) -> Option<Fingerprint> {
    let mut seen = vec![start];
    let mut current = certs.get(start).filter(|c| c.ok())?;
    loop {
        if let Some(link) = anchor_link(current, anchors, memo) {
            if link.check == SignatureCheck::Valid {
                return Some(link.spki);
            }
        }
        let parent = certs.iter().find(|c| {
            c.ok()
                && !seen.contains(&c.index)
                && c.subject_raw == current.issuer_raw
                && signature_by(current, c, memo) == SignatureCheck::Valid
        })?;
        seen.push(parent.index);
        current = parent;
    }
}

/// Classifies an untrusted chain: links it by signature
/// ([`linkage::check`]), finds the anchor it links to, if any, and says
/// why the verifier refused it or how far it got.
fn untrusted(
    certs: &[CertFacts],
    error: webpki::Error,
    anchors: Anchors<'_>,
    store: &TrustStore,
    memo: &SignatureMemo,
    out: &mut TrustOutcome,
) {
    let (path, broken) = linkage::check(certs, memo);
    let top = &certs[path.top().unwrap_or(0)];
    out.broken = broken;
    out.chain = Some(if broken.is_some() {
        ChainTrust::Broken
    } else {
        match anchor_link(top, anchors, memo) {
            Some(link) => {
                out.anchor_spki = Some(link.spki);
                out.anchor_public = link.removed || store.is_public_anchor(&link.spki);
                out.removed_root = link.removed;
                out.rejection = Some(rejection(certs, &path, &error, top, &link, anchors, memo));
                if out.anchor_public {
                    ChainTrust::AnchoredRejected
                } else {
                    ChainTrust::LocalRejected
                }
            }
            None if top.index == 0
                && top.self_issued()
                && signature_by(top, top, memo) != SignatureCheck::Invalid =>
            {
                ChainTrust::SelfSigned
            }
            None if top.index > 0 => ChainTrust::ServedUntrustedCa,
            None => ChainTrust::UnknownIssuer,
        }
    });
    out.error = Some(error);
    out.path = path;
}

/// Why a chain that links to an anchor (`link`, from `top`) was refused,
/// most specific first: an end entity acting as a CA, a signature that
/// cannot be checked, a broken constraint, then the benign reasons.
#[allow(deprecated)] // older webpki releases report the unit variants
fn rejection(
    certs: &[CertFacts],
    path: &Path,
    error: &webpki::Error,
    top: &CertFacts,
    link: &AnchorLink,
    anchors: Anchors<'_>,
    memo: &SignatureMemo,
) -> Rejection {
    use webpki::Error as E;
    for pair in path.certs.windows(2) {
        let (issued, issuer) = (pair[0], pair[1]);
        if certs[issuer].declares_end_entity() && !path.unverified.contains(&issued) {
            return Rejection::NonCaIssuer { issuer, issued };
        }
    }
    if let Some(&cert) = path.unverified.first() {
        return Rejection::Unverifiable {
            cert,
            malformed: !certs[cert].algorithms_agree(),
        };
    }
    if link.check == SignatureCheck::Unsupported {
        return Rejection::Unverifiable {
            cert: top.index,
            malformed: !top.algorithms_agree(),
        };
    }
    let constraint = match error {
        E::NameConstraintViolation => Some(Constraint::Names),
        E::PathLenConstraintViolated => Some(Constraint::PathLength),
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => Some(Constraint::KeyPurpose),
        E::CaUsedAsEndEntity => Some(Constraint::CaAsLeaf),
        E::EndEntityUsedAsCa => Some(Constraint::MissingCaMark),
        _ => None,
    };
    // What RFC 5280 says of the constraints webpki is stricter about.
    let rfc_holds = |c: Constraint| match c {
        Constraint::CaAsLeaf => true,
        Constraint::PathLength => constraints::path_length_holds(certs, path),
        Constraint::Names => constraints::names_within(certs, path) == Some(true),
        _ => false,
    };
    if let Some(constraint) = constraint {
        return if rfc_holds(constraint) {
            Rejection::StricterThanRfc(constraint)
        } else {
            Rejection::Constraint(constraint)
        };
    }
    // Every signature of the path verified here, and its limits hold by
    // the RFC: webpki refused another path through the same certificates.
    if matches!(error, E::InvalidSignatureForPublicKey | E::UnknownIssuer)
        && link.check == SignatureCheck::Valid
        && constraints::path_length_holds(certs, path)
        && constraints::names_within(certs, path) == Some(true)
    {
        return Rejection::StricterThanRfc(Constraint::Other);
    }
    if matches!(error, E::CertExpired { .. } | E::CertNotValidYet { .. }) {
        return Rejection::Validity;
    }
    if uses_retired_algorithm(certs, path, top, anchors, memo) {
        return Rejection::LegacyAlgorithm;
    }
    Rejection::Constraint(Constraint::Other)
}

/// Whether a link of the path, or its top's link to the anchor, is signed
/// with an algorithm browsers no longer accept (RSA with SHA-1, short RSA
/// keys).
fn uses_retired_algorithm(
    certs: &[CertFacts],
    path: &Path,
    top: &CertFacts,
    anchors: Anchors<'_>,
    memo: &SignatureMemo,
) -> bool {
    let retired = |child: &CertFacts, key: &super::signature::PublicKey<'_>| {
        child
            .signed()
            .is_some_and(|signed| !browsers_accept(&signed, key))
    };
    let in_path = path.certs.windows(2).any(|pair| {
        let (child, parent) = (&certs[pair[0]], &certs[pair[1]]);
        parent.public_key().is_some_and(|key| retired(child, &key))
    });
    if in_path {
        return true;
    }
    let Some(name) = super::anchor_index::name_content(&top.issuer_raw) else {
        return false;
    };
    anchors.indexed().iter().any(|(index, in_use, _)| {
        index.named(name, *in_use).any(|anchor| {
            anchor.key.as_ref().is_some_and(|key| {
                let key = key.as_public_key();
                signature_under(top, &key, memo) == SignatureCheck::Valid && retired(top, &key)
            })
        })
    })
}
