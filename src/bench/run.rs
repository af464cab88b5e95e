//! Running a scenario: start every client at the ramp rate, fix the schedule once all are
//! ready, let the tasks run, and gather their outcomes into a [`Report`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::args::{CommonArgs, ConnArgs, PubArgs, PubSubArgs, PublishArgs, SubArgs};
use super::context::Context;
use super::counters::Counters;
use super::embedded::{self, Embedded};
use super::loss::{tally, Senders, Tally};
use super::progress::Progress;
use super::publisher::{self, Pace};
use super::report::{Connections, Kind, Report};
use super::schedule::{Ready, Schedule, Start};
use super::subscriber::{self, End};
use super::{holder, params, stats, sys};
use crate::codec::QoS;

/// Room between the go signal and the first publish, so every task sees it in time.
const START_DELAY: Duration = Duration::from_millis(20);

/// `bench pubsub`: publishers and subscribers in this process.
pub async fn pubsub(args: PubSubArgs) -> anyhow::Result<Report> {
    let p = &args.publish;
    let mut runner = Runner::new(&args.common, p.inflight).await?;
    let (done_tx, done_rx) = watch::channel(false);
    let mut subs = Vec::new();
    for index in 0..args.subscribers {
        let plan = subscriber::Plan {
            index,
            filters: args.sub_topics(),
            qos: p.qos,
            run: Some(runner.ctx.run_id),
        };
        let end = End {
            publishers_done: Some(done_rx.clone()),
            count: None,
        };
        subs.push(
            runner
                .spawn(|c, r, s| subscriber::run(c, plan, end, r, s))
                .await,
        );
    }
    let pubs = spawn_publishers(&mut runner, p).await;
    let connections = runner.await_ready().await?;
    let schedule = runner.go(p.warmup, args.common.duration);
    let pubs = join(pubs).await;
    let _ = done_tx.send(true);
    let subs = join(subs).await;
    report_errors(pubs.iter().filter_map(|o| o.error.as_deref()));
    report_errors(subs.iter().filter_map(|o| o.error.as_deref()));
    let senders = Senders {
        run: runner.ctx.run_id,
        outcomes: &pubs,
    };
    let mut params = params::common(&args.common);
    params::publish(&mut params, p);
    params.insert("subscribers".into(), args.subscribers.into());
    params.insert("sub_topics".into(), params::topics(&args.sub_topics()));
    let base = runner.finish(Kind::PubSub, params, connections);
    Ok(with_publishers(
        base,
        p,
        &pubs,
        &schedule,
        tally(&subs, Some(&senders)),
    ))
}

/// `bench pub`: publishers only.
pub async fn publish(args: PubArgs) -> anyhow::Result<Report> {
    let p = &args.publish;
    let mut runner = Runner::new(&args.common, p.inflight).await?;
    let pubs = spawn_publishers(&mut runner, p).await;
    let connections = runner.await_ready().await?;
    let schedule = runner.go(p.warmup, args.common.duration);
    let pubs = join(pubs).await;
    report_errors(pubs.iter().filter_map(|o| o.error.as_deref()));
    let mut params = params::common(&args.common);
    params::publish(&mut params, p);
    let base = runner.finish(Kind::Pub, params, connections);
    Ok(with_publishers(base, p, &pubs, &schedule, Tally::default()))
}

/// `bench sub`: subscribers only; latency needs publishers on a synchronised clock.
pub async fn subscribe(args: SubArgs) -> anyhow::Result<Report> {
    let mut runner = Runner::new(&args.common, 1).await?;
    let mut subs = Vec::new();
    for index in 0..args.clients {
        let plan = subscriber::Plan {
            index,
            filters: args.topics(),
            qos: args.qos,
            run: None,
        };
        let end = End {
            publishers_done: None,
            count: args.count,
        };
        subs.push(
            runner
                .spawn(|c, r, s| subscriber::run(c, plan, end, r, s))
                .await,
        );
    }
    let connections = runner.await_ready().await?;
    let schedule = runner.go(args.warmup, args.common.duration);
    let subs = join(subs).await;
    let ended = Instant::now().min(schedule.stop);
    report_errors(subs.iter().filter_map(|o| o.error.as_deref()));
    let mut params = params::common(&args.common);
    params.insert("clients".into(), args.clients.into());
    params.insert("topics".into(), params::topics(&args.topics()));
    params.insert("qos".into(), params::qos(args.qos).into());
    params.insert("count".into(), args.count.into());
    params.insert("warmup_s".into(), args.warmup.as_secs_f64().into());
    let mut report = runner.finish(Kind::Sub, params, connections);
    report.elapsed = ended.saturating_duration_since(schedule.measure_from);
    report.tally = tally(&subs, None);
    Ok(report)
}

