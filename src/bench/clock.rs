//! The time base of every bench timestamp.
//!
//! Timestamps are nanoseconds on the wall clock's scale, but advanced by the monotonic clock
//! from a single reading taken at start-up. Within one process two timestamps differ by exactly
//! the monotonic time between them (what `pubsub` relies on); across processes or hosts they
//! are as close as the wall clocks were at start-up (what split `pub`/`sub` runs rely on).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A monotonic clock on the wall clock's scale; cheap to copy into every task.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    base: Instant,
    wall_ns: u64,
}

impl Clock {
    /// Reads both clocks once.
    pub fn new() -> Clock {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| saturating_ns(d.as_nanos()));
        Clock {
            base: Instant::now(),
            wall_ns: wall,
        }
    }

    /// The timestamp of `at`.
    pub fn ns(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.base).as_nanos();
        self.wall_ns.saturating_add(saturating_ns(since))
    }

    /// The timestamp of now.
    pub fn now(&self) -> u64 {
        self.ns(Instant::now())
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

fn saturating_ns(ns: u128) -> u64 {
    u64::try_from(ns).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn differences_are_monotonic_durations() {
        let clock = Clock::new();
        let a = Instant::now();
        let b = a + Duration::from_micros(1500);
        assert_eq!(clock.ns(b) - clock.ns(a), 1_500_000);
        assert!(clock.now() >= clock.ns(a));
    }
}
