//! Certificate signatures, checked in one place and answered in three
//! values: the signature is valid, it is invalid, or it cannot be checked
//! here (an algorithm *ring* does not implement, such as ECDSA with SHA-1
//! or SHA-512, or P-521 keys). "Cannot be checked" proves nothing either
//! way: it never makes a forgery, and it never makes a link genuine.
//!
//! Every caller (chain linkage, anchors, the baseline's CAs, webpki's path
//! building) goes through [`SignatureMemo`], which remembers each
//! verification by (algorithm, key, signed data, signature): a scan sees the
//! same few intermediates over and over, and a signature checked once need
//! not be checked again. The memo is a cache of a pure function, so results
//! never depend on the order of the input or on threads.

use rustls_pki_types::{
    alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm,
};
use std::collections::HashMap;
use std::sync::Mutex;

/// The answer to "did this key sign this?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureCheck {
    /// The signature verifies under the key.
    Valid,
    /// The signature does not verify under the key.
    Invalid,
    /// The algorithm (or the key's type or size for it) is not one this
    /// build can check: nothing is known.
    Unsupported,
}

/// A signed structure: the exact bytes signed, the signature algorithm
/// (the contents of its AlgorithmIdentifier) and the signature.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signed<'a> {
    /// The signed bytes (a certificate's DER `tbsCertificate`).
    pub(crate) message: &'a [u8],
    /// Contents of the signature AlgorithmIdentifier (OID and parameters).
    pub(crate) algorithm: &'a [u8],
    /// The signature, without the BIT STRING's unused-bits byte.
    pub(crate) signature: &'a [u8],
}

/// A public key: the contents of its SubjectPublicKeyInfo's algorithm
/// identifier and the subjectPublicKey bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PublicKey<'a> {
    /// Contents of the key's AlgorithmIdentifier.
    pub(crate) algorithm: &'a [u8],
    /// The subjectPublicKey bytes.
    pub(crate) key: &'a [u8],
    /// The RSA modulus size in bits (0 for other keys), for algorithms
    /// with a minimum key size.
    pub(crate) rsa_bits: usize,
}

/// One verification algorithm this module can check, and the smallest RSA
/// key it accepts (0: any).
struct Algorithm {
    inner: &'static dyn SignatureVerificationAlgorithm,
    min_rsa_bits: usize,
}

/// The algorithms webpki accepts for path building (browsers' set), in
/// webpki's order.
fn webpki_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    webpki::ALL_VERIFICATION_ALGS
}

/// Legacy algorithms that browsers retired but that genuine old chains
/// use: RSA with SHA-1, and RSA keys of 1024 to 2047 bits. They are used
/// to tell an old genuine chain from a forged one, never to trust a chain.
mod legacy {
    use ring::signature;
    use rustls_pki_types::{
        alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm,
    };

    /// sha1WithRSAEncryption with NULL parameters.
    const RSA_PKCS1_SHA1: AlgorithmIdentifier = AlgorithmIdentifier::from_slice(&[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
    ]);
    /// sha1WithRSAEncryption without parameters.
    const RSA_PKCS1_SHA1_ABSENT_PARAMS: AlgorithmIdentifier = AlgorithmIdentifier::from_slice(&[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05,
    ]);

    #[derive(Debug)]
    pub(super) struct Ring {
        signature_alg_id: AlgorithmIdentifier,
        verification: &'static dyn signature::VerificationAlgorithm,
    }

    impl SignatureVerificationAlgorithm for Ring {
        fn public_key_alg_id(&self) -> AlgorithmIdentifier {
            alg_id::RSA_ENCRYPTION
        }
        fn signature_alg_id(&self) -> AlgorithmIdentifier {
            self.signature_alg_id
        }
        fn verify_signature(
            &self,
            public_key: &[u8],
            message: &[u8],
            signature: &[u8],
        ) -> Result<(), InvalidSignature> {
            signature::UnparsedPublicKey::new(self.verification, public_key)
                .verify(message, signature)
                .map_err(|_| InvalidSignature)
        }
    }

