//! QoS 1/2 messages in flight both ways: packet ids for outgoing ones, their acknowledgements
//! and resends, and the ids of inbound QoS 2 messages until PUBREL.

use super::{Delivery, Inflight, Outbound, SessionState};

impl SessionState {
    /// Everything in flight, to send again after a reconnect: PUBLISH with DUP, or PUBREL.
    pub fn resend(&mut self, out: &mut Vec<Outbound>) {
        for m in &self.inflight {
            out.push(match m.released {
                true => Outbound::PubRel(m.pkid),
                false => Outbound::Publish {
                    pkid: m.pkid,
                    dup: true,
                    delivery: m.delivery.clone(),
                },
            });
        }
    }
    pub(super) fn track(&mut self, delivery: Delivery) -> u16 {
        let pkid = self.free_pkid();
        self.inflight_bytes += delivery.msg.payload.len();
        self.inflight.push_back(Inflight {
            pkid,
            delivery,
            released: false,
        });
        pkid
    }
    /// The next packet id not in flight. The window keeps fewer than 65,535 in flight.
    fn free_pkid(&mut self) -> u16 {
        let inflight = &self.inflight;
        let free = self
            .pkids
            .next_free(inflight.len(), |id| inflight.iter().any(|m| m.pkid == id));
        free.expect("the in-flight window is at most 65,535")
    }
    fn position(&self, pkid: u16) -> Option<usize> {
        self.inflight.iter().position(|m| m.pkid == pkid)
    }
    /// PUBACK, PUBCOMP, a failed PUBREC or an undeliverable message: forget `pkid`.
    pub fn complete(&mut self, pkid: u16) -> bool {
        let Some(done) = self.position(pkid).and_then(|i| self.inflight.remove(i)) else {
            return false;
        };
        self.inflight_bytes -= done.delivery.msg.payload.len();
        true
    }
    /// PUBREC: the message arrived; true if `pkid` was waiting for it (send PUBREL).
    pub fn received(&mut self, pkid: u16) -> bool {
        match self.position(pkid) {
            Some(i) => {
                self.inflight[i].released = true;
                true
            }
            None => false,
        }
    }
    /// Inbound QoS 2 PUBLISH: records `pkid`; false if it is a duplicate already routed.
    pub fn incoming_new(&mut self, pkid: u16) -> bool {
        self.incoming.get_or_insert_with(Box::default).insert(pkid)
    }
    /// Inbound QoS 2 messages waiting for PUBREL, for the receive maximum.
    pub fn incoming_len(&self) -> usize {
        self.incoming.as_ref().map_or(0, |ids| ids.len())
    }
    /// PUBREL: forgets inbound `pkid`; false if it was unknown.
    pub fn release(&mut self, pkid: u16) -> bool {
        self.incoming.as_mut().is_some_and(|ids| ids.remove(&pkid))
    }
}
