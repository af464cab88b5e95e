//! The command line of `mqtk pub`, `sub` and `rr`: mosquitto_pub / mosquitto_sub / mosquitto_rr
//! 2.0 flags, parsed with clap and checked with mosquitto's own rules and messages.
//!
//! [`parse_from`] is the entry point; [`crate::argv::args`] prepares its argument vector
//! (`argv[0]` dispatch and config-file defaults). The structs below are the parsed result, with
//! helper methods that resolve mosquitto's defaults (`-L` versus `-h`, TLS ports, `-D` implying
//! MQTT 5) so that the clients do not repeat them.

mod error;
mod parse;
mod raw_properties;
mod resolve;
pub(crate) mod topic;
mod validate;
pub(crate) mod values;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand};

use crate::codec::{QoS, Version};

pub use crate::broker_url::BrokerUrl;
pub use crate::transport::TlsVersion;
pub use error::CliError;
pub use parse::parse_from;
pub use raw_properties::RawProperties;

/// `mqtk`: the top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "mqtk",
    version,
    about = "MQTT toolkit: drop-in mosquitto_pub/mosquitto_sub/mosquitto_rr and a broker benchmark",
    propagate_version = true,
    disable_help_flag = true,
    disable_version_flag = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The clap command, for parsing and for generating completions and man pages.
    pub fn command() -> clap::Command {
        parse::with_meta_flags(<Cli as CommandFactory>::command())
    }

    /// Applies mosquitto's cross-option rules; the error is mosquitto's message.
    pub fn validate(&self) -> Result<(), String> {
        match &self.command {
            Command::Pub(args) => args.validate(),
            Command::Sub(args) => args.validate(),
            Command::Rr(args) => args.validate(),
            Command::Serve(_) | Command::Passwd(_) => Ok(()),
            Command::Bench(args) => args.validate(),
            Command::Check(args) => args.validate(),
        }
    }
}

/// `mqtk pub`'s description, also given when `pub` is parsed on its own.
pub const PUB_ABOUT: &str = "Publish a message, like mosquitto_pub";
/// `mqtk sub`'s description.
pub const SUB_ABOUT: &str = "Subscribe and print messages, like mosquitto_sub";
/// `mqtk rr`'s description.
pub const RR_ABOUT: &str = "Publish a request and print the response, like mosquitto_rr";

/// The clients mqtk can run.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(
        about = PUB_ABOUT,
        disable_help_flag = true,
        disable_version_flag = true,
        allow_negative_numbers = true,
        args_override_self = true
    )]
    Pub(PubArgs),
    #[command(
        about = SUB_ABOUT,
        disable_help_flag = true,
        disable_version_flag = true,
        allow_negative_numbers = true,
        args_override_self = true
    )]
    Sub(SubArgs),
    #[command(
        about = RR_ABOUT,
        disable_help_flag = true,
        disable_version_flag = true,
        allow_negative_numbers = true,
        args_override_self = true
    )]
    Rr(RrArgs),
    /// Run an MQTT 3.1.1 and 5 broker, like mosquitto (beyond mosquitto's clients).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Serve(crate::broker::ServeArgs),
    /// Add, change or delete users in a password file, like mosquitto_passwd.
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Passwd(crate::passwd::PasswdArgs),
    /// Measure a broker: connections, throughput, end-to-end latency, loss.
    #[command(
        disable_help_flag = true,
        disable_version_flag = true,
        disable_help_subcommand = true,
        args_conflicts_with_subcommands = true
    )]
    Bench(Box<crate::bench::BenchArgs>),
    /// Probe a broker: its MQTT 5 limits and what it does, one result per check.
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Check(Box<crate::check::CheckArgs>),
}

