//! The password and ACL files a broker enforces, the [`Access`] rules of each listener, and
//! their reload on SIGHUP.
//!
//! The loaded files are swapped whole behind a lock held only to clone an `Arc` or run one
//! check, so a reload never blocks or drops connections: each check sees either the old set
//! or the new one.
//! Every listener shares the broker's files unless `per_listener_settings true` gives each its
//! own; a connection holds its listener's [`Access`] (one `Arc`) for its whole life, and its
//! [`ClientPatterns`], expanded again when a reload replaced the rules they came from.

use super::acl::{Acl, AclClient, Patterns};
use super::limits::ListenerLimits;
use super::listener::{ClientRules, ListenerConfig};
use crate::password::PasswordFile;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

/// What the files said when last (re)loaded.
#[derive(Default)]
pub struct Rules {
    pub passwords: Option<PasswordFile>,
    pub acl: Option<Acl>,
    /// Counts the loads, so a client's expanded patterns know which rules they belong to.
    generation: u64,
}

/// A client's ACL patterns, expanded at its first check against an ACL file: a connection
/// keeps one for its checks. Boxed, so a connection to a broker without ACLs, which never
/// expands any, carries 8 bytes for it.
#[derive(Debug, Default)]
pub struct ClientPatterns(Option<Box<Expanded>>);

/// Patterns and the [`Rules::generation`] they were expanded from.
#[derive(Debug)]
struct Expanded {
    generation: u64,
    patterns: Patterns,
}

/// The configured files and their current contents.
#[derive(Default)]
pub struct Security {
    password_file: Option<PathBuf>,
    acl_file: Option<PathBuf>,
    rules: RwLock<Arc<Rules>>,
}

impl Security {
    /// Loads both files (either may be absent); an unreadable or malformed file is an error.
    pub fn load(
        password_file: Option<PathBuf>,
        acl_file: Option<PathBuf>,
    ) -> anyhow::Result<Security> {
        let security = Security {
            password_file,
            acl_file,
            rules: RwLock::default(),
        };
        security.reload()?;
        Ok(security)
    }

    /// Reads the files again. On error the previous rules stay in force, as in mosquitto.
    pub fn reload(&self) -> anyhow::Result<()> {
        let passwords = self.password_file.as_deref().map(PasswordFile::load);
        let passwords = passwords.transpose()?;
        for line in passwords.iter().flat_map(|p| &p.removed) {
            eprintln!("{line}");
        }
        let mut rules = Rules {
            passwords,
            acl: self.acl_file.as_deref().map(Acl::load).transpose()?,
            generation: 0,
        };
        let mut current = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        rules.generation = current.generation + 1;
        *current = Arc::new(rules);
        Ok(())
    }

    /// Whether read and write access are checked at all.
    pub fn has_acl(&self) -> bool {
        self.acl_file.is_some()
    }

