//! mosquitto's `acl_file`: which topics a client may publish to (write) and receive (read).
//!
//! Semantics follow mosquitto 2.0: the rules before any `user` line are for anonymous clients,
//! those after `user NAME` for that user; `pattern` rules (with `%c`/`%u` substituted) apply
//! to everyone after their own rules. Within each list `deny` wins over grants, and a topic
//! nothing grants is denied. As in mosquitto 2.0, every subscription is granted: messages are
//! checked against the read rules one by one on delivery.
//!
//! A client's patterns are expanded once ([`Acl::expand`]) and kept by its connection, so
//! the checks made for every message allocate nothing.

use crate::topic::matches;
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::path::Path;

/// The client a check is about.
#[derive(Clone, Copy, Debug)]
pub struct AclClient<'a> {
    pub client_id: &'a str,
    pub username: Option<&'a str>,
}

/// What a rule grants; `deny` grants neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Access {
    read: bool,
    write: bool,
}

const DENY: Access = Access {
    read: false,
    write: false,
};

#[derive(Debug)]
struct Rule {
    filter: String,
    access: Access,
}

/// One client's `pattern` rules with `%c` and `%u` filled in (see [`Acl::expand`]).
#[derive(Debug, Default)]
pub struct Patterns(Vec<Rule>);

/// A parsed ACL file.
#[derive(Debug, Default)]
pub struct Acl {
    anonymous: Vec<Rule>,
    users: HashMap<String, Vec<Rule>>,
    patterns: Vec<Rule>,
}

impl Acl {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Acl> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read ACL file {}", path.display()))?;
        Acl::parse(&text).with_context(|| format!("{}", path.display()))
    }

    /// Parses file text; an unknown keyword or a bad filter fails the whole file.
    pub fn parse(text: &str) -> anyhow::Result<Acl> {
        let mut acl = Acl::default();
        let mut user: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (keyword, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
            let rest = rest.trim();
            let context = || format!("line {}: {line}", n + 1);
            match keyword {
                "user" if !rest.is_empty() => user = Some(rest.to_string()),
                "topic" => {
                    let rule = parse_rule(rest).with_context(context)?;
                    match &user {
                        Some(name) => acl.users.entry(name.clone()).or_default().push(rule),
                        None => acl.anonymous.push(rule),
                    }
                }
                "pattern" => acl.patterns.push(parse_rule(rest).with_context(context)?),
                _ => bail!("{}: expected user, topic or pattern", context()),
            }
        }
        acl.anonymous.sort_by_key(|r| r.access != DENY);
        acl.patterns.sort_by_key(|r| r.access != DENY);
        for rules in acl.users.values_mut() {
            rules.sort_by_key(|r| r.access != DENY);
        }
        Ok(acl)
    }

    /// `client`'s patterns, expanded for the checks below; none for a client whose id or
    /// username has a wildcard, and none that use `%u` for a client without a username.
    pub fn expand(&self, client: &AclClient<'_>) -> Patterns {
        if dangerous(client) {
            return Patterns::default();
        }
        let rules = self.patterns.iter().filter_map(|r| {
            let filter = substitute(&r.filter, client)?;
            Some(Rule {
                filter,
                access: r.access,
            })
        });
        Patterns(rules.collect())
    }

    /// May `client`, whose patterns are `patterns`, publish to `topic`?
    pub fn can_write(&self, client: &AclClient<'_>, patterns: &Patterns, topic: &str) -> bool {
        self.allows(
            client,
            patterns,
            |a| a.write,
            |filter| matches(filter, topic),
        )
    }

    /// May `client` receive a message published to `topic`?
    pub fn can_read(&self, client: &AclClient<'_>, patterns: &Patterns, topic: &str) -> bool {
        self.allows(
            client,
            patterns,
            |a| a.read,
            |filter| matches(filter, topic),
        )
    }

    /// The client's own rules decide first, then its patterns.
    fn allows(
        &self,
        client: &AclClient<'_>,
        patterns: &Patterns,
        grants: impl Fn(Access) -> bool,
        applies: impl Fn(&str) -> bool,
    ) -> bool {
        let own = match client.username {
            Some(name) => self.users.get(name),
            None => Some(&self.anonymous),
        };
        let own = own.map(Vec::as_slice).unwrap_or_default();
        decide(own, &grants, &applies)
            .or_else(|| decide(&patterns.0, &grants, &applies))
            .unwrap_or(false)
    }
}

/// The verdict of one deny-first list: `Some(false)` on a matching deny, `Some(true)` on a
/// matching grant, `None` when nothing in the list matches.
fn decide(
    rules: &[Rule],
    grants: impl Fn(Access) -> bool,
    applies: impl Fn(&str) -> bool,
) -> Option<bool> {
    for rule in rules {
        if !applies(&rule.filter) {
            continue;
        }
        if rule.access == DENY {
            return Some(false);
        }
        if grants(rule.access) {
            return Some(true);
        }
    }
    None
}

/// A client id or username with a wildcard could widen a pattern: mosquitto refuses them.
fn dangerous(client: &AclClient<'_>) -> bool {
    let wild = |s: &str| s.contains(['+', '#']);
    wild(client.client_id) || client.username.is_some_and(wild)
}

