//! What a log signed for an embedded SCT (RFC 6962 §3.2): the
//! precertificate's TBSCertificate, which is the final certificate's
//! TBSCertificate with the SCT-list extension removed and the enclosing
//! lengths re-encoded, and the `precert_entry` signed data built from it.

use super::der::{self, DerError};

/// OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list), DER content bytes.
pub(crate) const OID_SCT_LIST: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// Context tag of the TBSCertificate's `extensions [3] EXPLICIT`.
const EXTENSIONS_TAG: u8 = 0xa3;

/// A certificate's embedded SCT list, and the TBS the logs signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded {
    /// The TLS-encoded `SignedCertificateTimestampList` (still unparsed).
    pub(crate) sct_list: Vec<u8>,
    /// The TBSCertificate without the SCT-list extension: the precertificate
    /// TBS the logs signed.
    pub precert_tbs: Vec<u8>,
}

/// Why the embedded SCTs could not be taken out of a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrecertError {
    /// The certificate's DER does not have the expected shape.
    Der(DerError),
    /// The certificate carries the SCT-list extension more than once.
    DuplicateExtension,
}

impl From<DerError> for PrecertError {
    fn from(e: DerError) -> Self {
        PrecertError::Der(e)
    }
}

impl std::fmt::Display for PrecertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrecertError::Der(e) => write!(f, "the certificate's DER cannot be taken apart: {e}"),
            PrecertError::DuplicateExtension => {
                f.write_str("the certificate carries the SCT-list extension twice")
            }
        }
    }
}

impl std::error::Error for PrecertError {}

/// The TBSCertificate of a DER certificate, as encoded.
pub fn tbs(cert_der: &[u8]) -> Result<&[u8], DerError> {
    let cert = der::read_only(cert_der, der::SEQUENCE)?;
    let (tbs, _) = der::read(cert.content)?;
    if tbs.tag != der::SEQUENCE {
        return Err(DerError::UnexpectedTag {
            expected: der::SEQUENCE,
            found: tbs.tag,
        });
    }
    Ok(tbs.raw)
}

/// Takes the SCT-list extension out of a certificate. `Ok(None)` when the
/// certificate has no such extension.
pub fn embedded(cert_der: &[u8]) -> Result<Option<Embedded>, PrecertError> {
    split_tbs(tbs(cert_der)?)
}

/// Takes the SCT-list extension out of a TBSCertificate.
pub(crate) fn split_tbs(tbs: &[u8]) -> Result<Option<Embedded>, PrecertError> {
    let tbs = der::read_only(tbs, der::SEQUENCE)?;
    let fields = der::children(tbs.content)?;
    let Some(ext_field) = fields.iter().find(|f| f.tag == EXTENSIONS_TAG) else {
        return Ok(None);
    };
    let extensions = der::read_only(ext_field.content, der::SEQUENCE)?;
    let mut kept: Vec<u8> = Vec::new();
    let mut found: Option<Vec<u8>> = None;
    for ext in der::children(extensions.content)? {
        if ext.tag != der::SEQUENCE {
            return Err(DerError::UnexpectedTag {
                expected: der::SEQUENCE,
                found: ext.tag,
            }
            .into());
        }
        let parts = der::children(ext.content)?;
        let is_sct = parts
            .first()
            .is_some_and(|oid| oid.tag == der::OID && oid.content == OID_SCT_LIST);
        if !is_sct {
            kept.extend_from_slice(ext.raw);
            continue;
        }
        if found.is_some() {
            return Err(PrecertError::DuplicateExtension);
        }
        // extnID, optional critical BOOLEAN, extnValue OCTET STRING, whose
        // content is itself an OCTET STRING holding the TLS list.
        let value = parts
            .last()
            .filter(|v| parts.len() >= 2 && v.tag == der::OCTET_STRING)
            .ok_or(DerError::UnexpectedTag {
                expected: der::OCTET_STRING,
                found: parts.last().map_or(0, |v| v.tag),
            })?;
        let inner = der::read_only(value.content, der::OCTET_STRING)?;
        found = Some(inner.content.to_vec());
    }
    let Some(sct_list) = found else {
        return Ok(None);
    };
    // Re-encode: the other fields verbatim, then the remaining extensions
    // (an empty extensions field is left out, as Go's and OpenSSL's
    // encoders do).
    let mut content = Vec::with_capacity(tbs.content.len());
    for field in &fields {
        if field.tag == EXTENSIONS_TAG {
            if !kept.is_empty() {
                content.extend(der::encode(
                    EXTENSIONS_TAG,
                    &der::encode(der::SEQUENCE, &kept),
                ));
            }
        } else {
            content.extend_from_slice(field.raw);
        }
    }
    Ok(Some(Embedded {
        sct_list,
        precert_tbs: der::encode(der::SEQUENCE, &content),
    }))
}

