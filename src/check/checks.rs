//! The probes after CONNECT: each opens its own connections on its own topics, so one
//! failure cannot spill into the next check, and returns a detail line either way.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::args::{Check, CheckArgs};
use super::probe::{Conn, Failure, Probe};
use super::Broker;
use crate::codec::{Connect, Properties, Publish, QoS, Subscription, Version, Will};

/// A CONNECT check: a clean session with `version` is accepted; returns the CONNACK's
/// properties (MQTT 5 limits).
pub async fn connect(p: &Probe, version: Version) -> Result<Properties, Failure> {
    let conn = p.open(version, |_| {}).await?;
    let limits = (*conn.connack().properties).clone();
    conn.close().await;
    Ok(limits)
}

/// Runs one probe after the CONNECT checks; `Ok` holds the detail of a pass.
pub async fn run(
    check: Check,
    p: &Probe,
    broker: &Broker,
    args: &CheckArgs,
) -> Result<String, Failure> {
    let v = broker.version;
    match check {
        // Not probes: `super::connect` runs them first, as they pick the protocol.
        Check::Connect311 | Check::Connect5 => Err("not a probe".into()),
        Check::Qos0 => round_trip(p, broker, QoS::AtMostOnce).await,
        Check::Qos1 => round_trip(p, broker, QoS::AtLeastOnce).await,
        Check::Qos2 => round_trip(p, broker, QoS::ExactlyOnce).await,
        Check::Retained => retained(p, broker).await,
        Check::Wildcards => wildcards(p, broker).await,
        Check::Shared => shared(p, broker).await,
        Check::Payload => payload(p, broker, args.payload_size as usize).await,
        Check::TopicLength => topic_length(p, v, args.topic_length.into()).await,
        Check::ClientIdLength => client_id_length(p, v, args.client_id_length.into()).await,
        Check::Will => will(p, v).await,
        Check::NoLocal => no_local(p).await,
        Check::MessageExpiry => message_expiry(p).await,
    }
}

/// A message to `topic`.
fn message(topic: &str, qos: QoS, payload: impl Into<Bytes>) -> Publish {
    Publish {
        topic: topic.to_string(),
        qos,
        payload: payload.into(),
        ..Publish::default()
    }
}

async fn round_trip(p: &Probe, broker: &Broker, qos: QoS) -> Result<String, Failure> {
    // Publishing above the broker's maximum QoS is a protocol error (MQTT 5 section 3.2.2.3.4).
    if let Some(max) = broker.limits.maximum_qos.filter(|&max| max < qos as u8) {
        return Err(format!("the broker's maximum QoS is {max}"));
    }
    let topic = p.topic(&format!("qos{}", qos as u8));
    let mut c = p.open(broker.version, |_| {}).await?;
    c.subscribe_one(&topic, qos).await?;
    let started = Instant::now();
    c.publish(message(&topic, qos, "round trip")).await?;
    let m = c.expect(b"round trip").await?;
    let took = started.elapsed();
    c.close().await;
    match m.qos == qos {
        true => Ok(format!("round trip in {}", millis(took))),
        false => Err(format!("came back at QoS {}", m.qos as u8)),
    }
}

/// Fails at once where the CONNACK says a feature is missing: using it would be a protocol
/// error the broker disconnects for.
fn available(flag: Option<u8>, what: &str) -> Result<(), Failure> {
    match flag {
        Some(0) => Err(format!("the broker says {what} are not available")),
        _ => Ok(()),
    }
}

/// A retained message reaches a later subscriber with the retain flag, and an empty one
/// clears it; the clearing is sent even when the first half failed, so no probe message is
/// left behind on the broker.
async fn retained(p: &Probe, broker: &Broker) -> Result<String, Failure> {
    available(broker.limits.retain_available, "retained messages")?;
    let topic = p.topic("retained");
    let retained = |payload: &'static str| Publish {
        retain: true,
        ..message(&topic, QoS::AtLeastOnce, payload)
    };
    let mut publisher = p.open(broker.version, |_| {}).await?;
    publisher.publish(retained("kept")).await?;
    let kept = retained_reaches(p, broker.version, &topic).await;
    publisher.publish(retained("")).await?;
    publisher.close().await;
    kept?;
    let mut after = subscribed(p, broker.version, &topic).await?;
    after
        .publish(message(&topic, QoS::AtLeastOnce, "live"))
        .await?;
    let cleared = "an empty retained payload did not clear it";
    after.expect_instead(b"live", b"kept", cleared).await?;
    after.close().await;
    Ok("kept for a later subscriber, cleared by an empty payload".into())
}

