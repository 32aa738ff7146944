//! What the judge reads: a mitmwatch observation file (or stdin), OONI
//! measurements, a directory of PEM chains, or observations already in
//! memory (a live scan, `check`). Files are read line by line with the
//! bounded line reader, and hashed as they are read (stdin cannot be read
//! twice) for the report's provenance block.

use super::bad_lines::{BadLines, InputCounts, Notice};
use super::digest::InputDigest;
use super::refuse::refuse_non_observations;
use super::JudgeError;
use crate::import::ooni::MeasurementLines;
use crate::import::{self, ImportResult, InputFormat};
use crate::model::{InputFile, Observation};
use crate::observation_file::{ObservationReader, READ_ERROR};
use std::io::BufRead;
use std::path::Path;

/// A reader that can go to a judging thread's caller.
type Source = Box<dyn BufRead + Send>;

/// Bytes read from an input at a time: a few dozen observations, so that
/// the system calls and the digest's lock cost little per observation.
const READ_BUFFER: usize = 1 << 18;

/// Opens `path` (`-`: stdin) for reading, hashing what is read.
fn open(path: &Path, digest: &InputDigest) -> Result<Source, JudgeError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::BufReader::with_capacity(
            READ_BUFFER,
            digest.reader(std::io::stdin()),
        )));
    }
    let file = std::fs::File::open(path).map_err(|source| JudgeError::Open {
        input: path.display().to_string(),
        source,
    })?;
    Ok(Box::new(std::io::BufReader::with_capacity(
        READ_BUFFER,
        digest.reader(file),
    )))
}

/// A mitmwatch observation file, open for reading line by line.
pub struct ObservationFile {
    pub(super) reader: ObservationReader<Source>,
    pub(super) digest: InputDigest,
}

impl ObservationFile {
    /// Opens the observation file at `path` (`-`: stdin). A directory, or a
    /// file that holds assessments or probe records, is refused.
    pub fn open(path: &Path) -> Result<Self, JudgeError> {
        let name = path.display().to_string();
        if path.as_os_str() != "-" && path.is_dir() {
            return Err(JudgeError::Directory { input: name });
        }
        let digest = InputDigest::new(&name);
        let reader = open(path, &digest)?;
        Self::hashed(reader, name, digest)
    }

    /// Observations read from `reader` (a pipe, a socket, bytes in
    /// memory), called `name` in messages.
    pub fn from_reader(
        reader: impl BufRead + Send + 'static,
        name: &str,
    ) -> Result<Self, JudgeError> {
        let digest = InputDigest::new(name);
        let reader: Source = Box::new(std::io::BufReader::new(digest.reader(reader)));
        Self::hashed(reader, name.to_string(), digest)
    }

    fn hashed(mut reader: Source, name: String, digest: InputDigest) -> Result<Self, JudgeError> {
        refuse_non_observations(&mut reader, &name)?;
        Ok(ObservationFile {
            reader: ObservationReader::new(reader, name),
            digest,
        })
    }

    /// The file's name, as given.
    pub(crate) fn input(&self) -> &str {
        self.reader.input()
    }

    /// The file as read so far: name, SHA-256 and size.
    pub fn digest(&self) -> InputFile {
        self.digest.finish()
    }

    /// Hands `f` every observation, one at a time, without judging them;
    /// bad lines follow the bad-line policy (`super::bad_lines`). A read
    /// error ends the reading with an error.
    pub fn for_each(
        self,
        notify: &mut dyn FnMut(Notice<'_>),
        mut f: impl FnMut(Observation),
    ) -> Result<InputCounts, JudgeError> {
        let mut tally = BadLines::new(self.reader.input());
        for item in self.reader {
            match item {
                Ok(obs) => {
                    tally.observation();
                    f(obs)
                }
                Err(e) if e.message.starts_with(READ_ERROR) => {
                    return Err(JudgeError::Unreadable {
                        input: e.input,
                        message: e.message,
                    })
                }
                Err(e) => tally.bad(e.into(), notify),
            }
        }
        Ok(tally.finish(true, notify))
    }
}

/// OONI measurements (JSON Lines), open for reading line by line.
pub struct OoniFile {
    pub(super) lines: MeasurementLines<Source>,
    pub(super) name: String,
    pub(super) digest: InputDigest,
}

impl OoniFile {
    /// Opens the OONI measurements at `path` (`-`: stdin).
    pub(crate) fn open(path: &Path) -> Result<Self, JudgeError> {
        let name = path.display().to_string();
        let digest = InputDigest::new(&name);
        Ok(OoniFile {
            lines: MeasurementLines::new(open(path, &digest)?),
            name,
            digest,
        })
    }
}

/// Observations to judge, and where they come from.
pub enum Input {
    /// A mitmwatch observation file: one network scan.
    Observations(ObservationFile),
    /// OONI measurements: handshakes from many networks and times.
    Ooni(OoniFile),
    /// A directory of PEM chains, read whole (one small file per chain).
    PemDir {
        /// The directory, as given.
        name: String,
        /// What was read of it.
        read: ImportResult,
    },
    /// Observations already in memory, in the order given.
    InMemory {
        /// What to call them in messages (`the scan`, …).
        name: String,
        /// The observations.
        observations: Vec<Observation>,
        /// Whether they come from one network scan (a blanket or targeted
        /// pattern can then be concluded).
        network_scan: bool,
    },
}

impl Input {
    /// Opens `path` in `format`: mitmwatch's own observations, OONI
    /// measurements or a directory of PEM chains.
    pub fn open(path: &Path, format: InputFormat) -> Result<Input, JudgeError> {
        match format {
            InputFormat::Mitmwatch => ObservationFile::open(path).map(Input::Observations),
            InputFormat::Ooni => OoniFile::open(path).map(Input::Ooni),
            InputFormat::PemDir => {
                let name = path.display().to_string();
                if !path.is_dir() {
                    return Err(JudgeError::NotADirectory { input: name });
                }
                let read = import::pem_dir::read_dir(path)?;
                Ok(Input::PemDir { name, read })
            }
        }
    }

    /// Observations in memory, called `name` in messages; `network_scan`
    /// when they come from one network scan.
    pub fn in_memory(
        name: impl Into<String>,
        observations: Vec<Observation>,
        network_scan: bool,
    ) -> Input {
        Input::InMemory {
            name: name.into(),
            observations,
            network_scan,
        }
    }
}
