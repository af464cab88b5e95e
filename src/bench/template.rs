//! Topic templates, emqtt-bench style: `%i` client index, `%c` client id, `%u` username and,
//! in publish topics only, `%s` the message's sequence number.
//!
//! Templates are parsed once at argument time, so a typo fails before any connection and a
//! publisher without `%s` renders its topic once instead of per message.

use crate::cli::topic::{is_valid_filter, is_valid_name};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Index,
    ClientId,
    Username,
    Seq,
}

/// A parsed topic template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// The per-client values a template is filled with.
#[derive(Clone, Copy, Debug)]
pub struct Fill<'a> {
    /// `%i`: index among the clients of its role, from 0.
    pub index: u32,
    /// `%c`.
    pub client_id: &'a str,
    /// `%u`: empty when there is no username.
    pub username: &'a str,
}

impl Template {
    /// A topic to publish to: no wildcards.
    pub fn publish(s: &str) -> Result<Template, String> {
        let t = parse(s)?;
        if !is_valid_name(&t.sample()) || s.is_empty() {
            return Err(format!("Error: invalid publish topic '{s}'"));
        }
        Ok(t)
    }

    /// A filter to subscribe to; `%s` makes no sense there.
    pub fn filter(s: &str) -> Result<Template, String> {
        let t = parse(s)?;
        if t.has_seq() {
            return Err(format!(
                "Error: %s is only allowed in publish topics: '{s}'"
            ));
        }
        if !is_valid_filter(&t.sample()) || s.is_empty() {
            return Err(format!("Error: invalid topic filter '{s}'"));
        }
        Ok(t)
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when each message needs its own topic.
    pub fn has_seq(&self) -> bool {
        self.parts.contains(&Part::Seq)
    }

    /// The topic for one client (and, with `%s`, one message).
    pub fn render(&self, fill: &Fill, seq: u64) -> String {
        let mut out = String::with_capacity(self.source.len() + 16);
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Index => out.push_str(&fill.index.to_string()),
                Part::ClientId => out.push_str(fill.client_id),
                Part::Username => out.push_str(fill.username),
                Part::Seq => out.push_str(&seq.to_string()),
            }
        }
        out
    }

    /// A filter matching every topic this template renders: each level with a placeholder
    /// becomes `+`, so `-t bench/%i` pairs with `bench/+` by default.
    pub fn wildcard(&self) -> Template {
        let levels: Vec<&str> = self
            .source
            .split('/')
            .map(|l| if l.contains('%') { "+" } else { l })
            .collect();
        let source = levels.join("/");
        Template {
            parts: vec![Part::Text(source.clone())],
            source,
        }
    }

    /// The template with placeholders filled by a letter, to check its topic syntax.
    fn sample(&self) -> String {
        let fill = Fill {
            index: 0,
            client_id: "c",
            username: "u",
        };
        self.render(&fill, 0)
    }
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

fn parse(s: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            text.push(c);
            continue;
        }
        let part = match chars.next() {
            Some('%') => {
                text.push('%');
                continue;
            }
            Some('i') => Part::Index,
            Some('c') => Part::ClientId,
            Some('u') => Part::Username,
            Some('s') => Part::Seq,
            other => {
                let what = other.map_or_else(|| "%".to_string(), |o| format!("%{o}"));
                return Err(format!(
                    "Error: unknown placeholder '{what}' in topic '{s}'"
                ));
            }
        };
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        parts.push(part);
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(Template {
        source: s.to_string(),
        parts,
    })
}

/// `$share/GROUP/filter` split into the group and the filter messages are matched against.
pub fn shared(filter: &str) -> Option<(&str, &str)> {
    let rest = filter.strip_prefix("$share/")?;
    rest.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> Fill<'static> {
        Fill {
            index: 7,
            client_id: "b-p7",
            username: "joe",
        }
    }

    #[test]
    fn renders_every_placeholder() {
        let t = Template::publish("x/%i/%c/%u/%s/100%%").unwrap();
        assert_eq!(t.render(&fill(), 42), "x/7/b-p7/joe/42/100%");
        assert!(t.has_seq());
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(Template::publish("a/%q").is_err());
        assert!(Template::publish("a/+").is_err());
        assert!(Template::publish("a/%").is_err());
        assert!(Template::filter("a/%s").is_err());
        assert!(Template::filter("a/#/b").is_err());
        assert!(Template::filter("$share/g/a/%i/#").is_ok());
    }

    #[test]
    fn wildcard_replaces_templated_levels() {
        let t = Template::publish("bench/%i/x-%c/t").unwrap();
        assert_eq!(t.wildcard().as_str(), "bench/+/+/t");
        assert_eq!(t.wildcard().render(&fill(), 0), "bench/+/+/t");
    }

    #[test]
    fn share_groups_are_split() {
        assert_eq!(shared("$share/g/a/#"), Some(("g", "a/#")));
        assert_eq!(shared("a/#"), None);
    }
}
