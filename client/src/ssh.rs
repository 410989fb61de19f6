//! `ssh://[USER@]HOST[:PORT][/PATH]`: an agent reached through the
//! system's `ssh` client, so `~/.ssh/config` aliases, keys, the SSH agent,
//! `ProxyJump` and `known_hosts` apply as they do for `ssh` itself. The
//! remote side runs `dockyard-agent dial-stdio [PATH]`, which joins the
//! pipe to the agent's Unix socket; gRPC runs over the pipe, so one SSH
//! connection carries every stream of the host, and a pipe that breaks is
//! dialled again like a TCP connection.
//!
//! `ssh` runs with `BatchMode` (never a password prompt: a TUI cannot
//! answer one) and a connect timeout; what it says on failing is the
//! error, in its own words.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{ChildStdout, Command};

use dockyard_proto::DIAL_HELLO;
pub use dockyard_proto::pipe::ChildPipe;

/// How long an SSH connection may take to reach the agent (the TCP
/// connect has `ConnectTimeout` of its own).
pub const DIAL_LIMIT: Duration = Duration::from_secs(15);

/// Seconds `ssh` waits for the TCP connection.
const CONNECT_TIMEOUT: u32 = 5;

/// A host reached through SSH, as written after `ssh://`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The agent's socket on that host (default: dial-stdio's own).
    pub socket: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid host '{0}': expected ssh://[USER@]HOST[:PORT][/PATH]")]
pub struct BadTarget(pub String);

impl FromStr for SshTarget {
    type Err = BadTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadTarget(s.to_string());
        let rest = s.strip_prefix("ssh://").ok_or_else(bad)?;
        let (authority, socket) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(rest[i..].to_string())),
            None => (rest, None),
        };
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
            Some(_) => return Err(bad()),
            None => (None, authority),
        };
        // [v6]:port, [v6], host:port, host
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (h.to_string(), None),
                p => (h.to_string(), Some(p.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        let port = match port {
            None => None,
            Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?),
        };
        let ok_word = |w: &str| {
            !w.is_empty()
                && !w.starts_with('-')
                && !w.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        if !ok_word(&host) || user.as_deref().is_some_and(|u| !ok_word(u)) {
            return Err(bad());
        }
        if socket
            .as_deref()
            .is_some_and(|p| p.len() < 2 || !ok_word(p))
        {
            return Err(bad());
        }
        Ok(SshTarget {
            user,
            host,
            port,
            socket,
        })
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(s) = &self.socket {
            f.write_str(s)?;
        }
        Ok(())
    }
}

impl SshTarget {
    /// `ssh` running `remote` on this host, its stdio piped; it dies with
    /// the value (nothing is left running when a connection is dropped).
    /// `program` is the `ssh` to run (None: `DOCKYARD_SSH`, else `ssh`
    /// on the PATH).
    pub fn command(&self, program: Option<&std::path::Path>, remote: &[&str]) -> Command {
        self.command_with(program, &[], remote)
    }

    /// [`command`](Self::command) with more of ssh's options (`-S PATH`).
    pub fn command_with(
        &self,
        program: Option<&std::path::Path>,
        options: &[&std::ffi::OsStr],
        remote: &[&str],
    ) -> Command {
        let ssh = program
            .map(|p| p.as_os_str().to_owned())
            .or_else(|| std::env::var_os("DOCKYARD_SSH"))
            .unwrap_or_else(|| "ssh".into());
        let mut c = Command::new(ssh);
        c.args(["-T", "-o", "BatchMode=yes"])
            .arg("-o")
            .arg(format!("ConnectTimeout={CONNECT_TIMEOUT}"));
        if let Some(u) = &self.user {
            c.args(["-l", u]);
        }
        if let Some(p) = self.port {
            c.args(["-p", &p.to_string()]);
        }
        c.args(options);
        c.arg("--").arg(&self.host).args(remote);
        c
    }