/// A new subscriber to `topic` gets the retained "kept", flagged as retained.
async fn retained_reaches(p: &Probe, v: Version, topic: &str) -> Result<(), Failure> {
    let mut later = subscribed(p, v, topic).await?;
    if !later.expect(b"kept").await?.retain {
        return Err("delivered without the retain flag".into());
    }
    later.close().await;
    Ok(())
}

/// A connection subscribed to `filter` at QoS 1.
async fn subscribed(p: &Probe, v: Version, filter: &str) -> Result<Conn, Failure> {
    let mut c = p.open(v, |_| {}).await?;
    c.subscribe_one(filter, QoS::AtLeastOnce).await?;
    Ok(c)
}

async fn wildcards(p: &Probe, broker: &Broker) -> Result<String, Failure> {
    available(broker.limits.wildcard_subscription_available, "wildcards")?;
    let base = p.topic("wild");
    let mut c = subscribed(p, broker.version, &format!("{base}/+/x")).await?;
    c.subscribe_one(&format!("{base}/hash/#"), QoS::AtLeastOnce)
        .await?;
    for (topic, payload) in [
        ("a/y", "not matched"),
        ("a/x", "plus"),
        ("hash/b/c", "hash"),
    ] {
        c.publish(message(
            &format!("{base}/{topic}"),
            QoS::AtLeastOnce,
            payload,
        ))
        .await?;
    }
    c.expect_instead(b"plus", b"not matched", "+ matched two levels")
        .await?;
    c.expect(b"hash").await?;
    c.close().await;
    Ok("+ and # match, and + stops at one level".into())
}

async fn shared(p: &Probe, broker: &Broker) -> Result<String, Failure> {
    available(
        broker.limits.shared_subscription_available,
        "shared subscriptions",
    )?;
    let topic = p.topic("shared");
    let mut c = subscribed(p, broker.version, &format!("$share/mqtk-check/{topic}")).await?;
    c.publish(message(&topic, QoS::AtLeastOnce, "shared"))
        .await?;
    c.expect(b"shared").await?;
    c.close().await;
    Ok("a $share/GROUP/ subscription receives".into())
}

/// The sizes a size probe tries, smallest first: fixed rungs below what is wanted, then it.
fn rungs(fixed: &[usize], wanted: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = fixed.iter().copied().filter(|&s| s < wanted).collect();
    sizes.push(wanted);
    sizes
}

/// Climbs `sizes` with `attempt` until one fails: a pass when the last one works. The
/// detail says how far it got, in `unit`s that were `done` (round-trip, accepted).
async fn climb<F, Fut>(
    sizes: Vec<usize>,
    (unit, done): (&str, &str),
    mut attempt: F,
) -> Result<String, Failure>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let mut best = None;
    for size in sizes {
        if let Err(e) = attempt(size).await {
            let reached = best.map_or("nothing smaller worked".into(), |b| {
                format!("{b} {unit} did")
            });
            return Err(format!("{size} {unit}: {e}; {reached}"));
        }
        best = Some(size);
    }
    Ok(format!("{} {unit} {done}", best.unwrap_or_default()))
}

/// Payloads up to `wanted` bytes. One the broker's maximum packet size rules out fails
/// without being sent: sending it would be a protocol error (MQTT 5 section 3.2.2.3.6).
async fn payload(p: &Probe, broker: &Broker, wanted: usize) -> Result<String, Failure> {
    let topic = p.topic("payload");
    let limit = broker.limits.maximum_packet_size;
    let sizes = rungs(&[1024, 64 * 1024, 1024 * 1024], wanted);
    climb(sizes, ("bytes", "round-trip"), |size| {
        let topic = topic.clone();
        async move {
            // Fixed header, topic, packet id and property length, at their longest.
            let packet = size + topic.len() + 13;
            if let Some(limit) = limit.filter(|&limit| packet > limit as usize) {
                return Err(format!("over the broker's maximum packet size {limit}"));
            }
            let mut c = subscribed(p, broker.version, &topic).await?;
            let body = vec![b'p'; size];
            c.publish(message(&topic, QoS::AtLeastOnce, body.clone()))
                .await?;
            c.expect(&body).await?;
            c.close().await;
            Ok(())
        }
    })
    .await
}

