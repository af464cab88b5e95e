//! Placeholder until the formatter lands: default and `-v` output only.
use crate::codec::Publish;

/// Output options from the command line.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    pub verbose: bool,
    pub no_eol: bool,
    pub format: Option<String>,
    pub pretty: bool,
    pub json: bool,
    pub color: bool,
}

/// Formats messages.
pub struct Formatter {
    opts: OutputOptions,
}

impl Formatter {
    /// Builds a formatter.
    pub fn new(opts: &OutputOptions) -> Result<Formatter, String> {
        Ok(Formatter { opts: opts.clone() })
    }

    /// Appends one message.
    pub fn write(&self, msg: &Publish, out: &mut Vec<u8>) -> Result<(), String> {
        if self.opts.verbose {
            out.extend_from_slice(msg.topic.as_bytes());
            out.push(b' ');
            if msg.payload.is_empty() {
                out.extend_from_slice(b"(null)");
            }
        } else if msg.payload.is_empty() {
            return Ok(());
        }
        out.extend_from_slice(&msg.payload);
        if !self.opts.no_eol {
            out.push(b'\n');
        }
        Ok(())
    }
}
