//! `mitmwatch update`: downloads current data into the user data directory
//! ([`data_dir`]), checks it, and replaces a file only when the new one
//! passed every check. Each source succeeds or fails on its own; a failure
//! leaves the file saved before untouched.
//!
//! - Chrome's CT log list: `log_list.json` and `log_list.sig`. The
//!   signature must verify with Google's key (`mitmwatch_core::ct::signed`), the
//!   list must load like the built-in one (every log id the hash of its
//!   key), and it must be newer than both the built-in list and the list
//!   saved before, so that a stale or replayed list never replaces a newer
//!   one.
//! - Mozilla's intermediate CA certificates (`intermediates`).
//! - Static pins: no public source publishes them signed, or in a form
//!   that `certs/pins.json` can take, so they are not downloaded.
//!
//! Downloads are bounded in size, time and redirects ([`fetch`]).

pub mod data_dir;
pub mod fetch;
pub(crate) mod intermediates;

use data_dir::{SavedLogList, INTERMEDIATES_FILE, LOG_LIST_FILE, LOG_LIST_SIG_FILE};
use fetch::Fetcher;
use mitmwatch_core::ct::{ListSigningKey, LogList};
use std::path::Path;

/// Chrome's CT log list.
pub(crate) const CHROME_LOG_LIST_URL: &str = "https://www.gstatic.com/ct/log_list/v3/log_list.json";
/// Its signature.
pub(crate) const CHROME_LOG_LIST_SIG_URL: &str =
    "https://www.gstatic.com/ct/log_list/v3/log_list.sig";
/// Mozilla's intermediate certificates (CCADB report, CSV with a PEM column).
pub(crate) const MOZILLA_INTERMEDIATES_URL: &str =
    "https://ccadb.my.salesforce-sites.com/mozilla/MozillaIntermediateCertsCSVReport";

/// Size caps per file (the real files are about 45 KiB, 512 bytes and 10 MiB).
pub(crate) const MAX_LOG_LIST_BYTES: u64 = 10 << 20;
/// Cap for `log_list.sig`.
pub(crate) const MAX_SIG_BYTES: u64 = 64 << 10;
/// Cap for the intermediates.
pub(crate) const MAX_INTERMEDIATES_BYTES: u64 = 40 << 20;

/// Where each file is downloaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    /// `log_list.json`.
    pub ct_log_list: String,
    /// `log_list.sig`.
    pub ct_log_list_sig: String,
    /// Mozilla's intermediates.
    pub intermediates: String,
}

impl Sources {
    /// Google's and the CCADB's own URLs.
    pub fn official() -> Self {
        Sources {
            ct_log_list: CHROME_LOG_LIST_URL.into(),
            ct_log_list_sig: CHROME_LOG_LIST_SIG_URL.into(),
            intermediates: MOZILLA_INTERMEDIATES_URL.into(),
        }
    }

    /// A mirror holding `log_list.json`, `log_list.sig` and
    /// `intermediates.pem` under `base`.
    pub fn under(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Sources {
            ct_log_list: format!("{base}/{LOG_LIST_FILE}"),
            ct_log_list_sig: format!("{base}/{LOG_LIST_SIG_FILE}"),
            intermediates: format!("{base}/{INTERMEDIATES_FILE}"),
        }
    }
}

/// What happened to one source. In JSON, `state` (`updated`,
/// `unchanged`, `skipped`, `failed`) and `detail`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "kebab-case")]
pub(crate) enum Outcome {
    /// A new file was saved.
    Updated(String),
    /// Nothing to save: the data is not newer, or the same.
    Unchanged(String),
    /// Not attempted, and why.
    Skipped(String),
    /// The download or a check failed; the previous file is untouched.
    Failed(String),
}

/// One line of `update`'s output (one object of `sources` in its JSON).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SourceReport {
    /// `ct-log-list`, `intermediates` or `pins`.
    pub(crate) source: &'static str,
    /// What happened.
    #[serde(flatten)]
    pub(crate) outcome: Outcome,
}

/// Version of `update --format json`.
pub const UPDATE_SCHEMA: u32 = 1;

/// `update --format json`: the data directory and what happened to each
/// source, one document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UpdateRecord {
    /// Always `update`.
    #[serde(rename = "type")]
    pub record_type: &'static str,
    /// [`UPDATE_SCHEMA`].
    pub schema: u32,
    /// The data directory written to.
    pub data_dir: String,
    /// One entry per source, in the order of the text output.
    pub sources: Vec<SourceReport>,
}

impl SourceReport {
    /// Whether this source failed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }

    /// `SOURCE  STATE: detail`. The detail may hold text from the network:
    /// escape it before printing to a terminal.
    pub fn line(&self) -> String {
        let (state, detail) = match &self.outcome {
            Outcome::Updated(d) => ("updated", d),
            Outcome::Unchanged(d) => ("unchanged", d),
            Outcome::Skipped(d) => ("skipped", d),
            Outcome::Failed(d) => ("FAILED", d),
        };
        format!("{:<14} {state}: {detail}", self.source)
    }
}

