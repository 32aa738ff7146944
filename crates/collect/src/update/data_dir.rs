//! The user data directory: where `mitmwatch update` saves what it
//! downloads and where the analysis looks for it. `--data-dir DIR`, else
//! `$MITMWATCH_DATA_DIR`, else `$XDG_DATA_HOME/mitmwatch`, else
//! `~/.local/share/mitmwatch`.
//!
//! | file | written by `update` when | read by |
//! |---|---|---|
//! | `log_list.json` + `log_list.sig` | the signature verified with Google's key and the list is newer than the built-in one and the one saved before | the analysis, when newer than the built-in list |
//! | `intermediates.pem` | at least one certificate parsed | the intermediate pool (chain completion) |
//!
//! Files are replaced atomically (a temporary file in the same directory,
//! then a rename), so a failed download never leaves half a file.

use mitmwatch_core::ct::LogList;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "MITMWATCH_DATA_DIR";
/// The CT log list, as downloaded.
pub(crate) const LOG_LIST_FILE: &str = "log_list.json";
/// Its signature, as downloaded.
pub(crate) const LOG_LIST_SIG_FILE: &str = "log_list.sig";
/// Mozilla's intermediate CA certificates, PEM.
pub const INTERMEDIATES_FILE: &str = "intermediates.pem";

/// The data directory from the flag, else the environment (`env` looks up
/// a variable). `None` when no variable gives one (no `HOME`).
pub(crate) fn resolve_with(
    flag: Option<&Path>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Option<PathBuf> {
    if let Some(dir) = flag {
        return Some(dir.to_path_buf());
    }
    let set = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(DATA_DIR_ENV) {
        return Some(dir);
    }
    // The XDG base directory spec: relative values are to be ignored.
    if let Some(base) = set("XDG_DATA_HOME").filter(|p| p.is_absolute()) {
        return Some(base.join("mitmwatch"));
    }
    set("HOME").map(|home| home.join(".local/share/mitmwatch"))
}

/// `resolve_with` with the process environment.
pub fn resolve(flag: Option<&Path>) -> Option<PathBuf> {
    resolve_with(flag, |name| std::env::var_os(name))
}

/// Replaces `dir/name` with `contents` atomically; creates `dir` if needed.
pub(crate) fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}

/// What the data directory holds for the CT log list.
#[derive(Debug)]
pub(crate) enum SavedLogList {
    /// No `log_list.json`.
    Absent,
    /// A list that loads.
    Loaded(LogList),
    /// A file that cannot be read or is not a valid list: why.
    Refused(String),
}

/// Reads `dir/log_list.json`. Only `update` writes it, after checking its
/// signature; here it is checked again as a list (every log id against its
/// key), not as a signed file.
pub(crate) fn saved_log_list(dir: &Path) -> SavedLogList {
    let path = dir.join(LOG_LIST_FILE);
    let text = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return SavedLogList::Absent,
        Err(e) => return SavedLogList::Refused(format!("{}: {e}", path.display())),
        Ok(bytes) => bytes,
    };
    let name = path.display().to_string();
    let Ok(text) = String::from_utf8(text) else {
        return SavedLogList::Refused(format!("{name}: not UTF-8"));
    };
    match LogList::from_json(&text, &name) {
        Ok(list) => SavedLogList::Loaded(list),
        Err(e) => SavedLogList::Refused(e.to_string()),
    }
}

/// The list to use when none is given on the command line: the saved one
/// if it is newer than the built-in list, else the built-in list. The
/// second value is a warning for a saved file that was refused.
pub fn current_log_list(dir: Option<&Path>) -> (Option<LogList>, Option<String>) {
    let Some(dir) = dir else {
        return (None, None);
    };
    match saved_log_list(dir) {
        SavedLogList::Absent => (None, None),
        SavedLogList::Refused(why) => (
            None,
            Some(format!(
                "ignoring the saved CT log list: {why}; using the built-in list"
            )),
        ),
        SavedLogList::Loaded(list) if list.is_newer_than(&LogList::builtin()) => {
            (Some(list.with_history()), None)
        }
        SavedLogList::Loaded(_) => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_flag_then_the_variables_choose_the_directory() {
        let all = [
            (DATA_DIR_ENV, "/m"),
            ("XDG_DATA_HOME", "/x"),
            ("HOME", "/h"),
        ];
        let flag = Path::new("/f");
        assert_eq!(resolve_with(Some(flag), env(&all)), Some(flag.into()));
        assert_eq!(resolve_with(None, env(&all)), Some("/m".into()));
        assert_eq!(
            resolve_with(None, env(&all[1..])),
            Some("/x/mitmwatch".into())
        );
        assert_eq!(
            resolve_with(None, env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/h")])),
            Some("/h/.local/share/mitmwatch".into())
        );
        assert_eq!(
            resolve_with(None, env(&[(DATA_DIR_ENV, ""), ("HOME", "/h")])),
            Some("/h/.local/share/mitmwatch".into())
        );
        assert_eq!(resolve_with(None, env(&[])), None);
    }

    #[test]
    fn atomic_writes_replace_and_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("new");
        write_atomic(&sub, "a.txt", b"one").unwrap();
        write_atomic(&sub, "a.txt", b"two").unwrap();
        assert_eq!(std::fs::read(sub.join("a.txt")).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.txt"]);
    }

    #[test]
    fn a_saved_list_is_used_only_when_newer_and_valid() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(saved_log_list(dir.path()), SavedLogList::Absent));
        assert_eq!(current_log_list(Some(dir.path())).0, None);
        let mut newer = (*LogList::builtin()).clone();
        newer.version = "99.0".into();
        newer.timestamp += time::Duration::days(30);
        std::fs::write(dir.path().join(LOG_LIST_FILE), newer.to_json()).unwrap();
        let (used, warning) = current_log_list(Some(dir.path()));
        assert_eq!(used.unwrap().version, "99.0");
        assert_eq!(warning, None);
        let older = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ct/google-v3-54.12/log_list.json"
        );
        std::fs::copy(older, dir.path().join(LOG_LIST_FILE)).unwrap();
        assert!(matches!(
            saved_log_list(dir.path()),
            SavedLogList::Loaded(_)
        ));
        assert_eq!(current_log_list(Some(dir.path())), (None, None));
        std::fs::write(dir.path().join(LOG_LIST_FILE), "{\"version\": 1").unwrap();
        let (used, warning) = current_log_list(Some(dir.path()));
        assert!(used.is_none());
        assert!(warning.unwrap().contains("log_list.json"));
    }
}
