//! Judging an observation file on several threads. The calling thread
//! reads lines; workers decode and judge them in batches; the results come
//! back to the calling thread in input order. At most a few batches per
//! worker are in flight, so memory does not grow with the file.

use mitmwatch::model::Observation;
use mitmwatch::observation_file::{ObservationLineError, ObservationReader, RawLine};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::panic::AssertUnwindSafe;
use std::sync::{mpsc, Mutex};

/// Lines handed to a worker at a time: enough to make the hand-over cheap
/// next to judging them, few enough to keep every worker busy.
const BATCH_LINES: usize = 64;

/// Batches queued per worker, beyond the one each is judging.
const QUEUED_PER_WORKER: usize = 2;

/// What a panic said, if it said it as text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// The number of threads to judge on by default: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Decodes every line of `reader` and applies `judge` to its observation
/// on `jobs` threads (1: on this thread, with no threads started), then
/// hands each result to `sink` in the order of the lines, or the line's
/// error if it held no observation. Blank lines give nothing.
pub fn judge_lines<R: BufRead, T: Send>(
    mut reader: ObservationReader<R>,
    jobs: usize,
    judge: impl Fn(Observation) -> T + Sync,
    mut sink: impl FnMut(Result<T, ObservationLineError>),
) {
    let input = reader.input().to_string();
    let judge = |raw: RawLine| {
        let line = raw.line;
        let item = raw.decode(&input)?;
        // A panic in the analyzer is a bug; it costs this line, not the run.
        Some(item.and_then(|obs| {
            std::panic::catch_unwind(AssertUnwindSafe(|| judge(obs))).map_err(|panic| {
                ObservationLineError {
                    input: input.clone(),
                    line,
                    message: format!(
                        "mitmwatch failed to judge this observation ({}); this is a bug, please report it",
                        panic_text(&*panic)
                    ),
                }
            })
        }))
    };
    if jobs <= 1 {
        while let Some(raw) = reader.next_raw() {
            if let Some(judged) = judge(raw) {
                sink(judged);
            }
        }
        return;
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<RawLine>)>(QUEUED_PER_WORKER * jobs);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<Result<T, ObservationLineError>>)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (work_rx, done_tx, judge) = (&work_rx, done_tx.clone(), &judge);
            scope.spawn(move || loop {
                // The lock is held only while waiting for the next batch.
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, batch)) = next else {
                    return;
                };
                let judged: Vec<_> = batch.into_iter().filter_map(judge).collect();
                if done_tx.send((seq, judged)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);

        // Batches finished out of order wait here for their turn.
        let mut finished = BTreeMap::new();
        let mut next_out = 0usize;
        let mut deliver = |finished: &mut BTreeMap<usize, Vec<_>>| {
            while let Some(batch) = finished.remove(&next_out) {
                batch.into_iter().for_each(&mut sink);
                next_out += 1;
            }
        };
        let mut seq = 0usize;
        let mut more = true;
        while more {
            let mut batch = Vec::with_capacity(BATCH_LINES);
            while batch.len() < BATCH_LINES {
                match reader.next_raw() {
                    Some(raw) => batch.push(raw),
                    None => {
                        more = false;
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                if work_tx.send((seq, batch)).is_err() {
                    break;
                }
                seq += 1;
            }
            while let Ok((s, judged)) = done_rx.try_recv() {
                finished.insert(s, judged);
            }
            deliver(&mut finished);
        }
        drop(work_tx);
        for (s, judged) in done_rx {
            finished.insert(s, judged);
            deliver(&mut finished);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitmwatch::analysis_data::catalog::Catalog;
    use mitmwatch::analysis_data::static_pins::PinStore;
    use mitmwatch::analysis_data::trust_store::TrustStore;
    use mitmwatch::analyze::{Analyzer, ValidationTime};

    /// An observation line with no chain (a refused connection) for `host`.
    fn line(host: &str) -> String {
        format!(
            r#"{{"schema":1,"tool":"t","target":{{"host":"{host}","port":443,"sni":"{host}"}},"address":null,"route":null,"started_at":"2026-01-01T00:00:00Z","duration_ms":1.0,"status":"connect-refused","failure":"refused","tls":null,"chain":[],"stock_verification":null}}"#
        )
    }

    fn judged_hosts(text: &str, jobs: usize) -> Vec<String> {
        let analyzer = Analyzer::new(
            Catalog::builtin().unwrap(),
            TrustStore::mozilla(),
            PinStore::builtin().unwrap(),
            None,
        );
        let reader = ObservationReader::new(text.as_bytes(), "t.jsonl");
        let mut out = Vec::new();
        let judge = |obs: Observation| analyzer.assess(&obs, ValidationTime::Observed);
        judge_lines(reader, jobs, judge, |j| {
            out.push(match j {
                Ok(a) => a.target.host,
                Err(e) => format!("error at line {}", e.line),
            })
        });
        out
    }

    #[test]
    fn results_keep_the_order_of_the_lines_whatever_the_threads() {
        let mut text = String::new();
        let mut expected = Vec::new();
        for i in 0..1000 {
            if i % 97 == 5 {
                text.push_str("not json\n");
                expected.push(format!("error at line {}", i + 1));
            } else if i % 101 == 7 {
                text.push('\n');
            } else {
                text.push_str(&line(&format!("h{i}.example")));
                text.push('\n');
                expected.push(format!("h{i}.example"));
            }
        }
        for jobs in [1, 2, 3, 8] {
            assert_eq!(judged_hosts(&text, jobs), expected, "jobs {jobs}");
        }
        assert!(judged_hosts("", 4).is_empty());
    }

    #[test]
    fn a_panic_while_judging_costs_only_its_line() {
        let text: String = (0..200)
            .map(|i| line(&format!("h{i}.example")) + "\n")
            .collect();
        for jobs in [1, 3] {
            let mut out = Vec::new();
            let reader = ObservationReader::new(text.as_bytes(), "t.jsonl");
            let judge = |obs: Observation| {
                assert!(obs.target.host != "h150.example", "deliberate");
                obs.target.host
            };
            judge_lines(reader, jobs, judge, |j| {
                out.push(j.unwrap_or_else(|e| e.to_string()))
            });
            assert_eq!(out.len(), 200, "jobs {jobs}");
            assert_eq!(out[149], "h149.example");
            assert!(
                out[150].starts_with(
                    "t.jsonl:151: mitmwatch failed to judge this observation (deliberate)"
                ),
                "{}",
                out[150]
            );
            assert_eq!(out[151], "h151.example");
        }
    }
}
