//! CONNECT to CONNACK: protocol level, client id, credentials, keepalive and the session.

use super::acl::AclClient;
use super::auth::Credentials;
use super::authorize::{may_write, Reader};
use super::config::Config;
use super::handler::{Conn, Handler};
use super::limits::Limits;
use super::mount;
use super::security::{Access, ClientPatterns, Rules, Security};
use super::server::Shared;
use super::session::Claim;
use super::signal::Signal;
use crate::codec::{self, ConnAck, Connect, Packet, Properties, QoS, Version, Will};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Why a CONNECT was refused: the 3.1.1 return code (`None`: close without CONNACK, as
/// mosquitto does where 3.1.1 has no code for it) and the MQTT 5 reason code.
struct Refusal {
    v3: Option<u8>,
    v5: u8,
    why: &'static str,
}

const BAD_CLIENT_ID: Refusal = Refusal {
    v3: Some(2),
    v5: 0x85,
    why: "client id rejected",
};
/// `allow_zero_length_clientid false`: mosquitto 2.0 answers MQTT 5 with "unspecified error".
const EMPTY_CLIENT_ID: Refusal = Refusal {
    v3: Some(2),
    v5: 0x80,
    why: "empty client id not allowed",
};
const WILL_RETAIN: Refusal = Refusal {
    v3: None,
    v5: 0x9A,
    why: "retained will but retain is not available",
};
const WILL_QOS: Refusal = Refusal {
    v3: None,
    v5: 0x9B,
    why: "will QoS above maximum_qos",
};
/// A will over `message_size_limit`: mosquitto 2.0 says "not authorized" to 3.1.1 clients.
const WILL_TOO_LARGE: Refusal = Refusal {
    v3: Some(5),
    v5: 0x95,
    why: "will payload over message_size_limit",
};
const NOT_AUTHORIZED: Refusal = Refusal {
    v3: Some(5),
    v5: 0x87,
    why: "anonymous access refused",
};
/// mosquitto 2.0 answers a bad password with "not authorized" too, not "bad user name or
/// password"; clients and scripts check these codes, so we do the same.
const BAD_CREDENTIALS: Refusal = Refusal {
    v3: Some(5),
    v5: 0x87,
    why: "bad user name or password",
};
/// `clientid_prefixes`, which mosquitto 2.0 answers with "not authorized".
const WRONG_PREFIX: Refusal = Refusal {
    v3: Some(5),
    v5: 0x87,
    why: "client id without the clientid_prefixes prefix",
};
/// `use_username_as_clientid` without a username, as mosquitto 2.0 answers it.
const NO_USERNAME_FOR_ID: Refusal = Refusal {
    v3: Some(5),
    v5: 0x87,
    why: "no username to use as client id",
};
/// Over `memory_limit`: a new session could not be allocated. mosquitto drops such a
/// connection; "server unavailable" / "quota exceeded" say why.
const OUT_OF_MEMORY: Refusal = Refusal {
    v3: Some(3),
    v5: 0x97,
    why: "memory_limit reached",
};
const BAD_AUTH_METHOD: Refusal = Refusal {
    v3: Some(5),
    v5: 0x8C,
    why: "enhanced authentication is not supported",
};

/// Answers the first packet's decoding error: a CONNACK for an unknown protocol level (0x01
/// in 3.1.1 framing below level 5, 0x84 in MQTT 5 framing above), and for a CONNECT over the
/// size limit 0x95 (packet too large) when it says MQTT 5, read from the bytes already
/// buffered; nothing otherwise. The rest of the packet is never read.
pub async fn reject_connect(conn: &mut Conn, error: &io::Error) {
    let error = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<codec::Error>());
    let (version, code) = match error {
        Some(codec::Error::UnsupportedVersion(level)) if *level > 5 => (Version::V5, 0x84),
        Some(codec::Error::UnsupportedVersion(_)) => (Version::V311, 0x01),
        Some(codec::Error::TooLarge { .. }) if claimed_level(conn.buffered()) == Some(5) => {
            (Version::V5, 0x95)
        }
        _ => return,
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

/// The protocol level a CONNECT's first bytes name, after its fixed header and protocol name.
fn claimed_level(buf: &[u8]) -> Option<u8> {
    let (header, _) = codec::validate::frame(buf).ok()??;
    let name = buf.get(header..header + 2)?;
    let name_len = usize::from(u16::from_be_bytes([name[0], name[1]]));
    buf.get(header + 2 + name_len).copied()
}

/// The client asking to connect: where from, whether its TLS certificate named it
/// (`use_identity_as_username`), and the rules of the listener it came through.
pub struct Applicant<'a> {
    /// Its address, for the authenticator.
    pub peer: SocketAddr,
    /// Its username is its certificate's CN, which needs no password.
    pub certified: bool,
    /// Its listener's rules.
    pub access: &'a Access,
}

/// Refuses `connect` if it breaks a rule or fails authentication: queues the CONNACK with
/// the reason and says why.
pub async fn refuse(
    conn: &mut Conn,
    connect: &Connect,
    applicant: &Applicant<'_>,
    shared: &Shared,
) -> Option<&'static str> {
    let refusal = check(connect, applicant, shared).await.err()?;
    let code = match connect.version.is_v5() {
        true => Some(refusal.v5),
        false => refusal.v3,
    };
    if let Some(code) = code {
        let connack = ConnAck {
            code,
            ..ConnAck::default()
        };
        let _ = conn.queue(&Packet::ConnAck(connack));
    }
    Some(refusal.why)
}

