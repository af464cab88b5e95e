//! End-to-end tests of [`Formatter`]. Every expected output was produced by mosquitto_sub
//! 2.0.11 (Debian 12, libcjson 1.7.15) against a mosquitto 2.0.11 broker, with only the
//! clock replaced by the fixed time below.

use super::*;
use crate::codec::{Properties, QoS};
use bytes::Bytes;
use chrono::TimeZone;

/// 2026-11-21T22:41:27.469497123 UTC.
fn now() -> DateTime<FixedOffset> {
    let utc = FixedOffset::east_opt(0).unwrap();
    utc.timestamp_opt(1_795_300_887, 469_497_123).unwrap()
}

const TST: &str = "2026-11-21T22:41:27.469497Z+0000";

fn msg(payload: &[u8]) -> Publish {
    Publish {
        topic: "a/b".to_string(),
        payload: Bytes::copy_from_slice(payload),
        ..Publish::default()
    }
}

/// The properties `mosquitto_pub -D publish ...` sent in the tests, as delivered to a
/// subscriber with subscription identifier 7.
fn v5_props() -> Properties {
    Properties {
        subscription_identifiers: vec![7],
        user_properties: vec![
            ("k1".to_string(), "v1".to_string()),
            ("k1".to_string(), "v2".to_string()),
        ],
        content_type: Some("text/json".to_string()),
        response_topic: Some("resp/t".to_string()),
        correlation_data: Some(Bytes::from_static(b"corr")),
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(3600),
        ..Properties::default()
    }
}

fn options(format: Option<&str>) -> OutputOptions {
    OutputOptions {
        format: format.map(str::to_string),
        ..OutputOptions::default()
    }
}

fn output(opts: &OutputOptions, msg: &Publish) -> (Vec<u8>, Result<(), String>) {
    let formatter = Formatter::new(opts).unwrap();
    let mut out = Vec::new();
    let result = formatter.write_at(msg, &now(), &mut out);
    (out, result)
}

fn ok_output(opts: &OutputOptions, msg: &Publish) -> String {
    let (out, result) = output(opts, msg);
    assert_eq!(result, Ok(()));
    String::from_utf8(out).unwrap()
}

fn template(format: &str, msg: &Publish) -> String {
    ok_output(&options(Some(format)), msg)
}

#[test]
fn default_output() {
    let plain = options(None);
    assert_eq!(ok_output(&plain, &msg(b"hello")), "hello\n");
    assert_eq!(ok_output(&plain, &msg(b"")), "");
    let no_eol = OutputOptions {
        no_eol: true,
        ..plain
    };
    assert_eq!(ok_output(&no_eol, &msg(b"hello")), "hello");
}

#[test]
fn verbose_output() {
    let verbose = OutputOptions {
        verbose: true,
        ..options(None)
    };
    assert_eq!(ok_output(&verbose, &msg(b"hello")), "a/b hello\n");
    assert_eq!(ok_output(&verbose, &msg(b"")), "a/b (null)\n");
    let no_eol = OutputOptions {
        no_eol: true,
        ..verbose.clone()
    };
    assert_eq!(ok_output(&no_eol, &msg(b"hello")), "a/b hello");
    assert_eq!(ok_output(&no_eol, &msg(b"")), "");
    // -F wins over -v.
    let both = OutputOptions {
        format: Some("%t".to_string()),
        ..verbose
    };
    assert_eq!(ok_output(&both, &msg(b"x")), "a/b\n");
}

#[test]
fn binary_payloads_pass_through() {
    let payload = b"a\x01b\xff\xc3\xa9\"\\/\x7f\x00zz";
    let (out, _) = output(&options(None), &msg(payload));
    assert_eq!(out, [&payload[..], b"\n"].concat());
}

#[test]
fn template_keeps_no_eol_and_prints_empty_payloads() {
    let no_eol = OutputOptions {
        no_eol: true,
        ..options(Some("%t|%p"))
    };
    assert_eq!(ok_output(&no_eol, &msg(b"hi")), "a/b|hi");
    assert_eq!(template("", &msg(b"x")), "\n");
    assert_eq!(template("[%p]", &msg(b"")), "[]\n");
}