/// `bench conn`: connections only, held for the duration.
pub async fn conn(args: ConnArgs) -> anyhow::Result<Report> {
    let mut runner = Runner::new(&args.common, 1).await?;
    let mut tasks = Vec::new();
    for index in 0..args.clients {
        tasks.push(
            runner
                .spawn(move |c, r, s| holder::run(c, index, r, s))
                .await,
        );
    }
    let connections = runner.await_ready().await?;
    runner.go(Duration::ZERO, args.common.duration);
    let errors = join(tasks).await;
    report_errors(errors.iter().flatten().map(String::as_str));
    let mut params = params::common(&args.common);
    params.insert("clients".into(), args.clients.into());
    let mut report = runner.finish(Kind::Conn, params, connections);
    report.elapsed = args.common.duration;
    Ok(report)
}

async fn spawn_publishers(
    runner: &mut Runner,
    p: &PublishArgs,
) -> Vec<JoinHandle<publisher::Outcome>> {
    let mut handles = Vec::new();
    for plan in publisher_plans(p) {
        handles.push(runner.spawn(|c, r, s| publisher::run(c, plan, r, s)).await);
    }
    handles
}

/// One plan per publisher: the total rate split evenly, timetables staggered across one
/// interval, and `--count` split with the remainder going to the first publishers.
fn publisher_plans(p: &PublishArgs) -> Vec<publisher::Plan> {
    let n = p.clients;
    let interval = p
        .interval
        .or_else(|| p.rate.map(|r| Duration::from_secs_f64(f64::from(n) / r)));
    (0..n)
        .map(|index| publisher::Plan {
            index,
            topic: p.topic.clone(),
            qos: p.qos,
            retain: p.retain,
            size: p.size,
            pace: interval.map_or(Pace::Max, Pace::Every),
            offset: interval.map_or(Duration::ZERO, |i| {
                i.mul_f64(f64::from(index) / f64::from(n))
            }),
            quota: p
                .count
                .map(|c| c / u64::from(n) + u64::from(u64::from(index) < c % u64::from(n))),
        })
        .collect()
}

/// Fills in the publishers' figures: counts, the achieved window and ack latency.
fn with_publishers(
    mut report: Report,
    p: &PublishArgs,
    pubs: &[publisher::Outcome],
    schedule: &Schedule,
    tally: Tally,
) -> Report {
    let all_done = p.count.is_some() && pubs.iter().all(|o| o.quota_met);
    let end = match pubs.iter().filter_map(|o| o.finished).max() {
        Some(last) if all_done => last,
        _ => schedule.stop,
    };
    report.elapsed = end.saturating_duration_since(schedule.measure_from);
    report.target_rate = p
        .rate
        .or_else(|| p.interval.map(|i| f64::from(p.clients) / i.as_secs_f64()));
    report.sent = pubs.iter().map(|o| o.sent).sum();
    if p.qos != QoS::AtMostOnce {
        report.acked = Some(pubs.iter().map(|o| o.acked).sum());
        report.refused = pubs.iter().map(|o| o.refused).sum();
        report.ack_latency = Some(report.ack_latency.unwrap_or_else(stats::histogram));
    }
    report.tally = tally;
    report
}

/// Prints how many clients failed and the first reason, once per kind of task.
fn report_errors<'a>(errors: impl Iterator<Item = &'a str>) {
    let errors: Vec<&str> = errors.collect();
    if let Some(first) = errors.first() {
        eprintln!("{} client(s) failed; first error: {first}", errors.len());
    }
}

/// Waits for tasks; a task that panicked is left out.
async fn join<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

/// The machinery of one run: context, ramp, readiness and start signals, progress line.
struct Runner {
    ctx: Arc<Context>,
    ready_tx: Option<Ready>,
    ready_rx: mpsc::UnboundedReceiver<Result<(), String>>,
    start_tx: watch::Sender<Option<Schedule>>,
    connect_rate: Option<f64>,
    first_launch: Option<Instant>,
    clients: u32,
    rss_before: Option<u64>,
    progress: Progress,
    _broker: Option<Embedded>,
}

