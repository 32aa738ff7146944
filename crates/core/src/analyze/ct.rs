//! Certificate Transparency checks on the leaf: are there embedded SCTs,
//! do they verify with their logs' keys over this certificate and the key of
//! the served certificate that signed it, and do they satisfy Chrome's and
//! Apple's policies?
//!
//! Severities are chosen so that legitimate chains never look intercepted:
//!
//! * `sct-missing` (low): a publicly trusted leaf, or a leaf whose chain
//!   (linked by signatures) is issued in a public root's name, without SCTs.
//!   On an untrusted chain it counts as a forged-leaf trait (verdict rule 3).
//! * `publicly-logged` (info): on a chain that is not publicly trusted, an
//!   SCT verifies under the key of a log that Chrome trusted when the SCT
//!   was made and at the validation time (the states of those dates, from
//!   the log history and the list): the leaf is a publicly logged one, which
//!   rules out rule 3. An SCT of a log that was rejected or pending then
//!   proves nothing (a rejected log's key may be in other hands): it is
//!   reported as `sct-unknown-log` and rules out nothing.
//! * `sct-invalid`: high when the chain is not publicly trusted (untrusted,
//!   or anchored in a locally added root): a real log's signature over some
//!   other certificate means the SCTs were copied. Low on a publicly trusted
//!   chain (a CA or log error) and for an SCT list that cannot be read.
//! * `sct-unknown-log` (info): the log list does not know the log, or (on
//!   a chain that is not publicly trusted) the SCT's log was not trusted at
//!   the time.
//! * `ct-noncompliant` (low, publicly trusted chains only, and only when at
//!   least one SCT comes from a known log), judged with the logs' states at
//!   the validation time: info when the log list is older than Chrome's
//!   70-day limit, when the validation time precedes every list the history
//!   was made from, or when the unknown logs' SCTs could make up the
//!   difference.

use super::anchor_index::name_content;
use super::chain::{signature_by, CertFacts};
use super::chain_memo::ChainWork;
use super::completion::Candidate;
use super::finding::{cert_evidence, finding, with_detail, with_evidence};
use super::linkage::Path;
use super::signature::{SignatureCheck, SignatureMemo};
use super::trust::TrustOutcome;
use crate::analysis_data::trust_store::TrustStore;
use crate::ct::embedded::{self, CheckedSct, EmbeddedScts, SctStatus};
use crate::ct::policy::{self, PolicyReport, VerifiedSct};
use crate::ct::standing::{standing, Standing};
use crate::ct::{LogHistory, LogList};
use crate::encoding::base64_encode;
use crate::model::{Finding, FindingCode, Fingerprint, Severity};
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};

/// The embedded SCT list extension, as [`CertFacts::extension_oids`] lists it.
const OID_SCT_LIST_DOTTED: &str = "1.3.6.1.4.1.11129.2.4.2";

/// Chrome stops enforcing CT when its log list is older than this.
pub(crate) const LOG_LIST_MAX_AGE: Duration = Duration::days(70);

/// Subject names (DER content, without the SEQUENCE header, as in a trust
/// anchor) of the base store's anchors: the roots that stand for the public
/// web PKI.
pub(crate) fn public_root_names(store: &TrustStore) -> HashSet<Vec<u8>> {
    store
        .roots()
        .roots
        .iter()
        .filter(|a| store.is_public_anchor(&Fingerprint::of(webpki::spki_for_anchor(a).as_ref())))
        .map(|a| a.subject.as_ref().to_vec())
        .collect()
}

/// Whether the linkage path (certificates each signed by the next) names
/// a public root as an issuer, whatever the keys. Only links whose
/// signatures verify are followed, so a server that merely sends the wrong
/// intermediate does not count: the chain must have been built, under its
/// own keys, in a public root's name.
fn names_public_root(certs: &[CertFacts], path: &Path, public_names: &HashSet<Vec<u8>>) -> bool {
    path.certs.iter().any(|&i| {
        name_content(&certs[i].issuer_raw).is_some_and(|name| public_names.contains(name))
    })
}

