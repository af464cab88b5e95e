//! SUBSCRIBE (with the retained messages it asks for) and UNSUBSCRIBE.

use crate::broker::authorize::source_may_publish;
use crate::broker::lifecycle::Close;
use crate::broker::message::Message;
use crate::broker::mount;
use crate::broker::router::split_shared;
use crate::broker::session::{Delivery, SubOptions};
use crate::codec::{Packet, SubAck, Subscribe, Unsubscribe};
use crate::topic;
use std::time::Instant;

use super::{owned, Handler};

impl Handler {
    pub(super) fn on_subscribe(&mut self, subscribe: Subscribe) -> Result<(), Close> {
        owned(&self.client.session, self.client.id).map(drop)?;
        self.check_memory()?;
        check_depth(subscribe.filters.iter().map(|f| f.filter.as_str()))?;
        let id = subscribe
            .properties
            .subscription_identifiers
            .first()
            .copied();
        let mut codes = Vec::with_capacity(subscribe.filters.len());
        let mut retained = Vec::new();
        for sub in &subscribe.filters {
            let mounted = mount::filter(
                self.client.access.clients.mount_point.as_deref(),
                &sub.filter,
            );
            let Some((group, filter)) = split_shared(&mounted) else {
                codes.push(if self.client.version.is_v5() {
                    0x8F
                } else {
                    0x80
                });
                continue;
            };
            if self.at_subscription_limit(&mounted) {
                codes.push(if self.client.version.is_v5() {
                    0x97
                } else {
                    0x80
                });
                continue;
            }
            if group.is_some() && sub.no_local {
                return Err(Close::Protocol(
                    0x82,
                    "no local on a shared subscription".into(),
                ));
            }
            let qos = sub.qos.min(self.client.access.limits.max_qos);
            let opts = SubOptions {
                qos,
                no_local: sub.no_local,
                retain_as_published: sub.retain_as_published,
                id,
            };
            let existed = self
                .client
                .shared
                .router
                .subscribe(&self.client.session, &mounted, opts);
            codes.push(qos as u8);
            self.client.shared.log(format_args!(
                "{} {} {}",
                self.client.session.client_id, qos as u8, sub.filter
            ));
            // Retained messages go to new subscribers, never to shared subscriptions.
            let wanted = match sub.retain_handling {
                0 => true,
                1 => !existed,
                _ => false,
            };
            if group.is_none() && wanted {
                self.retained_for(filter, &opts, &mut retained);
            }
        }
        let suback = SubAck {
            pkid: subscribe.pkid,
            codes,
            ..SubAck::default()
        };
        self.queue(Packet::SubAck(suback))?;
        // mosquitto's words, so scripts (and our tests) can wait for a subscription.
        self.client.shared.log(format_args!(
            "Sending SUBACK to {}",
            self.client.session.client_id
        ));
        self.client.own_queued |= !retained.is_empty();
        let dropped = self.client.session.enqueue_retained(retained);
        if dropped > 0 {
            self.client.shared.log(format_args!(
                "Outgoing messages are being dropped for client {}: {dropped} retained messages, its queue is full",
                self.client.session.client_id
            ));
        }
        self.deliver_own()
    }

    /// Over `memory_limit`, mosquitto cannot allocate the packet and disconnects its client;
    /// so does this (MQTT 5: DISCONNECT 0x97 quota exceeded), before storing anything.
    pub(super) fn check_memory(&self) -> Result<(), Close> {
        if !self.client.shared.over_memory_limit() {
            return Ok(());
        }
        self.client.shared.log(format_args!(
            "Out of memory (memory_limit {} bytes): disconnecting {}.",
            self.client.shared.config.limits.memory_limit, self.client.session.client_id
        ));
        Err(Close::OutOfMemory)
    }

    /// True when `filter` would be a new subscription beyond `max_subscriptions` (replacing
    /// one the session holds is always allowed); logs the refusal.
    pub(super) fn at_subscription_limit(&self, filter: &str) -> bool {
        let max = self.client.shared.config.limits.max_subscriptions;
        let full = max > 0 && {
            let state = self.client.session.lock();
            state.subscriptions.len() >= max && !state.subscriptions.contains_key(filter)
        };
        if full {
            self.client.shared.log(format_args!(
                "Denied SUBSCRIBE from {} to {filter}: max_subscriptions ({max}) reached",
                self.client.session.client_id
            ));
        }
        full
    }

    /// The retained messages `filter` matches, as deliveries; with `check_retain_source`,
    /// not those whose publisher may no longer publish them (see `authorize`).
    pub(super) fn retained_for(&self, filter: &str, opts: &SubOptions, out: &mut Vec<Delivery>) {
        let mut messages = Vec::new();
        self.client.shared.router.retained(filter, &mut messages);
        let now = Instant::now();
        let check_source = self.client.shared.config.limits.check_retain_source;
        let source_may_publish = |m: &Message| {
            !check_source || source_may_publish(|port| self.client.shared.security_of(port), m)
        };
        out.extend(
            messages
                .into_iter()
                .filter(|m| !m.expired(now) && source_may_publish(m))
                .map(|msg| Delivery {
                    qos: self.client.shared.router.outgoing_qos(msg.qos, opts.qos),
                    retain: true,
                    sub_ids: opts.id.into_iter().collect(),
                    msg,
                }),
        );
    }

    pub(super) fn on_unsubscribe(&mut self, unsubscribe: Unsubscribe) -> Result<(), Close> {
        owned(&self.client.session, self.client.id).map(drop)?;
        check_depth(unsubscribe.filters.iter().map(String::as_str))?;
        let codes = unsubscribe
            .filters
            .iter()
            .map(|f| {
                let mounted = mount::filter(self.client.access.clients.mount_point.as_deref(), f);
                self.client
                    .shared
                    .router
                    .unsubscribe(&self.client.session, &mounted)
            })
            .map(|removed| match removed {
                true => 0x00,
                false => 0x11,
            })
            .collect();
        let unsuback = SubAck {
            pkid: unsubscribe.pkid,
            codes,
            ..SubAck::default()
        };
        self.queue(Packet::UnsubAck(unsuback))
    }
}

/// mosquitto takes a filter deeper than its hierarchy limit for a malformed packet and
/// closes the connection (MQTT 5: DISCONNECT 0x81), as it does a too deep PUBLISH (0x82).
pub(super) fn check_depth<'a>(mut filters: impl Iterator<Item = &'a str>) -> Result<(), Close> {
    match filters.any(topic::too_deep) {
        true => Err(Close::Protocol(0x81, "topic filter too deep".into())),
        false => Ok(()),
    }
}