#[test]
fn widths_and_flags() {
    let cases = [
        ("[%10p]", "[     hello]\n"),
        ("[%-10p]", "[hello     ]\n"),
        ("[%010p]", "[00000hello]\n"),
        ("[%3p]", "[hel]\n"),
        ("[%.2p]", "[hello]\n"),
        ("[%-03p]", "[hel]\n"),
        ("[%10x]", "[      6865]\n"),
        ("[%3x]", "[ 68]\n"),
        ("[%4x]", "[6865]\n"),
        ("[%-10x]", "[6865      ]\n"),
        ("[%010X]", "[0000006865]\n"),
        ("[%x]", "[68656c6c6f]\n"),
        (
            "[%-p][%-x][%-0p][%-X]",
            "[hello     ][68656c6c6f     ][hello     ][68656C6C6F     ]\n",
        ),
        ("[%l|%5l|%-5l|%05l|%-05l]", "[5|    5|5    |00005|5    ]\n"),
        ("[%m|%5m|%05m]", "[0|    0|00000]\n"),
        ("[%q%5q%r%5r]", "[0000]\n"),
        (
            "[%t|%10t|%-10t|%.2t|%5.2t|%-5.2t|%010t|%.t|%.0t]",
            "[a/b|       a/b|a/b       |a/|   a/|a/   |       a/b||]\n",
        ),
        ("[%%@@]", "[%@]\n"),
        ("[\\\\\\0\\a\\e\\n\\r\\t\\v]", "[\\\0\x07\x1b\n\r\t\x0b]\n"),
    ];
    for (format, want) in cases {
        assert_eq!(template(format, &msg(b"hello")), want, "{format}");
    }
}

/// C pads to any width; `format!` panicked above 65,535 (`-F '%1212446m'` aborted `sub`).
#[test]
fn widths_beyond_u16() {
    let wide = |fill: &str, value: &str, right: bool| {
        let pad = fill.repeat(1_212_446 - value.len());
        match right {
            true => format!("{pad}{value}\n"),
            false => format!("{value}{pad}\n"),
        }
    };
    let m = msg(b"hello");
    assert_eq!(template("%1212446m", &m), wide(" ", "0", true));
    assert_eq!(template("%01212446m", &m), wide("0", "0", true));
    assert_eq!(template("%-1212446l", &m), wide(" ", "5", false));
}

#[test]
fn widths_count_bytes() {
    let mut m = msg("é".as_bytes());
    m.topic = "a/é".to_string();
    let (out, _) = output(&options(Some("%5t|%.3t|%j")), &m);
    // "%.3t" cuts "a/é" inside the é: only its first byte is printed.
    let head = b" a/\xc3\xa9|a/\xc3|";
    let json = format!("{{\"tst\":\"{TST}\",\"topic\":\"a/\u{e9}\",\"qos\":0,\"retain\":0,\"payloadlen\":2,\"payload\":\"\u{e9}\"}}\n");
    assert_eq!(out, [&head[..], json.as_bytes()].concat());
}

#[test]
fn times() {
    let m = msg(b"x");
    let want = "2026-11-21T22:41:27+0000|      2026-11-21T22:41:27+0000|\
                2026-11-21T22:41:27+0000      |2026-11-21|1795300887.469497123\n";
    assert_eq!(template("%I|%30I|%-30I|%.10I|%U", &m), want);
    let want = "2026-11-21T22:41:27.469497123 +0000 UTC 1795300887 %\n";
    assert_eq!(template("@Y-@m-@dT@H:@M:@S.@N @z @Z @s @%", &m), want);
}

#[test]
fn json_escaped_payload() {
    let want = format!(
        "{{\"tst\":\"{TST}\",\"topic\":\"a/b\",\"qos\":0,\"retain\":0,\"payloadlen\":13,\
         \"payload\":\"a\\u0001b\u{fffd}\u{e9}\\\"\\\\/\x7f\"}}\n"
    );
    // The payload ends at its NUL byte; the 0xff byte is copied raw.
    let (out, _) = output(
        &options(Some("%j")),
        &msg(b"a\x01b\xff\xc3\xa9\"\\/\x7f\x00zz"),
    );
    assert_eq!(String::from_utf8_lossy(&out), want);
    assert!(out.contains(&0xff));

    let empty = format!("{{\"tst\":\"{TST}\",\"topic\":\"a/b\",\"qos\":0,\"retain\":0,\"payloadlen\":0,\"payload\":null}}\n");
    assert_eq!(template("%j", &msg(b"")), empty);
    assert_eq!(template("%J", &msg(b"")), empty);
}

#[test]
fn json_retained_and_pretty_with_mid() {
    let mut m = msg(b"kept");
    m.topic = "r/t".to_string();
    m.retain = true;
    let want = format!("1 {{\"tst\":\"{TST}\",\"topic\":\"r/t\",\"qos\":0,\"retain\":1,\"payloadlen\":4,\"payload\":\"kept\"}}\n");
    assert_eq!(template("%r %j", &m), want);

    let mut m = msg(b"x\"\\y");
    m.qos = QoS::AtLeastOnce;
    m.pkid = 1;
    let pretty = OutputOptions {
        pretty: true,
        ..options(Some("%j"))
    };
    let want = format!(
        "{{\n\t\"tst\":\t\"{TST}\",\n\t\"topic\":\t\"a/b\",\n\t\"qos\":\t1,\n\t\"retain\":\t0,\n\
         \t\"payloadlen\":\t4,\n\t\"mid\":\t1,\n\t\"payload\":\t\"x\\\"\\\\y\"\n}}\n"
    );
    assert_eq!(ok_output(&pretty, &m), want);
}

