//! An MQTT client session on one connection, driven from a single task.
//!
//! pub, sub and rr own a `Client` and call [`Client::next_event`] in a `select!` beside their
//! own input, so there is no channel between the protocol and the tool: publishes are queued
//! straight into the write buffer and go out together. The client answers the protocol's
//! own packets (acks of QoS 1/2 deliveries, PINGREQ on keepalive, topic aliases) itself.
//! After a lost connection, the QoS 1/2 publishes it had not completed carry over to the next
//! ([`Client::into_unfinished`], [`Client::resume`]).

use crate::codec::{Ack, ConnAck, Connect, Packet, PacketIds, Publish, QoS, Reason, SubAck};
use crate::connection::Connection;
use crate::topic::alias::Aliases;
use std::collections::{HashMap, HashSet};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

mod error;
mod resend;
mod trace;
mod window;
pub use error::{reason_text, ClientError};
use resend::Outgoing;
use trace::trace;
pub use trace::{debug, set_debug};
pub use window::Window;

/// What the broker sent that the tool has to act on.
#[derive(Debug)]
pub enum Event {
    /// An application message (topic alias already resolved).
    Message(Publish),
    /// A QoS 1 or 2 publish of ours completed (PUBACK or PUBCOMP), with its reason code.
    Delivered {
        pkid: u16,
        reason: u8,
    },
    SubAck(SubAck),
    UnsubAck(SubAck),
}

/// One connected session.
pub struct Client<S> {
    conn: Connection<S>,
    /// CONNACK as received, for the session-present flag and MQTT 5 limits.
    pub connack: ConnAck,
    keepalive: Option<Duration>,
    last_write: Instant,
    ping_sent: Option<Instant>,
    pkids: PacketIds,
    /// Our QoS 1/2 publishes not yet completed, kept for resending.
    inflight: HashMap<u16, Outgoing>,
    /// How many publishes went into `inflight`: their order for a resend.
    sent: u64,
    /// Topic aliases we set up, so a resend on a new connection can name the topic again.
    our_aliases: HashMap<u16, String>,
    /// Receive maximum: how many of ours may be in flight at once.
    window: Window,
    /// Topic and payload bytes of the messages in `inflight`.
    unacked_bytes: usize,
    /// QoS 2 deliveries from the broker between PUBREC and PUBREL, to drop duplicates.
    incoming_qos2: HashSet<u16>,
    /// Topic aliases the broker set up, within the maximum our CONNECT announced (0 unless
    /// `-D connect topic-alias-maximum`).
    aliases: Aliases,
    alias_max: u16,
    /// The client id for `-d` lines: ours, the broker's assignment, or "(null)".
    label: String,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Sends CONNECT over `stream` and waits for CONNACK; a refusal is an error.
    ///
    /// `window` is the tool's own (mosquitto's `-M`); an MQTT 5 broker's receive maximum
    /// lowers it.
    pub async fn connect(
        stream: S,
        connect: &Connect,
        window: Window,
    ) -> Result<Client<S>, ClientError> {
        let mut conn = Connection::new(stream, Some(connect.version));
        let label = match connect.client_id.as_str() {
            "" => "(null)".to_string(),
            id => id.to_string(),
        };
        let packet = Packet::Connect(Box::new(connect.clone()));
        trace(&label, &packet, true);
        conn.queue(&packet)?;
        conn.flush().await?;
        let connack = match conn.read_packet().await? {
            Some(Packet::ConnAck(c)) => {
                trace(&label, &Packet::ConnAck(c.clone()), false);
                c
            }
            Some(other) => {
                return Err(ClientError::Protocol(format!(
                    "expected CONNACK, got {other:?}"
                )))
            }
            None => return Err(io::Error::from(io::ErrorKind::ConnectionReset).into()),
        };
        if connack.code != 0 {
            return Err(ClientError::Refused {
                code: connack.code,
                mqtt5: connect.version.is_v5(),
            });
        }
        let keepalive = connack
            .properties
            .server_keep_alive
            .unwrap_or(connect.keep_alive);
        Ok(Client {
            conn,
            keepalive: (keepalive > 0).then(|| Duration::from_secs(keepalive.into())),
            last_write: Instant::now(),
            ping_sent: None,
            pkids: PacketIds::default(),
            inflight: HashMap::new(),
            sent: 0,
            our_aliases: HashMap::new(),
            window: window.within(connack.properties.receive_maximum),
            unacked_bytes: 0,
            incoming_qos2: HashSet::new(),
            aliases: Aliases::default(),
            alias_max: connect.properties.topic_alias_maximum.unwrap_or(0),
            label,
            connack,
        })
    }

