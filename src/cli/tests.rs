//! End-to-end checks of [`super::parse_from`]: clap definitions, error mapping and rules.

use std::ffi::OsString;
use std::path::PathBuf;

use super::*;
use crate::codec::Version;

fn parse(args: &[&str]) -> Result<Cli, CliError> {
    parse_from(args.iter().map(OsString::from).collect())
}

/// The first line of the argument error for `args` (the rest is the usage hint).
fn error(args: &[&str]) -> String {
    match parse(args) {
        Err(CliError::Invalid(text)) => text.lines().next().unwrap_or_default().to_string(),
        other => panic!("expected an argument error for {args:?}, got {other:?}"),
    }
}

fn pub_args(args: &[&str]) -> PubArgs {
    let full: Vec<&str> = ["mqtk", "pub"].iter().chain(args).copied().collect();
    match parse(&full).map(|c| c.command) {
        Ok(Command::Pub(p)) => p,
        other => panic!("{other:?}"),
    }
}

fn sub_args(args: &[&str]) -> SubArgs {
    let full: Vec<&str> = ["mqtk", "sub"].iter().chain(args).copied().collect();
    match parse(&full).map(|c| c.command) {
        Ok(Command::Sub(s)) => s,
        other => panic!("{other:?}"),
    }
}

fn rr_args(args: &[&str]) -> RrArgs {
    let full: Vec<&str> = ["mqtk", "rr"].iter().chain(args).copied().collect();
    match parse(&full).map(|c| c.command) {
        Ok(Command::Rr(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn pub_defaults() {
    let p = pub_args(&["-t", "a/b", "-m", "hello"]);
    assert_eq!(p.topic(), Some("a/b"));
    assert_eq!(p.payload(), Some(Payload::Message(b"hello".to_vec())));
    assert_eq!(p.version(), Version::V311);
    assert_eq!(p.connect.host(), "localhost");
    assert_eq!(p.connect.port(), 1883);
    assert_eq!(p.connect.keepalive, 60);
    assert_eq!(p.connect.max_inflight, None);
    assert_eq!(p.connect.qos, QoS::AtMostOnce);
    assert_eq!(p.repeat, 1);
    assert_eq!(p.repeat_delay, Duration::ZERO);
    assert!(!p.connect.tls());
}

#[test]
fn later_values_override_earlier_ones() {
    let p = pub_args(&[
        "-h", "file", "-q", "1", "-t", "a", "-m", "x", "-h", "cli", "-q", "2",
    ]);
    assert_eq!(p.connect.host(), "cli");
    assert_eq!(p.connect.qos, QoS::ExactlyOnce);
}

#[test]
fn option_values_may_start_with_a_dash() {
    let p = pub_args(&["-t", "a", "-m", "-x", "-x", "-1", "-V", "5", "-i", "c"]);
    assert_eq!(p.payload(), Some(Payload::Message(b"-x".to_vec())));
    assert_eq!(p.connect.session_expiry, Some(u32::MAX));
}

#[test]
fn property_implies_v5_and_groups_words() {
    let p = pub_args(&[
        "-D",
        "publish",
        "user-property",
        "k",
        "v",
        "-D",
        "publish",
        "content-type",
        "t",
        "-t",
        "a",
        "-n",
    ]);
    assert_eq!(
        p.connect.properties.0,
        vec![
            vec!["publish", "user-property", "k", "v"],
            vec!["publish", "content-type", "t"]
        ]
    );
    assert_eq!(p.version(), Version::V5);
    let props = p.connect.properties(p.version()).unwrap();
    assert_eq!(props.publish.content_type.as_deref(), Some("t"));
    assert_eq!(p.payload(), Some(Payload::Null));
}

#[test]
fn url_fills_connection_and_topic() {
    let p = pub_args(&["-h", "x", "-L", "mqtts://u:pw@broker/t/1", "-m", "m"]);
    assert_eq!(p.connect.host(), "broker");
    assert_eq!(p.connect.port(), 8883);
    assert_eq!(p.connect.username(), Some("u"));
    assert_eq!(p.connect.password(), Some("pw"));
    assert_eq!(p.topic(), Some("t/1"));
    assert!(p.connect.tls());
    assert!(p.connect.tls_os_certs());
}

#[test]
fn tls_ports() {
    let p = pub_args(&["-t", "a", "-n", "--cafile", "ca.pem"]);
    assert_eq!(p.connect.port(), 8883);
    assert!(p.connect.tls());
    assert!(!p.connect.tls_os_certs());
    let p = pub_args(&["-t", "a", "-n", "-p", "8883"]);
    assert!(p.connect.tls_os_certs());
}

/// mosquitto 2.1's `--no-tls`: no TLS at all, but `--cafile` still picks port 8883 (its
/// `client_connect`), and the cert/key pairing is still checked (`client_config_load`).
#[test]
fn no_tls_keeps_the_port_and_the_pairing_rules() {
    let p = pub_args(&["-t", "a", "-n", "--cafile", "ca.pem", "--no-tls"]);
    assert_eq!(p.connect.port(), 8883);
    assert!(!p.connect.tls());
    let p = pub_args(&["-t", "a", "-n", "-L", "mqtts://h/t", "--no-tls"]);
    assert_eq!((p.connect.port(), p.connect.tls()), (8883, false));
    assert_eq!(
        error(&["mqtk", "pub", "-t", "a", "-n", "--cert", "c.pem", "--no-tls"]),
        "Error: Both certfile and keyfile must be provided if one of them is set."
    );
    let keyform = [
        "mqtk",
        "pub",
        "-t",
        "a",
        "-n",
        "--keyform",
        "pem",
        "--no-tls",
    ];
    assert_eq!(
        error(&keyform),
        "Error: If keyform is set, keyfile must be also specified."
    );
    let args = [
        "-t",
        "a",
        "-n",
        "--cert",
        "c",
        "--key",
        "k",
        "--keyform",
        "x",
        "--no-tls",
    ];
    pub_args(&args);
}

/// mosquitto_sub 2.1 accepts `-w` with `--message-rate`, which turns it off.
#[test]
fn message_rate_with_watch_is_accepted() {
    let s = sub_args(&["-t", "a", "-w", "--message-rate"]);
    assert!(s.watch && s.message_rate);
}

#[test]
fn session_expiry_folds_into_connect() {
    let p = pub_args(&["-t", "a", "-n", "-V", "5", "-c", "-i", "me"]);
    let props = p.connect.properties(p.version()).unwrap();
    assert_eq!(props.connect.session_expiry_interval, Some(u32::MAX));
    let p = pub_args(&["-t", "a", "-n", "-x", "30", "-i", "me"]);
    let v311 = p.connect.properties(p.version()).unwrap();
    assert_eq!(v311.connect.session_expiry_interval, None);
    let v5 = p.connect.properties(Version::V5).unwrap();
    assert_eq!(v5.connect.session_expiry_interval, Some(30));
}

#[test]
fn will_is_built_from_its_options() {
    let p = pub_args(&[
        "-t",
        "a",
        "-n",
        "--will-topic",
        "w",
        "--will-payload",
        "bye",
        "--will-qos",
        "1",
    ]);
    let props = p.connect.properties(p.version()).unwrap();
    let will = p.connect.will(&props).unwrap();
    assert_eq!((will.topic.as_str(), &will.payload[..]), ("w", &b"bye"[..]));
    assert_eq!((will.qos, will.retain), (QoS::AtLeastOnce, false));
}

#[test]
fn sub_accumulates_filters() {
    let s = sub_args(&[
        "-t", "a", "-t", "b/#", "-T", "b/x", "-U", "c", "-v", "-W", "5", "-C", "3",
    ]);
    assert_eq!(s.topics(), vec!["a", "b/#"]);
    assert_eq!(s.filter_out, vec!["b/x"]);
    assert_eq!(s.unsubscribe, vec!["c"]);
    assert!(s.output.verbose);
    assert_eq!((s.timeout, s.msg_count), (Some(5), Some(3)));
    assert_eq!(s.version(), Version::V311);
}

#[test]
fn rr_defaults_to_v5() {
    let r = rr_args(&["-e", "resp", "-t", "req", "-f", "body.json", "-N"]);
    assert_eq!(r.version(), Version::V5);
    assert_eq!(r.payload(), Some(Payload::File(PathBuf::from("body.json"))));
    assert_eq!(r.response_topic.as_deref(), Some("resp"));
    assert!(r.output.no_eol);
}

#[test]
fn pub_errors() {
    let e = |a: &[&str]| error(&[&["mosquitto_pub", "pub"][..], a].concat());
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-f", "y"]),
        "Error: Only one type of message can be sent at once."
    );
    assert_eq!(
        e(&["-t", "a"]),
        "Error: Both topic and message must be supplied."
    );
    assert_eq!(
        e(&["-t", "a/#", "-m", "x"]),
        "Error: Invalid publish topic 'a/#', does it contain '+' or '#'?"
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-c"]),
        "Error: You must provide a client id if you are using the -c option."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-c", "-V", "5"]),
        "Error: You must provide a client id if you are using an infinite session expiry interval."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-x", "∞", "-V", "5", "-I", "p"]),
        "Error: You must provide a client id if you are using an infinite session expiry interval."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-i", "a", "-I", "b"]),
        "Error: -i and -I argument cannot be used together."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--will-payload", "x"]),
        "Error: Will payload given, but no will topic given."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--will-retain"]),
        "Error: Will retain given, but no will topic given."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--will-topic", "a/+"]),
        "Error: Invalid will topic 'a/+', does it contain '+' or '#'?"
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--cert", "c"]),
        "Error: Both certfile and keyfile must be provided if one of them is set."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-k", "3"]),
        "Error: Invalid keepalive given, it must be between 5 and 65535 inclusive."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-q", "3"]),
        "Error: Invalid QoS given: 3"
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-q", "-1"]),
        "Error: Invalid QoS given: -1"
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-p", "70000"]),
        "Error: Invalid port given: 70000"
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-V", "4"]),
        "Error: Invalid protocol version argument given."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--foo"]),
        "Error: Unknown option '--foo'."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-v"]),
        "Error: Unknown option '-v'."
    );
    assert_eq!(
        e(&["-t", "a", "-m"]),
        "Error: --message argument given but no message specified."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-P", "pw"]),
        "Error: Problem setting username and/or password."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "-M", "0"]),
        "Error: Maximum inflight messages must be greater than 0."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--repeat", "0"]),
        "Error: --repeat argument must be >0."
    );
    assert_eq!(
        e(&["-m", "b", "-L", "mqtt://host"]),
        "Error: Invalid URL for -L argument specified - topic missing."
    );
    assert_eq!(
        e(&["-t", "a", "-m", "x", "--topic-from-line", ":"]),
        "Error: --topic-from-line can only be used with -l."
    );
}

#[test]
fn replay_takes_topic_and_retain_from_its_records() {
    let args = pub_args(&["--replay", "-", "--replay-timing", "--speed", "4"]);
    assert_eq!(args.payload(), Some(Payload::Replay(PathBuf::from("-"))));
    assert_eq!(args.speed, Some(4.0));
    let e = |a: &[&str]| error(&[&["mqtk", "pub"][..], a].concat());
    for (args, rule) in [
        (
            &["-t", "a", "-m", "x", "--replay-timing"][..],
            "--replay-timing can only be used with --replay",
        ),
        (
            &["--replay", "f", "--speed", "2"],
            "--speed can only be used with --replay-timing",
        ),
        (&["--replay", "f", "-t", "a"], "-t cannot be used with it"),
        (&["--replay", "f", "-r"], "-r cannot be used with it"),
        (
            &["--replay", "f", "--repeat", "2"],
            "--repeat cannot be used with --replay",
        ),
        (
            &["--replay", "f", "-l"],
            "Error: Only one type of message can be sent at once.",
        ),
        (
            &["--replay", "f", "--replay-timing", "--speed", "0"],
            "'0' is not a number above 0",
        ),
    ] {
        let text = e(args);
        assert!(text.contains(rule), "{args:?}: {text}");
    }
}

#[test]
fn property_errors() {
    let e = |a: &[&str]| error(&[&["mqtk", "pub", "-t", "a", "-m", "b"][..], a].concat());
    assert_eq!(
        e(&["-D", "publish", "foo", "1"]),
        "Error: Invalid property name given in --property argument."
    );
    assert_eq!(
        e(&["-D", "publish"]),
        "Error: --property argument given but not enough arguments specified."
    );
    assert_eq!(
        e(&["-D", "publish", "message-expiry-interval", "-1"]),
        "Error: Property value (-1) out of range for property message-expiry-interval."
    );
    assert_eq!(
        e(&[
            "-D",
            "connect",
            "session-expiry-interval",
            "10",
            "-x",
            "5",
            "-i",
            "c"
        ]),
        "Error in CONNECT properties: Duplicate property in property list"
    );
}

#[test]
fn unsupported_options_are_named() {
    let e = |a: &[&str]| error(&[&["mqtk", "sub", "-t", "a"][..], a].concat());
    assert_eq!(
        e(&["--psk", "00", "--psk-identity", "me"]),
        "Error: TLS-PSK (--psk, --psk-identity) is not supported by mqtk."
    );
    assert_eq!(
        e(&["--proxy", "socks5h://x"]),
        "Error: --proxy (SOCKS5) is not supported by mqtk."
    );
    assert_eq!(
        e(&["-S"]),
        "Error: -S (DNS SRV lookup) is not supported by mqtk."
    );
    assert_eq!(
        e(&["--tls-version", "tlsv1.1"]),
        "Error: TLS 1.1 is not supported by mqtk; use tlsv1.2 or tlsv1.3."
    );
    assert_eq!(
        e(&["--keyform", "pem"]),
        "Error: If keyform is set, keyfile must be also specified."
    );
    let s = sub_args(&[
        "-t",
        "a",
        "--ciphers",
        "HIGH",
        "--cert",
        "c",
        "--key",
        "k",
        "--keyform",
        "pem",
    ]);
    assert_eq!(s.connect.unsupported.ciphers.as_deref(), Some("HIGH"));
}

#[test]
fn sub_errors() {
    let e = |a: &[&str]| error(&[&["mosquitto_sub", "sub"][..], a].concat());
    assert_eq!(e(&[]), "Error: You must specify a topic to subscribe to.");
    assert_eq!(
        e(&["-U", "a"]),
        "Error: You must specify a topic to subscribe to."
    );
    assert_eq!(
        e(&["-t", "a", "-R", "--retained-only"]),
        "Error: Combining '-R' and '--retained-only' makes no sense."
    );
    assert_eq!(
        e(&["-t", "a", "--random-filter", "0"]),
        "Error: --random-filter chance must be between 0.1-100.0"
    );
    assert_eq!(
        e(&["-t", "a", "-C", "0"]),
        "Error: Invalid message count \"0\"."
    );
    assert_eq!(e(&["-t", "a", "-W", "0"]), "Error: Invalid timeout \"0\".");
    assert_eq!(
        e(&["-t", "a/#/b"]),
        "Error: Invalid subscription topic 'a/#/b', are all '+' and '#' wildcards correct?"
    );
    assert_eq!(
        e(&["-t", "a", "-T", "x#"]),
        "Error: Invalid filter topic 'x#', are all '+' and '#' wildcards correct?"
    );
    assert_eq!(
        e(&["-t", "a", "-F", "%z"]),
        "Error: Invalid format specifier 'z'."
    );
    assert_eq!(
        e(&["-t", "a", "-F", "%t", "--json"]),
        "Error: --json and -F cannot be used together."
    );
    assert_eq!(e(&["-t", "a", "-r"]), "Error: Unknown option '-r'.");
    assert_eq!(
        e(&["-t", "a", "-o", "x"]),
        "Error: -o cannot be used inside an options file."
    );
}

#[test]
fn rr_errors() {
    let e = |a: &[&str]| error(&[&["mosquitto_rr", "rr"][..], a].concat());
    assert_eq!(
        e(&["-t", "a", "-m", "x"]),
        "Error: All of topic, message, and response topic must be supplied."
    );
    assert_eq!(
        e(&["-e", "a/#", "-t", "b", "-m", "x"]),
        "Error: Invalid response topic 'a/#', does it contain '+' or '#'?"
    );
    assert_eq!(
        e(&["-e", "r", "-t", "a", "-m", "x", "-l"]),
        "Error: Unknown option '-l'."
    );
}

#[test]
fn errors_name_the_program_and_exit_1() {
    let err = parse(&["/usr/bin/mosquitto_pub", "pub", "-t", "a"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error: Both topic and message must be supplied.\n\nUse 'mosquitto_pub --help' to see usage.\n"
    );
    assert_eq!(err.exit_code(), 1);
    let err = parse(&["mqtk", "sub"]).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("Use 'mqtk sub --help' to see usage.\n"),
        "{err}"
    );
}

#[test]
fn help_and_version_exit_1_for_the_clients_and_0_for_mqtk() {
    let help = parse(&["mosquitto_sub", "sub", "--help"]).unwrap_err();
    assert_eq!(help.exit_code(), 1, "as mosquitto_sub 2.0.11");
    for args in [&["mqtk", "--help"][..], &["mqtk", "serve", "--help"]] {
        assert_eq!(parse(args).unwrap_err().exit_code(), 0, "{args:?}");
    }
    assert!(
        help.to_string().contains("Usage: mosquitto_sub [OPTIONS]"),
        "{help}"
    );
    let help = parse(&["mqtk", "rr", "--help"]).unwrap_err();
    assert!(
        help.to_string().contains("Usage: mqtk rr [OPTIONS]"),
        "{help}"
    );
    let version = parse(&["mqtk", "pub", "--version"]).unwrap_err();
    assert_eq!(
        version,
        CliError::ClientInfo(format!("mqtk {}\n", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(version.exit_code(), 1, "as mosquitto_pub 2.0.11");
}

#[test]
fn options_file_defaults_then_command_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("mqtk")).unwrap();
    std::fs::write(
        dir.path().join("mqtk/sub"),
        "-t from/file\n-h filehost\n-q 1\n-D subscribe user-property k v\n",
    )
    .unwrap();
    let env = crate::argv::Env {
        xdg_config_home: Some(dir.path().into()),
        home: None,
    };
    let raw = ["mosquitto_sub", "-t", "cli", "-h", "clihost"];
    let args = crate::argv::args_with(raw.iter().map(OsString::from).collect(), &env).unwrap();
    let Command::Sub(s) = parse_from(args).unwrap().command else {
        panic!("expected sub");
    };
    assert_eq!(s.topics(), vec!["from/file", "cli"]);
    assert_eq!(s.connect.host(), "clihost");
    assert_eq!(s.connect.qos, QoS::AtLeastOnce);
    assert_eq!(s.version(), Version::V5);
    let props = s.connect.properties(s.version()).unwrap();
    assert_eq!(
        props.subscribe.user_properties,
        vec![("k".into(), "v".into())]
    );
}
