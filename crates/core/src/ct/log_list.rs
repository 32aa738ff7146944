//! The CT log list in Chrome's v3 format (`log_list.json`): which logs
//! exist, their keys, who operates them, what state they are in and which
//! certificates (by expiry) they accept. The built-in list is
//! `certs/ct/log_list.json` (source and date in `certs/ct/README.md`);
//! `--ct-log-list FILE` loads a newer one (`ct/v3.rs` reads and writes
//! the JSON). Loading is pure: the caller reads the file.

use super::signature::{LogKey, LogKeyError};
use crate::encoding::{base64_encode, sha256};
use std::sync::{Arc, OnceLock};
use time::OffsetDateTime;

/// `certs/ct/log_list.json`.
pub const BUILTIN_JSON: &str = include_str!("../../../../certs/ct/log_list.json");

/// `certs/ct/all_logs_list.json`: Chrome's list of every log it has known,
/// rejected and retired ones included (version 54.12, signed by Google:
/// `certs/ct/all_logs_list.sig`). It supplies the keys of logs that have
/// left the current list, so that old certificates' SCTs can still be
/// verified.
pub(crate) const HISTORY_JSON: &str = include_str!("../../../../certs/ct/all_logs_list.json");

/// A log's state in the list (Chrome's log lifecycle). The names in the
/// JSON (`readonly` …) are derived once, for serde and strum alike.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Deserialize,
    serde::Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum StateKind {
    /// Applied for inclusion; its SCTs do not count.
    Pending,
    /// Being monitored; its SCTs count.
    Qualified,
    /// Fully trusted; its SCTs count.
    Usable,
    /// Frozen (no new entries) but trusted; its SCTs count.
    ReadOnly,
    /// No longer trusted; SCTs made before the retirement still count.
    Retired,
    /// Never trusted; its SCTs do not count.
    Rejected,
}

impl StateKind {
    /// The state named `key` in the JSON, if it is one.
    pub(super) fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    /// The key used in the JSON.
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A state and since when the log has been in it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogState {
    /// Which state.
    pub kind: StateKind,
    /// Since when.
    pub since: OffsetDateTime,
    /// For `readonly`: the frozen tree head.
    pub final_tree_head: Option<TreeHead>,
}

/// The last tree head of a `readonly` log, as the list gives it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct TreeHead {
    /// The root hash, base64.
    pub sha256_root_hash: String,
    /// The number of entries.
    pub tree_size: u64,
}

/// One log.
#[derive(Clone, Debug, PartialEq)]
pub struct CtLog {
    /// SHA-256 of `key_der` (checked on load).
    pub id: [u8; 32],
    /// The DER SubjectPublicKeyInfo.
    pub key_der: Vec<u8>,
    /// The key, ready for verification, or why it cannot be used.
    pub key: Result<LogKey, LogKeyError>,
    /// E.g. `Cloudflare 'Nimbus2026'`.
    pub description: String,
    /// The operator's name (an entry of the list's `operators`).
    pub operator: String,
    /// The operator's contact addresses.
    pub operator_email: Vec<String>,
    /// Earlier operators with the end of their tenure, oldest first.
    pub(crate) previous_operators: Vec<(String, OffsetDateTime)>,
    /// `url` (RFC 6962 logs) or `submission_url` (static-ct-api logs).
    pub url: String,
    /// `monitoring_url` of a static-ct-api log.
    pub(crate) monitoring_url: Option<String>,
    /// Maximum merge delay, seconds.
    pub(crate) mmd: Option<u64>,
    /// The state, if the list gives one.
    pub state: Option<LogState>,
    /// Certificates accepted by expiry: `[start, end)`.
    pub temporal_interval: Option<(OffsetDateTime, OffsetDateTime)>,
    /// A static-ct-api ("tiled") log rather than an RFC 6962 log.
    pub tiled: bool,
    /// `log_type` as given (`test`, `prod`), if any.
    pub(crate) log_type: Option<String>,
}

impl CtLog {
    /// A log with `key_der`, its id computed from the key.
    pub fn new(description: &str, operator: &str, key_der: Vec<u8>, url: &str) -> Self {
        CtLog {
            id: sha256(&key_der),
            key: LogKey::from_spki(&key_der),
            key_der,
            description: description.into(),
            operator: operator.into(),
            operator_email: Vec::new(),
            previous_operators: Vec::new(),
            url: url.into(),
            monitoring_url: None,
            mmd: Some(86_400),
            state: None,
            temporal_interval: None,
            tiled: false,
            log_type: None,
        }
    }