    pub(super) static SHA1: Ring = Ring {
        signature_alg_id: RSA_PKCS1_SHA1,
        verification: &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
    };
    pub(super) static SHA1_ABSENT_PARAMS: Ring = Ring {
        signature_alg_id: RSA_PKCS1_SHA1_ABSENT_PARAMS,
        verification: &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
    };
    pub(super) static SHA256_1024: Ring = Ring {
        signature_alg_id: alg_id::RSA_PKCS1_SHA256,
        verification: &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
    };
    pub(super) static SHA512_1024: Ring = Ring {
        signature_alg_id: alg_id::RSA_PKCS1_SHA512,
        verification: &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
    };
}

/// Every algorithm the analysis can check: the legacy ones for short RSA
/// keys first (they accept what the 2048-bit variants accept, and more),
/// then webpki's.
fn analysis_algorithms() -> impl Iterator<Item = Algorithm> {
    let legacy: [&'static dyn SignatureVerificationAlgorithm; 4] = [
        &legacy::SHA1,
        &legacy::SHA1_ABSENT_PARAMS,
        &legacy::SHA256_1024,
        &legacy::SHA512_1024,
    ];
    legacy
        .into_iter()
        .map(|inner| Algorithm {
            inner,
            min_rsa_bits: 1024,
        })
        .chain(webpki_algorithms().iter().map(|&inner| Algorithm {
            inner,
            // webpki's RSA algorithms take keys of 2048 bits or more (the
            // 3072-bit SHA-384 variant comes after the 2048-bit one, which
            // is always found first).
            min_rsa_bits: if inner.public_key_alg_id() == alg_id::RSA_ENCRYPTION {
                2048
            } else {
                0
            },
        }))
}

/// Most verifications a [`SignatureMemo`] remembers. Each entry is 33
/// bytes of data (plus the map's overhead, about 80 bytes in all), so the
/// memo stays under about 6 MiB; it is emptied when full.
pub(crate) const SIGNATURE_MEMO_LIMIT: usize = 65_536;

/// Remembered signature verifications, keyed by the SHA-256 of the
/// algorithm, the key, the signed bytes and the signature.
#[derive(Debug)]
pub(crate) struct SignatureMemo {
    entries: Mutex<HashMap<[u8; 32], bool>>,
    /// False: every verification is done afresh (`MITMWATCH_NO_CACHES`,
    /// to show that remembering changes nothing).
    enabled: bool,
}

impl Default for SignatureMemo {
    fn default() -> Self {
        SignatureMemo::new(true)
    }
}

impl SignatureMemo {
    /// A memo; `enabled: false` remembers nothing.
    pub(crate) fn new(enabled: bool) -> Self {
        SignatureMemo {
            entries: Mutex::default(),
            enabled,
        }
    }

    /// Whether `inner` verifies `signature` over `message` under
    /// `public_key`, remembered.
    fn verify(
        &self,
        inner: &dyn SignatureVerificationAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let (key_alg, sig_alg) = (inner.public_key_alg_id(), inner.signature_alg_id());
        let parts = [
            key_alg.as_ref(),
            sig_alg.as_ref(),
            public_key,
            signature,
            message,
        ];
        self.remembered(&parts, || {
            inner
                .verify_signature(public_key, message, signature)
                .is_ok()
        })
    }