/// The pattern with `%c` and `%u` filled in; `None` for `%u` when the client has no username.
fn substitute(pattern: &str, client: &AclClient<'_>) -> Option<String> {
    let filter = pattern.replace("%c", client.client_id);
    match (filter.contains("%u"), client.username) {
        (false, _) => Some(filter),
        (true, Some(name)) => Some(filter.replace("%u", name)),
        (true, None) => None,
    }
}

/// `[read|write|readwrite|deny] FILTER`; without an access word the rule is readwrite.
fn parse_rule(rest: &str) -> anyhow::Result<Rule> {
    let (first, filter) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
    let (read, write) = (true, true);
    let (access, filter) = match (first, filter.trim_start()) {
        ("read", f) if !f.is_empty() => (Access { read, write: false }, f),
        ("write", f) if !f.is_empty() => (Access { read: false, write }, f),
        ("readwrite", f) if !f.is_empty() => (Access { read, write }, f),
        ("deny", f) if !f.is_empty() => (DENY, f),
        _ => (Access { read, write }, rest),
    };
    if !crate::topic::is_filter(filter) {
        bail!("invalid topic filter {filter:?}");
    }
    Ok(Rule {
        filter: filter.to_string(),
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# anonymous clients
topic read public/#

user alice
topic readwrite alice/#
topic deny alice/secret
topic write shared/in
topic read shared/+

user bob
topic shared/#

pattern readwrite clients/%c/#
pattern read users/%u/inbox
";

    fn who<'a>(client_id: &'a str, username: Option<&'a str>) -> AclClient<'a> {
        AclClient {
            client_id,
            username,
        }
    }

    #[test]
    fn anonymous_rules_come_before_any_user() {
        let acl = Acl::parse(FILE).unwrap();
        let anon = who("c1", None);
        assert!(acl.can_read(&anon, &acl.expand(&anon), "public/news"));
        assert!(!acl.can_write(&anon, &acl.expand(&anon), "public/news"));
        assert!(!acl.can_read(&anon, &acl.expand(&anon), "alice/x"));
        assert!(acl.can_read(&anon, &acl.expand(&anon), "clients/c1/x"));
        // %u never matches an anonymous client.
        assert!(!acl.can_read(&anon, &acl.expand(&anon), "users//inbox"));
    }

    #[test]
    fn user_rules_with_deny_first() {
        let acl = Acl::parse(FILE).unwrap();
        let alice = who("c2", Some("alice"));
        assert!(acl.can_write(&alice, &acl.expand(&alice), "alice/a/b"));
        assert!(acl.can_read(&alice, &acl.expand(&alice), "alice"));
        assert!(!acl.can_read(&alice, &acl.expand(&alice), "alice/secret"));
        assert!(!acl.can_write(&alice, &acl.expand(&alice), "alice/secret"));
        assert!(acl.can_write(&alice, &acl.expand(&alice), "shared/in"));
        assert!(!acl.can_read(&alice, &acl.expand(&alice), "shared/in/deeper"));
        assert!(acl.can_read(&alice, &acl.expand(&alice), "shared/in"));
        assert!(!acl.can_write(&alice, &acl.expand(&alice), "shared/out"));
        assert!(!acl.can_read(&alice, &acl.expand(&alice), "public/news"));
        let bob = who("c3", Some("bob"));
        assert!(acl.can_write(&bob, &acl.expand(&bob), "shared/x/y"));
        assert!(!acl.can_write(&bob, &acl.expand(&bob), "alice/x"));
    }

    #[test]
    fn patterns_substitute_client_id_and_username() {
        let acl = Acl::parse(FILE).unwrap();
        let carol = who("dev7", Some("carol"));
        assert!(acl.can_write(&carol, &acl.expand(&carol), "clients/dev7/status"));
        assert!(!acl.can_write(&carol, &acl.expand(&carol), "clients/dev8/status"));
        assert!(acl.can_read(&carol, &acl.expand(&carol), "users/carol/inbox"));
        assert!(!acl.can_write(&carol, &acl.expand(&carol), "users/carol/inbox"));
        assert!(!acl.can_read(&carol, &acl.expand(&carol), "users/dave/inbox"));
        // A wildcard in the client id must not widen the pattern.
        for wild in [who("#", Some("carol")), who("x", Some("+"))] {
            assert!(acl.expand(&wild).0.is_empty(), "{wild:?}");
        }
        let hash = who("#", Some("carol"));
        assert!(!acl.can_read(&hash, &acl.expand(&hash), "clients/x/y"));
    }

    #[test]
    fn users_without_rules_only_get_patterns() {
        let acl = Acl::parse(FILE).unwrap();
        let eve = who("e", Some("eve"));
        assert!(!acl.can_read(&eve, &acl.expand(&eve), "public/news"));
        assert!(acl.can_read(&eve, &acl.expand(&eve), "users/eve/inbox"));
        let empty = Acl::parse("").unwrap();
        assert!(!empty.can_read(&eve, &empty.expand(&eve), "x"));
    }

    #[test]
    fn filters_may_contain_spaces_and_bad_lines_fail() {
        let acl = Acl::parse("topic read a b/c\ntopic read").unwrap();
        let anon = who("c", None);
        assert!(acl.can_read(&anon, &acl.expand(&anon), "a b/c"));
        assert!(acl.can_write(&anon, &acl.expand(&anon), "read"));
        for bad in [
            "topic a/#/b",
            "topic read a+",
            "topics x",
            "user",
            "pattern",
        ] {
            assert!(Acl::parse(bad).is_err(), "{bad}");
        }
    }
}
