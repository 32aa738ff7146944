//! Trust stores laid out like real ones, in temporary directories: a
//! Debian-style file-system root and NSS databases made by `certutil`.

use mitmwatch_core::analysis_data::trust_store::TrustStore;
use mitmwatch_core::encoding::sha256;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use x509_parser::prelude::{FromDer, X509Certificate};

/// A certificate from `certs/` (the catalog's PEMs).
pub(crate) fn catalog_pem(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("certs")
        .join(name);
    std::fs::read(path).unwrap()
}

/// The 2020 Kazakhstan root `C=KZ, O=ISCA, CN=Information Security
/// Certification Authority` (cert SHA-256 1df696f0…).
pub(crate) fn isca_pem() -> Vec<u8> {
    catalog_pem("isca-2020-0643-1df696f021ab1c3a.pem")
}

/// The 2019 Kazakhstan root `C=KZ, CN=Qaznet Trust Network`.
pub(crate) fn qaznet_pem() -> Vec<u8> {
    catalog_pem("qaznet-trust-network-00309c736dd661da.pem")
}

/// DER to PEM, with the library's one PEM writer.
pub(crate) fn to_pem(der: &[u8]) -> Vec<u8> {
    mitmwatch_core::encoding::pem_encode("CERTIFICATE", der).into_bytes()
}

/// One of Mozilla's roots as a PEM certificate (webpki-root-certs ships
/// the same set as webpki-roots, as full certificates).
pub(crate) fn public_root_pem() -> Vec<u8> {
    let mozilla = TrustStore::mozilla();
    let der = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .find(|c| {
            let (_, x) = X509Certificate::from_der(c).unwrap();
            mozilla.is_public_anchor(&mitmwatch_core::model::Fingerprint::of(x.public_key().raw))
        })
        .expect("a root both crates ship");
    to_pem(der)
}

/// SHA-256 (hex) of the first certificate of a PEM text.
pub(crate) fn pem_sha256(pem: &[u8]) -> String {
    mitmwatch_core::encoding::hex(&sha256(&CertificateDer::from_pem_slice(pem).unwrap()))
}

/// A Debian-like file-system root: the CA bundle holds a public root and
/// the ISCA root; the anchor directory holds the ISCA root, a file that is
/// not PEM, a bad PEM block and a dangling symbolic link.
pub(crate) fn debian_layout(root: &Path) {
    let certs = root.join("etc/ssl/certs");
    std::fs::create_dir_all(&certs).unwrap();
    let mut bundle = public_root_pem();
    bundle.extend(isca_pem());
    std::fs::write(certs.join("ca-certificates.crt"), bundle).unwrap();
    let anchors = root.join("usr/local/share/ca-certificates");
    std::fs::create_dir_all(anchors.join("kz")).unwrap();
    std::fs::write(anchors.join("kz/isca.crt"), isca_pem()).unwrap();
    std::fs::write(
        anchors.join("bad.crt"),
        b"-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        anchors.join("notes.txt"),
        b"installed by the ISP's setup tool\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("nowhere.crt"), anchors.join("dangling.crt")).unwrap();
}

/// Whether the `certutil` command (Debian's libnss3-tools) is installed.
pub(crate) fn certutil_available() -> bool {
    Command::new("certutil")
        .arg("-H")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs certutil on the NSS database in `dir`, asserting success.
pub(crate) fn certutil(dir: &Path, args: &[&str]) {
    let out = Command::new("certutil")
        .arg("-d")
        .arg(format!("sql:{}", dir.display()))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "certutil {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates an NSS database in `dir` (cert9.db, key4.db) holding `certs`:
/// (nickname, PEM, certutil trust flags such as `C,,`).
pub(crate) fn nss_db(dir: &Path, certs: &[(&str, Vec<u8>, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    certutil(dir, &["-N", "--empty-password"]);
    for (i, (nickname, pem, trust)) in certs.iter().enumerate() {
        let file = dir.join(format!("import-{i}.pem"));
        std::fs::write(&file, pem).unwrap();
        certutil(
            dir,
            &[
                "-A",
                "-n",
                nickname,
                "-t",
                trust,
                "-i",
                file.to_str().unwrap(),
            ],
        );
        std::fs::remove_file(file).unwrap();
    }
}
