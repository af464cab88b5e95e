//! The limit and policy keys of `mosquitto.conf` (connections, queues, in-flight windows,
//! packet and message sizes, keepalive, retain, QoS, client ids, logging, `$SYS`), parsed with
//! mosquitto 2.0's ranges.
//!
//! As in mosquitto 2.0, `max_connections`, `max_qos` and `max_topic_alias` belong to the
//! listener they follow (before any `listener` line, to the default listener): they become
//! [`ListenerLimits`].
//! The others apply to the whole broker ([`Config`]), wherever they appear, except
//! `allow_zero_length_clientid` with `per_listener_settings true` (see `listener_keys`).

use super::config::{parse_bool, Config};
use crate::codec::QoS;
use anyhow::{anyhow, bail};
use std::time::Duration;

/// The settings that have no field of their own in [`Config`], with mosquitto's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Payload bytes queued per session beyond those in flight; 0: no limit.
    pub max_queued_bytes: usize,
    /// Payload bytes of QoS 1/2 messages in flight to one client; 0: no limit. One message
    /// always fits, however large.
    pub max_inflight_bytes: usize,
    /// Largest PUBLISH payload accepted; larger ones are dropped. 0: no limit.
    pub message_size_limit: usize,
    /// `false`: a retained PUBLISH (or will) is a protocol error.
    pub retain_available: bool,
    /// Accept an empty client id (the broker assigns one).
    pub allow_zero_length_clientid: bool,
    /// Deliver at the subscription's QoS even when the message was published lower.
    pub upgrade_outgoing_qos: bool,
    /// `queue_qos0_messages`: offline persistent sessions keep QoS 0 messages too.
    pub queue_qos0_messages: bool,
    /// `auto_id_prefix`: starts the client ids the broker assigns.
    pub auto_id_prefix: String,
    /// `clientid_prefixes`: only client ids that start with it get in.
    pub clientid_prefixes: Option<String>,
    /// Hold back a retained message from new subscribers while the ACL no longer lets its
    /// publisher write its topic. Off by default: mosquitto 2.0.11's manual says on, but the
    /// broker never sets it unless the configuration file does.
    pub check_retain_source: bool,
    /// `max_subscriptions` (mqtk's): subscriptions one session may hold; a SUBSCRIBE's new
    /// filters beyond them get failure (MQTT 5: 0x97 quota exceeded). 0: no limit.
    pub max_subscriptions: usize,
    /// `memory_limit`: heap bytes above which PUBLISH and SUBSCRIBE packets are refused
    /// and their client disconnected, as mosquitto does when an allocation is denied, and
    /// new clients refused; 0: no limit. Counted by the `mqtk` binary's allocator
    /// (`crate::heap`).
    pub memory_limit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_queued_bytes: 0,
            max_inflight_bytes: 0,
            message_size_limit: 0,
            retain_available: true,
            allow_zero_length_clientid: true,
            upgrade_outgoing_qos: false,
            queue_qos0_messages: false,
            auto_id_prefix: "auto-".into(),
            clientid_prefixes: None,
            check_retain_source: false,
            max_subscriptions: 10_000,
            memory_limit: 0,
        }
    }
}

/// The limit keys mosquitto 2.0 sets per listener, as one listener got them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerLimits {
    /// `max_connections`: connections this listener keeps at once; further ones are closed
    /// as soon as they are accepted. `None`: the broker's `Config::max_connections`.
    pub max_connections: Option<usize>,
    /// `max_qos` (alias `maximum_qos`): the highest QoS its clients may publish with (wills
    /// too); their subscriptions are granted at most this.
    pub max_qos: QoS,
    /// `max_topic_alias`: topic aliases an MQTT 5 client may set up towards the broker; 0:
    /// none.
    pub max_topic_alias: u16,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            max_connections: None,
            max_qos: QoS::ExactlyOnce,
            max_topic_alias: 10,
        }
    }
}

