//! A `bench conn` client: connects, then holds its session (answering keepalive) until the
//! schedule stops, reconnecting if the broker drops it.

use std::sync::Arc;

use super::context::{Context, Role};
use super::schedule::{self, Ready, Start};
use super::session;

/// Connects client `index`, reports readiness, holds the session; the error if it never
/// connected.
pub async fn run(ctx: Arc<Context>, index: u32, ready: Ready, mut start: Start) -> Option<String> {
    let packet = ctx.connect_packet(Role::Conn, index);
    let connected = session::connect(&ctx, &packet).await;
    schedule::report(ready, &connected);
    let mut client = match connected {
        Ok(client) => client,
        Err(e) => return Some(e),
    };
    let schedule = match session::await_start(&mut client, &mut start).await {
        Ok(Some(schedule)) => schedule,
        Ok(None) => return None,
        Err(e) => return Some(e),
    };
    let stop = tokio::time::sleep_until(schedule.stop.into());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            event = client.next_event() => {
                if event.is_err() {
                    client = session::reconnect(&ctx, &packet, schedule.stop).await?;
                }
            }
        }
    }
    session::close(&ctx, client).await;
    None
}
