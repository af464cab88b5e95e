//! Message output for `sub` and `rr`: byte-identical to mosquitto_sub 2.0.11 for the default
//! output, `-v`, `-N`, `-F` and `--pretty`, plus mqtk's own `--json`.
//!
//! The `-F` template is compiled once ([`Formatter::new`]); [`Formatter::write`] then appends
//! each message straight into the caller's buffer, reading the clock only when the output
//! shows a time.
//!
//! Known differences from mosquitto_sub, all outside what a broker normally sends or what a
//! test can observe:
//! - `@Z` prints "UTC" for a zero offset and `+01:00` otherwise, not the zone abbreviation;
//! - `%j`/`%J` list properties in one fixed order (mosquitto's broker order) since the codec
//!   does not keep wire order, and show the real topic alias (mosquitto reads a wrong one);
//! - one clock reading per message (mosquitto reads it again for each `%I`, `%U`, `%j`);
//! - field widths above `i32::MAX` are refused instead of overflowing a C `int`;
//! - coloured `--pretty` JSON (terminals only) uses colored_json's layout.

mod cjson;
mod json;
mod mosquitto_json;
mod printf;
mod render;
mod strftime;
mod template;

/// `-F`'s value parser: the template unchanged, or mosquitto_sub's message for its first
/// error, so a typo fails before connecting; the same compiler the output uses.
pub fn check(format: &str) -> Result<String, String> {
    template::Template::parse(format).map(|_| format.to_string())
}

use crate::codec::Publish;
use chrono::{DateTime, FixedOffset, Local};
use colored_json::ColorMode;
use serde::Serialize;
use template::Template;

/// What the user asked for on the command line; the CLI fills it.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    /// `-v`: print `topic payload`.
    pub verbose: bool,
    /// `-N`: no newline after each message.
    pub no_eol: bool,
    /// `-F`: a mosquitto_sub output template; overrides `-v`.
    pub format: Option<String>,
    /// `--pretty`: multi-line JSON for `%j`/`%J` (and `--json`).
    pub pretty: bool,
    /// `--json` (mqtk only, overrides `-v` and `-F`): one JSON object per line,
    /// binary-safe, with fields in this order:
    ///
    /// - `tst`: RFC 3339 local time with microseconds, `2024-05-06T22:12:00.123456+01:00`;
    /// - `topic`, `qos` (0-2), `retain` (bool), `mid` (only when qos > 0);
    /// - `payload` (string) when the payload is UTF-8, else `payload_base64` (standard);
    /// - `properties`, only when an MQTT 5 property is set: `payload-format-indicator`,
    ///   `message-expiry-interval`, `content-type`, `response-topic`, `correlation-data`
    ///   (or `correlation-data-base64` when not UTF-8), `subscription-identifiers` (array),
    ///   `topic-alias`, `user-properties` (array of `[key, value]`, order and repeats kept).
    pub json: bool,
    /// Colour pretty JSON; the caller decides (stdout is a tty and NO_COLOR is unset).
    pub color: bool,
}

/// Formats received messages as the options ask.
#[derive(Clone, Debug)]
pub struct Formatter {
    mode: Mode,
    eol: bool,
    style: JsonStyle,
}

#[derive(Clone, Debug)]
enum Mode {
    /// The payload alone; an empty payload prints nothing.
    Payload,
    /// `-v`: `topic payload`, or `topic (null)` for an empty payload.
    Verbose,
    /// `-F`.
    Template(Template),
    /// `--json`.
    Json,
}

/// How JSON values are laid out: cJSON's compact or tabbed style, or coloured for a terminal.
#[derive(Clone, Copy, Debug)]
struct JsonStyle {
    pretty: bool,
    color: bool,
}

impl JsonStyle {
    /// Colour is for people at a terminal, so it only applies to pretty output.
    fn colored(self) -> bool {
        self.pretty && self.color
    }

