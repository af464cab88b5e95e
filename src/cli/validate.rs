//! mosquitto's rules across options (`client_config_load` and each client's `main`), with its
//! messages, plus mqtk's refusals of options it cannot honour.

use super::topic::{is_valid_filter, is_valid_name};
use super::{ConnectArgs, OutputArgs, PubArgs, RrArgs, SubArgs, UnsupportedArgs};
use crate::codec::Version;

const ONE_MESSAGE_TYPE: &str = "Error: Only one type of message can be sent at once.";

impl ConnectArgs {
    /// Rules every client shares; `version` is the effective protocol version.
    pub fn validate(&self, version: Version) -> Result<(), String> {
        if self.options_file.is_some() {
            return Err("Error: -o cannot be used inside an options file.".into());
        }
        if self.id.is_some() && self.id_prefix.is_some() {
            return Err("Error: -i and -I argument cannot be used together.".into());
        }
        self.validate_will()?;
        self.validate_tls()?;
        self.unsupported.validate()?;
        self.validate_session(version)?;
        if !version.is_v5() && self.password().is_some() && self.username().is_none() {
            return Err("Error: Problem setting username and/or password.".into());
        }
        self.properties(version).map(drop)
    }

    fn validate_will(&self) -> Result<(), String> {
        match &self.will_topic {
            Some(t) if !is_valid_name(t) => Err(format!(
                "Error: Invalid will topic '{t}', does it contain '+' or '#'?"
            )),
            Some(_) => Ok(()),
            None if self.will_payload.is_some() => {
                Err("Error: Will payload given, but no will topic given.".into())
            }
            None if self.will_retain => {
                Err("Error: Will retain given, but no will topic given.".into())
            }
            None => Ok(()),
        }
    }

    /// `--no-tls` (mosquitto 2.1) skips what mosquitto checks only when setting TLS up; the
    /// pairing rules it checks on reading the options still apply.
    fn validate_tls(&self) -> Result<(), String> {
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            return Err(
                "Error: Both certfile and keyfile must be provided if one of them is set.".into(),
            );
        }
        match self.unsupported.keyform.as_deref() {
            Some(_) if self.tls.key.is_none() => {
                Err("Error: If keyform is set, keyfile must be also specified.".into())
            }
            _ if self.tls.no_tls => Ok(()),
            None | Some("pem") => Ok(()),
            Some("engine") => Err("Error: --keyform engine is not supported by mqtk.".into()),
            Some(_) => {
                Err("Error: Problem setting key form, it must be one of 'pem' or 'engine'.".into())
            }
        }
    }

    /// A persistent session needs a stable client id, which `-I` (prefix + pid) is not.
    fn validate_session(&self, version: Version) -> Result<(), String> {
        let stable_id = self.id.is_some();
        if version.is_v5() {
            if self.session_expiry_interval() == Some(u32::MAX) && !stable_id {
                return Err("Error: You must provide a client id if you are using an infinite session expiry interval.".into());
            }
            if self.disable_clean_session && self.client_id().is_none() {
                return Err(
                    "Error: You must provide a client id if you are using the -c option.".into(),
                );
            }
        } else if self.disable_clean_session && !stable_id {
            return Err(
                "Error: You must provide a client id if you are using the -c option.".into(),
            );
        }
        Ok(())
    }
}

impl UnsupportedArgs {
    /// Rejects what mqtk cannot do, rather than silently connecting some other way.
    fn validate(&self) -> Result<(), String> {
        let rejected = [
            (
                self.psk.is_some() || self.psk_identity.is_some(),
                "TLS-PSK (--psk, --psk-identity)",
            ),
            (self.proxy.is_some(), "--proxy (SOCKS5)"),
            (self.tls_engine.is_some(), "--tls-engine (OpenSSL engines)"),
            (
                self.tls_engine_kpass_sha1.is_some(),
                "--tls-engine-kpass-sha1 (OpenSSL engines)",
            ),
            (self.srv, "-S (DNS SRV lookup)"),
        ];
        match rejected.into_iter().find(|(given, _)| *given) {
            Some((_, what)) => Err(format!("Error: {what} is not supported by mqtk.")),
            None => Ok(()),
        }
    }
}

