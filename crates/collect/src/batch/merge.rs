//! `mitmwatch merge`: the outputs of the shards of one scan joined into one
//! observation file, checked against the target list: every target exactly
//! once, with the missing, the duplicated and the unlisted ones named.
//!
//! Memory is bounded by the list, not by the records: the list's
//! [`target_key`]s are held sorted (8 bytes a target) with one bit each for
//! "seen"; records stream from the shard files to the output one line at a
//! time and are written as they were read, byte for byte, so the merged file
//! is in the observation format the scan wrote. The first record of a target
//! is kept, a later one is dropped and reported.

use super::target_key;
use mitmwatch_core::model::Target;
use mitmwatch_core::observation_file::{parse_line, ObservationLineError, ObservationReader};
use std::io::{BufRead, Write};

/// The targets of a list, as sorted keys, and which of them were seen.
#[derive(Debug, Default)]
pub struct TargetSet {
    keys: Vec<u64>,
    seen: Vec<u64>,
}

/// What [`TargetSet::mark`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A listed target seen for the first time.
    First,
    /// A listed target seen before.
    Again,
    /// A target that is not on the list.
    Unlisted,
}

impl TargetSet {
    /// The set of `targets`; `expected` is how many there are (from a first
    /// count), so the keys take exactly 8 bytes a target. Targets listed
    /// twice count once, as in the scan.
    pub fn new(targets: impl Iterator<Item = Target>, expected: usize) -> Self {
        let mut keys = Vec::with_capacity(expected);
        keys.extend(targets.map(|t| target_key(&t)));
        keys.sort_unstable();
        keys.dedup();
        let seen = vec![0u64; keys.len().div_ceil(64)];
        TargetSet { keys, seen }
    }

    /// Distinct targets on the list.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the list holds no target.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Records that `target` was seen.
    pub fn mark(&mut self, target: &Target) -> Mark {
        let Ok(i) = self.keys.binary_search(&target_key(target)) else {
            return Mark::Unlisted;
        };
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if self.seen[word] & bit != 0 {
            return Mark::Again;
        }
        self.seen[word] |= bit;
        Mark::First
    }

    /// Whether `target` is on the list and was seen. Targets not on the list
    /// are reported as seen.
    pub fn seen(&self, target: &Target) -> bool {
        match self.keys.binary_search(&target_key(target)) {
            Ok(i) => self.seen[i / 64] & (1u64 << (i % 64)) != 0,
            Err(_) => true,
        }
    }

    /// Listed targets not seen.
    pub fn unseen(&self) -> usize {
        self.keys.len()
            - self
                .seen
                .iter()
                .map(|w| w.count_ones() as usize)
                .sum::<usize>()
    }
}

/// Something a merge found that makes the result incomplete or suspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeProblem {
    /// A target recorded a second time (a shard file given twice, or a
    /// re-run task appended to an output that already had it); dropped.
    Duplicate {
        /// The target.
        target: Target,
        /// Shard file and line of the dropped record.
        input: String,
        /// 1-based line.
        line: usize,
    },
    /// A record of a target not on the list (a different list, port or
    /// `--sni`); kept.
    Unlisted {
        /// The target.
        target: Target,
        /// Shard file and line.
        input: String,
        /// 1-based line.
        line: usize,
    },
    /// A line that is not an observation; not written.
    BadLine(ObservationLineError),
}

/// Counts of one merge.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeCounts {
    /// Records written.
    pub written: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Records of unlisted targets (written).
    pub unlisted: u64,
    /// Lines that were not observations (not written).
    pub bad_lines: u64,
}

impl MergeCounts {
    /// Whether every line read was a new record of a listed target.
    pub fn clean(&self) -> bool {
        self.duplicates == 0 && self.unlisted == 0 && self.bad_lines == 0
    }
}

/// Hints for lines that are records of another kind.
fn other_record_hint(text: &str) -> Option<&'static str> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if value.get("type").and_then(|t| t.as_str()) == Some("summary")
        || value.get("verdict").is_some()
    {
        return Some(
            "an assessment or summary line (scan --analyze): merge takes observations, \
             so scan the shards without --analyze and analyze the merged file",
        );
    }
    None
}

