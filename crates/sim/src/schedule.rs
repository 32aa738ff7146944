//! When the interception box intercepts: always (the default), during a
//! window of time after the simulation starts (`sim --intercept-from 5s
//! --intercept-for 10s`), or as a test sets it ([`InterceptSwitch::set`]).
//! Outside its window the box passes every connection through to the
//! genuine origin, as the episodic Kazakhstan interception did between its
//! episodes.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// A window of interception, measured from the start of the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterceptWindow {
    /// Interception starts this long after the simulation starts.
    pub from: Duration,
    /// It lasts this long; `None`: until the simulation stops.
    pub length: Option<Duration>,
}

impl InterceptWindow {
    /// Whether `elapsed` (time since the start) falls in the window.
    pub fn contains(&self, elapsed: Duration) -> bool {
        elapsed >= self.from
            && self
                .length
                .is_none_or(|length| elapsed < self.from.saturating_add(length))
    }
}

/// No override: follow the window (or intercept always without one).
const FOLLOW: u8 = 0;
/// Forced on by [`InterceptSwitch::set`].
const ON: u8 = 1;
/// Forced off by [`InterceptSwitch::set`].
const OFF: u8 = 2;

/// Whether the box intercepts now. Shared between the box and whoever
/// controls it (a test keeps one from [`crate::SimNetwork::switch`]).
#[derive(Debug)]
pub struct InterceptSwitch {
    started: Instant,
    window: Option<InterceptWindow>,
    forced: AtomicU8,
}

impl InterceptSwitch {
    /// A switch that follows `window` from now on (always on without one).
    pub fn new(window: Option<InterceptWindow>) -> Self {
        InterceptSwitch {
            started: Instant::now(),
            window,
            forced: AtomicU8::new(FOLLOW),
        }
    }

    /// Whether the box intercepts at this moment.
    pub fn active(&self) -> bool {
        match self.forced.load(Ordering::SeqCst) {
            ON => true,
            OFF => false,
            _ => self
                .window
                .is_none_or(|w| w.contains(self.started.elapsed())),
        }
    }

    /// Forces interception on or off from now on, whatever the window says.
    pub fn set(&self, on: bool) {
        self.forced
            .store(if on { ON } else { OFF }, Ordering::SeqCst);
    }

    /// Drops a [`InterceptSwitch::set`] override: the window decides again.
    pub fn follow_window(&self) {
        self.forced.store(FOLLOW, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_bounds_interception() {
        let w = InterceptWindow {
            from: Duration::from_secs(5),
            length: Some(Duration::from_secs(10)),
        };
        assert!(!w.contains(Duration::from_secs(4)));
        assert!(w.contains(Duration::from_secs(5)));
        assert!(w.contains(Duration::from_millis(14_999)));
        assert!(!w.contains(Duration::from_secs(15)));
        let open = InterceptWindow {
            from: Duration::ZERO,
            length: None,
        };
        assert!(open.contains(Duration::from_secs(1_000_000)));
    }

    #[test]
    fn a_test_can_flip_the_switch() {
        let later = InterceptSwitch::new(Some(InterceptWindow {
            from: Duration::from_secs(3600),
            length: None,
        }));
        assert!(!later.active());
        later.set(true);
        assert!(later.active());
        later.set(false);
        assert!(!later.active());
        later.follow_window();
        assert!(!later.active());
        assert!(InterceptSwitch::new(None).active());
    }
}
