//! MQTT.js, the client of browser dashboards and node services, against `mqtk serve` (a real
//! process on loopback): under node over TCP and WebSocket, and in headless chromium over
//! ws:// and wss:// (the test CA trusted in the browser's NSS database), with MQTT 3.1.1 and
//! 5. Each run connects, subscribes, publishes at QoS 0, 1 and 2, checks a retained message
//! and a will, and with MQTT 5 that properties come back as sent (tests/js/scenario.js).

mod common;

use common::{mqtt_js_chromium, mqtt_js_node, scenario_checks, Broker, Pki};

#[test]
fn mqtt_js_under_node_over_tcp() {
    let served = Broker::mqtk_serve();
    let url = format!("mqtt://127.0.0.1:{}", served.port);
    for version in [4, 5] {
        mqtt_js_node(&url, version);
    }
}

#[test]
fn mqtt_js_under_node_over_websocket() {
    let served = Broker::mqtk_serve_listeners(&["--port", "0", "--ws-port", "0"], 2);
    let url = format!("ws://127.0.0.1:{}/mqtt", served.port_of(" (ws)"));
    for version in [4, 5] {
        mqtt_js_node(&url, version);
    }
}

/// What the page reports when every check passed over `scheme`, with MQTT 3.1.1 then 5.
fn all_passed(scheme: &str) -> Vec<String> {
    let mut lines: Vec<String> = [4, 5]
        .into_iter()
        .flat_map(|version| {
            scenario_checks(version)
                .into_iter()
                .map(move |check| format!("{scheme} {version} ok {check}"))
        })
        .collect();
    lines.push("OK".into());
    lines
}

#[test]
fn mqtt_js_in_chromium_over_websocket() {
    let served = Broker::mqtk_serve_listeners(&["--port", "0", "--ws-port", "0"], 2);
    let url = format!("ws://127.0.0.1:{}/mqtt", served.port_of(" (ws)"));
    let reported = mqtt_js_chromium(&[(&url, 4), (&url, 5)], None);
    assert_eq!(reported, all_passed("ws"));
}

#[test]
fn mqtt_js_in_chromium_over_secure_websocket() {
    let pki = Pki::new();
    let mut args: Vec<String> = ["--port", "0", "--wss-port", "0"].map(String::from).into();
    args.extend(pki.server_args());
    let served = Broker::mqtk_serve_listeners(&args, 2);
    let url = format!("wss://127.0.0.1:{}/mqtt", served.port_of(" (wss)"));
    let reported = mqtt_js_chromium(&[(&url, 4), (&url, 5)], Some(&pki.path("ca.pem")));
    assert_eq!(reported, all_passed("wss"));
}
