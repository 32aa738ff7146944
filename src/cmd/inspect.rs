//! `mitmwatch inspect`: judge certificate chains from files, through the
//! library's judge ([`mitmwatch_core::judge`]) like every other subcommand:
//! the same scan-level check across the files, and the same policy for an
//! observation the analyzer cannot judge.

use super::analysis::{analyzer_and_data, exit_code, print_notice, validation_time, LIVE};
use crate::cli::{Format, InspectArgs};
use anyhow::{bail, Result};
use mitmwatch_core::analyze::ValidationTime;
use mitmwatch_core::import::pem_dir;
use mitmwatch_core::judge::{Input, Judge, JudgeError};
use mitmwatch_core::model::{json, Observation};
use mitmwatch_report::{terminal::escape, text};
use std::io::{Read, Write};
use std::path::Path;

/// Largest chain file `inspect` reads: far above any real chain, and a
/// bound on memory for whatever file it is pointed at.
const MAX_CHAIN_FILE_BYTES: usize = 16 << 20;

/// Reads the certificates of one chain file (PEM with one or more
/// certificates, leaf first, or a single DER certificate; `-` for stdin).
pub fn read_chain(path: &Path) -> Result<Vec<Vec<u8>>> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let limit = MAX_CHAIN_FILE_BYTES as u64 + 1;
    if path.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    }
    if bytes.len() > MAX_CHAIN_FILE_BYTES {
        bail!(
            "{name}: larger than {} MiB, not a certificate chain",
            MAX_CHAIN_FILE_BYTES >> 20
        );
    }
    pem_dir::parse_chain(&bytes).map_err(|e| anyhow::anyhow!(e.at(&name)))
}

/// Runs the inspection; returns the exit code.
pub fn run(args: InspectArgs) -> Result<i32> {
    let (when, _) = validation_time(&args.analysis, LIVE)?;
    let (analyzer, data) = analyzer_and_data(&args.analysis, when)?;
    let now = time::OffsetDateTime::now_utc();
    let observed_at = match when {
        ValidationTime::At(t) => t,
        ValidationTime::Observed => now,
    };
    let mut observations = Vec::new();
    let mut failed = 0;
    for path in &args.files {
        match read_chain(path) {
            Ok(ders) => {
                let host = args
                    .host
                    .clone()
                    .unwrap_or_else(|| pem_dir::default_host(&ders[0]));
                observations.push(Observation {
                    route: Some(format!("file {}", path.display())),
                    ..pem_dir::file_observation(&ders, host, observed_at)
                });
            }
            Err(e) => {
                failed += 1;
                eprintln!("mitmwatch: error: {}", escape(&format!("{e:#}")));
            }
        }
    }
    if observations.is_empty() {
        bail!("no chain could be read");
    }
    // Chains from files, not one network scan: no blanket/targeted
    // conclusion across them.
    let input = Input::in_memory("the chain files", observations, false);
    let text = matches!(args.format, Format::Text);
    let mut judged = Judge::new(&analyzer, when)
        .keep_observations(text)
        .judge(input, &mut print_notice)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            judged.each_json_line(|line| -> Result<()> {
                out.write_all(line)?;
                out.write_all(b"\n")?;
                Ok(())
            })?;
            json::write_line(&mut out, &judged.summary)?;
        }
        Format::Text => {
            judged.each_in_order(true, |j| -> Result<()> {
                let obs = j.observation.ok_or(JudgeError::MissingObservation)?;
                if let Some(route) = &obs.route {
                    writeln!(out, "== {}", escape(route))?;
                }
                write!(out, "{}", text::chain_listing(&obs))?;
                writeln!(out, "{}", text::assessment_detail(&j.assessment))?;
                Ok(())
            })?;
            // `-v`: the data the verdicts rest on, with its dates.
            if super::verbosity::verbose() {
                write!(out, "{}", text::data_used_text(&data, 96))?;
            }
        }
    }
    out.flush()?;
    let code = exit_code(&judged.summary, 1, args.analysis.fail_on);
    if failed > 0 {
        eprintln!(
            "mitmwatch: error: {failed} of {} {} could not be read",
            args.files.len(),
            mitmwatch_core::plural::noun(args.files.len(), "file", "files")
        );
        // An interception found in the files that were read still wins:
        // exit 2 is the alarm. Otherwise a missing file is an error.
        if code != super::exit::INTERCEPTED {
            return Ok(super::exit::ERROR);
        }
    }
    Ok(code)
}
