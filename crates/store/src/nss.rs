//! Reading an NSS certificate database (`cert9.db`): Firefox profiles and
//! Chrome's shared database on Linux. The file is opened read-only.
//!
//! The layout, from NSS's `lib/softoken/sdb.c` and `sftkdb.c`: `cert9.db`
//! is SQLite with one table, `nssPublic`, one row per PKCS #11 object. The
//! column for attribute type `T` is named `a` + `T` in lowercase hex, so
//! CKA_CLASS (0x0) is `a0`, CKA_LABEL (0x3) `a3`, CKA_VALUE (0x11, the
//! certificate DER) `a11`, CKA_ISSUER (0x81) `a81` and CKA_SERIAL_NUMBER
//! (0x82) `a82`. CK_ULONG values are stored as 4 bytes, big-endian, and an
//! empty value as the three bytes `a5 00 5a`. Trust is a separate object
//! for the same issuer and serial: an NSS trust object (CKO_NSS_TRUST,
//! `pkcs11n.h`) with CKA_TRUST_SERVER_AUTH in `ace536358`, or, in newer
//! NSS, a PKCS #11 3.2 trust object (CKO_TRUST) with CKA_TRUST_SERVER_AUTH
//! in `a62c`. A certificate without trust for websites is only stored (a
//! cached intermediate, say) and is not a trust anchor.

use super::files::{failed, finish};
use super::{FoundCert, SourceRead};
use mitmwatch_core::model::{SourceKind, SourceStatus, StoreLocation, StoreSource, StoreTrust};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// CKO_CERTIFICATE.
const CKO_CERTIFICATE: u32 = 0x1;
/// CKO_TRUST (PKCS #11 3.2).
const CKO_TRUST: u32 = 0xb;
/// CKO_NSS_TRUST.
const CKO_NSS_TRUST: u32 = 0xce53_4353;
/// CKT_NSS_TRUSTED_DELEGATOR: a CA trusted for this purpose.
const CKT_NSS_TRUSTED_DELEGATOR: u32 = 0xce53_4352;
/// CKT_NSS_NOT_TRUSTED: explicitly distrusted.
const CKT_NSS_NOT_TRUSTED: u32 = 0xce53_435a;
/// CKT_TRUST_ANCHOR (PKCS #11 3.2).
const CKT_TRUST_ANCHOR: u32 = 0x2;
/// CKT_NOT_TRUSTED (PKCS #11 3.2).
const CKT_NOT_TRUSTED: u32 = 0x3;
/// How NSS stores an empty attribute value.
const EXPLICIT_NULL: &[u8] = &[0xa5, 0x00, 0x5a];

/// The columns read, in this order; the first two are required.
const COLUMNS: &[&str] = &["a0", "a11", "a3", "a81", "a82", "ace536358", "a62c"];

/// The attributes of one `nssPublic` row that matter here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NssRow {
    /// CKA_CLASS.
    pub(crate) class: Option<Vec<u8>>,
    /// CKA_VALUE (the certificate, for certificate objects).
    pub(crate) value: Option<Vec<u8>>,
    /// CKA_LABEL (the nickname).
    pub(crate) label: Option<Vec<u8>>,
    /// CKA_ISSUER.
    pub(crate) issuer: Option<Vec<u8>>,
    /// CKA_SERIAL_NUMBER.
    pub(crate) serial: Option<Vec<u8>>,
    /// CKA_NSS_TRUST_SERVER_AUTH (NSS trust objects).
    pub(crate) nss_server_auth: Option<Vec<u8>>,
    /// CKA_TRUST_SERVER_AUTH (PKCS #11 3.2 trust objects).
    pub(crate) pkcs_server_auth: Option<Vec<u8>>,
}

/// A certificate found in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NssCert {
    /// DER.
    pub(crate) der: Vec<u8>,
    /// The nickname, if set.
    pub(crate) nickname: Option<String>,
    /// Trust for websites.
    pub(crate) trust: StoreTrust,
}

