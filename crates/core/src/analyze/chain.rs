//! The facts the checks need about each served certificate, extracted once
//! from the DER. Owned data, so checks need not juggle borrows; a
//! certificate that does not parse still has its fingerprint and position.

use super::name_forms::{NameConstraintFacts, RdnSequence, Subtree};
use super::signature::{PublicKey, SignatureCheck, SignatureMemo, Signed};
use crate::analysis_data::catalog::dn_values;
use crate::analysis_data::catalog::name_rule::DnValues;
use crate::certinfo::{dotted_oid, name_to_string};
use crate::encoding::base64_decode;
use crate::model::{CertRecord, Fingerprint};
use std::ops::Range;
use std::sync::Arc;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey as ParsedKey;

/// OID of Authority Information Access.
pub(crate) const OID_AIA: &str = "1.3.6.1.5.5.7.1.1";

/// The public key in brief.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyFacts {
    /// RSA with modulus size in bits and the public exponent.
    Rsa {
        /// Modulus size.
        bits: usize,
        /// Public exponent (0 if larger than 64 bits).
        exponent: u64,
    },
    /// Elliptic curve (or Ed25519), by algorithm OID.
    Ec(String),
    /// Anything else.
    Other(String),
}

/// One served certificate: its position in the chain and what was parsed
/// from its DER (shared, so that a repeated intermediate is parsed once per
/// scan; read its fields through `Deref`).
#[derive(Clone, Debug)]
pub struct CertFacts {
    /// Position in the served chain (0 = leaf).
    pub(crate) index: usize,
    parsed: Arc<ParsedCert>,
}

impl std::ops::Deref for CertFacts {
    type Target = ParsedCert;
    fn deref(&self) -> &ParsedCert {
        &self.parsed
    }
}

/// What is known about a certificate from its DER alone.
#[derive(Debug)]
pub struct ParsedCert {
    /// DER bytes (empty when the record's base64 was bad).
    pub(crate) der: Vec<u8>,
    /// SHA-256 of `der`.
    pub(crate) sha256: Fingerprint,
    /// Why the certificate could not be parsed, if it could not.
    pub(crate) parse_error: Option<String>,
    /// The rest is meaningful only when `parse_error` is `None`.
    pub spki_sha256: Fingerprint,
    /// Subject as text.
    pub subject: String,
    /// Issuer as text.
    pub(crate) issuer: String,
    /// Subject DER.
    pub subject_raw: Vec<u8>,
    /// Issuer DER.
    pub issuer_raw: Vec<u8>,
    /// Subject attributes for name rules.
    pub(crate) subject_dn: DnValues,
    /// Issuer attributes for name rules.
    pub(crate) issuer_dn: DnValues,
    /// Subject key identifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// Authority key identifier (key id part).
    pub authority_key_id: Option<Vec<u8>>,
    /// BasicConstraints cA.
    pub(crate) is_ca: bool,
    /// Validity start.
    pub(crate) not_before: OffsetDateTime,
    /// Validity end.
    pub(crate) not_after: OffsetDateTime,
    /// Extension OIDs, dotted, in order.
    pub(crate) extension_oids: Vec<String>,
    /// DNS names in the SAN.
    pub(crate) san_dns: Vec<String>,
    /// The key.
    pub(crate) key: KeyFacts,
    /// X.509 version as encoded (0 for v1, 2 for v3).
    pub(crate) version: u32,
    /// BasicConstraints, if the extension is present: cA and pathLen.
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    /// KeyUsage keyCertSign, if the extension is present.
    pub(crate) key_cert_sign: Option<bool>,
    /// The serial number's DER INTEGER content (two's complement).
    pub(crate) serial: Vec<u8>,
    /// IP addresses in the SAN.
    pub(crate) san_ips: Vec<std::net::IpAddr>,
    /// Directory names in the SAN.
    pub(crate) san_directories: Vec<RdnSequence>,
    /// The subject as relative names, for directory-name constraints.
    pub(crate) subject_rdns: RdnSequence,
    /// NameConstraints, if the extension is present.
    pub(crate) name_constraints: Option<NameConstraintFacts>,
    /// Where the signed parts and the key sit in `der`.
    layout: Option<Layout>,
}

