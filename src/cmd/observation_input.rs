//! Refusing files that are not observations where observations are read
//! (`analyze`, `report`, `evidence`, `baseline`, `compare`, `store --scan`):
//! the output of `scan --analyze` or `analyze --format json` holds
//! assessments, and judging them as observations would skip every line and
//! write a misleading "nothing found" report.

use anyhow::{bail, Context, Result};
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

/// Fails with a clear message when the file (whose start is buffered in
/// `reader`) holds assessments, a summary or probe records.
pub fn refuse_non_observations(reader: &mut dyn BufRead, name: &str) -> Result<()> {
    let head = reader
        .fill_buf()
        .with_context(|| format!("reading {name}"))?;
    match first_record_type(head).as_deref() {
        Some("assessment") | Some("summary") => bail!(
            "{name} holds assessments, not observations: give the scan's observations \
             (the output of `mitmwatch scan` without --analyze, or `check --save`)"
        ),
        Some("sni-probe") => bail!(
            "{name} holds `probe` records, not observations: give the file `probe --save` wrote"
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<()> {
        refuse_non_observations(&mut text.as_bytes(), "f.jsonl")
    }

    #[test]
    fn assessments_summaries_and_probes_are_refused() {
        let e = check("{\"type\":\"assessment\",\"schema\":2}\n").unwrap_err();
        assert!(e
            .to_string()
            .contains("f.jsonl holds assessments, not observations"));
        assert!(check("\n{\"type\":\"summary\"}\n").is_err());
        assert!(check("{\"type\":\"sni-probe\"}\n").is_err());
        assert!(check("{\"schema\":1,\"tool\":\"mitmwatch\"}\n").is_ok());
        assert!(check("").is_ok());
        assert!(check("not json\n").is_ok());
    }
}
