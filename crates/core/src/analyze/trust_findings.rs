//! The findings that explain a [`TrustOutcome`]: one function per kind of
//! result, each saying what it means and, where there is one, its benign
//! explanation. The trust result itself is made in [`super::trust`]; this
//! file only words it.

use super::chain::{CertFacts, OID_AIA};
use super::chain_memo::ChainWork;
use super::completion::Candidate;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use super::linkage;
use super::signature::SignatureMemo;
use super::trust::{anchor_above, Anchors, Constraint, Rejection, TrustOutcome};
use crate::analysis_data::removed_roots::RemovedRoots;
use crate::model::{ChainTrust, Finding, FindingCode, Severity};
use rustls_pki_types::{CertificateDer, ServerName};
use time::OffsetDateTime;
use webpki::EndEntityCert;

/// What the trust findings need besides the outcome.
pub(crate) struct Context<'a> {
    /// The served chain.
    pub(crate) certs: &'a [CertFacts],
    /// Certificates the server did not send that path building could use.
    pub(crate) extra: &'a [Candidate],
    /// The name the leaf should cover.
    pub(crate) name: &'a str,
    /// Only the leaf was recorded (see [`super::recorder_gaps`]).
    pub(crate) leaf_only: bool,
    /// The anchors the chain was judged with.
    pub(crate) anchors: Anchors<'a>,
    /// The removed roots, to name one.
    pub(crate) removed: &'a RemovedRoots,
    /// The validation time.
    pub(crate) at: OffsetDateTime,
    /// The signature memo.
    pub(crate) memo: &'a SignatureMemo,
    /// The chain's remembered work (the name check).
    pub(crate) work: &'a ChainWork,
}

/// Every finding that explains the trust outcome.
pub(crate) fn findings(trust: &TrustOutcome, cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(leaf) = cx.certs.first().filter(|c| c.ok()) else {
        return out;
    };
    if trust.trusted {
        out.extend(completion_finding(&trust.completed_by, cx.extra));
        name_check(leaf, cx.name, cx.work, &mut out);
        if trust.chain == Some(ChainTrust::Local) {
            out.push(local_root(leaf, cx.name, true));
        }
        if trust.removed_root {
            out.extend(removed_root_finding(cx.removed, trust, cx.at));
        }
        return out;
    }
    if let Some(link) = trust.broken {
        let genuine_issuer = link.copies_key_id(cx.certs)
            && anchor_above(cx.certs, link.claimed_issuer, cx.anchors, cx.memo).is_some();
        out.push(linkage::broken_link_finding(cx.certs, link, genuine_issuer));
    }
    // Refused, but linked to a root added on this machine: no public CA
    // issued it, so the reason for the refusal does not make it benign.
    if trust.chain == Some(ChainTrust::LocalRejected) {
        out.push(local_root(leaf, cx.name, false));
    }
    match &trust.rejection {
        Some(rejection) => out.extend(rejection_finding(trust, rejection, cx)),
        None => {
            out.push(unanchored_finding(trust, cx));
            // A link followed without proof: whoever issued the leaf, it
            // cannot be shown to be the CA that was sent.
            if let Some(&i) = trust.path.unverified.first() {
                let c = &cx.certs[i];
                out.push(unverifiable(
                    c,
                    !c.algorithms_agree(),
                    None,
                    webpki_detail(trust),
                ));
            }
        }
    }
    if cx.leaf_only {
        // No chain to build, but the leaf's names can still be checked.
        name_check(leaf, cx.name, cx.work, &mut out);
    }
    out
}

fn webpki_detail(trust: &TrustOutcome) -> String {
    match &trust.error {
        Some(e) => format!("webpki: {e:?}"),
        None => "webpki: no error recorded".to_string(),
    }
}

