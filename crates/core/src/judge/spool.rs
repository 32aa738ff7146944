//! A judged scan kept out of memory. Each assessment (and, when the caller
//! needs it, its observation) goes to an anonymous temporary file as it is
//! judged; memory keeps an index of those records, the summary counts and
//! what the scan-level check `leaf-key-reuse` needs. That check can only
//! be decided once the whole input has been read: its findings are then
//! applied to the records they concern as they are read back, and the
//! summary is corrected first, so that a report can begin with it.

use super::bad_lines::InputCounts;
use super::JudgeError;
use crate::analyze::cross_scan::{self, Interner, KeyReuse};
use crate::analyze::summary::SummaryBuilder;
use crate::analyze::LeafNames;
use crate::judge::facts::{ReportFacts, ServedCas};
use crate::model::json;
use crate::model::DataUsed;
use crate::model::{Assessment, Finding, InputFile, Observation, Provenance, ScanSummary, Verdict};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Where one judged observation's record lies in the temporary file, and
/// what a report sorts by.
pub struct Entry {
    /// Where its record begins; it ends, with a newline, where the next
    /// one begins (the last where the file ends).
    offset: u64,
    /// The verdict, after scan-level findings.
    pub verdict: Verdict,
    /// The target's host, by its number in the scan's list of hosts
    /// ([`JudgedScan::host`]).
    host: u32,
}

/// One record read back: the assessment (with any scan-level finding
/// applied) and, if kept, the observation it judged.
pub struct Judged {
    /// The assessment.
    pub assessment: Assessment,
    /// The observation, when the judge was asked to keep them.
    pub observation: Option<Observation>,
    /// The CAs its chain served (kept whether or not the observation is).
    pub cas: ServedCas,
}

/// One observation as a worker judged it: the assessment, the leaf names
/// the scan-level check needs, the served CAs and the record to spool.
pub(super) struct JudgedRecord {
    pub(super) assessment: Assessment,
    pub(super) leaf_names: LeafNames,
    pub(super) cas: ServedCas,
    /// The assessment, a tab and the served CAs, then (if kept) a tab and
    /// the observation, and a newline: serialised by the worker so that
    /// the thread collecting results only copies bytes.
    pub(super) bytes: std::io::Result<Vec<u8>>,
}

impl JudgedRecord {
    pub(super) fn new(
        assessment: Assessment,
        leaf_names: LeafNames,
        obs: &Observation,
        keep_observation: bool,
    ) -> Self {
        let cas = ServedCas::of(obs);
        let mut record = Vec::with_capacity(if keep_observation { 4096 } else { 2048 });
        let bytes = json::write_compact(&mut record, &assessment).and_then(|_| {
            record.push(b'\t');
            json::write_compact(&mut record, &cas)?;
            if keep_observation {
                record.push(b'\t');
                json::write_compact(&mut record, obs)?;
            }
            record.push(b'\n');
            Ok(record)
        });
        JudgedRecord {
            assessment,
            leaf_names,
            cas,
            bytes,
        }
    }
}

/// The records being written, before the scan-level check.
pub(super) struct Spool {
    out: BufWriter<File>,
    write_error: Option<std::io::Error>,
    offset: u64,
    index: Vec<Entry>,
    summary: SummaryBuilder,
    reuse: KeyReuse,
    facts: ReportFacts,
    hosts: Interner,
}

impl Spool {
    pub(super) fn new() -> Result<Self, JudgeError> {
        let file = tempfile::tempfile().map_err(|e| JudgeError::spool("creating", e))?;
        Ok(Spool {
            out: BufWriter::with_capacity(1 << 16, file),
            write_error: None,
            offset: 0,
            index: Vec::new(),
            summary: SummaryBuilder::default(),
            reuse: KeyReuse::default(),
            facts: ReportFacts::default(),
            hosts: Interner::default(),
        })
    }