impl OutputArgs {
    fn validate(&self) -> Result<(), String> {
        if self.json && self.format.is_some() {
            return Err("Error: --json and -F cannot be used together.".into());
        }
        Ok(())
    }
}

impl PubArgs {
    /// mosquitto_pub's rules, plus `--topic-from-line`'s and `--replay`'s.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_replay()?;
        if let Some(t) = self.topic().filter(|t| !is_valid_name(t)) {
            return Err(format!(
                "Error: Invalid publish topic '{t}', does it contain '+' or '#'?"
            ));
        }
        if self.message.count(self.stdin_line, self.replay.is_some()) > 1 {
            return Err(ONE_MESSAGE_TYPE.into());
        }
        self.connect.validate(self.version())?;
        match &self.topic_from_line {
            Some(_) if !self.stdin_line => {
                return Err("Error: --topic-from-line can only be used with -l.".into())
            }
            Some(sep) if sep.is_empty() => {
                return Err("Error: --topic-from-line separator must not be empty.".into())
            }
            Some(_) => return Ok(()),
            None => {}
        }
        if self.replay.is_some() {
            return Ok(());
        }
        if self.topic().is_none() || self.payload().is_none() {
            return Err("Error: Both topic and message must be supplied.".into());
        }
        Ok(())
    }

    /// Records bring their own topic and retain flag; the timing options need them.
    fn validate_replay(&self) -> Result<(), String> {
        let replay = self.replay.is_some();
        let rules = [
            (
                self.replay_timing && !replay,
                "--replay-timing can only be used with --replay",
            ),
            (
                self.speed.is_some() && !self.replay_timing,
                "--speed can only be used with --replay-timing",
            ),
            (
                replay && self.topic().is_some(),
                "--replay takes the topic from each record; -t cannot be used with it",
            ),
            (
                replay && self.retain,
                "--replay takes the retain flag from each record; -r cannot be used with it",
            ),
            (
                replay && self.repeat > 1,
                "--repeat cannot be used with --replay",
            ),
        ];
        match rules.into_iter().find(|(broken, _)| *broken) {
            Some((_, rule)) => Err(format!("Error: {rule}.")),
            None => Ok(()),
        }
    }
}

impl SubArgs {
    /// mosquitto_sub's rules.
    pub fn validate(&self) -> Result<(), String> {
        check_filters(&self.topics(), "subscription")?;
        check_filters(&self.filter_out, "filter")?;
        check_filters(&self.unsubscribe, "unsubscribe")?;
        self.output.validate()?;
        self.connect.validate(self.version())?;
        if self.topics().is_empty() {
            return Err("Error: You must specify a topic to subscribe to.".into());
        }
        if self.output.no_retained && self.retained_only {
            return Err("Error: Combining '-R' and '--retained-only' makes no sense.".into());
        }
        Ok(())
    }
}

impl RrArgs {
    /// mosquitto_rr's rules.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(t) = self.topic().filter(|t| !is_valid_name(t)) {
            return Err(format!(
                "Error: Invalid publish topic '{t}', does it contain '+' or '#'?"
            ));
        }
        if let Some(t) = self.response_topic.as_ref().filter(|t| !is_valid_name(t)) {
            return Err(format!(
                "Error: Invalid response topic '{t}', does it contain '+' or '#'?"
            ));
        }
        if self.message.count(false, false) > 1 {
            return Err(ONE_MESSAGE_TYPE.into());
        }
        self.output.validate()?;
        self.connect.validate(self.version())?;
        if self.topic().is_none() || self.payload().is_none() || self.response_topic.is_none() {
            return Err(
                "Error: All of topic, message, and response topic must be supplied.".into(),
            );
        }
        Ok(())
    }
}

fn check_filters<S: AsRef<str>>(filters: &[S], what: &str) -> Result<(), String> {
    match filters
        .iter()
        .map(AsRef::as_ref)
        .find(|f| !is_valid_filter(f))
    {
        Some(f) => Err(format!(
            "Error: Invalid {what} topic '{f}', are all '+' and '#' wildcards correct?"
        )),
        None => Ok(()),
    }
}
