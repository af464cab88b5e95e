//! CONNECT to CONNACK: protocol level, client id, credentials, keepalive and the session.

use super::acl::Client;
use super::auth::Credentials;
use super::config::Config;
use super::handler::{Conn, Handler};
use super::server::Shared;
use crate::codec::{self, ConnAck, Connect, Packet, Properties, Version};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Why a CONNECT was refused: the 3.1.1 return code and the MQTT 5 reason code.
struct Refusal {
    v3: u8,
    v5: u8,
    why: &'static str,
}

const BAD_CLIENT_ID: Refusal = Refusal {
    v3: 2,
    v5: 0x85,
    why: "client id rejected",
};
const NOT_AUTHORIZED: Refusal = Refusal {
    v3: 5,
    v5: 0x87,
    why: "anonymous access refused",
};
/// mosquitto 2.0 answers a bad password with "not authorized" too, not "bad user name or
/// password"; clients and scripts check these codes, so we do the same.
const BAD_CREDENTIALS: Refusal = Refusal {
    v3: 5,
    v5: 0x87,
    why: "bad user name or password",
};
const BAD_AUTH_METHOD: Refusal = Refusal {
    v3: 5,
    v5: 0x8C,
    why: "enhanced authentication is not supported",
};

/// Answers the first packet's decoding error: a CONNACK for an unknown protocol level (0x01
/// in 3.1.1 framing below level 5, 0x84 in MQTT 5 framing above), nothing otherwise.
pub async fn reject_version(conn: &mut Conn, error: &io::Error) {
    let level = match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<codec::Error>())
    {
        Some(codec::Error::UnsupportedVersion(level)) => *level,
        _ => return,
    };
    let (version, code) = match level > 5 {
        true => (Version::V5, 0x84),
        false => (Version::V311, 0x01),
    };
    conn.version = Some(version);
    let connack = ConnAck {
        code,
        ..ConnAck::default()
    };
    if conn.queue(&Packet::ConnAck(connack)).is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(1), conn.shutdown()).await;
    }
}

/// Refuses `connect` if it breaks a rule or fails authentication: queues the CONNACK with
/// the reason and says why.
pub fn refuse(
    conn: &mut Conn,
    connect: &Connect,
    peer: SocketAddr,
    shared: &Shared,
) -> Option<&'static str> {
    let refusal = check(connect, peer, shared).err()?;
    let code = match connect.version.is_v5() {
        true => refusal.v5,
        false => refusal.v3,
    };
    let connack = ConnAck {
        code,
        ..ConnAck::default()
    };
    let _ = conn.queue(&Packet::ConnAck(connack));
    Some(refusal.why)
}

/// Accepts `connect` (already past [`refuse`]): opens the session and queues the CONNACK.
/// `None` only if the CONNACK cannot be encoded.
pub fn accept(
    mut conn: Conn,
    mut connect: Connect,
    peer: SocketAddr,
    shared: &Arc<Shared>,
) -> Option<Handler> {
    let v5 = connect.version.is_v5();
    let assigned = connect.client_id.is_empty();
    let client_id = match assigned {
        true => format!("auto-{:016X}", fastrand::u64(..)),
        false => connect.client_id.clone(),
    };
    drop_denied_will(&mut connect, &client_id, shared);
    let config = &shared.config;
    let (keep_alive, server_keep_alive) = keep_alive(&connect, config.max_keepalive);
    let expiry = match (v5, connect.clean_start) {
        (true, _) => connect.properties.session_expiry_interval.unwrap_or(0),
        (false, true) => 0,
        (false, false) => u32::MAX,
    };
    let expiry = session_expiry(config, expiry);
    let id = shared.next_id();
    let waker = Arc::new(Notify::new());
    let limits = (config.max_queued_messages, expiry);
    let opened = shared
        .router
        .open(&client_id, connect.clean_start, limits, id, waker.clone());
    for old in &opened.kicked {
        old.notify_one();
    }
    let mut properties = Properties::default();
    if v5 {
        properties.assigned_client_identifier = assigned.then(|| client_id.clone());
        properties.server_keep_alive = server_keep_alive;
        properties.topic_alias_maximum = Some(config.topic_alias_maximum).filter(|&n| n > 0);
        properties.receive_maximum = Some(config.receive_maximum).filter(|&n| n < 65535);
        properties.maximum_packet_size =
            Some(config.max_packet_size).filter(|&n| n < crate::connection::MAX_PACKET as u32);
    }
    let connack = ConnAck {
        session_present: opened.present,
        code: 0,
        properties,
    };
    conn.queue(&Packet::ConnAck(connack)).ok()?;
    shared.log(format_args!(
        "New client connected from {peer} as {client_id} (p{}, c{}, k{keep_alive}{}).",
        level(connect.version),
        u8::from(connect.clean_start),
        connect
            .username
            .as_deref()
            .map(|u| format!(", u'{u}'"))
            .unwrap_or_default(),
    ));
    Some(Handler::new(
        conn,
        shared.clone(),
        opened.session,
        id,
        waker,
        connect,
        keep_alive,
    ))
}

