//! One task per connection: read packets, act on them, write what the session has queued.
//!
//! Each turn of the loop handles every packet already buffered, moves as many queued
//! messages as flow control allows into the write buffer, and flushes once, so a burst costs
//! one syscall each way. The task owns its `Connection`; other tasks reach it only through
//! its session's queue and waker. An idle plain-TCP connection gives its task up until its
//! client or its signal wakes it (see [`super::parking`]).
//!
//! The loop and the packet dispatch are here; a client's PUBLISHes in [`inbound`], SUBSCRIBE
//! and UNSUBSCRIBE in [`subscriptions`], what goes out to the client in [`outbound`].

mod inbound;
mod outbound;
mod subscriptions;
#[cfg(test)]
mod tests;

use super::handshake;
use super::lifecycle::Close;
use super::listener::Ready;
use super::message::Origin;
use super::security::{Access, ClientPatterns};
use super::server::{Accepted, Shared};
use super::session::{Session, SessionState};
use super::shutdown::{Done, Shutdown};
use super::signal::Signal;
use super::stats::{Counted, Stats};
use crate::codec::{Ack, Connect, Packet, Reason, Version, Will};
use crate::connection::Connection;
use crate::topic;
use crate::topic::alias::Aliases;
use crate::transport::BoxedStream;
use std::future::Future;
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

/// The framed stream of one client.
pub type Conn = Connection<Counted<BoxedStream>>;

/// Stop moving queued messages into the write buffer beyond this many bytes.
const HIGH_WATER: u32 = 256 * 1024;
/// The first write of a backlog stops at this many bytes; each next one doubles up to
/// `HIGH_WATER`. A new subscriber's retained messages then start arriving at once and it
/// decodes them while we encode the rest, instead of waiting for one large write.
const FIRST_WRITE: u32 = 16 * 1024;
/// Messages taken from the session per lock.
const BATCH: usize = 64;
/// Packets handled per turn of the loop: after that the task yields, so the subscribers a
/// fast publisher feeds get to drain their queues before it routes more.
const PER_TURN: usize = 256;
/// Longest a publisher is held for a congested subscriber before it goes on (the
/// subscriber's queue then grows past its limit rather than lose QoS 1/2 messages).
const MAX_HOLD: Duration = Duration::from_secs(1);

/// Runs one connection from CONNECT to close, under its listener's `access` rules.
///
/// The CONNECT phase runs boxed: its state (the CONNECT packet, timers) is freed once the
/// client is in. The connected client then gets a task of its own, sized for what an
/// established connection holds: the accepting task's future also has room for the TLS,
/// WebSocket and CONNECT phases, and idle connections would all keep that room.
pub async fn serve(
    opened: Ready,
    mut client: Accepted,
    shared: Arc<Shared>,
    mut shutdown: Shutdown,
) {
    let established = establish(opened, &mut client, &shared, &mut shutdown);
    if let Some(handler) = Box::pin(established).await {
        Stats::add(&shared.stats.clients_connected, 1);
        let place = client.ticket.into_permit();
        tokio::spawn(connected(handler, place, shutdown.into_done(), true));
    }
}

/// Serves an accepted client until its connection ends or is parked (see
/// [`super::parking`]); `place` holds its place under `max_connections` meanwhile. `fresh`
/// for a connection just accepted, false for one resumed from parking.
#[allow(clippy::manual_async_fn)] // on purpose: see the comment in the body
pub(super) fn connected(
    mut handler: Handler,
    place: Option<OwnedSemaphorePermit>,
    done: Done,
    fresh: bool,
) -> impl Future<Output = ()> {
    // An async block, not an async fn: its captures are used in place, where an async fn
    // would keep a second copy of its arguments (the `Handler`) in its state.
    async move {
        #[cfg(unix)]
        if !fresh {
            super::parking::reattach(&mut handler);
        }
        let close = match handler.run(fresh).await {
            Leave::Close(close) => close,
            #[cfg(unix)]
            Leave::Park(parking) => return parking.park(handler, place, done),
        };
        // Boxed, with all it keeps (even a clone of `shared`): only a closing connection
        // needs room for it.
        Box::pin(async move {
            let shared = handler.client.shared.clone();
            handler.finish(close, done.resume(&shared.shutdown)).await;
            drop(place);
            shared
                .stats
                .clients_connected
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        })
        .await;
    }
}

