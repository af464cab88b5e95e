//! A subscriber task: subscribes, then accounts for every delivery in its [`Inbox`] until the
//! run ends: at the schedule's stop for `bench sub`, or once the publishers of this process
//! are done and deliveries have gone quiet (bounded by the drain) for `pubsub`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::context::{Context, Role};
use super::counters::Counters;
use super::inbox::{Inbox, StreamId};
use super::schedule::{self, Ready, Schedule, Start, QUIET};
use super::seq::SeqSet;
use super::session::{self, BenchClient};
use super::template::{Fill, Template};
use crate::client::Event;
use crate::codec::{Connect, QoS};

/// How often a subscriber checks whether the run is over and publishes its counts.
const CHECK: Duration = Duration::from_millis(50);

/// Deliveries counted locally before they are added to the shared counters.
const REPORT_EVERY: u64 = 256;

/// What one subscriber does.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `%i` in the filters.
    pub index: u32,
    pub filters: Vec<Template>,
    pub qos: QoS,
    /// Only this run's messages count (`pubsub`); `None` counts every bench run (`bench sub`).
    pub run: Option<u32>,
}

/// When a subscriber stops, besides the schedule.
#[derive(Clone, Debug)]
pub struct End {
    /// Becomes true when this process's publishers are done (`pubsub`); then the subscriber
    /// drains until quiet. `None` (`bench sub`) stops at the schedule's stop.
    pub publishers_done: Option<watch::Receiver<bool>>,
    /// Stop once the subscribers together counted this many measured messages.
    pub count: Option<u64>,
}

/// What one subscriber saw.
#[derive(Debug, Default)]
pub struct Outcome {
    pub index: u32,
    /// The filters as subscribed.
    pub filters: Vec<String>,
    /// Measured deliveries, duplicates included.
    pub received: u64,
    /// Deliveries that were not this run's bench messages.
    pub foreign: u64,
    /// Sequence numbers per publisher stream.
    pub streams: HashMap<StreamId, SeqSet>,
    /// Why the subscriber could not run, if it could not.
    pub error: Option<String>,
}

/// Connects, subscribes, reports readiness, then counts deliveries until the run ends.
pub async fn run(
    ctx: Arc<Context>,
    plan: Plan,
    end: End,
    ready: Ready,
    mut start: Start,
) -> Outcome {
    let packet = ctx.connect_packet(Role::Subscriber, plan.index);
    let filters = render(&plan, &packet);
    let mut outcome = Outcome {
        index: plan.index,
        filters: filters.clone(),
        ..Outcome::default()
    };
    let setup = subscribed(&ctx, &packet, &filters, plan.qos).await;
    schedule::report(ready, &setup);
    let mut client = match setup {
        Ok(client) => client,
        Err(e) => {
            outcome.error = Some(e);
            return outcome;
        }
    };
    let schedule = match session::await_start(&mut client, &mut start).await {
        Ok(Some(schedule)) => schedule,
        Ok(None) => return outcome,
        Err(e) => {
            outcome.error = Some(e);
            return outcome;
        }
    };
    let inbox = Inbox::new(
        plan.run,
        ctx.clock.ns(schedule.measure_from),
        ctx.latency.recorder(),
    );
    let mut sub = Subscriber {
        ctx,
        plan,
        packet,
        filters,
        schedule,
        end,
        inbox,
        unreported: (0, 0),
    };
    sub.drive(client).await;
    outcome.received = sub.inbox.received;
    outcome.foreign = sub.inbox.foreign;
    outcome.streams = std::mem::take(&mut sub.inbox.streams);
    outcome
}

fn render(plan: &Plan, packet: &Connect) -> Vec<String> {
    let fill = Fill {
        index: plan.index,
        client_id: &packet.client_id,
        username: packet.username.as_deref().unwrap_or(""),
    };
    plan.filters.iter().map(|f| f.render(&fill, 0)).collect()
}

async fn subscribed(
    ctx: &Context,
    packet: &Connect,
    filters: &[String],
    qos: QoS,
) -> Result<BenchClient, String> {
    let mut client = session::connect(ctx, packet).await?;
    session::subscribe(&mut client, filters, qos, ctx.connect_timeout).await?;
    Ok(client)
}

/// A running subscriber.
struct Subscriber {
    ctx: Arc<Context>,
    plan: Plan,
    packet: Connect,
    filters: Vec<String>,
    schedule: Schedule,
    end: End,
    inbox: Inbox,
    /// Deliveries and measured deliveries not yet added to the shared counters.
    unreported: (u64, u64),
}

impl Subscriber {
    async fn drive(&mut self, mut client: BenchClient) {
        let mut check = tokio::time::interval(CHECK);
        let mut last = Instant::now();
        let mut done_at = None;
        loop {
            tokio::select! {
                biased;
                _ = check.tick() => {
                    self.report();
                    if self.over(last, &mut done_at) {
                        break;
                    }
                }
                event = client.next_event() => match event {
                    Ok(Event::Message(p)) => {
                        last = Instant::now();
                        self.on_message(&p.payload, last);
                    }
                    Ok(_) => {}
                    Err(_) => match self.reconnect().await {
                        Some(c) => client = c,
                        None => return self.finish(),
                    },
                },
            }
        }
        self.finish();
        session::close(&self.ctx, client).await;
    }

    fn on_message(&mut self, payload: &[u8], now: Instant) {
        let counted = self.inbox.on_payload(payload, self.ctx.clock.ns(now));
        self.unreported.0 += 1;
        self.unreported.1 += u64::from(counted);
        if self.unreported.0 >= REPORT_EVERY {
            self.report();
        }
    }

    fn report(&mut self) {
        let counters = &self.ctx.counters;
        Counters::add(&counters.received, self.unreported.0);
        Counters::add(&counters.counted, self.unreported.1);
        self.unreported = (0, 0);
    }

    /// True when the run is over for this subscriber.
    fn over(&self, last: Instant, done_at: &mut Option<Instant>) -> bool {
        let now = Instant::now();
        let counted = Counters::get(&self.ctx.counters.counted);
        if self.end.count.is_some_and(|c| counted >= c) {
            return true;
        }
        let Some(done) = &self.end.publishers_done else {
            return now >= self.schedule.stop;
        };
        if *done.borrow() {
            let since = *done_at.get_or_insert(now);
            return now >= self.schedule.hard_end() || now.duration_since(last.max(since)) >= QUIET;
        }
        now >= self.schedule.hard_end()
    }

    /// A lost session is re-established and re-subscribed while the run lasts.
    async fn reconnect(&mut self) -> Option<BenchClient> {
        let until = self.schedule.stop;
        while Instant::now() < until {
            let mut client = session::reconnect(&self.ctx, &self.packet, until).await?;
            let limit = self.ctx.connect_timeout;
            if session::subscribe(&mut client, &self.filters, self.plan.qos, limit)
                .await
                .is_ok()
            {
                return Some(client);
            }
        }
        None
    }

    fn finish(&mut self) {
        self.report();
        self.inbox.flush();
    }
}
