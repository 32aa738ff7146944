//! Where the history database is, and how its times are read and shown:
//! shared by `watch`, `history` and `report --db`.

use anyhow::{Context, Result};
use mitmwatch_core::encoding::rfc3339;
use mitmwatch_watch::history::DEFAULT_FILE;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The history database: `--db`, else `history.sqlite` in the data directory.
pub fn db_path(flag: Option<&Path>) -> Result<PathBuf> {
    match flag {
        Some(path) => Ok(path.to_path_buf()),
        None => mitmwatch_collect::update::data_dir::resolve(None)
            .map(|dir| dir.join(DEFAULT_FILE))
            .context("no data directory (set MITMWATCH_DATA_DIR or HOME, or give --db)"),
    }
}

/// A time to the second, RFC 3339 (`2026-03-01T09:30:00Z`), for people.
pub fn second(t: OffsetDateTime) -> String {
    rfc3339(t.replace_nanosecond(0).unwrap_or(t))
}

/// `--since`: RFC 3339, or a duration before now (`7d`).
pub fn parse_since(text: Option<&str>) -> Result<Option<OffsetDateTime>> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(Some(t));
    }
    let ago = mitmwatch_watch::duration::parse(text).map_err(|e| {
        anyhow::anyhow!("--since {text:?}: expected RFC 3339 (2026-03-01T00:00:00Z) or a duration such as 7d ({e})")
    })?;
    Ok(Some(mitmwatch_watch::duration::before(
        OffsetDateTime::now_utc(),
        ago,
    )))
}
