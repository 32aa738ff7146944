//! Judging a scan: the one way every subcommand turns observations into
//! assessments (`analyze`, `report`, `evidence`, `check`, `inspect`,
//! `store --scan`, `probe`, `scan --analyze`).
//!
//! A [`Judge`] takes an [`Input`] (a mitmwatch observation file or stream,
//! OONI measurements, a PEM directory, or observations in memory), the
//! analyzer built from the analysis data, the validation time and a number
//! of threads. It judges the observations on those threads as they are
//! read, keeps the results in input order in a temporary file
//! ([`JudgedScan`]), applies the scan-level check (`leaf-key-reuse`) once
//! everything is read, and counts what could not be judged
//! ([`InputCounts`]). Memory holds no observation or assessment beyond
//! those being judged: it grows only by a small index entry per
//! observation (offset, verdict, host) and one entry per distinct leaf key
//! for the scan-level check.
//!
//! Two policies hold for every caller:
//!
//! - **Panics.** Should the analyzer panic on one observation (a bug: it is
//!   fuzzed not to), that observation becomes a bad record naming the
//!   input and line; the other observations are judged, and the run goes on.
//! - **Bad lines.** Input is read with the bounded line reader
//!   (`crate::lines`); a record that holds nothing to judge is skipped,
//!   the first [`SHOWN_BAD_LINES`] of an input are shown through a
//!   [`Notice`] and all are counted.
//!
//! A live scan that writes each assessment as it goes (`scan --analyze`)
//! judges with [`Judge::assess_one`], under the same panic policy, and
//! without the scan-level check, which needs the whole scan.

mod bad_lines;
mod digest;
pub mod facts;
mod in_order;
mod input;
mod refuse;
mod spool;

pub use bad_lines::{BadLines, BadRecord, InputCounts, Notice, SHOWN_BAD_LINES};
pub use digest::{HashingRead, InputDigest};
pub use in_order::default_jobs;
pub use input::{Input, ObservationFile, OoniFile};
pub use spool::{Entry, Judged, JudgedScan};

use crate::analyze::{Analyzer, LeafNames, ValidationTime};
use crate::import::ooni;
use crate::model::{Assessment, Observation};
use crate::observation_file::{RawLine, READ_ERROR};
use in_order::in_order;
use spool::{JudgedRecord, Spool};
use std::panic::AssertUnwindSafe;

/// Why a scan could not be judged. Records that cannot be judged are not
/// errors: they are counted in [`InputCounts`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JudgeError {
    /// A directory where a file of observations was expected.
    #[error("{input} is a directory, not a file of observations")]
    Directory {
        /// The path given.
        input: String,
    },
    /// `--from pem-dir` given something that is not a directory.
    #[error("{input}: --from pem-dir needs a directory of PEM files")]
    NotADirectory {
        /// The path given.
        input: String,
    },
    /// The input could not be opened.
    #[error("opening {input}")]
    Open {
        /// The path given.
        input: String,
        /// Why.
        source: std::io::Error,
    },
    /// The start of the input could not be read.
    #[error("reading {input}")]
    Read {
        /// The path given.
        input: String,
        /// Why.
        source: std::io::Error,
    },
    /// The input could not be read to its end.
    #[error("reading {input}: {message}")]
    Unreadable {
        /// The path given.
        input: String,
        /// What went wrong, and at which line.
        message: String,
    },
    /// The input holds assessments (the output of `scan --analyze` or
    /// `analyze --format json`), not observations.
    #[error(
        "{input} holds assessments, not observations: give the scan's observations \
         (the output of `mitmwatch scan` without --analyze, or `check --save`)"
    )]
    HoldsAssessments {
        /// The path given.
        input: String,
    },
    /// The input holds `probe` records, not observations.
    #[error("{input} holds `probe` records, not observations: give the file `probe --save` wrote")]
    HoldsProbeRecords {
        /// The path given.
        input: String,
    },
    /// A PEM directory that could not be listed.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// The temporary file of assessments failed.
    #[error("{action} the temporary file of assessments")]
    Spool {
        /// `creating`, `writing` or `reading back`.
        action: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A record of the temporary file did not read back.
    #[error("reading back the temporary file of assessments")]
    SpoolDecode(#[source] serde_json::Error),
    /// An observation asked for was not kept ([`Judge::keep_observations`]).
    #[error("an observation missing from the temporary file")]
    MissingObservation,
}

impl JudgeError {
    fn spool(action: &'static str, source: std::io::Error) -> Self {
        JudgeError::Spool { action, source }
    }
}

/// What one record of the input gave.
enum Outcome {
    Judged(Box<JudgedRecord>),
    Bad(BadRecord),
    /// An OONI measurement without a TLS handshake.
    WithoutTls,
}

/// Judges scans: the analyzer, the validation time, the number of threads
/// and whether observations are kept beside their assessments.
pub struct Judge<'a> {
    analyzer: &'a Analyzer,
    when: ValidationTime,
    /// Threads to judge on; `None`: one per core.
    jobs: Option<usize>,
    keep_observations: bool,
    /// The analyzer's judgement of one observation (a test replaces it
    /// with one that panics).
    assess: Assess,
}