/// Connection options shared by pub, sub and rr (mosquitto's `client_shared.c`).
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// -h: broker host; `None` means localhost unless `-L` names one (see [`ConnectArgs::host`]).
    #[arg(
        short = 'h',
        long = "host",
        value_name = "HOST",
        allow_hyphen_values = true,
        help = "Broker host [default: localhost]"
    )]
    pub host: Option<String>,
    /// -p: broker port; `None` means 1883, or 8883 with --cafile/--capath (see [`ConnectArgs::port`]).
    #[arg(short = 'p', long = "port", value_name = "PORT", value_parser = values::port, help = "Broker port [default: 1883, 8883 with --cafile/--capath]")]
    pub port: Option<u16>,
    /// -L: `mqtt(s)://[user[:pass]@]host[:port]/topic`; its parts win over -h/-p/-u/-P/-t.
    #[arg(short = 'L', long = "url", value_name = "URL", value_parser = values::url, help = "Broker and topic as mqtt(s)://[user[:pass]@]host[:port]/topic")]
    pub url: Option<BrokerUrl>,
    /// -i: client id; `None` lets the client pick (see [`ConnectArgs::client_id`]).
    #[arg(
        short = 'i',
        long = "id",
        value_name = "ID",
        allow_hyphen_values = true,
        help = "Client id [default: empty, the broker assigns one]"
    )]
    pub id: Option<String>,
    /// -I: client id prefix, completed with the process id.
    #[arg(
        short = 'I',
        long = "id-prefix",
        value_name = "PREFIX",
        allow_hyphen_values = true,
        help = "Client id = PREFIX followed by the process id"
    )]
    pub id_prefix: Option<String>,
    /// -k: keepalive in seconds, 5-65535.
    #[arg(short = 'k', long = "keepalive", value_name = "SECONDS", default_value = "60", value_parser = values::keepalive, help = "Keepalive in seconds (5-65535)")]
    pub keepalive: u16,
    /// -u: username.
    #[arg(
        short = 'u',
        long = "username",
        value_name = "USER",
        allow_hyphen_values = true,
        help = "Username"
    )]
    pub username: Option<String>,
    /// -P: password.
    #[arg(
        short = 'P',
        long = "pw",
        value_name = "PASSWORD",
        allow_hyphen_values = true,
        help = "Password"
    )]
    pub password: Option<String>,
    /// -V: protocol version; `None` is the subcommand default, and any -D forces MQTT 5.
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION", value_parser = values::protocol_version, help = "MQTT version: 5, 311, 31, mqttv5, mqttv311 or mqttv31 [default: 311; 5 for rr]")]
    pub protocol_version: Option<Version>,
    /// -x: MQTT 5 session expiry interval; -1 and ∞ are stored as `u32::MAX` (never expires).
    #[arg(short = 'x', value_name = "SECONDS", value_parser = values::session_expiry, help = "MQTT 5 session expiry interval; -1, 4294967295 or ∞ never expire")]
    pub session_expiry: Option<u32>,
    /// -c: ask the broker to keep the session (clean session / clean start = false).
    #[arg(
        short = 'c',
        long = "disable-clean-session",
        help = "Keep the session on the broker (needs -i)"
    )]
    pub disable_clean_session: bool,
    /// -A: local address to bind the outgoing socket to.
    #[arg(
        short = 'A',
        value_name = "ADDRESS",
        help = "Bind the outgoing socket to this local address"
    )]
    pub bind_address: Option<String>,
    /// --nodelay: set TCP_NODELAY.
    #[arg(long = "nodelay", help = "Disable Nagle's algorithm (TCP_NODELAY)")]
    pub nodelay: bool,
    /// --ws (mosquitto 2.1): MQTT over WebSocket to -h/-p, as `-L ws://HOST:PORT` would.
    #[arg(
        long = "ws",
        help = "Connect over WebSocket (path /mqtt), as -L ws://host:port/ does"
    )]
    pub ws: bool,
    /// --unix: connect through this unix socket instead of TCP; wins over -h/-p/-L.
    #[arg(
        long = "unix",
        value_name = "PATH",
        help = "Connect through a unix domain socket"
    )]
    pub unix: Option<PathBuf>,
    /// --quiet: do not print runtime errors (argument errors are still printed).
    #[arg(long = "quiet", help = "Do not print error messages")]
    pub quiet: bool,
    /// -d: print protocol debug lines.
    #[arg(short = 'd', long = "debug", help = "Print debug messages")]
    pub debug: bool,
    /// -q: QoS for publishing (pub, rr) or for every subscription (sub, rr).
    #[arg(short = 'q', long = "qos", value_name = "QOS", default_value = "0", value_parser = values::qos, help = "Quality of service (0, 1 or 2)")]
    pub qos: QoS,
    /// -M: maximum QoS 1/2 messages in flight.
    #[arg(short = 'M', value_name = "COUNT", value_parser = values::max_inflight, help = "Maximum QoS 1/2 messages in flight [default: as many as the broker's receive maximum allows, within 1 MiB; 20 for QoS 2 over MQTT 3.1.1]")]
    pub max_inflight: Option<u16>,
    /// --will-topic: topic of the last will; the will exists only when this is set.
    #[arg(
        long = "will-topic",
        value_name = "TOPIC",
        allow_hyphen_values = true,
        help = "Topic of the last will"
    )]
    pub will_topic: Option<String>,
    /// --will-payload: payload of the last will (raw bytes; empty when absent).
    #[arg(
        long = "will-payload",
        value_name = "PAYLOAD",
        allow_hyphen_values = true,
        help = "Payload of the last will [default: empty]"
    )]
    pub will_payload: Option<OsString>,
    /// --will-qos: QoS of the last will.
    #[arg(long = "will-qos", value_name = "QOS", default_value = "0", value_parser = values::will_qos, help = "QoS of the last will")]
    pub will_qos: QoS,
    /// --will-retain: retain the last will.
    #[arg(long = "will-retain", help = "Retain the last will")]
    pub will_retain: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// -D: raw MQTT 5 properties; use [`ConnectArgs::properties`] for the parsed form.
    #[command(flatten)]
    pub properties: RawProperties,
    /// -o: documented here for --help; [`crate::argv::args`] replaces it before parsing.
    #[arg(
        short = 'o',
        value_name = "FILE",
        help = "Read options from FILE, one per line (mosquitto 2.1)"
    )]
    pub options_file: Option<PathBuf>,
    /// mosquitto options mqtk parses only to reject or ignore.
    #[command(flatten)]
    pub unsupported: UnsupportedArgs,
}