/// Reads and checks CONNECT; `None` when the client was refused or went away.
async fn establish(
    opened: Ready,
    client: &mut Accepted,
    shared: &Arc<Shared>,
    shutdown: &mut Shutdown,
) -> Option<Handler> {
    let (peer, access) = (client.peer, client.access.clone());
    let mut conn = Connection::new(Counted::new(opened.stream, shared.stats.clone()), None);
    // Until it is authenticated, a client may not make us buffer more than a small CONNECT.
    let config = &shared.config;
    conn.max_incoming = config.max_packet_size.min(config.max_connect_size);
    let first = tokio::select! {
        first = tokio::time::timeout(config.connect_timeout, conn.read_packet()) => first,
        () = client.ticket.evicted() => return None,
        () = shutdown.recv() => return None,
    };
    conn.max_incoming = config.max_packet_size;
    let mut connect = match first {
        Ok(Ok(Some(Packet::Connect(connect)))) if client.ticket.connected() => *connect,
        Ok(Err(e)) => {
            shared.log_refusal(format_args!("Client {peer} sent a bad CONNECT: {e}"));
            handshake::reject_connect(&mut conn, &e).await;
            return None;
        }
        Ok(_) => return None,
        Err(_) => {
            shared.log_refusal(format_args!("Client {peer} sent no CONNECT in time"));
            return None;
        }
    };
    // Like mosquitto, a will topic deeper than the hierarchy limit gets no CONNACK.
    if let Some(will) = connect.will.as_ref().filter(|w| topic::too_deep(&w.topic)) {
        let id = &connect.client_id;
        let levels = will.topic.split('/').count();
        shared.log(format_args!(
            "Client {id} ({peer}) refused: will topic of {levels} levels, deeper than {} allows",
            topic::HIERARCHY_LIMIT + 1
        ));
        return None;
    }
    let certified = opened.identity.is_some();
    if let Some(identity) = opened.identity {
        // use_identity_as_username: the certificate speaks for the client, not its password.
        connect.username = Some(identity);
        connect.password = None;
    }
    let applicant = handshake::Applicant {
        peer,
        certified,
        access: &access,
    };
    if let Some(why) = handshake::refuse(&mut conn, &connect, &applicant, shared).await {
        shared.log(format_args!("Client {peer} refused: {why}"));
        let _ = tokio::time::timeout(Duration::from_secs(1), conn.shutdown()).await;
        return None;
    }
    handshake::accept(conn, connect, peer, access, shared)
}

/// A connected client.
pub struct Handler {
    pub(super) conn: Conn,
    /// All the rest: what a parked connection keeps (see [`Folded`]).
    pub(super) client: Client,
}

/// A connected client's state apart from its connection's stream and buffers.
pub struct Client {
    pub(super) shared: Arc<Shared>,
    pub(super) session: Arc<Session>,
    /// The rules of the listener the client came through.
    pub(super) access: Arc<Access>,
    /// This connection's id, to check it still owns the session.
    pub(super) id: u64,
    /// Wakes this task: messages queued, a takeover, keepalive or shutdown.
    waker: Arc<Signal>,
    /// The client id and CONNECT username, for ACL checks and to tag what it publishes.
    pub(super) origin: Arc<Origin>,
    /// Its ACL patterns, expanded at its first check and again after a reload.
    pub(super) patterns: ClientPatterns,
    pub(super) version: Version,
    /// Boxed: most clients have none, and every idle connection would carry its size.
    pub(super) will: Option<Box<Will>>,
    /// Inbound MQTT 5 topic aliases.
    aliases: Aliases,
    /// QoS 1/2 messages we may have in flight to the client.
    window: u16,
    /// Largest packet the client accepts; larger messages are dropped for it.
    max_packet: u32,
    /// Where `pump` stops filling the write buffer: `FIRST_WRITE`, growing while a backlog
    /// lasts.
    high_water: u32,
    /// Subscribers we fed this turn whose queues are filling: yield before reading more.
    /// Boxed and allocated at the first, as congestion is rare.
    #[allow(clippy::box_collection)] // 8 bytes in every connection instead of 24
    congested: Option<Box<Vec<Arc<Session>>>>,
    /// This turn queued messages for other sessions: yield before flushing our own acks,
    /// so the woken subscribers (next in this worker's LIFO slot) write first, as mosquitto
    /// delivers before it acknowledges. Lowers end-to-end latency.
    routed: bool,
    /// Messages were queued for this client by its own PUBLISH or SUBSCRIBE (retained) since
    /// the last [`Handler::deliver_own`].
    own_queued: bool,
    /// PUBLISH packets handled this turn, not yet added to `messages_received`.
    received: u32,
    /// The session outlives the connection (expiry not 0 at CONNECT), so persistence saves
    /// it: only then do its acknowledgements and in-flight changes call for a snapshot.
    saved: bool,
    /// Something happened since the connection last went idle (see [`Signal::went_idle`]).
    pub(super) worked: bool,
    /// The buffered PUBLISH has let other tasks run first (see `run`).
    yielded: bool,
}

