//! mitmwatch-store: the local trust-store audit behind `mitmwatch store`: which roots this
//! machine trusts, which of them are known interception roots, and whether
//! the root behind intercepted connections is installed here.
//!
//! Interception works silently only when its root is installed on the
//! device; Kazakhstan's ISPs told people to install theirs. This module
//! answers "is it installed, and where?".
//!
//! Two layers, as in the rest of mitmwatch:
//!
//! - I/O, which only reads: `system` (the operating system's store through
//!   rustls-native-certs), `files` (bundle files, anchor directories,
//!   `--path`), `nss` (NSS `cert9.db` of Firefox and Chrome, opened
//!   read-only) and [`discover`], which finds the stores of a machine from
//!   [`StoreOptions`] (the home directory and file-system root are inputs).
//!   A store that cannot be read becomes a [`StoreSource`] with an error
//!   naming the file; the others are still read.
//! - Pure functions: `decode` (certificates from PEM or DER bytes),
//!   `locations` (where stores live), [`audit`](mod@audit) (public, local or known
//!   interception, using the catalog matching of the analyzer) and
//!   [`link`] (served chains tied to installed roots).

#![forbid(unsafe_code)]

pub mod audit;
pub(crate) mod decode;
pub mod discover;
pub(crate) mod files;
pub mod link;
pub(crate) mod locations;
pub(crate) mod nss;
pub(crate) mod system;

pub use audit::{audit, Audit, AuditedRoot, StoreOutcome};
pub use discover::{read_stores, StoreOptions};
pub use link::check_store;

use mitmwatch_core::model::{StoreLocation, StoreSource};

/// One certificate as a store holds it, before any judgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FoundCert {
    /// The certificate, DER.
    pub(crate) der: Vec<u8>,
    /// Where it was found and how the store trusts it.
    pub(crate) location: StoreLocation,
}

/// What reading one store gave: its description and its certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRead {
    /// The store, its status and its errors.
    pub(crate) source: StoreSource,
    /// The certificates read from it.
    pub(crate) certs: Vec<FoundCert>,
}
