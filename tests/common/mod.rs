//! The one harness of the integration tests: each `tests/*.rs` says `mod common;` and uses
//! what it needs from here. One module per concept, each saying when to use it:
//!
//! - [`process`]: the built `mqtk` and other programs as processes, waited for with a deadline.
//! - [`broker`]: mosquitto or `mqtk serve` as a broker *process*: to compare the two brokers,
//!   to read the broker's log, or to kill, signal, freeze and restart it.
//! - [`embedded`]: the broker in-process, configured through `Config`: the fast default for
//!   broker behaviour.
//! - [`clients`]: mosquitto_pub / mosquitto_sub against either broker.
//! - [`raw`]: a codec-level client and hand-written frames, for what real clients never do.
//! - [`paho`]: paho-mqtt scripts, for MQTT 5 features the mosquitto clients cannot drive.
//! - [`js`]: MQTT.js under node and in headless chromium, running tests/js/scenario.js.
//! - [`proxy`]: a TCP proxy that holds the broker's replies or cuts connections.
//! - [`tls`]: a private CA with server and client certificates.
//! - [`wire`]: one raw exchange against mosquitto and the embedded broker, bytes compared.
//! - [`tools`]: the other programs by absolute path, and the one line a test binary prints
//!   when one is missing (run `scripts/test`).
// Each test file uses only part of the harness.
#![allow(dead_code, unused_imports)]

pub mod broker;
pub mod clients;
pub mod embedded;
pub mod js;
pub mod paho;
pub mod process;
pub mod proxy;
pub mod raw;
pub mod tls;
pub mod tools;
pub mod wire;

pub use broker::*;
pub use clients::*;
pub use embedded::*;
pub use js::*;
pub use paho::*;
pub use process::*;
pub use proxy::*;
pub use raw::*;
pub use tls::*;
pub use tools::*;

/// A broker listening on 127.0.0.1, process or embedded: what clients are pointed at.
pub trait Target {
    /// The port of its (first) listener.
    fn port(&self) -> u16;
}

/// A reference to a broker is one too, so `&broker` works where `broker` is already a reference.
impl<T: Target + ?Sized> Target for &T {
    fn port(&self) -> u16 {
        (**self).port()
    }
}

/// `-h 127.0.0.1 -p PORT`, the address arguments of every client.
pub fn host_port(port: u16) -> Vec<String> {
    vec![
        "-h".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
    ]
}