impl ListenerLimits {
    /// Applies `key` if it is one of these keys; false when it is not.
    pub fn apply(&mut self, key: &str, args: &[&str]) -> anyhow::Result<bool> {
        let value = || one(key, args);
        match key {
            "max_connections" => {
                self.max_connections = Some(connections(value()?)?.unwrap_or(usize::MAX))
            }
            "max_topic_alias" => self.max_topic_alias = in_range(value()?, 0, 65535)? as u16,
            "max_qos" | "maximum_qos" => self.max_qos = qos(value()?)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// One broker-wide limit key of a configuration file, parsed; applied to the configuration
/// in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// `max_queued_messages`: 0 is unlimited.
    MaxQueuedMessages(usize),
    MaxQueuedBytes(usize),
    /// `max_inflight_messages`: the outgoing window and the CONNACK receive maximum, as in
    /// mosquitto; 0 is unlimited (65535).
    MaxInflightMessages(u16),
    MaxInflightBytes(usize),
    MessageSizeLimit(usize),
    MaxPacketSize(u32),
    MaxKeepalive(u16),
    RetainAvailable(bool),
    AllowZeroLengthClientid(bool),
    UpgradeOutgoingQos(bool),
    QueueQos0Messages(bool),
    AutoIdPrefix(String),
    ClientidPrefixes(String),
    CheckRetainSource(bool),
    /// `sys_interval`: seconds between `$SYS` updates; `None` (0) turns them off.
    SysInterval(Option<u64>),
    /// `log_type`: whether the types turn on the `-v` log, or `none` turns it off.
    LogType(LogType),
    /// `max_pending_connections` (mqtk's): sockets per listener waiting for CONNECT.
    MaxPendingConnections(usize),
    /// `max_connect_size` (mqtk's): the largest CONNECT, in bytes.
    MaxConnectSize(u32),
    /// `max_subscriptions` (mqtk's): subscriptions per session; 0 is unlimited.
    MaxSubscriptions(usize),
    /// `memory_limit`: heap bytes; 0 is unlimited.
    MemoryLimit(usize),
}

/// What one `log_type` line does to the connection log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogType {
    /// `none`: no log at all.
    None,
    /// `all`, `debug`, `notice`, `information`, `subscribe`, `unsubscribe`, `websockets`:
    /// connections and subscriptions are logged, as with `-v`.
    Verbose,
    /// `error`, `warning`: leave the log as it is (off unless `-v` or another type).
    Quiet,
}

impl Setting {
    /// The setting for `key`, `None` when `key` is not a limit key.
    pub fn parse(key: &str, args: &[&str]) -> anyhow::Result<Option<Setting>> {
        let value = || one(key, args);
        let setting = match key {
            "max_queued_messages" => Setting::MaxQueuedMessages(number(value()?)?),
            "max_queued_bytes" => Setting::MaxQueuedBytes(number(value()?)?),
            "max_inflight_messages" => Setting::MaxInflightMessages(inflight(value()?)?),
            "max_inflight_bytes" => Setting::MaxInflightBytes(number(value()?)?),
            "message_size_limit" => Setting::MessageSizeLimit(in_range(value()?, 0, MAX_PAYLOAD)?),
            "max_packet_size" => Setting::MaxPacketSize(packet_size(value()?)?),
            "max_keepalive" => Setting::MaxKeepalive(in_range(value()?, 10, 65535)? as u16),
            "retain_available" => Setting::RetainAvailable(parse_bool(value()?)?),
            "allow_zero_length_clientid" => Setting::AllowZeroLengthClientid(parse_bool(value()?)?),
            "upgrade_outgoing_qos" => Setting::UpgradeOutgoingQos(parse_bool(value()?)?),
            "queue_qos0_messages" => Setting::QueueQos0Messages(parse_bool(value()?)?),
            "auto_id_prefix" => Setting::AutoIdPrefix(value()?.into()),
            "clientid_prefixes" => Setting::ClientidPrefixes(value()?.into()),
            "check_retain_source" => Setting::CheckRetainSource(parse_bool(value()?)?),
            "sys_interval" => {
                Setting::SysInterval(Some(number(value()?)? as u64).filter(|&s| s > 0))
            }
            "max_pending_connections" => {
                Setting::MaxPendingConnections(in_range(value()?, 1, 1_000_000)?)
            }
            "max_connect_size" => Setting::MaxConnectSize(packet_size(value()?)?),
            "max_subscriptions" => Setting::MaxSubscriptions(number(value()?)?),
            "memory_limit" => Setting::MemoryLimit(number(value()?)?),
            "log_type" if !args.is_empty() => log_type(args)?,
            "log_type" => bail!("wrong number of values for {key}"),
            _ => return Ok(None),
        };
        Ok(Some(setting))
    }

