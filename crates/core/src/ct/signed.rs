//! The signature on Chrome's log list. Google publishes `log_list.json`
//! with `log_list.sig`: an RSA PKCS#1 v1.5 signature with SHA-256 over the
//! JSON bytes exactly as served, made with the key in
//! `certs/ct/log_list_pubkey.pem` (RSA 4096; source in
//! `certs/ct/README.md`). Chrome's component updater checks it the same way
//! before it uses a list. Pure: the caller reads the files.

use super::signature::LogKey;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

/// `certs/ct/log_list_pubkey.pem`: Google's key for `log_list.sig`.
pub(crate) const GOOGLE_LOG_LIST_KEY_PEM: &str =
    include_str!("../../../../certs/ct/log_list_pubkey.pem");

/// Why a log list's signature was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListSignatureError {
    /// The key file is not a PEM RSA public key.
    #[error("{key}: not an RSA public key in PEM (`-----BEGIN PUBLIC KEY-----`): {detail}")]
    BadKey {
        /// Where the key came from.
        key: String,
        /// What was wrong.
        detail: String,
    },
    /// The signature does not verify.
    #[error(
        "the signature ({sig_len} bytes) over {json_len} bytes of JSON does not verify with {key}: \
         the list was altered or truncated, or signed with another key"
    )]
    Mismatch {
        /// Where the key came from.
        key: String,
        /// Length of the signature file.
        sig_len: usize,
        /// Length of the signed JSON.
        json_len: usize,
    },
}

/// A key that signs log lists.
#[derive(Clone, Debug)]
pub struct ListSigningKey {
    /// PKCS#1 `RSAPublicKey` DER, as ring takes it.
    rsa: Vec<u8>,
    /// Where the key came from, for messages.
    label: String,
}

impl ListSigningKey {
    /// Google's key (`certs/ct/log_list_pubkey.pem`).
    pub fn google() -> Self {
        Self::from_pem(GOOGLE_LOG_LIST_KEY_PEM, "Google's log-list key")
            .expect("certs/ct/log_list_pubkey.pem is an RSA key (checked by the unit tests)")
    }

    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) holding an RSA key.
    pub fn from_pem(pem: &str, label: &str) -> Result<Self, ListSignatureError> {
        let bad = |detail: String| ListSignatureError::BadKey {
            key: label.to_string(),
            detail,
        };
        let (_, block) =
            x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| bad(e.to_string()))?;
        if block.label != "PUBLIC KEY" {
            return Err(bad(format!("the PEM block is {:?}", block.label)));
        }
        match LogKey::from_spki(&block.contents).map_err(|e| bad(e.to_string()))? {
            LogKey::Rsa(rsa) => Ok(ListSigningKey {
                rsa,
                label: label.to_string(),
            }),
            LogKey::EcdsaP256(_) => Err(bad("an ECDSA key, not RSA".into())),
        }
    }

    /// Where the key came from.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Checks `sig` over `json` (the bytes as downloaded, before parsing).
    pub fn verify(&self, json: &[u8], sig: &[u8]) -> Result<(), ListSignatureError> {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.rsa)
            .verify(json, sig)
            .map_err(|_| ListSignatureError::Mismatch {
                key: self.label.clone(),
                sig_len: sig.len(),
                json_len: json.len(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ct/google-v3-54.12/"
        );
        std::fs::read(format!("{path}{name}")).unwrap()
    }

    #[test]
    fn a_real_list_signed_by_google_verifies() {
        let json = fixture("log_list.json");
        let sig = fixture("log_list.sig");
        assert_eq!(sig.len(), 512, "RSA 4096");
        ListSigningKey::google().verify(&json, &sig).unwrap();
        let list = super::super::LogList::from_json(std::str::from_utf8(&json).unwrap(), "x");
        assert_eq!(list.unwrap().version, "54.12");
    }

    #[test]
    fn any_change_breaks_it() {
        let json = fixture("log_list.json");
        let sig = fixture("log_list.sig");
        let key = ListSigningKey::google();
        let mut altered = json.clone();
        let at = altered.len() / 2;
        altered[at] ^= 0x01;
        let e = key.verify(&altered, &sig).unwrap_err();
        assert!(
            e.to_string().contains("does not verify with Google's"),
            "{e}"
        );
        assert!(key.verify(&json[..json.len() - 1], &sig).is_err());
        let mut bad_sig = sig.clone();
        bad_sig[0] ^= 0x80;
        assert!(key.verify(&json, &bad_sig).is_err());
        assert!(key.verify(&json, &sig[..511]).is_err());
        assert!(key.verify(&json, b"").is_err());
    }

    #[test]
    fn keys_that_are_not_rsa_public_keys_are_refused() {
        let e = ListSigningKey::from_pem("not pem", "k.pem").unwrap_err();
        assert!(e.to_string().starts_with("k.pem: "), "{e}");
        let ec = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2FxhT6xq0iCATopC9gStS9SxHHmOKTLeaVNZ661488Aq8tARXQV+6+jB0983v5FkRm4OJxPqu29GJ1iG70Ahow==\n-----END PUBLIC KEY-----\n";
        let e = ListSigningKey::from_pem(ec, "ec.pem").unwrap_err();
        assert!(e.to_string().contains("ECDSA"), "{e}");
        let cert = GOOGLE_LOG_LIST_KEY_PEM.replace("PUBLIC KEY", "CERTIFICATE");
        assert!(ListSigningKey::from_pem(&cert, "c").is_err());
    }
}
