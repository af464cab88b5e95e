//! A publisher task: stamped messages at a steady pace or flat out, QoS 1/2 acks timed.
//!
//! Open loop: messages are due on a fixed timetable and sent in batches on each timer tick,
//! so a slow broker shows up as a lower achieved rate, not as a quietly slower schedule.
//! Flat out, each tick tops the write buffer up to `MAX_PENDING`; TCP back-pressure from
//! the broker is then the only limit.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::time::MissedTickBehavior;

use super::context::{Context, Role};
use super::counters::Counters;
use super::payload::Header;
use super::schedule::{self, Ready, Schedule, Start};
use super::session::{self, BenchClient};
use super::stats::Recorder;
use super::template::{Fill, Template};
use crate::client::{ClientError, Event};
use crate::codec::{Connect, Publish, QoS};

/// Bytes queued before a publisher waits for the socket: bounds memory when the broker
/// reads slower than we write, and batches small publishes into few writes.
const MAX_PENDING: usize = 64 * 1024;

/// The timer's resolution; faster paces send several messages per tick.
const MIN_TICK: Duration = Duration::from_millis(1);

/// How fast one publisher sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// As fast as the broker takes them.
    Max,
    /// One message per interval.
    Every(Duration),
}

impl Pace {
    /// Messages due from `start` until `now`, the first one at `start`.
    pub fn due(&self, start: Instant, now: Instant) -> u64 {
        match (self, now.checked_duration_since(start)) {
            (Pace::Max, _) => u64::MAX,
            (Pace::Every(_), None) => 0,
            (Pace::Every(i), Some(elapsed)) => {
                let n = elapsed.as_nanos() / i.as_nanos().max(1);
                u64::try_from(n).unwrap_or(u64::MAX).saturating_add(1)
            }
        }
    }

    /// When message `seq` (from 0) was due by the timetable; flat out, `now`. Never later
    /// than `now`.
    pub fn due_at(&self, start: Instant, seq: u64, now: Instant) -> Instant {
        match self {
            Pace::Max => now,
            Pace::Every(i) => {
                let nanos = u64::try_from(i.as_nanos()).unwrap_or(u64::MAX);
                (start + Duration::from_nanos(nanos.saturating_mul(seq))).min(now)
            }
        }
    }

    fn tick(&self) -> Duration {
        match self {
            Pace::Max => MIN_TICK,
            Pace::Every(i) => (*i).max(MIN_TICK),
        }
    }
}

/// What one publisher does.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `%i`, and the publisher index in every header.
    pub index: u32,
    pub topic: Template,
    pub qos: QoS,
    pub retain: bool,
    /// Payload size, header included.
    pub size: usize,
    pub pace: Pace,
    /// Delay of this publisher's timetable, so publishers do not fire in lockstep.
    pub offset: Duration,
    /// Measured messages to send; `None` sends until the schedule stops.
    pub quota: Option<u64>,
}

/// What one publisher did; counts are of measured messages (sent after the warm-up).
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub index: u32,
    pub sent: u64,
    /// QoS 1/2 publishes the broker completed with success.
    pub acked: u64,
    /// QoS 1/2 publishes the broker refused (reason code 0x80 or more).
    pub refused: u64,
    /// The measured sequence numbers.
    pub measured: Range<u64>,
    /// The topic, when every message has the same one.
    pub topic: Option<String>,
    /// True once the quota (if any) was sent.
    pub quota_met: bool,
    /// When the last measured message was queued.
    pub finished: Option<Instant>,
    /// Why the publisher could not run, if it could not.
    pub error: Option<String>,
}