/// A handler that ends, however it ends, leaves the broker's watch (see `signal`).
impl Drop for Client {
    fn drop(&mut self) {
        self.shared.connections.remove(&self.waker);
    }
}

/// A parked connection's handler (see [`super::parking`]): its [`Client`] and what its
/// connection is made again from, without the stream, which parking holds apart, and the
/// buffers, empty when it parks. A third of the whole handler's size.
#[cfg(unix)]
pub(super) struct Folded {
    client: Client,
    version: Option<Version>,
    max_incoming: u32,
}

#[cfg(unix)]
impl Handler {
    /// Splits an idle connection (nothing buffered either way) into its stream and the rest.
    pub(super) fn fold(self) -> (BoxedStream, Folded) {
        let Handler { conn, client } = self;
        let (version, max_incoming) = (conn.version, conn.max_incoming);
        let folded = Folded {
            client,
            version,
            max_incoming,
        };
        (conn.into_stream().into_inner(), folded)
    }

    /// The handler [`Handler::fold`] split, on `stream`.
    pub(super) fn unfold(folded: Folded, stream: BoxedStream) -> Handler {
        let Folded {
            client,
            version,
            max_incoming,
        } = folded;
        let stats = client.shared.stats.clone();
        let mut conn = Connection::new(Counted::new(stream, stats), version);
        conn.max_incoming = max_incoming;
        // Its socket may have woken the parking rather than its task.
        client.waker.mark_unread();
        Handler { conn, client }
    }
}

/// The session's state if this connection still owns it, else the takeover that ends it.
fn owned(session: &Session, id: u64) -> Result<MutexGuard<'_, SessionState>, Close> {
    let state = session.lock();
    match state.owned_by(id) {
        true => Ok(state),
        false => Err(Close::TakenOver),
    }
}

/// Why [`Handler::run`] returned.
pub(super) enum Leave {
    Close(Close),
    /// The connection is idle and can do without its task: park it here.
    #[cfg(unix)]
    Park(super::parking::Parking),
}

/// What ended a wait for the client or the signal. A packet is left in the read buffer, not
/// carried here: the loop's future would keep room for it while idle.
enum Wake {
    /// A packet (or a read error) is buffered; `Ok(false)` when the client closed the stream.
    Read(std::io::Result<bool>),
    Woken,
}

impl Handler {
    /// A handler for an accepted CONNECT (whose keepalive is the one to enforce); anything in
    /// flight from a resumed session is resent.
    pub fn new(
        conn: Conn,
        shared: Arc<Shared>,
        access: Arc<Access>,
        session: Arc<Session>,
        id: u64,
        waker: Arc<Signal>,
        connect: Connect,
    ) -> Handler {
        let keep_alive = connect.keep_alive;
        let keep_alive = (keep_alive > 0).then(|| Duration::from_secs(keep_alive.into()));
        shared.connections.add(waker.clone(), keep_alive);
        let v5 = connect.version.is_v5();
        let receive_maximum = connect.properties.receive_maximum.filter(|_| v5);
        let window = receive_maximum
            .unwrap_or(u16::MAX)
            .min(shared.config.max_inflight);
        let max_packet = connect.properties.maximum_packet_size.filter(|_| v5);
        let saved = session.lock().expiry != 0;
        let origin = Arc::new(Origin {
            client_id: session.client_id.clone(),
            username: connect.username.map(String::into_boxed_str),
            listener: access.port,
        });
        let client = Client {
            shared,
            session,
            access,
            id,
            waker,
            version: connect.version,
            will: connect.will.map(Box::new),
            origin,
            patterns: ClientPatterns::default(),
            aliases: Aliases::default(),
            window: window.max(1),
            max_packet: max_packet.unwrap_or(u32::MAX),
            high_water: FIRST_WRITE,
            congested: None,
            routed: false,
            own_queued: false,
            received: 0,
            saved,
            worked: true,
            yielded: false,
        };
        Handler { conn, client }
    }