/// TLS options, shared by pub/sub/rr, bench and check (mosquitto's names).
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// --cafile: trusted CA certificates (PEM); enables TLS.
    #[arg(
        long = "cafile",
        value_name = "FILE",
        help = "Trusted CA certificates (PEM); enables TLS"
    )]
    pub cafile: Option<PathBuf>,
    /// --capath: directory of trusted CA certificates (PEM); enables TLS.
    #[arg(
        long = "capath",
        value_name = "DIR",
        help = "Directory of trusted CA certificates; enables TLS"
    )]
    pub capath: Option<PathBuf>,
    /// --cert: client certificate (PEM); requires --key.
    #[arg(long = "cert", value_name = "FILE", help = "Client certificate (PEM)")]
    pub cert: Option<PathBuf>,
    /// --key: client private key (PEM); requires --cert.
    #[arg(long = "key", value_name = "FILE", help = "Client private key (PEM)")]
    pub key: Option<PathBuf>,
    /// --insecure: skip the server certificate hostname check.
    #[arg(
        long = "insecure",
        help = "Do not check the server certificate's hostname"
    )]
    pub insecure: bool,
    /// --tls-version: restrict TLS to one version; `None` allows 1.2 and 1.3.
    #[arg(long = "tls-version", value_name = "VERSION", value_parser = values::tls_version, help = "TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)")]
    pub tls_version: Option<TlsVersion>,
    /// --tls-alpn: ALPN protocol to offer.
    #[arg(
        long = "tls-alpn",
        value_name = "PROTOCOL",
        help = "ALPN protocol to offer"
    )]
    pub tls_alpn: Option<String>,
    /// --tls-use-os-certs: trust the OS certificate store; enables TLS.
    #[arg(
        long = "tls-use-os-certs",
        help = "Trust the operating system's CA certificates"
    )]
    pub tls_use_os_certs: bool,
    /// --tls-keylog (mosquitto 2.1): append the TLS secrets to FILE, for Wireshark.
    #[arg(
        long = "tls-keylog",
        value_name = "FILE",
        help = "Append TLS session secrets to FILE in NSS key log format, for Wireshark"
    )]
    pub tls_keylog: Option<PathBuf>,
    /// --no-tls (mosquitto 2.1): no TLS, whatever other options (an options file) say.
    #[arg(
        long = "no-tls",
        help = "Do not use TLS, cancelling TLS options given elsewhere (an options file)"
    )]
    pub no_tls: bool,
}