/// What connecting every client gave.
struct Connected {
    ok: u64,
    ramp: Duration,
    rss: Option<u64>,
}

impl Runner {
    async fn new(common: &CommonArgs, inflight: u16) -> anyhow::Result<Runner> {
        let (target, broker) = embedded::target(&common.broker, inflight).await?;
        let ctx = Arc::new(Context::new(
            target,
            common.id_prefix(),
            common.connect_timeout,
        ));
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        Ok(Runner {
            progress: Progress::start(ctx.clone()),
            ctx,
            ready_tx: Some(ready_tx),
            ready_rx,
            start_tx: watch::Sender::new(None),
            connect_rate: common.connect_rate,
            first_launch: None,
            clients: 0,
            rss_before: sys::rss_bytes(),
            _broker: broker,
        })
    }

    /// Spawns the next client task once the ramp allows it.
    async fn spawn<F, T>(
        &mut self,
        task: impl FnOnce(Arc<Context>, Ready, Start) -> F,
    ) -> JoinHandle<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let first = *self.first_launch.get_or_insert_with(Instant::now);
        if let Some(rate) = self.connect_rate {
            let at = first + Duration::from_secs_f64(f64::from(self.clients) / rate);
            tokio::time::sleep_until(at.into()).await;
        }
        self.clients += 1;
        let ready = self
            .ready_tx
            .clone()
            .unwrap_or_else(|| mpsc::unbounded_channel().0);
        tokio::spawn(task(self.ctx.clone(), ready, self.start_tx.subscribe()))
    }

    /// Waits until every client is connected (and subscribed) or has failed; an error when
    /// none connected.
    async fn await_ready(&mut self) -> anyhow::Result<Connected> {
        self.ready_tx = None;
        let mut ok = 0;
        let mut first_error = None;
        for _ in 0..self.clients {
            let Some(result) = self.ready_rx.recv().await else {
                break;
            };
            match result {
                Ok(()) => ok += 1,
                Err(e) => drop(first_error.get_or_insert(e)),
            }
        }
        let ramp = self.first_launch.map_or(Duration::ZERO, |f| f.elapsed());
        if ok == 0 {
            let reason = first_error.unwrap_or_else(|| "no client started".into());
            anyhow::bail!("no client could connect: {reason}");
        }
        if let Some(e) = first_error {
            eprintln!(
                "{} of {} clients failed to connect; first error: {e}",
                u64::from(self.clients) - ok,
                self.clients
            );
        }
        Ok(Connected {
            ok,
            ramp,
            rss: sys::rss_bytes(),
        })
    }

    /// Fixes the schedule and starts every task on it.
    fn go(&self, warmup: Duration, duration: Duration) -> Schedule {
        let schedule = Schedule::new(Instant::now() + START_DELAY, warmup, duration);
        self.start_tx.send_replace(Some(schedule));
        self.progress.follow(schedule);
        schedule
    }

    /// The report's common part: connection figures and latency distributions.
    fn finish(
        self,
        kind: Kind,
        params: serde_json::Map<String, serde_json::Value>,
        c: Connected,
    ) -> Report {
        self.progress.finish();
        let counters = &self.ctx.counters;
        let per_conn = match (self.rss_before, c.rss) {
            (Some(before), Some(after)) if c.ok > 0 => Some(after.saturating_sub(before) / c.ok),
            _ => None,
        };
        Report {
            kind,
            params,
            elapsed: Duration::ZERO,
            connections: Connections {
                clients: u64::from(self.clients),
                connected: c.ok,
                failed: Counters::get(&counters.failed),
                reconnects: Counters::get(&counters.reconnects),
                ramp: c.ramp,
                rss: c.rss,
                rss_per_connection: per_conn,
            },
            connect_time: self.ctx.connect_time.snapshot(),
            target_rate: None,
            sent: 0,
            acked: None,
            refused: 0,
            tally: Tally::default(),
            latency: self.ctx.latency.snapshot(),
            ack_latency: Some(self.ctx.ack_latency.snapshot()).filter(|h| !h.is_empty()),
        }
    }
}