/// The finding for a chain that links by signatures to a root of the trust
/// store and that the verifier refuses.
fn rejection_finding(
    trust: &TrustOutcome,
    rejection: &Rejection,
    cx: &Context<'_>,
) -> Option<Finding> {
    let certs = cx.certs;
    let top = &certs[trust.path.top().unwrap_or(0)];
    let root_kind = if trust.anchor_public {
        "a root of your trust store"
    } else {
        "a root added on this machine"
    };
    let detail = webpki_detail(trust);
    let rejected = |severity: Severity, reason: &str, benign: &str, cert: &CertFacts| {
        with_detail(
            with_evidence(
                finding(
                    FindingCode::ChainRejected,
                    severity,
                    "The chain leads to a trusted root but is not accepted",
                    format!(
                        "Each certificate's signature checks out up to {root_kind}, but {reason}. \
                         Browsers refuse it too. {benign}"
                    ),
                ),
                cert_evidence(cert),
            ),
            detail.clone(),
        )
    };
    const SERVER_PROBLEM: &str = "This is a problem of the server, not a sign of interception.";
    const PRIVATE_PKI: &str = "A misconfigured private CA (a company's or a device maker's) \
         can do this by mistake; a public CA must not, and a CA that breaks its own limits is \
         what a compromised or rogue sub-CA looks like. It cannot be settled from the chain.";
    Some(match rejection {
        // Reported by the validity check as `expired` / `not-yet-valid`.
        Rejection::Validity => return None,
        Rejection::LegacyAlgorithm => rejected(
            Severity::Low,
            "it is signed with an algorithm that current verifiers no longer accept (such as \
             SHA-1, retired by browsers in 2017, or an RSA key shorter than 2048 bits). Genuine \
             chains issued before then look like this",
            SERVER_PROBLEM,
            top,
        ),
        Rejection::NonCaIssuer { issuer, issued } => {
            let (ca, child) = (&certs[*issuer], &certs[*issued]);
            with_detail(
                with_evidence(
                    finding(
                        FindingCode::NonCaIssuer,
                        Severity::High,
                        "A certificate that is not a CA issued another",
                        format!(
                            "Certificate #{} ('{}') says it is not a certificate authority (its basic \
                             constraints, or its key usage, make it an end entity), yet its key signed \
                             certificate #{} ('{}'), which leads to {root_kind}. Whoever holds the key of \
                             any ordinary certificate can mint certificates for any name this way; \
                             clients that check basic constraints refuse them, clients that do not are \
                             fooled. This is the basicConstraints forgery (sslsniff, 2002). A genuine \
                             server never sends such a chain: there is no benign explanation.",
                            ca.index, ca.subject, child.index, child.subject
                        ),
                    ),
                    cert_evidence(ca),
                ),
                format!(
                    "certificate #{} signed by the end-entity certificate #{} (SHA-256 {}); {detail}",
                    child.index,
                    ca.index,
                    ca.sha256
                ),
            )
        }
        Rejection::Constraint(constraint) => {
            let reason = match constraint {
                Constraint::Names => {
                    "a CA of the chain is name-constrained and may not issue for this name (the \
                     pattern of sub-CAs caught issuing for names outside their scope, such as \
                     google.com)"
                }
                Constraint::PathLength => "the chain is longer than a CA of it allows",
                Constraint::KeyPurpose => {
                    "a certificate of the chain is not for TLS servers (its extended key usage \
                     lacks serverAuth)"
                }
                Constraint::CaAsLeaf => "the server's certificate is a CA certificate",
                Constraint::MissingCaMark => {
                    "a certificate that issued another is not marked as a CA (it has no basic \
                     constraints; old version 1 CA certificates look like this)"
                }
                Constraint::Other => "the verifier refused it",
            };
            rejected(Severity::Medium, reason, PRIVATE_PKI, top)
        }
        Rejection::StricterThanRfc(constraint) => {
            let reason = match constraint {
                Constraint::CaAsLeaf => "the server's certificate is a CA certificate",
                Constraint::PathLength => "it counts the chain as longer than a CA of it allows",
                Constraint::Names => "it holds the chain to name constraints",
                _ => "it built another path through these certificates and refused that one",
            };
            rejected(
                Severity::Low,
                &format!(
                    "webpki refuses it: {reason}. RFC 5280, as checked here, allows this chain (a \
                     CA certificate may be a leaf; self-issued intermediates do not count against \
                     a path length and are not held to name constraints; the leaf's names are \
                     within every constraint), so this is the verifier's strictness, not a CA \
                     breaking its limits"
                ),
                "It is not a sign of interception.",
                top,
            )
        }
        Rejection::Unverifiable { cert, malformed } => {
            unverifiable(&certs[*cert], *malformed, Some(root_kind), detail)
        }
    })
}

