//! What a log signed for an embedded SCT (RFC 6962 §3.2): the
//! precertificate's TBSCertificate, which is the final certificate's
//! TBSCertificate with the SCT-list extension removed and the enclosing
//! lengths re-encoded, and the `precert_entry` signed data built from it.

use der::asn1::{AnyRef, OctetStringRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};

/// OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list), DER content bytes.
pub(crate) const OID_SCT_LIST: &[u8] =
    &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// Tag of the TBSCertificate's `extensions [3] EXPLICIT`.
const EXTENSIONS_TAG: Tag = Tag::ContextSpecific {
    constructed: true,
    number: TagNumber::N3,
};

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
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrecertError {
    /// The certificate's DER does not have the expected shape (the `der`
    /// crate's error, with the byte position where it has one).
    #[error("the certificate's DER cannot be taken apart: {0}")]
    Der(#[from] der::Error),
    /// The certificate carries the SCT-list extension more than once.
    #[error("the certificate carries the SCT-list extension twice")]
    DuplicateExtension,
}

/// The elements of a constructed value, each as encoded (tag, length and
/// value), with their tags.
fn elements(content: &[u8]) -> Result<Vec<(Tag, &[u8])>, der::Error> {
    let mut reader = SliceReader::new(content)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let tag = reader.peek_tag()?;
        out.push((tag, reader.tlv_bytes()?));
    }
    Ok(out)
}

/// The value of a DER encoding of one `tag` that spans the whole input.
fn value_of(encoded: &[u8], tag: Tag) -> Result<&[u8], der::Error> {
    let any = AnyRef::from_der(encoded)?;
    any.tag().assert_eq(tag)?;
    Ok(any.value())
}

/// `value` encoded under `tag`, with the minimal (DER) length.
fn encode(tag: Tag, value: &[u8]) -> Result<Vec<u8>, der::Error> {
    AnyRef::new(tag, value)?.to_der()
}

/// The TBSCertificate of a DER certificate, as encoded.
pub fn tbs(cert_der: &[u8]) -> Result<&[u8], der::Error> {
    let mut fields = SliceReader::new(value_of(cert_der, Tag::Sequence)?)?;
    fields.peek_tag()?.assert_eq(Tag::Sequence)?;
    fields.tlv_bytes()
}

/// Takes the SCT-list extension out of a certificate. `Ok(None)` when the
/// certificate has no such extension.
pub fn embedded(cert_der: &[u8]) -> Result<Option<Embedded>, PrecertError> {
    split_tbs(tbs(cert_der)?)
}

/// Takes the SCT-list extension out of a TBSCertificate. Every field but
/// the extensions is copied as encoded, so the result is byte-exact.
pub(crate) fn split_tbs(tbs: &[u8]) -> Result<Option<Embedded>, PrecertError> {
    let fields = elements(value_of(tbs, Tag::Sequence)?)?;
    let Some(&(_, ext_field)) = fields.iter().find(|(tag, _)| *tag == EXTENSIONS_TAG) else {
        return Ok(None);
    };
    let extensions = value_of(value_of(ext_field, EXTENSIONS_TAG)?, Tag::Sequence)?;
    let mut kept: Vec<u8> = Vec::new();
    let mut found: Option<Vec<u8>> = None;
    for (tag, ext) in elements(extensions)? {
        tag.assert_eq(Tag::Sequence)?;
        let parts = elements(value_of(ext, Tag::Sequence)?)?;
        let is_sct = match parts.first() {
            Some(&(Tag::ObjectIdentifier, oid)) => {
                value_of(oid, Tag::ObjectIdentifier)? == OID_SCT_LIST
            }
            _ => false,
        };
        if !is_sct {
            kept.extend_from_slice(ext);
            continue;
        }
        if found.is_some() {
            return Err(PrecertError::DuplicateExtension);
        }
        // extnID, optional critical BOOLEAN, extnValue OCTET STRING, whose
        // content is itself an OCTET STRING holding the TLS list.
        let (value_tag, value) = match parts.as_slice() {
            [_, .., last] => *last,
            _ => (Tag::Null, &[][..]),
        };
        value_tag.assert_eq(Tag::OctetString)?;
        let inner = OctetStringRef::from_der(value_of(value, Tag::OctetString)?)?;
        found = Some(inner.as_bytes().to_vec());
    }
    let Some(sct_list) = found else {
        return Ok(None);
    };
    // Re-encode: the other fields verbatim, then the remaining extensions
    // (an empty extensions field is left out, as Go's and OpenSSL's
    // encoders do).
    let mut content = Vec::with_capacity(tbs.len());
    for (tag, field) in &fields {
        if *tag == EXTENSIONS_TAG {
            if !kept.is_empty() {
                content.extend(encode(EXTENSIONS_TAG, &encode(Tag::Sequence, &kept)?)?);
            }
        } else {
            content.extend_from_slice(field);
        }
    }
    Ok(Some(Embedded {
        sct_list,
        precert_tbs: encode(Tag::Sequence, &content)?,
    }))
}

