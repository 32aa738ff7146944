//! When the next run is due: every `--every`, shifted by a random jitter
//! so that many watchers do not measure in step, and measured by the wall
//! clock, so that a machine that slept through its run time runs as soon
//! as it wakes (the monotonic clock stops during suspend on Linux).

use std::time::{Duration, SystemTime};

/// The schedule of a watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The nominal time between runs.
    pub every: Duration,
    /// The largest shift either way.
    pub jitter: Duration,
}

impl Schedule {
    /// A schedule with the default jitter: a tenth of `every`.
    pub fn new(every: Duration) -> Self {
        Schedule {
            every,
            jitter: every / 10,
        }
    }

    /// When the run after one that started at `last` is due; `unit` in
    /// [0, 1) picks the shift (from a random source). Never less than half
    /// of `every` after `last`.
    pub fn next(&self, last: SystemTime, unit: f64) -> SystemTime {
        let jitter = self.jitter.min(self.every / 2).as_secs_f64();
        let shift = (unit.clamp(0.0, 1.0) * 2.0 - 1.0) * jitter;
        let secs = (self.every.as_secs_f64() + shift).max(0.0);
        last + Duration::from_secs_f64(secs)
    }

    /// Whether the time between two wake-ups (`expected` apart, `woke`
    /// apart by the wall clock) says the machine slept or the clock jumped.
    pub fn slept(expected: Duration, woke: Duration) -> bool {
        woke > expected + Duration::from_secs(60).max(expected / 2)
    }
}

/// A number in [0, 1) from the operating system's randomness (through
/// the standard library's hasher seeds).
pub fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jitter_stays_within_its_bounds() {
        let s = Schedule::new(Duration::from_secs(1800));
        let t0 = SystemTime::UNIX_EPOCH;
        let gap = |u| s.next(t0, u).duration_since(t0).unwrap().as_secs();
        assert_eq!(gap(0.0), 1620);
        assert_eq!(gap(0.5), 1800);
        assert_eq!(gap(0.999_999_9), 1979);
        for _ in 0..100 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u));
            assert!((1620..=1980).contains(&gap(u)));
        }
    }

    #[test]
    fn a_long_gap_is_a_sleep() {
        let every = Duration::from_secs(1800);
        assert!(!Schedule::slept(every, Duration::from_secs(1830)));
        assert!(Schedule::slept(every, Duration::from_secs(3 * 3600)));
    }
}