    /// Queues `packet`, tracing it under `-d`.
    fn send(&mut self, packet: &Packet) -> Result<(), io::Error> {
        trace(&self.label, packet, true);
        self.conn.queue(packet)
    }

    /// True while another QoS 1/2 publish fits in the window.
    pub fn can_publish(&self) -> bool {
        self.window.fits(self.inflight.len(), self.unacked_bytes)
    }

    /// Number of our QoS 1/2 publishes not yet completed.
    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// True when the next event is already buffered; sub flushes stdout only when not.
    pub fn has_frame(&self) -> bool {
        self.conn.has_frame()
    }

    /// Bytes queued but not written yet.
    pub fn pending(&self) -> usize {
        self.conn.pending()
    }

    /// Queues a publish, giving QoS 1/2 a free packet id; returns the id (0 for QoS 0).
    pub fn publish(&mut self, mut publish: Publish) -> Result<u16, ClientError> {
        if publish.qos == QoS::AtMostOnce {
            self.send(&Packet::Publish(publish))?;
            return Ok(0);
        }
        let pkid = self.free_pkid()?;
        publish.pkid = pkid;
        if let (Some(alias), false) = (publish.properties.topic_alias, publish.topic.is_empty()) {
            self.our_aliases.insert(alias, publish.topic.clone());
        }
        self.send_tracked(publish, false)?;
        Ok(pkid)
    }

    /// Queues a QoS 1/2 publish under its id (PUBREL instead once `released`) and keeps it
    /// until it completes.
    fn send_tracked(&mut self, publish: Publish, released: bool) -> Result<(), io::Error> {
        let pkid = publish.pkid;
        // Encode, then keep the same value for a resend: no copy of topic and properties.
        let packet = Packet::Publish(publish);
        if released {
            self.send(&Packet::PubRel(Ack::new(pkid)))?;
        } else {
            self.send(&packet)?;
        }
        if let Packet::Publish(publish) = packet {
            let seq = self.sent;
            self.sent += 1;
            self.unacked_bytes += window::size(&publish);
            let outgoing = Outgoing {
                seq,
                publish,
                released,
            };
            self.inflight.insert(pkid, outgoing);
        }
        Ok(())
    }

    /// Queues SUBSCRIBE or UNSUBSCRIBE (`packet` without its id); returns the id used.
    pub fn request(&mut self, mut packet: Packet) -> Result<u16, ClientError> {
        let pkid = self.free_pkid()?;
        match &mut packet {
            Packet::Subscribe(s) => s.pkid = pkid,
            Packet::Unsubscribe(u) => u.pkid = pkid,
            _ => return Err(ClientError::Protocol("not a request".into())),
        }
        self.send(&packet)?;
        Ok(pkid)
    }

    /// Packet ids wrap past 65,535 and skip those still in flight, so long `-l` runs
    /// never reuse an id the broker has not released (mosquitto_pub loses lines here). With
    /// every id in flight there is none: an error, not a search that never ends.
    fn free_pkid(&mut self) -> Result<u16, ClientError> {
        let inflight = &self.inflight;
        let free = self
            .pkids
            .next_free(inflight.len(), |id| inflight.contains_key(&id));
        free.ok_or_else(|| ClientError::Protocol("all 65,535 packet ids are in flight".into()))
    }