/// How one observation is judged: assessment and leaf names.
type Assess = fn(&Analyzer, &Observation, ValidationTime) -> (Assessment, LeafNames);

/// What a panic said, if it said it as text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// Runs `f`; a panic becomes a bad record naming `input` and `line`.
fn caught<T>(input: &str, line: usize, f: impl FnOnce() -> T) -> Result<T, BadRecord> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|panic| BadRecord {
        input: input.to_string(),
        line: Some(line),
        message: format!(
            "mitmwatch failed to judge this observation ({}); this is a bug, please report it",
            panic_text(&*panic)
        ),
    })
}

/// What the calling thread keeps while results come in.
struct Collecting<'n> {
    spool: Spool,
    tally: BadLines,
    /// A read error of a mitmwatch file, which ends the run.
    read_error: Option<BadRecord>,
    notify: &'n mut dyn FnMut(bad_lines::Notice<'_>),
}

impl Collecting<'_> {
    fn take(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Judged(record) => {
                self.tally.observation();
                self.spool.add(*record);
            }
            Outcome::Bad(record) => self.tally.bad(record, self.notify),
            Outcome::WithoutTls => self.tally.without_tls(),
        }
    }
}

impl<'a> Judge<'a> {
    /// Judges with `analyzer` at `when`, on one thread per core (unless
    /// [`Judge::jobs`] says otherwise), without keeping observations.
    pub fn new(analyzer: &'a Analyzer, when: ValidationTime) -> Self {
        Judge {
            analyzer,
            when,
            jobs: None,
            keep_observations: false,
            assess: Analyzer::assess_with_leaf_names,
        }
    }

