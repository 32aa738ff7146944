//! Refusing files that are not observations where observations are read
//! (`analyze`, `report`, `evidence`, `baseline`, `compare`, `store --scan`):
//! the output of `scan --analyze` or `analyze --format json` holds
//! assessments, and judging them as observations would skip every line and
//! write a misleading "nothing found" report.

use super::JudgeError;
use std::io::BufRead;

/// What the first record of a JSON Lines file is, by its `type` field.
fn first_record_type(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    // Records mitmwatch writes put `type` first when they have one; a
    // whole line may not be in the buffer, so look at its start.
    let rest = first.trim_start().strip_prefix("{\"type\":\"")?;
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// Fails with a clear message when the file named `input` (whose start is
/// buffered in `reader`) holds assessments, a summary or probe records.
pub(super) fn refuse_non_observations(
    reader: &mut dyn BufRead,
    input: &str,
) -> Result<(), JudgeError> {
    let head = reader.fill_buf().map_err(|source| JudgeError::Read {
        input: input.to_string(),
        source,
    })?;
    let input = input.to_string();
    match first_record_type(head).as_deref() {
        Some("assessment") | Some("summary") => Err(JudgeError::HoldsAssessments { input }),
        Some("sni-probe") => Err(JudgeError::HoldsProbeRecords { input }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), JudgeError> {
        refuse_non_observations(&mut text.as_bytes(), "f.jsonl")
    }

    #[test]
    fn assessments_summaries_and_probes_are_refused() {
        let e = check("{\"type\":\"assessment\",\"schema\":2}\n").unwrap_err();
        assert!(e
            .to_string()
            .contains("f.jsonl holds assessments, not observations"));
        assert!(matches!(
            check("\n{\"type\":\"summary\"}\n"),
            Err(JudgeError::HoldsAssessments { .. })
        ));
        assert!(matches!(
            check("{\"type\":\"sni-probe\"}\n"),
            Err(JudgeError::HoldsProbeRecords { .. })
        ));
        assert!(check("{\"schema\":1,\"tool\":\"mitmwatch\"}\n").is_ok());
        assert!(check("").is_ok());
        assert!(check("not json\n").is_ok());
    }
}
