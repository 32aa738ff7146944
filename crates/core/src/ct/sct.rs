//! Signed certificate timestamps in their TLS encoding (RFC 6962 §3.2,
//! §3.3): the `SignedCertificateTimestampList` that the certificate
//! extension, the TLS extension and the OCSP extension all carry.
//!
//! ```text
//! opaque SerializedSCT<1..2^16-1>;
//! struct { SerializedSCT sct_list<1..2^16-1>; } SignedCertificateTimestampList;
//! struct {
//!     Version sct_version;            // u8, v1 = 0
//!     LogID id;                       // 32 bytes: SHA-256 of the log's key
//!     uint64 timestamp;               // ms since the Unix epoch
//!     CtExtensions extensions;        // opaque<0..2^16-1>
//!     digitally-signed struct { ... } // hash u8, signature u8, opaque<0..2^16-1>
//! } SignedCertificateTimestamp;
//! ```

use std::fmt;
use time::OffsetDateTime;

/// `HashAlgorithm.sha256` (RFC 5246 §7.4.1.4.1), the only hash RFC 6962 allows.
pub const HASH_SHA256: u8 = 4;
/// `SignatureAlgorithm.rsa`.
pub const SIG_RSA: u8 = 1;
/// `SignatureAlgorithm.ecdsa`.
pub const SIG_ECDSA: u8 = 3;

/// One version-1 SCT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sct {
    /// The log's id: SHA-256 of its DER SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// When the log saw the (pre)certificate, in ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The SCT's extensions, kept verbatim: they are part of the signed data
    /// (static-ct-api logs put the entry's leaf index here).
    pub extensions: Vec<u8>,
    /// TLS `HashAlgorithm` of the signature.
    pub hash_algorithm: u8,
    /// TLS `SignatureAlgorithm` of the signature.
    pub signature_algorithm: u8,
    /// The signature (ASN.1 ECDSA-Sig-Value, or PKCS#1 v1.5 for RSA).
    pub signature: Vec<u8>,
}

/// One element of an SCT list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ListEntry {
    /// A version-1 SCT.
    V1(Sct),
    /// An SCT of a version this code does not know; RFC 6962 tells clients
    /// to ignore those.
    UnknownVersion(u8),
}

/// Why an SCT list could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SctListError {
    /// The list ended inside a length or a field.
    Truncated {
        /// What was being read.
        field: &'static str,
    },
    /// The list's total length does not match its content.
    LengthMismatch {
        /// The length the list declares.
        declared: usize,
        /// The bytes actually there.
        actual: usize,
    },
    /// An empty list or an empty SCT (both must have at least one byte).
    Empty,
    /// An SCT has bytes after its signature.
    TrailingBytes {
        /// 0-based position of the SCT in the list.
        index: usize,
    },
}

impl fmt::Display for SctListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SctListError::Truncated { field } => write!(f, "the SCT list ends inside {field}"),
            SctListError::LengthMismatch { declared, actual } => write!(
                f,
                "the SCT list declares {declared} bytes but holds {actual}"
            ),
            SctListError::Empty => f.write_str("the SCT list or one of its SCTs is empty"),
            SctListError::TrailingBytes { index } => {
                write!(f, "SCT #{index} has bytes after its signature")
            }
        }
    }
}

impl std::error::Error for SctListError {}

