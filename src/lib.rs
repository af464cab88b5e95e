//! mqtk: an MQTT toolkit. `pub`/`sub`/`rr` replace mosquitto's clients, `serve` is an embedded
//! broker, `bench` a load generator and `check` a broker probe; all of them share one packet
//! codec.
//!
//! Exported are only the modules the binary, the integration tests and the fuzz targets name;
//! the rest stay private, so rustc reports what nothing uses.

pub mod argv;
pub mod bench;
pub mod broker;
mod broker_url;
pub mod check;
pub mod cli;
mod client;
pub mod codec;
mod connect;
mod connection;
mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod heap;
pub mod passwd;
pub mod password;
mod properties;
pub mod publish;
mod retry;
pub mod rr;
pub mod subscribe;
pub mod topic;
mod transport;