fn ulong(bytes: &Option<Vec<u8>>) -> Option<u32> {
    let b: [u8; 4] = bytes.as_deref()?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn server_auth(row: &NssRow, class: u32) -> Option<StoreTrust> {
    let (value, anchor, distrusted) = match class {
        CKO_NSS_TRUST => (
            ulong(&row.nss_server_auth),
            CKT_NSS_TRUSTED_DELEGATOR,
            CKT_NSS_NOT_TRUSTED,
        ),
        CKO_TRUST => (
            ulong(&row.pkcs_server_auth),
            CKT_TRUST_ANCHOR,
            CKT_NOT_TRUSTED,
        ),
        _ => return None,
    };
    Some(match value {
        Some(v) if v == anchor => StoreTrust::Anchor,
        Some(v) if v == distrusted => StoreTrust::Distrusted,
        _ => StoreTrust::Stored,
    })
}

/// The certificates among `rows` with their trust for websites (pure).
/// Certificates that do not parse are reported, naming `db`.
pub(crate) fn decode_rows(rows: &[NssRow], db: &str) -> (Vec<NssCert>, Vec<String>) {
    // Trust per (issuer, serial); explicit distrust wins over trust.
    let mut trust: HashMap<(&[u8], &[u8]), StoreTrust> = HashMap::new();
    for row in rows {
        let (Some(class), Some(issuer), Some(serial)) =
            (ulong(&row.class), &row.issuer, &row.serial)
        else {
            continue;
        };
        if let Some(t) = server_auth(row, class) {
            let slot = trust.entry((issuer, serial)).or_insert(t);
            if t == StoreTrust::Distrusted || *slot == StoreTrust::Stored {
                *slot = t;
            }
        }
    }
    let mut certs = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        if ulong(&row.class) != Some(CKO_CERTIFICATE) {
            continue;
        }
        let nickname = row
            .label
            .as_deref()
            .filter(|l| !l.is_empty())
            .map(|l| String::from_utf8_lossy(l).into_owned());
        let Some(der) = row.value.clone().filter(|v| !v.is_empty()) else {
            errors.push(format!(
                "{db}: certificate {:?} has no value",
                nickname.as_deref().unwrap_or("(no nickname)")
            ));
            continue;
        };
        let (_, decode_errors) = super::decode::certificates(&der, db);
        if let Some(e) = decode_errors.first() {
            errors.push(format!(
                "{e} (nickname {:?})",
                nickname.as_deref().unwrap_or("")
            ));
            continue;
        }
        let trust = match (&row.issuer, &row.serial) {
            (Some(i), Some(s)) => trust.get(&(i.as_slice(), s.as_slice())).copied(),
            _ => None,
        }
        .unwrap_or(StoreTrust::Stored);
        certs.push(NssCert {
            der,
            nickname,
            trust,
        });
    }
    (certs, errors)
}

/// Reads the NSS database `db` (a `cert9.db` file). A file that is not an
/// NSS database, or cannot be opened, gives a source in error naming it.
pub(crate) fn read_nss_db(kind: SourceKind, db: &Path) -> SourceRead {
    let name = db.display().to_string();
    let rows = match query(db) {
        Ok(rows) => rows,
        Err(e) => {
            return failed(
                kind,
                db,
                format!("{name}: not a readable NSS certificate database: {e}"),
            )
        }
    };
    let (certs, errors) = decode_rows(&rows, &name);
    finish(SourceRead {
        source: StoreSource {
            kind,
            path: Some(name.clone()),
            status: SourceStatus::Read,
            certificates: 0,
            errors,
        },
        certs: certs
            .into_iter()
            .map(|c| FoundCert {
                der: c.der,
                location: StoreLocation {
                    kind,
                    path: Some(name.clone()),
                    nickname: c.nickname,
                    trust: c.trust,
                },
            })
            .collect(),
    })
}

fn blob(value: ValueRef<'_>) -> Option<Vec<u8>> {
    let bytes = match value {
        ValueRef::Blob(b) | ValueRef::Text(b) => b,
        _ => return None,
    };
    (bytes != EXPLICIT_NULL).then(|| bytes.to_vec())
}

