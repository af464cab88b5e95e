//! The probe's connections: one CONNECT template, a fresh client id and topic per use, and
//! every wait bounded by `--timeout`, so a broker that drops a message, closes or never
//! answers fails a check, with the step and the reason, instead of hanging it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use crate::client::{Client, ClientError, Event};
use crate::codec::{
    ConnAck, Connect, Packet, Properties, Publish, QoS, Reason, Subscribe, Subscription, Version,
};
use crate::connect::Target;
use crate::transport::BoxedStream;

/// A failed step, in words for the detail column.
pub type Failure = String;

/// What every check connects with.
pub struct Probe {
    target: Target,
    timeout: Duration,
    /// The topic every check's topics live under, unique to this run, so runs against one
    /// broker (CI jobs in parallel) and retained leftovers of an aborted run do not mix.
    base: String,
    /// Client ids are this, then a counter: letters and digits only, and at most 23 of
    /// them for the first thousand, which is all MQTT 3.1.1 promises (section 3.1.3.1).
    id_prefix: String,
    next_id: Cell<u32>,
}

impl Probe {
    pub fn new(target: Target, timeout: Duration) -> Probe {
        let nonce = fastrand::u32(..1 << 24);
        Probe {
            target,
            timeout,
            base: format!("mqtk/check/{}-{nonce:06x}", std::process::id()),
            id_prefix: format!("mqtkcheck{nonce:06x}n"),
            next_id: Cell::new(0),
        }
    }

    /// A topic of this run.
    pub fn topic(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// A client id of this run, unique among its connections.
    pub fn client_id(&self) -> String {
        let n = self.next_id.get() + 1;
        self.next_id.set(n);
        format!("{}{n}", self.id_prefix)
    }

    /// Connects with `version`, a clean session and no will; `edit` adds what the check needs.
    pub async fn open(
        &self,
        version: Version,
        edit: impl FnOnce(&mut Connect),
    ) -> Result<Conn, Failure> {
        let mut connect = self.target.connect.clone();
        connect.version = version;
        connect.client_id = self.client_id();
        connect.clean_start = true;
        connect.will = None;
        connect.properties = Properties::default();
        edit(&mut connect);
        let opened = bounded(self.timeout, self.target.open_with(&connect)).await;
        Ok(Conn {
            client: opened.map_err(|e| format!("CONNECT: {e}"))?,
            inbox: VecDeque::new(),
            timeout: self.timeout,
        })
    }
}

/// `step` within `timeout`; either failure in words.
async fn bounded<T>(
    timeout: Duration,
    step: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(timeout, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(ClientError::Io(e))) if crate::connect::lost(&e) => {
            Err(format!("the broker closed the connection ({e})"))
        }
        Ok(Err(e)) => Err(e.to_string().trim_start_matches("Error: ").to_string()),
        Err(_) => Err(format!("no answer within {timeout:?}")),
    }
}

/// One connection of a check, keeping messages that arrive while it waits for an ack.
pub struct Conn {
    client: Client<BoxedStream>,
    inbox: VecDeque<Publish>,
    timeout: Duration,
}

impl Conn {
    /// The CONNACK the broker answered with.
    pub fn connack(&self) -> &ConnAck {
        &self.client.connack
    }

    /// Subscribes to one filter and fails unless the broker grants `qos` itself.
    pub async fn subscribe_one(&mut self, filter: &str, qos: QoS) -> Result<(), Failure> {
        let subscription = Subscription {
            filter: filter.to_string(),
            qos,
            ..Subscription::default()
        };
        self.subscribe_with(subscription).await
    }

    /// Subscribes with `subscription`'s options, failing unless its QoS is granted.
    pub async fn subscribe_with(&mut self, subscription: Subscription) -> Result<(), Failure> {
        let wanted = subscription.qos as u8;
        let codes = self.subscribe(subscription).await;
        match codes.map_err(|e| format!("SUBSCRIBE: {e}"))?[..] {
            [code] if code == wanted => Ok(()),
            [code] if code < 0x80 => Err(format!("QoS {wanted} asked, QoS {code} granted")),
            [code] => Err(format!("SUBACK refused it ({code:#04x})")),
            ref codes => Err(format!("SUBACK with {} codes for one filter", codes.len())),
        }
    }

