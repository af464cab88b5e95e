//! Sessions of bench clients: one timed connection attempt, subscribing, and reconnection with
//! back-off when a session is lost mid-run (counted, as emqtt-bench users asked for).

use std::time::{Duration, Instant};

use super::context::Context;
use super::counters::Counters;
use super::schedule::{wait_start, Schedule, Start};
use crate::client::{Client, Event};
use crate::codec::{Connect, Packet, QoS, Reason, Subscribe, Subscription};
use crate::retry::Backoff;
use crate::transport::BoxedStream;

/// A connected bench client.
pub type BenchClient = Client<BoxedStream>;

/// First wait before reconnecting; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// One connection attempt bounded by the context's timeout; a success's duration (stream,
/// handshakes and CONNACK) goes to the connect-time histogram.
pub async fn connect(ctx: &Context, connect: &Connect) -> Result<BenchClient, String> {
    let started = Instant::now();
    let attempt = tokio::time::timeout(ctx.connect_timeout, ctx.target.open_with(connect)).await;
    let result = match attempt {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            // The TCP (and TLS/WebSocket) connect counts too: under a full listen backlog
            // it is the SYN retries that run out the time, not a broker that never answers.
            "not connected (stream and CONNACK) within {:?} (--connect-timeout)",
            ctx.connect_timeout
        )),
    };
    match &result {
        Ok(_) => {
            let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            ctx.connect_time.recorder().record(ns);
            Counters::add(&ctx.counters.connected, 1);
        }
        Err(_) => Counters::add(&ctx.counters.failed, 1),
    }
    result
}

/// Notes that a session ended (lost or closed).
pub fn ended(ctx: &Context) {
    ctx.counters
        .connected
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
}

/// After a lost session: retries with back-off until `until`; `None` when time ran out.
pub async fn reconnect(ctx: &Context, packet: &Connect, until: Instant) -> Option<BenchClient> {
    ended(ctx);
    let mut backoff = Backoff::new(FIRST_BACKOFF, MAX_BACKOFF);
    while backoff.wait(Some(until)).await {
        if let Ok(client) = connect(ctx, packet).await {
            Counters::add(&ctx.counters.reconnects, 1);
            return Some(client);
        }
    }
    None
}

/// Subscribes to `filters` and waits (at most `limit`) for a SUBACK granting all of them.
pub async fn subscribe(
    client: &mut BenchClient,
    filters: &[String],
    qos: QoS,
    limit: Duration,
) -> Result<(), String> {
    let request = Subscribe {
        filters: filters
            .iter()
            .map(|f| Subscription {
                filter: f.clone(),
                qos,
                ..Subscription::default()
            })
            .collect(),
        ..Subscribe::default()
    };
    client
        .request(Packet::Subscribe(request))
        .map_err(|e| e.to_string())?;
    let suback = async {
        loop {
            match client.next_event().await {
                Ok(Event::SubAck(ack)) => return Ok(ack.codes),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    };
    let codes = tokio::time::timeout(limit, suback)
        .await
        .map_err(|_| format!("no SUBACK within {limit:?}"))??;
    match codes.iter().find(|&&c| c >= 0x80) {
        Some(code) => Err(format!("subscription refused (reason {code:#04x})")),
        None => Ok(()),
    }
}

/// Services `client` (keepalive) until the run's schedule is known; `Ok(None)` when the run
/// was called off.
pub async fn await_start(
    client: &mut BenchClient,
    start: &mut Start,
) -> Result<Option<Schedule>, String> {
    loop {
        tokio::select! {
            schedule = wait_start(start) => return Ok(schedule),
            event = client.next_event() => {
                if let Err(e) = event {
                    return Err(e.to_string());
                }
            }
        }
    }
}

/// Closes a session politely; the run is over, so a failure changes nothing.
pub async fn close(ctx: &Context, client: BenchClient) {
    let _ = client.disconnect(Reason::default()).await;
    ended(ctx);
}