    /// Marks the state changed (see [`Router::touch`](super::router::Router::touch)) if persistence saves this session.
    pub(super) fn touch(&self) {
        if self.client.saved {
            self.client.shared.router.touch();
        }
    }

    /// Counts a change (see [`Router::changed`](super::router::Router::changed)) if persistence saves this session.
    fn changed(&self) {
        if self.client.saved {
            self.client.shared.router.changed();
        }
    }

    /// Serves the client until something ends the connection, and says what, or until it
    /// is idle and can be parked. A `fresh` connection first resends what its session had in
    /// flight.
    pub async fn run(&mut self, fresh: bool) -> Leave {
        if fresh {
            if let Err(close) = self.resend() {
                return Leave::Close(close);
            }
        }
        // Park at the next idle turn (see `take_park` below); in a connection storm, a
        // client idle from its CONNACK on is parked at once (see `Connections::storming`).
        #[cfg(unix)]
        let mut park = fresh && self.client.shared.connections.storming();
        // Not idle yet since it connected.
        let mut first = fresh;
        // Resuming counts as work, so a resumed connection goes idle, and parks again,
        // even if what resumed it left it nothing to do.
        self.client.worked = true;
        loop {
            let more = match self.pump() {
                Ok(more) => more,
                Err(close) => return Leave::Close(close),
            };
            // Two steps, so no await keeps room for the first one's result.
            let written = match self.write_now().await {
                Ok(written) => written,
                Err(close) => return Leave::Close(close),
            };
            let woken = match written {
                true => false,
                false => match Box::pin(self.flush_slowly()).await {
                    Ok(woken) => woken,
                    Err(close) => return Leave::Close(close),
                },
            };
            let busy = more || woken;
            // Parked when the signal asked (`take_park` below), here, after `pump` and
            // before the signal is polled: a message queued since leaves the signal
            // notified, which `park` sees.
            #[cfg(unix)]
            if !busy && std::mem::take(&mut park) {
                if let Some(parking) = self.parking() {
                    return Leave::Park(parking);
                }
            }
            if !busy && std::mem::take(&mut self.client.worked) {
                self.client.waker.went_idle(std::mem::take(&mut first));
            }
            let step = match self.next_wake(busy).await {
                // Packet type 3: PUBLISH, still undecoded. Packets that other connections
                // received before it are handled first: tasks woken by the same poll of the
                // socket driver run in reverse order (the LIFO slot), so without this a
                // SUBSCRIBE that arrived first on another connection would miss the message.
                // Only while another connection may have unread packets: a yield waits for
                // the next poll of the driver, which at a low rate is most of a message's
                // time in the broker. The yield is the one below (a frame is buffered); the
                // PUBLISH is read on the next turn. Not awaited here: the loop's future
                // would keep room for what woke it.
                Wake::Read(Ok(true))
                    if self.conn.buffered()[0] >> 4 == 3
                        && self.client.waker.others_unread()
                        && !std::mem::replace(&mut self.client.yielded, true) =>
                {
                    Ok(())
                }
                Wake::Read(filled) => {
                    self.client.yielded = false;
                    let read = filled.and_then(|filled| match filled {
                        true => self.conn.try_packet(),
                        false => Ok(None),
                    });
                    self.client.worked = true;
                    self.on_read(read)
                }
                Wake::Woken => match self.client.waker.stopped() {
                    Some(stop) => Err(Close::from(stop)),
                    None if self.client.waker.take_trim() => self.release_spare(),
                    #[cfg(unix)]
                    None if self.client.waker.take_park() => {
                        park = true;
                        Ok(())
                    }
                    None => {
                        self.client.worked = true;
                        owned(&self.client.session, self.client.id).map(drop)
                    }
                },
            };
            // Consumed whole (`err` takes it), so the awaits below keep no room for it.
            if let Some(close) = step.err() {
                return Leave::Close(close);
            }
            // Let subscribers drain before routing more: their queues are bounded; and let
            // the ones just fed write before our own flush (see `routed`).
            if self.client.congested.is_some() {
                Box::pin(self.wait_for_subscribers()).await;
            } else if self.conn.has_frame() || std::mem::take(&mut self.client.routed) {
                tokio::task::yield_now().await;
            }
        }
    }