/// Connects, reports readiness, waits for the schedule and publishes until it stops.
pub async fn run(ctx: Arc<Context>, plan: Plan, ready: Ready, mut start: Start) -> Outcome {
    let packet = ctx.connect_packet(Role::Publisher, plan.index);
    let mut outcome = Outcome {
        index: plan.index,
        quota_met: plan.quota == Some(0),
        ..Outcome::default()
    };
    let connected = session::connect(&ctx, &packet).await;
    schedule::report(ready, &connected);
    let mut client = match connected {
        Ok(client) => client,
        Err(e) => return outcome.failed(e),
    };
    let schedule = match session::await_start(&mut client, &mut start).await {
        Ok(Some(schedule)) => schedule,
        Ok(None) => return outcome,
        Err(e) => return outcome.failed(e),
    };
    let fill_topic = (!plan.topic.has_seq()).then(|| render(&plan, &packet, 0));
    outcome.topic = fill_topic.clone();
    let publisher = Publisher {
        ack: ctx.ack_latency.recorder(),
        ctx,
        plan,
        packet,
        schedule,
        topic: fill_topic,
        seq: 0,
        held_back: 0,
        inflight: HashMap::new(),
        unreported_acks: 0,
        arena: BytesMut::new(),
        outcome,
    };
    publisher.drive(client).await
}

fn render(plan: &Plan, packet: &Connect, seq: u64) -> String {
    let fill = Fill {
        index: plan.index,
        client_id: &packet.client_id,
        username: packet.username.as_deref().unwrap_or(""),
    };
    plan.topic.render(&fill, seq)
}

impl Outcome {
    fn failed(mut self, error: String) -> Outcome {
        self.error = Some(error);
        self
    }
}

/// A running publisher.
struct Publisher {
    ctx: Arc<Context>,
    plan: Plan,
    packet: Connect,
    schedule: Schedule,
    /// The topic when it needs no `%s`.
    topic: Option<String>,
    /// Next sequence number.
    seq: u64,
    /// Messages below this sequence number were due while the broker held the publisher back
    /// (a full window or socket): their latency counts from the timetable, so the stall shows
    /// in the tail instead of slowing the schedule and hiding there (coordinated omission).
    /// The others count from when they go out, so the timer's own lateness is not the broker's.
    held_back: u64,
    /// QoS 1/2 packet ids awaiting completion: due time (see [`Pace::due_at`]) and whether
    /// it is measured.
    inflight: HashMap<u16, (u64, bool)>,
    /// Completions not yet added to the shared counter: added once per tick, not per ack.
    unreported_acks: u64,
    /// Payloads are carved from one buffer instead of allocated one by one.
    arena: BytesMut,
    ack: Recorder,
    outcome: Outcome,
}

