//! A PKI made in the test with rcgen, and an analyzer over it: roots,
//! intermediates and leaves as real servers and forgers make them, for the
//! verdict tests (`verdict_cases.rs`, `adversarial.rs`). Nothing here is
//! read from disk but the fixture time.

use super::fixtures::{codes, FIXTURE_TIME};
use mitmwatch_core::analysis_data::baseline::Baseline;
use mitmwatch_core::analysis_data::static_pins::PinStore;
use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::analyze::{AnalysisData, Analyzer, ValidationTime};
use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::{Assessment, FindingCode as C, Observation};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// A CA: its certificate (DER) and what it takes to issue under it.
pub(crate) struct Ca {
    /// The certificate, DER.
    pub(crate) der: Vec<u8>,
    /// The certificate, PEM.
    pub(crate) pem: String,
    /// Its parameters and key, to issue with.
    pub(crate) issuer: Issuer<'static, KeyPair>,
}

pub(crate) fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Verdict Case PKI");
    dn.push(DnType::CommonName, cn);
    dn
}

pub(crate) fn ca_params(
    cn: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = not_before;
    p.not_after = not_after;
    p
}

pub(crate) fn root(cn: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = ca_params(
        cn,
        FIXTURE_TIME - Duration::days(3000),
        FIXTURE_TIME + Duration::days(3000),
    );
    let cert = params.self_signed(&key).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

pub(crate) fn intermediate(cn: &str, parent: &Ca) -> Ca {
    intermediate_valid(
        cn,
        parent,
        FIXTURE_TIME - Duration::days(700),
        FIXTURE_TIME + Duration::days(700),
    )
}

pub(crate) fn intermediate_valid(
    cn: &str,
    parent: &Ca,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = ca_params(cn, not_before, not_after);
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `host`, valid from `not_before` for 90 days, with the AKI a
/// public CA's leaf carries and, if `aia`, a caIssuers pointer.
pub(crate) fn leaf_params(host: &str, not_before: OffsetDateTime, aia: bool) -> CertificateParams {
    let mut p = CertificateParams::new(vec![host.to_string()]).unwrap();
    p.distinguished_name = DistinguishedName::new();
    p.not_before = not_before;
    p.not_after = not_before + Duration::days(90);
    p.use_authority_key_identifier_extension = true;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    if aia {
        // AuthorityInfoAccess { caIssuers: http://ca.example/int.der }
        let uri = b"http://ca.example/int.der";
        let mut access = vec![0x30, (8 + 2 + 2 + uri.len()) as u8];
        access.extend([0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]);
        access.push(0x86);
        access.push(uri.len() as u8);
        access.extend(uri);
        let mut seq = vec![0x30, access.len() as u8];
        seq.extend(access);
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 5, 5, 7, 1, 1],
            seq,
        ));
    }
    p
}

pub(crate) fn leaf(host: &str, not_before: OffsetDateTime, aia: bool, ca: &Ca) -> Vec<u8> {
    leaf_params(host, not_before, aia)
        .signed_by(&KeyPair::generate().unwrap(), &ca.issuer)
        .unwrap()
        .der()
        .to_vec()
}

pub(crate) fn store_of(roots: &[&Ca]) -> TrustStore {
    let pem: String = roots.iter().map(|r| r.pem.as_str()).collect();
    TrustStore::from_pem(pem.as_bytes(), "test roots").unwrap()
}

pub(crate) fn analyzer_with(store: TrustStore) -> Analyzer {
    analyzer_from(store, PinStore::empty(), None)
}

/// The built-in data with this store, these pins and this baseline.
pub(crate) fn analyzer_from(
    store: TrustStore,
    pins: PinStore,
    baseline: Option<Baseline>,
) -> Analyzer {
    Analyzer::new(AnalysisData {
        pins,
        baseline,
        ..AnalysisData::with_trust(store).unwrap()
    })
}

pub(crate) fn observe(chain: &[&[u8]], host: &str, at: OffsetDateTime) -> Observation {
    file_observation(chain, host.to_string(), at)
}

pub(crate) fn judge(analyzer: &Analyzer, chain: &[&[u8]], host: &str) -> Assessment {
    analyzer.assess(
        &observe(chain, host, FIXTURE_TIME),
        ValidationTime::At(FIXTURE_TIME),
    )
}

pub(crate) fn explanation(a: &Assessment, code: C) -> String {
    a.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code:?} in {:?}", codes(a)))
        .explanation
        .clone()
}

/// A CA of the same name as `genuine` with a key of its own, claiming
/// `genuine`'s key identifier.
pub(crate) fn impostor_of(
    genuine_der: &[u8],
    cn_params: CertificateParams,
) -> Issuer<'static, KeyPair> {
    let (_, cert) = x509_parser::parse_x509_certificate(genuine_der).unwrap();
    let ski = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
        .expect("the genuine CA has a subject key identifier");
    let mut params = cn_params;
    params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(ski);
    Issuer::new(params, KeyPair::generate().unwrap())
}
