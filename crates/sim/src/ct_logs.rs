//! Simulated Certificate Transparency logs: keys generated at start (ECDSA
//! P-256), or loaded from a PKCS#8 RSA key for tests, that sign SCTs for
//! precertificates exactly as a real log does, and the procedure a public CA
//! follows to embed them: build the certificate without the SCT list, have
//! the logs sign its TBS (the precertificate's), then build it again with
//! the list appended as the last extension.

use super::error::SimError;
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use der::Encode;
use mitmwatch_core::ct::sct::{encode_list, Sct, HASH_SHA256, SIG_ECDSA, SIG_RSA};
use mitmwatch_core::ct::{precert, CtLog, LogList, LogState, StateKind};
use mitmwatch_core::encoding::sha256;
use rcgen::{CertificateParams, CustomExtension, Issuer, PublicKeyData, SigningKey};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256,
};
use spki::{AlgorithmIdentifier, SubjectPublicKeyInfo};
use time::{Duration, OffsetDateTime};

/// OID arcs of the embedded SCT list extension.
const SCT_LIST_ARCS: [u64; 10] = [1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];
/// id-ecPublicKey (RFC 5480).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// prime256v1, the named curve of an ECDSA P-256 key (RFC 5480).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// rsaEncryption (RFC 8017).
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A CT log that can sign: its entry for a log list, and its private key.
pub struct SigningLog {
    /// The log as a log list describes it (id, key, operator, state…).
    pub log: CtLog,
    signer: Signer,
}

impl std::fmt::Debug for SigningLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningLog")
            .field("log", &self.log.description)
            .finish_non_exhaustive()
    }
}

/// The DER SubjectPublicKeyInfo of `key` (the raw public key bits) under
/// the algorithm `oid` with `parameters`.
fn spki(oid: ObjectIdentifier, parameters: AnyRef<'_>, key: &[u8]) -> Result<Vec<u8>, SimError> {
    let info = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifier {
            oid,
            parameters: Some(parameters),
        },
        subject_public_key: BitStringRef::from_bytes(key)?,
    };
    Ok(info.to_der()?)
}

impl SigningLog {
    /// A log with a fresh ECDSA P-256 key.
    pub fn generate(description: &str, operator: &str) -> Result<Self, SimError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| "cannot generate a CT log key")?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|e| format!("CT log key: {e}"))?;
        let key = spki(
            OID_EC_PUBLIC_KEY,
            AnyRef::from(&OID_P256),
            pair.public_key().as_ref(),
        )?;
        Ok(SigningLog {
            log: CtLog::new(description, operator, key, "https://ct.sim.invalid/"),
            signer: Signer::Ecdsa(pair),
        })
    }

    /// A log with an RSA key given as PKCS#8 DER (ring cannot generate RSA keys).
    pub fn from_rsa_pkcs8(
        description: &str,
        operator: &str,
        pkcs8: &[u8],
    ) -> Result<Self, SimError> {
        let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| format!("CT log RSA key: {e}"))?;
        let key = spki(OID_RSA, AnyRef::NULL, pair.public().as_ref())?;
        Ok(SigningLog {
            log: CtLog::new(description, operator, key, "https://ct.sim.invalid/"),
            signer: Signer::Rsa(pair),
        })
    }

    /// Signs an SCT for a precertificate (RFC 6962 `precert_entry`).
    pub fn sign_precert(
        &self,
        issuer_key_hash: &[u8; 32],
        precert_tbs: &[u8],
        timestamp_ms: u64,
        extensions: &[u8],
    ) -> Result<Sct, SimError> {
        let data =
            precert::precert_signed_data(timestamp_ms, issuer_key_hash, precert_tbs, extensions)
                .ok_or("precertificate too large to log")?;
        Ok(Sct {
            log_id: self.log.id,
            timestamp_ms,
            extensions: extensions.to_vec(),
            hash_algorithm: HASH_SHA256,
            signature_algorithm: self.signature_algorithm(),
            signature: self.sign(&data)?,
        })
    }

    /// The TLS `SignatureAlgorithm` of this log's SCTs.
    pub(crate) fn signature_algorithm(&self) -> u8 {
        match self.signer {
            Signer::Ecdsa(_) => SIG_ECDSA,
            Signer::Rsa(_) => SIG_RSA,
        }
    }

    /// Signs arbitrary bytes with the log's key (SHA-256).
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SimError> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Ecdsa(pair) => Ok(pair
                .sign(&rng, data)
                .map_err(|_| "ECDSA signing failed")?
                .as_ref()
                .to_vec()),
            Signer::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(|_| "RSA signing failed")?;
                Ok(sig)
            }
        }
    }
}