    /// Writes what is queued.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        if self.conn.pending() > 0 {
            self.conn.flush().await?;
            self.last_write = Instant::now();
        }
        Ok(())
    }

    /// The next event for the tool. Flushes queued packets first, answers acks and pings
    /// itself, and fails on a lost connection or an unanswered keepalive. Cancel-safe.
    pub async fn next_event(&mut self) -> Result<Event, ClientError> {
        loop {
            // A buffered packet is handled without arming the keepalive timer (a timer per
            // packet was a tenth of sub's CPU in a retained backlog).
            let packet = match self.conn.try_packet()? {
                Some(packet) => packet,
                None => match self.read().await? {
                    Some(Some(packet)) => packet,
                    Some(None) => {
                        return Err(io::Error::from(io::ErrorKind::ConnectionReset).into())
                    }
                    None => continue,
                },
            };
            trace(&self.label, &packet, false);
            if let Some(event) = self.handle(packet)? {
                return Ok(event);
            }
        }
    }

    /// Writes what is queued (one write answers a whole burst of packets), then waits for the
    /// next packet (`None` inside when the broker closed); `None` when the keepalive timer
    /// fired first, after pinging if due.
    async fn read(&mut self) -> Result<Option<Option<Packet>>, ClientError> {
        self.flush().await?;
        let Some(interval) = self.keepalive else {
            return Ok(Some(self.conn.read_packet().await?));
        };
        let deadline = self.keepalive_deadline(interval);
        match tokio::time::timeout_at(deadline, self.conn.read_packet()).await {
            Ok(read) => Ok(Some(read?)),
            Err(_) => {
                self.on_keepalive(interval)?;
                Ok(None)
            }
        }
    }

    /// When to wake for keepalive: a ping is due after `interval` idle, and its answer
    /// within another `interval`.
    fn keepalive_deadline(&self, interval: Duration) -> Instant {
        match self.ping_sent {
            Some(sent) => sent + interval,
            None => self.last_write + interval,
        }
    }

    fn on_keepalive(&mut self, interval: Duration) -> Result<(), ClientError> {
        if let Some(sent) = self.ping_sent {
            if sent.elapsed() >= interval {
                return Err(ClientError::KeepaliveTimeout);
            }
            return Ok(());
        }
        if self.last_write.elapsed() >= interval {
            self.send(&Packet::PingReq)?;
            self.ping_sent = Some(Instant::now());
        }
        Ok(())
    }

    fn handle(&mut self, packet: Packet) -> Result<Option<Event>, ClientError> {
        Ok(match packet {
            Packet::Publish(p) => self.on_publish(p)?,
            Packet::PubAck(a) => self.complete(a.pkid, a.reason),
            Packet::PubRec(a) if a.reason >= 0x80 => self.complete(a.pkid, a.reason),
            Packet::PubRec(a) => {
                if let Some(o) = self.inflight.get_mut(&a.pkid) {
                    o.released = true;
                }
                self.send(&Packet::PubRel(Ack::new(a.pkid)))?;
                None
            }
            Packet::PubComp(a) => self.complete(a.pkid, a.reason),
            Packet::PubRel(a) => {
                self.incoming_qos2.remove(&a.pkid);
                self.send(&Packet::PubComp(Ack::new(a.pkid)))?;
                None
            }
            Packet::SubAck(s) => Some(Event::SubAck(s)),
            Packet::UnsubAck(s) => Some(Event::UnsubAck(s)),
            Packet::PingResp => {
                self.ping_sent = None;
                None
            }
            Packet::Disconnect(r) => return Err(ClientError::Disconnected(Box::new(r))),
            other => return Err(ClientError::Protocol(format!("unexpected {other:?}"))),
        })
    }

    fn complete(&mut self, pkid: u16, reason: u8) -> Option<Event> {
        let done = self.inflight.remove(&pkid)?;
        self.unacked_bytes -= window::size(&done.publish);
        Some(Event::Delivered { pkid, reason })
    }

    fn on_publish(&mut self, mut p: Publish) -> Result<Option<Event>, ClientError> {
        self.resolve_alias(&mut p)?;
        match p.qos {
            QoS::AtMostOnce => {}
            QoS::AtLeastOnce => self.send(&Packet::PubAck(Ack::new(p.pkid)))?,
            QoS::ExactlyOnce => {
                self.send(&Packet::PubRec(Ack::new(p.pkid)))?;
                if !self.incoming_qos2.insert(p.pkid) {
                    return Ok(None);
                }
            }
        }
        Ok(Some(Event::Message(p)))
    }

    /// MQTT 5 topic aliases from the broker: remember new ones, fill in empty topics.
    fn resolve_alias(&mut self, p: &mut Publish) -> Result<(), ClientError> {
        let alias = p.properties.topic_alias;
        let resolved = self.aliases.resolve(&mut p.topic, alias, self.alias_max);
        resolved.map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Sends DISCONNECT (MQTT 5: with `reason`) and closes the stream.
    pub async fn disconnect(mut self, reason: Reason) -> Result<(), ClientError> {
        self.send(&Packet::Disconnect(reason))?;
        self.conn.shutdown().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::resend::Unfinished;
    use super::*;
    use crate::codec::Version;
    use bytes::Bytes;
    use tokio::io::DuplexStream;

    /// A client over an in-memory pipe, and the broker's end, which answered CONNACK with
    /// `session_present`.
    async fn connected(session_present: bool) -> (Client<DuplexStream>, Connection<DuplexStream>) {
        let (ours, theirs) = tokio::io::duplex(1 << 16);
        let mut broker = Connection::new(theirs, Some(Version::V311));
        let connect = Connect {
            version: Version::V311,
            client_id: "c".into(),
            clean_start: !session_present,
            keep_alive: 0,
            username: None,
            password: None,
            will: None,
            properties: Default::default(),
        };
        let connack = Packet::ConnAck(ConnAck {
            session_present,
            ..ConnAck::default()
        });
        broker.queue(&connack).unwrap();
        broker.flush().await.unwrap();
        let client = Client::connect(ours, &connect, Window::count(10))
            .await
            .unwrap();
        assert!(matches!(
            broker.read_packet().await,
            Ok(Some(Packet::Connect(_)))
        ));
        (client, broker)
    }

    fn message(qos: QoS, payload: &'static str) -> Publish {
        Publish {
            qos,
            topic: "t".into(),
            payload: Bytes::from_static(payload.as_bytes()),
            ..Publish::default()
        }
    }

    async fn next(broker: &mut Connection<DuplexStream>) -> Packet {
        broker.read_packet().await.unwrap().unwrap()
    }

    /// Three publishes; the broker sends PUBREC for the first and PUBACK for the third, then
    /// the connection is lost: the first awaits PUBCOMP, the second any answer.
    async fn interrupted() -> Unfinished {
        let (mut client, mut broker) = connected(false).await;
        client.publish(message(QoS::ExactlyOnce, "one")).unwrap();
        client.publish(message(QoS::ExactlyOnce, "two")).unwrap();
        client.publish(message(QoS::AtLeastOnce, "three")).unwrap();
        client.flush().await.unwrap();
        for _ in 0..3 {
            next(&mut broker).await;
        }
        broker.queue(&Packet::PubRec(Ack::new(1))).unwrap();
        broker.queue(&Packet::PubAck(Ack::new(3))).unwrap();
        broker.flush().await.unwrap();
        assert!(matches!(
            client.next_event().await,
            Ok(Event::Delivered { pkid: 3, .. })
        ));
        client.into_unfinished()
    }

    #[tokio::test]
    async fn a_kept_session_gets_pubrel_and_dup_publish_under_the_same_ids() {
        let unfinished = interrupted().await;
        assert_eq!(unfinished.count(), 2);
        let (mut client, mut broker) = connected(true).await;
        assert!(client.resume(unfinished).unwrap().is_empty());
        client.flush().await.unwrap();
        assert_eq!(next(&mut broker).await, Packet::PubRel(Ack::new(1)));
        let Packet::Publish(again) = next(&mut broker).await else {
            panic!("expected PUBLISH");
        };
        assert_eq!(
            (again.pkid, again.dup, &again.payload[..]),
            (2, true, &b"two"[..])
        );
        // A new publish takes an id the resumed ones do not hold.
        assert_eq!(
            client.publish(message(QoS::AtLeastOnce, "four")).unwrap(),
            3
        );
    }

    #[tokio::test]
    async fn a_new_session_gets_the_messages_back_in_order_to_publish_afresh() {
        let unfinished = interrupted().await;
        let (mut client, _broker) = connected(false).await;
        let again = client.resume(unfinished).unwrap();
        let got: Vec<(&[u8], bool, u16)> = again
            .iter()
            .map(|p| (&p.payload[..], p.dup, p.pkid))
            .collect();
        assert_eq!(got, vec![(&b"one"[..], true, 0), (&b"two"[..], true, 0)]);
        assert_eq!(client.inflight(), 0);
    }

    #[tokio::test]
    async fn with_every_packet_id_in_flight_a_publish_fails_at_once() {
        let (mut client, _broker) = connected(false).await;
        client.window = Window::count(65535);
        for _ in 0..65535 {
            client.publish(message(QoS::AtLeastOnce, "x")).unwrap();
        }
        assert!(client.publish(message(QoS::AtLeastOnce, "x")).is_err());
        let subscribe = Packet::Subscribe(crate::codec::Subscribe::default());
        assert!(client.request(subscribe).is_err());
    }

    #[tokio::test]
    async fn a_resend_names_the_topic_an_alias_stood_for() {
        let (mut client, _broker) = connected(false).await;
        let mut aliased = message(QoS::AtLeastOnce, "a");
        aliased.properties.topic_alias = Some(1);
        client.publish(aliased.clone()).unwrap();
        aliased.topic.clear();
        client.publish(aliased).unwrap();
        let topics: Vec<String> = client
            .into_unfinished()
            .0
            .into_iter()
            .map(|o| o.publish.topic)
            .collect();
        assert_eq!(topics, ["t", "t"]);
    }
}
