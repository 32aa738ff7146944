//! [`AnalysisData`]: everything the analyzer judges chains against, in one
//! value. [`AnalysisData::builtin`] is exactly what the command line uses
//! when it is given no data flags and `mitmwatch update` has saved nothing:
//! the library and the CLI judge the same input the same way.

use super::baseline::Baseline;
use super::catalog::{Catalog, CatalogError};
use super::intermediates::{IntermediatePool, IntermediatesError};
use super::removed_roots::{RemovedRoots, RemovedRootsError};
use super::static_pins::{PinDataError, PinStore};
use super::trust_store::TrustStore;
use crate::ct::{LogHistory, LogList};
use std::sync::Arc;

/// The data a verdict depends on. Each field can be replaced before the
/// analyzer is built (`--roots`, `--pins`, `--ct-log-list`, …).
#[derive(Clone, Debug)]
pub struct AnalysisData {
    /// Known interception roots and products (built-in catalog).
    pub catalog: Catalog,
    /// The trust store (Mozilla's roots from webpki-roots).
    pub trust: TrustStore,
    /// Static pins (built-in `certs/pins.json`).
    pub pins: PinStore,
    /// The issuing CAs a trusted vantage saw per domain (none by default).
    pub baseline: Option<Baseline>,
    /// The CT log list (built-in, with the older logs' keys).
    pub ct_logs: Arc<LogList>,
    /// The CT logs' states over time (built-in, from versions of Chrome's
    /// log list), to judge an SCT with its log's state when it was made.
    pub ct_history: Arc<LogHistory>,
    /// Roots Mozilla's store has dropped, with their dates (built-in).
    pub removed_roots: RemovedRoots,
    /// Issuing CAs that complete chains whose server left them out (the
    /// shipped set).
    pub intermediates: IntermediatePool,
}

/// Why the built-in data could not be loaded (only a broken build can
/// cause it: the tests load every built-in file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisDataError {
    /// The built-in catalog.
    #[error("the built-in catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// The built-in pins.
    #[error("the built-in pins: {0}")]
    Pins(#[from] PinDataError),
    /// The built-in removed roots.
    #[error("the built-in removed roots: {0}")]
    RemovedRoots(#[from] RemovedRootsError),
    /// The shipped intermediates.
    #[error("the shipped intermediates: {0}")]
    Intermediates(#[from] IntermediatesError),
}

impl AnalysisData {
    /// The built-in data: what `mitmwatch analyze` uses without flags.
    pub fn builtin() -> Result<Self, AnalysisDataError> {
        Ok(AnalysisData {
            catalog: Catalog::builtin()?,
            trust: TrustStore::mozilla(),
            pins: PinStore::builtin()?,
            baseline: None,
            ct_logs: LogList::builtin(),
            ct_history: LogHistory::builtin(),
            removed_roots: RemovedRoots::builtin()?,
            intermediates: IntermediatePool::shipped()?,
        })
    }

    /// The built-in data with another trust store (`--roots`), as tests
    /// with their own PKI need.
    pub fn with_trust(trust: TrustStore) -> Result<Self, AnalysisDataError> {
        Ok(AnalysisData {
            trust,
            ..AnalysisData::builtin()?
        })
    }
}
