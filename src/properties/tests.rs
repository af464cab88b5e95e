use super::*;

fn d(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn err(raw: &[&[&str]]) -> String {
    let raw: Vec<Vec<String>> = raw.iter().map(|a| d(a)).collect();
    parse(&raw).unwrap_err()
}

#[test]
fn fills_each_packet() {
    let raw = vec![
        d(&["publish", "content-type", "text/plain"]),
        d(&["PUBLISH", "Message-Expiry-Interval", "60"]),
        d(&["publish", "correlation-data", "abc"]),
        d(&["publish", "user-property", "k", "v"]),
        d(&["publish", "user-property", "k", "w"]),
        d(&["connect", "receive-maximum", "10"]),
        d(&["connect", "authentication-method", "SCRAM"]),
        d(&["subscribe", "subscription-identifier", "268435455"]),
        d(&["unsubscribe", "user-property", "a", "b"]),
        d(&["disconnect", "session-expiry-interval", "0"]),
        d(&["will", "will-delay-interval", "5"]),
        d(&["will", "payload-format-indicator", "1"]),
    ];
    let p = parse(&raw).unwrap();
    assert_eq!(p.publish.content_type.as_deref(), Some("text/plain"));
    assert_eq!(p.publish.message_expiry_interval, Some(60));
    assert_eq!(p.publish.correlation_data, Some(Bytes::from_static(b"abc")));
    assert_eq!(
        p.publish.user_properties,
        vec![("k".into(), "v".into()), ("k".into(), "w".into())]
    );
    assert_eq!(p.connect.receive_maximum, Some(10));
    assert_eq!(p.connect.authentication_method.as_deref(), Some("SCRAM"));
    assert_eq!(p.subscribe.subscription_identifiers, vec![268_435_455]);
    assert_eq!(
        p.unsubscribe.user_properties,
        vec![("a".into(), "b".into())]
    );
    assert_eq!(p.disconnect.session_expiry_interval, Some(0));
    assert_eq!(p.will.will_delay_interval, Some(5));
    assert_eq!(p.will.payload_format_indicator, Some(1));
    assert!(forces_v5(&raw));
    assert!(!forces_v5(&[]));
}

#[test]
fn mosquitto_messages() {
    assert_eq!(
        err(&[&["publish", "foo", "1"]]),
        "Error: Invalid property name given in --property argument."
    );
    assert_eq!(
        err(&[&["foo", "content-type", "1"]]),
        "Error: Invalid command given in --property argument."
    );
    assert_eq!(
        err(&[&["publish", "subscription-identifier", "1"]]),
        "Error: subscription-identifier property not supported for publish in --property argument."
    );
    assert_eq!(
        err(&[&["connect", "content-type", "x"]]),
        "Error: content-type property not allowed for connect in --property argument."
    );
    assert_eq!(
        err(&[&["puback", "user-property", "a", "b"]]),
        "Error: user-property property not supported for puback in --property argument."
    );
    assert_eq!(
        err(&[&["auth", "authentication-method", "a"]]),
        "Error: authentication-method property not supported for auth in --property argument."
    );
    assert_eq!(
        err(&[&["publish", "user-property", "a"]]),
        "Error: --property argument given but not enough arguments specified."
    );
    assert_eq!(
        err(&[&["publish", "content-type", "a", "b"]]),
        "Error: Unknown option 'b'."
    );
}

#[test]
fn every_mosquitto_command_name_is_known() {
    for name in [
        "connect",
        "CONNACK",
        "publish",
        "puback",
        "pubrec",
        "pubrel",
        "pubcomp",
        "subscribe",
        "suback",
        "unsubscribe",
        "unsuback",
        "disconnect",
        "auth",
        "Will",
    ] {
        let raw = vec![d(&[name, "user-property", "k", "v"])];
        if let Err(e) = parse(&raw) {
            assert!(e.contains("not supported"), "{name}: {e}");
        }
    }
}

#[test]
fn numeric_ranges() {
    assert_eq!(
        err(&[&["publish", "message-expiry-interval", "-1"]]),
        "Error: Property value (-1) out of range for property message-expiry-interval."
    );
    assert_eq!(
        err(&[&["publish", "message-expiry-interval", "4294967296"]]),
        "Error: Property value (4294967296) out of range for property message-expiry-interval."
    );
    assert_eq!(
        err(&[&["publish", "payload-format-indicator", "256"]]),
        "Error: Property value (256) out of range for property payload-format-indicator."
    );
    assert_eq!(
        err(&[&["publish", "topic-alias", "65536"]]),
        "Error: Property value (65536) out of range for property topic-alias."
    );
    assert_eq!(
        err(&[&["subscribe", "subscription-identifier", "0"]]),
        "Error: Property value (0) out of range for property subscription-identifier."
    );
    assert_eq!(
        err(&[&["publish", "topic-alias", "abc"]]),
        "Error: Property value 'abc' not a number."
    );
}

#[test]
fn per_packet_checks() {
    assert_eq!(
        err(&[
            &["publish", "content-type", "a"],
            &["publish", "content-type", "b"]
        ]),
        "Error in PUBLISH properties: Duplicate property in property list"
    );
    assert_eq!(
        err(&[&["connect", "receive-maximum", "0"]]),
        "Error in CONNECT properties: A network protocol error occurred when communicating with the broker."
    );
    assert_eq!(
        err(&[
            &["will", "user-property", "a", "b"],
            &["will", "will-delay-interval", "1"],
            &["will", "will-delay-interval", "2"]
        ]),
        "Error in Will properties: Duplicate property in property list"
    );
}
