//! mqtk: an MQTT toolkit. `pub`/`sub`/`rr` replace mosquitto's clients, `serve` is an embedded
//! broker and `bench` a load generator; all of them share one packet codec.

pub mod broker;
pub mod broker_url;
pub mod client;
pub mod codec;
pub mod connection;
pub mod format;
pub mod publish;
pub mod subscribe;
pub mod topic;
pub mod transport;
