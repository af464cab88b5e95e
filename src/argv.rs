//! From the process arguments to the argument vector clap parses: `argv[0]` dispatch
//! (`mosquitto_pub` → `mqtk pub`) and options files in mosquitto's format.
//!
//! The defaults file (`$XDG_CONFIG_HOME/mqtk/<pub|sub|rr>`, else `$HOME/.config/mqtk/...`) is
//! spliced in right after the subcommand, so command-line values override it (single-valued
//! options override themselves) while repeatable ones such as sub's `-t` accumulate, as in
//! mosquitto. `-o FILE` is replaced by the options in FILE and, as in mosquitto 2.1, replaces
//! the defaults file.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::cli::CliError;

/// The subcommands that take options files, as mosquitto's clients do.
const CLIENTS: [&str; 3] = ["pub", "sub", "rr"];

/// The environment variables that locate the defaults file, passed in so tests need not
/// touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `$XDG_CONFIG_HOME`, used when set and non-empty.
    pub xdg_config_home: Option<OsString>,
    /// `$HOME`, for the `~/.config` fallback.
    pub home: Option<OsString>,
}

impl Env {
    /// This process's `XDG_CONFIG_HOME` and `HOME`.
    pub fn from_process() -> Env {
        Env {
            xdg_config_home: std::env::var_os("XDG_CONFIG_HOME"),
            home: std::env::var_os("HOME"),
        }
    }

    /// Where the defaults for `client` live, if the environment names a config directory.
    fn defaults_file(&self, client: &str) -> Option<PathBuf> {
        let non_empty = |v: &Option<OsString>| v.clone().filter(|v| !v.is_empty());
        let base = match (non_empty(&self.xdg_config_home), non_empty(&self.home)) {
            (Some(xdg), _) => PathBuf::from(xdg),
            (None, Some(home)) => Path::new(&home).join(".config"),
            (None, None) => return None,
        };
        Some(base.join("mqtk").join(client))
    }
}

/// [`args_with`] for this process's environment.
pub fn args(raw: Vec<OsString>) -> Result<Vec<OsString>, CliError> {
    args_with(raw, &Env::from_process())
}

/// Turns the process arguments into clap's: inserts the subcommand named by `argv[0]`, splices
/// in the defaults file and expands `-o FILE`. Only a missing defaults file is silently skipped.
pub fn args_with(raw: Vec<OsString>, env: &Env) -> Result<Vec<OsString>, CliError> {
    let args = dispatch(raw);
    let Some(client) = args
        .get(1)
        .and_then(|a| a.to_str())
        .filter(|a| CLIENTS.contains(a))
    else {
        return Ok(args);
    };
    let (head, tail) = args.split_at(2);
    let (tail, used_options_file) = expand_options_files(tail)?;
    let defaults = match env.defaults_file(client) {
        Some(path) if !used_options_file => read_defaults(&path)?,
        _ => Vec::new(),
    };
    Ok([head.to_vec(), defaults, tail].concat())
}

/// `mosquitto_pub args…` becomes `mosquitto_pub pub args…` (likewise sub and rr).
fn dispatch(mut raw: Vec<OsString>) -> Vec<OsString> {
    let stem = raw.first().and_then(|a| Path::new(a).file_stem());
    let client = stem
        .and_then(OsStr::to_str)
        .and_then(|s| s.strip_prefix("mosquitto_"))
        .filter(|c| CLIENTS.contains(c))
        .map(OsString::from);
    if let Some(client) = client {
        raw.insert(1, client);
    }
    raw
}

/// Replaces each `-o FILE` with FILE's options; also says whether there was one.
///
/// Like mosquitto, any argument that is exactly `-o` counts, even where it would be a value.
fn expand_options_files(args: &[OsString]) -> Result<(Vec<OsString>, bool), CliError> {
    let mut out = Vec::with_capacity(args.len());
    let mut used = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg != "-o" {
            out.push(arg.clone());
            continue;
        }
        let file = iter.next().ok_or_else(|| {
            CliError::line("Error: -o argument given but no options file specified.")
        })?;
        out.extend(read_options(Path::new(file))?);
        used = true;
    }
    Ok((out, used))
}

fn read_defaults(path: &Path) -> Result<Vec<OsString>, CliError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        _ => read_options(path),
    }
}

fn read_options(path: &Path) -> Result<Vec<OsString>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::line(&format!(
            "Error: Unable to read options file '{}': {e}.",
            path.display()
        ))
    })?;
    Ok(parse_options(&text))
}

