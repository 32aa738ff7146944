//! Certificate Transparency: verifying the signed certificate timestamps
//! (SCTs) embedded in a certificate against a CT log list, and judging them
//! by Chrome's and Apple's policies. Pure: no I/O, and time is passed in.
//!
//! A public CA logs a precertificate and embeds the logs' SCTs in the final
//! certificate. An interceptor cannot do that: a leaf it mints has no SCTs,
//! and SCTs it copies from the genuine certificate do not verify, because a
//! log signed the genuine certificate's TBS and issuer key, not the copy's.
//!
//! One file per concept: [`sct`] (the TLS-encoded SCT list), [`precert`]
//! (rebuilding the precertificate TBS with the `der` crate, and the signed
//! data), `signature` (the log's signature, with ring),
//! [`log_list`] (the logs: keys, operators, states, intervals), `v3`
//! (Chrome's v3 `log_list.json` format), [`history`] (the logs' states
//! over time, from past versions of Chrome's list), `standing` (a log's
//! state at a given time, and whether one of its SCTs counts), [`embedded`]
//! (all of a certificate's SCTs, verified) and `policy` (Chrome and Apple).

pub mod embedded;
pub mod history;
pub mod log_list;
pub(crate) mod policy;
pub mod precert;
pub mod sct;
pub(crate) mod signature;
pub(crate) mod signed;
pub(crate) mod standing;
pub(crate) mod v3;

pub use embedded::{CheckedSct, EmbeddedScts, SctStatus};
pub use history::LogHistory;
pub use log_list::{CtLog, LogList, LogListError, LogState, StateKind, TreeHead};
pub use signature::{LogKey, LogKeyError};
pub use signed::{ListSignatureError, ListSigningKey};
