//! The SHA-256 of an input, computed while it is read (stdin cannot be
//! read twice), for the provenance block of reports.
//!
//! Hashing is a tenth of the work of judging a file of repeated chains,
//! and the thread that reads the input is the one that hands lines to the
//! judging threads: when there are several ([`InputDigest::in_background`]),
//! what is read is hashed on a thread of its own, so that the reader does
//! not hold the others back.

use crate::model::InputFile;
use std::io::Read;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Bytes hashed and their count.
type Hashed = (ring::digest::Context, u64);

/// Where the bytes read go.
enum State {
    /// Hashed by the reading thread.
    Inline(Hashed),
    /// Sent to a hashing thread, which gives the result when the sender
    /// is dropped.
    Background {
        chunks: SyncSender<Vec<u8>>,
        hasher: JoinHandle<Hashed>,
    },
    /// Hashing has ended (the background thread's result, or a failure).
    Finished(Option<Hashed>),
}

/// Chunks in flight to the hashing thread (each as large as a read).
const CHUNKS_IN_FLIGHT: usize = 8;

/// The digest so far, shared between the reader and whoever asks.
#[derive(Clone)]
pub struct InputDigest {
    name: String,
    state: Arc<Mutex<State>>,
}

fn fresh() -> Hashed {
    (ring::digest::Context::new(&ring::digest::SHA256), 0)
}

impl InputDigest {
    /// For the input named `name`.
    pub(crate) fn new(name: &str) -> Self {
        InputDigest {
            name: name.to_string(),
            state: Arc::new(Mutex::new(State::Inline(fresh()))),
        }
    }

    /// From now on, hashes what is read on a thread of its own (what was
    /// read so far is carried over). Does nothing if it already does, or
    /// if the thread cannot be started.
    pub(crate) fn in_background(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State::Inline(so_far) = &*state else {
            return;
        };
        let (chunks, received) = sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
        let mut hashed = (so_far.0.clone(), so_far.1);
        let spawned = std::thread::Builder::new()
            .name("input digest".into())
            .spawn(move || {
                for chunk in received {
                    hashed.0.update(&chunk);
                    hashed.1 += chunk.len() as u64;
                }
                hashed
            });
        if let Ok(hasher) = spawned {
            *state = State::Background { chunks, hasher };
        }
    }

    /// Wraps `inner` so that every byte read goes into the digest.
    pub(crate) fn reader<R: Read>(&self, inner: R) -> HashingRead<R> {
        HashingRead {
            inner,
            state: Arc::clone(&self.state),
        }
    }

    /// The input as read so far: name, SHA-256 and size. With a hashing
    /// thread, it is told to finish (nothing read afterwards is hashed).
    pub(crate) fn finish(&self) -> InputFile {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(&*state, State::Background { .. }) {
            if let State::Background { chunks, hasher } =
                std::mem::replace(&mut *state, State::Finished(None))
            {
                drop(chunks);
                *state = State::Finished(hasher.join().ok());
            }
        }
        let (sha256, bytes) = match &*state {
            State::Inline((ctx, n)) | State::Finished(Some((ctx, n))) => {
                (crate::encoding::hex(ctx.clone().finish().as_ref()), *n)
            }
            // The hashing thread failed: no digest to give.
            State::Finished(None) | State::Background { .. } => (String::new(), 0),
        };
        InputFile {
            name: self.name.clone(),
            sha256,
            bytes,
        }
    }
}

/// A reader that feeds an [`InputDigest`].
pub struct HashingRead<R> {
    inner: R,
    state: Arc<Mutex<State>>,
}

impl<R: Read> Read for HashingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *state {
            State::Inline((ctx, count)) => {
                ctx.update(&buf[..n]);
                *count += n as u64;
            }
            State::Background { chunks, .. } => {
                if n > 0 && chunks.send(buf[..n].to_vec()).is_err() {
                    return Err(std::io::Error::other("the input digest thread stopped"));
                }
            }
            State::Finished(_) => {}
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_that_of_the_bytes_read() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        for background in [false, true] {
            let d = InputDigest::new("x");
            let mut reader = d.reader(&b"abc"[..]);
            let mut byte = [0u8; 1];
            // One byte a read: several chunks, the first hashed before
            // hashing moves to its thread.
            assert_eq!(reader.read(&mut byte).unwrap(), 1);
            if background {
                d.in_background();
            }
            while reader.read(&mut byte).unwrap() == 1 {}
            let f = d.finish();
            assert_eq!(
                (f.bytes, f.sha256.as_str()),
                (3, abc),
                "background {background}"
            );
            assert_eq!(d.finish().sha256, abc, "finish twice");
        }
    }
}