    /// The operator at `when` (taking `previous_operators` into account).
    pub(crate) fn operator_at(&self, when: OffsetDateTime) -> &str {
        self.previous_operators
            .iter()
            .find(|(_, end)| when < *end)
            .map_or(self.operator.as_str(), |(name, _)| name.as_str())
    }

    /// Operated by Google (loglist3's test: the Google CT group address).
    pub(crate) fn google_operated(&self) -> bool {
        self.operator_email
            .iter()
            .any(|e| e.contains("google-ct-logs@googlegroups"))
    }

    /// The log id in base64, as log lists and tools show it.
    pub fn id_base64(&self) -> String {
        base64_encode(&self.id)
    }
}

/// A log list.
#[derive(Clone, Debug, PartialEq)]
pub struct LogList {
    /// The list's `version`.
    pub version: String,
    /// The list's `log_list_timestamp`.
    pub timestamp: OffsetDateTime,
    /// Where it came from (file name, or the built-in list).
    pub source: String,
    /// Every log, in list order.
    pub logs: Vec<CtLog>,
    /// Logs added from another list (see `LogList::with_history`), in words.
    pub supplement: Option<String>,
}

/// Why a log list was refused.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {detail}")]
pub struct LogListError {
    /// File name or label.
    pub(crate) source_name: String,
    /// What was wrong.
    pub(crate) detail: String,
}