/// Adds an SCT-list extension holding `scts` to `params` (as the last
/// extension, where rcgen puts custom extensions).
pub fn push_sct_list(params: &mut CertificateParams, scts: &[Sct]) -> Result<(), SimError> {
    params
        .custom_extensions
        .push(CustomExtension::from_oid_content(
            &SCT_LIST_ARCS,
            precert::extension_value(&encode_list(scts))?,
        ));
    Ok(())
}

/// Issues a certificate with embedded SCTs, as a public CA does: the
/// certificate is built once without the SCT list (the precertificate's
/// TBS), each log signs that TBS, and the certificate is built again with
/// the list appended. `params` must fix the serial and validity so that
/// both builds agree; the result is checked: removing the list from the
/// final TBS gives back the precertificate's TBS.
pub fn issue_with_scts(
    params: &CertificateParams,
    key: &impl PublicKeyData,
    issuer: &Issuer<'_, impl SigningKey>,
    issuer_spki_der: &[u8],
    logs: &[&SigningLog],
    timestamp_ms: u64,
) -> Result<Vec<u8>, SimError> {
    if params.serial_number.is_none() {
        return Err("the serial must be fixed to embed SCTs".into());
    }
    let precert = params.signed_by(key, issuer)?;
    let precert_tbs = precert::tbs(precert.der())
        .map_err(|e| format!("rcgen output: {e}"))?
        .to_vec();
    let issuer_hash = sha256(issuer_spki_der);
    let scts = logs
        .iter()
        .map(|log| log.sign_precert(&issuer_hash, &precert_tbs, timestamp_ms, &[]))
        .collect::<Result<Vec<_>, _>>()?;
    let mut with_scts = params.clone();
    push_sct_list(&mut with_scts, &scts)?;
    let cert = with_scts.signed_by(key, issuer)?.der().to_vec();
    let back = precert::embedded(&cert)
        .map_err(|e| format!("the certificate with SCTs: {e}"))?
        .ok_or("the certificate lost its SCT list")?;
    if back.precert_tbs != precert_tbs {
        return Err("removing the SCT list does not give back the precertificate's TBS".into());
    }
    Ok(cert)
}

/// The simulation's CT logs: two logs of two operators, so that a genuine
/// leaf with one SCT from each satisfies Chrome's and Apple's policies.
pub(crate) struct SimCtLogs {
    logs: Vec<SigningLog>,
    list: LogList,
}

impl std::fmt::Debug for SimCtLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCtLogs")
            .field("logs", &self.logs)
            .finish()
    }
}

impl SimCtLogs {
    /// Generates the logs' keys; `now` dates the list and the logs' states.
    pub(crate) fn generate(now: OffsetDateTime) -> Result<Self, SimError> {
        let mut logs = vec![
            SigningLog::generate("Mitmwatch Sim 'Aurora' log", "Mitmwatch Sim CT Operator A")?,
            SigningLog::generate(
                "Mitmwatch Sim 'Borealis' log",
                "Mitmwatch Sim CT Operator B",
            )?,
        ];
        for (i, signing) in logs.iter_mut().enumerate() {
            let log = &mut signing.log;
            log.operator_email = vec![format!("ct-operator-{i}@sim.invalid")];
            log.url = format!("https://ct{i}.sim.invalid/");
            log.state = Some(LogState {
                kind: StateKind::Usable,
                since: now - Duration::days(365),
                final_tree_head: None,
            });
            log.temporal_interval = Some((now - Duration::days(365), now + Duration::days(730)));
        }
        let list = LogList {
            version: "mitmwatch-sim-1".into(),
            timestamp: now,
            source: "the simulated network's CT logs".into(),
            logs: logs.iter().map(|l| l.log.clone()).collect(),
            supplement: None,
        };
        Ok(SimCtLogs { logs, list })
    }

    /// The logs, for signing.
    pub(crate) fn logs(&self) -> Vec<&SigningLog> {
        self.logs.iter().collect()
    }

    /// The log list describing them.
    pub(crate) fn log_list(&self) -> &LogList {
        &self.list
    }
}
