//! What a `mosquitto.conf` or `--persist` asks of persistence: the file and when to save it.

use anyhow::{anyhow, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// mqtk's autosave interval when none is configured.
const DEFAULT_AUTOSAVE: Duration = Duration::from_secs(1);

/// mosquitto's `autosave_interval` default, the count `autosave_on_changes` uses without one.
const DEFAULT_CHANGES: u32 = 1800;

/// Where the broker keeps its state and how often it saves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persistence {
    /// The snapshot; `FILE.tmp` beside it is written first, then renamed over it.
    pub file: PathBuf,
    /// When the state is saved before shutdown.
    pub autosave: Autosave,
}

/// When a running broker saves its state (it always saves at shutdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Autosave {
    /// Only at shutdown (`autosave_interval 0`).
    Never,
    /// When the state changed, at most this often.
    Every(Duration),
    /// Once this many changes were counted (`autosave_on_changes true`).
    Changes(u32),
}

/// The persistence keys of a `mosquitto.conf`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PersistKeys {
    enabled: Option<bool>,
    location: Option<PathBuf>,
    file: Option<String>,
    autosave_interval: Option<u32>,
    on_changes: Option<bool>,
    client_expiration: Option<u32>,
}

impl PersistKeys {
    /// Takes `key` if it is a persistence key, `value` being everything after it; true if
    /// it was one.
    pub fn apply(&mut self, key: &str, value: &str) -> anyhow::Result<bool> {
        let one = || match value.split_whitespace().count() {
            1 => Ok(value),
            _ => Err(anyhow!("wrong number of values for {key}")),
        };
        match key {
            "persistence" => self.enabled = Some(crate::broker::config::parse_bool(one()?)?),
            "persistence_location" => self.location = Some(PathBuf::from(non_empty(key, value)?)),
            "persistence_file" => self.file = Some(non_empty(key, value)?.to_string()),
            "autosave_interval" => {
                let text = one()?;
                let secs = text.parse().map_err(|_| {
                    anyhow!("autosave_interval must be a number of seconds, not {text:?}")
                })?;
                self.autosave_interval = Some(secs);
            }
            "autosave_on_changes" => {
                self.on_changes = Some(crate::broker::config::parse_bool(one()?)?);
            }
            "persistent_client_expiration" => {
                self.client_expiration = Some(parse_duration(one()?)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `persistent_client_expiration`: seconds a session that would never expire is kept
    /// after its client left.
    pub fn client_expiration(&self) -> Option<u32> {
        self.client_expiration
    }

    /// The persistence to run with: `--persist FILE` if given, else the file's
    /// `persistence true` with mosquitto's defaults (`mosquitto.db` in the current directory).
    pub fn resolve(&self, flag: Option<&Path>) -> Option<Persistence> {
        let file = match flag {
            Some(path) => path.to_path_buf(),
            None if self.enabled == Some(true) => {
                let name = self.file.as_deref().unwrap_or("mosquitto.db");
                self.location.as_deref().unwrap_or(Path::new("")).join(name)
            }
            None => return None,
        };
        let on_changes = self.on_changes == Some(true);
        let autosave = match self.autosave_interval {
            Some(0) => Autosave::Never,
            Some(count) if on_changes => Autosave::Changes(count),
            None if on_changes => Autosave::Changes(DEFAULT_CHANGES),
            Some(secs) => Autosave::Every(Duration::from_secs(secs.into())),
            None => Autosave::Every(DEFAULT_AUTOSAVE),
        };
        Some(Persistence { file, autosave })
    }
}

/// mosquitto's durations: a number and a unit, `h`, `d`, `w`, `m` (30 days) or `y`.
fn parse_duration(text: &str) -> anyhow::Result<u32> {
    let split = text.len().saturating_sub(1);
    let unit = match text.get(split..) {
        Some("h") => 3600,
        Some("d") => 86_400,
        Some("w") => 7 * 86_400,
        Some("m") => 30 * 86_400,
        Some("y") => 365 * 86_400,
        _ => 0,
    };
    let count: Option<u32> = text.get(..split).and_then(|n| n.parse().ok());
    match count.and_then(|n| n.checked_mul(unit)) {
        Some(secs) if secs > 0 && secs < u32::MAX => Ok(secs),
        _ => bail!("invalid duration {text:?} (a number and h, d, w, m or y)"),
    }
}

fn non_empty<'a>(key: &str, value: &'a str) -> anyhow::Result<&'a str> {
    match value.is_empty() {
        true => bail!("wrong number of values for {key}"),
        false => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> anyhow::Result<PersistKeys> {
        let mut keys = PersistKeys::default();
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            assert!(keys.apply(key, value.trim())?, "{key}");
        }
        Ok(keys)
    }

    #[test]
    fn parses_mosquitto_keys_with_its_defaults() {
        let on = keys("persistence true").unwrap();
        let expected = Persistence {
            file: "mosquitto.db".into(),
            autosave: Autosave::Every(DEFAULT_AUTOSAVE),
        };
        assert_eq!(on.resolve(None), Some(expected));
        let text = "persistence true\npersistence_location /var/lib/my dir/\n\
                    persistence_file state.db\nautosave_interval 0";
        let all = keys(text).unwrap().resolve(None).unwrap();
        assert_eq!(all.file, PathBuf::from("/var/lib/my dir/state.db"));
        assert_eq!(all.autosave, Autosave::Never);
        let off = keys("persistence false\npersistence_file x.db").unwrap();
        assert_eq!(off.resolve(None), None);
        let flag = off.resolve(Some(Path::new("f.db"))).unwrap();
        assert_eq!(flag.file, PathBuf::from("f.db"));
        let mut other = PersistKeys::default();
        assert!(!other.apply("autosave_on_change", "true").unwrap());
        let counted = keys("persistence true\nautosave_on_changes true\nautosave_interval 5");
        assert_eq!(
            counted.unwrap().resolve(None).unwrap().autosave,
            Autosave::Changes(5)
        );
        let default = keys("autosave_on_changes true")
            .unwrap()
            .resolve(Some(Path::new("f")));
        assert_eq!(
            default.unwrap().autosave,
            Autosave::Changes(DEFAULT_CHANGES)
        );
        let never = keys("autosave_on_changes true\nautosave_interval 0").unwrap();
        let never = never.resolve(Some(Path::new("f"))).unwrap();
        assert_eq!(never.autosave, Autosave::Never);
        let timed = keys("autosave_on_changes false\nautosave_interval 5").unwrap();
        let every = Autosave::Every(Duration::from_secs(5));
        assert_eq!(timed.resolve(Some(Path::new("f"))).unwrap().autosave, every);
        assert!(keys("autosave_on_changes maybe").is_err());
        let week = keys("persistent_client_expiration 2w").unwrap();
        assert_eq!(week.client_expiration(), Some(14 * 86_400));
        for bad in ["2", "h", "0d", "-1d", "2x", "300y", "2é"] {
            let line = format!("persistent_client_expiration {bad}");
            assert!(keys(&line).is_err(), "{bad}");
        }
        assert!(keys("persistence yes").is_err());
        assert!(keys("autosave_interval -1").is_err());
        assert!(keys("autosave_interval 99999999999").is_err());
        assert!(keys("autosave_interval 1 2").is_err());
        assert!(keys("persistence_file").is_err());
    }
}
