//! Checking an SCT's signature with the log's key (ring): ECDSA P-256 with
//! SHA-256, or RSA PKCS#1 v1.5 with SHA-256 (2048 bits or more), the two
//! algorithms RFC 6962 §2.1.4 allows.

use super::sct::{Sct, HASH_SHA256, SIG_ECDSA, SIG_RSA};
use crate::analyze::signature::SignatureMemo;
use ring::signature::{
    UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256,
};
use std::fmt;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// id-ecPublicKey.
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// prime256v1 / secp256r1.
const OID_P256: &str = "1.2.840.10045.3.1.7";
/// rsaEncryption.
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// Why a log's key (a DER SubjectPublicKeyInfo from a log list) cannot
/// verify SCTs. The log stays on the list; its SCTs are reported as
/// unverifiable with this reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogKeyError {
    /// The bytes are not a SubjectPublicKeyInfo.
    #[error("not a public key: {0}")]
    NotAPublicKey(String),
    /// Bytes follow the SubjectPublicKeyInfo.
    #[error("bytes after the public key")]
    TrailingBytes,
    /// An EC key on a curve other than P-256 (RFC 6962 §2.1.4 allows only P-256).
    #[error("EC key on curve {0}, not P-256")]
    Curve(String),
    /// Neither an EC nor an RSA key.
    #[error("unsupported key algorithm {0}")]
    Algorithm(String),
}

/// A log's public key, in the form ring verifies with.
#[derive(Clone, PartialEq, Eq)]
pub enum LogKey {
    /// ECDSA P-256: the uncompressed point.
    EcdsaP256(Vec<u8>),
    /// RSA: the PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
}

impl fmt::Debug for LogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogKey::EcdsaP256(_) => f.write_str("LogKey::EcdsaP256"),
            LogKey::Rsa(_) => f.write_str("LogKey::Rsa"),
        }
    }
}

impl LogKey {
    /// Reads a DER SubjectPublicKeyInfo (the `key` of a log-list entry).
    pub(crate) fn from_spki(der: &[u8]) -> Result<Self, LogKeyError> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| LogKeyError::NotAPublicKey(e.to_string()))?;
        if !rest.is_empty() {
            return Err(LogKeyError::TrailingBytes);
        }
        let bits = spki.subject_public_key.data.to_vec();
        match spki.algorithm.algorithm.to_id_string().as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|oid| oid.to_id_string());
                if curve.as_deref() != Some(OID_P256) {
                    return Err(LogKeyError::Curve(
                        curve.unwrap_or_else(|| "(none)".to_string()),
                    ));
                }
                Ok(LogKey::EcdsaP256(bits))
            }
            OID_RSA => Ok(LogKey::Rsa(bits)),
            other => Err(LogKeyError::Algorithm(other.to_string())),
        }
    }

    /// The key type in words.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            LogKey::EcdsaP256(_) => "ECDSA P-256",
            LogKey::Rsa(_) => "RSA",
        }
    }
}

/// Why an SCT's signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The SCT names a hash other than SHA-256.
    UnsupportedHash(u8),
    /// The SCT's signature algorithm does not match the log's key.
    AlgorithmMismatch {
        /// The TLS `SignatureAlgorithm` in the SCT.
        sct: u8,
        /// The log's key type.
        key: &'static str,
    },
    /// The signature does not verify over the signed data.
    BadSignature,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::UnsupportedHash(h) => {
                write!(f, "hash algorithm {h} instead of SHA-256 (4)")
            }
            SignatureError::AlgorithmMismatch { sct, key } => write!(
                f,
                "signature algorithm {sct} does not match the log's {key} key"
            ),
            SignatureError::BadSignature => {
                f.write_str("the signature does not match this certificate and issuer")
            }
        }
    }
}

impl std::error::Error for SignatureError {}

/// Verifies `sct`'s signature over `signed_data` with `key`; through
/// `memo` when given (a scan meets the same certificates, and so the same
/// SCTs, over and over), remembered under `decided_by`: parts that decide
/// `signed_data` (see `super::embedded`), much shorter than it.
pub(crate) fn verify(
    sct: &Sct,
    key: &LogKey,
    signed_data: &[u8],
    memo: Option<(&SignatureMemo, &[&[u8]])>,
) -> Result<(), SignatureError> {
    if sct.hash_algorithm != HASH_SHA256 {
        return Err(SignatureError::UnsupportedHash(sct.hash_algorithm));
    }
    let (algorithm, key_bytes): (&'static dyn VerificationAlgorithm, &[u8]) =
        match (key, sct.signature_algorithm) {
            (LogKey::EcdsaP256(point), SIG_ECDSA) => (&ECDSA_P256_SHA256_ASN1, point),
            (LogKey::Rsa(pkcs1), SIG_RSA) => (&RSA_PKCS1_2048_8192_SHA256, pkcs1),
            (key, sig) => {
                return Err(SignatureError::AlgorithmMismatch {
                    sct: sig,
                    key: key.describe(),
                })
            }
        };
    let check = || {
        UnparsedPublicKey::new(algorithm, key_bytes)
            .verify(signed_data, &sct.signature)
            .is_ok()
    };
    let valid = match memo {
        // The tag and the algorithm byte keep these apart from
        // certificate signatures in the same memo.
        Some((memo, decided_by)) => {
            let mut parts: Vec<&[u8]> = vec![
                b"sct",
                std::slice::from_ref(&sct.signature_algorithm),
                key_bytes,
                &sct.signature,
            ];
            parts.extend_from_slice(decided_by);
            memo.remembered(&parts, check)
        }
        None => check(),
    };
    if valid {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::base64_decode;

    // Cloudflare 'Nimbus2026', from certs/ct/log_list.json.
    const NIMBUS2026: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2FxhT6xq0iCATopC9gStS9SxHHmOKTLeaVNZ661488Aq8tARXQV+6+jB0983v5FkRm4OJxPqu29GJ1iG70Ahow==";

    #[test]
    fn keys_are_read_from_spki() {
        let key = LogKey::from_spki(&base64_decode(NIMBUS2026).unwrap()).unwrap();
        match key {
            LogKey::EcdsaP256(point) => assert_eq!((point.len(), point[0]), (65, 4)),
            other => panic!("{other:?}"),
        }
        assert!(LogKey::from_spki(b"\x30\x00").is_err());
        assert!(LogKey::from_spki(&[]).is_err());
    }

    #[test]
    fn mismatched_algorithms_are_refused() {
        let key = LogKey::from_spki(&base64_decode(NIMBUS2026).unwrap()).unwrap();
        let mut sct = Sct {
            log_id: [0; 32],
            timestamp_ms: 0,
            extensions: vec![],
            hash_algorithm: HASH_SHA256,
            signature_algorithm: SIG_RSA,
            signature: vec![0; 256],
        };
        assert!(matches!(
            verify(&sct, &key, b"data", None),
            Err(SignatureError::AlgorithmMismatch { .. })
        ));
        sct.hash_algorithm = 2;
        assert_eq!(
            verify(&sct, &key, b"data", None),
            Err(SignatureError::UnsupportedHash(2))
        );
        sct.hash_algorithm = HASH_SHA256;
        sct.signature_algorithm = SIG_ECDSA;
        assert_eq!(
            verify(&sct, &key, b"data", None),
            Err(SignatureError::BadSignature)
        );
    }
}