/// mosquitto options that depend on OpenSSL, SOCKS or DNS SRV.
///
/// Parsed so that scripts get a clear message instead of "unknown option"; hidden from help.
/// [`ConnectArgs::validate`] rejects all but `--ciphers` and `--keyform pem`, which are ignored.
#[derive(Debug, Clone, Args)]
pub struct UnsupportedArgs {
    /// --ciphers: OpenSSL cipher list; ignored (rustls' suites are all modern).
    #[arg(long = "ciphers", value_name = "CIPHERS", hide = true)]
    pub ciphers: Option<String>,
    /// --keyform: `pem` is accepted and ignored, `engine` is rejected.
    #[arg(long = "keyform", value_name = "FORM", hide = true)]
    pub keyform: Option<String>,
    /// --tls-engine: rejected (OpenSSL engines).
    #[arg(long = "tls-engine", value_name = "ENGINE", hide = true)]
    pub tls_engine: Option<String>,
    /// --tls-engine-kpass-sha1: rejected (OpenSSL engines).
    #[arg(long = "tls-engine-kpass-sha1", value_name = "SHA1", hide = true)]
    pub tls_engine_kpass_sha1: Option<String>,
    /// --psk: rejected (rustls has no TLS-PSK).
    #[arg(long = "psk", value_name = "HEX", hide = true)]
    pub psk: Option<String>,
    /// --psk-identity: rejected with --psk.
    #[arg(long = "psk-identity", value_name = "IDENTITY", hide = true)]
    pub psk_identity: Option<String>,
    /// --proxy: rejected (no SOCKS5 support).
    #[arg(long = "proxy", value_name = "URL", hide = true)]
    pub proxy: Option<String>,
    /// -S: rejected (no DNS SRV lookup).
    #[arg(short = 'S', hide = true)]
    pub srv: bool,
}

/// The payload options shared by pub and rr: exactly one of them must be given.
#[derive(Debug, Clone, Args)]
pub struct MessageArgs {
    /// -m: payload from the command line (raw bytes of the argument).
    #[arg(
        short = 'm',
        long = "message",
        value_name = "MESSAGE",
        allow_hyphen_values = true,
        help = "Payload given on the command line"
    )]
    pub message: Option<OsString>,
    /// -f: the whole file is the payload.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        help = "Send the contents of FILE as the payload"
    )]
    pub file: Option<PathBuf>,
    /// -s: the whole of stdin is the payload.
    #[arg(
        short = 's',
        long = "stdin-file",
        help = "Send all of stdin as the payload"
    )]
    pub stdin_file: bool,
    /// -n: a zero-length payload.
    #[arg(
        short = 'n',
        long = "null-message",
        help = "Send a zero-length payload"
    )]
    pub null_message: bool,
}

/// Where the payload of pub or rr comes from, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// -m: these bytes.
    Message(Vec<u8>),
    /// -f: the contents of this file.
    File(PathBuf),
    /// -s: all of stdin.
    Stdin,
    /// -l: one message per stdin line (pub only).
    Lines,
    /// -n: zero bytes.
    Null,
    /// --replay: one message per record of this file, `-` for stdin (pub only).
    Replay(PathBuf),
}