/// Updates every source into `dir`. `key` checks the log list's signature
/// (Google's, unless a mirror signs with its own).
pub fn update(
    dir: &Path,
    sources: &Sources,
    fetcher: &Fetcher,
    key: &ListSigningKey,
) -> Vec<SourceReport> {
    vec![
        SourceReport {
            source: "ct-log-list",
            outcome: update_log_list(dir, sources, fetcher, key),
        },
        SourceReport {
            source: "intermediates",
            outcome: update_intermediates(dir, &sources.intermediates, fetcher),
        },
        SourceReport {
            source: "pins",
            outcome: Outcome::Skipped(
                "no public source publishes static pins signed, or in the form of \
                 certs/pins.json; the built-in pins are used"
                    .into(),
            ),
        },
    ]
}

fn describe(list: &LogList) -> String {
    format!(
        "version {} of {}",
        list.version,
        mitmwatch_core::certinfo::rfc3339(list.timestamp)
    )
}

fn update_log_list(
    dir: &Path,
    sources: &Sources,
    fetcher: &Fetcher,
    key: &ListSigningKey,
) -> Outcome {
    let json = match fetcher.get(&sources.ct_log_list, MAX_LOG_LIST_BYTES) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let sig = match fetcher.get(&sources.ct_log_list_sig, MAX_SIG_BYTES) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    if let Err(e) = key.verify(&json, &sig) {
        return Outcome::Failed(format!("{}: {e}", sources.ct_log_list));
    }
    let list = match std::str::from_utf8(&json) {
        Err(e) => return Outcome::Failed(format!("{}: not UTF-8: {e}", sources.ct_log_list)),
        Ok(text) => match LogList::from_json(text, &sources.ct_log_list) {
            Ok(list) => list,
            Err(e) => return Outcome::Failed(e.to_string()),
        },
    };
    let builtin = LogList::builtin();
    if !list.is_newer_than(&builtin) {
        return Outcome::Unchanged(format!(
            "the download ({}) is not newer than the built-in list ({}); nothing saved",
            describe(&list),
            describe(&builtin)
        ));
    }
    if let SavedLogList::Loaded(saved) = data_dir::saved_log_list(dir) {
        if std::fs::read(dir.join(LOG_LIST_FILE)).is_ok_and(|b| b == json) {
            return Outcome::Unchanged(format!("{}, already saved", describe(&list)));
        }
        if !list.is_newer_than(&saved) {
            return Outcome::Unchanged(format!(
                "the download ({}) is not newer than the saved list ({}); nothing saved",
                describe(&list),
                describe(&saved)
            ));
        }
    }
    let written = data_dir::write_atomic(dir, LOG_LIST_SIG_FILE, &sig)
        .and_then(|()| data_dir::write_atomic(dir, LOG_LIST_FILE, &json));
    match written {
        Err(e) => Outcome::Failed(format!(
            "writing {}: {e}",
            dir.join(LOG_LIST_FILE).display()
        )),
        Ok(()) => Outcome::Updated(format!(
            "{}, {}; signature verified with {}; saved as {}",
            describe(&list),
            mitmwatch_core::plural::count(list.logs.len(), "log", "logs"),
            key.label(),
            dir.join(LOG_LIST_FILE).display()
        )),
    }
}

fn update_intermediates(dir: &Path, url: &str, fetcher: &Fetcher) -> Outcome {
    let body = match fetcher.get(url, MAX_INTERMEDIATES_BYTES) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let found = match intermediates::bundle(&body) {
        Ok(found) => found,
        Err(e) => return Outcome::Failed(format!("{url}: {e}")),
    };
    let skipped = match &found.first_skipped {
        None => String::new(),
        Some((block, why)) => format!(
            " ({} skipped; block {block}: {why})",
            mitmwatch_core::plural::count(found.skipped, "unreadable block", "unreadable blocks")
        ),
    };
    let path = dir.join(INTERMEDIATES_FILE);
    if std::fs::read(&path).is_ok_and(|b| b == found.pem.as_bytes()) {
        return Outcome::Unchanged(format!(
            "{}, already saved{skipped}",
            mitmwatch_core::plural::count(found.count, "certificate", "certificates")
        ));
    }
    match data_dir::write_atomic(dir, INTERMEDIATES_FILE, found.pem.as_bytes()) {
        Err(e) => Outcome::Failed(format!("writing {}: {e}", path.display())),
        Ok(()) => Outcome::Updated(format!(
            "{}{skipped}; saved as {}",
            mitmwatch_core::plural::count(found.count, "certificate", "certificates"),
            path.display()
        )),
    }
}
