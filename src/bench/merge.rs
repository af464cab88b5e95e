//! `mqtk bench merge`: the `--json` summaries of runs split over processes or machines,
//! combined into the summary of one run. Counts add up and the latency histograms are merged
//! from their lossless encoding, so the percentiles are those of all samples together:
//! percentiles of parts cannot be averaged into the percentile of the whole.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use hdrhistogram::Histogram;
use serde_json::{Map, Value};

use super::loss::Tally;
use super::report::{Connections, Kind, Report};
use super::stats;

/// Reads each summary file (one JSON object, as `--json` prints it) and merges them.
pub fn files(paths: &[PathBuf]) -> anyhow::Result<Report> {
    let reports = paths
        .iter()
        .map(|path| read(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    merge(reports)
}

fn read(path: &Path) -> anyhow::Result<Report> {
    let name = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    summary(&text).with_context(|| format!("{name}"))
}

/// A report from the text of a `--json` summary, as [`files`] reads each file (and the fuzz
/// target arbitrary text).
pub fn summary(text: &str) -> anyhow::Result<Report> {
    let value: Value = serde_json::from_str(text.trim()).context("not a bench --json summary")?;
    parse(&value)
}

/// A report from its JSON summary.
fn parse(v: &Value) -> anyhow::Result<Report> {
    let kind = match text(v, "scenario")? {
        "conn" => Kind::Conn,
        "pub" => Kind::Pub,
        "sub" => Kind::Sub,
        "pubsub" => Kind::PubSub,
        other => bail!("unknown scenario {other:?}"),
    };
    let h = &v["histograms"];
    if !h.is_object() {
        bail!("no \"histograms\" (a summary of an older mqtk cannot be merged)");
    }
    Ok(Report {
        kind,
        params: v["params"].as_object().cloned().unwrap_or_default(),
        elapsed: seconds(v, "elapsed_s")?,
        connections: connections(&v["connections"])?,
        connect_time: histogram(h, "connect_time")?,
        target_rate: v["target_rate"].as_f64(),
        sent: count(v, "sent")?,
        acked: v["acked"].as_u64(),
        refused: count(v, "refused")?,
        tally: Tally {
            received: count(v, "received")?,
            lost: count(v, "lost")?,
            duplicates: count(v, "duplicates")?,
            out_of_order: count(v, "out_of_order")?,
            foreign: count(v, "foreign")?,
        },
        latency: histogram(h, "latency")?,
        ack_latency: match h["ack_latency"].is_null() {
            true => None,
            false => Some(histogram(h, "ack_latency")?),
        },
    })
}

fn connections(c: &Value) -> anyhow::Result<Connections> {
    Ok(Connections {
        clients: count(c, "clients")?,
        connected: count(c, "connected")?,
        failed: count(c, "failed")?,
        reconnects: count(c, "reconnects")?,
        ramp: seconds(c, "ramp_s")?,
        rss: c["rss_bytes"].as_u64(),
        rss_per_connection: c["rss_per_connection_bytes"].as_u64(),
    })
}

/// One report of runs that ran at the same time: counts and histograms added, the longest
/// window, and the parameters all runs share (with `runs`, how many runs went into it).
fn merge(reports: Vec<Report>) -> anyhow::Result<Report> {
    let runs: u64 = reports.iter().map(runs).sum();
    let per_connection = rss_per_connection(&reports);
    let mut reports = reports.into_iter();
    let Some(mut total) = reports.next() else {
        bail!("nothing to merge");
    };
    for r in reports {
        add_run(&mut total, r)?;
    }
    total.connections.rss_per_connection = per_connection;
    total.params.insert("runs".into(), runs.into());
    Ok(total)
}

fn add_run(total: &mut Report, r: Report) -> anyhow::Result<()> {
    total.kind = kind(total.kind, r.kind)?;
    total.params = shared(&total.params, &r.params);
    total.elapsed = total.elapsed.max(r.elapsed);
    add_connections(&mut total.connections, &r.connections);
    add(&mut total.connect_time, &r.connect_time)?;
    total.target_rate = sum(total.target_rate, r.target_rate);
    total.sent += r.sent;
    total.acked = sum(total.acked, r.acked);
    total.refused += r.refused;
    let (t, o) = (&mut total.tally, &r.tally);
    t.received += o.received;
    t.lost += o.lost;
    t.duplicates += o.duplicates;
    t.out_of_order += o.out_of_order;
    t.foreign += o.foreign;
    add(&mut total.latency, &r.latency)?;
    total.ack_latency = match (total.ack_latency.take(), r.ack_latency) {
        (Some(mut a), Some(b)) => {
            add(&mut a, &b)?;
            Some(a)
        }
        (a, b) => a.or(b),
    };
    Ok(())
}

/// Runs a summary stands for: 1, or what an earlier merge counted, so merges of merges add up.
fn runs(r: &Report) -> u64 {
    r.params.get("runs").and_then(Value::as_u64).unwrap_or(1)
}

/// Publishers and subscribers split over processes make one `pubsub` run together.
fn kind(a: Kind, b: Kind) -> anyhow::Result<Kind> {
    match (a, b) {
        _ if a == b => Ok(a),
        (Kind::Conn, other) | (other, Kind::Conn) => {
            bail!("cannot merge a conn run with a {} run", other.name())
        }
        _ => Ok(Kind::PubSub),
    }
}

fn shared(a: &Map<String, Value>, b: &Map<String, Value>) -> Map<String, Value> {
    a.iter()
        .filter(|(k, v)| b.get(*k) == Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn add_connections(a: &mut Connections, b: &Connections) {
    a.clients += b.clients;
    a.connected += b.connected;
    a.failed += b.failed;
    a.reconnects += b.reconnects;
    a.ramp = a.ramp.max(b.ramp);
    a.rss = sum(a.rss, b.rss);
}

/// Memory per connection: the mean over the connected clients of the runs that measured it.
fn rss_per_connection(reports: &[Report]) -> Option<u64> {
    let (bytes, clients) = reports
        .iter()
        .filter_map(|r| {
            let c = &r.connections;
            c.rss_per_connection
                .map(|per| (per.saturating_mul(c.connected), c.connected))
        })
        .fold((0u64, 0u64), |(b, n), (x, m)| {
            (b.saturating_add(x), n.saturating_add(m))
        });
    bytes.checked_div(clients)
}

fn sum<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

fn add(total: &mut Histogram<u64>, other: &Histogram<u64>) -> anyhow::Result<()> {
    total
        .add(other)
        .map_err(|e| anyhow::anyhow!("histograms do not merge: {e:?}"))
}

fn histogram(h: &Value, key: &str) -> anyhow::Result<Histogram<u64>> {
    stats::decode(text(h, key)?).with_context(|| format!("bad histogram {key:?}"))
}

fn text<'a>(v: &'a Value, key: &str) -> anyhow::Result<&'a str> {
    v[key].as_str().with_context(|| format!("no text {key:?}"))
}

fn seconds(v: &Value, key: &str) -> anyhow::Result<Duration> {
    v[key]
        .as_f64()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .with_context(|| format!("no duration {key:?}"))
}

fn count(v: &Value, key: &str) -> anyhow::Result<u64> {
    v[key].as_u64().with_context(|| format!("no count {key:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Latency;

    fn run(kind: Kind, sent: u64, latencies: &[u64]) -> Report {
        let mut latency = stats::histogram();
        for &ns in latencies {
            latency.record(ns).unwrap();
        }
        let mut params = Map::new();
        params.insert("qos".into(), 1.into());
        params.insert("clients".into(), sent.into());
        Report {
            kind,
            params,
            elapsed: Duration::from_secs(sent),
            connections: Connections {
                clients: 2,
                connected: 2,
                rss_per_connection: Some(1000 * sent),
                ..Connections::default()
            },
            connect_time: stats::histogram(),
            target_rate: None,
            sent,
            acked: Some(sent),
            refused: 0,
            tally: Tally {
                received: latencies.len() as u64,
                lost: 1,
                ..Tally::default()
            },
            latency,
            ack_latency: None,
        }
    }

    /// Through the JSON each run prints, as `bench merge` reads it.
    fn printed(r: &Report) -> Report {
        parse(&r.json(&[])).unwrap()
    }

    #[test]
    fn a_merge_is_the_run_of_all_samples() {
        let a = run(Kind::Pub, 1, &[]);
        let b = run(Kind::Sub, 3, &[1_000; 99]);
        let c = run(Kind::Sub, 2, &[50_000_000]);
        let m = merge([a, b, c].iter().map(printed).collect()).unwrap();
        assert_eq!(m.kind, Kind::PubSub);
        assert_eq!(
            (m.sent, m.acked, m.tally.received, m.tally.lost),
            (6, Some(6), 100, 3)
        );
        assert_eq!(m.elapsed, Duration::from_secs(3));
        assert_eq!(m.connections.connected, 6);
        assert_eq!(m.connections.rss_per_connection, Some(2000));
        // The tail of the slow run shows at p99.9 and max, not averaged away.
        let l = Latency::of(&m.latency);
        assert_eq!(l.count, 100);
        assert!(l.p50 < 1_100 && l.max >= 50_000_000, "{l:?}");
        assert_eq!(m.params["qos"], 1);
        assert!(
            m.params.get("clients").is_none(),
            "differing params are left out"
        );
        assert_eq!(m.params["runs"], 3);
    }

    #[test]
    fn a_run_merged_with_itself_doubles_counts_and_keeps_percentiles() {
        let mut one = run(Kind::PubSub, 5, &[1_000, 2_000, 40_000, 7_000_000]);
        one.ack_latency = Some(one.latency.clone());
        let m = merge(vec![printed(&one), printed(&one)]).unwrap();
        assert_eq!((m.sent, m.tally.received), (10, 8));
        let (l, ack) = (
            Latency::of(&m.latency),
            Latency::of(m.ack_latency.as_ref().unwrap()),
        );
        let before = Latency::of(&one.latency);
        assert_eq!(l.count, 2 * before.count);
        assert_eq!(ack.count, 2 * before.count);
        for (merged, single) in [
            (l.p50, before.p50),
            (l.p99, before.p99),
            (l.max, before.max),
        ] {
            assert_eq!(merged, single);
        }
        assert_eq!(m.params["clients"], 5, "shared params stay");
        // A merge of merges counts every run once.
        let again = merge(vec![printed(&m), printed(&one)]).unwrap();
        assert_eq!(again.params["runs"], 3);
    }

    #[test]
    fn refuses_what_cannot_merge() {
        let conn = run(Kind::Conn, 1, &[]);
        let err = merge(vec![conn, run(Kind::Pub, 1, &[])]).unwrap_err();
        assert_eq!(err.to_string(), "cannot merge a conn run with a pub run");
        let mut old = run(Kind::Pub, 1, &[]).json(&[]);
        old.as_object_mut().unwrap().remove("histograms");
        assert!(parse(&old).unwrap_err().to_string().contains("histograms"));
        let mut bad = run(Kind::Pub, 1, &[]).json(&[]);
        bad["histograms"]["latency"] = "aGVsbG8=".into();
        let err = format!("{:#}", parse(&bad).unwrap_err());
        assert!(err.starts_with("bad histogram \"latency\": "), "{err}");
        assert!(merge(Vec::new()).is_err());
    }
}
