//! `mqtk check`: what a broker offers (its MQTT 5 CONNACK limits) and what it does (QoS round
//! trips, retained, wildcards, shared subscriptions, sizes, wills, no-local, expiry), as a
//! table or one JSON line. Exit status, as for `bench`: 0 when every asked-for check passed, 1
//! when the probe could not run (bad options), 2 when a check failed.
//!
//! The CONNECT checks run first, whatever was asked, because they decide the protocol the
//! others speak: MQTT 5 where the broker accepts it, else 3.1.1 (`-V` pins one).

mod args;
mod checks;
mod probe;
mod report;

use std::future::Future;
use std::time::{Duration, Instant};

use clap::ValueEnum;

pub use args::CheckArgs;

use crate::bench::embedded;
use crate::codec::{Properties, Version};
use args::Check;
use probe::{Failure, Probe};

/// Exit status when a check failed, or one named on the command line could not run.
const EXIT_FAILED: i32 = 2;

/// What the CONNECT checks found, for the checks after them.
struct Broker {
    /// The protocol the other checks speak.
    version: Version,
    /// The MQTT 5 CONNACK's properties (empty when 3.1.1 is spoken).
    limits: Properties,
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    /// Not run: MQTT 5 not spoken, `-V` ruled its version out, or no CONNECT was accepted.
    Skip,
}

/// One line of the report.
struct Outcome {
    check: Check,
    status: Status,
    detail: String,
    took: Duration,
}

/// `mqtk check`: returns the process exit status.
pub fn main(args: CheckArgs) -> i32 {
    let result = crate::connect::block_on(run(&args))
        .map_err(anyhow::Error::from)
        .and_then(|ran| ran);
    match result {
        Ok((outcomes, broker)) => {
            let ok = passed(&outcomes, !args.checks.is_empty());
            report::print(&outcomes, broker.as_ref(), ok, args.json);
            if ok {
                0
            } else {
                EXIT_FAILED
            }
        }
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}

/// True when every check passed; a skip counts against a check the user named, not against
/// one of the full set that does not apply (MQTT 5 features of a 3.1.1 broker).
fn passed(outcomes: &[Outcome], named: bool) -> bool {
    outcomes.iter().all(|o| match o.status {
        Status::Pass => true,
        Status::Fail => false,
        Status::Skip => !named,
    })
}

async fn run(args: &CheckArgs) -> anyhow::Result<(Vec<Outcome>, Option<Broker>)> {
    // The embedded broker of `--serve` runs until `_embedded` is dropped at the end.
    let (target, _embedded) = embedded::target(&args.broker, 20).await?;
    let probe = Probe::new(target, args.timeout);
    let (mut connects, broker) = connect(&probe, args.broker.protocol_version).await;
    let refused = refused(&connects);
    let mut outcomes = Vec::new();
    for check in asked(args) {
        let outcome = match (connects.iter().position(|o| o.check == check), &broker) {
            (Some(i), _) => connects.swap_remove(i),
            (None, None) => skip(check, &refused),
            (None, Some(b)) if check.needs_v5() && !b.version.is_v5() => {
                skip(check, "needs MQTT 5, which was not spoken")
            }
            (None, Some(b)) => timed(check, checks::run(check, &probe, b, args)).await,
        };
        outcomes.push(outcome);
    }
    Ok((outcomes, broker))
}

/// The checks to run, in the order of [`Check`]: those named, else all.
fn asked(args: &CheckArgs) -> Vec<Check> {
    let mut asked = match args.checks.is_empty() {
        true => Check::value_variants().to_vec(),
        false => args.checks.clone(),
    };
    asked.sort();
    asked.dedup();
    asked
}

/// Both CONNECT checks (`-V` skips one), and the broker as the later checks see it: MQTT 5
/// where it was accepted.
async fn connect(probe: &Probe, pinned: Option<Version>) -> (Vec<Outcome>, Option<Broker>) {
    let mut outcomes = Vec::new();
    let mut broker = None;
    for (check, version) in [
        (Check::Connect311, Version::V311),
        (Check::Connect5, Version::V5),
    ] {
        if pinned.is_some_and(|p| p != version) {
            outcomes.push(skip(check, "-V asked for the other version"));
            continue;
        }
        let outcome = timed(check, async {
            let limits = checks::connect(probe, version).await?;
            let detail = report::limits_line(&limits, version);
            broker = Some(Broker { version, limits });
            Ok(detail)
        });
        outcomes.push(outcome.await);
    }
    (outcomes, broker)
}

/// Why the probes were skipped when no CONNECT was accepted, for a run where the CONNECT
/// checks themselves were not asked for.
fn refused(connects: &[Outcome]) -> String {
    let failed = connects.iter().filter(|o| o.status == Status::Fail);
    let why: Vec<String> = failed
        .map(|o| format!("{}: {}", o.check.name(), o.detail))
        .collect();
    format!("no CONNECT was accepted ({})", why.join("; "))
}

/// Runs one check, timing it.
async fn timed(check: Check, run: impl Future<Output = Result<String, Failure>>) -> Outcome {
    let started = Instant::now();
    let (status, detail) = match run.await {
        Ok(detail) => (Status::Pass, detail),
        Err(detail) => (Status::Fail, detail),
    };
    Outcome {
        check,
        status,
        detail,
        took: started.elapsed(),
    }
}

fn skip(check: Check, why: &str) -> Outcome {
    Outcome {
        check,
        status: Status::Skip,
        detail: why.to_string(),
        took: Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(check: Check, status: Status) -> Outcome {
        Outcome {
            check,
            status,
            detail: String::new(),
            took: Duration::ZERO,
        }
    }

    #[test]
    fn a_skip_fails_only_a_check_the_user_named() {
        let skipped = [
            outcome(Check::Qos1, Status::Pass),
            outcome(Check::NoLocal, Status::Skip),
        ];
        assert!(passed(&skipped, false));
        assert!(!passed(&skipped, true));
        assert!(!passed(&[outcome(Check::Qos1, Status::Fail)], false));
    }
}