/// Accepts `connect` (already past [`refuse`]) through a listener with `access`: opens the
/// session and queues the CONNACK. `None` only if the CONNACK cannot be encoded.
pub fn accept(
    mut conn: Conn,
    mut connect: Connect,
    peer: SocketAddr,
    access: Arc<Access>,
    shared: &Arc<Shared>,
) -> Option<Handler> {
    let v5 = connect.version.is_v5();
    // Said in the CONNACK when the client sent none, even if its username became its id, as
    // mosquitto 2.0 does.
    let assigned = connect.client_id.is_empty();
    let client_id = match client_id(&connect, &access) {
        Some(id) => id.to_string(),
        None => assigned_id(&shared.config.limits.auto_id_prefix),
    };
    if let Some(will) = &mut connect.will {
        mount::prefix(access.clients.mount_point.as_deref(), &mut will.topic);
    }
    drop_denied_will(&mut connect, &client_id, &access.security, shared);
    let config = &shared.config;
    let (keep_alive, server_keep_alive) = keep_alive(&connect, config.max_keepalive);
    connect.keep_alive = keep_alive;
    let expiry = match (v5, connect.clean_start) {
        (true, _) => connect.properties.session_expiry_interval.unwrap_or(0),
        (false, true) => 0,
        (false, false) => u32::MAX,
    };
    let expiry = session_expiry(config, expiry);
    let id = shared.next_id();
    let waker = Arc::new(Signal::new());
    let opened = shared.router.open(
        &client_id,
        connect.clean_start,
        expiry,
        Claim {
            id,
            waker: waker.clone(),
            reader: Reader::new(&access.security, connect.username.as_deref()),
        },
    );
    for old in &opened.kicked {
        old.notify_one();
    }
    let mut properties = Properties::default();
    if v5 {
        properties = connack_properties(config, &access);
        properties.assigned_client_identifier = assigned.then(|| client_id.clone());
        properties.server_keep_alive = server_keep_alive;
    }
    let connack = ConnAck {
        // MQTT 3.1 has no session present flag: its CONNACK's first byte is 0.
        session_present: opened.present && connect.version != Version::V31,
        code: 0,
        properties: properties.into(),
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
        access,
        opened.session,
        id,
        waker,
        connect,
    ))
}

