//! The ACL checks a connection makes: before routing a publish, as a message is queued for a
//! subscriber ([`Reader`]) and again before delivering it (so a reloaded ACL also applies to
//! what was queued before), and, with `check_retain_source`, on the publisher of each
//! retained message a subscription gets. The ACL is that of the listener the client came
//! through.

use super::acl::AclClient;
use super::handler::{Client, Handler};
use super::message::Message;
use super::security::{ClientPatterns, Security};
use std::sync::Arc;

impl Handler {
    /// May this client publish to `topic`?
    pub(super) fn may_publish(&mut self, topic: &str) -> bool {
        self.client.may(may_write, topic)
    }

    /// May this client receive a message published to `topic`?
    pub(super) fn may_receive(&mut self, topic: &str) -> bool {
        self.client.may(may_read, topic)
    }
}

impl Client {
    /// Does `check` ([`may_read`] or [`may_write`]) let this client at `topic`, under the
    /// rules of its listener? Generic, so each check is called directly on the hot path.
    fn may<C>(&mut self, check: C, topic: &str) -> bool
    where
        C: Fn(&Security, &AclClient<'_>, &mut ClientPatterns, &str) -> bool,
    {
        let client = self.origin.acl_client();
        check(&self.access.security, &client, &mut self.patterns, topic)
    }
}

/// Who reads a session's messages, for the check as they are queued: mosquitto checks read
/// access before it queues a message, so one the subscriber may not read takes neither room
/// in its queue (even while it is away) nor a packet id. Each connection that takes the
/// session over leaves its own; only listeners with an ACL file have one.
pub struct Reader {
    security: Arc<Security>,
    username: Option<Box<str>>,
    patterns: ClientPatterns,
}

impl Reader {
    /// The reader for a client with `username` under `security`, if that has an ACL file.
    pub fn new(security: &Arc<Security>, username: Option<&str>) -> Option<Box<Reader>> {
        security.has_acl().then(|| {
            Box::new(Reader {
                security: security.clone(),
                username: username.map(Box::from),
                patterns: ClientPatterns::default(),
            })
        })
    }

    /// May the session of `client_id` receive a message published to `topic`?
    pub fn may_read(&mut self, client_id: &str, topic: &str) -> bool {
        let client = AclClient {
            client_id,
            username: self.username.as_deref(),
        };
        may_read(&self.security, &client, &mut self.patterns, topic)
    }
}

/// May `client`, whose patterns are kept in `patterns`, receive a message published to `topic`.
fn may_read(
    security: &Security,
    client: &AclClient<'_>,
    patterns: &mut ClientPatterns,
    topic: &str,
) -> bool {
    security.authorize(client, patterns, |acl, c, p| acl.can_read(c, p, topic))
}

/// `check_retain_source`: may the client that published retained `msg` still publish to its
/// topic (say the ACL was reloaded since), under `security`, the rules of the listener it came
/// through (`None`: that listener is gone)? As in mosquitto 2.0.11, a message that fails is
/// not delivered but stays retained, for when the access comes back; messages without a known
/// publisher (the broker's own, or restored from a version 1 file) pass, and so does
/// everything without an ACL file.
pub(super) fn source_may_publish<'a>(
    security: impl FnOnce(u16) -> Option<&'a Security>,
    msg: &Message,
) -> bool {
    let Some(origin) = &msg.origin else {
        return true;
    };
    let Some(security) = security(origin.listener) else {
        return false;
    };
    let patterns = &mut ClientPatterns::default();
    may_write(security, &origin.acl_client(), patterns, &msg.topic)
}

/// May `client`, whose patterns are kept in `patterns`, publish to `topic`: the check for
/// what clients publish, their wills and the sources of retained messages.
pub(super) fn may_write(
    security: &Security,
    client: &AclClient<'_>,
    patterns: &mut ClientPatterns,
    topic: &str,
) -> bool {
    !reserved(topic) && security.authorize(client, patterns, |acl, c, p| acl.can_write(c, p, topic))
}

/// Topics no client may publish to, whatever the ACL says, as mosquitto's `acl__check_dollar`:
/// `$SYS` belongs to the broker (but for the connection state bridges report), and `$share`
/// names subscriptions, not topics.
fn reserved(topic: &str) -> bool {
    // Every PUBLISH asks: the matcher runs only for the rare `$SYS` topic.
    let bridge_state = || crate::topic::matches("$SYS/broker/connection/+/state", topic);
    (topic.starts_with("$SYS") && !bridge_state()) || topic.starts_with("$share")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::message::Origin;
    use crate::codec::{Publish, QoS};
    use std::sync::Arc;
    use std::time::Instant;

    fn published(topic: &str, client_id: &str, username: Option<&str>) -> Message {
        let publish = Publish {
            topic: topic.into(),
            qos: QoS::AtMostOnce,
            retain: true,
            ..Publish::default()
        };
        let origin = Origin {
            client_id: client_id.into(),
            username: username.map(Box::from),
            listener: 1883,
        };
        Message::from_publish(publish, Arc::new(origin), Instant::now())
    }

    #[test]
    fn retained_messages_need_their_publisher_to_still_have_write_access() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let rules = "topic write anon/#\nuser alice\ntopic write room/#\npattern write dev/%c\n";
        std::fs::write(file.path(), rules).unwrap();
        let security = Security::load(None, Some(file.path().into())).unwrap();
        let alice = published("room/a", "c1", Some("alice"));
        let anonymous = published("anon/a", "c2", None);
        let device = published("dev/c3", "c3", Some("bob"));
        let broker = Message {
            origin: None,
            ..published("room/b", "", None)
        };
        for msg in [&alice, &anonymous, &device, &broker] {
            assert!(
                source_may_publish(|_| Some(&security), msg),
                "{}",
                msg.topic
            );
        }
        // Alice's rules now deny room/, anonymous clients lose anon/, patterns are gone.
        std::fs::write(file.path(), "user alice\ntopic read room/#\n").unwrap();
        security.reload().unwrap();
        for msg in [&alice, &anonymous, &device] {
            assert!(
                !source_may_publish(|_| Some(&security), msg),
                "{}",
                msg.topic
            );
        }
        assert!(source_may_publish(|_| Some(&security), &broker));
        // The client id counts too: another client of alice's may not write dev/c3.
        std::fs::write(file.path(), "pattern write dev/%c\n").unwrap();
        security.reload().unwrap();
        assert!(source_may_publish(|_| Some(&security), &device));
        let other = published("dev/c3", "c4", Some("bob"));
        assert!(!source_may_publish(|_| Some(&security), &other));
    }

    /// With `per_listener_settings true`, a publisher whose listener is gone is denied, as in
    /// mosquitto; the broker's own messages still pass.
    #[test]
    fn a_publisher_without_its_listener_is_denied() {
        let alice = published("room/a", "c1", Some("alice"));
        let mut asked = None;
        assert!(!source_may_publish(
            |port| {
                asked = Some(port);
                None
            },
            &alice
        ));
        assert_eq!(asked, Some(1883));
        let broker = Message {
            origin: None,
            ..published("room/b", "", None)
        };
        assert!(source_may_publish(|_| None, &broker));
    }

    #[test]
    fn without_an_acl_file_every_source_passes() {
        let security = Security::default();
        let msg = published("t", "c", Some("x"));
        assert!(source_may_publish(|_| Some(&security), &msg));
    }
}