/// `mqtk pub`: mosquitto_pub's options.
#[derive(Debug, Clone, Args)]
pub struct PubArgs {
    /// Broker, session, will, TLS and `-D` options.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// -t: topic to publish to (no wildcards); see [`PubArgs::topic`] for -L.
    #[arg(
        short = 't',
        long = "topic",
        value_name = "TOPIC",
        allow_hyphen_values = true,
        help = "Topic to publish to"
    )]
    pub topic: Option<String>,
    /// -m/-f/-s/-n; see `payload()` for the resolved choice.
    #[command(flatten)]
    pub message: MessageArgs,
    /// -l: publish each stdin line as a message (see [`PubArgs::payload`]).
    #[arg(
        short = 'l',
        long = "stdin-line",
        help = "Send each line of stdin as a message; reconnect and resend if the connection drops"
    )]
    pub stdin_line: bool,
    /// -r: retain the message.
    #[arg(short = 'r', long = "retain", help = "Retain the message")]
    pub retain: bool,
    /// --repeat: publish the -m/-f/-s/-n message this many times.
    #[arg(long = "repeat", value_name = "COUNT", default_value = "1", value_parser = values::repeat, help = "Publish the message COUNT times")]
    pub repeat: u32,
    /// --repeat-delay: wait between repeated publishes.
    #[arg(long = "repeat-delay", value_name = "SECONDS", default_value = "0", value_parser = values::repeat_delay, help = "Seconds (fractions allowed) to wait between repeats")]
    pub repeat_delay: Duration,
    /// --topic-from-line: with -l, each line is `TOPIC SEP PAYLOAD` (mqtk extension).
    #[arg(
        long = "topic-from-line",
        value_name = "SEP",
        help = "With -l, split each line at the first SEP into topic and payload (mqtk extension)"
    )]
    pub topic_from_line: Option<String>,
    /// --replay: republish the records `sub --json` wrote (mqtk extension).
    #[arg(
        long = "replay",
        value_name = "FILE",
        help = "Publish each record of FILE (- for stdin), as sub --json writes them, with its topic, QoS, retain and properties (mqtk extension)"
    )]
    pub replay: Option<PathBuf>,
    /// --replay-timing: keep the spacing the records' `tst` fields recorded.
    #[arg(
        long = "replay-timing",
        help = "With --replay, keep the original spacing between messages (from their tst)"
    )]
    pub replay_timing: bool,
    /// --speed: with --replay-timing, play that many times faster.
    #[arg(long = "speed", value_name = "FACTOR", value_parser = values::positive_f64, help = "With --replay-timing, play FACTOR times faster (0.5: half speed) [default: 1]")]
    pub speed: Option<f64>,
}

/// Output options shared by sub and rr.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// -v: print `topic payload`.
    #[arg(
        short = 'v',
        long = "verbose",
        help = "Print the topic before the payload"
    )]
    pub verbose: bool,
    /// -N: no newline after each message.
    #[arg(short = 'N', help = "Do not print a newline after each message")]
    pub no_eol: bool,
    /// -F: mosquitto output format string (already syntax-checked); overrides -v.
    #[arg(short = 'F', value_name = "FORMAT", allow_hyphen_values = true, value_parser = crate::format::check, help = "Output format (%t topic, %p payload, %j JSON, ...)")]
    pub format: Option<String>,
    /// --pretty: pretty-print the JSON of %j/%J (and of --json).
    #[arg(long = "pretty", help = "Pretty-print JSON output")]
    pub pretty: bool,
    /// --json: one binary-safe JSON object per message (mqtk extension; excludes -F).
    #[arg(
        long = "json",
        help = "Print one binary-safe JSON line per message (mqtk extension)"
    )]
    pub json: bool,
    /// -R: skip messages with the retain flag (and ask the broker not to send retained ones).
    #[arg(short = 'R', help = "Do not print retained (stale) messages")]
    pub no_retained: bool,
}

