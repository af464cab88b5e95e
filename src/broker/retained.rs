//! Retained messages in a trie of topic levels, so a SUBSCRIBE walks only the branches its
//! filter can reach instead of every retained topic.

use crate::topic::trie::Trie;

/// The last retained value per topic.
pub struct Retained<T> {
    trie: Trie<Option<T>>,
    len: usize,
}

impl<T> Default for Retained<T> {
    fn default() -> Self {
        Retained {
            trie: Trie::default(),
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
                if self.trie.slot_mut(topic).replace(value).is_none() {
                    self.len += 1;
                }
            }
            None => {
                if let Some(Some(_)) = self.trie.update(topic, Option::take) {
                    self.len -= 1;
                }
            }
        }
    }

    /// Appends every value, `$` topics included, to `out`.
    pub fn all(&self, out: &mut Vec<T>) {
        self.trie.for_each(|value| out.extend(value.clone()));
    }

    /// Appends every value whose topic matches `filter` to `out`.
    pub fn matching(&self, filter: &str, out: &mut Vec<T>) {
        self.trie
            .topics_matching(filter, |value| out.extend(value.clone()));
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
        assert!(r.trie.is_empty());
    }
}
