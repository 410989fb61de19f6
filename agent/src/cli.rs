//! The agent's command line, as clap sees it: here in the library so that
//! `dockyard man` renders `dockyard-agent`'s man page from the same
//! definitions the binary parses.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use clap::Parser;

use crate::sessions::SessionConfig;

#[derive(Debug, Parser)]
#[command(
    name = "dockyard-agent",
    version,
    about = "Serve this host's Docker engine to Dockyard clients over gRPC"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Where to listen, repeatable: HOST:PORT (TCP; port 0 picks a free
    /// port, printed at start) or unix:///PATH (a Unix socket, what
    /// ssh://HOST reaches through `dial-stdio`; unix:// alone is
    /// /run/dockyard/agent.sock). Callers on a Unix socket are the Unix
    /// user that opened it; no token or TLS there
    #[arg(
        long,
        default_value = "127.0.0.1:50051",
        env = "DOCKYARD_LISTEN",
        value_delimiter = ',',
        value_name = "ADDR"
    )]
    pub listen: Vec<crate::listen::Listen>,

    /// The group of the Unix sockets (default: docker when it exists,
    /// else the agent's own)
    #[arg(long, value_name = "GROUP")]
    pub socket_group: Option<String>,

    /// The mode of the Unix sockets, octal
    #[arg(long, value_name = "MODE", default_value = "660", value_parser = crate::listen::socket_mode)]
    pub socket_mode: u32,

    /// PEM certificate (chain) to serve TLS with
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by this PEM CA
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_client_ca: Option<PathBuf>,

    /// File of the bearer tokens clients must send: one per line, `TOKEN`
    /// or `NAME TOKEN` (at least 16 characters; `#` comments). The name
    /// (default `token-N`) identifies the holder: each sees only the
    /// sessions it started
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// How long a TTY session whose clients are gone (connection lost,
    /// client killed, detached) keeps running before it is ended, e.g.
    /// 30s, 10m, 2h. 0: a TTY exec ends with its client, as a non-TTY one
    /// always does
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration)]
    pub detached_ttl: Duration,

    /// Detached sessions kept at most per identity (token name,
    /// certificate); one more ends that identity's oldest detached session
    #[arg(long, value_name = "N", default_value_t = SessionConfig::DEFAULT_MAX_DETACHED)]
    pub max_detached: usize,

    /// Output kept per session for clients that reattach (bytes; K, M, G
    /// suffixes are KiB, MiB, GiB)
    #[arg(long, value_name = "BYTES", default_value = "1M", value_parser = bytes_size)]
    pub session_history: usize,

    /// Record every TTY session into DIR, one asciicast v2 file each, its
    /// header naming who (token name, certificate subject), the container,
    /// command and user; the exit code as a final marker
    #[arg(long, value_name = "DIR")]
    pub record_dir: Option<PathBuf>,

    /// A recording stops (with a marker saying so) past this many bytes of
    /// output (K, M, G suffixes)
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = bytes_size)]
    pub record_max_file: usize,

    /// The recordings in --record-dir are kept under this size: the oldest
    /// are removed first, logged (K, M, G suffixes)
    #[arg(long, value_name = "BYTES", default_value = "1G", value_parser = bytes_size)]
    pub record_max_dir: usize,

    /// Append one JSON line per exec (TTY or not) at its start and at its
    /// end to FILE: time, who, host, container, command, user, workdir,
    /// tty, exit code, duration, bytes in and out; never what was typed
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// Allow listening on a non-loopback address without TLS and a token.
    /// Anyone who can reach the port gets a root shell in every container.
    #[arg(long)]
    pub insecure: bool,

    /// Also serve the gRPC health checking protocol alone, without TLS or
    /// a token, on this loopback address (for `dockyard-agent health` in
    /// a container's HEALTHCHECK when the main port needs TLS)
    #[arg(long, value_name = "ADDR", env = "DOCKYARD_HEALTH_LISTEN")]
    pub health_listen: Option<SocketAddr>,

    /// The name this agent's node goes by in a cluster (listings,
    /// `dockyard --node`); default: the engine's host name
    #[arg(long, value_name = "NAME", env = "DOCKYARD_NODE_NAME")]
    pub node_name: Option<String>,

    /// Another agent of this cluster, HOST or HOST:PORT (default port
    /// 50051); repeatable. Needs --peer-ca, --tls-cert and --tls-key
    #[arg(long = "peer", value_name = "ADDR")]
    pub peers: Vec<String>,

    /// A DNS name that resolves to every agent of this cluster (Swarm:
    /// tasks.SERVICE; Kubernetes: a headless Service), NAME or NAME:PORT,
    /// looked up every 2 s. Needs --peer-ca, --tls-cert and --tls-key
    #[arg(long = "peers", value_name = "NAME", env = "DOCKYARD_PEERS")]
    pub peers_dns: Option<String>,

    /// The cluster's CA (PEM). Agents of the cluster present certificates
    /// it signed with OU=dockyard-agent and the DNS name of
    /// --peer-server-name; only they may forward a caller's identity
    #[arg(long, value_name = "PEM", env = "DOCKYARD_PEER_CA")]
    pub peer_ca: Option<PathBuf>,

    /// The name every agent's certificate carries, checked when dialing a
    /// peer (whose address, found by DNS, names nothing)
    #[arg(long, value_name = "NAME", default_value = "dockyard-agent")]
    pub peer_server_name: String,

    /// List only containers carrying this label (KEY=VALUE): for several
    /// agents sharing one engine, each serving its own containers, as when
    /// trying a cluster on one machine
    #[arg(long, value_name = "KEY=VALUE", value_parser = label)]
    pub only_label: Option<(String, String)>,

    /// Log lines as text (coloured only on a terminal) or as one JSON
    /// object a line, for log collectors
    #[arg(long, value_enum, default_value = "text", env = "DOCKYARD_LOG_FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Ask a running agent whether it serves (the gRPC health checking
    /// protocol): exit 0 when it does, 1 with the reason when it does not.
    /// For a container's HEALTHCHECK
    Health {
        /// The agent's address (default: --health-listen, else the first
        /// TCP --listen, with 0.0.0.0 or :: asked on loopback)
        addr: Option<SocketAddr>,
    },
    /// Join stdin and stdout to the agent's Unix socket, as `docker system
    /// dial-stdio` joins them to the engine's: what `dockyard --host
    /// ssh://HOST` runs on the host through SSH
    #[command(name = "dial-stdio")]
    DialStdio {
        /// The socket (default: /run/dockyard/agent.sock)
        path: Option<std::path::PathBuf>,
    },
}

