//! The broker's version-neutral application message, shared by every subscriber it goes to.

use super::acl::AclClient;
use super::tree::ClientId;
use crate::codec::{Props, Publish, QoS, Will};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who published a message: the client id for no-local, and with the username and listener
/// what `check_retain_source` asks the ACL about. One per connection, shared by every message
/// it publishes (an `Arc` clone per message, no string copies).
#[derive(Debug, PartialEq, Eq)]
pub struct Origin {
    pub client_id: ClientId,
    pub username: Option<Box<str>>,
    /// The port of the listener the client came through (0: unknown): with
    /// `per_listener_settings true`, its ACL is the one that judges the client.
    pub listener: u16,
}

impl Origin {
    /// The publisher as the ACL sees it.
    pub fn acl_client(&self) -> AclClient<'_> {
        AclClient {
            client_id: &self.client_id,
            username: self.username.as_deref(),
        }
    }
}

/// A PUBLISH as received, kept once behind an `Arc` however many sessions it is queued for.
#[derive(Debug)]
pub struct Message {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 properties forwarded to subscribers (user properties, content type, response
    /// topic, correlation data, payload format); never a topic alias or subscription id.
    pub properties: Props,
    /// When the message expiry interval runs out.
    pub expires: Option<Instant>,
    /// The publishing client; `None` for the broker's own messages and for those restored
    /// from a file that did not record it.
    pub origin: Option<Arc<Origin>>,
}

impl Message {
    /// Turns a received PUBLISH (topic alias already resolved) into a message.
    pub fn from_publish(publish: Publish, origin: Arc<Origin>, now: Instant) -> Message {
        let mut properties = publish.properties;
        let mut expires = None;
        if let Some(p) = properties.present_mut() {
            expires = p.message_expiry_interval.take();
            p.topic_alias = None;
            p.subscription_identifiers.clear();
        }
        let expires = expires.map(|secs| now + Duration::from_secs(secs.into()));
        Message {
            topic: publish.topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            properties,
            expires,
            origin: Some(origin),
        }
    }

    /// The message a client's will becomes when it is published.
    pub fn from_will(will: Will, origin: Arc<Origin>, now: Instant) -> Message {
        let mut properties = will.properties;
        properties.will_delay_interval = None;
        let publish = Publish {
            qos: will.qos,
            retain: will.retain,
            topic: will.topic,
            payload: will.payload,
            properties: properties.into(),
            ..Publish::default()
        };
        Message::from_publish(publish, origin, now)
    }

    /// True if `client_id` published the message (for no-local).
    pub fn published_by(&self, client_id: &ClientId) -> bool {
        self.origin
            .as_ref()
            .is_some_and(|o| o.client_id == *client_id)
    }

    /// True once the message expiry interval has passed.
    pub fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }

    /// The expiry interval left, to forward in place of the original (MQTT-3.3.2-6).
    pub fn remaining_expiry(&self, now: Instant) -> Option<u32> {
        self.expires.map(|at| {
            let left = at.saturating_duration_since(now);
            u32::try_from(left.as_secs() + u64::from(left.subsec_nanos() > 0)).unwrap_or(u32::MAX)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_counts_down_and_strips_per_hop_properties() {
        let now = Instant::now();
        let mut publish = Publish {
            topic: "t".into(),
            ..Publish::default()
        };
        publish.properties.message_expiry_interval = Some(10);
        publish.properties.topic_alias = Some(3);
        publish.properties.subscription_identifiers = vec![7];
        let origin = Arc::new(Origin {
            client_id: "c".into(),
            username: None,
            listener: 0,
        });
        let msg = Message::from_publish(publish, origin, now);
        assert!(msg.properties.is_empty());
        assert_eq!(msg.remaining_expiry(now), Some(10));
        assert_eq!(
            msg.remaining_expiry(now + Duration::from_millis(3500)),
            Some(7)
        );
        assert!(!msg.expired(now + Duration::from_secs(9)));
        assert!(msg.expired(now + Duration::from_secs(10)));
    }

    /// Every PUBLISH the broker receives passes here: one without properties (all of 3.1.1)
    /// must not get a properties box on the way, as a write through `Props` would give it.
    #[test]
    fn a_publish_without_properties_allocates_none() {
        let publish = Publish {
            topic: "t".into(),
            ..Publish::default()
        };
        let origin = Arc::new(Origin {
            client_id: "c".into(),
            username: None,
            listener: 0,
        });
        let mut msg = Message::from_publish(publish, origin, Instant::now());
        assert!(msg.properties.present_mut().is_none());
        assert_eq!(msg.expires, None);
    }
}
