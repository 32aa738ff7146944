//! The database's schema, its version and its migrations, and the checks
//! that refuse a file that is not a sound mitmwatch history before
//! anything is written to it.
//!
//! The file says what it is twice: SQLite's `application_id` header field
//! holds [`APPLICATION_ID`] and `user_version` the schema version. A file
//! that is not SQLite, another program's database, a damaged one (SQLite's
//! `quick_check`) or one of a newer schema is refused and never written.
//!
//! Tables (schema 1):
//!
//! | table | one row per | notes |
//! |---|---|---|
//! | `meta` | setting | `created_by`, `created_at`, `first_roots` |
//! | `networks` | distinct network facts | interfaces, default route, resolvers (JSON), by digest |
//! | `runs` | measurement | times, network, outcome, counts, local roots |
//! | `sites` | target and path | host, port, SNI, and the proxy it was reached through (`''` direct) |
//! | `certs` | distinct certificate | its record (DER and parsed fields, JSON), by SHA-256 digest |
//! | `chains` | distinct served chain | its certificates' ids in the order served (JSON), by digest |
//! | `shapes` | distinct rest of an observation | the observation without chain and times (JSON), by digest |
//! | `judgements` | distinct judgement | status, verdict, interceptor, issuer, finding codes |
//! | `observations` | site of a run | times, and the ids of its shape, chain and judgement |
//! | `episodes` | episode | kind, key, opening and closing run, sites, evidence, notifications |
//!
//! Certificates, chains, shapes, judgements and networks repeat from run to
//! run; each is stored once and an observation row holds only small
//! integers, so a year of half-hourly runs of 63 sites stays small
//! (`docs/watch.md`, "Benchmark"). A box that mints a new leaf at every
//! run adds that leaf and a chain row, not its intermediates again.

