//! rumqttc, as users of the Rust ecosystem run it (its own `AsyncClient` and `EventLoop`, not
//! our codec), against `mqtk serve` (a real process on loopback) over TCP and TLS with the
//! test CA, with MQTT 3.1.1 and 5: connect, subscribe, QoS 0, 1 and 2, a retained message, a
//! will and, with MQTT 5, properties that must come back as they were sent.

mod common;

use common::{Broker, Pki};
use rumqttc::{TlsConfiguration, Transport};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long any one step may take.
const STEP: Duration = Duration::from_secs(5);

/// A client of `id` for `(transport, port)` with `will`, made with the `MqttOptions` and
/// `AsyncClient` in scope (v4's or v5's): its handle, its events and a task that polls its
/// event loop and forwards every event (and the error that ends it) to the channel; aborting
/// the task drops the connection without DISCONNECT.
macro_rules! start {
    ($id:expr, $target:expr, $will:expr) => {{
        let (transport, port) = $target;
        let mut options = MqttOptions::new($id, "127.0.0.1", *port);
        options.set_transport(transport.clone());
        if let Some(will) = $will {
            options.set_last_will(will);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let event = eventloop.poll().await.map_err(|e| e.to_string());
                let end = event.is_err();
                if tx.send(event).is_err() || end {
                    break;
                }
            }
        });
        (client, rx, task)
    }};
}

/// `mqtk serve` with a plain and a TLS listener, and the transports that reach them.
fn serve(pki: &Pki) -> (Broker, [(Transport, u16); 2]) {
    let mut args: Vec<String> = ["--port", "0", "--tls-port", "0"].map(String::from).into();
    args.extend(pki.server_args());
    let served = Broker::mqtk_serve_listeners(&args, 2);
    let tls_port = served.port_of(" (mqtts)").parse().expect("port");
    let transports = [
        (Transport::Tcp, served.port),
        (Transport::tls_with_config(tls(pki)), tls_port),
    ];
    (served, transports)
}

/// rustls trusting the test CA alone.
fn tls(pki: &Pki) -> TlsConfiguration {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pki.path("ca.pem")).expect("ca.pem") {
        roots.add(cert.expect("certificate")).expect("CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConfiguration::Rustls(Arc::new(config))
}

/// Waits for the first event that `pick` maps to a value; panics on an error or after [`STEP`].
async fn next<E: std::fmt::Debug, T>(
    events: &mut mpsc::UnboundedReceiver<Result<E, String>>,
    what: &str,
    mut pick: impl FnMut(E) -> Option<T>,
) -> T {
    let found = timeout(STEP, async {
        while let Some(event) = events.recv().await {
            match event {
                Ok(event) => {
                    if let Some(found) = pick(event) {
                        return found;
                    }
                }
                Err(e) => panic!("{what}: connection ended: {e}"),
            }
        }
        panic!("{what}: event loop gone");
    });
    found
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {STEP:?}"))
}

/// The steps both protocol versions share, expanded in `v4` and `v5`, whose types differ but
/// have the same names: QoS 0, 1 and 2 deliveries, the publisher's PUBCOMP, and a retained
/// message that a later subscriber gets and an empty one clears.
macro_rules! deliveries_and_retained {
    ($publisher:expr, $inbox:expr, $sent:expr, $target:expr, $base:expr) => {{
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let topic = format!("{}/q{}", $base, qos as u8);
            $publisher
                .publish(&topic, qos, false, "x")
                .await
                .expect("publish");
            let m = message($inbox, &topic).await;
            let got: &[u8] = m.topic.as_ref();
            assert_eq!(
                (got, m.qos, &m.payload[..]),
                (topic.as_bytes(), qos, &b"x"[..])
            );
        }
        // QoS 2 is complete once the publisher has its PUBCOMP.
        let done = next($sent, "PUBCOMP", |e| {
            matches!(e, Event::Incoming(Packet::PubComp(_))).then_some(())
        });
        done.await;
        let kept = format!("{}/kept", $base);
        $publisher
            .publish(&kept, QoS::AtLeastOnce, true, "kept")
            .await
            .expect("publish");
        message($inbox, &kept).await;
        let late = connect(&format!("late-{}", $base), $target, None).await;
        let (late, mut late_inbox, _late_task) = late;
        late.subscribe(&kept, QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let m = message(&mut late_inbox, "retained").await;
        assert_eq!((&m.payload[..], m.retain), (&b"kept"[..], true));
        $publisher
            .publish(&kept, QoS::AtLeastOnce, true, "")
            .await
            .expect("publish");
        message($inbox, "retained cleared").await;
    }};
}

mod v4 {
    use super::*;
    use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, Publish, QoS};
    use rumqttc::{ConnectReturnCode, SubscribeReasonCode};

    pub type Events = mpsc::UnboundedReceiver<Result<Event, String>>;

    /// A connected client: its handle, its events and the task polling its event loop.
    pub async fn connect(
        id: &str,
        target: &(Transport, u16),
        will: Option<LastWill>,
    ) -> (AsyncClient, Events, JoinHandle<()>) {
        let (client, mut events, task) = start!(id, target, will);
        let code = next(&mut events, "CONNACK", |e| match e {
            Event::Incoming(Packet::ConnAck(ack)) => Some(ack.code),
            _ => None,
        });
        assert_eq!(code.await, ConnectReturnCode::Success, "{id}");
        (client, events, task)
    }

    /// The next PUBLISH that arrives.
    pub async fn message(events: &mut Events, what: &str) -> Publish {
        next(events, what, |e| match e {
            Event::Incoming(Packet::Publish(p)) => Some(p),
            _ => None,
        })
        .await
    }

    pub async fn scenario(target: &(Transport, u16), base: &str) {
        let (sub, mut inbox, _sub_task) = connect(&format!("sub-{base}"), target, None).await;
        let will = LastWill::new(format!("{base}/will"), "gone", QoS::AtLeastOnce, false);
        let (publisher, mut sent, pub_task) =
            connect(&format!("pub-{base}"), target, Some(will)).await;
        sub.subscribe(format!("{base}/#"), QoS::ExactlyOnce)
            .await
            .expect("subscribe");
        let granted = next(&mut inbox, "SUBACK", |e| match e {
            Event::Incoming(Packet::SubAck(ack)) => Some(ack.return_codes),
            _ => None,
        });
        let granted = granted.await;
        assert_eq!(granted, [SubscribeReasonCode::Success(QoS::ExactlyOnce)]);
        deliveries_and_retained!(publisher, &mut inbox, &mut sent, target, base);
        pub_task.abort();
        let m = message(&mut inbox, "will").await;
        assert_eq!(
            (&m.topic[..], &m.payload[..]),
            (format!("{base}/will").as_str(), &b"gone"[..])
        );
    }
}

