//! Loss, duplicates and reordering over all subscribers, from their per-stream sequence sets.
//!
//! A receiving unit is one subscriber, or all members of one shared-subscription group (whose
//! sets are merged: each member sees only part of a stream). In `pubsub` the publishers' own
//! measured ranges are known, so a unit that should have received a stream (it saw some of
//! it, or one of its filters matches the publisher's topic) is charged for every missing
//! message, tail included. In `bench sub` only gaps between the first and last message
//! received from each stream can be seen.

use std::collections::{BTreeMap, HashMap};

use super::inbox::StreamId;
use super::publisher;
use super::seq::SeqSet;
use super::subscriber;
use super::template::shared;
use crate::topic::matches;

/// The delivery figures of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Measured deliveries, duplicates included.
    pub received: u64,
    /// Expected deliveries that never came.
    pub lost: u64,
    /// Deliveries of a message the unit already had.
    pub duplicates: u64,
    /// First deliveries that came after a later message of the same publisher.
    pub out_of_order: u64,
    /// Deliveries that were not this run's bench messages.
    pub foreign: u64,
}

/// The publishers of this process, when known: their run id and outcomes.
pub struct Senders<'a> {
    pub run: u32,
    pub outcomes: &'a [publisher::Outcome],
}

struct Unit {
    filters: Vec<String>,
    streams: HashMap<StreamId, SeqSet>,
}

/// Adds up the subscribers' outcomes.
pub fn tally(subscribers: &[subscriber::Outcome], senders: Option<&Senders>) -> Tally {
    let mut t = Tally::default();
    for s in subscribers {
        t.received += s.received;
        t.foreign += s.foreign;
    }
    for unit in units(subscribers).values() {
        for set in unit.streams.values() {
            t.duplicates += set.duplicates();
            t.out_of_order += set.out_of_order();
        }
        t.lost += match senders {
            Some(senders) => expected_missing(unit, senders),
            None => unit
                .streams
                .values()
                .map(|s| s.span().map_or(0, |r| s.missing(r)))
                .sum(),
        };
    }
    t
}

/// Groups subscribers into receiving units, merging shared-subscription members.
fn units(subscribers: &[subscriber::Outcome]) -> BTreeMap<String, Unit> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for s in subscribers.iter().filter(|s| s.error.is_none()) {
        let key = match s.filters.first().and_then(|f| shared(f)) {
            Some((group, _)) => format!("$share/{group}"),
            None => format!("#{}", s.index),
        };
        let unit = units.entry(key).or_insert_with(|| Unit {
            filters: s
                .filters
                .iter()
                .map(|f| shared(f).map_or(f.as_str(), |(_, f)| f).to_string())
                .collect(),
            streams: HashMap::new(),
        });
        for (id, set) in &s.streams {
            unit.streams.entry(*id).or_default().merge(set);
        }
    }
    units
}

fn expected_missing(unit: &Unit, senders: &Senders) -> u64 {
    let mut lost = 0;
    for p in senders.outcomes.iter().filter(|p| p.sent > 0) {
        let set = unit.streams.get(&(senders.run, p.index));
        let routed = p
            .topic
            .as_ref()
            .is_some_and(|t| unit.filters.iter().any(|f| matches(f, t)));
        lost += match set {
            Some(set) => set.missing(p.measured.clone()),
            None if routed => p.measured.end - p.measured.start,
            None => 0,
        };
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: u32 = 9;

    fn sub(index: u32, filter: &str, publisher: u32, seqs: &[u64]) -> subscriber::Outcome {
        let mut set = SeqSet::default();
        for &q in seqs {
            set.record(q);
        }
        subscriber::Outcome {
            index,
            filters: vec![filter.to_string()],
            received: seqs.len() as u64,
            streams: HashMap::from([((RUN, publisher), set)]),
            ..Default::default()
        }
    }

    fn publisher(index: u32, topic: &str, measured: std::ops::Range<u64>) -> publisher::Outcome {
        publisher::Outcome {
            index,
            sent: measured.end - measured.start,
            measured,
            topic: Some(topic.to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn tail_loss_counts_when_the_publisher_range_is_known() {
        let subs = [sub(0, "b/#", 0, &[0, 1, 2, 4])];
        let pubs = [publisher(0, "b/0", 0..8)];
        let senders = Senders {
            run: RUN,
            outcomes: &pubs,
        };
        let t = tally(&subs, Some(&senders));
        assert_eq!((t.received, t.lost), (4, 4)); // 3, 5, 6, 7
        assert_eq!(
            tally(&subs, None).lost,
            1,
            "without the range only the gap shows"
        );
    }

    #[test]
    fn a_silent_subscriber_whose_filter_matches_lost_everything() {
        let mut silent = sub(1, "b/+", 0, &[]);
        silent.streams.clear();
        let subs = [sub(0, "b/#", 0, &[0, 1, 2]), silent, {
            let mut other = sub(2, "elsewhere", 0, &[]);
            other.streams.clear();
            other
        }];
        let pubs = [publisher(0, "b/0", 0..3)];
        let senders = Senders {
            run: RUN,
            outcomes: &pubs,
        };
        assert_eq!(tally(&subs, Some(&senders)).lost, 3);
    }

    #[test]
    fn shared_subscription_members_are_one_receiver() {
        let subs = [
            sub(0, "$share/g/b/#", 0, &[0, 2, 4, 5]),
            sub(1, "$share/g/b/#", 0, &[1, 3, 5]),
        ];
        let pubs = [publisher(0, "b/0", 0..6)];
        let senders = Senders {
            run: RUN,
            outcomes: &pubs,
        };
        let t = tally(&subs, Some(&senders));
        assert_eq!((t.received, t.lost, t.duplicates), (7, 0, 1));
        assert_eq!(t.out_of_order, 0);
    }

    #[test]
    fn duplicates_and_reordering_add_up_over_subscribers() {
        let subs = [
            sub(0, "b/#", 0, &[0, 2, 1, 1]),
            sub(1, "b/#", 0, &[0, 1, 2, 2]),
        ];
        let t = tally(&subs, None);
        assert_eq!((t.duplicates, t.out_of_order, t.lost), (2, 1, 0));
    }
}