async fn topic_length(p: &Probe, v: Version, wanted: usize) -> Result<String, Failure> {
    let base = p.topic("t");
    let sizes = rungs(&[64, 1024, 16 * 1024], wanted.max(base.len() + 1));
    climb(sizes, ("bytes of topic", "round-trip"), |size| {
        let topic = format!("{base}{}", "t".repeat(size.saturating_sub(base.len())));
        async move {
            let mut c = subscribed(p, v, &topic).await?;
            c.publish(message(&topic, QoS::AtLeastOnce, "long topic"))
                .await?;
            c.expect(b"long topic").await?;
            c.close().await;
            Ok(())
        }
    })
    .await
}

async fn client_id_length(p: &Probe, v: Version, wanted: usize) -> Result<String, Failure> {
    let sizes = rungs(&[23, 256, 4096], wanted);
    climb(
        sizes,
        ("bytes of client id", "accepted"),
        |size| async move {
            // Padded with letters: MQTT promises only [0-9a-zA-Z] (3.1.1 section 3.1.3.1).
            let mut id = format!("{:i<size$}", p.client_id());
            id.truncate(size);
            let c = p.open(v, |c| c.client_id = id).await?;
            c.close().await;
            Ok(())
        },
    )
    .await
}

async fn will(p: &Probe, v: Version) -> Result<String, Failure> {
    let topic = p.topic("will");
    let mut watcher = subscribed(p, v, &topic).await?;
    let will = Will {
        topic: topic.clone(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    };
    let lost = p.open(v, |c| c.will = Some(will)).await?;
    // Closing the socket without DISCONNECT is what makes the broker publish the will.
    drop(lost);
    watcher.expect(b"gone").await?;
    watcher.close().await;
    Ok("published when the connection was lost".into())
}

async fn no_local(p: &Probe) -> Result<String, Failure> {
    let topic = p.topic("no-local");
    let mut c = p.open(Version::V5, |_| {}).await?;
    c.subscribe_with(Subscription {
        filter: topic.clone(),
        qos: QoS::AtLeastOnce,
        no_local: true,
        ..Subscription::default()
    })
    .await?;
    c.publish(message(&topic, QoS::AtLeastOnce, "ours")).await?;
    let mut other = p.open(Version::V5, |_| {}).await?;
    other
        .publish(message(&topic, QoS::AtLeastOnce, "theirs"))
        .await?;
    other.close().await;
    c.expect_instead(b"theirs", b"ours", "our own message came back")
        .await?;
    c.close().await;
    Ok("our own messages are not sent back".into())
}

/// Queues an expiring message for an absent persistent session (retained messages would
/// do, but not every broker keeps them), and checks it is gone when the session returns.
async fn message_expiry(p: &Probe) -> Result<String, Failure> {
    let topic = p.topic("expiry");
    let id = p.client_id();
    let session = |clean: bool, expiry: u32| {
        let id = id.clone();
        move |c: &mut Connect| {
            c.client_id = id;
            c.clean_start = clean;
            c.properties.session_expiry_interval = Some(expiry);
        }
    };
    let mut away = p.open(Version::V5, session(true, 60)).await?;
    away.subscribe_one(&topic, QoS::AtLeastOnce).await?;
    away.close().await;
    let mut publisher = p.open(Version::V5, |_| {}).await?;
    let mut expiring = message(&topic, QoS::AtLeastOnce, "expiring");
    expiring.properties.message_expiry_interval = Some(1);
    publisher.publish(expiring).await?;
    publisher.close().await;
    // Brokers count expiry in whole seconds: past 2 s the interval of 1 s is over on any.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Session expiry 0 on return: the session ends with this connection.
    let mut back = p.open(Version::V5, session(false, 0)).await?;
    if !back.connack().session_present {
        return Err("the session was not kept (session expiry interval 60)".into());
    }
    back.publish(message(&topic, QoS::AtLeastOnce, "live"))
        .await?;
    back.expect_instead(b"live", b"expiring", "delivered after its expiry interval")
        .await?;
    back.close().await;
    Ok("a queued message is dropped after its expiry interval".into())
}

/// A duration in milliseconds with three decimals.
fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}
