//! `--shard K/N`: a deterministic split of a target list, so that N
//! machines or jobs share it and their outputs concatenate into one scan.

use super::target_key;
use mitmwatch_core::model::Target;
use std::fmt;
use std::str::FromStr;

/// Shard K of N (1-based: `1/4` … `4/4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1..=count.
    pub(crate) index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Whether `target` belongs to this shard. Every target belongs to
    /// exactly one shard of a given count.
    pub fn contains(&self, target: &Target) -> bool {
        target_key(target) % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: expected K/N, e.g. 1/4"))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s:?}: {k:?} is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s:?}: {n:?} is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("--shard {s:?}: K must be between 1 and N"));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_is_in_exactly_one_shard() {
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        let mut sizes = [0; 3];
        for i in 0..300 {
            let t = Target::new(format!("host{i}.example"), 443);
            let owners: Vec<usize> = (0..3).filter(|s| shards[*s].contains(&t)).collect();
            assert_eq!(owners.len(), 1);
            sizes[owners[0]] += 1;
        }
        assert!(sizes.iter().all(|n| *n > 60), "{sizes:?}");
    }

    #[test]
    fn bad_shards_are_refused() {
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
