//! The SHA-256 of an input, computed while it is read (stdin cannot be
//! read twice), for the provenance block of reports.

use crate::model::InputFile;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// The digest so far, shared between the reader and whoever asks.
#[derive(Clone)]
pub struct InputDigest {
    name: String,
    state: Arc<Mutex<(ring::digest::Context, u64)>>,
}

impl InputDigest {
    /// For the input named `name`.
    pub(crate) fn new(name: &str) -> Self {
        InputDigest {
            name: name.to_string(),
            state: Arc::new(Mutex::new((
                ring::digest::Context::new(&ring::digest::SHA256),
                0,
            ))),
        }
    }

    /// Wraps `inner` so that every byte read goes into the digest.
    pub(crate) fn reader<R: Read>(&self, inner: R) -> HashingRead<R> {
        HashingRead {
            inner,
            state: Arc::clone(&self.state),
        }
    }

    /// The input as read so far: name, SHA-256 and length.
    pub(crate) fn finish(&self) -> InputFile {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        InputFile {
            name: self.name.clone(),
            sha256: crate::encoding::hex(state.0.clone().finish().as_ref()),
            bytes: state.1,
        }
    }
}

/// A reader that feeds an [`InputDigest`].
pub struct HashingRead<R> {
    inner: R,
    state: Arc<Mutex<(ring::digest::Context, u64)>>,
}

impl<R: Read> Read for HashingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0.update(&buf[..n]);
        state.1 += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_that_of_the_bytes_read() {
        let d = InputDigest::new("x");
        let mut out = Vec::new();
        d.reader(&b"abc"[..]).read_to_end(&mut out).unwrap();
        let f = d.finish();
        assert_eq!(f.bytes, 3);
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