/// `unverifiable-signature` for a certificate whose signature cannot be
/// checked: `anchor` names the kind of root the chain is named up to, if
/// it is.
fn unverifiable(c: &CertFacts, malformed: bool, anchor: Option<&str>, detail: String) -> Finding {
    let why = if malformed {
        "its two signature-algorithm fields disagree, which makes it malformed (RFC 5280 \
         §4.1.1.2)"
    } else {
        "its signature uses an algorithm mitmwatch cannot check (such as ECDSA with SHA-1 \
         or SHA-512, or a P-521 key), or its issuer's key cannot be read"
    };
    let whose = match anchor {
        Some(root_kind) => format!("The chain is named up to {root_kind}, but"),
        None => "The chain leads to no root of your trust store, and".to_string(),
    };
    with_detail(
        with_evidence(
            finding(
                FindingCode::UnverifiableSignature,
                Severity::Medium,
                "A signature of the chain cannot be checked",
                format!(
                    "{whose} certificate #{} ('{}') cannot be shown to be signed by its issuer: {why}. \
                     That proves nothing either way: private CAs (Microsoft's certificate services \
                     allow ECDSA with SHA-512) and some old public chains are signed like this, and so \
                     could be a certificate dressed as one of them. Browsers refuse it too.",
                    c.index, c.subject
                ),
            ),
            cert_evidence(c),
        ),
        detail,
    )
}

/// The finding for a chain that reaches no root of the trust store.
fn unanchored_finding(trust: &TrustOutcome, cx: &Context<'_>) -> Finding {
    let certs = cx.certs;
    let top = &certs[trust.path.top().unwrap_or(0)];
    let leaf = &certs[0];
    let detail = webpki_detail(trust);
    if matches!(trust.chain, Some(ChainTrust::SelfSigned)) || (top.self_issued() && top.index > 0) {
        let what = if top.index == 0 {
            "The server's certificate is self-signed"
        } else {
            "The chain ends at a self-signed root that is not in the trust store"
        };
        return with_detail(
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
            detail,
        );
    }
    let issuer_was_sent = certs
        .iter()
        .any(|c| c.ok() && c.index != top.index && c.subject_raw == top.issuer_raw);
    // A leaf whose issuer nobody sent, carrying the Authority Information
    // Access pointer public CAs put there: most likely a server that
    // forgot its intermediate, but it could not be checked.
    if leaf.has_extension(OID_AIA) && leaf.index == top.index && !issuer_was_sent {
        let explanation = if cx.leaf_only {
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
        return with_detail(
            with_evidence(
                finding(
                    FindingCode::IncompleteChain,
                    Severity::Medium,
                    "The chain could not be checked: its intermediate is missing",
                    explanation,
                ),
                cert_evidence(top),
            ),
            detail,
        );
    }
    let reason = unknown_root_reason(trust.error.as_ref());
    let explanation = if cx.leaf_only {
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
    with_detail(
        with_evidence(
            finding(
                FindingCode::UntrustedRoot,
                Severity::Medium,
                "The chain does not lead to a trusted root",
                explanation,
            ),
            cert_evidence(top),
        ),
        detail,
    )
}

/// Why a chain that reaches no root is untrusted, from webpki's error, in
/// words.
#[allow(deprecated)] // older webpki releases report the unit variants
fn unknown_root_reason(error: Option<&webpki::Error>) -> &'static str {
    use webpki::Error as E;
    match error {
        Some(E::UnknownIssuer) | None => {
            "no certificate of the chain is issued by a root of the trust store"
        }
        Some(
            E::UnsupportedSignatureAlgorithm
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_),
        ) => {
            "its signatures use an algorithm the verifier does not accept, and it leads to no root of \
             the trust store"
        }
        Some(E::InvalidSignatureForPublicKey) => "a signature in it does not verify",
        Some(E::CertExpired { .. } | E::CertNotValidYet { .. }) => {
            "it is outside its validity and leads to no root of the trust store"
        }
        Some(_) => "the verifier could not build it to a root of the trust store",
    }
}

