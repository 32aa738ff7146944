//! Mozilla's intermediate CA certificates, as the CCADB publishes them: a
//! CSV report with one PEM certificate per row
//! (`MozillaIntermediateCertsCSVReport`), or the same certificates as one
//! PEM file (as mirrors publish them). Either way the certificates are the
//! `-----BEGIN CERTIFICATE-----` blocks in the body; every one is decoded
//! and parsed, duplicates are dropped, and the result is written as a
//! plain PEM bundle, each block preceded by a `# Subject:` comment.

use mitmwatch_core::encoding::{base64_decode, pem_encode, sha256};
use std::collections::HashSet;
use x509_parser::prelude::{FromDer, X509Certificate};

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// The certificates found in a download.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IntermediateBundle {
    /// The PEM bundle to save.
    pub(crate) pem: String,
    /// Certificates kept.
    pub(crate) count: usize,
    /// Blocks that did not decode or parse as X.509, skipped.
    pub(crate) skipped: usize,
    /// Position (1-based block number) and reason of the first skipped block.
    pub(crate) first_skipped: Option<(usize, String)>,
}

/// Why a download was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum IntermediatesError {
    /// No PEM certificate block at all (an HTML error page, say).
    #[error("no PEM certificate in the response ({0} bytes)")]
    NoCertificates(usize),
    /// Blocks were found but none parsed.
    #[error("none of the {blocks} PEM certificate blocks parses; block {first}: {why}")]
    NoneParsed {
        /// Blocks found.
        blocks: usize,
        /// The first block's number.
        first: usize,
        /// Why it failed.
        why: String,
    },
}

/// Finds, checks and re-encodes the certificates in `body`.
pub(crate) fn bundle(body: &[u8]) -> Result<IntermediateBundle, IntermediatesError> {
    let text = String::from_utf8_lossy(body);
    let mut pem = String::new();
    let mut seen = HashSet::new();
    let (mut count, mut skipped, mut blocks) = (0, 0, 0);
    let mut first_skipped = None;
    let mut rest: &str = &text;
    while let Some(start) = rest.find(BEGIN) {
        blocks += 1;
        let after = &rest[start + BEGIN.len()..];
        let (inner, next, terminated) = match after.find(END) {
            Some(end) => (&after[..end], &after[end + END.len()..], true),
            None => (after, "", false),
        };
        rest = next;
        match decode(inner, !terminated) {
            Ok((der, subject)) => {
                if seen.insert(sha256(&der)) {
                    pem.push_str(&format!("# Subject: {subject}\n"));
                    pem.push_str(&pem_encode("CERTIFICATE", &der));
                    count += 1;
                }
            }
            Err(why) => {
                skipped += 1;
                first_skipped.get_or_insert((blocks, why));
            }
        }
    }
    if blocks == 0 {
        return Err(IntermediatesError::NoCertificates(body.len()));
    }
    if count == 0 {
        let (first, why) = first_skipped.unwrap_or_default();
        return Err(IntermediatesError::NoneParsed { blocks, first, why });
    }
    Ok(IntermediateBundle {
        pem,
        count,
        skipped,
        first_skipped,
    })
}

/// One block's base64 (CSV quoting and line breaks allowed around it) to
/// DER and the certificate's subject (control characters replaced).
fn decode(inner: &str, unterminated: bool) -> Result<(Vec<u8>, String), String> {
    if unterminated {
        return Err("no -----END CERTIFICATE----- line".into());
    }
    let b64: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64_decode(&b64).map_err(|e| format!("not base64: {e}"))?;
    let (rest, cert) =
        X509Certificate::from_der(&der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes after the certificate", rest.len()));
    }
    let subject: String = cert
        .subject()
        .to_string()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    Ok((der, subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn pem_bundles_and_ccadb_csv_both_work() {
        let (a, b) = (cert("CA One"), cert("CA Two"));
        let plain = format!(
            "{}{}{}",
            pem_encode("CERTIFICATE", &a),
            pem_encode("CERTIFICATE", &b),
            pem_encode("CERTIFICATE", &a)
        );
        let got = bundle(plain.as_bytes()).unwrap();
        assert_eq!((got.count, got.skipped), (2, 0), "the duplicate is dropped");
        assert!(got
            .pem
            .starts_with("# Subject: CN=CA One\n-----BEGIN CERTIFICATE-----\n"));
        let csv = format!(
            "\"Certificate Subject Common Name\",\"PEM\"\r\n\"CA One\",\"{}\"\r\n\"CA Two\",\"'{}'\"\r\n",
            pem_encode("CERTIFICATE", &a).trim_end(),
            pem_encode("CERTIFICATE", &b).trim_end()
        );
        let from_csv = bundle(csv.as_bytes()).unwrap();
        assert_eq!(from_csv.pem, got.pem);
    }

    #[test]
    fn broken_blocks_are_skipped_and_a_body_without_any_is_refused() {
        let good = pem_encode("CERTIFICATE", &cert("Good CA"));
        let bad_b64 = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        let not_x509 = pem_encode("CERTIFICATE", b"\x30\x03\x02\x01\x01");
        let body = format!("{bad_b64}{good}{not_x509}");
        let got = bundle(body.as_bytes()).unwrap();
        assert_eq!((got.count, got.skipped), (1, 2));
        assert_eq!(got.first_skipped.as_ref().unwrap().0, 1);
        assert_eq!(
            bundle(b"<html>maintenance</html>"),
            Err(IntermediatesError::NoCertificates(24))
        );
        let e = bundle(format!("{bad_b64}{not_x509}").as_bytes()).unwrap_err();
        assert!(e.to_string().contains("none of the 2"), "{e}");
        let truncated = &good[..good.len() / 2];
        assert!(matches!(
            bundle(truncated.as_bytes()),
            Err(IntermediatesError::NoneParsed { .. })
        ));
    }
}
