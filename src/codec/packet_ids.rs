//! Packet identifiers for the QoS 1/2 messages one side of a connection sends: the client's
//! publishes and the broker's deliveries take them from the same allocator.

/// The ids a sender hands out: one after another, wrapping past 65,535 to 1 (0 is not an
/// id), skipping those still in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketIds {
    last: u16,
}

impl PacketIds {
    /// Carries on after `last` (a session restored from disk).
    pub fn after(last: u16) -> PacketIds {
        PacketIds { last }
    }

    /// The id handed out last (0 before the first), for persistence.
    pub fn last(&self) -> u16 {
        self.last
    }

    /// Uses up the next id without handing it out.
    pub fn skip(&mut self) {
        self.last = self.last.checked_add(1).unwrap_or(1);
    }

    /// The next id `in_flight` does not hold; `None` when all 65,535 are held, rather than a
    /// search that never ends. `held` is how many are in flight.
    pub fn next_free(&mut self, held: usize, in_flight: impl Fn(u16) -> bool) -> Option<u16> {
        if held >= usize::from(u16::MAX) {
            return None;
        }
        loop {
            self.skip();
            if !in_flight(self.last) {
                return Some(self.last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_past_65535_to_1_and_skip_those_in_flight() {
        let mut ids = PacketIds::after(u16::MAX - 1);
        assert_eq!(ids.next_free(0, |_| false), Some(u16::MAX));
        assert_eq!(ids.next_free(1, |id| id == 1), Some(2));
        ids.skip();
        assert_eq!((ids.last(), ids.next_free(0, |_| false)), (3, Some(4)));
        assert_eq!(ids.next_free(65_535, |_| true), None);
    }
}
