use super::*;
use crate::codec::QoS;
use std::path::PathBuf;

fn args(port: Option<u16>, config: bool) -> ServeArgs {
    ServeArgs {
        port,
        config: config.then(|| PathBuf::from("x.conf")),
        ..ServeArgs::default()
    }
}

fn tcp(addr: &str) -> ListenerConfig {
    ListenerConfig::tcp(addr.parse().unwrap())
}

#[test]
fn parses_the_known_keys_and_warns_about_others() {
    let text = "# comment\nport 1884\nbind_address 127.0.0.1\n\nlistener 1885\n\
                listener 1886 ::1\nallow_anonymous true\nlog_dest stderr\nbridge_cafile x\n";
    let file = FileConfig::parse(text).unwrap();
    assert_eq!(file.port, Some(1884));
    assert_eq!(file.bind_address.as_deref(), Some("127.0.0.1"));
    let addrs: Vec<SocketAddr> = file.listeners.iter().map(|(addr, _)| *addr).collect();
    assert_eq!(
        addrs,
        [
            "0.0.0.0:1885".parse().unwrap(),
            "[::1]:1886".parse().unwrap()
        ]
    );
    assert_eq!(file.security.allow_anonymous, Some(true));
    assert_eq!(
        file.warnings,
        [
            "\"log_dest\" ignored: mqtk serve logs to stderr (-v, or log_type)",
            "unknown configuration key \"bridge_cafile\" ignored"
        ]
    );
}

#[test]
fn listener_paths_may_contain_spaces_and_extra_values_are_errors() {
    let text = "listener 8883\ncertfile /etc/my certs/c.pem\nkeyfile /etc/my certs/k.pem\n";
    let file = FileConfig::parse(text).unwrap();
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let listener = file.listeners[0].1.listener(file.listeners[0].0).unwrap();
    assert_eq!(listener.kind, ListenerKind::Mqtts);
    let tls = listener.tls.unwrap();
    assert_eq!(tls.cert, PathBuf::from("/etc/my certs/c.pem"));
    assert_eq!(tls.key, PathBuf::from("/etc/my certs/k.pem"));
    for bad in [
        "protocol mqtt websockets",
        "require_certificate true false",
        "cafile",
    ] {
        let err = format!("{:#}", FileConfig::parse(bad).unwrap_err());
        assert!(err.contains("line 1"), "{err}");
    }
}

#[test]
fn rejects_bad_values() {
    assert!(FileConfig::parse("port x").is_err());
    assert!(FileConfig::parse("allow_anonymous yes").is_err());
    assert!(FileConfig::parse("listener").is_err());
    assert!(FileConfig::parse("password_file").is_err());
    assert!(FileConfig::parse("per_listener_settings maybe").is_err());
}

#[test]
fn limit_keys_reach_the_config_and_bad_ones_name_their_line() {
    let file = FileConfig::parse("max_queued_messages 3\nlog_type all\n").unwrap();
    let c = Config::resolve(file, &args(Some(0), true)).unwrap();
    assert_eq!(c.max_queued_messages, 3);
    assert!(c.verbose);
    let err = FileConfig::parse("port 1\nmax_qos 3\n").unwrap_err();
    assert!(format!("{err:#}").contains("line 2: max_qos 3"), "{err:#}");
}

/// Each listener's `(port, max_connections, max_qos)`, in `serve`'s order.
fn limits(c: &Config) -> Vec<(u16, Option<usize>, QoS)> {
    let each = c.listeners.iter();
    each.map(|l| (l.addr.port(), l.limits.max_connections, l.limits.max_qos))
        .collect()
}

#[test]
fn listener_limits_follow_their_listener_line_and_others_stay_global() {
    use QoS::*;
    let text = "max_connections 1\nmax_qos 0\nlistener 1885\nmax_connections 5\n\
                max_queued_messages 7\nlistener 1886\nmaximum_qos 1\nmax_connections -1\n";
    let file = FileConfig::parse(text).unwrap();
    assert!(file.warnings.is_empty());
    // No default listener to take the first two keys: they are ignored, with a warning.
    assert!(file.unused_default_keys(&args(None, true)).is_some());
    let c = Config::resolve(file, &args(None, true)).unwrap();
    assert_eq!(c.max_queued_messages, 7);
    let unlimited = Some(usize::MAX);
    assert_eq!(
        limits(&c),
        [(1885, Some(5), ExactlyOnce), (1886, unlimited, AtLeastOnce)]
    );
    // `--port` (or `port`) starts the default listener; the command line's share its keys.
    let mut a = args(Some(1884), true);
    a.ws_port = Some(9001);
    let file = FileConfig::parse(text).unwrap();
    assert_eq!(file.unused_default_keys(&a), None);
    let c = Config::resolve(file, &a).unwrap();
    assert_eq!(limits(&c)[0], (1884, Some(1), AtMostOnce));
    assert_eq!(limits(&c)[3], (9001, Some(1), AtMostOnce));
    let err = FileConfig::parse("listener 1\nmax_connections 1 2\n").unwrap_err();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
}

