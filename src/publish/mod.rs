//! `mqtk pub`: publish one message (possibly repeated), one message per stdin line, or one
//! per `--replay` record.
//!
//! Every QoS 1/2 message is acknowledged before DISCONNECT, so `pub` exiting 0 means the
//! broker has them all. Lines are read in large chunks and published into the client's write
//! buffer, so a burst of short lines goes out in a few syscalls. `-l` is a long-running pipe,
//! so it reconnects after a lost connection and resends what was not acknowledged; a single
//! message leaves that to its caller.

mod lines;
pub(crate) mod replay;
mod stream;

use lines::LineReader;
use replay::Replay;
use stream::LineStream;

use crate::cli::{self, PubArgs};
use crate::client::{Client, ClientError, Event};
use crate::codec::{Props, Publish, QoS, Reason};
use crate::connect::{self, Tool};
use bytes::Bytes;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// What to publish, resolved from the command line.
#[derive(Clone, Debug)]
pub struct PublishJob {
    pub topic: String,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 PUBLISH properties from `-D publish ...`, boxed once: each message clones
    /// nothing while there are none.
    pub properties: Props,
    pub payload: Payload,
}

/// Where the payload comes from.
#[derive(Clone, Debug)]
pub enum Payload {
    /// One message (`-m`, `-f`, `-s`, `-n`), sent `repeat` times `delay` apart.
    Single {
        body: Bytes,
        repeat: u32,
        delay: Duration,
    },
    /// `-l`: one message per line of stdin; with `topic_separator`, each line is
    /// `topic SEP payload`.
    Lines { topic_separator: Option<String> },
    /// `--replay`: one message per record line; with `speed`, at the recorded spacing;
    /// properties only when `v5`.
    Replay { speed: Option<f64>, v5: bool },
}

/// Builds successive PUBLISH packets: after the first, an MQTT 5 topic alias stands in for
/// the topic, as mosquitto_pub does.
struct Publisher {
    job: PublishJob,
    aliased: bool,
}

impl Publisher {
    fn packet(&mut self, topic: Option<&str>, payload: Bytes) -> Publish {
        let alias = self.job.properties.topic_alias.is_some() && topic.is_none();
        let topic = match (topic, alias && self.aliased) {
            (Some(t), _) => t.to_string(),
            (None, true) => String::new(),
            (None, false) => self.job.topic.clone(),
        };
        self.aliased |= alias;
        Publish {
            qos: self.job.qos,
            retain: self.job.retain,
            topic,
            payload,
            properties: self.job.properties.clone(),
            ..Publish::default()
        }
    }
}

/// `mqtk pub`: returns the process exit status.
pub fn main(args: PubArgs) -> i32 {
    let version = args.version();
    let (props, target) = match connect::prepare(&args.connect, version, Tool::Pub) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let payload = match load(&args) {
        Ok(payload) => payload,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let job = PublishJob {
        topic: args.topic().unwrap_or_default().to_string(),
        qos: args.connect.qos,
        retain: args.retain,
        properties: props.publish.clone().into(),
        payload,
    };
    let disconnect = Reason {
        code: 0,
        properties: props.disconnect.clone().into(),
    };
    let quiet = args.connect.quiet;
    let input = match input(&args) {
        Ok(input) => input,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let session = run(|| target.open(), job, input, disconnect, quiet);
    let result = connect::block_on(session);
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => connect::report(&e, args.connect.quiet, Tool::Pub),
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

/// What `-l` and `--replay` read: stdin, or the `--replay` file.
fn input(args: &PubArgs) -> Result<Box<dyn AsyncRead + Unpin>, String> {
    match &args.replay {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::open(path)
                .map_err(|_| format!("Error: Unable to open file \"{}\".", path.display()))?;
            Ok(Box::new(tokio::fs::File::from_std(file)))
        }
        _ => Ok(Box::new(tokio::io::stdin())),
    }
}

/// Reads the payload the options name, with mosquitto_pub's messages on failure.
fn load(args: &PubArgs) -> Result<Payload, String> {
    let single = |body: Vec<u8>| Payload::Single {
        body: Bytes::from(body),
        repeat: args.repeat,
        delay: args.repeat_delay,
    };
    Ok(match args.payload() {
        Some(cli::Payload::Message(body)) => single(body),
        Some(cli::Payload::Null) | None => single(Vec::new()),
        Some(cli::Payload::File(path)) => single(std::fs::read(&path).map_err(|_| {
            let path = path.display();
            format!("Error: Unable to open file \"{path}\".\nError loading input file \"{path}\".")
        })?),
        Some(cli::Payload::Stdin) => {
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
                .map_err(|e| format!("Error: {e}"))?;
            if body.is_empty() {
                return Err("Error: Zero length input.\nError loading input from stdin.".into());
            }
            single(body)
        }
        Some(cli::Payload::Lines) => Payload::Lines {
            topic_separator: args.topic_from_line.clone(),
        },
        Some(cli::Payload::Replay(_)) => Payload::Replay {
            speed: args.replay_timing.then(|| args.speed.unwrap_or(1.0)),
            v5: args.version().is_v5(),
        },
    })
}

/// Connects with `connect`, publishes `job`, waits for every acknowledgement, then
/// disconnects. `-l` outlives lost connections (README "Policies"); the other modes end there.
pub async fn run<S, F, R>(
    mut connect: F,
    job: PublishJob,
    stdin: R,
    disconnect: Reason,
    quiet: bool,
) -> Result<(), ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: AsyncFnMut() -> Result<Client<S>, ClientError>,
    R: AsyncRead + Unpin,
{
    let mut client = connect().await?;
    let mut publisher = Publisher {
        job: job.clone(),
        aliased: false,
    };
    match job.payload {
        Payload::Single {
            body,
            repeat,
            delay,
        } => publish_repeated(&mut client, &mut publisher, body, repeat, delay).await?,
        Payload::Lines { topic_separator } => {
            let mut stream = LineStream::new(publisher, LineReader::new(stdin, topic_separator));
            client = stream.publish_all(client, &mut connect, quiet).await?;
        }
        Payload::Replay { speed, v5 } => {
            let lines = LineReader::new(stdin, None);
            let mut stream = LineStream::replaying(publisher, lines, Replay::new(speed, v5));
            client = stream.publish_all(client, &mut connect, quiet).await?;
            if let Some(why) = stream.failure() {
                client.disconnect(disconnect).await?;
                return Err(ClientError::Input(why));
            }
        }
    }
    client.disconnect(disconnect).await
}

async fn publish_repeated<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    publisher: &mut Publisher,
    body: Bytes,
    repeat: u32,
    delay: Duration,
) -> Result<(), ClientError> {
    let repeat = repeat.max(1);
    for i in 0..repeat {
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        client.publish(publisher.packet(None, body.clone()))?;
        // The last QoS 0 message goes out with DISCONNECT, in one write.
        if i + 1 < repeat || client.inflight() > 0 {
            drain(client).await?;
        }
    }
    Ok(())
}

/// Waits until every QoS 1/2 publish is complete and everything queued is written.
async fn drain<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
) -> Result<(), ClientError> {
    client.flush().await?;
    while client.inflight() > 0 {
        on_event(client.next_event().await?);
    }
    Ok(())
}

/// mosquitto_pub prints a warning for a negative acknowledgement and carries on.
fn on_event(event: Event) {
    if let Event::Delivered { pkid, reason } = event {
        if reason >= 0x80 {
            let text = crate::client::reason_text(reason);
            eprintln!("Warning: Publish {pkid} failed: {text}.");
        }
    }
}
