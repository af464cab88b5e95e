//! MQTT 5 topic aliases (section 3.3.2.3.4): the table of aliases the peer set up on one
//! connection, used by the clients for the broker's and by the broker for a client's.

use std::collections::HashMap;

/// Why a PUBLISH's alias cannot be resolved.
#[derive(Debug, PartialEq, Eq)]
pub enum AliasError {
    /// 0 or above the Topic Alias Maximum we announced: DISCONNECT 0x94.
    OutOfRange(u16),
    /// An empty topic with an alias never set up: DISCONNECT 0x82.
    Unknown(u16),
}

impl std::fmt::Display for AliasError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AliasError::OutOfRange(alias) => write!(f, "topic alias {alias} invalid"),
            AliasError::Unknown(alias) => write!(f, "unknown topic alias {alias}"),
        }
    }
}

/// The aliases one side of a connection has set up; boxed and allocated at the first, as
/// most connections never use one and the broker keeps one table per connection.
#[derive(Debug, Default)]
pub struct Aliases {
    #[allow(clippy::box_collection)] // 8 bytes in every connection instead of 48
    topics: Option<Box<HashMap<u16, String>>>,
}

impl Aliases {
    /// Applies `alias` (the PUBLISH's Topic Alias property) to `topic`: a named topic
    /// (re)defines the alias, an empty one takes the topic the alias stands for. `max` is the
    /// Topic Alias Maximum we announced.
    pub fn resolve(
        &mut self,
        topic: &mut String,
        alias: Option<u16>,
        max: u16,
    ) -> Result<(), AliasError> {
        let Some(alias) = alias else {
            return Ok(());
        };
        if alias == 0 || alias > max {
            return Err(AliasError::OutOfRange(alias));
        }
        if !topic.is_empty() {
            let topics = self.topics.get_or_insert_with(Box::default);
            topics.insert(alias, topic.clone());
            return Ok(());
        }
        match self.topics.as_ref().and_then(|t| t.get(&alias)) {
            Some(known) => topic.clone_from(known),
            None => return Err(AliasError::Unknown(alias)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_up_fills_in_and_refuses() {
        let mut aliases = Aliases::default();
        let mut named = String::from("a/b");
        assert_eq!(aliases.resolve(&mut named, Some(3), 10), Ok(()));
        let mut empty = String::new();
        assert_eq!(aliases.resolve(&mut empty, Some(3), 10), Ok(()));
        assert_eq!(empty, "a/b");
        let mut plain = String::from("c");
        assert_eq!(aliases.resolve(&mut plain, None, 0), Ok(()));
        assert_eq!(
            aliases.resolve(&mut String::new(), Some(4), 10),
            Err(AliasError::Unknown(4))
        );
        for bad in [0, 11] {
            assert_eq!(
                aliases.resolve(&mut String::from("x"), Some(bad), 10),
                Err(AliasError::OutOfRange(bad))
            );
        }
    }
}
