//! The bad-line policy every reader of observations follows: a record
//! that cannot be judged is skipped, never ends the run; the first
//! [`SHOWN_BAD_LINES`] of an input are shown (through a [`Notice`]), the
//! rest are counted; the first [`Provenance::SHOWN_SKIPPED`] are kept by
//! position for the report's provenance block.

use crate::model::{Provenance, SkippedLine};
use std::fmt;

/// Bad lines shown per input; the others are counted.
pub const SHOWN_BAD_LINES: usize = 20;

/// A record of an input that held nothing to judge: why, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", Where(self))]
pub struct BadRecord {
    /// The input's name (`-` for stdin).
    pub(crate) input: String,
    /// 1-based line number, for line-oriented inputs.
    pub(crate) line: Option<usize>,
    /// What was wrong (text from the input may appear: escape it).
    pub(crate) message: String,
}

/// `FILE:LINE: why`, or `FILE: why` without a line.
struct Where<'a>(&'a BadRecord);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        match r.line {
            Some(line) => write!(f, "{}:{line}: {}", r.input, r.message),
            None => write!(f, "{}: {}", r.input, r.message),
        }
    }
}

impl From<crate::observation_file::ObservationLineError> for BadRecord {
    fn from(e: crate::observation_file::ObservationLineError) -> Self {
        BadRecord {
            input: e.input,
            line: Some(e.line),
            message: e.message,
        }
    }
}

impl From<crate::import::ImportError> for BadRecord {
    fn from(e: crate::import::ImportError) -> Self {
        BadRecord {
            input: e.input,
            line: e.line,
            message: e.message,
        }
    }
}

/// What a reader of observations has to say to the user while it reads.
/// The text is untrusted (file names, quoted input): escape it before
/// printing it on a terminal.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice<'a> {
    /// One of the first [`SHOWN_BAD_LINES`] bad records of an input.
    Skipped(&'a BadRecord),
    /// How many bad records of an input were counted but not shown.
    NotShown {
        /// The input's name.
        input: &'a str,
        /// Records not shown.
        count: usize,
    },
    /// A mitmwatch file with neither observations nor bad lines.
    Empty {
        /// The input's name.
        input: &'a str,
    },
    /// OONI measurements that were fine but held no TLS handshake.
    WithoutTls {
        /// The input's name.
        input: &'a str,
        /// How many.
        count: usize,
    },
}

impl fmt::Display for Notice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Skipped(r) => write!(f, "skipped {r}"),
            Notice::NotShown { input, count } => {
                write!(
                    f,
                    "skipped {} of {input} (not shown)",
                    crate::plural::count(*count, "more bad line", "more bad lines")
                )
            }
            Notice::Empty { input } => write!(f, "{input}: no observations in the file"),
            Notice::WithoutTls { input, count } => write!(
                f,
                "{input}: {} no TLS handshake (plain HTTP, or no connection)",
                crate::plural::count(*count, "measurement held", "measurements held")
            ),
        }
    }
}

/// What was read of one input besides its observations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputCounts {
    /// The input's name.
    pub(crate) input: String,
    /// Observations read.
    pub(crate) observations: usize,
    /// Records skipped (bad lines, unreadable handshakes, judging failures).
    pub bad: usize,
    /// The first few of them (at most [`Provenance::SHOWN_SKIPPED`]).
    pub(crate) first_bad: Vec<BadRecord>,
    /// Records that were fine but held nothing to judge (OONI measurements
    /// without a TLS handshake).
    pub(crate) without_tls: usize,
}

impl InputCounts {
    /// The first bad records by position, for a report's provenance block
    /// (a record without a line, such as a PEM file, is at line 0).
    pub(crate) fn skipped_lines(&self) -> Vec<SkippedLine> {
        self.first_bad
            .iter()
            .map(|r| SkippedLine {
                line: r.line.unwrap_or(0),
                message: r.message.clone(),
            })
            .collect()
    }
}

/// Counts the records of one input as they are read, showing the first
/// bad ones through `notify`.
pub struct BadLines {
    counts: InputCounts,
}

impl BadLines {
    /// For the input named `input`.
    pub fn new(input: &str) -> Self {
        BadLines {
            counts: InputCounts {
                input: input.to_string(),
                ..InputCounts::default()
            },
        }
    }

    /// The input's name.
    pub fn input(&self) -> &str {
        &self.counts.input
    }

    /// Counts one observation read.
    pub(crate) fn observation(&mut self) {
        self.counts.observations += 1;
    }

    /// Counts one record that held nothing to judge.
    pub(crate) fn without_tls(&mut self) {
        self.counts.without_tls += 1;
    }

    /// Counts one bad record, shown if it is among the first.
    pub fn bad(&mut self, record: BadRecord, notify: &mut dyn FnMut(Notice<'_>)) {
        self.counts.bad += 1;
        if self.counts.bad <= SHOWN_BAD_LINES {
            notify(Notice::Skipped(&record));
        }
        if self.counts.first_bad.len() < Provenance::SHOWN_SKIPPED {
            self.counts.first_bad.push(record);
        }
    }

    /// The counts, after saying how many bad records were not shown and,
    /// with `say_empty`, that an input held nothing at all.
    pub fn finish(self, say_empty: bool, notify: &mut dyn FnMut(Notice<'_>)) -> InputCounts {
        let c = &self.counts;
        if c.bad > SHOWN_BAD_LINES {
            notify(Notice::NotShown {
                input: &c.input,
                count: c.bad - SHOWN_BAD_LINES,
            });
        }
        if c.without_tls > 0 {
            notify(Notice::WithoutTls {
                input: &c.input,
                count: c.without_tls,
            });
        }
        if say_empty && c.observations == 0 && c.bad == 0 {
            notify(Notice::Empty { input: &c.input });
        }
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: usize) -> BadRecord {
        BadRecord {
            input: "f.jsonl".into(),
            line: Some(line),
            message: "not valid JSON".into(),
        }
    }

    #[test]
    fn the_first_bad_lines_are_shown_and_all_are_counted() {
        let mut shown = Vec::new();
        let mut notify = |n: Notice<'_>| shown.push(n.to_string());
        let mut tally = BadLines::new("f.jsonl");
        tally.observation();
        for line in 1..=30 {
            tally.bad(record(line), &mut notify);
        }
        let counts = tally.finish(true, &mut notify);
        assert_eq!(counts.bad, 30);
        assert_eq!(counts.observations, 1);
        assert_eq!(counts.first_bad.len(), Provenance::SHOWN_SKIPPED);
        assert_eq!(counts.skipped_lines()[0].line, 1);
        assert_eq!(shown.len(), SHOWN_BAD_LINES + 1);
        assert_eq!(shown[0], "skipped f.jsonl:1: not valid JSON");
        assert_eq!(
            shown[SHOWN_BAD_LINES],
            "skipped 10 more bad lines of f.jsonl (not shown)"
        );
    }

    #[test]
    fn an_empty_input_is_said_only_when_asked() {
        let mut shown = Vec::new();
        BadLines::new("e.jsonl").finish(true, &mut |n| shown.push(n.to_string()));
        BadLines::new("o.jsonl").finish(false, &mut |n| shown.push(n.to_string()));
        assert_eq!(shown, ["e.jsonl: no observations in the file"]);
        let unlined = BadRecord {
            input: "dir/a.pem".into(),
            line: None,
            message: "no certificate".into(),
        };
        assert_eq!(unlined.to_string(), "dir/a.pem: no certificate");
    }
}
