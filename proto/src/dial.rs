//! Turning `--host HOST[:PORT]` into a gRPC channel to an agent.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use crate::{CONNECTION_WINDOW, Client, MAX_MESSAGE_SIZE, STREAM_WINDOW};

pub const DEFAULT_PORT: u16 = 50051;

#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("invalid host '{0}': expected HOST or HOST:PORT")]
    BadHost(String),
    #[error("cannot reach agent at {addr}: {reason}")]
    Unreachable { addr: String, reason: String },
}

/// A host as the user names it: `local` for an agent inside this process
/// on the local Docker socket, anything else an agent's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSpec {
    Local,
    Remote(HostAddr),
}

impl FromStr for HostSpec {
    type Err = DialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "local" {
            Ok(HostSpec::Local)
        } else {
            s.parse().map(HostSpec::Remote)
        }
    }
}

impl fmt::Display for HostSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostSpec::Local => f.write_str("local"),
            HostSpec::Remote(a) => a.fmt(f),
        }
    }
}

/// An agent's address as the user wrote it, port defaulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    pub host: String,
    pub port: u16,
}

impl FromStr for HostAddr {
    type Err = DialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DialError::BadHost(s.to_string());
        let s_trim = s.strip_prefix("http://").unwrap_or(s);
        if s_trim.is_empty() || s_trim.contains(['/', ' ', '@']) {
            return Err(bad());
        }
        // [v6]:port, [v6], host:port, host
        let (host, port) = if let Some(rest) = s_trim.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(bad)?),
            };
            (format!("[{h}]"), port)
        } else if s_trim.matches(':').count() > 1 {
            // A bare IPv6 address without brackets cannot carry a port.
            (format!("[{s_trim}]"), None)
        } else {
            match s_trim.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (s_trim.to_string(), None),
            }
        };
        if host.is_empty() || host == "[]" {
            return Err(bad());
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
        };
        Ok(HostAddr { host, port })
    }
}

impl fmt::Display for HostAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Endpoint settings shared by every client connection (remote or
/// in-memory), so both paths behave the same.
pub fn tune(endpoint: Endpoint) -> Endpoint {
    endpoint
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true)
}

/// Wraps a channel into the client with our message limits.
pub fn client(channel: Channel) -> Client {
    Client::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// Connects to a remote agent. Fails fast (5 s) when nothing answers.
pub async fn connect(addr: &HostAddr) -> Result<Client, DialError> {
    let uri = format!("http://{addr}");
    let endpoint = Endpoint::from_shared(uri).map_err(|_| DialError::BadHost(addr.to_string()))?;
    let channel = tune(endpoint)
        .connect()
        .await
        .map_err(|e| DialError::Unreachable {
            addr: addr.to_string(),
            reason: error_chain(&e),
        })?;
    Ok(client(channel))
}

/// The innermost cause is the useful part of a transport error
/// ("Connection refused"), the outer ones just say "transport error".
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts() {
        let h: HostAddr = "example.org".parse().expect("host");
        assert_eq!(h.to_string(), "example.org:50051");
        let h: HostAddr = "10.0.0.1:7000".parse().expect("host:port");
        assert_eq!(h.to_string(), "10.0.0.1:7000");
        let h: HostAddr = "[::1]:9".parse().expect("v6");
        assert_eq!(h.to_string(), "[::1]:9");
        let h: HostAddr = "::1".parse().expect("bare v6");
        assert_eq!(h.to_string(), "[::1]:50051");
    }

    #[test]
    fn rejects_bad_hosts() {
        for bad in ["", "h:", "h:0", "h:70000", "h:x", "a/b", "[::1", "[::1]x"] {
            assert!(
                bad.parse::<HostAddr>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
