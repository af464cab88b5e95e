//! Durable broker state: retained messages and persistent sessions survive a restart.
//!
//! A snapshot, not a log: the whole state is written when it changed ("dirty"), at most once
//! per autosave interval, and once more on a graceful shutdown. It is copied under the
//! router's and each session's short locks (payloads are shared `Bytes`, so the copy is
//! cheap) and encoded and written off the async threads: to `FILE.tmp`, fsync, rename over
//! `FILE`, fsync the directory, so a crash at any point leaves the previous or the new
//! snapshot, never a torn one. A `kill -9` or power loss loses at most the changes of the
//! last interval. A log would lose less but cost a write per message; mqtk keeps the
//! snapshot's simplicity and a short default interval (1 s, where mosquitto's is 1800 s),
//! stretched for a state so large that copying it would hold publishers too often.
//! With mosquitto's `autosave_on_changes`, the interval is a number of changes instead: the
//! router counts them ([`ChangeCount`]) and wakes the autosave task when they reach it.

mod format;
mod settings;

pub use settings::{Autosave, PersistKeys, Persistence};

use super::config::Config;
use super::lifecycle;
use super::router::Router;
use super::server::Shared;
use super::session::Session;
use super::shutdown::Shutdown;
use anyhow::{anyhow, bail, Context};
use format::{Clock, Snapshot};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;

/// Timed saves are spaced at least this many times the copy's duration apart, so copying
/// under the router's lock holds publishers at most 1% of the time however large the state
/// (a large state takes long to copy: see `benches/NOTES.md`).
const COPY_SHARE: u32 = 100;

/// Counts the changes `autosave_on_changes` saves after and says when they reach the count.
/// Idle (`every` 0) unless configured, so a broker saving by time pays nothing per message.
#[derive(Debug, Default)]
pub struct ChangeCount {
    every: u64,
    count: AtomicU64,
    due: Notify,
}

impl ChangeCount {
    /// Counts towards a save every `every` changes.
    pub fn every(every: u32) -> ChangeCount {
        ChangeCount {
            every: every.into(),
            ..ChangeCount::default()
        }
    }

    /// Counts `n` changes; the one that reaches the count wakes [`ChangeCount::due`].
    pub fn add(&self, n: u64) {
        if self.every == 0 || n == 0 {
            return;
        }
        let before = self.count.fetch_add(n, Ordering::Relaxed);
        if before < self.every && before + n >= self.every {
            self.due.notify_one();
        }
    }

    /// The changes counted since the last reset.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Starts counting again; call it before copying the state.
    pub fn reset(&self) {
        self.count.store(0, Ordering::Relaxed);
    }

    /// Returns once the count was reached (at once if it was while nobody waited).
    pub async fn due(&self) {
        self.due.notified().await;
    }
}

/// A save that happened.
#[derive(Debug, PartialEq, Eq)]
pub struct Saved {
    /// The file's size in bytes.
    pub size: usize,
    /// How long the state took to copy, under the locks publishers also take.
    pub copied: Duration,
}

/// The persistence file of a running broker.
pub struct Store {
    settings: Persistence,
    tmp: PathBuf,
}

/// What a broker starts from: the state found in its file.
pub struct Restored {
    /// Retained messages and sessions, with their subscriptions in the trie.
    pub router: Router,
    /// Restored sessions that expire, with the time they have left.
    expiring: Vec<(Arc<Session>, Duration)>,
    retained: usize,
    sessions: usize,
    expired: usize,
}

impl Store {
    /// Reads the state in `settings`' file (none yet: an empty broker) after checking that
    /// its directory takes the temporary file. A file that cannot be trusted stops the
    /// broker: starting empty would silently lose it.
    pub fn open(settings: &Persistence, config: &Config) -> anyhow::Result<(Store, Restored)> {
        let path = &settings.file;
        let mut tmp = OsString::from(path);
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        File::create(&tmp)
            .and_then(|_| std::fs::remove_file(&tmp))
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let state = match std::fs::read(path) {
            Ok(bytes) => format::decode(&bytes, Clock::now())
                .map_err(|e| anyhow!("{} {e}; move it aside to start empty", path.display()))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Snapshot::default(),
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        };
        let store = Store {
            settings: settings.clone(),
            tmp,
        };
        Ok((store, restore(state, config, settings.autosave)))
    }

