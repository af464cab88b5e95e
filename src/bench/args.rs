//! The `mqtk bench` command line: one subcommand per scenario, `pubsub` when none is named.
//!
//! Bench has its own connection group instead of flattening [`crate::cli::ConnectArgs`]:
//! mosquitto's `-c` (keep the session), `-I` (id prefix) and `-i` (client id) collide with a
//! load generator's conventional `-c` clients and `-I` interval, and every bench client gets its
//! own id anyway. [`BrokerArgs::connect_args`] converts the group back, so transport and CONNECT
//! code stay shared with pub/sub.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, FromArgMatches, Subcommand};

use super::template::Template;
use super::values::{millis, payload_size, percent, seconds};
use crate::cli::values;
use crate::cli::{BrokerUrl, ConnectArgs, TlsArgs};
use crate::codec::{QoS, Version};

/// `mqtk bench`: a scenario subcommand or `merge`, or the `pubsub` options directly.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// A scenario or `merge`; `None` runs `pubsub` with [`BenchArgs::pubsub`].
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// Options of the default scenario, given without naming it.
    #[command(flatten)]
    pub pubsub: PubSubArgs,
}

/// A run, or the merge of runs done.
#[derive(Debug, Clone, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process, never moved in a loop
pub enum BenchCommand {
    #[command(flatten)]
    Run(Scenario),
    /// Merge the --json summaries of runs split over processes or machines into one.
    Merge(MergeArgs),
}

/// `bench merge`: summary files in, one summary out.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The summaries, each the one line `--json` printed.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// --json: print the merged summary as one JSON object on one line on stdout.
    #[arg(
        long = "json",
        help = "Print the merged summary as one line of JSON on stdout"
    )]
    pub json: bool,
    /// Pass/fail limits, judged on the merged figures.
    #[command(flatten)]
    pub thresholds: Thresholds,
}

/// What to measure.
#[derive(Debug, Clone, Subcommand)]
pub enum Scenario {
    /// Open connections at a ramp rate, hold them, report connect rate and times.
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Conn(ConnArgs),
    /// Publishers only (pair with `bench sub` in another process).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Pub(PubArgs),
    /// Subscribers only (pair with `bench pub` in another process).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Sub(SubArgs),
    /// Publishers and subscribers in one process: end-to-end latency on one clock (default).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Pubsub(PubSubArgs),
}

impl BenchArgs {
    /// What to do: the named scenario or merge, `pubsub` when none was named.
    pub fn command(self) -> BenchCommand {
        self.command
            .unwrap_or(BenchCommand::Run(Scenario::Pubsub(self.pubsub)))
    }

    /// Cross-option rules clap cannot express.
    pub fn validate(&self) -> Result<(), String> {
        match &self.command {
            Some(BenchCommand::Run(Scenario::Conn(a))) => a.common.validate(),
            Some(BenchCommand::Run(Scenario::Pub(a))) => {
                a.common.validate().and(a.publish.validate())
            }
            Some(BenchCommand::Run(Scenario::Sub(a))) => a.common.validate(),
            Some(BenchCommand::Run(Scenario::Pubsub(a))) => a.validate(),
            Some(BenchCommand::Merge(_)) => Ok(()),
            None => self.pubsub.validate(),
        }
    }
}

impl Scenario {
    /// The options every scenario has.
    pub fn common(&self) -> &CommonArgs {
        match self {
            Scenario::Conn(a) => &a.common,
            Scenario::Pub(a) => &a.common,
            Scenario::Sub(a) => &a.common,
            Scenario::Pubsub(a) => &a.common,
        }
    }

    /// How many clients the scenario opens.
    pub fn clients(&self) -> u32 {
        match self {
            Scenario::Conn(a) => a.clients,
            Scenario::Pub(a) => a.publish.clients,
            Scenario::Sub(a) => a.clients,
            Scenario::Pubsub(a) => a.publish.clients.saturating_add(a.subscribers),
        }
    }

    /// The warm-up before measuring.
    pub fn warmup(&self) -> Duration {
        match self {
            Scenario::Conn(_) => Duration::ZERO,
            Scenario::Pub(a) => a.publish.warmup,
            Scenario::Sub(a) => a.warmup,
            Scenario::Pubsub(a) => a.publish.warmup,
        }
    }
}

