//! Retained messages in a trie of topic levels, so a SUBSCRIBE walks only the branches its
//! filter can reach instead of every retained topic.

use super::tree::split;
use std::collections::HashMap;

/// The last retained value per topic.
pub struct Retained<T> {
    root: Node<T>,
    len: usize,
}

struct Node<T> {
    children: HashMap<Box<str>, Node<T>>,
    value: Option<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            children: HashMap::new(),
            value: None,
        }
    }
}

impl<T> Default for Retained<T> {
    fn default() -> Self {
        Retained {
            root: Node::default(),
            len: 0,
        }
    }
}

impl<T: Clone> Retained<T> {
    /// Number of retained topics.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Replaces the value of `topic`, or clears it (pruning empty branches) with `None`.
    pub fn set(&mut self, topic: &str, value: Option<T>) {
        match value {
            Some(value) => {
                let mut node = &mut self.root;
                for level in topic.split('/') {
                    node = node.children.entry(level.into()).or_default();
                }
                if node.value.replace(value).is_none() {
                    self.len += 1;
                }
            }
            None => {
                if clear(&mut self.root, topic) {
                    self.len -= 1;
                }
            }
        }
    }

    /// Appends every value, `$` topics included, to `out`.
    pub fn all(&self, out: &mut Vec<T>) {
        collect_all(&self.root, out);
    }

    /// Appends every value whose topic matches `filter` to `out`.
    pub fn matching(&self, filter: &str, out: &mut Vec<T>) {
        collect(&self.root, Some(filter), true, out);
    }
}

fn clear<T>(node: &mut Node<T>, rest: &str) -> bool {
    let (level, next) = split(rest);
    let Some(child) = node.children.get_mut(level) else {
        return false;
    };
    let cleared = match next {
        Some(next) => clear(child, next),
        None => child.value.take().is_some(),
    };
    if child.value.is_none() && child.children.is_empty() {
        node.children.remove(level);
    }
    cleared
}

fn collect<T: Clone>(node: &Node<T>, rest: Option<&str>, root: bool, out: &mut Vec<T>) {
    let Some(rest) = rest else {
        out.extend(node.value.clone());
        return;
    };
    let (level, next) = split(rest);
    // Wildcards at the first level never reach `$` topics (MQTT 4.7.2).
    let visible = |name: &str| !(root && name.starts_with('$'));
    match level {
        "#" => {
            out.extend(node.value.clone().filter(|_| !root));
            for (name, child) in &node.children {
                if visible(name) {
                    collect_all(child, out);
                }
            }
        }
        "+" => {
            for (name, child) in &node.children {
                if visible(name) {
                    collect(child, next, false, out);
                }
            }
        }
        _ => {
            if let Some(child) = node.children.get(level) {
                collect(child, next, false, out);
            }
        }
    }
}

fn collect_all<T: Clone>(node: &Node<T>, out: &mut Vec<T>) {
    out.extend(node.value.clone());
    for child in node.children.values() {
        collect_all(child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(topics: &[&str]) -> Retained<String> {
        let mut r = Retained::default();
        for t in topics {
            r.set(t, Some(t.to_string()));
        }
        r
    }

    fn found(r: &Retained<String>, filter: &str) -> Vec<String> {
        let mut out = Vec::new();
        r.matching(filter, &mut out);
        out.sort();
        out
    }

    #[test]
    fn finds_topics_by_filter() {
        let topics = ["a", "a/b", "a/b/c", "a/x", "$SYS/up", "/", "b//c"];
        let r = store(&topics);
        for filter in [
            "#", "a/#", "a/+", "+", "+/+", "$SYS/#", "+/up", "b/+/c", "a/b", "/#",
        ] {
            let mut expected: Vec<String> = topics
                .iter()
                .filter(|t| crate::topic::matches(filter, t))
                .map(|t| t.to_string())
                .collect();
            expected.sort();
            assert_eq!(found(&r, filter), expected, "{filter}");
        }
    }

    #[test]
    fn replaces_and_clears() {
        let mut r = store(&["a/b", "a/b/c"]);
        r.set("a/b", Some("new".into()));
        assert_eq!(r.len(), 2);
        assert_eq!(found(&r, "a/b"), ["new"]);
        r.set("a/b/c", None);
        r.set("nothing/here", None);
        assert_eq!(r.len(), 1);
        assert_eq!(found(&r, "#"), ["new"]);
        r.set("a/b", None);
        assert_eq!(r.len(), 0);
        assert!(r.root.children.is_empty());
    }
}
