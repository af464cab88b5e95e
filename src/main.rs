//! The `mqtk` binary: argument handling and dispatch; everything else lives in the library.

use mqtk::cli::{self, Command};
use std::process::ExitCode;

/// Counts heap bytes for `serve`'s `memory_limit` (only while a limit is set).
#[global_allocator]
static HEAP: mqtk::heap::Counting = mqtk::heap::Counting;

fn main() -> ExitCode {
    mqtk::heap::Counting::installed();
    let code = match parse() {
        Ok(Command::Pub(args)) => mqtk::publish::main(args),
        Ok(Command::Sub(args)) => mqtk::subscribe::main(args),
        Ok(Command::Rr(args)) => mqtk::rr::main(args),
        Ok(Command::Serve(args)) => serve(&args),
        Ok(Command::Passwd(args)) => mqtk::passwd::main(args),
        Ok(Command::Bench(args)) => mqtk::bench::main(*args),
        Ok(Command::Check(args)) => mqtk::check::main(*args),
        Err(e) => {
            e.print();
            e.exit_code()
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `mqtk serve`: the broker spreads its connections over every core.
fn serve(args: &mqtk::broker::ServeArgs) -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = runtime
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(mqtk::broker::serve(args)));
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}

/// Arguments from the command line, `argv[0]` (a `mosquitto_*` symlink) and config files.
fn parse() -> Result<Command, cli::CliError> {
    let args = mqtk::argv::args(std::env::args_os().collect())?;
    Ok(cli::parse_from(args)?.command)
}
