//! A trie of topic levels: the one structure behind the broker's subscriptions (a trie of
//! filters, searched with a topic) and its retained store (a trie of topics, searched with a
//! filter), so a message or a SUBSCRIBE visits only the branches it can match.
//!
//! Every walk, and dropping a branch, loops over an explicit stack instead of recursing: a
//! peer controls how deep a path goes, and no depth may reach the thread's stack
//! (CVE-2019-11779 was that bug in mosquitto).

use std::collections::HashMap;

/// What a node holds; an empty slot with no children is pruned.
pub trait Slot: Default {
    fn is_empty(&self) -> bool;
}

impl<T> Slot for Option<T> {
    fn is_empty(&self) -> bool {
        self.is_none()
    }
}

/// Slots keyed by topic path, one node per level.
pub struct Trie<T> {
    root: Node<T>,
}

struct Node<T> {
    children: HashMap<Box<str>, Node<T>>,
    slot: T,
}

impl<T: Default> Default for Node<T> {
    fn default() -> Self {
        Node {
            children: HashMap::new(),
            slot: T::default(),
        }
    }
}

impl<T> Drop for Node<T> {
    /// Frees the branch below one node at a time, so a deep chain cannot recurse.
    fn drop(&mut self) {
        let mut stack: Vec<Node<T>> = self.children.drain().map(|(_, n)| n).collect();
        while let Some(mut node) = stack.pop() {
            stack.extend(node.children.drain().map(|(_, n)| n));
        }
    }
}

impl<T: Slot> Default for Trie<T> {
    fn default() -> Self {
        Trie {
            root: Node::default(),
        }
    }
}

impl<T: Slot> Trie<T> {
    /// True when nothing is stored.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.root.children.is_empty() && self.root.slot.is_empty()
    }

    /// The slot of `path`, created with its branch when missing.
    pub fn slot_mut(&mut self, path: &str) -> &mut T {
        let mut node = &mut self.root;
        for level in path.split('/') {
            node = node.children.entry(level.into()).or_default();
        }
        &mut node.slot
    }

    /// Applies `change` to the slot of `path` if it exists, then prunes the branch it leaves
    /// empty; `None` when there is no such path.
    pub fn update<R>(&mut self, path: &str, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut node = &mut self.root;
        for level in path.split('/') {
            node = node.children.get_mut(level)?;
        }
        let result = change(&mut node.slot);
        self.prune(path);
        Some(result)
    }

    /// Removes the longest chain of empty, single-child nodes that ends at `path`.
    fn prune(&mut self, path: &str) {
        let levels: Vec<&str> = path.split('/').collect();
        let mut cut = None;
        let mut node = &self.root;
        for (depth, level) in levels.iter().enumerate() {
            let Some(child) = node.children.get(*level) else {
                return;
            };
            let onward = usize::from(depth + 1 < levels.len());
            if child.slot.is_empty() && child.children.len() == onward {
                cut = cut.or(Some(depth));
            } else {
                cut = None;
            }
            node = child;
        }
        let Some(cut) = cut else { return };
        let mut parent = &mut self.root;
        for level in &levels[..cut] {
            match parent.children.get_mut(*level) {
                Some(child) => parent = child,
                None => return,
            }
        }
        parent.children.remove(levels[cut]);
    }

    /// Calls `visit` with each slot whose path, read as a filter, matches `topic`, in
    /// depth-first order: `#` before `+` before the literal level.
    pub fn filters_matching(&self, topic: &str, mut visit: impl FnMut(&T)) {
        let mut deferred = Vec::new();
        let mut next = Some((&self.root, Some(topic), true));
        while let Some((node, rest, first)) = next.take().or_else(|| deferred.pop()) {
            let Some(rest) = rest else {
                visit(&node.slot);
                // `a/#` also matches `a` itself (MQTT 4.7.1.2).
                if let Some(hash) = node.children.get("#") {
                    visit(&hash.slot);
                }
                continue;
            };
            let (level, after) = split(rest);
            let literal = node.children.get(level).map(|c| (c, after, false));
            // Filters starting with a wildcard never match `$` topics (MQTT 4.7.2).
            if first && level.starts_with('$') {
                next = literal;
                continue;
            }
            if let Some(hash) = node.children.get("#") {
                visit(&hash.slot);
            }
            match node.children.get("+") {
                Some(plus) => {
                    deferred.extend(literal);
                    next = Some((plus, after, false));
                }
                None => next = literal,
            }
        }
    }

    /// Calls `visit` with each slot whose path, read as a topic, matches `filter`.
    pub fn topics_matching(&self, filter: &str, mut visit: impl FnMut(&T)) {
        let mut stack = vec![(&self.root, Some(filter), true)];
        while let Some((node, rest, root)) = stack.pop() {
            let Some(rest) = rest else {
                visit(&node.slot);
                continue;
            };
            let (level, after) = split(rest);
            // Wildcards at the first level never reach `$` topics (MQTT 4.7.2).
            let visible = |name: &str| !(root && name.starts_with('$'));
            match level {
                "#" => {
                    if !root {
                        visit(&node.slot);
                    }
                    for (_, child) in node.children.iter().filter(|(n, _)| visible(n)) {
                        each_below(child, &mut visit);
                    }
                }
                "+" => stack.extend(
                    node.children
                        .iter()
                        .filter(|(n, _)| visible(n))
                        .map(|(_, child)| (child, after, false)),
                ),
                _ => stack.extend(node.children.get(level).map(|c| (c, after, false))),
            }
        }
    }

    /// Calls `visit` with every slot.
    pub fn for_each(&self, mut visit: impl FnMut(&T)) {
        each_below(&self.root, &mut visit);
    }
}

