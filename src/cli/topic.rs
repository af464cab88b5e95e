//! Topic name and topic filter syntax, checked before connecting as mosquitto's clients do:
//! [`crate::topic`]'s rules, but the empty string passes (the broker then says what it thinks).

/// A topic to publish to.
pub fn is_valid_name(topic: &str) -> bool {
    topic.is_empty() || crate::topic::is_name(topic)
}

/// A filter to subscribe to.
pub fn is_valid_filter(filter: &str) -> bool {
    filter.is_empty() || crate::topic::is_filter(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_string_passes_as_in_mosquittos_clients() {
        assert!(is_valid_name("") && is_valid_filter(""));
        assert!(is_valid_name("a/b") && !is_valid_name("a/+"));
        assert!(is_valid_filter("a/+/#") && !is_valid_filter("a/#/b"));
    }
}