    /// Sets what this key controls in `config`.
    pub fn apply(self, config: &mut Config) {
        let limits = &mut config.limits;
        match self {
            Setting::MaxQueuedMessages(n) => config.max_queued_messages = n,
            Setting::MaxQueuedBytes(n) => limits.max_queued_bytes = n,
            Setting::MaxInflightMessages(n) => {
                config.max_inflight = n;
                config.receive_maximum = n;
            }
            Setting::MaxInflightBytes(n) => limits.max_inflight_bytes = n,
            Setting::MessageSizeLimit(n) => limits.message_size_limit = n,
            Setting::MaxPacketSize(n) => config.max_packet_size = n,
            Setting::MaxKeepalive(n) => config.max_keepalive = n,
            Setting::RetainAvailable(b) => limits.retain_available = b,
            Setting::AllowZeroLengthClientid(b) => limits.allow_zero_length_clientid = b,
            Setting::UpgradeOutgoingQos(b) => limits.upgrade_outgoing_qos = b,
            Setting::QueueQos0Messages(b) => limits.queue_qos0_messages = b,
            Setting::AutoIdPrefix(prefix) => limits.auto_id_prefix = prefix,
            Setting::ClientidPrefixes(prefix) => limits.clientid_prefixes = Some(prefix),
            Setting::CheckRetainSource(b) => limits.check_retain_source = b,
            Setting::SysInterval(secs) => config.sys_interval = secs.map(Duration::from_secs),
            Setting::LogType(LogType::None) => config.verbose = false,
            Setting::LogType(LogType::Verbose) => config.verbose = true,
            Setting::LogType(LogType::Quiet) => {}
            Setting::MaxPendingConnections(n) => config.max_pending_connections = n,
            Setting::MaxConnectSize(n) => config.max_connect_size = n,
            Setting::MaxSubscriptions(n) => limits.max_subscriptions = n,
            Setting::MemoryLimit(n) => limits.memory_limit = n,
        }
    }
}

/// MQTT's largest payload.
const MAX_PAYLOAD: usize = 268_435_455;

/// The single value of `key`.
fn one<'a>(key: &str, args: &[&'a str]) -> anyhow::Result<&'a str> {
    match args {
        [value] => Ok(value),
        _ => bail!("wrong number of values for {key}"),
    }
}

fn number(value: &str) -> anyhow::Result<usize> {
    value
        .parse()
        .map_err(|_| anyhow!("expected a number of 0 or more, not {value:?}"))
}

fn in_range(value: &str, min: usize, max: usize) -> anyhow::Result<usize> {
    match value.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => bail!("expected a number from {min} to {max}, not {value:?}"),
    }
}

/// -1 and 0 mean unlimited, as in mosquitto.
fn connections(value: &str) -> anyhow::Result<Option<usize>> {
    match value.parse::<i64>() {
        Ok(n) if n <= 0 => Ok(None),
        Ok(n) => Ok(usize::try_from(n).ok()),
        Err(_) => bail!("expected a number (-1: unlimited), not {value:?}"),
    }
}

fn inflight(value: &str) -> anyhow::Result<u16> {
    match in_range(value, 0, 65535)? {
        0 => Ok(u16::MAX),
        n => Ok(n as u16),
    }
}

/// mosquitto refuses less than 20 bytes: not even a small PUBLISH would fit.
fn packet_size(value: &str) -> anyhow::Result<u32> {
    let max = crate::connection::MAX_PACKET;
    Ok(in_range(value, 20, max)? as u32)
}

fn qos(value: &str) -> anyhow::Result<QoS> {
    value
        .parse()
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| anyhow!("expected 0, 1 or 2, not {value:?}"))
}

