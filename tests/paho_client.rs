//! paho-mqtt (Python) against `mqtk serve` (a real process on loopback) over TCP and
//! WebSocket, with MQTT 3.1.1 and 5: connect, subscribe, QoS 0, 1 and 2, a retained message, a
//! will and, with MQTT 5, properties that must come back as sent (common/paho_scenario.py).

mod common;

use common::{paho_with, Broker};

#[test]
fn paho_over_tcp_and_websocket() {
    let served = Broker::mqtk_serve_listeners(&["--port", "0", "--ws-port", "0"], 2);
    let ws: u16 = served.port_of(" (ws)").parse().expect("port");
    let scenario = include_str!("common/paho_scenario.py");
    for (transport, port) in [("tcp", served.port), ("websockets", ws)] {
        for v5 in ["0", "1"] {
            paho_with(port, &[("TRANSPORT", transport), ("V5", v5)], scenario);
        }
    }
}