/// Byte ranges in a certificate's DER: what was signed, how, the
/// signature, and the certificate's own public key.
#[derive(Clone, Debug, Default)]
struct Layout {
    /// The whole `tbsCertificate` (header included: it is what is signed).
    tbs: Range<usize>,
    /// Contents of the outer signatureAlgorithm.
    signature_algorithm: Range<usize>,
    /// Whether the `signature` field inside the TBS says the same.
    algorithms_agree: bool,
    /// The signature bits (after the unused-bits byte).
    signature: Range<usize>,
    /// Contents of the SubjectPublicKeyInfo's algorithm identifier.
    key_algorithm: Range<usize>,
    /// The subjectPublicKey bits (after the unused-bits byte).
    key: Range<usize>,
    /// The whole SubjectPublicKeyInfo.
    spki: Range<usize>,
}

impl Layout {
    /// Takes `der` apart with asn1-rs; `None` when it is not shaped like a
    /// certificate.
    fn of(der: &[u8]) -> Option<Layout> {
        use asn1_rs::{Any, FromDer};
        let at = |part: &[u8]| {
            let start = part.as_ptr() as usize - der.as_ptr() as usize;
            start..start + part.len()
        };
        let whole = |before: &[u8], after: &[u8]| at(&before[..before.len() - after.len()]);
        let (_, cert) = Any::from_der(der).ok()?;
        let body = cert.data;
        let (after_tbs, tbs) = Any::from_der(body).ok()?;
        let tbs_range = whole(body, after_tbs);
        let (after_alg, alg) = Any::from_der(after_tbs).ok()?;
        let (_, sig) = Any::from_der(after_alg).ok()?;
        let signature = sig.data.split_first()?.1;
        // tbsCertificate: [0] version?, serial, signature, issuer,
        // validity, subject, subjectPublicKeyInfo, ...
        let mut fields = Vec::new();
        let mut rest = tbs.data;
        while !rest.is_empty() && fields.len() < 7 {
            let (after, any) = Any::from_der(rest).ok()?;
            fields.push((any, whole(rest, after)));
            rest = after;
        }
        let skip = usize::from(fields.first()?.0.header.class() == asn1_rs::Class::ContextSpecific);
        let inner_alg = &fields.get(skip + 1)?.0;
        let (spki, spki_range) = fields.get(skip + 5)?.clone();
        let (after_key_alg, key_alg) = Any::from_der(spki.data).ok()?;
        let (_, key) = Any::from_der(after_key_alg).ok()?;
        Some(Layout {
            tbs: tbs_range,
            signature_algorithm: at(alg.data),
            algorithms_agree: alg.data == inner_alg.data,
            signature: at(signature),
            key_algorithm: at(key_alg.data),
            key: at(key.data.split_first()?.1),
            spki: spki_range,
        })
    }
}

impl ParsedCert {
    /// Whether the certificate parsed.
    pub fn ok(&self) -> bool {
        self.parse_error.is_none()
    }

    /// Subject equals issuer.
    pub(crate) fn self_issued(&self) -> bool {
        self.ok() && self.subject_raw == self.issuer_raw
    }

    /// Whether it carries an extension.
    pub(crate) fn has_extension(&self, oid: &str) -> bool {
        self.extension_oids.iter().any(|o| o == oid)
    }

    /// SPKI SHA-256 (None if unparsed).
    pub(crate) fn spki(&self) -> Option<Fingerprint> {
        self.ok().then_some(self.spki_sha256)
    }