    /// Writes one judged record; a write error is kept for [`Spool::finish`].
    pub(super) fn add(&mut self, judged: JudgedRecord) {
        let a = &judged.assessment;
        self.summary.add(a);
        self.facts.add(a, &judged.cas);
        let written = judged.bytes.and_then(|record| {
            self.out.write_all(&record)?;
            u64::try_from(record.len()).map_err(std::io::Error::other)
        });
        match written {
            Ok(len) => {
                self.reuse.add(self.index.len(), a, judged.leaf_names);
                self.index.push(Entry {
                    offset: self.offset,
                    verdict: a.verdict,
                    host: self.hosts.intern(&a.target.host),
                });
                self.offset += len;
            }
            Err(e) => {
                self.write_error.get_or_insert(e);
            }
        }
    }

    /// Decides the scan-level check and corrects the summary.
    /// `network_scan` is false for records that did not come from one
    /// network scan (imports): no blanket/targeted conclusion.
    pub(super) fn finish(
        self,
        network_scan: bool,
        counts: InputCounts,
        input: Option<InputFile>,
    ) -> Result<JudgedScan, JudgeError> {
        if let Some(e) = self.write_error {
            return Err(JudgeError::spool("writing", e));
        }
        let records = self
            .out
            .into_inner()
            .map_err(|e| JudgeError::spool("writing", e.into_error()))?;
        let mut summary = self.summary;
        let mut scan = JudgedScan {
            records,
            index: self.index,
            amendments: self.reuse.findings(),
            summary: SummaryBuilder::default().finish(network_scan),
            counts,
            input,
            facts: self.facts,
            hosts: self.hosts,
            end: self.offset,
        };
        // Correct the counts for the amended assessments before anyone reads.
        let amended: Vec<usize> = scan.amendments.keys().copied().collect();
        for i in amended {
            let (record, cas, _) = scan.read_raw(i)?;
            let before: Assessment = parse(&record)?;
            let after = scan.judged(i, &record, &cas, None)?.assessment;
            summary.remove(&before);
            summary.add(&after);
            scan.facts.reverdict(&after, before.verdict);
            scan.index[i].verdict = after.verdict;
        }
        scan.summary = summary.finish(network_scan);
        Ok(scan)
    }
}

/// A record's parts as written: assessment, served CAs, observation.
type RawRecord = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

/// A judged scan: the summary at once, the records one at a time.
pub struct JudgedScan {
    records: File,
    index: Vec<Entry>,
    amendments: BTreeMap<usize, Finding>,
    /// The scan's summary, scan-level findings included.
    pub summary: ScanSummary,
    /// What was read besides observations: bad records and their positions.
    pub counts: InputCounts,
    /// The input file: name, SHA-256 and size (none for observations
    /// handed over in memory).
    pub(crate) input: Option<InputFile>,
    /// Fingerprints, first and last seen, time span, verdicts per day.
    pub facts: ReportFacts,
    /// The hosts of the index's entries.
    hosts: Interner,
    /// Where the last record ends.
    end: u64,
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JudgeError> {
    serde_json::from_slice(bytes).map_err(JudgeError::SpoolDecode)
}

/// Splits a record into its assessment, served CAs and observation parts
/// (JSON escapes tabs in strings, so a tab only separates parts).
fn split(record: &[u8]) -> (&[u8], &[u8], Option<&[u8]>) {
    let mut parts = record.splitn(3, |&b| b == b'\t');
    let a = parts.next().unwrap_or_default();
    let cas = parts.next().unwrap_or(b"{}");
    (a, cas, parts.next())
}

impl JudgedScan {
    /// The target host of record `i` (see [`JudgedScan::index`]).
    pub fn host(&self, i: usize) -> &str {
        self.index.get(i).map_or("", |e| self.hosts.text(e.host))
    }

    /// The records, in input order.
    pub fn index(&self) -> &[Entry] {
        &self.index
    }

