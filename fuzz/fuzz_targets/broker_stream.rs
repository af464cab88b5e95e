//! One connection's bytes through the broker's real connection handler (an in-memory pipe
//! into a fresh in-process broker): no panic, the connection ends within two seconds of the
//! client's EOF, and everything the broker writes back is well-formed MQTT at the level the
//! client's CONNECT named.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mqtk::broker::Config;
use mqtk::codec::{self, Packet};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    // A runtime per input: whatever the connection left behind (timers, tasks) goes with it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let config = Config {
        sys_interval: None,
        ..Config::default()
    };
    let exchanged = mqtk::fuzzing::exchange(config, data, Duration::from_secs(2));
    let output = runtime
        .block_on(exchanged)
        .expect("the broker closed the connection within 2 s of EOF");
    let mut first = BytesMut::from(data);
    if let Ok(Some(Packet::Connect(connect))) = codec::decode(&mut first, None, usize::MAX) {
        mqtk_fuzz::assert_well_formed(&output, connect.version);
    }
});
