//! The records that flow between the parts of mitmwatch:
//! targets -> [`Observation`]s (collector) -> [`Assessment`]s (analyzer) ->
//! reports. All are serde types with documented, versioned JSON forms.

mod assessment;
mod observation;
mod store;

pub use assessment::*;
pub use observation::*;
pub use store::*;
