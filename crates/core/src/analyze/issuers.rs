//! Who issued a served chain, in a form that can be compared across
//! handshakes: the leaf's key, the issuing CA (name, key identifier and,
//! when it was sent, its key) and the root the chain leads to.
//!
//! Leaf bytes are not compared: CDNs rotate leaves and serve different ones
//! per region. Issuing CAs and roots change rarely, and an interceptor
//! cannot keep them: it must sign with a key of its own.

use super::chain::chain_facts;
use super::linkage::name_path;
use crate::encoding::hex;
use crate::model::{CaBrief, CertRecord, Fingerprint};

/// The issuing CA of a chain and the root it leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainIssuers {
    /// SPKI SHA-256 of the leaf.
    pub(crate) leaf_spki: Fingerprint,
    /// The CA that signed the leaf: the leaf's issuer name and authority
    /// key identifier, plus the key of that CA's certificate when sent.
    pub issuer: CaBrief,
    /// The root the chain leads to: the topmost certificate when it is
    /// self-issued, else the issuer it names.
    pub root: CaBrief,
}

/// The issuing CA and root of a served chain, or `None` when the leaf did
/// not parse. Certificates are linked by name, whatever order they were sent in.
pub fn chain_issuers(chain: &[CertRecord]) -> Option<ChainIssuers> {
    let certs = chain_facts(chain);
    let leaf = certs.first().filter(|c| c.ok())?;
    let path = name_path(&certs);
    let issuer_cert = path.certs.get(1).map(|i| &certs[*i]);
    let issuer = CaBrief {
        name: leaf.issuer.clone(),
        key_id: leaf.authority_key_id.as_deref().map(hex),
        spki_sha256: issuer_cert.and_then(|c| c.spki()),
    };
    let top = &certs[path.top().unwrap_or(0)];
    let root = if top.self_issued() && top.index != 0 {
        CaBrief {
            name: top.subject.clone(),
            key_id: top
                .subject_key_id
                .as_deref()
                .or(top.authority_key_id.as_deref())
                .map(hex),
            spki_sha256: top.spki(),
        }
    } else if top.self_issued() {
        // A self-signed leaf is its own root.
        CaBrief {
            name: top.subject.clone(),
            key_id: None,
            spki_sha256: top.spki(),
        }
    } else {
        CaBrief {
            name: top.issuer.clone(),
            key_id: top.authority_key_id.as_deref().map(hex),
            spki_sha256: None,
        }
    };
    Some(ChainIssuers {
        leaf_spki: leaf.spki_sha256,
        issuer,
        root,
    })
}

/// Whether two descriptions can be the same CA: same name, and the same key
/// wherever both sides know it (key identifier or SPKI). A CA known only by
/// name matches any CA of that name.
pub(crate) fn same_ca(a: &CaBrief, b: &CaBrief) -> bool {
    a.name == b.name && same_key(a, b) != Some(false)
}

/// Whether two descriptions have the same key: `Some(true)` or
/// `Some(false)` when both sides know a key identifier or an SPKI, `None`
/// when they cannot be compared.
pub(crate) fn same_key(a: &CaBrief, b: &CaBrief) -> Option<bool> {
    let spki = match (&a.spki_sha256, &b.spki_sha256) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    };
    let key_id = match (&a.key_id, &b.key_id) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    };
    match (spki, key_id) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), _) | (_, Some(true)) => Some(true),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca(name: &str, key_id: Option<&str>, spki: Option<&str>) -> CaBrief {
        CaBrief {
            name: name.into(),
            key_id: key_id.map(Into::into),
            spki_sha256: spki.map(|s| Fingerprint::of(s.as_bytes())),
        }
    }

    #[test]
    fn names_and_keys_decide() {
        let a = ca("CN=CA 1", Some("01"), None);
        assert!(same_ca(&a, &ca("CN=CA 1", Some("01"), Some("ff"))));
        assert!(same_ca(&a, &ca("CN=CA 1", None, None)));
        assert!(!same_ca(&a, &ca("CN=CA 1", Some("02"), None)));
        assert!(!same_ca(&a, &ca("CN=CA 2", Some("01"), None)));
        assert_eq!(same_key(&a, &ca("CN=x", None, Some("ff"))), None);
        assert_eq!(
            same_key(&ca("x", None, Some("aa")), &ca("x", Some("01"), Some("bb"))),
            Some(false)
        );
    }

    #[test]
    fn unparsed_leaf_has_no_issuers() {
        let record = crate::certinfo::cert_record(b"\x30\x03\x02\x01");
        assert!(chain_issuers(&[record]).is_none());
        assert!(chain_issuers(&[]).is_none());
    }
}