/// `incomplete-chain` (info) for a path that used certificates the server
/// did not send, naming where each came from.
fn completion_finding(completed_by: &[usize], extra: &[Candidate]) -> Option<Finding> {
    let used: Vec<&Candidate> = completed_by.iter().map(|&i| &extra[i]).collect();
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
                .map(|c| c.facts.sha256.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// `hostname-mismatch` for a leaf that does not cover the expected name
/// (meaningful once the chain is trusted, or when only the leaf was
/// recorded; untrusted chains are reported as such).
fn name_check(
    leaf: &CertFacts,
    expected_name: &str,
    work: &ChainWork,
    findings: &mut Vec<Finding>,
) {
    let covered = || {
        let Ok(name) = ServerName::try_from(expected_name) else {
            return true;
        };
        let der = CertificateDer::from(leaf.der.as_slice());
        let Ok(parsed) = EndEntityCert::try_from(&der) else {
            return true;
        };
        parsed.verify_is_valid_for_subject_name(&name).is_ok()
    };
    if work.covers(expected_name, covered) {
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
            cert_evidence(leaf),
        ),
        format!("names in the certificate: {}", leaf.san_dns.join(", ")),
    ));
}

/// `local-root` for a chain trusted only through a root added on this
/// machine.
/// `local-root` for a chain that links to a root added on this machine;
/// `accepted` says whether the verifier accepted the chain.
fn local_root(leaf: &CertFacts, name: &str, accepted: bool) -> Finding {
    let (title, how) = if accepted {
        (
            "Trusted only through a root added on this machine",
            "Browsers accept it without a warning, which is how installed interception roots \
             (corporate proxies, antivirus, state roots) stay silent.",
        )
    } else {
        (
            "Issued under a root added on this machine",
            "The chain is refused (see the other findings), but no public CA issued it: \
             installed interception roots (corporate proxies, antivirus, state roots) mint \
             certificates like this.",
        )
    };
    with_evidence(
        finding(
            FindingCode::LocalRoot,
            Severity::Medium,
            title,
            format!(
                "The certificate for {name} chains to a root that was added locally (--extra-roots or \
                 the system store), not to a public CA. {how} If {name} is a public site, whoever \
                 holds that root's key can read this connection; if it is an internal server of your \
                 organisation with its own CA, this is expected."
            ),
        ),
        cert_evidence(leaf),
    )
}

/// `removed-root` (info) for a chain trusted through a root that Mozilla's
/// store held at the validation time and has dropped since.
fn removed_root_finding(
    removed: &RemovedRoots,
    trust: &TrustOutcome,
    at: OffsetDateTime,
) -> Option<Finding> {
    let root = removed.by_spki(trust.anchor_spki.as_ref()?)?;
    let mut f = finding(
        FindingCode::RemovedRoot,
        Severity::Info,
        "Trusted through a root that has since left the public store",
        format!(
            "The chain builds to '{}', a root that Mozilla's store trusted until {}. At the \
             validation time ({}) it was still trusted, so the chain is judged as publicly \
             trusted then; judged as of today, it would not be.",
            root.subject,
            root.removed,
            at.date()
        ),
    );
    f.evidence.sha256 = Some(root.sha256);
    f.evidence.spki_sha256 = Some(root.spki_sha256);
    f.evidence.subject = Some(root.subject.clone());
    f.evidence.detail = Some(format!(
        "dropped from rustls/webpki-roots in commit {} ({})",
        root.removed_commit, removed.source
    ));
    Some(f)
}

/// `expired` / `not-yet-valid` for the certificates of the path.
pub(crate) fn validity(
    certs: &[CertFacts],
    trust: &TrustOutcome,
    extra: &[Candidate],
    at: OffsetDateTime,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    // The path's served certificates, then those the server did not send
    // that completed it (an expired shipped or fetched intermediate counts
    // as much as a served one).
    let served = trust.path.certs.iter().filter_map(|&i| certs.get(i));
    let completing = trust
        .completed_by
        .iter()
        .filter_map(|&i| extra.get(i))
        .map(|c| &c.facts);
    for cert in served.chain(completing) {
        let role = if cert.index == 0 {
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
    findings
}
