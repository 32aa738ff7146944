//! Certificates from the bytes of a trust-store file: PEM (any number of
//! CERTIFICATE blocks, other blocks skipped) or one DER certificate. Pure;
//! a bad block is reported by file and position and the others are kept.

use x509_parser::prelude::{FromDer, X509Certificate};

/// At most this many problems are reported per file.
const MAX_ERRORS: usize = 20;

/// The certificates in `bytes` (read from `name`), and the problems found,
/// each starting with `name`.
pub(crate) fn certificates(bytes: &[u8], name: &str) -> (Vec<Vec<u8>>, Vec<String>) {
    let mut certs = Vec::new();
    let mut errors = Vec::new();
    if bytes.is_empty() {
        errors.push(format!("{name}: the file is empty"));
        return (certs, errors);
    }
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        for (line, item) in
            mitmwatch_core::analysis_data::trust_store::pem_certificate_blocks(bytes)
        {
            match item {
                Ok(der) => match check_x509(&der) {
                    Ok(()) => certs.push(der.to_vec()),
                    Err(e) => errors.push(format!("{name}:{line}: certificate: {e}")),
                },
                Err(e) => errors.push(format!("{name}:{line}: PEM block is not readable: {e}")),
            }
            if errors.len() >= MAX_ERRORS {
                errors.push(format!("{name}: too many errors, the rest was not read"));
                break;
            }
        }
        if certs.is_empty() && errors.is_empty() {
            errors.push(format!("{name}: no CERTIFICATE block in the PEM text"));
        }
    } else if bytes[0] == 0x30 {
        match check_x509(bytes) {
            Ok(()) => certs.push(bytes.to_vec()),
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    } else {
        errors.push(format!(
            "{name}: neither PEM nor DER (DER starts with byte 0x30)"
        ));
    }
    (certs, errors)
}

/// Whether `der` is one X.509 certificate and nothing more.
fn check_x509(der: &[u8]) -> Result<(), String> {
    match X509Certificate::from_der(der) {
        Ok(([], _)) => Ok(()),
        Ok((rest, _)) => Err(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        )),
        Err(e) => Err(format!("not a valid X.509 certificate: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::analysis_data::catalog::builtin::PEMS;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    fn pem(name: &str) -> &'static [u8] {
        PEMS.iter().find(|(n, _)| n.starts_with(name)).unwrap().1
    }

    #[test]
    fn a_bad_block_is_reported_and_the_others_are_kept() {
        let mut bundle = pem("qaznet").to_vec();
        bundle.extend_from_slice(
            b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        );
        bundle.extend_from_slice(pem("superfish"));
        let (certs, errors) = certificates(&bundle, "bundle.pem");
        assert_eq!(certs.len(), 2);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let line = pem("qaznet").iter().filter(|b| **b == b'\n').count() + 1;
        assert!(
            errors[0].starts_with(&format!("bundle.pem:{line}: PEM block is not readable")),
            "{errors:?}"
        );
    }

    #[test]
    fn der_garbage_and_empty_files() {
        let der = CertificateDer::from_pem_slice(pem("qaznet")).unwrap();
        assert_eq!(certificates(&der, "q.der").0.len(), 1);
        let (certs, errors) = certificates(b"hello", "readme");
        assert!(certs.is_empty());
        assert!(errors[0].contains("neither PEM nor DER"));
        assert!(certificates(b"", "e").1[0].contains("empty"));
        let (_, errors) = certificates(b"\x30\x03\x02\x01\x00", "bad.der");
        assert!(errors[0].contains("not a valid X.509"), "{errors:?}");
        let (_, errors) = certificates(
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "k.pem",
        );
        assert!(errors[0].contains("no CERTIFICATE block"), "{errors:?}");
    }
}
