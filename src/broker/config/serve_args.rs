//! `mqtk serve`'s command line, mosquitto-style.

use std::path::PathBuf;

/// `mqtk serve` options, mosquitto-style.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port); the bound address is the first line on stdout.
    #[arg(short = 'p', long)]
    pub port: Option<u16>,
    /// Address to listen on with --port [default: 127.0.0.1].
    #[arg(long, value_name = "ADDRESS")]
    pub bind: Option<String>,
    /// Port of an MQTT over TLS listener on the --bind address; needs --cert and --key.
    #[arg(long, value_name = "PORT")]
    pub tls_port: Option<u16>,
    /// Port of an MQTT over WebSocket listener (paths /mqtt and /) on the --bind address.
    #[arg(long, value_name = "PORT")]
    pub ws_port: Option<u16>,
    /// Port of an MQTT over secure WebSocket listener; needs --cert and --key.
    #[arg(long, value_name = "PORT")]
    pub wss_port: Option<u16>,
    /// PEM certificate chain of the --tls-port and --wss-port listeners.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// PEM private key of --cert.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// PEM CA certificates: TLS clients must present a certificate issued by one of them.
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,
    /// Use the client certificate's common name (CN) as the username; needs --cafile.
    #[arg(long, requires = "cafile")]
    pub use_identity_as_username: bool,
    /// mosquitto.conf-style configuration file (listener, port, bind_address, allow_anonymous,
    /// protocol, certfile, keyfile, cafile, crlfile, require_certificate, tls_version,
    /// use_identity_as_username, use_username_as_clientid, mount_point, password_file,
    /// acl_file, per_listener_settings, include_dir), the persistence keys (persistence,
    /// persistence_location, persistence_file, autosave_interval, autosave_on_changes,
    /// persistent_client_expiration) and the limit keys (max_connections, max_queued_messages,
    /// max_inflight_messages, message_size_limit, max_qos, ...).
    #[arg(short = 'c', long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Password file in mosquitto_passwd format ($7$, $6$ or argon2id hashes); clients
    /// without a username are then refused unless --allow-anonymous. Reloaded on SIGHUP.
    /// Overrides the configuration file's, on every listener.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// ACL file in mosquitto's acl_file format (user, topic, pattern); checked on publish,
    /// subscribe and delivery. Reloaded on SIGHUP. Overrides the configuration file's, on
    /// every listener.
    #[arg(long, value_name = "FILE")]
    pub acl_file: Option<PathBuf>,
    /// Accept clients that send no username (overrides the configuration file, on every
    /// listener).
    #[arg(long, conflicts_with = "no_anonymous")]
    pub allow_anonymous: bool,
    /// Refuse clients that send no username (overrides the configuration file, on every
    /// listener).
    #[arg(long)]
    pub no_anonymous: bool,
    /// Keep retained messages and persistent sessions in FILE across restarts (saved at
    /// most every autosave_interval, 1 s by default, and at shutdown).
    #[arg(long, value_name = "FILE")]
    pub persist: Option<PathBuf>,
    /// Log connections, subscriptions and errors to stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}
