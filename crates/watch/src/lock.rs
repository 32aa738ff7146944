//! One measurement at a time per database: an exclusive `flock` on a lock
//! file beside it (`history.sqlite.lock`). The kernel releases it when the
//! process ends, however it ends (`kill -9` included), so a stale lock
//! cannot block the next watch. Readers (`history`) take no lock: SQLite's
//! WAL mode lets them read while a run is being written.

use crate::error::{Result, WatchError};
use std::path::{Path, PathBuf};

/// The lock file of the database at `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// A held measurement lock; dropping it releases the lock.
#[derive(Debug)]
pub struct MeasurementLock {
    #[cfg(unix)]
    _lock: nix::fcntl::Flock<std::fs::File>,
    #[cfg(not(unix))]
    _file: std::fs::File,
}

impl MeasurementLock {
    /// Takes the lock of the database at `db` if no other process holds
    /// it; `Ok(None)` when another one does.
    pub fn try_acquire(db: &Path) -> Result<Option<MeasurementLock>> {
        let path = lock_path(db);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| WatchError::Io {
                path: path.clone(),
                source,
            })?;
        acquire(file, &path)
    }
}

#[cfg(unix)]
fn acquire(file: std::fs::File, path: &Path) -> Result<Option<MeasurementLock>> {
    use nix::fcntl::{Flock, FlockArg};
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(MeasurementLock { _lock: lock })),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(WatchError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from(errno),
        }),
    }
}

/// Off Unix, the open file alone: no exclusion (documented).
#[cfg(not(unix))]
fn acquire(file: std::fs::File, _path: &Path) -> Result<Option<MeasurementLock>> {
    Ok(Some(MeasurementLock { _file: file }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("h.sqlite");
        let first = MeasurementLock::try_acquire(&db).unwrap();
        assert!(first.is_some());
        assert!(MeasurementLock::try_acquire(&db).unwrap().is_none());
        drop(first);
        assert!(MeasurementLock::try_acquire(&db).unwrap().is_some());
        assert!(lock_path(&db).ends_with("h.sqlite.lock"));
    }
}