    /// Judges on `jobs` threads (1: on the calling thread alone).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = Some(jobs.max(1));
        self
    }

    /// Keeps each observation beside its assessment, for reports that show
    /// chains ([`JudgedScan::read`]).
    pub fn keep_observations(mut self, keep: bool) -> Self {
        self.keep_observations = keep;
        self
    }

    /// Judges one observation on its own (no scan-level check), for a live
    /// scan that writes each assessment as it goes. `input` and `position`
    /// name it should the analyzer panic.
    pub fn assess_one(
        &self,
        obs: &Observation,
        input: &str,
        position: usize,
    ) -> Result<Assessment, BadRecord> {
        caught(input, position, || {
            (self.assess)(self.analyzer, obs, self.when).0
        })
    }

    /// Judges one observation and serialises its record, in a worker.
    fn judge_observation(&self, obs: &Observation, input: &str, line: usize) -> Outcome {
        let judged = caught(input, line, || {
            let (a, names) = (self.assess)(self.analyzer, obs, self.when);
            JudgedRecord::new(a, names, obs, self.keep_observations)
        });
        match judged {
            Ok(record) => Outcome::Judged(Box::new(record)),
            Err(bad) => Outcome::Bad(bad),
        }
    }

    /// One line of a mitmwatch file: nothing for a blank line.
    fn native_line(&self, input: &str, raw: RawLine) -> Option<Outcome> {
        let line = raw.line;
        let outcome = caught(input, line, || match raw.decode(input)? {
            Ok(obs) => Some(self.judge_observation(&obs, input, line)),
            Err(e) => Some(Outcome::Bad(e.into())),
        });
        outcome.unwrap_or_else(|bad| Some(Outcome::Bad(bad)))
    }

    /// One line of OONI measurements: one outcome per handshake.
    fn ooni_line(&self, input: &str, line: usize, bytes: Result<Vec<u8>, String>) -> Vec<Outcome> {
        let bad = |message: String| {
            Outcome::Bad(BadRecord {
                input: input.to_string(),
                line: Some(line),
                message,
            })
        };
        let parsed =
            bytes.and_then(
                |bytes| match caught(input, line, || ooni::parse_line(&bytes)) {
                    Ok(parsed) => parsed,
                    Err(panicked) => Err(panicked.message),
                },
            );
        let measurement = match parsed {
            Ok(Some(m)) => m,
            Ok(None) => return Vec::new(),
            Err(message) => return vec![bad(message)],
        };
        if measurement.observations.is_empty() && measurement.errors.is_empty() {
            return vec![Outcome::WithoutTls];
        }
        let judged = measurement
            .observations
            .iter()
            .map(|obs| self.judge_observation(obs, input, line));
        judged
            .chain(measurement.errors.into_iter().map(bad))
            .collect()
    }

    /// Judges every observation of `input` and returns the judged scan.
    /// Bad records are counted and shown through `notify` as they come (the
    /// first [`SHOWN_BAD_LINES`] of them), then what was not shown.
    pub fn judge(
        &self,
        input: Input,
        notify: &mut dyn FnMut(Notice<'_>),
    ) -> Result<JudgedScan, JudgeError> {
        let (name, network_scan, say_empty) = match &input {
            Input::Observations(file) => (file.input().to_string(), true, true),
            Input::Ooni(file) => (file.name.clone(), false, false),
            Input::PemDir { name, .. } => (name.clone(), false, false),
            Input::InMemory {
                name, network_scan, ..
            } => (name.clone(), *network_scan, false),
        };
        let mut state = Collecting {
            spool: Spool::new()?,
            tally: BadLines::new(&name),
            read_error: None,
            notify,
        };
        let name = name.as_str();
        let jobs = self.jobs.unwrap_or_else(default_jobs);
        // With judging threads, the reading thread hands them lines and
        // must not also hash: a thread of its own does.
        if jobs > 1 {
            match &input {
                Input::Observations(file) => file.digest.in_background(),
                Input::Ooni(file) => file.digest.in_background(),
                _ => {}
            }
        }
        let digest = match input {
            Input::Observations(file) => {
                let mut reader = file.reader;
                in_order(
                    || reader.next_raw(),
                    jobs,
                    |raw| self.native_line(name, raw),
                    |outcome| match outcome {
                        Some(Outcome::Bad(r)) if r.message.starts_with(READ_ERROR) => {
                            state.read_error = Some(r)
                        }
                        Some(outcome) => state.take(outcome),
                        None => {}
                    },
                );
                Some(file.digest.finish())
            }
            Input::Ooni(mut file) => {
                in_order(
                    || file.lines.next(),
                    jobs,
                    |(line, bytes)| self.ooni_line(name, line, bytes),
                    |outcomes| outcomes.into_iter().for_each(|o| state.take(o)),
                );
                Some(file.digest.finish())
            }
            Input::PemDir { read, .. } => {
                for e in read.errors {
                    state.take(Outcome::Bad(e.into()));
                }
                self.in_memory(name, read.observations, jobs, &mut state);
                None
            }
            Input::InMemory { observations, .. } => {
                self.in_memory(name, observations, jobs, &mut state);
                None
            }
        };
        if let Some(r) = state.read_error {
            return Err(JudgeError::Unreadable {
                input: r.input,
                message: r.message,
            });
        }
        let counts = state.tally.finish(say_empty, state.notify);
        state.spool.finish(network_scan, counts, digest)
    }

    fn in_memory(
        &self,
        name: &str,
        observations: Vec<Observation>,
        jobs: usize,
        state: &mut Collecting<'_>,
    ) {
        let mut items = observations.into_iter().enumerate();
        in_order(
            || items.next(),
            jobs,
            |(i, obs)| self.judge_observation(&obs, name, i + 1),
            |outcome| state.take(outcome),
        );
    }
}

#[cfg(test)]
mod tests;
