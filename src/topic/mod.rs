//! Topics and topic filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7): which strings are valid names
//! and filters, how a filter matches a topic, how deep the broker lets them go, and the trie
//! the broker searches them in.

pub mod alias;
pub mod trie;

/// The most `/` separators the broker accepts in a topic or filter, as mosquitto's
/// `TOPIC_HIERARCHY_LIMIT` counts them (so 201 levels pass, 202 do not). Clients take any
/// depth, since other brokers may send it.
pub const HIERARCHY_LIMIT: usize = 200;

/// True when `path` has more levels than the broker takes ([`HIERARCHY_LIMIT`]).
pub fn too_deep(path: &str) -> bool {
    path.bytes().filter(|&b| b == b'/').count() > HIERARCHY_LIMIT
}

/// MQTT strings carry a 16-bit length: no topic or filter is longer.
pub const MAX_LEN: usize = u16::MAX as usize;

/// True for a topic name a PUBLISH may carry: non-empty, no wildcards, no NUL, and short
/// enough for an MQTT string. The one rule for names: the codec, the broker's files and the
/// CLI (which lets the empty name through, as mosquitto's clients do) all ask here.
pub fn is_name(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0']) && topic.len() <= MAX_LEN
}

/// True for a topic filter: non-empty, no NUL, `+` fills a whole level and `#` a whole last
/// level, short enough for an MQTT string.
pub fn is_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') || filter.len() > MAX_LEN {
        return false;
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let ok = match level {
            "+" => true,
            "#" => levels.peek().is_none(),
            _ => !level.contains(['+', '#']),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// True when `topic` matches `filter`. Wildcards do not match a leading `$` level, so
/// `#` does not see `$SYS/...` while `$SYS/#` does (rumqttc's `matches` gets this wrong).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        match (level, topic_levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (l, Some(t)) if l == t => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

/// The spec's matching examples and a few more: (filter, topic) pairs that match, for every
/// matcher's tests (this linear one and the broker's trie).
#[cfg(test)]
pub(crate) const MATCHING: &[(&str, &str)] = &[
    ("sport/tennis/player1/#", "sport/tennis/player1"),
    ("sport/tennis/player1/#", "sport/tennis/player1/ranking"),
    (
        "sport/tennis/player1/#",
        "sport/tennis/player1/score/wimbledon",
    ),
    ("sport/#", "sport"),
    ("#", "a/b"),
    ("+/+", "/finance"),
    ("/+", "/finance"),
    ("sport/+/player1", "sport/tennis/player1"),
    ("sport/+", "sport/"),
    ("+", "a"),
    ("$SYS/#", "$SYS/broker/uptime"),
    ("$SYS/+/uptime", "$SYS/broker/uptime"),
    ("a//b", "a//b"),
    ("+/+/+", "a//b"),
];

/// (filter, topic) pairs that do not match.
#[cfg(test)]
pub(crate) const NOT_MATCHING: &[(&str, &str)] = &[
    ("sport/tennis/+", "sport/tennis/player1/ranking"),
    ("sport/+", "sport"),
    ("+", "/finance"),
    ("#", "$SYS/broker"),
    ("+/broker", "$SYS/broker"),
    ("+/#", "$SYS"),
    ("a/b", "a/b/c"),
    ("a/b/c", "a/b"),
    ("Sport", "sport"),
];

#[cfg(test)]
mod tests {
    use super::{is_filter, is_name, matches, too_deep, MATCHING, NOT_MATCHING};

    #[test]
    fn follows_the_spec_examples() {
        for (f, t) in MATCHING {
            assert!(matches(f, t), "{f} should match {t}");
        }
        for (f, t) in NOT_MATCHING {
            assert!(!matches(f, t), "{f} should not match {t}");
        }
    }

    #[test]
    fn depth_is_counted_in_separators_as_mosquitto_does() {
        assert!(!too_deep(&vec!["a"; 201].join("/")));
        assert!(too_deep(&vec!["a"; 202].join("/")));
        assert!(too_deep(&"/".repeat(65_535)));
    }

    #[test]
    fn tells_names_from_filters() {
        for ok in ["a", "a/b", "/", "$SYS/x", "a b"] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in ["", "a/+", "#", "a\0b", &"a".repeat(65_536)] {
            assert!(!is_name(bad), "{bad:?}");
        }
        for ok in ["#", "+", "a/#", "+/+/b", "/", "a//b", "$share/g/a/#", "+/+"] {
            assert!(is_filter(ok), "{ok}");
        }
        for bad in ["", "a#", "a/#/b", "a+", "+a", "a/b+/c", "#/a", "a\0"] {
            assert!(!is_filter(bad), "{bad:?}");
        }
    }
}
