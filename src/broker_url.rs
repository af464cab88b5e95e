//! The `-L mqtt(s)://[username[:password]@]host[:port]/topic` URL of mosquitto_pub/sub.
//!
//! Split by hand the way mosquitto does (scheme, then the first `/`, then `@`, then `:`) rather
//! than with a URL library: a generic parser would turn `#` into a fragment, `?` into a query
//! and resolve `..` segments, all of which are ordinary topic characters here. Unlike
//! mosquitto 2.0, credentials and topic are percent-decoded, so `%40` can stand for an `@` in a
//! password; IPv6 hosts are written in brackets (`[::1]:1883`).

use std::net::Ipv6Addr;

use anyhow::{bail, Context, Result};
use percent_encoding::percent_decode_str;

/// A parsed `-L` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerUrl {
    /// Host name or IP address; an IPv6 address has no brackets.
    pub host: String,
    /// The port given, else 1883 (`mqtt`), 8883 (`mqtts`), 80 (`ws`) or 443 (`wss`).
    pub port: u16,
    /// `mqtts` and `wss`: TLS, trusting the OS certificate store unless a CA is given.
    pub tls: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    pub target: Target,
}

/// What follows the authority, which depends on the scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `mqtt(s)`: the topic (or filter), unvalidated: pub and sub check it by their own rules.
    Topic(String),
    /// `ws(s)`: the HTTP path of the WebSocket upgrade; `/mqtt` when the URL has none.
    WebSocket(String),
}

impl BrokerUrl {
    /// The topic of an `mqtt(s)` URL.
    pub fn topic(&self) -> Option<&str> {
        match &self.target {
            Target::Topic(topic) => Some(topic),
            Target::WebSocket(_) => None,
        }
    }

    /// The HTTP path of a `ws(s)` URL.
    pub fn websocket_path(&self) -> Option<&str> {
        match &self.target {
            Target::WebSocket(path) => Some(path),
            Target::Topic(_) => None,
        }
    }
}

/// Parses a `-L` URL; every error is a one-line message.
pub fn parse(url: &str) -> Result<BrokerUrl> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (tls, default_port, websocket) = match scheme.to_ascii_lowercase().as_str() {
        "mqtt" => (false, 1883, false),
        "mqtts" => (true, 8883, false),
        "ws" => (false, 80, true),
        "wss" => (true, 443, true),
        _ => bail!("Unsupported URL scheme."),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (rest, None),
    };
    let target = match (websocket, path) {
        (true, Some(path)) => Target::WebSocket(format!("/{path}")),
        (true, None) => Target::WebSocket("/mqtt".to_owned()),
        (false, Some(topic)) => Target::Topic(decode(topic, "topic")?),
        (false, None) => bail!("Invalid URL for -L argument specified - topic missing."),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (username, password) = credentials(userinfo)?;
    let (host, port) = host_port(hostport)?;
    Ok(BrokerUrl {
        host,
        port: port.unwrap_or(default_port),
        tls,
        username,
        password,
        target,
    })
}

/// Splits `user[:password]` at its first `:`.
fn credentials(userinfo: Option<&str>) -> Result<(Option<String>, Option<String>)> {
    let Some(userinfo) = userinfo else {
        return Ok((None, None));
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(decode(password, "password")?)),
        None => (userinfo, None),
    };
    if user.is_empty() {
        bail!("Empty username in URL.");
    }
    Ok((Some(decode(user, "username")?), password))
}

/// Splits `host[:port]` or `[ipv6][:port]`.
fn host_port(hostport: &str) -> Result<(String, Option<u16>)> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (ip, after) = bracketed
            .split_once(']')
            .context("Invalid IPv6 address in URL.")?;
        ip.parse::<Ipv6Addr>()
            .ok()
            .context("Invalid IPv6 address in URL.")?;
        match after {
            "" => (ip, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (ip, Some(port)),
                None => bail!("Invalid URL: unexpected '{after}' after the IPv6 address."),
            },
        }
    } else {
        match hostport.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                bail!("Invalid URL: write an IPv6 address in brackets, e.g. [::1].")
            }
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        bail!("Empty host in URL.");
    }
    Ok((host.to_owned(), port.map(parse_port).transpose()?))
}

fn parse_port(port: &str) -> Result<u16> {
    if port.is_empty() {
        bail!("Empty port in URL.");
    }
    match port.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => bail!("Invalid port in URL: {port}"),
    }
}

