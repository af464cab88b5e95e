//! What every client task of a run shares: where to connect, how clients are named, the
//! clock, and where figures go.

use std::time::Duration;

use super::clock::Clock;
use super::counters::Counters;
use super::stats::SharedHistogram;
use crate::codec::Connect;
use crate::connect::Target;

/// A client's role, which also names it: `PREFIX-p3`, `PREFIX-s0`, `PREFIX-c12`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Publisher,
    Subscriber,
    Conn,
}

/// Shared by all client tasks of a run.
pub struct Context {
    /// The broker and the CONNECT template.
    pub target: Target,
    /// Client ids are this prefix, the role letter and the index.
    pub id_prefix: String,
    /// Limit of one connection attempt (stream, handshakes and CONNACK).
    pub connect_timeout: Duration,
    /// The time base of every payload timestamp.
    pub clock: Clock,
    /// Random per process; written into every payload.
    pub run_id: u32,
    /// Live totals.
    pub counters: Counters,
    /// Connect times, from the first byte to CONNACK.
    pub connect_time: SharedHistogram,
    /// End-to-end latency, publish to delivery.
    pub latency: SharedHistogram,
    /// QoS 1/2 publish to PUBACK/PUBCOMP.
    pub ack_latency: SharedHistogram,
}

impl Context {
    /// A context with empty figures.
    pub fn new(target: Target, id_prefix: String, connect_timeout: Duration) -> Context {
        Context {
            target,
            id_prefix,
            connect_timeout,
            clock: Clock::new(),
            run_id: fastrand::u32(..),
            counters: Counters::default(),
            connect_time: SharedHistogram::new(),
            latency: SharedHistogram::new(),
            ack_latency: SharedHistogram::new(),
        }
    }

    /// The id of client `index` of `role`.
    pub fn client_id(&self, role: Role, index: u32) -> String {
        let letter = match role {
            Role::Publisher => 'p',
            Role::Subscriber => 's',
            Role::Conn => 'c',
        };
        format!("{}-{letter}{index}", self.id_prefix)
    }

    /// The CONNECT of client `index` of `role`: its own id, `%i` in the username filled in.
    pub fn connect_packet(&self, role: Role, index: u32) -> Connect {
        let mut connect = self.target.connect.clone();
        connect.client_id = self.client_id(role, index);
        connect.clean_start = true;
        if let Some(user) = &mut connect.username {
            *user = user.replace("%i", &index.to_string());
        }
        connect
    }
}