/// `include_dir` reads the directory's `*.conf` files where it stands, in mosquitto's
/// order (2.0.11 loads A.conf before b.conf); errors name the included file and line.
#[test]
fn include_dir_reads_conf_files_in_mosquitto_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("b.conf", "listener 1003\nmax_connections 3\n"),
        ("B.conf", "listener 1002\n"),
        ("a.conf", "listener 1001\ninclude_dir .\n"),
        ("c.txt", "listener 1004\n"),
        (".conf", "listener 1005\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let main = format!(
        "listener 1000\ninclude_dir {}\nmax_qos 1\n",
        dir.path().display()
    );
    let file = FileConfig::parse(&main).unwrap();
    let ports: Vec<u16> = file.listeners.iter().map(|(a, _)| a.port()).collect();
    assert_eq!(ports, [1000, 1001, 1002, 1003]);
    // Keys after an included listener line apply to it, and after the include to the last.
    assert_eq!(file.listeners[3].1.limits.max_connections, Some(3));
    assert_eq!(file.listeners[3].1.limits.max_qos, QoS::AtLeastOnce);
    assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
    assert!(file.warnings[0].contains("include_dir in an included file"));
    std::fs::write(dir.path().join("b.conf"), "\nport x\n").unwrap();
    let error = format!("{:#}", FileConfig::parse(&main).unwrap_err());
    let at = format!(
        "{}: line 2: port x: invalid port",
        dir.path().join("b.conf").display()
    );
    assert!(error.contains(&at), "{error}");
    let missing = format!(
        "{:#}",
        FileConfig::parse("include_dir /no/such/dir").unwrap_err()
    );
    assert!(
        missing.contains("cannot open include_dir /no/such/dir"),
        "{missing}"
    );
    assert!(FileConfig::parse("include_dir").is_err());
}

#[test]
fn mount_points_are_listener_keys_without_wildcards() {
    let file = FileConfig::parse("listener 1000\nmount_point tenant/\n").unwrap();
    assert_eq!(
        file.listeners[0].1.clients.mount_point.as_deref(),
        Some("tenant/")
    );
    let error = format!("{:#}", FileConfig::parse("mount_point a/#").unwrap_err());
    assert!(error.contains("may not contain + or #"), "{error}");
}

#[test]
fn parses_security_keys() {
    let text = "password_file /etc/my passwords\nacl_file acl\nper_listener_settings false\n";
    let file = FileConfig::parse(text).unwrap();
    assert_eq!(
        file.security.password_file,
        Some(PathBuf::from("/etc/my passwords"))
    );
    assert_eq!(file.security.acl_file, Some(PathBuf::from("acl")));
    assert!(file.warnings.is_empty());
}

/// The security each listener got, in `serve`'s order (plain MQTT first).
fn securities(c: &Config) -> Vec<(u16, Option<ListenerSecurity>)> {
    let each = c.listeners.iter();
    each.map(|l| (l.addr.port(), l.security.clone())).collect()
}

fn own(anonymous: bool, passwords: Option<&str>, acl: Option<&str>) -> Option<ListenerSecurity> {
    Some(ListenerSecurity {
        allow_anonymous: anonymous,
        allow_zero_length_clientid: true,
        password_file: passwords.map(PathBuf::from),
        acl_file: acl.map(PathBuf::from),
    })
}

#[test]
fn per_listener_settings_give_each_listener_its_own_security() {
    let text = "per_listener_settings true\nlistener 1883 127.0.0.1\nallow_anonymous true\n\
                listener 8883\npassword_file /etc/passwd file\nallow_anonymous false\n\
                acl_file acl\nlistener 9001\nallow_zero_length_clientid false\n";
    let file = FileConfig::parse(text).unwrap();
    assert_eq!(file.security, SecurityKeys::default());
    let c = Config::resolve(file, &args(None, true)).unwrap();
    // A listener without allow_anonymous refuses anonymous clients, as in mosquitto.
    let no_empty_ids = Some(ListenerSecurity {
        allow_zero_length_clientid: false,
        ..own(false, None, None).unwrap()
    });
    assert_eq!(
        securities(&c),
        [
            (1883, own(true, None, None)),
            (8883, own(false, Some("/etc/passwd file"), Some("acl"))),
            (9001, no_empty_ids),
        ]
    );
}