/// Percent-decodes one URL part; the result must be UTF-8 as MQTT strings are.
fn decode(part: &str, what: &str) -> Result<String> {
    let decoded = percent_decode_str(part).decode_utf8();
    Ok(decoded
        .with_context(|| format!("Invalid URL: the {what} is not UTF-8 once percent-decoded."))?
        .into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic_url(host: &str, port: u16, tls: bool, topic: &str) -> BrokerUrl {
        BrokerUrl {
            host: host.to_owned(),
            port,
            tls,
            username: None,
            password: None,
            target: Target::Topic(topic.to_owned()),
        }
    }

    fn err(url: &str) -> String {
        match parse(url) {
            Ok(parsed) => panic!("{url} parsed as {parsed:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn default_ports_and_tls() -> Result<()> {
        assert_eq!(parse("mqtt://h/t")?, topic_url("h", 1883, false, "t"));
        assert_eq!(parse("mqtts://h/t")?, topic_url("h", 8883, true, "t"));
        assert_eq!(parse("MQTT://h:1884/t")?, topic_url("h", 1884, false, "t"));
        assert_eq!(parse("mqtts://h:1884/t")?, topic_url("h", 1884, true, "t"));
        Ok(())
    }

    #[test]
    fn topic_keeps_wildcards_and_url_syntax() -> Result<()> {
        let topic = |url| -> Result<Target> { Ok(parse(url)?.target) };
        let t = |s: &str| Target::Topic(s.to_owned());
        assert_eq!(topic("mqtt://h/a/+/b/#")?, t("a/+/b/#"));
        assert_eq!(topic("mqtt://h/#")?, t("#"));
        assert_eq!(topic("mqtt://h/a?b=c")?, t("a?b=c"));
        assert_eq!(topic("mqtt://h/a/../b")?, t("a/../b"));
        assert_eq!(topic("mqtt://h//a/")?, t("/a/"));
        assert_eq!(topic("mqtt://h/")?, t(""));
        assert_eq!(topic("mqtt://h/a%2Fb%20c%23")?, t("a/b c#"));
        assert_eq!(topic("mqtt://h/caf%C3%A9%zz")?, t("café%zz"));
        Ok(())
    }

    #[test]
    fn credentials_are_decoded() -> Result<()> {
        let url = parse("mqtt://us%40er:p%3Aw@rd@h:1/t")?;
        assert_eq!(url.username.as_deref(), Some("us@er"));
        assert_eq!(url.password.as_deref(), Some("p:w@rd"));
        assert_eq!(url.host, "h");
        let url = parse("mqtt://user@h/t")?;
        assert_eq!(
            (url.username.as_deref(), url.password),
            (Some("user"), None)
        );
        let url = parse("mqtt://user:@h/t")?;
        assert_eq!(url.password.as_deref(), Some(""));
        Ok(())
    }

    #[test]
    fn ipv6_hosts() -> Result<()> {
        assert_eq!(parse("mqtt://[::1]/t")?, topic_url("::1", 1883, false, "t"));
        let url = parse("mqtts://u:p@[fe80::1]:8884/t")?;
        assert_eq!((url.host.as_str(), url.port), ("fe80::1", 8884));
        assert_eq!(
            err("mqtt://::1/t"),
            "Invalid URL: write an IPv6 address in brackets, e.g. [::1]."
        );
        assert_eq!(err("mqtt://[::1/t"), "Invalid IPv6 address in URL.");
        assert_eq!(err("mqtt://[nope]/t"), "Invalid IPv6 address in URL.");
        assert_eq!(
            err("mqtt://[::1]x/t"),
            "Invalid URL: unexpected 'x' after the IPv6 address."
        );
        Ok(())
    }

    #[test]
    fn websocket_urls() -> Result<()> {
        let url = parse("ws://u:p@h/")?;
        assert_eq!((url.port, url.tls), (80, false));
        assert_eq!(url.target, Target::WebSocket("/".to_owned()));
        let url = parse("WSS://h")?;
        assert_eq!((url.port, url.tls), (443, true));
        assert_eq!(url.target, Target::WebSocket("/mqtt".to_owned()));
        let url = parse("ws://h:8080/a/b?x#y")?;
        assert_eq!(url.port, 8080);
        assert_eq!(url.target, Target::WebSocket("/a/b?x#y".to_owned()));
        Ok(())
    }

    #[test]
    fn errors_are_one_line() {
        assert_eq!(err("tcp://h/t"), "Unsupported URL scheme.");
        assert_eq!(err("h/t"), "Unsupported URL scheme.");
        assert_eq!(
            err("mqtt://h"),
            "Invalid URL for -L argument specified - topic missing."
        );
        assert_eq!(err("mqtt://h:/t"), "Empty port in URL.");
        assert_eq!(err("mqtt://h:abc/t"), "Invalid port in URL: abc");
        assert_eq!(err("mqtt://h:65536/t"), "Invalid port in URL: 65536");
        assert_eq!(err("mqtt://h:0/t"), "Invalid port in URL: 0");
        assert_eq!(err("mqtt://:p@h/t"), "Empty username in URL.");
        assert_eq!(err("mqtt:///t"), "Empty host in URL.");
        assert_eq!(err("mqtt://u@:1/t"), "Empty host in URL.");
        assert_eq!(
            err("mqtt://h/%FF"),
            "Invalid URL: the topic is not UTF-8 once percent-decoded."
        );
    }
}