/// Options every scenario has: the broker, the run's bounds, output and pass/fail thresholds.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Where and how to connect.
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// --duration: how long to measure (after --warmup); also the hard stop of --count runs.
    #[arg(long = "duration", short = 'd', value_name = "DURATION", default_value = "10s", value_parser = seconds, help = "Measure for DURATION (10s, 2m; bare number = seconds); also caps --count runs", help_heading = "Run")]
    pub duration: Duration,
    /// --connect-rate: new connections per second while ramping up; `None` means all at once.
    #[arg(long = "connect-rate", short = 'R', value_name = "PER_SEC", value_parser = values::positive_f64, help = "Open at most PER_SEC connections per second [default: no limit]", help_heading = "Run")]
    pub connect_rate: Option<f64>,
    /// --connect-timeout: give up on one connection attempt after this long.
    #[arg(long = "connect-timeout", value_name = "DURATION", default_value = "10s", value_parser = seconds, help = "Give up on a connection attempt after DURATION", help_heading = "Run")]
    pub connect_timeout: Duration,
    /// --id-prefix: client ids are `PREFIX-p3`, `PREFIX-s0`, `PREFIX-c12`.
    #[arg(
        long = "id-prefix",
        value_name = "PREFIX",
        help = "Client ids are PREFIX-pN (publishers), -sN (subscribers), -cN (conn) [default: mqtk-bench-PID]",
        help_heading = "Run"
    )]
    pub id_prefix: Option<String>,
    /// --json: print the summary as one JSON object on one line on stdout.
    #[arg(
        long = "json",
        help = "Print the summary as one line of JSON on stdout",
        help_heading = "Output"
    )]
    pub json: bool,
    /// Pass/fail limits for CI.
    #[command(flatten)]
    pub thresholds: Thresholds,
}

impl CommonArgs {
    fn validate(&self) -> Result<(), String> {
        if self.duration.is_zero() {
            return Err("Error: --duration must be greater than 0.".into());
        }
        self.broker.validate()
    }

    /// The client id prefix: `--id-prefix`, else one unique to this process.
    pub fn id_prefix(&self) -> String {
        self.id_prefix
            .clone()
            .unwrap_or_else(|| format!("mqtk-bench-{}", std::process::id()))
    }
}

/// Limits that make the exit status 2 when missed, so CI can gate on a run.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Thresholds (exit status 2 when missed)")]
pub struct Thresholds {
    /// --max-p99: end-to-end latency (pub: publish-to-ack; conn: connect time).
    #[arg(long = "max-p99", value_name = "DURATION", value_parser = millis, help = "Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time")]
    pub max_p99: Option<Duration>,
    /// --max-loss: lost messages (conn: failed connections) in percent of those expected.
    #[arg(long = "max-loss", value_name = "PERCENT", value_parser = percent, help = "Fail when more than PERCENT % are lost (conn: fail to connect)")]
    pub max_loss: Option<f64>,
    /// --min-rate: received msg/s (pub: acknowledged, or sent at QoS 0; conn: connections/s).
    #[arg(long = "min-rate", value_name = "PER_SEC", value_parser = values::positive_f64, help = "Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)")]
    pub min_rate: Option<f64>,
}

/// The broker connection: pub/sub's options without per-client identity, for bench and for
/// `mqtk check`, which opens many connections of its own too.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct BrokerArgs {
    /// -h: broker host.
    #[arg(
        short = 'h',
        long = "host",
        value_name = "HOST",
        help = "Broker host [default: localhost]"
    )]
    pub host: Option<String>,
    /// -p: broker port.
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = values::port, help = "Broker port [default: 1883, 8883 with --cafile/--capath]")]
    pub port: Option<u16>,
    /// -L: `mqtt(s)://` or `ws(s)://[user[:pass]@]host[:port][/path]`; its topic is ignored.
    #[arg(short = 'L', long = "url", value_name = "URL", value_parser = values::url, help = "Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path")]
    pub url: Option<BrokerUrl>,
    /// -u: username; `%i` is replaced with the client's index.
    #[arg(
        short = 'u',
        long = "username",
        value_name = "USER",
        help = "Username (%i: client index)"
    )]
    pub username: Option<String>,
    /// -P: password.
    #[arg(short = 'P', long = "pw", value_name = "PASSWORD", help = "Password")]
    pub password: Option<String>,
    /// -V: protocol version.
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION", value_parser = values::protocol_version, help = "MQTT version: 5, 311, mqttv5 or mqttv311 [default: 311]")]
    pub protocol_version: Option<Version>,
    /// -k: keepalive in seconds.
    #[arg(short = 'k', long = "keepalive", value_name = "SECONDS", default_value = "60", value_parser = values::keepalive, help = "Keepalive in seconds (5-65535)")]
    pub keepalive: u16,
    /// -A: local address to connect from.
    #[arg(
        short = 'A',
        value_name = "ADDRESS",
        help = "Bind outgoing sockets to this local address"
    )]
    pub bind_address: Option<String>,
    /// --unix: a unix socket instead of TCP.
    #[arg(
        long = "unix",
        value_name = "PATH",
        help = "Connect through a unix domain socket"
    )]
    pub unix: Option<PathBuf>,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// --serve: bench a broker started inside this process instead of -h/-p/-L.
    #[arg(
        long = "serve",
        help = "Start the embedded broker on a free loopback port and bench it"
    )]
    pub serve: bool,
}

