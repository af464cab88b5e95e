//! The live progress line on stderr: phase, elapsed time and rates over the last interval.
//! indicatif hides it when stderr is not a terminal, so logs and CI output stay clean.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::context::Context;
use super::counters::Counters;
use super::schedule::Schedule;

/// How often the line is redrawn.
const REFRESH: Duration = Duration::from_millis(500);

/// A running progress line; [`Progress::finish`] removes it.
pub struct Progress {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    /// Starts redrawing from `ctx`'s counters.
    pub fn start(ctx: Arc<Context>) -> Progress {
        let bar = ProgressBar::new_spinner();
        let style =
            ProgressStyle::with_template("{spinner} {elapsed_precise} {prefix:.bold} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix("connecting");
        let task = tokio::spawn(refresh(ctx, bar.clone()));
        Progress { bar, task }
    }

    /// Follows the schedule's phases: warm-up, measuring, draining.
    pub fn follow(&self, schedule: Schedule) {
        let bar = self.bar.clone();
        tokio::spawn(async move {
            let phases = [
                (schedule.start, "warm-up"),
                (schedule.measure_from, "measuring"),
                (schedule.stop, "draining"),
            ];
            for (at, phase) in phases {
                tokio::time::sleep_until(at.into()).await;
                bar.set_prefix(phase);
            }
        });
    }

    /// Removes the line.
    pub fn finish(self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

async fn refresh(ctx: Arc<Context>, bar: ProgressBar) {
    let c = &ctx.counters;
    let totals = || [&c.sent, &c.acked, &c.received].map(Counters::get);
    let mut last = (Instant::now(), totals());
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tick.tick().await;
        let now = (Instant::now(), totals());
        let secs = now.0.duration_since(last.0).as_secs_f64().max(1e-3);
        let rate = |i: usize| (now.1[i] - last.1[i]) as f64 / secs;
        bar.set_message(format!(
            "conn {} (failed {}, reconnects {})  sent {:.0}/s  acked {:.0}/s  recv {:.0}/s",
            Counters::get(&c.connected),
            Counters::get(&c.failed),
            Counters::get(&c.reconnects),
            rate(0),
            rate(1),
            rate(2),
        ));
        bar.tick();
        last = now;
    }
}
