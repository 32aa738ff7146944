//! The operating system's trust store, read through rustls-native-certs:
//! the system store on Windows (schannel), the keychains' trust settings on
//! macOS, and the OpenSSL bundle that openssl-probe finds on other Unix
//! systems. If `SSL_CERT_FILE` or `SSL_CERT_DIR` is set, rustls-native-certs
//! reads only those. It does not say which file a certificate came from.

use super::files::finish;
use super::{FoundCert, SourceRead};
use mitmwatch_core::model::{SourceKind, SourceStatus, StoreLocation, StoreSource, StoreTrust};

/// Reads the operating system's store.
pub(crate) fn read_system() -> SourceRead {
    let result = rustls_native_certs::load_native_certs();
    let mut errors: Vec<String> = result
        .errors
        .iter()
        .map(|e| format!("operating system store: {e}"))
        .collect();
    let mut certs = Vec::new();
    for (i, der) in result.certs.iter().enumerate() {
        let name = format!("operating system store, certificate #{}", i + 1);
        let (mut ders, problems) = super::decode::certificates(der, &name);
        errors.extend(problems);
        certs.append(&mut ders);
    }
    finish(SourceRead {
        source: StoreSource {
            kind: SourceKind::System,
            path: None,
            status: SourceStatus::Read,
            certificates: 0,
            errors,
        },
        certs: certs
            .into_iter()
            .map(|der| FoundCert {
                der,
                location: StoreLocation {
                    kind: SourceKind::System,
                    path: None,
                    nickname: None,
                    trust: StoreTrust::Anchor,
                },
            })
            .collect(),
    })
}