impl BrokerArgs {
    /// The protocol version bench speaks: `-V`, else 3.1.1 as mosquitto's clients do.
    pub fn version(&self) -> Version {
        self.protocol_version.unwrap_or(Version::V311)
    }

    /// The equivalent pub/sub options, so [`crate::connect::Target`] builds endpoint and
    /// CONNECT. Bench always sets TCP_NODELAY: Nagle's delay would pollute latency figures.
    pub fn connect_args(&self, inflight: u16) -> ConnectArgs {
        let mut a = pubsub_defaults();
        a.host = self.host.clone();
        a.port = self.port;
        a.url = self.url.clone();
        a.username = self.username.clone();
        a.password = self.password.clone();
        a.protocol_version = self.protocol_version;
        a.keepalive = self.keepalive;
        a.bind_address = self.bind_address.clone();
        a.unix = self.unix.clone();
        a.nodelay = true;
        a.tls = self.tls.clone();
        a.max_inflight = Some(inflight);
        a
    }

    pub fn validate(&self) -> Result<(), String> {
        self.connect_args(1).validate(self.version())
    }
}

/// `ConnectArgs` as clap fills it when no option is given, so its defaults stay in one place.
fn pubsub_defaults() -> ConnectArgs {
    let cmd = ConnectArgs::augment_args(clap::Command::new("bench").disable_help_flag(true));
    cmd.try_get_matches_from(["bench"])
        .and_then(|m| ConnectArgs::from_arg_matches(&m))
        .unwrap_or_else(|e| unreachable!("ConnectArgs needs no argument: {e}"))
}

/// How publishers publish.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Publishing")]
pub struct PublishArgs {
    /// -c: number of publishers.
    #[arg(short = 'c', long = "clients", value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..), help = "Number of publishers")]
    pub clients: u32,
    /// --rate: total target msg/s over all publishers; `None` with no -I means as fast as
    /// the broker takes them.
    #[arg(long = "rate", value_name = "PER_SEC", value_parser = values::positive_f64, conflicts_with = "interval", help = "Total target msg/s, spread over the publishers [default: as fast as possible]")]
    pub rate: Option<f64>,
    /// -I: time between two messages of one publisher.
    #[arg(short = 'I', long = "interval", value_name = "DURATION", value_parser = millis, help = "Time between messages of each publisher (10ms, 1s; bare number = ms)")]
    pub interval: Option<Duration>,
    /// --count: total measured messages over all publishers; the run ends when all are sent.
    #[arg(long = "count", value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help = "Stop after N messages in all (after --warmup); --duration still caps the run")]
    pub count: Option<u64>,
    /// -s: payload size in bytes, header included.
    #[arg(short = 's', long = "size", value_name = "BYTES", default_value = "64", value_parser = payload_size, help = "Payload size in bytes (at least 28, the bench header)")]
    pub size: usize,
    /// -q: QoS of publishes and subscriptions.
    #[arg(short = 'q', long = "qos", value_name = "QOS", default_value = "0", value_parser = values::qos, help = "Quality of service (0, 1 or 2)")]
    pub qos: QoS,
    /// -r: publish retained.
    #[arg(short = 'r', long = "retain", help = "Publish with the retain flag")]
    pub retain: bool,
    /// -t: publish topic template.
    #[arg(short = 't', long = "topic", value_name = "TEMPLATE", default_value = "mqtk/bench/%i", value_parser = Template::publish, help = "Topic template: %i client index, %c client id, %u username, %s sequence, %% a percent sign")]
    pub topic: Template,
    /// --inflight: QoS 1/2 messages a publisher may have unacknowledged.
    #[arg(long = "inflight", value_name = "N", default_value = "64", value_parser = values::max_inflight, help = "Unacknowledged QoS 1/2 messages per publisher")]
    pub inflight: u16,
    /// --warmup: excluded from every figure.
    #[arg(long = "warmup", short = 'w', value_name = "DURATION", default_value = "0s", value_parser = seconds, help = "Run this long before measuring (bare number = seconds)", help_heading = "Run")]
    pub warmup: Duration,
}