use crate::error::{Result, WatchError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// SQLite `application_id` of a mitmwatch history: "MWhi" in ASCII.
pub const APPLICATION_ID: i64 = 0x4D57_6869;

/// The schema this build writes; older ones are migrated.
pub const SCHEMA_VERSION: i64 = 1;

/// Migrations: entry `i` takes a database from version `i` to `i + 1`
/// (entry 0 creates schema 1 in an empty database).
const MIGRATIONS: &[&str] = &[SCHEMA_1];

/// Schema 1.
const SCHEMA_1: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE networks (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    facts TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    network_id INTEGER REFERENCES networks(id),
    outcome TEXT NOT NULL,
    sites INTEGER NOT NULL,
    reached INTEGER NOT NULL,
    intercepted INTEGER NOT NULL,
    local_roots TEXT,
    resumed INTEGER NOT NULL DEFAULT 0,
    tool TEXT NOT NULL
);
CREATE INDEX runs_started_at ON runs(started_at);
CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    sni TEXT NOT NULL,
    via TEXT NOT NULL DEFAULT '',
    UNIQUE (host, port, sni, via)
);
CREATE TABLE certs (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
CREATE TABLE chains (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    certs TEXT NOT NULL
);
CREATE TABLE shapes (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
CREATE TABLE judgements (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    verdict TEXT NOT NULL,
    interceptor_id TEXT,
    interceptor_label TEXT,
    issuer TEXT,
    findings TEXT NOT NULL
);
CREATE TABLE observations (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    offset_ms INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    shape_id INTEGER NOT NULL REFERENCES shapes(id),
    chain_id INTEGER REFERENCES chains(id),
    judgement_id INTEGER NOT NULL REFERENCES judgements(id),
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE episodes (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    opened_run INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    last_seen_run INTEGER NOT NULL,
    closed_run INTEGER,
    closed_at INTEGER,
    quiet_runs INTEGER NOT NULL DEFAULT 0,
    sites TEXT NOT NULL,
    evidence_dir TEXT,
    evidence_written_at INTEGER,
    notified_open_at INTEGER,
    notified_close_at INTEGER
);
CREATE INDEX episodes_open ON episodes(closed_run);
";

/// The 16 bytes every SQLite 3 database starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// How the database is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// For `watch`: created if missing, migrated if older.
    ReadWrite,
    /// For `history` and `report --db`: must exist and be current or older
    /// (read as is: an older schema is read only if it is the current one).
    ReadOnly,
}

/// Opens (or, for [`Access::ReadWrite`], creates) the database at `path`
/// after checking that it is a sound mitmwatch history.
pub fn open(path: &Path, access: Access) -> Result<Connection> {
    let sql = |source| WatchError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let exists = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(WatchError::NotADatabase {
                path: path.to_path_buf(),
                reason: "a directory".into(),
            })
        }
        Ok(m) => m.len() > 0,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(WatchError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if !exists && access == Access::ReadOnly {
        return Err(WatchError::Missing {
            path: path.to_path_buf(),
        });
    }
    if exists {
        check_header(path)?;
    } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| WatchError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let flags = match access {
        Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    // Another process (a running watch) may hold the write lock briefly.
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(sql)?;
    if exists {
        check_contents(&conn, path)?;
    }
    if access == Access::ReadWrite {
        // Settings that write to the file come only after the checks.
        if !exists {
            // Space freed by `--keep` goes back to the file system
            // (`PRAGMA incremental_vacuum`); settable only before the first
            // table, and outside a transaction (a no-op if another watch
            // created the tables meanwhile).
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
                .map_err(sql)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        migrate(&conn, path)?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(sql)?;
    Ok(conn)
}

/// Refuses a file that does not start like an SQLite database.
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut n = 0;
            while n < head.len() {
                match f.read(&mut head[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            Ok(n)
        })
        .map_err(|source| WatchError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if read < head.len() || &head != SQLITE_MAGIC {
        return Err(WatchError::NotADatabase {
            path: path.to_path_buf(),
            reason: "it does not start with the SQLite 3 header".into(),
        });
    }
    Ok(())
}

/// Refuses another program's database, a damaged one, or a newer schema.
fn check_contents(conn: &Connection, path: &Path) -> Result<()> {
    let corrupt = |e: rusqlite::Error| WatchError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(corrupt)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(corrupt)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(corrupt)?;
    if app != APPLICATION_ID {
        // An SQLite file with nothing in it is an empty database.
        if !(app == 0 && version == 0 && tables == 0) {
            return Err(WatchError::Foreign {
                path: path.to_path_buf(),
                reason: format!("application id {app:#x}, {tables} schema entries"),
            });
        }
    }
    if version < 0 {
        // No mitmwatch writes a negative version: a damaged or forged header.
        return Err(WatchError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("schema version {version}"),
        });
    }
    let check: Vec<String> = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(corrupt)?;
    if check.as_slice() != ["ok"] {
        return Err(WatchError::Corrupt {
            path: path.to_path_buf(),
            reason: check.join("; "),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(WatchError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`], one migration per transaction.
/// The version is read inside the write transaction, so two watches
/// opening a new database at once migrate it once.
fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let sql = |source| WatchError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    loop {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(sql)?;
        let step = (|| {
            let version: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(sql)?;
            if version >= SCHEMA_VERSION {
                return Ok(false);
            }
            let Some(migration) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return Err(WatchError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("schema version {version}"),
                });
            };
            conn.execute_batch(migration).map_err(sql)?;
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
                version + 1
            ))
            .map_err(sql)?;
            Ok(true)
        })();
        match step {
            Ok(more) => {
                conn.execute_batch("COMMIT").map_err(sql)?;
                if !more {
                    return Ok(());
                }
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_gets_the_current_schema_and_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/h.sqlite");
        let conn = open(&path, Access::ReadWrite).unwrap();
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let vacuum: i64 = conn
            .pragma_query_value(None, "auto_vacuum", |r| r.get(0))
            .unwrap();
        assert_eq!(
            (app, version, mode.as_str(), vacuum),
            (APPLICATION_ID, 1, "wal", 2)
        );
        drop(conn);
        // Opened again: accepted as is.
        open(&path, Access::ReadWrite).unwrap();
        open(&path, Access::ReadOnly).unwrap();
    }

    #[test]
    fn foreign_newer_and_non_databases_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database at all, but long enough").unwrap();
        let err = open(&text, Access::ReadWrite).unwrap_err();
        assert!(matches!(err, WatchError::NotADatabase { .. }), "{err}");
        assert_eq!(
            std::fs::read(&text).unwrap(),
            b"not a database at all, but long enough"
        );

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let before = std::fs::read(&other).unwrap();
        let err = open(&other, Access::ReadWrite).unwrap_err();
        assert!(matches!(err, WatchError::Foreign { .. }), "{err}");
        assert_eq!(std::fs::read(&other).unwrap(), before);

        let newer = dir.path().join("newer.sqlite");
        drop(open(&newer, Access::ReadWrite).unwrap());
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = open(&newer, Access::ReadWrite).unwrap_err();
        assert!(
            matches!(err, WatchError::NewerSchema { found: 99, .. }),
            "{err}"
        );

        let negative = dir.path().join("negative.sqlite");
        drop(open(&negative, Access::ReadWrite).unwrap());
        Connection::open(&negative)
            .unwrap()
            .pragma_update(None, "user_version", -1)
            .unwrap();
        let before = std::fs::read(&negative).unwrap();
        for access in [Access::ReadWrite, Access::ReadOnly] {
            let err = open(&negative, access).unwrap_err();
            assert!(matches!(err, WatchError::Corrupt { .. }), "{err}");
            assert!(err.to_string().contains("schema version -1"), "{err}");
        }
        assert_eq!(std::fs::read(&negative).unwrap(), before);

        let missing = dir.path().join("missing.sqlite");
        let err = open(&missing, Access::ReadOnly).unwrap_err();
        assert!(matches!(err, WatchError::Missing { .. }), "{err}");
        assert!(!missing.exists());
    }
}
