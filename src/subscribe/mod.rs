//! `mqtk sub`: subscribe and print, with mosquitto_sub's filters, counts and reconnects.
//!
//! Output is collected in a buffer and written to stdout whenever no further message is
//! already waiting on the socket: a burst costs one write, a trickle is printed at once.
//! [`view`] decides what a message adds to it.

mod view;

pub use view::View;
use view::{rate_line, Rate, Watch};

use crate::cli::{OutputArgs, SubArgs};
use crate::client::{Client, ClientError, Event};
use crate::codec::{
    Packet, Properties, Publish, QoS, Reason, Subscribe, Subscription, Unsubscribe,
};
use crate::connect::{self, Tool};
use crate::format::{Formatter, OutputOptions};
use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::io::{self, Write};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// What to subscribe to and which messages to print, resolved from the command line.
#[derive(Clone, Debug, Default)]
pub struct SubscribeJob {
    pub subscriptions: Vec<Subscription>,
    /// MQTT 5 SUBSCRIBE properties (`-D subscribe ...`).
    pub subscribe_properties: Properties,
    /// `-U`: filters to unsubscribe from once subscribed.
    pub unsubscribe: Vec<String>,
    pub unsubscribe_properties: Properties,
    /// MQTT 5 DISCONNECT properties (`-D disconnect ...`).
    pub disconnect_properties: Properties,
    /// `-T`: topics matching these filters are not printed.
    pub filter_out: Vec<String>,
    /// `-C`: exit after this many printed messages.
    pub count: Option<u64>,
    /// `-R`: skip retained ("stale") messages.
    pub no_retained: bool,
    /// `--retained-only`: print retained messages, stop at the first live one.
    pub retained_only: bool,
    /// `--remove-retained`: clear every retained message seen.
    pub remove_retained: bool,
    /// `--random-filter`: print this percentage of messages.
    pub random_filter: Option<f64>,
    /// `-E`: exit once subscribed.
    pub exit_after_subscribe: bool,
}

/// How a subscription run ended, beyond success.
#[derive(Debug)]
pub enum SubError {
    Client(ClientError),
    /// Every filter was refused by the broker.
    AllDenied,
    /// stdout failed for a reason other than a closed pipe.
    Output(io::Error),
}

impl From<ClientError> for SubError {
    fn from(e: ClientError) -> Self {
        SubError::Client(e)
    }
}

/// Why the message loop stopped.
enum Stop {
    /// The job is done (-C, -E, --retained-only, or stdout closed).
    Done,
    /// The connection was lost after the session was set up; reconnect.
    Lost(ClientError),
}

/// The MQTT 5 retain handling: `-R` asks the broker for none (mosquitto_sub sets "never" for
/// it, whatever `--retain-handling` says), and messages flagged retained are not printed either.
fn retain_handling(args: &SubArgs) -> u8 {
    if args.output.no_retained {
        2
    } else {
        args.retain_handling
    }
}

/// `mqtk sub`: returns the process exit status.
pub fn main(args: SubArgs) -> i32 {
    let version = args.connect.version(crate::codec::Version::V311);
    let (props, target) = match connect::prepare(&args.connect, version, Tool::Sub) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let formatter = match formatter(&args.output) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let job = SubscribeJob {
        subscriptions: args
            .topics()
            .into_iter()
            .map(|filter| Subscription {
                filter: filter.to_string(),
                qos: args.connect.qos,
                retain_as_published: args.retain_as_published,
                retain_handling: retain_handling(&args),
                ..Subscription::default()
            })
            .collect(),
        subscribe_properties: props.subscribe.clone(),
        unsubscribe: args.unsubscribe.clone(),
        unsubscribe_properties: props.unsubscribe.clone(),
        disconnect_properties: props.disconnect.clone(),
        filter_out: args.filter_out.clone(),
        count: args.msg_count.map(u64::from),
        no_retained: args.output.no_retained,
        retained_only: args.retained_only,
        remove_retained: args.remove_retained,
        random_filter: args.random_filter,
        exit_after_subscribe: args.exit_after_sub,
    };
    let view = match view(&args) {
        Ok(view) => view,
        Err(code) => return code,
    };
    // `-W` ending a `--message-rate` run: like mosquitto_sub 2.1, whose last sleep the alarm
    // cuts short, a last line counts the messages since the one before.
    let rate = view.rate_count();
    let last_rate = move || {
        if let Some(count) = rate {
            let mut out = Vec::new();
            rate_line(&count, &mut out);
            let _ = write_stdout(&out);
        }
    };
    let quiet = args.connect.quiet;
    let session = run(|| target.open(), job, formatter, view, quiet);
    finish_with_timeout(session, args.timeout, quiet, Tool::Sub, last_rate)
}

