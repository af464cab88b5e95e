//! What a subscriber does with each delivery: recognise the bench header, leave out warm-up
//! traffic, time the message and place it in its publisher's stream.

use std::collections::HashMap;

use super::payload::Header;
use super::seq::{Arrival, SeqSet};
use super::stats::Recorder;

/// A publisher's stream: (run id, publisher index).
pub type StreamId = (u32, u32);

/// One subscriber's tally.
pub struct Inbox {
    /// Only this run counts (`pubsub`); `None` accepts every run (`bench sub`).
    run: Option<u32>,
    /// Messages sent before this timestamp are warm-up.
    measure_from_ns: u64,
    latency: Recorder,
    /// Measured deliveries, duplicates included.
    pub received: u64,
    /// Deliveries of messages sent during the warm-up.
    pub warmup: u64,
    /// Deliveries that are not this run's bench messages.
    pub foreign: u64,
    /// Sequence numbers received, per publisher.
    pub streams: HashMap<StreamId, SeqSet>,
}

impl Inbox {
    /// An empty tally; `latency` receives end-to-end times in nanoseconds.
    pub fn new(run: Option<u32>, measure_from_ns: u64, latency: Recorder) -> Inbox {
        Inbox {
            run,
            measure_from_ns,
            latency,
            received: 0,
            warmup: 0,
            foreign: 0,
            streams: HashMap::new(),
        }
    }

    /// Accounts for one delivery received at `now_ns`; true when it counts as received.
    pub fn on_payload(&mut self, payload: &[u8], now_ns: u64) -> bool {
        let header = match Header::parse(payload) {
            Some(h) if self.run.is_none_or(|run| run == h.run) => h,
            _ => {
                self.foreign += 1;
                return false;
            }
        };
        if header.sent_ns < self.measure_from_ns {
            self.warmup += 1;
            return false;
        }
        let stream = self
            .streams
            .entry((header.run, header.publisher))
            .or_default();
        if stream.record(header.seq) == Arrival::Refused {
            self.foreign += 1;
            return false;
        }
        self.received += 1;
        self.latency.record(now_ns.saturating_sub(header.sent_ns));
        true
    }

    /// Flushes the latency samples still buffered.
    pub fn flush(&mut self) {
        self.latency.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::{Latency, SharedHistogram};
    use bytes::BytesMut;

    fn payload(run: u32, publisher: u32, seq: u64, sent_ns: u64) -> BytesMut {
        let mut buf = BytesMut::new();
        let h = Header {
            run,
            publisher,
            seq,
            sent_ns,
        };
        h.append(&mut buf, 40);
        buf
    }

    #[test]
    fn warm_up_and_foreign_traffic_are_left_out() {
        let hist = SharedHistogram::new();
        let mut inbox = Inbox::new(Some(7), 1_000, hist.recorder());
        assert!(!inbox.on_payload(&payload(7, 0, 0, 999), 2_000), "warm-up");
        assert!(inbox.on_payload(&payload(7, 0, 1, 1_000), 3_000));
        assert!(inbox.on_payload(&payload(7, 1, 0, 1_500), 2_000));
        assert!(
            !inbox.on_payload(&payload(8, 0, 2, 1_500), 2_000),
            "other run"
        );
        assert!(!inbox.on_payload(b"not a bench message", 2_000));
        assert_eq!((inbox.received, inbox.warmup, inbox.foreign), (2, 1, 2));
        inbox.flush();
        let l = Latency::of(&hist.snapshot());
        assert_eq!(l.count, 2);
        assert_eq!((l.min, l.max), (500, 2_000));
        assert_eq!(inbox.streams.len(), 2);
    }

    #[test]
    fn any_run_is_accepted_without_a_run_filter() {
        let mut inbox = Inbox::new(None, 0, SharedHistogram::new().recorder());
        assert!(inbox.on_payload(&payload(1, 0, 0, 5), 10));
        assert!(inbox.on_payload(&payload(2, 0, 0, 5), 10));
        assert_eq!(inbox.streams.len(), 2);
    }

    #[test]
    fn late_timestamps_do_not_underflow() {
        let hist = SharedHistogram::new();
        let mut inbox = Inbox::new(None, 0, hist.recorder());
        assert!(inbox.on_payload(&payload(1, 0, 0, 50), 10));
        inbox.flush();
        assert_eq!(hist.snapshot().len(), 1);
    }
}
