//! mqtk: an MQTT toolkit. `pub`/`sub`/`rr` replace mosquitto's clients, `serve` is an embedded
//! broker and `bench` a load generator; all of them share one packet codec.

pub mod codec;
pub mod format;
