//! Resuming an interrupted scan: read the output written so far (with the
//! bounded line reader, so that no line is held whole past
//! `MAX_LINE_BYTES`), remember which targets are done, and cut off a
//! last line that a crash left unfinished, so that after any interruption
//! and `--resume` every target appears exactly once.

use super::target_key;
use mitmwatch_core::lines::{BoundedLines, Line};
use mitmwatch_core::model::Target;
use mitmwatch_core::observation_file::MAX_LINE_BYTES;
use serde::Deserialize;
use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::BufReader;
use std::path::Path;

/// Any output line that names a target (observations and assessments do).
#[derive(Deserialize)]
struct TargetLine {
    target: Target,
}

/// A summary line (`{"type": "summary", …}`) carries no target.
#[derive(Deserialize)]
struct TypedLine {
    #[serde(rename = "type")]
    record_type: Option<String>,
}

/// What an existing output file holds.
#[derive(Debug, Default)]
pub struct ResumeState {
    /// Keys ([`target_key`]) of the targets already recorded.
    pub done: HashSet<u64>,
    /// Complete lines kept.
    pub kept_lines: usize,
    /// Bytes cut from the end (an unfinished line, or a summary line that a
    /// new summary will replace).
    pub truncated_bytes: u64,
    /// The complete lines kept, for callers that rebuild a summary from them.
    pub records: Vec<String>,
}

/// Why an output file cannot be resumed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The file could not be read or repaired.
    #[error("{name}: {reason}")]
    Io {
        /// The file.
        name: String,
        /// Why.
        reason: std::io::Error,
    },
    /// A line too long to be a record, followed by more lines.
    #[error(
        "{name}:{line}: line is longer than {mib} MiB, so not a mitmwatch record; \
         fix or remove this line to resume"
    )]
    LineTooLong {
        /// The file.
        name: String,
        /// 1-based line number.
        line: usize,
        /// The bound, in MiB.
        mib: usize,
    },
    /// A line that is not a record, followed by more lines.
    #[error("{name}:{line}: not a mitmwatch record ({reason}); fix or remove this line to resume")]
    NotARecord {
        /// The file.
        name: String,
        /// 1-based line number.
        line: usize,
        /// What the JSON decoder said.
        reason: String,
    },
}

/// Reads `path`, repairs its end and returns what is done. A missing file is
/// an empty state. A malformed line in the middle is an error naming it:
/// resuming past it could lose or duplicate records. `keep_records`
/// returns the kept lines too.
pub fn prepare(path: &Path, keep_records: bool) -> Result<ResumeState, ResumeError> {
    let name = path.display().to_string();
    let io = |reason: std::io::Error| ResumeError::Io {
        name: name.clone(),
        reason,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ResumeState::default()),
        Err(e) => return Err(io(e)),
    };
    let mut state = ResumeState::default();
    // Lines are bounded: a line a crash left without its newline may be
    // any length, and is skipped unkept.
    let mut lines = BoundedLines::new(BufReader::new(file), MAX_LINE_BYTES);
    let mut offset: u64 = 0;
    let mut good_end: u64 = 0;
    let mut pending_error: Option<ResumeError> = None;
    while let Some((number, read)) = lines.next_line() {
        if let Some(e) = pending_error.take() {
            // A bad line followed by more lines: not a crash artefact.
            return Err(e);
        }
        let text = match read.map_err(io)? {
            Line::TooLong => None,
            Line::Text(bytes) => Some(std::str::from_utf8(bytes).unwrap_or("").trim().to_string()),
        };
        offset = lines.bytes_read();
        let complete = lines.ended_with_newline();
        let Some(text) = text else {
            pending_error = Some(ResumeError::LineTooLong {
                name: name.clone(),
                line: number,
                mib: MAX_LINE_BYTES >> 20,
            });
            continue;
        };
        if text.is_empty() {
            if complete {
                good_end = offset;
            }
            continue;
        }
        match serde_json::from_str::<TargetLine>(&text) {
            Ok(record) if complete => {
                state.done.insert(target_key(&record.target));
                state.kept_lines += 1;
                good_end = offset;
                if keep_records {
                    state.records.push(text);
                }
            }
            Ok(_) => {} // unfinished last line that happens to parse: redo it
            Err(e) => {
                let summary = serde_json::from_str::<TypedLine>(&text)
                    .ok()
                    .and_then(|t| t.record_type)
                    .is_some_and(|t| t == "summary");
                if !summary {
                    pending_error = Some(ResumeError::NotARecord {
                        name: name.clone(),
                        line: number,
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
    let len = offset;
    if good_end < len {
        let file = OpenOptions::new().write(true).open(path).map_err(io)?;
        file.set_len(good_end).map_err(io)?;
        file.sync_all().map_err(io)?;
        state.truncated_bytes = len - good_end;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(host: &str) -> String {
        format!("{{\"target\":{{\"host\":\"{host}\",\"port\":443,\"sni\":\"{host}\"}},\"x\":1}}\n")
    }

    #[test]
    fn unfinished_last_line_is_cut_and_done_targets_are_known() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut f = std::fs::File::create(&path).unwrap();
        write!(
            f,
            "{}{}{{\"target\":{{\"host\":\"c.ex",
            line("a.example"),
            line("b.example")
        )
        .unwrap();
        drop(f);
        let state = prepare(&path, false).unwrap();
        assert_eq!(state.kept_lines, 2);
        assert!(state
            .done
            .contains(&target_key(&Target::new("a.example", 443))));
        assert!(!state
            .done
            .contains(&target_key(&Target::new("c.example", 443))));
        assert!(state.truncated_bytes > 0);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, line("a.example") + &line("b.example"));
    }

    #[test]
    fn summary_at_the_end_is_replaced_and_a_bad_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            line("a.example") + "{\"type\":\"summary\",\"targets\":1}\n",
        )
        .unwrap();
        let state = prepare(&path, false).unwrap();
        assert_eq!(state.kept_lines, 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), line("a.example"));
        std::fs::write(&path, line("a.example") + "garbage\n" + &line("b.example")).unwrap();
        let err = prepare(&path, false).unwrap_err();
        assert!(
            matches!(err, ResumeError::NotARecord { line: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("out.jsonl:2"), "{err}");
        assert!(prepare(&dir.path().join("missing.jsonl"), false)
            .unwrap()
            .done
            .is_empty());
    }
}