impl PublishArgs {
    fn validate(&self) -> Result<(), String> {
        match self.interval {
            Some(i) if i.is_zero() => Err("Error: --interval must be greater than 0.".into()),
            _ => Ok(()),
        }
    }
}

/// `bench conn`.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// Broker, run bounds, output and thresholds.
    #[command(flatten)]
    pub common: CommonArgs,
    /// -c: connections to open.
    #[arg(short = 'c', long = "clients", value_name = "N", default_value = "100", value_parser = clap::value_parser!(u32).range(1..), help = "Number of connections")]
    pub clients: u32,
}

/// `bench pub`.
#[derive(Debug, Clone, Args)]
pub struct PubArgs {
    /// Broker, run bounds, output and thresholds.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What the publishers send.
    #[command(flatten)]
    pub publish: PublishArgs,
}

/// `bench sub`.
#[derive(Debug, Clone, Args)]
pub struct SubArgs {
    /// Broker, run bounds, output and thresholds.
    #[command(flatten)]
    pub common: CommonArgs,
    /// -c: number of subscribers.
    #[arg(short = 'c', long = "clients", value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..), help = "Number of subscribers", help_heading = "Subscribing")]
    pub clients: u32,
    /// -t: topic filters, each subscriber subscribes to all.
    #[arg(short = 't', long = "topic", value_name = "FILTER", action = ArgAction::Append, value_parser = Template::filter, help = "Topic filter, repeatable (%i %c %u; $share/GROUP/... shares) [default: mqtk/bench/#]", help_heading = "Subscribing")]
    pub topics: Vec<Template>,
    /// -q: subscription QoS.
    #[arg(short = 'q', long = "qos", value_name = "QOS", default_value = "0", value_parser = values::qos, help = "Subscription QoS", help_heading = "Subscribing")]
    pub qos: QoS,
    /// --count: stop after this many measured messages in all.
    #[arg(long = "count", value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help = "Stop after receiving N messages in all; --duration still caps the run", help_heading = "Subscribing")]
    pub count: Option<u64>,
    /// --warmup: messages sent before this are excluded.
    #[arg(long = "warmup", short = 'w', value_name = "DURATION", default_value = "0s", value_parser = seconds, help = "Ignore messages sent during the first DURATION", help_heading = "Run")]
    pub warmup: Duration,
}

impl SubArgs {
    /// The filters: `-t`, else everything bench publishes by default.
    pub fn topics(&self) -> Vec<Template> {
        if self.topics.is_empty() {
            return vec![Template::filter("mqtk/bench/#").unwrap_or_else(|e| unreachable!("{e}"))];
        }
        self.topics.clone()
    }
}

/// `bench pubsub` (and plain `bench`).
#[derive(Debug, Clone, Args)]
pub struct PubSubArgs {
    /// Broker, run bounds, output and thresholds.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What the publishers send.
    #[command(flatten)]
    pub publish: PublishArgs,
    /// --subscribers: number of subscribers.
    #[arg(long = "subscribers", value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..), help = "Number of subscribers", help_heading = "Subscribing")]
    pub subscribers: u32,
    /// --sub-topic: filters every subscriber subscribes to.
    #[arg(long = "sub-topic", value_name = "FILTER", action = ArgAction::Append, value_parser = Template::filter, help = "Subscription filter, repeatable (%i %c %u; $share/GROUP/...) [default: -t with each templated level as +]", help_heading = "Subscribing")]
    pub sub_topics: Vec<Template>,
}

impl PubSubArgs {
    /// The filters: `--sub-topic`, else the publish template with templated levels as `+`.
    pub fn sub_topics(&self) -> Vec<Template> {
        if self.sub_topics.is_empty() {
            return vec![self.publish.topic.wildcard()];
        }
        self.sub_topics.clone()
    }

    fn validate(&self) -> Result<(), String> {
        self.common.validate().and(self.publish.validate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pubsub_defaults_parse_without_arguments() {
        let a = pubsub_defaults();
        assert_eq!(a.keepalive, 60);
        assert_eq!(a.host(), "localhost");
    }
}