/// The `extnValue` content of an SCT-list extension holding `sct_list`
/// (the TLS list wrapped in an OCTET STRING), for building certificates.
pub fn extension_value(sct_list: &[u8]) -> Vec<u8> {
    der::encode(der::OCTET_STRING, sct_list)
}

/// The data a log signs for an embedded SCT (RFC 6962 §3.2,
/// `digitally-signed struct` with `entry_type = precert_entry`):
///
/// ```text
/// 0x00 (v1) | 0x00 (certificate_timestamp) | timestamp u64
/// | 0x0001 (precert_entry) | issuer_key_hash[32] | tbs <u24> | extensions <u16>
/// ```
///
/// Returns `None` when a length does not fit its field.
pub fn precert_signed_data(
    timestamp_ms: u64,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
    sct_extensions: &[u8],
) -> Option<Vec<u8>> {
    let tbs_len = u32::try_from(precert_tbs.len())
        .ok()
        .filter(|l| *l < 1 << 24)?;
    let ext_len = u16::try_from(sct_extensions.len()).ok()?;
    let mut out = Vec::with_capacity(precert_tbs.len() + sct_extensions.len() + 52);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(issuer_key_hash);
    out.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    out.extend_from_slice(precert_tbs);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(sct_extensions);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(oid: &[u8], value: &[u8]) -> Vec<u8> {
        let mut body = der::encode(der::OID, oid);
        body.extend(der::encode(der::OCTET_STRING, value));
        der::encode(der::SEQUENCE, &body)
    }

    fn tbs_with(exts: &[Vec<u8>]) -> Vec<u8> {
        let mut content = der::encode(0xa0, &[0x02, 0x01, 0x02]);
        content.extend(der::encode(0x02, &[0x01]));
        if !exts.is_empty() {
            content.extend(der::encode(
                EXTENSIONS_TAG,
                &der::encode(der::SEQUENCE, &exts.concat()),
            ));
        }
        der::encode(der::SEQUENCE, &content)
    }

    #[test]
    fn removing_the_extension_gives_back_the_precert_tbs() {
        let san = ext(&[0x55, 0x1d, 0x11], &[0x30, 0x00]);
        let big = ext(&[0x55, 0x1d, 0x0e], &[0x04; 300]);
        let list = vec![0u8; 200];
        let sct = ext(OID_SCT_LIST, &extension_value(&list));
        let precert = tbs_with(&[san.clone(), big.clone()]);
        let final_tbs = tbs_with(&[san.clone(), sct.clone(), big.clone()]);
        let got = split_tbs(&final_tbs).unwrap().unwrap();
        assert_eq!(got.precert_tbs, precert);
        assert_eq!(got.sct_list, list);
        // The only extension: the extensions field goes away.
        let only = split_tbs(&tbs_with(std::slice::from_ref(&sct)))
            .unwrap()
            .unwrap();
        assert_eq!(only.precert_tbs, tbs_with(&[]));
        // No SCT extension, or no extensions at all.
        assert_eq!(split_tbs(&precert).unwrap(), None);
        assert_eq!(split_tbs(&tbs_with(&[])).unwrap(), None);
        assert_eq!(
            split_tbs(&tbs_with(&[sct.clone(), sct])),
            Err(PrecertError::DuplicateExtension)
        );
    }

    #[test]
    fn malformed_extensions_are_errors() {
        // extnValue not wrapping an OCTET STRING.
        let bad = ext(OID_SCT_LIST, &[0x05, 0x00]);
        assert!(split_tbs(&tbs_with(&[bad])).is_err());
        let final_tbs = tbs_with(&[ext(OID_SCT_LIST, &extension_value(&[1, 2, 3]))]);
        for cut in 0..final_tbs.len() {
            assert!(split_tbs(&final_tbs[..cut]).is_err(), "cut at {cut}");
        }
        assert!(tbs(&[0x30, 0x00]).is_err());
    }

    #[test]
    fn signed_data_layout() {
        let data = precert_signed_data(0x0102, &[9; 32], &[0xaa, 0xbb], &[0xcc]).unwrap();
        let mut want = vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 1];
        want.extend([9; 32]);
        want.extend([0, 0, 2, 0xaa, 0xbb, 0, 1, 0xcc]);
        assert_eq!(data, want);
        assert!(precert_signed_data(0, &[0; 32], &[], &vec![0; 70_000]).is_none());
    }
}
