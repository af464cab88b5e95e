//! From a prepared argument vector to a validated [`Cli`], named as the user invoked it.

use std::ffi::OsString;
use std::path::Path;

use clap::{Arg, ArgAction, Args, FromArgMatches};

use super::{Cli, CliError, Command, PubArgs, RrArgs, SubArgs, PUB_ABOUT, RR_ABOUT, SUB_ABOUT};

/// The subcommands that mosquitto's clients map to.
const CLIENTS: [&str; 3] = ["pub", "sub", "rr"];

/// Parses a prepared argument vector (see [`crate::argv::args`]) and validates it.
///
/// Errors carry mosquitto's exit codes: 1 for bad arguments, 0 for `--help`/`--version`
/// except of `pub`, `sub` and `rr`, where mosquitto's clients exit 1 for them too.
/// Through a `mosquitto_pub` (etc.) link the subcommand is parsed as the whole program, so
/// that help and errors say `mosquitto_pub`, not `mosquitto_pub pub`.
pub fn parse_from(args: Vec<OsString>) -> Result<Cli, CliError> {
    let prog = program_name(&args);
    let linked = prog
        .strip_prefix("mosquitto_")
        .filter(|c| CLIENTS.contains(c));
    let client = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|a| CLIENTS.into_iter().find(|c| *c == a));
    // A client is parsed alone: building the whole command tree would cost a one-shot
    // `pub -m` about a tenth of its run time.
    let parsed = match linked.or(client) {
        Some(client) => parse_client(client, &prog, args),
        None => parse_mqtk(args),
    };
    let cli = parsed.map_err(|e| match client {
        Some(_) => CliError::from_clap(&prog, &e).of_client(),
        None => CliError::from_clap(&prog, &e),
    })?;
    cli.validate().map_err(|m| CliError::usage(&prog, &m))?;
    Ok(cli)
}

fn parse_mqtk(args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let matches = Cli::command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// Parses `prog args…` as the client alone, dropping the subcommand (typed, or inserted by
/// [`crate::argv::args`] for a `mosquitto_*` link).
fn parse_client(client: &str, prog: &str, mut args: Vec<OsString>) -> Result<Cli, clap::Error> {
    if args.len() > 1 {
        args.remove(1);
    }
    let cmd = |augment: fn(clap::Command) -> clap::Command| {
        let root = clap::Command::new("mqtk")
            .bin_name(prog)
            .version(env!("CARGO_PKG_VERSION"))
            .disable_help_flag(true)
            .disable_version_flag(true)
            .allow_negative_numbers(true)
            .args_override_self(true);
        let about = match client {
            "pub" => PUB_ABOUT,
            "sub" => SUB_ABOUT,
            _ => RR_ABOUT,
        };
        with_meta_flags(augment(root).about(about))
    };
    let command = match client {
        "pub" => Command::Pub(PubArgs::from_arg_matches(
            &cmd(PubArgs::augment_args).try_get_matches_from(args)?,
        )?),
        "sub" => Command::Sub(SubArgs::from_arg_matches(
            &cmd(SubArgs::augment_args).try_get_matches_from(args)?,
        )?),
        _ => Command::Rr(RrArgs::from_arg_matches(
            &cmd(RrArgs::augment_args).try_get_matches_from(args)?,
        )?),
    };
    Ok(Cli { command })
}

/// Adds long-only `--help` and `--version` (`-h` is `--host` and `-V` `--protocol-version`).
pub(super) fn with_meta_flags(cmd: clap::Command) -> clap::Command {
    cmd.arg(
        Arg::new("help")
            .long("help")
            .global(true)
            .action(ArgAction::Help)
            .help("Print help")
            .display_order(1000),
    )
    .arg(
        Arg::new("version")
            .long("version")
            .global(true)
            .action(ArgAction::Version)
            .help("Print version")
            .display_order(1001),
    )
}

/// The program as the user typed it: `mosquitto_pub` through a link, else `mqtk pub`.
pub(super) fn program_name(args: &[OsString]) -> String {
    let base = args
        .first()
        .and_then(|a| Path::new(a).file_stem())
        .map_or_else(|| "mqtk".to_string(), |b| b.to_string_lossy().into_owned());
    match args.get(1).and_then(|s| s.to_str()) {
        _ if base.starts_with("mosquitto_") => base,
        Some(sub) if CLIENTS.contains(&sub) => format!("{base} {sub}"),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client parsed alone reads its arguments, and fails on them, as within the whole tree.
    #[test]
    fn a_client_alone_parses_as_within_the_tree() {
        for line in [
            "mqtk pub -t a -m b -q 1 -r -V 5 -D publish user-property k v",
            "mqtk sub -t a -t b -v -C 3 -F %t --retain-handling new",
            "mqtk rr -t q -e r -m x --latency",
            "mqtk pub -q 3 -t a -m b",
            "mqtk sub --bogus",
            "mqtk rr",
            "mqtk pub --help",
        ] {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            let client = line.split(' ').nth(1).unwrap();
            let alone = parse_client(client, &program_name(&args), args.clone());
            let tree = parse_mqtk(args);
            let show = |r: Result<Cli, clap::Error>| match r {
                Ok(cli) => format!("{cli:?}"),
                Err(e) => format!("{:?} {}", e.kind(), e.exit_code()),
            };
            assert_eq!(show(alone), show(tree), "{line}");
        }
    }
}
