//! A TCP proxy on 127.0.0.1 in front of a broker: a test can hold back what the broker sends
//! and cut a client's connection while the broker keeps the client's session (a network
//! failure, as opposed to a broker that goes away).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A TCP proxy on 127.0.0.1 in front of a broker: a test can hold back what the broker sends
/// and cut a client's connection while the broker keeps the client's session.
pub struct Proxy {
    /// The port clients connect to instead of the broker's.
    pub port: u16,
    hold: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Forwards every connection to `127.0.0.1:port`.
    pub fn to(port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy = Proxy {
            port: listener.local_addr().expect("addr").port(),
            hold: Arc::new(AtomicBool::new(false)),
            held: Arc::new(AtomicUsize::new(0)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        let (hold, held, open) = (proxy.hold.clone(), proxy.held.clone(), proxy.open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(broker) = TcpStream::connect(("127.0.0.1", port)) else {
                    continue;
                };
                let clones = (client.try_clone(), broker.try_clone());
                let (Ok(client2), Ok(broker2)) = clones else {
                    continue;
                };
                if let Ok(mut open) = open.lock() {
                    open.extend(client.try_clone());
                    open.extend(broker.try_clone());
                }
                forward(client, broker, None);
                forward(broker2, client2, Some((hold.clone(), held.clone())));
            }
        });
        proxy
    }

    /// Drops what the broker sends from now on: nothing the client sends is acknowledged.
    pub fn hold_replies(&self) {
        self.hold.store(true, Ordering::SeqCst);
    }

    /// Bytes from the broker dropped so far.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Closes every connection through the proxy, as a network failure would, and forwards
    /// everything again on the next ones.
    pub fn cut(&self) {
        if let Ok(mut open) = self.open.lock() {
            for stream in open.drain(..) {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
        self.hold.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` in a thread until either closes; with `hold` set, drops the bytes
/// and counts them instead.
fn forward(
    mut from: TcpStream,
    mut to: TcpStream,
    hold: Option<(Arc<AtomicBool>, Arc<AtomicUsize>)>,
) {
    std::thread::spawn(move || {
        let mut buf = [0; 16 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            if let Some((_, held)) = hold.as_ref().filter(|(h, _)| h.load(Ordering::SeqCst)) {
                held.fetch_add(n, Ordering::SeqCst);
                continue;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}