/// The `extnValue` content of an SCT-list extension holding `sct_list`
/// (the TLS list wrapped in an OCTET STRING), for building certificates.
pub fn extension_value(sct_list: &[u8]) -> Result<Vec<u8>, der::Error> {
    OctetStringRef::new(sct_list)?.to_der()
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
        let mut body = encode(Tag::ObjectIdentifier, oid).unwrap();
        body.extend(encode(Tag::OctetString, value).unwrap());
        encode(Tag::Sequence, &body).unwrap()
    }

    fn tbs_with(exts: &[Vec<u8>]) -> Vec<u8> {
        let version = Tag::ContextSpecific {
            constructed: true,
            number: TagNumber::N0,
        };
        let mut content = encode(version, &[0x02, 0x01, 0x02]).unwrap();
        content.extend(encode(Tag::Integer, &[0x01]).unwrap());
        if !exts.is_empty() {
            content.extend(
                encode(
                    EXTENSIONS_TAG,
                    &encode(Tag::Sequence, &exts.concat()).unwrap(),
                )
                .unwrap(),
            );
        }
        encode(Tag::Sequence, &content).unwrap()
    }

    #[test]
    fn removing_the_extension_gives_back_the_precert_tbs() {
        let san = ext(&[0x55, 0x1d, 0x11], &[0x30, 0x00]);
        let big = ext(&[0x55, 0x1d, 0x0e], &[0x04; 300]);
        let list = vec![0u8; 200];
        let sct = ext(OID_SCT_LIST, &extension_value(&list).unwrap());
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
        let final_tbs = tbs_with(&[ext(OID_SCT_LIST, &extension_value(&[1, 2, 3]).unwrap())]);
        for cut in 0..final_tbs.len() {
            assert!(split_tbs(&final_tbs[..cut]).is_err(), "cut at {cut}");
        }
        assert!(tbs(&[0x30, 0x00]).is_err());
    }

    #[test]
    fn encodings_that_der_forbids_are_errors_not_panics() {
        let good = tbs_with(&[ext(OID_SCT_LIST, &extension_value(&[1, 2, 3]).unwrap())]);
        assert!(good[1] < 0x80, "a short-form length to rewrite");
        assert!(split_tbs(&good).unwrap().is_some());
        // The outer length in a long form although it has a short one.
        let mut long = vec![0x30, 0x81, good[1]];
        long.extend_from_slice(&good[2..]);
        assert!(matches!(split_tbs(&long), Err(PrecertError::Der(_))));
        // An indefinite length (BER, not DER).
        let mut indefinite = vec![0x30, 0x80];
        indefinite.extend_from_slice(&good[2..]);
        indefinite.extend([0, 0]);
        assert!(split_tbs(&indefinite).is_err());
        // Bytes after the TBS, or after a certificate.
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(split_tbs(&trailing).is_err());
        let cert = encode(Tag::Sequence, &good).unwrap();
        assert_eq!(tbs(&cert).unwrap(), &good[..]);
        let mut cert_trailing = cert.clone();
        cert_trailing.push(0);
        assert!(tbs(&cert_trailing).is_err());
        // A multi-byte tag where a field should be.
        let mut content = good[2..].to_vec();
        content.extend([0x1f, 0x81, 0x00, 0x00]);
        let odd = encode(Tag::Sequence, &content).unwrap();
        assert!(split_tbs(&odd).is_err());
        // A certificate whose first element is not a SEQUENCE.
        let not_tbs = encode(Tag::Sequence, &[0x02, 0x01, 0x01]).unwrap();
        assert!(tbs(&not_tbs).is_err());
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
