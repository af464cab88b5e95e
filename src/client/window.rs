//! How many of our QoS 1/2 publishes may await their acknowledgement at once.

use crate::codec::Publish;

/// The limits of the unacknowledged window: a count, and the bytes they may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    count: usize,
    bytes: usize,
}

impl Window {
    /// Without `-M`, the unacknowledged messages hold at most this much topic and payload:
    /// the window then follows the broker's receive maximum without holding long lines
    /// thousands at a time.
    pub const UNACKED_BYTES: usize = 1 << 20;

    /// At most `count` messages (mosquitto's `-M`), lowered to the broker's receive maximum.
    pub fn count(count: usize) -> Window {
        Window {
            count: count.clamp(1, 65_535),
            bytes: usize::MAX,
        }
    }

    /// As many as the broker's receive maximum allows (65,535 without one), within
    /// [`Window::UNACKED_BYTES`].
    pub fn receive_maximum() -> Window {
        Window {
            count: 65_535,
            bytes: Window::UNACKED_BYTES,
        }
    }

    /// The window on a connection whose broker announced `receive_max` (MQTT 5).
    pub(super) fn within(self, receive_max: Option<u16>) -> Window {
        let max = receive_max.map_or(usize::MAX, usize::from);
        Window {
            count: self.count.min(max),
            ..self
        }
    }

    /// True while another message fits beside `inflight` messages holding `bytes`; the
    /// first always fits, however long.
    pub(super) fn fits(&self, inflight: usize, bytes: usize) -> bool {
        inflight < self.count && (inflight == 0 || bytes < self.bytes)
    }
}

/// What a message counts towards [`Window::UNACKED_BYTES`].
pub(super) fn size(publish: &Publish) -> usize {
    publish.topic.len() + publish.payload.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_bytes_bound_the_window() {
        let given = Window::count(20).within(Some(10));
        assert!(given.fits(9, usize::MAX - 1));
        assert!(!given.fits(10, 0));
        let default = Window::receive_maximum().within(None);
        assert!(default.fits(65_534, 0));
        assert!(!default.fits(65_535, 0));
        assert!(!default.fits(1, Window::UNACKED_BYTES));
        assert!(default.fits(0, usize::MAX));
        assert_eq!(Window::count(0), Window::count(1));
    }
}
