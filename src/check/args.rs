//! The `mqtk check` command line: bench's broker options, the checks to run and what the
//! size probes must reach.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::bench::{seconds, BrokerArgs};
use crate::codec::Version;

/// `mqtk check`: probe a broker and exit 0 only when every asked-for check passes.
///
/// The broker options are bench's; two read differently here: `-V` pins the one protocol
/// version to probe, and `-u` is sent as given.
#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("protocol_version", |a| a.help("Probe only this MQTT version: 5, 311, mqttv5 or mqttv311 [default: both]")),
    mut_arg("username", |a| a.help("Username")),
    mut_arg("serve", |a| a.help("Start the embedded broker on a free loopback port and probe it")),
)]
pub struct CheckArgs {
    /// The checks to run; every check when none is named.
    #[arg(
        value_name = "CHECK",
        value_enum,
        help = "Checks to run [default: all]"
    )]
    pub checks: Vec<Check>,
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// --json: one JSON object on stdout instead of the table.
    #[arg(
        long = "json",
        help = "Print the results as one JSON line instead of a table",
        help_heading = "Output"
    )]
    pub json: bool,
    /// --timeout: every wait of every check gives up after this long, so a broker that
    /// never answers fails a check instead of hanging it.
    #[arg(long = "timeout", value_name = "DURATION", default_value = "5s", value_parser = seconds, help = "Give up on any one step of a check after DURATION (5s, 500ms; bare number = s)", help_heading = "Checks")]
    pub timeout: Duration,
    /// --payload-size: the payload the `payload` check needs to see round-trip.
    #[arg(long = "payload-size", value_name = "BYTES", default_value = "65536", value_parser = clap::value_parser!(u32).range(1..=268_435_000), help = "Payload size the payload check must round-trip", help_heading = "Checks")]
    pub payload_size: u32,
    /// --topic-length: the topic length the `topic-length` check needs to see round-trip.
    #[arg(long = "topic-length", value_name = "BYTES", default_value = "256", value_parser = clap::value_parser!(u16).range(32..), help = "Topic length the topic-length check must round-trip", help_heading = "Checks")]
    pub topic_length: u16,
    /// --client-id-length: the client id length `client-id-length` needs; 23 is what MQTT
    /// guarantees (3.1.1 section 3.1.3.1).
    #[arg(long = "client-id-length", value_name = "BYTES", default_value = "23", value_parser = clap::value_parser!(u16).range(1..), help = "Client id length the client-id-length check must see accepted", help_heading = "Checks")]
    pub client_id_length: u16,
}

impl CheckArgs {
    /// Cross-option rules clap cannot express.
    pub fn validate(&self) -> Result<(), String> {
        if self.broker.protocol_version == Some(Version::V31) {
            return Err("Error: check probes MQTT 3.1.1 and 5 (-V 311 or -V 5).".into());
        }
        if self.timeout.is_zero() {
            return Err("Error: --timeout must be greater than 0.".into());
        }
        self.broker.validate()
    }
}

/// One check: its name on the command line and in the output, in the report's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Check {
    /// CONNECT with MQTT 3.1.1 is accepted.
    #[value(name = "connect-311")]
    Connect311,
    /// CONNECT with MQTT 5 is accepted; reports the CONNACK's limits.
    #[value(name = "connect-5")]
    Connect5,
    /// A QoS 0 message comes back.
    Qos0,
    /// A QoS 1 message is acknowledged and comes back at QoS 1.
    Qos1,
    /// A QoS 2 message completes and comes back at QoS 2.
    Qos2,
    /// A retained message reaches a later subscriber, and clearing it works.
    Retained,
    /// `+` and `#` filters match, and `+` only one level.
    Wildcards,
    /// A `$share/GROUP/...` subscription receives.
    Shared,
    /// The largest payload that round-trips, against --payload-size.
    Payload,
    /// The longest topic that round-trips, against --topic-length.
    TopicLength,
    /// The longest client id accepted, against --client-id-length.
    ClientIdLength,
    /// A connection lost without DISCONNECT publishes its will.
    Will,
    /// MQTT 5 no-local: our own messages are not sent back.
    NoLocal,
    /// MQTT 5 message expiry: a message queued past its expiry interval is not delivered.
    MessageExpiry,
}

impl Check {
    /// Its name as the command line spells it.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// Probes of MQTT 5 features, skipped when MQTT 5 is not spoken.
    pub fn needs_v5(self) -> bool {
        matches!(self, Check::NoLocal | Check::MessageExpiry)
    }
}
