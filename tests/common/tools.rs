//! The programs the tests run besides `mqtk` (mosquitto and its clients, python3 with
//! paho-mqtt), found by absolute path, and the one way a test says that one is missing.
//!
//! `scripts/test` installs all of them; no test is skipped. Where one is missing (plain
//! `cargo test` on a machine that never ran the script), the tests that need it fail, and the
//! test binary prints a single line that names what is missing and the script, instead of one
//! panic message with a backtrace note per test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Where programs are looked for after `PATH` and cargo's bin directory: Debian installs
/// mosquitto in /usr/sbin, which a non-root `PATH` (or a sandbox's) often lacks.
const SYSTEM_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The command that installs what the tests need, named by every "missing" message.
pub const SCRIPT: &str = "scripts/test";

/// The absolute path of program `name`, from `PATH`, else `~/.cargo/bin`, else the system
/// directories. A missing program fails the test (see [`missing`]).
pub fn tool(name: &str) -> PathBuf {
    find(name).unwrap_or_else(|| missing(&format!("{name} not found")))
}

/// Program `name` in the directories [`tool`] searches, if it is there.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .chain(cargo_bin())
        .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|path| is_executable(path))
}

/// `~/.cargo/bin` (or `$CARGO_HOME/bin`).
fn cargo_bin() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME").map(PathBuf::from);
    let home = home.or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    home.map(|home| home.join("bin"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The payload of a "missing" panic, which the panic hook keeps quiet.
struct Missing;

/// Fails the calling test because `what` (a short cause) is missing. The first call in a test
/// binary prints "`what`: run scripts/test, ..." straight to stderr (libtest captures only the
/// print macros) and installs a panic hook that stays quiet for this payload: the binary's
/// output has one line of cause, then the names of the tests that failed.
pub fn missing(what: &str) -> ! {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let line = format!("{what}: run {SCRIPT}, which installs what the tests need\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<Missing>().is_none() {
                hook(info);
            }
        }));
    });
    std::panic::panic_any(Missing)
}
