//! Reading trust stores kept as files: CA bundle files, anchor directories
//! and whatever `--path` names. Every certificate in them is a trust
//! anchor. A file that cannot be read or decoded is reported by name and
//! the walk goes on.

use super::decode::certificates;
use super::{FoundCert, SourceRead};
use mitmwatch_core::model::{SourceKind, SourceStatus, StoreLocation, StoreSource, StoreTrust};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Largest file read; CA bundles are a few hundred KB.
const MAX_FILE_BYTES: u64 = 16 << 20;
/// How deep directories are walked (Debian allows subdirectories).
const MAX_DEPTH: usize = 4;
/// Most files read from one directory tree.
const MAX_FILES: usize = 10_000;

/// Reads a file or a directory, whichever `path` is.
pub(crate) fn read_path(kind: SourceKind, path: &Path) -> SourceRead {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => read_dir(kind, path),
        Ok(_) => read_file(kind, path),
        Err(e) => failed(kind, path, format!("{}: cannot read: {e}", path.display())),
    }
}

/// Reads one file of certificates (a bundle, or a single anchor).
pub(crate) fn read_file(kind: SourceKind, path: &Path) -> SourceRead {
    let mut read = empty(kind, path);
    add_file(&mut read, kind, path);
    finish(read)
}

/// Reads every file in a directory tree (anchor directories).
pub(crate) fn read_dir(kind: SourceKind, path: &Path) -> SourceRead {
    let mut read = empty(kind, path);
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    if let Err(e) = walk(path, 0, &mut seen, &mut files) {
        read.source
            .errors
            .push(format!("{}: cannot list: {e}", path.display()));
    }
    if files.len() >= MAX_FILES {
        read.source.errors.push(format!(
            "{}: more than {MAX_FILES} files; the rest was not read",
            path.display()
        ));
    }
    for file in files {
        match file {
            Ok(file) => add_file(&mut read, kind, &file),
            Err(message) => read.source.errors.push(message),
        }
    }
    finish(read)
}

/// Collects the files under `dir`, sorted, following symbolic links but
/// visiting each real file and directory once. Entries that cannot be
/// inspected are returned as errors naming them.
fn walk(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    files: &mut Vec<Result<PathBuf, String>>,
) -> std::io::Result<()> {
    if let Ok(real) = std::fs::canonicalize(dir) {
        if !seen.insert(real) {
            return Ok(());
        }
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if files.len() >= MAX_FILES {
            return Ok(());
        }
        match std::fs::metadata(&entry) {
            Ok(m) if m.is_dir() => {
                if depth + 1 < MAX_DEPTH {
                    if let Err(e) = walk(&entry, depth + 1, seen, files) {
                        files.push(Err(format!("{}: cannot list: {e}", entry.display())));
                    }
                }
            }
            Ok(_) => {
                let real = std::fs::canonicalize(&entry).unwrap_or_else(|_| entry.clone());
                if seen.insert(real) {
                    files.push(Ok(entry));
                }
            }
            Err(e) => files.push(Err(format!("{}: cannot read: {e}", entry.display()))),
        }
    }
    Ok(())
}

fn add_file(read: &mut SourceRead, kind: SourceKind, path: &Path) {
    let name = path.display().to_string();
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            read.source.errors.push(format!(
                "{name}: {} bytes is too large for a certificate file",
                m.len()
            ));
            return;
        }
        _ => match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                read.source.errors.push(format!("{name}: cannot read: {e}"));
                return;
            }
        },
    };
    let (ders, errors) = certificates(&bytes, &name);
    read.source.errors.extend(errors);
    read.certs.extend(ders.into_iter().map(|der| FoundCert {
        der,
        location: StoreLocation {
            kind,
            path: Some(name.clone()),
            nickname: None,
            trust: StoreTrust::Anchor,
        },
    }));
}

fn empty(kind: SourceKind, path: &Path) -> SourceRead {
    SourceRead {
        source: StoreSource {
            kind,
            path: Some(path.display().to_string()),
            status: SourceStatus::Read,
            certificates: 0,
            errors: Vec::new(),
        },
        certs: Vec::new(),
    }
}

/// A source that could not be read at all.
pub(crate) fn failed(kind: SourceKind, path: &Path, message: String) -> SourceRead {
    let mut read = empty(kind, path);
    read.source.errors.push(message);
    finish(read)
}

/// Sets the count and the status: a source is `error` when it yielded no
/// certificate and at least one error.
pub(crate) fn finish(mut read: SourceRead) -> SourceRead {
    read.source.certificates = read.certs.len();
    read.source.status = if read.certs.is_empty() && !read.source.errors.is_empty() {
        SourceStatus::Error
    } else {
        SourceStatus::Read
    };
    read
}
