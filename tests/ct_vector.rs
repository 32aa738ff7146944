//! SCT verification on a real certificate: google.ug, issued by Let's
//! Encrypt R13 in May 2026 (fixtures/ct/, from the shared reference set).
//! Its Cloudflare Nimbus2026 SCT verifies with the key in the built-in log
//! list, and stops verifying when any byte of the rebuilt TBS or of the
//! issuer's key changes. Its other SCT comes from a static-ct-api log that
//! the built-in (2024-12) list does not know: unknown, not invalid.

mod common;

use mitmwatch::ct::embedded::{self, verify_one};
use mitmwatch::ct::{precert, LogList, SctStatus};
use mitmwatch::encoding::{base64_encode, sha256};
use mitmwatch::trust_store::parse_pem_certs;
use x509_parser::prelude::{FromDer, X509Certificate};

fn load(name: &str) -> Vec<u8> {
    let pem = std::fs::read(common::fixtures::fixture(&format!("ct/{name}"))).unwrap();
    parse_pem_certs(&pem, name).unwrap().remove(0).to_vec()
}

fn leaf() -> Vec<u8> {
    load("sctvector-leaf-google-ug-289ed1676f42b679.pem")
}

/// The DER SubjectPublicKeyInfo of Let's Encrypt R13.
fn issuer_spki() -> Vec<u8> {
    let issuer = load("sctvector-issuer-le-r13-d3b128216a843f8e.pem");
    let (_, cert) = X509Certificate::from_der(&issuer).unwrap();
    cert.public_key().raw.to_vec()
}

const NIMBUS2026: &str = "yzj3FYl8hKFEX1vB3fvJbvKaWc1HCmkFhbDLFMMUWOc=";
const TILED_LOG: &str = "qCbL4wrGNRJGUz/gZfFPGdluGQgTxB3ZbXkAsxI8VSc=";

#[test]
fn the_nimbus_sct_verifies_and_the_tiled_log_is_unknown() {
    let logs = LogList::builtin();
    let hash = sha256(&issuer_spki());
    let checked = embedded::check(&leaf(), Some(&hash), &logs)
        .unwrap()
        .expect("the leaf embeds SCTs");
    assert!(checked.unknown_versions.is_empty());
    assert_eq!(checked.scts.len(), 2);
    let first = &checked.scts[0];
    assert_eq!(base64_encode(&first.sct.log_id), TILED_LOG);
    assert_eq!(first.status, SctStatus::UnknownLog);
    assert_eq!(
        first.sct.extensions,
        [0x00, 0x00, 0x05, 0x00, 0x0b, 0x56, 0x1c, 0x05],
        "the static-ct-api leaf_index extension is kept verbatim"
    );
    let second = &checked.scts[1];
    assert_eq!(base64_encode(&second.sct.log_id), NIMBUS2026);
    assert_eq!(second.sct.timestamp_ms, 1_779_052_245_100);
    assert_eq!(second.log.unwrap().description, "Cloudflare 'Nimbus2026'");
    assert_eq!(second.status, SctStatus::Valid);
}

#[test]
fn any_changed_byte_of_the_tbs_or_the_issuer_key_breaks_the_signature() {
    let logs = LogList::builtin();
    let parts = precert::embedded(&leaf()).unwrap().unwrap();
    let checked = embedded::check(&leaf(), Some(&sha256(&issuer_spki())), &logs)
        .unwrap()
        .unwrap();
    let nimbus = &checked.scts[1];
    let log = nimbus.log.unwrap();
    let hash = sha256(&issuer_spki());
    assert_eq!(
        verify_one(&nimbus.sct, log, &hash, &parts.precert_tbs),
        SctStatus::Valid
    );
    let mut tbs = parts.precert_tbs.clone();
    for i in 0..tbs.len() {
        tbs[i] ^= 0x01;
        assert!(
            matches!(
                verify_one(&nimbus.sct, log, &hash, &tbs),
                SctStatus::Invalid(_)
            ),
            "TBS byte {i} changed and the SCT still verified"
        );
        tbs[i] ^= 0x01;
    }
    let mut spki = issuer_spki();
    for i in 0..spki.len() {
        spki[i] ^= 0x80;
        assert!(
            matches!(
                verify_one(&nimbus.sct, log, &sha256(&spki), &parts.precert_tbs),
                SctStatus::Invalid(_)
            ),
            "issuer key byte {i} changed and the SCT still verified"
        );
        spki[i] ^= 0x80;
    }
    // The leaf's own TBS (with the SCT list still in it) is not what was signed.
    let full = precert::tbs(&leaf()).unwrap().to_vec();
    assert!(matches!(
        verify_one(&nimbus.sct, log, &hash, &full),
        SctStatus::Invalid(_)
    ));
    // Nor is the right TBS under another issuer's key (the leaf's own).
    let leaf_der = leaf();
    let (_, x) = X509Certificate::from_der(&leaf_der).unwrap();
    assert!(matches!(
        verify_one(
            &nimbus.sct,
            log,
            &sha256(x.public_key().raw),
            &parts.precert_tbs
        ),
        SctStatus::Invalid(_)
    ));
}

#[test]
fn without_the_issuer_nothing_is_claimed() {
    let logs = LogList::builtin();
    let checked = embedded::check(&leaf(), None, &logs).unwrap().unwrap();
    assert_eq!(checked.scts[0].status, SctStatus::UnknownLog);
    assert_eq!(checked.scts[1].status, SctStatus::NoIssuerKey);
}