    /// The rules in force now.
    pub fn rules(&self) -> Arc<Rules> {
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether `check` allows `client`, whose patterns are kept in `patterns`, under the
    /// current ACL; everything is allowed without an ACL file. Checks the configuration first
    /// so brokers without ACLs skip the lock. Runs on every delivery: `check` runs under the
    /// read lock (only a SIGHUP reload ever writes) rather than paying an `Arc` clone and drop
    /// per message, and the patterns are expanded only when the rules are new to them.
    pub fn authorize(
        &self,
        client: &AclClient<'_>,
        patterns: &mut ClientPatterns,
        check: impl FnOnce(&Acl, &AclClient<'_>, &Patterns) -> bool,
    ) -> bool {
        if !self.has_acl() {
            return true;
        }
        let rules = self.rules.read().unwrap_or_else(PoisonError::into_inner);
        let Some(acl) = &rules.acl else {
            return true;
        };
        // Expanded again when a reload replaced the rules they came from.
        let expanded = match &mut patterns.0 {
            Some(kept) if kept.generation == rules.generation => kept,
            slot => slot.insert(Box::new(Expanded {
                generation: rules.generation,
                patterns: acl.expand(client),
            })),
        };
        check(acl, client, &expanded.patterns)
    }
}

/// What a listener lets in and what its clients may do.
pub struct Access {
    /// Accept clients that send no username.
    pub allow_anonymous: bool,
    /// Accept an empty client id (the broker assigns one).
    pub allow_zero_length_clientid: bool,
    /// The password and ACL files.
    pub security: Arc<Security>,
    /// The listener's `max_qos` and `max_topic_alias`.
    pub limits: ListenerLimits,
    /// The port the listener is bound to, which names it in what its clients publish.
    pub port: u16,
    /// What the listener does to its clients' identity and topics.
    pub clients: ClientRules,
}

/// A listener's own security settings (`per_listener_settings true`), before the files are
/// loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerSecurity {
    /// Accept clients that send no username.
    pub allow_anonymous: bool,
    /// Accept an empty client id (the broker assigns one).
    pub allow_zero_length_clientid: bool,
    /// mosquitto_passwd file; without one, a username is no credential.
    pub password_file: Option<PathBuf>,
    /// mosquitto ACL file; without one, everything is allowed.
    pub acl_file: Option<PathBuf>,
}

impl ListenerSecurity {
    /// Loads the files, for `listener`, bound to `port`; an unreadable or malformed file is
    /// an error.
    pub fn load(&self, listener: &ListenerConfig, port: u16) -> anyhow::Result<Access> {
        let security = Security::load(self.password_file.clone(), self.acl_file.clone())?;
        Ok(Access {
            allow_anonymous: self.allow_anonymous,
            allow_zero_length_clientid: self.allow_zero_length_clientid,
            security: Arc::new(security),
            limits: listener.limits,
            port,
            clients: listener.clients.clone(),
        })
    }
}

/// Catches SIGHUP from now on and returns the task that reloads every set of files on each
/// one, for the life of the process; a set that fails keeps its old rules, the others still
/// reload.
#[cfg(unix)]
pub fn reload_on_hangup(
    securities: Vec<Arc<Security>>,
    verbose: bool,
) -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(async move { reload_each(&mut hangup, &securities, verbose).await })
}

#[cfg(unix)]
async fn reload_each(
    hangup: &mut tokio::signal::unix::Signal,
    securities: &[Arc<Security>],
    verbose: bool,
) {
    while hangup.recv().await.is_some() {
        let mut ok = true;
        for security in securities {
            if let Err(e) = security.reload() {
                ok = false;
                eprintln!("mqtk serve: reload failed, keeping the old rules: {e:#}");
            }
        }
        if ok && verbose {
            eprintln!("mqtk serve: reloaded password and ACL files");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reload_swaps_rules_and_keeps_them_on_error() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "topic read a").unwrap();
        let security = Security::load(None, Some(file.path().into())).unwrap();
        let anon = AclClient {
            client_id: "c",
            username: None,
        };
        let mut kept = ClientPatterns::default();
        let mut read = |s: &Security, topic: &str| {
            s.authorize(&anon, &mut kept, |acl, c, p| acl.can_read(c, p, topic))
        };
        assert!(!read(&security, "b"));
        std::fs::write(file.path(), "topic read b\npattern read p/%c\n").unwrap();
        security.reload().unwrap();
        assert!(read(&security, "b"));
        assert!(
            read(&security, "p/c"),
            "the client's patterns follow the reload"
        );
        std::fs::write(file.path(), "bogus line\n").unwrap();
        assert!(security.reload().is_err());
        assert!(read(&security, "b"));
        std::fs::write(file.path(), "pattern read q/%c\n").unwrap();
        security.reload().unwrap();
        assert!(!read(&security, "p/c"));
        assert!(read(&security, "q/c"));
    }

    #[test]
    fn without_an_acl_file_everything_is_allowed() {
        let security = Security::default();
        let anon = AclClient {
            client_id: "c",
            username: None,
        };
        let mut none = ClientPatterns::default();
        assert!(security.authorize(&anon, &mut none, |_, _, _| false));
    }
}