    /// What was signed, how, and the signature (`None` when the DER is
    /// not shaped like a certificate).
    pub(crate) fn signed(&self) -> Option<Signed<'_>> {
        let l = self.layout.as_ref()?;
        Some(Signed {
            message: &self.der[l.tbs.clone()],
            algorithm: &self.der[l.signature_algorithm.clone()],
            signature: &self.der[l.signature.clone()],
        })
    }

    /// The certificate's own public key.
    pub(crate) fn public_key(&self) -> Option<PublicKey<'_>> {
        let l = self.layout.as_ref()?;
        Some(PublicKey {
            algorithm: &self.der[l.key_algorithm.clone()],
            key: &self.der[l.key.clone()],
            rsa_bits: match self.key {
                KeyFacts::Rsa { bits, .. } => bits,
                _ => 0,
            },
        })
    }

    /// The DER SubjectPublicKeyInfo.
    pub(crate) fn spki_der(&self) -> Option<&[u8]> {
        self.layout.as_ref().map(|l| &self.der[l.spki.clone()])
    }

    /// Whether the outer signature algorithm and the one inside the signed
    /// part agree (RFC 5280 §4.1.1.2 requires it; a certificate where they
    /// differ is malformed).
    pub(crate) fn algorithms_agree(&self) -> bool {
        self.layout.as_ref().is_some_and(|l| l.algorithms_agree)
    }

    /// Whether the certificate says it is an end entity, not a CA: a
    /// version 3 certificate whose basic constraints do not assert cA and
    /// whose key usage, if any, lacks keyCertSign. (A certificate with
    /// keyCertSign but without the cA bit is a CA that forgot its marking;
    /// a version 1 certificate says nothing either way.)
    pub(crate) fn declares_end_entity(&self) -> bool {
        let ca = matches!(self.basic_constraints, Some((true, _)));
        self.version >= 2 && !ca && self.key_cert_sign != Some(true)
    }

    /// Extracts facts from DER.
    pub(crate) fn from_der(der: Vec<u8>) -> Self {
        let mut facts = ParsedCert {
            sha256: Fingerprint::of(&der),
            parse_error: None,
            spki_sha256: Fingerprint::default(),
            subject: String::new(),
            issuer: String::new(),
            subject_raw: Vec::new(),
            issuer_raw: Vec::new(),
            subject_dn: Vec::new(),
            issuer_dn: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            is_ca: false,
            not_before: OffsetDateTime::UNIX_EPOCH,
            not_after: OffsetDateTime::UNIX_EPOCH,
            extension_oids: Vec::new(),
            san_dns: Vec::new(),
            key: KeyFacts::Other(String::new()),
            version: 0,
            basic_constraints: None,
            key_cert_sign: None,
            serial: Vec::new(),
            san_ips: Vec::new(),
            san_directories: Vec::new(),
            subject_rdns: Vec::new(),
            name_constraints: None,
            layout: None,
            der: Vec::new(),
        };
        match X509Certificate::from_der(&der) {
            Err(e) => facts.parse_error = Some(format!("not a valid X.509 certificate: {e}")),
            Ok((_, x)) => {
                facts.spki_sha256 = Fingerprint::of(x.public_key().raw);
                facts.subject = name_to_string(x.subject());
                facts.issuer = name_to_string(x.issuer());
                facts.subject_raw = x.subject().as_raw().to_vec();
                facts.issuer_raw = x.issuer().as_raw().to_vec();
                facts.subject_dn = dn_values(x.subject());
                facts.issuer_dn = dn_values(x.issuer());
                facts.not_before = x.validity().not_before.to_datetime();
                facts.not_after = x.validity().not_after.to_datetime();
                facts.is_ca = x.is_ca();
                facts.version = x.version().0;
                facts.serial = x.raw_serial().to_vec();
                facts.subject_rdns = rdn_sequence(x.subject());
                facts.layout = Layout::of(&der);
                for ext in x.extensions() {
                    facts.extension_oids.push(dotted_oid(&ext.oid));
                    match ext.parsed_extension() {
                        ParsedExtension::SubjectKeyIdentifier(ski) => {
                            facts.subject_key_id = Some(ski.0.to_vec())
                        }
                        ParsedExtension::AuthorityKeyIdentifier(aki) => {
                            facts.authority_key_id =
                                aki.key_identifier.as_ref().map(|k| k.0.to_vec())
                        }
                        ParsedExtension::BasicConstraints(bc) => {
                            facts.basic_constraints = Some((bc.ca, bc.path_len_constraint))
                        }
                        ParsedExtension::KeyUsage(ku) => {
                            facts.key_cert_sign = Some(ku.key_cert_sign())
                        }
                        ParsedExtension::SubjectAlternativeName(san) => {
                            for name in &san.general_names {
                                match name {
                                    GeneralName::DNSName(d) => {
                                        facts.san_dns.push(d.to_ascii_lowercase())
                                    }
                                    GeneralName::IPAddress(bytes) => {
                                        facts.san_ips.extend(ip_address(bytes))
                                    }
                                    GeneralName::DirectoryName(dn) => {
                                        facts.san_directories.push(rdn_sequence(dn))
                                    }
                                    _ => {}
                                }
                            }
                        }
                        ParsedExtension::NameConstraints(nc) => {
                            let subtrees = |list: &Option<
                                Vec<x509_parser::extensions::GeneralSubtree<'_>>,
                            >| {
                                list.iter().flatten().map(|s| subtree(&s.base)).collect()
                            };
                            facts.name_constraints = Some(NameConstraintFacts {
                                permitted: subtrees(&nc.permitted_subtrees),
                                excluded: subtrees(&nc.excluded_subtrees),
                            });
                        }
                        _ => {}
                    }
                }
                facts.key = match x.public_key().parsed() {
                    Ok(ParsedKey::RSA(rsa)) => KeyFacts::Rsa {
                        bits: rsa.key_size(),
                        exponent: rsa.try_exponent().unwrap_or(0),
                    },
                    Ok(ParsedKey::EC(_)) => {
                        KeyFacts::Ec(dotted_oid(&x.public_key().algorithm.algorithm))
                    }
                    _ => KeyFacts::Other(dotted_oid(&x.public_key().algorithm.algorithm)),
                };
            }
        }
        facts.der = der;
        facts
    }
}

