//! MQTT.js (npm's `mqtt`, installed into tests/js/node_modules by `scripts/test`) against a
//! broker, under node and in Debian's headless chromium. Both run tests/js/scenario.js, which
//! reports "ok CHECK" per check passed and then "OK", or "FAIL why" at the first failure.

use super::process::{finish, program, spawn, text, Lines};
use super::tools::{missing, tool};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The fixture directory: package.json, its lock, the scenario, node.js and page.html.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Fails the test with one line (see [`missing`]) unless `npm ci` has installed MQTT.js in
/// tests/js/node_modules.
pub fn need_mqtt_js() {
    need_node_module("mqtt", "dist/mqtt.min.js");
}

/// Fails the test with one line unless `npm ci` has installed `package` (with its `file`) in
/// tests/js/node_modules.
pub fn need_node_module(package: &str, file: &str) {
    let path = js_dir().join("node_modules").join(package).join(file);
    if !path.is_file() {
        missing(&format!(
            "{package} is not installed in tests/js/node_modules"
        ));
    }
}

/// The checks scenario.js makes with MQTT `version` (4: 3.1.1, 5), in order.
pub fn scenario_checks(version: u8) -> Vec<&'static str> {
    let mut checks = vec!["connect", "subscribe", "qos0", "qos1", "qos2", "retained"];
    if version == 5 {
        checks.push("properties");
    }
    checks.push("will");
    checks
}

/// Runs scenario.js under node against `url` with MQTT `version`; panics with its output
/// unless it passed every check, in order.
pub fn mqtt_js_node(url: &str, version: u8) {
    need_mqtt_js();
    let mut cmd = program("node", &["node.js", url, &version.to_string()]);
    cmd.current_dir(js_dir());
    let out = finish(spawn(cmd), Duration::from_secs(30));
    let stdout = text(&out.stdout);
    let mut expected: Vec<String> = scenario_checks(version)
        .iter()
        .map(|check| format!("ok {check}"))
        .collect();
    expected.push("OK".into());
    assert!(
        out.status.success() && stdout.lines().eq(expected.iter().map(String::as_str)),
        "MQTT.js under node, {url}, MQTT {version}: {:?}\n{stdout}{}",
        out.status,
        text(&out.stderr)
    );
}

/// Opens tests/js/page.html (served by `python3 -m http.server` on 127.0.0.1) in headless
/// chromium with a fresh profile, which runs scenario.js for each `(url, version)` of `runs` in
/// turn. With `ca`, chromium trusts that CA certificate as a user who imported it would: in the
/// NSS database of its (temporary) home. Returns the lines the page reported, each "SCHEME
/// VERSION ok CHECK", then "OK" or "FAIL why".
pub fn mqtt_js_chromium(runs: &[(&str, u8)], ca: Option<&str>) -> Vec<String> {
    need_mqtt_js();
    let chromium = tool("chromium");
    let home = tempfile::tempdir().expect("tempdir");
    if let Some(ca) = ca {
        trust(home.path(), ca);
    }

    let mut server = program("python3", &["-u", "-m", "http.server", "0"]);
    server.args(["--bind", "127.0.0.1"]).stderr(Stdio::null());
    let mut server = Group::start(server, home.path());
    let mut served = Lines::follow(&mut server.child, false);
    // "Serving HTTP on 127.0.0.1 port PORT (http://127.0.0.1:PORT/) ..."
    let line = served.wait_for("Serving HTTP on 127.0.0.1 port ");
    let port = line.split(' ').nth(5).expect("port");
    let page = format!(
        "http://127.0.0.1:{port}/page.html?runs={}",
        runs_query(runs)
    );

    let mut browser = Command::new(chromium);
    browser
        .args(CHROMIUM_FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            home.path().join("profile").display()
        ))
        .arg(page)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .stderr(Stdio::piped());
    let mut browser = Group::start(browser, home.path());
    let console = Lines::follow(&mut browser.child, true);
    page_report(console)
}

/// `runs` as the page's `runs` parameter: a JSON list of `{url, version}`, URL-encoded.
fn runs_query(runs: &[(&str, u8)]) -> String {
    let runs: Vec<_> = runs
        .iter()
        .map(|(url, version)| serde_json::json!({ "url": url, "version": version }))
        .collect();
    let runs = serde_json::Value::Array(runs).to_string();
    url::form_urlencoded::byte_serialize(runs.as_bytes()).collect()
}

/// How long the page may take to report everything, chromium's start included: each step of
/// the scenario gives up after five seconds, so only a browser that hangs gets near this.
const PAGE_LIMIT: Duration = Duration::from_secs(60);

/// What the page logged with "MQTK " on chromium's console (which `--enable-logging=stderr`
/// writes to stderr as `... "MQTK line", source: URL (N)`), up to and with "OK" or "FAIL why".
fn page_report(mut console: Lines) -> Vec<String> {
    let deadline = Instant::now() + PAGE_LIMIT;
    let mut reported = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = console.wait_for_within("\"MQTK ", left);
        let start = line.find("\"MQTK ").expect("MQTK") + 6;
        let end = line.rfind("\", source:").unwrap_or(line.len());
        let said = line[start..end].to_owned();
        let last = said == "OK" || said.starts_with("FAIL");
        reported.push(said);
        if last {
            return reported;
        }
    }
}

/// Headless, as root, and quiet on a closed network (no background connections, component
/// updates or sync); the console goes to stderr.
const CHROMIUM_FLAGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
];

/// Makes the NSS database that chromium reads under `home` (`~/.pki/nssdb`) trust the CA
/// certificate `ca` for servers, with `certutil`.
fn trust(home: &Path, ca: &str) {
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).expect("nssdb");
    let db = format!("sql:{}", db.display());
    let certutil = |args: &[&str]| {
        let out = finish(spawn(program("certutil", args)), Duration::from_secs(30));
        assert!(
            out.status.success(),
            "certutil {args:?}: {}",
            text(&out.stderr)
        );
    };
    certutil(&["-N", "-d", &db, "--empty-password"]);
    certutil(&["-A", "-d", &db, "-n", "mqtk test CA", "-t", "C,,", "-i", ca]);
}

/// A process started in a process group of its own (chromium starts a dozen), with stdin
/// closed and stdout piped. On drop the whole group is killed, and then every process whose
/// command line names `home` (the test's temporary directory): chromium's crash handlers
/// start sessions of their own, outside the group.
struct Group {
    child: Child,
    home: String,
}

impl Group {
    /// Starts `cmd` in the fixture directory; `home` is the test's temporary directory.
    fn start(mut cmd: Command, home: &Path) -> Group {
        cmd.current_dir(js_dir())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let home = home.display().to_string();
        Group { child, home }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new(tool("kill"))
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
        for pid in naming(&self.home) {
            let _ = Command::new(tool("kill"))
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The processes whose command line contains `text`.
fn naming(text: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let found = cmdline
                .windows(text.len())
                .any(|window| window == text.as_bytes());
            found.then_some(pid)
        })
        .collect()
}
