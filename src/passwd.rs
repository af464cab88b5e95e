//! `mqtk passwd`: manages a password file for `mqtk serve` or mosquitto, like mosquitto_passwd.
//!
//! New entries are `$7$` PBKDF2-SHA512 with 101 iterations and a 12-byte salt by default,
//! exactly what mosquitto_passwd 2.0 writes, so either broker reads the file.

use crate::password::{split_line, Hash, PBKDF2_ITERATIONS};
use anyhow::{anyhow, bail, Context};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `mqtk passwd` options, mosquitto_passwd-style.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(
    override_usage = "mqtk passwd [-H HASH] [-I ITERATIONS] [-c | -D] FILE USER\n       \
                      mqtk passwd [-H HASH] [-I ITERATIONS] [-c] -b FILE USER PASSWORD"
)]
pub struct PasswdArgs {
    /// Create (or overwrite) the file instead of updating it.
    #[arg(short = 'c', conflicts_with = "delete")]
    pub create: bool,
    /// Delete USER from the file.
    #[arg(short = 'D', conflicts_with = "batch")]
    pub delete: bool,
    /// Take the password from the command line instead of prompting.
    #[arg(short = 'b', requires = "password")]
    pub batch: bool,
    /// Hash for new passwords.
    #[arg(short = 'H', value_enum, default_value_t = HashKind::Sha512Pbkdf2)]
    pub hash: HashKind,
    /// PBKDF2 iterations for sha512-pbkdf2.
    #[arg(short = 'I', value_name = "ITERATIONS", default_value_t = PBKDF2_ITERATIONS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub iterations: u32,
    /// The password file.
    pub file: PathBuf,
    /// The user to add, change or delete.
    pub username: String,
    /// The password, with -b.
    pub password: Option<String>,
}

/// Hashes `mqtk passwd` can write.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// `$7$`: PBKDF2-HMAC-SHA512, mosquitto 2.0's format.
    #[value(name = "sha512-pbkdf2")]
    Sha512Pbkdf2,
    /// `$argon2id$`: read by mosquitto 2.1 and mqtk, not by mosquitto 2.0.
    Argon2id,
}

/// Runs `mqtk passwd`; the exit status is 0 on success, 1 on any error.
pub fn main(args: PasswdArgs) -> i32 {
    match run(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}

fn run(args: &PasswdArgs) -> anyhow::Result<()> {
    let user = args.username.as_str();
    if user.is_empty() || user.contains([':', '\n', '\r']) {
        bail!("invalid user name {user:?}: it may not be empty or contain ':'");
    }
    if args.password.is_some() && !args.batch {
        bail!("a password on the command line needs -b");
    }
    let existing = match args.create {
        true => String::new(),
        false => std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?,
    };
    let entry = match args.delete {
        true => None,
        false => Some(format!("{user}:{}", new_hash(args)?)),
    };
    let (text, found) = replace_user(&existing, user, entry.as_deref());
    if args.delete && !found {
        bail!("user {user} not found in {}", args.file.display());
    }
    write_file(&args.file, &text)
}

fn new_hash(args: &PasswdArgs) -> anyhow::Result<Hash> {
    let password = match &args.password {
        Some(password) => password.clone(),
        None => prompt_twice()?,
    };
    if password.is_empty() {
        bail!("empty password");
    }
    match args.hash {
        HashKind::Sha512Pbkdf2 => Hash::pbkdf2(password.as_bytes(), args.iterations),
        HashKind::Argon2id => Hash::argon2id(password.as_bytes()),
    }
}

/// The file with `user`'s line replaced by `entry` (appended if new, removed if `None`), and
/// whether the user was there. Other lines, comments included, are kept as they were.
fn replace_user(text: &str, user: &str, entry: Option<&str>) -> (String, bool) {
    let mut out = String::with_capacity(text.len() + 160);
    let mut found = false;
    for line in text.lines() {
        let is_user = split_line(line).map(|(name, _)| name) == Some(user);
        if !is_user {
            out.push_str(line);
            out.push('\n');
        } else if !found {
            found = true;
            if let Some(entry) = entry {
                out.push_str(entry);
                out.push('\n');
            }
        }
    }
    if let (false, Some(entry)) = (found, entry) {
        out.push_str(entry);
        out.push('\n');
    }
    (out, found)
}

/// Replaces the file through a rename, so a broker reloading it never sees half of it. A new
/// file is readable by its owner only; an existing one keeps its permissions.
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file name", path.display()))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let result = write_new(&temp, path, text).and_then(|()| {
        std::fs::rename(&temp, path).with_context(|| format!("cannot replace {}", path.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn write_new(temp: &Path, original: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(temp)
        .with_context(|| format!("cannot create {}", temp.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    if let Ok(meta) = std::fs::metadata(original) {
        file.set_permissions(meta.permissions())?;
    }
    Ok(())
}

/// Asks for the password twice on the terminal, like mosquitto_passwd.
fn prompt_twice() -> anyhow::Result<String> {
    let first = prompt("Password: ")?;
    let second = prompt("Reenter password: ")?;
    match first == second {
        true => Ok(first),
        false => bail!("passwords do not match"),
    }
}

/// One password: from the terminal with echo off (rpassword), else a line of piped stdin.
fn prompt(text: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    eprint!("{text}");
    let line = if std::io::stdin().is_terminal() {
        rpassword::read_password()?
    } else {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line)? == 0 {
            bail!("no password given");
        }
        line
    };
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_appends_and_deletes_users() {
        let text = "# users\nalice:$7$old\nbob:$7$b\n";
        let (out, found) = replace_user(text, "alice", Some("alice:$7$new"));
        assert!(found);
        assert_eq!(out, "# users\nalice:$7$new\nbob:$7$b\n");
        let (out, found) = replace_user(text, "carol", Some("carol:$7$c"));
        assert!(!found);
        assert_eq!(out, "# users\nalice:$7$old\nbob:$7$b\ncarol:$7$c\n");
        let (out, found) = replace_user(text, "bob", None);
        assert!(found);
        assert_eq!(out, "# users\nalice:$7$old\n");
    }

    #[test]
    fn writes_a_file_the_broker_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        let args = |user: &str, password: &str, create: bool| PasswdArgs {
            create,
            delete: false,
            batch: true,
            hash: HashKind::Sha512Pbkdf2,
            iterations: PBKDF2_ITERATIONS,
            file: file.clone(),
            username: user.into(),
            password: Some(password.into()),
        };
        assert_eq!(main(args("alice", "a", false)), 1, "no file without -c");
        assert_eq!(main(args("alice", "a", true)), 0);
        assert_eq!(main(args("bob", "b", false)), 0);
        assert_eq!(main(args("alice", "a2", false)), 0);
        assert_eq!(main(args("x:y", "p", false)), 1);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("alice:$7$101$"), "{text}");
        let passwords = crate::password::PasswordFile::parse(&text);
        assert!(passwords.verify("alice", Some(b"a2")));
        assert!(passwords.verify("bob", Some(b"b")));
        let delete = PasswdArgs {
            delete: true,
            batch: false,
            password: None,
            ..args("bob", "", false)
        };
        assert_eq!(main(delete.clone()), 0);
        assert_eq!(main(delete), 1, "already deleted");
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 1);
    }
}
