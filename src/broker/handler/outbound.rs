//! Messages to the client: batches from its session's queue, written within its window and
//! maximum packet size, the QoS 2 handshake of our deliveries, flushing, and giving back
//! the room a burst left once the connection is idle.

use crate::broker::lifecycle::Close;
use crate::broker::mount;
use crate::broker::session::{Delivery, Outbound};
use crate::broker::stats::Stats;
use crate::codec::{Ack, Packet, PublishRef};
use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::{owned, Handler, BATCH, FIRST_WRITE, HIGH_WATER};

/// A client that does not take our writes for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

impl Handler {
    pub(super) fn on_pubrec(&mut self, ack: Ack) -> Result<(), Close> {
        let mut state = owned(&self.client.session, self.client.id)?;
        if ack.reason >= 0x80 {
            // The client refused the message: it is done, with no PUBREL.
            state.complete(ack.pkid);
            drop(state);
            self.changed();
            return Ok(());
        }
        let known = state.received(ack.pkid);
        drop(state);
        self.touch();
        self.queue(Packet::PubRel(self.ack(ack.pkid, known, 0x92)))
    }

    /// Writes what this client's own PUBLISH or SUBSCRIBE queued for it before the packets
    /// that follow (its acknowledgement, a PINGRESP), as mosquitto writes a message as it
    /// queues it: a client that subscribes to what it publishes sees the same byte order.
    /// A QoS 2 message goes out at PUBREL, before the PUBCOMP, where mosquitto routes it.
    pub(super) fn deliver_own(&mut self) -> Result<(), Close> {
        if std::mem::take(&mut self.client.own_queued) {
            self.pump()?;
        }
        Ok(())
    }

    /// Moves queued messages into the write buffer while flow control and the buffer allow;
    /// true when the buffer filled first, so more may be waiting.
    pub(super) fn pump(&mut self) -> Result<bool, Close> {
        let mut batch = Vec::new();
        let now = Instant::now();
        let mut more = true;
        while self.conn.pending() < self.client.high_water as usize {
            owned(&self.client.session, self.client.id)?.next_batch(
                self.client.window.into(),
                BATCH,
                now,
                &mut batch,
            );
            if batch.is_empty() {
                more = false;
                break;
            }
            // Messages that went in flight changed what a snapshot would save.
            if batch
                .iter()
                .any(|o| matches!(o, Outbound::Publish { pkid, .. } if *pkid != 0))
            {
                self.touch();
            }
            self.client.worked = true;
            self.send_all(&mut batch)?;
        }
        self.client.high_water = match more {
            true => (self.client.high_water * 2).min(HIGH_WATER),
            false => FIRST_WRITE,
        };
        Ok(more)
    }

    /// Writes a batch; `messages_sent` is counted once for it, not per message, to keep a
    /// shared atomic off the per-message path.
    pub(super) fn send_all(&mut self, batch: &mut Vec<Outbound>) -> Result<(), Close> {
        let mut sent = 0;
        let result = self.write_batch(batch, &mut sent);
        if sent > 0 {
            Stats::add(&self.client.shared.stats.messages_sent, sent);
        }
        result
    }

    /// Queues every packet of `batch`, adding the PUBLISHes written to `sent`.
    pub(super) fn write_batch(
        &mut self,
        batch: &mut Vec<Outbound>,
        sent: &mut u64,
    ) -> Result<(), Close> {
        let now = Instant::now();
        for out in batch.drain(..) {
            match out {
                Outbound::PubRel(pkid) => self.queue(Packet::PubRel(Ack::new(pkid)))?,
                Outbound::Publish {
                    pkid,
                    dup,
                    delivery,
                } => *sent += self.send_publish(pkid, dup, &delivery, now)? as u64,
            }
        }
        Ok(())
    }

    /// Writes one PUBLISH, or drops it when it exceeds the client's maximum packet size or
    /// the ACL does not let the client read its topic; true when it was written.
    pub(super) fn send_publish(
        &mut self,
        pkid: u16,
        dup: bool,
        d: &Delivery,
        now: Instant,
    ) -> Result<bool, Close> {
        let topic = mount::unmount(
            self.client.access.clients.mount_point.as_deref(),
            &d.msg.topic,
        );
        let Some(topic) = topic.filter(|_| self.may_receive(&d.msg.topic)) else {
            if pkid != 0 {
                owned(&self.client.session, self.client.id)?.complete(pkid);
            }
            return Ok(false);
        };
        let publish = PublishRef {
            dup,
            qos: d.qos,
            retain: d.retain,
            topic,
            pkid,
            payload: &d.msg.payload,
            properties: &d.msg.properties,
            subscription_identifiers: &d.sub_ids,
            message_expiry_interval: d.msg.remaining_expiry(now),
            expiry_last: true,
        };
        let written = self
            .conn
            .queue_publish_within(&publish, self.client.max_packet as usize)
            .map_err(Close::from)?;
        if !written && pkid != 0 {
            owned(&self.client.session, self.client.id)?.complete(pkid);
        }
        Ok(written)
    }

    /// Writes what the socket takes of what is queued for the client, without waiting: true
    /// when nothing is left. Most writes finish at once: only a client that does not keep up
    /// needs [`Handler::flush_slowly`], boxed at its call, so no task keeps room for its timer.
    pub(super) fn write_now(&mut self) -> impl Future<Output = Result<bool, Close>> + '_ {
        std::future::poll_fn(|cx| {
            if self.conn.pending() == 0 {
                return Poll::Ready(Ok(true));
            }
            Poll::Ready(match self.conn.poll_flush(cx) {
                Poll::Ready(written) => written.map(|()| true).map_err(Close::from),
                Poll::Pending => Ok(false),
            })
        })
    }

    /// Waits for the socket to take the rest, for at most [`WRITE_TIMEOUT`]; `true` when a
    /// message was queued meanwhile and wants a pump. A signal meanwhile ends it only when
    /// it says stop.
    pub(super) async fn flush_slowly(&mut self) -> Result<bool, Close> {
        let mut woken = false;
        let write = tokio::time::timeout(WRITE_TIMEOUT, self.conn.flush());
        tokio::pin!(write);
        loop {
            tokio::select! {
                written = &mut write => return match written {
                    Ok(result) => result.map(|()| woken).map_err(Close::from),
                    Err(_) => Err(Close::Lost("client does not read".into())),
                },
                () = self.client.waker.notified() => match self.client.waker.stopped() {
                    Some(stop) => return Err(Close::from(stop)),
                    None => woken = true,
                },
            }
        }
    }

    /// Gives back what the last burst left allocated once the connection has stayed idle
    /// (see [`Signal::went_idle`]): the write buffer grown for a backlog, the read buffer of a
    /// large packet, the queue's room. An idle connection then keeps its task, socket
    /// and session, not buffers sized for the most it ever received.
    pub(super) fn release_spare(&mut self) -> Result<(), Close> {
        self.conn.release_spare();
        owned(&self.client.session, self.client.id)?.release_spare();
        Ok(())
    }
}
