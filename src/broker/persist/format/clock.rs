//! Instants to wall-clock milliseconds and back: an `Instant` means nothing to the next
//! process, and expiry must keep counting while the broker is down.

use std::time::{Duration, Instant, SystemTime};

/// A moment as both clocks see it, to turn `Instant`s into wall-clock time and back.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub instant: Instant,
    pub wall: SystemTime,
}

impl Clock {
    /// Now.
    pub fn now() -> Clock {
        Clock {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    pub(super) fn to_wall(self, at: Instant) -> u64 {
        let wall = match at.checked_duration_since(self.instant) {
            Some(ahead) => self.wall + ahead,
            None => self.wall - self.instant.duration_since(at),
        };
        millis(wall)
    }

    /// The `Instant` of wall-clock `ms`; a moment already past becomes now.
    pub(super) fn to_instant(self, ms: u64) -> Instant {
        let left = wall(ms).duration_since(self.wall).unwrap_or(Duration::ZERO);
        self.instant + left
    }
}

pub(super) fn millis(t: SystemTime) -> u64 {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

pub(super) fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}