/// The MQTT 5 CONNACK properties that announce the broker's and the listener's limits, each
/// only when it is below what MQTT allows anyway.
fn connack_properties(config: &Config, access: &Access) -> Properties {
    let limits = &config.limits;
    Properties {
        topic_alias_maximum: Some(access.limits.max_topic_alias).filter(|&n| n > 0),
        receive_maximum: Some(config.receive_maximum).filter(|&n| n < 65535),
        maximum_packet_size: Some(config.max_packet_size)
            .filter(|&n| n < crate::connection::MAX_PACKET as u32),
        retain_available: (!limits.retain_available).then_some(0),
        maximum_qos: Some(access.limits.max_qos as u8).filter(|&q| q < 2),
        ..Properties::default()
    }
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

async fn check(
    connect: &Connect,
    applicant: &Applicant<'_>,
    shared: &Shared,
) -> Result<(), Refusal> {
    let v5 = connect.version.is_v5();
    // Sessions are what a stream of new client ids grows: the heap bound stops them too.
    if shared.over_memory_limit() {
        return Err(OUT_OF_MEMORY);
    }
    if v5 && connect.properties.authentication_method.is_some() {
        return Err(BAD_AUTH_METHOD);
    }
    // 3.1.1 needs a client id to find a persistent session again; MQTT 5 assigns one anyway;
    // 3.1 has no assigned ids at all (an id of 1 to 23 characters), so mosquitto refuses.
    let v31 = connect.version == Version::V31;
    if connect.client_id.is_empty() && (v31 || !connect.clean_start && !v5) {
        return Err(BAD_CLIENT_ID);
    }
    let access = applicant.access;
    if connect.client_id.is_empty() && !access.allow_zero_length_clientid {
        return Err(EMPTY_CLIENT_ID);
    }
    let limits = &shared.config.limits;
    if let Some(prefix) = &limits.clientid_prefixes {
        // An id the broker assigns must match too, as in mosquitto.
        let id = client_id(connect, access).unwrap_or(&limits.auto_id_prefix);
        if !id.starts_with(prefix.as_str()) {
            return Err(WRONG_PREFIX);
        }
    }
    if let Some(will) = &connect.will {
        check_will(will, &shared.config.limits, access.limits.max_qos)?;
    }
    if connect.username.is_none() && !access.allow_anonymous {
        return Err(NOT_AUTHORIZED);
    }
    if connect.username.is_none() && access.clients.use_username_as_clientid {
        return Err(NO_USERNAME_FOR_ID);
    }
    let credentials = Credentials {
        client_id: client_id(connect, access).unwrap_or_default(),
        username: connect.username.as_deref(),
        password: connect.password.as_deref(),
        peer: applicant.peer,
    };
    match authenticated(&credentials, applicant, shared).await {
        true => Ok(()),
        false => Err(BAD_CREDENTIALS),
    }
}

/// A client id for a client that sent none: `prefix` and a random UUID-shaped part, as
/// mosquitto 2.0 makes them.
fn assigned_id(prefix: &str) -> String {
    let hex = format!("{:032X}", fastrand::u128(..));
    let part = |range: std::ops::Range<usize>| &hex[range];
    let (a, b, c, d, e) = (
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32),
    );
    format!("{prefix}{a}-{b}-{c}-{d}-{e}")
}

/// The client id `connect` gets through a listener with `access`: its username with
/// `use_username_as_clientid`, else its own; `None`: the broker assigns one.
fn client_id<'a>(connect: &'a Connect, access: &Access) -> Option<&'a str> {
    match connect.username.as_deref() {
        Some(user) if access.clients.use_username_as_clientid => Some(user),
        _ => Some(connect.client_id.as_str()).filter(|id| !id.is_empty()),
    }
}

/// As in mosquitto 2.0: a certificate's CN needs no password; any other username must pass
/// the password file, and with neither a password file nor an authenticator to check it, a
/// username is no credential: only `allow_anonymous` lets it in. The embedder's
/// authenticator (if any) must accept every client. Clients without a username got here only
/// because anonymous access is allowed.
async fn authenticated(
    credentials: &Credentials<'_>,
    applicant: &Applicant<'_>,
    shared: &Shared,
) -> bool {
    let authenticator = shared.config.authenticator.as_ref();
    let rules = applicant.access.security.rules();
    let password_ok = match (&rules.passwords, credentials.username) {
        _ if applicant.certified => true,
        (Some(_), Some(user)) => {
            verify_off_workers(rules.clone(), user, credentials.password, shared).await
        }
        (None, Some(_)) => authenticator.is_some() || applicant.access.allow_anonymous,
        (_, None) => true,
    };
    password_ok && authenticator.is_none_or(|auth| auth.authenticate(credentials))
}

