//! Graceful shutdown as in mini-redis: a broadcast the broker closes to ask every task to stop,
//! and a completion guard each task holds so the broker knows when they all have.

use tokio::sync::{broadcast, mpsc};

/// A task's view of shutdown; dropping it tells the broker this task is done.
#[derive(Debug)]
pub struct Shutdown {
    notify: broadcast::Receiver<()>,
    done: bool,
    _complete: mpsc::Sender<()>,
}

impl Shutdown {
    /// Listens on `notify` (closed to signal shutdown) and holds `complete` until dropped.
    pub fn new(notify: broadcast::Receiver<()>, complete: mpsc::Sender<()>) -> Shutdown {
        Shutdown {
            notify,
            done: false,
            _complete: complete,
        }
    }

    /// Another handle for a task spawned by the holder of this one.
    pub fn child(&self) -> Shutdown {
        Shutdown {
            notify: self.notify.resubscribe(),
            done: self.done,
            _complete: self._complete.clone(),
        }
    }

    /// Keeps only the completion guard, for a task that is told to stop some other way (a
    /// connection, by its signal): 8 bytes in its state instead of 32.
    pub fn into_done(self) -> Done {
        Done(self._complete)
    }

    /// Completes once shutdown has been requested (at once if it already was).
    pub async fn recv(&mut self) {
        if self.done {
            return;
        }
        // Only closing the channel is ever sent, so any outcome means shutdown.
        let _ = self.notify.recv().await;
        self.done = true;
    }
}

/// A task's completion guard without its listening half (see [`Shutdown::into_done`]).
#[derive(Debug)]
pub struct Done(mpsc::Sender<()>);

impl Done {
    /// A whole [`Shutdown`] again, listening on a copy of `notify`: a shutdown requested
    /// before then is seen at once, as the channel is closed.
    pub fn resume(self, notify: &broadcast::Receiver<()>) -> Shutdown {
        Shutdown::new(notify.resubscribe(), self.0)
    }
}
