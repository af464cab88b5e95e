//! What of a session persistence saves and restores.

use super::SessionLimits;
use super::{Delivery, Inflight, Session, SubOptions};
use crate::broker::tree::ClientId;
use crate::codec::PacketIds;
use std::sync::Arc;
use std::time::SystemTime;

/// What of a session outlives the broker process (see `persist`): everything but its
/// connection and a will waiting for its delay.
#[derive(Clone, Debug, Default)]
pub struct SessionImage {
    /// Filters as the client sent them, with their options.
    pub subscriptions: Vec<(String, SubOptions)>,
    /// Messages waiting to be sent, oldest first.
    pub queue: Vec<Delivery>,
    /// Messages sent and not yet acknowledged, oldest first.
    pub inflight: Vec<Inflight>,
    /// Inbound QoS 2 packet ids waiting for PUBREL.
    pub incoming: Vec<u16>,
    /// The last packet id given out, so ids keep rotating.
    pub next_pkid: u16,
    /// Seconds the session outlives its connection; `u32::MAX` is forever.
    pub expiry: u32,
    /// When the client left, so its expiry keeps counting; `None` while it was connected.
    pub left: Option<SystemTime>,
}

impl Session {
    /// A session restored from `image`, offline, as if its client had not come back since
    /// the broker stopped (its last owner is connection 0, which no connection is).
    pub fn restored(
        client_id: ClientId,
        limits: impl Into<Arc<SessionLimits>>,
        image: SessionImage,
    ) -> Session {
        let session = Session::new(client_id, limits, image.expiry);
        {
            let mut st = session.lock();
            st.subscriptions = image.subscriptions.into_iter().collect();
            st.queue = image.queue.into();
            st.inflight = image.inflight.into();
            // The byte counts the limits check, as if each message had been queued again.
            st.queued_bytes = st.queue.iter().map(|d| d.msg.payload.len()).sum();
            st.inflight_bytes = st
                .inflight
                .iter()
                .map(|i| i.delivery.msg.payload.len())
                .sum();
            st.incoming = (!image.incoming.is_empty())
                .then(|| Box::new(image.incoming.into_iter().collect()));
            st.pkids = PacketIds::after(image.next_pkid);
            st.away_mut().left = image.left;
        }
        session
    }
    /// A copy of what persistence saves; `None` for a session that ends with its
    /// connection (expiry 0) or has ended. Payloads are shared, not copied.
    pub fn image(&self) -> Option<SessionImage> {
        let st = self.lock();
        if st.ended || st.expiry == 0 {
            return None;
        }
        Some(SessionImage {
            subscriptions: st
                .subscriptions
                .iter()
                .map(|(f, o)| (f.clone(), *o))
                .collect(),
            queue: st.queue.iter().cloned().collect(),
            inflight: st.inflight.iter().cloned().collect(),
            incoming: st
                .incoming
                .iter()
                .flat_map(|ids| ids.iter().copied())
                .collect(),
            next_pkid: st.pkids.last(),
            expiry: st.expiry,
            left: st.left().filter(|_| st.owner.is_none()),
        })
    }
}