    /// How this scan was judged, for a report's provenance block: its
    /// input, the span of its observations, `--at` as given (`at`), the
    /// data used and the lines skipped.
    pub fn provenance(&self, at: &str, data: &DataUsed) -> Provenance {
        Provenance {
            inputs: self.input.iter().cloned().collect(),
            observed_from: self.facts.first,
            observed_until: self.facts.last,
            at: at.to_string(),
            data: data.clone(),
            skipped_lines: self.counts.bad,
            first_skipped: self.counts.skipped_lines(),
        }
    }

    /// Record `i`'s assessment, served CAs and observation JSON, as written.
    fn read_raw(&mut self, i: usize) -> Result<RawRecord, JudgeError> {
        let start = self.index[i].offset;
        let end = self.index.get(i + 1).map_or(self.end, |next| next.offset);
        let len = usize::try_from(end.saturating_sub(start + 1))
            .map_err(|e| JudgeError::spool("reading back", std::io::Error::other(e)))?;
        let mut bytes = vec![0; len];
        self.records
            .seek(SeekFrom::Start(start))
            .and_then(|_| self.records.read_exact(&mut bytes))
            .map_err(|e| JudgeError::spool("reading back", e))?;
        let (a, cas, obs) = split(&bytes);
        Ok((a.to_vec(), cas.to_vec(), obs.map(<[u8]>::to_vec)))
    }

    /// Record `i`, its scan-level finding applied; the observation only if
    /// `with_observation` (and it was kept).
    pub fn read(&mut self, i: usize, with_observation: bool) -> Result<Judged, JudgeError> {
        let (a, cas, obs) = self.read_raw(i)?;
        self.judged(i, &a, &cas, obs.as_deref().filter(|_| with_observation))
    }

    fn judged(
        &self,
        i: usize,
        a: &[u8],
        cas: &[u8],
        obs: Option<&[u8]>,
    ) -> Result<Judged, JudgeError> {
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
    /// `with_observation` (and it was kept). `f`'s error ends the reading.
    pub fn each_in_order<E: From<JudgeError>>(
        &mut self,
        with_observation: bool,
        mut f: impl FnMut(Judged) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_line(|scan, i, a, cas, obs| {
            f(scan.judged(i, a, cas, obs.filter(|_| with_observation))?)
        })
    }

    /// Hands `f` every assessment as a line of JSON (no newline), in input
    /// order: as written, or written anew when a scan-level finding changed it.
    pub fn each_json_line<E: From<JudgeError>>(
        &mut self,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_line(|scan, i, a, cas, _| {
            if !scan.amendments.contains_key(&i) {
                return f(a);
            }
            let mut line = Vec::new();
            let amended = scan.judged(i, a, cas, None)?.assessment;
            json::write_compact(&mut line, &amended)
                .map_err(|e| JudgeError::spool("writing", e))?;
            f(&line)
        })
    }

    /// Every assessment, in input order (for scans small enough to hold).
    pub fn assessments(&mut self) -> Result<Vec<Assessment>, JudgeError> {
        let mut all = Vec::with_capacity(self.index.len());
        self.each_in_order(false, |j| {
            all.push(j.assessment);
            Ok::<(), JudgeError>(())
        })?;
        Ok(all)
    }

    /// Reads the temporary file from the start, handing `f` each record's
    /// index, assessment JSON, served CAs JSON and observation JSON.
    fn each_line<E: From<JudgeError>>(
        &mut self,
        mut f: impl FnMut(&Self, usize, &[u8], &[u8], Option<&[u8]>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.records
            .rewind()
            .map_err(|e| JudgeError::spool("reading back", e))?;
        let reader = BufReader::with_capacity(1 << 16, &self.records);
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.map_err(|e| JudgeError::spool("reading back", e))?;
            let (a, cas, obs) = split(&line);
            f(self, i, a, cas, obs)?;
        }
        Ok(())
    }
}