    /// Whether the signature described by `parts` (everything that decides
    /// the answer: algorithm, key, signature and signed bytes, each as its
    /// own part) verifies, by `verify` or remembered. Callers outside
    /// certificate signatures (SCTs) begin `parts` with a tag of their own,
    /// so that their keys cannot meet a certificate's.
    pub(crate) fn remembered(&self, parts: &[&[u8]], verify: impl FnOnce() -> bool) -> bool {
        if !self.enabled {
            return verify();
        }
        let key = memo_key(parts);
        if let Some(known) = self.entries.lock().ok().and_then(|m| m.get(&key).copied()) {
            return known;
        }
        let valid = verify();
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= SIGNATURE_MEMO_LIMIT {
                map.clear();
            }
            map.insert(key, valid);
        }
        valid
    }

    /// Checks `signed` under `key` with every algorithm the analysis knows
    /// (browsers' set, plus RSA with SHA-1 and 1024-bit RSA keys, which
    /// genuine old chains use).
    pub(crate) fn check(&self, signed: &Signed<'_>, key: &PublicKey<'_>) -> SignatureCheck {
        let found = analysis_algorithms().find(|a| {
            a.inner.public_key_alg_id().as_ref() == key.algorithm
                && a.inner.signature_alg_id().as_ref() == signed.algorithm
                && (a.min_rsa_bits == 0 || key.rsa_bits >= a.min_rsa_bits)
        });
        match found {
            None => SignatureCheck::Unsupported,
            Some(a) => {
                if self.verify(a.inner, key.key, signed.message, signed.signature) {
                    SignatureCheck::Valid
                } else {
                    SignatureCheck::Invalid
                }
            }
        }
    }

    /// webpki's algorithms, each answering through this memo, for path
    /// building.
    pub(crate) fn webpki_algorithms(&self) -> Vec<Memoized<'_>> {
        webpki_algorithms()
            .iter()
            .map(|&inner| Memoized { inner, memo: self })
            .collect()
    }
}

/// SHA-256 of the parts, each preceded by its length.
fn memo_key(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let digest = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A webpki verification algorithm whose answers go through a
/// [`SignatureMemo`].
#[derive(Debug)]
pub(crate) struct Memoized<'m> {
    inner: &'static dyn SignatureVerificationAlgorithm,
    memo: &'m SignatureMemo,
}

impl SignatureVerificationAlgorithm for Memoized<'_> {
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if self.memo.verify(self.inner, public_key, message, signature) {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }
    fn fips_status(&self) -> rustls_pki_types::FipsStatus {
        self.inner.fips_status()
    }
}

/// A public key kept with its SubjectPublicKeyInfo DER (a trust anchor's,
/// or a baseline's CA), ready to check signatures with.
#[derive(Clone, Debug)]
pub(crate) struct SpkiKey {
    der: Vec<u8>,
    algorithm: std::ops::Range<usize>,
    key: std::ops::Range<usize>,
    rsa_bits: usize,
}

impl SpkiKey {
    /// Takes a DER SubjectPublicKeyInfo apart; `None` when it is not one.
    pub(crate) fn from_spki_der(der: Vec<u8>) -> Option<SpkiKey> {
        use asn1_rs::{Any, FromDer};
        use x509_parser::prelude::SubjectPublicKeyInfo;
        let at = |part: &[u8]| {
            let start = part.as_ptr() as usize - der.as_ptr() as usize;
            start..start + part.len()
        };
        let (_, spki) = Any::from_der(&der).ok()?;
        let (rest, algorithm) = Any::from_der(spki.data).ok()?;
        let (_, bits) = Any::from_der(rest).ok()?;
        let algorithm = at(algorithm.data);
        let key = at(bits.data.split_first()?.1);
        let rsa_bits = match SubjectPublicKeyInfo::from_der(&der) {
            Ok((_, spki)) => match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => rsa.key_size(),
                _ => 0,
            },
            Err(_) => 0,
        };
        Some(SpkiKey {
            der,
            algorithm,
            key,
            rsa_bits,
        })
    }

    /// The SubjectPublicKeyInfo, DER.
    #[cfg(test)]
    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    /// The key, to check signatures with.
    pub(crate) fn as_public_key(&self) -> PublicKey<'_> {
        PublicKey {
            algorithm: &self.der[self.algorithm.clone()],
            key: &self.der[self.key.clone()],
            rsa_bits: self.rsa_bits,
        }
    }
}

/// Whether browsers' verifiers (webpki's set) could check `signed` under
/// `key`: false for RSA with SHA-1 and for RSA keys under 2048 bits, which
/// [`SignatureMemo::check`] still checks for the analysis.
pub(crate) fn browsers_accept(signed: &Signed<'_>, key: &PublicKey<'_>) -> bool {
    webpki_algorithms().iter().any(|a| {
        a.public_key_alg_id().as_ref() == key.algorithm
            && a.signature_alg_id().as_ref() == signed.algorithm
            && (a.public_key_alg_id() != alg_id::RSA_ENCRYPTION || key.rsa_bits >= 2048)
    })
}