    /// Sends SUBSCRIBE and returns the SUBACK's codes (granted QoS or failure).
    async fn subscribe(&mut self, subscription: Subscription) -> Result<Vec<u8>, Failure> {
        let subscribe = Subscribe {
            filters: vec![subscription],
            ..Subscribe::default()
        };
        let request = self.client.request(Packet::Subscribe(subscribe));
        let pkid = request.map_err(|e| e.to_string())?;
        self.wait_for(|event| match event {
            Event::SubAck(ack) if ack.pkid == pkid => Ok(ack.codes),
            other => Err(other),
        })
        .await
    }

    /// Publishes and, at QoS 1 and 2, waits until the flow completes with success.
    pub async fn publish(&mut self, publish: Publish) -> Result<(), Failure> {
        self.publish_flow(publish)
            .await
            .map_err(|e| format!("PUBLISH: {e}"))
    }

    async fn publish_flow(&mut self, publish: Publish) -> Result<(), Failure> {
        let qos = publish.qos;
        let pkid = self.client.publish(publish).map_err(|e| e.to_string())?;
        if qos == QoS::AtMostOnce {
            return bounded(self.timeout, self.client.flush()).await;
        }
        let reason = self
            .wait_for(|event| match event {
                Event::Delivered { pkid: done, reason } if done == pkid => Ok(reason),
                other => Err(other),
            })
            .await?;
        match reason {
            0..0x80 => Ok(()),
            _ => Err(format!("the broker refused it ({reason:#04x})")),
        }
    }

    /// The next message, within the timeout.
    async fn message(&mut self) -> Result<Publish, Failure> {
        if let Some(m) = self.inbox.pop_front() {
            return Ok(m);
        }
        let message = self.wait_for(|event| match event {
            Event::Message(m) => Ok(m),
            other => Err(other),
        });
        message
            .await
            .map_err(|e| format!("waiting for the message: {e}"))
    }

    /// The first event `pick` takes, all within one timeout, so a broker that keeps sending
    /// something else cannot stretch the wait; messages it passes over are kept for
    /// [`Conn::message`].
    async fn wait_for<T>(
        &mut self,
        mut pick: impl FnMut(Event) -> Result<T, Event>,
    ) -> Result<T, Failure> {
        let Conn {
            client,
            inbox,
            timeout,
        } = self;
        let wait = async {
            loop {
                match pick(client.next_event().await?) {
                    Ok(picked) => return Ok(picked),
                    Err(Event::Message(m)) => inbox.push_back(m),
                    Err(_) => {}
                }
            }
        };
        bounded(*timeout, wait).await
    }

    /// The next message, which must carry `payload`.
    pub async fn expect(&mut self, payload: &[u8]) -> Result<Publish, Failure> {
        let m = self.message().await?;
        carries(m, payload)
    }

    /// Like [`Conn::expect`], but a message carrying `stale` (what the check tests must not
    /// arrive) fails with `why`.
    pub async fn expect_instead(
        &mut self,
        payload: &[u8],
        stale: &[u8],
        why: &str,
    ) -> Result<Publish, Failure> {
        let m = self.message().await?;
        match &m.payload[..] == stale {
            true => Err(why.to_string()),
            false => carries(m, payload),
        }
    }

    /// Ends the connection with DISCONNECT (a will is not sent); a broker that already
    /// closed it is no failure here.
    pub async fn close(self) {
        let timeout = self.timeout;
        let _ = bounded(timeout, self.client.disconnect(Reason::default())).await;
    }
}

/// `m` when it carries `payload`, else a failure saying what came instead.
fn carries(m: Publish, payload: &[u8]) -> Result<Publish, Failure> {
    match &m.payload[..] == payload {
        true => Ok(m),
        false => Err(format!(
            "expected {:?}, received {:?} on {}",
            preview(payload),
            preview(&m.payload),
            m.topic
        )),
    }
}

/// A payload in a detail line: text up to 20 characters, else its length.
fn preview(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(text) if text.len() <= 20 => text.to_string(),
        _ => format!("{} bytes", payload.len()),
    }
}