    /// Appends a `%j`/`%J` object as mosquitto_sub prints it.
    fn write(self, value: &cjson::Value, out: &mut Vec<u8>) {
        if self.colored() {
            write_colored(value, out);
        } else {
            cjson::print(value, self.pretty, out);
        }
    }
}

/// Colour or not, for every tool that prints it (sub and rr's JSON, check's table): only on
/// a terminal, and not when `NO_COLOR` is set and not empty (no-color.org).
pub fn stdout_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Pretty, coloured JSON via colored_json; writing into a Vec cannot fail.
fn write_colored(value: &impl Serialize, out: &mut Vec<u8>) {
    let _ = colored_json::write_colored_json_with_mode(value, out, ColorMode::On);
}

impl Formatter {
    /// Parses the -F template once, up front; a bad template is an error for the user.
    ///
    /// The error is the line mosquitto_sub prints, e.g. `Error: Invalid format specifier 'z'.`
    pub fn new(opts: &OutputOptions) -> Result<Formatter, String> {
        let mode = match &opts.format {
            _ if opts.json => Mode::Json,
            Some(format) => Mode::Template(Template::parse(format)?),
            None if opts.verbose => Mode::Verbose,
            None => Mode::Payload,
        };
        Ok(Formatter {
            mode,
            eol: !opts.no_eol,
            style: JsonStyle {
                pretty: opts.pretty,
                color: opts.color,
            },
        })
    }

    /// Appends the output for one message to `out` (nothing for mosquitto's "print nothing" cases).
    /// Returns Err(text) for per-message errors mosquitto prints to stderr and carries on after
    /// (e.g. %J on a non-JSON payload: "Error: Message payload is not valid JSON on topic `<t>`.\n",
    /// or %f on a payload that is not 4 bytes, whose message has no line ending): `text` is the
    /// bytes to write to stderr as they are. `out` then still holds the rest of the message's
    /// output, as mosquitto prints it.
    pub fn write(&self, msg: &Publish, out: &mut Vec<u8>) -> Result<(), String> {
        let now = if self.needs_clock() {
            Local::now().fixed_offset()
        } else {
            // Never shown: the output has no time in it.
            DateTime::default()
        };
        self.write_at(msg, &now, out)
    }

    /// [`Formatter::write`] with the time fixed to `now`, so output is reproducible.
    pub fn write_at(
        &self,
        msg: &Publish,
        now: &DateTime<FixedOffset>,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let result = match &self.mode {
            Mode::Payload if msg.payload.is_empty() => return Ok(()),
            Mode::Payload => {
                out.extend_from_slice(&msg.payload);
                Ok(())
            }
            Mode::Verbose if msg.payload.is_empty() && !self.eol => return Ok(()),
            Mode::Verbose => {
                verbose(msg, out);
                Ok(())
            }
            Mode::Template(template) => render::render(template, msg, now, self.style, out),
            Mode::Json => self.json(msg, now, out),
        };
        if self.eol {
            out.push(b'\n');
        }
        result
    }

    fn needs_clock(&self) -> bool {
        match &self.mode {
            Mode::Payload | Mode::Verbose => false,
            Mode::Template(template) => template.needs_clock,
            Mode::Json => true,
        }
    }

    fn json(
        &self,
        msg: &Publish,
        now: &DateTime<FixedOffset>,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let message = json::Message { msg, now };
        if self.style.colored() {
            write_colored(&message, out);
            Ok(())
        } else if self.style.pretty {
            serde_json::to_writer_pretty(out, &message).map_err(|e| e.to_string())
        } else {
            serde_json::to_writer(out, &message).map_err(|e| e.to_string())
        }
    }
}

/// `-v`: `topic payload`; mosquitto writes `(null)` for an empty payload.
fn verbose(msg: &Publish, out: &mut Vec<u8>) {
    out.extend_from_slice(msg.topic.as_bytes());
    out.push(b' ');
    if msg.payload.is_empty() {
        out.extend_from_slice(b"(null)");
    } else {
        out.extend_from_slice(&msg.payload);
    }
}

#[cfg(test)]
mod tests;
