//! The phases of a run, fixed once every client is connected so that connecting never eats
//! into the measurement: warm-up, measurement, then a bounded drain for in-flight messages.

use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Longest wait after the publishers stop, for deliveries and acks still in flight.
pub const DRAIN: Duration = Duration::from_secs(5);

/// Subscribers stop early once nothing has arrived for this long after the publishers stopped.
pub const QUIET: Duration = Duration::from_millis(500);

/// When each phase begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Publishing starts.
    pub start: Instant,
    /// Figures count from here (start + warm-up).
    pub measure_from: Instant,
    /// Publishing stops, at the latest (measure_from + duration).
    pub stop: Instant,
}

impl Schedule {
    /// A schedule starting at `start`.
    pub fn new(start: Instant, warmup: Duration, duration: Duration) -> Schedule {
        let measure_from = start + warmup;
        Schedule {
            start,
            measure_from,
            stop: measure_from + duration,
        }
    }

    /// The hard end of the run, drain included.
    pub fn hard_end(&self) -> Instant {
        self.stop + DRAIN
    }
}

/// Tells the client tasks the schedule once every client is ready.
pub type Start = watch::Receiver<Option<Schedule>>;

/// Waits for the schedule; `None` when the run was called off.
pub async fn wait_start(start: &mut Start) -> Option<Schedule> {
    let schedule = start.wait_for(Option::is_some).await.ok()?;
    *schedule
}

/// Each client task reports once whether it is connected (and subscribed) and ready to go.
pub type Ready = tokio::sync::mpsc::UnboundedSender<Result<(), String>>;

/// Reports readiness and drops the sender, so that the runner stops waiting once every
/// task has reported or gone (even one that panicked).
pub fn report<T>(ready: Ready, result: &Result<T, String>) {
    let _ = ready.send(result.as_ref().map(drop).map_err(Clone::clone));
}
