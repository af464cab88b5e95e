//! The end-of-run summary: a table for people, one JSON line for machines, and the CI
//! threshold checks, all from one [`Report`].

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};

use super::args::Thresholds;
use super::loss::Tally;
use super::stats::{self, per_sec, Latency};

/// Which scenario produced a report; it decides which figures the thresholds judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Conn,
    Pub,
    Sub,
    PubSub,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Conn => "conn",
            Kind::Pub => "pub",
            Kind::Sub => "sub",
            Kind::PubSub => "pubsub",
        }
    }
}

/// Connection figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Connections {
    /// Clients the run asked for.
    pub clients: u64,
    /// Clients whose first connection succeeded.
    pub connected: u64,
    /// Failed connection attempts (first ones and reconnections).
    pub failed: u64,
    /// Sessions re-established after being lost.
    pub reconnects: u64,
    /// From the first connection attempt until every client was ready.
    pub ramp: Duration,
    /// Resident memory of the process once every client was ready.
    pub rss: Option<u64>,
    /// Resident memory added per connected client while connecting.
    pub rss_per_connection: Option<u64>,
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    pub kind: Kind,
    /// The scenario's parameters, echoed into the JSON.
    pub params: Map<String, Value>,
    /// The measured window (after warm-up).
    pub elapsed: Duration,
    pub connections: Connections,
    /// Connect times, nanoseconds.
    pub connect_time: Histogram<u64>,
    /// Total target msg/s, when paced.
    pub target_rate: Option<f64>,
    /// Measured messages published.
    pub sent: u64,
    /// QoS 1/2 publishes completed successfully; `None` at QoS 0 or without publishers.
    pub acked: Option<u64>,
    /// QoS 1/2 publishes the broker refused.
    pub refused: u64,
    pub tally: Tally,
    /// End-to-end latency, nanoseconds.
    pub latency: Histogram<u64>,
    /// Publish-to-ack latency (QoS 1/2), nanoseconds.
    pub ack_latency: Option<Histogram<u64>>,
}

impl Report {
    /// Percentage of expected deliveries lost (conn: of clients that failed to connect;
    /// pub: of QoS 1/2 publishes not acknowledged).
    pub fn loss_percent(&self) -> f64 {
        let (lost, expected) = match self.kind {
            Kind::Conn => (
                self.connections.clients - self.connections.connected,
                self.connections.clients,
            ),
            Kind::Pub => match self.acked {
                Some(acked) => (self.sent.saturating_sub(acked), self.sent),
                None => (0, self.sent),
            },
            Kind::Sub | Kind::PubSub => {
                let t = &self.tally;
                let distinct = t.received - t.duplicates;
                (t.lost, distinct + t.lost)
            }
        };
        if expected == 0 {
            return 0.0;
        }
        100.0 * lost as f64 / expected as f64
    }

    /// The rate `--min-rate` judges.
    pub fn headline_rate(&self) -> f64 {
        match self.kind {
            Kind::Conn => per_sec(self.connections.connected, self.connections.ramp),
            Kind::Pub => per_sec(self.acked.unwrap_or(self.sent), self.elapsed),
            Kind::Sub | Kind::PubSub => per_sec(self.tally.received, self.elapsed),
        }
    }

    /// The latency `--max-p99` judges; `None` when the scenario measured none.
    pub fn headline_latency(&self) -> Option<Latency> {
        let h = match self.kind {
            Kind::Conn => Some(&self.connect_time),
            Kind::Pub => self.ack_latency.as_ref(),
            Kind::Sub | Kind::PubSub => Some(&self.latency),
        };
        h.filter(|h| !h.is_empty()).map(Latency::of)
    }

    /// The thresholds missed, each as a sentence.
    pub fn missed(&self, t: &Thresholds) -> Vec<String> {
        let mut missed = Vec::new();
        if let Some(max) = t.max_p99 {
            match self.headline_latency() {
                Some(l) if l.p99 as u128 <= max.as_nanos() => {}
                Some(l) => missed.push(format!("p99 {} > --max-p99 {}", us(l.p99), us_d(max))),
                None => missed.push("--max-p99: no latency was measured".to_string()),
            }
        }
        if let Some(max) = t.max_loss {
            let loss = self.loss_percent();
            if loss > max {
                missed.push(format!("loss {loss:.3}% > --max-loss {max}%"));
            }
        }
        if let Some(min) = t.min_rate {
            let rate = self.headline_rate();
            if rate < min {
                missed.push(format!("rate {rate:.1}/s < --min-rate {min}/s"));
            }
        }
        missed
    }

