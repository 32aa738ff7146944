//! Turning certificate DER into a [`CertRecord`]: fingerprints and the
//! fields an analyst reads first. Pure; never fails (a DER that does not
//! parse still gets its fingerprint and a `parse_error`).

use crate::encoding::{base64_encode, hex, sha256_hex};
use crate::model::CertRecord;
use ::time::OffsetDateTime;
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

/// Builds the record for one certificate.
pub fn cert_record(der: &[u8]) -> CertRecord {
    let mut record = CertRecord {
        der: base64_encode(der),
        sha256: sha256_hex(der),
        spki_sha256: None,
        subject: None,
        issuer: None,
        serial: None,
        not_before: None,
        not_after: None,
        parse_error: None,
    };
    match X509Certificate::from_der(der) {
        Ok((rest, cert)) => {
            record.spki_sha256 = Some(sha256_hex(cert.public_key().raw));
            record.subject = Some(name_to_string(cert.subject()));
            record.issuer = Some(name_to_string(cert.issuer()));
            record.serial = Some(serial_hex(cert.raw_serial()));
            record.not_before = Some(cert.validity().not_before.to_datetime());
            record.not_after = Some(cert.validity().not_after.to_datetime());
            if !rest.is_empty() {
                record.parse_error = Some(format!(
                    "{} trailing bytes after the certificate",
                    rest.len()
                ));
            }
        }
        Err(e) => record.parse_error = Some(format!("not a valid X.509 certificate: {e}")),
    }
    record
}

/// Renders a distinguished name as `CN=…, O=…`, falling back to a hex dump
/// of attribute values that are not strings.
pub fn name_to_string(name: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter() {
        for attr in rdn.iter() {
            let key = oid_short_name(attr.attr_type());
            let value = match attr.as_str() {
                Ok(s) => s.to_string(),
                Err(_) => format!("#{}", hex(attr.attr_value().data)),
            };
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(", ")
}

/// Short name of a DN attribute type (`CN`, `O`, …) or its dotted OID.
pub fn oid_short_name(oid: &Oid<'_>) -> String {
    match oid.to_id_string().as_str() {
        "2.5.4.3" => "CN".into(),
        "2.5.4.6" => "C".into(),
        "2.5.4.7" => "L".into(),
        "2.5.4.8" => "ST".into(),
        "2.5.4.10" => "O".into(),
        "2.5.4.11" => "OU".into(),
        "2.5.4.5" => "serialNumber".into(),
        "1.2.840.113549.1.9.1" => "emailAddress".into(),
        "0.9.2342.19200300.100.1.25" => "DC".into(),
        other => other.to_string(),
    }
}

/// Serial number as lowercase hex without the DER sign-padding byte.
pub fn serial_hex(raw: &[u8]) -> String {
    let trimmed = match raw {
        [0, second, ..] if raw.len() > 1 && *second >= 0x80 => &raw[1..],
        _ => raw,
    };
    hex(trimmed)
}

/// Formats a time as RFC 3339 (UTC), for messages.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&::time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_gets_a_fingerprint_and_a_parse_error() {
        let r = cert_record(b"\x30\x03\x02\x01");
        assert_eq!(r.sha256.len(), 64);
        assert!(r.parse_error.is_some());
        assert!(r.subject.is_none());
    }

    #[test]
    fn serial_padding_is_removed() {
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[0x01, 0x02]), "0102");
    }
}