/// The session expiry to apply for `asked` seconds: with mosquitto's
/// `persistent_client_expiration`, even "never" ends for clients that never come back.
pub fn session_expiry(config: &Config, asked: u32) -> u32 {
    match asked {
        u32::MAX => config.persistent_client_expiration.unwrap_or(asked),
        _ => asked,
    }
}

fn level(version: Version) -> u8 {
    match version {
        Version::V31 => 3,
        Version::V311 => 4,
        Version::V5 => 5,
    }
}

fn check(connect: &Connect, peer: SocketAddr, shared: &Shared) -> Result<(), Refusal> {
    let v5 = connect.version.is_v5();
    if v5 && connect.properties.authentication_method.is_some() {
        return Err(BAD_AUTH_METHOD);
    }
    // 3.1.1 needs a client id to find a persistent session again; MQTT 5 assigns one anyway.
    if connect.client_id.is_empty() && !connect.clean_start && !v5 {
        return Err(BAD_CLIENT_ID);
    }
    if connect.username.is_none() && !shared.config.allow_anonymous {
        return Err(NOT_AUTHORIZED);
    }
    let credentials = Credentials {
        client_id: &connect.client_id,
        username: connect.username.as_deref(),
        password: connect.password.as_deref(),
        peer,
    };
    match authenticated(&credentials, shared) {
        true => Ok(()),
        false => Err(BAD_CREDENTIALS),
    }
}

/// A username must pass the password file (if any) and the embedder's authenticator (if
/// any); clients without one got here only because anonymous access is allowed.
fn authenticated(credentials: &Credentials<'_>, shared: &Shared) -> bool {
    let rules = shared.config.security.rules();
    let password_ok = match (&rules.passwords, credentials.username) {
        (Some(passwords), Some(user)) => passwords.verify(user, credentials.password),
        _ => true,
    };
    let authenticator = shared.config.authenticator.as_ref();
    password_ok && authenticator.is_none_or(|auth| auth.authenticate(credentials))
}

/// A will the client could not publish itself is dropped; like mosquitto 2.0, the
/// connection is still accepted.
fn drop_denied_will(connect: &mut Connect, client_id: &str, shared: &Shared) {
    let Some(will) = &connect.will else { return };
    let client = Client {
        client_id,
        username: connect.username.as_deref(),
    };
    let security = &shared.config.security;
    if !security.authorize(&client, |acl, c| acl.can_write(c, &will.topic)) {
        shared.log(format_args!("Denied will of {client_id} to {}", will.topic));
        connect.will = None;
    }
}

/// The keepalive to enforce, and the MQTT 5 server keep alive to announce when it differs
/// from the client's (too long, or none while the broker has a maximum).
fn keep_alive(connect: &Connect, max: u16) -> (u16, Option<u16>) {
    let asked = connect.keep_alive;
    let capped = connect.version.is_v5() && max < 65535 && (asked > max || asked == 0);
    match capped {
        true => (max, Some(max)),
        false => (asked, None),
    }
}
