//! What can go wrong with a history database, with the path and the
//! reason a reader needs to act.

use std::path::PathBuf;

/// An error of the history database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The file exists and is not an SQLite database at all.
    #[error("{path}: not a mitmwatch history database ({reason}); it was left untouched")]
    NotADatabase {
        /// The database file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// An SQLite database of another program (its application id or
    /// tables are not mitmwatch's).
    #[error("{path}: an SQLite database of another program ({reason}), not a mitmwatch history; it was left untouched")]
    Foreign {
        /// The database file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// A mitmwatch database that fails SQLite's integrity check.
    #[error("{path}: the history database is damaged ({reason}); it was left untouched: move it aside to start a new one, or try `sqlite3 {path} .recover`")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// SQLite's words.
        reason: String,
    },
    /// Written by a newer mitmwatch, with a schema this one cannot read.
    #[error("{path}: history schema {found} is newer than this mitmwatch reads ({supported}): use a newer mitmwatch")]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The schema version in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A read-only opening of a database that does not exist.
    #[error("{path}: no history database there (run `mitmwatch watch --db {path}` first)")]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// Stored data that does not parse back (a bug, or a hand-edited file).
    #[error("{path}: stored {what} does not read back: {reason}")]
    BadRecord {
        /// The database file.
        path: PathBuf,
        /// Which kind of record.
        what: &'static str,
        /// The parser's words.
        reason: String,
    },
    /// The observations and their assessments do not match one to one.
    #[error("a run's observations and assessments do not match ({0})")]
    Mismatch(String),
    /// An SQLite error while reading or writing.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A file-system error (the lock file, the database's directory).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, WatchError>;
