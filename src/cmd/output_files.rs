//! Output files: checked before any work, created without group or other
//! write permission, appended to on `--resume`; observations collected and
//! written as JSON Lines; paths escaped for the terminal.

use anyhow::{Context, Result};
use mitmwatch_report::terminal::escape;
use std::io::Write;
use std::path::Path;

/// A path as shown on the terminal: escaped, since a file name can hold
/// control characters.
pub fn shown(path: &Path) -> String {
    escape(&path.display().to_string())
}

/// Writes a whole file, created without group or other write permission.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut out = open_output(Some(path))?;
    out.write_all(contents)
        .and_then(|_| out.flush())
        .with_context(|| format!("writing {}", path.display()))
}

/// Options for writing a file that, if created, gets mode 0644: no group
/// or other write permission.
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    options
}

/// Opens an output file (or stdout for `-`/none). Files are created without
/// group or other write permission.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    match path {
        None => Ok(Box::new(std::io::stdout())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdout())),
        Some(p) => {
            let f = private_file_options()
                .create(true)
                .truncate(true)
                .open(p)
                .with_context(|| format!("creating {}", p.display()))?;
            Ok(Box::new(std::io::BufWriter::new(f)))
        }
    }
}

/// Opens the output of a command whose exit code is a verdict (or stdout
/// for `-`/none). On stdout a reader that goes away early (`| head -1`)
/// is not an error: the rest is dropped, and the command still judges
/// everything and exits with its verdict.
pub fn open_verdict_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    match path {
        Some(p) if p.as_os_str() != "-" => open_output(Some(p)),
        _ => Ok(Box::new(super::output::PipeSafe::new(std::io::stdout()))),
    }
}

/// Checks, before any work, that an output file can be written, without
/// creating or truncating it: an existing file must open for writing, a
/// new one's directory must take a file. `-` and none are stdout.
pub fn check_writable(path: Option<&Path>) -> Result<()> {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        return Ok(());
    };
    let result = if path.is_dir() {
        Err(std::io::Error::other("it is a directory"))
    } else if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
    } else {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        tempfile::NamedTempFile::new_in(dir).map(drop)
    };
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Opens an existing output file for appending (`--resume`), creating it
/// if missing, without group or other write permission.
pub fn open_append(path: &Path) -> Result<Box<dyn Write + Send>> {
    let f = private_file_options()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("opening {} to append", path.display()))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// Writes observations as JSON Lines to an output already opened for `path`.
pub fn write_observations(
    out: &mut dyn Write,
    path: &Path,
    observations: &[mitmwatch_core::model::Observation],
) -> Result<()> {
    for obs in observations {
        mitmwatch_core::model::json::write_line(&mut *out, obs)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}