#[test]
fn json_embedded_payload() {
    let payload = br#"{"a": 1.50, "b":[1,2e3,  -0.0, 1e20, 123456789012], "c":"x\u00e9\ud83d\ude00\n\"", "a":null, "t":true}"#;
    let want = format!(
        "{{\"tst\":\"{TST}\",\"topic\":\"a/b\",\"qos\":0,\"retain\":0,\"payloadlen\":102,\
         \"payload\":{{\"a\":1.5,\"b\":[1,2000,-0,1e+20,123456789012],\
         \"c\":\"x\u{e9}\u{1f600}\\n\\\"\",\"a\":null,\"t\":true}}}}\n"
    );
    assert_eq!(template("%J", &msg(payload)), want);
}

#[test]
fn json_invalid_payload_still_prints_the_rest() {
    let (out, result) = output(&options(Some("<%J>")), &msg(b"nope"));
    assert_eq!(out, b"<>\n");
    let error = "Error: Message payload is not valid JSON on topic a/b.\n";
    assert_eq!(result, Err(error.to_string()));
}

/// mosquitto 2.1: `%f`/`%d` on a payload of the wrong length print nothing, and their errors
/// (without a line ending) follow one another on stderr.
#[test]
fn float_of_the_wrong_length_prints_nothing_and_errors() {
    let (out, result) = output(&options(Some("<%08f|%d|%J>")), &msg(b"abc"));
    assert_eq!(out, b"<||>\n");
    let error = "requested float printing, but non-float data received\
                 requested double printing, but non-double data received\
                 Error: Message payload is not valid JSON on topic a/b.\n";
    assert_eq!(result, Err(error.to_string()));
}