    /// Waits for a packet or the signal (a message queued by another task, a takeover,
    /// keepalive or shutdown: see [`super::signal`]); with `more` (the write buffer filled
    /// before the queue emptied, and no one will wake us for the rest) it only takes a packet
    /// already readable, so a long backlog still lets the client's pings and acks through.
    /// Polled by hand rather than with `select!`: neither the socket
    /// ([`Connection::poll_fill`]) nor the signal ([`Signal::take_notified`]) needs a future
    /// of its own, so an idle task holds no more than this closure.
    fn next_wake(&mut self, more: bool) -> impl Future<Output = Wake> + '_ {
        std::future::poll_fn(move |cx| {
            let reader = self.client.waker.reader(cx);
            match self.conn.poll_fill(&mut Context::from_waker(&reader)) {
                Poll::Ready(filled) => return Poll::Ready(Wake::Read(filled)),
                Poll::Pending => self.client.waker.read_all(),
            }
            // `reader` registered the task's waker for the signal too.
            match self.client.waker.take_notified() || more {
                true => Poll::Ready(Wake::Woken),
                false => Poll::Pending,
            }
        })
    }

    /// Where this connection can be parked, now that it is idle: a plain TCP one with
    /// nothing left to write or to handle, on a broker that parks (see [`super::parking`]).
    #[cfg(unix)]
    fn parking(&mut self) -> Option<super::parking::Parking> {
        // Bytes already read wake no one: the connection keeps its task until it has
        // handled them (and a partial packet is rare between packets).
        let drained = self.conn.pending() == 0 && self.conn.buffered().is_empty();
        if !drained || !super::parking::can_park(self) {
            return None;
        }
        let parking = self.client.shared.parking.get()?.clone();
        // All spare room goes first: a client idle since it connected is parked without a
        // trim, and may hold the CONNECT's storage in its empty read buffer and a resumed
        // session's queue room. A session no longer ours is not parked: the takeover's
        // signal is waiting.
        self.release_spare().ok()?;
        Some(parking)
    }

    /// The connection's stream, to take its socket when it is parked and give it back.
    #[cfg(unix)]
    pub(super) fn stream_mut(&mut self) -> &mut BoxedStream {
        self.conn.stream_mut().get_mut()
    }

    /// The signal that wakes this connection.
    #[cfg(unix)]
    pub(super) fn signal(&self) -> &Arc<Signal> {
        &self.client.waker
    }

    /// Queues what a resumed session had in flight, first of all. Not inline in `run`, whose
    /// every await would keep room for the list.
    fn resend(&mut self) -> Result<(), Close> {
        let mut resend = Vec::new();
        owned(&self.client.session, self.client.id)?.resend(&mut resend);
        self.send_all(&mut resend)
    }

    /// Back-pressure: holds this publisher (not reading its socket) until the subscribers it
    /// congested have drained to half their queue, for at most `MAX_HOLD`, so a subscriber
    /// that reads slowly slows its publishers instead of losing their QoS 1/2 messages.
    /// Boxed at its call, as congestion is rare: idle tasks keep no room for its timer.
    async fn wait_for_subscribers(&mut self) {
        let mut congested = self
            .client
            .congested
            .take()
            .map_or_else(Vec::new, |list| *list);
        // Our own queue drains only when this task runs: never wait for it.
        congested.retain(|s| !Arc::ptr_eq(s, &self.client.session));
        let deadline = Instant::now() + MAX_HOLD;
        // Polled, not woken on drain: waking publishers as a queue drains gained nothing and
        // cost latency (`benches/NOTES.md`); sleeping 1 ms leaves the subscriber time to
        // write larger batches.
        while !congested.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
            congested.retain(|s| s.congested());
        }
        tokio::task::yield_now().await;
    }

    /// Handles a packet read from the socket, then up to `PER_TURN` more already buffered;
    /// `messages_received` is counted once for them, as `messages_sent` is per batch.
    fn on_read(&mut self, read: std::io::Result<Option<Packet>>) -> Result<(), Close> {
        let result = self.read_burst(read);
        let received = std::mem::take(&mut self.client.received);
        if received > 0 {
            Stats::add(&self.client.shared.stats.messages_received, received.into());
        }
        result
    }

    fn read_burst(&mut self, read: std::io::Result<Option<Packet>>) -> Result<(), Close> {
        let Some(packet) = read.map_err(Close::from)? else {
            return Err(Close::Lost("connection closed by the client".into()));
        };
        self.client.waker.touch();
        self.handle(packet)?;
        for _ in 1..PER_TURN {
            // A subscriber we fed is filling up: stop here and let it drain, so several
            // fast publishers cannot overrun its queue within one turn each.
            if !self.conn.has_frame()
                || self.conn.pending() >= HIGH_WATER as usize
                || self.client.congested.is_some()
            {
                break;
            }
            match self.conn.try_packet().map_err(Close::from)? {
                Some(packet) => self.handle(packet)?,
                None => break,
            }
        }
        Ok(())
    }

    fn handle(&mut self, packet: Packet) -> Result<(), Close> {
        match packet {
            Packet::Publish(publish) => self.on_publish(publish),
            Packet::PubAck(ack) | Packet::PubComp(ack) => {
                owned(&self.client.session, self.client.id)?.complete(ack.pkid);
                self.changed();
                Ok(())
            }
            Packet::PubRec(ack) => self.on_pubrec(ack),
            // PUBCOMP says success for an unknown id too, as mosquitto's.
            Packet::PubRel(ack) => {
                owned(&self.client.session, self.client.id)?.release(ack.pkid);
                self.touch();
                self.deliver_own()?;
                self.queue(Packet::PubComp(Ack::new(ack.pkid)))
            }
            Packet::Subscribe(subscribe) => self.on_subscribe(subscribe),
            Packet::Unsubscribe(unsubscribe) => self.on_unsubscribe(unsubscribe),
            Packet::PingReq => self.queue(Packet::PingResp),
            Packet::Disconnect(reason) => Err(self.on_disconnect(reason)),
            Packet::Connect(_) => Err(Close::Unanswered("second CONNECT")),
            Packet::Auth(_) => Err(Close::Unanswered("AUTH")),
            other => Err(Close::Protocol(
                0x82,
                format!("unexpected {}", packet_name(&other)),
            )),
        }
    }

    /// An acknowledgement: success, or `failure` (MQTT 5 only) when `ok` is false.
    fn ack(&self, pkid: u16, ok: bool, failure: u8) -> Ack {
        let reason = match ok || !self.client.version.is_v5() {
            true => 0,
            false => failure,
        };
        Ack {
            pkid,
            reason,
            ..Ack::default()
        }
    }

    fn queue(&mut self, packet: Packet) -> Result<(), Close> {
        self.conn.queue(&packet).map_err(Close::from)
    }

    /// A DISCONNECT ends the connection; only MQTT 5 reason 0x04 keeps the will.
    fn on_disconnect(&mut self, reason: Reason) -> Close {
        if let Some(expiry) = reason.properties.session_expiry_interval {
            let mut state = self.client.session.lock();
            // A session that ends with its connection cannot be made to outlive it now.
            if state.expiry == 0 && expiry != 0 {
                return Close::Protocol(0x82, "session expiry set at DISCONNECT".into());
            }
            state.expiry = handshake::session_expiry(&self.client.shared.config, expiry);
        }
        Close::Disconnect {
            will: reason.code == 0x04,
        }
    }
}

fn packet_name(packet: &Packet) -> &'static str {
    match packet {
        Packet::ConnAck(_) => "CONNACK",
        Packet::SubAck(_) => "SUBACK",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingResp => "PINGRESP",
        Packet::Auth(_) => "AUTH",
        _ => "packet",
    }
}
