//! The broker in-process (`mqtk::broker::run`) on a free loopback port, configured through
//! `Config`: the fast default for broker behaviour. Use [`super::Broker`] instead to compare
//! with mosquitto, to read the broker's log or to signal, kill or restart it.

use super::{host_port, Target};
use mqtk::broker::{run, Config};
use std::net::TcpStream;
use std::thread::JoinHandle;
use std::time::Duration;

/// The broker running on its own tokio runtime in a background thread; stopped on drop.
/// `MQTK_TEST_VERBOSE=1` makes it log to the test's stderr.
pub struct TestBroker {
    /// The port it listens on.
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    runtime: tokio::runtime::Handle,
}

impl TestBroker {
    /// Starts a broker with default settings on 127.0.0.1, port 0.
    pub fn start() -> TestBroker {
        TestBroker::with(|_| {})
    }

    /// Starts a broker after `adjust` has changed its configuration.
    pub fn with(adjust: impl FnOnce(&mut Config)) -> TestBroker {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let mut config = Config {
            verbose: std::env::var_os("MQTK_TEST_VERBOSE").is_some(),
            ..Config::default()
        };
        adjust(&mut config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            handle_tx.send(runtime.handle().clone()).expect("handle");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                run(vec![listener], config, stopped).await.expect("broker");
            });
        });
        TestBroker {
            port,
            stop: Some(stop),
            thread: Some(thread),
            runtime: handle_rx.recv().expect("the broker's runtime"),
        }
    }

    /// `-h 127.0.0.1 -p PORT`.
    pub fn addr(&self) -> Vec<String> {
        host_port(self.port)
    }

    /// Tasks alive on the broker's runtime: one per connection and listener, plus timers.
    pub fn tasks(&self) -> usize {
        self.runtime.metrics().num_alive_tasks()
    }

    /// A raw TCP connection to the broker, for the frames of [`super::raw`].
    pub fn raw(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream
    }
}

impl Target for TestBroker {
    fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
