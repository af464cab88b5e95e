//! mqtk: an MQTT toolkit. `pub`/`sub`/`rr` replace mosquitto's clients, `serve` is an embedded
//! broker and `bench` a load generator; all of them share one packet codec.

pub mod argv;
pub mod bench;
pub mod broker;
pub mod broker_url;
pub mod cli;
pub mod client;
pub mod codec;
pub mod connect;
pub mod connection;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod heap;
pub mod passwd;
pub mod password;
pub mod properties;
pub mod publish;
pub mod retry;
pub mod rr;
pub mod subscribe;
pub mod topic;
pub mod transport;
