//! Importers: other tools' records turned into [`Observation`](crate::model::Observation)s, so that
//! the analyzer judges them like mitmwatch's own handshakes.
//!
//! * [`ooni`]: OONI measurements (JSON Lines) with TLS handshakes in the
//!   `df-006-tlshandshake` format (web_connectivity, urlgetter, tlsping, …);
//! * [`pem_dir`]: a directory of PEM (or DER) chain files, one chain per file.
//!
//! Reading never stops at a bad record: each becomes an [`ImportError`]
//! naming the input and the position, and the other records are still read.
//! Imported observations carry [`crate::model::Imported`], which says where
//! they came from and whether the recorder kept only the leaf.

pub mod ooni;
pub mod pem_dir;

use std::fmt;

/// Where observations come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// mitmwatch's own observations (JSON Lines from `scan`).
    Mitmwatch,
    /// OONI measurements, JSON Lines.
    Ooni,
    /// A directory of PEM chain files.
    PemDir,
}

/// A record that could not be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// The file (or `-` for stdin).
    pub(crate) input: String,
    /// 1-based line number, for line-oriented inputs.
    pub line: Option<usize>,
    /// What was wrong, and where in the record.
    pub(crate) message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.input, self.message),
            None => write!(f, "{}: {}", self.input, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// What an importer read.
#[derive(Debug, Default)]
pub struct ImportResult {
    /// The observations, in input order.
    pub observations: Vec<crate::model::Observation>,
    /// The records that could not be imported.
    pub errors: Vec<ImportError>,
    /// Records that were fine but held nothing to import (an OONI
    /// measurement of a plain-HTTP URL has no TLS handshake).
    pub without_tls: usize,
}
