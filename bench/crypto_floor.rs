//! The crypto floor of the real-chains benchmarks (issue 22): a bare loop
//! doing what any analyzer that proves a chain must do for each
//! observation, and nothing else. For each line of the corpus, timed:
//!
//! - read the line and decode the observation with serde;
//! - decode every certificate's base64 and parse the leaf with x509-parser;
//! - check the leaf's signature with its issuer's key (ring), and, the
//!   first time an intermediate is met, the intermediate's signature with
//!   its root's key (a scan repeats its intermediates: no analyzer need
//!   check them twice);
//! - rebuild the precertificate TBS (`mitmwatch_core::ct::precert`) and
//!   check each embedded SCT's signature with its log's key (ring).
//!
//! Nothing is remembered across observations except the intermediates
//! already checked: every leaf and every SCT is verified every time it is
//! met, so on a corpus of distinct chains this is the least work there is
//! (the ceiling for `mitmwatch analyze`), and on a corpus that repeats its
//! chains it is what a judge without memory would pay. The root of an
//! intermediate is looked up by name among the roots given; the logs are
//! those of the log list given.
//!
//! The machine is shared, so next to the wall-clock rate the loop's CPU
//! time (from `/proc/thread-self/stat`, in ticks of 10 ms) is printed.
//!
//! Output: `N observations, V verifications (G good) in S s = RATE/s; CPU_US us CPU each`.
//! The program fails when a line does not decode or a chain lacks what
//! it needs (an issuer, a known log); bad signatures are counted, and the
//! benchmark requires every one to be good.
//!
//! Usage: crypto-floor CORPUS.jsonl ROOTS.pem|builtin LOG_LIST.json|builtin

use mitmwatch_core::ct::{LogKey, LogList};
use mitmwatch_core::encoding::base64_decode;
use mitmwatch_core::model::Observation;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use std::collections::HashMap;
use std::io::BufRead;
use std::time::Instant;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};
use x509_parser::public_key::PublicKey;

type Error = Box<dyn std::error::Error>;

/// A key as ring takes it: the algorithm family and the key bytes.
#[derive(Clone)]
struct Key {
    kind: KeyKind,
    bytes: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum KeyKind {
    Rsa,
    P256,
    P384,
}

fn key_of(cert: &X509Certificate<'_>) -> Result<Key, Error> {
    let spki = cert.public_key();
    let kind = match spki.parsed()? {
        PublicKey::RSA(_) => KeyKind::Rsa,
        PublicKey::EC(point) => match point.key_size() {
            256 => KeyKind::P256,
            384 => KeyKind::P384,
            bits => return Err(format!("EC key of {bits} bits").into()),
        },
        _ => return Err("neither RSA nor EC key".into()),
    };
    Ok(Key {
        kind,
        bytes: spki.subject_public_key.data.to_vec(),
    })
}

/// ring's algorithm for a signature OID under a key, as webpki picks it.
fn algorithm(oid: &str, key: KeyKind) -> Result<&'static dyn VerificationAlgorithm, Error> {
    Ok(match (oid, key) {
        ("1.2.840.113549.1.1.11", KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", KeyKind::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.10045.4.3.2", KeyKind::P256) => &signature::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", KeyKind::P256) => &signature::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", KeyKind::P384) => &signature::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", KeyKind::P384) => &signature::ECDSA_P384_SHA384_ASN1,
        (oid, _) => return Err(format!("signature algorithm {oid} not handled").into()),
    })
}

/// Whether `cert`'s signature verifies under `key`.
fn signed_by(cert: &X509Certificate<'_>, key: &Key) -> Result<bool, Error> {
    let alg = algorithm(&cert.signature_algorithm.algorithm.to_id_string(), key.kind)?;
    Ok(UnparsedPublicKey::new(alg, &key.bytes)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .is_ok())
}

/// An intermediate met before: its key and the SHA-256 of its SPKI.
struct Issuer {
    key: Key,
    spki_sha256: [u8; 32],
}

struct Floor {
    /// Roots by subject DN (DER): their keys.
    roots: HashMap<Vec<u8>, Key>,
    logs: LogList,
    /// Intermediates met so far, by DER.
    issuers: HashMap<Vec<u8>, Issuer>,
    verifications: usize,
    good: usize,
}

impl Floor {
    fn check(&mut self, good: bool) {
        self.verifications += 1;
        self.good += usize::from(good);
    }

