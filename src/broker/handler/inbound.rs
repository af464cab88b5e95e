//! A client's PUBLISHes: limits, aliases, ACL, then routing, and the acknowledgement each QoS
//! asks for.

use crate::broker::lifecycle::Close;
use crate::broker::limits::Limits;
use crate::broker::message::Message;
use crate::broker::mount;
use crate::codec::{Packet, Publish, QoS};
use crate::topic;
use crate::topic::alias::AliasError;
use std::sync::Arc;
use std::time::Instant;

use super::{owned, Handler};

impl Handler {
    pub(super) fn on_publish(&mut self, mut publish: Publish) -> Result<(), Close> {
        self.check_memory()?;
        check_limits(
            &publish,
            &self.client.shared.config.limits,
            self.client.access.limits.max_qos,
        )?;
        self.resolve_alias(&mut publish)?;
        if topic::too_deep(&publish.topic) {
            return Err(Close::Protocol(0x82, "PUBLISH topic too deep".into()));
        }
        mount::prefix(
            self.client.access.clients.mount_point.as_deref(),
            &mut publish.topic,
        );
        self.client.received += 1;
        let pkid = publish.pkid;
        let max_size = self.client.shared.config.limits.message_size_limit;
        if max_size > 0 && publish.payload.len() > max_size {
            return self.drop_too_large(&publish);
        }
        if !self.may_publish(&publish.topic) {
            return self.refuse_publish(publish.qos, pkid);
        }
        match publish.qos {
            QoS::AtMostOnce => {
                self.route(publish);
                self.deliver_own()
            }
            QoS::AtLeastOnce => {
                let routed = self.route(publish) > 0;
                self.deliver_own()?;
                self.queue(Packet::PubAck(self.ack(pkid, routed, 0x10)))
            }
            QoS::ExactlyOnce => {
                // Exactly once: route at the first PUBLISH, remember the id until PUBREL.
                // PUBREC is success even with nobody subscribed, as mosquitto's (which
                // routes at PUBREL and so cannot know yet).
                if self.incoming(pkid)? {
                    self.route(publish);
                }
                self.queue(Packet::PubRec(self.ack(pkid, true, 0)))
            }
        }
    }

    /// Like mosquitto, a PUBLISH over `message_size_limit` is dropped, its QoS flow completed:
    /// acknowledged as usual in 3.1.1, with reason 0x83 (implementation specific error) in
    /// MQTT 5, as mosquitto's manual says. mosquitto 2.0.11 sends 0x95 instead, which is not
    /// a PUBACK/PUBREC reason code, and strict clients take for a malformed packet.
    pub(super) fn drop_too_large(&mut self, publish: &Publish) -> Result<(), Close> {
        self.client.shared.log(format_args!(
            "Dropped too large PUBLISH from {} (q{}, '{}', ... ({} bytes))",
            self.client.session.client_id,
            publish.qos as u8,
            publish.topic,
            publish.payload.len()
        ));
        self.fail_publish(publish.qos, publish.pkid, 0x83)
    }

    /// Like mosquitto, a publish the ACL denies is dropped: acknowledged as usual in 3.1.1,
    /// with reason 0x87 (not authorized) in MQTT 5.
    pub(super) fn refuse_publish(&mut self, qos: QoS, pkid: u16) -> Result<(), Close> {
        self.client.shared.log(format_args!(
            "Denied PUBLISH from {} (not authorized)",
            self.client.session.client_id
        ));
        self.fail_publish(qos, pkid, 0x87)
    }

    /// Completes the QoS flow of a dropped PUBLISH, with `reason` in MQTT 5.
    pub(super) fn fail_publish(&mut self, qos: QoS, pkid: u16, reason: u8) -> Result<(), Close> {
        match qos {
            QoS::AtMostOnce => Ok(()),
            QoS::AtLeastOnce => self.queue(Packet::PubAck(self.ack(pkid, false, reason))),
            QoS::ExactlyOnce => self.queue(Packet::PubRec(self.ack(pkid, false, reason))),
        }
    }

    /// Records an inbound QoS 2 packet id; true if new. Past our receive maximum: 0x93.
    pub(super) fn incoming(&self, pkid: u16) -> Result<bool, Close> {
        let mut state = owned(&self.client.session, self.client.id)?;
        let new = state.incoming_new(pkid);
        let limit = usize::from(self.client.shared.config.receive_maximum);
        if new && self.client.version.is_v5() && state.incoming_len() > limit {
            state.release(pkid);
            return Err(Close::Protocol(0x93, "receive maximum exceeded".into()));
        }
        drop(state);
        self.touch();
        Ok(new)
    }

    /// Replaces an MQTT 5 topic alias by its topic, or learns a new alias.
    pub(super) fn resolve_alias(&mut self, publish: &mut Publish) -> Result<(), Close> {
        let alias = publish
            .properties
            .present_mut()
            .and_then(|p| p.topic_alias.take());
        let max = self.client.access.limits.max_topic_alias;
        let resolved = self.client.aliases.resolve(&mut publish.topic, alias, max);
        resolved.map_err(|e| match e {
            AliasError::OutOfRange(_) => Close::Protocol(0x94, e.to_string()),
            AliasError::Unknown(_) => Close::Protocol(0x82, e.to_string()),
        })
    }

    /// Publishes to every matching session; returns how many it reached. Clients may not
    /// write into the broker's own `$SYS` tree.
    pub(super) fn route(&mut self, publish: Publish) -> usize {
        if publish.topic.starts_with("$SYS") {
            return 0;
        }
        let msg = Message::from_publish(publish, self.client.origin.clone(), Instant::now());
        let routed = self
            .client
            .shared
            .router
            .publish(&Arc::new(msg), Some(&self.client.session));
        for client in &routed.dropping {
            self.client.shared.log(format_args!(
                "Outgoing messages are being dropped for client {client}."
            ));
        }
        if !routed.congested.is_empty() {
            let congested = self.client.congested.get_or_insert_with(Box::default);
            congested.extend(routed.congested);
        }
        self.client.routed |= routed.sessions > 0;
        self.client.own_queued |= routed.to_publisher;
        routed.sessions
    }
}

/// mosquitto closes the connection of a client that publishes above its listener's
/// `maximum_qos` or retained without `retain_available` (MQTT 5: DISCONNECT 0x9B or 0x9A
/// first).
pub(super) fn check_limits(
    publish: &Publish,
    limits: &Limits,
    maximum_qos: QoS,
) -> Result<(), Close> {
    if publish.qos > maximum_qos {
        return Err(Close::Protocol(0x9B, "QoS not supported".into()));
    }
    if publish.retain && !limits.retain_available {
        return Err(Close::Protocol(0x9A, "retain not supported".into()));
    }
    Ok(())
}
