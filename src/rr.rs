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
use std::time::Instant;

/// `mqtk rr`: returns the process exit status.
pub fn main(args: RrArgs) -> i32 {
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
    };
    let session = exchange(target, subscribe, request, output, disconnect);
    subscribe::finish_with_timeout(session, args.timeout, args.connect.quiet, Tool::Rr)
}

/// What rr prints: the response as sub would, and with `--latency` the round trip.
struct Output {
    formatter: Formatter,
    latency: bool,
}

impl Output {
    /// The response, then `Latency: N.NNN ms` when asked for, timed from `sent`.
    fn response(&self, msg: &Publish, sent: Instant) -> Vec<u8> {
        let elapsed = sent.elapsed();
        let mut out = Vec::new();
        if let Err(text) = self.formatter.write(msg, &mut out) {
            eprintln!("{text}");
        }
        if self.latency {
            let ms = elapsed.as_secs_f64() * 1e3;
            out.extend_from_slice(format!("Latency: {ms:.3} ms\n").as_bytes());
        }
        out
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
