//! The provenance block of reports ([`Provenance`]) from a judged file
//! and the options in force.

use super::judged_file::JudgedFile;
use mitmwatch::analysis_data::data_used::DataUsed;
use mitmwatch::model::Provenance;

/// How `judged` was made: its input, the span of its observations, `--at`
/// as given, the data used and the lines skipped.
pub fn of_judged_file(judged: &JudgedFile, at: &str, data: &DataUsed) -> Provenance {
    Provenance {
        inputs: vec![judged.input.clone()],
        observed_from: judged.facts.first,
        observed_until: judged.facts.last,
        at: at.to_string(),
        data: data.clone(),
        skipped_lines: judged.bad_lines,
        first_skipped: judged.first_bad.clone(),
    }
}
