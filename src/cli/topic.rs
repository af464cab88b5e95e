//! Topic name and topic filter syntax, checked before connecting as mosquitto does.

/// MQTT strings are length-prefixed with 16 bits.
const MAX_LEN: usize = u16::MAX as usize;

/// A topic to publish to: no wildcards (mosquitto accepts the empty topic here).
pub fn is_valid_name(topic: &str) -> bool {
    topic.len() <= MAX_LEN && !topic.contains(['+', '#'])
}

/// A filter to subscribe to: `+` fills a whole level, `#` a whole and last level.
pub fn is_valid_filter(filter: &str) -> bool {
    let levels: Vec<&str> = filter.split('/').collect();
    filter.len() <= MAX_LEN
        && levels.iter().enumerate().all(|(i, level)| match *level {
            "+" => true,
            "#" => i == levels.len() - 1,
            _ => !level.contains(['+', '#']),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_name("a/b"));
        assert!(is_valid_name(""));
        assert!(!is_valid_name("a/+"));
        assert!(!is_valid_name("a#"));
    }

    #[test]
    fn filters() {
        for ok in ["#", "+", "a/+/#", "+/+", "$share/g/a", ""] {
            assert!(is_valid_filter(ok), "{ok}");
        }
        for bad in ["a#", "+a", "#/a", "a/#/b", "a/b+"] {
            assert!(!is_valid_filter(bad), "{bad}");
        }
    }
}
