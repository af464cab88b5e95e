//! `-D CMD NAME VALUE` / `-D CMD user-property KEY VALUE`, kept grouped per occurrence.
//!
//! clap's derive cannot group values by occurrence (`Vec<Vec<_>>` is unstable there), so this
//! one argument is declared by hand. Values may be negative numbers (so that range errors
//! are mosquitto's) but not other dash-words, which would swallow the next option.

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};

const ID: &str = "property";

/// Every `-D` in command-line order, each as its 3 or 4 words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawProperties(pub Vec<Vec<String>>);

impl Args for RawProperties {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            Arg::new(ID)
                .short('D')
                .long("property")
                .value_names(["CMD", "NAME", "VALUE"])
                .num_args(3..=4)
                .action(ArgAction::Append)
                .help("MQTT 5 property, e.g. -D publish content-type text/plain; implies -V 5"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for RawProperties {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let occurrences = matches.get_occurrences::<String>(ID);
        let groups = occurrences
            .map(|o| o.map(|words| words.cloned().collect()).collect())
            .unwrap_or_default();
        Ok(RawProperties(groups))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