/// SHA-256 of the SubjectPublicKeyInfo of the certificate that signed the
/// leaf. A served certificate named as the leaf's issuer counts only if it
/// signed the leaf: when the chain is trusted and it is the only one with
/// that name, chain building has checked that already; otherwise its
/// signature is checked here. A trusted leaf whose issuer was not sent was
/// signed by the certificate that completed the chain (shipped or fetched)
/// or, without one, by the trust anchor itself. `None` when the issuer is not known:
/// the SCTs are then not judged, since checking them with the key of a
/// wrongly sent intermediate would call genuine SCTs invalid.
fn issuer_key_hash(
    certs: &[CertFacts],
    trust: &TrustOutcome,
    extra: &[Candidate],
    memo: &SignatureMemo,
) -> Option<Fingerprint> {
    let leaf = certs.first().filter(|c| c.ok())?;
    let named: Vec<&CertFacts> = certs
        .iter()
        .filter(|c| c.ok() && c.index != leaf.index && c.subject_raw == leaf.issuer_raw)
        .collect();
    if trust.trusted && named.len() == 1 {
        return Some(named[0].spki_sha256);
    }
    if let Some(issuer) = named
        .iter()
        .find(|c| signature_by(leaf, c, memo) == SignatureCheck::Valid)
    {
        return Some(issuer.spki_sha256);
    }
    // The leaf does not verify under any certificate of its issuer's name,
    // but claims one of them by key identifier: a forged leaf that copied
    // the genuine one's issuer. The SCTs it carries were signed over the
    // genuine certificate and that CA's key, so they are judged with it,
    // and a copied list shows up as invalid.
    if let Some(aki) = &leaf.authority_key_id {
        if let Some(claimed) = named
            .iter()
            .find(|c| c.subject_key_id.as_ref() == Some(aki))
        {
            return Some(claimed.spki_sha256);
        }
    }
    if trust.trusted && named.is_empty() && !leaf.self_issued() {
        if trust.completed_by.is_empty() {
            return trust.anchor_spki;
        }
        return trust
            .completed_by
            .iter()
            .filter_map(|&i| extra.get(i))
            .map(|c| &c.facts)
            .find(|c| {
                c.ok()
                    && c.subject_raw == leaf.issuer_raw
                    && signature_by(leaf, c, memo) == SignatureCheck::Valid
            })
            .map(|c| c.spki_sha256);
    }
    None
}

fn describe_sct(c: &CheckedSct<'_>) -> String {
    let log = c.log.map_or_else(
        || "unknown log".to_string(),
        |l| format!("'{}'", l.description),
    );
    format!(
        "{log} (id {}), {}",
        base64_encode(&c.sct.log_id),
        crate::certinfo::rfc3339(c.sct.timestamp())
    )
}

/// The log data a CT finding was judged with, in words.
fn data_note(logs: &LogList, history: &LogHistory, at: OffsetDateTime) -> String {
    format!(
        "log states as of {}, from the log list in use ({}) and the states of past lists ({})",
        at.date(),
        logs.describe(),
        history.describe()
    )
}

/// The data CT findings are judged with.
pub(crate) struct CtData<'a> {
    /// The log list in use.
    pub(crate) logs: &'a LogList,
    /// The logs' states over time.
    pub(crate) history: &'a LogHistory,
    /// Subject names of the base store's anchors ([`public_root_names`]).
    pub(crate) public_names: &'a HashSet<Vec<u8>>,
}

