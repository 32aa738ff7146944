//! An index of trust anchors, built once per trust store, so that asking
//! "is this key an anchor?" and "which anchors carry this name?" costs a
//! hash look-up instead of re-encoding and re-hashing every anchor's key
//! for every certificate of every observation.
//!
//! The index keeps the order of the anchors it was built from. The removed
//! roots still trusted at a validation time are a prefix of their list
//! (see [`crate::analysis_data::removed_roots::RemovedRoots::anchors_at`]),
//! so look-ups take the length of the slice in use and ignore the anchors
//! after it.

use crate::model::Fingerprint;
use der::asn1::AnyRef;
use der::{Decode, Tag, Tagged};
use rustls_pki_types::TrustAnchor;
use std::collections::HashMap;

/// The DER contents of an encoded Name (a certificate's issuer or subject
/// as x509-parser gives it, with its SEQUENCE header), which is what a
/// [`TrustAnchor::subject`] holds and what [`AnchorIndex::named`] takes.
/// `None` if `name` is not one DER SEQUENCE.
pub(crate) fn name_content(name: &[u8]) -> Option<&[u8]> {
    AnyRef::from_der(name)
        .ok()
        .filter(|any| any.tag() == Tag::Sequence)
        .map(|any| any.value())
}

/// One anchor's key, ready to use.
#[derive(Clone, Debug)]
pub(crate) struct IndexedAnchor {
    /// SHA-256 of the anchor's SubjectPublicKeyInfo (DER with its SEQUENCE
    /// header; a [`TrustAnchor`] keeps only the contents): the value pins
    /// and catalogs name keys by.
    pub(crate) spki_sha256: Fingerprint,
    /// The key, to check signatures with (`None` if it cannot be read).
    pub(crate) key: Option<super::signature::SpkiKey>,
}

/// Trust anchors by key hash and by subject name, in the order given.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnchorIndex {
    entries: Vec<IndexedAnchor>,
    /// The first position of each key.
    by_spki: HashMap<Fingerprint, usize>,
    /// The positions of each subject (the DER contents of the Name, as in
    /// [`TrustAnchor::subject`]), ascending.
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
}

impl AnchorIndex {
    /// Indexes `anchors`, keeping their order.
    pub(crate) fn new(anchors: &[TrustAnchor<'_>]) -> Self {
        let mut index = AnchorIndex::default();
        for (position, anchor) in anchors.iter().enumerate() {
            let spki_der = webpki::spki_for_anchor(anchor);
            let spki_sha256 = Fingerprint::of(spki_der.as_ref());
            index.by_spki.entry(spki_sha256).or_insert(position);
            index
                .by_subject
                .entry(anchor.subject.as_ref().to_vec())
                .or_default()
                .push(position);
            index.entries.push(IndexedAnchor {
                key: super::signature::SpkiKey::from_spki_der(spki_der.as_ref().to_vec()),
                spki_sha256,
            });
        }
        index
    }

    /// How many anchors were indexed.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no anchor was indexed.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether one of the first `prefix` anchors has this key.
    pub(crate) fn has_key(&self, spki_sha256: &Fingerprint, prefix: usize) -> bool {
        self.by_spki
            .get(spki_sha256)
            .is_some_and(|&position| position < prefix)
    }

    /// The first `prefix` anchors whose subject is `subject`, in order.
    pub(crate) fn named<'a>(
        &'a self,
        subject: &[u8],
        prefix: usize,
    ) -> impl Iterator<Item = &'a IndexedAnchor> + 'a {
        self.by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .take_while(move |&&position| position < prefix)
            .map(|&position| &self.entries[position])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;

    /// The certificates of a PEM file under fixtures/.
    fn fixture_certs(path: &str) -> Vec<CertificateDer<'static>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(path);
        let pem = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        crate::analysis_data::trust_store::parse_pem_certs(&pem, "fixture").expect("PEM")
    }

    fn anchor_of(cert: &CertificateDer<'_>) -> TrustAnchor<'static> {
        webpki::anchor_from_trusted_cert(cert)
            .expect("an anchor")
            .to_owned()
    }

    /// The SubjectPublicKeyInfo with its header, as x509-parser reads it
    /// (not as the index re-encodes it).
    fn spki_der(cert: &CertificateDer<'_>) -> Vec<u8> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert).expect("a certificate");
        parsed.tbs_certificate.subject_pki.raw.to_vec()
    }

    /// The index answers as the linear scans it replaces: every key and
    /// name is found with the hash a reader would compute, in order, and
    /// nothing beyond the prefix asked for.
    #[test]
    fn finds_keys_and_names_as_a_scan_would_within_the_prefix() {
        // The fixture PKI's two roots, and the look-alike "Fixture Public
        // Root R1" that ct-impostor-no-sct ends with: same name, other key.
        let a = fixture_certs("roots/public-root-r1.pem").remove(0);
        let b = fixture_certs("roots/public-root-r2.pem").remove(0);
        let a2 = fixture_certs("chains/ct-impostor-no-sct.pem")
            .pop()
            .expect("the look-alike root");
        let anchors = [anchor_of(&a), anchor_of(&b), anchor_of(&a2)];
        assert_eq!(anchors[0].subject.as_ref(), anchors[2].subject.as_ref());
        assert_ne!(anchors[0].subject.as_ref(), anchors[1].subject.as_ref());
        assert_ne!(spki_der(&a), spki_der(&a2));
        let index = AnchorIndex::new(&anchors);
        assert_eq!(index.len(), 3);

        let a_spki = Fingerprint::of(&spki_der(&a));
        assert_eq!(index.entries[0].spki_sha256, a_spki);
        assert_eq!(
            index.entries[0].key.as_ref().map(|k| k.der()),
            Some(spki_der(&a).as_slice())
        );
        assert!(index.has_key(&a_spki, 3));
        assert!(index.has_key(&a_spki, 1));
        assert!(!index.has_key(&a_spki, 0));
        let b_spki = Fingerprint::of(&spki_der(&b));
        assert_eq!(index.entries[1].spki_sha256, b_spki);
        assert!(index.has_key(&b_spki, 2));
        assert!(!index.has_key(&b_spki, 1));
        assert!(!index.has_key(&Fingerprint::default(), 3));

        let name_a = anchors[0].subject.as_ref();
        let found: Vec<Fingerprint> = index.named(name_a, 3).map(|e| e.spki_sha256).collect();
        assert_eq!(found, vec![a_spki, Fingerprint::of(&spki_der(&a2))]);
        assert_eq!(index.named(name_a, 2).count(), 1);
        assert_eq!(index.named(name_a, 0).count(), 0);
        assert_eq!(index.named(b"not a name", 3).count(), 0);
        assert!(AnchorIndex::new(&[]).is_empty());
    }
}
