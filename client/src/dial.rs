//! Turning `--host HOST[:PORT]` into a gRPC channel to an agent.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use dockyard_proto::transport::{Flow, MAX_MESSAGE_SIZE, tune};

use crate::pb::dockyard_service_client::DockyardServiceClient;
use crate::{Cause, Client};

pub const DEFAULT_PORT: u16 = 50051;

#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("invalid host '{0}': expected HOST or HOST:PORT")]
    BadHost(String),
    #[error("{0}")]
    BadSsh(String),
    /// ssh's own words, after the host.
    #[error("{0}")]
    Ssh(String),
    /// The host answers over SSH but has no `dockyard-agent` on its PATH.
    #[error("{0}")]
    NoAgent(String),
    #[error("cannot reach agent at {addr}: {reason}")]
    Unreachable { addr: String, reason: String },
    #[error("the token cannot be sent: it must be printable ASCII")]
    BadToken,
    #[error("TLS: {0}")]
    Tls(String),
}

/// A host as the user names it: `local` for an agent inside this process
/// on the local Docker socket, `ssh://...` for a host reached through
/// SSH, anything else an agent's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSpec {
    Local,
    Remote(HostAddr),
    Ssh(crate::ssh::SshTarget),
}

impl FromStr for HostSpec {
    type Err = DialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "local" {
            Ok(HostSpec::Local)
        } else if s.starts_with("ssh://") {
            s.parse()
                .map(HostSpec::Ssh)
                .map_err(|e: crate::ssh::BadTarget| DialError::BadSsh(e.to_string()))
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
            HostSpec::Ssh(t) => t.fmt(f),
        }
    }
}

/// An agent's address as the user wrote it, port defaulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    pub host: String,
    pub port: u16,
    /// Written as `https://host:port`: TLS even without --tls-ca.
    pub tls: bool,
}

impl FromStr for HostAddr {
    type Err = DialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DialError::BadHost(s.to_string());
        let tls = s.starts_with("https://");
        let s_trim = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
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
        Ok(HostAddr { host, port, tls })
    }
}

impl fmt::Display for HostAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Adds `authorization: Bearer <token>` to every request when a token is
/// set.
#[derive(Clone, Default)]
pub struct Auth(Option<MetadataValue<Ascii>>);

impl Auth {
    pub fn bearer(token: Option<&str>) -> Result<Self, DialError> {
        match token {
            None => Ok(Auth(None)),
            Some(t) => format!("Bearer {}", t.trim())
                .parse()
                .map(|v| Auth(Some(v)))
                .map_err(|_| DialError::BadToken),
        }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token itself.
        f.write_str(if self.0.is_some() {
            "Auth(bearer)"
        } else {
            "Auth(none)"
        })
    }
}