/// The CT findings for one chain, with the logs as they stood at `at` (the
/// states of that time, from `history` and the list).
pub(crate) fn check(
    certs: &[CertFacts],
    trust: &TrustOutcome,
    extra: &[Candidate],
    data: &CtData<'_>,
    at: OffsetDateTime,
    memo: &SignatureMemo,
    work: &ChainWork,
) -> Vec<Finding> {
    let path = &trust.path;
    let CtData {
        logs,
        history,
        public_names,
    } = *data;
    let mut out = Vec::new();
    let Some(leaf) = certs.first().filter(|c| c.ok()) else {
        return out;
    };
    let publicly_trusted = trust.trusted && trust.anchor_public;
    // Most leaves carry no SCT list: then there is nothing to read or verify.
    let scts = if leaf.has_extension(OID_SCT_LIST_DOTTED) {
        let issuer = issuer_key_hash(certs, trust, extra, memo);
        work.scts(issuer, logs, || {
            embedded::check_remembered(
                &leaf.der,
                issuer.as_ref().map(Fingerprint::as_bytes),
                logs,
                Some((memo, leaf.sha256.as_bytes())),
            )
        })
    } else {
        Ok(None)
    };
    let scts = match scts {
        Err(e) => {
            out.push(with_detail(
                with_evidence(
                    finding(
                        FindingCode::SctInvalid,
                        Severity::Low,
                        "The certificate's Certificate Transparency data cannot be read",
                        "The certificate has an SCT-list extension that is malformed, so none of its \
                         timestamps can be checked. CAs do not issue such certificates; a buggy or \
                         hostile issuer may.",
                    ),
                    cert_evidence(leaf),
                ),
                e.to_string(),
            ));
            return out;
        }
        Ok(None) => {
            if publicly_trusted || names_public_root(certs, path, public_names) {
                out.push(missing(leaf, publicly_trusted));
            }
            return out;
        }
        Ok(Some(scts)) => scts,
    };
    let unknown: Vec<&CheckedSct<'_>> = scts
        .scts
        .iter()
        .filter(|c| c.status == SctStatus::UnknownLog)
        .collect();
    if !unknown.is_empty() {
        out.push(unknown_logs(leaf, &unknown, logs));
    }
    let invalid: Vec<&CheckedSct<'_>> = scts
        .scts
        .iter()
        .filter(|c| matches!(c.status, SctStatus::Invalid(_)))
        .collect();
    if !invalid.is_empty() {
        out.push(invalid_scts(leaf, &invalid, publicly_trusted));
    }
    // A valid SCT shows public logging only if its log was trusted when it
    // made the SCT and still counted at the validation time.
    let mut logged: Vec<&CheckedSct<'_>> = Vec::new();
    let mut not_trusted: Vec<(&CheckedSct<'_>, String)> = Vec::new();
    for c in scts.scts.iter().filter(|c| c.status == SctStatus::Valid) {
        let Some(log) = c.log else { continue };
        match standing(log, history, c.sct.timestamp(), at) {
            Standing::Counts { .. } => logged.push(c),
            Standing::DoesNotCount(why) | Standing::Unknown(why) => not_trusted.push((c, why)),
        }
    }
    if !publicly_trusted && !logged.is_empty() {
        out.push(publicly_logged(leaf, &logged, logs, history, at));
    }
    if !publicly_trusted && !not_trusted.is_empty() {
        out.push(untrusted_logs(leaf, &not_trusted, logs, history, at));
    }
    // The policies apply to publicly trusted certificates only, and need
    // every SCT of a known log to have been checked. When no SCT comes from
    // a known log there is nothing to judge beyond `sct-unknown-log`.
    let unchecked = scts.scts.iter().any(|c| c.status == SctStatus::NoIssuerKey);
    let judged = scts.scts.iter().any(|c| c.log.is_some()) || scts.scts.is_empty();
    if publicly_trusted && !unchecked && judged {
        if let Some(f) = noncompliant(leaf, &scts, unknown.len(), logs, history, at) {
            out.push(f);
        }
    }
    // On a chain that claims a public CA it does not reach, timestamps
    // nobody can check are a trait of a minted certificate (verdict rule 3).
    if !publicly_trusted && names_public_root(certs, path, public_names) {
        for f in out
            .iter_mut()
            .filter(|f| f.code == FindingCode::SctUnknownLog)
        {
            f.severity = Severity::Low;
            f.explanation.push_str(
                " This chain is issued in the name of a public root but does not lead to it, and a \
                 certificate minted with made-up timestamps looks like this too; so these timestamps \
                 count as a trait of minting here (a log newer than the list remains the harmless \
                 explanation).",
            );
        }
    }
    out
}

fn missing(leaf: &CertFacts, publicly_trusted: bool) -> Finding {
    let explanation = if publicly_trusted {
        "The certificate chains to a public CA but embeds no signed certificate timestamps (SCTs). \
         Browsers require them; the server may deliver them in the handshake instead, which mitmwatch \
         does not record. A certificate minted outside the public CT logs has none."
    } else {
        "The certificate is not trusted, yet the chain it was sent with is issued in the name of a public \
         root, under other keys. Public CAs embed signed certificate timestamps (SCTs) in every \
         certificate; this one has none. Someone minted it in the name of a public CA, as interception \
         devices do."
    };
    with_evidence(
        finding(
            FindingCode::SctMissing,
            Severity::Low,
            "No Certificate Transparency proof in the certificate",
            explanation,
        ),
        cert_evidence(leaf),
    )
}

fn publicly_logged(
    leaf: &CertFacts,
    valid: &[&CheckedSct<'_>],
    logs: &LogList,
    history: &LogHistory,
    at: OffsetDateTime,
) -> Finding {
    let mut detail: Vec<String> = valid.iter().map(|c| describe_sct(c)).collect();
    detail.push(data_note(logs, history, at));
    with_detail(
        with_evidence(
            finding(
                FindingCode::PubliclyLogged,
                Severity::Info,
                "A public CT log recorded this exact certificate",
                format!(
                    "A signed certificate timestamp in the certificate verifies with the key of a \
                     Certificate Transparency log that Chrome trusted when it made the timestamp and on \
                     {} (the validation time), over this certificate and its issuer's key. A CA submitted \
                     this very certificate to a public log, which an interceptor minting its own cannot \
                     arrange. Whatever is wrong with the chain, the leaf itself is a publicly issued one.",
                    at.date()
                ),
            ),
            cert_evidence(leaf),
        ),
        detail.join("; "),
    )
}

/// Valid SCTs of known logs that did not count at the time (rejected or
/// pending, retired before the SCT, or not yet trusted when they made it):
/// they prove nothing, like SCTs of unknown logs.
fn untrusted_logs(
    leaf: &CertFacts,
    scts: &[(&CheckedSct<'_>, String)],
    logs: &LogList,
    history: &LogHistory,
    at: OffsetDateTime,
) -> Finding {
    let mut detail: Vec<String> = scts
        .iter()
        .map(|(c, why)| format!("{}: {why}", describe_sct(c)))
        .collect();
    detail.push(data_note(logs, history, at));
    with_detail(
        with_evidence(
            finding(
                FindingCode::SctUnknownLog,
                Severity::Info,
                format!(
                    "{} from logs that Chrome did not trust at the time",
                    crate::plural::count(
                        scts.len(),
                        "Certificate Transparency timestamp",
                        "Certificate Transparency timestamps"
                    )
                ),
                "The certificate carries SCTs whose signatures verify with the keys of CT logs that were \
                 rejected or pending at the validation time, retired before the SCT was made, or not yet \
                 trusted when they made it (by the logs' states of those dates). Such an SCT proves \
                 nothing: a rejected log's key may be in other hands (one rejected log's key was reported \
                 exposed). It is treated like an SCT from an unknown log: it does not show that the \
                 certificate was publicly logged, and does not rule out that the CA minted it.",
            ),
            cert_evidence(leaf),
        ),
        detail.join("; "),
    )
}

fn unknown_logs(leaf: &CertFacts, unknown: &[&CheckedSct<'_>], logs: &LogList) -> Finding {
    with_detail(
        with_evidence(
            finding(
                FindingCode::SctUnknownLog,
                Severity::Info,
                format!(
                    "{} from logs not in the log list",
                    crate::plural::count(
                        unknown.len(),
                        "Certificate Transparency timestamp",
                        "Certificate Transparency timestamps"
                    )
                ),
                format!(
                    "The certificate carries SCTs from CT logs that the log list in use ({}) does not \
                     know, so they could not be checked. Logs that opened after the list was made show up \
                     like this; it is not a sign of interception. Give a current list with --ct-log-list \
                     to check them.",
                    logs.describe()
                ),
            ),
            cert_evidence(leaf),
        ),
        unknown
            .iter()
            .map(|c| describe_sct(c))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn invalid_scts(leaf: &CertFacts, invalid: &[&CheckedSct<'_>], publicly_trusted: bool) -> Finding {
    let (severity, explanation) = if publicly_trusted {
        (
            Severity::Low,
            "A CT log's signature in the certificate does not verify for this certificate and its issuer. \
             The chain is publicly trusted, so this is more likely an error of the CA or the log than \
             interception; browsers do not count such a timestamp.",
        )
    } else {
        (
            Severity::High,
            "The certificate carries a signed certificate timestamp from a real CT log, but the log's \
             signature does not verify for this certificate and its issuer. The log signed a different \
             certificate: these timestamps were copied from the genuine certificate onto one made by \
             someone else. That is what an interceptor imitating the real certificate does.",
        )
    };
    let detail = invalid
        .iter()
        .map(|c| match &c.status {
            SctStatus::Invalid(e) => format!("{}: {e}", describe_sct(c)),
            _ => describe_sct(c),
        })
        .collect::<Vec<_>>()
        .join("; ");
    with_detail(
        with_evidence(
            finding(
                FindingCode::SctInvalid,
                severity,
                "A Certificate Transparency signature does not match the certificate",
                explanation,
            ),
            cert_evidence(leaf),
        ),
        detail,
    )
}

fn noncompliant(
    leaf: &CertFacts,
    scts: &EmbeddedScts<'_>,
    unknown: usize,
    logs: &LogList,
    history: &LogHistory,
    at: OffsetDateTime,
) -> Option<Finding> {
    let valid: Vec<VerifiedSct<'_>> = scts
        .scts
        .iter()
        .filter(|c| c.status == SctStatus::Valid)
        .filter_map(|c| {
            c.log.map(|log| VerifiedSct {
                log,
                timestamp: c.sct.timestamp(),
            })
        })
        .collect();
    let report = policy::evaluate(&valid, history, leaf.not_before, leaf.not_after, at, 0);
    if report.compliant() {
        return None;
    }
    let stale = at - logs.timestamp > LOG_LIST_MAX_AGE;
    // The history gives the logs' states at the validation time. Before
    // the oldest list it was made from, only the states' start times of
    // later lists are known (a 2019 log may have been usable, later
    // rejected and dropped): too little to hold against a certificate.
    let anachronic = logs.timestamp - at > LOG_LIST_MAX_AGE
        && history.earliest().is_none_or(|e| at < e.timestamp);
    // SCTs whose log's state at the time the data cannot tell might count,
    // like those of logs missing from the list.
    let undetermined = valid
        .iter()
        .filter(|v| {
            matches!(
                standing(v.log, history, v.timestamp, at),
                Standing::Unknown(_)
            )
        })
        .count();
    let open = unknown + undetermined;
    let with_unknown = open > 0
        && policy::evaluate(&valid, history, leaf.not_before, leaf.not_after, at, open).compliant();
    let mut explanation = format!(
        "Browsers require a publicly trusted certificate to carry SCTs from several independent CT logs. \
         The verified SCTs of this one do not meet {}, judged with the logs as they stood on {} (the \
         validation time). SCTs delivered in the TLS handshake or by OCSP, which mitmwatch does not \
         record, may make up the difference.",
        unmet_text(&report),
        at.date()
    );
    if stale {
        explanation.push_str(&format!(
            " The log list in use is from {}, more than 70 days before the validation time; Chrome does \
             not enforce CT with a list that old, so this is information only.",
            logs.timestamp.date()
        ));
    } else if anachronic {
        explanation.push_str(&format!(
            " The log list in use is from {}, long after the validation time, and the logs' earlier \
             states are known only from {} on: the states of the validation time are not known well \
             enough, so this is information only.",
            logs.timestamp.date(),
            history
                .earliest()
                .map_or_else(|| "no date".to_string(), |e| e.timestamp.date().to_string())
        ));
    } else if with_unknown {
        explanation.push_str(
            " The SCTs from logs missing from the list, or whose state at the time the log list and \
             its history do not show, would make up the difference if those logs were trusted then: \
             this is information only (a current list, --ct-log-list, knows more logs).",
        );
    }
    let mut detail = vec![data_note(logs, history, at)];
    detail.extend(
        report
            .not_counted
            .iter()
            .map(|n| format!("not counted: {n}")),
    );
    if !scts.unknown_versions.is_empty() {
        detail.push(format!(
            "{} of unknown versions ignored",
            crate::plural::count(scts.unknown_versions.len(), "SCT", "SCTs")
        ));
    }
    Some(with_detail(
        with_evidence(
            finding(
                FindingCode::CtNoncompliant,
                if stale || anachronic || with_unknown {
                    Severity::Info
                } else {
                    Severity::Low
                },
                "The certificate's Certificate Transparency proof is insufficient",
                explanation,
            ),
            cert_evidence(leaf),
        ),
        detail.join("; "),
    ))
}

fn unmet_text(report: &PolicyReport) -> String {
    let mut parts = Vec::new();
    for (name, outcome) in [("Chrome's", &report.chrome), ("Apple's", &report.apple)] {
        if !outcome.compliant {
            parts.push(format!(
                "{name} policy (needs {})",
                outcome.unmet.join(", ")
            ));
        }
    }
    parts.join(" nor ")
}