    /// Saves the state if it changed since the last save; returns the file's size and how
    /// long copying the state took if it did. On failure the state stays marked as changed,
    /// so the next attempt saves it.
    pub async fn save_if_dirty(&self, router: &Router) -> anyhow::Result<Option<Saved>> {
        if !router.take_dirty() {
            return Ok(None);
        }
        let start = std::time::Instant::now();
        let state = capture(router);
        let copied = start.elapsed();
        let (path, tmp) = (self.settings.file.clone(), self.tmp.clone());
        let written = tokio::task::spawn_blocking(move || {
            let bytes = format::encode(&state, Clock::now())?;
            write_atomically(&path, &tmp, &bytes).map(|()| bytes.len())
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r);
        written
            .map(|size| Some(Saved { size, copied }))
            .map_err(|e| {
                router.touch();
                anyhow!("cannot save {}: {e}", self.settings.file.display())
            })
    }

    /// Saves the state if it changed, logging how long it took.
    pub async fn save_logged(&self, shared: &Shared) -> anyhow::Result<Option<Saved>> {
        let start = std::time::Instant::now();
        let saved = self.save_if_dirty(&shared.router).await?;
        if let Some(Saved { size, copied }) = saved {
            shared.log(format_args!(
                "Saved the state to {} ({size} bytes in {} ms, {} ms of it copying).",
                self.settings.file.display(),
                start.elapsed().as_millis(),
                copied.as_millis()
            ));
        }
        Ok(saved)
    }
}

/// Starts what a restored broker runs besides its connections: the expiry timers of the
/// restored sessions and the autosave task.
pub fn start(store: Arc<Store>, restored: Restored, shared: &Arc<Shared>, shutdown: &Shutdown) {
    shared.log(format_args!(
        "Restored {} retained messages and {} sessions from {} ({} expired sessions dropped).",
        restored.retained,
        restored.sessions,
        store.settings.file.display(),
        restored.expired
    ));
    for (session, left) in restored.expiring {
        lifecycle::expire(shared.clone(), session, 0, left, shutdown.child());
    }
    let mut ticks = match store.settings.autosave {
        Autosave::Never => return,
        Autosave::Every(every) => Some(tokio::time::interval(every)),
        Autosave::Changes(_) => None,
    };
    if let Some(ticks) = &mut ticks {
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    tokio::spawn(autosave(store, ticks, shared.clone(), shutdown.child()));
}

/// Saves at each of `ticks` while the state changes, or without ticks each time the router
/// counted enough changes, until shutdown. A failure is reported once, when it starts, and
/// retried at the next tick or count.
async fn autosave(
    store: Arc<Store>,
    mut ticks: Option<tokio::time::Interval>,
    shared: Arc<Shared>,
    mut shutdown: Shutdown,
) {
    if let Some(ticks) = &mut ticks {
        ticks.tick().await;
    }
    let mut failing = false;
    loop {
        let due = async {
            match &mut ticks {
                Some(ticks) => drop(ticks.tick().await),
                None => shared.router.changes().due().await,
            }
        };
        tokio::select! {
            () = due => {}
            () = shutdown.recv() => return,
        }
        match store.save_logged(&shared).await {
            Err(e) if !failing => {
                eprintln!("mqtk serve: {e:#}");
                failing = true;
            }
            Err(_) => {}
            Ok(saved) => {
                failing = false;
                if let (Some(ticks), Some(saved)) = (&mut ticks, saved) {
                    space(ticks, saved.copied);
                }
            }
        }
    }
}

/// Puts the next timed save at least [`COPY_SHARE`] times `copied` (this save's copy) away,
/// when that is longer than the period.
fn space(ticks: &mut tokio::time::Interval, copied: Duration) {
    let gap = copied * COPY_SHARE;
    if gap > ticks.period() {
        ticks.reset_after(gap);
    }
}

/// A copy of what is saved, taken under the locks the broker already uses.
fn capture(router: &Router) -> Snapshot {
    let (retained, sessions) = router.contents();
    let sessions = sessions
        .iter()
        .filter_map(|s| Some((s.client_id.clone(), s.image()?)))
        .collect();
    Snapshot {
        saved_at: Some(SystemTime::now()),
        retained,
        sessions,
    }
}

/// Builds the broker's state from a file's: expired retained messages and sessions are left
/// out; sessions come back offline, with what is left of their expiry (capped by
/// `persistent_client_expiration`); the router counts changes if `autosave` does.
fn restore(state: Snapshot, config: &Config, autosave: Autosave) -> Restored {
    let changes = match autosave {
        Autosave::Changes(every) => ChangeCount::every(every),
        _ => ChangeCount::default(),
    };
    let router = Router::new(config, changes);
    let limits = router.session_limits();
    let now = Clock::now();
    let retained: Vec<_> = state
        .retained
        .into_iter()
        .filter(|m| !m.expired(now.instant))
        .collect();
    let saved_at = state.saved_at.unwrap_or(now.wall);
    let mut sessions = Vec::new();
    let mut expiring = Vec::new();
    let mut expired = 0;
    for (client_id, mut image) in state.sessions {
        let left = *image.left.get_or_insert(saved_at);
        if image.expiry == u32::MAX {
            image.expiry = config.persistent_client_expiration.unwrap_or(u32::MAX);
        }
        let gone = now.wall.duration_since(left).unwrap_or_default();
        let remaining = Duration::from_secs(image.expiry.into()).checked_sub(gone);
        let session = match (image.expiry, remaining) {
            (u32::MAX, _) => Arc::new(Session::restored(client_id, limits.clone(), image)),
            (_, Some(left)) if !left.is_zero() => {
                let session = Arc::new(Session::restored(client_id, limits.clone(), image));
                expiring.push((session.clone(), left));
                session
            }
            _ => {
                expired += 1;
                continue;
            }
        };
        sessions.push(session);
    }
    let counts = (retained.len(), sessions.len());
    router.restore(retained, sessions);
    Restored {
        router,
        expiring,
        retained: counts.0,
        sessions: counts.1,
        expired,
    }
}

/// Replaces `path` by `bytes` so that a crash leaves either the old or the new file whole.
fn write_atomically(path: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(tmp, path)?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::message::Message;
    use crate::broker::session::SubOptions;
    use crate::codec::{Props, QoS};

    /// The save after a long copy waits 100 times that copy, from when it ended: no
    /// shorter, even though the regular tick it replaces was missed meanwhile. The clock
    /// is paused so that a loaded machine cannot shift the ticks.
    #[tokio::test(start_paused = true)]
    async fn a_long_copy_spaces_timed_saves() {
        let ms = Duration::from_millis;
        let mut ticks = tokio::time::interval(ms(20));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        space(&mut ticks, ms(3));
        let start = tokio::time::Instant::now();
        ticks.tick().await;
        assert_eq!(start.elapsed(), ms(300));
        // A short copy keeps the period.
        space(&mut ticks, ms(0));
        let start = tokio::time::Instant::now();
        ticks.tick().await;
        assert_eq!(start.elapsed(), ms(20));
    }

    #[tokio::test]
    async fn a_save_is_due_when_the_count_is_reached() {
        async fn due(count: &ChangeCount) -> bool {
            tokio::time::timeout(Duration::ZERO, count.due())
                .await
                .is_ok()
        }
        let count = ChangeCount::every(3);
        count.add(2);
        assert!(!due(&count).await);
        count.add(1);
        assert!(due(&count).await, "the third change");
        count.add(5);
        assert!(!due(&count).await, "once per count");
        count.reset();
        count.add(4);
        assert!(due(&count).await, "again after a reset");
        let idle = ChangeCount::default();
        idle.add(1000);
        assert!(!due(&idle).await);
    }

    fn message(topic: &str, expires: Option<std::time::Instant>) -> Arc<Message> {
        Arc::new(Message {
            topic: topic.into(),
            payload: "p".into(),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Props::default(),
            expires,
            origin: None,
        })
    }

    #[test]
    fn restores_live_state_and_drops_what_expired() {
        let now = Clock::now();
        let ago = |secs| Some(now.wall - Duration::from_secs(secs));
        let session = |expiry, left| crate::broker::session::SessionImage {
            subscriptions: vec![("t".into(), SubOptions::default())],
            expiry,
            left,
            ..Default::default()
        };
        let state = Snapshot {
            saved_at: ago(20),
            retained: vec![
                message("live", None),
                message("gone", Some(now.instant - Duration::from_secs(1))),
            ],
            sessions: vec![
                ("forever".into(), session(u32::MAX, ago(1_000_000))),
                ("counting".into(), session(60, ago(10))),
                ("online".into(), session(30, None)),
                ("expired".into(), session(15, None)),
            ],
        };
        let config = Config {
            persistent_client_expiration: Some(1_000_020),
            ..Config::default()
        };
        let restored = restore(state, &config, Autosave::Never);
        assert_eq!((restored.retained, restored.sessions), (1, 3));
        assert_eq!(restored.expired, 1);
        let left: Vec<u64> = restored.expiring.iter().map(|(_, d)| d.as_secs()).collect();
        assert!(matches!(left[..], [19 | 20, 49 | 50, 9 | 10]), "{left:?}");
        assert_eq!(restored.router.counts(), (3, 3, 1));
        assert!(!restored.router.take_dirty());
    }

    #[tokio::test]
    async fn saves_only_changes_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Persistence {
            file: dir.path().join("state.db"),
            autosave: Autosave::Never,
        };
        let (store, restored) = Store::open(&settings, &Config::default()).unwrap();
        assert_eq!(restored.sessions, 0);
        let router = &restored.router;
        assert_eq!(store.save_if_dirty(router).await.unwrap(), None);
        router.publish(&message("r", None), None);
        assert!(store.save_if_dirty(router).await.unwrap().is_some());
        assert_eq!(store.save_if_dirty(router).await.unwrap(), None);
        let (_, again) = Store::open(&settings, &Config::default()).unwrap();
        assert_eq!(again.retained, 1);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        let unwritable = Persistence {
            file: dir.path().join("missing/state.db"),
            autosave: Autosave::Never,
        };
        let error = Store::open(&unwritable, &Config::default())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("cannot write"), "{error}");
    }
}
