//! Finding and reading the trust stores of a machine. What to read is
//! given by [`StoreOptions`]: the home directory and the file-system root
//! are inputs, so tests (and audits of a mounted disk image) never read
//! the running user's profile by accident.

use super::locations::{
    ini_profiles, under, ANCHOR_DIRS, BUNDLE_FILES, CHROME_NSSDBS, FIREFOX_DIRS, NSS_CERT_DB,
    NSS_LEGACY_CERT_DB,
};
use super::{files, nss, system, SourceRead};
use mitmwatch_core::model::SourceKind;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Which trust stores to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// Read the operating system's store and the standard CA bundle files
    /// and anchor directories.
    pub system: bool,
    /// Look for the standard bundle files and anchor directories under this
    /// directory instead of `/`. The operating system store API, which can
    /// only read the running system, is then not used.
    pub sysroot: Option<PathBuf>,
    /// Home directory searched for Firefox profiles and Chrome's NSS
    /// database; `None` searches no home directory.
    pub home: Option<PathBuf>,
    /// Extra certificate files or directories (`--path`).
    pub paths: Vec<PathBuf>,
    /// Firefox profile directories (or `cert9.db` files) given explicitly.
    pub firefox_profiles: Vec<PathBuf>,
}

/// Whether this platform keeps its trust store in the Linux-style files
/// of [`BUNDLE_FILES`] and [`ANCHOR_DIRS`].
const FILE_BASED_PLATFORM: bool = cfg!(all(unix, not(target_os = "macos")));

/// Reads every store the options ask for, in a fixed order: operating
/// system, bundle files, anchor directories, `--path`, Firefox, Chrome.
/// Standard locations that do not exist are skipped; locations given
/// explicitly that do not exist are reported as errors.
pub fn read_stores(options: &StoreOptions) -> Vec<SourceRead> {
    let mut out = Vec::new();
    let mut seen = Seen::default();
    let sysroot = options.sysroot.as_deref();
    if options.system {
        if sysroot.is_none() {
            out.push(system::read_system());
        }
        if sysroot.is_some() || FILE_BASED_PLATFORM {
            for file in BUNDLE_FILES {
                let path = under(sysroot, file);
                if path.is_file() && seen.first(&path) {
                    out.push(files::read_file(SourceKind::Bundle, &path));
                }
            }
            for dir in ANCHOR_DIRS {
                let path = under(sysroot, dir);
                if path.is_dir() && seen.first(&path) {
                    out.push(files::read_dir(SourceKind::Anchors, &path));
                }
            }
        }
    }
    for path in &options.paths {
        out.push(files::read_path(SourceKind::Path, path));
    }
    let mut profiles: Vec<PathBuf> = options.firefox_profiles.clone();
    if let Some(home) = &options.home {
        profiles.extend(firefox_profiles(home));
    }
    for profile in profiles {
        if let Some(read) = read_profile(SourceKind::Firefox, &profile, &mut seen) {
            out.push(read);
        }
    }
    if let Some(home) = &options.home {
        for dir in CHROME_NSSDBS {
            let db = home.join(dir).join(NSS_CERT_DB);
            if db.is_file() && seen.first(&db) {
                out.push(nss::read_nss_db(SourceKind::Chrome, &db));
            }
        }
    }
    out
}

/// Canonical paths already read, so a store reached twice (a symbolic
/// link, a profile listed twice) is read once.
#[derive(Default)]
struct Seen(HashSet<PathBuf>);

impl Seen {
    fn first(&mut self, path: &Path) -> bool {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.0.insert(real)
    }
}

/// Reads one profile: a directory holding `cert9.db`, or the file itself.
/// Returns `None` for a profile already read.
fn read_profile(kind: SourceKind, profile: &Path, seen: &mut Seen) -> Option<SourceRead> {
    let db = if profile.is_dir() {
        profile.join(NSS_CERT_DB)
    } else {
        profile.to_path_buf()
    };
    if !seen.first(&db) {
        return None;
    }
    if db.is_file() {
        return Some(nss::read_nss_db(kind, &db));
    }
    let legacy = profile.join(NSS_LEGACY_CERT_DB);
    let message = if profile.is_dir() && legacy.is_file() {
        format!(
            "{}: only a legacy cert8.db (Berkeley DB, Firefox 57 and older), which mitmwatch does not read",
            profile.display()
        )
    } else if profile.is_dir() {
        format!("{}: no {NSS_CERT_DB} in this directory", profile.display())
    } else {
        format!("{}: no such file or directory", profile.display())
    };
    Some(files::failed(kind, &db, message))
}

/// Firefox profile directories under `home` that hold a certificate
/// database: those listed in each `profiles.ini` and every subdirectory
/// with a `cert9.db` or `cert8.db`, sorted.
pub(crate) fn firefox_profiles(home: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in FIREFOX_DIRS {
        let dir = home.join(dir);
        if !dir.is_dir() {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("profiles.ini")) {
            for p in ini_profiles(&text) {
                found.push(if p.relative {
                    dir.join(&p.path)
                } else {
                    PathBuf::from(&p.path)
                });
            }
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            found.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    let mut profiles: Vec<PathBuf> = found
        .into_iter()
        .filter(|p| p.join(NSS_CERT_DB).is_file() || p.join(NSS_LEGACY_CERT_DB).is_file())
        .collect();
    profiles.sort();
    profiles.dedup();
    profiles
}

/// The home directory of the running user: `$HOME`, or `%USERPROFILE%` on
/// Windows.
pub fn user_home() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}
