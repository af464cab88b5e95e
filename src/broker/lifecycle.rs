//! How a connection ends: the MQTT 5 DISCONNECT that says why, the last will (now or after
//! its delay) and the session (ended now, kept until its expiry, or kept for good).

use super::handler::Handler;
use super::server::Shared;
use super::session::Session;
use super::shutdown::Shutdown;
use super::signal::Stop;
use crate::codec::{self, Packet, Reason, Will};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::AbortHandle;

/// Why a connection ended.
#[derive(Debug)]
pub enum Close {
    /// The client sent DISCONNECT; `will` for MQTT 5 reason 0x04.
    Disconnect { will: bool },
    /// Socket closed or failed.
    Lost(String),
    /// Nothing received for 1.5 times the keepalive.
    KeepAlive,
    /// The client broke the protocol; the MQTT 5 reason code and what it did.
    Protocol(u8, String),
    /// The client broke the protocol where mosquitto closes without a DISCONNECT (a second
    /// CONNECT, an AUTH); what it did.
    Unanswered(&'static str),
    /// Another connection took the client id.
    TakenOver,
    /// The broker is stopping.
    Shutdown,
    /// The broker's heap is over `memory_limit`: the packet being handled is dropped.
    OutOfMemory,
}

impl From<Stop> for Close {
    fn from(stop: Stop) -> Close {
        match stop {
            Stop::KeepAlive => Close::KeepAlive,
            Stop::Shutdown => Close::Shutdown,
        }
    }
}

impl From<io::Error> for Close {
    /// Decoding errors carry their MQTT 5 reason (malformed, too large); the rest are I/O.
    fn from(e: io::Error) -> Close {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<codec::Error>())
        {
            Some(error) => Close::Protocol(error.reason_code(), error.to_string()),
            None => Close::Lost(e.to_string()),
        }
    }
}

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Close::Disconnect { .. } => write!(f, "disconnected"),
            Close::Lost(why) => write!(f, "connection lost: {why}"),
            Close::KeepAlive => write!(f, "exceeded timeout"),
            Close::Protocol(code, why) => write!(f, "protocol error {code:#04x}: {why}"),
            Close::Unanswered(why) => write!(f, "protocol error: {why}"),
            Close::TakenOver => write!(f, "session taken over"),
            Close::Shutdown => write!(f, "broker shutting down"),
            Close::OutOfMemory => write!(f, "memory_limit reached"),
        }
    }
}

impl Close {
    /// The DISCONNECT reason an MQTT 5 client is sent, if any.
    fn reason_code(&self) -> Option<u8> {
        match self {
            Close::Disconnect { .. } | Close::Lost(_) | Close::Unanswered(_) => None,
            Close::KeepAlive => Some(0x8D),
            Close::Protocol(code, _) => Some(*code),
            Close::TakenOver => Some(0x8E),
            Close::Shutdown => Some(0x8B),
            Close::OutOfMemory => Some(0x97),
        }
    }
}

impl Handler {
    /// Closes the connection, then publishes or schedules the will and ends or keeps the session.
    pub async fn finish(mut self, close: Close, shutdown: Shutdown) {
        self.client.shared.log(format_args!(
            "Client {} closed: {close}.",
            self.client.session.client_id
        ));
        if let Some(code) = self
            .client
            .version
            .is_v5()
            .then(|| close.reason_code())
            .flatten()
        {
            let reason = Reason {
                code,
                ..Reason::default()
            };
            let _ = self.conn.queue(&Packet::Disconnect(reason));
        }
        // Offline before the socket closes: what is published from now on is queued, as the
        // client may see the close and expect that (mosquitto is offline at once too).
        let owned = self.client.session.detach(self.client.id);
        let _ = tokio::time::timeout(Duration::from_secs(1), self.conn.shutdown()).await;
        let will = match close {
            Close::Disconnect { will: false } => None,
            _ => self.client.will.take(),
        };
        // The time it left is saved, or it ends (maybe set to end at DISCONNECT).
        self.touch();
        let expiry = self.client.session.lock().expiry;
        if let Some(will) = will {
            self.schedule_will(*will, owned, expiry, &shutdown);
        }
        if !owned || expiry == u32::MAX {
            return;
        }
        if expiry == 0 {
            self.client.shared.router.end(&self.client.session);
            return;
        }
        let wait = Duration::from_secs(expiry.into());
        expire(
            self.client.shared.clone(),
            self.client.session.clone(),
            self.client.id,
            wait,
            shutdown,
        );
    }

    /// Publishes the will now, or after its MQTT 5 delay unless the client is back by then;
    /// the session keeps it meanwhile, so ending the session releases it early.
    fn schedule_will(&self, will: Will, owned: bool, expiry: u32, shutdown: &Shutdown) {
        let delay = will.properties.will_delay_interval.unwrap_or(0);
        let router = &self.client.shared.router;
        // Another connection resumed the session, before or since this one left: the delay
        // protects it (MQTT-3.1.3-9), whatever expiry that connection set meanwhile.
        let resumed = {
            let state = self.client.session.lock();
            !state.ended && state.owner_other_than(self.client.id)
        };
        if delay > 0 && resumed {
            return;
        }
        if delay == 0 || expiry == 0 || !owned {
            router.publish_will(&self.client.origin, will);
            return;
        }
        // The session may have ended since this connection left it (a clean start took its
        // client id): then nothing would release the will before its delay.
        if let Some((will, origin)) = self
            .client
            .session
            .hold_will((will, self.client.origin.clone()))
        {
            router.publish_will(&origin, will);
            return;
        }
        let (shared, session, id) = (
            self.client.shared.clone(),
            self.client.session.clone(),
            self.client.id,
        );
        let wait = Duration::from_secs(delay.min(expiry).into());
        let timer = after(wait, shutdown.child(), move || {
            let will = {
                let mut state = session.lock();
                match state.abandoned_by(id) {
                    true => state.take_will(),
                    false => None,
                }
            };
            if let Some((will, origin)) = will {
                shared.router.publish_will(&origin, will);
            }
        });
        self.client.session.keep_timer(timer);
    }
}

/// Ends `session` once `wait` (what remains of its expiry) has passed, unless a client came
/// back after connection `id` left it. A session restored from disk was left by connection
/// 0, the broker that saved it.
pub fn expire(
    shared: Arc<Shared>,
    session: Arc<Session>,
    id: u64,
    wait: Duration,
    shutdown: Shutdown,
) {
    let timer_session = session.clone();
    let timer = after(wait, shutdown, move || {
        if session.lock().abandoned_by(id) {
            shared.router.end(&session);
        }
    });
    timer_session.keep_timer(timer);
}

/// Runs `action` after `wait` unless the broker shuts down or the timer is aborted first.
fn after(
    wait: Duration,
    mut shutdown: Shutdown,
    action: impl FnOnce() + Send + 'static,
) -> AbortHandle {
    let task = tokio::spawn(async move {
        tokio::select! {
            () = tokio::time::sleep(wait) => action(),
            () = shutdown.recv() => {}
        }
    });
    task.abort_handle()
}
