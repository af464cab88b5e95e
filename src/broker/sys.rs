//! `$SYS/broker/...` topics like mosquitto's, published retained at a fixed interval.

use super::message::Message;
use super::server::Shared;
use super::shutdown::Shutdown;
use super::stats::Stats;
use crate::codec::{Props, QoS};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Publishes the `$SYS` topics every `every` until shutdown.
pub async fn publish_every(every: Duration, shared: Arc<Shared>, mut shutdown: Shutdown) {
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticks.tick() => publish(&shared),
            () = shutdown.recv() => return,
        }
    }
}

/// The current value of every `$SYS` topic.
fn topics(shared: &Shared) -> Vec<(&'static str, String)> {
    let stats = &shared.stats;
    let (sessions, subscriptions, retained) = shared.router.counts();
    let connected = stats.clients_connected.load(Ordering::Relaxed);
    vec![
        (
            "version",
            format!("mqtk version {}", env!("CARGO_PKG_VERSION")),
        ),
        (
            "uptime",
            format!("{} seconds", stats.started.elapsed().as_secs()),
        ),
        ("clients/connected", connected.to_string()),
        ("clients/total", sessions.to_string()),
        (
            "clients/disconnected",
            (sessions as u64).saturating_sub(connected).to_string(),
        ),
        (
            "messages/received",
            Stats::get(&stats.messages_received).to_string(),
        ),
        (
            "messages/sent",
            Stats::get(&stats.messages_sent).to_string(),
        ),
        (
            "bytes/received",
            Stats::get(&stats.bytes_received).to_string(),
        ),
        ("bytes/sent", Stats::get(&stats.bytes_sent).to_string()),
        (
            "publish/messages/dropped",
            shared.router.dropped().to_string(),
        ),
        ("subscriptions/count", subscriptions.to_string()),
        ("retained messages/count", retained.to_string()),
    ]
}

fn publish(shared: &Shared) {
    for (name, value) in topics(shared) {
        let msg = Message {
            topic: format!("$SYS/broker/{name}"),
            payload: value.into(),
            qos: QoS::AtMostOnce,
            retain: true,
            properties: Props::default(),
            expires: None,
            origin: None,
        };
        shared.router.publish(&Arc::new(msg), None);
    }
}
