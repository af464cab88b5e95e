//! Counters every client task bumps while the run goes on: the progress line reads them for
//! live rates, and the summary takes its connection figures from them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Totals since the start of the run (warm-up included), updated with relaxed atomics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Messages queued by publishers.
    pub sent: AtomicU64,
    /// QoS 1/2 publishes completed by the broker.
    pub acked: AtomicU64,
    /// Bench messages delivered to subscribers.
    pub received: AtomicU64,
    /// Measured deliveries (after warm-up), for `bench sub --count`.
    pub counted: AtomicU64,
    /// Sessions currently established.
    pub connected: AtomicU64,
    /// Connection attempts that failed (first connections and reconnections).
    pub failed: AtomicU64,
    /// Sessions re-established after being lost.
    pub reconnects: AtomicU64,
}

impl Counters {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