impl Publisher {
    async fn drive(mut self, mut client: BenchClient) -> Outcome {
        let first = self.schedule.start + self.plan.offset;
        let mut ticker = tokio::time::interval_at(first.into(), self.plan.pace.tick());
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let stop = tokio::time::sleep_until(self.schedule.stop.into());
        tokio::pin!(stop);
        while !self.outcome.quota_met {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                _ = ticker.tick() => {
                    if let Err(e) = self.send_due(&mut client) {
                        self.outcome.error = Some(e.to_string());
                        break;
                    }
                }
                event = client.next_event() => match event {
                    Ok(event) => self.on_event(event),
                    Err(_) => match self.reconnect().await {
                        Some(c) => client = c,
                        None => return self.outcome,
                    },
                },
            }
        }
        self.drain(client).await
    }

    /// Queues the messages due now, within the quota, the QoS window and [`MAX_PENDING`].
    fn send_due(&mut self, client: &mut BenchClient) -> Result<(), ClientError> {
        let now = Instant::now();
        let start = self.schedule.start + self.plan.offset;
        let due = self.plan.pace.due(start, now);
        let window = self.plan.qos != QoS::AtMostOnce;
        let first = self.seq;
        while self.seq < due
            && client.pending() < MAX_PENDING
            && (!window || client.can_publish())
            && !self.outcome.quota_met
        {
            let due_at = match self.seq < self.held_back {
                true => self.plan.pace.due_at(start, self.seq, now),
                false => now,
            };
            // Measured by its stamp, as the subscribers judge it.
            let measured = due_at >= self.schedule.measure_from;
            let due_ns = self.ctx.clock.ns(due_at);
            let pkid = client.publish(self.message(due_ns))?;
            if window {
                self.inflight.insert(pkid, (due_ns, measured));
            }
            if measured {
                self.count_measured(now);
            }
            self.seq += 1;
        }
        if self.seq < due && !self.outcome.quota_met {
            self.held_back = due;
        }
        Counters::add(&self.ctx.counters.sent, self.seq - first);
        self.report_acks();
        Ok(())
    }

    fn report_acks(&mut self) {
        Counters::add(
            &self.ctx.counters.acked,
            std::mem::take(&mut self.unreported_acks),
        );
    }

    fn count_measured(&mut self, now: Instant) {
        let o = &mut self.outcome;
        if o.sent == 0 {
            o.measured = self.seq..self.seq;
        }
        o.sent += 1;
        o.measured.end = self.seq + 1;
        o.finished = Some(now);
        o.quota_met = self.plan.quota.is_some_and(|q| o.sent >= q);
    }

    fn message(&mut self, sent_ns: u64) -> Publish {
        let header = Header {
            run: self.ctx.run_id,
            publisher: self.plan.index,
            seq: self.seq,
            sent_ns,
        };
        if self.arena.capacity() < self.plan.size {
            self.arena.reserve(self.plan.size * 256);
        }
        header.append(&mut self.arena, self.plan.size);
        let topic = match &self.topic {
            Some(t) => t.clone(),
            None => render(&self.plan, &self.packet, self.seq),
        };
        Publish {
            qos: self.plan.qos,
            retain: self.plan.retain,
            topic,
            payload: self.arena.split().freeze(),
            ..Publish::default()
        }
    }

    fn on_event(&mut self, event: Event) {
        let Event::Delivered { pkid, reason } = event else {
            return;
        };
        let Some((sent_ns, measured)) = self.inflight.remove(&pkid) else {
            return;
        };
        self.unreported_acks += 1;
        if !measured {
            return;
        }
        if reason >= 0x80 {
            self.outcome.refused += 1;
        } else {
            self.outcome.acked += 1;
            self.ack
                .record(self.ctx.clock.now().saturating_sub(sent_ns));
        }
    }

    /// A lost session loses its unacknowledged messages; sending resumes on a new one.
    async fn reconnect(&mut self) -> Option<BenchClient> {
        self.inflight.clear();
        session::reconnect(&self.ctx, &self.packet, self.schedule.stop).await
    }

    /// Waits for outstanding acks (bounded by the drain), then disconnects.
    async fn drain(mut self, mut client: BenchClient) -> Outcome {
        let end = tokio::time::sleep_until(self.schedule.hard_end().into());
        tokio::pin!(end);
        while !self.inflight.is_empty() {
            tokio::select! {
                _ = &mut end => break,
                event = client.next_event() => match event {
                    Ok(event) => {
                        self.on_event(event);
                        self.report_acks();
                    }
                    Err(_) => {
                        session::ended(&self.ctx);
                        return self.outcome;
                    }
                },
            }
        }
        self.report_acks();
        self.ack.flush();
        session::close(&self.ctx, client).await;
        self.outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paced_timetable_starts_at_once_and_never_runs_ahead() {
        let start = Instant::now();
        let pace = Pace::Every(Duration::from_millis(10));
        assert_eq!(pace.due(start, start), 1);
        assert_eq!(pace.due(start, start + Duration::from_millis(9)), 1);
        assert_eq!(pace.due(start, start + Duration::from_millis(100)), 11);
        assert_eq!(pace.due(start + Duration::from_secs(1), start), 0);
        assert_eq!(Pace::Max.due(start, start), u64::MAX);
        assert_eq!(Pace::Every(Duration::from_micros(100)).tick(), MIN_TICK);
    }

    /// A paced message late by a stall keeps its timetable time; never one in the future.
    #[test]
    fn latency_counts_from_the_timetable() {
        let start = Instant::now();
        let pace = Pace::Every(Duration::from_millis(10));
        let late = start + Duration::from_secs(1);
        assert_eq!(
            pace.due_at(start, 3, late),
            start + Duration::from_millis(30)
        );
        assert_eq!(pace.due_at(start, 300, late), late);
        assert_eq!(Pace::Max.due_at(start, 3, late), late);
    }
}
