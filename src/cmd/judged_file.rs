//! A mitmwatch observation file judged without holding it in memory.
//!
//! Observations are judged as they are read, on several threads
//! ([`super::parallel`]). Each assessment (and, when the caller needs it,
//! its observation) goes to an anonymous temporary file; memory keeps an
//! index of those records, the summary counts and what the scan-level
//! check `leaf-key-reuse` needs. That check can only be decided once the
//! whole file has been read: its findings are then applied to the records
//! they concern as they are read back, and the summary is corrected first,
//! so that a report can begin with it.

use super::analysis::{open_observations_hashed, SkippedLines};
use super::parallel::judge_lines;
use anyhow::{Context, Result};
use mitmwatch::analyze::cross_scan::{self, KeyReuse};
use mitmwatch::analyze::summary::SummaryBuilder;
use mitmwatch::analyze::{Analyzer, ValidationTime};
use mitmwatch::model::{
    Assessment, Finding, InputFile, Observation, ScanSummary, SkippedLine, Verdict,
};
use mitmwatch::report::facts::{ReportFacts, ServedCas};
use mitmwatch::report::json;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Where one judged observation's record lies in the temporary file, and
/// what a report sorts by.
pub struct Entry {
    offset: u64,
    len: u32,
    /// The verdict, after scan-level findings.
    pub verdict: Verdict,
    /// The target's host.
    pub host: Box<str>,
}

/// One record read back: the assessment (with any scan-level finding
/// applied) and, if kept, the observation it judged.
pub struct Judged {
    /// The assessment.
    pub assessment: Assessment,
    /// The observation, when [`judge_file`] was asked to keep them.
    pub observation: Option<Observation>,
    /// The CAs its chain served (kept whether or not the observation is).
    pub cas: ServedCas,
}

/// A judged observation file.
pub struct JudgedFile {
    records: File,
    index: Vec<Entry>,
    amendments: BTreeMap<usize, Finding>,
    /// The scan's summary, scan-level findings included.
    pub summary: ScanSummary,
    /// Lines of the input that held no observation.
    pub bad_lines: usize,
    /// The first few of them, by position.
    pub first_bad: Vec<SkippedLine>,
    /// The input: name, SHA-256 and size.
    pub input: InputFile,
    /// Fingerprints, first and last seen, time span, verdicts per day.
    pub facts: ReportFacts,
}

/// A record's parts as written: assessment, served CAs, observation.
type RawRecord = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

const IO_CONTEXT: &str = "the temporary file of assessments";

/// Judges every observation of the file at `path` (`-`: stdin) on `jobs`
/// threads; with `keep_observations`, the observations are kept too.
/// Bad lines are reported on stderr as `FILE:LINE: why` and skipped.
pub fn judge_file(
    path: &Path,
    analyzer: &Analyzer,
    when: ValidationTime,
    jobs: usize,
    keep_observations: bool,
) -> Result<JudgedFile> {
    let (reader, digest) = open_observations_hashed(path)?;
    let mut skipped = SkippedLines::new(reader.input());
    let records = tempfile::tempfile().with_context(|| format!("creating {IO_CONTEXT}"))?;
    let mut out = BufWriter::with_capacity(1 << 16, records);
    let mut write_error = None;
    let mut offset = 0u64;
    let mut index = Vec::new();
    let mut summary = SummaryBuilder::default();
    let mut reuse = KeyReuse::default();
    let mut facts = ReportFacts::default();
    // Workers also serialise, so that the thread collecting results only
    // copies bytes: the assessment, a tab and the served CAs, then a tab
    // and the observation.
    let judge = |obs: Observation| {
        let (a, names) = analyzer.assess_with_leaf_names(&obs, when);
        let cas = ServedCas::of(&obs);
        let mut record = Vec::with_capacity(if keep_observations { 4096 } else { 2048 });
        let written = json::write_compact(&mut record, &a).and_then(|_| {
            record.push(b'\t');
            json::write_compact(&mut record, &cas)?;
            if keep_observations {
                record.push(b'\t');
                json::write_compact(&mut record, &obs)?;
            }
            record.push(b'\n');
            Ok(record)
        });
        (a, names, cas, written)
    };
    judge_lines(reader, jobs, judge, |judged| match judged {
        Ok((a, names, cas, record)) => {
            skipped.saw_observation();
            summary.add(&a);
            facts.add(&a, &cas);
            let written = record.and_then(|record| {
                out.write_all(&record)?;
                u32::try_from(record.len() - 1).map_err(std::io::Error::other)
            });
            match written {
                Ok(len) => {
                    reuse.add(index.len(), &a, names);
                    index.push(Entry {
                        offset,
                        len,
                        verdict: a.verdict,
                        host: a.target.host.as_str().into(),
                    });
                    offset += u64::from(len) + 1;
                }
                Err(e) => {
                    write_error.get_or_insert(e);
                }
            }
        }
        Err(e) => skipped.skipped(&e),
    });
    let (bad_lines, first_bad) = skipped.finish_with_positions()?;
    if let Some(e) = write_error {
        return Err(e).with_context(|| format!("writing {IO_CONTEXT}"));
    }
    let records = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {IO_CONTEXT}"))?;
    let mut file = JudgedFile {
        records,
        index,
        amendments: reuse.findings(),
        summary: SummaryBuilder::default().finish(true),
        bad_lines,
        first_bad,
        input: digest.finish(),
        facts,
    };
    // Correct the counts for the amended assessments before anyone reads.
    let amended: Vec<usize> = file.amendments.keys().copied().collect();
    for i in amended {
        let (record, cas, _) = file.read_raw(i)?;
        let before: Assessment = parse(&record)?;
        let after = file.judged(i, &record, &cas, None)?.assessment;
        summary.remove(&before);
        summary.add(&after);
        file.facts.reverdict(&after, before.verdict);
        file.index[i].verdict = after.verdict;
    }
    file.summary = summary.finish(true);
    Ok(file)
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).with_context(|| format!("reading back {IO_CONTEXT}"))
}