/// A name as its relative names, each a sorted list of (attribute type,
/// value) pairs, so that two encodings of one name compare equal.
fn rdn_sequence(name: &X509Name<'_>) -> RdnSequence {
    name.iter()
        .map(|rdn| {
            let mut attrs: Vec<(String, Vec<u8>)> = rdn
                .iter()
                .map(|a| (dotted_oid(a.attr_type()), a.attr_value().data.to_vec()))
                .collect();
            attrs.sort();
            attrs
        })
        .collect()
}

/// An IP address from a SAN entry's 4 or 16 bytes.
fn ip_address(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

/// A name-constraint subtree in the forms judged here.
fn subtree(base: &GeneralName<'_>) -> Subtree {
    match base {
        GeneralName::DNSName(d) => Subtree::Dns(d.to_string()),
        GeneralName::IPAddress(bytes) if bytes.len() == 8 || bytes.len() == 32 => {
            let (address, mask) = bytes.split_at(bytes.len() / 2);
            Subtree::Ip(address.to_vec(), mask.to_vec())
        }
        GeneralName::DirectoryName(dn) => Subtree::Directory(rdn_sequence(dn)),
        _ => Subtree::Other,
    }
}

impl CertFacts {
    /// Extracts facts from DER, for the certificate at `index` of a chain.
    pub fn from_der(index: usize, der: Vec<u8>) -> Self {
        CertFacts::new(index, ParsedCert::from_der(der))
    }

    /// The certificate at `index` of a chain, with these facts.
    pub(crate) fn new(index: usize, parsed: ParsedCert) -> Self {
        CertFacts {
            index,
            parsed: Arc::new(parsed),
        }
    }
}

/// Whether `child`'s signature verifies under `key`: valid, invalid, or
/// not checkable here. A certificate whose outer and inner signature
/// algorithms differ is malformed: its signature says nothing either way.
pub(crate) fn signature_under(
    child: &ParsedCert,
    key: &PublicKey<'_>,
    memo: &SignatureMemo,
) -> SignatureCheck {
    match child.signed() {
        Some(signed) if child.algorithms_agree() => memo.check(&signed, key),
        _ => SignatureCheck::Unsupported,
    }
}

/// Whether `child`'s signature verifies under `parent`'s key (see
/// [`signature_under`]).
pub(crate) fn signature_by(
    child: &ParsedCert,
    parent: &ParsedCert,
    memo: &SignatureMemo,
) -> SignatureCheck {
    if !child.ok() || !parent.ok() {
        return SignatureCheck::Unsupported;
    }
    match parent.public_key() {
        Some(key) => signature_under(child, &key, memo),
        None => SignatureCheck::Unsupported,
    }
}

/// Whether `child`'s signature is known to verify under `parent`'s key,
/// for callers without an analyzer's memo.
pub fn signed_by(child: &CertFacts, parent: &CertFacts) -> bool {
    signature_by(child, parent, &SignatureMemo::default()) == SignatureCheck::Valid
}

fn record_facts(record: &CertRecord) -> ParsedCert {
    match base64_decode(&record.der) {
        Ok(der) => ParsedCert::from_der(der),
        Err(e) => {
            let mut facts = ParsedCert::from_der(Vec::new());
            facts.parse_error = Some(format!("the record's DER is not valid base64: {e}"));
            facts
        }
    }
}

/// Decodes the chain of an observation.
pub fn chain_facts(chain: &[CertRecord]) -> Vec<CertFacts> {
    chain
        .iter()
        .enumerate()
        .map(|(i, record)| CertFacts::new(i, record_facts(record)))
        .collect()
}

/// Facts of the certificates above the leaf, remembered by their encoded
/// DER: a scan sees the same intermediates over and over, and decoding and
/// parsing them again would be most of the work.
#[derive(Debug)]
pub(crate) struct FactsCache {
    /// By base64 text (hashed with foldhash: a certificate's text is long,
    /// and SipHash would cost a microsecond a lookup).
    entries: std::sync::Mutex<
        std::collections::HashMap<String, Arc<ParsedCert>, foldhash::quality::RandomState>,
    >,
    /// False: nothing is remembered.
    enabled: bool,
}

impl Default for FactsCache {
    fn default() -> Self {
        FactsCache::new(true)
    }
}

/// Most certificates a [`FactsCache`] remembers (it is cleared when full).
const FACTS_CACHE_LIMIT: usize = 4096;

impl FactsCache {
    /// A cache; `enabled: false` remembers nothing.
    pub(crate) fn new(enabled: bool) -> Self {
        FactsCache {
            entries: Default::default(),
            enabled,
        }
    }

    /// Like [`chain_facts`], reusing the facts of repeated non-leaf certificates.
    pub(crate) fn chain_facts(&self, chain: &[CertRecord]) -> Vec<CertFacts> {
        if !self.enabled {
            return chain_facts(chain);
        }
        chain
            .iter()
            .enumerate()
            .map(|(i, record)| {
                if i == 0 {
                    return CertFacts::new(i, record_facts(record));
                }
                if let Some(hit) = self
                    .entries
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&record.der).cloned())
                {
                    return CertFacts {
                        index: i,
                        parsed: hit,
                    };
                }
                let facts = CertFacts::new(i, record_facts(record));
                if let Ok(mut map) = self.entries.lock() {
                    if map.len() >= FACTS_CACHE_LIMIT {
                        map.clear();
                    }
                    map.insert(record.der.clone(), facts.parsed.clone());
                }
                facts
            })
            .collect()
    }
}