/// `--message-rate` (which turns `-w` off, as in mosquitto_sub 2.1), `-w`, or lines. `-w`
/// starts the screen at once, before connecting, as mosquitto_sub 2.1 does.
fn view(args: &SubArgs) -> Result<View, i32> {
    if args.message_rate {
        let timeout = args.timeout.map(|secs| Duration::from_secs(secs.into()));
        return Ok(View::Rate(Rate::new(timeout)));
    }
    if !args.watch {
        return Ok(View::Lines);
    }
    // mosquitto prints its `host`: `--unix`'s path, else `-L`'s or `-h`'s host, else localhost.
    let host = match &args.connect.unix {
        Some(path) => path.display().to_string(),
        None => args.connect.host().to_owned(),
    };
    let mut out = Vec::new();
    let watch = Watch::new(&host, &mut out);
    match write_stdout(&out) {
        Ok(_) => Ok(View::Watch(watch)),
        Err(SubError::Output(e)) => {
            eprintln!("Error: {e}");
            Err(1)
        }
        Err(_) => Err(1),
    }
}

/// Builds the formatter for sub and rr; colour only for a terminal without `NO_COLOR`.
pub fn formatter(args: &OutputArgs) -> Result<Formatter, i32> {
    let color = crate::format::stdout_color();
    let opts = OutputOptions {
        verbose: args.verbose,
        no_eol: args.no_eol,
        format: args.format.clone(),
        pretty: args.pretty,
        json: args.json,
        color,
    };
    Formatter::new(&opts).map_err(|e| {
        eprintln!("{e}");
        1
    })
}