impl Args {
    /// The first TCP address among `--listen`.
    pub fn tcp_listen(&self) -> Option<SocketAddr> {
        self.listen.iter().find_map(|l| match l {
            crate::listen::Listen::Tcp(a) => Some(*a),
            crate::listen::Listen::Unix(_) => None,
        })
    }

    pub fn socket_access(&self) -> crate::listen::SocketAccess {
        crate::listen::SocketAccess {
            group: self.socket_group.clone(),
            mode: self.socket_mode,
        }
    }

    pub fn audit_config(&self) -> crate::audit::AuditConfig {
        crate::audit::AuditConfig {
            log: self.audit_log.clone(),
            record_dir: self.record_dir.clone(),
            record_max_file: self.record_max_file as u64,
            record_max_dir: self.record_max_dir as u64,
        }
    }

    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            ttl: self.detached_ttl,
            max_detached: self.max_detached,
            history_bytes: self.session_history,
        }
    }
}

fn label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not KEY=VALUE")),
    }
}

fn duration(s: &str) -> Result<Duration, String> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 30s, 10m, 2h, or 0)"))
}

/// A size as people write it: `1048576`, `512K`, `1M`, `2G` (binary units).
pub fn bytes_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: usize = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 1M, 512K, 1048576)"))?;
    let mult: usize = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        _ => return Err(format!("'{s}': unknown unit (K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        assert_eq!(duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(duration("soon").is_err());
        assert_eq!(bytes_size("1M"), Ok(1 << 20));
        assert_eq!(bytes_size("512K"), Ok(512 << 10));
        assert_eq!(bytes_size("100"), Ok(100));
        assert!(bytes_size("1T").is_err());
        assert!(bytes_size("x").is_err());
    }
}