    fn observation(&mut self, line: &str) -> Result<(), Error> {
        let obs: Observation = serde_json::from_str(line)?;
        let ders = obs
            .chain
            .iter()
            .map(|c| base64_decode(&c.der))
            .collect::<Result<Vec<_>, _>>()?;
        let [leaf_der, issuer_der, ..] = ders.as_slice() else {
            return Err("a chain of fewer than two certificates".into());
        };
        let (_, leaf) = X509Certificate::from_der(leaf_der)?;
        // Each intermediate the first time it is met: signed by a root
        // named as its issuer, or by the next certificate sent.
        for (i, der) in ders.iter().enumerate().skip(1) {
            if self.issuers.contains_key(der) {
                continue;
            }
            let (_, cert) = X509Certificate::from_der(der)?;
            let above = match self.roots.get(cert.issuer().as_raw()) {
                Some(root) => root.clone(),
                None => {
                    let next = ders
                        .get(i + 1)
                        .ok_or_else(|| format!("no root named {}", cert.issuer()))?;
                    key_of(&X509Certificate::from_der(next)?.1)?
                }
            };
            let good = signed_by(&cert, &above)?;
            self.check(good);
            let entry = Issuer {
                key: key_of(&cert)?,
                spki_sha256: mitmwatch_core::encoding::sha256(cert.public_key().raw),
            };
            self.issuers.insert(der.clone(), entry);
        }
        let issuer = &self.issuers[issuer_der];
        let good = signed_by(&leaf, &issuer.key)?;
        let spki_sha256 = issuer.spki_sha256;
        self.check(good);
        let scts = leaf
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SCT(list) => Some(list),
                _ => None,
            });
        let Some(scts) = scts else { return Ok(()) };
        let tbs = mitmwatch_core::ct::precert::embedded(leaf_der)
            .map_err(|e| format!("{e:?}"))?
            .ok_or("no SCT list")?
            .precert_tbs;
        for sct in scts {
            let log = self
                .logs
                .logs
                .iter()
                .find(|l| &l.id == sct.id.key_id)
                .ok_or("an SCT of a log not in the list")?;
            let data = mitmwatch_core::ct::precert::precert_signed_data(
                sct.timestamp,
                &spki_sha256,
                &tbs,
                sct.extensions.0,
            )
            .ok_or("precertificate too large")?;
            let good = match &log.key {
                Ok(LogKey::EcdsaP256(point)) => {
                    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                        .verify(&data, sct.signature.data)
                        .is_ok()
                }
                Ok(LogKey::Rsa(pkcs1)) => {
                    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pkcs1)
                        .verify(&data, sct.signature.data)
                        .is_ok()
                }
                _ => return Err("a log key ring cannot use".into()),
            };
            self.check(good);
        }
        Ok(())
    }
}

/// CPU time (user + system) of the calling thread so far, in seconds, from
/// `/proc/thread-self/stat` (Linux); `None` where that cannot be read.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn roots(arg: &str) -> Result<HashMap<Vec<u8>, Key>, Error> {
    let ders: Vec<Vec<u8>> = if arg == "builtin" {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| c.as_ref().to_vec())
            .collect()
    } else {
        use rustls_pki_types::pem::PemObject;
        rustls_pki_types::CertificateDer::pem_file_iter(arg)?
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<_, _>>()?
    };
    let mut out = HashMap::new();
    for der in &ders {
        let (_, cert) = X509Certificate::from_der(der)?;
        if let Ok(key) = key_of(&cert) {
            out.insert(cert.subject().as_raw().to_vec(), key);
        }
    }
    Ok(out)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, corpus, roots_arg, logs_arg] = args.as_slice() else {
        return Err(
            "usage: crypto-floor CORPUS.jsonl ROOTS.pem|builtin LOG_LIST.json|builtin".into(),
        );
    };
    let logs = if logs_arg == "builtin" {
        (*LogList::builtin()).clone()
    } else {
        LogList::from_json(&std::fs::read_to_string(logs_arg)?, logs_arg)?
    };
    let mut floor = Floor {
        roots: roots(roots_arg)?,
        logs,
        issuers: HashMap::new(),
        verifications: 0,
        good: 0,
    };
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let reader = std::io::BufReader::new(std::fs::File::open(corpus)?);
    let mut n = 0usize;
    for line in reader.lines() {
        n += 1;
        floor
            .observation(&line?)
            .map_err(|e| format!("{corpus}:{n}: {e}"))?;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => format!("{:.1}", (b - a) * 1e6 / n.max(1) as f64),
        _ => "unknown".into(),
    };
    println!(
        "{n} observations, {} verifications ({} good) in {secs:.3} s = {:.0}/s; {cpu} us CPU each",
        floor.verifications,
        floor.good,
        n as f64 / secs
    );
    Ok(())
}