/// Splits a record into its assessment, served CAs and observation parts
/// (JSON escapes tabs in strings, so a tab only separates parts).
fn split(record: &[u8]) -> (&[u8], &[u8], Option<&[u8]>) {
    let mut parts = record.splitn(3, |&b| b == b'\t');
    let a = parts.next().unwrap_or_default();
    let cas = parts.next().unwrap_or(b"{}");
    (a, cas, parts.next())
}

impl JudgedFile {
    /// The records, in input order.
    pub fn index(&self) -> &[Entry] {
        &self.index
    }

    /// Record `i`'s assessment, served CAs and observation JSON, as written.
    fn read_raw(&mut self, i: usize) -> Result<RawRecord> {
        let record = &self.index[i];
        let mut bytes = vec![0; record.len as usize];
        self.records
            .seek(SeekFrom::Start(record.offset))
            .and_then(|_| self.records.read_exact(&mut bytes))
            .with_context(|| format!("reading back {IO_CONTEXT}"))?;
        let (a, cas, obs) = split(&bytes);
        Ok((a.to_vec(), cas.to_vec(), obs.map(<[u8]>::to_vec)))
    }

    /// Record `i`, its scan-level finding applied; the observation only if
    /// `with_observation` (and it was kept).
    pub fn read(&mut self, i: usize, with_observation: bool) -> Result<Judged> {
        let (a, cas, obs) = self.read_raw(i)?;
        self.judged(i, &a, &cas, obs.as_deref().filter(|_| with_observation))
    }

    fn judged(&self, i: usize, a: &[u8], cas: &[u8], obs: Option<&[u8]>) -> Result<Judged> {
        let mut assessment: Assessment = parse(a)?;
        if let Some(found) = self.amendments.get(&i) {
            cross_scan::amend(&mut assessment, found.clone());
        }
        Ok(Judged {
            assessment,
            observation: obs.map(parse).transpose()?,
            cas: parse(cas)?,
        })
    }

    /// Hands `f` every record, in input order; the observation only if
    /// `with_observation` (and it was kept).
    pub fn each_in_order(
        &mut self,
        with_observation: bool,
        mut f: impl FnMut(Judged) -> Result<()>,
    ) -> Result<()> {
        self.each_line(|file, i, a, cas, obs| {
            f(file.judged(i, a, cas, obs.filter(|_| with_observation))?)
        })
    }

    /// Hands `f` every assessment as a line of JSON (no newline), in input
    /// order: as written, or written anew when a scan-level finding changed it.
    pub fn each_json_line(&mut self, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.each_line(|file, i, a, cas, _| {
            if !file.amendments.contains_key(&i) {
                return f(a);
            }
            let mut line = Vec::new();
            json::write_compact(&mut line, &file.judged(i, a, cas, None)?.assessment)?;
            f(&line)
        })
    }

    /// Reads the temporary file from the start, handing `f` each record's
    /// index, assessment JSON, served CAs JSON and observation JSON.
    fn each_line(
        &mut self,
        mut f: impl FnMut(&Self, usize, &[u8], &[u8], Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        self.records
            .rewind()
            .with_context(|| format!("reading back {IO_CONTEXT}"))?;
        let reader = BufReader::with_capacity(1 << 16, &self.records);
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.with_context(|| format!("reading back {IO_CONTEXT}"))?;
            let (a, cas, obs) = split(&line);
            f(self, i, a, cas, obs)?;
        }
        Ok(())
    }
}