    /// The JSON summary (one object; print it on one line).
    pub fn json(&self, missed: &[String]) -> Value {
        let t = &self.tally;
        let c = &self.connections;
        json!({
            "scenario": self.kind.name(),
            "params": self.params,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "target_rate": self.target_rate,
            "sent": self.sent,
            "sent_per_sec": per_sec(self.sent, self.elapsed),
            "acked": self.acked,
            "acked_per_sec": self.acked.map(|a| per_sec(a, self.elapsed)),
            "refused": self.refused,
            "received": t.received,
            "received_per_sec": per_sec(t.received, self.elapsed),
            "lost": t.lost,
            "loss_percent": self.loss_percent(),
            "duplicates": t.duplicates,
            "out_of_order": t.out_of_order,
            "foreign": t.foreign,
            "latency_us": latency_json(&self.latency),
            "ack_latency_us": self.ack_latency.as_ref().map(latency_json),
            "connect_time_us": latency_json(&self.connect_time),
            "histograms": {
                "latency": stats::encode(&self.latency),
                "ack_latency": self.ack_latency.as_ref().map(stats::encode),
                "connect_time": stats::encode(&self.connect_time),
            },
            "connections": {
                "clients": c.clients,
                "connected": c.connected,
                "failed": c.failed,
                "reconnects": c.reconnects,
                "ramp_s": c.ramp.as_secs_f64(),
                "connect_per_sec": per_sec(c.connected, c.ramp),
                "rss_bytes": c.rss,
                "rss_per_connection_bytes": c.rss_per_connection,
            },
            "thresholds": { "passed": missed.is_empty(), "missed": missed },
        })
    }

    /// The human summary table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let params: Vec<String> = self
            .params
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str().map_or_else(|| v.to_string(), String::from)
                )
            })
            .collect();
        let _ = writeln!(out, "mqtk bench {}: {}", self.kind.name(), params.join(" "));
        self.connections_table(&mut out);
        if self.kind != Kind::Conn {
            self.messages_table(&mut out);
        }
        let _ = writeln!(
            out,
            "{:<16}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "latency", "p50", "p90", "p99", "p99.9", "max", "count"
        );
        let mut row = |name: &str, h: &Histogram<u64>| {
            let l = Latency::of(h);
            let _ = writeln!(
                out,
                "  {name:<14}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
                us(l.p50),
                us(l.p90),
                us(l.p99),
                us(l.p999),
                us(l.max),
                l.count
            );
        };
        if self.kind != Kind::Conn && self.kind != Kind::Pub {
            row("end-to-end", &self.latency);
        }
        if let Some(ack) = &self.ack_latency {
            row("publish-to-ack", ack);
        }
        row("connect", &self.connect_time);
        out
    }

    fn connections_table(&self, out: &mut String) {
        let c = &self.connections;
        let _ = write!(
            out,
            "connections     {}/{} connected, {} failed attempts, {} reconnects, {:.1}/s over {:.2} s",
            c.connected,
            c.clients,
            c.failed,
            c.reconnects,
            per_sec(c.connected, c.ramp),
            c.ramp.as_secs_f64()
        );
        if let Some(per) = c.rss_per_connection {
            let _ = write!(out, ", {:.1} KiB/connection", per as f64 / 1024.0);
        }
        out.push('\n');
    }

    fn messages_table(&self, out: &mut String) {
        let t = &self.tally;
        let e = self.elapsed;
        let _ = writeln!(
            out,
            "messages over {:.2} s{:>14}{:>14}",
            e.as_secs_f64(),
            "count",
            "per second"
        );
        let mut row = |name: &str, n: u64, rate: bool| {
            let r = if rate {
                format!("{:.1}", per_sec(n, e))
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {name:<22}{n:>14}{r:>14}");
        };
        if self.kind != Kind::Sub {
            row("sent", self.sent, true);
        }
        if let Some(acked) = self.acked {
            row("acknowledged", acked, true);
            row("refused", self.refused, false);
        }
        if self.kind != Kind::Pub {
            row("received", t.received, true);
            row("lost", t.lost, false);
            row("duplicates", t.duplicates, false);
            row("out of order", t.out_of_order, false);
            row("foreign", t.foreign, false);
        }
        if let Some(target) = self.target_rate {
            let _ = writeln!(
                out,
                "  target rate {target:.1}/s, achieved {:.1}%",
                100.0 * per_sec(self.sent, e) / target
            );
        }
        let _ = writeln!(out, "  loss {:.4}%", self.loss_percent());
    }
}

