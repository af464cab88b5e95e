//! What a lost connection leaves to publish again: the QoS 1/2 publishes not yet completed,
//! carried over to the next connection in their original order.

use super::{Client, ClientError};
use crate::codec::Publish;
use tokio::io::{AsyncRead, AsyncWrite};

/// One of our QoS 1/2 publishes, from PUBLISH until PUBACK or PUBCOMP.
pub(super) struct Outgoing {
    /// When it was sent, so a resend keeps the original order.
    pub(super) seq: u64,
    pub(super) publish: Publish,
    /// PUBREC came and PUBREL went: a resend is PUBREL, not the message.
    pub(super) released: bool,
}

/// Our QoS 1/2 publishes a lost connection had not completed, oldest first.
pub struct Unfinished(pub(super) Vec<Outgoing>);

impl Unfinished {
    /// How many messages are not known to be delivered.
    pub fn count(&self) -> usize {
        self.0.len()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Ends this (lost) connection, keeping the QoS 1/2 publishes it had not completed for
    /// [`Client::resume`] on the next one.
    pub fn into_unfinished(self) -> Unfinished {
        let mut outgoing: Vec<Outgoing> = self.inflight.into_values().collect();
        outgoing.sort_unstable_by_key(|o| o.seq);
        for o in &mut outgoing {
            // A new connection knows no alias: the resend names its topic.
            if let (true, Some(alias)) =
                (o.publish.topic.is_empty(), o.publish.properties.topic_alias)
            {
                if let Some(topic) = self.our_aliases.get(&alias) {
                    o.publish.topic = topic.clone();
                }
            }
        }
        Unfinished(outgoing)
    }

    /// Resumes `unfinished` on this new connection. When the broker kept the session (CONNACK
    /// session present, `-c`), each goes again under its own id, in the original order: the
    /// message with DUP set, or PUBREL once PUBREC had come (MQTT-4.4.0-1). A new session
    /// knows none of those ids, so the messages come back (DUP set) for the caller to publish
    /// afresh within the window; QoS 2 cannot promise exactly once across a lost session.
    pub fn resume(&mut self, unfinished: Unfinished) -> Result<Vec<Publish>, ClientError> {
        let outgoing = unfinished.0.into_iter();
        if !self.connack.session_present {
            return Ok(outgoing
                .map(|o| Publish {
                    dup: true,
                    pkid: 0,
                    ..o.publish
                })
                .collect());
        }
        for o in outgoing {
            let publish = Publish {
                dup: true,
                ..o.publish
            };
            self.send_tracked(publish, o.released)?;
        }
        Ok(Vec::new())
    }
}