fn log_type(types: &[&str]) -> anyhow::Result<Setting> {
    let mut effect = LogType::Quiet;
    for name in types {
        effect = match *name {
            "none" => LogType::None,
            "all" | "debug" | "notice" | "information" | "subscribe" | "unsubscribe"
            | "websockets" => LogType::Verbose,
            "error" | "warning" => effect,
            _ => bail!("unknown log_type {name:?}"),
        };
    }
    Ok(Setting::LogType(effect))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> anyhow::Result<Option<Setting>> {
        let mut words = line.split_whitespace();
        let key = words.next().unwrap();
        Setting::parse(key, &words.collect::<Vec<_>>())
    }

    fn config(lines: &[&str]) -> Config {
        let mut config = Config::default();
        for line in lines {
            parse(line).unwrap().unwrap().apply(&mut config);
        }
        config
    }

    /// Applies `line` to `limits`: whether it is a per-listener limit key.
    fn listener_key(limits: &mut ListenerLimits, line: &str) -> anyhow::Result<bool> {
        let mut words = line.split_whitespace();
        let key = words.next().unwrap();
        limits.apply(key, &words.collect::<Vec<_>>())
    }

    fn listener(lines: &[&str]) -> ListenerLimits {
        let mut limits = ListenerLimits::default();
        for line in lines {
            assert!(listener_key(&mut limits, line).unwrap(), "{line}");
        }
        limits
    }

    #[test]
    fn parses_mosquitto_values() {
        let c = config(&[
            "max_queued_messages 0",
            "max_queued_bytes 1000000",
            "max_inflight_messages 7",
            "max_inflight_bytes 4096",
            "message_size_limit 100",
            "max_packet_size 20",
            "max_keepalive 30",
            "retain_available false",
            "allow_zero_length_clientid false",
            "upgrade_outgoing_qos true",
            "queue_qos0_messages true",
            "auto_id_prefix pre-",
            "clientid_prefixes dev-",
            "check_retain_source true",
            "sys_interval 0",
            "max_subscriptions 0",
            "memory_limit 5000000",
        ]);
        assert_eq!(c.max_queued_messages, 0);
        assert_eq!((c.max_inflight, c.receive_maximum), (7, 7));
        assert_eq!((c.max_packet_size, c.max_keepalive), (20, 30));
        assert_eq!(c.sys_interval, None);
        let door = config(&["max_pending_connections 50", "max_connect_size 1000"]);
        assert_eq!(
            (door.max_pending_connections, door.max_connect_size),
            (50, 1000)
        );
        let sys = config(&["sys_interval 2"]).sys_interval;
        assert_eq!(sys, Some(Duration::from_secs(2)));
        let expected = Limits {
            max_queued_bytes: 1_000_000,
            max_inflight_bytes: 4096,
            message_size_limit: 100,
            retain_available: false,
            allow_zero_length_clientid: false,
            upgrade_outgoing_qos: true,
            queue_qos0_messages: true,
            auto_id_prefix: "pre-".into(),
            clientid_prefixes: Some("dev-".into()),
            check_retain_source: true,
            max_subscriptions: 0,
            memory_limit: 5_000_000,
        };
        assert_eq!(c.limits, expected);
        assert_eq!(config(&["max_inflight_messages 0"]).max_inflight, u16::MAX);
    }

    #[test]
    fn parses_the_per_listener_keys() {
        let expected = ListenerLimits {
            max_connections: Some(5),
            max_qos: QoS::AtLeastOnce,
            max_topic_alias: 0,
        };
        let lines = ["max_connections 5", "maximum_qos 1", "max_topic_alias 0"];
        assert_eq!(listener(&lines), expected);
        assert_eq!(listener(&["max_topic_alias 65535"]).max_topic_alias, 65535);
        let unlimited = listener(&["max_connections -1", "max_qos 0"]);
        assert_eq!(unlimited.max_connections, Some(usize::MAX));
        assert_eq!(unlimited.max_qos, QoS::AtMostOnce);
        assert_eq!(
            listener(&["max_connections 0"]).max_connections,
            Some(usize::MAX)
        );
        assert_eq!(ListenerLimits::default().max_qos, QoS::ExactlyOnce);
        let mut limits = ListenerLimits::default();
        assert!(!listener_key(&mut limits, "max_queued_messages 5").unwrap());
        assert_eq!(parse("max_qos 1").unwrap(), None);
    }

    #[test]
    fn rejects_what_mosquitto_rejects_and_garbage() {
        for line in [
            "max_keepalive 9",
            "max_keepalive 65536",
            "max_packet_size 19",
            "message_size_limit 268435456",
            "max_inflight_messages 65536",
            "max_queued_messages -1",
            "retain_available maybe",
            "check_retain_source maybe",
            "log_type bogus",
            "max_queued_messages 1 2",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
        for line in [
            "max_qos 3",
            "max_connections many",
            "max_connections 1 2",
            "max_qos",
            "max_topic_alias 65536",
            "max_topic_alias -1",
        ] {
            let limits = &mut ListenerLimits::default();
            assert!(listener_key(limits, line).is_err(), "{line}");
        }
        assert_eq!(parse("persistence true").unwrap(), None);
    }

    #[test]
    fn log_type_maps_to_the_verbose_log() {
        assert!(config(&["log_type information"]).verbose);
        assert!(config(&["log_type error warning subscribe"]).verbose);
        assert!(!config(&["log_type error", "log_type warning"]).verbose);
        assert!(!config(&["log_type all", "log_type none"]).verbose);
        assert!(config(&["log_type none", "log_type all"]).verbose);
    }
}
