//! Certificate authorities of the simulated network, generated at start:
//! a stand-in "public" PKI (root and intermediate) that issues genuine-looking
//! leaves with SCTs from the simulated CT logs ([`super::ct_logs`]), and the
//! interceptor's PKI, which uses the real 2019 names
//! (`C=KZ, CN=Qaznet Trust Network` and `C=KZ, CN=Security Certificate`)
//! with freshly generated keys. No real private key is involved anywhere.

use super::ct_logs::{issue_with_scts, SimCtLogs};
use super::error::SimError;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// A certificate authority: its certificate and the means to sign with it.
pub struct Authority {
    /// DER of the CA certificate.
    pub der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

fn dn(attrs: &[(DnType, &str)]) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for (kind, value) in attrs {
        name.push(kind.clone(), *value);
    }
    name
}

impl Authority {
    /// A self-signed root.
    pub(crate) fn root(name: &[(DnType, &str)], years: i64) -> Result<Self, SimError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = OffsetDateTime::now_utc() - Duration::days(365);
        params.not_after = params.not_before + Duration::days(365 * years);
        params.serial_number = Some(random_serial());
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Authority {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// An intermediate signed by `self`.
    pub(crate) fn intermediate(
        &self,
        name: &[(DnType, &str)],
        years: i64,
    ) -> Result<Self, SimError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        params.use_authority_key_identifier_extension = true;
        params.not_before = OffsetDateTime::now_utc() - Duration::days(200);
        params.not_after = params.not_before + Duration::days(365 * years);
        params.serial_number = Some(random_serial());
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Authority {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }
}

fn certified_key(
    provider: &CryptoProvider,
    chain: Vec<CertificateDer<'static>>,
    key: &KeyPair,
) -> Result<Arc<CertifiedKey>, SimError> {
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = provider.key_provider.load_private_key(der)?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// The simulated public web PKI: issues a genuine-looking leaf for any name,
/// minted on first use and cached, with SCTs embedded from the simulated
/// CT logs, as a public CA does.
pub struct PublicPki {
    /// The root that a user must trust to see these chains as valid.
    pub(crate) root: Authority,
    /// The issuing intermediate (sent in every chain).
    pub(crate) intermediate: Authority,
    /// The CT logs whose SCTs the leaves carry.
    pub(crate) ct_logs: SimCtLogs,
    intermediate_spki: Vec<u8>,
    provider: Arc<CryptoProvider>,
    leaves: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl PublicPki {
    /// Generates the root and intermediate.
    pub fn generate(provider: Arc<CryptoProvider>) -> Result<Self, SimError> {
        let root = Authority::root(
            &[
                (DnType::CountryName, "US"),
                (DnType::OrganizationName, "Mitmwatch Simulated Web PKI"),
                (DnType::CommonName, "Mitmwatch Sim Public Root R1"),
            ],
            25,
        )?;
        let intermediate = root.intermediate(
            &[
                (DnType::CountryName, "US"),
                (DnType::OrganizationName, "Mitmwatch Simulated Web PKI"),
                (DnType::CommonName, "Mitmwatch Sim TLS CA 1"),
            ],
            5,
        )?;
        let intermediate_spki = X509Certificate::from_der(&intermediate.der)?
            .1
            .public_key()
            .raw
            .to_vec();
        Ok(PublicPki {
            root,
            intermediate,
            ct_logs: SimCtLogs::generate(OffsetDateTime::now_utc())?,
            intermediate_spki,
            provider,
            leaves: Mutex::new(HashMap::new()),
        })
    }

    /// The leaf and key for `name` (leaf + intermediate chain), minted once.
    pub fn leaf_for(&self, name: &str) -> Result<Arc<CertifiedKey>, SimError> {
        if let Some(found) = self.leaves.lock().map_err(|_| "poisoned")?.get(name) {
            return Ok(found.clone());
        }
        let mut params = CertificateParams::new(vec![name.to_string()])?;
        params.distinguished_name = dn(&[(DnType::CommonName, name)]);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = OffsetDateTime::now_utc() - Duration::days(30);
        params.not_after = params.not_before + Duration::days(90);
        params.serial_number = Some(random_serial());
        let key = KeyPair::generate()?;
        // Logged an hour after the start of validity (CAs backdate notBefore).
        let logged = params.not_before + Duration::hours(1);
        let der = issue_with_scts(
            &params,
            &key,
            &self.intermediate.issuer,
            &self.intermediate_spki,
            &self.ct_logs.logs(),
            (logged.unix_timestamp() * 1000) as u64,
        )?;
        let chained = certified_key(
            &self.provider,
            vec![CertificateDer::from(der), self.intermediate.der.clone()],
            &key,
        )?;
        let mut leaves = self.leaves.lock().map_err(|_| "poisoned")?;
        Ok(leaves.entry(name.to_string()).or_insert(chained).clone())
    }
}

/// The interceptor's PKI, modelled on the 2019 Kazakhstan box: forged
/// leaves copy the genuine leaf's subject and SAN, drop every other
/// extension, move validity six hours back and change the serial's low 33
/// bits; they are signed by `C=KZ, CN=Security Certificate` under
/// `C=KZ, CN=Qaznet Trust Network`.
pub struct InterceptorPki {
    /// Synthetic key, real name: `C=KZ, CN=Qaznet Trust Network`.
    pub root: Authority,
    /// Synthetic key, real name: `C=KZ, CN=Security Certificate`.
    pub(crate) intermediate: Authority,
    provider: Arc<CryptoProvider>,
    forged: Mutex<HashMap<Vec<u8>, Arc<CertifiedKey>>>,
}

impl InterceptorPki {
    /// Generates the root and intermediate.
    pub fn generate(provider: Arc<CryptoProvider>) -> Result<Self, SimError> {
        let root = Authority::root(
            &[
                (DnType::CountryName, "KZ"),
                (DnType::CommonName, "Qaznet Trust Network"),
            ],
            30,
        )?;
        let intermediate = root.intermediate(
            &[
                (DnType::CountryName, "KZ"),
                (DnType::CommonName, "Security Certificate"),
            ],
            3,
        )?;
        Ok(InterceptorPki {
            root,
            intermediate,
            provider,
            forged: Mutex::new(HashMap::new()),
        })
    }

    /// The forged counterpart of `genuine_leaf` (cached per genuine leaf).
    pub fn forge(&self, genuine_leaf: &[u8]) -> Result<Arc<CertifiedKey>, SimError> {
        if let Some(found) = self
            .forged
            .lock()
            .map_err(|_| "poisoned")?
            .get(genuine_leaf)
        {
            return Ok(found.clone());
        }
        let params = forged_params(genuine_leaf)?;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.intermediate.issuer)?;
        let chained = certified_key(
            &self.provider,
            vec![cert.der().clone(), self.intermediate.der.clone()],
            &key,
        )?;
        let mut forged = self.forged.lock().map_err(|_| "poisoned")?;
        Ok(forged
            .entry(genuine_leaf.to_vec())
            .or_insert(chained)
            .clone())
    }
}

/// Parameters of a forged leaf: subject and SAN copied, nothing else.
pub(crate) fn forged_params(genuine_leaf: &[u8]) -> Result<CertificateParams, SimError> {
    let (_, genuine) = X509Certificate::from_der(genuine_leaf)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    for rdn in genuine.subject().iter() {
        for attr in rdn.iter() {
            let arcs: Vec<u64> = attr
                .attr_type()
                .iter()
                .ok_or("subject attribute OID too large")?
                .collect();
            let value = attr.as_str()?.to_string();
            name.push(DnType::from_oid(&arcs), DnValue::Utf8String(value));
        }
    }
    params.distinguished_name = name;
    if let Ok(Some(san)) = genuine.subject_alternative_name() {
        for general_name in &san.value.general_names {
            match general_name {
                GeneralName::DNSName(dns) => params
                    .subject_alt_names
                    .push(SanType::DnsName((*dns).try_into()?)),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*bytes)?),
                        16 => std::net::IpAddr::from(<[u8; 16]>::try_from(*bytes)?),
                        _ => continue,
                    };
                    params.subject_alt_names.push(SanType::IpAddress(ip));
                }
                _ => {}
            }
        }
    }
    let shift = Duration::hours(6);
    params.not_before = genuine.validity().not_before.to_datetime() - shift;
    params.not_after = genuine.validity().not_after.to_datetime() - shift;
    let mut serial = genuine.raw_serial().to_vec();
    let mut noise = [0u8; 5];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut noise);
    let n = serial.len();
    for (i, b) in noise.iter().enumerate().take(n.min(5)) {
        let mask = if i == 4 { 0x01 } else { 0xff };
        serial[n - 1 - i] ^= b & mask;
    }
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    // Everything else stays at rcgen's defaults: no AKI/SKI, no key usage,
    // no basic constraints, no SCTs.
    Ok(params)
}