#[test]
fn without_per_listener_settings_security_stays_global() {
    let text = "listener 1883\nallow_anonymous true\nlistener 8883\nacl_file /no/such/acl\n\
                allow_zero_length_clientid false\n";
    let file = FileConfig::parse(text).unwrap();
    assert_eq!(file.security.acl_file, Some(PathBuf::from("/no/such/acl")));
    assert_eq!(file.security.allow_anonymous, Some(true));
    // Global files are loaded (and checked) at once.
    assert!(Config::resolve(file, &args(None, true)).is_err());
    let file = FileConfig::parse("listener 1883\nallow_anonymous true\n").unwrap();
    let c = Config::resolve(file, &args(None, true)).unwrap();
    assert_eq!(securities(&c), [(1883, None)]);
    assert!(c.allow_anonymous);
}

#[test]
fn per_listener_settings_must_precede_security_keys() {
    for before in ["allow_anonymous true", "acl_file a", "auto_id_prefix x"] {
        let text = format!("{before}\nper_listener_settings true\nlistener 1\n");
        let err = format!("{:#}", FileConfig::parse(&text).unwrap_err());
        assert!(
            err.contains(
                "line 2: per_listener_settings true: per_listener_settings must be \
                          set before any other security settings"
            ),
            "{err}"
        );
    }
    // Listener lines and other keys may come first, and `false` may come anywhere.
    let file = FileConfig::parse(
        "listener 1\nmax_qos 1\nper_listener_settings true\n\
                                  allow_anonymous true\nper_listener_settings false\n",
    );
    assert!(!file.unwrap().per_listener_settings);
}

#[test]
fn keys_before_the_first_listener_belong_to_the_default_listener() {
    let text = "per_listener_settings true\npassword_file p\nport 1884\nlistener 1885\n\
                allow_anonymous true\n";
    let file = FileConfig::parse(text).unwrap();
    assert_eq!(file.unused_default_keys(&args(None, true)), None);
    let c = Config::resolve(file, &args(None, true)).unwrap();
    assert_eq!(
        securities(&c),
        [
            (1884, own(false, Some("p"), None)),
            (1885, own(true, None, None))
        ]
    );
    // Without a port line there is no default listener for them: a warning says so.
    let file = FileConfig::parse("per_listener_settings true\nacl_file a\nlistener 1\n").unwrap();
    assert!(file.unused_default_keys(&args(None, true)).is_some());
    assert_eq!(file.unused_default_keys(&args(Some(2), true)), None);
    let c = Config::resolve(file, &args(None, true)).unwrap();
    assert_eq!(securities(&c), [(1, own(false, None, None))]);
}

#[test]
fn the_loopback_default_listener_allows_anonymous_unless_told_otherwise() {
    let anonymous = |text: &str| {
        let c = Config::resolve(FileConfig::parse(text).unwrap(), &args(None, true)).unwrap();
        assert_eq!(c.listeners[0].addr, "127.0.0.1:1883".parse().unwrap());
        c.listeners[0].security.as_ref().unwrap().allow_anonymous
    };
    assert!(anonymous("per_listener_settings true\n"));
    assert!(!anonymous(
        "per_listener_settings true\nallow_anonymous false\n"
    ));
    assert!(!anonymous("per_listener_settings true\npassword_file p\n"));
}

#[test]
fn command_line_security_overrides_every_listener() {
    let text = "per_listener_settings true\nlistener 1\nallow_anonymous true\nlistener 2\n\
                password_file p\n";
    let mut a = args(None, true);
    a.no_anonymous = true;
    a.acl_file = Some("cli-acl".into());
    a.ws_port = Some(9001);
    let c = Config::resolve(FileConfig::parse(text).unwrap(), &a).unwrap();
    assert_eq!(
        securities(&c),
        [
            (1, own(false, None, Some("cli-acl"))),
            (2, own(false, Some("p"), Some("cli-acl"))),
            (9001, own(false, None, Some("cli-acl"))),
        ]
    );
}

