//! The serialized snapshot, version by version (postcard via serde), and its conversion to
//! and from the broker's own types.

use super::clock::{millis, wall};
use super::{Clock, FormatError, Snapshot};
use crate::broker::message::{Message, Origin};
use crate::broker::session::{Delivery, Inflight, SessionImage, SubOptions};
use crate::codec::{Properties, QoS};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The snapshot; `O` is how a message records its publisher, which changed in versions 2
/// and 3.
#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
pub(super) struct Body<O = Option<StoredOrigin>> {
    /// Unix milliseconds; 0 when unknown.
    pub(super) saved_at: u64,
    pub(super) messages: Vec<StoredMessage<O>>,
    /// Indexes into `messages`.
    pub(super) retained: Vec<u32>,
    pub(super) sessions: Vec<StoredSession>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct StoredMessage<O = Option<StoredOrigin>> {
    pub(super) topic: String,
    pub(super) payload: Bytes,
    pub(super) qos: u8,
    pub(super) retain: bool,
    pub(super) payload_format_indicator: Option<u8>,
    pub(super) content_type: Option<String>,
    pub(super) response_topic: Option<String>,
    pub(super) correlation_data: Option<Bytes>,
    pub(super) user_properties: Vec<(String, String)>,
    /// Unix milliseconds when the message expires.
    pub(super) expires_at: Option<u64>,
    pub(super) origin: O,
}

/// The client that published a message; `None` in a message for the broker's own.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone)]
pub(super) struct StoredOrigin {
    pub(super) client_id: String,
    pub(super) username: Option<String>,
    /// The listener's port; 0 when unknown.
    pub(super) listener: u16,
}

/// Version 1's publisher: the client id alone.
pub(super) type V1Origin = Option<String>;

/// Version 2's publisher: no listener.
pub(super) type V2Origin = Option<V2StoredOrigin>;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct V2StoredOrigin {
    pub(super) client_id: String,
    pub(super) username: Option<String>,
}

impl V2StoredOrigin {
    pub(super) fn upgrade(self) -> StoredOrigin {
        StoredOrigin {
            client_id: self.client_id,
            username: self.username,
            listener: 0,
        }
    }
}

impl<O> Body<O> {
    /// An older version's body as this version's, its messages' publishers converted by
    /// `origin`.
    pub(super) fn map_origins(self, origin: impl Fn(O) -> Option<StoredOrigin>) -> Body {
        let messages = self.messages.into_iter().map(|m| m.map_origin(&origin));
        Body {
            saved_at: self.saved_at,
            messages: messages.collect(),
            retained: self.retained,
            sessions: self.sessions,
        }
    }
}

impl<O> StoredMessage<O> {
    /// The same message with its publisher converted by `origin`, as another version has it.
    pub(super) fn map_origin<P>(self, origin: impl FnOnce(O) -> P) -> StoredMessage<P> {
        StoredMessage {
            topic: self.topic,
            payload: self.payload,
            qos: self.qos,
            retain: self.retain,
            payload_format_indicator: self.payload_format_indicator,
            content_type: self.content_type,
            response_topic: self.response_topic,
            correlation_data: self.correlation_data,
            user_properties: self.user_properties,
            expires_at: self.expires_at,
            origin: origin(self.origin),
        }
    }
}

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
pub(super) struct StoredSession {
    pub(super) client_id: String,
    pub(super) expiry: u32,
    /// Unix milliseconds when the client left; `None` if it was connected.
    pub(super) left_at: Option<u64>,
    pub(super) subscriptions: Vec<StoredSubscription>,
    pub(super) queue: Vec<StoredDelivery>,
    pub(super) inflight: Vec<StoredInflight>,
    pub(super) incoming: Vec<u16>,
    pub(super) next_pkid: u16,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct StoredSubscription {
    pub(super) filter: String,
    pub(super) qos: u8,
    pub(super) no_local: bool,
    pub(super) retain_as_published: bool,
    pub(super) id: Option<u32>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct StoredDelivery {
    /// Index into `Body::messages`.
    pub(super) message: u32,
    pub(super) qos: u8,
    pub(super) retain: bool,
    pub(super) sub_ids: Vec<u32>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct StoredInflight {
    pub(super) pkid: u16,
    pub(super) delivery: StoredDelivery,
    pub(super) released: bool,
}

/// The index of `msg` in `messages`, adding it the first time it is seen.
pub(super) fn intern(
    messages: &mut Vec<StoredMessage>,
    seen: &mut HashMap<*const Message, u32>,
    msg: &Arc<Message>,
    now: Clock,
) -> u32 {
    *seen.entry(Arc::as_ptr(msg)).or_insert_with(|| {
        let p = &msg.properties;
        messages.push(StoredMessage {
            topic: msg.topic.clone(),
            payload: msg.payload.clone(),
            qos: msg.qos as u8,
            retain: msg.retain,
            payload_format_indicator: p.payload_format_indicator,
            content_type: p.content_type.clone(),
            response_topic: p.response_topic.clone(),
            correlation_data: p.correlation_data.clone(),
            user_properties: p.user_properties.clone(),
            expires_at: msg.expires.map(|at| now.to_wall(at)),
            origin: msg.origin.as_deref().map(|o| StoredOrigin {
                client_id: o.client_id.to_string(),
                username: o.username.as_deref().map(str::to_string),
                listener: o.listener,
            }),
        });
        (messages.len() - 1) as u32
    })
}

impl StoredSession {
    pub(super) fn fill(
        &mut self,
        image: &SessionImage,
        mut intern: impl FnMut(&Arc<Message>) -> u32,
    ) {
        let mut delivery = |d: &Delivery| StoredDelivery {
            message: intern(&d.msg),
            qos: d.qos as u8,
            retain: d.retain,
            sub_ids: d.sub_ids.clone(),
        };
        self.expiry = image.expiry;
        self.left_at = image.left.map(millis);
        self.subscriptions = image
            .subscriptions
            .iter()
            .map(|(filter, o)| StoredSubscription {
                filter: filter.clone(),
                qos: o.qos as u8,
                no_local: o.no_local,
                retain_as_published: o.retain_as_published,
                id: o.id,
            })
            .collect();
        self.queue = image.queue.iter().map(&mut delivery).collect();
        self.inflight = image
            .inflight
            .iter()
            .map(|m| StoredInflight {
                pkid: m.pkid,
                delivery: delivery(&m.delivery),
                released: m.released,
            })
            .collect();
        self.incoming = image.incoming.clone();
        self.next_pkid = image.next_pkid;
    }
}

pub(super) fn qos(v: u8) -> Result<QoS, FormatError> {
    QoS::from_u8(v).ok_or(FormatError::Invalid("QoS"))
}

impl Body {
    pub(super) fn into_state(self, now: Clock) -> Result<Snapshot, FormatError> {
        let mut origins = HashMap::new();
        let messages = self
            .messages
            .into_iter()
            .map(|m| m.into_message(now, &mut origins).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let message = |i: u32| {
            let found = messages.get(i as usize).cloned();
            found.ok_or(FormatError::Invalid("message index"))
        };
        let retained = self
            .retained
            .into_iter()
            .map(message)
            .collect::<Result<_, _>>()?;
        let mut ids = std::collections::HashSet::new();
        let sessions = self
            .sessions
            .into_iter()
            .map(|s| {
                if !ids.insert(s.client_id.clone()) {
                    return Err(FormatError::Invalid("duplicate client id"));
                }
                Ok((s.client_id.as_str().into(), s.into_image(&message)?))
            })
            .collect::<Result<_, FormatError>>()?;
        Ok(Snapshot {
            saved_at: (self.saved_at > 0).then(|| wall(self.saved_at)),
            retained,
            sessions,
        })
    }
}

impl StoredMessage {
    /// The message, its publisher shared with the other messages from the same one (through
    /// `origins`), as in the running broker.
    pub(super) fn into_message(
        self,
        now: Clock,
        origins: &mut HashMap<StoredOrigin, Arc<Origin>>,
    ) -> Result<Message, FormatError> {
        let properties = Properties {
            payload_format_indicator: self.payload_format_indicator,
            content_type: self.content_type,
            response_topic: self.response_topic,
            correlation_data: self.correlation_data,
            user_properties: self.user_properties,
            ..Properties::default()
        };
        Ok(Message {
            topic: self.topic,
            payload: self.payload,
            qos: qos(self.qos)?,
            retain: self.retain,
            properties: properties.into(),
            expires: self.expires_at.map(|ms| now.to_instant(ms)),
            origin: self.origin.map(|o| {
                let origin = |o: &StoredOrigin| {
                    Arc::new(Origin {
                        client_id: o.client_id.as_str().into(),
                        username: o.username.as_deref().map(Box::from),
                        listener: o.listener,
                    })
                };
                origins.entry(o).or_insert_with_key(origin).clone()
            }),
        })
    }
}

pub(super) type Lookup<'a> = dyn Fn(u32) -> Result<Arc<Message>, FormatError> + 'a;

impl StoredDelivery {
    pub(super) fn into_delivery(self, message: &Lookup<'_>) -> Result<Delivery, FormatError> {
        Ok(Delivery {
            msg: message(self.message)?,
            qos: qos(self.qos)?,
            retain: self.retain,
            sub_ids: self.sub_ids,
        })
    }
}

impl StoredSession {
    pub(super) fn into_image(self, message: &Lookup<'_>) -> Result<SessionImage, FormatError> {
        let subscriptions = self
            .subscriptions
            .into_iter()
            .map(|s| {
                let opts = SubOptions {
                    qos: qos(s.qos)?,
                    no_local: s.no_local,
                    retain_as_published: s.retain_as_published,
                    id: s.id,
                };
                Ok((s.filter, opts))
            })
            .collect::<Result<_, FormatError>>()?;
        let queue = self
            .queue
            .into_iter()
            .map(|d| d.into_delivery(message))
            .collect::<Result<_, _>>()?;
        let inflight = self
            .inflight
            .into_iter()
            .map(|m| {
                Ok(Inflight {
                    pkid: m.pkid,
                    delivery: m.delivery.into_delivery(message)?,
                    released: m.released,
                })
            })
            .collect::<Result<_, FormatError>>()?;
        Ok(SessionImage {
            subscriptions,
            queue,
            inflight,
            incoming: self.incoming,
            next_pkid: self.next_pkid,
            expiry: self.expiry,
            left: self.left_at.map(wall),
        })
    }
}
