//! Latency histograms shared by many tasks, the figures the summary derives from them, and
//! their lossless text form for merging runs.
//!
//! Each task records into its own small buffer and takes the shared histogram's lock once per
//! batch: one HDR histogram per task would cost ~400 KB each, too much at 10,000 clients, and
//! a lock per sample would serialise the subscribers.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2Serializer};
use hdrhistogram::Histogram;

/// Highest value recorded without saturating: one hour in nanoseconds.
const MAX_NS: u64 = 3_600_000_000_000;

/// Samples a task buffers before taking the lock.
const BATCH: usize = 512;

/// An empty nanosecond histogram (3 significant digits, up to [`MAX_NS`]).
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_NS, 3)
        .unwrap_or_else(|e| unreachable!("constant histogram bounds are valid: {e}"))
}

/// `h` in HdrHistogram's V2 serialization, base64: lossless, and read by every HdrHistogram
/// library, so runs split over processes or machines merge exactly (percentiles cannot be
/// averaged).
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut bytes)
        .unwrap_or_else(|e| unreachable!("a histogram serializes into memory: {e}"));
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The histogram [`encode`] wrote (or any uncompressed V2 HdrHistogram, base64). The
/// header is checked first: the decoder sizes its buffer by the payload length the header
/// claims, so a few bytes claiming gigabytes would be believed.
pub fn decode(text: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .context("not base64")?;
    check_v2_header(&bytes)?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| anyhow::anyhow!("not an HdrHistogram: {e:?}"))
}

/// The V2 encoding's cookie (word size 8) and header length: cookie, payload length, offset,
/// digits (4 bytes each), lowest, highest, ratio (8 bytes each).
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_HEADER: usize = 40;

/// An uncompressed V2 header whose payload length fits in what follows it.
fn check_v2_header(bytes: &[u8]) -> anyhow::Result<()> {
    let word = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    };
    anyhow::ensure!(
        word(0) == Some(V2_COOKIE),
        "not an uncompressed V2 HdrHistogram"
    );
    let payload = word(4).map_or(usize::MAX, |n| n as usize);
    anyhow::ensure!(
        payload <= bytes.len().saturating_sub(V2_HEADER),
        "the histogram's payload is shorter than its header says"
    );
    Ok(())
}

/// A nanosecond histogram (3 significant digits) fed by many tasks.
#[derive(Clone)]
pub struct SharedHistogram(Arc<Mutex<Histogram<u64>>>);

impl SharedHistogram {
    /// An empty histogram.
    pub fn new() -> SharedHistogram {
        SharedHistogram(Arc::new(Mutex::new(histogram())))
    }

    /// A buffered handle for one task.
    pub fn recorder(&self) -> Recorder {
        Recorder {
            shared: self.clone(),
            buf: Vec::new(),
        }
    }

    /// A copy of what was recorded so far (flushed recorders only).
    pub fn snapshot(&self) -> Histogram<u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn add(&self, samples: &[u64]) {
        let mut h = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for &ns in samples {
            h.saturating_record(ns.max(1));
        }
    }
}

impl Default for SharedHistogram {
    fn default() -> SharedHistogram {
        SharedHistogram::new()
    }
}

/// One task's buffer in front of a [`SharedHistogram`]; flushes when full and when dropped.
pub struct Recorder {
    shared: SharedHistogram,
    buf: Vec<u64>,
}

impl Recorder {
    /// Records one latency in nanoseconds.
    pub fn record(&mut self, ns: u64) {
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(BATCH);
        }
        self.buf.push(ns);
        if self.buf.len() >= BATCH {
            self.flush();
        }
    }

    /// Moves buffered samples into the shared histogram.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.shared.add(&self.buf);
            self.buf.clear();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Summary of a latency distribution, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    /// Samples recorded.
    pub count: u64,
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Latency {
    /// The percentiles of `h`; all zero when it is empty.
    pub fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            count: h.len(),
            min: h.min(),
            mean: h.mean(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

/// `count` events over `elapsed`, per second; 0 for an empty window.
pub fn per_sec(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within HDR's 3 significant digits.
    fn close(actual: u64, expected: u64) -> bool {
        actual.abs_diff(expected) <= expected / 1000 + 1
    }

    #[test]
    fn percentiles_of_a_uniform_sample() {
        let shared = SharedHistogram::new();
        let mut r = shared.recorder();
        for us in 1..=10_000u64 {
            r.record(us * 1000);
        }
        drop(r);
        let l = Latency::of(&shared.snapshot());
        assert_eq!(l.count, 10_000);
        assert!(close(l.p50, 5_000_000), "{l:?}");
        assert!(close(l.p90, 9_000_000), "{l:?}");
        assert!(close(l.p99, 9_900_000), "{l:?}");
        assert!(close(l.p999, 9_990_000), "{l:?}");
        assert!(close(l.max, 10_000_000), "{l:?}");
        assert!((l.mean - 5_000_500.0).abs() < 5_000.0, "{l:?}");
    }

    #[test]
    fn a_single_outlier_shows_in_max_and_p999_only() {
        let shared = SharedHistogram::new();
        let mut r = shared.recorder();
        for _ in 0..999 {
            r.record(100_000);
        }
        r.record(50_000_000);
        r.flush();
        let l = Latency::of(&shared.snapshot());
        assert!(close(l.p99, 100_000));
        assert!(close(l.max, 50_000_000));
        assert!(close(l.p999, 100_000));
    }

    #[test]
    fn recorders_of_several_tasks_merge_and_saturate() {
        let shared = SharedHistogram::new();
        let (mut a, mut b) = (shared.recorder(), shared.recorder());
        a.record(1);
        b.record(u64::MAX);
        assert!(shared.snapshot().is_empty(), "buffered until flushed");
        drop((a, b));
        let l = Latency::of(&shared.snapshot());
        assert_eq!(l.count, 2);
        assert!(close(l.max, MAX_NS));
    }

    #[test]
    fn histograms_survive_encoding_exactly() {
        let mut h = histogram();
        for ns in [1, 1_000, 123_456, 9_999_999, MAX_NS] {
            h.record(ns).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(Latency::of(&back), Latency::of(&h));
        assert!(decode(&encode(&histogram())).unwrap().is_empty());
        assert!(decode("!!").is_err());
        assert!(decode("aGVsbG8=").is_err(), "base64 of hello");
        let mut claims_more = base64::engine::general_purpose::STANDARD
            .decode(encode(&histogram()))
            .unwrap();
        claims_more[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let e = decode(&base64::engine::general_purpose::STANDARD.encode(claims_more));
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("shorter than its header says"));
    }

    #[test]
    fn rates() {
        assert_eq!(per_sec(500, Duration::from_millis(250)), 2000.0);
        assert_eq!(per_sec(5, Duration::ZERO), 0.0);
        assert_eq!(Latency::of(&Histogram::new(3).unwrap()), Latency::default());
    }
}
