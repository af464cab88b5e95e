//! The scenario parameters echoed in the summary, so that a JSON result describes its run.

use serde_json::{json, Map, Value};

use super::args::{CommonArgs, PublishArgs};
use super::template::Template;
use crate::codec::{QoS, Version};

/// Broker, protocol and run bounds.
pub fn common(c: &CommonArgs) -> Map<String, Value> {
    let b = &c.broker;
    let broker = if b.serve {
        "embedded".to_string()
    } else if let Some(path) = &b.unix {
        format!("unix:{}", path.display())
    } else {
        let a = b.connect_args(1);
        format!("{}:{}", a.host(), a.port())
    };
    let mut m = Map::new();
    m.insert("broker".into(), json!(broker));
    m.insert("protocol".into(), json!(version(b.version())));
    m.insert("duration_s".into(), json!(c.duration.as_secs_f64()));
    m.insert("connect_rate".into(), json!(c.connect_rate));
    m.insert("id_prefix".into(), json!(c.id_prefix()));
    m
}

/// What the publishers do.
pub fn publish(m: &mut Map<String, Value>, p: &PublishArgs) {
    m.insert("clients".into(), json!(p.clients));
    m.insert("qos".into(), json!(qos(p.qos)));
    m.insert("size".into(), json!(p.size));
    m.insert("retain".into(), json!(p.retain));
    m.insert("rate".into(), json!(p.rate));
    m.insert(
        "interval_ms".into(),
        json!(p.interval.map(|i| i.as_secs_f64() * 1e3)),
    );
    m.insert("count".into(), json!(p.count));
    m.insert("topic".into(), json!(p.topic.as_str()));
    m.insert("inflight".into(), json!(p.inflight));
    m.insert("warmup_s".into(), json!(p.warmup.as_secs_f64()));
}

/// Topic templates as given.
pub fn topics(topics: &[Template]) -> Value {
    json!(topics.iter().map(Template::as_str).collect::<Vec<_>>())
}

/// QoS as its number.
pub fn qos(q: QoS) -> u8 {
    q as u8
}

fn version(v: Version) -> &'static str {
    match v {
        Version::V5 => "5",
        Version::V311 => "3.1.1",
        Version::V31 => "3.1",
    }
}
