//! How a report was made ([`Provenance`]): the input files with their
//! SHA-256, the span of the observation times, the validation time asked
//! for, the analysis data in force and the input lines that were skipped.
//! A report on a file with corrupt lines must say so where its reader
//! looks, not only on stderr.

use crate::model::DataUsed;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The program name and version written into every record.
pub fn tool_name() -> String {
    format!("mitmwatch {}", env!("CARGO_PKG_VERSION"))
}

/// One input file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    /// The name as given (`-` for stdin).
    pub name: String,
    /// SHA-256 of the bytes read, lowercase hex.
    pub sha256: String,
    /// Bytes read.
    pub bytes: u64,
}

/// One skipped input line: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped (text from the input may appear: escape it).
    pub message: String,
}

/// How a report was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The inputs read.
    pub inputs: Vec<InputFile>,
    /// The earliest observation time; null without observations.
    #[serde(with = "time::serde::rfc3339::option")]
    pub observed_from: Option<OffsetDateTime>,
    /// The latest observation time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub observed_until: Option<OffsetDateTime>,
    /// `--at` as given: an RFC 3339 time, `now` or `observed`.
    pub at: String,
    /// The analysis data in force (CT log list, pins, catalog, trust store).
    pub data: DataUsed,
    /// Input lines that held no observation.
    pub skipped_lines: usize,
    /// The first few of them (at most `Provenance::SHOWN_SKIPPED`).
    pub first_skipped: Vec<SkippedLine>,
}

impl Provenance {
    /// How many skipped lines are listed by position.
    pub(crate) const SHOWN_SKIPPED: usize = 20;
}