#[test]
fn a_password_file_refuses_anonymous_unless_allowed() {
    let mut passwords = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut passwords, b"# no users\n").unwrap();
    let mut args = args(Some(0), false);
    args.password_file = Some(passwords.path().into());
    let c = Config::resolve(FileConfig::default(), &args).unwrap();
    assert!(!c.allow_anonymous);
    args.allow_anonymous = true;
    let c = Config::resolve(FileConfig::default(), &args).unwrap();
    assert!(c.allow_anonymous);
    args.allow_anonymous = false;
    args.no_anonymous = true;
    args.password_file = None;
    let c = Config::resolve(FileConfig::default(), &args).unwrap();
    assert!(!c.allow_anonymous);
    args.password_file = Some(passwords.path().with_extension("missing"));
    assert!(Config::resolve(FileConfig::default(), &args).is_err());
}

#[test]
fn defaults_like_mosquitto() {
    let c = Config::resolve(FileConfig::default(), &args(None, false)).unwrap();
    assert_eq!(c.listeners, [tcp("127.0.0.1:1883")]);
    assert!(c.allow_anonymous);
    let c = Config::resolve(FileConfig::default(), &args(Some(0), false)).unwrap();
    assert_eq!(c.listeners, [tcp("127.0.0.1:0")]);
    assert!(c.allow_anonymous);
    let file = FileConfig::parse("listener 1900").unwrap();
    let c = Config::resolve(file, &args(None, true)).unwrap();
    assert_eq!(c.listeners, [tcp("0.0.0.0:1900")]);
    assert!(!c.allow_anonymous);
    let file = FileConfig::parse("allow_anonymous false").unwrap();
    let c = Config::resolve(file, &args(Some(5), true)).unwrap();
    assert_eq!(c.listeners, [tcp("127.0.0.1:5")]);
    assert!(!c.allow_anonymous);
}

#[test]
fn per_listener_keys_follow_their_listener_line() {
    let text = "certfile d.pem\nkeyfile d.key\nlistener 8883\ncertfile s.pem\n\
                keyfile s.key\ncafile ca.pem\nrequire_certificate true\n\
                use_identity_as_username true\nlistener 9001 127.0.0.1\n\
                protocol websockets\nlistener 1883\n";
    let file = FileConfig::parse(text).unwrap();
    assert!(file.warnings.is_empty());
    let c = Config::resolve(file, &args(Some(0), true)).unwrap();
    let kinds: Vec<_> = c
        .listeners
        .iter()
        .map(|l| (l.addr.port(), l.kind))
        .collect();
    use ListenerKind::*;
    assert_eq!(kinds, [(1883, Mqtt), (0, Mqtts), (8883, Mqtts), (9001, Ws)]);
    let tls = c.listeners[2].tls.as_ref().unwrap();
    assert_eq!(tls.cafile, Some(PathBuf::from("ca.pem")));
    assert!(tls.require_certificate && tls.use_identity_as_username);
    assert_eq!(
        c.listeners[1].tls.as_ref().unwrap().cert,
        PathBuf::from("d.pem")
    );
    assert!(FileConfig::parse("listener 1\nprotocol quic").is_err());
    let half = FileConfig::parse("listener 1\ncertfile c.pem").unwrap();
    assert!(Config::resolve(half, &args(None, true)).is_err());
    let no_cert = FileConfig::parse("listener 1\nrequire_certificate true").unwrap();
    assert!(Config::resolve(no_cert, &args(None, true)).is_err());
}

#[test]
fn command_line_listeners_come_after_plain_mqtt() {
    let mut a = ServeArgs {
        ws_port: Some(9001),
        tls_port: Some(8883),
        ..ServeArgs::default()
    };
    assert!(Config::resolve(FileConfig::default(), &a).is_err());
    a.cert = Some("c.pem".into());
    a.key = Some("k.pem".into());
    a.cafile = Some("ca.pem".into());
    let c = Config::resolve(FileConfig::default(), &a).unwrap();
    let kinds: Vec<_> = c
        .listeners
        .iter()
        .map(|l| (l.addr.port(), l.kind))
        .collect();
    assert_eq!(
        kinds,
        [(8883, ListenerKind::Mqtts), (9001, ListenerKind::Ws)]
    );
    assert!(c.listeners[0].tls.as_ref().unwrap().require_certificate);
    a.port = Some(0);
    let c = Config::resolve(FileConfig::default(), &a).unwrap();
    assert_eq!(c.listeners[0], tcp("127.0.0.1:0"));
    assert!(c.allow_anonymous);
}
