//! Argument errors shaped like mosquitto's: its wording, the program name as invoked, and exit
//! code 1 (clap's own would be 2).

use std::fmt;
use std::io::Write;

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Why the arguments did not yield a command; `main` prints it and exits with its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// `--help` or `--version`: the text belongs on stdout and the exit code is 0.
    Info(String),
    /// `--help` or `--version` of `pub`, `sub` or `rr`: on stdout, but exit code 1, as
    /// mosquitto_pub, mosquitto_sub and mosquitto_rr 2.0 exit after printing them.
    ClientInfo(String),
    /// A bad argument: the text (newline-terminated) belongs on stderr and the exit code is 1.
    Invalid(String),
}

impl CliError {
    /// An argument error followed by mosquitto's hint, e.g. "Use 'mosquitto_pub --help' ...".
    pub fn usage(prog: &str, message: &str) -> CliError {
        CliError::Invalid(format!("{message}\n\nUse '{prog} --help' to see usage.\n"))
    }

    /// A one-line error without the usage hint (unreadable options files).
    pub fn line(message: &str) -> CliError {
        CliError::Invalid(format!("{message}\n"))
    }

    /// The process exit code: 0 for help and version, 1 (mosquitto's) for errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Info(_) => 0,
            CliError::ClientInfo(_) | CliError::Invalid(_) => 1,
        }
    }

    /// Writes the text where it belongs (stdout for help, stderr for errors).
    pub fn print(&self) {
        // Nothing sensible is left to do if the terminal is gone, so write errors are ignored.
        let _ = match self {
            CliError::Info(text) | CliError::ClientInfo(text) => {
                std::io::stdout().write_all(text.as_bytes())
            }
            CliError::Invalid(text) => std::io::stderr().write_all(text.as_bytes()),
        };
    }

    /// The same error from one of mosquitto's clients (`pub`, `sub`, `rr`): help and version
    /// exit 1 there.
    pub(super) fn of_client(self) -> CliError {
        match self {
            CliError::Info(text) => CliError::ClientInfo(text),
            other => other,
        }
    }

    /// Translates a clap error into mosquitto's wording where it has one.
    pub(super) fn from_clap(prog: &str, err: &clap::Error) -> CliError {
        match err.kind() {
            ErrorKind::DisplayHelp => CliError::Info(err.to_string()),
            ErrorKind::DisplayVersion => {
                CliError::Info(format!("mqtk {}\n", env!("CARGO_PKG_VERSION")))
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                CliError::Invalid(err.to_string())
            }
            _ => CliError::usage(prog, &clap_message(err)),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Info(text) | CliError::ClientInfo(text) | CliError::Invalid(text) => {
                f.write_str(text)
            }
        }
    }
}

impl std::error::Error for CliError {}

fn clap_message(err: &clap::Error) -> String {
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.as_str(),
        _ => "",
    };
    let flag = arg.split_once([' ', '=']).map_or(arg, |(flag, _)| flag);
    match err.kind() {
        ErrorKind::UnknownArgument => format!("Error: Unknown option '{flag}'."),
        ErrorKind::ValueValidation => match std::error::Error::source(err) {
            Some(source) => source.to_string(),
            None => first_line(err),
        },
        ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues | ErrorKind::InvalidValue
            if flag == "--property" =>
        {
            "Error: --property argument given but not enough arguments specified.".to_string()
        }
        ErrorKind::InvalidValue if is_missing(err) => {
            let what = arg.split_once(' ').map_or("value", |(_, v)| v);
            let what = what.trim_matches(['<', '>']).to_lowercase();
            format!("Error: {flag} argument given but no {what} specified.")
        }
        _ => first_line(err),
    }
}

/// True when an option was given without its value (clap reports an empty invalid value).
fn is_missing(err: &clap::Error) -> bool {
    match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(v)) => v.is_empty(),
        Some(_) => false,
        None => true,
    }
}

/// clap's one-line summary, capitalised like mosquitto's messages.
fn first_line(err: &clap::Error) -> String {
    let rendered = err.to_string();
    let line = rendered.lines().next().unwrap_or_default();
    let text = line.trim_start_matches("error: ");
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => format!("Error: {}{}.", c.to_uppercase(), chars.as_str()),
        None => "Error: Invalid arguments.".to_string(),
    }
}