/// Copies the observations of one shard output to `out`, marking their
/// targets in `set`; problems go to `problem` as they are found. Only a
/// write error stops the merge.
pub fn merge_input<R: BufRead>(
    set: &mut TargetSet,
    mut input: ObservationReader<R>,
    out: &mut dyn Write,
    counts: &mut MergeCounts,
    problem: &mut dyn FnMut(MergeProblem),
) -> std::io::Result<()> {
    let name = input.input().to_string();
    while let Some(raw) = input.next_raw() {
        let line = raw.line;
        let bad = |message: String| {
            MergeProblem::BadLine(ObservationLineError {
                input: name.clone(),
                line,
                message,
            })
        };
        let bytes = match raw.bytes {
            Ok(bytes) => bytes,
            Err(message) => {
                counts.bad_lines += 1;
                problem(bad(message));
                continue;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            counts.bad_lines += 1;
            problem(bad("not UTF-8 text".into()));
            continue;
        };
        let text = text.trim();
        let obs = match parse_line(text) {
            Ok(None) => continue,
            Ok(Some(obs)) => obs,
            Err(message) => {
                counts.bad_lines += 1;
                let message = match other_record_hint(text) {
                    Some(hint) => hint.to_string(),
                    None => message,
                };
                problem(bad(message));
                continue;
            }
        };
        match set.mark(&obs.target) {
            Mark::Again => {
                counts.duplicates += 1;
                problem(MergeProblem::Duplicate {
                    target: obs.target,
                    input: name.clone(),
                    line,
                });
                continue;
            }
            Mark::Unlisted => {
                counts.unlisted += 1;
                problem(MergeProblem::Unlisted {
                    target: obs.target,
                    input: name.clone(),
                    line,
                });
            }
            Mark::First => {}
        }
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        counts.written += 1;
    }
    Ok(())
}

/// How a target is written to a list of missing targets: `host:port`
/// (`[v6]:port`), a line `scan --input` reads back.
pub fn list_line(target: &Target) -> String {
    if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch_core::model::{Observation, Status};

    fn line(host: &str) -> String {
        // The one constructor of observations made without a network.
        let obs = Observation {
            status: Status::ConnectRefused,
            failure: Some("refused".into()),
            duration_ms: 1.0,
            ..mitmwatch_core::import::pem_dir::file_observation(
                &[] as &[&[u8]],
                host.to_string(),
                time::OffsetDateTime::UNIX_EPOCH,
            )
        };
        serde_json::to_string(&obs).unwrap() + "\n"
    }

    #[test]
    fn targets_are_marked_once_and_strangers_are_unlisted() {
        let list = ["a.example", "b.example", "a.example"].map(|h| Target::new(h, 443));
        let mut set = TargetSet::new(list.into_iter(), 3);
        assert_eq!(set.len(), 2);
        assert_eq!(set.mark(&Target::new("a.example", 443)), Mark::First);
        assert_eq!(set.mark(&Target::new("a.example", 443)), Mark::Again);
        assert_eq!(set.mark(&Target::new("a.example", 8443)), Mark::Unlisted);
        assert!(!set.seen(&Target::new("b.example", 443)));
        assert_eq!(set.unseen(), 1);
    }

    #[test]
    fn shards_are_copied_byte_for_byte_and_problems_named() {
        let list = ["a.example", "b.example", "c.example"].map(|h| Target::new(h, 443));
        let mut set = TargetSet::new(list.into_iter(), 3);
        let one = line("a.example") + "\n" + &line("b.example");
        let two = line("a.example") + "garbage\n" + &line("z.example");
        let mut out = Vec::new();
        let mut counts = MergeCounts::default();
        let mut problems = Vec::new();
        for (name, text) in [("one.jsonl", &one), ("two.jsonl", &two)] {
            let reader = ObservationReader::new(text.as_bytes(), name);
            merge_input(&mut set, reader, &mut out, &mut counts, &mut |p| {
                problems.push(p)
            })
            .unwrap();
        }
        let expected = line("a.example") + &line("b.example") + &line("z.example");
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(
            counts,
            MergeCounts {
                written: 3,
                duplicates: 1,
                unlisted: 1,
                bad_lines: 1
            }
        );
        assert!(
            matches!(&problems[0], MergeProblem::Duplicate { input, line: 1, .. } if input == "two.jsonl")
        );
        assert!(matches!(&problems[1], MergeProblem::BadLine(e) if e.line == 2));
        assert!(matches!(
            &problems[2],
            MergeProblem::Unlisted { line: 3, .. }
        ));
        assert_eq!(set.unseen(), 1);
        assert!(!set.seen(&Target::new("c.example", 443)));
    }

    #[test]
    fn assessment_lines_get_a_hint() {
        let mut set = TargetSet::new(std::iter::empty(), 0);
        let text = "{\"type\":\"summary\",\"targets\":1}\n";
        let mut problems = Vec::new();
        let reader = ObservationReader::new(text.as_bytes(), "s.jsonl");
        merge_input(
            &mut set,
            reader,
            &mut Vec::new(),
            &mut MergeCounts::default(),
            &mut |p| problems.push(p),
        )
        .unwrap();
        assert!(
            matches!(&problems[0], MergeProblem::BadLine(e) if e.message.contains("--analyze"))
        );
    }

    #[test]
    fn missing_targets_are_written_as_list_lines() {
        assert_eq!(list_line(&Target::new("a.example", 8443)), "a.example:8443");
        assert_eq!(list_line(&Target::new("::1", 443)), "[::1]:443");
    }
}
