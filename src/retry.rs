//! Waiting between connection attempts: one schedule for the clients' reconnects (mosquitto's
//! fixed second) and for bench's (back-off doubling up to a ceiling, within the run).

use std::time::{Duration, Instant};

/// The waits before successive attempts: `first`, doubling up to `max`; a fixed period
/// when they are equal.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, max: Duration) -> Backoff {
        Backoff { next: first, max }
    }

    pub const fn fixed(period: Duration) -> Backoff {
        Backoff::new(period, period)
    }

    /// The wait before the next attempt.
    fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// Sleeps before the next attempt; false when `until` has come (it never sleeps past it).
    pub async fn wait(&mut self, until: Option<Instant>) -> bool {
        let mut wait = self.next_wait();
        if let Some(until) = until {
            match until.checked_duration_since(Instant::now()) {
                Some(left) => wait = wait.min(left),
                None => return false,
            }
        }
        tokio::time::sleep(wait).await;
        until.is_none_or(|until| Instant::now() < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling_or_stays_fixed() {
        let ms = Duration::from_millis;
        let mut backoff = Backoff::new(ms(50), ms(300));
        let waits: Vec<_> = (0..5).map(|_| backoff.next_wait()).collect();
        assert_eq!(waits, [ms(50), ms(100), ms(200), ms(300), ms(300)]);
        let mut fixed = Backoff::fixed(ms(1000));
        assert_eq!([fixed.next_wait(), fixed.next_wait()], [ms(1000); 2]);
    }

    #[tokio::test]
    async fn never_waits_past_the_deadline() {
        let mut backoff = Backoff::fixed(Duration::from_secs(60));
        let until = Instant::now() + Duration::from_millis(20);
        assert!(!backoff.wait(Some(until)).await);
        assert!(Instant::now() >= until);
        assert!(!backoff.wait(Some(until)).await);
    }
}