/// Checks a password against the password file on tokio's blocking pool, as many at once as
/// there are cores: an argon2id or PBKDF2 hash costs milliseconds by design, and a flood of
/// logins checked on the async workers would stall every other client.
async fn verify_off_workers(
    rules: Arc<Rules>,
    user: &str,
    password: Option<&[u8]>,
    shared: &Shared,
) -> bool {
    let Ok(_permit) = shared.password_checks.acquire().await else {
        return false;
    };
    let user = user.to_owned();
    let password = password.map(<[u8]>::to_vec);
    let verify = move || {
        let passwords = rules.passwords.as_ref();
        passwords.is_some_and(|p| p.verify(&user, password.as_deref()))
    };
    tokio::task::spawn_blocking(verify).await.unwrap_or(false)
}

/// A will must keep to the limits its PUBLISH would have to keep to.
fn check_will(will: &Will, limits: &Limits, maximum_qos: QoS) -> Result<(), Refusal> {
    let max_size = limits.message_size_limit;
    if will.retain && !limits.retain_available {
        Err(WILL_RETAIN)
    } else if will.qos > maximum_qos {
        Err(WILL_QOS)
    } else if max_size > 0 && will.payload.len() > max_size {
        Err(WILL_TOO_LARGE)
    } else {
        Ok(())
    }
}

/// A will the client could not publish itself is dropped; like mosquitto 2.0, the
/// connection is still accepted.
fn drop_denied_will(connect: &mut Connect, client_id: &str, security: &Security, shared: &Shared) {
    let Some(will) = &connect.will else { return };
    let client = AclClient {
        client_id,
        username: connect.username.as_deref(),
    };
    let patterns = &mut ClientPatterns::default();
    if !may_write(security, &client, patterns, &will.topic) {
        shared.log(format_args!("Denied will of {client_id} to {}", will.topic));
        connect.will = None;
    }
}

/// The keepalive to enforce, and the MQTT 5 server keep alive to announce when it differs
/// from the client's: too long, or none (like mosquitto 2.0.11, even at the default 65535).
/// 3.1.1 clients keep theirs, as in mosquitto.
fn keep_alive(connect: &Connect, max: u16) -> (u16, Option<u16>) {
    let asked = connect.keep_alive;
    let capped = connect.version.is_v5() && (asked > max || asked == 0);
    match capped {
        true => (max, Some(max)),
        false => (asked, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(version: Version, keep_alive: u16) -> Connect {
        Connect {
            version,
            client_id: "c".into(),
            clean_start: true,
            keep_alive,
            username: None,
            password: None,
            will: None,
            properties: Properties::default(),
        }
    }

    #[test]
    fn wills_keep_to_the_publish_limits() {
        let limits = Limits {
            retain_available: false,
            message_size_limit: 3,
            ..Limits::default()
        };
        let will = |qos, retain, payload: &'static str| Will {
            topic: "w".into(),
            payload: payload.into(),
            qos,
            retain,
            properties: Properties::default(),
        };
        let code = |w: Will| {
            check_will(&w, &limits, QoS::AtLeastOnce)
                .err()
                .map(|r| (r.v3, r.v5))
        };
        assert_eq!(code(will(QoS::AtLeastOnce, false, "abc")), None);
        assert_eq!(code(will(QoS::AtMostOnce, true, "x")), Some((None, 0x9A)));
        assert_eq!(code(will(QoS::ExactlyOnce, false, "x")), Some((None, 0x9B)));
        assert_eq!(
            code(will(QoS::AtMostOnce, false, "abcd")),
            Some((Some(5), 0x95))
        );
    }

    #[test]
    fn max_keepalive_caps_mqtt5_clients_only() {
        assert_eq!(keep_alive(&connect(Version::V5, 60), 30), (30, Some(30)));
        assert_eq!(keep_alive(&connect(Version::V5, 0), 30), (30, Some(30)));
        assert_eq!(
            keep_alive(&connect(Version::V5, 0), 65535),
            (65535, Some(65535))
        );
        assert_eq!(keep_alive(&connect(Version::V5, 20), 30), (20, None));
        assert_eq!(keep_alive(&connect(Version::V311, 60), 30), (60, None));
        assert_eq!(keep_alive(&connect(Version::V311, 0), 30), (0, None));
    }
}
