//! `-d`: every packet sent and received, printed on stdout in mosquitto's words.

use crate::codec::{Packet, Publish};
use std::sync::atomic::{AtomicBool, Ordering};

/// One flag for the process, as in mosquitto's clients.
static DEBUG: AtomicBool = AtomicBool::new(false);

/// Turns `-d` packet tracing on.
pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

/// True under `-d`, for the few lines the tools print themselves.
pub fn debug() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

/// mosquitto's `-d` line for a packet, or `None` for packets it does not log.
fn describe(packet: &Packet, sending: bool) -> Option<String> {
    let publish = |p: &Publish| {
        let (d, q, r) = (p.dup as u8, p.qos as u8, p.retain as u8);
        let (m, t, n) = (p.pkid, &p.topic, p.payload.len());
        format!("PUBLISH (d{d}, q{q}, r{r}, m{m}, '{t}', ... ({n} bytes))")
    };
    Some(match (packet, sending) {
        (Packet::Connect(_), _) => "CONNECT".into(),
        (Packet::ConnAck(c), _) => format!("CONNACK ({})", c.code),
        (Packet::Publish(p), _) => publish(p),
        (Packet::PubAck(a), true) => format!("PUBACK (m{}, rc{})", a.pkid, a.reason),
        (Packet::PubAck(a), false) => format!("PUBACK (Mid: {}, RC:{})", a.pkid, a.reason),
        (Packet::PubRec(a), true) => format!("PUBREC (m{}, rc{})", a.pkid, a.reason),
        (Packet::PubRec(a), false) => format!("PUBREC (Mid: {})", a.pkid),
        (Packet::PubRel(a), true) => format!("PUBREL (m{})", a.pkid),
        (Packet::PubRel(a), false) => format!("PUBREL (Mid: {})", a.pkid),
        (Packet::PubComp(a), true) => format!("PUBCOMP (m{})", a.pkid),
        (Packet::PubComp(a), false) => format!("PUBCOMP (Mid: {}, RC:{})", a.pkid, a.reason),
        (Packet::Subscribe(s), _) => {
            let f = s.filters.first()?;
            format!(
                "SUBSCRIBE (Mid: {}, Topic: {}, QoS: {}, Options: 0x{:02x})",
                s.pkid, f.filter, f.qos as u8, 0
            )
        }
        (Packet::SubAck(_), _) => "SUBACK".into(),
        (Packet::Unsubscribe(u), _) => format!(
            "UNSUBSCRIBE (Mid: {}, Topic: {})",
            u.pkid,
            u.filters.first()?
        ),
        (Packet::UnsubAck(_), _) => "UNSUBACK".into(),
        (Packet::PingReq, _) => "PINGREQ".into(),
        (Packet::PingResp, _) => "PINGRESP".into(),
        (Packet::Disconnect(_), _) => "DISCONNECT".into(),
        (Packet::Auth(_), _) => return None,
    })
}

/// Prints a `-d` line when tracing is on.
pub(super) fn trace(label: &str, packet: &Packet, sending: bool) {
    if !debug() {
        return;
    }
    if let Some(what) = describe(packet, sending) {
        let verb = if sending { "sending" } else { "received" };
        println!("Client {label} {verb} {what}");
    }
}