fn latency_json(h: &Histogram<u64>) -> Value {
    let l = Latency::of(h);
    let us = |ns: u64| (ns as f64 / 100.0).round() / 10.0;
    json!({
        "count": l.count,
        "min": us(l.min),
        "mean": (l.mean / 100.0).round() / 10.0,
        "p50": us(l.p50),
        "p90": us(l.p90),
        "p99": us(l.p99),
        "p999": us(l.p999),
        "max": us(l.max),
    })
}

/// Nanoseconds for people: µs below 10 ms, ms above.
fn us(ns: u64) -> String {
    if ns >= 10_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else {
        format!("{:.1}us", ns as f64 / 1e3)
    }
}

fn us_d(d: Duration) -> String {
    us(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(kind: Kind) -> Report {
        Report {
            kind,
            params: Map::new(),
            elapsed: Duration::from_secs(2),
            connections: Connections {
                clients: 4,
                connected: 3,
                ramp: Duration::from_millis(500),
                ..Connections::default()
            },
            connect_time: stats::histogram(),
            target_rate: None,
            sent: 1000,
            acked: None,
            refused: 0,
            tally: Tally {
                received: 990,
                lost: 20,
                duplicates: 10,
                ..Tally::default()
            },
            latency: {
                let mut h = stats::histogram();
                // Just under 2 ms: HDR reports the top of a value's bucket.
                h.record_n(1_999_000, 990).unwrap();
                h
            },
            ack_latency: None,
        }
    }

    #[test]
    fn loss_is_relative_to_what_was_expected() {
        assert!((report(Kind::PubSub).loss_percent() - 2.0).abs() < 1e-9); // 20 of 1000
        assert!((report(Kind::Conn).loss_percent() - 25.0).abs() < 1e-9);
        assert_eq!(report(Kind::Pub).loss_percent(), 0.0);
    }

    #[test]
    fn thresholds_judge_the_scenario_headline() {
        let r = report(Kind::PubSub);
        let pass = Thresholds {
            max_p99: Some(Duration::from_millis(2)),
            max_loss: Some(2.0),
            min_rate: Some(495.0),
        };
        assert!(r.missed(&pass).is_empty(), "{:?}", r.missed(&pass));
        let fail = Thresholds {
            max_p99: Some(Duration::from_millis(1)),
            max_loss: Some(1.0),
            min_rate: Some(500.0),
        };
        assert_eq!(r.missed(&fail).len(), 3);
        let no_acks = Thresholds {
            max_p99: Some(Duration::from_secs(1)),
            ..Thresholds::default()
        };
        assert_eq!(report(Kind::Pub).missed(&no_acks).len(), 1);
        assert!((report(Kind::Conn).headline_rate() - 6.0).abs() < 1e-9);
    }

    #[test]
    fn json_has_the_documented_keys() {
        let r = report(Kind::PubSub);
        let v = r.json(&[]);
        for key in [
            "sent",
            "received",
            "received_per_sec",
            "lost",
            "duplicates",
            "out_of_order",
            "latency_us",
            "params",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        let p99 = v["latency_us"]["p99"].as_f64().unwrap();
        assert!((1999.0..2000.0).contains(&p99), "{p99}");
        assert!(stats::decode(v["histograms"]["latency"].as_str().unwrap()).unwrap() == r.latency);
        assert_eq!(v["received_per_sec"], 495.0);
        assert_eq!(v["thresholds"]["passed"], true);
    }
}