mod v5 {
    use super::*;
    use bytes::Bytes;
    use rumqttc::v5::mqttbytes::v5::{
        ConnectReturnCode, LastWill, LastWillProperties, Packet, Publish, PublishProperties,
        SubscribeProperties, SubscribeReasonCode,
    };
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};

    pub type Events = mpsc::UnboundedReceiver<Result<Event, String>>;

    /// A connected client: its handle, its events and the task polling its event loop.
    pub async fn connect(
        id: &str,
        target: &(Transport, u16),
        will: Option<LastWill>,
    ) -> (AsyncClient, Events, JoinHandle<()>) {
        let (client, mut events, task) = start!(id, target, will);
        let ack = next(&mut events, "CONNACK", |e| match e {
            Event::Incoming(Packet::ConnAck(ack)) => Some(ack),
            _ => None,
        });
        let ack = ack.await;
        assert_eq!(ack.code, ConnectReturnCode::Success, "{id}");
        let alias_max = ack.properties.and_then(|p| p.topic_alias_max);
        assert_eq!(alias_max, Some(10), "CONNACK Topic Alias Maximum");
        (client, events, task)
    }

    /// The next PUBLISH that arrives.
    pub async fn message(events: &mut Events, what: &str) -> Publish {
        next(events, what, |e| match e {
            Event::Incoming(Packet::Publish(p)) => Some(p),
            _ => None,
        })
        .await
    }

    /// The properties the scenario sends with a message.
    fn sent_properties(base: &str) -> PublishProperties {
        PublishProperties {
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(60),
            topic_alias: None,
            response_topic: Some(format!("{base}/reply")),
            correlation_data: Some(Bytes::from_static(b"req-42")),
            user_properties: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            subscription_identifiers: Vec::new(),
            content_type: Some("application/json".into()),
        }
    }

    pub async fn scenario(target: &(Transport, u16), base: &str) {
        let (sub, mut inbox, _sub_task) = connect(&format!("sub-{base}"), target, None).await;
        let will_properties = LastWillProperties {
            delay_interval: None,
            payload_format_indicator: None,
            message_expiry_interval: None,
            content_type: Some("text/plain".into()),
            response_topic: None,
            correlation_data: None,
            user_properties: vec![("why".into(), "lost".into())],
        };
        let will = LastWill::new(
            format!("{base}/will"),
            "gone",
            QoS::AtLeastOnce,
            false,
            Some(will_properties),
        );
        let (publisher, mut sent, pub_task) =
            connect(&format!("pub-{base}"), target, Some(will)).await;
        let properties = SubscribeProperties {
            id: Some(7),
            user_properties: Vec::new(),
        };
        sub.subscribe_with_properties(format!("{base}/#"), QoS::ExactlyOnce, properties)
            .await
            .expect("subscribe");
        let granted = next(&mut inbox, "SUBACK", |e| match e {
            Event::Incoming(Packet::SubAck(ack)) => Some(ack.return_codes),
            _ => None,
        });
        let granted = granted.await;
        assert_eq!(granted, [SubscribeReasonCode::Success(QoS::ExactlyOnce)]);
        deliveries_and_retained!(publisher, &mut inbox, &mut sent, target, base);

        let topic = format!("{base}/props");
        let properties = sent_properties(base);
        publisher
            .publish_with_properties(&topic, QoS::AtLeastOnce, false, "{}", properties.clone())
            .await
            .expect("publish");
        let mut got = message(&mut inbox, &topic)
            .await
            .properties
            .expect("properties");
        let expiry = got.message_expiry_interval.take();
        assert!(matches!(expiry, Some(59..=60)), "expiry {expiry:?}");
        let expected = PublishProperties {
            message_expiry_interval: None,
            subscription_identifiers: vec![7],
            ..properties
        };
        assert_eq!(got, expected);

        pub_task.abort();
        let m = message(&mut inbox, "will").await;
        assert_eq!(&m.payload[..], b"gone");
        let p = m.properties.expect("will properties");
        assert_eq!(p.content_type.as_deref(), Some("text/plain"));
        assert_eq!(p.user_properties, [("why".to_string(), "lost".to_string())]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttc_v311_over_tcp_and_tls() {
    let pki = Pki::new();
    let (_served, targets) = serve(&pki);
    for (i, target) in targets.iter().enumerate() {
        v4::scenario(target, &format!("rumqttc/4/{i}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttc_v5_over_tcp_and_tls() {
    let pki = Pki::new();
    let (_served, targets) = serve(&pki);
    for (i, target) in targets.iter().enumerate() {
        v5::scenario(target, &format!("rumqttc/5/{i}")).await;
    }
}