#[test]
fn json_v5_properties() {
    let mut m = msg(br#"{"x":1}"#);
    m.qos = QoS::AtLeastOnce;
    m.pkid = 1;
    m.properties = v5_props().into();
    let want = format!(
        "{{\"tst\":\"{TST}\",\"topic\":\"a/b\",\"qos\":1,\"retain\":0,\"payloadlen\":7,\"mid\":1,\
         \"properties\":{{\"subscription-identifier\":7,\"user-properties\":{{\"k1\":\"v1\",\"k1\":\"v2\"}},\
         \"content-type\":\"text/json\",\"response-topic\":\"resp/t\",\"correlation-data\":\"corr\",\
         \"payload-format-indicator\":1,\"message-expiry-interval\":3600}},\
         \"payload\":\"{{\\\"x\\\":1}}\"}}\n"
    );
    assert_eq!(template("%j", &m), want);

    let pretty = OutputOptions {
        pretty: true,
        ..options(Some("%J"))
    };
    let want = format!(
        "{{\n\t\"tst\":\t\"{TST}\",\n\t\"topic\":\t\"a/b\",\n\t\"qos\":\t1,\n\t\"retain\":\t0,\n\
         \t\"payloadlen\":\t7,\n\t\"mid\":\t1,\n\t\"properties\":\t{{\n\
         \t\t\"subscription-identifier\":\t7,\n\t\t\"user-properties\":\t{{\n\
         \t\t\t\"k1\":\t\"v1\",\n\t\t\t\"k1\":\t\"v2\"\n\t\t}},\n\
         \t\t\"content-type\":\t\"text/json\",\n\t\t\"response-topic\":\t\"resp/t\",\n\
         \t\t\"correlation-data\":\t\"corr\",\n\t\t\"payload-format-indicator\":\t1,\n\
         \t\t\"message-expiry-interval\":\t3600\n\t}},\n\
         \t\"payload\":\t{{\n\t\t\"x\":\t1\n\t}}\n}}\n"
    );
    assert_eq!(ok_output(&pretty, &m), want);
}

#[test]
fn v5_property_fields() {
    let format = "[%A|%5A|%05A|%C|%5C|%-10.3C|%D|%E|%5E|%-5E|%05E|%F|%P|%R|%5R|%.2R|%S|%05S]";
    let mut m = msg(b"x");
    m.properties.subscription_identifiers = vec![7];
    let want = "[|     |00000||     |          |||     |     |00000||||||7|00007]\n";
    assert_eq!(template(format, &m), want);

    m.properties = Properties {
        message_expiry_interval: Some(u32::MAX),
        ..v5_props()
    }
    .into();
    let want = "[|     |00000|text/json|text/json|tex       |corr|-1|   -1|-1   |-0001|1|\
                k1:v1 k1:v2|resp/t|resp/t|re|7|00007]\n";
    assert_eq!(template(format, &m), want);
}

#[test]
fn bad_templates_are_rejected_up_front() {
    let err = Formatter::new(&options(Some("%z"))).err();
    assert_eq!(err.as_deref(), Some("Error: Invalid format specifier 'z'."));
}

#[test]
fn json_lines() {
    let json = OutputOptions {
        json: true,
        verbose: true,
        ..options(Some("%t"))
    };
    let want = "{\"tst\":\"2026-11-21T22:41:27.469497+00:00\",\"topic\":\"a/b\",\"qos\":0,\
                \"retain\":false,\"payload\":\"hello\"}\n";
    assert_eq!(ok_output(&json, &msg(b"hello")), want);

    let mut m = msg(b"\x00\xff");
    m.qos = QoS::ExactlyOnce;
    m.pkid = 9;
    m.retain = true;
    m.properties = Properties {
        correlation_data: Some(Bytes::from_static(b"\xfe")),
        ..v5_props()
    }
    .into();
    let want = "{\"tst\":\"2026-11-21T22:41:27.469497+00:00\",\"topic\":\"a/b\",\"qos\":2,\
                \"retain\":true,\"mid\":9,\"payload_base64\":\"AP8=\",\"properties\":{\
                \"payload-format-indicator\":1,\"message-expiry-interval\":3600,\
                \"content-type\":\"text/json\",\"response-topic\":\"resp/t\",\
                \"correlation-data-base64\":\"/g==\",\"subscription-identifiers\":[7],\
                \"user-properties\":[[\"k1\",\"v1\"],[\"k1\",\"v2\"]]}}\n";
    assert_eq!(ok_output(&json, &m), want);
}

#[test]
fn json_lines_pretty() {
    let json = OutputOptions {
        json: true,
        pretty: true,
        ..options(None)
    };
    let want = "{\n  \"tst\": \"2026-11-21T22:41:27.469497+00:00\",\n  \"topic\": \"a/b\",\n  \
                \"qos\": 0,\n  \"retain\": false,\n  \"payload\": \"hi\"\n}\n";
    assert_eq!(ok_output(&json, &msg(b"hi")), want);
}

#[test]
fn colour_only_for_pretty_json() {
    let colored = OutputOptions {
        color: true,
        ..options(Some("%j"))
    };
    let plain = format!("{{\"tst\":\"{TST}\",\"topic\":\"a/b\",\"qos\":0,\"retain\":0,\"payloadlen\":1,\"payload\":\"x\"}}\n");
    assert_eq!(ok_output(&colored, &msg(b"x")), plain);
    let pretty = OutputOptions {
        pretty: true,
        ..colored
    };
    let key = |k: &str| format!("\x1b[1;34m\"\x1b[0m\x1b[1;34m{k}\x1b[0m\x1b[1;34m\"\x1b[0m: ");
    let string = |v: &str| format!("\x1b[32m\"\x1b[0m\x1b[32m{v}\x1b[0m\x1b[32m\"\x1b[0m");
    let want = format!(
        "\x1b[1m{{\x1b[0m\n  {}{},\n  {}{},\n  {}0,\n  {}0,\n  {}1,\n  {}{}\x1b[1m\n}}\x1b[0m\n",
        key("tst"),
        string(TST),
        key("topic"),
        string("a/b"),
        key("qos"),
        key("retain"),
        key("payloadlen"),
        key("payload"),
        string("x"),
    );
    assert_eq!(ok_output(&pretty, &msg(b"x")), want);
}

#[test]
fn local_offsets() {
    // mosquitto_sub with TZ=America/New_York (EST, -0500).
    let est = FixedOffset::west_opt(5 * 3600).unwrap();
    let now = now().with_timezone(&est);
    let formatter = Formatter::new(&options(Some("%I @z %j"))).unwrap();
    let mut out = Vec::new();
    formatter.write_at(&msg(b"x"), &now, &mut out).unwrap();
    let want = "2026-11-21T17:41:27-0500 -0500 {\"tst\":\"2026-11-21T17:41:27.469497Z-0500\",\
                \"topic\":\"a/b\",\"qos\":0,\"retain\":0,\"payloadlen\":1,\"payload\":\"x\"}\n";
    assert_eq!(String::from_utf8(out).unwrap(), want);
}
