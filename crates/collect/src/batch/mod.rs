//! Batch-scan plumbing for auditors: stable target keys, deterministic
//! sharding, and resuming an interrupted output file.

pub mod merge;
pub mod resume;
pub mod scheduler;
pub mod shard;

use mitmwatch_core::encoding::sha256;
use mitmwatch_core::model::Target;

/// A stable 64-bit key for a target (host, port, SNI), the same on every
/// machine and run: used to split lists into shards and to remember which
/// targets are done without storing them whole.
pub fn target_key(target: &Target) -> u64 {
    let mut text = Vec::with_capacity(target.host.len() + 16);
    text.extend_from_slice(target.host.as_bytes());
    text.push(0);
    text.extend_from_slice(&target.port.to_be_bytes());
    text.push(0);
    match &target.sni {
        Some(sni) => {
            text.push(1);
            text.extend_from_slice(sni.as_bytes());
        }
        None => text.push(0),
    }
    let digest = sha256(&text);
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}