/// `mqtk sub`: mosquitto_sub's options.
#[derive(Debug, Clone, Args)]
pub struct SubArgs {
    /// Broker, session, will, TLS and `-D` options.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// How received messages are printed.
    #[command(flatten)]
    pub output: OutputArgs,
    /// -t: topic filters to subscribe to; see [`SubArgs::topics`] for -L.
    #[arg(short = 't', long = "topic", value_name = "FILTER", action = ArgAction::Append, allow_hyphen_values = true, help = "Topic filter to subscribe to (repeatable)")]
    pub topics: Vec<String>,
    /// -T: topic filters whose messages are not printed.
    #[arg(short = 'T', long = "filter-out", value_name = "FILTER", action = ArgAction::Append, allow_hyphen_values = true, help = "Do not print topics matching FILTER (repeatable)")]
    pub filter_out: Vec<String>,
    /// -C: exit after this many messages.
    #[arg(short = 'C', value_name = "COUNT", value_parser = values::msg_count, help = "Exit after COUNT messages")]
    pub msg_count: Option<u32>,
    /// -W: exit with code 27 after this many seconds.
    #[arg(short = 'W', value_name = "SECONDS", value_parser = values::timeout, help = "Exit after SECONDS (exit code 27)")]
    pub timeout: Option<u32>,
    /// -E: exit once every SUBACK has arrived.
    #[arg(short = 'E', help = "Exit once all subscriptions are acknowledged")]
    pub exit_after_sub: bool,
    /// --retained-only: print retained messages only; exit at the first non-retained one.
    #[arg(
        long = "retained-only",
        help = "Print only retained messages; exit at the first live one"
    )]
    pub retained_only: bool,
    /// --remove-retained: clear each retained message received (except -T filtered ones).
    #[arg(
        long = "remove-retained",
        help = "Clear every retained message received"
    )]
    pub remove_retained: bool,
    /// -U: topic filters to unsubscribe from after subscribing.
    #[arg(short = 'U', long = "unsubscribe", value_name = "FILTER", action = ArgAction::Append, allow_hyphen_values = true, help = "Unsubscribe from FILTER (repeatable)")]
    pub unsubscribe: Vec<String>,
    /// --random-filter: print each message with this probability, in percent (0.1-100).
    #[arg(long = "random-filter", value_name = "PERCENT", value_parser = values::random_filter, help = "Print only PERCENT % of messages, at random")]
    pub random_filter: Option<f64>,
    /// --retain-as-published: MQTT 5 subscription option.
    #[arg(
        long = "retain-as-published",
        help = "Keep the retain flag as published (MQTT 5)"
    )]
    pub retain_as_published: bool,
    /// --retain-handling (mosquitto 2.1): MQTT 5 subscription option; not sent in 3.1.1.
    #[arg(long = "retain-handling", value_name = "WHEN", default_value = "always", value_parser = values::retain_handling, help = "Retained messages on subscribing: always, new (only for a new subscription) or never (MQTT 5)")]
    pub retain_handling: u8,
    /// -w/--watch (mosquitto 2.1): each topic's messages printed on its own terminal row.
    #[arg(
        short = 'w',
        long = "watch",
        help = "Print each topic's messages on a fixed terminal row (ANSI cursor moves)"
    )]
    pub watch: bool,
    /// --message-rate (mosquitto 2.1): print messages per second instead of messages; wins
    /// over -w.
    #[arg(
        long = "message-rate",
        help = "Print the number of messages received each second (N msgs/s) instead of the messages; turns -w off"
    )]
    pub message_rate: bool,
}

/// `mqtk rr`: mosquitto_rr's options (request/response; MQTT 5 by default).
#[derive(Debug, Clone, Args)]
pub struct RrArgs {
    /// Broker, session, will, TLS and `-D` options.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// How received messages are printed.
    #[command(flatten)]
    pub output: OutputArgs,
    /// -e: topic to subscribe to for the response (sent as response-topic in MQTT 5).
    #[arg(
        short = 'e',
        value_name = "TOPIC",
        allow_hyphen_values = true,
        help = "Response topic to wait on (required)"
    )]
    pub response_topic: Option<String>,
    /// -t: topic to send the request to; see [`RrArgs::topic`] for -L.
    #[arg(
        short = 't',
        long = "topic",
        value_name = "TOPIC",
        allow_hyphen_values = true,
        help = "Topic to send the request to"
    )]
    pub topic: Option<String>,
    /// -m/-f/-s/-n; see `payload()` for the resolved choice.
    #[command(flatten)]
    pub message: MessageArgs,
    /// -W: give up (exit 27) after this many seconds.
    #[arg(short = 'W', value_name = "SECONDS", value_parser = values::timeout, help = "Wait at most SECONDS for the response (exit code 27)")]
    pub timeout: Option<u32>,
    /// --retain-as-published: MQTT 5 option of the response subscription.
    #[arg(
        long = "retain-as-published",
        help = "Keep the retain flag as published (MQTT 5)"
    )]
    pub retain_as_published: bool,
    /// --retain-handling (mosquitto 2.1): MQTT 5 option of the response subscription.
    #[arg(long = "retain-handling", value_name = "WHEN", default_value = "always", value_parser = values::retain_handling, help = "Retained messages on subscribing: always, new (only for a new subscription) or never (MQTT 5)")]
    pub retain_handling: u8,
    /// --latency (mosquitto 2.1): print how long the response took.
    #[arg(
        long = "latency",
        help = "After the response, print the time from sending the request to receiving the response"
    )]
    pub latency: bool,
}

#[cfg(test)]
mod tests;