impl Interceptor for Auth {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// How to reach remote agents: token, TLS trust and client identity.
#[derive(Debug, Clone, Default)]
pub struct DialOptions {
    pub token: Option<String>,
    /// PEM CA to trust for agents' certificates (implies TLS).
    pub tls_ca: Option<PathBuf>,
    /// PEM client certificate and key, for agents that require one.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// How the connection's streams are read.
    pub flow: Flow,
    /// The `ssh` program for `ssh://` hosts (None: `DOCKYARD_SSH`, else
    /// `ssh` on the PATH).
    pub ssh: Option<PathBuf>,
}

impl DialOptions {
    /// Whether `addr` is dialled with TLS.
    pub fn tls_for(&self, addr: &HostAddr) -> bool {
        addr.tls || self.tls_ca.is_some() || self.tls_cert.is_some()
    }
}

/// Wraps a channel into the client with our message limits.
pub fn client(channel: Channel, auth: Auth) -> Client {
    DockyardServiceClient::with_interceptor(channel, auth)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

fn read(path: &Path) -> Result<Vec<u8>, DialError> {
    std::fs::read(path).map_err(|e| DialError::Tls(format!("cannot read {}: {e}", path.display())))
}

/// Connects to a remote agent. Fails fast (5 s) when nothing answers.
pub async fn connect(addr: &HostAddr, opts: &DialOptions) -> Result<Client, DialError> {
    let tls = opts.tls_for(addr);
    let uri = format!("{}://{addr}", if tls { "https" } else { "http" });
    let mut endpoint =
        Endpoint::from_shared(uri).map_err(|_| DialError::BadHost(addr.to_string()))?;
    if tls {
        let domain = addr
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let mut cfg = ClientTlsConfig::new().domain_name(domain);
        cfg = match &opts.tls_ca {
            Some(ca) => cfg.ca_certificate(Certificate::from_pem(read(ca)?)),
            None => cfg.with_native_roots(),
        };
        match (&opts.tls_cert, &opts.tls_key) {
            (Some(c), Some(k)) => cfg = cfg.identity(Identity::from_pem(read(c)?, read(k)?)),
            (None, None) => {}
            _ => {
                return Err(DialError::Tls(
                    "--tls-cert and --tls-key go together".into(),
                ));
            }
        }
        endpoint = endpoint
            .tls_config(cfg)
            .map_err(|e| DialError::Tls(error_chain(&e)))?;
    }
    let auth = Auth::bearer(opts.token.as_deref())?;
    let channel =
        tune(endpoint, opts.flow)
            .connect()
            .await
            .map_err(|e| DialError::Unreachable {
                addr: addr.to_string(),
                reason: error_chain(&e),
            })?;
    Ok(client(channel, auth))
}

/// Connects to the agent on a host reached through SSH (see [`crate::ssh`]):
/// every connection the channel makes is a session of `link`'s SSH
/// connection running `dockyard-agent dial-stdio` there, so one that
/// breaks is dialled again. Fails with ssh's own words when it cannot, or
/// with [`DialError::NoAgent`] when the host has no agent (the same link
/// then reaches its engine: see [`crate::ssh::SshLink::dial_engine`]).
pub async fn connect_ssh(
    link: &std::sync::Arc<crate::ssh::SshLink>,
    opts: &DialOptions,
) -> Result<Client, DialError> {
    let endpoint = Endpoint::from_static("http://ssh.agent");
    // Dialled here first: what went wrong is told apart (no agent there,
    // or ssh's own failure), and the pipe is the channel's first
    // connection.
    let first = link.dial_agent().await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DialError::NoAgent(e.to_string())
        } else {
            DialError::Ssh(e.to_string())
        }
    })?;
    let first = std::sync::Arc::new(std::sync::Mutex::new(Some(first)));
    let dialled = link.clone();
    let channel = tune(endpoint, opts.flow)
        .connect_with_connector(tower::service_fn(move |_| {
            let link = dialled.clone();
            let ready = first.lock().ok().and_then(|mut f| f.take());
            async move {
                let pipe = match ready {
                    Some(pipe) => pipe,
                    None => link.dial_agent().await?,
                };
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(pipe))
            }
        }))
        .await
        .map_err(|e| DialError::Ssh(error_chain(&e)))?;
    // No token: the agent knows the caller by the Unix user SSH logged in as.
    Ok(client(channel, Auth::default()))
}

/// What went wrong with a call, for a person: the agent's own message, or
/// for a broken connection the transport's innermost cause, with a hint
/// when the usual reason is a TLS mismatch.
pub fn status_text(s: &tonic::Status) -> String {
    if !broke_in_transport(s) {
        return s.message().to_string();
    }
    let hint = if looks_like_tls_mismatch(s) {
        " (if the agent serves TLS, pass --tls-ca)"
    } else {
        ""
    };
    format!(
        "the connection to the agent failed: {}{hint}",
        error_chain(s)
    )
}

/// The call failed on this side of the wire (the connection, not an
/// agent's answer): tonic made the status from a local error, which it
/// keeps as the source. An agent's answer arrives as trailers, without
/// one.
pub fn broke_in_transport(s: &tonic::Status) -> bool {
    std::error::Error::source(s).is_some() && dockyard_proto::Cause::of(s) == Cause::Unspecified
}

/// A plain-text client talking to a TLS agent sees the connection torn
/// down mid-handshake: an HTTP/2 protocol error (the TLS alert read as a
/// frame) or the socket reset or closed under it.
fn looks_like_tls_mismatch(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind as K;
    let mut cur = Some(e);
    while let Some(err) = cur {
        let h2 = err.downcast_ref::<h2::Error>().is_some_and(|e| !e.is_io());
        let hyper = err
            .downcast_ref::<hyper::Error>()
            .is_some_and(|e| e.is_incomplete_message() || e.is_closed());
        let io = err.downcast_ref::<std::io::Error>().is_some_and(|e| {
            matches!(
                e.kind(),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
            )
        });
        if h2 || hyper || io {
            return true;
        }
        cur = err.source();
    }
    false
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