    /// A pipe to the agent on this host, once `dial-stdio` has said it
    /// reached the agent's socket.
    pub async fn dial(&self, program: Option<&std::path::Path>) -> std::io::Result<ChildPipe> {
        let mut remote = vec!["dockyard-agent", "dial-stdio"];
        if let Some(s) = &self.socket {
            remote.push(s);
        }
        let fail = |why: String| std::io::Error::other(format!("{self}: {why}"));
        let mut pipe = ChildPipe::spawn(self.command(program, &remote))
            .map_err(|e| fail(format!("cannot run ssh: {e}")))?;
        match tokio::time::timeout(DIAL_LIMIT, hello(&mut pipe.stdout)).await {
            Ok(Ok(())) => Ok(pipe),
            Ok(Err(_)) => {
                // ssh (or dial-stdio) ended: its own words say why.
                let (code, words) = pipe.last_words().await;
                if code == Some(127) {
                    // The shell found no such program: told apart (a
                    // NotFound error) so the client can do without.
                    let words = if words.is_empty() {
                        "command not found".to_string()
                    } else {
                        words
                    };
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{self}: no dockyard-agent on the remote PATH ({words})"),
                    ));
                }
                Err(fail(if words.is_empty() {
                    "ssh ended without a word".into()
                } else {
                    words
                }))
            }
            Err(_) => Err(fail(format!(
                "no answer in {} s (ssh: {})",
                DIAL_LIMIT.as_secs(),
                pipe.said.last_line()
            ))),
        }
    }

    /// A pipe to the engine on this host through `docker system
    /// dial-stdio` (a host with the docker CLI and no agent), over the
    /// master connection at `control` when there is one.
    pub fn dial_engine(
        &self,
        program: Option<&std::path::Path>,
        control: Option<&std::path::Path>,
    ) -> std::io::Result<ChildPipe> {
        let remote = ["docker", "system", "dial-stdio"];
        let cmd = match control {
            Some(path) => self.command_with(
                program,
                &[
                    "-S".as_ref(),
                    path.as_os_str(),
                    "-o".as_ref(),
                    "ControlMaster=no".as_ref(),
                ],
                &remote,
            ),
            None => self.command(program, &remote),
        };
        ChildPipe::spawn(cmd)
    }
}

/// Reads up to and including [`DIAL_HELLO`]'s line; what a login script
/// printed before it is skipped (up to 64 KiB).
async fn hello(stdout: &mut BufReader<ChildStdout>) -> std::io::Result<()> {
    let mut skipped = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut *stdout)
            .take(64 * 1024)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.strip_suffix(b"\n") == Some(DIAL_HELLO.as_bytes()) {
            return Ok(());
        }
        skipped += n;
        if skipped > 64 * 1024 {
            return Err(std::io::Error::other(
                "the remote side printed 64 KiB without answering as dockyard-agent dial-stdio",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t: SshTarget = "ssh://alice@box.example:2222/run/a.sock"
            .parse()
            .expect("ok");
        assert_eq!(
            t,
            SshTarget {
                user: Some("alice".into()),
                host: "box.example".into(),
                port: Some(2222),
                socket: Some("/run/a.sock".into()),
            }
        );
        assert_eq!(t.to_string(), "ssh://alice@box.example:2222/run/a.sock");
        let t: SshTarget = "ssh://myalias".parse().expect("ok");
        assert_eq!((t.user, t.port, t.socket), (None, None, None));
        let t: SshTarget = "ssh://[::1]:22".parse().expect("ok");
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(22)));
        assert_eq!(t.to_string(), "ssh://[::1]:22");
        for bad in [
            "ssh://",
            "ssh://@host",
            "ssh://host:0",
            "ssh://host:x",
            "ssh://-oProxyCommand=x",
            "ssh://a b",
            "ssh://host/",
            "host",
        ] {
            assert!(bad.parse::<SshTarget>().is_err(), "{bad}");
        }
    }
}
