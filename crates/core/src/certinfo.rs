//! Turning certificate DER into a [`CertRecord`]: fingerprints and the
//! fields an analyst reads first. Pure; never fails (a DER that does not
//! parse still gets its fingerprint and a `parse_error`).

use crate::encoding::{base64_encode, hex};
use crate::model::{CertRecord, Fingerprint};
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

/// Builds the record for one certificate.
pub fn cert_record(der: &[u8]) -> CertRecord {
    let mut record = CertRecord {
        der: base64_encode(der),
        sha256: Fingerprint::of(der),
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
            record.spki_sha256 = Some(Fingerprint::of(cert.public_key().raw));
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
pub(crate) fn name_to_string(name: &X509Name<'_>) -> String {
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

/// Dotted-decimal form of an OID (`2.5.4.3`), as `Oid::to_id_string`
/// gives it, without that function's big-integer arithmetic and string per
/// arc when every arc fits in 64 bits (certificates are full of OIDs).
pub(crate) fn dotted_oid(oid: &Oid<'_>) -> String {
    let Some(arcs) = oid.iter() else {
        return oid.to_id_string();
    };
    let mut out = String::with_capacity(3 * oid.as_bytes().len() + 2);
    for (i, mut arc) in arcs.enumerate() {
        if i > 0 {
            out.push('.');
        }
        let mut digits = [0u8; 20];
        let mut n = digits.len();
        loop {
            n -= 1;
            digits[n] = b'0' + (arc % 10) as u8;
            arc /= 10;
            if arc == 0 {
                break;
            }
        }
        out.extend(digits[n..].iter().map(|&d| d as char));
    }
    out
}

/// DER content of the DN attribute types mitmwatch names, with their short
/// names: 2.5.4.x for x = 3, 6, 7, 8, 10, 11, 5; emailAddress; DC.
const ATTR_SHORT_NAMES: [(&[u8], &str); 9] = [
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (&[0x55, 0x04, 0x05], "serialNumber"),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
        "emailAddress",
    ),
    (
        &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19],
        "DC",
    ),
];

/// Short name of a DN attribute type (`CN`, `O`, …), if it has one.
pub(crate) fn attr_short_name(oid: &Oid<'_>) -> Option<&'static str> {
    ATTR_SHORT_NAMES
        .iter()
        .find(|(der, _)| *der == oid.as_bytes())
        .map(|(_, name)| *name)
}

/// Short name of a DN attribute type (`CN`, `O`, …) or its dotted OID.
pub(crate) fn oid_short_name(oid: &Oid<'_>) -> String {
    attr_short_name(oid).map_or_else(|| dotted_oid(oid), str::to_string)
}

/// Serial number as lowercase hex without the DER sign-padding byte.
pub(crate) fn serial_hex(raw: &[u8]) -> String {
    let trimmed = match raw {
        [0, second, ..] if raw.len() > 1 && *second >= 0x80 => &raw[1..],
        _ => raw,
    };
    hex(trimmed)
}

/// Formats a time as RFC 3339 (UTC); the one helper lives in
/// [`crate::encoding::rfc3339`].
pub use crate::encoding::rfc3339;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_oid_agrees_with_the_library() {
        let cases: [&[u8]; 4] = [
            &[0x55, 0x04, 0x03],                                           // 2.5.4.3
            &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02], // SCT list
            &[0x88, 0x37, 0x03],                                           // 2.999.3
            // An arc of more than 64 bits: the library's own form.
            &[
                0x2a, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
        ];
        for bytes in cases {
            let oid = Oid::new(std::borrow::Cow::Borrowed(bytes));
            assert_eq!(dotted_oid(&oid), oid.to_id_string(), "{bytes:02x?}");
        }
        assert_eq!(
            dotted_oid(&Oid::new(std::borrow::Cow::Borrowed(&[0x55, 0x04, 0x03]))),
            "2.5.4.3"
        );
    }

    #[test]
    fn attribute_short_names_match_their_dotted_oids() {
        let dotted = [
            ("2.5.4.3", "CN"),
            ("2.5.4.6", "C"),
            ("2.5.4.7", "L"),
            ("2.5.4.8", "ST"),
            ("2.5.4.10", "O"),
            ("2.5.4.11", "OU"),
            ("2.5.4.5", "serialNumber"),
            ("1.2.840.113549.1.9.1", "emailAddress"),
            ("0.9.2342.19200300.100.1.25", "DC"),
        ];
        for (der, name) in ATTR_SHORT_NAMES {
            let oid = Oid::new(std::borrow::Cow::Borrowed(der));
            assert!(
                dotted.contains(&(dotted_oid(&oid).as_str(), name)),
                "{name}"
            );
        }
        let other = Oid::new(std::borrow::Cow::Borrowed(&[0x55, 0x04, 0x2a]));
        assert_eq!(oid_short_name(&other), "2.5.4.42");
    }

    #[test]
    fn garbage_gets_a_fingerprint_and_a_parse_error() {
        let r = cert_record(b"\x30\x03\x02\x01");
        assert_eq!(r.sha256.to_string().len(), 64);
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
