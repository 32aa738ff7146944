//! The history database: opening it ([`crate::schema`] checks it first),
//! the records it returns, and what the watch marks on episodes once their
//! evidence is written and their notifications sent.

use crate::error::{Result, WatchError};
use crate::schema::{self, Access};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The file name of the database in the user data directory.
pub const DEFAULT_FILE: &str = "history.sqlite";

/// An open history database.
#[derive(Debug)]
pub struct History {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

/// A run's outcome, as `check` would report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Enough sites reached, none intercepted nor suspicious.
    Clean,
    /// Something could not be settled (no interception proven).
    Suspicious,
    /// At least one site intercepted.
    Intercepted,
    /// Too few sites reached to judge (offline, DNS down).
    Inconclusive,
}

impl Outcome {
    /// The name stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::Suspicious => "suspicious",
            Outcome::Intercepted => "intercepted",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

/// A root added on this machine that it trusts (from the trust-store audit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRoot {
    /// SHA-256 of the certificate (hex in the database's JSON).
    pub sha256: mitmwatch_core::model::Fingerprint,
    /// Its subject, for people.
    pub label: String,
}

/// An episode as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Episode {
    /// Its id (numbered from 1 in each database).
    pub id: i64,
    /// `interception`, `new-issuer` or `local-root`.
    pub kind: String,
    /// Interceptor id, issuer name or root fingerprint.
    pub key: String,
    /// A name for people.
    pub label: String,
    /// The run that opened it.
    pub opened_run: i64,
    /// When that run started.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// The last run that showed its signal.
    pub last_seen_run: i64,
    /// The run that closed it, if closed.
    pub closed_run: Option<i64>,
    /// When that run ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// The sites seen in it.
    pub sites: Vec<String>,
    /// Its evidence directory, once written (none for a local root).
    pub evidence_dir: Option<String>,
    /// Whether its evidence was written (or found to have nothing to write).
    pub evidence_written: bool,
    /// Whether the opening notification was sent.
    pub notified_open: bool,
    /// Whether the closing notification was sent.
    pub notified_close: bool,
}

impl History {
    /// Opens (creating or migrating, for [`Access::ReadWrite`]) the history
    /// at `path`; a file that is not a sound mitmwatch history is refused
    /// and left untouched.
    pub fn open(path: &Path, access: Access) -> Result<History> {
        Ok(History {
            conn: schema::open(path, access)?,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn sql(&self) -> impl Fn(rusqlite::Error) -> WatchError + '_ {
        move |source| WatchError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// For loading many runs at once (the benchmark): with `on`, commits
    /// are not flushed to disk one by one (a crash of the machine, not of
    /// the process, may then lose the last ones); off again restores the
    /// watch's setting, each run flushed when committed.
    pub fn set_bulk_load(&self, on: bool) -> Result<()> {
        self.conn
            .pragma_update(None, "synchronous", if on { "OFF" } else { "FULL" })
            .map_err(self.sql())
    }

    /// One episode by id.
    pub fn episode(&self, id: i64) -> Result<Option<Episode>> {
        Ok(self
            .episodes_where("id = ?1", params![id])?
            .into_iter()
            .next())
    }

    /// Episodes that were open at or after `since` (all without it), oldest first.
    pub fn episodes(&self, since: Option<OffsetDateTime>) -> Result<Vec<Episode>> {
        let since = since.map(millis).unwrap_or(i64::MIN);
        self.episodes_where("closed_at IS NULL OR closed_at >= ?1", params![since])
    }

    /// Episodes whose evidence or notifications are still due (after a
    /// crash, the next watch finishes them).
    pub fn pending(&self) -> Result<Vec<Episode>> {
        self.episodes_where(
            "evidence_written_at IS NULL OR notified_open_at IS NULL
             OR (closed_run IS NOT NULL AND notified_close_at IS NULL)",
            [],
        )
    }

    fn episodes_where(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<Episode>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, kind, key, label, opened_run, opened_at, last_seen_run, closed_run,
                        closed_at, sites, evidence_dir, notified_open_at IS NOT NULL,
                        notified_close_at IS NOT NULL, evidence_written_at IS NOT NULL
                 FROM episodes WHERE {filter} ORDER BY id"
            ))
            .map_err(self.sql())?;
        let rows = stmt
            .query_map(args, |r| {
                let sites: String = r.get(9)?;
                Ok(Episode {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    key: r.get(2)?,
                    label: r.get(3)?,
                    opened_run: r.get(4)?,
                    opened_at: from_millis(r.get(5)?),
                    last_seen_run: r.get(6)?,
                    closed_run: r.get(7)?,
                    closed_at: r.get::<_, Option<i64>>(8)?.map(from_millis),
                    // A list that does not read back is an error, not "no sites".
                    sites: serde_json::from_str(&sites).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            9,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
                    evidence_dir: r.get(10)?,
                    notified_open: r.get(11)?,
                    notified_close: r.get(12)?,
                    evidence_written: r.get(13)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.sql())
    }

    /// Records that an episode's evidence was written (to `dir`, or
    /// nothing to write: `None`).
    pub fn mark_evidence(&self, id: i64, dir: Option<&str>) -> Result<()> {
        self.conn
            .execute(
                "UPDATE episodes SET evidence_dir = ?2, evidence_written_at = ?3 WHERE id = ?1",
                params![id, dir, millis(OffsetDateTime::now_utc())],
            )
            .map(drop)
            .map_err(self.sql())
    }

    /// Records that an episode's opening (or closing) notification was sent.
    pub fn mark_notified(&self, id: i64, closing: bool) -> Result<()> {
        let column = match closing {
            true => "notified_close_at",
            false => "notified_open_at",
        };
        self.conn
            .execute(
                &format!("UPDATE episodes SET {column} = ?2 WHERE id = ?1"),
                params![id, millis(OffsetDateTime::now_utc())],
            )
            .map(drop)
            .map_err(self.sql())
    }
}

/// Milliseconds since 1970, as stored.
pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The time of a stored millisecond count.
pub(crate) fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