/// mosquitto's format: one option per line, split at the first space into option and value;
/// lines starting with `#` and blank lines are skipped. `-D`'s value is split at spaces too,
/// since it is several arguments (mosquitto cannot read `-D` from a file at all).
pub fn parse_options(text: &str) -> Vec<OsString> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches(['\r', '\n']).trim_start_matches(' ');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(' ') {
            Some((opt @ ("-D" | "--property"), value)) => {
                out.push(opt.into());
                out.extend(
                    value
                        .split(' ')
                        .filter(|v| !v.is_empty())
                        .map(OsString::from),
                );
            }
            Some((opt, value)) if !value.is_empty() => out.extend([opt.into(), value.into()]),
            Some((opt, _)) => out.push(opt.into()),
            None => out.push(line.into()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn env_at(dir: &Path) -> Env {
        Env {
            xdg_config_home: Some(dir.into()),
            home: None,
        }
    }

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn parses_mosquitto_format() {
        let text = "# comment\n\n-h broker\r\n-m  two spaces\n-c\n-r \n  -q 1\n-D publish user-property k v\n";
        assert_eq!(
            parse_options(text),
            os(&[
                "-h",
                "broker",
                "-m",
                " two spaces",
                "-c",
                "-r",
                "-q",
                "1",
                "-D",
                "publish",
                "user-property",
                "k",
                "v"
            ])
        );
    }

    #[test]
    fn dispatches_on_argv0() {
        let env = Env::default();
        assert_eq!(
            args_with(os(&["/usr/bin/mosquitto_sub", "-t", "a"]), &env).unwrap(),
            os(&["/usr/bin/mosquitto_sub", "sub", "-t", "a"])
        );
        assert_eq!(
            args_with(os(&["mqtk", "pub", "-t", "a"]), &env).unwrap(),
            os(&["mqtk", "pub", "-t", "a"])
        );
        assert_eq!(
            args_with(os(&["mosquitto_passwd", "x"]), &env).unwrap(),
            os(&["mosquitto_passwd", "x"])
        );
    }

    #[test]
    fn defaults_go_after_the_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "mqtk/sub", "-t from/file\n-h filehost\n");
        let got = args_with(os(&["mosquitto_sub", "-t", "cli"]), &env_at(dir.path())).unwrap();
        assert_eq!(
            got,
            os(&[
                "mosquitto_sub",
                "sub",
                "-t",
                "from/file",
                "-h",
                "filehost",
                "-t",
                "cli"
            ])
        );
    }

    #[test]
    fn home_is_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".config/mqtk/pub", "-q 2\n");
        let env = Env {
            xdg_config_home: Some(OsString::new()),
            home: Some(dir.path().into()),
        };
        let got = args_with(os(&["mqtk", "pub", "-m", "x"]), &env).unwrap();
        assert_eq!(got, os(&["mqtk", "pub", "-q", "2", "-m", "x"]));
    }

    #[test]
    fn missing_defaults_are_fine() {
        let dir = tempfile::tempdir().unwrap();
        let got = args_with(os(&["mqtk", "rr", "-e", "r"]), &env_at(dir.path())).unwrap();
        assert_eq!(got, os(&["mqtk", "rr", "-e", "r"]));
    }

    #[test]
    fn options_file_replaces_defaults_in_place() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "mqtk/pub", "-h default\n");
        let file = write(dir.path(), "opts", "-p 1884\n");
        let raw = vec![
            "mqtk".into(),
            "pub".into(),
            "-t".into(),
            "a".into(),
            "-o".into(),
            file.into_os_string(),
            "-m".into(),
            "x".into(),
        ];
        let got = args_with(raw, &env_at(dir.path())).unwrap();
        assert_eq!(
            got,
            os(&["mqtk", "pub", "-t", "a", "-p", "1884", "-m", "x"])
        );
    }

    #[test]
    fn options_file_errors_are_one_line() {
        let env = Env::default();
        let missing = args_with(os(&["mqtk", "pub", "-o", "/nonexistent/x"]), &env);
        assert_eq!(
            missing.unwrap_err().to_string(),
            "Error: Unable to read options file '/nonexistent/x': No such file or directory (os error 2).\n"
        );
        let dangling = args_with(os(&["mqtk", "pub", "-o"]), &env);
        assert_eq!(
            dangling.unwrap_err().to_string(),
            "Error: -o argument given but no options file specified.\n"
        );
    }
}
