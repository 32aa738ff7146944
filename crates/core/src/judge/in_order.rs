//! Work on several threads with results in input order. The calling
//! thread takes items from a source; workers process them in batches; the
//! results come back to the calling thread in the order of the items. At
//! most a few batches per worker are in flight, so memory does not grow
//! with the input.

use std::collections::BTreeMap;
use std::sync::{mpsc, Mutex};

/// Items handed to a worker at a time: enough to make the hand-over cheap
/// next to judging them, few enough to keep every worker busy.
const BATCH_ITEMS: usize = 64;

/// Batches queued per worker, beyond the one each is working on.
const QUEUED_PER_WORKER: usize = 2;

/// The number of threads to judge on by default: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Applies `work` to every item `next` gives, on `jobs` threads (1: on
/// this thread, with no thread started), and hands each result to `sink`
/// in the order of the items. `work` must not panic (callers catch panics
/// per item, as [`super::Judge`] does); if it does all the same, the panic
/// goes on once the other threads have stopped.
pub(crate) fn in_order<R: Send, T: Send>(
    mut next: impl FnMut() -> Option<R>,
    jobs: usize,
    work: impl Fn(R) -> T + Sync,
    mut sink: impl FnMut(T),
) {
    if jobs <= 1 {
        while let Some(item) = next() {
            sink(work(item));
        }
        return;
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<R>)>(QUEUED_PER_WORKER * jobs);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<T>)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (work_rx, done_tx, work) = (&work_rx, done_tx.clone(), &work);
            scope.spawn(move || loop {
                // The lock is held only while waiting for the next batch.
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, batch)) = next else {
                    return;
                };
                let done: Vec<T> = batch.into_iter().map(work).collect();
                if done_tx.send((seq, done)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);

        // Batches finished out of order wait here for their turn.
        let mut finished = BTreeMap::new();
        let mut next_out = 0usize;
        let mut deliver = |finished: &mut BTreeMap<usize, Vec<T>>| {
            while let Some(batch) = finished.remove(&next_out) {
                batch.into_iter().for_each(&mut sink);
                next_out += 1;
            }
        };
        let mut seq = 0usize;
        let mut more = true;
        while more {
            let mut batch = Vec::with_capacity(BATCH_ITEMS);
            while batch.len() < BATCH_ITEMS {
                match next() {
                    Some(item) => batch.push(item),
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
            while let Ok((s, done)) = done_rx.try_recv() {
                finished.insert(s, done);
            }
            deliver(&mut finished);
        }
        drop(work_tx);
        for (s, done) in done_rx {
            finished.insert(s, done);
            deliver(&mut finished);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items_whatever_the_threads() {
        for jobs in [1, 2, 3, 8] {
            let mut items = 0..1000u64;
            let mut out = Vec::new();
            // Uneven work, so that batches finish out of order.
            let work = |i: u64| {
                if i.is_multiple_of(7) {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
                i * 2
            };
            in_order(|| items.next(), jobs, work, |r| out.push(r));
            let expected: Vec<u64> = (0..1000).map(|i| i * 2).collect();
            assert_eq!(out, expected, "jobs {jobs}");
        }
        let mut none = std::iter::empty::<u8>();
        let mut out = Vec::new();
        in_order(|| none.next(), 4, |i| i, |r| out.push(r));
        assert!(out.is_empty());
    }
}