fn each_below<T>(node: &Node<T>, visit: &mut impl FnMut(&T)) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        visit(&node.slot);
        stack.extend(node.children.values());
    }
}

/// The first level of `rest` and what follows it (`None` after the last level).
fn split(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once('/') {
        Some((level, next)) => (level, Some(next)),
        None => (rest, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie(paths: &[&str]) -> Trie<Option<usize>> {
        let mut t = Trie::default();
        for (i, p) in paths.iter().enumerate() {
            *t.slot_mut(p) = Some(i);
        }
        t
    }

    #[test]
    fn both_searches_agree_with_the_linear_matcher() {
        let filters = [
            "#", "a/#", "a/+", "+/b", "a/b", "+/+/c", "a/b/#", "$SYS/#", "+", "/+", "+/#",
        ];
        let topics = [
            "a", "a/b", "a/b/c", "x/b", "$SYS/x", "a//c", "/", "/x", "$SYS",
        ];
        let by_filter = trie(&filters);
        let by_topic = trie(&topics);
        for topic in topics {
            let mut got = Vec::new();
            by_filter.filters_matching(topic, |s| got.extend(*s));
            got.sort();
            let want: Vec<usize> = (0..filters.len())
                .filter(|&i| super::super::matches(filters[i], topic))
                .collect();
            assert_eq!(got, want, "filters matching {topic}");
        }
        for filter in filters {
            let mut got = Vec::new();
            by_topic.topics_matching(filter, |s| got.extend(*s));
            got.sort();
            let want: Vec<usize> = (0..topics.len())
                .filter(|&i| super::super::matches(filter, topics[i]))
                .collect();
            assert_eq!(got, want, "topics matching {filter}");
        }
    }

    #[test]
    fn a_stored_topic_is_found_by_the_spec_examples() {
        use crate::topic::{MATCHING, NOT_MATCHING};
        for (filter, topic) in MATCHING.iter().chain(NOT_MATCHING) {
            let mut found = 0;
            trie(&[topic]).topics_matching(filter, |s| found += s.is_some() as usize);
            let want = MATCHING.contains(&(filter, topic)) as usize;
            assert_eq!(found, want, "{filter} ~ {topic}");
        }
    }

    #[test]
    fn update_prunes_only_what_it_emptied() {
        let mut t = trie(&["a/b/c/d", "a/x"]);
        assert_eq!(t.update("a/b/c", |s| s.take()), Some(None));
        assert_eq!(t.update("a/b/c/d", |s| s.take()), Some(Some(0)));
        assert!(!t.root.children["a"].children.contains_key("b"));
        assert_eq!(t.update("a/b", |s| s.take()), None);
        assert_eq!(t.update("a/x", |s| s.take()), Some(Some(1)));
        assert!(t.is_empty());
    }

    #[test]
    fn a_path_of_100_000_levels_is_stored_found_and_freed() {
        let deep = "/".repeat(99_999);
        let mut t = trie(&[&deep, "#"]);
        let mut hits = 0;
        t.filters_matching(&deep, |s| hits += s.is_some() as usize);
        assert_eq!(hits, 2);
        let mut all = 0;
        t.topics_matching("#", |s| all += s.is_some() as usize);
        assert_eq!(all, 2);
        let plus = vec!["+"; 100_000].join("/");
        let mut found = 0;
        t.topics_matching(&plus, |s| found += s.is_some() as usize);
        assert_eq!(found, 1);
        assert_eq!(t.update(&deep, |s| s.take()), Some(Some(0)));
        assert_eq!(t.root.children.len(), 1);
        *t.slot_mut(&deep) = Some(2);
        drop(t);
    }
}