/// Runs a sub or rr session under `-W`, mapping the outcome to mosquitto's exit status
/// (27 and "Timed out" when the time runs out, after `on_timeout` has run).
pub fn finish_with_timeout(
    session: impl Future<Output = Result<(), SubError>>,
    timeout: Option<u32>,
    quiet: bool,
    tool: Tool,
    on_timeout: impl FnOnce(),
) -> i32 {
    let result = connect::block_on(async move {
        match timeout {
            Some(secs) => tokio::time::timeout(Duration::from_secs(secs.into()), session)
                .await
                .ok(),
            None => Some(session.await),
        }
    });
    match result {
        Ok(None) => {
            on_timeout();
            eprintln!("Timed out");
            27
        }
        Ok(Some(Ok(()))) => 0,
        Ok(Some(Err(SubError::Client(e)))) => connect::report(&e, quiet, tool),
        Ok(Some(Err(SubError::AllDenied))) => 0,
        Ok(Some(Err(SubError::Output(e)))) | Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

/// Runs `job`: connects with `connect`, and after a lost connection connects again
/// ([`connect::reconnect`], mosquitto_sub's policy), subscribing afresh each time.
pub async fn run<S, F>(
    mut connect: F,
    job: SubscribeJob,
    formatter: Formatter,
    view: View,
    quiet: bool,
) -> Result<(), SubError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: AsyncFnMut() -> Result<Client<S>, ClientError>,
{
    let mut state = State {
        job,
        formatter,
        view,
        out: Vec::with_capacity(64 * 1024),
        quiet,
        printed: 0,
        clears: VecDeque::new(),
        cleared: HashSet::new(),
    };
    // mosquitto_sub retries a connection closed before its CONNACK, as any later one.
    let mut client = match connect().await {
        Err(ClientError::Io(_)) => connect::reconnect(&mut connect, quiet).await?,
        first => first?,
    };
    loop {
        match state.session(client).await? {
            Stop::Done => return Ok(()),
            Stop::Lost(e) if !quiet => eprintln!("Error: {e}"),
            Stop::Lost(_) => {}
        }
        client = connect::reconnect(&mut connect, quiet).await?;
    }
}

struct State {
    job: SubscribeJob,
    formatter: Formatter,
    view: View,
    out: Vec<u8>,
    /// `--quiet`: the formatter's per-message errors are not printed.
    quiet: bool,
    printed: u64,
    /// `--remove-retained`: topics whose retained message is still to be cleared, sent as
    /// the in-flight window has room.
    clears: VecDeque<String>,
    /// `--remove-retained`: topics cleared whose empty message has not come back yet.
    cleared: HashSet<String>,
}

impl State {
    /// One connection's worth of work.
    async fn session<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        mut client: Client<S>,
    ) -> Result<Stop, SubError> {
        let subscribe = Packet::Subscribe(Subscribe {
            pkid: 0,
            filters: self.job.subscriptions.clone(),
            properties: self.job.subscribe_properties.clone().into(),
        });
        client.request(subscribe)?;
        // As mosquitto_sub: one UNSUBSCRIBE per `-U` filter, right behind the SUBSCRIBE.
        for filter in &self.job.unsubscribe {
            client.request(Packet::Unsubscribe(Unsubscribe {
                pkid: 0,
                filters: vec![filter.clone()],
                properties: self.job.unsubscribe_properties.clone().into(),
            }))?;
        }
        loop {
            let event = tokio::select! {
                event = client.next_event() => event,
                () = self.view.tick() => {
                    self.view.on_tick(&mut self.out);
                    if !self.write_out()? {
                        return self.finish(client).await;
                    }
                    continue;
                }
            };
            let event = match event {
                Ok(event) => event,
                Err(e) => return Ok(Stop::Lost(e)),
            };
            let done = match event {
                Event::SubAck(ack) => self.on_suback(ack.pkid, &ack.codes)?,
                Event::UnsubAck(_) => false,
                Event::Message(msg) => self.on_message(msg),
                Event::Delivered { .. } => false,
            };
            self.send_clears(&mut client)?;
            // Print once no further message is already waiting (under -d at once, between the
            // packet lines, as mosquitto_sub does); stop when done or stdout closed.
            let batch = client.has_frame() && !done && !crate::client::debug();
            let stdout_open = batch || self.write_out()?;
            if done || !stdout_open {
                return self.finish(client).await;
            }
        }
    }

    /// After SUBACK: report refusals, and end here for `-E`.
    fn on_suback(&self, pkid: u16, codes: &[u8]) -> Result<bool, SubError> {
        if crate::client::debug() {
            let codes: Vec<String> = codes.iter().map(u8::to_string).collect();
            println!("Subscribed (mid: {pkid}): {}", codes.join(", "));
        }
        if !codes.is_empty() && codes.iter().all(|&c| c >= 0x80) {
            eprintln!("All subscription requests were denied.");
            return Err(SubError::AllDenied);
        }
        Ok(self.job.exit_after_subscribe)
    }

    /// mosquitto_sub's message callback: filters in its order, then print and count.
    fn on_message(&mut self, msg: Publish) -> bool {
        // mosquitto_sub 2.1 counts every message for --message-rate before its filters, and
        // then neither filters, prints, clears nor counts them towards -C.
        if let View::Rate(rate) = &self.view {
            rate.add();
            return false;
        }
        let job = &self.job;
        if job
            .filter_out
            .iter()
            .any(|f| crate::topic::matches(f, &msg.topic))
        {
            return false;
        }
        if job.remove_retained && msg.retain {
            self.clears.push_back(msg.topic.clone());
        }
        if job.retained_only && !msg.retain {
            // Our own clear coming back does not end the run: as with mosquitto_sub, only a
            // live message or -W does.
            let echo = msg.payload.is_empty() && self.cleared.remove(&msg.topic);
            return !echo;
        }
        if job.no_retained && msg.retain {
            return false;
        }
        if !self.sampled() {
            self.view.skip(&msg, &mut self.out);
            return false;
        }
        if let Err(text) = self.view.show(&self.formatter, &msg, &mut self.out) {
            if !self.quiet {
                eprint!("{text}");
            }
        }
        self.printed += 1;
        self.job.count.is_some_and(|n| self.printed >= n)
    }

    /// `--random-filter`: keep this message with the configured probability.
    fn sampled(&self) -> bool {
        self.job
            .random_filter
            .is_none_or(|percent| fastrand::f64() * 100.0 < percent)
    }

    /// Writes buffered output; `false` when stdout is a closed pipe (`| head -1`).
    fn write_out(&mut self) -> Result<bool, SubError> {
        if self.out.is_empty() {
            return Ok(true);
        }
        let open = write_stdout(&self.out);
        self.out.clear();
        open
    }
}

/// Writes `out` to stdout and flushes; `false` when stdout is a closed pipe, which sub and rr
/// treat as the reader being done rather than as an error.
pub fn write_stdout(out: &[u8]) -> Result<bool, SubError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(out).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(SubError::Output(e)),
    }
}

impl State {
    /// Publishes the pending `--remove-retained` clears (empty retained QoS 1 messages) that
    /// fit in the in-flight window; the rest wait for acknowledgements.
    fn send_clears<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        client: &mut Client<S>,
    ) -> Result<(), SubError> {
        while client.can_publish() {
            let Some(topic) = self.clears.pop_front() else {
                break;
            };
            if self.job.retained_only {
                self.cleared.insert(topic.clone());
            }
            client.publish(Publish {
                qos: QoS::AtLeastOnce,
                retain: true,
                topic,
                ..Publish::default()
            })?;
        }
        Ok(())
    }

    /// Sends and completes our own QoS 1 clears (--remove-retained), then disconnects.
    async fn finish<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        mut client: Client<S>,
    ) -> Result<Stop, SubError> {
        self.send_clears(&mut client)?;
        while client.inflight() > 0 {
            client.next_event().await?;
            self.send_clears(&mut client)?;
        }
        let properties = self.job.disconnect_properties.clone().into();
        client
            .disconnect(Reason {
                code: 0,
                properties,
            })
            .await?;
        Ok(Stop::Done)
    }
}
