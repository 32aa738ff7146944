//! The records that flow between the parts of mitmwatch:
//! targets -> [`Observation`]s (collector) -> [`Assessment`]s (analyzer) ->
//! reports. All are serde types with documented, versioned JSON forms.

mod assessment;
mod check;
mod comparison;
mod data_used;
mod evidence;
mod fingerprint;
pub mod json;
mod locate;
mod observation;
mod probe;
mod provenance;
mod store_audit;

pub use assessment::*;
pub use check::*;
pub use comparison::*;
pub use data_used::*;
pub use evidence::*;
pub use fingerprint::{Fingerprint, FingerprintError};
pub use locate::*;
pub use observation::*;
pub use probe::*;
pub use provenance::*;
pub use store_audit::*;
