//! `mqtk rr`: one request, one response, like mosquitto_rr.
//!
//! Subscribes to the response topic first, so the answer cannot slip past, then publishes the
//! request carrying that topic as its MQTT 5 response-topic, and prints the first message that
//! comes back with sub's output options.

use crate::cli::{self, RrArgs};
use crate::client::Event;
use crate::codec::{Packet, Publish, Reason, Subscribe, Subscription};
use crate::connect::{self, Target, Tool};
use crate::format::Formatter;
use crate::subscribe::{self, SubError};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// `mqtk rr`: returns the process exit status.
pub fn main(mut args: RrArgs) -> i32 {
    // mosquitto_rr 2.1: --latency also sets --nodelay, so Nagle's algorithm does not add to it.
    args.connect.nodelay |= args.latency;
    let version = args.version();
    let (props, target) = match connect::prepare(&args.connect, version, Tool::Rr) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let formatter = match subscribe::formatter(&args.output) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let body = match args.payload() {
        Some(cli::Payload::Message(body)) => body,
        Some(cli::Payload::File(path)) => match std::fs::read(&path) {
            Ok(body) => body,
            Err(_) => {
                eprintln!("Error: Unable to open file \"{}\".", path.display());
                return 1;
            }
        },
        Some(cli::Payload::Stdin) => {
            let mut body = Vec::new();
            if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut body) {
                eprintln!("Error: {e}");
                return 1;
            }
            body
        }
        _ => Vec::new(),
    };
    let response_topic = args.response_topic.clone().unwrap_or_default();
    let mut request = Publish {
        qos: args.connect.qos,
        topic: args.topic().unwrap_or_default().to_string(),
        payload: Bytes::from(body),
        properties: props.publish.clone().into(),
        ..Publish::default()
    };
    if version.is_v5() {
        request.properties.response_topic = Some(response_topic.clone());
    }
    let subscribe = Subscribe {
        filters: vec![Subscription {
            filter: response_topic,
            qos: args.connect.qos,
            retain_as_published: args.retain_as_published,
            retain_handling: args.retain_handling,
            ..Subscription::default()
        }],
        properties: props.subscribe.clone().into(),
        ..Subscribe::default()
    };
    let disconnect = Reason {
        code: 0,
        properties: props.disconnect.clone().into(),
    };
    let output = Output {
        formatter,
        latency: args.latency,
        quiet: args.connect.quiet,
    };
    let session = exchange(target, subscribe, request, output, disconnect);
    subscribe::finish_with_timeout(session, args.timeout, args.connect.quiet, Tool::Rr, || {})
}

/// What rr prints: the response as sub would, and with `--latency` the round trip.
struct Output {
    formatter: Formatter,
    latency: bool,
    /// `--quiet`: the formatter's errors are not printed.
    quiet: bool,
}

impl Output {
    /// The response, then with `--latency` the time since `sent` as mosquitto_rr 2.1 prints it.
    fn response(&self, msg: &Publish, sent: Instant) -> Vec<u8> {
        let elapsed = sent.elapsed();
        let mut out = Vec::new();
        if let Err(text) = self.formatter.write(msg, &mut out) {
            if !self.quiet {
                eprint!("{text}");
            }
        }
        if self.latency {
            out.extend_from_slice(latency_line(elapsed).as_bytes());
        }
        out
    }
}

/// `--latency`'s line, in mosquitto_rr 2.1's units (`report_latency`): from a second up,
/// seconds with nine decimals and no unit; below, whole nanoseconds under 1 µs, else
/// microseconds under 1 ms, else milliseconds, both with C's six `%f` decimals.
fn latency_line(elapsed: Duration) -> String {
    let (secs, nanos) = (elapsed.as_secs(), elapsed.subsec_nanos());
    match nanos {
        _ if secs > 0 => format!("Latency: {secs}.{nanos:09}\n"),
        0..1_000 => format!("Latency: {nanos}ns\n"),
        1_000..1_000_000 => format!("Latency: {:.6}\u{b5}s\n", f64::from(nanos) / 1e3),
        _ => format!("Latency: {:.6}ms\n", f64::from(nanos) / 1e6),
    }
}

async fn exchange(
    target: Target,
    subscribe: Subscribe,
    request: Publish,
    output: Output,
    disconnect: Reason,
) -> Result<(), SubError> {
    let mut client = target.open().await?;
    client.request(Packet::Subscribe(subscribe))?;
    let mut request = Some(request);
    let mut sent = Instant::now();
    loop {
        match client.next_event().await? {
            Event::SubAck(ack) if ack.codes.iter().all(|&c| c >= 0x80) => {
                eprintln!("All subscription requests were denied.");
                return Err(SubError::AllDenied);
            }
            Event::SubAck(_) => {
                if let Some(request) = request.take() {
                    sent = Instant::now();
                    client.publish(request)?;
                }
            }
            Event::Message(msg) => {
                subscribe::write_stdout(&output.response(&msg, sent))?;
                while client.inflight() > 0 {
                    client.next_event().await?;
                }
                client.disconnect(disconnect).await?;
                return Ok(());
            }
            Event::UnsubAck(_) | Event::Delivered { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_in_mosquitto_rr_units() {
        let line = |nanos: u64| latency_line(Duration::from_nanos(nanos));
        assert_eq!(line(999), "Latency: 999ns\n");
        assert_eq!(line(1_000), "Latency: 1.000000\u{b5}s\n");
        assert_eq!(line(123_456), "Latency: 123.456000\u{b5}s\n");
        assert_eq!(line(1_000_000), "Latency: 1.000000ms\n");
        assert_eq!(line(300_123_456), "Latency: 300.123456ms\n");
        assert_eq!(line(999_999_999), "Latency: 999.999999ms\n");
        assert_eq!(line(1_000_000_000), "Latency: 1.000000000\n");
        assert_eq!(line(12_000_000_007), "Latency: 12.000000007\n");
    }
}
