//! Verifying a certificate's embedded SCTs: take the SCT list out of the
//! leaf, rebuild the precertificate TBS, and check each SCT's signature with
//! its log's key over the `precert_entry` signed data. Whether the SCTs then
//! satisfy a browser's policy is `super::policy`'s question.

use super::log_list::{CtLog, LogList};
use super::precert::{self, PrecertError};
use super::sct::{self, ListEntry, Sct, SctListError};
use super::signature::{self, SignatureError};
use crate::analyze::signature::SignatureMemo;
use std::fmt;

/// What became of one SCT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SctStatus {
    /// The log's signature verifies over this certificate and issuer key.
    Valid,
    /// The log is known but its signature does not verify: the SCT was made
    /// for another certificate (or issuer), or was tampered with.
    Invalid(SignatureError),
    /// No log with this id in the log list.
    UnknownLog,
    /// The log's key in the list cannot be used (unsupported algorithm).
    UnusableKey(String),
    /// Not checked: the issuer's key is not known (its certificate was not
    /// sent), so the signed data cannot be rebuilt.
    NoIssuerKey,
}

/// One SCT with its log and what verification said.
#[derive(Clone, Debug)]
pub struct CheckedSct<'a> {
    /// The SCT.
    pub sct: Sct,
    /// Its log, if the list has it.
    pub log: Option<&'a CtLog>,
    /// The outcome.
    pub status: SctStatus,
}

/// All embedded SCTs of a certificate.
#[derive(Clone, Debug, Default)]
pub struct EmbeddedScts<'a> {
    /// The version-1 SCTs, in list order.
    pub scts: Vec<CheckedSct<'a>>,
    /// Versions of SCTs that were skipped because the version is unknown.
    pub unknown_versions: Vec<u8>,
}

/// Why the embedded SCTs could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbeddedError {
    /// The extension, or the certificate around it, is malformed.
    Extension(PrecertError),
    /// The TLS-encoded list inside the extension is malformed.
    List(SctListError),
}

impl fmt::Display for EmbeddedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbeddedError::Extension(e) => e.fmt(f),
            EmbeddedError::List(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EmbeddedError {}

/// Checks the embedded SCTs of `leaf_der`. `issuer_key_hash` is the SHA-256
/// of the DER SubjectPublicKeyInfo of the certificate that signed the leaf.
/// `Ok(None)`: the leaf has no SCT-list extension.
pub fn check<'a>(
    leaf_der: &[u8],
    issuer_key_hash: Option<&[u8; 32]>,
    logs: &'a LogList,
) -> Result<Option<EmbeddedScts<'a>>, EmbeddedError> {
    check_remembered(leaf_der, issuer_key_hash, logs, None)
}

/// [`check`], each SCT signature verified through `memo` when given, with
/// the SHA-256 of `leaf_der` (which decides the precertificate TBS).
pub(crate) fn check_remembered<'a>(
    leaf_der: &[u8],
    issuer_key_hash: Option<&[u8; 32]>,
    logs: &'a LogList,
    memo: Option<(&SignatureMemo, &[u8; 32])>,
) -> Result<Option<EmbeddedScts<'a>>, EmbeddedError> {
    let Some(embedded) = precert::embedded(leaf_der).map_err(EmbeddedError::Extension)? else {
        return Ok(None);
    };
    let entries = sct::parse_list(&embedded.sct_list).map_err(EmbeddedError::List)?;
    let mut out = EmbeddedScts::default();
    for entry in entries {
        let sct = match entry {
            ListEntry::V1(sct) => sct,
            ListEntry::UnknownVersion(v) => {
                out.unknown_versions.push(v);
                continue;
            }
        };
        let log = logs.find(&sct.log_id);
        let status = match (log, issuer_key_hash) {
            (None, _) => SctStatus::UnknownLog,
            (Some(_), None) => SctStatus::NoIssuerKey,
            (Some(log), Some(hash)) => {
                verify_remembered(&sct, log, hash, &embedded.precert_tbs, memo)
            }
        };
        out.scts.push(CheckedSct { sct, log, status });
    }
    Ok(Some(out))
}

/// Verifies one SCT of a known log over the rebuilt precertificate.
pub fn verify_one(
    sct: &Sct,
    log: &CtLog,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
) -> SctStatus {
    verify_remembered(sct, log, issuer_key_hash, precert_tbs, None)
}

fn verify_remembered(
    sct: &Sct,
    log: &CtLog,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
    memo: Option<(&SignatureMemo, &[u8; 32])>,
) -> SctStatus {
    let key = match &log.key {
        Ok(key) => key,
        Err(why) => return SctStatus::UnusableKey(why.to_string()),
    };
    let Some(data) = precert::precert_signed_data(
        sct.timestamp_ms,
        issuer_key_hash,
        precert_tbs,
        &sct.extensions,
    ) else {
        return SctStatus::Invalid(SignatureError::BadSignature);
    };
    // The signed data is decided by the leaf (its precertificate TBS),
    // the issuer key, the SCT's timestamp and its extensions.
    let timestamp = sct.timestamp_ms.to_be_bytes();
    let decided_by: [&[u8]; 4] = [
        memo.map_or(&[][..], |(_, leaf)| &leaf[..]),
        issuer_key_hash,
        &timestamp,
        &sct.extensions,
    ];
    match signature::verify(sct, key, &data, memo.map(|(m, _)| (m, &decided_by[..]))) {
        Ok(()) => SctStatus::Valid,
        Err(e) => SctStatus::Invalid(e),
    }
}