impl LogList {
    /// The list shipped in `certs/ct/` (Chrome's, see `certs/ct/README.md`).
    pub fn builtin() -> Arc<LogList> {
        static BUILTIN: OnceLock<Arc<LogList>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Arc::new(
                    LogList::from_json(BUILTIN_JSON, "built-in certs/ct/log_list.json")
                        .expect("certs/ct/log_list.json is valid (checked by the unit tests)")
                        .with_history(),
                )
            })
            .clone()
    }

    /// Adds the logs of Chrome's all-logs list (`certs/ct/all_logs_list.json`)
    /// that this list lacks, with their states there (often `rejected` or
    /// `retired`: they verify SCTs but never count for a CT policy). The
    /// list keeps its own version and date.
    pub fn with_history(mut self) -> Self {
        static HISTORY: OnceLock<Option<LogList>> = OnceLock::new();
        let history = HISTORY.get_or_init(|| {
            LogList::from_json(HISTORY_JSON, "built-in certs/ct/all_logs_list.json").ok()
        });
        if let Some(history) = history {
            let before = self.logs.len();
            for log in &history.logs {
                if self.find(&log.id).is_none() {
                    self.logs.push(log.clone());
                }
            }
            let added = self.logs.len() - before;
            if added > 0 {
                self.supplement = Some(format!(
                    "{added} older logs from Chrome's all-logs list (certs/ct/all_logs_list.json, version {})",
                    history.version
                ));
            }
        }
        self
    }

    /// The log with this id.
    pub(crate) fn find(&self, id: &[u8; 32]) -> Option<&CtLog> {
        self.logs.iter().find(|l| &l.id == id)
    }

    /// Whether this list is later than `other`: a later
    /// `log_list_timestamp`, and a `version` that is not lower (versions
    /// compare as dot-separated numbers, `82.1` < `82.10` < `83.0`).
    pub fn is_newer_than(&self, other: &LogList) -> bool {
        fn numbers(v: &str) -> Option<Vec<u64>> {
            v.split('.').map(|p| p.parse().ok()).collect()
        }
        let version_ok = match (numbers(&self.version), numbers(&other.version)) {
            (Some(a), Some(b)) => a >= b,
            _ => true,
        };
        self.timestamp > other.timestamp && version_ok
    }

    /// One line naming the list: source, version and date.
    pub(crate) fn describe(&self) -> String {
        let mut text = format!(
            "{} (version {}, {})",
            self.source,
            self.version,
            crate::encoding::rfc3339(self.timestamp)
        );
        if let Some(more) = &self.supplement {
            text.push_str(&format!(", plus {more}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_is_google_signed_and_fills_in_older_logs() {
        crate::ct::signed::ListSigningKey::google()
            .verify(
                HISTORY_JSON.as_bytes(),
                include_bytes!("../../../../certs/ct/all_logs_list.sig"),
            )
            .unwrap();
        let current = LogList::from_json(BUILTIN_JSON, "current").unwrap();
        let builtin = LogList::builtin();
        assert_eq!(builtin.version, current.version);
        assert!(
            builtin.logs.len() > current.logs.len() + 100,
            "{}",
            builtin.logs.len()
        );
        assert!(
            builtin.describe().contains("older logs"),
            "{}",
            builtin.describe()
        );
        // Google Argon2023, whose SCTs sit in 2022 certificates, is known
        // again, as Chrome's all-logs list has it: rejected.
        let id: [u8; 32] =
            crate::encoding::base64_decode("6D7Q2j71BjUy51covIlryQPTy9ERa+zraeF3fW0GvW4=")
                .unwrap()
                .try_into()
                .unwrap();
        let argon = builtin.find(&id).expect("Argon2023");
        assert_eq!(argon.description, "Google 'Argon2023' log");
        assert!(current.find(&id).is_none());
    }

    #[test]
    fn the_builtin_list_loads_and_every_id_is_its_key_hash() {
        let list = LogList::from_json(BUILTIN_JSON, "built-in certs/ct/log_list.json").unwrap();
        assert_eq!(list.version, "82.1");
        assert_eq!(
            crate::encoding::rfc3339(list.timestamp),
            "2026-01-24T12:53:55Z"
        );
        assert_eq!(list.logs.len(), 61);
        assert_eq!(list.logs.iter().filter(|l| l.tiled).count(), 21);
        assert!(list.logs.iter().all(|l| l.key.is_ok() && l.state.is_some()));
        let id: [u8; 32] =
            crate::encoding::base64_decode("yzj3FYl8hKFEX1vB3fvJbvKaWc1HCmkFhbDLFMMUWOc=")
                .unwrap()
                .try_into()
                .unwrap();
        let nimbus = list.find(&id).unwrap();
        assert_eq!(nimbus.description, "Cloudflare 'Nimbus2026'");
        assert_eq!(nimbus.operator, "Cloudflare");
        assert_eq!(nimbus.state.as_ref().unwrap().kind, StateKind::Usable);
        assert!(!nimbus.google_operated());
        assert!(list.logs[0].google_operated());
        let by_name = |name: &str| list.logs.iter().find(|l| l.description == name).unwrap();
        let sabre = by_name("Sectigo 'Sabre2025h2'");
        assert_eq!(sabre.state.as_ref().unwrap().kind, StateKind::ReadOnly);
        assert!(sabre.state.as_ref().unwrap().final_tree_head.is_some());
        // Retired logs stay in the list: their SCTs still prove logging.
        let yeti = by_name("DigiCert Yeti2025 Log");
        assert_eq!(yeti.state.as_ref().unwrap().kind, StateKind::Retired);
        assert!(yeti.key.is_ok());
        let retired = list
            .logs
            .iter()
            .filter(|l| l.state.as_ref().unwrap().kind == StateKind::Retired)
            .count();
        assert_eq!(retired, 4);
        // Static-ct-api logs: submission and monitoring URLs, not `url`.
        let willow = by_name("Let's Encrypt 'Willow2026h1'");
        assert!(willow.tiled && willow.key.is_ok());
        assert_eq!(willow.url, "https://log.willow.ct.letsencrypt.org/2026h1/");
        assert_eq!(
            willow.monitoring_url.as_deref(),
            Some("https://mon.willow.ct.letsencrypt.org/2026h1/")
        );
        assert_eq!(willow.mmd, Some(60));
    }

    #[test]
    fn newer_means_a_later_date_and_no_lower_version() {
        let base = (*LogList::builtin()).clone();
        let mut later = base.clone();
        later.timestamp += time::Duration::hours(1);
        assert!(later.is_newer_than(&base) && !base.is_newer_than(&later));
        assert!(!base.is_newer_than(&base));
        later.version = "82.10".into();
        assert!(later.is_newer_than(&base));
        later.version = "9.1".into();
        assert!(
            !later.is_newer_than(&base),
            "a lower version with a later date"
        );
    }

    #[test]
    fn previous_operators_decide_who_ran_a_log_when() {
        let mut log = LogList::builtin().logs[0].clone();
        let change = time::macros::datetime!(2025-01-01 0:00 UTC);
        log.previous_operators = vec![("Old Co".into(), change)];
        assert_eq!(
            log.operator_at(change - time::Duration::seconds(1)),
            "Old Co"
        );
        assert_eq!(log.operator_at(change), "Google");
    }
}
