//! The subscription trie: one node per topic level, so a PUBLISH visits only the branches its
//! topic can match (its own levels, `+` and `#`) instead of every subscription.
//!
//! Values are keyed by client id, so a client re-subscribing to a filter replaces its options.
//! Shared subscriptions (`$share/group/filter`) live in the node of their filter, one group
//! per name, and a match picks one member of each group in turn.

use crate::topic::trie::{Slot, Trie};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

/// A client identifier, shared between the session map and the trie.
pub type ClientId = Arc<str>;

/// Subscribers by topic filter.
pub struct Tree<V> {
    trie: Trie<Subscribers<V>>,
    len: usize,
}

/// The subscriptions to one filter.
struct Subscribers<V> {
    plain: HashMap<ClientId, V>,
    groups: HashMap<Box<str>, Group<V>>,
}

/// The members of one shared subscription group, served round-robin. The turn is a `Cell`
/// so that matching, which moves it, reads the trie without borrowing it mutably.
struct Group<V> {
    members: Vec<(ClientId, V)>,
    next: Cell<usize>,
}

impl<V> Default for Subscribers<V> {
    fn default() -> Self {
        Subscribers {
            plain: HashMap::new(),
            groups: HashMap::new(),
        }
    }
}

impl<V> Slot for Subscribers<V> {
    fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.groups.is_empty()
    }
}

impl<V> Default for Tree<V> {
    fn default() -> Self {
        Tree {
            trie: Trie::default(),
            len: 0,
        }
    }
}

impl<V> Tree<V> {
    /// Number of subscriptions, shared ones counted per member.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Adds or replaces `client`'s subscription to `filter` (in shared `group` if given);
    /// returns the options it replaced.
    pub fn insert(
        &mut self,
        filter: &str,
        group: Option<&str>,
        client: ClientId,
        value: V,
    ) -> Option<V> {
        let here = self.trie.slot_mut(filter);
        let old = match group {
            None => here.plain.insert(client, value),
            Some(name) => {
                let group = here.groups.entry(name.into()).or_insert_with(|| Group {
                    members: Vec::new(),
                    next: Cell::new(0),
                });
                match group.members.iter_mut().find(|(c, _)| *c == client) {
                    Some(member) => Some(std::mem::replace(&mut member.1, value)),
                    None => {
                        group.members.push((client, value));
                        None
                    }
                }
            }
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `client`'s subscription to `filter`, pruning emptied nodes.
    pub fn remove(&mut self, filter: &str, group: Option<&str>, client: &str) -> Option<V> {
        let removed = self
            .trie
            .update(filter, |here| here.remove(group, client))
            .flatten();
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Calls `found` for every subscription matching `topic`: each plain subscriber, and one
    /// member per shared group, preferring members for which `available` is true.
    pub fn for_each_match(
        &self,
        topic: &str,
        available: impl Fn(&V) -> bool,
        mut found: impl FnMut(&ClientId, &V),
    ) {
        self.trie
            .filters_matching(topic, |here| here.emit(&available, &mut found));
    }
}

impl<V> Subscribers<V> {
    fn remove(&mut self, group: Option<&str>, client: &str) -> Option<V> {
        let Some(name) = group else {
            return self.plain.remove(client);
        };
        let members = &mut self.groups.get_mut(name)?.members;
        let index = members.iter().position(|(c, _)| &**c == client)?;
        let (_, value) = members.remove(index);
        if members.is_empty() {
            self.groups.remove(name);
        }
        Some(value)
    }

    fn emit(&self, available: &impl Fn(&V) -> bool, found: &mut impl FnMut(&ClientId, &V)) {
        for (client, value) in &self.plain {
            found(client, value);
        }
        for group in self.groups.values() {
            let n = group.members.len();
            let next = group.next.get();
            let pick = (0..n)
                .map(|i| (next + i) % n)
                .find(|&i| available(&group.members[i].1))
                .unwrap_or(next % n);
            group.next.set((pick + 1) % n);
            let (client, value) = &group.members[pick];
            found(client, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(filters: &[&str]) -> Tree<u8> {
        let mut tree = Tree::default();
        for (i, f) in filters.iter().enumerate() {
            tree.insert(f, None, format!("c{i}").into(), i as u8);
        }
        tree
    }

    fn matched(tree: &Tree<u8>, topic: &str) -> Vec<u8> {
        let mut out = Vec::new();
        tree.for_each_match(topic, |_| true, |_, &v| out.push(v));
        out.sort();
        out
    }

    #[test]
    fn matches_the_spec_examples() {
        use crate::topic::{MATCHING, NOT_MATCHING};
        for (filter, topic) in MATCHING {
            assert_eq!(matched(&tree(&[filter]), topic), [0], "{filter} ~ {topic}");
        }
        for (filter, topic) in NOT_MATCHING {
            let found = matched(&tree(&[filter]), topic);
            assert!(found.is_empty(), "{filter} !~ {topic}");
        }
    }

    #[test]
    fn replaces_removes_and_prunes() {
        let mut t: Tree<u8> = Tree::default();
        assert_eq!(t.insert("a/b", None, "x".into(), 1), None);
        assert_eq!(t.insert("a/b", None, "x".into(), 2), Some(1));
        assert_eq!(t.len(), 1);
        assert_eq!(matched(&t, "a/b"), [2]);
        assert_eq!(t.remove("a/b", None, "y"), None);
        assert_eq!(t.remove("a/b", None, "x"), Some(2));
        assert_eq!(t.len(), 0);
        assert!(t.trie.is_empty());
    }

    #[test]
    fn shared_groups_deliver_once_each_in_turn() {
        let mut t: Tree<u8> = Tree::default();
        t.insert("a/+", Some("g"), "x".into(), 1);
        t.insert("a/+", Some("g"), "y".into(), 2);
        t.insert("a/#", Some("h"), "z".into(), 3);
        t.insert("a/b", None, "w".into(), 4);
        assert_eq!(matched(&t, "a/b"), [1, 3, 4]);
        assert_eq!(matched(&t, "a/b"), [2, 3, 4]);
        // An unavailable member is skipped while another can take the message.
        let mut out = Vec::new();
        for _ in 0..3 {
            t.for_each_match("a/c", |&v| v != 1, |_, &v| out.push(v));
        }
        assert_eq!(out.iter().filter(|&&v| v == 1).count(), 0);
        assert_eq!(t.remove("a/+", Some("g"), "x"), Some(1));
        assert_eq!(t.remove("a/+", Some("g"), "y"), Some(2));
        assert_eq!(matched(&t, "a/b"), [3, 4]);
    }
}
