//! Reading observation files (JSON Lines) as an iterator: one observation
//! or one error naming the line, so that a bad line never stops the
//! records around it. Lines are read one at a time and bounded in length,
//! so a hostile or corrupt file cannot exhaust memory.

use crate::lines::{BoundedLines, Line};
use crate::model::{Observation, MAX_CHAIN_CERTS, OBSERVATION_SCHEMA};
use std::io::BufRead;

/// Longest line accepted, in bytes. The collector's records stay far below
/// it: rustls caps a chain at 64 KiB of DER, about 120 KB as JSON.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// A line that is not a usable observation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input}:{line}: {message}")]
pub struct ObservationLineError {
    /// File name (`-` for stdin).
    pub input: String,
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// Parses one line (without its newline). `Ok(None)` for a blank line.
pub fn parse_line(text: &str) -> Result<Option<Observation>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Observation>(text) {
        Ok(obs) if obs.schema != OBSERVATION_SCHEMA => Err(unsupported(obs.schema as u64)),
        Ok(obs) if obs.chain.len() > MAX_CHAIN_CERTS => Err(format!(
            "the chain has {} certificates; mitmwatch records and judges at most {MAX_CHAIN_CERTS}",
            obs.chain.len()
        )),
        Ok(obs) => Ok(Some(obs)),
        Err(e) => Err(line_error(text, e)),
    }
}

fn unsupported(schema: u64) -> String {
    format!("unsupported observation schema {schema} (this mitmwatch reads {OBSERVATION_SCHEMA})")
}

/// Why one line was not an observation.
fn line_error(line: &str, e: serde_json::Error) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
        if let Some(schema) = value.get("schema").and_then(|s| s.as_u64()) {
            if schema != OBSERVATION_SCHEMA as u64 {
                return unsupported(schema);
            }
        }
        return format!("not a mitmwatch observation: {e}");
    }
    if e.is_eof() {
        return "truncated JSON (the file may have been cut off)".into();
    }
    format!("not valid JSON: {e}")
}

/// One line as read, not yet decoded: its number and its bytes, or why it
/// could not be read. Decoding ([`RawLine::decode`]) is the costly half, so
/// a reader can hand raw lines to other threads.
#[derive(Debug)]
pub struct RawLine {
    /// 1-based line number.
    pub line: usize,
    /// The line's bytes, or what went wrong reading it.
    pub bytes: Result<Vec<u8>, String>,
}

impl RawLine {
    /// The observation on this line: `None` for a blank line, an error
    /// naming `input` and the line otherwise.
    pub(crate) fn decode(self, input: &str) -> Option<Result<Observation, ObservationLineError>> {
        let message = match self.bytes {
            Err(message) => message,
            Ok(bytes) => match std::str::from_utf8(&bytes) {
                Err(_) => "not UTF-8 text".into(),
                Ok(text) => match parse_line(text) {
                    Ok(None) => return None,
                    Ok(Some(obs)) => return Some(Ok(obs)),
                    Err(message) => message,
                },
            },
        };
        Some(Err(ObservationLineError {
            input: input.to_string(),
            line: self.line,
            message,
        }))
    }
}

/// How a read error's message begins (the reader stops after one).
pub(crate) const READ_ERROR: &str = "read error";

/// Reads observations from a JSON Lines stream, one line at a time.
pub struct ObservationReader<R> {
    lines: BoundedLines<R>,
    input: String,
}

impl<R: BufRead> ObservationReader<R> {
    /// `input` names the source in error messages.
    pub fn new(reader: R, input: impl Into<String>) -> Self {
        ObservationReader {
            lines: BoundedLines::new(reader, MAX_LINE_BYTES),
            input: input.into(),
        }
    }

    /// The name of the source, for error messages.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The next line, undecoded; `None` at the end of the input.
    pub fn next_raw(&mut self) -> Option<RawLine> {
        let (line, read) = self.lines.next_line()?;
        let bytes = match read {
            Err(e) => Err(format!("{READ_ERROR}: {e}")),
            Ok(Line::TooLong) => Err(format!("line is longer than {} MiB", MAX_LINE_BYTES >> 20)),
            Ok(Line::Text(bytes)) => Ok(bytes.to_vec()),
        };
        Some(RawLine { line, bytes })
    }
}

impl<R: BufRead> Iterator for ObservationReader<R> {
    type Item = Result<Observation, ObservationLineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.next_raw()?.decode(&self.input) {
                return Some(item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_errors_and_reading_goes_on() {
        let mut text = Vec::new();
        text.extend_from_slice(b"not json\n\n{\"schema\": 7}\n\xff\xfe\n");
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        text.extend_from_slice(b"\n{\"schema\":1,\n");
        let items: Vec<_> = ObservationReader::new(&text[..], "f.jsonl").collect();
        let errors: Vec<(usize, String)> = items
            .into_iter()
            .map(|r| {
                let e = r.unwrap_err();
                (e.line, e.message)
            })
            .collect();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(errors[0].0, 1);
        assert!(errors[0].1.starts_with("not valid JSON"));
        assert_eq!(errors[1].0, 3);
        assert!(errors[1].1.contains("unsupported observation schema 7"));
        assert_eq!(errors[2], (4, "not UTF-8 text".into()));
        assert_eq!(errors[3], (5, "line is longer than 4 MiB".into()));
        assert_eq!(errors[4].0, 6);
        assert!(errors[4].1.contains("truncated"), "{:?}", errors[4]);
    }
}
