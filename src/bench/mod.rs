//! `mqtk bench`: a load generator that measures MQTT brokers, ours and anyone's.
//!
//! Scenarios: `conn` (open and hold connections), `pub` and `sub` (one side each, for runs
//! split across processes or hosts) and `pubsub` (both sides in one process, the default).
//! Every run is bounded by `--duration` (and optionally `--count`), excludes `--warmup` from
//! its figures, and ends with a summary: a table, or one JSON line with `--json`. `merge`
//! ([`merge`]) turns the JSON summaries of a run split over processes into the summary of one.
//!
//! How it measures:
//! - Every payload starts with a 28-byte header ([`payload`]): run id, publisher index,
//!   sequence number and send time. In `pubsub` the send time and the receive time come from
//!   one monotonic clock ([`clock`]), so end-to-end latency needs no clock synchronisation.
//! - Subscribers keep one bitmap per publisher stream ([`seq`]), which makes loss, duplicate
//!   and out-of-order counts exact; shared-subscription members are merged ([`loss`]).
//! - Latencies go to HDR histograms (3 significant digits) through per-task buffers
//!   ([`stats`]); the JSON summary carries them whole, so split runs merge exactly.
//! - One [`crate::client::Client`] per connection, each in its own task on a multi-thread
//!   runtime; publishers are open-loop ([`publisher`]).
//!
//! Exit status: 0 when the run completed and met every threshold, 1 when it could not run
//! (bad options, no client could connect), 2 when a `--max-p99`/`--max-loss`/`--min-rate`
//! threshold was missed.

mod args;
mod clock;
mod context;
mod counters;
pub(crate) mod embedded;
mod holder;
mod inbox;
mod loss;
mod merge;
mod params;
mod payload;
mod progress;
mod publisher;
mod report;
mod run;
mod schedule;
mod seq;
mod session;
mod stats;
mod subscriber;
mod sys;
mod template;
mod values;

pub use args::BenchArgs;
/// `mqtk check` connects with bench's broker options.
pub(crate) use args::BrokerArgs;
/// The fuzz target `bench_summary` reads summaries as `bench merge` does.
pub(crate) use merge::summary;
pub(crate) use values::seconds;

use std::time::Duration;

use args::{BenchCommand, MergeArgs, Scenario, Thresholds};

/// Exit status when a threshold was missed.
pub const EXIT_THRESHOLD: i32 = 2;

/// `mqtk bench`: runs the scenario (or merges runs), prints the summary, returns the exit
/// status.
pub fn main(args: BenchArgs) -> i32 {
    match args.command() {
        BenchCommand::Run(scenario) => run(scenario),
        BenchCommand::Merge(merge) => merge_files(&merge),
    }
}

/// `mqtk bench merge`: the summary of runs done, judged by the thresholds as a run would be.
fn merge_files(args: &MergeArgs) -> i32 {
    match merge::files(&args.files) {
        Ok(report) => print(&report, args.json, &args.thresholds),
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}

fn run(scenario: Scenario) -> i32 {
    let json = scenario.common().json;
    let thresholds = scenario.common().thresholds.clone();
    let limit = hard_limit(&scenario);
    sys::raise_nofile();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(async move {
        let run = async move {
            match scenario {
                Scenario::Conn(a) => run::conn(a).await,
                Scenario::Pub(a) => run::publish(a).await,
                Scenario::Sub(a) => run::subscribe(a).await,
                Scenario::Pubsub(a) => run::pubsub(a).await,
            }
        };
        tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the run exceeded its hard limit of {limit:?}"
            ))
        })
    });
    // Tasks still draining after a hard stop must not hold the process.
    runtime.shutdown_background();
    match result {
        Ok(report) => print(&report, json, &thresholds),
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}

/// The longest a run may take. Every phase has its own bound; this one guards them all:
/// the ramp, connecting and subscribing, warm-up, duration, drain and a margin.
fn hard_limit(scenario: &Scenario) -> Duration {
    let common = scenario.common();
    let ramp = common
        .connect_rate
        .map_or(0.0, |rate| f64::from(scenario.clients()) / rate);
    Duration::from_secs_f64(ramp.min(86_400.0))
        + common.connect_timeout * 2
        + scenario.warmup()
        + common.duration
        + schedule::DRAIN
        + Duration::from_secs(10)
}

fn print(report: &report::Report, json: bool, thresholds: &Thresholds) -> i32 {
    let missed = report.missed(thresholds);
    let text = match json {
        true => format!("{}\n", report.json(&missed)),
        false => report.table(),
    };
    // A closed stdout (`| head`) is the reader's choice, not a failure of the run.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    for m in &missed {
        eprintln!("threshold missed: {m}");
    }
    if missed.is_empty() {
        0
    } else {
        EXIT_THRESHOLD
    }
}