/// Every row of `nssPublic`, the columns of [`COLUMNS`] that exist.
fn query(db: &Path) -> Result<Vec<NssRow>, String> {
    let sql_error = |e: rusqlite::Error| e.to_string();
    // Read-only, and never created: a missing file is an error.
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_error)?;
    conn.busy_timeout(Duration::from_secs(2))
        .map_err(sql_error)?;
    let present: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('nssPublic')")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(sql_error)?
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if present.is_empty() {
        return Err("it has no nssPublic table".into());
    }
    if let Some(missing) = COLUMNS[..2]
        .iter()
        .find(|c| !present.iter().any(|p| p == *c))
    {
        return Err(format!("its nssPublic table has no column {missing}"));
    }
    let selected: Vec<&str> = COLUMNS
        .iter()
        .map(|c| {
            if present.iter().any(|p| p == c) {
                *c
            } else {
                "NULL"
            }
        })
        .collect();
    let sql = format!("SELECT {} FROM nssPublic", selected.join(", "));
    let mut stmt = conn.prepare(&sql).map_err(sql_error)?;
    let rows = stmt
        .query_map([], |row| {
            Ok(NssRow {
                class: blob(row.get_ref(0)?),
                value: blob(row.get_ref(1)?),
                label: blob(row.get_ref(2)?),
                issuer: blob(row.get_ref(3)?),
                serial: blob(row.get_ref(4)?),
                nss_server_auth: blob(row.get_ref(5)?),
                pkcs_server_auth: blob(row.get_ref(6)?),
            })
        })
        .map_err(sql_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    fn qaznet_der() -> Vec<u8> {
        let pem = mitmwatch_core::analysis_data::catalog::builtin::PEMS
            .iter()
            .find(|(n, _)| n.starts_with("qaznet"))
            .unwrap()
            .1;
        CertificateDer::from_pem_slice(pem).unwrap().to_vec()
    }

    fn cert_row(der: Vec<u8>, label: &str) -> NssRow {
        NssRow {
            class: Some(CKO_CERTIFICATE.to_be_bytes().to_vec()),
            value: Some(der),
            label: Some(label.as_bytes().to_vec()),
            issuer: Some(b"issuer".to_vec()),
            serial: Some(b"serial".to_vec()),
            ..NssRow::default()
        }
    }

    fn trust_row(class: u32, nss: Option<u32>, pkcs: Option<u32>) -> NssRow {
        NssRow {
            class: Some(class.to_be_bytes().to_vec()),
            issuer: Some(b"issuer".to_vec()),
            serial: Some(b"serial".to_vec()),
            nss_server_auth: nss.map(|v| v.to_be_bytes().to_vec()),
            pkcs_server_auth: pkcs.map(|v| v.to_be_bytes().to_vec()),
            ..NssRow::default()
        }
    }

    #[test]
    fn trust_objects_decide_anchor_stored_or_distrusted() {
        let cert = cert_row(qaznet_der(), "Qaznet");
        let cases = [
            (vec![], StoreTrust::Stored),
            (
                vec![trust_row(
                    CKO_NSS_TRUST,
                    Some(CKT_NSS_TRUSTED_DELEGATOR),
                    None,
                )],
                StoreTrust::Anchor,
            ),
            (
                vec![trust_row(CKO_TRUST, None, Some(CKT_TRUST_ANCHOR))],
                StoreTrust::Anchor,
            ),
            (
                vec![trust_row(CKO_NSS_TRUST, Some(0xce53_4355), None)],
                StoreTrust::Stored,
            ),
            (
                vec![
                    trust_row(CKO_NSS_TRUST, Some(CKT_NSS_TRUSTED_DELEGATOR), None),
                    trust_row(CKO_TRUST, None, Some(CKT_NOT_TRUSTED)),
                ],
                StoreTrust::Distrusted,
            ),
        ];
        for (trust_rows, expected) in cases {
            let mut rows = vec![cert.clone()];
            rows.extend(trust_rows);
            let (certs, errors) = decode_rows(&rows, "cert9.db");
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(certs.len(), 1);
            assert_eq!(certs[0].trust, expected);
            assert_eq!(certs[0].nickname.as_deref(), Some("Qaznet"));
        }
    }

    #[test]
    fn a_broken_certificate_value_is_reported() {
        let (certs, errors) = decode_rows(&[cert_row(b"\x30\x00".to_vec(), "junk")], "cert9.db");
        assert!(certs.is_empty());
        assert!(errors[0].starts_with("cert9.db: "), "{errors:?}");
        assert!(errors[0].contains("junk"), "{errors:?}");
    }

    #[test]
    fn a_garbage_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert9.db");
        std::fs::write(&path, b"this is not sqlite at all, just text").unwrap();
        let read = read_nss_db(SourceKind::Firefox, &path);
        assert_eq!(read.source.status, SourceStatus::Error);
        assert!(read.source.errors[0].contains("cert9.db: not a readable NSS certificate database"));
        // Opening read-only must not have changed or created anything.
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"this is not sqlite at all, just text"
        );
        let missing = read_nss_db(SourceKind::Firefox, &dir.path().join("none.db"));
        assert_eq!(missing.source.status, SourceStatus::Error);
        assert!(!dir.path().join("none.db").exists());
    }
}
