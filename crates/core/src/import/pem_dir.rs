//! A directory of chain files to observations: one file, one chain (PEM
//! with one or more certificates, leaf first, or a single DER
//! certificate). The host is the leaf's first DNS name (or its CN). The
//! observation time is the file's modification time.

use super::{ImportError, ImportResult};
use crate::certinfo::cert_record;
use crate::model::{Imported, Observation, Status, Target, OBSERVATION_SCHEMA};
use std::path::Path;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Host shown for a chain whose leaf names no host (a root, say).
pub(crate) const UNNAMED: &str = "(unnamed)";

/// Files larger than this are not chains.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;

/// The certificates of one chain file's bytes: PEM with one or more
/// CERTIFICATE blocks (leaf first), or one DER certificate.
pub fn parse_chain(bytes: &[u8]) -> Result<Vec<Vec<u8>>, ChainFileError> {
    let fail = |line, message: &str| ChainFileError {
        line,
        message: message.to_string(),
    };
    if bytes.is_empty() {
        return Err(fail(None, "the file is empty"));
    }
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let mut certs = Vec::new();
        for (line, item) in crate::analysis_data::trust_store::pem_certificate_blocks(bytes) {
            match item {
                Ok(c) => certs.push(c.to_vec()),
                Err(e) => {
                    return Err(fail(
                        Some(line),
                        &format!("the PEM block is not readable: {e}"),
                    ))
                }
            }
        }
        if certs.is_empty() {
            return Err(fail(None, "no CERTIFICATE block in the PEM text"));
        }
        Ok(certs)
    } else if bytes[0] == 0x30 {
        Ok(vec![bytes.to_vec()])
    } else {
        Err(fail(
            None,
            "neither PEM nor DER (DER starts with byte 0x30)",
        ))
    }
}

/// Why a chain file could not be read, with the line of the PEM block at
/// fault when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFileError {
    /// 1-based line of the bad PEM block's BEGIN marker.
    pub(crate) line: Option<usize>,
    /// What is wrong.
    pub(crate) message: String,
}

impl ChainFileError {
    /// `FILE:LINE: message`, or `FILE: message`.
    pub fn at(&self, file: &str) -> String {
        match self.line {
            Some(line) => format!("{file}:{line}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

impl std::fmt::Display for ChainFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The host a leaf is for: its first DNS name (without `*.`), else its CN
/// if that is a host name, else `UNNAMED`.
pub fn default_host(leaf: &[u8]) -> String {
    let Ok((_, x)) = X509Certificate::from_der(leaf) else {
        return UNNAMED.into();
    };
    if let Ok(Some(san)) = x.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                return d.trim_start_matches("*.").to_ascii_lowercase();
            }
        }
    }
    let cn = x
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .and_then(|s| crate::target_spec::normalise_host(s).ok());
    cn.unwrap_or_else(|| UNNAMED.into())
}

/// The record of a chain (DER certificates, leaf first) for `host`, as if
/// served at `at`: status `ok`, no address or TLS parameters. Other records
/// of a chain not collected over the network start from it too.
pub fn file_observation<D: AsRef<[u8]>>(
    ders: &[D],
    host: String,
    at: OffsetDateTime,
) -> Observation {
    Observation {
        schema: OBSERVATION_SCHEMA,
        tool: crate::model::tool_name(),
        target: Target::new(host, 443),
        address: None,
        route: None,
        started_at: at,
        duration_ms: 0.0,
        status: Status::Ok,
        failure: None,
        tls: None,
        chain: ders.iter().map(|d| cert_record(d.as_ref())).collect(),
        stock_verification: None,
        imported: None,
        fetched_issuers: Vec::new(),
        proxy: None,
        starttls: None,
    }
}

/// An observation of a chain read from a file. `reference` names the file
/// in the record (the caller decides how much of the path to keep).
pub(crate) fn chain_observation(
    ders: &[Vec<u8>],
    reference: &str,
    at: OffsetDateTime,
) -> Observation {
    let host = ders
        .first()
        .map(|leaf| default_host(leaf))
        .unwrap_or_else(|| UNNAMED.into());
    Observation {
        tool: format!(
            "PEM file, imported by mitmwatch {}",
            env!("CARGO_PKG_VERSION")
        ),
        imported: Some(Imported {
            format: "pem-dir".into(),
            reference: reference.to_string(),
            leaf_only: false,
        }),
        ..file_observation(ders, host, at)
    }
}

/// Reads every regular file of `dir` (not hidden, not in subdirectories),
/// in name order. A file that is not a chain is an error naming it; the
/// others are still read. `Err` only when the directory cannot be listed.
pub fn read_dir(dir: &Path) -> Result<ImportResult, ImportError> {
    let listing_error = |message: String| ImportError {
        input: dir.display().to_string(),
        line: None,
        message,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| listing_error(format!("cannot list: {e}")))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    paths.sort();
    let mut result = ImportResult::default();
    for path in paths {
        let error = |message: String| ImportError {
            input: path.display().to_string(),
            line: None,
            message,
        };
        // symlink_metadata: a link is not followed out of the directory.
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                result.errors.push(error(e.to_string()));
                continue;
            }
        };
        if meta.is_dir() {
            continue;
        }
        if !meta.is_file() {
            result
                .errors
                .push(error("not a regular file (links are not followed)".into()));
            continue;
        }
        if meta.len() > MAX_FILE_BYTES {
            result.errors.push(error(format!(
                "{} bytes is too large for a certificate chain",
                meta.len()
            )));
            continue;
        }
        let chain = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| parse_chain(&bytes).map_err(|e| e.to_string()));
        match chain {
            Ok(ders) => {
                let at = meta
                    .modified()
                    .map(OffsetDateTime::from)
                    .unwrap_or_else(|_| OffsetDateTime::now_utc());
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                result
                    .observations
                    .push(chain_observation(&ders, &name, at));
            }
            Err(e) => result.errors.push(error(e)),
        }
    }
    Ok(result)
}
