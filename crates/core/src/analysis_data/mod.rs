//! What the analyzer judges chains against, as opposed to the chains
//! themselves: the trust store and the roots it dropped, the pool of known
//! intermediates, the [`catalog`] of interception roots, the static pins,
//! and a baseline from a trusted vantage. (The CT log list, the fifth
//! input, lives with the CT code that reads it: [`crate::ct::log_list`].) Each is built
//! from bytes (compiled in, or read by the caller) and then passed to the
//! pure analyzer; [`data_used`] says which were in force for a run. The
//! [`domains`] lists are product data too: the sites `check` measures.

pub mod baseline;
pub mod catalog;
pub mod data_used;
pub mod defaults;
pub mod domains;
pub mod intermediates;
pub mod removed_roots;
pub mod static_pins;
pub mod trust_store;