/// A cursor over TLS-encoded bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], SctListError> {
        if self.0.len() < n {
            return Err(SctListError::Truncated { field });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, SctListError> {
        Ok(self.take(1, field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<usize, SctListError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
    }

    fn vec16(&mut self, field: &'static str) -> Result<&'a [u8], SctListError> {
        let len = self.u16(field)?;
        self.take(len, field)
    }
}

/// Parses a TLS-encoded `SignedCertificateTimestampList`.
pub(crate) fn parse_list(bytes: &[u8]) -> Result<Vec<ListEntry>, SctListError> {
    let mut outer = Reader(bytes);
    let declared = outer.u16("the list length")?;
    if declared != outer.0.len() {
        return Err(SctListError::LengthMismatch {
            declared,
            actual: outer.0.len(),
        });
    }
    if declared == 0 {
        return Err(SctListError::Empty);
    }
    let mut entries = Vec::new();
    while !outer.0.is_empty() {
        let serialized = outer.vec16("an SCT")?;
        if serialized.is_empty() {
            return Err(SctListError::Empty);
        }
        entries.push(parse_sct(serialized, entries.len())?);
    }
    Ok(entries)
}

fn parse_sct(bytes: &[u8], index: usize) -> Result<ListEntry, SctListError> {
    let mut r = Reader(bytes);
    let version = r.u8("the SCT version")?;
    if version != 0 {
        return Ok(ListEntry::UnknownVersion(version));
    }
    let mut log_id = [0u8; 32];
    log_id.copy_from_slice(r.take(32, "the log id")?);
    let ts = r.take(8, "the timestamp")?;
    let timestamp_ms = u64::from_be_bytes([ts[0], ts[1], ts[2], ts[3], ts[4], ts[5], ts[6], ts[7]]);
    let extensions = r.vec16("the SCT extensions")?.to_vec();
    let hash_algorithm = r.u8("the hash algorithm")?;
    let signature_algorithm = r.u8("the signature algorithm")?;
    let signature = r.vec16("the signature")?.to_vec();
    if !r.0.is_empty() {
        return Err(SctListError::TrailingBytes { index });
    }
    Ok(ListEntry::V1(Sct {
        log_id,
        timestamp_ms,
        extensions,
        hash_algorithm,
        signature_algorithm,
        signature,
    }))
}

fn push_vec16(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len().min(u16::MAX as usize) as u16).to_be_bytes());
    out.extend_from_slice(&bytes[..bytes.len().min(u16::MAX as usize)]);
}

impl Sct {
    /// The timestamp as a date (the Unix epoch if it does not fit).
    pub(crate) fn timestamp(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.timestamp_ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The TLS encoding of this SCT (a `SerializedSCT` without its length).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0u8];
        out.extend_from_slice(&self.log_id);
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        push_vec16(&mut out, &self.extensions);
        out.push(self.hash_algorithm);
        out.push(self.signature_algorithm);
        push_vec16(&mut out, &self.signature);
        out
    }
}

/// The TLS encoding of a list of SCTs (for building certificates).
pub fn encode_list(scts: &[Sct]) -> Vec<u8> {
    let mut body = Vec::new();
    for sct in scts {
        push_vec16(&mut body, &sct.encode());
    }
    let mut out = Vec::with_capacity(body.len() + 2);
    push_vec16(&mut out, &body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sct {
        Sct {
            log_id: [7; 32],
            timestamp_ms: 1_779_052_245_100,
            extensions: vec![0, 0, 5, 0, 0x0b, 0x56, 0x1c, 0x05],
            hash_algorithm: HASH_SHA256,
            signature_algorithm: SIG_ECDSA,
            signature: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        }
    }

    #[test]
    fn a_list_round_trips() {
        let list = encode_list(&[sample(), sample()]);
        let parsed = parse_list(&list).unwrap();
        assert_eq!(
            parsed,
            vec![ListEntry::V1(sample()), ListEntry::V1(sample())]
        );
        assert_eq!(sample().timestamp().unix_timestamp(), 1_779_052_245);
    }

    #[test]
    fn unknown_versions_are_kept_aside() {
        let mut v2 = sample().encode();
        v2[0] = 1;
        let mut body = (v2.len() as u16).to_be_bytes().to_vec();
        body.extend(v2);
        let mut list = (body.len() as u16).to_be_bytes().to_vec();
        list.extend(body);
        assert_eq!(
            parse_list(&list).unwrap(),
            vec![ListEntry::UnknownVersion(1)]
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let list = encode_list(&[sample()]);
        for cut in 0..list.len() {
            assert!(parse_list(&list[..cut]).is_err(), "cut at {cut}");
        }
        // Inner lengths that disagree with the outer one.
        let mut bad = list.clone();
        bad[3] = bad[3].wrapping_add(1);
        assert!(parse_list(&bad).is_err());
        assert_eq!(parse_list(&[0, 0]), Err(SctListError::Empty));
        assert_eq!(parse_list(&[0, 2, 0, 0]), Err(SctListError::Empty));
    }

    #[test]
    fn bytes_after_the_signature_are_an_error() {
        let mut sct = sample().encode();
        sct.push(0);
        let mut body = (sct.len() as u16).to_be_bytes().to_vec();
        body.extend(sct);
        let mut list = (body.len() as u16).to_be_bytes().to_vec();
        list.extend(body);
        assert_eq!(
            parse_list(&list),
            Err(SctListError::TrailingBytes { index: 0 })
        );
    }
}
