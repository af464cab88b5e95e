//! The ACL checks a connection makes: before routing a publish, before subscribing, and
//! before delivering each message (so a reloaded ACL also applies to existing subscriptions).
//! The ACL is that of the listener the client came through.

use super::acl::Client;
use super::handler::Handler;

impl Handler {
    /// Who this connection is to the ACL.
    fn acl_client(&self) -> Client<'_> {
        Client {
            client_id: &self.client_id,
            username: self.username.as_deref(),
        }
    }

    /// May this client publish to `topic`?
    pub(super) fn may_publish(&self, topic: &str) -> bool {
        let security = &self.access.security;
        security.authorize(&self.acl_client(), |acl, c| acl.can_write(c, topic))
    }

    /// May this client receive a message published to `topic`?
    pub(super) fn may_receive(&self, topic: &str) -> bool {
        let security = &self.access.security;
        security.authorize(&self.acl_client(), |acl, c| acl.can_read(c, topic))
    }

    /// May this client subscribe to `filter` (without any `$share/GROUP/` prefix)?
    pub(super) fn may_subscribe(&self, filter: &str) -> bool {
        let security = &self.access.security;
        security.authorize(&self.acl_client(), |acl, c| acl.can_subscribe(c, filter))
    }
}
