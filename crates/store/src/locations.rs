//! Where trust stores live: the standard CA bundle files and anchor
//! directories of Linux distributions, and the browser profile locations
//! relative to a home directory. Pure data and path arithmetic; nothing
//! here touches the file system.

use std::path::{Path, PathBuf};

/// CA bundle files that distributions generate from their trust store
/// (Mozilla's roots plus local anchors), one PEM file each.
pub(crate) const BUNDLE_FILES: &[&str] = &[
    // Debian, Ubuntu, Arch, Alpine (update-ca-certificates / p11-kit)
    "/etc/ssl/certs/ca-certificates.crt",
    // Fedora, RHEL, CentOS (update-ca-trust)
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    // openSUSE
    "/etc/ssl/ca-bundle.pem",
    "/var/lib/ca-certificates/ca-bundle.pem",
    // Alpine, the BSDs
    "/etc/ssl/cert.pem",
];

/// Directories where administrators (or software) drop extra roots that
/// the distribution's tools then add to the bundles above.
pub(crate) const ANCHOR_DIRS: &[&str] = &[
    // Debian, Ubuntu, Alpine: *.crt files, subdirectories allowed
    "/usr/local/share/ca-certificates",
    // Fedora, RHEL: PEM, DER or p11-kit files
    "/etc/pki/ca-trust/source/anchors",
    "/usr/share/pki/ca-trust-source/anchors",
    // Arch
    "/etc/ca-certificates/trust-source/anchors",
    // openSUSE
    "/etc/pki/trust/anchors",
];

/// Directories, relative to the home directory, that hold Firefox
/// profiles (as subdirectories, listed in a `profiles.ini` or not).
pub(crate) const FIREFOX_DIRS: &[&str] = &[
    // Linux: classic location, snap, flatpak
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
    // Linux: XDG location of newer Firefox releases
    ".config/mozilla/firefox",
    // macOS
    "Library/Application Support/Firefox",
    "Library/Application Support/Firefox/Profiles",
    // Windows (relative to %USERPROFILE%)
    "AppData/Roaming/Mozilla/Firefox",
    "AppData/Roaming/Mozilla/Firefox/Profiles",
];

/// NSS shared databases of Chrome and Chromium on Linux, relative to the
/// home directory (`certutil -d sql:$HOME/.pki/nssdb`).
pub(crate) const CHROME_NSSDBS: &[&str] = &[".pki/nssdb", "snap/chromium/current/.pki/nssdb"];

/// The NSS certificate database file in a profile directory.
pub(crate) const NSS_CERT_DB: &str = "cert9.db";

/// The legacy (Berkeley DB) NSS certificate database, not supported.
pub(crate) const NSS_LEGACY_CERT_DB: &str = "cert8.db";

/// `absolute` resolved under `sysroot` (a mounted image), or as it is.
pub(crate) fn under(sysroot: Option<&Path>, absolute: &str) -> PathBuf {
    match sysroot {
        Some(root) => root.join(absolute.trim_start_matches('/')),
        None => PathBuf::from(absolute),
    }
}

/// One profile listed in a Firefox `profiles.ini`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IniProfile {
    /// The `Path=` value.
    pub(crate) path: String,
    /// `IsRelative=1` (the default): `path` is relative to the directory
    /// holding `profiles.ini`.
    pub(crate) relative: bool,
}

/// The profiles listed in the text of a Firefox `profiles.ini`
/// (`[Profile0]` sections with `Path=` and `IsRelative=`). Other sections
/// (`[Install…]`, `[General]`) are ignored.
pub(crate) fn ini_profiles(text: &str) -> Vec<IniProfile> {
    let mut out = Vec::new();
    let mut in_profile = false;
    let mut current: Option<IniProfile> = None;
    let flush = |current: &mut Option<IniProfile>, out: &mut Vec<IniProfile>| {
        if let Some(p) = current.take() {
            if !p.path.is_empty() {
                out.push(p);
            }
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            flush(&mut current, &mut out);
            in_profile = line.starts_with("[Profile");
            if in_profile {
                current = Some(IniProfile {
                    path: String::new(),
                    relative: true,
                });
            }
            continue;
        }
        let (Some(p), true) = (current.as_mut(), in_profile) else {
            continue;
        };
        if let Some((key, value)) = line.split_once('=') {
            match key.trim() {
                "Path" => p.path = value.trim().to_string(),
                "IsRelative" => p.relative = value.trim() != "0",
                _ => {}
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_ini_relative_and_absolute() {
        let text = "[Install4F96D1932A9F858E]\nDefault=abc.default-release\n\n\
                    [Profile1]\nName=default\nIsRelative=1\nPath=abc.default\n\n\
                    [Profile0]\nName=work\nIsRelative=0\nPath=/data/ff/work\nDefault=1\n\n\
                    [General]\nStartWithLastProfile=1\nVersion=2\n";
        assert_eq!(
            ini_profiles(text),
            vec![
                IniProfile {
                    path: "abc.default".into(),
                    relative: true
                },
                IniProfile {
                    path: "/data/ff/work".into(),
                    relative: false
                },
            ]
        );
        assert!(ini_profiles("garbage\n[Profile0]\nName=x\n").is_empty());
    }

    #[test]
    fn sysroot_prefixes_absolute_paths() {
        assert_eq!(
            under(Some(Path::new("/mnt/img")), "/etc/ssl/cert.pem"),
            PathBuf::from("/mnt/img/etc/ssl/cert.pem")
        );
        assert_eq!(
            under(None, "/etc/ssl/cert.pem"),
            PathBuf::from("/etc/ssl/cert.pem")
        );
    }
}
