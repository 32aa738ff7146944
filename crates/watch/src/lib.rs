//! mitmwatch-watch: the history of `mitmwatch watch`, which runs the
//! `check` measurement on a schedule.
//!
//! * [`schema`]: the SQLite database (WAL, versioned and migrated schema),
//!   refusing any file that is not a sound mitmwatch history;
//! * [`record`]: a run stored in one transaction, chains and the other
//!   repeating parts of observations stored once by digest;
//! * [`episodes`]: interception (or a new issuing CA, or a newly added
//!   local root) opening an episode, closing it after a stable stretch;
//! * [`query`] and [`timeline`]: runs, episodes, per-site timelines and the
//!   stored observations as ordinary observation records;
//! * [`notify`]: the `--on-change` command and desktop notifications;
//! * [`lock`], [`schedule`], [`network`], [`duration`]: one measurement at
//!   a time, the schedule with jitter and sleep detection, the network a
//!   run was made on, and durations on the command line.
//!
//! No command-line parsing and no sockets: the binary measures (with
//! `mitmwatch-collect`) and hands the results here.

#![forbid(unsafe_code)]

pub mod duration;
pub mod episodes;
pub mod error;
pub mod history;
pub mod lock;
pub mod network;
pub mod notify;
pub mod query;
pub mod record;
pub mod schedule;
pub mod schema;
pub mod timeline;

pub use error::{Result, WatchError};
pub use history::{Episode, History, LocalRoot, Outcome};
pub use schema::Access;
